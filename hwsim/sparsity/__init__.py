"""Sparsity: pattern specs, mask generation, statistics (profiles), storage formats, and the
channel-pruning graph transform."""

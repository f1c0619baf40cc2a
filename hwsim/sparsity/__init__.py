"""Sparsity: pattern families (specs, statistics, masks), profiles, storage formats, bank
conflicts of gathers, and the channel-pruning graph transform."""

from hwsim.sparsity.banks import expected_max_bin_load, nm_gather_conflicts
from hwsim.sparsity.gather import gather_cycles

__all__ = ["expected_max_bin_load", "gather_cycles", "nm_gather_conflicts"]

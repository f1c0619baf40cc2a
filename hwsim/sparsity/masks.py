"""Deterministic mask generation for every pattern (vectorised NumPy, seeded).

A weight mask is a boolean matrix (rows = output channels, cols = reduction C/G*R*S or
in_features). ``rs`` is the kernel size R*S, the unit of kernel-granularity patterns. Each
pattern family generates its own mask (``hwsim.sparsity.patterns``); this is the entry point.
"""

from __future__ import annotations

import numpy as np

from hwsim.sparsity.patterns.base import MatrixShape
from hwsim.sparsity.patterns.gather_scatter import gs_row_nonzeros
from hwsim.sparsity.patterns.nested import nested_masks
from hwsim.sparsity.spec import Pattern

__all__ = ["generate_mask", "gs_row_nonzeros", "nested_masks"]


def generate_mask(spec: Pattern, rows: int, cols: int, rs: int = 1, lanes: int = 16,
                  level: int = 0) -> np.ndarray:
    """The weight mask of ``spec`` for a rows x cols matrix (True = kept). ``lanes``: the banks
    a gather-scatter group of 0 balances over; ``level``: the level of a nested pattern."""
    return spec.mask(MatrixShape(rows, cols, rs), lanes=lanes, level=level)

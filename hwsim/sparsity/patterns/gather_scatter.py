"""Gather-scatter balanced sparsity (Sun et al., arXiv 2112.10898): every row keeps the same
number of nonzeros, spread evenly over the lanes/banks that gather them."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from hwsim.sparsity.banks import distinct_banks_cycles
from hwsim.sparsity.patterns.base import Fraction, MatrixShape, PatternSpec
from hwsim.sparsity.patterns.unstructured import (
    random_imbalance,
    random_nm_conformance,
    random_occupancy,
)


def gs_row_nonzeros(density: float, cols: int) -> int:
    """Nonzeros a gather-scatter-balanced row keeps: round(density * cols), at least one."""
    return max(1, min(cols, round(density * cols)))


def gs_mask(rows: int, cols: int, density: float, group: int,
            rng: np.random.Generator) -> np.ndarray:
    """Each row keeps round(density * cols) nonzeros (at least one) spread over ``group`` banks
    (column c lives in bank c mod group) as evenly as possible: every bank holds the floor or
    the ceiling of the row's share, so a gather of the row never conflicts more than needed."""
    g = max(1, min(group, cols))
    per_bank = -(-cols // g)
    nnz = gs_row_nonzeros(density, cols)
    base, extra = divmod(nnz, g)
    # Which banks take one more: ``extra`` random banks per row.
    bank_rank = np.argsort(rng.random((rows, g)), axis=1).argsort(axis=1)
    k = base + (bank_rank < extra)  # (rows, g) nonzeros per bank
    scores = rng.random((rows, per_bank, g))
    # Positions beyond ``cols`` (padding of the last bank row) must never be chosen.
    pad = np.arange(per_bank * g).reshape(per_bank, g) >= cols
    scores[:, pad] = -1.0
    rank = np.argsort(np.argsort(-scores, axis=1), axis=1)
    keep = (rank < k[:, None, :]) & ~pad[None]
    return keep.reshape(rows, per_bank * g)[:, :cols]


class GatherScatter(PatternSpec):
    """Load-balanced gather-scatter pattern (Sun et al., arXiv 2112.10898): every group of
    ``group`` lanes/banks receives exactly the same number of nonzeros, so no lane waits and no
    bank conflicts. ``group`` 0 means the target's own lane/bank count."""

    pattern: Literal["gs"] = "gs"
    sparsity: Fraction
    group: int = Field(0, ge=0)

    @property
    def _label(self) -> str:
        return f"gather-scatter {self.sparsity:.0%}"

    @property
    def weight_density(self) -> float:
        return 1.0 - self.sparsity

    @property
    def balanced_rows(self) -> bool:
        return True

    def density(self, shape: MatrixShape) -> float:
        """Balanced rows keep a whole number of nonzeros (at least one) per row."""
        return gs_row_nonzeros(self.weight_density, shape.cols) / shape.cols

    # Within a row the kept positions are random: i.i.d. closed forms at the row's density.
    def occupancy(self, shape: MatrixShape, bh: int, bw: int) -> float:
        return random_occupancy(self.density(shape), bh, bw)

    def nm_conformance(self, shape: MatrixShape, n: int, m: int) -> float:
        return random_nm_conformance(self.density(shape), n, m)

    def imbalance(self, shape: MatrixShape, lanes: int, seg: int) -> float:
        d = self.density(shape)
        if d >= 1.0 or seg >= shape.cols:
            return 1.0  # balanced by construction over each row's banks
        return random_imbalance(d, lanes, seg)

    def locality(self) -> float:
        return 1.0

    def mask(self, shape: MatrixShape, lanes: int = 16, level: int = 0) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        return gs_mask(shape.rows, shape.cols, self.weight_density, self.group or lanes, rng)

    def gather_cycles(self, lanes: int, banks: int) -> float:
        return distinct_banks_cycles(lanes, banks)  # balanced rows hit distinct banks

"""Channel (filter) pruning: whole output channels removed, so whole rows are zero."""

from __future__ import annotations

from typing import Literal

import numpy as np

from hwsim.sparsity.banks import distinct_banks_cycles
from hwsim.sparsity.patterns.base import Fraction, MatrixShape, PatternSpec
from hwsim.sparsity.patterns.topk import keep_top


class Channel(PatternSpec):
    """Whole output channels (filters) removed; consumers lose the matching input channels.

    ``joins: prune`` prunes tensors joined by residual additions consistently (same channels
    removed from every member); ``joins: keep`` leaves them whole and prunes only channels
    private to a block (the inner convs of residual blocks, as CGaP and HRank do)."""

    pattern: Literal["channel"] = "channel"
    sparsity: Fraction
    joins: Literal["prune", "keep"] = "prune"

    @property
    def _label(self) -> str:
        return f"channel {self.sparsity:.0%}" + (" (inner)" if self.joins == "keep" else "")

    @property
    def weight_density(self) -> float:
        return 1.0 - self.sparsity

    def occupancy(self, shape: MatrixShape, bh: int, bw: int) -> float:
        return 1.0 - (1.0 - self.weight_density) ** bh  # a tile is empty iff its bh rows are

    def nm_conformance(self, shape: MatrixShape, n: int, m: int) -> float:
        return 1.0 - self.weight_density  # a group is all zero (conforms) or all nonzero

    def imbalance(self, shape: MatrixShape, lanes: int, seg: int) -> float:
        return 1.0  # kept rows are dense

    def locality(self) -> float:
        return 1.0

    def mask(self, shape: MatrixShape, lanes: int = 16, level: int = 0) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        keep = keep_top(rng.random(shape.rows), self.weight_density)
        return np.repeat(keep[:, None], shape.cols, axis=1)

    def gather_cycles(self, lanes: int, banks: int) -> float:
        return distinct_banks_cycles(lanes, banks)  # kept rows are dense: distinct banks

"""Dense: every weight kept (the baseline; ``act`` may still make the inputs sparse)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from hwsim.sparsity.banks import distinct_banks_cycles
from hwsim.sparsity.patterns.base import MatrixShape, PatternSpec


class Dense(PatternSpec):
    """No zero weights."""

    pattern: Literal["dense"] = "dense"

    @property
    def _label(self) -> str:
        return "dense"

    @property
    def weight_density(self) -> float:
        return 1.0

    def occupancy(self, shape: MatrixShape, bh: int, bw: int) -> float:
        return 1.0

    def nm_conformance(self, shape: MatrixShape, n: int, m: int) -> float:
        return 1.0 if n >= m else 0.0  # every group holds m nonzeros

    def imbalance(self, shape: MatrixShape, lanes: int, seg: int) -> float:
        return 1.0

    def locality(self) -> float:
        return 1.0

    def mask(self, shape: MatrixShape, lanes: int = 16, level: int = 0) -> np.ndarray:
        return np.ones((shape.rows, shape.cols), dtype=bool)

    def gather_cycles(self, lanes: int, banks: int) -> float:
        return distinct_banks_cycles(lanes, banks)  # consecutive columns: distinct banks

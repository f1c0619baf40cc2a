"""N:M sparsity: exactly n nonzeros in every m consecutive weights (or whole R x S kernels) of
a row, the constraint NVIDIA's sparse tensor cores check (2:4)."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from hwsim.sparsity.banks import expected_max_bin_load, nm_gather_conflicts
from hwsim.sparsity.patterns.base import MatrixShape, PatternSpec


def nm_mask(rows: int, cols: int, n: int, m: int, unit: int,
            rng: np.random.Generator) -> np.ndarray:
    """n of every m consecutive units (a unit = ``unit`` adjacent columns) in each row."""
    units = -(-cols // unit)
    groups = -(-units // m)
    scores = rng.random((rows, groups, m))
    rank = np.argsort(np.argsort(-scores, axis=2), axis=2)
    keep_units = (rank < n).reshape(rows, groups * m)[:, :units]
    return np.repeat(keep_units, unit, axis=1)[:, :cols]


class NM(PatternSpec):
    """Exactly ``n`` nonzeros in every ``m`` consecutive weights of a row (2:4, 1:4, 4:8), or,
    with ``granularity: kernel``, ``n`` of every ``m`` whole R x S kernels (k-out-of-n, as in
    Dynamic Probabilistic Pruning)."""

    pattern: Literal["nm"] = "nm"
    n: int = Field(2, gt=0)
    m: int = Field(4, gt=0)
    granularity: Literal["weight", "kernel"] = "weight"

    @field_validator("m")
    @classmethod
    def _n_le_m(cls, m: int, info: ValidationInfo) -> int:
        n = info.data.get("n", 1)
        if n > m:
            raise ValueError(f"n={n} must not exceed m={m}")
        return m

    @property
    def weight_density(self) -> float:
        return self.n / self.m

    @property
    def sparsity(self) -> float:
        """Fraction of zero weights, 1 - n/m."""
        return 1.0 - self.n / self.m

    @property
    def _label(self) -> str:
        g = " kernels" if self.granularity == "kernel" else ""
        return f"{self.n}:{self.m}{g}"

    @property
    def nm_group(self) -> int:
        return self.m

    def _unit(self, shape: MatrixShape) -> int:
        """Columns per selected unit: one weight, or one R x S kernel."""
        return shape.rs if self.granularity == "kernel" else 1

    def occupancy(self, shape: MatrixShape, bh: int, bw: int) -> float:
        """A tile as wide as a group always holds a nonzero; a narrower one, in a row, misses
        all n kept units of its group with hypergeometric probability."""
        unit = self._unit(shape)
        span = self.m * unit
        if bw >= span:
            return 1.0
        units = max(1, bw // unit)
        empty_row = (math.comb(self.m - units, self.n) / math.comb(self.m, self.n)
                     if units <= self.m else 0)
        return 1.0 - empty_row**bh

    def nm_conformance(self, shape: MatrixShape, n: int, m: int) -> float | None:
        """Closed forms for weight groups that nest in this pattern's groups (or contain whole
        ones); other cases are measured on the mask."""
        if self._unit(shape) == 1 and self.m % m == 0:
            # m-groups inside an s.m group holding s.n nonzeros: hypergeometric count.
            from scipy import stats  # deferred: importing it costs ~1 s at start-up
            return float(stats.hypergeom.cdf(n, self.m, self.n, m))
        if self._unit(shape) == 1 and m % self.m == 0:
            return 1.0 if (m // self.m) * self.n <= n else 0.0
        return None

    def imbalance(self, shape: MatrixShape, lanes: int, seg: int) -> float | None:
        """Balanced when segments hold whole groups; otherwise measured on the mask."""
        if self.weight_density >= 1.0 or seg % (self.m * self._unit(shape)) == 0:
            return 1.0
        return None

    def locality(self) -> float:
        return 1.0

    def mask(self, shape: MatrixShape, lanes: int = 16, level: int = 0) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        return nm_mask(shape.rows, shape.cols, self.n, self.m, self._unit(shape), rng)

    def gather_cycles(self, lanes: int, banks: int) -> float:
        if self.granularity == "weight":
            return max(1.0, nm_gather_conflicts(self.n, self.m, lanes, banks))
        return max(1.0, expected_max_bin_load(lanes, banks))  # kernels: as unstructured

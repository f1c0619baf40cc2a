"""Unstructured: zeros anywhere, i.i.d. random or magnitude-like (rows of different importance).

The i.i.d. closed forms here also serve patterns whose nonzeros are random within a row
(gather-scatter).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from hwsim.sparsity.banks import expected_max_bin_load
from hwsim.sparsity.lanes import expected_max_binomial
from hwsim.sparsity.patterns.base import Fraction, MatrixShape, PatternSpec
from hwsim.sparsity.patterns.topk import keep_top


def random_occupancy(d: float, bh: int, bw: int) -> float:
    """P(a bh x bw tile holds a nonzero) for i.i.d. weights of density ``d``."""
    return 1.0 - (1.0 - d) ** (bh * bw)


def random_nm_conformance(d: float, n: int, m: int) -> float:
    """P(at most n nonzeros among m i.i.d. weights of density ``d``): a binomial CDF."""
    from scipy import stats  # deferred: importing it costs ~1 s at start-up
    return float(stats.binom.cdf(n, m, d))


def random_imbalance(d: float, lanes: int, seg: int) -> float:
    """E[max of ``lanes`` Binomial(seg, d) segment loads] / their mean."""
    mean = seg * d
    return expected_max_binomial(seg, d, lanes) / mean


def random_gather_cycles(lanes: int, banks: int) -> float:
    """Cycles of a gather of ``lanes`` uniformly random columns: the expected busiest of
    ``banks`` bins, at least one."""
    return max(1.0, expected_max_bin_load(lanes, banks))


class Unstructured(PatternSpec):
    """Zeros anywhere: random (i.i.d.) or magnitude-like (rows of different importance)."""

    pattern: Literal["unstructured"] = "unstructured"
    sparsity: Fraction
    distribution: Literal["random", "magnitude"] = "random"

    @property
    def _label(self) -> str:
        return f"unstructured {self.sparsity:.0%}"

    @property
    def weight_density(self) -> float:
        return 1.0 - self.sparsity

    @property
    def _iid(self) -> bool:
        """Closed forms hold for i.i.d. zeros; magnitude pruning is measured on its mask."""
        return self.distribution == "random"

    def occupancy(self, shape: MatrixShape, bh: int, bw: int) -> float | None:
        return random_occupancy(self.weight_density, bh, bw) if self._iid else None

    def nm_conformance(self, shape: MatrixShape, n: int, m: int) -> float | None:
        return random_nm_conformance(self.weight_density, n, m) if self._iid else None

    def imbalance(self, shape: MatrixShape, lanes: int, seg: int) -> float | None:
        if not self._iid:
            return None
        d = self.weight_density
        return 1.0 if d >= 1.0 else random_imbalance(d, lanes, seg)

    def locality(self) -> float:
        return 1.0

    def mask(self, shape: MatrixShape, lanes: int = 16, level: int = 0) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        scores = rng.random((shape.rows, shape.cols))
        if self.distribution == "magnitude":
            # |w| of Gaussian weights whose rows differ in scale (lognormal, sigma 0.2): the
            # global top-|w| keeps more of the important rows, as magnitude pruning does.
            scale = rng.lognormal(0.0, 0.2, size=(shape.rows, 1))
            scores = np.abs(rng.standard_normal((shape.rows, shape.cols))) * scale
        return keep_top(scores, self.weight_density)

    def gather_cycles(self, lanes: int, banks: int) -> float:
        return random_gather_cycles(lanes, banks)

"""Block sparsity: zero (rows x columns) tiles of the weight matrix, optionally after a row
permutation that clusters the nonzeros into blocks (Shfl-BW)."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import field_validator

from hwsim.sparsity.banks import expected_max_bin_load
from hwsim.sparsity.lanes import expected_max_binomial
from hwsim.sparsity.patterns.base import Fraction, MatrixShape, PatternSpec, parse_size
from hwsim.sparsity.patterns.topk import keep_top


def block_mask(rows: int, cols: int, bh: int, bw: int, density: float,
               rng: np.random.Generator) -> np.ndarray:
    """Keep round(density * blocks) random (bh x bw) blocks (edge blocks clipped)."""
    br, bc = -(-rows // bh), -(-cols // bw)
    blocks = keep_top(rng.random((br, bc)), density)
    return np.repeat(np.repeat(blocks, bh, axis=0), bw, axis=1)[:rows, :cols]


class Block(PatternSpec):
    """Zero blocks of ``size`` = (rows, columns) of the weight matrix."""

    pattern: Literal["block"] = "block"
    sparsity: Fraction
    size: tuple[int, int] = (4, 4)

    _size = field_validator("size", mode="before")(parse_size)

    @field_validator("size")
    @classmethod
    def _pos(cls, v: tuple[int, int]) -> tuple[int, int]:
        if min(v) <= 0:
            raise ValueError("block size must be positive")
        return v

    @property
    def _label(self) -> str:
        return f"block {self.size[0]}x{self.size[1]} {self.sparsity:.0%}"

    @property
    def weight_density(self) -> float:
        return 1.0 - self.sparsity

    @property
    def block_size(self) -> tuple[int, int]:
        return self.size

    def occupancy(self, shape: MatrixShape, bh: int, bw: int) -> float:
        """A tile spans nh x nw independent blocks (one when it is smaller than a block)."""
        nh = math.ceil(bh / self.size[0]) if bh >= self.size[0] else 1
        nw = math.ceil(bw / self.size[1]) if bw >= self.size[1] else 1
        return 1.0 - (1.0 - self.weight_density) ** (nh * nw)

    def nm_conformance(self, shape: MatrixShape, n: int, m: int) -> float:
        d, bw = self.weight_density, self.size[1]
        if bw >= m and bw % m == 0:
            return 1.0 - d  # a group is all zero (conforms) or all nonzero (does not)
        k = max(1, m // bw)
        from scipy import stats  # deferred: importing it costs ~1 s at start-up
        return float(stats.binom.cdf(n // bw, k, d))

    def imbalance(self, shape: MatrixShape, lanes: int, seg: int) -> float:
        d = self.weight_density
        if d >= 1.0:
            return 1.0
        bh, bw = self.size
        groups = max(1, math.ceil(lanes / bh))  # rows of one block row move together
        # A segment spans ceil(seg / bw) blocks (the last one possibly cut): each is kept or not
        # as a whole, so the busiest row holds the most kept blocks of its group.
        nb = max(1, math.ceil(seg / bw))
        return expected_max_binomial(nb, d, groups) / (nb * d)

    def locality(self) -> float:
        return 1.0

    def mask(self, shape: MatrixShape, lanes: int = 16, level: int = 0) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        return block_mask(shape.rows, shape.cols, *self.size, self.weight_density, rng)

    def gather_cycles(self, lanes: int, banks: int) -> float:
        run = max(1, self.size[1])  # consecutive columns: distinct banks within a block
        groups = max(1, math.ceil(lanes / run))
        return max(1.0, expected_max_bin_load(groups, max(1, banks // run)))


class ShuffledBlock(Block):
    """Block sparsity after a row permutation (Shfl-BW, DAC 2022): rows are gathered so that
    nonzeros cluster into blocks; the permutation costs an index per row and a gather/scatter
    of the output rows."""

    pattern: Literal["shuffled_block"] = "shuffled_block"  # type: ignore[assignment]
    size: tuple[int, int] = (32, 1)

    @property
    def _label(self) -> str:
        return f"shuffled block {self.size[0]}x{self.size[1]} {self.sparsity:.0%}"

    @property
    def permuted_rows(self) -> bool:
        return True

    def mask(self, shape: MatrixShape, lanes: int = 16, level: int = 0) -> np.ndarray:
        """The stored mask: blocks of the permuted matrix, rows back in their own order."""
        rng = np.random.default_rng(self.seed)
        mask = block_mask(shape.rows, shape.cols, *self.size, self.weight_density, rng)
        return mask[rng.permutation(shape.rows)]

    def statistics_mask(self, shape: MatrixShape) -> np.ndarray:
        """The kernel gathers rows so that the blocks line up: statistics are of the permuted
        matrix, i.e. of the plain block pattern."""
        return super().mask(shape)

"""SparsityProfile: the statistics of a layer's sparsity that hardware cares about.

Computed analytically from a pattern spec (closed forms, which each pattern family provides;
expected maximum of binomials via scipy for load imbalance) or exactly from a mask. Both answer
the same questions:
  * density of weights and input activations;
  * occupancy: the fraction of (bh x bw) tiles of the weight matrix holding any nonzero, which a
    block-skipping array or a block-sparse kernel must still process;
  * N:M conformance: the fraction of m-groups with at most n nonzeros;
  * imbalance: E[max over L lockstep lanes of the nonzeros in a lane's row segment] / E[mean];
  * storage: value and metadata bits in a given format;
  * structure a target exploits: block size, row permutation, bank-balanced rows, gather cost.
Where a family has no closed form (small-world, magnitude pruning, nested levels, some N:M
cases) the statistic is measured exactly on the family's generated mask.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from hwsim.sparsity.formats import MatrixStats, storage_bits
from hwsim.sparsity.lanes import expected_max_binomial
from hwsim.sparsity.patterns.base import MatrixShape
from hwsim.sparsity.spec import Dense, Pattern

__all__ = ["SparsityProfile", "expected_max_binomial"]


@dataclass(frozen=True)
class SparsityProfile:
    """Sparsity statistics of one layer's weight matrix (rows x cols) and its inputs."""

    rows: int
    cols: int
    rs: int = 1
    spec: Pattern = field(default_factory=Dense)
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)
    input_density: float = 1.0
    from_mask: bool = False
    output_density: float = 1.0  # of the activations the layer writes

    # ---- basic quantities -----------------------------------------------------------------
    @property
    def pattern(self) -> str:
        """The pattern's name, or 'mask' for a real mask."""
        return "mask" if self.from_mask else self.spec.pattern

    @property
    def label(self) -> str:
        """Short human label of the pattern, or 'real mask'."""
        return "real mask" if self.from_mask else self.spec.label

    @cached_property
    def weight_density(self) -> float:
        """Fraction of nonzero weights (of the mask if there is one)."""
        if self.mask is not None:
            return float(self.mask.mean())
        return self.spec.density(self.shape)

    @property
    def nnz(self) -> float:
        """Expected number of nonzero weights."""
        return self.weight_density * self.rows * self.cols

    @property
    def shape(self) -> MatrixShape:
        """The weight matrix the statistics are of."""
        return MatrixShape(self.rows, self.cols, self.rs)

    @cached_property
    def _mask(self) -> np.ndarray:
        """The real mask, or one generated from the spec (for statistics without closed
        forms), as the hardware sees it."""
        if self.mask is not None:
            return self.mask
        return self.spec.statistics_mask(self.shape)

    # ---- occupancy ---------------------------------------------------------------------------
    def occupancy(self, bh: int, bw: int) -> float:
        """Fraction of (bh x bw) tiles of the weight matrix that hold at least one nonzero."""
        bh, bw = max(1, min(bh, self.rows)), max(1, min(bw, self.cols))
        if self.mask is None:
            if self.weight_density >= 1.0:
                return 1.0
            closed = self.spec.occupancy(self.shape, bh, bw)
            if closed is not None:
                return closed
        return _mask_occupancy(self._mask, bh, bw)

    # ---- N:M conformance -------------------------------------------------------------------
    def nm_conformance(self, n: int, m: int) -> float:
        """Fraction of groups of m consecutive weights in a row holding at most n nonzeros."""
        if self.mask is None:
            if n >= m:
                return 1.0
            closed = self.spec.nm_conformance(self.shape, n, m)
            if closed is not None:
                return closed
        return _mask_nm_conformance(self._mask, n, m)

    def conforms(self, n: int, m: int) -> bool:
        """Whether every group fits n:m (what a 2:4 sparse tensor core requires)."""
        return self.nm_conformance(n, m) >= 1.0 - 1e-12

    # ---- load imbalance --------------------------------------------------------------------
    def imbalance(self, lanes: int, seg: int | None = None) -> float:
        """E[max nonzeros over ``lanes`` lockstep rows] / E[nonzeros per row], for row segments
        of ``seg`` weights (default: whole rows). 1.0 = perfectly balanced."""
        seg = self.cols if seg is None else max(1, min(seg, self.cols))
        lanes = max(1, min(lanes, self.rows))
        if self.weight_density <= 0 or lanes == 1:
            return 1.0
        if self.mask is None:
            closed = self.spec.imbalance(self.shape, lanes, seg)
            if closed is not None:
                return closed
        return _mask_imbalance(self._mask, lanes, seg)

    # ---- wiring locality ---------------------------------------------------------------------
    def locality(self) -> float:
        """Mean distance between connected output and input neurons, relative to random wiring.

        Outputs and inputs are laid out in order on a ring of unit length (as a spatial array
        places neurons); a random connection spans 1/4 on average. 1.0 for dense, random and
        structured patterns; well below 1 for small-world connectivity, whose edges stay local.
        """
        if self.mask is None:
            closed = self.spec.locality()
            if closed is not None:
                return closed
        r, c = np.nonzero(self._mask)
        if r.size == 0:
            return 1.0
        d = np.abs((r + 0.5) / self.rows - (c + 0.5) / self.cols)
        return float(np.minimum(d, 1.0 - d).mean() / 0.25)

    # ---- structure targets exploit -----------------------------------------------------------
    @property
    def block_size(self) -> tuple[int, int] | None:
        """(rows, cols) of the blocks of a block-sparse pattern (plain or shuffled), else None."""
        return self.spec.block_size

    @property
    def permuted_rows(self) -> bool:
        """Whether the kernel gathers rows by a permutation first (shuffled blocks)."""
        return self.spec.permuted_rows

    @property
    def balanced_rows(self) -> bool:
        """Whether every row is balanced over the banks by construction (gather-scatter)."""
        return self.spec.balanced_rows

    def gather_cycles(self, lanes: int, banks: int) -> float:
        """Cycles per gather of ``lanes`` activations from ``banks`` banks (1.0 =
        conflict-free)."""
        return self.spec.gather_cycles(lanes, banks)

    # ---- storage ---------------------------------------------------------------------------
    def storage_bits(self, fmt: str, value_bits: float, block: tuple[int, int] = (4, 4),
                     run_bits: int = 4) -> tuple[float, float]:
        """(value bits, metadata bits) of the weights stored in ``fmt``."""
        bh, bw = block
        occ = self.occupancy(bh, bw) * math.ceil(self.rows / bh) * math.ceil(self.cols / bw)
        st = MatrixStats(self.rows, self.cols, self.nnz, occ, block, self.spec.nm_group)
        return storage_bits(fmt, st, value_bits, run_bits)


def _mask_occupancy(mask: np.ndarray, bh: int, bw: int) -> float:
    r, c = mask.shape
    pr, pc = -(-r // bh) * bh, -(-c // bw) * bw
    padded = np.zeros((pr, pc), dtype=bool)
    padded[:r, :c] = mask
    tiles = padded.reshape(pr // bh, bh, pc // bw, bw).any(axis=(1, 3))
    return float(tiles.mean())


def _mask_nm_conformance(mask: np.ndarray, n: int, m: int) -> float:
    r, c = mask.shape
    pc = -(-c // m) * m
    padded = np.zeros((r, pc), dtype=bool)
    padded[:, :c] = mask
    counts = padded.reshape(r, pc // m, m).sum(axis=2)
    return float((counts <= n).mean())


def _mask_imbalance(mask: np.ndarray, lanes: int, seg: int) -> float:
    """Exact: rows are dealt to lanes in consecutive groups of ``lanes``; each step every lane
    handles one segment; the step lasts as long as its busiest lane."""
    r, c = mask.shape
    nseg = -(-c // seg)
    pc = nseg * seg
    padded = np.zeros((r, pc), dtype=bool)
    padded[:, :c] = mask
    counts = padded.reshape(r, nseg, seg).sum(axis=2).astype(float)  # (rows, segments)
    ngroups = -(-r // lanes)
    pr = ngroups * lanes
    full = np.zeros((pr, nseg))
    full[:r] = counts
    per_group = full.reshape(ngroups, lanes, nseg)
    busiest = per_group.max(axis=1).sum()
    total = counts.sum()
    if total == 0:
        return 1.0
    mean_lane = total / (r * nseg) * (ngroups * nseg)  # sum over steps of the mean lane load
    return float(busiest / mean_lane)

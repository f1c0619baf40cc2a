"""SparsityProfile: the statistics of a layer's sparsity that hardware cares about.

Computed analytically from a pattern spec (closed forms; expected maximum of binomials via
scipy for load imbalance) or exactly from a mask. Both answer the same questions:
  * density of weights and input activations;
  * occupancy: the fraction of (bh x bw) tiles of the weight matrix holding any nonzero, which a
    block-skipping array or a block-sparse kernel must still process;
  * N:M conformance: the fraction of m-groups with at most n nonzeros;
  * imbalance: E[max over L lockstep lanes of the nonzeros in a lane's row segment] / E[mean];
  * storage: value and metadata bits in a given format.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import stats

from hwsim.sparsity.formats import MatrixStats, storage_bits
from hwsim.sparsity.masks import generate_mask, gs_row_nonzeros
from hwsim.sparsity.spec import (
    NM,
    Block,
    Channel,
    Dense,
    GatherScatter,
    Nested,
    ShuffledBlock,
    SmallWorld,
    Unstructured,
)


def expected_max_binomial(n: int, p: float, lanes: int) -> float:
    """E[max of ``lanes`` i.i.d. Binomial(n, p)] = sum_k (1 - F(k)^lanes), k = 0..n-1."""
    if n <= 0 or p <= 0.0:
        return 0.0
    if p >= 1.0 or lanes <= 1:
        return n * min(p, 1.0)
    k = np.arange(n)
    cdf = stats.binom.cdf(k, n, p)
    return float(np.sum(1.0 - cdf**lanes))


@dataclass(frozen=True)
class SparsityProfile:
    """Sparsity statistics of one layer's weight matrix (rows x cols) and its inputs."""

    rows: int
    cols: int
    rs: int = 1
    spec: object = field(default_factory=Dense)
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)
    input_density: float = 1.0
    from_mask: bool = False

    # ---- basic quantities -----------------------------------------------------------------
    @property
    def pattern(self) -> str:
        return "mask" if self.from_mask else getattr(self.spec, "pattern", "dense")

    @property
    def label(self) -> str:
        return "real mask" if self.from_mask else getattr(self.spec, "label", "dense")

    @cached_property
    def weight_density(self) -> float:
        if self.mask is not None:
            return float(self.mask.mean())
        if isinstance(self.spec, GatherScatter):
            return self._gs_density
        return float(self.spec.weight_density)  # type: ignore[attr-defined]

    @property
    def nnz(self) -> float:
        return self.weight_density * self.rows * self.cols


    @property
    def _gs_density(self) -> float:
        """Balanced rows keep a whole number of nonzeros (at least one) per row."""
        return gs_row_nonzeros(self.spec.weight_density, self.cols) / self.cols  # type: ignore

    @cached_property
    def _mask(self) -> np.ndarray:
        """The real mask, or one generated from the spec (for patterns without closed forms)."""
        if self.mask is not None:
            return self.mask
        if isinstance(self.spec, ShuffledBlock):
            # The kernel gathers rows so that the blocks line up: statistics are of the
            # permuted matrix, i.e. of the plain block pattern.
            plain = Block(sparsity=self.spec.sparsity, size=self.spec.size, seed=self.spec.seed)
            return generate_mask(plain, self.rows, self.cols, self.rs)
        return generate_mask(self.spec, self.rows, self.cols, self.rs)

    @property
    def _exact(self) -> bool:
        """Answer from a mask: real masks, and generated ones where no closed form exists."""
        if self.mask is not None:
            return True
        s = self.spec
        return (isinstance(s, SmallWorld)
                or (isinstance(s, Unstructured) and s.distribution == "magnitude")
                or isinstance(s, Nested))

    # ---- occupancy ---------------------------------------------------------------------------
    def occupancy(self, bh: int, bw: int) -> float:
        """Fraction of (bh x bw) tiles of the weight matrix that hold at least one nonzero."""
        bh, bw = max(1, min(bh, self.rows)), max(1, min(bw, self.cols))
        if self._exact:
            return _mask_occupancy(self._mask, bh, bw)
        s, d = self.spec, self.weight_density
        if d >= 1.0:
            return 1.0
        if isinstance(s, (Block, ShuffledBlock)):
            nh = math.ceil(bh / s.size[0]) if bh >= s.size[0] else 1
            nw = math.ceil(bw / s.size[1]) if bw >= s.size[1] else 1
            return 1.0 - (1.0 - d) ** (nh * nw)
        if isinstance(s, NM):
            unit = self.rs if s.granularity == "kernel" else 1
            span = s.m * unit
            if bw >= span:
                return 1.0
            units = max(1, bw // unit)
            empty_row = math.comb(s.m - units, s.n) / math.comb(s.m, s.n) if units <= s.m else 0
            return 1.0 - empty_row**bh
        if isinstance(s, Channel):
            return 1.0 - (1.0 - d) ** bh
        return 1.0 - (1.0 - d) ** (bh * bw)  # unstructured, gather-scatter

    # ---- N:M conformance -------------------------------------------------------------------
    def nm_conformance(self, n: int, m: int) -> float:
        """Fraction of groups of m consecutive weights in a row holding at most n nonzeros."""
        if self._exact:
            return _mask_nm_conformance(self._mask, n, m)
        s, d = self.spec, self.weight_density
        if n >= m:
            return 1.0
        if isinstance(s, NM):
            unit = self.rs if s.granularity == "kernel" else 1
            if unit == 1 and s.m % m == 0:
                # m-groups inside an s.m group holding s.n nonzeros: hypergeometric count.
                return float(stats.hypergeom.cdf(n, s.m, s.n, m))
            if unit == 1 and m % s.m == 0:
                return 1.0 if (m // s.m) * s.n <= n else 0.0
            return _mask_nm_conformance(self._mask, n, m)
        if isinstance(s, (Block, ShuffledBlock)):
            bw = s.size[1]
            if bw >= m and bw % m == 0:
                return 1.0 - d  # a group is all zero (conforms) or all nonzero (does not)
            k = max(1, m // bw)
            return float(stats.binom.cdf(n // bw, k, d))
        if isinstance(s, Channel):
            return 1.0 - d
        return float(stats.binom.cdf(n, m, d))  # unstructured, gather-scatter

    def conforms(self, n: int, m: int) -> bool:
        """Whether every group fits n:m (what a 2:4 sparse tensor core requires)."""
        return self.nm_conformance(n, m) >= 1.0 - 1e-12

    # ---- load imbalance --------------------------------------------------------------------
    def imbalance(self, lanes: int, seg: int | None = None) -> float:
        """E[max nonzeros over ``lanes`` lockstep rows] / E[nonzeros per row], for row segments
        of ``seg`` weights (default: whole rows). 1.0 = perfectly balanced."""
        seg = self.cols if seg is None else max(1, min(seg, self.cols))
        lanes = max(1, min(lanes, self.rows))
        d = self.weight_density
        if d <= 0 or lanes == 1:
            return 1.0
        if self._exact:
            return _mask_imbalance(self._mask, lanes, seg)
        s = self.spec
        mean = seg * d
        if isinstance(s, (Dense, Channel)) or d >= 1.0:
            return 1.0
        if isinstance(s, GatherScatter) and seg >= self.cols:
            return 1.0  # balanced by construction over each row's banks
        if isinstance(s, NM):
            unit = self.rs if s.granularity == "kernel" else 1
            if seg % (s.m * unit) == 0:
                return 1.0
            return _mask_imbalance(self._mask, lanes, seg)
        if isinstance(s, (Block, ShuffledBlock)):
            bh, bw = s.size
            groups = max(1, math.ceil(lanes / bh))  # rows of one block row move together
            nb = max(1, seg // bw)
            return bw * expected_max_binomial(nb, d, groups) / mean
        return expected_max_binomial(seg, d, lanes) / mean

    # ---- wiring locality ---------------------------------------------------------------------
    def locality(self) -> float:
        """Mean distance between connected output and input neurons, relative to random wiring.

        Outputs and inputs are laid out in order on a ring of unit length (as a spatial array
        places neurons); a random connection spans 1/4 on average. 1.0 for dense, random and
        structured patterns; well below 1 for small-world connectivity, whose edges stay local.
        """
        if not isinstance(self.spec, SmallWorld) and self.mask is None:
            return 1.0
        r, c = np.nonzero(self._mask)
        if r.size == 0:
            return 1.0
        d = np.abs((r + 0.5) / self.rows - (c + 0.5) / self.cols)
        return float(np.minimum(d, 1.0 - d).mean() / 0.25)

    # ---- storage ---------------------------------------------------------------------------
    def storage_bits(self, fmt: str, value_bits: float, block: tuple[int, int] = (4, 4),
                     run_bits: int = 4) -> tuple[float, float]:
        """(value bits, metadata bits) of the weights stored in ``fmt``."""
        bh, bw = block
        occ = self.occupancy(bh, bw) * math.ceil(self.rows / bh) * math.ceil(self.cols / bw)
        m = getattr(self.spec, "m", 4)
        st = MatrixStats(self.rows, self.cols, self.nnz, occ, block, m)
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

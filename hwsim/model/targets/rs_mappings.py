"""The row-stationary search space: every mapping of a layer with its dense activity, as arrays.

The folding rules and counts are those of ``hwsim.model.targets.row_stationary`` (its module
docstring); here they are enumerated and computed for all candidates at once, one array entry
per mapping in search order, so that the target ranks them with array-valued accounting. Each
formula keeps the one-mapping order of operations, and what is an integer there is one here
(int64, or Python integers for a layer whose products could overflow it), so every entry is the
very float that one mapping's arithmetic gives.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from hwsim.model.loopnest import LoopNest
from hwsim.model.memo import byte_lru
from hwsim.model.num import Num


@dataclass(frozen=True)
class RSMapping:
    """One row-stationary mapping: PE-set width ``e`` (output rows), ``sets`` = r x t, ``p``
    filters and ``q`` channels per PE, ``n`` ifmaps per pass, psums of ``m`` filters in the
    global buffer (``spill``: not even p x t filters' psums fit)."""

    e: int
    r: int
    t: int
    p: int
    q: int
    n: int
    m: int
    spill: bool


@dataclass(frozen=True)
class RSActivity:
    """Dense counts of one mapping (floats) or of every candidate (arrays, search order; a
    count the same for all is a float), whole layer: cycles, element accesses per operand's
    buffer, register accesses, bit-hops, and DRAM elements per operand (useful) with the
    contiguous run each comes in (bytes) and the partial-sum spill (bytes, out and back)."""

    cycles: Num
    reads: tuple[Num, Num, Num]  # weights, inputs, outputs (psum units of the nest)
    writes: tuple[Num, Num, Num]
    rf: Num
    hop_bits: Num
    dram_elems: tuple[Num, Num, Num]  # weights, inputs, outputs (results only)
    runs: tuple[Num, Num, Num]  # contiguous DRAM run per operand, bytes
    spill_bytes: Num
    pass_bytes: Num  # one pass's filters and ifmap rows, the last strip's outputs

    def at(self, i: int) -> RSActivity:
        """Candidate ``i`` of a table's activity, as floats."""
        return self._map(lambda v: float(v[i]) if isinstance(v, np.ndarray) else v)

    def _map(self, f: Callable[[Num], Num]) -> RSActivity:
        def three(x: tuple[Num, Num, Num]) -> tuple[Num, Num, Num]:
            return f(x[0]), f(x[1]), f(x[2])

        return RSActivity(f(self.cycles), three(self.reads), three(self.writes), f(self.rf),
                          f(self.hop_bits), three(self.dram_elems), three(self.runs),
                          f(self.spill_bytes), f(self.pass_bytes))

    def arrays(self) -> list[np.ndarray]:
        """The arrays held (the counts that differ between candidates)."""
        out: list[np.ndarray] = []

        def keep(v: Num) -> Num:
            if isinstance(v, np.ndarray):
                out.append(v)
            return v

        self._map(keep)
        return out


#: Rows of ``RSTable.params``.
PARAMS = ("e", "r", "t", "p", "q", "n", "m", "spill")


@dataclass(frozen=True)
class RSTable:
    """Every feasible row-stationary mapping of one layer, in search order: its parameters
    (rows PARAMS, spill as 0/1) and its dense activity, one array entry per candidate."""

    params: np.ndarray  # (8, M) int64
    act: RSActivity

    def __len__(self) -> int:
        return int(self.params.shape[1])

    def mapping(self, i: int) -> RSMapping:
        e, r, t, p, q, n, m, spill = (int(v) for v in self.params[:, i])
        return RSMapping(e, r, t, p, q, n, m, bool(spill))


@dataclass(frozen=True)
class _Layer:
    """What every mapping of one layer shares: the loop nest and its derived geometry."""

    nest: LoopNest
    cap_i: float  # bytes of the buffer holding inputs
    cap_o: float  # bytes of the buffer holding outputs
    shared: bool  # inputs and outputs in one buffer
    psum_b: float  # bytes of a partial sum in the array
    r_rows: int  # filter rows a PE set keeps (R, or the array's rows when R is taller)
    rch: int  # filter-row chunks (R > rows): their psums add up in the global buffer
    cols_in: int  # ifmap columns the F outputs of a row read


def _rows_in(out_rows: np.ndarray, stride: int, dil: int, k: int, full: int) -> np.ndarray:
    """Input rows that ``out_rows`` output rows read."""
    return np.minimum((out_rows - 1) * stride + (k - 1) * dil + 1, full)


def _rows_total(total: int, e: np.ndarray, stride: int, dil: int, k: int,
                full: int) -> np.ndarray:
    """Input rows read over all strips of ``e`` output rows (the halo read again per strip)."""
    whole = total // e
    rem = total - whole * e
    rows = whole * _rows_in(e, stride, dil, k, full)
    return rows + np.where(rem > 0, _rows_in(np.maximum(rem, 1), stride, dil, k, full), 0)


def _ceil_div(a: int | np.ndarray, b: np.ndarray) -> np.ndarray:
    """ceil(a / b) of positive integers, exactly (math.ceil(a / b) below 2**53)."""
    return -(-a // b)


def placement(rows: int, cols: int, r_rows: int, e: int) -> int:
    """PE sets of ``r_rows`` x ``e`` that fit a rows x cols array (0: none): a set wider than
    the array is cut into strips of ``cols`` stacked vertically."""
    width = min(e, cols)
    strips = math.ceil(e / cols)
    return ((rows // r_rows) // strips) * (cols // width)


def _widths(extent: int) -> list[int]:
    """Strip widths worth trying: the narrowest for each number of strips."""
    return sorted({math.ceil(extent / f) for f in range(1, extent + 1)}, reverse=True)


@lru_cache(maxsize=1 << 14)
def _shares(extent: int, copies: int, most: int) -> tuple[int, ...]:
    """Per-PE shares ``x`` (1..most) of a dimension split over ``copies`` replicas worth
    trying: from the largest down, each that pads ``extent`` less than every larger one
    (ceil(extent / (x copies)) x x copies), so fewer passes and less padding both appear."""
    out: list[int] = []
    waste = math.inf
    for x in range(most, 0, -1):
        padded = math.ceil(extent / (x * copies)) * x * copies
        if padded < waste:
            out.append(x)
            waste = padded
    return tuple(out)  # read-only: shared through the cache


def _batches(n: int) -> list[int]:
    out = {n}
    k = 1
    while k < n:
        out.add(k)
        k *= 2
    return sorted(out)


def _shapes(lay: _Layer, rows: int, cols: int, words: tuple[float, float, float]) -> np.ndarray:
    """(e, r, t, p, q, n) of every mapping the scratchpads allow, in search order (e, r, q, p,
    n from outermost), as the rows of a (6, M) array."""
    nest = lay.nest
    K, C, E, S = nest.K, nest.C, nest.P, nest.S
    f_words, i_words, p_words = words
    heads: list[tuple[int, int, int, int]] = []  # e, r, t, q
    ps: list[tuple[int, ...]] = []  # the p of each
    for e in _widths(E):
        sets = placement(rows, cols, lay.r_rows, e)
        for r in (d for d in range(1, sets + 1) if sets % d == 0):
            t = sets // r
            for q in _shares(C, r, min(int(i_words // S), C)):
                heads.append((e, r, t, q))
                ps.append(_shares(K, t, min(int(p_words), int(f_words // (q * S)), K)))
    per_head = np.fromiter(map(len, ps), dtype=np.int64, count=len(ps))
    ertq = np.repeat(np.array(heads, dtype=np.int64).reshape(-1, 4), per_head, axis=0)
    p = np.fromiter(itertools.chain.from_iterable(ps), dtype=np.int64, count=len(ertq))
    batches = np.array(_batches(nest.N), dtype=np.int64)
    ertpq = np.repeat(np.column_stack([ertq[:, :3], p, ertq[:, 3]]), len(batches), axis=0)
    return np.column_stack([ertpq, np.tile(batches, len(ertq))]).T


def _table_bytes(table: RSTable) -> int:
    return int(table.params.nbytes + sum(a.nbytes for a in table.act.arrays()))


#: Integers below this are computed in int64; a layer whose products could reach it, with Python
#: integers (exact at any size, as the one-mapping arithmetic is, and slower).
INT64_SAFE = 2**62
#: Memory the candidate tables of one process may hold (hwsim.model.memo): about 150 tables
#: of ResNet-class layers (some 1,300 candidates, ~0.2 MB each).
TABLE_CACHE_BYTES = 32 << 20


@byte_lru(TABLE_CACHE_BYTES, _table_bytes)
def rs_candidates(nest: LoopNest, rows: int, cols: int, words: tuple[float, float, float],
                  glb: tuple[float, float, bool], psum_b: float) -> RSTable:
    """Every feasible row-stationary mapping of ``nest`` with its dense activity.

    ``words``: filter, ifmap and psum scratchpad words per PE; ``glb``: capacities (bytes) of
    the buffers holding inputs and outputs, and whether they are one buffer; ``psum_b``: bytes
    of a partial sum in the array (pure: cached across evaluations)."""
    F, R, S = nest.Q, nest.R, nest.S
    lay = _Layer(nest, glb[0], glb[1], glb[2], psum_b, min(R, rows), math.ceil(R / rows),
                 min((F - 1) * nest.stride[1] + (S - 1) * nest.dilation[1] + 1, nest.W))
    shapes = _shapes(lay, rows, cols, words)
    # Every integer of the arithmetic is at most this (64 G N K C E H W R S x PEs: a bit-hop
    # count multiplies by up to 32 bits and by the partial-sum rows, so generously).
    bound = (64 * nest.G * nest.N * nest.K * nest.C * nest.P * nest.H * nest.W * R * S
             * max(1, rows * cols))
    params, act = _activity(lay, shapes if bound < INT64_SAFE else shapes.astype(object))
    for a in (params, *act.arrays()):
        a.flags.writeable = False  # shared through the cache
    return RSTable(params, act)


def _activity(lay: _Layer, shapes: np.ndarray) -> tuple[np.ndarray, RSActivity]:
    """Parameters and dense activity of the mappings ``shapes`` (rows e, r, t, p, q, n) whose
    chunk of ifmap rows fits the global buffer (``m`` and ``spill`` follow from the buffer).

    Each line is the one-mapping formula on arrays, in the same order of operations."""
    nest = lay.nest
    G, N, K, C, E, F, R, S = (nest.G, nest.N, nest.K, nest.C, nest.P, nest.Q, nest.R, nest.S)
    e, r, t, p, q, n = shapes
    sh, dh = nest.stride[0], nest.dilation[0]
    eb, psum_b = nest.elem_bytes, lay.psum_b
    pt, qr = p * t, np.minimum(q * r, C)
    ef, kp, cq, nb = _ceil_div(E, e), _ceil_div(K, pt), _ceil_div(C, q * r), _ceil_div(N, n)
    in_rows = _rows_in(e, sh, dh, R, nest.H)
    rows_total = _rows_total(E, e, sh, dh, R, nest.H)
    ifmap = n * qr * in_rows * lay.cols_in * eb  # one chunk of ifmap rows in the GLB
    strip = n * e * F * psum_b  # one filter's psums of a strip
    room = (lay.cap_i - ifmap) if lay.shared else lay.cap_o
    ok = ~((ifmap > lay.cap_i) | (room <= 0))
    # int(room // (strip pt)) x pt, the quotient capped at K (as large a fit decides alike).
    whole = np.minimum(room // (strip * pt), K)
    fit = (whole.astype(np.int64) if shapes.dtype != object
           else np.array([int(x) for x in whole], dtype=object)) * pt
    spill = fit < pt
    m = np.where(fit >= K, K, np.maximum(fit, pt))
    outputs = N * K * E * F
    macs = float(nest.macs)
    passes = G * nb * kp * cq * ef * lay.rch
    chunks = cq * lay.rch  # psum accumulations into the GLB per output
    w_elems = G * K * C * R * S * ef * nb  # filters into the scratchpads once per pass
    i_reads = G * N * C * rows_total * lay.cols_in * kp  # ifmap rows once per filter pass
    i_elems = G * N * C * rows_total * lay.cols_in * _ceil_div(K, m)  # per group of m
    # Psums are counted in the nest's accumulator units (what the accounting sizes them by).
    o_writes = G * outputs * chunks * psum_b / nest.psum_bytes
    o_reads = G * outputs * (chunks - 1) * psum_b / nest.psum_bytes
    spill_b = np.where(spill, 2.0 * (chunks - 1) * G * outputs * psum_b, 0.0)
    # Wires: an ifmap value multicast to the PEs of its diagonal, a weight to the e PEs of its
    # row, psums up the R rows of a set column.
    bits = eb * 8
    hops = (i_reads * bits * np.minimum(lay.r_rows, e) + w_elems * bits * e
            + G * outputs * chunks * psum_b * 8 * lay.r_rows)
    runs = (np.where(qr < C, qr * R * S * eb, pt * C * R * S * eb),
            np.where(in_rows < nest.H, in_rows * nest.W * eb, C * nest.H * nest.W * eb),
            np.where(e < E, e * F * eb, K * E * F * eb))
    pass_b = pt * qr * R * S * eb + ifmap + np.minimum(m, K) * n * (E - (ef - 1) * e) * F * eb

    def keep(a: np.ndarray) -> np.ndarray:
        return np.asarray(a[ok], dtype=float)

    params = np.stack([np.asarray(a[ok], dtype=np.int64) for a in (e, r, t, p, q, n, m, spill)])
    act = RSActivity(
        keep(passes * n * p * q * S * F),  # one MAC per PE per cycle
        # Each MAC reads its weight from the PE's filter scratchpad; weights are written there
        # once per pass, into each of the e PEs of a set row.
        (macs, keep(i_reads), keep(o_reads)),
        (keep(w_elems * (e - 1)), 0.0, keep(o_writes)),
        3.0 * macs,  # ifmap read, psum read and write in the PE's registers
        keep(hops),
        (keep(w_elems), keep(i_elems), float(G * outputs)),
        (keep(runs[0]), keep(runs[1]), keep(runs[2])), keep(spill_b), keep(pass_b))
    return params, act

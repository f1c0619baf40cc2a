"""Row-stationary dataflow (Eyeriss): PE sets of 1-D convolutions, folded onto the array.

Chen, Emer, Sze, "Eyeriss: A Spatial Architecture for Energy-Efficient Dataflow for
Convolutional Neural Networks", ISCA 2016, and Chen et al., JSSC 52(1), 2017 (section numbers
not given: quoted from memory). The primitive is a 1-D convolution: a PE keeps one filter row
in its filter scratchpad and a sliding window of one ifmap row in its ifmap scratchpad, and
accumulates one output row in its psum scratchpad, S MACs per output. A *logical PE set* of
R x E PEs (filter rows x output rows) computes one 2-D convolution; psums flow up the R rows of
a column.

Folding and replication onto the rows x cols physical array (the papers' rules, recalled; the
AlexNet examples below are the JSSC paper's, recalled):

* a set keeps all R filter rows (R > rows: the filter rows go in ceil(R / rows) chunks whose
  psums add up in the global buffer) and ``e`` of the E output rows; a set wider than the
  array is cut into strips of ``cols`` columns stacked vertically (AlexNet CONV2: 5 x 27 as
  two 5-row strips of 14 and 13);
* ``sets`` = as many such sets as fit the array; each pass splits them into ``r`` sets on
  different channels and ``t`` on different filters (r x t = sets);
* every PE interleaves ``p`` filters (p psums in its psum scratchpad) and ``q`` channels
  (q windows of S in its ifmap scratchpad; p x q x S weights in its filter scratchpad), over
  ``n`` ifmaps, so one pass is p x t filters x q x r channels x e output rows x n ifmaps and
  takes n x p x q x S x F cycles (one MAC per PE per cycle);
* the global buffer holds the psums of ``m`` filters (a multiple of p x t) for the e-row strip
  of the n ifmaps, beside the ifmap rows of the current q x r channels. The passes run, from
  innermost, over the m filters, the channels, the strips, the filter groups of m, the ifmaps
  (the order m -> C -> E -> M of Eyeriss's processing passes, as lecture slides on its tiling
  give it; not checked against the paper): filters come from DRAM into
  the scratchpads once per pass, ifmaps once per group of m filters, outputs leave once. When
  not even p x t filters' psums fit, they spill to DRAM after every channel chunk.

The mapping parameters (e, p, q, r, t, n; m the largest that fits) are searched within these
constraints and ranked with ``hwsim.model.accounting``, which also states the chosen one, as
the DRAM tiling of the other dataflows is. Scratchpad sizes come from the arch's buffers:
``per_pe`` buffers holding inputs and outputs, and the buffer holding weights divided over the
PEs (Eyeriss's filter scratchpads).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from hwsim.arch.compute import SystolicCompute
from hwsim.arch.hardware import OPERANDS, Hardware
from hwsim.errors import InfeasibleHardwareError
from hwsim.model.accounting import energy_breakdown_j, latency_s, score, secondary
from hwsim.model.array import ArrayCost
from hwsim.model.cost import LayerCost
from hwsim.model.counts import Traffic, mac_counts
from hwsim.model.dram import burst_efficiency
from hwsim.model.loopnest import LoopNest
from hwsim.model.mapper import TIE_TOLERANCE
from hwsim.model.sparse import SparseEffect, apply_effect, sparse_effect
from hwsim.model.targets.array import stated_cost
from hwsim.sparsity.profile import SparsityProfile


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
    """Dense counts of one mapping, whole layer: cycles, element accesses per operand's
    buffer, register accesses, bit-hops, and DRAM elements per operand (useful) with the
    contiguous run each comes in (bytes) and the partial-sum spill (bytes, out and back)."""

    mapping: RSMapping
    cycles: float
    reads: tuple[float, float, float]  # weights, inputs, outputs (psum units of the nest)
    writes: tuple[float, float, float]
    rf: float
    hop_bits: float
    dram_elems: tuple[float, float, float]  # weights, inputs, outputs (results only)
    runs: tuple[float, float, float]  # contiguous DRAM run per operand, bytes
    spill_bytes: float
    pass_bytes: float  # one pass's filters and ifmap rows, the last strip's outputs


def _rows_in(out_rows: int, stride: int, dil: int, k: int, full: int) -> int:
    """Input rows that ``out_rows`` output rows read."""
    return min((out_rows - 1) * stride + (k - 1) * dil + 1, full)


def _rows_total(total: int, e: int, stride: int, dil: int, k: int, full: int) -> int:
    """Input rows read over all strips of ``e`` output rows (the halo read again per strip)."""
    whole, rem = divmod(total, e)
    rows = whole * _rows_in(e, stride, dil, k, full)
    return rows + (_rows_in(rem, stride, dil, k, full) if rem else 0)


def placement(rows: int, cols: int, r_rows: int, e: int) -> int:
    """PE sets of ``r_rows`` x ``e`` that fit a rows x cols array (0: none): a set wider than
    the array is cut into strips of ``cols`` stacked vertically."""
    width = min(e, cols)
    strips = math.ceil(e / cols)
    return ((rows // r_rows) // strips) * (cols // width)


def _widths(extent: int) -> list[int]:
    """Strip widths worth trying: the narrowest for each number of strips."""
    return sorted({math.ceil(extent / f) for f in range(1, extent + 1)}, reverse=True)


def _shares(extent: int, copies: int, most: int) -> list[int]:
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
    return out


def _batches(n: int) -> list[int]:
    out = {n}
    k = 1
    while k < n:
        out.add(k)
        k *= 2
    return sorted(out)


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


@lru_cache(maxsize=4096)
def rs_candidates(nest: LoopNest, rows: int, cols: int, words: tuple[float, float, float],
                  glb: tuple[float, float, bool], psum_b: float) -> tuple[RSActivity, ...]:
    """Every feasible row-stationary mapping of ``nest`` with its dense activity.

    ``words``: filter, ifmap and psum scratchpad words per PE; ``glb``: capacities (bytes) of
    the buffers holding inputs and outputs, and whether they are one buffer; ``psum_b``: bytes
    of a partial sum in the array (pure: cached across evaluations)."""
    K, C, E, F, R, S = nest.K, nest.C, nest.P, nest.Q, nest.R, nest.S
    f_words, i_words, p_words = words
    lay = _Layer(nest, glb[0], glb[1], glb[2], psum_b, min(R, rows), math.ceil(R / rows),
                 min((F - 1) * nest.stride[1] + (S - 1) * nest.dilation[1] + 1, nest.W))
    out: list[RSActivity] = []
    for e in _widths(E):
        sets = placement(rows, cols, lay.r_rows, e)
        for r in (d for d in range(1, sets + 1) if sets % d == 0):
            t = sets // r
            for q in _shares(C, r, min(int(i_words // S), C)):
                for p in _shares(K, t, min(int(p_words), int(f_words // (q * S)), K)):
                    for n in _batches(nest.N):
                        act = _activity(lay, RSMapping(e, r, t, p, q, n, 0, False))
                        if act is not None:
                            out.append(act)
    return tuple(out)


def _activity(lay: _Layer, shape: RSMapping) -> RSActivity | None:
    """The dense activity of one mapping (``m`` and ``spill`` follow from the buffer), or
    None when one chunk of ifmap rows does not fit the global buffer."""
    nest = lay.nest
    G, N, K, C, E, F, R, S = (nest.G, nest.N, nest.K, nest.C, nest.P, nest.Q, nest.R, nest.S)
    e, r, t, p, q, n = shape.e, shape.r, shape.t, shape.p, shape.q, shape.n
    sh, dh = nest.stride[0], nest.dilation[0]
    eb, psum_b = nest.elem_bytes, lay.psum_b
    pt, qr = p * t, min(q * r, C)
    ef, kp, cq, nb = (math.ceil(E / e), math.ceil(K / pt), math.ceil(C / (q * r)),
                      math.ceil(N / n))
    in_rows = _rows_in(e, sh, dh, R, nest.H)
    rows_total = _rows_total(E, e, sh, dh, R, nest.H)
    ifmap = n * qr * in_rows * lay.cols_in * eb  # one chunk of ifmap rows in the GLB
    strip = n * e * F * psum_b  # one filter's psums of a strip
    room = (lay.cap_i - ifmap) if lay.shared else lay.cap_o
    if ifmap > lay.cap_i or room <= 0:
        return None
    fit = int(room // (strip * pt)) * pt
    spill = fit < pt
    m = K if fit >= K else max(fit, pt)
    outputs = N * K * E * F
    macs = float(nest.macs)
    passes = G * nb * kp * cq * ef * lay.rch
    chunks = cq * lay.rch  # psum accumulations into the GLB per output
    w_elems = G * K * C * R * S * ef * nb  # filters into the scratchpads once per pass
    i_reads = G * N * C * rows_total * lay.cols_in * kp  # ifmap rows once per filter pass
    i_elems = G * N * C * rows_total * lay.cols_in * math.ceil(K / m)  # per group of m
    # Psums are counted in the nest's accumulator units (what the accounting sizes them by).
    o_writes = G * outputs * chunks * psum_b / nest.psum_bytes
    o_reads = G * outputs * (chunks - 1) * psum_b / nest.psum_bytes
    spill_b = 2.0 * (chunks - 1) * G * outputs * psum_b if spill else 0.0
    # Wires: an ifmap value multicast to the PEs of its diagonal, a weight to the e PEs of its
    # row, psums up the R rows of a set column.
    bits = eb * 8
    hops = (i_reads * bits * min(lay.r_rows, e) + w_elems * bits * e
            + G * outputs * chunks * psum_b * 8 * lay.r_rows)
    runs = (qr * R * S * eb if qr < C else pt * C * R * S * eb,
            in_rows * nest.W * eb if in_rows < nest.H else C * nest.H * nest.W * eb,
            e * F * eb if e < E else K * E * F * eb)
    pass_b = pt * qr * R * S * eb + ifmap + min(m, K) * n * (E - (ef - 1) * e) * F * eb
    return RSActivity(
        RSMapping(e, r, t, p, q, n, m, spill),
        float(passes * n * p * q * S * F),  # one MAC per PE per cycle
        # Each MAC reads its weight from the PE's filter scratchpad; weights are written there
        # once per pass, into each of the e PEs of a set row.
        (macs, float(i_reads), float(o_reads)),
        (float(w_elems * (e - 1)), 0.0, float(o_writes)),
        3.0 * macs,  # ifmap read, psum read and write in the PE's registers
        float(hops),
        (float(w_elems), float(i_elems), float(G * outputs)),
        runs, spill_b, float(pass_b))


def rs_array(act: RSActivity, nest: LoopNest, num_pes: int) -> ArrayCost:
    """The dense ArrayCost of one mapping."""
    m = act.mapping
    return ArrayCost(
        cycles=act.cycles,
        macs=float(nest.macs),
        num_pes=num_pes,
        buffer_reads=dict(zip(OPERANDS, act.reads, strict=True)),
        buffer_writes=dict(zip(OPERANDS, act.writes, strict=True)),
        rf_accesses=act.rf,
        hop_bits=act.hop_bits,
        granule={},
        lanes=m.p * m.t,  # filters side by side in a pass
        skip_tile=(m.p * m.t, m.q * m.r * nest.R * nest.S),
    )


def rs_traffic(act: RSActivity, nest: LoopNest, hw: Hardware, sizes: tuple[float, float]
               ) -> Traffic:
    """DRAM traffic of one mapping (compressed operands at their stored ``sizes``)."""
    eb = nest.elem_bytes
    useful: dict[str, float] = {}
    moved: dict[str, float] = {}
    scale = (sizes[0], sizes[1], 1.0)
    for j, op in enumerate(OPERANDS):
        b = act.dram_elems[j] * eb * scale[j]
        if op == "outputs":
            b += act.spill_bytes
        if op in nest.on_chip:
            b = 0.0
        useful[op] = b
        moved[op] = b / float(burst_efficiency(act.runs[j] * scale[j], hw.burst_bytes))
    spill = 0.0 if "outputs" in nest.on_chip else act.spill_bytes
    fill = {"weights": useful["weights"], "inputs": useful["inputs"], "outputs": spill / 2.0}
    return Traffic(moved, useful, fill, act.pass_bytes if hw.overlap else 0.0)


def _words(hw: Hardware, nest: LoopNest, psum_b: float) -> tuple[float, float, float]:
    """Filter, ifmap and psum scratchpad words per PE."""
    eb = nest.elem_bytes
    f_bytes = hw.pe_bytes.get("weights", hw.level_of("weights").capacity_bytes / hw.num_pes)
    i_bytes = hw.pe_bytes.get("inputs", nest.S * eb)
    p_bytes = hw.pe_bytes.get("outputs", psum_b)
    return f_bytes / eb, i_bytes / eb, p_bytes / psum_b


def row_stationary_cost(nest: LoopNest, hw: Hardware, objective: str,
                        profile: SparsityProfile | None) -> LayerCost:
    """Cost of a MAC layer on a row-stationary array (the best mapping by ``objective``)."""
    comp = hw.compute
    assert isinstance(comp, SystolicCompute)
    psum_b = comp.psum_bits / 8 if comp.psum_bits else nest.psum_bytes
    li, lo = hw.level_of("inputs"), hw.level_of("outputs")
    glb = (li.capacity_bytes, lo.capacity_bytes, li.name == lo.name)
    cands = rs_candidates(nest, comp.rows, comp.cols, _words(hw, nest, psum_b), glb, psum_b)
    if not cands:
        raise InfeasibleHardwareError(
            f"'{hw.name}': no row-stationary mapping of this layer fits: a {min(nest.R, comp.rows)}"
            f"-row PE set of a filter {nest.S} wide needs {nest.S} words in each ifmap and "
            "filter scratchpad and one ifmap chunk in the global buffer")
    effects: dict[tuple[int, tuple[int, int]], SparseEffect] = {}
    scored = []
    for act in cands:
        dense = rs_array(act, nest, comp.rows * comp.cols)
        key = (dense.lanes, dense.skip_tile)
        if key not in effects:
            effects[key] = sparse_effect(profile, hw, nest, dense)
        eff = effects[key]
        array = apply_effect(dense, eff)
        traffic = rs_traffic(act, nest, hw, (eff.weight_size, eff.input_size))
        counts = mac_counts(hw, nest, array, eff, traffic)
        lat = float(latency_s(hw, counts))
        energy = float(sum(energy_breakdown_j(hw, counts, lat).values()))
        scored.append((float(score(objective, lat, energy)),
                       float(secondary(objective, lat, energy)), act, array, eff, traffic,
                       counts))
    # As the mapper decides: the best by the objective, ties (TIE_TOLERANCE) by the secondary.
    top = min(s[0] for s in scored)
    _, _, act, array, eff, traffic, counts = min(
        (s for s in scored if s[0] <= top * (1 + TIE_TOLERANCE)), key=lambda s: s[1])
    m = act.mapping
    return stated_cost(hw, counts, array, eff, {
        "order": "row_stationary",
        "tile": {"e": m.e, "p": m.p, "q": m.q, "r": m.r, "t": m.t, "n": m.n, "m": m.m},
        "psum_spill": m.spill,
        "dram_bytes": {op: float(v) for op, v in traffic.moved.items()},
        "candidates": len(cands)})


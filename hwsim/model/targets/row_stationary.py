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
constraints (``hwsim.model.targets.rs_mappings`` enumerates them, with their activity, as
arrays) and all ranked at once with ``hwsim.model.accounting`` on array-valued counts, which
also states the chosen one, as the DRAM tiling of the other dataflows is. Scratchpad sizes
come from the arch's buffers: ``per_pe`` buffers holding inputs and outputs, and the buffer
holding weights divided over the PEs (Eyeriss's filter scratchpads).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

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
from hwsim.model.num import Num
from hwsim.model.sparse import Shape, SparseEffect, apply_effect, sparse_effects
from hwsim.model.targets.array import stated_cost
from hwsim.model.targets.rs_mappings import PARAMS, RSActivity, RSMapping, RSTable, rs_candidates
from hwsim.sparsity.profile import SparsityProfile


def rs_array(act: RSActivity, nest: LoopNest, num_pes: int, shape: RSMapping | None
             ) -> ArrayCost:
    """The dense ArrayCost of one mapping ``shape`` (its lanes and skip tile are what a sparse
    effect sees), or of a table's candidates (arrays; ``shape`` None: their effects come from
    their own shapes, ``_effects``)."""
    lanes, cols = (1, 1) if shape is None else (shape.p * shape.t,
                                                shape.q * shape.r * nest.R * nest.S)
    return ArrayCost(
        cycles=act.cycles,
        macs=float(nest.macs),
        num_pes=num_pes,
        buffer_reads=dict(zip(OPERANDS, act.reads, strict=True)),
        buffer_writes=dict(zip(OPERANDS, act.writes, strict=True)),
        rf_accesses=act.rf,
        hop_bits=act.hop_bits,
        granule={},
        lanes=lanes,  # filters side by side in a pass
        skip_tile=(lanes, cols),
    )


def rs_traffic(act: RSActivity, nest: LoopNest, hw: Hardware,
               sizes: tuple[float, float, float]) -> Traffic:
    """DRAM traffic of one mapping, or of candidates (arrays), with compressed operands at
    their stored ``sizes`` (weights, inputs, results relative to dense: floats, or arrays
    over the candidates); spilled partial sums move uncompressed."""
    eb = nest.elem_bytes
    useful: dict[str, Num] = {}
    moved: dict[str, Num] = {}
    scale = sizes
    for j, op in enumerate(OPERANDS):
        b = act.dram_elems[j] * eb * scale[j]
        if op == "outputs":
            b = b + act.spill_bytes
        if op in nest.on_chip:
            b = 0.0
        useful[op] = b
        # spilled partial sums come in the results' runs, uncompressed
        run = act.runs[j] * (1.0 if op == "outputs" else scale[j])
        moved[op] = b / burst_efficiency(run, hw.burst_bytes)
    size_o = scale[2]
    results: Num = 0.0
    results_moved: Num = 0.0
    if "outputs" not in nest.on_chip and np.any(np.asarray(size_o) != 1.0):
        # results in an output format come in shorter runs: their bytes at their own efficiency
        results = act.dram_elems[2] * eb * size_o
        results_moved = results / burst_efficiency(act.runs[2] * size_o, hw.burst_bytes)
        moved["outputs"] = moved["outputs"] + results_moved - results / burst_efficiency(
            act.runs[2], hw.burst_bytes)
    spill = 0.0 if "outputs" in nest.on_chip else act.spill_bytes
    fill = {"weights": useful["weights"], "inputs": useful["inputs"], "outputs": spill / 2.0}
    return Traffic(moved, useful, fill, act.pass_bytes if hw.overlap else 0.0,
                   coded=results, coded_moved=results_moved)


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
    table = rs_candidates(nest, comp.rows, comp.cols, _words(hw, nest, psum_b), glb, psum_b)
    if not len(table):
        raise InfeasibleHardwareError(
            f"'{hw.name}': no row-stationary mapping of this layer fits: a {min(nest.R, comp.rows)}"
            f"-row PE set of a filter {nest.S} wide needs {nest.S} words in each ifmap and "
            "filter scratchpad and one ifmap chunk in the global buffer")
    pes = comp.rows * comp.cols
    effects, shape_of = _effects(table, nest, hw, profile)
    primary, tie_break = _scores(table, nest, hw, objective, _per_candidate(effects, shape_of),
                                 pes)
    # As the mapper decides: the best by the objective, ties (TIE_TOLERANCE) by the secondary,
    # then the first in search order.
    near = np.flatnonzero(primary <= primary.min() * (1 + TIE_TOLERANCE))
    best = int(near[np.argmin(tie_break[near])])
    # The chosen mapping stated with the one-mapping arithmetic.
    m, act = table.mapping(best), table.act.at(best)
    dense = rs_array(act, nest, pes, m)
    eff = effects[shape_of[best]]
    array = apply_effect(dense, eff)
    traffic = rs_traffic(act, nest, hw, eff.stored_sizes)
    counts = mac_counts(hw, nest, array, eff, traffic)
    return stated_cost(hw, counts, array, eff, {
        "order": "row_stationary",
        "tile": {"e": m.e, "p": m.p, "q": m.q, "r": m.r, "t": m.t, "n": m.n, "m": m.m},
        "psum_spill": m.spill,
        "dram_bytes": {op: float(v) for op, v in traffic.moved.items()},
        "candidates": len(table)})


def _effects(table: RSTable, nest: LoopNest, hw: Hardware, profile: SparsityProfile | None
             ) -> tuple[list[SparseEffect], np.ndarray]:
    """The sparse effect of each (lanes, skip tile) the candidates have (lanes p t, skip tile
    p t x q r R S), and which of them each candidate has."""
    col = {k: table.params[PARAMS.index(k)] for k in "pqrt"}
    pt, qr = col["p"] * col["t"], col["q"] * col["r"]
    _, first, inverse = np.unique(pt * (int(qr.max()) + 1) + qr, return_index=True,
                                  return_inverse=True)
    cols = (qr[first] * (nest.R * nest.S)).tolist()
    shapes: list[Shape] = [(lanes, (lanes, c)) for lanes, c in zip(pt[first].tolist(), cols)]
    return sparse_effects(profile, hw, nest, shapes), np.ravel(inverse)


#: The numbers of a SparseEffect (its note aside).
_NUMBERS = tuple(f.name for f in dataclasses.fields(SparseEffect) if f.name != "note")


def _per_candidate(effects: list[SparseEffect], shape_of: np.ndarray) -> SparseEffect:
    """Every candidate's sparse effect at once: the one effect they all have (as with no
    sparsity, or none that depends on the lanes), else one whose numbers are arrays over the
    candidates (the note is the first's: scoring reads only numbers)."""
    if all(eff is effects[0] for eff in effects):
        return effects[0]
    numbers = {f: np.array([getattr(eff, f) for eff in effects]) for f in _NUMBERS}
    if all((v == v[0]).all() for v in numbers.values()):
        return effects[0]
    arrays: dict[str, Any] = {f: v[shape_of] for f, v in numbers.items()}
    return dataclasses.replace(effects[0], **arrays)


def _scores(table: RSTable, nest: LoopNest, hw: Hardware, objective: str, eff: SparseEffect,
            pes: int) -> tuple[np.ndarray, np.ndarray]:
    """Every candidate's objective and tie-breaker, from array-valued counts (``eff``: every
    candidate's sparse effect), each with the arithmetic of one mapping."""
    array = apply_effect(rs_array(table.act, nest, pes, None), eff)
    traffic = rs_traffic(table.act, nest, hw, eff.stored_sizes)
    counts = mac_counts(hw, nest, array, eff, traffic)
    lat = latency_s(hw, counts)
    energy = sum(energy_breakdown_j(hw, counts, lat).values())
    shape = (len(table),)
    return (np.broadcast_to(score(objective, lat, energy), shape),
            np.broadcast_to(secondary(objective, lat, energy), shape))

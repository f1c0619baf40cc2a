"""The four ways sparsity changes cost (docs/architecture.md), in one place for array targets.

* compression: an operand stored in a sparse format moves (values + metadata) / dense bytes;
* gating: MACs with a zero operand do not toggle: energy falls, time does not;
* skipping: only at the granularity the hardware supports (``arch.sparsity.skip``);
* imbalance: lanes in lockstep wait for the one with the most nonzeros.
Skipping never makes a layer slower than dense: hardware falls back to the dense schedule.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from hwsim.arch.hardware import Hardware
from hwsim.arch.spec import OperandFormat
from hwsim.model.array import ArrayCost
from hwsim.model.loopnest import LoopNest
from hwsim.sparsity.formats import MatrixStats, size_factor, storage_bits
from hwsim.sparsity.profile import SparsityProfile, expected_max_binomial


@dataclass(frozen=True)
class SparseEffect:
    """Multipliers a sparsity profile applies to a dense layer on one target."""

    density: float = 1.0  # weights
    input_density: float = 1.0
    work: float = 1.0  # compute time relative to dense (skipping x imbalance)
    issued: float = 1.0  # fraction of dense MACs the array still issues
    toggling: float = 1.0  # fraction of issued MACs that switch (gating)
    imbalance: float = 1.0
    weight_size: float = 1.0  # stored size relative to dense (compression)
    input_size: float = 1.0
    weight_meta_share: float = 0.0  # metadata share of the stored weight bytes
    input_meta_share: float = 0.0
    output_size: float = 1.0  # results as written to DRAM (an output format), relative to dense
    output_meta_share: float = 0.0
    output_density: float = 1.0  # nonzero share of the results (the pattern's 1 - out_act)
    locality: float = 1.0  # wire length relative to random connectivity (small-world < 1)
    note: str = ""

    @property
    def stored_sizes(self) -> tuple[float, float, float]:
        """Stored sizes of weights, inputs and results relative to dense (DRAM traffic)."""
        return self.weight_size, self.input_size, self.output_size

    @property
    def useful(self) -> float:
        """Fraction of dense MACs whose operands are both nonzero."""
        return self.density * self.input_density


DENSE = SparseEffect()
#: Topologies where an operand's wire length depends on where its consumers sit; on systolic,
#: bus and crossbar wiring the schedule fixes the distance whatever the connectivity.
DISTANCE_TOPOLOGIES = ("mesh", "tree", "graph")


def sparse_effect(profile: SparsityProfile | None, hw: Hardware, nest: LoopNest,
                  array: ArrayCost) -> SparseEffect:
    """What ``profile`` does to ``nest`` on ``hw`` (whose dense activity is ``array``)."""
    return sparse_effects(profile, hw, nest, [(array.lanes, array.skip_tile)])[0]


#: What of an array's activity a sparse effect depends on: its lockstep lanes and skip tile.
Shape = tuple[int, tuple[int, int]]


def sparse_effects(profile: SparsityProfile | None, hw: Hardware, nest: LoopNest,
                   shapes: Sequence[Shape]) -> list[SparseEffect]:
    """``sparse_effect`` on arrays of each (lanes, skip tile) in ``shapes`` (a mapping search's
    candidates): storage and wires, which do not depend on them, worked out once."""
    if profile is None:
        return [DENSE] * len(shapes)  # no sparsity asked for: dense storage, dense schedule
    storage = _storage(profile, hw, nest)
    return [_skipping(profile, hw, nest, lanes, tile, storage) for lanes, tile in shapes]


@dataclass(frozen=True)
class _Storage:
    """The part of an effect independent of the array's shape: stored sizes relative to dense
    and metadata shares of weights, inputs and outputs, wire locality, and their notes."""

    w_size: float
    i_size: float
    w_meta: float
    i_meta: float
    o_size: float
    o_meta: float
    locality: float
    notes: tuple[str, ...]


def _skipping(profile: SparsityProfile, hw: Hardware, nest: LoopNest, lanes: int,
              skip_tile: tuple[int, int], storage: _Storage) -> SparseEffect:
    """The effect on an array of ``lanes`` lockstep lanes and ``skip_tile``: skipping,
    imbalance and gating, with ``storage``."""
    sup = hw.sparsity
    dw, di = profile.weight_density, profile.input_density
    work, issued, imb, notes = 1.0, 1.0, 1.0, []

    if dw < 1.0 and sup.skip == "unstructured":
        # Lockstep lanes wait for the busiest: never faster than the average (a small mask's
        # sampled rows can hold fewer nonzeros than its density says; Hypothesis found a
        # 17 x 2 layer at 1:4 whose estimate came out at 0.91).
        imb = max(1.0, profile.imbalance(lanes))
        issued, work = dw, dw * imb
        notes.append(f"skips zero weights, {lanes} lockstep lanes wait for the busiest")
    elif dw < 1.0 and sup.skip == "nm":
        n, m = sup.nm
        if profile.conforms(n, m):
            issued = work = n / m
            notes.append(f"{n}:{m} hardware: {m / n:.0f}x on the reduction")
        else:
            notes.append(f"not {n}:{m}-conformant ({profile.nm_conformance(n, m):.1%} of "
                         "groups fit): runs dense")
    elif dw < 1.0 and sup.skip == "block":
        bh, bw = sup.block or skip_tile
        occ = profile.occupancy(bh, bw)
        issued = work = occ
        notes.append(f"skips empty {bh}x{bw} tiles ({occ:.1%} occupied)")
    elif dw < 1.0:
        notes.append("no weight skipping in this hardware")

    if 0.0 < di < 1.0 and sup.skip_inputs:
        seg = nest.C * nest.R * nest.S
        imb_i = expected_max_binomial(seg, di, lanes) / (seg * di)
        issued *= di
        work *= di * imb_i
        imb *= imb_i
        notes.append("skips zero activations")
    if work > 1.0:
        notes.append("imbalance would exceed dense: falls back to dense")
    work = min(work, 1.0)
    toggling = min(1.0, dw * di / issued) if sup.gating and issued > 0 else 1.0
    st = storage
    return SparseEffect(dw, di, work, issued, toggling, imb, st.w_size, st.i_size, st.w_meta,
                        st.i_meta, st.o_size, st.o_meta, profile.output_density, st.locality,
                        "; ".join([*notes, *st.notes]))


def _storage(profile: SparsityProfile, hw: Hardware, nest: LoopNest) -> _Storage:
    """Compression of weights, inputs and outputs, and wire locality, with their notes."""
    sup = hw.sparsity
    di = profile.input_density
    bits = nest.elem_bytes * 8
    notes: list[str] = []
    # Compression: the toolchain stores a tensor in the hardware's format only where that is
    # smaller than dense (and an n:m format only for n:m-conformant weights).
    w_size, w_meta = 1.0, 0.0
    fmt = sup.weights.format
    if fmt != "dense" and not nest.weights_are_activations:
        usable = fmt != "nm" or profile.conforms(*sup.nm)
        vb, mb = profile.storage_bits(fmt, bits, sup.weights.block, sup.weights.run_bits)
        size = (vb + mb) / (profile.rows * profile.cols * bits)
        if usable and size < 1.0:
            w_size, w_meta = size, (mb / (vb + mb) if vb + mb > 0 else 0.0)
        else:
            notes.append(f"weights stored dense ({fmt} would not be smaller)" if usable
                         else f"weights stored dense (not {sup.nm[0]}:{sup.nm[1]}-conformant)")
    # Activations: inputs as (images x channels) rows of feature-map columns, outputs likewise.
    i_size, i_meta = _activation_size(sup.inputs, nest.G * nest.N * nest.C, nest.H * nest.W,
                                      di, bits)
    o_size, o_meta = _activation_size(sup.outputs, nest.G * nest.N * nest.K, nest.P * nest.Q,
                                      profile.output_density, bits)
    locality = 1.0
    if hw.topology in DISTANCE_TOPOLOGIES:
        locality = profile.locality()
        if locality < 1.0:
            notes.append(f"local connectivity: wires {locality:.2f}x as long as random")
    return _Storage(w_size, i_size, w_meta, i_meta, o_size, o_meta, locality, tuple(notes))


def _activation_size(fmt: OperandFormat, rows: int, cols: int, density: float,
                     bits: float) -> tuple[float, float]:
    """(stored size relative to dense, metadata share) of a rows x cols activation tensor of
    ``density`` in ``fmt``: stored dense where the format would not be smaller."""
    if fmt.format == "dense":
        return 1.0, 0.0
    bh, bw = fmt.block
    occ = (1 - (1 - density) ** (bh * bw)) * -(-rows // bh) * -(-cols // bw)
    st = MatrixStats(rows, cols, density * rows * cols, occ, fmt.block)
    size = size_factor(fmt.format, st, bits, fmt.run_bits)
    if size >= 1.0:
        return 1.0, 0.0
    vb, mb = storage_bits(fmt.format, st, bits, fmt.run_bits)
    return size, (mb / (vb + mb) if vb + mb > 0 else 0.0)


def apply_effect(array: ArrayCost, eff: SparseEffect) -> ArrayCost:
    """The array's activity once skipping and compression act on it."""
    if eff is DENSE:
        return array
    reads = dict(array.buffer_reads)
    writes = dict(array.buffer_writes)
    # Compressed operands are read as their compressed stream (values + metadata); dense-stored
    # ones are read whole, zeros included, and zero-checked in the PE.
    reads["weights"] = reads.get("weights", 0.0) * eff.weight_size
    reads["inputs"] = reads.get("inputs", 0.0) * eff.input_size
    reads["outputs"] = reads.get("outputs", 0.0) * eff.issued
    writes["outputs"] = writes.get("outputs", 0.0) * eff.issued
    return dataclasses.replace(
        array,
        cycles=array.cycles * eff.work,
        buffer_reads=reads,
        buffer_writes=writes,
        rf_accesses=array.rf_accesses * eff.issued,
        hop_bits=array.hop_bits * eff.issued * eff.locality,
    )

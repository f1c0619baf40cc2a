"""Counts of a MAC layer on an array target: the array's own activity plus the DRAM traffic of
a tiling, per global buffer (the "count" stage between mapping and cost).

``Traffic`` holds one tiling's DRAM traffic per operand, or every candidate's at once (arrays),
so that the mapper ranks all candidates with exactly the counts the report then states.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hwsim.arch.hardware import OPERANDS, Hardware
from hwsim.model.accounting import Counts
from hwsim.model.array import ArrayCost
from hwsim.model.loopnest import LoopNest
from hwsim.model.num import Num
from hwsim.model.sparse import SparseEffect


@dataclass(frozen=True)
class Traffic:
    """DRAM traffic of a tiling per operand, bytes: ``moved`` (burst-rounded; outputs include
    partial-sum spills out and back), ``useful`` (before burst rounding), ``fill`` (written
    into the operand's buffer from DRAM); ``exposed`` cannot overlap compute. ``transfers``
    counts the tiles moved to or from DRAM (each pays the arch's transfer start-up),
    ``exposed_transfers`` those among them that cannot overlap compute, and ``passes`` the
    pipelined passes of the array over its tiles (each pays the array's pipeline fill).
    ``coded`` is the part of the outputs' useful bytes that are results in an output format
    (0 when they are written dense) and ``coded_moved`` those bytes as moved."""

    moved: Mapping[str, Num]
    useful: Mapping[str, Num]
    fill: Mapping[str, Num]
    exposed: Num
    transfers: Num = 0.0
    exposed_transfers: float = 0.0
    passes: Num = 0.0
    coded: Num = 0.0
    coded_moved: Num = 0.0


def _zero(x: Num) -> bool:
    """Whether ``x`` is the float 0 (a count that does not apply: no array work)."""
    return isinstance(x, float) and x == 0.0


def mac_counts(hw: Hardware, nest: LoopNest, array: ArrayCost, eff: SparseEffect,
               traffic: Traffic) -> Counts:
    """Everything a MAC layer does: array activity (sparsity applied) and a tiling's traffic.

    Buffer bytes: the array's reads and writes of each operand (outputs as partial sums), the
    fills from DRAM, and the results and spilled partial sums read out towards DRAM. Compute
    cycles: the array's, plus its pipeline fill once per pass over a tile where the arch has
    one (so the tiling decides how often it is paid).
    """
    reads: dict[str, Num] = {}
    writes: dict[str, Num] = {}
    for op in OPERANDS:
        name = hw.level_of(op).name
        size = nest.psum_bytes if op == "outputs" else nest.elem_bytes
        r: Num = array.buffer_reads.get(op, 0.0) * size
        w: Num = array.buffer_writes.get(op, 0.0) * size + traffic.fill[op]
        if op == "outputs":
            r = r + traffic.useful[op] - traffic.fill[op]
            if not _zero(traffic.coded):
                # results leave the buffer dense and are coded on their way to DRAM
                r = r + traffic.coded * (1.0 / eff.output_size - 1.0)
        reads[name] = reads.get(name, 0.0) + r
        writes[name] = writes.get(name, 0.0) + w
    moved = traffic.moved
    meta = (moved["weights"] * eff.weight_meta_share + moved["inputs"] * eff.input_meta_share)
    if not _zero(traffic.coded_moved):
        meta = meta + traffic.coded_moved * eff.output_meta_share
    # Of every three register accesses per MAC, one is the partial sum (accumulator width).
    rf_width = (2 * nest.elem_bytes + nest.psum_bytes) / 3
    return Counts(
        precision=nest.precision,
        compute_cycles=(array.cycles + traffic.passes * hw.pipeline_fill_cycles
                        if hw.pipeline_fill_cycles > 0 else array.cycles),
        dram_bytes=moved["weights"] + moved["inputs"] + moved["outputs"],
        # Outputs move out, and spilled partial sums out and back in (the fill part).
        dram_write_bytes=moved["outputs"] - traffic.fill["outputs"],
        dram_meta_bytes=meta,
        buffer_read_bytes=reads,
        buffer_write_bytes=writes,
        mac_ops=array.macs * eff.issued * eff.toggling,
        rf_bytes=array.rf_accesses * rf_width,
        hop_bits=array.hop_bits,
        exposed_bytes=traffic.exposed,
        dram_transfers=traffic.transfers,
        exposed_transfers=traffic.exposed_transfers,
        overlap=hw.overlap,
    )

"""FPGA target: a loop-unrolled array of DSP MACs (Zhang et al., FPGA'15 style).

The array unrolls chosen loop dimensions (e.g. Tm output x Tn input channels); each cycle it
consumes one point of the remaining loops. A dimension d unrolled u-wide takes ceil(d/u) steps,
so channel counts that do not divide the unrolling waste DSPs. Unrolled dimensions an operand
does not depend on share (multicast) each element it reads; unrolled reduction dimensions are
summed by adder trees, so partial sums leave the array that many times less often.
"""

from __future__ import annotations

import math

from hwsim.arch.compute import FpgaCompute
from hwsim.arch.hardware import Hardware
from hwsim.model.array import ArrayCost
from hwsim.model.cost import LayerCost
from hwsim.model.interconnect import hops_per_delivery
from hwsim.model.loopnest import DIMS, REDUCTION, RELEVANT, LoopNest
from hwsim.model.targets.array import array_layer_cost
from hwsim.sparsity.profile import SparsityProfile


def fpga_target(nest: LoopNest, hw: Hardware, objective: str,
                profile: SparsityProfile | None = None) -> LayerCost:
    """Cost of a MAC layer on a loop-unrolled FPGA array."""
    return array_layer_cost(nest, hw, objective, profile, fpga_array(nest, hw))


def fpga_array(nest: LoopNest, hw: Hardware) -> ArrayCost:
    """Cycles, buffer traffic and wire activity of ``nest`` on an unrolled array."""
    comp = hw.compute
    assert isinstance(comp, FpgaCompute)
    dims = nest.dims
    unroll: dict[str, int] = {str(d): u for d, u in comp.unroll.items()}
    cycles = 1.0
    active: dict[str, float] = {}
    for d in DIMS:
        u = unroll.get(d, 1)
        steps = math.ceil(dims[d] / u)
        cycles *= steps
        if d in unroll:
            active[d] = dims[d] / steps  # lanes busy on average
    macs = float(nest.macs)
    bits = nest.elem_bytes * 8
    topo = hw.topology
    path = hw.graph_path_hops
    reads: dict[str, float] = {}
    hop_bits = 0.0
    for op in ("weights", "inputs"):
        share = math.prod(a for d, a in active.items() if d not in RELEVANT[op])
        reads[op] = macs / share
        hop_bits += reads[op] * bits * hops_per_delivery(topo, share, share, hw.num_pes, path)
    reduce = math.prod(a for d, a in active.items() if d in REDUCTION)
    psums = macs / reduce  # read-modify-write of the output buffer per adder-tree result
    reads["outputs"] = psums
    hop_bits += macs * (1.0 - 1.0 / reduce) * nest.psum_bytes * 8  # adder-tree wires
    hop_bits += psums * nest.psum_bytes * 8
    return ArrayCost(
        cycles=cycles,
        macs=macs,
        num_pes=hw.num_pes,
        buffer_reads=reads,
        buffer_writes={"weights": 0.0, "inputs": 0.0, "outputs": psums},
        rf_accesses=0.0,  # DSP pipeline registers are inside the DSP's MAC energy
        hop_bits=hop_bits,
        granule=unroll,
        lanes=unroll.get("K", 1),
        skip_tile=(unroll.get("K", 1),
                   unroll.get("C", 1) * unroll.get("R", 1) * unroll.get("S", 1)),
    )

"""Layers without MACs: pooling, element-wise ops, embedding-bag gathers.

They run on a vector unit of ``arch.vector_lanes`` lanes (one element-op per lane per cycle),
read their inputs from DRAM and write their outputs back (layer-by-layer execution, no fusion),
so they are usually memory-bound. Embedding rows are gathered: each lookup is a separate run of
dim x bytes, rounded up to DRAM bursts.
"""

from __future__ import annotations

import math

from hwsim.arch.spec import ArchSpec
from hwsim.model.cost import (
    LayerCost,
    add_buffer_energy,
    buffer_port_times,
    combine_latency,
    empty_breakdown,
)
from hwsim.model.dram import access_energy_j, burst_efficiency
from hwsim.precision import bytes_per_element
from hwsim.workload.layers import EmbeddingBag, Layer

INDEX_BYTES = 4  # int32 lookup indices (PyTorch EmbeddingBag default is int64; DLRM uses int32)


def vector_layer_cost(layer: Layer, batch: int, precision: str, arch: ArchSpec,
                      static_w: float) -> LayerCost:
    """Latency and energy of a pooling / element-wise / embedding layer."""
    eb = bytes_per_element(precision)
    ops = float(layer.vector_ops() * batch)
    out_b = layer.output_elements() * batch * eb
    if isinstance(layer, EmbeddingBag):
        gathered = layer.gathered_elements() * batch * eb
        row = layer.dim * eb
        in_moved = gathered / float(burst_efficiency(row, arch.dram.burst_bytes))
        in_moved += layer.input_elements() * batch * INDEX_BYTES
        in_b = gathered
        elems = layer.gathered_elements() * batch
    else:
        in_b = layer.input_elements() * batch * eb
        in_moved = in_b
        elems = layer.input_elements() * batch
    dram_bytes = in_moved + out_b
    lanes = arch.vector_lanes
    cycles = float(math.ceil(max(ops, elems) / lanes))
    clk = arch.clock_hz
    bw = arch.dram.bandwidth_gbps * 1e9
    compute_s = cycles / clk
    dram_s = dram_bytes / bw
    in_buf, out_buf = arch.buffer_for("inputs"), arch.buffer_for("outputs")
    reads = {in_buf.name: in_b, out_buf.name: out_b}
    writes = {in_buf.name: in_b, out_buf.name: out_b}
    if in_buf.name == out_buf.name:
        reads = {in_buf.name: in_b + out_b}
        writes = {in_buf.name: in_b + out_b}
    buffer_s = buffer_port_times(arch, reads, writes)
    # One DRAM burst in and one out cannot overlap with the streaming; a GPU also pays the
    # kernel launch, whatever overlaps.
    latency, bound = combine_latency(arch, compute_s, dram_s, buffer_s,
                                     2 * arch.dram.burst_bytes / bw)
    latency += arch.launch_overhead_s
    e = empty_breakdown(arch)
    e["alu"] = ops * arch.alu_op_pj(precision) * 1e-12
    add_buffer_energy(arch, reads, writes, e)
    e["dram"] = access_energy_j(dram_bytes, arch.dram)
    e["static"] = static_w * latency
    return LayerCost(
        latency_s=latency,
        compute_s=compute_s,
        dram_s=dram_s,
        bound=bound,
        energy_breakdown_j=e,
        dram_bytes=dram_bytes,
        macs=0.0,
        compute_cycles=cycles,
        utilization=0.0,
    )

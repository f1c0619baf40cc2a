"""Layers without MACs: pooling, element-wise ops, embedding-bag gathers.

They run on a vector unit of ``arch.vector_lanes`` lanes (one element-op per lane per cycle),
read their inputs from DRAM and write their outputs back (layer-by-layer execution, unless a
declared fusion keeps an operand on chip), so they are usually memory-bound. Embedding rows are
gathered: each lookup is a separate run of dim x bytes, rounded up to DRAM bursts.
"""

from __future__ import annotations

import math

from hwsim.arch.hardware import Hardware
from hwsim.model.accounting import Counts, kernel_launch_s
from hwsim.model.cost import LayerCost, layer_cost
from hwsim.model.dram import burst_efficiency
from hwsim.model.num import Num
from hwsim.precision import bytes_per_element
from hwsim.workload.layers import Eltwise, EmbeddingBag, Layer

INDEX_BYTES = 4  # int32 lookup indices (PyTorch EmbeddingBag default is int64; DLRM uses int32)


def vector_layer_cost(layer: Layer, batch: int, precision: str, hw: Hardware) -> LayerCost:
    """Latency and energy of a pooling / element-wise / embedding layer."""
    eb = bytes_per_element(precision)
    if isinstance(layer, Eltwise) and layer.kind == "slice":
        # A view of part of its input (q, k, v of a merged projection; the last token): no
        # data moves and no kernel runs.
        return layer_cost(hw, Counts(precision=precision, compute_cycles=0.0,
                                     overlap=hw.overlap), macs=0.0, utilization=0.0,
                          note="view")
    ops = float(layer.vector_ops() * batch)
    out_b = layer.output_elements() * batch * eb
    if isinstance(layer, EmbeddingBag):
        gathered = layer.gathered_elements() * batch * eb
        row = layer.dim * eb
        in_moved = gathered / float(burst_efficiency(row, hw.burst_bytes))
        in_moved += layer.input_elements() * batch * INDEX_BYTES
        in_b = gathered
        elems = layer.gathered_elements() * batch
    else:
        in_b = layer.input_elements() * batch * eb
        in_moved = in_b
        elems = layer.input_elements() * batch
    # Operands a declared fusion keeps on chip (FlashAttention's softmax) skip DRAM; such a
    # layer runs inside its producer's kernel and pays no launch of its own.
    in_moved *= "inputs" not in layer.on_chip
    out_moved = out_b * ("outputs" not in layer.on_chip)
    # Inputs and outputs are each written into and read out of their buffer once; a GPU keeps
    # a fused operand in registers and shared memory (no modelled level), not in its L2.
    reads: dict[str, Num] = {}
    for op, nbytes in (("inputs", in_b), ("outputs", out_b)):
        if hw.kind == "tensor_core" and op in layer.on_chip:
            continue
        name = hw.level_of(op).name
        reads[name] = reads.get(name, 0.0) + nbytes
    counts = Counts(
        precision=precision,
        compute_cycles=float(math.ceil(max(ops, elems) / hw.vector_lanes)),
        dram_bytes=in_moved + out_moved,
        dram_write_bytes=out_moved,
        buffer_read_bytes=reads,
        buffer_write_bytes=dict(reads),
        alu_ops=ops,
        # One DRAM burst in and one out cannot overlap with the streaming; a GPU also pays the
        # kernel launch, whatever overlaps.
        exposed_bytes=hw.burst_bytes * (("inputs" not in layer.on_chip)
                                        + ("outputs" not in layer.on_chip)),
        overlap=hw.overlap,
        fixed_s=kernel_launch_s(hw, layer.on_chip),
    )
    return layer_cost(hw, counts, macs=0.0, utilization=0.0)

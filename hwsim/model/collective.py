"""Collectives between devices: the all-reduce after a tensor-parallel layer.

Ring all-reduce (Patarasuk & Yuan, JPDC 2009; NCCL's ring): a reduce-scatter then an
all-gather, 2 (p - 1) steps in which every device sends and receives 1/p of the tensor, so
each device sends 2 (p - 1)/p of it over its link; the time is NCCL's own model of its fastest
protocol for the message (hwsim.arch.links), plus the collective kernel's launch. The partial
sums are added on the vector unit, reading the local and the received chunk and writing the
sum (DRAM traffic at the device's memory).
"""

from __future__ import annotations

from hwsim.arch.hardware import Hardware
from hwsim.errors import HwsimError
from hwsim.model.accounting import Counts
from hwsim.model.cost import LayerCost, layer_cost
from hwsim.precision import bytes_per_element
from hwsim.workload.layers import AllReduce

REDUCE_BYTES = 2  # the narrowest element a reduction carries (fp16/bf16)


def allreduce_cost(layer: AllReduce, batch: int, precision: str, hw: Hardware) -> LayerCost:
    """Latency and energy, on one device, of all-reducing ``layer``'s tensor over ``hw.link``."""
    if hw.link is None:
        raise HwsimError(f"layer '{layer.name}' all-reduces over {layer.devices} devices, but "
                         f"arch '{hw.name}' declares no 'link' between devices")
    p = layer.devices
    # Partial sums travel in at least 16 bits: an 8-bit GEMM's outputs are dequantised before
    # the reduction (summing in 8 bits would lose the result), as serving engines all-reduce
    # fp16/bf16 activations whatever their GEMMs' precision.
    nbytes = layer.elements * batch * max(bytes_per_element(precision), REDUCE_BYTES)
    sent = 2.0 * (p - 1) / p * nbytes
    adds = float(layer.vector_ops() * batch)
    # Each reduce step reads the local chunk and writes the sum; the all-gather writes the
    # received chunks: about 3 x the tensor through the device's memory.
    local = 3.0 * nbytes
    level = hw.level_of("outputs").name
    counts = Counts(
        precision=precision,
        compute_cycles=adds / hw.vector_lanes,
        dram_bytes=local,
        dram_write_bytes=2.0 * nbytes,  # the sums and the gathered chunks
        buffer_read_bytes={level: nbytes},
        buffer_write_bytes={level: nbytes},
        alu_ops=adds,
        overlap=True,  # NCCL pipelines chunks: sends, adds and memory traffic overlap
        fixed_s=hw.launch_s,
        link_bytes=sent,
        link_steps=2.0 * (p - 1),
    )
    return layer_cost(hw, counts, macs=0.0, utilization=0.0,
                      note=f"ring all-reduce over {p} devices")

"""Activations kept on chip: which layer outputs stay in the buffer that holds inputs.

An accelerator whose activation buffer holds whole tensors (TPU v1's 24 MiB unified buffer)
does not send a layer's output to DRAM when the layers reading it find it there: only the
network input, the weights and the network outputs move. ``keep_activations`` decides in file
order: a tensor stays if, from its producer to its last consumer, it fits the buffer together
with every tensor already kept and still awaited. A tensor is kept only if every layer reading
it can read it on chip: a layer whose operand gathers several tensors (a residual add) reads
that operand on chip only if all of them are kept, otherwise they all go through DRAM.

Kept tensors are marked as declared fusions are (``on_chip``): the producer's ``outputs`` and
each consumer's operand, ``inputs``, or ``weights`` for a matmul's second activation.
"""

from __future__ import annotations

from collections.abc import Callable

from hwsim.workload.graph import INPUT, Workload
from hwsim.workload.layers import Layer, Matmul, Operand


def _operand(consumer: Layer, position: int) -> Operand:
    """The operand of ``consumer`` that its ``position``-th input feeds."""
    return "weights" if isinstance(consumer, Matmul) and position == 1 else "inputs"


def keep_activations(workload: Workload, capacity_bytes: float,
                     elem_bytes: Callable[[Layer], float]) -> Workload:
    """``workload`` with the layer outputs that stay in an activation buffer of
    ``capacity_bytes`` marked on chip; ``elem_bytes(layer)`` is the size of one element of
    that layer's output, bytes."""
    layers = workload.layers
    order = {layer.name: i for i, layer in enumerate(layers)}
    live = [0.0] * len(layers)  # bytes kept on chip while each layer runs
    kept: set[str] = set()
    for i, layer in enumerate(layers):
        readers = workload.consumers(layer.name)
        if not readers:
            continue  # a network output: it leaves the chip
        size = layer.output_elements() * workload.batch * elem_bytes(layer)
        span = range(i, max(order[r] for r in readers) + 1)
        if all(live[j] + size <= capacity_bytes for j in span):
            kept.add(layer.name)
            for j in span:
                live[j] += size
    # A reader whose operand mixes kept and streamed tensors reads that operand from DRAM:
    # its kept producers go through DRAM too (and may unsettle other readers: repeat).
    changed = True
    while changed:
        changed = False
        for layer in layers:
            by_operand: dict[Operand, list[str]] = {}
            for pos, src in enumerate(workload.producers(layer.name)):
                by_operand.setdefault(_operand(layer, pos), []).append(src)
            for sources in by_operand.values():
                if any(s in kept for s in sources) and not all(s in kept for s in sources):
                    kept -= set(sources)
                    changed = True
    if not kept:
        return workload
    marked: list[Layer] = []
    for layer in layers:
        marks = set(layer.on_chip)
        if layer.name in kept:
            marks.add("outputs")
        for pos, src in enumerate(workload.producers(layer.name)):
            if src != INPUT and src in kept:
                marks.add(_operand(layer, pos))
        new = sorted(marks)
        marked.append(layer.model_copy(update={"on_chip": new}) if new != sorted(layer.on_chip)
                      else layer)
    return workload.with_layers(marked)

"""Activations kept on chip: which layer outputs stay in the buffer that holds inputs.

An accelerator whose activation buffer holds whole tensors (TPU v1's 24 MiB unified buffer)
does not send a layer's output to DRAM when the layers reading it find it there: only the
network input, the weights and the network outputs move. ``keep_activations`` decides in file
order: a tensor stays if, from its producer to its last reader, it fits the share of the buffer
given to kept tensors together with every tensor already kept and still awaited. A tensor is
kept only if every layer reading it can read it on chip: a layer whose operand gathers several
tensors (a residual add) reads that operand on chip only if all of them are kept, otherwise
they all go through DRAM; an embedding lookup's indices stay with its table gather in DRAM.

A slice (a view of part of its input, no data moved) is its source: kept exactly when the
source is, its readers counted as the source's, and no room of its own. A tensor a declared
fusion already keeps on chip (attention scores) never exists whole and is left to the fusion.

Kept tensors are marked as declared fusions are (``on_chip``): the producer's ``outputs`` and
each reader's operand, ``inputs``, or ``weights`` for a matmul's second activation.
"""

from __future__ import annotations

from collections.abc import Callable

from hwsim.workload.graph import INPUT, Workload
from hwsim.workload.layers import Eltwise, EmbeddingBag, Layer, Matmul, Operand

#: Share of the activation buffer kept tensors may fill; the rest is left to the tiles of the
#: layers that stream their operands (the tile search does not see the kept tensors: assumed).
KEPT_SHARE = 0.5


def _operand(reader: Layer, position: int) -> Operand:
    """The operand of ``reader`` that its ``position``-th input feeds."""
    return "weights" if isinstance(reader, Matmul) and position == 1 else "inputs"


def _is_view(layer: Layer) -> bool:
    return isinstance(layer, Eltwise) and layer.kind == "slice"


def keep_activations(workload: Workload, capacity_bytes: float,
                     elem_bytes: Callable[[Layer], float]) -> Workload:
    """``workload`` with the layer outputs that stay in an activation buffer of
    ``capacity_bytes`` marked on chip; ``elem_bytes(layer)`` is the size of one element of
    that layer's output, bytes."""
    layers = workload.layers
    order = {layer.name: i for i, layer in enumerate(layers)}
    # A view's source, followed through chains of views (the network input stays itself).
    source: dict[str, str] = {INPUT: INPUT}
    for layer in layers:
        ins = workload.producers(layer.name)
        source[layer.name] = source[ins[0]] if _is_view(layer) and ins else layer.name
    readers: dict[str, list[Layer]] = {}
    for layer in layers:
        if not _is_view(layer):
            for src in workload.producers(layer.name):
                readers.setdefault(source[src], []).append(layer)
    budget = capacity_bytes * KEPT_SHARE
    live = [0.0] * len(layers)  # kept bytes while each layer runs
    kept: set[str] = set()
    for i, layer in enumerate(layers):
        mine = readers.get(layer.name, [])
        if (_is_view(layer) or not mine or "outputs" in layer.on_chip
                or any(isinstance(r, EmbeddingBag) for r in mine)):
            continue  # a view, a network output, a fused tensor or an embedding's indices
        size = layer.output_elements() * workload.batch * elem_bytes(layer)
        span = range(i, max(order[r.name] for r in mine) + 1)
        if all(live[j] + size <= budget for j in span):
            kept.add(layer.name)
            for j in span:
                live[j] += size
    # A reader whose operand mixes kept and streamed tensors reads that operand from DRAM:
    # its kept producers go through DRAM too (and may unsettle other readers: repeat).
    changed = True
    while changed:
        changed = False
        for layer in layers:
            if _is_view(layer):
                continue
            by_operand: dict[Operand, set[str]] = {}
            for pos, src in enumerate(workload.producers(layer.name)):
                by_operand.setdefault(_operand(layer, pos), set()).add(source[src])
            for roots in by_operand.values():
                if roots & kept and not roots <= kept:
                    kept -= roots
                    changed = True
    if not kept:
        return workload
    marked: list[Layer] = []
    for layer in layers:
        marks = set(layer.on_chip)
        if source[layer.name] in kept:
            marks.add("outputs")
        for pos, src in enumerate(workload.producers(layer.name)):
            if source[src] in kept:
                marks.add("inputs" if _is_view(layer) else _operand(layer, pos))
        new = sorted(marks)
        marked.append(layer.model_copy(update={"on_chip": new}) if new != sorted(layer.on_chip)
                      else layer)
    return workload.with_layers(marked)

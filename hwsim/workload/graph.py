"""A network as a DAG of layers, with batch size and totals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from hwsim.errors import HwsimError
from hwsim.workload.layers import Eltwise, EmbeddingBag, Layer, Linear, Matmul

INPUT = "input"  # reserved name of the network's input in ``inputs:`` lists


@dataclass(frozen=True)
class LayerGraph:
    """The producer edges of a workload: each layer by name, the names it reads (``input``
    for the network input) in order, and the layers reading it, in file order."""

    layers: dict[str, Layer] = field(default_factory=dict)
    inputs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    consumers: dict[str, list[str]] = field(default_factory=dict)

    def edges(self) -> list[tuple[str, str]]:
        """(producer, consumer) pairs between layers (the network input left out)."""
        return [(src, name) for name, ins in self.inputs.items() for src in ins
                if src != INPUT]


@dataclass(frozen=True)
class Workload:
    """Layers in a topological (file) order, their producer edges, and the batch size."""

    name: str
    layers: tuple[Layer, ...]
    batch: int = 1
    precision: str | None = None
    description: str = ""
    source: str = ""
    graph: LayerGraph = field(default_factory=LayerGraph, compare=False, repr=False)
    masks: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)
    masks_file: str | None = None

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def layer(self, name: str) -> Layer:
        return self.graph.layers[name]

    def producers(self, name: str) -> list[str]:
        """Names of the layers feeding ``name`` (``input`` for the network input), in order."""
        return list(self.graph.inputs[name])

    def consumers(self, name: str) -> list[str]:
        return list(self.graph.consumers[name])

    def macs(self) -> int:
        """Total MACs for the whole batch."""
        return self.batch * sum(layer.macs() for layer in self.layers)

    def params(self) -> int:
        return sum(layer.params() for layer in self.layers)

    def with_batch(self, batch: int) -> Workload:
        return build_workload(self.name, self.layers, batch, self.precision, self.description,
                              self.source, self.masks, self.masks_file)

    def renamed(self, name: str) -> Workload:
        return build_workload(name, self.layers, self.batch, self.precision, self.description,
                              self.source, self.masks, self.masks_file)

    def with_layers(self, layers: list[Layer] | tuple[Layer, ...]) -> Workload:
        return build_workload(self.name, layers, self.batch, self.precision, self.description,
                              self.source, self.masks, self.masks_file)


def resolved_inputs(layers: list[Layer] | tuple[Layer, ...]) -> list[list[str]]:
    """Each layer's producers, defaulting to the previous layer (or the network input)."""
    out: list[list[str]] = []
    for i, layer in enumerate(layers):
        if layer.inputs is not None:
            out.append(list(layer.inputs))
        else:
            out.append([layers[i - 1].name] if i else [INPUT])
    return out


class GraphError(HwsimError, ValueError):
    """Inconsistent graph; ``index`` is the offending layer's position, ``field`` its field."""

    def __init__(self, message: str, index: int, field: str = "inputs") -> None:
        super().__init__(message)
        self.index = index
        self.field = field


def _expected_input_sizes(layer: Layer) -> list[int] | None:
    """Per-sample elements each producer must deliver, or None when not checkable."""
    if isinstance(layer, Matmul):
        return [layer.count * layer.m * layer.k, layer.count * layer.k * layer.n]
    if isinstance(layer, EmbeddingBag):
        return None
    if isinstance(layer, Linear) and layer.experts > 1:
        return None  # the router's dispatch sends each token to experts_per_token experts
    if isinstance(layer, Eltwise):
        if layer.kind in ("concat", "interaction", "pad", "slice"):
            return None
        return [layer.elements] * layer.n_operands
    return [layer.input_elements()]


def build_workload(
    name: str,
    layers: list[Layer] | tuple[Layer, ...],
    batch: int = 1,
    precision: str | None = None,
    description: str = "",
    source: str = "",
    masks: dict[str, np.ndarray] | None = None,
    masks_file: str | None = None,
) -> Workload:
    """Check names, edges and shapes, and build the Workload graph.

    Producers must appear earlier in the list (so file order is a topological order), and each
    producer's output size must match what the consumer reads from it.
    """
    if batch <= 0:
        raise GraphError(f"batch must be positive, got {batch}", -1, "batch")
    g = LayerGraph()
    seen: dict[str, Layer] = {}
    for i, (layer, ins) in enumerate(zip(layers, resolved_inputs(layers))):
        if layer.name in seen or layer.name == INPUT:
            raise GraphError(f"duplicate or reserved layer name '{layer.name}'", i, "name")
        for src in ins:
            if src != INPUT and src not in seen:
                raise GraphError(
                    f"layer '{layer.name}' reads '{src}', which is not an earlier layer", i
                )
        expected = _expected_input_sizes(layer)
        if expected is not None and all(s != INPUT for s in ins):
            if len(ins) == len(expected):
                for src, need in zip(ins, expected):
                    have = seen[src].output_elements()
                    if have != need:
                        raise GraphError(
                            f"layer '{layer.name}' expects {need} elements per sample from "
                            f"'{src}', which produces {have}",
                            i,
                        )
            elif len(expected) == 1 and len(ins) > 1:
                raise GraphError(
                    f"layer '{layer.name}' ({layer.op}) takes one input, got {len(ins)}", i
                )
        g.layers[layer.name] = layer
        g.inputs[layer.name] = tuple(ins)
        g.consumers[layer.name] = []
        for src in dict.fromkeys(ins):  # a layer reading one producer twice is one edge
            if src != INPUT:
                g.consumers[src].append(layer.name)
        seen[layer.name] = layer
    return Workload(name, tuple(layers), batch, precision, description, source, g,
                    dict(masks or {}), masks_file)

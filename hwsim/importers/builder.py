"""Framework-neutral import state: tensors (values), the layers made from them, and the finish.

An importer (PyTorch fx, ONNX) walks its graph in topological order and, per node, either adds a
hwsim layer, aliases a tensor (a pass-through op such as reshape or dropout, or a BatchNorm
folded into the conv before it), or reports the node unsupported. ``GraphBuilder.finish`` then
removes all-zero channels where that is exact (``structural``), recognises each weight mask's
pattern and builds the Workload (whose graph checks catch any shape inconsistency).

Shapes are full tensor shapes with the batch as axis 0; layers count per sample.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from hwsim.errors import HwsimError
from hwsim.importers.record import Record, Value
from hwsim.importers.structural import remove_zero_channels
from hwsim.sparsity.recognize import Recognition, recognise
from hwsim.workload.graph import INPUT, GraphError, Workload, build_workload
from hwsim.workload.layers import Conv2d, Eltwise, EltwiseKind, Layer, Linear

OnUnsupported = Literal["error", "skip"]


@dataclass
class ImportResult:
    """The workload plus what the import found: recognised patterns, removed channels, skips."""

    workload: Workload
    recognised: dict[str, Recognition] = field(default_factory=dict)
    removed_channels: dict[str, tuple[int, int]] = field(default_factory=dict)  # before, after
    kept_zero_channels: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def change_layout(v: Value, new_shape: tuple[int, ...], perm: list[int] | None = None) -> Value:
    """The value after a pass-through op: a permutation ``perm`` moves the channel axis; a
    reshape keeps it only when the non-unit dimensions are unchanged (e.g. [N,C,1,1] -> [N,C])."""
    chan: int | None = None
    if v.chan is not None:
        if perm is not None:
            chan = perm.index(v.chan)
        elif (tuple(d for d in v.shape if d != 1) == tuple(d for d in new_shape if d != 1)
              and v.shape[v.chan] != 1):
            before = [i for i, d in enumerate(v.shape) if d != 1].index(v.chan)
            chan = [i for i, d in enumerate(new_shape) if d != 1][before]
    return Value(v.src, tuple(new_shape), chan)


_NAME_OK = re.compile(r"[^A-Za-z0-9_.-]+")


class GraphBuilder:
    """Collects values and layers while an importer walks its graph."""

    def __init__(self, name: str, batch: int, on_unsupported: OnUnsupported = "error",
                 source: str = "", structural: bool = True) -> None:
        if on_unsupported not in ("error", "skip"):
            raise HwsimError(f"on_unsupported must be 'error' or 'skip', got {on_unsupported!r}")
        if batch <= 0:
            raise HwsimError(f"batch must be positive, got {batch}")
        self.name = name
        self.batch = batch
        self.on_unsupported = on_unsupported
        self.source = source
        self.structural = structural
        self.values: dict[str, Value] = {}
        self.records: list[Record] = []
        self.outputs: list[str] = []
        self.unsupported: list[str] = []
        self._names: set[str] = {INPUT}

    # ---- values --------------------------------------------------------------------------------
    def per_sample(self, shape: tuple[int, ...]) -> int:
        """Elements per sample of a full tensor shape."""
        n = math.prod(shape)
        if not shape or n % self.batch:
            raise HwsimError(f"tensor of shape {list(shape)} does not have the batch "
                             f"{self.batch} as its first axis")
        return n // self.batch

    def sample_shape(self, shape: tuple[int, ...]) -> list[int]:
        """Per-sample shape: without the batch axis (flattened when the batch is not axis 0)."""
        if len(shape) > 1 and shape[0] == self.batch:
            return [max(1, d) for d in shape[1:]]
        return [self.per_sample(shape)]

    def add_input(self, key: str, shape: tuple[int, ...]) -> None:
        self.values[key] = Value(INPUT, tuple(shape), None)

    def alias(self, key: str, value: Value) -> None:
        self.values[key] = value

    def unique(self, raw: str) -> str:
        """A valid, unused layer name derived from ``raw``."""
        base = _NAME_OK.sub("_", raw).strip("_.") or "layer"
        name, i = base, 1
        while name in self._names:
            i += 1
            name = f"{base}_{i}"
        self._names.add(name)
        return name

    # ---- layers --------------------------------------------------------------------------------
    def add(self, key: str, layer: Layer, reads: list[Value], out_shape: tuple[int, ...],
            mask: np.ndarray | None = None, chan: int | None = None,
            channelwise: bool = False) -> Value:
        """Add ``layer`` (inputs are taken from ``reads``) producing the tensor ``key``.

        The layer's output size must equal the framework's: a mismatch is an importer bug and
        raises rather than giving a silently wrong workload.
        """
        have, want = layer.output_elements(), self.per_sample(out_shape)
        if have != want:
            raise HwsimError(f"import of '{layer.name}' ({layer.op}) is inconsistent: the layer "
                             f"writes {have} elements per sample, the model {want}")
        layer = layer.model_copy(update={"inputs": [v.src for v in reads] or [INPUT]})
        self.records.append(Record(layer, list(reads), mask, channelwise, key))
        value = Value(layer.name, tuple(out_shape), chan)
        self.values[key] = value
        return value

    def record_of(self, name: str) -> Record | None:
        for rec in self.records:
            if rec.layer.name == name:
                return rec
        return None

    def fold_batchnorm(self, in_key: str, out_key: str) -> bool:
        """Fold a BatchNorm reading ``in_key`` into the conv that wrote it (the conv gains a
        bias); False when ``in_key`` is not a conv's own output."""
        v = self.values.get(in_key)
        if v is None:
            return False
        rec = self.record_of(v.src)
        if rec is None or not isinstance(rec.layer, Conv2d) or rec.out_key != in_key:
            return False
        rec.layer = rec.layer.model_copy(update={"bias": True})
        self.values[out_key] = v
        return True

    def skip(self, key: str, what: str, reads: list[Value], out_shape: tuple[int, ...]) -> None:
        """Report an unsupported node ``what`` (name and location). When skipping, its output
        aliases its first activation input if the sizes agree, else it counts as a network
        input (the edge is lost, which the warning says)."""
        self.unsupported.append(what)
        if not out_shape:  # a tuple: its elements (getitem) become network inputs
            self.values[key] = Value(INPUT, (), None)
            return
        first = reads[0] if reads and reads[0].shape else None
        if first is not None and self.per_sample(first.shape) == self.per_sample(out_shape):
            self.values[key] = Value(first.src, tuple(out_shape), None)
        else:
            self.values[key] = Value(INPUT, tuple(out_shape), None)

    # ---- finish --------------------------------------------------------------------------------
    def finish(self, description: str = "") -> ImportResult:
        if self.unsupported:
            listed = "; ".join(self.unsupported)
            if self.on_unsupported == "error":
                raise HwsimError(f"{len(self.unsupported)} unsupported op(s) in '{self.name}': "
                                 f"{listed} (use on_unsupported='skip' / --on-unsupported skip "
                                 "to leave them out)")
            warnings.warn(f"hwsim import of '{self.name}' skipped {len(self.unsupported)} "
                          f"unsupported op(s), which cost nothing in the workload: {listed}",
                          stacklevel=3)
        out_srcs = {self.values[k].src for k in self.outputs if k in self.values}
        removed: dict[str, tuple[int, int]] = {}
        kept: dict[str, int] = {}
        if self.structural:
            removed, kept = remove_zero_channels(self.records, out_srcs)
        layers: list[Layer] = []
        masks: dict[str, np.ndarray] = {}
        recognised: dict[str, Recognition] = {}
        for rec in self.records:
            layer = rec.layer
            if rec.mask is not None and isinstance(layer, (Conv2d, Linear)):
                r = recognise(rec.mask)
                recognised[layer.name] = r
                if r.pattern != "dense":
                    masks[layer.name] = np.ascontiguousarray(rec.mask, dtype=bool)
                    if not self.structural and r.zero_rows:
                        kept[layer.name] = r.zero_rows
                if r.spec is not None:
                    layer = layer.model_copy(update={"sparsity": r.spec})
                if r.pattern == "empty":
                    warnings.warn(f"layer '{layer.name}' has no nonzero weight", stacklevel=3)
            layers.append(type(layer).model_validate(layer.model_dump(by_alias=True)))
        if not layers:
            raise HwsimError(f"'{self.name}' has no layer hwsim can model")
        try:
            wl = build_workload(self.name, layers, self.batch, None, description, self.source,
                                masks, None)
        except GraphError as exc:
            raise HwsimError(f"import of '{self.name}' gave an inconsistent graph: {exc}") from None
        return ImportResult(wl, recognised, removed, kept, list(self.unsupported))


def eltwise(name: str, kind: EltwiseKind, shape: list[int], operands: int) -> Eltwise:
    """An element-wise layer; ``operands`` counts only activation operands."""
    default = 2 if kind in ("add", "mul") else 1
    return Eltwise(name=name, kind=kind, shape=shape,
                   operands=None if operands == default else operands)

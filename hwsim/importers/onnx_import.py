"""Import an ONNX model (onnx.shape_inference for exact shapes; zeros of initializers = masks).

onnx is imported here only, so hwsim works without it. Shapes must be static (a symbolic batch
axis of the graph input is taken as ``batch``).

Shape arithmetic (Shape, Gather, Slice, Concat... on constants) is folded while walking the
graph, and a tensor whose shape whole-graph inference left open (a Reshape to a computed shape,
as torch exports attention) gets it from inference of its node alone. Layout ops (Reshape,
Transpose, Squeeze...) cost nothing. A Gather, Split or Slice that takes whole output features
of a linear layer (a packed q/k/v projection) splits that layer into one per part.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hwsim.errors import HwsimError
from hwsim.importers.builder import (
    GraphBuilder,
    ImportResult,
    OnUnsupported,
    change_layout,
    eltwise,
)
from hwsim.importers.record import Record, Value
from hwsim.workload.graph import Workload
from hwsim.workload.layers import Conv2d, EltwiseKind, Linear, Matmul, Pool, PoolKind


def _onnx() -> Any:
    try:
        import onnx
    except ModuleNotFoundError:
        raise HwsimError("importing ONNX models needs onnx: pip install -e .[onnx]") from None
    return onnx


def from_onnx(path_or_model: Any, name: str | None = None,
              on_unsupported: OnUnsupported = "error", structural: bool = True,
              batch: int = 1) -> Workload:
    """The Workload of an ONNX model (a path or a ``ModelProto``); see ``from_torch`` for
    ``on_unsupported`` and ``structural``. ``batch`` replaces a symbolic batch axis (the first
    symbolic axis of the graph input); with static shapes the input's first axis is the batch,
    unless ``batch`` > 1 is given and only its second axis has that size (a sequence-first
    model, [L, N, E])."""
    return import_onnx(path_or_model, name, on_unsupported, structural, batch).workload


def import_onnx(path_or_model: Any, name: str | None = None,
                on_unsupported: OnUnsupported = "error", structural: bool = True,
                batch: int = 1) -> ImportResult:
    """Like ``from_onnx``, also returning recognised patterns and removed channels."""
    onnx = _onnx()
    if isinstance(path_or_model, (str, Path)):
        try:
            model = onnx.load(str(path_or_model))
        except Exception as exc:
            raise HwsimError(f"{path_or_model}: cannot read ONNX model: {exc}") from None
        name = name or Path(path_or_model).stem
    else:
        model = path_or_model
    name = name or model.graph.name or "onnx_model"
    try:
        model = onnx.shape_inference.infer_shapes(model)
    except Exception as exc:
        raise HwsimError(f"ONNX shape inference failed for '{name}': {exc}") from None
    walker = _Walker(model, name, on_unsupported, structural, batch)
    walker.run()
    return walker.b.finish(description=f"imported from ONNX ({name})")


def _dims(vi: Any) -> tuple[int | None, ...] | None:
    t = vi.type.tensor_type
    if not t.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim)


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


_UNARY: dict[str, EltwiseKind] = {"Relu": "relu", "Gelu": "gelu", "Sigmoid": "sigmoid",
                                  "Softmax": "softmax", "LayerNormalization": "layernorm",
                                  # Erf: the core of an exact GELU before opset 20 (x/sqrt2 ->
                                  # Erf -> +1 -> *x -> *0.5; the others are layers of their own).
                                  "Erf": "gelu"}
_BINARY: dict[str, EltwiseKind] = {"Add": "add", "Sub": "add", "Mul": "mul", "Div": "mul"}
_PASS = {"Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Transpose"}
_SELECT = {"Gather", "Split", "Slice"}
_CHANNELWISE = ("relu", "gelu", "sigmoid")
#: Constant folding evaluates a node only when its constant inputs hold at most this many
#: elements (shape arithmetic is tiny; this keeps the import from computing on big weights).
_FOLD_LIMIT = 1 << 20
#: Single-node shape inference passes constants up to this size by value (a Reshape's target
#: shape, a Slice's bounds), larger ones (weights) by shape only.
_BY_VALUE_LIMIT = 4096


def _static(dims: tuple[int | None, ...] | None) -> bool:
    return dims is not None and all(d is not None for d in dims)


def _batch_axis(dims: tuple[int | None, ...] | None, batch: int) -> tuple[int, int | None]:
    """(batch, its axis in the graph input): the first symbolic axis takes ``batch``; with
    static shapes, axis 0, or axis 1 when ``batch`` > 1 was given and only axis 1 matches it
    (a sequence-first model)."""
    if not dims:
        return batch, None
    symbolic = [i for i, d in enumerate(dims) if d is None]
    if symbolic:
        return batch, symbolic[0]
    if batch > 1 and len(dims) > 1 and dims[0] != batch and dims[1] == batch:
        return batch, 1
    return int(dims[0] or batch), 0


@dataclass
class _Packed:
    """A linear layer whose output features Gather/Split/Slice ops share out (a packed q/k/v
    projection): the features ``left`` in it and the part layers split off so far."""

    parent: Record
    mask: np.ndarray | None  # [features, in] of the whole layer
    features: int
    left: list[int]
    parts: list[tuple[int, Record]] = field(default_factory=list)  # (first feature, record)


class _Walker:
    def __init__(self, model: Any, name: str, on_unsupported: OnUnsupported, structural: bool,
                 batch: int) -> None:
        from onnx import numpy_helper

        g = model.graph
        self.g = g
        self.opsets = list(model.opset_import)
        self.consts: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i)
                                              for i in g.initializer}
        self.shapes: dict[str, tuple[int | None, ...] | None] = {}
        self.types: dict[str, int] = {i.name: i.data_type for i in g.initializer}
        for vi in [*g.input, *g.value_info, *g.output]:
            self.shapes[vi.name] = _dims(vi)
            if vi.type.tensor_type.elem_type:
                self.types[vi.name] = vi.type.tensor_type.elem_type
        inputs = [i for i in g.input if i.name not in self.consts]
        if not inputs:
            raise HwsimError(f"ONNX model '{name}' has no graph input")
        batch, axis = _batch_axis(self.shapes.get(inputs[0].name), batch)
        self.batch = batch
        # Readers of each tensor's values (a Shape or Size reads only its static shape).
        self.uses: dict[str, int] = {}
        self.consumers: dict[str, list[Any]] = {}
        for node in g.node:
            if node.op_type in ("Shape", "Size"):
                continue
            for t in node.input:
                self.uses[t] = self.uses.get(t, 0) + 1
                self.consumers.setdefault(t, []).append(node)
        for o in g.output:
            self.uses[o.name] = self.uses.get(o.name, 0) + 1
        self.b = GraphBuilder(name, batch, on_unsupported, source=f"ONNX {name}",
                              structural=structural)
        # A symbolic axis of a graph input is the batch; any other open shape is re-inferred
        # node by node from static input shapes (see ``infer``).
        input_names = {i.name for i in inputs}
        for t, dims in list(self.shapes.items()):
            if t in input_names and dims and None in dims:
                ax = axis if t == inputs[0].name and axis is not None else dims.index(None)
                self.shapes[t] = tuple(batch if i == ax else d for i, d in enumerate(dims))
            elif not _static(dims):
                del self.shapes[t]
        for i in inputs:
            self.b.add_input(i.name, self.shape(i.name))
        self.b.outputs = [o.name for o in g.output]
        self.layout: dict[str, tuple[Any, str]] = {}  # tensor -> (layout op, its input tensor)
        self.packed: dict[str, _Packed] = {}  # by the split linear layer's name

    def shape(self, t: str) -> tuple[int, ...]:
        dims = self.shapes.get(t)
        if dims is None:
            raise HwsimError(f"ONNX shape inference gives no shape for tensor '{t}'")
        sizes = [int(d) for d in dims if d is not None]
        if len(sizes) != len(dims):
            raise HwsimError(f"tensor '{t}' has a symbolic shape {list(dims)}; export the model "
                             "with static shapes")
        return tuple(sizes)

    def run(self) -> None:
        for i, node in enumerate(self.g.node):
            self.node(node, i)

    def acts(self, node: Any) -> list[Value]:
        return [self.b.values[t] for t in node.input if t and t in self.b.values]

    def where(self, node: Any, what: str | None = None) -> str:
        label = node.name or f"#{self._index}"
        return f"{what or node.op_type} at node '{label}' (ONNX {node.op_type})"

    def unsupported(self, node: Any, what: str | None = None) -> None:
        out = node.output[0] if node.output else ""
        shape = self.shape(out) if _static(self.shapes.get(out)) else ()
        self.b.skip(out, self.where(node, what), self.acts(node), shape)

    # ---- constants and shapes ------------------------------------------------------------------
    def set_const(self, t: str, value: np.ndarray) -> None:
        from onnx import helper

        self.consts[t] = value
        self.shapes[t] = tuple(int(d) for d in value.shape)
        with contextlib.suppress(KeyError, TypeError, ValueError):  # e.g. object arrays
            self.types[t] = helper.np_dtype_to_tensor_dtype(value.dtype)

    def fold(self, node: Any) -> bool:
        """Evaluate a node of the default domain whose inputs are all constants (or a Shape /
        Size of a tensor of known shape); True when its outputs became constants."""
        op = node.op_type
        if op in ("Shape", "Size") and node.input and _static(self.shapes.get(node.input[0])):
            dims = self.shape(node.input[0])
            if op == "Size":
                self.set_const(node.output[0], np.array(int(np.prod(dims)), dtype=np.int64))
                return True
            a = _attrs(node)
            start, end = a.get("start", 0), a.get("end", len(dims))
            self.set_const(node.output[0], np.array(dims[start:end], dtype=np.int64))
            return True
        ins = [t for t in node.input if t]
        if node.domain not in ("", "ai.onnx") or not all(t in self.consts for t in ins) \
                or sum(self.consts[t].size for t in ins) > _FOLD_LIMIT:
            return False
        from onnx.reference import ReferenceEvaluator

        opsets = {o.domain or "": o.version for o in self.opsets}
        try:
            outs = ReferenceEvaluator(node, opsets=opsets).run(
                None, {t: self.consts[t] for t in ins})
        except Exception:  # an op the reference runtime lacks: stays a non-constant
            return False
        for t, value in zip(node.output, outs):
            if t and value is not None:
                self.set_const(t, np.asarray(value))
        return True

    def infer(self, node: Any) -> None:
        """Shapes of ``node``'s outputs by ONNX shape inference of the node alone, from the
        static shapes of its inputs and the values of its small constant inputs."""
        from onnx import TensorProto, helper, numpy_helper, shape_inference

        inputs, inits = [], []
        for t in dict.fromkeys(t for t in node.input if t):
            const = self.consts.get(t)
            if const is not None and const.size <= _BY_VALUE_LIMIT:
                inits.append(numpy_helper.from_array(const, t))
                continue
            dims = const.shape if const is not None else self.shapes.get(t)
            if _static(dims):
                inputs.append(helper.make_tensor_value_info(
                    t, self.types.get(t, TensorProto.FLOAT), dims))
        outputs = [helper.make_empty_tensor_value_info(t) for t in node.output if t]
        graph = helper.make_graph([node], "node", inputs, outputs, inits)
        try:
            inferred = shape_inference.infer_shapes(
                helper.make_model(graph, opset_imports=self.opsets))
        except Exception:  # unknown op or bad input: the shapes stay unknown
            return
        for vi in [*inferred.graph.output, *inferred.graph.value_info]:
            dims = _dims(vi)
            if _static(dims):
                self.shapes[vi.name] = dims
                if vi.type.tensor_type.elem_type:
                    self.types[vi.name] = vi.type.tensor_type.elem_type

    # ---- dispatch ------------------------------------------------------------------------------
    def node(self, node: Any, index: int) -> None:
        self._index = index
        op, b = node.op_type, self.b
        if op == "Constant":
            from onnx import numpy_helper

            t = _attrs(node).get("value")
            if t is not None:
                self.set_const(node.output[0], numpy_helper.to_array(t))
            return
        if self.fold(node):
            return
        acts = self.acts(node)
        if not acts:
            return  # computes on constants only (shape arithmetic): no activation involved
        if not all(_static(self.shapes.get(t)) for t in node.output if t):
            self.infer(node)
        out = node.output[0]
        oshape = self.shape(out)
        name = b.unique(node.name or f"{op}_{index}")
        a = _attrs(node)
        if op == "Conv":
            self.conv(node, name, a, acts[0], oshape)
        elif op == "Gemm":
            self.gemm(node, name, a, acts, oshape)
        elif op == "MatMul":
            self.matmul(node, name, acts, oshape)
        elif op in _BINARY:
            self.binary(node, name, _BINARY[op], acts, oshape)
        elif op in _UNARY:
            x = acts[0]
            kind = _UNARY[op]
            cw = kind in _CHANNELWISE and x.chan is not None
            b.add(out, eltwise(name, kind, b.sample_shape(oshape), 1), [x], oshape,
                  chan=x.chan if cw else None, channelwise=cw)
        elif op in ("MaxPool", "AveragePool"):
            self.pool(node, name, a, acts[0], oshape, "max" if op == "MaxPool" else "avg")
        elif op in ("GlobalAveragePool", "GlobalMaxPool"):
            x = acts[0]
            layer = Pool(name=name, kind="avg" if op == "GlobalAveragePool" else "max",
                         channels=x.shape[1], input_hw=(x.shape[2], x.shape[3]), global_=True)
            b.add(out, layer, [x], oshape, chan=1, channelwise=True)
        elif op in _PASS:
            perm = _perm(a, len(acts[0].shape)) if op == "Transpose" else None
            b.alias(out, change_layout(acts[0], oshape, perm))
            self.layout[out] = (node, node.input[0])
        elif op in _SELECT and node.input[0] in b.values:
            self.select(node, a)
        elif op == "Concat":
            if len(acts) == 1:
                b.alias(out, change_layout(acts[0], oshape))
            else:
                b.add(out, eltwise(name, "concat", b.sample_shape(oshape), 1), acts, oshape)
        elif op == "BatchNormalization":
            if self.uses.get(node.input[0], 0) == 1 and b.fold_batchnorm(node.input[0], out):
                return
            x = acts[0]
            b.add(out, eltwise(name, "mul", b.sample_shape(oshape), 1), [x], oshape,
                  chan=x.chan, channelwise=x.chan is not None)
        else:
            self.unsupported(node)

    # ---- ops -----------------------------------------------------------------------------------
    def weight(self, node: Any, i: int) -> np.ndarray | None:
        return self.consts.get(node.input[i]) if len(node.input) > i else None

    def conv(self, node: Any, name: str, a: dict[str, Any], x: Value,
             oshape: tuple[int, ...]) -> None:
        w = self.weight(node, 1)
        if w is None or w.ndim != 4 or len(x.shape) != 4:
            self.unsupported(node, "Conv that is not 2-d with constant weights")
            return
        pads = list(a.get("pads", [0, 0, 0, 0]))
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID") \
                or pads[:2] != pads[2:]:
            self.unsupported(node, f"Conv with asymmetric padding {pads}")
            return
        groups = int(a.get("group", 1))
        layer = Conv2d(name=name, in_channels=w.shape[1] * groups, out_channels=w.shape[0],
                       kernel=tuple(w.shape[2:]), stride=tuple(a.get("strides", (1, 1))),
                       padding=tuple(pads[:2]), dilation=tuple(a.get("dilations", (1, 1))),
                       groups=groups, input_hw=x.shape[2:4], bias=len(node.input) > 2)
        dw = groups > 1 and groups == layer.in_channels == layer.out_channels
        self.b.add(node.output[0], layer, [x], oshape, w != 0, chan=1, channelwise=dw)

    def gemm(self, node: Any, name: str, a: dict[str, Any], acts: list[Value],
             oshape: tuple[int, ...]) -> None:
        w = self.weight(node, 1)
        if w is None or len(acts) != 1 or a.get("transA", 0) or w.ndim != 2:
            self.unsupported(node, "Gemm without a constant weight B")
            return
        w = w if a.get("transB", 0) else w.T  # -> [out, in]
        x = acts[0]
        layer = Linear(name=name, in_features=w.shape[1], out_features=w.shape[0],
                       tokens=self.b.per_sample(x.shape) // w.shape[1],
                       bias=len(node.input) > 2)
        self.b.add(node.output[0], layer, [x], oshape, w != 0, chan=len(oshape) - 1)

    def matmul(self, node: Any, name: str, acts: list[Value], oshape: tuple[int, ...]) -> None:
        b = self.b
        w = self.weight(node, 1)
        if w is not None and len(acts) == 1 and node.input[0] in b.values and w.ndim == 2:
            x = acts[0]
            layer = Linear(name=name, in_features=w.shape[0], out_features=w.shape[1],
                           tokens=b.per_sample(x.shape) // w.shape[0], bias=False)
            b.add(node.output[0], layer, [x], oshape, w.T != 0, chan=len(oshape) - 1)
            return
        if len(acts) != 2:
            self.unsupported(node, "MatMul with a constant left operand")
            return
        x, y = acts
        if len(x.shape) < 2 or len(y.shape) < 2:
            self.unsupported(node, "MatMul of 1-d operands")
            return
        m, k, n = x.shape[-2], x.shape[-1], y.shape[-1]
        if math.prod(oshape[:-2]) % b.batch:  # the batch is not among the leading axes
            self.unsupported(node, f"MatMul of {list(x.shape)} and {list(y.shape)} whose leading "
                                   f"axes do not hold the batch {b.batch} (a sequence-first "
                                   "model [L, N, ...]? give its batch N: batch=N / --batch N)")
            return
        count = b.per_sample(oshape) // (m * n)  # the leading axes without the batch
        if b.per_sample(x.shape) != count * m * k or b.per_sample(y.shape) != count * k * n:
            self.unsupported(node, f"broadcasting MatMul of {list(x.shape)} and {list(y.shape)}")
            return
        b.add(node.output[0], Matmul(name=name, m=m, k=k, n=n, count=count), [x, y], oshape)

    def binary(self, node: Any, name: str, kind: EltwiseKind, acts: list[Value],
               oshape: tuple[int, ...]) -> None:
        b = self.b
        out = node.output[0]
        if kind == "add" and node.op_type == "Add" and len(acts) == 1:
            # MatMul + Add(bias) as torch exports a linear on 3-d inputs: fold the bias.
            x = acts[0]
            rec = b.record_of(x.src)
            src_t = node.input[0] if node.input[0] in b.values else node.input[1]
            if (rec is not None and isinstance(rec.layer, Linear) and not rec.layer.bias
                    and rec.out_key == src_t and self.uses.get(src_t, 0) == 1):
                rec.layer = rec.layer.model_copy(update={"bias": True})
                b.alias(out, x)
                self.layout[out] = (node, src_t)
                return
        n_out = b.per_sample(oshape)
        if any(b.per_sample(v.shape) != n_out for v in acts):
            self.unsupported(node, f"broadcasting {node.op_type} of "
                                   f"{[list(v.shape) for v in acts]}")
            return
        same = len({v.chan for v in acts}) == 1 and len({v.shape for v in acts}) == 1
        b.add(out, eltwise(name, kind, b.sample_shape(oshape), len(acts)), acts, oshape,
              chan=acts[0].chan if same else None)

    # ---- selections: parts of a packed linear layer --------------------------------------------
    def select(self, node: Any, a: dict[str, Any]) -> None:
        """A Gather, Split or Slice of an activation: each output must take whole output
        features of one linear layer (through layout ops only), which then splits."""
        picks = self.picks(node, a)
        outs = [t for t in node.output if t]
        if picks is None or len(picks) != len(outs):
            self.unsupported(node, f"{node.op_type} with computed indices or sizes")
            return
        found = self.features(node.input[0], picks)
        if found is None:
            self.unsupported(node, f"{node.op_type} that does not take whole output features "
                                   "of a linear layer")
            return
        info, parts = found
        for t, (feats, sel) in zip(outs, parts):
            self.split_off(info, t, feats, sel, node)

    def picks(self, node: Any, a: dict[str, Any]) -> list[Any] | None:
        """What the node takes of an array of its input's shape, one function per output."""
        op, ins = node.op_type, list(node.input)

        def const(i: int) -> np.ndarray | None:
            return self.consts.get(ins[i]) if len(ins) > i and ins[i] else None

        axis = int(a.get("axis", 0))
        if op == "Gather":
            idx = const(1)
            if idx is None:
                return None
            return [lambda x: np.take(x, idx.astype(np.int64), axis=axis)]
        if op == "Slice":
            if "starts" in a:  # opset < 10: attributes
                starts, ends = list(a["starts"]), list(a["ends"])
                axes, steps = a.get("axes"), None
            else:
                vals = [const(i) for i in range(1, 5)]
                if vals[0] is None or vals[1] is None or (len(ins) > 3 and ins[3]
                                                         and vals[2] is None):
                    return None
                starts, ends = list(vals[0]), list(vals[1])
                axes = None if vals[2] is None else list(vals[2])
                steps = None if vals[3] is None else list(vals[3])
            return [lambda x: x[_slices(x.ndim, starts, ends, axes, steps)]]
        if len(ins) > 1 and ins[1] and const(1) is None:
            return None
        sizes = const(1) if len(ins) > 1 else (np.array(a["split"]) if "split" in a else None)
        n_out = len([t for t in node.output if t])
        dim = self.shape(ins[0])[axis]
        if sizes is None:  # equal parts (the last one smaller if need be)
            step = -(-dim // n_out)
            sizes = np.array([min(step, dim - i * step) for i in range(n_out)])
        bounds = np.cumsum([0, *sizes.tolist()])
        return [lambda x, lo=int(lo), hi=int(hi): np.take(x, np.arange(lo, hi), axis=axis)
                for lo, hi in itertools.pairwise(bounds)]

    def features(self, t: str, picks: list[Any]
                 ) -> tuple[_Packed, list[tuple[np.ndarray, np.ndarray]]] | None:
        """For each pick of tensor ``t``: the output features of the linear layer behind it
        that it takes (sorted) and the feature index of each element it takes; None unless
        ``t`` is that layer's output through layout ops that nothing else reads, every
        reader of ``t`` is a selection, and each pick takes whole features not taken yet."""
        chain: list[tuple[Any, str]] = []
        cur = t
        while cur in self.layout:
            step, src = self.layout[cur]
            chain.append((step, cur))
            cur = src
        rec = self.b.record_of(self.b.values[t].src)
        if rec is None or not isinstance(rec.layer, Linear) or rec.out_key != cur:
            return None
        inner = [cur, *(out for _, out in chain[1:])]  # tensors between the layer and t
        if any(self.uses.get(x, 0) != 1 for x in inner if x != t) or self.uses.get(t, 0) != \
                len(self.consumers.get(t, [])) or \
                any(c.op_type not in _SELECT for c in self.consumers.get(t, [])):
            return None
        info = self.packed.get(rec.layer.name) or _Packed(
            rec, rec.mask, rec.layer.out_features, list(range(rec.layer.out_features)))
        if self.shape(cur)[-1] != info.features:
            return None
        idx: np.ndarray = np.broadcast_to(np.arange(info.features, dtype=np.int32),
                                          self.shape(cur))
        for step, out in reversed(chain):
            if step.op_type == "Transpose":
                idx = idx.transpose(_perm(_attrs(step), idx.ndim))
            else:
                idx = idx.reshape(self.shape(out))
        tokens = idx.size // info.features
        left = set(info.left)
        parts = []
        for pick in picks:
            sel = pick(idx)
            feats = np.unique(sel)
            if feats.size == 0 or sel.size != feats.size * tokens \
                    or not left.issuperset(feats.tolist()):
                return None
            left -= set(feats.tolist())
            parts.append((feats, sel))
        return info, parts

    def split_off(self, info: _Packed, t: str, feats: np.ndarray, sel: np.ndarray,
                  node: Any) -> None:
        """Make the features ``feats`` of ``info``'s layer a linear layer of their own that
        writes ``t``; the layer keeps the rest and goes once nothing is left."""
        b, parent = self.b, info.parent
        self.packed[parent.layer.name] = info
        n = feats.size
        first = int(feats[0])
        aligned = info.features % n == 0 and first % n == 0 and int(feats[-1]) == first + n - 1
        name = b.unique(f"{parent.layer.name}.{first // n}" if aligned
                        else node.name or f"{node.op_type}_{self._index}")
        layer = parent.layer.model_copy(update={"name": name, "out_features": n})
        # Its channels are the last axis when every row holds the same features. Structural
        # removal stays exact: a packed q/k/v part reaches the attention matmuls through a
        # head-splitting Reshape (no channel axis left), so its zero rows stay in its mask.
        rows = sel.reshape(-1, sel.shape[-1]) if sel.ndim else sel.reshape(1, 1)
        chan = sel.ndim - 1 if sel.ndim and bool((rows == rows[0]).all()) else None
        mask = None if info.mask is None else info.mask[feats]
        b.add(t, layer, parent.reads, self.shape(t), mask, chan)
        info.parts.append((first, b.records.pop()))
        taken = set(feats.tolist())
        info.left = [f for f in info.left if f not in taken]
        if info.left:
            parent.layer = parent.layer.model_copy(update={"out_features": len(info.left)})
            parent.mask = None if info.mask is None else info.mask[info.left]
        group = [r for _, r in info.parts] + [parent]
        pos = min(i for i, r in enumerate(b.records) if any(r is g for g in group))
        rest = [r for r in b.records if not any(r is g for g in group)]
        ordered = [r for _, r in sorted(info.parts, key=lambda p: p[0])]
        b.records[:] = rest[:pos] + ordered + ([parent] if info.left else []) + rest[pos:]

    def pool(self, node: Any, name: str, a: dict[str, Any], x: Value, oshape: tuple[int, ...],
             kind: PoolKind) -> None:
        pads = list(a.get("pads", [0, 0, 0, 0]))
        kernel = tuple(a.get("kernel_shape", ()))
        if (len(x.shape) != 4 or len(kernel) != 2 or pads[:2] != pads[2:]
                or tuple(a.get("dilations", (1, 1))) != (1, 1)
                or a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID")):
            self.unsupported(node, f"{node.op_type} with padding {pads} / dilation / auto_pad")
            return
        layer = Pool(name=name, kind=kind, channels=x.shape[1], input_hw=(x.shape[2], x.shape[3]),
                     kernel=kernel, stride=tuple(a.get("strides", (1, 1))),
                     padding=tuple(pads[:2]))
        if layer.output_hw != tuple(oshape[2:4]):
            self.unsupported(node, f"{node.op_type} with ceil_mode")
            return
        self.b.add(node.output[0], layer, [x], oshape, chan=1, channelwise=True)


def _perm(a: dict[str, Any], ndim: int) -> list[int]:
    """A Transpose's permutation (default: reverse the axes)."""
    return [int(p) for p in a["perm"]] if "perm" in a else list(range(ndim))[::-1]


def _slices(ndim: int, starts: list[Any], ends: list[Any], axes: list[Any] | None,
            steps: list[Any] | None) -> tuple[slice, ...]:
    """numpy indexing for an ONNX Slice (numpy clamps out-of-range bounds the same way)."""
    out = [slice(None)] * ndim
    for i, ax in enumerate(axes if axes is not None else range(len(starts))):
        step = int(steps[i]) if steps is not None else 1
        out[int(ax) % ndim] = slice(int(starts[i]), int(ends[i]), step)
    return tuple(out)


__all__ = ["from_onnx", "import_onnx"]

"""Import an ONNX model (onnx.shape_inference for exact shapes; zeros of initializers = masks).

onnx is imported here only, so hwsim works without it. Shapes must be static (a symbolic batch
axis of the graph input is taken as ``batch``).
"""

from __future__ import annotations

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
from hwsim.importers.record import Value
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
    ``on_unsupported`` and ``structural``. ``batch`` replaces a symbolic batch axis."""
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
                                  "Softmax": "softmax", "LayerNormalization": "layernorm"}
_BINARY: dict[str, EltwiseKind] = {"Add": "add", "Sub": "add", "Mul": "mul", "Div": "mul"}
_PASS = {"Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Transpose"}
_CHANNELWISE = ("relu", "gelu", "sigmoid")


class _Walker:
    def __init__(self, model: Any, name: str, on_unsupported: OnUnsupported, structural: bool,
                 batch: int) -> None:
        from onnx import numpy_helper

        g = model.graph
        self.g = g
        self.consts: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i)
                                              for i in g.initializer}
        self.shapes: dict[str, tuple[int | None, ...] | None] = {}
        for vi in [*g.input, *g.value_info, *g.output]:
            self.shapes[vi.name] = _dims(vi)
        inputs = [i for i in g.input if i.name not in self.consts]
        if not inputs:
            raise HwsimError(f"ONNX model '{name}' has no graph input")
        first = self.shapes.get(inputs[0].name)
        if first and first[0] is not None:
            batch = first[0]
        self.batch = batch
        self.uses: dict[str, int] = {}
        for node in g.node:
            for t in node.input:
                self.uses[t] = self.uses.get(t, 0) + 1
        for o in g.output:
            self.uses[o.name] = self.uses.get(o.name, 0) + 1
        self.b = GraphBuilder(name, batch, on_unsupported, source=f"ONNX {name}",
                              structural=structural)
        for i in inputs:
            self.b.add_input(i.name, self.shape(i.name))
        self.b.outputs = [o.name for o in g.output]

    def shape(self, t: str) -> tuple[int, ...]:
        dims = self.shapes.get(t)
        if dims is None:
            raise HwsimError(f"ONNX shape inference gives no shape for tensor '{t}'")
        if dims and dims[0] is None:
            dims = (self.batch, *dims[1:])
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
        shape = self.shape(out) if self.shapes.get(out) else ()
        self.b.skip(out, self.where(node, what), self.acts(node), shape)

    def node(self, node: Any, index: int) -> None:
        self._index = index
        op, b = node.op_type, self.b
        acts = self.acts(node)
        if op == "Constant":
            from onnx import numpy_helper

            t = _attrs(node).get("value")
            if t is not None:
                self.consts[node.output[0]] = numpy_helper.to_array(t)
            return
        if not acts:
            return  # computes on constants only (shape arithmetic): no activation involved
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
            perm = None
            if op == "Transpose":
                nd = len(acts[0].shape)
                perm = list(a["perm"]) if "perm" in a else list(range(nd))[::-1]
            b.alias(out, change_layout(acts[0], oshape, perm))
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
        count = b.per_sample(oshape) // (m * n)
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
                return
        n_out = b.per_sample(oshape)
        if any(b.per_sample(v.shape) != n_out for v in acts):
            self.unsupported(node, f"broadcasting {node.op_type} of "
                                   f"{[list(v.shape) for v in acts]}")
            return
        same = len({v.chan for v in acts}) == 1 and len({v.shape for v in acts}) == 1
        b.add(out, eltwise(name, kind, b.sample_shape(oshape), len(acts)), acts, oshape,
              chan=acts[0].chan if same else None)

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


__all__ = ["from_onnx", "import_onnx"]

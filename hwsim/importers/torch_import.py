"""Import a PyTorch ``nn.Module`` (torch.fx symbolic trace + ShapeProp for exact shapes).

Weight masks come from ``torch.nn.utils.prune`` (the ``weight_mask`` buffer) and from exact
zeros of the weight. torch is imported here only, so hwsim works without it.
"""

from __future__ import annotations

import operator
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
from hwsim.workload.layers import (
    Conv2d,
    EltwiseKind,
    EmbeddingBag,
    Linear,
    Matmul,
    Pool,
    PoolKind,
)


def _torch() -> Any:
    try:
        import torch
    except ModuleNotFoundError:
        raise HwsimError("importing PyTorch models needs torch: pip install -e .[torch]") from None
    return torch


def from_torch(module: Any, example_inputs: Any, name: str | None = None,
               on_unsupported: OnUnsupported = "error", structural: bool = True) -> Workload:
    """The Workload of ``module`` run on ``example_inputs`` (a tensor or a tuple of them).

    Batch = the first input's first dimension. ``on_unsupported='skip'`` leaves unsupported ops
    out with a warning naming them; ``'error'`` raises HwsimError naming them. ``structural``
    removes all-zero filters where every consumer can drop the matching inputs.
    """
    return import_torch(module, example_inputs, name, on_unsupported, structural).workload


def import_torch(module: Any, example_inputs: Any, name: str | None = None,
                 on_unsupported: OnUnsupported = "error",
                 structural: bool = True) -> ImportResult:
    """Like ``from_torch``, also returning recognised patterns and removed channels."""
    torch = _torch()
    from torch.fx import symbolic_trace
    from torch.fx.passes.shape_prop import ShapeProp

    inputs = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    if not inputs or not all(isinstance(t, torch.Tensor) for t in inputs):
        raise HwsimError("example_inputs must be a tensor or a tuple of tensors")
    if inputs[0].dim() == 0:
        raise HwsimError("the first example input needs a batch dimension")
    name = name or type(module).__name__
    try:
        gm = symbolic_trace(module)
    except Exception as exc:  # tracing failures are user-model problems (control flow...)
        raise HwsimError(f"torch.fx cannot trace '{name}': {type(exc).__name__}: {exc}") from None
    was_training = module.training
    module.train(False)  # inference mode
    try:
        with torch.no_grad():
            ShapeProp(gm).propagate(*inputs)
    except Exception as exc:
        raise HwsimError(f"running '{name}' on the example inputs failed: "
                         f"{type(exc).__name__}: {exc}") from None
    finally:
        module.train(was_training)
    b = GraphBuilder(name, int(inputs[0].shape[0]), on_unsupported,
                     source=f"PyTorch {type(module).__module__}.{type(module).__name__}",
                     structural=structural)
    _Walker(gm, b, torch).run()
    return b.finish(description=f"imported from PyTorch ({type(module).__name__})")


def weight_mask(mod: Any) -> np.ndarray:
    """Kept weights of a module: its prune ``weight_mask`` (if any) and nonzero weights."""
    w = mod.weight.detach()
    mask = (w != 0).cpu().numpy()
    m = getattr(mod, "weight_mask", None)
    if m is not None:
        mask &= m.detach().cpu().numpy() != 0
    return mask


def _shape(node: Any) -> tuple[int, ...] | None:
    meta = node.meta.get("tensor_meta")
    if meta is None or not hasattr(meta, "shape"):
        return None
    return tuple(int(d) for d in meta.shape)


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


_UNARY: dict[str, EltwiseKind] = {"relu": "relu", "gelu": "gelu", "sigmoid": "sigmoid",
                                  "softmax": "softmax", "layer_norm": "layernorm", "relu_": "relu"}
_BINARY: dict[str, EltwiseKind] = {"add": "add", "sub": "add", "mul": "mul", "truediv": "mul",
                                   "div": "mul", "iadd": "add", "imul": "mul"}
_PASS = {"flatten", "view", "reshape", "permute", "transpose", "contiguous", "dropout",
         "squeeze", "unsqueeze", "identity", "t"}
_CHANNELWISE_KINDS = ("relu", "gelu", "sigmoid")


def _fn_name(target: Any) -> str:
    if isinstance(target, str):
        return target
    return getattr(target, "__name__", str(target)).lstrip("_") if target is not operator.matmul \
        else "matmul"


class _Walker:
    """Turns fx nodes into builder calls."""

    def __init__(self, gm: Any, b: GraphBuilder, torch: Any) -> None:
        self.gm, self.b, self.torch = gm, b, torch
        self.nn = torch.nn
        self.mods = dict(gm.named_modules())

    def run(self) -> None:
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                shape = _shape(node)
                if shape is not None:
                    self.b.add_input(node.name, shape)
            elif node.op == "output":
                self.b.outputs = [n.name for n in _flat(node.args) if hasattr(n, "name")]
            elif node.op == "get_attr":
                continue  # parameters and constants: not activations
            else:
                self.node(node)

    # ---- helpers -------------------------------------------------------------------------------
    def acts(self, node: Any) -> list[Value]:
        """Activation operands of ``node`` (tensor inputs that are not parameters)."""
        return [self.b.values[n.name] for n in _flat((node.args, node.kwargs))
                if hasattr(n, "name") and n.name in self.b.values]

    def where(self, node: Any, what: str) -> str:
        return f"{what} at node '{node.name}' ({node.op} {_target_text(node.target)})"

    def unsupported(self, node: Any, what: str) -> None:
        shape = _shape(node)
        self.b.skip(node.name, self.where(node, what), self.acts(node), shape or ())

    def sample(self, shape: tuple[int, ...]) -> list[int]:
        return self.b.sample_shape(shape)

    # ---- dispatch ------------------------------------------------------------------------------
    def node(self, node: Any) -> None:
        out = _shape(node)
        acts = self.acts(node)
        fn = _fn_name(node.target)
        if out is None:  # no tensor: shape arithmetic (x.size(0), x.shape) or a tuple
            if fn in ("size", "dim", "getattr", "getitem") or not acts:
                return
            self.unsupported(node, fn)  # tuple-valued ops on activations (chunk, split...)
            return
        if fn == "getitem" and node.op == "call_function":
            if acts and acts[0].shape == ():  # an element of a skipped op's tuple
                self.b.alias(node.name, Value(acts[0].src, out, None))
            elif acts:
                self.unsupported(node, "indexing/slicing (getitem)")
            return
        if node.op == "call_module":
            self.module(node, self.mods[node.target], acts, out)
        else:
            self.function(node, fn, acts, out)

    def module(self, node: Any, mod: Any, acts: list[Value], out: tuple[int, ...]) -> None:
        nn, b, name = self.nn, self.b, self.b.unique(node.name)
        if isinstance(mod, nn.Conv2d):
            self.conv(node, mod, name, acts, out)
        elif isinstance(mod, nn.Linear):
            x = acts[0]
            tokens = b.per_sample(x.shape) // mod.in_features
            layer = Linear(name=name, in_features=mod.in_features, out_features=mod.out_features,
                           tokens=tokens, bias=mod.bias is not None)
            b.add(node.name, layer, [x], out, weight_mask(mod), chan=len(out) - 1)
        elif isinstance(mod, (nn.BatchNorm2d, nn.BatchNorm1d)):
            self.batchnorm(node, name, acts, out)
        elif isinstance(mod, (nn.ReLU, nn.GELU, nn.Sigmoid, nn.Softmax, nn.LayerNorm)):
            kinds: dict[type, EltwiseKind] = {nn.ReLU: "relu", nn.GELU: "gelu",
                                              nn.Sigmoid: "sigmoid", nn.Softmax: "softmax",
                                              nn.LayerNorm: "layernorm"}
            kind = kinds[type(mod)]
            self.unary(node, name, kind, acts, out)
        elif isinstance(mod, (nn.MaxPool2d, nn.AvgPool2d)):
            self.pool(node, name, acts, out, "max" if isinstance(mod, nn.MaxPool2d) else "avg",
                      mod.kernel_size, mod.stride, mod.padding,
                      getattr(mod, "dilation", 1), mod.ceil_mode)
        elif isinstance(mod, nn.AdaptiveAvgPool2d):
            self.adaptive_pool(node, name, acts, out)
        elif isinstance(mod, (nn.Dropout, nn.Identity, nn.Flatten)):
            b.alias(node.name, change_layout(acts[0], out))
        elif isinstance(mod, nn.Embedding):
            self.embedding(node, name, mod, out, bag=False)
        elif isinstance(mod, nn.EmbeddingBag):
            self.embedding(node, name, mod, out, bag=True)
        else:
            self.unsupported(node, f"module {type(mod).__name__} '{node.target}'")

    def function(self, node: Any, fn: str, acts: list[Value], out: tuple[int, ...]) -> None:
        b = self.b
        args = node.args
        if fn in _PASS:
            if not acts:
                return
            b.alias(node.name, change_layout(acts[0], out, self.perm(node, fn, acts[0])))
        elif fn in _UNARY:
            self.unary(node, b.unique(node.name), _UNARY[fn], acts, out)
        elif fn in _BINARY:
            self.binary(node, _BINARY[fn], acts, out)
        elif fn in ("matmul", "bmm"):
            self.matmul(node, acts, out)
        elif fn == "cat":
            if len(acts) == 1:
                b.alias(node.name, change_layout(acts[0], out))
            else:
                b.add(node.name, eltwise(b.unique(node.name), "concat", self.sample(out), 1),
                      acts, out)
        elif fn in ("max_pool2d", "avg_pool2d"):
            kw = dict(zip(("kernel_size", "stride", "padding"), args[1:4]))
            kw.update({k: v for k, v in node.kwargs.items()})
            self.pool(node, b.unique(node.name), acts, out,
                      "max" if fn == "max_pool2d" else "avg",
                      kw.get("kernel_size"), kw.get("stride") or kw.get("kernel_size"),
                      kw.get("padding", 0), kw.get("dilation", 1), kw.get("ceil_mode", False))
        elif fn == "adaptive_avg_pool2d":
            self.adaptive_pool(node, b.unique(node.name), acts, out)
        elif not acts:
            return  # computes on constants only (e.g. arange): no activation involved
        else:
            self.unsupported(node, fn)

    # ---- ops -----------------------------------------------------------------------------------
    def perm(self, node: Any, fn: str, x: Value) -> list[int] | None:
        nd = len(x.shape)
        rest = [a for a in node.args[1:] if not hasattr(a, "name")]
        if fn == "permute":
            dims = rest[0] if rest and isinstance(rest[0], (list, tuple)) else rest
            dims = dims or node.kwargs.get("dims")
            return [int(d) % nd for d in dims]
        if fn in ("transpose", "t"):
            d0, d1 = (rest[0], rest[1]) if len(rest) >= 2 else (0, 1)
            p = list(range(nd))
            d0, d1 = d0 % nd, d1 % nd
            p[d0], p[d1] = p[d1], p[d0]
            return p
        return None

    def conv(self, node: Any, mod: Any, name: str, acts: list[Value],
             out: tuple[int, ...]) -> None:
        x = acts[0]
        if len(x.shape) != 4:
            self.unsupported(node, f"Conv2d '{node.target}' on a {len(x.shape)}-d input")
            return
        k, d = _pair(mod.kernel_size), _pair(mod.dilation)
        if isinstance(mod.padding, str):
            if mod.padding == "valid":
                pad = (0, 0)
            elif all((d[i] * (k[i] - 1)) % 2 == 0 for i in range(2)):
                pad = (d[0] * (k[0] - 1) // 2, d[1] * (k[1] - 1) // 2)
            else:
                self.unsupported(node, f"Conv2d '{node.target}' with asymmetric 'same' padding")
                return
        else:
            pad = _pair(mod.padding)
        layer = Conv2d(name=name, in_channels=mod.in_channels, out_channels=mod.out_channels,
                       kernel=k, stride=_pair(mod.stride), padding=pad, dilation=d,
                       groups=mod.groups, input_hw=(x.shape[2], x.shape[3]),
                       bias=mod.bias is not None)
        dw = mod.groups > 1 and mod.groups == mod.in_channels == mod.out_channels
        self.b.add(node.name, layer, [x], out, weight_mask(mod), chan=1, channelwise=dw)

    def batchnorm(self, node: Any, name: str, acts: list[Value], out: tuple[int, ...]) -> None:
        src = node.args[0]
        if len(src.users) == 1 and self.b.fold_batchnorm(src.name, node.name):
            return
        x = acts[0]
        # A standalone BatchNorm: one fused scale-and-shift per element.
        layer = eltwise(name, "mul", self.sample(out), 1)
        self.b.add(node.name, layer, [x], out, chan=x.chan,
                   channelwise=x.chan is not None and out[0] == self.b.batch)

    def unary(self, node: Any, name: str, kind: EltwiseKind, acts: list[Value],
              out: tuple[int, ...]) -> None:
        x = acts[0]
        cw = kind in _CHANNELWISE_KINDS and x.chan is not None and out[0] == self.b.batch
        self.b.add(node.name, eltwise(name, kind, self.sample(out), 1), [x], out,
                   chan=x.chan if kind in _CHANNELWISE_KINDS else None, channelwise=cw)

    def binary(self, node: Any, kind: EltwiseKind, acts: list[Value],
               out: tuple[int, ...]) -> None:
        b = self.b
        n_out = b.per_sample(out)
        if any(b.per_sample(v.shape) != n_out for v in acts):
            self.unsupported(node, f"broadcasting {_fn_name(node.target)} of "
                                   f"{[list(v.shape) for v in acts]}")
            return
        if not acts:
            return
        same = len({v.chan for v in acts}) == 1 and len({v.shape for v in acts}) == 1
        chan = acts[0].chan if same else None
        b.add(node.name, eltwise(b.unique(node.name), kind, self.sample(out), len(acts)),
              acts, out, chan=chan)

    def matmul(self, node: Any, acts: list[Value], out: tuple[int, ...]) -> None:
        b = self.b
        a_node, w_node = node.args[0], node.args[1]
        if len(acts) == 1 and getattr(w_node, "op", None) == "get_attr":
            w = _fetch(self.gm, w_node.target)  # x @ W with W [in, out]: a linear layer
            if w.dim() != 2:
                self.unsupported(node, "matmul with a non-2-d weight")
                return
            x = acts[0]
            kin, nout = int(w.shape[0]), int(w.shape[1])
            layer = Linear(name=b.unique(node.name), in_features=kin, out_features=nout,
                           tokens=b.per_sample(x.shape) // kin, bias=False)
            mask = (w.detach() != 0).cpu().numpy().T
            b.add(node.name, layer, [x], out, mask, chan=len(out) - 1)
            return
        if len(acts) != 2 or getattr(a_node, "name", None) not in b.values:
            self.unsupported(node, "matmul with a constant left operand")
            return
        a, c = acts
        if len(a.shape) < 2 or len(c.shape) < 2:
            self.unsupported(node, "matmul of 1-d operands")
            return
        m, k, n = a.shape[-2], a.shape[-1], c.shape[-1]
        count = b.per_sample(out) // (m * n)
        if b.per_sample(a.shape) != count * m * k or b.per_sample(c.shape) != count * k * n:
            self.unsupported(node, f"broadcasting matmul of {list(a.shape)} and {list(c.shape)}")
            return
        b.add(node.name, Matmul(name=b.unique(node.name), m=m, k=k, n=n, count=count),
              [a, c], out)

    def pool(self, node: Any, name: str, acts: list[Value], out: tuple[int, ...], kind: PoolKind,
             kernel: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool) -> None:
        x = acts[0]
        if len(x.shape) != 4 or _pair(dilation) != (1, 1):
            self.unsupported(node, f"{kind} pool on {list(x.shape)} with dilation {dilation}")
            return
        layer = Pool(name=name, kind=kind, channels=x.shape[1], input_hw=(x.shape[2], x.shape[3]),
                     kernel=_pair(kernel), stride=_pair(stride or kernel), padding=_pair(padding))
        if ceil_mode and layer.output_hw != tuple(out[2:]):
            self.unsupported(node, f"{kind} pool with ceil_mode")
            return
        self.b.add(node.name, layer, [x], out, chan=1, channelwise=True)

    def adaptive_pool(self, node: Any, name: str, acts: list[Value],
                      out: tuple[int, ...]) -> None:
        x = acts[0]
        if len(x.shape) != 4:
            self.unsupported(node, f"adaptive pool on {list(x.shape)}")
            return
        (h, w), (oh, ow) = x.shape[2:], out[2:]
        if (oh, ow) == (1, 1):
            layer = Pool(name=name, kind="avg", channels=x.shape[1], input_hw=(h, w),
                         global_=True)
        elif h % oh == 0 and w % ow == 0:
            kern = (h // oh, w // ow)
            layer = Pool(name=name, kind="avg", channels=x.shape[1], input_hw=(h, w),
                         kernel=kern, stride=kern)
        else:
            self.unsupported(node, f"adaptive pool {h}x{w} -> {oh}x{ow} (uneven windows)")
            return
        self.b.add(node.name, layer, [x], out, chan=1, channelwise=True)

    def embedding(self, node: Any, name: str, mod: Any, out: tuple[int, ...], bag: bool) -> None:
        b = self.b
        idx_node = node.args[0]
        idx = _shape(idx_node)
        if bag:
            if len(node.args) > 1 or node.kwargs.get("offsets") is not None or idx is None \
                    or len(idx) != 2 or mod.mode not in ("sum", "mean"):
                self.unsupported(node, f"EmbeddingBag '{node.target}' with offsets or "
                                       f"mode {mod.mode}")
                return
            layer = EmbeddingBag(name=name, num_tables=1, rows=mod.num_embeddings,
                                 dim=mod.embedding_dim, lookups=idx[1])
        else:
            # One lookup per index: each index position is a one-lookup "table".
            per = b.per_sample(idx or (b.batch,))
            layer = EmbeddingBag(name=name, num_tables=per, rows=mod.num_embeddings,
                                 dim=mod.embedding_dim, lookups=1)
        reads = [b.values[idx_node.name]] if idx_node.name in b.values else []
        b.add(node.name, layer, reads, out, chan=len(out) - 1)


def _flat(x: Any) -> list[Any]:
    if isinstance(x, (list, tuple)):
        return [y for item in x for y in _flat(item)]
    if isinstance(x, dict):
        return [y for item in x.values() for y in _flat(item)]
    return [x]


def _fetch(gm: Any, target: str) -> Any:
    obj = gm
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj


def _target_text(target: Any) -> str:
    if isinstance(target, str):
        return target
    mod = getattr(target, "__module__", None) or ""
    return f"{mod}.{getattr(target, '__name__', target)}".lstrip(".")


__all__ = ["from_torch", "import_torch", "weight_mask"]

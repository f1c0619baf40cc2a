"""Import a PyTorch ``nn.Module`` (torch.fx symbolic trace + ShapeProp for exact shapes).

Weight masks come from ``torch.nn.utils.prune`` (the ``weight_mask`` buffer) and from exact
zeros of the weight. torch is imported here only, so hwsim works without it.

PyTorch's attention modules (``nn.MultiheadAttention``, ``nn.TransformerEncoderLayer`` /
``DecoderLayer``, their ``TransformerEncoder`` / ``Decoder`` stacks and ``nn.Transformer``) are
fx leaves: their forward has data-dependent control flow (the fused fast path, mask checks) that
symbolic tracing cannot follow. The importer expands them itself from their parameters and the
shapes ShapeProp records (see ``_Expand``).
"""

from __future__ import annotations

import inspect
import operator
from dataclasses import dataclass
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

    Batch = the first input's first dimension (its second when the first attention module is
    sequence-first, ``batch_first=False``). ``on_unsupported='skip'`` leaves unsupported ops
    out with a warning naming them; ``'error'`` raises HwsimError naming them. ``structural``
    removes all-zero filters where every consumer can drop the matching inputs.
    """
    return import_torch(module, example_inputs, name, on_unsupported, structural).workload


def import_torch(module: Any, example_inputs: Any, name: str | None = None,
                 on_unsupported: OnUnsupported = "error",
                 structural: bool = True) -> ImportResult:
    """Like ``from_torch``, also returning recognised patterns and removed channels."""
    torch = _torch()
    from torch.fx.passes.shape_prop import ShapeProp

    inputs = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    if not inputs or not all(isinstance(t, torch.Tensor) for t in inputs):
        raise HwsimError("example_inputs must be a tensor or a tuple of tensors")
    if inputs[0].dim() == 0:
        raise HwsimError("the first example input needs a batch dimension")
    name = name or type(module).__name__
    try:
        gm = _trace(torch, module, len(inputs))
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
    b = GraphBuilder(name, _batch(gm, int(inputs[0].shape[0])), on_unsupported,
                     source=f"PyTorch {type(module).__module__}.{type(module).__name__}",
                     structural=structural)
    _Walker(gm, b, torch).run()
    return b.finish(description=f"imported from PyTorch ({type(module).__name__})")


def weight_mask(mod: Any) -> np.ndarray:
    """Kept weights of a module: its prune ``weight_mask`` (if any) and nonzero weights."""
    return param_mask(mod, "weight")


def param_mask(mod: Any, param: str) -> np.ndarray:
    """Kept entries of the weight ``param`` of ``mod``: its prune mask ``<param>_mask`` (if
    any) and nonzero entries (e.g. ``in_proj_weight`` of a MultiheadAttention)."""
    w = getattr(mod, param).detach()
    mask = (w != 0).cpu().numpy()
    m = getattr(mod, f"{param}_mask", None)
    if m is not None:
        mask &= m.detach().cpu().numpy() != 0
    return mask


#: The fx target under which ``_trace`` holds a root module that is expanded as a whole.
_ROOT = "root"
#: Which ``_Expand`` method expands each attention module type (by name, as torch is optional).
_EXPANDERS = {"MultiheadAttention": "mha", "TransformerEncoderLayer": "encoder_layer",
              "TransformerDecoderLayer": "decoder_layer", "TransformerEncoder": "encoder",
              "TransformerDecoder": "decoder", "Transformer": "transformer"}


def _expander(nn: Any, mod: Any) -> str | None:
    """The ``_Expand`` method for ``mod``: an attention module of ``torch.nn``, or a subclass
    that keeps its forward (a subclass with its own forward is traced as user code)."""
    for cls_name, method in _EXPANDERS.items():
        cls = getattr(nn, cls_name, None)
        if cls is not None and isinstance(mod, cls) and type(mod).forward is cls.forward:
            return method
    return None


def _trace(torch: Any, module: Any, n_inputs: int) -> Any:
    """An fx GraphModule of ``module`` in which attention modules are leaves (call_module
    nodes). A root that is itself one is called by a one-node graph under ``_ROOT``:
    tracing into it would hit its control flow. A root MultiheadAttention called with one input
    is self-attention (x, x, x), with two (query, key=value); its first output is the result."""
    fx, nn = torch.fx, torch.nn
    if _expander(nn, module) is None:
        base: Any = fx.Tracer

        class Tracer(base):
            def is_leaf_module(self, m: Any, qualname: str) -> bool:
                return _expander(nn, m) is not None or bool(super().is_leaf_module(m, qualname))

        return fx.GraphModule(module, Tracer().trace(module), type(module).__name__)
    holder = nn.Module()
    holder.add_module(_ROOT, module)
    g = fx.Graph()
    args = [g.placeholder(f"input_{i}") for i in range(n_inputs)]
    if isinstance(module, nn.MultiheadAttention) and 0 < len(args) < 3:
        args = [args[0], args[-1], args[-1]]
    out = g.call_module(_ROOT, tuple(args))
    if isinstance(module, nn.MultiheadAttention):
        out = g.call_function(operator.getitem, (out, 0))
    g.output(out)
    return fx.GraphModule(holder, g, type(module).__name__)


def _batch_first(nn: Any, mod: Any) -> bool:
    """Whether an attention module takes [batch, length, features] (else [length, batch, ...])."""
    if isinstance(mod, (nn.MultiheadAttention, nn.Transformer)):
        return bool(mod.batch_first)
    if isinstance(mod, (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer)):
        return bool(mod.self_attn.batch_first)
    layers = list(getattr(mod, "layers", []))  # an encoder or decoder stack
    return not layers or _batch_first(nn, layers[0])


def _batch(gm: Any, default: int) -> int:
    """The workload batch: ``default`` (the first input's first axis) unless the first
    attention module reads a sequence-first ([L, N, E]: N) or unbatched ([L, E]: 1) input."""
    nn = _torch().nn
    mods = dict(gm.named_modules())
    for node in gm.graph.nodes:
        if node.op != "call_module" or _expander(nn, mods[node.target]) is None:
            continue
        first = node.args[0] if node.args else next(iter(node.kwargs.values()), None)
        shape = _shape(first) if hasattr(first, "meta") else None
        if shape is None:
            return default
        if len(shape) == 2:
            return 1
        return default if _batch_first(nn, mods[node.target]) else shape[1]
    return default


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
        self.expand = _Expand(torch, b)
        self.attn_outputs: dict[str, _AttnOutput] = {}  # MultiheadAttention node -> its tuple

    def run(self) -> None:
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                shape = _shape(node)
                if shape is not None:
                    self.b.add_input(node.name, shape)
            elif node.op == "output":
                self.b.outputs = [key for n in _flat(node.args) if hasattr(n, "name")
                                  for key in self.output_keys(n)]
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
        if node.op == "call_module" and _expander(self.nn, self.mods[node.target]) is not None:
            self.attention(node, self.mods[node.target])
            return
        out = _shape(node)
        acts = self.acts(node)
        fn = _fn_name(node.target)
        if fn == "getitem" and getattr(node.args[0], "name", None) in self.attn_outputs:
            self.attn_item(node, self.attn_outputs[node.args[0].name], node.args[1], out)
            return
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

    # ---- attention modules ---------------------------------------------------------------------
    def attention(self, node: Any, mod: Any) -> None:
        """Expand an attention module (leaf node) into hwsim layers; an unsupported variant
        leaves no partial layers behind and is reported like any unsupported op."""
        method = _expander(self.nn, mod)
        assert method is not None
        prefix = "" if node.target == _ROOT else str(node.target)
        try:
            bound = inspect.signature(type(mod).forward).bind(mod, *node.args, **node.kwargs)
        except TypeError as exc:
            self.unsupported(node, f"call of {type(mod).__name__} '{node.target}' ({exc})")
            return
        bound.apply_defaults()
        n_records, n_unsupported = len(self.b.records), len(self.b.unsupported)
        try:
            result = self.expand.module(node.name, prefix, mod, method, bound.arguments)
        except _UnsupportedError as exc:
            del self.b.records[n_records:], self.b.unsupported[n_unsupported:]
            label = f"'{node.target}'" if prefix else "(the model)"
            self.unsupported(node, f"{type(mod).__name__} {label}: {exc}")
            return
        if isinstance(result, _AttnOutput):
            self.attn_outputs[node.name] = result
            result = result.output
        self.b.alias(node.name, result)

    def attn_item(self, node: Any, res: _AttnOutput, index: Any,
                  out: tuple[int, ...] | None) -> None:
        """``attn(q, k, v)[i]``: the attention output, or the attention weights (the softmax;
        averaged over the heads, one add of ``heads`` operands, unless asked per head)."""
        if out is None:  # the weights of need_weights=False: None
            return
        if index == 0:
            self.b.alias(node.name, Value(res.output.src, out, res.output.chan))
        else:
            self.attn_weights(node.name, res, out)

    def attn_weights(self, key: str, res: _AttnOutput, out: tuple[int, ...]) -> None:
        if res.heads == 1 or not res.average:
            self.b.alias(key, change_layout(res.weights, out))
        else:
            layer = eltwise(self.b.unique(_join(res.prefix, "attn_weights")), "add",
                            self.sample(out), res.heads)
            self.b.add(key, layer, [res.weights], out)

    def output_keys(self, node: Any) -> list[str]:
        """Value keys of a graph output; a MultiheadAttention's tuple returned as it is gives
        its output and, unless None, its weights."""
        res = self.attn_outputs.get(node.name)
        meta = node.meta.get("tensor_meta")
        if res is None or not isinstance(meta, (tuple, list)) or len(meta) < 2 \
                or not hasattr(meta[1], "shape"):
            return [node.name]
        key = f"{node.name}/weights"
        self.attn_weights(key, res, tuple(int(d) for d in meta[1].shape))
        return [node.name, key]

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


class _UnsupportedError(Exception):
    """A variant of an attention module that the expansion does not model."""


@dataclass(frozen=True)
class _AttnOutput:
    """What a MultiheadAttention returns: the attention output and, for ``[1]``, the
    attention weights (the softmax, [N, heads, Lq, Lk]) and how torch reduces them."""

    output: Value
    weights: Value
    heads: int
    average: bool
    prefix: str


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


class _Expand:
    """hwsim layers of PyTorch's attention modules, from their parameters and input shapes.

    Layers are named by module path (``<module>.q_proj``...; the root module's own parts have no
    prefix). Dropout is left out (inference), and masks (``attn_mask``, key padding,
    ``is_causal``) change no count: the unfused matmuls compute the full score matrix, as
    ``F.multi_head_attention_forward`` does. The 1/sqrt(d) scaling of the scores is not a
    layer (it folds into the query projection). LayerNorm parameters are not counted
    (an Eltwise layer has none), as for an ``nn.LayerNorm`` anywhere else.
    """

    def __init__(self, torch: Any, b: GraphBuilder) -> None:
        self.torch, self.nn, self.b = torch, torch.nn, b
        self.key = ""

    def module(self, key: str, prefix: str, mod: Any, method: str,
               args: dict[str, Any]) -> Value | _AttnOutput:
        """Expand ``mod`` called with the (bound) fx ``args``; ``key`` names the fx node."""
        self.key = key
        if method == "mha":
            average = bool(args["need_weights"]) and bool(args["average_attn_weights"])
            q, k, v = self.values(args, "query", "key", "value")
            return self.mha(prefix, mod, q, k, v, average)
        if method == "transformer":
            src, tgt = self.values(args, "src", "tgt")
            return self.transformer(prefix, mod, src, tgt)
        names = ("src",) if method in ("encoder_layer", "encoder") else ("tgt", "memory")
        out: Value = getattr(self, method)(prefix, mod, *self.values(args, *names))
        return out

    def values(self, args: dict[str, Any], *names: str) -> list[Value]:
        """The activation values of the arguments ``names``."""
        return [self.value(args.get(name), name) for name in names]

    def value(self, arg: Any, name: str) -> Value:
        v = self.b.values.get(arg.name) if hasattr(arg, "name") else None
        if v is None or not v.shape:
            raise _UnsupportedError(f"its '{name}' is not a tensor the import computes")
        return v

    # ---- building blocks -----------------------------------------------------------------------
    def add(self, layer: Any, reads: list[Value], out: tuple[int, ...],
            mask: np.ndarray | None = None, chan: int | None = None,
            channelwise: bool = False) -> Value:
        """``b.add`` under a value key of its own (the fx node, then the layer name)."""
        return self.b.add(f"{self.key}/{layer.name}", layer, reads, out, mask, chan, channelwise)

    def linear(self, name: str, mod: Any, x: Value, out: tuple[int, ...],
               mask: np.ndarray | None = None, chan: int | None = None) -> Value:
        """``mod`` (an nn.Linear) on ``x``; ``out`` is the full output shape."""
        if not isinstance(mod, self.nn.Linear):
            raise _UnsupportedError(f"'{name}' is a {type(mod).__name__}, not a Linear")
        layer = Linear(name=self.b.unique(name), in_features=mod.in_features,
                       out_features=mod.out_features,
                       tokens=self.b.per_sample(x.shape) // mod.in_features,
                       bias=mod.bias is not None)
        return self.add(layer, [x], out, weight_mask(mod) if mask is None else mask, chan)

    def norm(self, name: str, mod: Any, x: Value) -> Value:
        if not isinstance(mod, self.nn.LayerNorm):
            raise _UnsupportedError(f"'{name}' is a {type(mod).__name__}, not a LayerNorm")
        layer = eltwise(self.b.unique(name), "layernorm", self.b.sample_shape(x.shape), 1)
        return self.add(layer, [x], x.shape)

    def residual(self, name: str, x: Value, y: Value) -> Value:
        chan = x.chan if (x.chan, x.shape) == (y.chan, y.shape) else None
        layer = eltwise(self.b.unique(name), "add", self.b.sample_shape(x.shape), 2)
        return self.add(layer, [x, y], x.shape, chan=chan)

    def activation(self, name: str, fn: Any, x: Value) -> Value:
        """The FFN activation: relu or gelu (a function or a module), or sigmoid."""
        nn, F = self.nn, self.nn.functional
        kind: EltwiseKind
        if fn is F.relu or isinstance(fn, nn.ReLU):
            kind = "relu"
        elif fn is F.gelu or isinstance(fn, nn.GELU):
            kind = "gelu"
        elif fn in (self.torch.sigmoid, F.sigmoid) or isinstance(fn, nn.Sigmoid):
            kind = "sigmoid"
        else:  # reported by ``finish`` (an error, or left out with a warning under 'skip')
            what = getattr(fn, "__name__", type(fn).__name__)
            self.b.unsupported.append(f"activation {what} of '{name}'")
            return x
        cw = x.chan is not None and x.shape[0] == self.b.batch
        layer = eltwise(self.b.unique(name), kind, self.b.sample_shape(x.shape), 1)
        return self.add(layer, [x], x.shape, chan=x.chan, channelwise=cw)

    def feed_forward(self, prefix: str, mod: Any, x: Value) -> Value:
        """linear1 -> activation -> linear2 (a layer's FFN block)."""
        hidden = (*x.shape[:-1], mod.linear1.out_features)
        h = self.linear(_join(prefix, "linear1"), mod.linear1, x, hidden, chan=len(hidden) - 1)
        h = self.activation(_join(prefix, "activation"), mod.activation, h)
        return self.linear(_join(prefix, "linear2"), mod.linear2, h,
                           (*x.shape[:-1], mod.linear2.out_features), chan=len(x.shape) - 1)

    def batch_and_length(self, x: Value, batch_first: bool, what: str) -> tuple[int, int]:
        """(batch, sequence length) of an attention input ([N, L, E], [L, N, E] or [L, E])."""
        if len(x.shape) == 2:
            n, length = 1, x.shape[0]
        elif len(x.shape) == 3:
            n, length = (x.shape[0], x.shape[1]) if batch_first else (x.shape[1], x.shape[0])
        else:
            raise _UnsupportedError(f"{what} of shape {list(x.shape)} (needs 2 or 3 dimensions)")
        if n != self.b.batch:
            raise _UnsupportedError(f"its {what} has batch {n} but the workload's batch is "
                                    f"{self.b.batch} (a sequence-first module after "
                                    "batch-first ones?)")
        return n, length

    # ---- attention -----------------------------------------------------------------------------
    def in_proj_masks(self, mod: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Masks of the q, k, v projections: row blocks of ``in_proj_weight`` (3E x E), or
        the separate ``q/k/v_proj_weight`` when kdim or vdim differ from embed_dim."""
        e = mod.embed_dim
        if mod.in_proj_weight is not None:
            full = param_mask(mod, "in_proj_weight")
            return full[:e].copy(), full[e:2 * e].copy(), full[2 * e:].copy()
        q, k, v = (param_mask(mod, f"{c}_proj_weight") for c in "qkv")
        return q, k, v

    def mha(self, prefix: str, mod: Any, q: Value, k: Value, v: Value,
            average: bool = True) -> _AttnOutput:
        """q/k/v projections, scores (Lq x d @ d x Lk per head), softmax, context
        (Lq x Lk @ Lk x d per head) and the output projection.

        The projections' outputs carry no channel axis: the heads split their features and
        the score/context matmuls cannot drop a feature of one head, so structural removal
        never shrinks a projection (its zero rows stay in its mask); their inputs, read by
        plain linears, can still lose channels.
        """
        if mod.bias_k is not None or mod.add_zero_attn:
            raise _UnsupportedError("add_bias_kv / add_zero_attn (an extra key) is not modelled")
        e, h, d = mod.embed_dim, mod.num_heads, mod.head_dim
        n, lq = self.batch_and_length(q, mod.batch_first, "query")
        _, lk = self.batch_and_length(k, mod.batch_first, "key")
        masks = self.in_proj_masks(mod)
        bias = mod.in_proj_bias is not None
        proj = []
        for x, part, mask in zip((q, k, v), ("q_proj", "k_proj", "v_proj"), masks):
            name = _join(prefix, part)
            layer = Linear(name=self.b.unique(name), in_features=x.shape[-1], out_features=e,
                           tokens=self.b.per_sample(x.shape) // x.shape[-1], bias=bias)
            proj.append(self.add(layer, [x], (*x.shape[:-1], e), mask))
        scores = Matmul(name=self.b.unique(_join(prefix, "scores")), m=lq, k=d, n=lk, count=h)
        s = self.add(scores, [proj[0], proj[1]], (n, h, lq, lk))
        soft = eltwise(self.b.unique(_join(prefix, "softmax")), "softmax", [h, lq, lk], 1)
        w = self.add(soft, [s], (n, h, lq, lk))
        context = Matmul(name=self.b.unique(_join(prefix, "context")), m=lq, k=lk, n=d, count=h)
        c = self.add(context, [w, proj[2]], (n, h, lq, d))
        out = (*q.shape[:-1], e)
        o = self.linear(_join(prefix, "out_proj"), mod.out_proj, c, out, chan=len(out) - 1)
        return _AttnOutput(o, w, h, average, prefix)

    def self_attention(self, prefix: str, mod: Any, x: Value) -> Value:
        return self.mha(prefix, mod, x, x, x).output

    # ---- transformer layers and stacks ---------------------------------------------------------
    def encoder_layer(self, prefix: str, mod: Any, x: Value) -> Value:
        """Self-attention and FFN blocks, each with a residual add and a LayerNorm (before the
        block with ``norm_first``, after the add without)."""
        p = prefix
        sa = _join(p, "self_attn")
        if mod.norm_first:
            x = self.residual(_join(p, "add1"), x, self.self_attention(
                sa, mod.self_attn, self.norm(_join(p, "norm1"), mod.norm1, x)))
            return self.residual(_join(p, "add2"), x, self.feed_forward(
                p, mod, self.norm(_join(p, "norm2"), mod.norm2, x)))
        x = self.norm(_join(p, "norm1"), mod.norm1, self.residual(
            _join(p, "add1"), x, self.self_attention(sa, mod.self_attn, x)))
        return self.norm(_join(p, "norm2"), mod.norm2, self.residual(
            _join(p, "add2"), x, self.feed_forward(p, mod, x)))

    def decoder_layer(self, prefix: str, mod: Any, x: Value, memory: Value) -> Value:
        """Self-attention, cross-attention (keys and values from ``memory``) and FFN blocks,
        each with a residual add and a LayerNorm, as in ``encoder_layer``."""
        p = prefix
        blocks = (
            lambda y: self.self_attention(_join(p, "self_attn"), mod.self_attn, y),
            lambda y: self.mha(_join(p, "multihead_attn"), mod.multihead_attn, y, memory,
                               memory).output,
            lambda y: self.feed_forward(p, mod, y),
        )
        norms = (mod.norm1, mod.norm2, mod.norm3)
        for i, (block, norm) in enumerate(zip(blocks, norms), start=1):
            if mod.norm_first:
                x = self.residual(_join(p, f"add{i}"), x,
                                  block(self.norm(_join(p, f"norm{i}"), norm, x)))
            else:
                x = self.norm(_join(p, f"norm{i}"), norm,
                              self.residual(_join(p, f"add{i}"), x, block(x)))
        return x

    def stack(self, prefix: str, mod: Any, method: str, x: Value, *memory: Value) -> Value:
        for i, layer in enumerate(mod.layers):
            if _expander(self.nn, layer) != method:
                raise _UnsupportedError(f"layer {i} is a {type(layer).__name__}")
            x = getattr(self, method)(_join(prefix, f"layers.{i}"), layer, x, *memory)
        if mod.norm is not None:
            x = self.norm(_join(prefix, "norm"), mod.norm, x)
        return x

    def encoder(self, prefix: str, mod: Any, x: Value) -> Value:
        return self.stack(prefix, mod, "encoder_layer", x)

    def decoder(self, prefix: str, mod: Any, x: Value, memory: Value) -> Value:
        return self.stack(prefix, mod, "decoder_layer", x, memory)

    def transformer(self, prefix: str, mod: Any, src: Value, tgt: Value) -> Value:
        for part, want in ((mod.encoder, "encoder"), (mod.decoder, "decoder")):
            if _expander(self.nn, part) != want:
                raise _UnsupportedError(f"its custom {want} {type(part).__name__}")
        memory = self.encoder(_join(prefix, "encoder"), mod.encoder, src)
        return self.decoder(_join(prefix, "decoder"), mod.decoder, tgt, memory)


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

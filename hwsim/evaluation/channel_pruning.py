"""Channel (filter) pruning as a graph transform: pruned layers become smaller dense layers.

Removing output channels of a layer removes the matching input channels of every consumer.
Tensors joined by an element-wise op (a residual addition) must keep equal channel counts, so
channels are tracked per *class* of tensors (union-find over the joins): a class is pruned
consistently, or left whole when ``joins: keep``. Classes that reach the network output, an
attention matmul, an embedding or a concatenation are never pruned.
"""

from __future__ import annotations

from hwsim.sparsity.spec import Channel
from hwsim.workload.graph import INPUT, Workload
from hwsim.workload.layers import Conv2d, Eltwise, Layer, Linear, Pool

_FREEZING_KINDS = ("concat", "interaction")


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def _is_depthwise(layer: Layer) -> bool:
    return (isinstance(layer, Conv2d) and layer.groups > 1
            and layer.groups == layer.in_channels == layer.out_channels)


def _out_channels(layer: Layer) -> int | None:
    if isinstance(layer, Conv2d):
        return layer.out_channels
    if isinstance(layer, Linear):
        return layer.out_features
    if isinstance(layer, Pool):
        return layer.channels
    if isinstance(layer, Eltwise):
        return _channel_of_shape(layer.shape)
    return None


def _channel_of_shape(shape: list[int]) -> int:
    """Channel dimension of an element-wise tensor: first of [C, H, W], last of [T, F]."""
    return shape[0] if len(shape) == 3 else shape[-1]


def _with_channels(shape: list[int], c: int) -> list[int]:
    out = list(shape)
    out[0 if len(shape) == 3 else -1] = c
    return out


def channel_request(layer: Layer, default: Channel | None) -> Channel | None:
    """The channel pruning asked of ``layer``'s outputs: its own spec, else the default."""
    spec = layer.sparsity
    if isinstance(spec, Channel):
        return spec
    if spec is None or getattr(spec, "pattern", "dense") == "dense":
        return default
    return None


def prune_channels(wl: Workload, default: Channel | None = None) -> Workload:
    """The workload with channel pruning applied (unchanged if nothing asks for it)."""
    if default is None and not any(isinstance(lay.sparsity, Channel) for lay in wl.layers):
        return wl
    uf = _UnionFind()
    frozen: set[str] = {INPUT}
    joined: set[str] = set()
    for layer in wl.layers:
        ins = wl.producers(layer.name)
        if isinstance(layer, Eltwise) and layer.kind in _FREEZING_KINDS:
            frozen.update(ins)
            frozen.add(layer.name)
        elif isinstance(layer, Eltwise) and layer.kind == "pad":
            pass  # new channel count: its own class
        elif isinstance(layer, (Eltwise, Pool)) or _is_depthwise(layer):
            for src in ins:
                uf.union(layer.name, src)
            if isinstance(layer, Eltwise) and len(ins) > 1:
                joined.add(layer.name)
        elif not isinstance(layer, (Conv2d, Linear)):
            frozen.update(ins)  # matmul / embedding: shapes tied to other dimensions
            frozen.add(layer.name)
        if not wl.consumers(layer.name):
            frozen.add(layer.name)  # network outputs keep their size
    frozen_roots = {uf.find(x) for x in frozen}
    joined_roots = {uf.find(x) for x in joined}

    # Requested sparsity per class: the strongest any producing layer asks for.
    request: dict[str, Channel] = {}
    for layer in wl.layers:
        if not isinstance(layer, (Conv2d, Linear)) or _is_depthwise(layer):
            continue
        req = channel_request(layer, default)
        if req is None or req.sparsity <= 0:
            continue
        root = uf.find(layer.name)
        if root in frozen_roots or (root in joined_roots and req.joins == "keep"):
            continue
        if root not in request or req.sparsity > request[root].sparsity:
            request[root] = req
    if not request:
        return wl

    # Grouped (non-depthwise) convs need channel counts divisible by their groups.
    multiple: dict[str, int] = {}
    for layer in wl.layers:
        if isinstance(layer, Conv2d) and layer.groups > 1 and not _is_depthwise(layer):
            for name in [layer.name, *wl.producers(layer.name)]:
                r = uf.find(name)
                multiple[r] = max(multiple.get(r, 1), layer.groups)
    new_count: dict[str, int] = {}
    for layer in wl.layers:
        root = uf.find(layer.name)
        c = _out_channels(layer)
        if root in request and c is not None and root not in new_count:
            g = multiple.get(root, 1)
            keep = max(g, round(c * (1.0 - request[root].sparsity) / g) * g)
            new_count[root] = min(c, keep)

    def channels_of(name: str, original: int) -> int:
        return new_count.get(uf.find(name), original) if name != INPUT else original

    out: list[Layer] = []
    for layer in wl.layers:
        ins = wl.producers(layer.name)
        src = ins[0] if ins else INPUT
        own = _out_channels(layer)
        upd: dict[str, object] = {}
        if isinstance(layer, Conv2d):
            cin = channels_of(src, layer.in_channels)
            cout = channels_of(layer.name, layer.out_channels)
            if _is_depthwise(layer):
                upd = {"in_channels": cin, "out_channels": cin, "groups": cin}
            else:
                upd = {"in_channels": cin, "out_channels": cout}
        elif isinstance(layer, Linear):
            prod = _producer_channels(wl, src)
            fin = layer.in_features
            if prod is not None and src != INPUT:
                per_channel = layer.in_features // prod if layer.in_features % prod == 0 else 0
                if per_channel:
                    fin = channels_of(src, prod) * per_channel
            upd = {"in_features": fin,
                   "out_features": channels_of(layer.name, layer.out_features)}
        elif isinstance(layer, Pool):
            upd = {"channels": channels_of(layer.name, layer.channels)}
        elif isinstance(layer, Eltwise) and own is not None and layer.kind not in _FREEZING_KINDS:
            upd = {"shape": _with_channels(layer.shape, channels_of(layer.name, own))}
        changed = any(getattr(layer, k) != v for k, v in upd.items())
        out.append(layer.model_copy(update=upd) if changed else layer)
    # Re-validate every shape through the constructors and the graph checks.
    rebuilt = [type(lay).model_validate(lay.model_dump(by_alias=True)) for lay in out]
    return wl.with_layers(rebuilt)


def _producer_channels(wl: Workload, name: str) -> int | None:
    if name == INPUT:
        return None
    return _out_channels(wl.layer(name))

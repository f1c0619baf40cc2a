"""Structural channel removal: all-zero filters of an imported conv/linear become a smaller layer.

A filter whose weights are all zero writes a constant channel (its bias, zero without one);
pruning tools remove it and fold the constant into the consumers' biases. That is exact for the
cost model when every consumer can drop the matching input channel: a plain (groups=1) conv or a
linear reading the channel axis, reached directly or through channel-wise layers (ReLU, GELU,
sigmoid, a standalone BatchNorm, pooling, depthwise convs), which shrink along. Anything else
(a residual add or multiply, concat, softmax or layernorm over channels, an attention matmul, a
reshape that mixes channels into other axes, the network output) keeps all channels; the zeros
then stay in the layer's mask, where the real-mask statistics see them.
"""

from __future__ import annotations

import numpy as np

from hwsim.importers.record import Record
from hwsim.workload.layers import Conv2d, Eltwise, Linear, Pool


def _is_depthwise(layer: object) -> bool:
    return (isinstance(layer, Conv2d) and layer.groups > 1
            and layer.groups == layer.in_channels == layer.out_channels)


def _reads_channels(rec: Record, read_chan: int | None, ndim: int) -> str | None:
    """How ``rec`` reads a tensor whose channels sit on axis ``read_chan``: 'drop' (a layer
    that can drop input channels), 'pass' (a channel-wise layer), or None (cannot)."""
    layer = rec.layer
    if read_chan is None:
        return None
    if isinstance(layer, Conv2d) and layer.groups == 1:
        return "drop" if read_chan == 1 and ndim == 4 else None
    if isinstance(layer, Linear):
        return "drop" if read_chan == ndim - 1 else None
    if rec.channelwise and len(rec.reads) == 1:
        if isinstance(layer, (Pool, Conv2d)):
            return "pass" if read_chan == 1 and ndim == 4 else None
        return "pass"
    return None


class _Graph:
    def __init__(self, records: list[Record], outputs: set[str]) -> None:
        self.records = records
        self.outputs = outputs
        self.consumers: dict[str, list[tuple[Record, int]]] = {}
        for rec in records:
            for i, v in enumerate(rec.reads):
                self.consumers.setdefault(v.src, []).append((rec, i))

    def can_drop(self, name: str) -> bool:
        """Whether every reader of ``name``'s channels can drop some of them."""
        if name in self.outputs or not self.consumers.get(name):
            return False
        for rec, i in self.consumers[name]:
            v = rec.reads[i]
            how = _reads_channels(rec, v.chan, len(v.shape))
            if how is None or (how == "pass" and not self.can_drop(rec.layer.name)):
                return False
        return True

    def drop(self, name: str, keep: np.ndarray) -> None:
        """Shrink every reader of ``name`` to the channels ``keep`` (indices into the old)."""
        n = len(keep)
        for rec, i in self.consumers[name]:
            v = rec.reads[i]
            layer = rec.layer
            if isinstance(layer, Linear):
                per = layer.in_features // v.shape[-1]
                rec.layer = layer.model_copy(update={"in_features": n * per})
                rec.mask = None if rec.mask is None else rec.mask[:, keep]
            elif _is_depthwise(layer):
                rec.layer = layer.model_copy(
                    update={"in_channels": n, "out_channels": n, "groups": n})
                rec.mask = None if rec.mask is None else rec.mask[keep]
                self.drop(layer.name, keep)
            elif isinstance(layer, Conv2d):
                rec.layer = layer.model_copy(update={"in_channels": n})
                rec.mask = None if rec.mask is None else rec.mask[:, keep]
            elif isinstance(layer, Pool):
                rec.layer = layer.model_copy(update={"channels": n})
                self.drop(layer.name, keep)
            elif isinstance(layer, Eltwise):
                shape = list(layer.shape)
                assert v.chan is not None  # can_drop: every reader has a channel axis
                shape[v.chan - 1] = n
                rec.layer = layer.model_copy(update={"shape": shape})
                self.drop(layer.name, keep)


def remove_zero_channels(records: list[Record],
                         outputs: set[str]) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    """Remove all-zero output channels of plain convs and linears in place where exact.

    Returns ({layer: (channels before, after)} for removed ones, {layer: zero channels kept}).
    At least one channel is always kept.
    """
    g = _Graph(records, outputs)
    removed: dict[str, tuple[int, int]] = {}
    kept: dict[str, int] = {}
    for rec in records:  # topological order: a layer's input columns are final by now
        layer = rec.layer
        if rec.mask is None or not isinstance(layer, (Conv2d, Linear)):
            continue
        if isinstance(layer, Conv2d) and layer.groups != 1:
            continue
        rows = rec.mask.reshape(rec.mask.shape[0], -1).any(axis=1)
        zeros = int((~rows).sum())
        if zeros == 0:
            continue
        if zeros == rows.size or not g.can_drop(layer.name):
            kept[layer.name] = zeros
            continue
        keep = np.flatnonzero(rows)
        field = "out_channels" if isinstance(layer, Conv2d) else "out_features"
        before = getattr(layer, field)
        rec.layer = layer.model_copy(update={field: len(keep)})
        rec.mask = rec.mask[keep]
        removed[layer.name] = (before, len(keep))
        g.drop(layer.name, keep)
    return removed, kept

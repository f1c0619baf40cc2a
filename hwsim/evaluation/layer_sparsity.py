"""Which sparsity each layer has: the CLI override, the layer's own spec, or its real mask."""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Mapping

import numpy as np

from hwsim.arch.hardware import Hardware
from hwsim.errors import HwsimError
from hwsim.model.loopnest import LoopNest
from hwsim.sparsity.profile import SparsityProfile
from hwsim.sparsity.spec import Channel, Dense, Nested, Pattern
from hwsim.workload.graph import Workload
from hwsim.workload.layers import Conv2d, Layer, Linear


def weight_matrix_shape(layer: Layer) -> tuple[int, int, int] | None:
    """(rows, cols, R*S) of the layer's weight matrix, or None if it has no static weights."""
    if isinstance(layer, Conv2d):
        rs = layer.kernel[0] * layer.kernel[1]
        return layer.out_channels, layer.in_channels // layer.groups * rs, rs
    if isinstance(layer, Linear):
        return layer.out_features, layer.in_features, 1
    return None


def takes_override(layer: Layer) -> bool:
    """Whether a run-wide ``--sparsity`` replaces this layer's weight pattern (and its imported
    mask): a prunable layer with static weights."""
    return weight_matrix_shape(layer) is not None and layer.prunable


def layer_mask(layer: Layer, workload: Workload, override: Pattern | None) -> np.ndarray | None:
    """The layer's imported mask, unless a run-wide override replaces it (a real-mask layer
    keeps its mask only when no override applies to it)."""
    mask = workload.masks.get(layer.name)
    if mask is not None and override is not None and takes_override(layer):
        return None
    return mask


def resolve_spec(layer: Layer, override: Pattern | None, level: int = 0) -> Pattern | None:
    """The pattern that applies to ``layer``: the override (for prunable layers with weights,
    and for activation sparsity of any MAC layer), else the layer's own; nested specs give
    ``level``."""
    spec = layer.sparsity
    if override is not None:
        spec = override if takes_override(layer) else _act_only(override)
    if isinstance(spec, Nested):
        spec = spec.level(min(level, len(spec.levels) - 1))
    return spec


def _act_only(spec: Pattern) -> Pattern | None:
    return Dense(act=spec.act, out_act=spec.out_act) if spec.activation_zeros else None


def layer_profile(layer: Layer, nest: LoopNest, spec: Pattern | None,
                  mask: np.ndarray | None) -> SparsityProfile | None:
    """The layer's SparsityProfile (None when dense)."""
    shape = weight_matrix_shape(layer)
    act = spec.act if spec is not None else 0.0
    out = spec.out_act if spec is not None else 0.0
    if mask is not None and shape is not None:
        rows, cols, rs = shape
        if mask.size != rows * cols:
            raise HwsimError(f"mask for layer '{layer.name}' has shape {mask.shape}, expected "
                             f"{rows} x {cols} weights (e.g. {_torch_shape(layer)})")
        return SparsityProfile(rows, cols, rs, spec=spec or Dense(),
                               mask=mask.reshape(rows, cols), input_density=1.0 - act,
                               from_mask=True, output_density=1.0 - out)
    if spec is None or (spec.pattern == "dense" and not spec.activation_zeros):
        return None
    if isinstance(spec, Channel):
        # the layer is already smaller; only activations remain
        spec = Dense(act=act, out_act=out)
    if shape is None:  # matmul: both operands are activations
        return SparsityProfile(nest.K, nest.C, 1, spec=Dense(), input_density=1.0 - act,
                               output_density=1.0 - out)
    rows, cols, rs = shape
    return SparsityProfile(rows, cols, rs, spec=spec, input_density=1.0 - act,
                           output_density=1.0 - out)


def skip_hardware(hw: Hardware, profile: SparsityProfile | None) -> Hardware:
    """``hw`` as it meets ``profile``: an array that skips empty blocks (``sparsity.skip:
    block``) without a declared block size skips the pattern's own blocks when the pattern is
    block-structured (plain or shuffled blocks); otherwise ``hw`` itself (the model then uses
    the array's own tile). Only that declared field is specialised: every number stays the
    one resolved at load."""
    sup = hw.sparsity
    if profile is None or sup.skip != "block" or sup.block is not None or profile.from_mask:
        return hw
    size = profile.block_size
    if size is None:
        return hw
    return dataclasses.replace(hw, sparsity=sup.model_copy(update={"block": tuple(size)}))


def has_own_sparsity(workload: Workload) -> bool:
    """Whether the workload brings sparsity of its own: imported masks, or a layer's pattern
    (other than dense without activation zeros)."""
    return bool(workload.masks) or any(
        layer.sparsity is not None and not (layer.sparsity.pattern == "dense"
                                            and not layer.sparsity.activation_zeros)
        for layer in workload.layers)


def strip_sparsity(workload: Workload) -> Workload:
    """The dense network: no masks, no per-layer patterns."""
    if not has_own_sparsity(workload):
        return workload
    layers = [layer.model_copy(update={"sparsity": None}) if layer.sparsity is not None
              else layer for layer in workload.layers]
    return dataclasses.replace(workload.with_layers(layers), masks={}, masks_file=None)


def _torch_shape(layer: Layer) -> str:
    if isinstance(layer, Conv2d):
        return (f"[{layer.out_channels}, {layer.in_channels // layer.groups}, "
                f"{layer.kernel[0]}, {layer.kernel[1]}]")
    if isinstance(layer, Linear):
        return f"[{layer.out_features}, {layer.in_features}]"
    return "?"


def apply_layer_sparsity(workload: Workload, rules: Mapping[str, Pattern],
                         where: str = "layer sparsity") -> Workload:
    """``workload`` with each layer's own pattern set by the first rule whose glob matches its
    name (``layers.*.mlp.*``, fnmatch syntax), in rule order; a rule that matches no layer
    with weights is refused (a misspelt name would otherwise change nothing)."""
    used = dict.fromkeys(rules, False)
    layers = []
    for layer in workload.layers:
        for glob, pattern in rules.items():
            if weight_matrix_shape(layer) is not None and fnmatch.fnmatchcase(layer.name, glob):
                layer = layer.model_copy(update={"sparsity": pattern})
                used[glob] = True
                break
        layers.append(layer)
    unused = [g for g, hit in used.items() if not hit]
    if unused:
        raise HwsimError(f"{where}: no layer with weights of '{workload.name}' matches "
                         f"{', '.join(repr(g) for g in unused)}")
    return workload.with_layers(layers)

"""evaluate(workload, arch): every layer through lower -> sparsity -> map -> count -> cost,
into a Report."""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from hwsim.arch.spec import ArchSpec
from hwsim.choices import OBJECTIVES
from hwsim.errors import HwsimError, InfeasibleHardwareError
from hwsim.evaluation.channel_pruning import prune_channels
from hwsim.evaluation.layer_sparsity import (
    layer_mask,
    layer_profile,
    resolve_spec,
    skip_hardware,
)
from hwsim.model.collective import allreduce_cost
from hwsim.model.cost import LayerCost
from hwsim.model.loopnest import lower
from hwsim.model.targets import TARGETS
from hwsim.model.vector import vector_layer_cost
from hwsim.precision import Precision, bytes_per_element
from hwsim.report.run import LayerResult, Report, build_report, check_finite
from hwsim.sparsity.spec import Channel, Nested, Pattern
from hwsim.workload.fusion import fuse_attention, unfuse_attention
from hwsim.workload.graph import Workload
from hwsim.workload.layers import AllReduce, Layer
from hwsim.workload.residency import keep_activations

__all__ = ["OBJECTIVES", "AttentionPolicy", "evaluate", "layer_precision"]

AttentionPolicy = Literal["arch", "fused", "unfused"]


def layer_precision(layer: Layer, workload: Workload, arch: ArchSpec) -> Precision:
    """The layer's precision, else the workload's, else the arch's default; must be supported."""
    p = layer.precision or workload.precision or arch.default_precision
    if p not in arch.precisions:
        raise HwsimError(
            f"layer '{layer.name}' uses {p}, which arch '{arch.name}' does not support "
            f"(it supports {', '.join(arch.precisions)})"
        )
    return p


def evaluate(
    workload: Workload,
    arch: ArchSpec,
    objective: str = "latency",
    batch: int | None = None,
    sparsity: Pattern | None = None,
    level: int = 0,
    attention: AttentionPolicy = "arch",
    layers: Collection[str] | None = None,
) -> Report:
    """Latency, energy and their breakdown for every layer of ``workload`` on ``arch``.

    ``sparsity`` overrides every layer's own pattern and imported mask (of prunable layers
    with weights; the others keep theirs and take only its activation sparsity); channel
    patterns shrink the layers first; ``level`` picks the level of a nested pattern (0 =
    densest), the override's or, without one, the layers' own; a level no nested pattern has
    is an error. An array that skips empty blocks without a declared size skips a block
    pattern's own blocks (:func:`~hwsim.evaluation.layer_sparsity.skip_hardware`).
    ``attention``: 'arch' fuses the attention chains where the arch declares fused attention
    kernels and leaves the workload as written elsewhere; 'fused' or 'unfused' force it.
    ``layers``: cost only the layers of these names (the whole graph still decides fusion,
    kept activations and channel pruning, so each is costed as in a full run); the report
    then holds those layers alone, and its totals are theirs.
    """
    if objective not in OBJECTIVES:
        raise HwsimError(f"unknown objective '{objective}', expected one of {OBJECTIVES}")
    if batch is not None:
        if isinstance(batch, bool) or not 0 < batch < 2**63:
            raise HwsimError(f"batch must be a whole number from 1 to 2^63 - 1, got {batch}")
        workload = workload.with_batch(batch)
    _check_level(workload, sparsity, level)
    if attention not in ("arch", "fused", "unfused"):
        raise HwsimError(f"attention must be arch, fused or unfused, got '{attention}'")
    if attention == "fused" or (attention == "arch" and arch.attention == "fused"):
        workload = fuse_attention(workload)
    elif attention == "unfused":
        workload = unfuse_attention(workload)
    hw = arch.hw
    target = TARGETS[hw.kind]
    top = sparsity.level(level) if isinstance(sparsity, Nested) else sparsity
    workload = prune_channels(workload, top if isinstance(top, Channel) else None)
    if arch.activations == "on_chip":
        pruned = workload
        workload = keep_activations(
            pruned, hw.level_of("inputs").capacity_bytes,
            lambda layer: bytes_per_element(layer_precision(layer, pruned, arch)))
    chosen = list(workload.layers)
    if layers is not None:
        if isinstance(layers, str):
            raise HwsimError(f"layers must be a collection of layer names, not the string "
                             f"'{layers}'")
        names = set(layers)
        if not names:
            raise HwsimError("layers names no layer: give at least one, or None for all")
        missing = names - {layer.name for layer in chosen}
        if missing:
            raise HwsimError(f"no layer {sorted(missing)} in {workload.name}")
        chosen = [layer for layer in chosen if layer.name in names]
    cache: dict[object, LayerCost] = {}
    rows: list[LayerResult] = []
    for layer in chosen:
        precision = layer_precision(layer, workload, arch)
        nest = lower(layer, workload.batch, precision)
        spec = resolve_spec(layer, top, level)
        label = spec.label if spec is not None else "dense"
        if nest is not None:
            mask = layer_mask(layer, workload, top)
            profile = layer_profile(layer, nest, spec, mask)
            if mask is not None:
                label = "real mask"
            key = (nest, objective, spec.model_dump_json() if spec is not None else "dense",
                   id(mask) if mask is not None else None)
            if key not in cache:
                try:
                    cache[key] = target(nest, skip_hardware(hw, profile), objective, profile)
                except InfeasibleHardwareError as exc:
                    raise InfeasibleHardwareError(f"layer '{layer.name}': {exc}") from None
            cost = cache[key]
        elif isinstance(layer, AllReduce):
            cost = allreduce_cost(layer, workload.batch, precision, hw)
        else:
            cost = vector_layer_cost(layer, workload.batch, precision, hw)
        rows.append(LayerResult.from_cost(layer, precision, cost, hw.clock_hz, label))
    report = build_report(workload, arch, objective, rows)
    check_finite(report)
    return report


def _check_level(workload: Workload, sparsity: Pattern | None, level: int) -> None:
    """A level that no nested pattern of this run has is a mistake, not level 0."""
    if isinstance(sparsity, Nested):
        if not 0 <= level < len(sparsity.levels):
            raise HwsimError(f"level {level} does not exist: the nested pattern has levels "
                             f"0..{len(sparsity.levels) - 1}")
        return
    if level == 0:
        return
    own = [len(layer.sparsity.levels) for layer in workload.layers
           if isinstance(layer.sparsity, Nested)] if sparsity is None else []
    if not own:
        raise HwsimError(f"level {level} does not exist: no nested pattern applies "
                         "(levels come from a nested --sparsity or a layer's nested pattern)")
    if not 0 <= level < max(own):
        raise HwsimError(f"level {level} does not exist: the layers' nested patterns have "
                         f"levels 0..{max(own) - 1}")

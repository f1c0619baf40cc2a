"""evaluate(workload, arch): every layer through lower -> map -> count -> cost, into a Report."""

from __future__ import annotations

from hwsim.arch.spec import ArchSpec
from hwsim.errors import HwsimError
from hwsim.model.cost import LayerCost
from hwsim.model.loopnest import lower
from hwsim.model.targets import TARGETS
from hwsim.model.vector import vector_layer_cost
from hwsim.report import LayerResult, Report, build_report, check_finite
from hwsim.sparsity.assign import layer_profile, resolve_spec
from hwsim.sparsity.channel import prune_channels
from hwsim.sparsity.spec import Channel, Nested
from hwsim.workload.graph import Workload
from hwsim.workload.layers import Layer

OBJECTIVES = ("latency", "energy", "edp")


def layer_precision(layer: Layer, workload: Workload, arch: ArchSpec) -> str:
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
    sparsity: object | None = None,
    level: int = 0,
) -> Report:
    """Latency, energy and their breakdown for every layer of ``workload`` on ``arch``.

    ``sparsity`` (a pattern from hwsim.sparsity.spec) overrides every layer's own; channel
    patterns shrink the layers first; ``level`` picks the level of a nested pattern.
    """
    if objective not in OBJECTIVES:
        raise HwsimError(f"unknown objective '{objective}', expected one of {OBJECTIVES}")
    if batch is not None:
        if batch <= 0:
            raise HwsimError(f"batch must be positive, got {batch}")
        workload = workload.with_batch(batch)
    target = TARGETS.get(arch.kind)
    if target is None:
        raise HwsimError(f"no model for target kind '{arch.kind}'")
    static_w = arch.static_power_w + arch.dram.static_power_w
    top = sparsity.level(level) if isinstance(sparsity, Nested) else sparsity
    workload = prune_channels(workload, top if isinstance(top, Channel) else None)
    cache: dict[object, LayerCost] = {}
    rows: list[LayerResult] = []
    for layer in workload.layers:
        precision = layer_precision(layer, workload, arch)
        nest = lower(layer, workload.batch, precision)
        spec = resolve_spec(layer, top, level)
        label = getattr(spec, "label", "dense") if spec is not None else "dense"
        if nest is not None:
            mask = workload.masks.get(layer.name)
            profile = layer_profile(layer, nest, spec, mask)
            if mask is not None:
                label = "real mask"
            key = (nest, objective, _spec_key(spec), id(mask) if mask is not None else None)
            if key not in cache:
                cache[key] = target(nest, arch, objective, static_w, profile)
            cost = cache[key]
        else:
            cost = vector_layer_cost(layer, workload.batch, precision, arch, static_w)
        rows.append(LayerResult.from_cost(layer, precision, cost, arch.clock_hz, label))
    report = build_report(workload, arch, objective, rows)
    check_finite(report)
    return report


def _spec_key(spec: object | None) -> str:
    dump = getattr(spec, "model_dump_json", None)
    return dump() if dump else "dense"

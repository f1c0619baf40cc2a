"""evaluate(workload, arch): every layer through lower -> map -> count -> cost, into a Report."""

from __future__ import annotations

from hwsim.arch.spec import ArchSpec
from hwsim.errors import HwsimError
from hwsim.model.cost import LayerCost
from hwsim.model.loopnest import lower
from hwsim.model.targets import TARGETS
from hwsim.model.vector import vector_layer_cost
from hwsim.report import LayerResult, Report, build_report, check_finite
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
    workload: Workload, arch: ArchSpec, objective: str = "latency", batch: int | None = None
) -> Report:
    """Latency, energy and their breakdown for every layer of ``workload`` on ``arch``."""
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
    cache: dict[object, LayerCost] = {}
    rows: list[LayerResult] = []
    for layer in workload.layers:
        precision = layer_precision(layer, workload, arch)
        nest = lower(layer, workload.batch, precision)
        if nest is not None:
            key = (nest, objective)
            if key not in cache:
                cache[key] = target(nest, arch, objective, static_w)
            cost = cache[key]
        else:
            cost = vector_layer_cost(layer, workload.batch, precision, arch, static_w)
        rows.append(LayerResult.from_cost(layer, precision, cost, arch.clock_hz))
    report = build_report(workload, arch, objective, rows)
    check_finite(report)
    return report

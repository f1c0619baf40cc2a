"""Budget queries: the largest model that meets a latency or energy budget on a device.

Per-device sub-model studies ask it three ways, all answered by evaluating candidates with the
same ``evaluate`` users call:

* ``channel``: the smallest channel-pruning rate (whole filters removed, the network shrinks)
  that fits the budget;
* ``density``: the smallest sparsity of a weight pattern (the densest model) that fits;
* ``submodel``: the largest of several given networks (by parameters) that fits.

Rates are scanned on a grid, not bisected: latency against pruning is a staircase (array
folds, tiles and waves), not a monotone curve, and a bisection would miss steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from hwsim.arch.spec import ArchSpec
from hwsim.errors import HwsimError
from hwsim.evaluation.evaluate import evaluate
from hwsim.sparsity.spec import Pattern, parse_sparsity
from hwsim.workload.graph import Workload

Metric = Literal["latency_s", "energy_j"]


@dataclass(frozen=True)
class BudgetResult:
    """The chosen model on one device (``value`` None when nothing fits the budget)."""

    arch: str
    knob: str
    value: str | None
    latency_s: float | None
    energy_j: float | None
    params: int | None
    macs: int | None
    evaluated: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _fits(totals: dict[str, Any], budgets: dict[Metric, float]) -> bool:
    return all(float(totals[k]) <= v for k, v in budgets.items())


def _grid(step: float, top: float) -> list[float]:
    """0, step, 2 step, ... up to ``top`` (included when a multiple of ``step``)."""
    n = math.floor(top / step + 1e-9)
    return [round(i * step, 6) for i in range(n + 1)]


def within_budget_rate(workload: Workload, arch: ArchSpec, budgets: dict[Metric, float],
                       pattern: str, step: float = 0.02, top: float = 0.98,
                       batch: int | None = None) -> BudgetResult:
    """The smallest sparsity of ``pattern`` (``channel`` or a weight pattern family such as
    ``unstructured``, ``block:size=4x4``) whose network meets every budget."""
    if not budgets:
        raise HwsimError("give a latency or an energy budget")
    if not 0 < step < top < 1:
        raise HwsimError(f"need 0 < step < top < 1, got step {step}, top {top}")
    knob = "channel" if pattern.startswith("channel") else f"density ({pattern})"
    tried = 0
    for s in _grid(step, top):
        spec: Pattern | None = None if s == 0 else _spec(pattern, s)
        rep = evaluate(workload, arch, batch=batch, sparsity=spec)
        tried += 1
        if _fits(rep.totals, budgets):
            return BudgetResult(arch.name, knob, f"{s:.0%} pruned", rep.totals["latency_s"],
                                rep.totals["energy_j"], _kept_params(rep.totals),
                                int(rep.totals["effective_macs"]), tried)
    return BudgetResult(arch.name, knob, None, None, None, None, None, tried)


def _spec(pattern: str, s: float) -> Pattern:
    sep = "," if ":" in pattern else ":"
    try:
        return parse_sparsity(f"{pattern}{sep}sparsity={s:.6g}")
    except HwsimError as exc:
        raise HwsimError(f"pattern '{pattern}' cannot be swept by sparsity: {exc}") from None


def _kept_params(totals: dict[str, Any]) -> int:
    """Nonzero parameters: stored parameters times their density."""
    return round(float(totals["params"]) * float(totals["density"]))


def largest_submodel(workloads: list[Workload], arch: ArchSpec, budgets: dict[Metric, float],
                     batch: int | None = None) -> BudgetResult:
    """The largest of ``workloads`` (by parameters) that meets every budget on ``arch``."""
    if not budgets:
        raise HwsimError("give a latency or an energy budget")
    tried = 0
    for wl in sorted(workloads, key=lambda w: w.params(), reverse=True):
        rep = evaluate(wl, arch, batch=batch)
        tried += 1
        if _fits(rep.totals, budgets):
            return BudgetResult(arch.name, "submodel", wl.name, rep.totals["latency_s"],
                                rep.totals["energy_j"], wl.params(), int(rep.totals["macs"]),
                                tried)
    return BudgetResult(arch.name, "submodel", None, None, None, None, None, tried)

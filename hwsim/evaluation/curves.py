"""Speedup-vs-sparsity curves: compare() over a grid of weight sparsities, as a frame that
``hwsim.plot.plot_sparsity`` draws."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

from hwsim.arch.load import load_arch
from hwsim.arch.spec import ArchSpec
from hwsim.errors import HwsimError
from hwsim.evaluation.compare import compare
from hwsim.report.flat import flat_records
from hwsim.sparsity.spec import Dense, Nested, Pattern, parse_sparsity
from hwsim.workload.graph import Workload
from hwsim.workload.io import load_workload

if TYPE_CHECKING:
    import pandas as pd

#: A pattern as a function of the weight sparsity, or a CLI template with ``{s}``.
PatternFactory = Callable[[float], Pattern] | str


def sparsity_curves(workload: Workload | str, archs: Sequence[ArchSpec | str],
                    patterns_by_name: Mapping[str, PatternFactory], sparsities: Sequence[float],
                    objective: str = "latency", batch: int | None = None) -> pd.DataFrame:
    """Compare rows over a grid of weight sparsities, ready for ``plot_sparsity``.

    ``workload`` and ``archs`` are objects or bundled names/paths. Each pattern is a callable
    ``sparsity -> spec`` or a CLI template with ``{s}``, e.g. ``"block:size=4x4,sparsity={s}"``.
    Returns one row per (arch, pattern, sparsity) plus one dense row per arch, with the
    CompareRow columns, ``series`` (the pattern's name) and ``weight_sparsity`` (nominal,
    fraction of zero weights; 0 for dense)."""
    import pandas as pd

    wl = load_workload(workload) if isinstance(workload, str) else workload
    arch_specs = [load_arch(a) if isinstance(a, str) else a for a in archs]
    specs: list[Pattern] = []
    keys: list[tuple[str, float]] = []
    for name, make in patterns_by_name.items():
        for s in sparsities:
            if isinstance(make, str):
                if "{s}" not in make:
                    raise HwsimError(f"pattern '{name}': template '{make}' has no {{s}}")
                spec = parse_sparsity(make.format(s=s))
            else:
                spec = make(s)
            if isinstance(spec, Nested):
                raise HwsimError(f"pattern '{name}': nested patterns are not a curve")
            if isinstance(spec, Dense) and not spec.activation_zeros:
                continue  # compare() gives the dense baseline once per arch
            specs.append(spec)
            keys.append((name, float(s)))
    rows = compare(wl, arch_specs, specs, objective=objective, batch=batch)
    df = pd.DataFrame(flat_records([asdict(r) for r in rows]))
    series, sparsity = [], []
    i = 0
    for r in rows:
        if r.pattern == "dense" and r.label == "dense":
            series.append("dense")
            sparsity.append(0.0)
            i = 0
            continue
        if r.pattern == "imported":  # the workload's own masks/patterns: not a curve point
            series.append(r.label)
            sparsity.append(1.0 - r.density)
            continue
        name, s = keys[i]
        series.append(name)
        sparsity.append(s)
        i += 1
    df["series"] = series
    df["weight_sparsity"] = sparsity
    df["workload"] = wl.name
    return df

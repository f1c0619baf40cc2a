"""compare(): dense plus every sparsity pattern (every level of nested ones), per accelerator."""

from __future__ import annotations

import math

from hwsim.arch.spec import ArchSpec
from hwsim.evaluation.evaluate import evaluate
from hwsim.report.compare import CompareRow, weight_storage
from hwsim.sparsity.spec import Dense, Nested, Pattern
from hwsim.workload.graph import Workload


def expand(specs: list[Pattern]) -> list[tuple[Pattern, int, str]]:
    """(spec, level, label) per evaluation: nested specs give one entry per level."""
    out: list[tuple[Pattern, int, str]] = []
    for s in specs:
        if isinstance(s, Nested):
            for i, lv in enumerate(s.levels):
                out.append((s, i, f"{s.label} @ {lv:.0%}"))
        else:
            out.append((s, 0, s.label))
    return out


def compare(workload: Workload, archs: list[ArchSpec], specs: list[Pattern],
            objective: str = "latency", batch: int | None = None) -> list[CompareRow]:
    """Dense plus every pattern (every level of nested ones), on every accelerator."""
    rows: list[CompareRow] = []
    for arch in archs:
        dense = evaluate(workload, arch, objective, batch)
        rows.append(CompareRow.of(dense, dense, "dense", "dense"))
        stored_nested: dict[int, float] = {}
        for spec, level, label in expand(specs):
            if isinstance(spec, Dense) and spec.act == 0:
                continue
            rep = evaluate(workload, arch, objective, batch, sparsity=spec, level=level)
            stored = None
            if isinstance(spec, Nested):
                # Every level is served from one stored model: the densest level's nonzeros,
                # each tagged with the sparsest level it still belongs to.
                if level == 0:
                    tags = math.ceil(math.log2(len(spec.levels))) if len(spec.levels) > 1 else 0
                    stored_nested[id(spec)] = weight_storage(rep, tags)
                stored = stored_nested[id(spec)]
            rows.append(CompareRow.of(rep, dense, spec.pattern, label, stored))
    return rows

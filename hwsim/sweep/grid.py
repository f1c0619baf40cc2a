"""Enumerate a sweep's points lazily: parameter groups, constraints, base accelerators,
workloads, sparsity.

A point is one evaluation: a full parameter assignment on one base accelerator, a workload, a
sparsity pattern and level. Its id is a stable 64-bit hash of everything that defines it, so
the same spec always gives the same ids (that is what makes an interrupted sweep resumable).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hwsim.errors import HwsimError
from hwsim.sweep.expr import ExprError, evaluate_expr, parse_expr
from hwsim.sweep.spec import MAX_POINTS, Sweep


@dataclass(frozen=True)
class Point:
    """One evaluation. ``values`` follow ``Sweep.params`` order; ``base`` indexes
    ``Sweep.bases``."""

    id: int
    values: tuple[Any, ...]
    workload: str
    sparsity: str | None
    level: int
    base: int = 0


def combos(sweep: Sweep) -> Iterator[tuple[Any, ...]]:
    """Every parameter assignment (before constraints), in ``Sweep.params`` order."""
    per_group: list[list[tuple[Any, ...]]] = []
    for combine, params in sweep.groups:
        cols = [p.values for p in params]
        rows = zip(*cols) if combine == "zip" else itertools.product(*cols)
        per_group.append([tuple(r) for r in rows])
    for parts in itertools.product(*per_group):
        yield tuple(v for part in parts for v in part)


def grid_size(sweep: Sweep) -> int:
    """Number of designs before constraints: parameter assignments times base accelerators."""
    n = len(sweep.bases)
    for combine, params in sweep.groups:
        n *= len(params[0].values) if combine == "zip" else _prod(len(p.values) for p in params)
    return n


def total_points(sweep: Sweep) -> int:
    """Number of points before constraints: designs times workloads times sparsity cases."""
    return grid_size(sweep) * len(sweep.workloads) * len(sweep.sparsity)


def check_size(sweep: Sweep) -> int:
    """:func:`total_points`, or HwsimError naming the parameters when it exceeds MAX_POINTS
    (a sweep built without :func:`hwsim.sweep.spec.load_sweep`'s own check): called before
    any point is enumerated."""
    n = total_points(sweep)
    if n > MAX_POINTS:
        sizes = ", ".join(f"{p.path}: {len(p.values):,}" for p in sweep.params[:8])
        raise HwsimError(f"{sweep.file}: the sweep has {n:,} points before constraints "
                         f"({sizes}; {len(sweep.bases)} arch, {len(sweep.workloads)} workloads, "
                         f"{len(sweep.sparsity)} sparsity cases), more than {MAX_POINTS:,}: "
                         "narrow the ranges, or zip parameters that vary together")
    return n


def _prod(xs: Any) -> int:
    out = 1
    for x in xs:
        out *= x
    return out


def feasible_combos(sweep: Sweep) -> Iterator[tuple[Any, ...]]:
    """Parameter assignments that satisfy every constraint. A constraint that cannot be
    computed with some assignment (an exponent or a string beyond the bounds of
    :mod:`hwsim.sweep.expr`, a division by zero) is a SpecError located at the constraint and
    naming the values, raised while planning, before anything is evaluated or written."""
    trees = [parse_expr(c) for c in sweep.constraints]
    names = [p.name for p in sweep.params]
    for values in combos(sweep):
        if trees:
            env = dict(zip(names, values))
            if not all(_holds(sweep, i, t, env) for i, t in enumerate(trees)):
                continue
        yield values


def _holds(sweep: Sweep, index: int, tree: Any, env: dict[str, Any]) -> bool:
    """Whether constraint ``index`` holds for ``env`` (a located SpecError if it cannot be
    computed)."""
    try:
        return bool(evaluate_expr(tree, env))
    except ExprError as exc:
        raise sweep.constraint_error(index, exc, env) from None
    except (TypeError, ValueError) as exc:  # a value without a truth value
        raise sweep.constraint_error(index, ExprError(f"cannot compute: {exc}"), env) from None


def point_id(sweep: Sweep, values: tuple[Any, ...], workload: str, sparsity: str | None,
             level: int, base: int = 0) -> int:
    """Stable signed 64-bit id of a point: hash of base arch (as written in the spec: a
    single-arch sweep's ids do not depend on the other bases), every parameter, workload,
    sparsity, level, objective and batch."""
    key = json.dumps(
        [sweep.bases[base].name, [[p.path, v] for p, v in zip(sweep.params, values)], workload,
         sparsity, level, sweep.objective, sweep.batch],
        sort_keys=True, default=str, separators=(",", ":"),
    )
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def points(sweep: Sweep) -> Iterator[Point]:
    """Every point: for each parameter assignment, each base accelerator, then workloads and
    sparsity innermost (so one built arch serves several points in a row)."""
    for values in feasible_combos(sweep):
        for b in range(len(sweep.bases)):
            for wname, _ in sweep.workloads:
                for case in sweep.sparsity:
                    pid = point_id(sweep, values, wname, case.text, case.level, b)
                    yield Point(pid, values, wname, case.text, case.level, b)

"""The sweep spec (YAML): base accelerator, swept parameters, constraints, workloads, sparsity.

Loaded with :func:`load_sweep`; every mistake is a SpecError naming file, line and field. The
schema is documented in the README ("Sweeps"). Units of swept values are those of the field
they set in the accelerator YAML (``capacity_kib``: KiB, ``bandwidth_gbps``: GB/s, ...).
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hwsim.bundled import resolve
from hwsim.choices import OBJECTIVES
from hwsim.errors import HwsimError, SpecError
from hwsim.overrides import set_path
from hwsim.sparsity.spec import Nested, parse_sparsity
from hwsim.sweep.design import DESIGN_NAMES
from hwsim.sweep.expr import ExprError, names_in, parse_expr
from hwsim.sweep.paths import path_problem
from hwsim.yamlio import (
    CombinedSpecError,
    LineMap,
    combine,
    did_you_mean,
    load_yaml,
    refuse_bad_numbers,
    validate,
)

#: Most points a sweep may have before constraints (parameter assignments x base accelerators
#: x workloads x sparsity cases): every point's id is planned in memory (~9 bytes) and hashed
#: (~5 µs) before the first evaluation, so a grid of 10^12 points must be refused at load.
MAX_POINTS = 10_000_000
#: Most swept values of all parameters together (each is a Python object held for the run).
MAX_VALUES = 2_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Booleans, NaN, infinities and magnitudes of 2^63 or more are no valid number anywhere.
    _numbers = field_validator("*", mode="before")(classmethod(refuse_bad_numbers))


class LinRange(_Strict):
    """``start, start+step, ...`` up to and including ``stop`` (within rounding)."""

    start: float = Field(allow_inf_nan=False)
    stop: float = Field(allow_inf_nan=False)
    step: float = Field(gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> LinRange:
        if self.stop < self.start:
            raise ValueError(f"stop {self.stop} is below start {self.start}")
        if (self.stop - self.start) / self.step > 1_000_000:
            raise ValueError("more than a million values in one range")
        return self

    def count(self) -> int:
        """Number of values, without building them."""
        return math.floor((self.stop - self.start) / self.step * (1 + 1e-12) + 1e-9) + 1

    def values(self) -> list[Any]:
        n = self.count()
        out = [self.start + i * self.step for i in range(n)]
        if all(float(x).is_integer() for x in (self.start, self.step)):
            return [round(x) for x in out]
        return [round(x, 12) for x in out]


class LogRange(_Strict):
    """``num`` geometrically spaced values from ``start`` to ``stop`` (both included).

    ``integer`` rounds to whole numbers (and drops repeats); by default it is on when start and
    stop are both whole numbers, so ``{start: 16, stop: 256, num: 5}`` gives 16, 32, ... 256."""

    start: float = Field(gt=0, allow_inf_nan=False)
    stop: float = Field(gt=0, allow_inf_nan=False)
    num: int = Field(ge=1, le=1_000_000)
    integer: bool | None = None

    def count(self) -> int:
        """Most values (``integer`` may drop repeats), without building them."""
        return self.num

    def values(self) -> list[Any]:
        xs = np.geomspace(self.start, self.stop, self.num)
        integer = self.integer
        if integer is None:
            integer = float(self.start).is_integer() and float(self.stop).is_integer()
        if integer:
            return list(dict.fromkeys(round(float(x)) for x in xs))
        return [float(x) for x in xs]


class Axis(_Strict):
    """One swept field: exactly one of ``values``, ``range`` or ``logrange``; ``name`` is how
    constraints refer to it (default: the dotted path with ``.`` replaced by ``_``)."""

    values: list[Any] | None = Field(None, min_length=1)
    range: LinRange | None = None
    logrange: LogRange | None = None
    name: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    @model_validator(mode="before")
    @classmethod
    def _bare_list(cls, data: Any) -> Any:
        return {"values": data} if isinstance(data, list) else data

    @model_validator(mode="after")
    def _one_kind(self) -> Axis:
        given = [k for k in ("values", "range", "logrange") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of values, range, logrange"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self

    def count(self) -> int:
        """Number of values (at most, for an integer logrange), without building them."""
        if self.values is not None:
            return len(self.values)
        src = self.range if self.range is not None else self.logrange
        assert src is not None
        return src.count()

    def expand(self) -> list[Any]:
        if self.values is not None:
            return list(self.values)
        src = self.range if self.range is not None else self.logrange
        assert src is not None
        return src.values()


class Group(_Strict):
    """Parameters combined by ``product`` (every combination) or ``zip`` (position by
    position; all of the same length, e.g. ``compute.rows`` and ``compute.cols`` for square
    arrays). Groups are combined with each other by product."""

    combine: Literal["product", "zip"] = "product"
    params: dict[str, Axis] = Field(min_length=1)


def _layers_own_sparsity() -> list[str | None]:
    """The default ``sparsity:`` list: one case, each layer's own pattern (None)."""
    return [None]


class SweepModel(_Strict):
    """The YAML document as written (before paths are resolved)."""

    name: str = "sweep"
    description: str = ""
    arch: list[str] = Field(min_length=1)
    workloads: list[str] = Field(min_length=1)
    sparsity: list[str | None] = Field(default_factory=_layers_own_sparsity, min_length=1)
    batch: int | None = Field(None, gt=0)
    objective: Literal["latency", "energy", "edp"] = "latency"
    outputs: Literal["totals", "layers"] = "totals"
    parameters: list[Group] = Field(default_factory=list)
    constraints: list[str] = Field(default_factory=list)
    chunk_size: int | None = Field(None, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _one_arch(cls, data: Any) -> Any:
        """``arch: gemmini`` is ``arch: [gemmini]``."""
        if isinstance(data, dict) and isinstance(data.get("arch"), str):
            return {**data, "arch": [data["arch"]]}
        return data


@dataclass(frozen=True)
class Param:
    """A swept field: dotted ``path`` into the arch YAML, its constraint ``name``, values."""

    path: str
    name: str
    values: tuple[Any, ...]
    group: int


@dataclass(frozen=True)
class SparsityCase:
    """One sparsity setting of a point: the pattern text (None = each layer's own) and level."""

    text: str | None
    level: int


@dataclass(frozen=True)
class BaseArch:
    """One base accelerator of a sweep: ``name`` as written in the spec (part of every point's
    id), ``label`` its results' ``arch`` value (the accelerator's own ``name``), the resolved
    ``path`` and its parsed YAML ``data``."""

    name: str
    label: str
    path: Path
    data: dict[str, Any]


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: everything needed to enumerate and evaluate its points."""

    name: str
    file: str
    bases: tuple[BaseArch, ...]
    groups: tuple[tuple[str, tuple[Param, ...]], ...]  # (combine, params)
    constraints: tuple[str, ...]
    workloads: tuple[tuple[str, Path], ...]  # (as written, resolved path)
    sparsity: tuple[SparsityCase, ...]
    batch: int | None
    objective: str
    outputs: str
    chunk_size: int | None
    #: Constraints on what a design costs (DESIGN_NAMES), checked once its arch is built.
    design_constraints: tuple[str, ...] = ()
    #: Where each of ``constraints`` is written: (line, field), for located errors of values
    #: that a constraint cannot be computed with (see :meth:`constraint_error`).
    constraint_sources: tuple[tuple[int | None, str], ...] = ()

    @property
    def params(self) -> tuple[Param, ...]:
        return tuple(p for _, ps in self.groups for p in ps)

    # The first base accelerator (the only one of a single-arch sweep), as before multi-arch
    # sweeps: its name as written, its file and its parsed YAML.
    @property
    def arch(self) -> str:
        return self.bases[0].name

    @property
    def arch_path(self) -> Path:
        return self.bases[0].path

    @property
    def base_data(self) -> dict[str, Any]:
        return self.bases[0].data

    @property
    def arch_labels(self) -> tuple[str, ...]:
        """The results' ``arch`` values, one per base accelerator."""
        return tuple(b.label for b in self.bases)

    def constraint_error(self, index: int, exc: HwsimError, values: dict[str, Any]
                         ) -> SpecError:
        """A located error for constraint ``constraints[index]`` that cannot be computed with
        the swept ``values`` (an exponent or string beyond the bounds, a division by 0)."""
        line, field = (self.constraint_sources[index] if index < len(self.constraint_sources)
                       else (None, f"constraints[{index}]"))
        shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
        if len(shown) > 200:
            shown = shown[:197] + "..."
        return SpecError(f"{exc} (with {shown})", self.file, line, field)


def _identifier(path: str) -> str:
    return re.sub(r"\W", "_", path)


def _find(name: str, kind: str, base: Path) -> Path:
    """A file relative to the spec's folder, else as given, else bundled."""
    local = base / name
    if local.is_file():
        return local
    return resolve(name, kind)


def load_sweep(path: str | Path) -> Sweep:
    """Read, validate and resolve a sweep spec; SpecError (file:line: field) on any mistake,
    every mistake of the file at once (one line each)."""
    data, lines = load_yaml(path)
    return sweep_from_data(data, lines, Path(path).resolve().parent)


def sweep_from_data(data: Any, lines: LineMap, base: Path) -> Sweep:
    """Validate parsed YAML as a sweep; ``base`` is the folder relative paths start from.

    The schema is checked first (a SpecError with every schema problem); then the base
    accelerators, each parameter path (against the accelerator schema, on every base), the
    constraints, workloads and sparsity patterns, whose problems are reported together."""
    if not isinstance(data, dict):
        raise lines.error("a sweep spec must be a YAML mapping")
    params = data.get("parameters")
    shorthand = isinstance(params, dict)
    if shorthand:  # one product group
        data = {**data, "parameters": [{"params": params}]}
        lines = _shift_lines(lines)
    try:
        model: SweepModel = validate(SweepModel, data, lines)
    except SpecError as err:
        raise _as_written(err) if shorthand else err from None
    if model.objective not in OBJECTIVES:  # pragma: no cover (Literal already checks)
        raise lines.error(f"unknown objective {model.objective}", ("objective",))
    problems: list[SpecError] = []

    def locate(exc: HwsimError, where: tuple[str | int, ...]) -> None:
        problems.append(lines.error(str(exc), where))

    bases = _bases(model, lines, base, problems)
    # sizes first: nothing is expanded for a grid that could not be planned in memory
    _check_size(model, lines, len(bases) or len(model.arch))

    groups: list[tuple[str, tuple[Param, ...]]] = []
    seen_paths: set[str] = set()
    seen_names: dict[str, str] = {}
    swept_kinds = _swept_kinds(model)
    for gi, group in enumerate(model.parameters):
        ps: list[Param] = []
        for path, axis in group.params.items():
            where = ("parameters", gi, "params", path)
            if path in seen_paths:
                problems.append(lines.error("parameter swept twice", where))
            seen_paths.add(path)
            values = tuple(axis.expand())
            lacking = [(b.name, problem) for b in bases
                       if (problem := _path_problem(b, path, values[0], swept_kinds))]
            # the path exists: is each value one the field accepts (on the base's own kind:
            # a sweep that switches kinds leaves that to each point)?
            if not lacking and not swept_kinds:
                lacking = [(b.name, problem) for b in bases
                           if (problem := _value_problem(b, path, values))]
            if lacking:
                name0, problem = lacking[0]
                if len(bases) > 1:
                    others = [n for n, _ in lacking[1:]]
                    also = f" (and {', '.join(others)})" if others else ""
                    problem = f"base arch '{name0}'{also}: {problem}"
                problems.append(lines.error(problem, where))
            name = axis.name or _identifier(path)
            if name in seen_names:
                problems.append(lines.error(
                    f"name '{name}' is also used by '{seen_names[name]}'", where))
            seen_names[name] = path
            ps.append(Param(path, name, values, gi))
        if group.combine == "zip" and len({len(p.values) for p in ps}) > 1:
            sizes = ", ".join(f"{p.path}: {len(p.values)}" for p in ps)
            problems.append(lines.error(f"zip needs parameters of equal length ({sizes})",
                                        ("parameters", gi, "combine")))
        groups.append((group.combine, tuple(ps)))

    param_constraints: list[str] = []
    param_sources: list[tuple[int | None, str]] = []
    design_constraints: list[str] = []
    for ci, text in enumerate(model.constraints):
        try:
            tree = parse_expr(text)
        except ExprError as exc:
            locate(exc, ("constraints", ci))
            continue
        used = names_in(tree)
        unknown = used - set(seen_names) - set(DESIGN_NAMES)
        if unknown:
            problems.append(lines.error(
                _unknown_names(sorted(unknown), seen_names), ("constraints", ci)))
            continue
        if used & set(DESIGN_NAMES):
            design_constraints.append(text)
        else:
            param_constraints.append(text)
            param_sources.append((lines.line_of(("constraints", ci)), f"constraints[{ci}]"))

    workloads: list[tuple[str, Path]] = []
    for wi, w in enumerate(model.workloads):
        try:
            workloads.append((w, _find(w, "workloads", base)))
        except HwsimError as exc:
            locate(exc, ("workloads", wi))

    cases: list[SparsityCase] = []
    for si, pattern_text in enumerate(model.sparsity):
        if pattern_text is None:
            cases.append(SparsityCase(None, 0))
            continue
        try:
            pattern = parse_sparsity(pattern_text)
        except HwsimError as exc:
            locate(exc, ("sparsity", si))
            continue
        levels = len(pattern.levels) if isinstance(pattern, Nested) else 1
        cases.extend(SparsityCase(pattern_text, lv) for lv in range(levels))

    if problems:
        raise combine([_as_written(p) if shorthand else p for p in problems])
    return Sweep(
        name=model.name, file=lines.file, bases=tuple(bases), groups=tuple(groups),
        constraints=tuple(param_constraints), design_constraints=tuple(design_constraints),
        constraint_sources=tuple(param_sources),
        workloads=tuple(workloads), sparsity=tuple(cases), batch=model.batch,
        objective=model.objective, outputs=model.outputs, chunk_size=model.chunk_size,
    )


def _check_size(model: SweepModel, lines: LineMap, n_bases: int) -> None:
    """Refuse a sweep whose grid exceeds MAX_POINTS points, or whose parameters hold more
    than MAX_VALUES values, before any value list is built; the message names the sizes."""
    counts = [[(path, axis.count()) for path, axis in g.params.items()]
              for g in model.parameters]
    values = sum(n for group in counts for _, n in group)
    if values > MAX_VALUES:
        big = max(((p, n) for group in counts for p, n in group), key=lambda pn: pn[1])
        raise lines.error(f"the parameters hold {values:,} values together (the largest, "
                          f"{big[0]}, {big[1]:,}), more than {MAX_VALUES:,}", ("parameters",))
    factors: list[tuple[str, int]] = []
    for g, group in zip(model.parameters, counts):
        if g.combine == "zip":
            factors.append((" = ".join(p for p, _ in group), max(n for _, n in group)))
        else:
            factors.extend(group)
    factors += [("arch", n_bases), ("workloads", len(model.workloads)),
                ("sparsity", len(model.sparsity))]
    total = 1
    for _, n in factors:
        total *= n
    if total > MAX_POINTS:
        shown = [f"{name} {n:,}" for name, n in factors if n > 1]
        listed = " x ".join(shown[:8]) + (f" x {len(shown) - 8} more" if len(shown) > 8 else "")
        raise lines.error(f"the sweep has {total:,} points before constraints ({listed}), more "
                          f"than {MAX_POINTS:,}: narrow the ranges, or zip parameters that "
                          "vary together", ("parameters",))


def _bases(model: SweepModel, lines: LineMap, base: Path, problems: list[SpecError]
           ) -> list[BaseArch]:
    """The base accelerators, found and parsed; problems are appended to ``problems``."""
    multi = len(model.arch) > 1
    found: list[tuple[str, Path, dict[str, Any]]] = []
    for ai, name in enumerate(model.arch):
        where: tuple[str | int, ...] = ("arch", ai) if multi else ("arch",)
        if name in model.arch[:ai]:
            problems.append(lines.error(f"'{name}' is listed twice", where))
            continue
        try:
            arch_path = _find(name, "arch_configs", base)
            arch_data, _ = load_yaml(arch_path)
        except HwsimError as exc:
            problems.append(lines.error(str(exc), where))
            continue
        if not isinstance(arch_data, dict):
            problems.append(lines.error(
                f"{arch_path}: an accelerator spec must be a YAML mapping", where))
            continue
        found.append((name, arch_path, arch_data))
    # the results' arch column: each accelerator's own name, unless two share one
    own = [str(d.get("name") or p.stem) for _, p, d in found]
    labels = own if len(set(own)) == len(own) else [n for n, _, _ in found]
    return [BaseArch(n, label, p, d) for (n, p, d), label in zip(found, labels)]


def _path_problem(b: BaseArch, path: str, value: Any, kinds: list[str]) -> str | None:
    """Why ``path`` cannot be set on base arch ``b``, or None."""
    problem = path_problem(b.data, path, kinds)
    if problem is None:
        try:
            set_path(b.data, path, value)
        except HwsimError as exc:
            problem = str(exc)
    return problem


#: Values of one swept field checked against the field at load: each of a short list, else the
#: smallest and largest (a field's own range check is an interval).
VALUES_CHECKED = 64


@functools.lru_cache(maxsize=16)
def _base_lines(path: Path) -> LineMap:
    """The base arch file's line map (fields are named by the paths it holds)."""
    try:
        return load_yaml(path)[1]
    except SpecError:
        return LineMap(str(path))


def _value_problem(b: BaseArch, path: str, values: tuple[Any, ...]) -> str | None:
    """Why some swept value is one the field itself refuses on base ``b`` (a negative size, a
    NaN, a string where a number goes), or None. Only the schema's own checks count: what the
    resolved hardware refuses (a device the design overflows, a GPU tile that no longer fits)
    depends on the other fields and is left to each point, which records it as 'invalid'."""
    from hwsim.arch.load import validated_spec

    picks = list(dict.fromkeys(json.dumps(v, sort_keys=True, default=str) for v in values))
    if len(picks) > VALUES_CHECKED:
        numeric = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        picks = ([json.dumps(v) for v in (min(numeric), max(numeric))] if numeric
                 else picks[:2])
    here = path.split(".")
    for text in picks:
        value = json.loads(text)
        try:
            validated_spec(set_path(b.data, path, value), _base_lines(b.path))
        except HwsimError as exc:
            problems = exc.problems if isinstance(exc, CombinedSpecError) else (exc,)
            for p in problems:
                field = getattr(p, "field", None) or ""
                if re.sub(r"\[(\d+)\]", r".\1", field).split(".")[:len(here)] == here:
                    return f"swept value {text}: {getattr(p, 'message', str(p))}"
    return None


def _swept_kinds(model: SweepModel) -> list[str]:
    """Target kinds a sweep sets with a ``kind`` parameter (compute paths may be any's)."""
    out: list[str] = []
    for group in model.parameters:
        axis = group.params.get("kind")
        if axis is not None:
            out.extend(str(v) for v in axis.expand())
    return out


def _unknown_names(unknown: list[str], params: dict[str, str]) -> str:
    """Message for constraint names that are neither parameters nor design names."""
    known = list(params) + list(DESIGN_NAMES)
    parts = []
    for name in unknown:
        parts.append(f"'{name}'{did_you_mean(name, known)}")
    return (f"unknown name{'s' if len(unknown) > 1 else ''} {', '.join(parts)} in constraint "
            f"(parameter names: {', '.join(sorted(params)) or 'none'}; design names: "
            f"{', '.join(DESIGN_NAMES)})")


def _as_written(err: SpecError) -> SpecError:
    """A problem of the shorthand ``parameters: {path: axis}`` named as written
    (``parameters.compute.rows``, not ``parameters[0].params.compute.rows``)."""
    problems = getattr(err, "problems", None) or (err,)
    out = []
    for p in problems:
        field = p.field
        if field is not None and field.startswith("parameters[0]"):
            rest = field[len("parameters[0]"):].removeprefix(".params")
            field = "parameters" + rest
        out.append(SpecError(p.message, p.file, p.line, field))
    return combine(out)


def _shift_lines(lines: LineMap) -> LineMap:
    """Line map of the shorthand ``parameters: {path: axis}`` seen as one product group."""
    shifted = dict(lines.lines)
    for key, line in lines.lines.items():
        if len(key) >= 2 and key[0] == "parameters":
            in_group = ("parameters", 0, "params", *key[1:])
            shifted[in_group] = line
    shifted.setdefault(("parameters", 0), lines.lines.get(("parameters",), 1))
    shifted.setdefault(("parameters", 0, "params"), lines.lines.get(("parameters",), 1))
    return LineMap(lines.file, shifted)

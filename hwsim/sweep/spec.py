"""The sweep spec (YAML): base accelerator, swept parameters, constraints, workloads, sparsity.

Loaded with :func:`load_sweep`; every mistake is a SpecError naming file, line and field. The
schema is documented in the README ("Sweeps"). Units of swept values are those of the field
they set in the accelerator YAML (``capacity_kib``: KiB, ``bandwidth_gbps``: GB/s, ...).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hwsim.bundled import resolve
from hwsim.errors import HwsimError, SpecError
from hwsim.model.accounting import OBJECTIVES
from hwsim.overrides import set_path
from hwsim.sparsity.spec import Nested, parse_sparsity
from hwsim.sweep.design import DESIGN_NAMES
from hwsim.sweep.expr import ExprError, names_in, parse_expr
from hwsim.yamlio import LineMap, load_yaml, validate


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LinRange(_Strict):
    """``start, start+step, ...`` up to and including ``stop`` (within rounding)."""

    start: float
    stop: float
    step: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> LinRange:
        if self.stop < self.start:
            raise ValueError(f"stop {self.stop} is below start {self.start}")
        if (self.stop - self.start) / self.step > 1_000_000:
            raise ValueError("more than a million values in one range")
        return self

    def values(self) -> list[Any]:
        n = math.floor((self.stop - self.start) / self.step * (1 + 1e-12) + 1e-9) + 1
        out = [self.start + i * self.step for i in range(n)]
        if all(float(x).is_integer() for x in (self.start, self.step)):
            return [round(x) for x in out]
        return [round(x, 12) for x in out]


class LogRange(_Strict):
    """``num`` geometrically spaced values from ``start`` to ``stop`` (both included).

    ``integer`` rounds to whole numbers (and drops repeats); by default it is on when start and
    stop are both whole numbers, so ``{start: 16, stop: 256, num: 5}`` gives 16, 32, ... 256."""

    start: float = Field(gt=0)
    stop: float = Field(gt=0)
    num: int = Field(ge=1, le=1_000_000)
    integer: bool | None = None

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
    arch: str
    workloads: list[str] = Field(min_length=1)
    sparsity: list[str | None] = Field(default_factory=_layers_own_sparsity, min_length=1)
    batch: int | None = Field(None, gt=0)
    objective: Literal["latency", "energy", "edp"] = "latency"
    outputs: Literal["totals", "layers"] = "totals"
    parameters: list[Group] = Field(default_factory=list)
    constraints: list[str] = Field(default_factory=list)
    chunk_size: int | None = Field(None, gt=0)


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
class Sweep:
    """A validated sweep: everything needed to enumerate and evaluate its points."""

    name: str
    file: str
    arch: str
    arch_path: Path
    base_data: dict[str, Any]
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

    @property
    def params(self) -> tuple[Param, ...]:
        return tuple(p for _, ps in self.groups for p in ps)


def _identifier(path: str) -> str:
    return re.sub(r"\W", "_", path)


def _find(name: str, kind: str, base: Path) -> Path:
    """A file relative to the spec's folder, else as given, else bundled."""
    local = base / name
    if local.is_file():
        return local
    return resolve(name, kind)


def load_sweep(path: str | Path) -> Sweep:
    """Read, validate and resolve a sweep spec; SpecError (file:line: field) on any mistake."""
    data, lines = load_yaml(path)
    return sweep_from_data(data, lines, Path(path).resolve().parent)


def sweep_from_data(data: Any, lines: LineMap, base: Path) -> Sweep:
    """Validate parsed YAML as a sweep; ``base`` is the folder relative paths start from."""
    if not isinstance(data, dict):
        raise lines.error("a sweep spec must be a YAML mapping")
    params = data.get("parameters")
    if isinstance(params, dict):  # shorthand: one product group
        for key, axis in params.items():
            validate(Axis, axis, lines, ("parameters", key))
        data = {**data, "parameters": [{"params": params}]}
        lines = _shift_lines(lines)
    model: SweepModel = validate(SweepModel, data, lines)
    if model.objective not in OBJECTIVES:  # pragma: no cover (Literal already checks)
        raise lines.error(f"unknown objective {model.objective}", ("objective",))

    def locate(exc: HwsimError, where: tuple[str | int, ...]) -> SpecError:
        return lines.error(str(exc), where)

    try:
        arch_path = _find(model.arch, "arch_configs", base)
    except HwsimError as exc:
        raise locate(exc, ("arch",)) from None
    arch_data, _ = load_yaml(arch_path)
    if not isinstance(arch_data, dict):
        raise lines.error(f"{arch_path}: an accelerator spec must be a YAML mapping", ("arch",))

    groups: list[tuple[str, tuple[Param, ...]]] = []
    seen_paths: set[str] = set()
    seen_names: dict[str, str] = {}
    for gi, group in enumerate(model.parameters):
        ps: list[Param] = []
        for path, axis in group.params.items():
            where = ("parameters", gi, "params", path)
            if path in seen_paths:
                raise lines.error("parameter swept twice", where)
            seen_paths.add(path)
            values = tuple(axis.expand())
            try:
                set_path(arch_data, path, values[0])
            except HwsimError as exc:
                raise locate(exc, where) from None
            name = axis.name or _identifier(path)
            if name in seen_names:
                raise lines.error(f"name '{name}' is also used by '{seen_names[name]}'", where)
            seen_names[name] = path
            ps.append(Param(path, name, values, gi))
        if group.combine == "zip" and len({len(p.values) for p in ps}) > 1:
            sizes = ", ".join(f"{p.path}: {len(p.values)}" for p in ps)
            raise lines.error(f"zip needs parameters of equal length ({sizes})",
                              ("parameters", gi, "combine"))
        groups.append((group.combine, tuple(ps)))

    param_constraints: list[str] = []
    design_constraints: list[str] = []
    for ci, text in enumerate(model.constraints):
        try:
            tree = parse_expr(text)
        except ExprError as exc:
            raise locate(exc, ("constraints", ci)) from None
        used = names_in(tree)
        unknown = used - set(seen_names) - set(DESIGN_NAMES)
        if unknown:
            known = ", ".join(sorted(seen_names)) or "none"
            raise lines.error(f"unknown name(s) {', '.join(sorted(unknown))} in constraint "
                              f"(parameter names: {known}; design names: "
                              f"{', '.join(DESIGN_NAMES)})", ("constraints", ci))
        (design_constraints if used & set(DESIGN_NAMES) else param_constraints).append(text)

    workloads: list[tuple[str, Path]] = []
    for wi, w in enumerate(model.workloads):
        try:
            workloads.append((w, _find(w, "workloads", base)))
        except HwsimError as exc:
            raise locate(exc, ("workloads", wi)) from None

    cases: list[SparsityCase] = []
    for si, pattern_text in enumerate(model.sparsity):
        if pattern_text is None:
            cases.append(SparsityCase(None, 0))
            continue
        try:
            pattern = parse_sparsity(pattern_text)
        except HwsimError as exc:
            raise locate(exc, ("sparsity", si)) from None
        levels = len(pattern.levels) if isinstance(pattern, Nested) else 1
        cases.extend(SparsityCase(pattern_text, lv) for lv in range(levels))

    return Sweep(
        name=model.name, file=lines.file, arch=model.arch, arch_path=arch_path,
        base_data=arch_data, groups=tuple(groups), constraints=tuple(param_constraints),
        design_constraints=tuple(design_constraints),
        workloads=tuple(workloads), sparsity=tuple(cases), batch=model.batch,
        objective=model.objective, outputs=model.outputs, chunk_size=model.chunk_size,
    )


def _shift_lines(lines: LineMap) -> LineMap:
    """Line map of the shorthand ``parameters: {path: axis}`` seen as one product group."""
    shifted = dict(lines.lines)
    for key, line in lines.lines.items():
        if len(key) >= 2 and key[0] == "parameters":
            in_group = ("parameters", 0, "params", *key[1:])
            shifted[in_group] = line
    shifted.setdefault(("parameters", 0), lines.lines.get(("parameters",), 1))
    return LineMap(lines.file, shifted)

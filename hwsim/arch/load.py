"""Load an accelerator spec from YAML, with errors that name file, line and field.

Overrides (``--set path=value``, or ``{"path": value}`` from Python) change the parsed YAML
before validation; a mistake in one names the override, not a line of the file:
``--set compute.row=32: unknown field 'row' (did you mean 'rows'?)``.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import UnionType
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

from hwsim.arch.spec import COMPUTE_MODELS, ArchSpec
from hwsim.bundled import resolve
from hwsim.errors import HwsimError, SpecError
from hwsim.overrides import did_you_mean, override_items, set_path
from hwsim.yamlio import LineMap, combine, load_yaml, validation_problems


class OverrideError(SpecError):
    """A mistake in an override, reported as the override (``--set compute.row=32: unknown
    field 'row' (did you mean 'rows'?)``); ``file``, ``line`` and ``field`` still locate the
    field in the accelerator's file for code that wants them."""

    def __init__(self, item: str, message: str, file: str | None = None,
                 line: int | None = None, field: str | None = None) -> None:
        self.item = item
        super().__init__(message, file, line, field)

    def __str__(self) -> str:
        return f"--set {self.item}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:  # picklable (process pools, Dask)
        return (OverrideError, (self.item, self.message, self.file, self.line, self.field))


def arch_from_data(data: Any, lines: LineMap) -> ArchSpec:
    """Validate parsed YAML data as an ArchSpec, locating any error in the source."""
    return _resolved(validated_spec(data, lines), lines)


def validated_spec(data: Any, lines: LineMap) -> ArchSpec:
    if not isinstance(data, dict):
        raise lines.error("an accelerator spec must be a YAML mapping")
    kind = data.get("kind")
    if kind is not None and kind not in COMPUTE_MODELS and isinstance(kind, str):
        known = ", ".join(COMPUTE_MODELS)
        raise lines.error(f"unknown kind '{kind}', expected one of: {known}", ("kind",))
    # Every problem of the file at once: the compute section's (validated by its kind's
    # model) and the rest's.
    problems: list[SpecError] = []
    compute = COMPUTE_MODELS.get(kind) if isinstance(kind, str) else None
    if compute is not None and "compute" in data and not isinstance(data["compute"], dict):
        problems.append(lines.error(f"expected a mapping of the {kind} compute section's "
                                    f"fields, got {type(data['compute']).__name__}",
                                    ("compute",)))
    if compute is not None and isinstance(data.get("compute"), dict):
        try:
            compute.model_validate(data["compute"])
        except ValidationError as exc:
            problems += validation_problems(exc, lines, ("compute",), compute)
    try:
        spec: ArchSpec = ArchSpec.model_validate(data)
    except ValidationError as exc:
        # With a bad compute section, ArchSpec repeats its errors (under 'compute', or at the
        # top with the compute field's own name): skip those; keep every error of a top-level
        # field or key of the file (unknown keys included).
        def own(e: Any) -> bool:
            top = e["loc"][0] if e["loc"] else None
            return top is not None and top != "compute" and (
                top in ArchSpec.model_fields or top in data)
        problems += validation_problems(exc, lines, (), ArchSpec,
                                        keep=own if problems else None)
    if problems:
        err = combine(problems)
        if err.field in (None, "") and err.line is None:
            err.line = lines.line_of(())
        raise err
    return spec


def _resolved(spec: ArchSpec, lines: LineMap) -> ArchSpec:
    try:
        _ = spec.hw  # resolve now: what the model would meet deep in a layer is reported here
    except SpecError as err:
        path = tuple(err.field.split(".")) if err.field else ()
        raise lines.error(err.message, path) from None
    return spec


def load_arch(spec: str | Path,
              overrides: Mapping[str, Any] | Sequence[str] | None = None) -> ArchSpec:
    """Read and validate an accelerator: a YAML path, or the name of a bundled one
    (``load_arch("gemmini")``). ``overrides`` change fields before validation, as ``--set``
    does: ``{"compute.rows": 32}`` or ``["compute.rows=32"]``. A mistake in an override
    (unknown field, bad value) is an :class:`OverrideError` naming it: ``--set
    compute.row=32: unknown field 'row' (did you mean 'rows'?)``; valid values that together
    make hardware that cannot run are reported at the field, ``(with --set ...)``."""
    data, lines = load_yaml(resolve(str(spec), "arch_configs"))
    if not overrides:
        return arch_from_data(data, lines)
    if not isinstance(data, dict):
        raise lines.error("an accelerator spec must be a YAML mapping")
    items = override_items(overrides)
    for path, value, text in items:
        try:
            data = set_path(data, path, value)
        except HwsimError as exc:
            reason = str(exc).removeprefix(f"--set {path}: ")
            raise OverrideError(text, reason, lines.file, lines.line_of(path.split(".")),
                                path) from None
    kind = data.get("kind")
    for path, value, text in items:
        problem = unknown_field(path, value, kind)
        if problem:
            raise OverrideError(text, problem, lines.file, lines.line_of(path.split(".")),
                                path)
        _mark(lines, path, value)
    try:
        arch = validated_spec(data, lines)
    except SpecError as err:
        raise _blame(err, items) from None
    try:
        return _resolved(arch, lines)
    except SpecError as err:
        # Valid fields that together make hardware that cannot run: the design's problem,
        # located in the file, with the overrides that made it.
        sets = ", ".join(text for _, _, text in items)
        raise SpecError(f"{err.message} (with --set {sets})", err.file, err.line,
                        err.field) from None


def declared_name(spec: str | Path) -> str | None:
    """The ``name:`` an accelerator file declares (None if it declares none or is no mapping);
    raises SpecError for a missing file or invalid YAML."""
    data, _ = load_yaml(resolve(str(spec), "arch_configs"))
    name = data.get("name") if isinstance(data, dict) else None
    return str(name) if name is not None else None


# --- which override a problem comes from ---------------------------------------------------


def unknown_field(path: str, value: Any, kind: Any = None) -> str | None:
    """Why ``path`` (with ``value``, whose mapping keys are fields too) names no field of the
    accelerator schema, with the closest field name; None when every key is known or the
    schema cannot say (a free-form mapping, an unknown ``kind``)."""
    tp: Any = ArchSpec
    done: list[str] = []
    for key in path.split("."):
        tp, problem = _step(tp, key, kind, done)
        if problem or tp is None:
            return problem
        done.append(key)
    return _unknown_in_value(tp, value, kind, done)


def _unknown_in_value(tp: Any, value: Any, kind: Any, done: list[str]) -> str | None:
    if isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return None
    for key, v in items:
        sub, problem = _step(tp, key, kind, done)
        if problem:
            return problem
        if sub is not None:
            problem = _unknown_in_value(sub, v, kind, [*done, key])
            if problem:
                return problem
    return None


def _options(tp: Any) -> list[Any]:
    """Alternatives of an annotation: ``Annotated`` stripped, unions split, ``None`` dropped."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _options(typing.get_args(tp)[0])
    if origin is typing.Union or isinstance(tp, UnionType):
        return [o for a in typing.get_args(tp) if a is not type(None) for o in _options(a)]
    return [tp]


def _step(tp: Any, key: str, kind: Any, done: list[str]) -> tuple[Any, str | None]:
    """(type at ``key`` of ``tp``, None) or (None, why ``key`` is no field); (None, None)
    when the schema cannot say."""
    opts = _options(tp)
    models = [o for o in opts if isinstance(o, type) and issubclass(o, BaseModel)]
    if models:
        fields = list(dict.fromkeys(f for m in models for f in m.model_fields))
        if key not in fields:
            where = f"'{'.'.join(done)}'" if done else "an accelerator"
            hint = did_you_mean(key, fields) or f" ({where} has: {', '.join(fields)})"
            return None, f"unknown field '{key}'{hint}"
        if ArchSpec in models and key == "compute":
            return COMPUTE_MODELS.get(kind) if isinstance(kind, str) else None, None
        model = next(m for m in models if key in m.model_fields)
        return model.model_fields[key].annotation, None
    for o in opts:
        origin, args = typing.get_origin(o), typing.get_args(o)
        if origin in (list, tuple) and args and key.isdigit():
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                return (args[int(key)] if int(key) < len(args) else None), None
            return args[0], None
        if origin is dict and len(args) == 2:
            return args[1], None
    return None, None


def _mark(lines: LineMap, path: str, value: Any) -> None:
    """Put the fields an override created into the line map (at the line of their nearest
    ancestor in the file), so that a problem in one is reported under its full path."""
    key: tuple[str | int, ...] = tuple(int(k) if k.isdigit() else k for k in path.split("."))
    for i in range(1, len(key) + 1):
        lines.lines.setdefault(key[:i], lines.line_of(key[:i]) or 1)
    stack = [(key, value)]
    while stack:
        at, v = stack.pop()
        children = (v.items() if isinstance(v, dict)
                    else enumerate(v) if isinstance(v, list) else ())
        for k, sub in children:
            child = (*at, k if isinstance(k, int) else str(k))
            lines.lines.setdefault(child, lines.line_of(at) or 1)
            stack.append((child, sub))


def _parts(field: str) -> tuple[str, ...]:
    """``"buffers[0].capacity_kib"`` -> ``("buffers", "0", "capacity_kib")``."""
    return tuple(re.findall(r"[^.\[\]]+", field))


def _blame(err: SpecError, items: list[tuple[str, Any, str]]) -> SpecError:
    """The validation problem ``err`` as a mistake of the override it lies in (the last one
    whose path contains the problem's field or lies inside it); otherwise ``err`` itself,
    saying which overrides were applied."""
    problems = getattr(err, "problems", None) or (err,)
    first = problems[0]
    message = first.message.splitlines()[0] if first.message else str(first)
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    where = _parts(first.field) if first.field else ()
    blamed = None
    for path, _value, text in items:
        p = tuple(path.split("."))
        if where and (where[:len(p)] == p or p[:len(where)] == where):
            blamed = (p, text)
    if blamed is not None:
        p, text = blamed
        inner = f"field '{first.field}': " if len(where) > len(p) else ""
        return OverrideError(text, f"{inner}{message}{more}", first.file, first.line,
                             first.field)
    sets = ", ".join(text for _, _, text in items)
    return SpecError(f"{message}{more} (with --set {sets})", first.file, first.line,
                     first.field)

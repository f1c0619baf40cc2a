"""YAML loading with line numbers, so that every spec error names file, line and field.

Only ``yaml.safe_load``-equivalent construction is used (SafeLoader); nothing executes.
"""

from __future__ import annotations

import collections.abc
import difflib
import math
import re
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError

from hwsim.errors import SpecError

PathKey = tuple[str | int, ...]
#: libyaml's safe loader when PyYAML was built with it (the same document, several times
#: faster), else the pure-Python one.
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE_LOADER):  # type: ignore[valid-type,misc]
    """The safe loader without YAML 1.1's hexadecimal, octal and binary integers: it reads
    ``0x4`` as 4 (a block size "0x4" meant 0 rows by 4 columns) and ``010`` as 8; those stay
    text, which the field then parses or refuses. Base-60 integers (``2:4`` is 124) are kept:
    loaders that expect a pattern there recognise them and say to quote it."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:int"]
        for first, resolvers in _BASE_LOADER.yaml_implicit_resolvers.items()
    }


_DECIMAL_OR_BASE60 = r"^(?:[-+]?(?:0|[1-9][0-9_]*)|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(_DECIMAL_OR_BASE60),
                              list("-+0123456789"))
_LOADER = _Loader


@dataclass
class LineMap:
    """Maps a path of keys/indices inside a YAML document to its 1-based source line."""

    file: str
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """Line of the deepest existing prefix of ``path`` (the field itself, or its parent)."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), None)

    def error(self, message: str, path: Sequence[str | int] = ()) -> SpecError:
        """A SpecError located at ``path``."""
        return SpecError(message, self.file, self.line_of(path), _dotted(path) or None)


def _dotted(path: Sequence[str | int]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _walk(root: yaml.Node, file: str) -> dict[PathKey, int] | None:
    """The line of every path of a composed document, checking each mapping for repeated
    keys on the way; None when some node appears twice (the document uses aliases), which
    :func:`check_nodes` must then bound before anything is built. Iterative: deep documents
    need no recursion."""
    lines: dict[PathKey, int] = {}
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, PathKey]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            return None
        seen.add(id(node))
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            _check_duplicates(node, file)
            for key_node, value_node in reversed(node.value):
                child = _child(path, key_node, file)
                stack.append((value_node, child))
                if id(key_node) in seen:
                    return None
                seen.add(id(key_node))
                lines[child] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, i)) for i, item in reversed(list(enumerate(node.value))))
    if len(seen) > MAX_NODES:
        raise SpecError(f"YAML document has more than {MAX_NODES:,} nodes", file)
    return lines


#: Most nodes a YAML document may hold with its aliases expanded: a few hundred bytes of
#: nested aliases (an "alias bomb") would otherwise construct gigabytes.
MAX_NODES = 1_000_000
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_duplicates(node: yaml.MappingNode, file: str) -> None:
    seen: dict[tuple[str, str], int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
            continue
        key = (key_node.tag, key_node.value)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise SpecError(f"duplicate key '{key_node.value}' (first at line {seen[key]})",
                            file, line)
        seen[key] = line


def _child(path: PathKey, key_node: yaml.Node, file: str) -> PathKey:
    """The path under a mapping key; a list or mapping as a key (which YAML allows and no
    hwsim field is) is a located error."""
    if not isinstance(key_node, yaml.ScalarNode):
        raise SpecError("a mapping key must be a plain name or number, not a list or mapping",
                        file, key_node.start_mark.line + 1)
    return (*path, key_node.value)


def _alias_lines(root: yaml.Node, file: str) -> dict[PathKey, int]:
    """The line of every path of a document whose aliases :func:`check_nodes` has bounded
    (an alias's paths take the lines of the node it names)."""
    lines: dict[PathKey, int] = {}
    stack: list[tuple[yaml.Node, PathKey]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in reversed(node.value):
                child = _child(path, key_node, file)
                lines[child] = key_node.start_mark.line + 1
                stack.append((value_node, child))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, i)) for i, item in reversed(list(enumerate(node.value))))
    return lines


def check_nodes(root: yaml.Node, file: str, limit: int = MAX_NODES) -> int:
    """Number of nodes of a composed document with its aliases expanded (each node counted
    once per place it appears), refusing more than ``limit``, an alias inside the node it
    names (a recursive document), and a mapping that repeats a key. Iterative, and each node
    is visited once (its expanded size is remembered), so the check itself stays small."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()  # nodes being expanded: the current node's ancestors
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        nid = id(node)
        if finished:
            open_.discard(nid)
            total = 1 + sum(sizes[id(c)] for c in _children(node))
            if total > limit:
                raise SpecError(f"YAML aliases expand to more than {limit:,} nodes",
                                file, node.start_mark.line + 1)
            sizes[nid] = total
            continue
        if nid in sizes:
            continue
        if nid in open_:
            raise SpecError("YAML alias refers to a node that contains it (a recursive "
                            "document)", file, node.start_mark.line + 1)
        open_.add(nid)
        if isinstance(node, yaml.MappingNode):
            _check_duplicates(node, file)
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(_children(node)) if id(c) not in sizes)
    return sizes[id(root)]


def load_yaml(path: str | Path) -> tuple[Any, LineMap]:
    """Read a YAML file safely; return the data and a LineMap for error messages."""
    p = Path(path)
    if not p.exists():
        raise SpecError("file not found", str(p))
    if p.is_dir():
        raise SpecError("is a directory, expected a YAML file", str(p))
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read file: {exc}", str(p)) from None
    return parse_yaml(text, str(p))


def parse_yaml(text: str, file: str = "<string>") -> tuple[Any, LineMap]:
    """Parse YAML text safely; return the data and a LineMap."""
    try:
        # One parse (libyaml's when installed): the node tree gives the lines, then the data.
        loader = _LOADER(text)
        try:
            node = loader.get_single_node()
            lines: dict[PathKey, int] = {}
            if node is not None:
                # before constructing: size, recursion, repeated keys
                walked = _walk(node, file)
                if walked is None:  # aliases: bound their expansion, then map the lines
                    check_nodes(node, file)
                    walked = _alias_lines(node, file)
                lines = walked
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"invalid YAML: {problem}", file, line) from None
    return data, LineMap(file, lines)


def validate(model: type[BaseModel], data: Any, lines: LineMap, prefix: PathKey = ()) -> Any:
    """Validate ``data`` with a pydantic model; every problem becomes a line of one located
    SpecError (see :func:`validation_error`)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, lines, prefix, model) from None


class CombinedSpecError(SpecError):
    """Several located problems of one file, reported at once.

    ``file``, ``line``, ``field`` and the first line of ``str()`` are those of the first
    problem (a complete message on its own); every further problem follows on a line of its
    own, located the same way. ``problems`` holds each as a SpecError."""

    def __init__(self, problems: Sequence[SpecError]) -> None:
        if not problems:
            raise ValueError("CombinedSpecError needs at least one problem")
        self.problems = tuple(problems)
        first = self.problems[0]
        rest = "".join("\n" + str(p) for p in self.problems[1:])
        super().__init__(first.message + rest, first.file, first.line, first.field)

    def __reduce__(self) -> tuple[Any, ...]:  # picklable (process pools, Dask)
        return (CombinedSpecError, (self.problems,))


def combine(problems: Sequence[SpecError]) -> SpecError:
    """One SpecError for ``problems`` (in file order, repeats dropped): the problem itself
    when there is one, else a CombinedSpecError with one line per problem."""
    unique: dict[str, SpecError] = {}
    for p in problems:
        for q in (p.problems if isinstance(p, CombinedSpecError) else (p,)):
            # One value written once (``kernel: 0``, a pair of two zeros) is one problem:
            # the same message at one line for items of one field is reported at the field.
            parent = re.sub(r"\[\d+\]$", "", q.field or "")
            key = f"{q.file}:{q.line}:{parent}:{q.message}"
            if key in unique and parent != (q.field or ""):
                first = unique[key]
                unique[key] = SpecError(first.message, first.file, first.line, parent or None)
            else:
                unique.setdefault(key if parent != (q.field or "") else str(q), q)
    ordered = sorted(unique.values(), key=lambda p: (p.line is None, p.line or 0))
    if not ordered:
        raise ValueError("no problems to combine")
    return ordered[0] if len(ordered) == 1 else CombinedSpecError(ordered)


def closest(word: str, choices: Iterable[str], n: int = 1) -> list[str]:
    """The ``n`` choices closest to ``word`` (the same but for case; else difflib's closest;
    else those it begins, as 'cap' begins 'capacity_kib'), best first; empty when none is
    close."""
    pool = [str(c) for c in dict.fromkeys(choices) if str(c) != word]
    same_case = [c for c in pool if c.lower() == word.lower()]  # 'k' for 'K'
    close = same_case[:n] or difflib.get_close_matches(word, pool, n=n, cutoff=0.6)
    if not close and len(word) >= 3:
        close = [c for c in pool if c.lower().startswith(word.lower())][:n]
    return close


def did_you_mean(word: str, choices: Iterable[str], n: int = 1) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices`` to ``word``, or ``""`` (the
    form ``--set`` mistakes use too)."""
    close = closest(word, choices, n)
    return " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)" if close else ""


# --- the schema behind a pydantic location -------------------------------------------------


def type_options(tp: Any) -> list[Any]:
    """The alternatives of a type annotation: ``Annotated`` stripped, ``X | None`` and other
    unions split, ``None`` dropped."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return type_options(typing.get_args(tp)[0])
    if origin is typing.Union or isinstance(tp, UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            if arg is not type(None):
                out.extend(type_options(arg))
        return out
    return [tp]


def is_model(tp: Any) -> bool:
    """Whether ``tp`` is a pydantic model class."""
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tag_values(model: type[BaseModel]) -> set[str]:
    """Literal string values of a model's fields (a discriminated union's tag is one)."""
    out: set[str] = set()
    for f in model.model_fields.values():
        if typing.get_origin(f.annotation) is Literal:
            out |= {str(a) for a in typing.get_args(f.annotation)}
    return out


def schema_step(tp: Any, part: str | int) -> Any:
    """The type found at ``part`` (a field, a list index, a dict key) of type ``tp``, or None
    when the schema cannot say (``Any``, an unknown field). A discriminated union's tag, which
    pydantic puts into its locations, selects that member."""
    options = type_options(tp)
    models = [o for o in options if is_model(o)]
    if isinstance(part, str):
        for m in models:  # a union tag ('conv2d') or a member's name ('Conv2d')
            if len(models) > 1 and (part == m.__name__ or part in _tag_values(m)):
                return m
    for o in options:
        if is_model(o):
            if isinstance(part, str) and part in o.model_fields:
                return o.model_fields[part].annotation
            continue
        origin = typing.get_origin(o)
        args = typing.get_args(o)
        if origin in (list, set, frozenset, collections.abc.Sequence) and args:
            if isinstance(part, int) or str(part).isdigit():
                return args[0]
        elif origin is tuple and args:
            if isinstance(part, int) or str(part).isdigit():
                i = int(part)
                if len(args) == 2 and args[1] is Ellipsis:
                    return args[0]
                return args[i] if i < len(args) else None
        elif origin in (dict, collections.abc.Mapping) and len(args) == 2:
            return args[1]
    return None


def field_names(tp: Any) -> list[str]:
    """Field names of the model(s) behind ``tp`` (empty when it is no model)."""
    out: list[str] = []
    for o in type_options(tp):
        if is_model(o):
            out.extend(o.model_fields)
    return list(dict.fromkeys(out))


def _type_at(model: Any, loc: Sequence[str | int]) -> Any:
    tp = model
    for part in loc:
        if tp is None:
            return None
        tp = schema_step(tp, part)
    return tp


# --- pydantic errors to located problems ---------------------------------------------------


def _is_tag(model: Any, loc: Sequence[str | int], part: str | int) -> bool:
    """Whether ``part`` (at the end of ``loc``) is a discriminated union's tag that pydantic
    put into the location of a whole member's error (a model validator's)."""
    if model is None or not isinstance(part, str):
        return False
    tp = _type_at(model, loc)
    members = [o for o in type_options(tp) if is_model(o)] if tp is not None else []
    return len(members) > 1 and any(part == m.__name__ or part in _tag_values(m)
                                     for m in members)


def _locate(loc: Sequence[str | int], lines: LineMap, prefix: PathKey, model: Any = None
            ) -> tuple[int | None, str]:
    """(line, dotted field) of a pydantic location. Keys present in the YAML (and list
    indices) locate the line; a final key absent from the YAML is the missing field itself;
    other parts are discriminated-union tags that pydantic inserts, and are dropped."""
    node_path: list[str | int] = list(prefix)
    field_path: list[str | int] = list(prefix)
    for i, part in enumerate(loc):
        if part == "[key]":  # pydantic's marker of a mapping's key (the key is the field)
            continue
        candidate = (*node_path, part)
        if candidate in lines.lines or isinstance(part, int):
            node_path.append(part)
            field_path.append(part)
        elif i == len(loc) - 1 and not _is_tag(model, loc[:i], part):
            field_path.append(part)
    return lines.line_of(node_path), _dotted(field_path)


def _expected(ctx: dict[str, Any], key: str) -> list[str]:
    """Quoted choices of a pydantic message context ("'a', 'b' or 'c'") as a list."""
    return re.findall(r"'([^']*)'", str(ctx.get(key, "")))


_UNKNOWN = "unknown field (hwsim fields lists the valid ones)"


def validation_problems(exc: ValidationError, lines: LineMap, prefix: PathKey = (),
                        model: Any = None,
                        keep: Callable[[dict[str, Any]], bool] | None = None
                        ) -> list[SpecError]:
    """Every problem of a pydantic ValidationError as a located SpecError, in file order.

    ``model`` (the model class or type validated, optional) lets an unknown key suggest the
    closest field name. A misspelt key whose suggestion is a required field reported missing
    beside it is one problem ("unknown field (did you mean 'bandwidth_gbps'?)"),
    not two. ``keep`` (a test on pydantic's error dicts) leaves the others out."""
    errors: list[dict[str, Any]] = [dict(e) for e in exc.errors()]
    errors = [e for e in errors if keep is None or keep(e)]
    missing: dict[tuple[Any, ...], set[str]] = {}
    for e in errors:
        if e.get("type") == "missing" and e["loc"] and isinstance(e["loc"][-1], str):
            missing.setdefault(tuple(e["loc"][:-1]), set()).add(e["loc"][-1])
    absorbed: set[tuple[Any, ...]] = set()
    problems: list[SpecError] = []
    for e in errors:
        loc = list(e["loc"])
        kind = e.get("type")
        ctx = e.get("ctx") or {}
        msg = str(e["msg"])
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            tag_field = str(ctx.get("discriminator", "")).strip("'")
            loc.append(tag_field)
            if kind == "union_tag_invalid":
                msg += did_you_mean(str(ctx.get("tag", "")), _expected(ctx, "expected_tags"))
        elif kind == "literal_error" and isinstance(e.get("input"), str):
            msg += did_you_mean(str(e["input"]), _expected(ctx, "expected"))
        elif kind == "extra_forbidden" and loc and isinstance(loc[-1], str):
            parent, key = tuple(loc[:-1]), loc[-1]
            siblings = missing.get(parent, set())
            close = difflib.get_close_matches(key, sorted(siblings), n=1, cutoff=0.6)
            if close:  # the misspelling of a required field: one problem
                absorbed.add((*parent, close[0]))
                hint = f" (did you mean '{close[0]}'?)"
            else:
                fields = field_names(_type_at(model, parent)) if model is not None else []
                hint = did_you_mean(key, fields or sorted(siblings))
            msg = f"unknown field{hint}" if hint else _UNKNOWN
        elif kind == "extra_forbidden":
            msg = _UNKNOWN
        elif kind == "number":  # refuse_bad_numbers: an item inside the field
            loc += [int(k) if isinstance(k, int) else str(k) for k in ctx.get("item", ())]
        problems.append(_problem(loc, msg, lines, prefix, model))
    kept = [p for e, p in zip(errors, problems)
            if not (e.get("type") == "missing" and tuple(e["loc"]) in absorbed)]
    return kept


def _problem(loc: Sequence[str | int], msg: str, lines: LineMap, prefix: PathKey,
             model: Any = None) -> SpecError:
    line, field_name = _locate(loc, lines, prefix, model)
    return SpecError(msg, lines.file, line, field_name or None)


def validation_error(exc: ValidationError, lines: LineMap, prefix: PathKey = (),
                     model: Any = None) -> SpecError:
    """One SpecError holding every problem of a pydantic ValidationError, each located
    (``file:line: field '...': message``, one line each, in file order; see
    :func:`validation_problems`). A single problem gives exactly one line."""
    return combine(validation_problems(exc, lines, prefix, model))


# --- numbers every spec refuses ------------------------------------------------------------

#: Largest magnitude of a number in any spec (exclusive): a 64-bit integer's limit. Counts
#: beyond it overflow NumPy's int64 arrays, and physical quantities beyond it (a clock of
#: 1e308 MHz) overflow the model's products to infinity.
MAX_MAGNITUDE = 2**63


def _is_number_type(tp: Any) -> bool:
    return tp in (int, float)


@lru_cache(maxsize=1024)
def _number_kind(tp: Any) -> tuple[bool, bool, bool]:
    """(a model among ``tp``'s alternatives, a number among them, bool among them), remembered
    per annotation: a workload checks the same few field types thousands of times."""
    options = type_options(tp)
    return (any(is_model(o) for o in options), any(_is_number_type(o) for o in options),
            bool in options)


def _number_kind_of(tp: Any) -> tuple[bool, bool, bool]:
    """:func:`_number_kind`; an unhashable annotation is worked out each time."""
    try:
        return _number_kind(tp)
    except TypeError:
        return _number_kind.__wrapped__(tp)


def number_problem(value: Any, tp: Any) -> tuple[PathKey, str] | None:
    """(path inside the value, why) for a number that a field of type ``tp`` must refuse
    although pydantic's lax mode would take it: a boolean (``true`` read as 1), NaN or an
    infinity, a magnitude of 2^63 or more; None when there is none. Containers (lists, tuples,
    mappings of numbers) are searched; nested models check their own fields."""
    has_model, numeric, takes_bool = _number_kind_of(tp)
    if has_model:
        return None
    if isinstance(value, bool):
        if numeric and not takes_bool:
            return (), "Input should be a number, not a boolean"
        return None
    if isinstance(value, str) and numeric and not takes_bool:
        # YAML 1.1 reads ``1e308`` (no dot) and ``nan`` as text, which pydantic then converts
        try:
            value = float(value.strip().replace("_", ""))
        except ValueError:
            return None  # not a number: the field's own type check says so
    if isinstance(value, (int, float)):
        if not numeric:
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return (), "Input should be a finite number"
        if abs(value) >= MAX_MAGNITUDE:
            return (), "Input should be less than 2^63 in magnitude"
        return None
    items: list[tuple[Any, Any]] = []
    if isinstance(value, (list, tuple)):
        items = list(enumerate(value))
    elif isinstance(value, dict):
        items = list(value.items())
    for key, item in items:
        sub = schema_step(tp, key)
        if sub is None:
            continue
        found = number_problem(item, sub)
        if found is not None:
            where, why = found
            return (key if isinstance(key, int) else str(key), *where), why
    return None


def refuse_bad_numbers(cls: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
    """A ``field_validator("*", mode="before")`` body for spec models: each field's value
    passes unless :func:`number_problem` finds something to refuse."""
    name = info.field_name
    f = cls.model_fields.get(name) if name is not None else None
    if f is None:
        return value
    found = number_problem(value, f.annotation)
    if found is not None:
        where, why = found
        # the item's path inside the field goes in the context: validation_problems puts it
        # into the location
        raise PydanticCustomError("number", why, {"item": list(where)})
    return value

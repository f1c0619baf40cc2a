"""YAML loading with line numbers, so that every spec error names file, line and field.

Only ``yaml.safe_load``-equivalent construction is used (SafeLoader); nothing executes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from hwsim.errors import SpecError

PathKey = tuple[str | int, ...]
#: libyaml's safe loader when PyYAML was built with it (the same document, several times
#: faster), else the pure-Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def _walk(node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines)


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
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"invalid YAML: {problem}", file, line) from None
    lines: dict[PathKey, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, LineMap(file, lines)


def validate(model: type[BaseModel], data: Any, lines: LineMap, prefix: PathKey = ()) -> Any:
    """Validate ``data`` with a pydantic model; turn the first error into a located SpecError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, lines, prefix) from None


def validation_error(exc: ValidationError, lines: LineMap, prefix: PathKey = ()) -> SpecError:
    """Convert a pydantic ValidationError into one located SpecError (the first problem)."""
    errors = exc.errors()
    first = errors[0]
    # Walk pydantic's location through the document: keys present in the YAML (and list
    # indices) locate the line; a final key absent from the YAML is the missing field itself;
    # other parts are discriminated-union tags that pydantic inserts, and are dropped.
    node_path: list[str | int] = list(prefix)
    field_path: list[str | int] = list(prefix)
    parts = list(first["loc"])
    if first.get("type") in ("union_tag_invalid", "union_tag_not_found"):
        parts.append(str(first.get("ctx", {}).get("discriminator", "")).strip("'"))
    for i, part in enumerate(parts):
        candidate = (*node_path, part)
        if candidate in lines.lines or isinstance(part, int):
            node_path.append(part)
            field_path.append(part)
        elif i == len(parts) - 1:
            field_path.append(part)
    msg = first["msg"]
    if first.get("type") == "extra_forbidden":
        msg = "unknown field (check its spelling against the schema in the README)"
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    field_name = _dotted(field_path)
    return SpecError(msg + more, lines.file, lines.line_of(node_path), field_name or None)

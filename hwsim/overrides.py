"""``--set path.to.field=value`` overrides of a parsed YAML spec, before validation.

An override may be aimed at one accelerator of several (``hwsim compare``):
``--set NAME:path.to.field=value`` (:func:`split_target`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

from hwsim.errors import HwsimError


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the choice closest to ``word`` (difflib, or a choice
    ``word`` is a prefix of), else ``""``."""
    pool = [c for c in dict.fromkeys(str(c) for c in choices) if c != word]
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not close and word:
        close = [c for c in pool if c.lower().startswith(word.lower())][:1]
    return f" (did you mean '{close[0]}'?)" if close else ""


def set_path(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``data`` with the dotted ``path`` set to ``value`` (list items by index:
    ``buffers.0.capacity_kib``). Only the mappings and lists along the path are copied; the
    rest is shared with ``data``, which is never changed (a sweep sets a few fields of one base
    per point: a deep copy per field was a fifth of a small point's time)."""
    out: dict[str, Any] = dict(data)
    node: Any = out
    keys = path.split(".")
    for i, k in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            try:
                idx = int(k)
                if last:
                    node[idx] = value
                else:
                    node[idx] = node = _copied(node[idx])
            except (ValueError, IndexError):
                raise HwsimError(f"--set {path}: '{k}' is not an index of that list "
                                 f"(it has {len(node)} items)") from None
            continue
        if not isinstance(node, dict):
            raise HwsimError(f"--set {path}: '{keys[i - 1]}' is not a section")
        if last:
            node[k] = value
        else:
            node[k] = node = _copied(node.get(k, {}))
    return out


def _copied(node: Any) -> Any:
    """A shallow copy of a mapping or list on the path being set (other values as they are)."""
    if isinstance(node, dict):
        return dict(node)
    if isinstance(node, list):
        return list(node)
    return node


def split_target(item: str) -> tuple[str | None, str]:
    """``"NAME:path=value"`` -> ``("NAME", "path=value")``; ``"path=value"`` -> ``(None, ...)``.

    A field path never holds a colon, so a colon before the first ``=`` ends the name of the
    accelerator the override is for; colons inside the value (``=a:b``) are left alone."""
    head = item.split("=", 1)[0]
    if ":" in head:
        name, rest = item.split(":", 1)
        if name.strip():
            return name.strip(), rest.strip()
    return None, item


def parse_set(item: str) -> tuple[str, Any]:
    """``"path.to.field=value"`` -> ``(path, value)``; the value is parsed as YAML (numbers,
    lists, booleans, mappings), else kept as the text."""
    if "=" not in item:
        raise HwsimError(f"--set '{item}': expected path.to.field=value")
    path, raw = item.split("=", 1)
    path = path.strip()
    if not path or any(not k for k in path.split(".")):
        raise HwsimError(f"--set '{item}': expected path.to.field=value")
    try:
        node = yaml.compose(raw, Loader=yaml.SafeLoader)
        if _uses_aliases(node):  # a recursive or exponential value: refused before building
            raise HwsimError(f"--set '{item}': YAML anchors and aliases are not allowed "
                             "in a value")
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        value = raw
    return path, value


def _uses_aliases(node: yaml.Node | None) -> bool:
    """Whether a composed document reaches some node twice (an alias)."""
    seen: set[int] = set()
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop()
        if id(n) in seen:
            return True
        seen.add(id(n))
        if isinstance(n, yaml.MappingNode):
            stack.extend(x for pair in n.value for x in pair)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return False


def apply_sets(data: dict[str, Any], sets: list[str]) -> dict[str, Any]:
    """Apply ``KEY=VALUE`` strings; values are parsed as YAML (numbers, lists, booleans)."""
    for item in sets:
        path, value = parse_set(item)
        data = set_path(data, path, value)
    return data


def override_items(overrides: Mapping[str, Any] | Sequence[str]) -> list[tuple[str, Any, str]]:
    """``(path, value, as written)`` of each override (``{"path": value}`` or
    ``["path=value", ...]``), in order."""
    if isinstance(overrides, Mapping):
        return [(str(p), v, f"{p}={v}") for p, v in overrides.items()]
    if isinstance(overrides, str):
        overrides = [overrides]
    return [(*parse_set(item), item.strip()) for item in overrides]


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any] | Sequence[str]
                    ) -> dict[str, Any]:
    """Apply ``{"path.to.field": value}`` or ``["path.to.field=value", ...]`` to ``data``."""
    for path, value, _ in override_items(overrides):
        data = set_path(data, path, value)
    return data

"""``--set path.to.field=value`` overrides of a parsed YAML spec, before validation."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from hwsim.errors import HwsimError


def set_path(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``data`` with the dotted ``path`` set to ``value`` (list items by index:
    ``buffers.0.capacity_kib``)."""
    out = copy.deepcopy(data)
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
                    node = node[idx]
            except (ValueError, IndexError):
                raise HwsimError(f"--set {path}: '{k}' is not an index of that list") from None
            continue
        if not isinstance(node, dict):
            raise HwsimError(f"--set {path}: '{keys[i - 1]}' is not a section")
        if last:
            node[k] = value
        else:
            node = node.setdefault(k, {})
    return out


def apply_sets(data: dict[str, Any], sets: list[str]) -> dict[str, Any]:
    """Apply ``KEY=VALUE`` strings; values are parsed as YAML (numbers, lists, booleans)."""
    for item in sets:
        if "=" not in item:
            raise HwsimError(f"--set '{item}': expected path.to.field=value")
        path, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        data = set_path(data, path.strip(), value)
    return data


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any] | Sequence[str]
                    ) -> dict[str, Any]:
    """Apply ``{"path.to.field": value}`` or ``["path.to.field=value", ...]`` to ``data``."""
    if isinstance(overrides, Mapping):
        for path, value in overrides.items():
            data = set_path(data, str(path), value)
        return data
    if isinstance(overrides, str):
        overrides = [overrides]
    return apply_sets(data, list(overrides))

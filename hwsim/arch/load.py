"""Load an accelerator spec from YAML, with errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hwsim.arch.spec import COMPUTE_MODELS, ArchSpec
from hwsim.errors import SpecError
from hwsim.yamlio import LineMap, load_yaml, validate


def arch_from_data(data: Any, lines: LineMap) -> ArchSpec:
    """Validate parsed YAML data as an ArchSpec, locating any error in the source."""
    if not isinstance(data, dict):
        raise lines.error("an accelerator spec must be a YAML mapping")
    kind = data.get("kind")
    if kind is not None and kind not in COMPUTE_MODELS and isinstance(kind, str):
        known = ", ".join(COMPUTE_MODELS)
        raise lines.error(f"unknown kind '{kind}', expected one of: {known}", ("kind",))
    if kind in COMPUTE_MODELS and isinstance(data.get("compute"), dict):
        validate(COMPUTE_MODELS[kind], data["compute"], lines, ("compute",))
    try:
        return validate(ArchSpec, data, lines)
    except SpecError as err:
        if err.field in (None, "") and err.line is None:
            err.line = lines.line_of(())
        raise


def load_arch(path: str | Path) -> ArchSpec:
    """Read and validate ``arch_configs/<name>.yaml``."""
    data, lines = load_yaml(path)
    return arch_from_data(data, lines)

"""Load an accelerator spec from YAML, with errors that name file, line and field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hwsim.arch.spec import COMPUTE_MODELS, ArchSpec
from hwsim.bundled import resolve
from hwsim.errors import SpecError
from hwsim.overrides import apply_overrides
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
        spec: ArchSpec = validate(ArchSpec, data, lines)
    except SpecError as err:
        if err.field in (None, "") and err.line is None:
            err.line = lines.line_of(())
        raise
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
    does: ``{"compute.rows": 32}`` or ``["compute.rows=32"]``."""
    data, lines = load_yaml(resolve(str(spec), "arch_configs"))
    if overrides:
        if not isinstance(data, dict):
            raise lines.error("an accelerator spec must be a YAML mapping")
        data = apply_overrides(data, overrides)
    return arch_from_data(data, lines)

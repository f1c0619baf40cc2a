"""Workload YAML: load with located errors, and dump (lossless round trip)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from hwsim.bundled import resolve
from hwsim.errors import SpecError
from hwsim.precision import Precision
from hwsim.workload.graph import GraphError, Workload, build_workload
from hwsim.workload.layers import Layer
from hwsim.yamlio import LineMap, combine, load_yaml, validation_problems

_LAYER: TypeAdapter[Layer] = TypeAdapter(Layer)


class _WorkloadHeader(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    source: str = ""
    batch: int = Field(1, gt=0)
    precision: Precision | None = None
    masks: str | None = Field(None, description=".npz of weight masks, one key per layer name")
    layers: list[dict[str, Any]] = Field(min_length=1)


def load_masks(path: Path, lines: LineMap, layer_names: list[str]) -> dict[str, np.ndarray]:
    """Boolean masks from an .npz (key = layer name); nonzero entries are kept weights."""
    if not path.exists():
        raise lines.error(f"mask file {path} not found", ("masks",))
    try:
        with np.load(path, allow_pickle=False) as npz:
            masks = {k: np.asarray(npz[k]) != 0 for k in npz.files}
    except (OSError, ValueError) as exc:
        raise lines.error(f"cannot read mask file {path}: {exc}", ("masks",)) from None
    unknown = sorted(set(masks) - set(layer_names))
    if unknown:
        raise lines.error(f"mask file {path.name} has keys that are no layer: {unknown[:5]}",
                          ("masks",))
    return masks


def workload_from_data(data: Any, lines: LineMap) -> Workload:
    """Validate parsed YAML as a Workload, locating any error in the source."""
    if not isinstance(data, dict):
        raise lines.error("a workload must be a YAML mapping with 'name' and 'layers'")
    # Every problem of the file at once: the header's and each layer's.
    problems: list[SpecError] = []
    try:
        header = _WorkloadHeader.model_validate(data)
        raw_layers = list(header.layers)
    except ValidationError as exc:
        problems += validation_problems(exc, lines, (), _WorkloadHeader,
                                        keep=lambda e: bool(e["loc"]) and e["loc"][0] != "layers")
        raw = data.get("layers")
        raw_layers = list(raw) if isinstance(raw, list) else []
        if not isinstance(raw, list):
            problems += validation_problems(exc, lines, (), _WorkloadHeader,
                                            keep=lambda e: bool(e["loc"])
                                            and e["loc"][0] == "layers")
    layers = []
    for i, item in enumerate(raw_layers):
        try:
            layers.append(_LAYER.validate_python(item))
        except ValidationError as exc:
            problems += validation_problems(exc, lines, ("layers", i), Layer)
    if problems:
        raise combine(problems)
    masks: dict[str, np.ndarray] = {}
    masks_file = None
    if header.masks:
        base = Path(lines.file).parent if lines.file and lines.file != "<string>" else Path()
        masks_path = base / header.masks
        masks = load_masks(masks_path, lines, [layer.name for layer in layers])
        masks_file = header.masks
    try:
        return build_workload(
            header.name, layers, header.batch, header.precision, header.description,
            header.source, masks, masks_file,
        )
    except GraphError as exc:
        path: tuple[str | int, ...] = ("layers", exc.index, exc.field) if exc.index >= 0 else (
            exc.field,
        )
        raise lines.error(str(exc), path) from None


def load_workload(path: str | Path) -> Workload:
    """Read and validate a workload: a YAML path, or the name of a bundled one
    (``load_workload("resnet50")``)."""
    data, lines = load_yaml(resolve(str(path), "workloads"))
    return workload_from_data(data, lines)


def _layer_dict(layer: Layer) -> dict[str, Any]:
    d = layer.model_dump(by_alias=True, exclude_defaults=True)
    d = {"name": d.pop("name"), "op": layer.op, **d}
    if layer.sparsity is not None:
        # exclude_defaults also drops the pattern tag (a Literal default) of the spec.
        d["sparsity"] = {"pattern": layer.sparsity.pattern,
                         **layer.sparsity.model_dump(exclude_defaults=True)}
    for k, v in list(d.items()):
        if isinstance(v, tuple):
            d[k] = v[0] if len(v) == 2 and v[0] == v[1] else list(v)
    return d


def workload_to_data(wl: Workload) -> dict[str, Any]:
    out: dict[str, Any] = {"name": wl.name}
    if wl.description:
        out["description"] = wl.description
    if wl.source:
        out["source"] = wl.source
    out["batch"] = wl.batch
    if wl.precision:
        out["precision"] = wl.precision
    if wl.masks_file:
        out["masks"] = wl.masks_file
    out["layers"] = [_layer_dict(layer) for layer in wl.layers]
    return out


def dump_workload(wl: Workload, path: str | Path | None = None) -> str:
    """YAML text of a workload (written to ``path`` when given)."""
    text = yaml.safe_dump(workload_to_data(wl), sort_keys=False, default_flow_style=None, width=100)
    if path is not None:
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise SpecError(f"cannot write workload: {exc}", str(path)) from None
    return text

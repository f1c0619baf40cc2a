"""Workload YAML: load with located errors, and dump (lossless round trip)."""

from __future__ import annotations

import math
import typing
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from hwsim.bundled import resolve
from hwsim.errors import SpecError
from hwsim.precision import Precision
from hwsim.sparsity.spec import Pattern
from hwsim.workload.graph import GraphError, Workload, build_workload
from hwsim.workload.layers import Conv2d, Layer, Linear
from hwsim.yamlio import (
    LineMap,
    combine,
    load_yaml,
    number_problem,
    refuse_bad_numbers,
    validation_problems,
)

_LAYER: TypeAdapter[Layer] = TypeAdapter(Layer)


class _WorkloadHeader(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Booleans, NaN, infinities and magnitudes of 2^63 or more are no valid number anywhere.
    _numbers = field_validator("*", mode="before")(classmethod(refuse_bad_numbers))

    name: str
    description: str = ""
    source: str = ""
    batch: int = Field(1, gt=0)
    precision: Precision | None = None
    masks: str | None = Field(None, description=".npz of weight masks, one key per layer name")
    layers: list[dict[str, Any]] = Field(min_length=1)


#: Most elements one mask may have (a bool each once loaded), whatever its layer claims.
MAX_MASK_ELEMENTS = 1 << 30
#: Largest .npy header read (numpy's own default): the header is a short Python literal.
_MAX_HEADER = 10_000
#: What reading a damaged or hostile archive raises.
_NPZ_ERRORS = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error,
               RuntimeError, NotImplementedError, SyntaxError, MemoryError)


def mask_weight_shape(layer: Layer) -> tuple[int, ...] | None:
    """Shape of ``layer``'s weights as PyTorch stores them, which a mask of it covers:
    ``(out, in/groups, kh, kw)`` for a convolution, ``(out, in)`` for a linear layer; None
    for a layer without a weight matrix."""
    if isinstance(layer, Conv2d):
        return (layer.out_channels, layer.in_channels // layer.groups, *layer.kernel)
    if isinstance(layer, Linear):
        return (layer.out_features, layer.in_features)
    return None


def load_masks(path: Path, lines: LineMap, layers: Sequence[Layer] | Sequence[str]
               ) -> dict[str, np.ndarray]:
    """Boolean masks from an .npz (key = layer name); nonzero entries are kept weights.

    Every member's .npy header is read first and checked (a layer of that name, a numeric
    dtype, as many elements as the layer has weights, at most MAX_MASK_ELEMENTS) before any
    array is allocated, so a crafted header or a small file that expands to billions of
    elements is refused with one located line. ``layers`` may be bare names (no count
    check)."""
    where = ("masks",)
    if not path.exists():
        raise lines.error(f"mask file {path} not found", where)
    if not path.is_file():
        raise lines.error(f"mask file {path} is not a regular file", where)
    # expected weight shape by layer name: None = not known (names given), () = no weights
    counts: dict[str, tuple[int, ...] | None] = {}
    for x in layers:
        if isinstance(x, str):
            counts[x] = None
        else:
            counts[x.name] = mask_weight_shape(x) or ()
    try:
        with zipfile.ZipFile(path) as zf:
            members = _mask_members(zf, path, lines, counts)
            masks = {}
            for name, info in members.items():
                with zf.open(info) as f:
                    arr = np.lib.format.read_array(f, allow_pickle=False,
                                                   max_header_size=_MAX_HEADER)
                masks[name] = np.asarray(arr) != 0
    except zipfile.BadZipFile as exc:
        raise lines.error(f"cannot read mask file {path}: not an .npz archive of arrays "
                          f"({_first_line(exc)})", where) from None
    except _NPZ_ERRORS as exc:
        raise lines.error(f"cannot read mask file {path}: {type(exc).__name__}: "
                          f"{_first_line(exc)}", where) from None
    return masks


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's message, at most 200 characters (some readers
    explain themselves over several lines; an error is one line)."""
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else ""
    return first if len(first) <= 200 else first[:197] + "..."


def _mask_members(zf: zipfile.ZipFile, path: Path, lines: LineMap,
                  counts: dict[str, tuple[int, ...] | None]) -> dict[str, zipfile.ZipInfo]:
    """The archive's members by layer name, each header checked (see :func:`load_masks`)."""
    where = ("masks",)
    members: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        name = info.filename
        if not name.endswith(".npy") or info.is_dir():
            raise lines.error(f"mask file {path.name} holds '{name[:80]}', which is no .npy "
                              "array", where)
        key = name[:-len(".npy")]
        if key in members:
            raise lines.error(f"mask file {path.name} holds '{key[:80]}' twice", where)
        members[key] = info
    unknown = sorted(set(members) - set(counts))
    if unknown:
        raise lines.error(f"mask file {path.name} has keys that are no layer: {unknown[:5]}",
                          where)
    for key, info in members.items():
        with zf.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(
                    f, max_header_size=_MAX_HEADER)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(
                    f, max_header_size=_MAX_HEADER)
            else:
                raise lines.error(f"mask '{key}' in {path.name}: unsupported .npy format "
                                  f"version {version}", where)
        if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
            raise lines.error(f"mask '{key}' in {path.name} has dtype {dtype}; expected "
                              "booleans or numbers (nonzero = kept weight)", where)
        size = math.prod(int(n) for n in shape)
        expected = counts[key]
        if expected == ():
            raise lines.error(f"mask '{key}' in {path.name}: layer '{key}' has no weight "
                              "matrix to mask", where)
        if expected is not None and size != math.prod(expected):
            raise lines.error(f"mask '{key}' in {path.name} has {size:,} elements (shape "
                              f"{list(shape)}), but layer '{key}' has {math.prod(expected):,} "
                              f"weights {list(expected)}", where)
        if size > MAX_MASK_ELEMENTS:
            raise lines.error(f"mask '{key}' in {path.name} has {size:,} elements, more than "
                              f"{MAX_MASK_ELEMENTS:,}", where)
    return members


def _tagged_models(union: Any, tag: str) -> dict[str, type[BaseModel]]:
    """Members of a discriminated union of models by the value of their ``tag`` field."""
    members = typing.get_args(typing.get_args(union)[0])
    return {m.model_fields[tag].default: m for m in members}


_LAYER_MODELS = _tagged_models(Layer, "op")
_PATTERN_MODELS = _tagged_models(Pattern, "pattern")


def _number_problems(item: Any, lines: LineMap, at: tuple[str | int, ...]) -> list[SpecError]:
    """Numbers a layer mapping (and its sparsity pattern) gives that pydantic's lax mode would
    take but no field accepts: ``true`` read as 1 (a discriminated union's members take no
    before-validator, so the loader checks them), NaN, infinities, magnitudes of 2^63."""
    out: list[SpecError] = []
    if not isinstance(item, dict):
        return out
    for models, tag, where in ((_LAYER_MODELS, "op", at),
                               (_PATTERN_MODELS, "pattern", (*at, "sparsity"))):
        data = item if tag == "op" else item.get("sparsity")
        model = models.get(str(data.get(tag))) if isinstance(data, dict) else None
        if model is None or not isinstance(data, dict):
            continue
        by_name = {(f.alias or name): f for name, f in model.model_fields.items()}
        for key, value in data.items():
            f = by_name.get(key)
            found = number_problem(value, f.annotation) if f is not None else None
            if found is not None:
                inner, why = found
                out.append(lines.error(why, (*where, key, *inner)))
    return out


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
        if not isinstance(raw, list) or not raw:
            problems += validation_problems(exc, lines, (), _WorkloadHeader,
                                            keep=lambda e: bool(e["loc"])
                                            and e["loc"][0] == "layers")
    layers = []
    for i, item in enumerate(raw_layers):
        numbers = _number_problems(item, lines, ("layers", i))
        if numbers:  # pydantic would repeat them (or take a boolean as a number)
            problems += numbers
            continue
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
        masks = load_masks(masks_path, lines, layers)
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

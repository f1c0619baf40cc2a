"""Evaluate a chunk of sweep points into Arrow tables (runs in worker processes).

Each task gets a chunk of points, so per-task overhead (pickling, scheduling) is paid once per
chunk. Within a worker process, workloads and sparsity patterns are parsed once (memoised pure
functions); within a chunk, each distinct parameter assignment is validated once.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from hwsim.arch.load import arch_from_data
from hwsim.arch.spec import ArchSpec
from hwsim.errors import HwsimError, InfeasibleHardwareError, SpecError
from hwsim.evaluation import evaluate
from hwsim.overrides import set_path
from hwsim.report import Report
from hwsim.sparsity.spec import parse_sparsity
from hwsim.sweep.design import design_values
from hwsim.sweep.expr import evaluate_expr, names_in, parse_expr
from hwsim.sweep.grid import Point
from hwsim.sweep.spec import Sweep
from hwsim.workload.graph import Workload
from hwsim.workload.io import load_workload
from hwsim.yamlio import LineMap, load_yaml

#: Totals copied into each result row (name -> Arrow type). Units as in Report.totals.
TOTAL_COLUMNS: dict[str, pa.DataType] = {
    "latency_s": pa.float64(), "energy_j": pa.float64(), "cycles": pa.float64(),
    "dram_bytes": pa.float64(), "utilization": pa.float64(), "peak_fraction": pa.float64(),
    "macs": pa.float64(), "effective_macs": pa.float64(), "skipped_macs": pa.float64(),
    "metadata_bytes": pa.float64(), "density": pa.float64(), "params": pa.int64(),
    "bound": pa.string(),
    # what the design costs (hwsim.report.run.design_totals); FPGA blocks only with a device
    "area_mm2": pa.float64(), "leakage_w": pa.float64(), "static_w": pa.float64(),
    "gops_per_mm2": pa.float64(), "gops_per_w": pa.float64(),
    "energy_per_inference_j": pa.float64(), "fpga_dsp": pa.int64(),
    "fpga_ram_blocks": pa.int64(),
}
#: Per-layer values copied into each layer row.
LAYER_COLUMNS: dict[str, pa.DataType] = {
    "name": pa.string(), "op": pa.string(), "precision": pa.string(),
    "latency_s": pa.float64(), "energy_j": pa.float64(), "cycles": pa.float64(),
    "dram_bytes": pa.float64(), "utilization": pa.float64(), "macs": pa.float64(),
    "effective_macs": pa.float64(), "metadata_bytes": pa.float64(),
    "compute_cycles": pa.float64(), "density": pa.float64(), "bound": pa.string(),
}


def param_type(values: Sequence[Any]) -> pa.DataType:
    """Arrow type of a parameter column: bool, int64, float64, else string (JSON for lists)."""
    if all(isinstance(v, bool) for v in values):
        return pa.bool_()
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pa.int64()
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return pa.float64()
    return pa.string()


def _cell(value: Any, typ: pa.DataType) -> Any:
    if typ == pa.string() and not isinstance(value, str):
        return json.dumps(value)
    if typ == pa.float64():
        return float(value)
    return value


def key_schema(sweep: Sweep) -> pa.Schema:
    """Columns every results row has, before the totals and energy columns."""
    fields = [pa.field("id", pa.int64()), pa.field("status", pa.string()),
              pa.field("error", pa.string()), pa.field("arch", pa.string())]
    fields += [pa.field(f"param.{p.path}", param_type(p.values)) for p in sweep.params]
    fields += [pa.field("workload", pa.string()), pa.field("sparsity", pa.string()),
               pa.field("level", pa.int64()), pa.field("objective", pa.string()),
               pa.field("batch", pa.int64())]
    return pa.schema(fields)


def totals_schema(sweep: Sweep, components: Sequence[str] = ()) -> pa.Schema:
    """Schema of the results table with the given energy components."""
    fields = list(key_schema(sweep))
    fields += [pa.field(k, t) for k, t in TOTAL_COLUMNS.items()]
    fields += [pa.field(f"energy_{c}_j", pa.float64()) for c in components]
    return pa.schema(fields)


def layers_schema(components: Sequence[str] = ()) -> pa.Schema:
    """Schema of the per-layer table: ``id`` (join key to the results) and ``layer`` index."""
    fields = [pa.field("id", pa.int64()), pa.field("layer", pa.int64())]
    fields += [pa.field(k, t) for k, t in LAYER_COLUMNS.items()]
    fields += [pa.field(f"energy_{c}_j", pa.float64()) for c in components]
    return pa.schema(fields)


@functools.lru_cache(maxsize=64)
def _workload(path: str) -> Workload:
    """Parsed once per worker process (pure: same file, same Workload)."""
    return load_workload(path)


@functools.lru_cache(maxsize=256)
def _pattern(text: str) -> Any:
    return parse_sparsity(text)


def build_arch(sweep: Sweep, values: tuple[Any, ...], base: int = 0) -> ArchSpec:
    """Base arch ``base`` with the point's values set; SpecError if the result is invalid,
    naming the swept values (the base file's lines locate its own fields)."""
    b = sweep.bases[base]
    data = b.data
    for p, v in zip(sweep.params, values):
        data = set_path(data, p.path, v)
    try:
        return arch_from_data(data, _lines(str(b.path)))
    except SpecError as exc:
        swept = ", ".join(f"{p.path}={v!r}" for p, v in zip(sweep.params, values))
        raise SpecError(f"{exc} (swept: {swept})") from None


@functools.lru_cache(maxsize=16)
def _lines(path: str) -> LineMap:
    """The line map of a base arch file (parsed once per process)."""
    try:
        return load_yaml(path)[1]
    except SpecError:
        return LineMap(path)


def _outcome(sweep: Sweep, arch: ArchSpec, point: Point
             ) -> tuple[str, str | None, Report | None]:
    """(status, error, report) of one point on a valid design: excluded by a design
    constraint, invalid when a constraint cannot be computed for it, infeasible, an error,
    or ok with its report."""
    try:
        failed = failed_design_constraint(sweep, arch, point.values)
    except HwsimError as exc:
        return "invalid", f"design constraint: {exc}", None
    if failed is not None:
        return "excluded", failed, None
    try:
        return "ok", None, evaluate_point(sweep, arch, point)
    except InfeasibleHardwareError as exc:
        return "infeasible", str(exc), None
    except HwsimError as exc:
        return "error", str(exc), None


def failed_design_constraint(sweep: Sweep, arch: ArchSpec, values: tuple[Any, ...]
                             ) -> str | None:
    """Why the built design breaks one of the sweep's design constraints, or None."""
    if not sweep.design_constraints:
        return None
    env: dict[str, Any] = dict(zip((p.name for p in sweep.params), values))
    design = design_values(arch)
    env.update(design)
    for text in sweep.design_constraints:
        if not evaluate_expr(text, env):
            shown = ", ".join(f"{k}={v:g}" for k, v in design.items()
                              if k in names_in(parse_expr(text)))
            return f"design constraint '{text}' is false ({shown})"
    return None


@dataclass
class ChunkResult:
    """What a task sends back: the results rows, per-layer rows (or None), points evaluated."""

    totals: pa.Table
    layers: pa.Table | None
    evaluated: int


def evaluate_point(sweep: Sweep, arch: ArchSpec, point: Point) -> Report:
    """Exactly what ``hwsim run`` computes for this point."""
    wpath = dict(sweep.workloads)[point.workload]
    pattern = _pattern(point.sparsity) if point.sparsity is not None else None
    return evaluate(_workload(str(wpath)), arch, objective=sweep.objective, batch=sweep.batch,
                    sparsity=pattern, level=point.level)


def evaluate_chunk(sweep: Sweep, chunk: Sequence[Point]) -> ChunkResult:
    """Evaluate every point of ``chunk``; impossible hardware becomes a row with a status."""
    keys = key_schema(sweep)
    cols: dict[str, list[Any]] = {f.name: [] for f in keys}
    for name in TOTAL_COLUMNS:
        cols[name] = []
    energy: dict[str, list[Any]] = {}
    layer_rows: list[dict[str, Any]] = []
    archs: dict[tuple[Any, ...], ArchSpec | HwsimError] = {}
    ptypes = [param_type(p.values) for p in sweep.params]
    for i, point in enumerate(chunk):
        key = (point.base, *(json.dumps(v, sort_keys=True) for v in point.values))
        if key not in archs:
            try:
                archs[key] = build_arch(sweep, point.values, point.base)
            except HwsimError as exc:
                archs[key] = exc
        arch = archs[key]
        report: Report | None = None
        status, error = "ok", None
        if isinstance(arch, HwsimError):
            status, error = "invalid", str(arch)
        else:
            status, error, report = _outcome(sweep, arch, point)
        cols["id"].append(point.id)
        cols["status"].append(status)
        cols["error"].append(error)
        cols["arch"].append(sweep.bases[point.base].label)
        for p, t, v in zip(sweep.params, ptypes, point.values):
            cols[f"param.{p.path}"].append(_cell(v, t))
        cols["workload"].append(_workload(str(dict(sweep.workloads)[point.workload])).name)
        cols["sparsity"].append(point.sparsity)
        cols["level"].append(point.level)
        cols["objective"].append(sweep.objective)
        cols["batch"].append(report.batch if report is not None else sweep.batch)
        totals = report.totals if report is not None else {}
        for name in TOTAL_COLUMNS:
            cols[name].append(totals.get(name))
        for comp in totals.get("energy_breakdown_j", {}):
            energy.setdefault(comp, [None] * i)
        for comp, column in energy.items():
            column.append(totals.get("energy_breakdown_j", {}).get(comp))
        if report is not None and sweep.outputs == "layers":
            for li, lr in enumerate(report.layers):
                row: dict[str, Any] = {"id": point.id, "layer": li}
                row.update({k: getattr(lr, k) for k in LAYER_COLUMNS})
                row.update({f"energy_{c}_j": j for c, j in lr.energy_breakdown_j.items()})
                layer_rows.append(row)
    for comp, column in energy.items():
        cols[f"energy_{comp}_j"] = column
    table = pa.Table.from_pydict(cols, schema=totals_schema(sweep, list(energy)))
    layers = None
    if sweep.outputs == "layers":
        comps = list(dict.fromkeys(k[7:-2] for r in layer_rows for k in r
                                   if k.startswith("energy_") and k != "energy_j"))
        layers = pa.Table.from_pylist(layer_rows, schema=layers_schema(comps))
    return ChunkResult(table, layers, len(chunk))


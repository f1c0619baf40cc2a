"""Plot inputs: result files (run JSON/CSV, compare JSON/CSV, sweep Parquet/CSV) and Python
objects (Report, CompareRow lists) turned into flat pandas DataFrames.

Every frame has one row per layer (a run) or per configuration (compare, sweep), and energy
components as ``energy_<component>_j`` columns in joules, as the CSV outputs write them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hwsim.errors import HwsimError
from hwsim.report import Report

_ENERGY_COL = re.compile(r"^energy_(.+)_j$")


@dataclass
class Result:
    """A loaded result: ``kind`` is 'run', 'compare' or 'sweep'; ``frame`` its rows; ``meta``
    what a run says about itself (arch, kind, workload, clock_hz, num_pes, totals)."""

    kind: str
    frame: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    source: str = ""


def energy_columns(df: pd.DataFrame) -> list[str]:
    """The ``energy_<component>_j`` columns of ``df``, in their order."""
    return [c for c in df.columns if _ENERGY_COL.match(str(c))]


def component_of(col: str) -> str:
    m = _ENERGY_COL.match(col)
    return m.group(1) if m else col


def _flatten(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows with an ``energy_breakdown_j`` dict -> one ``energy_<c>_j`` column per component
    (0 where a row lacks the component); ``mapping`` dicts are dropped."""
    comps: list[str] = []
    for r in records:
        for c in r.get("energy_breakdown_j") or {}:
            if c not in comps:
                comps.append(c)
    rows = []
    for r in records:
        d = {k: v for k, v in r.items() if k not in ("energy_breakdown_j", "mapping")}
        br = r.get("energy_breakdown_j") or {}
        d.update({f"energy_{c}_j": float(br.get(c, 0.0)) for c in comps})
        rows.append(d)
    return pd.DataFrame(rows)


def _run_meta(d: Mapping[str, Any]) -> dict[str, Any]:
    return {k: d[k] for k in ("arch", "kind", "workload", "batch", "objective", "clock_hz",
                              "num_pes", "totals") if k in d}


def _records(rows: Sequence[Any]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        if is_dataclass(r) and not isinstance(r, type):
            out.append(asdict(r))
        elif isinstance(r, Mapping):
            out.append(dict(r))
        else:
            raise HwsimError(f"cannot plot a {type(r).__name__}: expected result rows")
    return out


def to_result(data: Any) -> Result:
    """A Result from a Report, a run dict (``Report.to_dict()``), compare rows (CompareRow or
    dicts), a DataFrame, a Result, or a path to a result file."""
    if isinstance(data, Result):
        return data
    if isinstance(data, (str, Path)):
        return load_result(data)
    if isinstance(data, Report):
        data = data.to_dict()
    if isinstance(data, Mapping):
        if "layers" not in data:
            raise HwsimError("a run result needs 'layers' (write it with --format json)")
        return Result("run", _flatten(list(data["layers"])), _run_meta(data))
    if isinstance(data, pd.DataFrame):
        return Result(_kind_of_frame(data, "DataFrame"), data.reset_index(drop=True))
    if isinstance(data, Sequence):
        if not data:
            raise HwsimError("nothing to plot: the result has no rows")
        df = _flatten(_records(data))
        return Result(_kind_of_frame(df, "rows"), df)
    raise HwsimError(f"cannot plot a {type(data).__name__}")


def _kind_of_frame(df: pd.DataFrame, where: str) -> str:
    cols = set(df.columns)
    if "pattern" in cols and "arch" in cols and ("speedup" in cols or "density" in cols):
        return "compare"
    if "name" in cols and "bound" in cols and "op" in cols:
        return "run"
    if any(str(c).startswith("param.") for c in cols) or {"latency_s", "energy_j"} <= cols:
        return "sweep"
    raise HwsimError(f"{where}: not a run, compare or sweep result "
                     f"(columns: {', '.join(map(str, list(cols)[:8]))})")


def load_result(path: str | Path) -> Result:
    """Read a result file: run JSON, compare JSON, or a CSV/Parquet table (run, compare or
    sweep, told apart by their columns). Bad files raise HwsimError."""
    p = Path(path)
    if not p.is_file():
        raise HwsimError(f"{p}: no such file")
    suffix = p.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(p.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                res = to_result(data)
            elif isinstance(data, list):
                if not data or not all(isinstance(r, dict) for r in data):
                    raise HwsimError("expected a list of compare rows")
                res = to_result(data)
            else:
                raise HwsimError("expected a run (object) or compare rows (list)")
        elif suffix == ".csv":
            df = pd.read_csv(p)
            if df.empty:
                raise HwsimError("the table has no rows")
            res = to_result(df)
            if res.kind == "run":
                df = df[df["name"] != "TOTAL"].reset_index(drop=True)
                res = Result("run", df)
        elif suffix in (".parquet", ".pq"):
            res = to_result(pd.read_parquet(p))
        else:
            raise HwsimError("expected a .json, .csv or .parquet result file")
    except HwsimError as exc:
        raise HwsimError(f"{p}: {exc}") from None
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HwsimError(f"{p}: cannot read result: {msg}") from None
    res.source = str(p)
    return res


def require(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    """HwsimError naming the missing columns, if any."""
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise HwsimError(f"{what} needs column(s) {', '.join(missing)}; the input has "
                         f"{', '.join(map(str, df.columns[:12]))}")


def ok_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of a sweep that evaluated (``status`` == 'ok' when that column exists)."""
    if "status" in df.columns:
        df = df[df["status"].fillna("ok").astype(str) == "ok"]
    return df


def pareto_front(df: pd.DataFrame, x: str = "latency_s", y: str = "energy_j") -> pd.Series:
    """Boolean mask of the points no other point beats in both ``x`` and ``y`` (lower is
    better). Vectorised: sort by (x, y), keep points below the running minimum of y.
    Exact duplicates count once; NaN rows are never on the front."""
    require(df, [x, y], "a Pareto front")
    xs = pd.to_numeric(df[x], errors="coerce").to_numpy(dtype=float)
    ys = pd.to_numeric(df[y], errors="coerce").to_numpy(dtype=float)
    valid = np.isfinite(xs) & np.isfinite(ys)
    idx = np.flatnonzero(valid)
    order = idx[np.lexsort((ys[idx], xs[idx]))]
    ys_sorted = ys[order]
    best_before = np.concatenate(([np.inf], np.minimum.accumulate(ys_sorted)[:-1]))
    mask = np.zeros(len(df), dtype=bool)
    mask[order[ys_sorted < best_before]] = True
    return pd.Series(mask, index=df.index, name="pareto")


PatternFactory = Callable[[float], Any] | str


def sparsity_curves(workload: Any, archs: Sequence[Any], patterns_by_name: Mapping[str,
                    PatternFactory], sparsities: Sequence[float], objective: str = "latency",
                    batch: int | None = None) -> pd.DataFrame:
    """Compare rows over a grid of weight sparsities, ready for ``plot_sparsity``.

    ``workload`` and ``archs`` are objects or bundled names/paths. Each pattern is a callable
    ``sparsity -> spec`` or a CLI template with ``{s}``, e.g. ``"block:size=4x4,sparsity={s}"``.
    Returns one row per (arch, pattern, sparsity) plus one dense row per arch, with the
    CompareRow columns, ``series`` (the pattern's name) and ``weight_sparsity`` (nominal,
    fraction of zero weights; 0 for dense)."""
    from hwsim.arch.load import load_arch
    from hwsim.bundled import resolve
    from hwsim.compare import compare
    from hwsim.sparsity.spec import Dense, Nested, parse_sparsity
    from hwsim.workload.io import load_workload

    wl = load_workload(resolve(workload, "workloads")) if isinstance(workload, str) else workload
    arch_specs = [load_arch(resolve(a, "arch_configs")) if isinstance(a, str) else a
                  for a in archs]
    specs: list[Any] = []
    keys: list[tuple[str, float]] = []
    for name, make in patterns_by_name.items():
        for s in sparsities:
            if isinstance(make, str):
                if "{s}" not in make:
                    raise HwsimError(f"pattern '{name}': template '{make}' has no {{s}}")
                spec = parse_sparsity(make.format(s=s))
            else:
                spec = make(s)
            if isinstance(spec, Nested):
                raise HwsimError(f"pattern '{name}': nested patterns are not a curve")
            if isinstance(spec, Dense) and spec.act == 0:
                continue  # compare() gives the dense baseline once per arch
            specs.append(spec)
            keys.append((name, float(s)))
    rows = compare(wl, arch_specs, specs, objective=objective, batch=batch)
    df = _flatten(_records(rows))
    series, sparsity = [], []
    i = 0
    for r in rows:
        if r.pattern == "dense" and r.label == "dense":
            series.append("dense")
            sparsity.append(0.0)
            i = 0
            continue
        name, s = keys[i]
        series.append(name)
        sparsity.append(s)
        i += 1
    df["series"] = series
    df["weight_sparsity"] = sparsity
    df["workload"] = wl.name
    return df

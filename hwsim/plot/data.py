"""Plot inputs: result files (run JSON/CSV, compare JSON/CSV, sweep Parquet/CSV) and Python
objects (Report, CompareRow lists) turned into flat pandas DataFrames.

Every frame has one row per layer (a run) or per configuration (compare, sweep), and energy
components as ``energy_<component>_j`` columns in joules, as the CSV outputs write them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hwsim.errors import HwsimError
from hwsim.report import Report
from hwsim.report.flat import flat_records

_ENERGY_COL = re.compile(r"^energy_(.+)_j$")
#: Totals named like a component column that are not one (summing them in would count the
#: energy twice).
_NOT_COMPONENTS = frozenset({"energy_per_inference_j"})


@dataclass
class Result:
    """A loaded result: ``kind`` is 'run', 'compare' or 'sweep'; ``frame`` its rows; ``meta``
    what a run says about itself (arch, kind, workload, clock_hz, num_pes, totals)."""

    kind: str
    frame: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    source: str = ""


def energy_columns(df: pd.DataFrame) -> list[str]:
    """The ``energy_<component>_j`` columns of ``df``, in their order (not totals such as
    ``energy_per_inference_j``)."""
    return [c for c in df.columns if _ENERGY_COL.match(str(c)) and c not in _NOT_COMPONENTS]


def component_of(col: str) -> str:
    m = _ENERGY_COL.match(col)
    return m.group(1) if m else col


def _flatten(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Result rows as a frame with one ``energy_<c>_j`` column per energy component."""
    return pd.DataFrame(flat_records(records))


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

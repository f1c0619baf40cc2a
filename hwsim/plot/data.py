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


#: What a run result says about itself, besides its layers (``provenance``: what produced
#: it, :func:`hwsim.report.provenance.provenance`).
RUN_META = ("arch", "kind", "workload", "batch", "objective", "clock_hz", "num_pes", "totals",
            "provenance")
#: Prefix of the provenance columns of CSV results and flattened compare rows.
PROVENANCE = "provenance."


def _run_meta(d: Mapping[str, Any]) -> dict[str, Any]:
    meta = {k: d[k] for k in RUN_META if k in d and d[k] is not None}
    prov = d.get("provenance")
    if isinstance(prov, Mapping):  # what a run JSON records of what produced it
        for key, src in (("sparsity", "sparsity"), ("level", "level"),
                         ("arch_source", "arch_path"), ("overrides", "sets")):
            if key not in meta and prov.get(src) is not None:
                meta[key] = prov[src]
    return meta


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
                if len(df):
                    res.meta = _meta_of_csv_run(df)
        elif suffix in (".parquet", ".pq"):
            from hwsim.sweep.store import read_results

            res = to_result(read_results(p).to_pandas())
            res.meta.update(_parquet_meta(p))
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


def _parquet_meta(path: Path) -> dict[str, Any]:
    """What a sweep table says about itself: the JSON object under the ``hwsim`` key of its
    Parquet metadata, when it has one (else nothing)."""
    import pyarrow.parquet as pq

    try:
        raw = (pq.read_schema(path).metadata or {}).get(b"hwsim")
        meta = json.loads(raw) if raw else {}
    except (OSError, ValueError):
        return {}
    return dict(meta) if isinstance(meta, dict) else {}


def _cell(value: Any) -> Any:
    """A provenance cell of a CSV: JSON text (lists, objects) decoded, NaN as None."""
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value.item() if hasattr(value, "item") else value


def row_provenance(df: pd.DataFrame, i: int = 0) -> dict[str, Any]:
    """The provenance of row ``i`` of a frame with ``provenance.<key>`` columns."""
    cols = [c for c in df.columns if str(c).startswith(PROVENANCE)]
    return {str(c)[len(PROVENANCE):]: _cell(df[c].iloc[i]) for c in cols} if len(df) else {}


def _meta_of_csv_run(df: pd.DataFrame) -> dict[str, Any]:
    """A run CSV's meta: its provenance columns (repeated on every row)."""
    prov = row_provenance(df)
    if not prov:
        return {}
    meta: dict[str, Any] = {"provenance": prov}
    for key in ("arch", "workload", "batch", "objective"):
        if prov.get(key) is not None:
            meta[key] = prov[key]
    return meta


def provenance_of(res: Result) -> dict[str, Any]:
    """The provenance a run result records (its JSON's ``provenance`` object, a CSV's
    ``provenance.<key>`` columns), or {}."""
    prov = res.meta.get("provenance")
    if isinstance(prov, Mapping):
        return dict(prov)
    return row_provenance(res.frame) if res.kind == "run" else {}


# --- what a result says it ran: titles and the roofline's accelerator -----------------------

NO_SUPPORT = "no sparsity support"


def support_text(support: Any) -> str:
    """Short words for what an accelerator does with zeros, from its support dict (a compare
    row's ``support``, :func:`hwsim.report.hardware_support`; JSON text in a CSV):
    'skip unstructured, W bitmap, gating'; 'no sparsity support' when it does nothing with
    zeros; '' when unknown. Text is returned as it is."""
    from hwsim.report.compare import support_text as words

    if isinstance(support, str):
        if not support.startswith("{"):
            return support
        try:
            support = json.loads(support)
        except ValueError:
            return support
    if not isinstance(support, Mapping) or not support:
        return ""
    formats = [(support.get(op) or {}).get("format", "dense") if isinstance(
        support.get(op), Mapping) else support.get(op) or "dense"
        for op in ("weights", "inputs", "outputs")]
    if (str(support.get("skip", "none")) in ("none", "") and not support.get("skip_inputs")
            and not support.get("gating") and all(f == "dense" for f in formats)):
        return NO_SUPPORT
    return words(dict(support))


def run_support(res: Result) -> str:
    """Support text of the accelerator a run result records ('' when it records none, or
    its file is gone or changed)."""
    from hwsim.report import hardware_support

    try:
        arch = recorded_arch(res)
    except HwsimError:
        return ""
    return support_text(hardware_support(arch)) if arch is not None else ""


def run_pattern(res: Result) -> str:
    """The sparsity pattern a run result records ('' for each layer's own)."""
    prov = provenance_of(res)
    return str(prov.get("sparsity_label") or prov.get("sparsity") or "")


def frame_support(df: pd.DataFrame, arch: str | None = None) -> str:
    """Support text of compare rows or sweep rows (of one ``arch``), from their ``support``
    column, or ``param.sparsity.*`` columns that hold one value each; '' when unknown or
    mixed."""
    if arch is not None and "arch" in df.columns:
        df = df[df["arch"].astype(str) == arch]
    if df.empty:
        return ""
    if "support" in df.columns:
        texts = {support_text(v) for v in df["support"] if v is not None}
        return texts.pop() if len(texts) == 1 else ""
    cols = [c for c in df.columns if str(c).startswith("param.sparsity.")]
    if not cols or any(df[c].nunique(dropna=False) > 1 for c in cols):
        return ""
    support: dict[str, Any] = {}
    for c in cols:
        keys = str(c).removeprefix("param.sparsity.").split(".")
        value = _cell(df[c].iloc[0])
        if len(keys) == 1:
            support[keys[0]] = value  # skip, gating, nm, ...
        elif len(keys) == 2 and keys[1] == "format":
            support[keys[0]] = {"format": value}  # weights.format, inputs.format
    return support_text(support)


def one_value(df: pd.DataFrame, col: str) -> str:
    """The single value of ``col`` across ``df`` as text; '' when absent, empty or mixed."""
    if col not in df.columns:
        return ""
    values = [v for v in dict.fromkeys(df[col].dropna().astype(str)) if v]
    return values[0] if len(values) == 1 else ""


def frame_workload(df: pd.DataFrame, meta: Mapping[str, Any] | None = None) -> str:
    """The one workload of compare or sweep rows (``workload`` or ``provenance.workload``
    column, else ``meta``), '' when unknown or several."""
    return (one_value(df, "workload") or one_value(df, PROVENANCE + "workload")
            or str((meta or {}).get("workload") or ""))


def title_for(what: str, workload: str = "", archs: Sequence[str] = (), support: str = "",
              sparsity: str = "") -> str:
    """'workload on arch: what', and on a second line what ran when known ('hardware: skip
    unstructured; pattern: unstructured 50%'; hardware without sparsity support is named
    only next to a pattern)."""
    if support == NO_SUPPORT and not sparsity:
        support = ""
    head = workload
    if archs:
        head += (" on " if head else "") + ", ".join(archs)
    first = f"{head}: {what}" if head else what
    extra = "; ".join(x for x in (f"hardware: {support}" if support else "",
                                   f"pattern: {sparsity}" if sparsity else "") if x)
    return f"{first}\n{extra}" if extra else first


def recorded_arch(res: Result, overrides: Sequence[str] | None = None) -> Any:
    """The ArchSpec a run result was computed on, from its provenance (``arch_path`` and its
    ``sets``), with ``overrides`` (``--set`` items) applied on top; None when the result does
    not record its file. HwsimError when the file is gone, or no longer gives the hardware the
    result was computed on (its ``arch_sha256`` differs)."""
    from hwsim.arch.load import load_arch
    from hwsim.report import arch_sha256

    prov = provenance_of(res)
    path = prov.get("arch_path")
    if not isinstance(path, str) or not path:
        return None
    if not Path(path).is_file() and res.source and not Path(path).is_absolute():
        beside = Path(res.source).parent / path
        path = str(beside) if beside.is_file() else path
    recorded = [str(x) for x in prov.get("sets") or []]
    arch = load_arch(path, recorded or None)
    digest = prov.get("arch_sha256")
    if digest and arch_sha256(arch) != digest:
        raise HwsimError(f"{path} no longer describes the accelerator this result was "
                         "computed on (its sha256 differs from the result's provenance); "
                         "give --arch (and --set)")
    return load_arch(path, recorded + list(overrides)) if overrides else arch

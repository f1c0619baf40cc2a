"""Per-layer PE utilization heat map: layers × configurations, colour = utilization, letter =
what bounds the layer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hwsim.errors import HwsimError
from hwsim.plot.data import (
    Result,
    one_value,
    require,
    run_pattern,
    run_support,
    title_for,
    to_result,
)
from hwsim.plot.style import figure_of, finish, style
from hwsim.report import Report

CMAP = "cividis"  # perceptually uniform and colour-vision-deficiency safe


def bound_code(bound: str) -> str:
    """Short cell text of a bound: compute C, dram D, a buffer by its initials
    (unified_buffer UB, scratchpad S)."""
    if bound == "compute":
        return "C"
    if bound == "dram":
        return "D"
    return "".join(w[0] for w in str(bound).split("_") if w).upper() or "?"


def utilization_frame(data: Any, labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Long frame (config, name, macs, utilization, bound) from one run, several runs (a list
    or a {label: run} mapping), or a long DataFrame that already has a ``config`` column."""
    if isinstance(data, pd.DataFrame) and "config" in data.columns:
        require(data, ["config", "name", "utilization", "bound"], "a utilization map")
        out = data.copy()
        if "macs" not in out.columns:
            out["macs"] = 1.0
        return out
    if isinstance(data, Mapping) and "layers" not in data:
        labels, data = list(data.keys()), list(data.values())
    runs = list(data) if isinstance(data, (list, tuple)) and all(
        isinstance(r, (Report, Result, str, Path)) or (isinstance(r, Mapping) and "layers" in r)
        for r in data) else [data]
    if labels is not None and len(labels) != len(runs):
        raise HwsimError(f"{len(labels)} labels for {len(runs)} runs")
    frames = []
    results = [to_result(r) for r in runs]
    for res in results:
        if res.kind != "run":
            raise HwsimError(f"a utilization map needs run results (per layer), not "
                             f"{res.kind} rows")
        require(res.frame, ["name", "utilization", "bound"], "a utilization map")
    names = list(labels) if labels else default_labels(results)
    for res, label in zip(results, names):
        f = res.frame[["name", "utilization", "bound"]].copy()
        f["macs"] = res.frame["macs"] if "macs" in res.frame.columns else 1.0
        f["workload"] = str(res.meta.get("workload") or "")
        f.insert(0, "config", label)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def default_labels(results: Sequence[Result]) -> list[str]:
    """Column labels of runs: each run's accelerator name (a CSV run, which does not record
    it: its file name); runs of one accelerator get what tells them apart (workload, pattern,
    hardware support, file name), else a number."""
    base = [str(r.meta.get("arch") or (Path(r.source).stem if r.source else f"run {i + 1}"))
            for i, r in enumerate(results)]
    out = list(base)
    for name in {b for b in base if base.count(b) > 1}:
        idx = [i for i, b in enumerate(base) if b == name]
        for tell in (lambda r: str(r.meta.get("workload") or ""),
                     lambda r: run_pattern(r) or "dense",
                     lambda r: run_support(r),
                     lambda r: Path(r.source).stem if r.source else ""):
            words = [tell(results[i]) for i in idx]
            if all(words) and len(set(words)) == len(words):
                for i, w in zip(idx, words):
                    out[i] = f"{name}\n{w}"
                break
        else:
            for k, i in enumerate(idx, start=1):
                out[i] = f"{name} #{k}"
    return out


def plot_utilization(data: Any, labels: Sequence[str] | None = None, ax: Axes | None = None,
                     include_vector: bool = False, title: str | None = None) -> Figure:
    """Heat map of PE utilization (%), one row per layer and one column per run (target or
    configuration); each cell's letter says what bounds the layer (C compute, D DRAM, buffer
    initials). Layers without MACs (pooling, element-wise: the vector unit) are left out
    unless ``include_vector``; a layer a run lacks is a blank cell."""
    long = utilization_frame(data, labels)
    workload = one_value(long, "workload")
    if not include_vector:
        has_macs = long.groupby("name", sort=False)["macs"].transform("max") > 0
        long = long[has_macs]
    if long.empty:
        raise HwsimError("no layers to show")
    configs = list(dict.fromkeys(long["config"]))
    layers = list(dict.fromkeys(long["name"]))
    util = long.pivot_table(index="name", columns="config", values="utilization",
                            aggfunc="first").reindex(index=layers, columns=configs)
    bound = long.pivot_table(index="name", columns="config", values="bound",
                             aggfunc="first").reindex(index=layers, columns=configs)
    values = util.to_numpy(dtype=float) * 100
    nr, nc = values.shape
    with style():
        if ax is None:
            fig = Figure(figsize=(max(4.2, 1.1 * nc + 3.2), max(3.0, 0.2 * nr + 1.8)),
                         layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = figure_of(ax)
        cmap = matplotlib.colormaps[CMAP].with_extremes(bad="#EEEEEE")
        mesh = ax.pcolormesh(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=100,
                             edgecolors="white", linewidth=0.5)
        fontsize = 7 if nr <= 40 else 5.5
        codes: dict[str, str] = {}
        for i in range(nr):
            for j in range(nc):
                b = bound.iat[i, j]
                if not isinstance(b, str):
                    continue
                code = bound_code(b)
                codes[code] = b
                v = values[i, j]
                text = f"{code} {v:.0f}" if nc <= 8 and np.isfinite(v) else code
                ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=fontsize,
                        color="black" if v > 55 else "white")
        ax.set_xticks(np.arange(nc) + 0.5, configs)
        ax.set_yticks(np.arange(nr) + 0.5, layers)
        ax.tick_params(axis="y", labelsize=fontsize + 0.5, length=0)
        ax.tick_params(axis="x", length=0, labelrotation=30 if nc > 3 else 0)
        ax.set_xlim(0, nc)
        ax.set_ylim(nr, 0)
        ax.grid(False)
        for s in ax.spines.values():
            s.set_visible(False)
        key = ", ".join(f"{c} = {b}" for c, b in sorted(codes.items()))
        what = "bound and utilization (%)" if nc <= 8 else "bound"
        ax.set_xlabel(f"configuration\ncell text: {what}; {key}")
        ax.set_ylabel("layer")
        cb = fig.colorbar(mesh, ax=ax, shrink=min(1.0, 6 / max(nr, 1) + 0.4), pad=0.02)
        cb.set_label("PE utilization (%)")
        ax.set_title(title or title_for("PE utilization per layer", workload))
        return finish(fig)

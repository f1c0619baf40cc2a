"""Latency or speedup over dense versus weight sparsity: one line per pattern, one panel per
target."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from hwsim.errors import HwsimError
from hwsim.plot.data import require, to_result
from hwsim.plot.style import GREY, MARKERS, OKABE_ITO, figure_of, finish, si_scale, style

METRICS = ("speedup", "latency")
_PERCENT = re.compile(r"\s*\d+(?:\.\d+)?%")


def series_name(pattern: str, label: str) -> str:
    """The curve a compare row belongs to: its label without the sparsity percentage
    ('block 4x4 75%' -> 'block 4x4'); N:M rows form one 'N:M' curve, nested ones 'nested'."""
    if pattern == "nm":
        return "N:M kernels" if "kernels" in label else "N:M"
    if pattern == "nested":
        return "nested"
    return " ".join(_PERCENT.sub("", label).split()) or pattern


def sparsity_frame(data: Any) -> pd.DataFrame:
    """Compare rows with ``series`` and ``x`` (weight sparsity, fraction) columns added:
    1 - density (the weights actually removed: channel pruning removes more weights than
    channels), else the nominal ``weight_sparsity``."""
    res = to_result(data)
    df = res.frame.copy()
    require(df, ["arch", "pattern"], "a sparsity plot")
    if "density" in df.columns:
        df["x"] = 1.0 - pd.to_numeric(df["density"], errors="coerce")
    else:
        require(df, ["weight_sparsity"], "a sparsity plot (density or weight_sparsity)")
        df["x"] = pd.to_numeric(df["weight_sparsity"], errors="coerce")
    if "series" not in df.columns:
        labels = df["label"] if "label" in df.columns else df["pattern"]
        df["series"] = [series_name(str(p), str(lb)) for p, lb in zip(df["pattern"], labels)]
    return df


def plot_sparsity(data: Any, metric: str = "speedup", archs: Sequence[str] | None = None,
                  ax: Axes | None = None, title: str | None = None) -> Figure:
    """Speedup over dense (×) or latency versus weight sparsity (%).

    ``data``: compare rows (CompareRow, dicts, a DataFrame from ``sparsity_curves`` or a
    compare JSON/CSV path). One panel per accelerator (``archs`` picks and orders them), one
    line per pattern with the same colour and marker in every panel; the dense run is the grey
    dashed reference. With ``ax``, exactly one accelerator is drawn into it."""
    if metric not in METRICS:
        raise HwsimError(f"unknown metric '{metric}', expected one of {', '.join(METRICS)}")
    df = sparsity_frame(data)
    ycol = "speedup" if metric == "speedup" else "latency_s"
    require(df, [ycol], f"a {metric} plot")
    names = list(dict.fromkeys(df["arch"].astype(str)))
    if archs is not None:
        unknown = [a for a in archs if a not in names]
        if unknown:
            raise HwsimError(f"no rows for accelerator(s) {', '.join(unknown)} "
                             f"(have {', '.join(names)})")
        names = list(archs)
    if ax is not None and len(names) != 1:
        raise HwsimError(f"one accelerator per axes; pick one of {', '.join(names)} with archs=")
    dense_mask = (df["pattern"] == "dense") & (df["series"].isin(["dense"]))
    series = [s for s in dict.fromkeys(df.loc[~dense_mask, "series"])]
    colours = {s: OKABE_ITO[i % len(OKABE_ITO)] for i, s in enumerate(series)}
    markers = {s: MARKERS[i % len(MARKERS)] for i, s in enumerate(series)}
    scale, unit = (1.0, "×") if metric == "speedup" else si_scale(df[ycol], "s")

    with style():
        ncols = min(len(names), 3)
        nrows = math.ceil(len(names) / ncols)
        if ax is None:
            fig = Figure(figsize=(3.4 * ncols + 0.4, 2.9 * nrows + 0.7), layout="constrained")
            axes = list(np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel())
        else:
            fig, axes = figure_of(ax), [ax]
        for a in axes[len(names):]:
            a.set_visible(False)
        for a, arch in zip(axes, names):
            sub = df[df["arch"].astype(str) == arch]
            dense = sub[dense_mask.loc[sub.index]]
            ref = 1.0 if metric == "speedup" else (
                float(dense[ycol].iloc[0]) * scale if len(dense) else None)
            if ref is not None:
                a.axhline(ref, color=GREY, linestyle="--", linewidth=1.0, label="dense", zorder=1)
            for s in series:
                pts = sub[(sub["series"] == s) & ~dense_mask.loc[sub.index]].sort_values("x")
                if pts.empty:
                    continue
                a.plot(pts["x"].to_numpy() * 100, pts[ycol].to_numpy() * scale, label=s,
                       color=colours[s], marker=markers[s], markerfacecolor="none",
                       markeredgewidth=1.3, markersize=6, alpha=0.9, zorder=3)
            kind = str(sub["kind"].iloc[0]) if "kind" in sub.columns and len(sub) else ""
            a.set_title(f"{arch} ({kind})" if kind else arch)
            a.set_xlabel("weight sparsity (% of weights removed)")
            a.set_ylabel("speedup over dense (×)" if metric == "speedup" else f"latency ({unit})")
            a.set_xlim(0, 100)
            if metric == "latency":
                a.set_ylim(bottom=0)
        handles = [Line2D([], [], color=GREY, linestyle="--", label="dense")] + [
            Line2D([], [], color=colours[s], marker=markers[s], markerfacecolor="none",
                   markeredgewidth=1.3, label=s) for s in series]
        if ax is None:
            fig.legend(handles=handles, loc="outside lower center",
                       ncols=min(len(handles), 5))
        else:
            ax.legend(handles=handles, loc="best")
        workload = str(df["workload"].iloc[0]) if "workload" in df.columns else ""
        default = (f"{workload}: " if workload else "") + (
            "speedup over dense vs weight sparsity" if metric == "speedup"
            else "latency vs weight sparsity")
        if ax is None:
            fig.suptitle(title or default)
        elif title:
            ax.set_title(title)
        return finish(fig)

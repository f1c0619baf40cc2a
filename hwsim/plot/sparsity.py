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
from matplotlib.ticker import FuncFormatter

from hwsim.errors import HwsimError
from hwsim.plot.data import frame_support, frame_workload, require, title_for, to_result
from hwsim.plot.style import (
    GREY,
    MARKERS,
    OKABE_ITO,
    figure_of,
    finish,
    same_as,
    si_scale,
    style,
)

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
                  ax: Axes | None = None, title: str | None = None,
                  log_y: bool = False) -> Figure:
    """Speedup over dense (×) or latency versus weight sparsity (%).

    ``data``: compare rows (CompareRow, dicts, a DataFrame from ``sparsity_curves`` or a
    compare JSON/CSV path). One panel per accelerator (``archs`` picks and orders them), one
    line per pattern with the same colour and marker in every panel; the dense run is the grey
    dashed reference. With ``ax``, exactly one accelerator is drawn into it. ``log_y`` draws
    the y axis on a log scale (base 2 for speedups: 1×, 2×, 4×, ...).

    Titles name the workload and each panel's hardware support when the rows have them
    (``workload``, ``support`` or ``param.sparsity.*`` columns). A pattern whose curve is the
    same as an earlier one's (or the dense line) stays visible: its markers are drawn larger
    around the other's and its line dashed, and the legend (or, when it happens in one panel
    only, a note in that panel) says which it repeats."""
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
    # which curve each pattern repeats, per panel ("dense" for the reference line)
    repeats = {arch: _repeats(df[df["arch"].astype(str) == arch], series, dense_mask, ycol,
                              metric) for arch in names}
    present = {arch: set(df.loc[~dense_mask & (df["arch"].astype(str) == arch), "series"])
               for arch in names}
    everywhere = _repeated_everywhere(repeats, present, series)

    with style():
        ncols = min(len(names), 3)
        nrows = math.ceil(len(names) / ncols)
        if ax is None:
            fig = Figure(figsize=(3.4 * ncols + 0.4, 2.9 * nrows + 0.8), layout="constrained")
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
            drawn: dict[tuple[float, float], int] = {}  # marker spot -> markers on it
            for s in series:
                pts = sub[(sub["series"] == s) & ~dense_mask.loc[sub.index]].sort_values("x")
                if pts.empty:
                    continue
                xs, ys = pts["x"].to_numpy() * 100, pts[ycol].to_numpy() * scale
                spots = [(round(float(x), 6), float(f"{y:.6g}")) for x, y in zip(xs, ys)]
                # a marker on a spot already taken is drawn larger, around the others
                k = max(drawn.get(spot, 0) for spot in spots)
                for spot in spots:
                    drawn[spot] = drawn.get(spot, 0) + 1
                hidden = s in repeats[arch] and repeats[arch][s] != "dense"
                a.plot(xs, ys, label=s, color=colours[s], marker=markers[s],
                       markerfacecolor="none", markeredgewidth=1.3, markersize=6 + 3.5 * k,
                       alpha=0.9, linestyle=(0, (4, 2.5)) if hidden else "-",
                       zorder=3 + 0.1 * k)
            notes = [f"{s} = {other}" for s, other in repeats[arch].items()
                     if everywhere.get(s) != other]
            if notes:
                top = metric == "speedup"  # speedups rise to the right, latencies fall
                a.text(0.03, 0.97 if top else 0.03, "same curves:\n" + "\n".join(notes),
                       transform=a.transAxes, va="top" if top else "bottom", ha="left",
                       fontsize=7, color="#444444", linespacing=1.3, gid="same-curve")
            kind = str(sub["kind"].iloc[0]) if "kind" in sub.columns and len(sub) else ""
            head = f"{arch} ({kind})" if kind else arch
            support = frame_support(df, arch)
            a.set_title(f"{head}\n{support}" if support else head)
            a.set_xlabel("weight sparsity (% of weights removed)")
            a.set_ylabel("speedup over dense (×)" if metric == "speedup" else f"latency ({unit})")
            a.set_xlim(0, 100)
            if log_y:
                a.set_yscale("log", base=2 if metric == "speedup" else 10)
                if metric == "speedup":
                    a.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
            elif metric == "latency":
                a.set_ylim(bottom=0)
            else:  # no speedup anywhere: a readable span around 1x, not ticks of 0.96x
                lo, hi = a.get_ylim()
                a.set_ylim(min(lo, 0.9), max(hi, 1.1))
        handles = [Line2D([], [], color=GREY, linestyle="--", label="dense")] + [
            Line2D([], [], color=colours[s], marker=markers[s], markerfacecolor="none",
                   markeredgewidth=1.3,
                   label=f"{s} (same as {everywhere[s]})" if s in everywhere else s)
            for s in series]
        if ax is None:
            fig.legend(handles=handles, loc="outside lower center",
                       ncols=min(len(handles), 5))
        else:
            ax.legend(handles=handles, loc="best")
        workload = frame_workload(df)
        what = ("speedup over dense vs weight sparsity" if metric == "speedup"
                else "latency vs weight sparsity")
        if ax is None:
            fig.suptitle(title or title_for(what, workload))
        elif title:
            ax.set_title(title)
        return finish(fig)


def _curve(pts: pd.DataFrame, ycol: str) -> np.ndarray:
    return np.column_stack([pts["x"].to_numpy(dtype=float), pts[ycol].to_numpy(dtype=float)])


def _repeats(sub: pd.DataFrame, series: list[str], dense_mask: pd.Series, ycol: str,
             metric: str) -> dict[str, str]:
    """Pattern -> the pattern (or 'dense') whose curve it repeats in one panel."""
    curves: list[np.ndarray] = []
    names: list[str] = []
    dense = sub[dense_mask.loc[sub.index]]
    ref = 1.0 if metric == "speedup" else (float(dense[ycol].iloc[0]) if len(dense) else None)
    out: dict[str, str] = {}
    for s in series:
        pts = sub[(sub["series"] == s) & ~dense_mask.loc[sub.index]]
        if pts.empty:
            continue
        ys = pts[ycol].to_numpy(dtype=float)
        if ref is not None and np.allclose(ys, ref, rtol=1e-6, atol=0.0):
            out[s] = "dense"  # on the dense line: no change at any sparsity
            continue
        curves.append(_curve(pts, ycol))
        names.append(s)
    for s, j in zip(names, same_as(curves)):
        if j is not None:
            out[s] = names[j]
    return out


def _repeated_everywhere(repeats: dict[str, dict[str, str]], present: dict[str, set[str]],
                         series: list[str]) -> dict[str, str]:
    """Patterns that repeat the same other pattern in every panel where they appear."""
    out: dict[str, str] = {}
    for s in series:
        seen = [repeats[arch].get(s) for arch, drawn in present.items() if s in drawn]
        if seen and all(o is not None for o in seen) and len(set(seen)) == 1:
            out[s] = str(seen[0])
    return out

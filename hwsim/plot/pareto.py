"""Pareto scatter of a design sweep with the front highlighted."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hwsim.errors import HwsimError
from hwsim.plot.data import (
    frame_support,
    frame_workload,
    ok_rows,
    pareto_front,
    require,
    title_for,
    to_result,
)
from hwsim.plot.style import (
    GREY,
    MARKERS,
    OKABE_ITO,
    column_label,
    column_unit,
    finish,
    new_axes,
    overlap_depths,
    same_as,
    si_scale,
    style,
)


def _scale(values: pd.Series, col: str) -> tuple[float, str]:
    """Factor and unit label of a column (ms, mJ, MB; 1 and '' for unitless columns)."""
    unit = column_unit(col)
    return si_scale(values, unit) if unit else (1.0, "")


def plot_pareto(data: Any, x: str = "latency_s", y: str = "energy_j", hue: str | None = None,
                ax: Axes | None = None, logx: bool = False, logy: bool = False,
                title: str | None = None) -> Figure:
    """Every evaluated point of a sweep (or compare rows) as ``x`` vs ``y``, both lower is
    better; the Pareto front (points nothing beats on both) drawn on top, joined by a step
    line. ``hue`` colours the points by a column (e.g. ``param.compute.rows``, up to 8
    values). Axes are scaled to readable units (ms, mJ, MB) from the column suffixes."""
    res = to_result(data)
    df = ok_rows(res.frame).reset_index(drop=True)
    require(df, [x, y] + ([hue] if hue else []), "a Pareto plot")
    df = df.assign(**{x: pd.to_numeric(df[x], errors="coerce"),
                      y: pd.to_numeric(df[y], errors="coerce")}).dropna(subset=[x, y])
    if df.empty:
        raise HwsimError("no evaluated points to plot")
    front = pareto_front(df, x, y)
    fx, ux = _scale(df[x], x)
    fy, uy = _scale(df[y], y)
    with style():
        fig, ax = new_axes(ax, (6.6, 4.0))
        if hue:
            values = list(dict.fromkeys(df[hue]))
            if len(values) > len(OKABE_ITO):
                raise HwsimError(f"--hue {hue}: {len(values)} values; at most "
                                 f"{len(OKABE_ITO)} can be told apart")
            with contextlib.suppress(TypeError):
                values = sorted(values)
            subs = [df[df[hue] == v] for v in values]
            same = same_as([np.column_stack([sub[x], sub[y]]) for sub in subs])
            depth = overlap_depths(same)
            for i, (v, sub) in enumerate(zip(values, subs)):
                label = f"{hue.removeprefix('param.')} = {v}"
                j = same[i]
                if j is not None:  # drawn around the points it would hide
                    label += f" (same points as {values[j]})"
                    ax.scatter(sub[x] * fx, sub[y] * fy, s=22 * (1 + 1.2 * depth[i]),
                               facecolor="none", edgecolor=OKABE_ITO[i], marker=MARKERS[i],
                               linewidth=1.1, zorder=2.5, label=label, gid=f"points:{v}")
                    continue
                ax.scatter(sub[x] * fx, sub[y] * fy, s=22, color=OKABE_ITO[i],
                           marker=MARKERS[i], alpha=0.75, linewidth=0, zorder=2,
                           label=label, gid=f"points:{v}")
        else:
            ax.scatter(df[x] * fx, df[y] * fy, s=18, color=GREY, alpha=0.55, linewidth=0,
                       zorder=2, label=f"design points ({len(df)})", gid="points")
        fr = df[front].sort_values(x)
        ax.step(fr[x] * fx, fr[y] * fy, where="post", color="black", linewidth=1.0,
                zorder=3, gid="front-line")
        ax.scatter(fr[x] * fx, fr[y] * fy, s=46, facecolor="none" if hue else OKABE_ITO[1],
                   edgecolor="black", linewidth=1.0, zorder=4,
                   label=f"Pareto front ({len(fr)})", gid="front")
        if logx:
            ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel(column_label(x, ux))
        ax.set_ylabel(column_label(y, uy))
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        archs = list(dict.fromkeys(df["arch"].astype(str))) if "arch" in df.columns else []
        ax.set_title(title or title_for(
            "design space and Pareto front", frame_workload(df, res.meta), archs,
            frame_support(df) if len(archs) <= 1 else ""))
        return finish(fig)

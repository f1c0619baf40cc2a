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
from hwsim.plot.data import Result, require, to_result
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
    names: list[str] = []
    for i, r in enumerate(runs):
        res = to_result(r)
        if res.kind != "run":
            raise HwsimError(f"a utilization map needs run results (per layer), not "
                             f"{res.kind} rows")
        require(res.frame, ["name", "utilization", "bound"], "a utilization map")
        label = labels[i] if labels else str(
            res.meta.get("arch") or (Path(res.source).stem if res.source else f"run {i + 1}"))
        if label in names:
            label = f"{label} #{i + 1}"
        names.append(label)
        f = res.frame[["name", "utilization", "bound"]].copy()
        f["macs"] = res.frame["macs"] if "macs" in res.frame.columns else 1.0
        f.insert(0, "config", label)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def plot_utilization(data: Any, labels: Sequence[str] | None = None, ax: Axes | None = None,
                     include_vector: bool = False, title: str | None = None) -> Figure:
    """Heat map of PE utilization (%), one row per layer and one column per run (target or
    configuration); each cell's letter says what bounds the layer (C compute, D DRAM, buffer
    initials). Layers without MACs (pooling, element-wise: the vector unit) are left out
    unless ``include_vector``; a layer a run lacks is a blank cell."""
    long = utilization_frame(data, labels)
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
        ax.set_title(title or "PE utilization per layer")
        return finish(fig)

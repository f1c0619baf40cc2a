"""Energy breakdown as stacked bars: per layer of a run, or per configuration (compare rows,
sweep points, several runs)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hwsim.errors import HwsimError
from hwsim.plot.data import (
    Result,
    component_of,
    energy_columns,
    frame_support,
    frame_workload,
    ok_rows,
    run_pattern,
    run_support,
    title_for,
    to_result,
)
from hwsim.plot.style import (
    COMPONENT_COLOURS,
    component_styles,
    figure_of,
    finish,
    new_axes,
    order_components,
    pretty_component,
    si_scale,
    style,
)
from hwsim.report import Report


def _runs_frame(runs: Sequence[Any]) -> pd.DataFrame:
    """One row per run (its totals), labelled by accelerator."""
    rows = []
    for r in runs:
        res = to_result(r)
        if res.kind != "run" or "totals" not in res.meta:
            where = f"{res.source}: " if res.source else ""
            raise HwsimError(f"{where}several runs must each be a run JSON (with totals)")
        t = res.meta["totals"]
        row = {"label": f"{res.meta.get('arch', '?')}\n{res.meta.get('workload', '')}".strip(),
               "energy_j": t["energy_j"]}
        row.update({f"energy_{c}_j": v for c, v in t["energy_breakdown_j"].items()})
        rows.append(row)
    return pd.DataFrame(rows).fillna(0.0)


def _config_labels(res: Result) -> list[str]:
    df = res.frame
    if res.kind == "run":
        return [str(n) for n in df["name"]]
    if res.kind == "compare":
        labels = df["label"] if "label" in df.columns else df["pattern"]
        return [str(lb) for lb in labels]  # several accelerators get one panel each
    if "label" in df.columns:  # a sweep table labelled by the caller
        return [str(lb) for lb in df["label"]]
    params = [c for c in df.columns if str(c).startswith("param.") and df[c].nunique() > 1]
    for extra in ("workload", "sparsity"):  # the base arch of a sweep gets a panel each
        if extra in df.columns and df[extra].nunique() > 1:
            params.append(extra)
    if not params:
        return [f"#{i}" for i in range(len(df))]
    return ["\n".join(f"{str(c).removeprefix('param.')}={df[c].iloc[i]}" for c in params)
            for i in range(len(df))]


def _context(data: Any) -> dict[str, Any]:
    """What the bars show, for the title: workload, accelerators, support, pattern."""
    if isinstance(data, Sequence) and not isinstance(data, str) and data and any(
            isinstance(d, (Report, Result)) or (isinstance(d, dict) and "layers" in d)
            for d in data):
        metas = [to_result(d).meta for d in data]
        workloads = {str(m.get("workload") or "") for m in metas}
        return {"workload": workloads.pop() if len(workloads) == 1 else ""}
    res = to_result(data)
    if res.kind == "run":
        arch = str(res.meta.get("arch") or "")
        return {"workload": str(res.meta.get("workload") or ""), "archs": [arch] if arch else [],
                "support": run_support(res), "sparsity": run_pattern(res)}
    df = ok_rows(res.frame)
    archs = list(dict.fromkeys(df["arch"].astype(str))) if "arch" in df.columns else []
    return {"workload": frame_workload(df, res.meta),
            "archs": archs if len(archs) == 1 or res.kind == "sweep" else [],
            "support": frame_support(df) if len(archs) <= 1 else ""}


def energy_frame(data: Any) -> tuple[pd.DataFrame, str]:
    """(bars, what): one row per bar with ``label`` and ``energy_<c>_j`` columns; ``what``
    is 'layer' or 'config'."""
    if isinstance(data, Sequence) and not isinstance(data, str) and data and any(
            isinstance(d, (Report, Result)) or (isinstance(d, dict) and "layers" in d)
            for d in data):
        return _runs_frame(data), "config"
    res = to_result(data)
    df = ok_rows(res.frame).reset_index(drop=True)
    res = Result(res.kind, df, res.meta)
    if not energy_columns(df):
        raise HwsimError("an energy breakdown needs energy_<component>_j columns "
                         "(or energy_breakdown_j dicts)")
    out = df[energy_columns(df)].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    out.insert(0, "label", _config_labels(res))
    if res.kind in ("compare", "sweep") and "arch" in df.columns:
        out.insert(1, "group", df["arch"].astype(str).to_numpy())
    return out, "layer" if res.kind == "run" else "config"


#: Name of the merged buffer component when too many buffers would need their own colour.
BUFFERS = "on-chip buffers"
MAX_BUFFERS = 4


def merge_buffers(bars: pd.DataFrame) -> pd.DataFrame:
    """``bars`` with every buffer component summed into one ``energy_on-chip buffers_j``."""
    named = set(COMPONENT_COLOURS)
    cols = [c for c in energy_columns(bars) if component_of(c) not in named]
    out = bars.drop(columns=cols)
    out[f"energy_{BUFFERS}_j"] = bars[cols].sum(axis=1)
    return out


def plot_energy_breakdown(data: Any, relative: bool = False, ax: Axes | None = None,
                          title: str | None = None, merge: bool | None = None) -> Figure:
    """Stacked bars of energy by component: DRAM, metadata, each buffer, register file, MAC,
    ALU, interconnect, static (bottom to top; all-zero components left out).

    ``data``: a Report or run JSON (one bar per layer), compare rows or a sweep table (one bar
    per configuration), or a list of Reports (one bar per run, its totals). ``relative`` draws
    each bar as percentages of its own total. Buffers are drawn one by one unless there are
    more than four (runs on different accelerators), when they are summed (``merge`` forces
    either way)."""
    if isinstance(data, (str, Path)):
        data = to_result(data)  # read once: the bars and the title both need it
    bars, what = energy_frame(data)
    context = _context(data)
    n_buffers = sum(component_of(c) not in COMPONENT_COLOURS for c in energy_columns(bars))
    if merge or (merge is None and n_buffers > MAX_BUFFERS):
        bars = merge_buffers(bars)
    comps = order_components(component_of(c) for c in energy_columns(bars))
    comps = [c for c in comps if float(bars[f"energy_{c}_j"].abs().sum()) > 0]
    styles = component_styles(comps)
    groups = list(dict.fromkeys(bars["group"])) if "group" in bars.columns else [None]
    if len(groups) > 1 and ax is None:
        return _faceted(bars, groups, comps, styles, relative,
                        title or title_for("energy by component, per accelerator",
                                           context.get("workload", "")))
    n = len(bars)
    width, height = max(5.0, 0.22 * n + 2.8), 3.6 if n <= 12 else 4.2
    labels = [str(lb) for lb in bars["label"]]
    if _turned(labels, what, width):  # room below the axes for the turned labels
        height += max(0.0, LABEL_INCHES_PER_CHAR * max(map(len, _one_line(labels))) - 1.4)
    with style():
        fig, ax = new_axes(ax, (width, height))
        _draw_bars(ax, bars, comps, styles, relative, what)
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  title="component", title_fontsize=8)
        ax.set_title(title or title_for("energy per layer by component" if what == "layer"
                                        else "energy by component", **context))
        return finish(fig)


#: Length of one character of an 8-point tick label, inches (DejaVu Sans, on average).
LABEL_INCHES_PER_CHAR = 0.065


def _turned(labels: list[str], what: str, fig_width: float) -> bool:
    """Whether the bar labels are drawn turned by 90° (layers always; otherwise when the
    longest line is wider than a bar)."""
    longest = max((len(line) for lb in labels for line in lb.split("\n")), default=0)
    return what == "layer" or longest * 0.07 > (fig_width - 2.3) / max(len(labels), 1)


def _one_line(labels: list[str]) -> list[str]:
    """Turned labels would stack their lines sideways into the next bar's: one line each."""
    return [lb.replace("\n", ", ") for lb in labels]


def _draw_bars(ax: Axes, bars: pd.DataFrame, comps: list[str], styles: dict[str, Any],
               relative: bool, what: str) -> None:
    """Stacked bars of ``bars`` on ``ax``, scaled to a readable unit of their own."""
    values = bars[[f"energy_{c}_j" for c in comps]].to_numpy(dtype=float)
    totals = values.sum(axis=1)
    if relative:
        values = 100.0 * values / np.where(totals > 0, totals, 1.0)[:, None]
        unit = "%"
    else:
        scale, unit = si_scale(totals, "J")
        values = values * scale
    n = len(bars)
    fig = figure_of(ax)
    x = np.arange(n)
    bottom = np.zeros(n)
    width = 0.8 if n > 1 else 0.5
    for j, c in enumerate(comps):
        st = styles[c]
        ax.bar(x, values[:, j], width, bottom=bottom, label=pretty_component(c),
               color=st["color"], hatch=st["hatch"], edgecolor="white", linewidth=0.4,
               gid=f"energy:{c}")
        bottom += values[:, j]
    labels = [str(lb) for lb in bars["label"]]
    ax.grid(axis="x", visible=False)
    if _turned(labels, what, fig.get_figwidth()):
        labels = _one_line(labels)
        ax.tick_params(axis="x", labelrotation=90, labelsize=7 if n > 30 else 8)
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_xlabel("layer" if what == "layer" else "configuration")
    ax.set_ylabel("share of energy (%)" if relative else f"energy ({unit})")
    if relative:
        ax.set_ylim(0, 100)


def _faceted(bars: pd.DataFrame, groups: list[Any], comps: list[str], styles: dict[str, Any],
             relative: bool, title: str | None) -> Figure:
    """One panel per accelerator, each on its own scale: energies of different targets differ
    by orders of magnitude and would vanish on a shared axis."""
    widest = max(int((bars["group"] == g).sum()) for g in groups)
    with style():
        fig = Figure(figsize=(len(groups) * max(2.6, 0.3 * widest + 1.2) + 1.8, 4.4),
                     layout="constrained")
        axes = fig.subplots(1, len(groups), squeeze=False)[0]
        for ax, g in zip(axes, groups):
            sub = bars[bars["group"] == g].reset_index(drop=True)
            _draw_bars(ax, sub, comps, styles, relative, "config")
            ax.tick_params(axis="x", labelrotation=90, labelsize=8)
            ax.set_xlabel("")
            ax.set_title(str(g))
        handles, labels = axes[-1].get_legend_handles_labels()
        axes[-1].legend(handles[::-1], labels[::-1], loc="upper left",
                        bbox_to_anchor=(1.02, 1.0), title="component", title_fontsize=8)
        fig.suptitle(title or "energy by component, per accelerator", fontweight="bold")
        return finish(fig)

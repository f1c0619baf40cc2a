"""Roofline of an accelerator with each layer of a run as a point."""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from hwsim.errors import HwsimError
from hwsim.plot.data import (
    Result,
    require,
    run_pattern,
    run_support,
    support_text,
    title_for,
    to_result,
)
from hwsim.plot.style import GREY, OKABE_ITO, finish, new_axes, style

#: Bound colours: compute and DRAM fixed, buffer ports in turn.
_BOUND_COLOURS = {"compute": OKABE_ITO[0], "dram": OKABE_ITO[1]}
_OTHER = [OKABE_ITO[2], OKABE_ITO[3], OKABE_ITO[4], OKABE_ITO[6]]


def roofs(arch: Any = None, num_pes: float | None = None, clock_hz: float | None = None,
          bandwidth_gbps: float | None = None) -> tuple[float, float]:
    """(peak ops/s, DRAM bytes/s): 2 ops per MAC × PEs × clock, and the DRAM bandwidth
    (GB/s × 1e9). ``arch`` (an ArchSpec) supplies whatever is not given."""
    if arch is not None:
        num_pes = num_pes or arch.num_pes
        clock_hz = clock_hz or arch.clock_hz
        bandwidth_gbps = bandwidth_gbps or arch.dram.bandwidth_gbps
    if not num_pes or not clock_hz:
        raise HwsimError("a roofline needs the accelerator's PEs and clock (give --arch)")
    if not bandwidth_gbps:
        raise HwsimError("a roofline needs the accelerator's DRAM bandwidth (give --arch)")
    return 2.0 * float(num_pes) * float(clock_hz), float(bandwidth_gbps) * 1e9


def roofline_points(data: Any) -> pd.DataFrame:
    """Per layer with MACs and DRAM traffic: ``intensity`` = 2·MACs / DRAM bytes (ops/B),
    ``perf`` = 2·effective MACs / latency (ops/s), ``share`` of the run's latency."""
    res = to_result(data)
    if res.kind != "run":
        raise HwsimError("a roofline needs a run result (per-layer rows), not a "
                         f"{res.kind} result")
    df = res.frame
    require(df, ["name", "macs", "dram_bytes", "latency_s", "bound"], "a roofline")
    eff = df["effective_macs"] if "effective_macs" in df.columns else df["macs"]
    total = float(df["latency_s"].sum()) or 1.0
    keep = (df["macs"] > 0) & (df["dram_bytes"] > 0) & (df["latency_s"] > 0)
    out = pd.DataFrame({
        "name": df["name"], "bound": df["bound"].astype(str),
        "intensity": 2.0 * df["macs"] / df["dram_bytes"].where(keep),
        "perf": 2.0 * eff / df["latency_s"].where(keep),
        "share": df["latency_s"] / total,
    })
    return out[keep].reset_index(drop=True)


def _slowest_spots(pts: pd.DataFrame, k: int) -> list[tuple[tuple[float, float], list[str]]]:
    """The ``k`` slowest points, layers at the same spot (repeated blocks) merged."""
    spots: dict[tuple[float, float], list[str]] = {}
    share: dict[tuple[float, float], float] = {}
    for row in pts.itertuples():
        key = (round(float(row.intensity), 6), round(float(row.perf), 0))
        spots.setdefault(key, []).append(str(row.name))
        share[key] = share.get(key, 0.0) + float(row.share)
    top = sorted(spots, key=lambda s: -share[s])[:max(k, 0)]
    return [(s, spots[s]) for s in top]


def plot_roofline(data: Any, arch: Any = None, ax: Axes | None = None, annotate: int = 3,
                  title: str | None = None, bandwidth_gbps: float | None = None) -> Figure:
    """Log-log roofline: achieved GOP/s of each layer against its operational intensity
    (ops per DRAM byte), under the compute roof (2·PEs·clock) and the DRAM roof
    (bandwidth × intensity), which meet at the ridge intensity peak / bandwidth.

    ``data``: a Report, run JSON or run CSV. ``arch``: the ArchSpec (needed for the DRAM
    bandwidth unless ``bandwidth_gbps`` is given; PEs and clock come from the run when it
    has them). Points are coloured by what bounds the layer; marker area follows the layer's
    share of latency; the ``annotate`` slowest layers are named."""
    res = to_result(data)
    pts = roofline_points(res)
    if pts.empty:
        raise HwsimError("no layer with MACs and DRAM traffic to place on a roofline")
    peak, bw = roofs(arch, res.meta.get("num_pes"), res.meta.get("clock_hz"), bandwidth_gbps)
    ridge = peak / bw
    lo = min(float(pts["intensity"].min()), ridge) / 4
    hi = max(float(pts["intensity"].max()), ridge) * 4
    g = 1e-9  # ops/s -> GOP/s
    bounds = list(dict.fromkeys(pts["bound"]))
    others = iter(_OTHER)
    colours = {b: _BOUND_COLOURS.get(b) or next(others, GREY) for b in bounds}
    name = getattr(arch, "name", None) or res.meta.get("arch", "accelerator")
    with style():
        fig, ax = new_axes(ax, (7.4, 4.2))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.plot([lo, ridge], [bw * lo * g, peak * g], color="black", linewidth=1.8,
                label=f"DRAM roof ({bw / 1e9:g} GB/s)", gid="roof:dram", zorder=2)
        ax.plot([ridge, hi], [peak * g, peak * g], color="black", linewidth=1.8,
                linestyle=(0, (6, 2)), label=f"compute roof ({peak * g:,.0f} GOP/s)",
                gid="roof:compute", zorder=2)
        ax.axvline(ridge, color=GREY, linestyle=":", linewidth=1.0, zorder=1,
                   label=f"ridge ({ridge:,.0f} ops/B)", gid="ridge")
        for b in bounds:
            sub = pts[pts["bound"] == b]
            ax.scatter(sub["intensity"], sub["perf"] * g, s=18 + 400 * sub["share"],
                       color=colours[b], alpha=0.8, edgecolor="white", linewidth=0.5,
                       label=f"{b}-bound layers", gid=f"layers:{b}", zorder=3)
        notes = []
        for i, ((xi, yi), names) in enumerate(_slowest_spots(pts, annotate), start=1):
            ax.annotate(str(i), (xi, yi * g), xytext=(5, 4), textcoords="offset points",
                        fontsize=7, fontweight="bold", color="#333333")
            more = f" (+{len(names) - 1} alike)" if len(names) > 1 else ""
            notes.append(f"{i}  {names[0]}{more}")
        if notes:
            ax.text(0.02, 0.98, "slowest layers\n" + "\n".join(notes), transform=ax.transAxes,
                    va="top", ha="left", fontsize=7, color="#333333", linespacing=1.4)
        ax.set_xlim(lo, hi)
        ymin = min(float(pts["perf"].min()) * g, bw * lo * g)
        ax.set_ylim(ymin / 2, peak * g * 3)

        ax.set_xlabel("operational intensity (ops per DRAM byte)")
        ax.set_ylabel("achieved performance (GOP/s)")
        ax.grid(True, which="major")
        handles, labels = ax.get_legend_handles_labels()
        handles = [h if not labels[i].endswith("layers") else
                   Line2D([], [], marker="o", linestyle="", color=colours[bounds[i - 3]],
                          markersize=6) for i, h in enumerate(handles)]
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.set_title(title or title_for("roofline", str(res.meta.get("workload") or ""),
                                        [str(name)], _support(arch, res), run_pattern(res)))
        return finish(fig)


def _support(arch: Any, res: Result) -> str:
    """Sparsity support of the roofline's accelerator (the one drawn), else the run's."""
    from hwsim.arch.spec import ArchSpec
    from hwsim.report import hardware_support

    if isinstance(arch, ArchSpec):
        return support_text(hardware_support(arch))
    return run_support(res)


def ridge_intensity(arch: Any) -> float:
    """Ridge point of ``arch``'s roofline, ops/B: peak ops/s over DRAM bytes/s."""
    peak, bw = roofs(arch)
    return peak / bw


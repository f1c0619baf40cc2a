"""One look for every hwsim figure: colour-blind-safe palettes, rcParams, units, saving.

Figures are explicit ``matplotlib.figure.Figure`` objects built inside ``style()`` (an
``rc_context``), so nothing leaks into pyplot's global state or the caller's rcParams.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hwsim.errors import HwsimError

#: Okabe & Ito (2008) colour-blind-safe palette, yellow last (weak on white).
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
             "#F0E442"]
#: One marker per series, so lines stay distinct in greyscale too.
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
#: Reference elements (dense baseline, dominated points).
GREY = "#7F7F7F"

#: Fixed colours of the non-buffer energy components (buffers get BUFFER_COLOURS in turn).
COMPONENT_COLOURS = {
    "dram": "#D55E00",
    "metadata": "#CC79A7",
    "register_file": "#F0E442",
    "mac": "#009E73",
    "alu": "#E69F00",
    "interconnect": "#444444",
    "static": "#BBBBBB",
}
#: Buffer levels: blue shades (Okabe-Ito blue, sky blue; Tol indigo, cyan), hatched past four.
BUFFER_COLOURS = ["#0072B2", "#56B4E9", "#332288", "#88CCEE"]
BUFFER_HATCHES = ["", "//", ".."]
#: Stacking order of energy components, bottom to top; buffers go where "<buffers>" is.
COMPONENT_ORDER = ["dram", "metadata", "<buffers>", "register_file", "mac", "alu",
                   "interconnect", "static"]

RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.titlesize": 11,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.alpha": 0.35,
    "grid.linewidth": 0.5,
    "axes.prop_cycle": cycler(color=OKABE_ITO),
    "lines.linewidth": 1.6,
    "lines.markersize": 5,
    "hatch.linewidth": 0.6,
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
}


@contextmanager
def style() -> Iterator[None]:
    """The hwsim rcParams for the duration of the block (restored afterwards)."""
    # matplotlib types rc_context's keys as a Literal of every rcParam name; RC's are checked
    # by matplotlib at run time.
    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        yield


def figure_of(ax: Axes) -> Figure:
    """The Figure ``ax`` is drawn in (the root one when ``ax`` sits in a SubFigure)."""
    fig = ax.figure
    return fig if isinstance(fig, Figure) else fig.figure


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """``ax`` and its figure, or a fresh constrained-layout Figure of ``figsize`` inches."""
    if ax is not None:
        return figure_of(ax), ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def finish(fig: Figure) -> Figure:
    """Resolve lazily created artists (ticks, layout) while the style is active."""
    fig.draw_without_rendering()
    return fig


def same_as(series: Sequence[Any], rtol: float = 1e-6) -> list[int | None]:
    """For each series of points (an (n, 2) array-like of x, y), the index of the first
    earlier series with exactly the same points (in any order, within ``rtol``), else None:
    the series a later one would hide when drawn on top of it."""
    keys = []
    for pts in series:
        a = np.asarray(pts, dtype=float).reshape(-1, 2)
        keys.append(a[np.lexsort((a[:, 1], a[:, 0]))] if len(a) else a)
    out: list[int | None] = []
    for i, a in enumerate(keys):
        match = None
        for j in range(i):
            b = keys[j]
            if len(a) and a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=0.0):
                match = out[j] if out[j] is not None else j
                break
        out.append(match)
    return out


def overlap_depths(same: Sequence[int | None]) -> list[int]:
    """How many earlier series each one lies on (0: none): marker sizes grow with it, so that
    coinciding series show as concentric markers."""
    depth: list[int] = []
    for i, j in enumerate(same):
        depth.append(0 if j is None else sum(1 for k in range(i) if same[k] == j or k == j))
    return depth


FORMATS = ("png", "svg", "pdf")


def save(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as PNG, SVG or PDF (from the suffix); parent folders are created."""
    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise HwsimError(f"{p}: output must end in .png, .svg or .pdf")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        with style():
            fig.savefig(p, format=fmt, bbox_inches="tight")
    except OSError as exc:
        raise HwsimError(f"{p}: cannot write figure: {exc}") from None
    return p


_PREFIXES = [(1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p")]
_BIG = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, "")]


def si_scale(values: Iterable[float], unit: str) -> tuple[float, str]:
    """(factor, unit label) so that ``value * factor`` reads well: seconds -> ms, J -> mJ,
    bytes -> MB. The largest finite absolute value picks the prefix. Units that take no
    prefix (mm², ratios such as GOP/s/W) come back as they are, factor 1."""
    if unit not in _SI_UNITS:  # mm², GOP/s/W, ...: a prefix would make a new unit (mmm²)
        return 1.0, unit
    vals = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    top = max(vals, default=0.0)
    table = _BIG if unit in ("B", "ops", "ops/s", "B/s") else _PREFIXES
    for f, prefix in table:
        if top >= f:
            return 1.0 / f, prefix + unit
    f, prefix = table[-1]
    return 1.0 / f, prefix + unit


#: Units si_scale gives a prefix to (ms, mJ, MB, mW); any other unit is drawn as it is.
_SI_UNITS = ("s", "J", "W", "B", "ops", "ops/s", "B/s")
#: Unit of a result column from its name (checked first), else from its suffix.
_COLUMN_UNITS = {"gops_per_mm2": "GOP/s/mm²", "gops_per_w": "GOP/s/W", "edp_js": "J·s"}
_SUFFIX_UNITS = {"_s": "s", "_j": "J", "_bytes": "B", "_mm2": "mm²", "_w": "W"}
_NAMES = {"latency_s": "latency", "energy_j": "energy", "dram_bytes": "DRAM traffic",
          "metadata_bytes": "metadata traffic", "macs": "MACs", "effective_macs": "effective MACs",
          "utilization": "PE utilization", "cycles": "cycles", "edp_js": "energy-delay product",
          "area_mm2": "area", "leakage_w": "leakage power", "static_w": "static power",
          "gops_per_mm2": "throughput per area", "gops_per_w": "throughput per watt",
          "energy_per_inference_j": "energy per inference", "fpga_dsp": "DSP blocks",
          "fpga_ram_blocks": "RAM blocks", "peak_fraction": "fraction of peak"}


def column_unit(col: str) -> str:
    """Physical unit of a result column (``latency_s`` -> s, ``area_mm2`` -> mm²), '' when
    unitless."""
    if col in _COLUMN_UNITS:
        return _COLUMN_UNITS[col]
    for suffix, unit in _SUFFIX_UNITS.items():
        if col.endswith(suffix):
            return unit
    return ""


def column_label(col: str, unit: str = "") -> str:
    """Axis label for a result column: 'latency (ms)', 'compute.rows'."""
    name = _NAMES.get(col)
    if name is None:
        name = col.removeprefix("param.")
        if col.startswith("energy_") and col.endswith("_j"):
            name = col[len("energy_"):-2].replace("_", " ") + " energy"
    return f"{name} ({unit})" if unit else name


def component_styles(components: list[str]) -> dict[str, dict[str, Any]]:
    """Face colour and hatch of each energy component (fixed for the named ones; buffers in
    turn through blue shades, then hatched)."""
    out: dict[str, dict[str, Any]] = {}
    i = 0
    for c in components:
        if c in COMPONENT_COLOURS:
            out[c] = {"color": COMPONENT_COLOURS[c], "hatch": ""}
        else:
            out[c] = {"color": BUFFER_COLOURS[i % len(BUFFER_COLOURS)],
                      "hatch": BUFFER_HATCHES[(i // len(BUFFER_COLOURS)) % len(BUFFER_HATCHES)]}
            i += 1
    return out


def order_components(components: Iterable[str]) -> list[str]:
    """Components in stacking order: DRAM, metadata, buffers (as given), RF, MAC, ALU, wires,
    static."""
    comps = list(dict.fromkeys(components))
    known = [c for c in COMPONENT_ORDER if c != "<buffers>"]
    buffers = [c for c in comps if c not in known]
    out: list[str] = []
    for c in COMPONENT_ORDER:
        if c == "<buffers>":
            out.extend(buffers)
        elif c in comps:
            out.append(c)
    return out


def pretty_component(c: str) -> str:
    """Legend name of an energy component."""
    return {"dram": "DRAM", "mac": "MAC", "alu": "ALU", "register_file": "register file"}.get(
        c, c.replace("_", " "))

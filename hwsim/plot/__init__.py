"""Publication figures of hwsim results (matplotlib, no pyplot state).

Each ``plot_*`` takes the Python objects (Report, CompareRow lists, DataFrames) or a result
file path, an optional Axes to draw into, and returns the Figure; ``save(fig, path)`` writes
PNG, SVG or PDF. The names load on first use, so that ``hwsim --help`` and the CLI's plugin
registration do not import matplotlib and pandas.
"""

from __future__ import annotations

from hwsim.lazy import lazy_attributes

#: Public name -> module that defines it.
_WHERE = {
    "Result": "data", "load_result": "data", "pareto_front": "data", "to_result": "data",
    "plot_energy_breakdown": "energy", "plot_pareto": "pareto", "plot_roofline": "roofline",
    "ridge_intensity": "roofline", "roofline_points": "roofline", "roofs": "roofline",
    "plot_sparsity": "sparsity", "save": "style", "style": "style",
    "plot_utilization": "utilization",
}
__all__ = sorted(_WHERE)

__getattr__ = lazy_attributes(__name__, _WHERE)

"""Publication figures of hwsim results (matplotlib, no pyplot state).

Each ``plot_*`` takes the Python objects (Report, CompareRow lists, DataFrames) or a result
file path, an optional Axes to draw into, and returns the Figure; ``save(fig, path)`` writes
PNG, SVG or PDF.
"""

from hwsim.plot.data import Result, load_result, pareto_front, to_result
from hwsim.plot.energy import plot_energy_breakdown
from hwsim.plot.pareto import plot_pareto
from hwsim.plot.roofline import plot_roofline, ridge_intensity, roofline_points, roofs
from hwsim.plot.sparsity import plot_sparsity
from hwsim.plot.style import save, style
from hwsim.plot.utilization import plot_utilization

__all__ = ["Result", "load_result", "pareto_front", "plot_energy_breakdown", "plot_pareto",
           "plot_roofline", "plot_sparsity", "plot_utilization", "ridge_intensity",
           "roofline_points", "roofs", "save", "style", "to_result"]

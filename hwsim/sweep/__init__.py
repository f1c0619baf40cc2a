"""Design-space sweeps: a YAML spec of swept accelerator fields, evaluated in chunks on local
processes or a Dask cluster into a resumable Parquet table, and Pareto fronts of the results.

    from hwsim.sweep import load_sweep, run_sweep, load_results, pareto_front
"""

from hwsim.sweep.pareto import filter_rows, front_mask, load_results, pareto_front
from hwsim.sweep.run import SweepSummary, run_sweep
from hwsim.sweep.spec import Sweep, load_sweep

__all__ = ["Sweep", "SweepSummary", "filter_rows", "front_mask", "load_results", "load_sweep",
           "pareto_front", "run_sweep"]

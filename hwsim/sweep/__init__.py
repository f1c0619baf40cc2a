"""Design-space sweeps: a YAML spec of swept accelerator fields, evaluated in chunks on local
processes or a Dask cluster into a resumable Parquet table, and Pareto fronts of the results.

    from hwsim.sweep import load_sweep, run_sweep, load_results, pareto_front

The names load on first use, so that the CLI's plugin registration stays light.
"""

from __future__ import annotations

from hwsim.lazy import lazy_attributes

#: Public name -> module that defines it.
_WHERE = {
    "filter_rows": "pareto", "front_mask": "pareto", "load_results": "pareto",
    "pareto_front": "pareto", "SweepSummary": "run", "run_sweep": "run", "Sweep": "spec",
    "load_sweep": "spec", "BaseArch": "spec",
}
__all__ = sorted(_WHERE)

__getattr__ = lazy_attributes(__name__, _WHERE)

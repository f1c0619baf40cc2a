"""Off-chip DRAM: burst granularity, transfer time and energy.

A transfer of a contiguous run of L bytes moves ceil(L / burst) bursts: a scattered 2-byte value
costs a whole burst unless neighbours share it.
"""

from __future__ import annotations

import numpy as np

from hwsim.arch.spec import DramSpec


def burst_efficiency(run_bytes: np.ndarray | float, burst_bytes: int) -> np.ndarray | float:
    """Useful fraction of the bytes moved when data comes in contiguous runs of ``run_bytes``
    (aligned to bursts): run / (ceil(run / burst) * burst). 1.0 for runs of whole bursts."""
    run = np.maximum(np.asarray(run_bytes, dtype=float), 1e-9)
    return run / (np.ceil(run / burst_bytes) * burst_bytes)


def transfer_time_s(nbytes: np.ndarray | float, dram: DramSpec) -> np.ndarray | float:
    """Seconds to move ``nbytes`` at the sustained bandwidth."""
    return np.asarray(nbytes, dtype=float) / (dram.bandwidth_gbps * 1e9)


def access_energy_j(nbytes: float, dram: DramSpec) -> float:
    """Dynamic energy of moving ``nbytes`` (read or write), joules."""
    return float(nbytes) * 8.0 * dram.energy_pj_per_bit * 1e-12

"""Off-chip DRAM: burst granularity, transfer time and energy.

A transfer of a contiguous run of L bytes moves ceil(L / burst) bursts: a scattered 2-byte value
costs a whole burst unless neighbours share it. Time and energy are linear in the bytes moved at
the arch's resolved bandwidth (bytes/s; writes at their own where the arch says they drain
slower) and energy (pJ per byte, I/O included); every layer's DRAM cost goes through
``transfer_time_s`` and ``access_energy_j``.
"""

from __future__ import annotations

import numpy as np

from hwsim.arch.hardware import Hardware
from hwsim.model.num import Num


def burst_efficiency(run_bytes: np.ndarray | float, burst_bytes: int) -> np.ndarray | float:
    """Useful fraction of the bytes moved when data comes in contiguous runs of ``run_bytes``
    (aligned to bursts): run / (ceil(run / burst) * burst). 1.0 for runs of whole bursts; a
    float for one run, an array for an array of them."""
    run = np.maximum(np.asarray(run_bytes, dtype=float), 1e-9)
    eff = run / (np.ceil(run / burst_bytes) * burst_bytes)
    return eff if np.ndim(eff) else float(eff)


def transfer_time_s(nbytes: Num, hw: Hardware, write_bytes: Num = 0.0) -> Num:
    """Seconds to move ``nbytes`` at the sustained bandwidth, of which ``write_bytes`` are
    writes: where the arch says writes drain slower (read/write turnaround), they take their
    own bandwidth and the rest the read bandwidth."""
    if hw.dram_write_bytes_per_s is None:
        return nbytes / hw.dram_bytes_per_s
    return (nbytes - write_bytes) / hw.dram_bytes_per_s + write_bytes / hw.dram_write_bytes_per_s


def access_energy_j(nbytes: Num, hw: Hardware) -> Num:
    """Dynamic energy of moving ``nbytes`` (read or write), joules."""
    return nbytes * hw.dram_pj_per_byte * 1e-12

"""What a compute array does with a loop nest, independent of DRAM tiling."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hwsim.model.num import Num


@dataclass(frozen=True)
class ArrayCost:
    """Cycles and on-chip activity of the PE array for one layer (whole batch).

    ``buffer_reads`` / ``buffer_writes`` count elements moved between each operand's global
    buffer and the array (outputs as partial sums); ``rf_accesses`` counts per-PE register-file
    element accesses; ``hop_bits`` counts bit-hops on the array interconnect. ``granule`` is the
    tile granularity per dimension that keeps DRAM tiles aligned with the unrolling. The
    activity counts are floats for one mapping, or arrays over candidate mappings that a search
    (the row-stationary target's) costs at once.
    """

    cycles: Num
    macs: float
    num_pes: int
    buffer_reads: Mapping[str, Num]
    buffer_writes: Mapping[str, Num]
    rf_accesses: Num
    hop_bits: Num
    granule: dict[str, int]
    lanes: int = 1  # weight-matrix rows (output channels) processed in lockstep
    skip_tile: tuple[int, int] = (1, 1)  # weight-matrix tile (rows, cols) handled at once

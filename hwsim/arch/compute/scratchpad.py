"""Schema of the ``scratchpad`` compute section: a vector processor with gather/scatter."""

from __future__ import annotations

from pydantic import Field

from hwsim.arch.area import MUX_UM2_PER_BIT, REG_UM2_PER_BIT, mac_um2_45nm
from hwsim.arch.compute.base import ComputeSpec
from hwsim.precision import Precision


class ScratchpadCompute(ComputeSpec):
    """A vector processor: cores of SIMD MAC lanes, a banked scratchpad, a gather/scatter
    engine for indirect loads, DMA to DRAM."""

    cores: int = Field(1, gt=0)
    lanes: int = Field(gt=0, description="MAC lanes per core (vector width in elements)")
    banks: int = Field(gt=0, description="scratchpad banks; one element per bank per cycle")
    gather_ports: int = Field(1, gt=0, description="gathers issued per core per cycle")
    index_bits: int = Field(16, gt=0, description="stored column index width")
    row_overhead_cycles: float = Field(4.0, ge=0, description="per sparse row: loop, reduce")

    def peak_macs_per_cycle(self, clock_hz: float, precision: Precision) -> int:
        return self.cores * self.lanes

    def default_vector_lanes(self, clock_hz: float) -> int:
        return self.cores * self.lanes

    def datapath_um2_45nm(self, precision: Precision, elem_bits: float, psum_bits: float
                          ) -> dict[str, float]:
        """cores x lanes MAC lanes with an operand and an accumulator register each, and per
        core a banks x lanes crossbar of element-wide cross-points (the gather engine)."""
        lane = mac_um2_45nm(precision) + (elem_bits + psum_bits) * REG_UM2_PER_BIT
        xbar = self.banks * self.lanes * elem_bits * MUX_UM2_PER_BIT
        return {"vector_lanes": self.cores * self.lanes * lane,
                "gather_crossbar": self.cores * xbar}

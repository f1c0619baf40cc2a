"""Schema of the ``systolic`` compute section: an R x C array with a fixed dataflow."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hwsim.arch.area import REG_UM2_PER_BIT, mac_um2_45nm
from hwsim.arch.compute.base import ComputeSpec
from hwsim.precision import Precision


class SystolicCompute(ComputeSpec):
    """R x C systolic array with a fixed dataflow (weight/output/input stationary)."""

    rows: int = Field(gt=0)
    cols: int = Field(gt=0)
    dataflow: Literal["ws", "os", "is"]

    def peak_macs_per_cycle(self, clock_hz: float, precision: Precision) -> int:
        return self.rows * self.cols

    def default_vector_lanes(self, clock_hz: float) -> int:
        return self.cols  # one row of the array

    def datapath_um2_45nm(self, precision: Precision, elem_bits: float, psum_bits: float
                          ) -> dict[str, float]:
        """rows x cols PEs, each a MAC with its stationary operand, the passing operand and
        the partial sum in registers."""
        pe = mac_um2_45nm(precision) + (2 * elem_bits + psum_bits) * REG_UM2_PER_BIT
        return {"pe_array": self.rows * self.cols * pe}

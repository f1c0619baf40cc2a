"""Schema of the ``systolic`` compute section: an R x C array with a fixed dataflow."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

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

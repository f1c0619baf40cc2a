"""Schema of the ``fpga`` compute section: a loop-unrolled array of DSP MACs."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from hwsim.arch.compute.base import ComputeSpec
from hwsim.arch.fpga_devices import DEVICES
from hwsim.precision import Precision

Dim = Literal["G", "N", "K", "C", "P", "Q", "R", "S"]


class FpgaCompute(ComputeSpec):
    """Loop-unrolled PE array (e.g. Zhang FPGA'15: Tm x Tn multipliers feeding adder trees)."""

    unroll: dict[Dim, PositiveInt] = Field(min_length=1, description="dimension -> parallel factor")
    device: str | None = Field(
        None, description="FPGA device the design is placed on (hwsim.arch.fpga_devices): its "
        "DSP and RAM blocks are counted, and a design that does not fit is refused")

    @model_validator(mode="after")
    def _valid_unroll(self) -> FpgaCompute:
        if self.device is not None and self.device not in DEVICES:
            raise ValueError(f"unknown device '{self.device}', expected one of "
                             f"{', '.join(DEVICES)}")
        for d, u in self.unroll.items():
            if u <= 0:
                raise ValueError(f"unroll factor of {d} must be positive, got {u}")
        return self

    def peak_macs_per_cycle(self, clock_hz: float, precision: Precision) -> int:
        return math.prod(self.unroll.values())

    def default_vector_lanes(self, clock_hz: float) -> int:
        return max(self.unroll.values())

"""Schema of the ``fpga`` compute section: a loop-unrolled array of DSP MACs."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from hwsim.arch.compute.base import ComputeSpec
from hwsim.arch.fpga_devices import DEVICES
from hwsim.precision import Precision

Dim = Literal["G", "N", "K", "C", "P", "Q", "R", "S"]
#: Dimensions summed inside the array (by its adder trees) when unrolled.
_REDUCED: tuple[Dim, ...] = ("C", "R", "S")


class FpgaCompute(ComputeSpec):
    """Loop-unrolled PE array (e.g. Zhang FPGA'15: Tm x Tn multipliers feeding adder trees)."""

    unroll: dict[Dim, PositiveInt] = Field(min_length=1, description="dimension -> parallel factor")
    device: str | None = Field(
        None, description="FPGA device the design is placed on (hwsim.arch.fpga_devices): its "
        "DSP and RAM blocks are counted, and a design that does not fit is refused")
    mul_latency_cycles: NonNegativeInt = Field(
        0, description="pipeline stages of one multiplier (e.g. an fp32 Floating-Point "
        "Operator core), cycles; with add_latency_cycles it sets the pipeline fill each pass "
        "over a tile pays (0 and 0: no fill modelled)")
    add_latency_cycles: NonNegativeInt = Field(
        0, description="pipeline stages of one adder, cycles: each level of the adder tree "
        "over the unrolled reduction, and the accumulation into the output buffer, takes this")

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

    def pipeline_depth_cycles(self) -> int:
        """Cycles from a pass's first operands entering the array to its first result leaving:
        the multiply, ceil(log2(w)) adder-tree levels over the w products summed together
        (the unrolled reduction, Tn in Zhang FPGA'15), and the add into the output buffer.
        0 when no latency is declared. The BRAM read and write stages (a cycle or two) are
        left out."""
        if self.mul_latency_cycles == 0 and self.add_latency_cycles == 0:
            return 0
        width = math.prod(self.unroll.get(d, 1) for d in _REDUCED)
        levels = math.ceil(math.log2(width)) if width > 1 else 0
        return self.mul_latency_cycles + (levels + 1) * self.add_latency_cycles

    def pipeline_fill_cycles(self) -> float:
        """A loop pipelined at one iteration per cycle with n iterations and depth D ends after
        n + D - 1 cycles (Vivado HLS's loop latency): D - 1 cycles of fill per pass. Zhang
        FPGA'15 counts a tile as Tr x Tc x K x K + P cycles with P = depth - 1 (as recalled:
        the paper's text was not at hand to re-read)."""
        return float(max(self.pipeline_depth_cycles() - 1, 0))

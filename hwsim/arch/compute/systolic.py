"""Schema of the ``systolic`` compute section: an R x C array with a fixed dataflow."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hwsim.arch.area import MUX_UM2_PER_BIT, REG_UM2_PER_BIT, mac_um2_45nm
from hwsim.arch.compute.base import ComputeSpec
from hwsim.precision import Precision, bytes_per_element


class SystolicCompute(ComputeSpec):
    """R x C array with a fixed dataflow: weight, output or input stationary (a systolic
    array), or row stationary (Eyeriss: PE sets of 1-D convolutions, hwsim.model.targets.
    row_stationary)."""

    rows: int = Field(gt=0)
    cols: int = Field(gt=0)
    dataflow: Literal["ws", "os", "is", "rs"]
    psum_bits: int | None = Field(
        None, gt=0, description="row stationary only: width of a partial sum where the array "
        "keeps it (PE psum scratchpads, global buffer); omitted: the precision's accumulator")
    int8_macs_per_pe: Literal[1, 2] = Field(
        1, description="int8 MACs one PE completes per cycle: 2 where each PE is a 16-bit "
        "(int16/fp16) multiplier and adder that split into two int8 units (NVDLA v1's MAC "
        "cells), so rows x cols counts the 16-bit PEs and int8 runs at twice their rate; 1: "
        "every listed precision at one MAC per PE")

    def peak_macs_per_cycle(self, clock_hz: float, precision: Precision) -> int:
        packed = self.int8_macs_per_pe if precision == "int8" else 1
        return self.rows * self.cols * packed

    def physical_pes(self, clock_hz: float, precision: Precision) -> int:
        return self.rows * self.cols  # a packed PE is one PE at every precision

    def problems(self, precisions: list[Precision]) -> list[tuple[tuple[str, ...], str]]:
        if self.int8_macs_per_pe > 1 and self.dataflow == "rs":
            return [(("int8_macs_per_pe",), "row stationary maps one MAC per PE; packed int8 "
                     "PEs are modelled for ws, os and is arrays only")]
        if self.int8_macs_per_pe > 1 and not (
                "int8" in precisions and any(bytes_per_element(p) == 2 for p in precisions)):
            return [(("int8_macs_per_pe",), "a PE that splits into two int8 units is a 16-bit "
                     "one: list int8 and the 16-bit precision it is built for (int16, fp16 or "
                     f"bf16) in precisions, got {precisions}")]
        return []

    def default_vector_lanes(self, clock_hz: float) -> int:
        return self.cols  # one row of the array

    def datapath_um2_45nm(self, precision: Precision, elem_bits: float, psum_bits: float
                          ) -> dict[str, float]:
        """rows x cols PEs, each a MAC with its stationary operand, the passing operand and the
        partial sum in registers, plus a shadow copy of the stationary value (and its load
        multiplexer) so the next tile loads while this one computes; and the triangular delay
        lines at the array edges that skew operands in and de-skew results out.

        Sources: TPU v1 holds one 64 KiB weight tile plus one for double buffering in its
        matrix unit (Jouppi et al., ISCA 2017, Sec. 2) [recalled]; Gemmini delays row i of its
        inputs by i cycles and un-delays its outputs in triangular shift registers
        (ucb-bar/gemmini MeshWithDelays.scala, ``shifted``) [code]. Register and multiplexer
        bits: hwsim.arch.area.REG_UM2_PER_BIT, MUX_UM2_PER_BIT."""
        # Row stationary (rs) is costed as a weight-stationary PE for now: its multicast
        # buses and the absence of skew lines are not modelled in the area.
        stationary = psum_bits if self.dataflow == "os" else elem_bits
        pe = (mac_um2_45nm(precision) + (2 * elem_bits + psum_bits) * REG_UM2_PER_BIT
              + stationary * (REG_UM2_PER_BIT + MUX_UM2_PER_BIT))
        # Edge delay lines: row i of the left operand waits i cycles, and so does column j of
        # the top operand (os) or of the results leaving the bottom (ws, is).
        r, c = self.rows, self.cols
        top = elem_bits if self.dataflow == "os" else psum_bits
        skew = (r * (r - 1) / 2 * elem_bits + c * (c - 1) / 2 * top) * REG_UM2_PER_BIT
        return {"pe_array": r * c * pe, "skew_registers": skew}

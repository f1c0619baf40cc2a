"""What every target's ``compute`` section tells the rest of the model, without branching on kind.

Each target kind has one schema module here (its YAML ``compute`` section); the schema answers
the few questions that are asked of any accelerator: peak MACs per cycle, lanes for element-wise
work, the fixed cost of starting a layer, the port bandwidth of its global buffer, and whether
the section is consistent with the rest of the arch (checked once, at load).
"""

from __future__ import annotations

from abc import abstractmethod

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hwsim.precision import Precision
from hwsim.yamlio import refuse_bad_numbers


class Strict(BaseModel):
    """Base of every spec model: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Booleans, NaN, infinities and magnitudes of 2^63 or more are no valid number anywhere.
    _numbers = field_validator("*", mode="before")(classmethod(refuse_bad_numbers))


class ComputeSpec(Strict):
    """Interface of a target's compute section (one subclass per target kind)."""

    vector_lanes: int | None = Field(
        None, gt=0, description="lanes for pooling/element-wise work; omitted: the kind's default"
    )

    @abstractmethod
    def peak_macs_per_cycle(self, clock_hz: float, precision: Precision) -> int:
        """MACs the compute array completes per cycle at peak (used for utilization)."""

    def physical_pes(self, clock_hz: float, precision: Precision) -> int:
        """Processing elements the array is built of (what routers, PE graphs and per-PE
        buffers count): its peak MACs per cycle, unless a PE completes several."""
        return self.peak_macs_per_cycle(clock_hz, precision)

    @abstractmethod
    def default_vector_lanes(self, clock_hz: float) -> int:
        """Element-wise lanes when ``vector_lanes`` is not given."""

    def lanes_for_vectors(self, clock_hz: float) -> int:
        """Lanes for pooling/element-wise work: configured, else the kind's default."""
        return int(self.vector_lanes) if self.vector_lanes else self.default_vector_lanes(clock_hz)

    @property
    def launch_overhead_s(self) -> float:
        """Fixed cost of starting a layer, seconds (a GPU kernel launch; 0 for fixed arrays)."""
        return 0.0

    def pipeline_fill_cycles(self) -> float:
        """Cycles one pipelined pass of the array takes beyond one per iteration (the pipeline
        filling before its first result), paid once per pass over a tile (0: none modelled)."""
        return 0.0

    @property
    def overlaps_transfers(self) -> bool:
        """Whether memory transfers hide behind compute whatever the buffers' double buffering
        (a GPU switching warps); False: only double-buffered buffers overlap."""
        return False

    def memory_overlap_exponent(self) -> float | None:
        """p where compute and DRAM time combine as (compute^p + dram^p)^(1/p) when transfers
        overlap; None: the larger of the two (ideal overlap, the default)."""
        return None

    def global_port_bytes_per_s(self) -> float | None:
        """Port bandwidth of the global buffer imposed by the compute side (a GPU's L2), or None
        to use the buffer's own ``bandwidth_bytes_per_cycle``."""
        return None

    def problems(self, precisions: list[Precision]) -> list[tuple[tuple[str, ...], str]]:
        """(field path inside ``compute``, message) for every way this section cannot run the
        arch's ``precisions``; empty when it can. Called once when the arch is loaded."""
        return []

    def datapath_um2_45nm(self, precision: Precision, elem_bits: float, psum_bits: float
                          ) -> dict[str, float] | None:
        """Area of the compute datapath by component, µm² at 45 nm before placement, for MACs
        at ``precision``; None where the kind has no synthesized area (FPGA fabric, a GPU
        described by its datasheet die area)."""
        return None

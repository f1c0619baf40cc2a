"""Validated accelerator spec (the schema of ``arch_configs/*.yaml``).

Units are in the field names: ``_mhz``, ``_gbps`` (GB/s, 1e9 bytes/s), ``_kib`` (1024 bytes),
``_pj_per_bit``, ``_w``. The ``compute`` section depends on ``kind``; see COMPUTE_MODELS.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, NonNegativeFloat, PositiveInt, field_validator, model_validator

from hwsim.arch.compute import (
    COMPUTE_MODELS,
    ComputeSpec,
    FpgaCompute,
    ScratchpadCompute,
    SystolicCompute,
    TensorCoreCompute,
)
from hwsim.arch.compute import Strict as _Strict
from hwsim.precision import Precision
from hwsim.sparsity.formats import Format

if TYPE_CHECKING:
    from hwsim.arch.hardware import Hardware

Operand = Literal["weights", "inputs", "outputs"]
OPERANDS: tuple[str, ...] = ("weights", "inputs", "outputs")
Kind = Literal["fpga", "systolic", "scratchpad", "tensor_core"]

__all__ = ["OPERANDS", "ArchSpec", "BufferSpec", "ComputeSpec", "DramSpec", "FpgaCompute",
           "InterconnectSpec", "LinkSpec", "ScratchpadCompute", "SparsitySupport",
           "SystolicCompute", "TensorCoreCompute"]


class DramSpec(_Strict):
    """Off-chip memory: bandwidth, access granularity, energy and static power."""

    technology: str = Field("DDR3", description="free text, e.g. DDR4-2400 x64")
    bandwidth_gbps: float = Field(gt=0, description="peak (interface) bandwidth, GB/s (1e9 B/s)")
    achievable_fraction: float = Field(
        1.0, gt=0, le=1, description="share of the peak that streaming kernels sustain "
        "(measured copy bandwidth / peak); the model moves bytes at peak x this fraction")
    write_fraction: float | None = Field(
        None, gt=0, le=1, description="share of the peak at which writes drain, where read/"
        "write turnaround makes it differ from reads; with it, achievable_fraction is the "
        "share pure reads sustain (e.g. STREAM Dot) and this one follows from a copy's "
        "(STREAM Copy: half reads, half writes)")
    burst_bytes: int = Field(64, gt=0, description="smallest transfer, bytes (DDR4 BL8 x64: 64)")
    transfer_latency_cycles: float = Field(
        0.0, ge=0, description="accelerator clock cycles from a tile transfer's first request "
        "to its first data (AXI read latency through the interconnect and memory controller), "
        "paid once per tile moved to or from DRAM; the bursts after the first follow behind it. "
        "Counted on the DRAM tiling of the fpga and systolic (ws, os, is) targets; the "
        "row-stationary, GPU and scratchpad models ignore it. 0: none modelled")
    capacity_gib: float | None = Field(None, gt=0, description="memory size, GiB (what fits: "
                                       "weights and KV cache of a language model)")
    energy_pj_per_bit: float = Field(gt=0, description="access energy incl. I/O, pJ per bit")
    static_power_w: float = Field(0.0, ge=0, description="background/refresh power, W")
    source: str = ""


class BufferSpec(_Strict):
    """An on-chip memory level: a global buffer shared by operands, or per-PE registers."""

    name: str
    holds: list[Operand] = Field(min_length=1)
    capacity_kib: float = Field(gt=0, description="capacity; per PE when per_pe is true")
    banks: int = Field(1, gt=0, description="independent SRAM banks; access energy per bank size")
    double_buffered: bool = True
    per_pe: bool = False
    bandwidth_bytes_per_cycle: float | None = Field(
        None, gt=0, description="read+write port bandwidth; omitted means never the bottleneck"
    )
    read_energy_pj_per_bit: float | None = Field(None, ge=0)
    write_energy_pj_per_bit: float | None = Field(None, ge=0)
    source: str = ""


class InterconnectSpec(_Strict):
    """How operands travel from buffers to PEs and between PEs."""

    topology: Literal["systolic", "bus", "mesh", "tree", "crossbar", "graph"] = "bus"
    hop_mm: float = Field(0.1, gt=0, description="length of one hop (PE pitch), mm")
    energy_pj_per_bit_mm: float | None = Field(
        None, ge=0, description="wire energy; omitted means Keckler 2011 scaled to the node"
    )
    edges: list[tuple[int, int]] | None = Field(
        None, description="explicit PE graph for topology 'graph' (PE ids row-major)"
    )
    source: str = ""


class LinkSpec(_Strict):
    """The device-to-device link that tensor parallelism all-reduces over (NVLink, PCIe)."""

    technology: str = Field("", description="free text, e.g. NVLink 3 (12 links)")
    kind: Literal["nvlink", "pcie"] = Field(
        "nvlink", description="selects the collective latency model (hwsim.arch.links)")
    bandwidth_gbps: float = Field(gt=0, description="all-reduce bus bandwidth a ring reaches "
                                  "per device, GB/s (nccl-tests busbw at large messages)")
    energy_pj_per_bit: float = Field(gt=0, description="transfer energy, pJ per bit")
    source: str = ""


class EnergyOverrides(_Strict):
    """Per-operation energies that replace the Horowitz-derived defaults (pJ, at this node)."""

    mac_pj: dict[Precision, NonNegativeFloat] = Field(default_factory=dict)
    alu_op_pj: dict[Precision, NonNegativeFloat] = Field(default_factory=dict)
    source: str = ""


class OperandFormat(_Strict):
    """How an operand is stored in DRAM and buffers (compression: traffic down, metadata up)."""

    format: Format = "dense"
    block: tuple[PositiveInt, PositiveInt] = Field((4, 4), description="bcsr block (rows, cols)")
    run_bits: int = Field(4, gt=0, le=16, description="rle run-length field width")


class SparsitySupport(_Strict):
    """What the hardware does with zeros (compression, gating, skipping, imbalance).

    ``skip`` names the weight-sparsity granularity the array can exploit for time: ``none``;
    ``unstructured`` (each lane skips its own zeros, lockstep lanes wait for the busiest);
    ``nm`` (n:m groups along the reduction, at most m/n faster, only if every group conforms);
    ``block`` (empty tiles of ``block`` rows x cols skipped; default: the pattern's own blocks
    when it is block-structured, else the array's own tile).
    ``gating`` stops a MAC whose operand is zero from toggling: energy, not time.
    ``outputs`` is the format the layer's results are written to DRAM in (its zeros are the
    pattern's ``out_act``); partial sums that spill go out and back uncompressed.
    """

    weights: OperandFormat = OperandFormat()
    inputs: OperandFormat = OperandFormat()
    outputs: OperandFormat = OperandFormat()
    gating: bool = False
    skip: Literal["none", "unstructured", "nm", "block"] = "none"
    nm: tuple[PositiveInt, PositiveInt] = (2, 4)
    block: tuple[PositiveInt, PositiveInt] | None = None
    skip_inputs: bool = Field(False, description="zero activations skipped (Cnvlutin-style)")
    source: str = ""

    @field_validator("outputs")
    @classmethod
    def _outputs_not_nm(cls, fmt: OperandFormat) -> OperandFormat:
        if fmt.format == "nm":
            raise ValueError("nm is a weight format: the zeros a layer writes follow no n:m "
                             "pattern (use rle, bitmap, csr, csc, coo or bcsr)")
        return fmt

    @field_validator("nm")
    @classmethod
    def _n_le_m(cls, nm: tuple[int, int]) -> tuple[int, int]:
        if nm[0] > nm[1]:
            raise ValueError(f"n={nm[0]} must not exceed m={nm[1]} (n nonzeros of every m)")
        return nm


class ArchSpec(_Strict):
    """A whole accelerator: target kind, clock, compute array, memories, wires, power."""

    name: str
    kind: Kind
    description: str = ""
    technology_nm: float = Field(gt=0)
    clock_mhz: float = Field(gt=0)
    precisions: list[Precision] = Field(min_length=1, description="first one is the default")
    compute: Any  # validated by COMPUTE_MODELS[kind] below (a ComputeSpec afterwards)
    dram: DramSpec
    buffers: list[BufferSpec] = Field(min_length=1)
    interconnect: InterconnectSpec = InterconnectSpec()
    static_power_w: float | None = Field(
        None, ge=0, description="chip static power, W; omitted: the leakage of its components "
        "(hwsim.arch.silicon) where the kind has a component model, else 0")
    sparsity: SparsitySupport = SparsitySupport()
    energy: EnergyOverrides = EnergyOverrides()
    attention: Literal["unfused", "fused"] = Field(
        "unfused", description="attention kernels this platform runs: unfused (score matrix "
        "through DRAM) or fused (FlashAttention-like: scores stay on chip)")
    activations: Literal["dram", "on_chip"] = Field(
        "dram", description="where a layer's output waits for the layers reading it: dram "
        "(written back and read again, layer by layer) or on_chip (kept in the buffer that "
        "holds inputs while the tensors kept fit it, as TPU v1's unified buffer does)")
    link: LinkSpec | None = Field(None, description="device-to-device link (tensor parallelism)")
    other_logic_flip_flops: int = Field(
        0, ge=0, description="flip-flops of the units this schema does not describe "
        "(post-processing pipelines, DMA engines and bus interfaces, sequencers), as counted in "
        "the design's RTL; costed in the area as register bits, their combinational logic left "
        "out (hwsim.arch.silicon)")
    sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _typed_compute(self) -> ArchSpec:
        model = COMPUTE_MODELS.get(self.kind)
        if model is None:
            raise ValueError(f"target kind '{self.kind}' is not implemented yet")
        if not isinstance(self.compute, model):
            object.__setattr__(self, "compute", model.model_validate(self.compute))
        if self.activations == "on_chip" and self.kind == "tensor_core":
            raise ValueError("activations: on_chip is for accelerators with an activation "
                             "buffer; a GPU's kernels write their outputs to memory (L2 "
                             "residency is not modelled)")
        return self

    @field_validator("buffers")
    @classmethod
    def _operands_placed(cls, buffers: list[BufferSpec]) -> list[BufferSpec]:
        # a field validator, so that a problem is located at 'buffers'
        names = [b.name for b in buffers]
        if len(set(names)) != len(names):
            raise ValueError(f"buffer names must be unique, got {names}")
        for op in OPERANDS:
            holders = [b.name for b in buffers if op in b.holds and not b.per_pe]
            if len(holders) != 1:
                raise ValueError(
                    f"exactly one global (not per_pe) buffer must hold {op}; found {holders}"
                )
        return buffers

    def model_copy(self, *, update: Mapping[str, Any] | None = None,
                   deep: bool = False) -> ArchSpec:
        """A copy (with ``update`` applied, as pydantic's), resolved anew: the cached ``hw``
        of this spec must not follow a changed copy."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("hw", None)
        return copy

    # --- derived quantities ------------------------------------------------------------------
    @cached_property
    def hw(self) -> Hardware:
        """The arch resolved into the numbers the model reads (computed once per spec)."""
        from hwsim.arch.hardware import resolve

        return resolve(self)

    @property
    def clock_hz(self) -> float:
        return self.clock_mhz * 1e6

    @property
    def default_precision(self) -> Precision:
        return self.precisions[0]

    @property
    def num_pes(self) -> int:
        """MACs the compute array completes per cycle at peak (a GPU: dense tensor-core MACs
        per clock at the default precision)."""
        return self.compute.peak_macs_per_cycle(self.clock_hz, self.default_precision)

    @property
    def pe_count(self) -> int:
        """Processing elements of the compute array (equal to ``num_pes`` unless a PE completes
        several MACs per cycle, as a 16-bit PE split into two int8 units does)."""
        return self.compute.physical_pes(self.clock_hz, self.default_precision)

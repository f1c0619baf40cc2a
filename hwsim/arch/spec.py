"""Validated accelerator spec (the schema of ``arch_configs/*.yaml``).

Units are in the field names: ``_mhz``, ``_gbps`` (GB/s, 1e9 bytes/s), ``_kib`` (1024 bytes),
``_pj_per_bit``, ``_w``. The ``compute`` section depends on ``kind``; see COMPUTE_MODELS.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hwsim.arch.energy import (
    ALU_OP_PJ_45NM,
    MAC_PJ_45NM,
    sram_pj_per_bit_45nm,
    tech_scale,
    wire_pj_per_bit_mm,
)
from hwsim.precision import Precision

Operand = Literal["weights", "inputs", "outputs"]
OPERANDS: tuple[str, ...] = ("weights", "inputs", "outputs")
Dim = Literal["G", "N", "K", "C", "P", "Q", "R", "S"]
Kind = Literal["fpga", "systolic", "scratchpad", "tensor_core"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DramSpec(_Strict):
    """Off-chip memory: bandwidth, access granularity, energy and static power."""

    technology: str = Field("DDR3", description="free text, e.g. DDR4-2400 x64")
    bandwidth_gbps: float = Field(gt=0, description="sustained bandwidth, GB/s (1e9 B/s)")
    burst_bytes: int = Field(64, gt=0, description="smallest transfer, bytes (DDR4 BL8 x64: 64)")
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


class EnergyOverrides(_Strict):
    """Per-operation energies that replace the Horowitz-derived defaults (pJ, at this node)."""

    mac_pj: dict[Precision, float] = Field(default_factory=dict)
    alu_op_pj: dict[Precision, float] = Field(default_factory=dict)
    source: str = ""


class OperandFormat(_Strict):
    """How an operand is stored in DRAM and buffers (compression: traffic down, metadata up)."""

    format: Literal["dense", "bitmap", "csr", "csc", "rle", "coo", "nm", "bcsr"] = "dense"
    block: tuple[int, int] = Field((4, 4), description="bcsr block (rows, cols)")
    run_bits: int = Field(4, gt=0, le=16, description="rle run-length field width")


class SparsitySupport(_Strict):
    """What the hardware does with zeros (DESIGN.md: compression, gating, skipping, imbalance).

    ``skip`` names the weight-sparsity granularity the array can exploit for time: ``none``;
    ``unstructured`` (each lane skips its own zeros, lockstep lanes wait for the busiest);
    ``nm`` (n:m groups along the reduction, at most m/n faster, only if every group conforms);
    ``block`` (empty tiles of ``block`` rows x cols skipped; default: the array's own tile).
    ``gating`` stops a MAC whose operand is zero from toggling: energy, not time.
    """

    weights: OperandFormat = OperandFormat()
    inputs: OperandFormat = OperandFormat()
    gating: bool = False
    skip: Literal["none", "unstructured", "nm", "block"] = "none"
    nm: tuple[int, int] = (2, 4)
    block: tuple[int, int] | None = None
    skip_inputs: bool = Field(False, description="zero activations skipped (Cnvlutin-style)")
    source: str = ""


class FpgaCompute(_Strict):
    """Loop-unrolled PE array (e.g. Zhang FPGA'15: Tm x Tn multipliers feeding adder trees)."""

    unroll: dict[Dim, int] = Field(min_length=1, description="dimension -> parallel factor")
    vector_lanes: int | None = Field(None, gt=0, description="lanes for pooling/element-wise")

    @model_validator(mode="after")
    def _positive(self) -> FpgaCompute:
        for d, u in self.unroll.items():
            if u <= 0:
                raise ValueError(f"unroll factor of {d} must be positive, got {u}")
        return self

    @property
    def num_pes(self) -> int:
        n = 1
        for u in self.unroll.values():
            n *= u
        return n


class SystolicCompute(_Strict):
    """R x C systolic array with a fixed dataflow (weight/output/input stationary)."""

    rows: int = Field(gt=0)
    cols: int = Field(gt=0)
    dataflow: Literal["ws", "os", "is"]
    vector_lanes: int | None = Field(None, gt=0)

    @property
    def num_pes(self) -> int:
        return self.rows * self.cols


class TensorCoreCompute(_Strict):
    """A GPU: SMs with tensor cores (dense and 2:4-sparse MMA) and CUDA cores.

    Peaks are datasheet numbers at the boost clock; the efficiencies say what fraction of peak
    each kind of kernel sustains on a large problem (before wave quantisation and memory
    limits, which the model adds itself).
    """

    sms: int = Field(gt=0)
    tensor_tflops: dict[Precision, float] = Field(min_length=1, description="dense MMA peak")
    sparse_tflops: dict[Precision, float] = Field(
        default_factory=dict, description="2:4 sparse MMA peak; empty = no sparse tensor cores"
    )
    cuda_tflops: dict[Precision, float] = Field(min_length=1, description="CUDA-core FMA peak")
    smem_kib_per_sm: float = Field(gt=0)
    l2_bandwidth_gbps: float = Field(gt=0)
    launch_overhead_us: float = Field(4.0, ge=0)
    gemm_efficiency: float = Field(0.85, gt=0, le=1, description="dense tensor-core GEMM")
    sparse_efficiency: float = Field(0.7, gt=0, le=1, description="2:4 GEMM, of sparse peak")
    block_efficiency: float = Field(0.5, gt=0, le=1, description="block-sparse, of dense peak")
    csr_efficiency: float = Field(0.27, gt=0, le=1, description="CSR SpMM, of CUDA-core peak")
    tiles: list[tuple[int, int]] = Field(
        default_factory=lambda: [(256, 128), (128, 256), (128, 128), (128, 64), (64, 64)],
        description="thread-block tiles (M x N) the GEMM library can pick from",
    )
    k_tile: int = Field(32, gt=0)
    stages: int = Field(3, gt=0, description="software pipeline stages held in shared memory")
    max_blocks_per_sm: int = Field(32, gt=0)
    vector_lanes: int | None = Field(None, gt=0)

    @property
    def num_pes(self) -> int:
        """Not a PE count: the model reports utilization against the dense MMA peak instead."""
        return self.sms


class ScratchpadCompute(_Strict):
    """A vector processor: cores of SIMD MAC lanes, a banked scratchpad, a gather/scatter
    engine for indirect loads, DMA to DRAM."""

    cores: int = Field(1, gt=0)
    lanes: int = Field(gt=0, description="MAC lanes per core (vector width in elements)")
    banks: int = Field(gt=0, description="scratchpad banks; one element per bank per cycle")
    gather_ports: int = Field(1, gt=0, description="gathers issued per core per cycle")
    index_bits: int = Field(16, gt=0, description="stored column index width")
    row_overhead_cycles: float = Field(4.0, ge=0, description="per sparse row: loop, reduce")
    vector_lanes: int | None = Field(None, gt=0)

    @property
    def num_pes(self) -> int:
        return self.cores * self.lanes


COMPUTE_MODELS: dict[str, type[BaseModel]] = {
    "fpga": FpgaCompute,
    "systolic": SystolicCompute,
    "tensor_core": TensorCoreCompute,
    "scratchpad": ScratchpadCompute,
}


class ArchSpec(_Strict):
    """A whole accelerator: target kind, clock, compute array, memories, wires, power."""

    name: str
    kind: Kind
    description: str = ""
    technology_nm: float = Field(gt=0)
    clock_mhz: float = Field(gt=0)
    precisions: list[Precision] = Field(min_length=1, description="first one is the default")
    compute: Any
    dram: DramSpec
    buffers: list[BufferSpec] = Field(min_length=1)
    interconnect: InterconnectSpec = InterconnectSpec()
    static_power_w: float = Field(0.0, ge=0, description="chip leakage + clock tree, W")
    sparsity: SparsitySupport = SparsitySupport()
    energy: EnergyOverrides = EnergyOverrides()
    sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _typed_compute(self) -> ArchSpec:
        model = COMPUTE_MODELS.get(self.kind)
        if model is None:
            raise ValueError(f"target kind '{self.kind}' is not implemented yet")
        if not isinstance(self.compute, model):
            object.__setattr__(self, "compute", model.model_validate(self.compute))
        return self

    @model_validator(mode="after")
    def _operands_placed(self) -> ArchSpec:
        names = [b.name for b in self.buffers]
        if len(set(names)) != len(names):
            raise ValueError(f"buffer names must be unique, got {names}")
        for op in OPERANDS:
            holders = [b.name for b in self.buffers if op in b.holds and not b.per_pe]
            if len(holders) != 1:
                raise ValueError(
                    f"exactly one global (not per_pe) buffer must hold {op}; found {holders}"
                )
        return self

    # --- derived quantities (pure functions of the spec) ------------------------------------
    @property
    def clock_hz(self) -> float:
        return self.clock_mhz * 1e6

    @property
    def default_precision(self) -> str:
        return self.precisions[0]

    @property
    def num_pes(self) -> int:
        """MACs the compute array completes per cycle at peak (a GPU: dense tensor-core MACs
        per clock at the default precision)."""
        c = self.compute
        if isinstance(c, TensorCoreCompute):
            tf = c.tensor_tflops.get(self.default_precision, max(c.tensor_tflops.values()))
            return max(1, round(tf * 1e12 / 2 / self.clock_hz))
        return int(c.num_pes)

    @property
    def energy_scale(self) -> float:
        """Energy of this node relative to 45 nm."""
        return tech_scale(self.technology_nm)

    def mac_pj(self, precision: str) -> float:
        """Energy of one MAC at ``precision`` on this chip, pJ."""
        if precision in self.energy.mac_pj:
            return self.energy.mac_pj[precision]
        return MAC_PJ_45NM[precision] * self.energy_scale

    def alu_op_pj(self, precision: str) -> float:
        """Energy of one element-wise op (add, max) at ``precision``, pJ."""
        if precision in self.energy.alu_op_pj:
            return self.energy.alu_op_pj[precision]
        return ALU_OP_PJ_45NM[precision] * self.energy_scale

    def buffer_for(self, operand: str) -> BufferSpec:
        """The global buffer that holds ``operand`` between DRAM and the array."""
        for b in self.buffers:
            if operand in b.holds and not b.per_pe:
                return b
        raise KeyError(operand)

    def read_pj_per_bit(self, buf: BufferSpec) -> float:
        """Read energy of a buffer, pJ/bit (config value, else SRAM fit scaled to node)."""
        if buf.read_energy_pj_per_bit is not None:
            return buf.read_energy_pj_per_bit
        return sram_pj_per_bit_45nm(buf.capacity_kib * 1024 / buf.banks) * self.energy_scale

    def write_pj_per_bit(self, buf: BufferSpec) -> float:
        """Write energy of a buffer, pJ/bit (config value, else equal to its read energy)."""
        if buf.write_energy_pj_per_bit is not None:
            return buf.write_energy_pj_per_bit
        return self.read_pj_per_bit(buf)

    @property
    def wire_pj_per_bit_mm(self) -> float:
        if self.interconnect.energy_pj_per_bit_mm is not None:
            return self.interconnect.energy_pj_per_bit_mm
        return wire_pj_per_bit_mm(self.technology_nm)

    @property
    def vector_lanes(self) -> int:
        """Lanes for pooling/element-wise work: configured, else one row of the array."""
        c = self.compute
        lanes = getattr(c, "vector_lanes", None)
        if lanes:
            return int(lanes)
        if isinstance(c, SystolicCompute):
            return c.cols
        if isinstance(c, TensorCoreCompute):
            fp32 = c.cuda_tflops.get("fp32", max(c.cuda_tflops.values()))
            return max(1, round(fp32 * 1e12 / 2 / self.clock_hz))  # FMA lanes
        if isinstance(c, ScratchpadCompute):
            return c.cores * c.lanes
        return max(c.unroll.values())

    @property
    def launch_overhead_s(self) -> float:
        """Fixed cost of starting a layer (a GPU kernel launch); 0 for fixed-function arrays."""
        return getattr(self.compute, "launch_overhead_us", 0.0) * 1e-6

"""Schema of the ``tensor_core`` compute section: a GPU with tensor cores and CUDA cores."""

from __future__ import annotations

from pydantic import Field, PositiveFloat, PositiveInt

from hwsim.arch.compute.base import ComputeSpec
from hwsim.precision import Precision, bytes_per_element


class TensorCoreCompute(ComputeSpec):
    """A GPU: SMs with tensor cores (dense and 2:4-sparse MMA) and CUDA cores.

    Peaks are datasheet numbers at the boost clock; the efficiencies say what fraction of peak
    each kind of kernel sustains on a large problem (before wave quantisation and memory
    limits, which the model adds itself).
    """

    sms: int = Field(gt=0)
    tensor_tflops: dict[Precision, PositiveFloat] = Field(min_length=1,
                                                          description="dense MMA peak")
    sparse_tflops: dict[Precision, PositiveFloat] = Field(
        default_factory=dict, description="2:4 sparse MMA peak; empty = no sparse tensor cores"
    )
    cuda_tflops: dict[Precision, PositiveFloat] = Field(min_length=1,
                                                        description="CUDA-core FMA peak")
    smem_kib_per_sm: float = Field(gt=0)
    l2_bandwidth_gbps: float = Field(gt=0)
    launch_overhead_us: float = Field(4.0, ge=0)
    gemm_efficiency: float = Field(0.85, gt=0, le=1, description="dense tensor-core GEMM")
    gemm_efficiency_by_precision: dict[Precision, float] = Field(
        default_factory=dict, description="dense GEMM efficiency where a precision's measured "
        "one differs from gemm_efficiency (e.g. fp8)")
    sparse_efficiency: float = Field(0.7, gt=0, le=1, description="2:4 GEMM, of sparse peak")
    block_efficiency: float = Field(0.5, gt=0, le=1, description="block-sparse, of dense peak")
    csr_efficiency: float = Field(0.27, gt=0, le=1, description="CSR SpMM, of CUDA-core peak")
    tiles: list[tuple[PositiveInt, PositiveInt]] = Field(
        default_factory=lambda: [(256, 128), (128, 256), (128, 128), (128, 64), (64, 64)],
        min_length=1, description="thread-block tiles (M x N) the GEMM library can pick from",
    )
    overlap_exponent: float | None = Field(
        None, ge=1, le=64, description="how a kernel's math and DRAM time combine: "
        "(compute^p + dram^p)^(1/p); p = 1 adds them, none (the default) takes the larger, "
        "an ideal roofline. Fitted per kernel generation on a GEMM at the ridge point")
    k_tile: int = Field(32, gt=0)
    stages: int = Field(3, gt=0, description="software pipeline stages held in shared memory")
    max_blocks_per_sm: int = Field(32, gt=0)
    die_area_mm2: float | None = Field(None, gt=0, description="die area (datasheet), mm²")
    tdp_w: float | None = Field(None, gt=0, description="board power limit (datasheet), W")

    def peak_macs_per_cycle(self, clock_hz: float, precision: Precision) -> int:
        """Dense tensor-core MACs per clock at ``precision`` (else the fastest precision)."""
        tf = self.tensor_tflops.get(precision, max(self.tensor_tflops.values()))
        return max(1, round(tf * 1e12 / 2 / clock_hz))

    def default_vector_lanes(self, clock_hz: float) -> int:
        fp32 = self.cuda_tflops.get("fp32", max(self.cuda_tflops.values()))
        return max(1, round(fp32 * 1e12 / 2 / clock_hz))  # FMA lanes

    def dense_efficiency(self, precision: Precision) -> float:
        """Share of the dense tensor-core peak a large GEMM sustains at ``precision``."""
        return self.gemm_efficiency_by_precision.get(precision, self.gemm_efficiency)

    @property
    def launch_overhead_s(self) -> float:
        return self.launch_overhead_us * 1e-6

    @property
    def overlaps_transfers(self) -> bool:
        return True  # warps waiting on memory yield the SM to warps with math to do

    def memory_overlap_exponent(self) -> float | None:
        return self.overlap_exponent

    def global_port_bytes_per_s(self) -> float:
        return self.l2_bandwidth_gbps * 1e9

    def smem_bytes(self, tile: tuple[int, int], elem_bytes: float) -> float:
        """Shared memory one thread block of ``tile`` holds: its A and B panels per stage."""
        mt, nt = tile
        return (mt + nt) * self.k_tile * elem_bytes * self.stages

    def cuda_rate_tflops(self, precision: Precision) -> float | None:
        """CUDA-core peak at ``precision``, else at fp32 (the fallback every GPU has)."""
        return self.cuda_tflops.get(precision) or self.cuda_tflops.get("fp32")

    def problems(self, precisions: list[Precision]) -> list[tuple[tuple[str, ...], str]]:
        out: list[tuple[tuple[str, ...], str]] = []
        for p, eff in self.gemm_efficiency_by_precision.items():
            if not 0 < eff <= 1:
                out.append((("gemm_efficiency_by_precision", p), f"must be in (0, 1], got {eff}"))
        cap = self.smem_kib_per_sm * 1024
        for p in precisions:
            if p in self.tensor_tflops:
                need = min(self.smem_bytes(t, bytes_per_element(p)) for t in self.tiles)
                if need > cap:
                    out.append((("smem_kib_per_sm",),
                                f"no thread-block tile fits {self.smem_kib_per_sm:g} KiB of "
                                f"shared memory at {p}: the smallest needs {need / 1024:g} KiB "
                                f"({self.stages} stages of k_tile {self.k_tile})"))
            if self.cuda_rate_tflops(p) is None:
                out.append((("cuda_tflops",),
                            f"no CUDA-core peak for {p} and no fp32 peak to fall back on"))
        return out

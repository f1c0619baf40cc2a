"""GPU target: kernels on tensor cores and CUDA cores, each with its own rules.

A MAC layer is an implicit GEMM per group: M = N*P*Q output pixels (or tokens), N = K output
channels, K = C*R*S reduction, the weights being the (K x N) operand. Every applicable kernel
is costed and the fastest kept, as an inference library's heuristics would:

* ``dense``: thread-block tiles (Mt x Nt) over the output; blocks per SM limited by shared
  memory, resident blocks sharing their SM's tensor cores, so the math takes ceil(tiles / SMs)
  tiles at an SM's rate (tile and wave quantisation: the busiest SM sets the time);
  time = the accounting's combination of math, DRAM and L2 + launch overhead. Each tile
  reads its A row-panel and B column-panel from L2; from DRAM, each wave of resident blocks
  reads the panels of the block of tiles it covers (tiles are rastered so that concurrent
  tiles share panels in L2), and at least every operand once.
* ``sparse_2:4``: the same GEMM at the sparse tensor-core peak (at most 2x), if every group of 4
  weights holds at most 2 nonzeros; weights move at half size plus 2-bit indices.
* ``block``: a block-sparse kernel that skips empty weight blocks (rows >= 8, the MMA granule),
  at its own efficiency; ``shuffled_block`` adds the row permutation's index loads and
  scattered output rows (Shfl-BW, DAC 2022).
* ``csr``: unstructured SpMM on CUDA cores (Sputnik-like): work and traffic follow the nonzeros,
  at a fraction of the CUDA-core peak; it beats dense tensor cores only at very low density.
* ``cuda_direct``: a CUDA-core kernel for shapes tensor cores tile badly (depthwise convs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from hwsim.arch.compute import TensorCoreCompute
from hwsim.arch.hardware import Hardware
from hwsim.model.accounting import (
    Counts,
    energy_breakdown_j,
    kernel_launch_s,
    latency_s,
    score,
)
from hwsim.model.cost import LayerCost, layer_cost
from hwsim.model.loopnest import LoopNest
from hwsim.precision import Precision
from hwsim.sparsity.profile import SparsityProfile

INDEX_BYTES = 4  # int32 column/row indices of sparse kernels
MMA_ROWS = 8  # smallest MMA M (m8n8k4 on Volta, m16n8k16 on Ampere/Hopper use 16)


@dataclass(frozen=True)
class Kernel:
    """One candidate kernel's cost for a layer."""

    name: str
    compute_s: float
    dram_bytes: float
    l2_bytes: float
    macs_executed: float
    metadata_bytes: float
    tile: tuple[int, int] = (0, 0)
    write_bytes: float = 0.0  # of dram_bytes: the outputs written

    def counts(self, hw: Hardware, precision: str, launch_s: float) -> Counts:
        """The kernel's activity for the accounting: math time, L2 and DRAM bytes, MACs.
        Warps hide memory behind math (``hw.overlap``); the launch is paid whatever overlaps."""
        return Counts(
            precision=precision,
            compute_cycles=self.compute_s * hw.clock_hz,
            dram_bytes=self.dram_bytes,
            dram_meta_bytes=self.metadata_bytes,
            dram_write_bytes=self.write_bytes,
            buffer_read_bytes={hw.levels[0].name: self.l2_bytes},
            mac_ops=self.macs_executed,
            overlap=hw.overlap,
            fixed_s=launch_s,
        )


def _rate(table: Mapping[Precision, float], precision: Precision) -> float | None:
    v = table.get(precision)
    return v * 1e12 if v else None


def _gemm(comp: TensorCoreCompute, hw: Hardware, objective: str, M: int, N: int, K: int, G: int,
          flops_rate: float, precision: str, eb: float, a_bytes: float, b_bytes: float,
          c_bytes: float, work: float = 1.0, name: str = "dense", extra_bytes: float = 0.0,
          metadata: float = 0.0, executed: float | None = None, launch: float = 0.0) -> Kernel:
    """A tiled GEMM (per group: (M x K) activations @ (K x N) weights), best tile kept.

    ``work`` scales the math per tile (skipped blocks); a_bytes/b_bytes/c_bytes are the bytes
    of one group's activations, weights and outputs as stored; ``executed`` is the fraction of
    the MACs really multiplied (default ``work``; 0.5 for 2:4 tensor cores, whose doubled peak
    already carries the time saving).
    """
    per_sm = flops_rate / comp.sms
    best: tuple[float, Kernel] | None = None
    for mt, nt in comp.tiles:
        smem = comp.smem_bytes((mt, nt), eb)
        per_sm_blocks = min(comp.max_blocks_per_sm, int(comp.smem_kib_per_sm * 1024 // smem))
        if per_sm_blocks < 1:
            continue
        gm, gn = math.ceil(M / mt), math.ceil(N / nt)
        tiles = G * gm * gn
        slots = comp.sms * per_sm_blocks
        waves = math.ceil(tiles / slots)
        # Blocks resident on one SM share its tensor cores, so an SM's time is the tiles it is
        # given, ceil(tiles / SMs), at its full rate: a partial last wave of several blocks per
        # SM ends when its SMs' fewer tiles do. A full tile's math is paid even when the tile
        # hangs over the matrix edge.
        compute_s = math.ceil(tiles / comp.sms) * 2.0 * mt * nt * K * work / per_sm
        l2_bytes = G * (a_bytes * gn + b_bytes * gm + c_bytes)
        # A wave covers about an r x c block of one group's tile grid.
        r = min(gm, max(1, math.isqrt(slots)))
        c = min(gn, max(1, math.ceil(slots / r)))
        per_wave = r * a_bytes / gm + c * b_bytes / gn
        unique = G * (a_bytes + b_bytes + c_bytes)
        dram = max(unique, waves * per_wave + G * c_bytes) + extra_bytes
        frac = work if executed is None else executed
        k = Kernel(name, compute_s, dram, l2_bytes + extra_bytes, G * M * N * K * frac,
                   metadata, (mt, nt), G * c_bytes)
        value = _score(hw, k, precision, objective, launch)
        if best is None or value < best[0]:
            best = (value, k)
    # Loading the arch checked that some tile fits shared memory at every precision.
    assert best is not None
    return best[1]


def _score(hw: Hardware, k: Kernel, precision: str, objective: str, launch: float) -> float:
    """The objective's value for kernel ``k``, from the accounting."""
    counts = k.counts(hw, precision, launch)
    t = latency_s(hw, counts)
    if objective == "latency":  # the energy would not change the choice: skip computing it
        return float(t)
    return float(score(objective, t, sum(energy_breakdown_j(hw, counts, t).values())))


def _kernels(nest: LoopNest, hw: Hardware, profile: SparsityProfile | None,
             objective: str) -> list[Kernel]:
    comp = hw.compute
    assert isinstance(comp, TensorCoreCompute)
    p, eb = nest.precision, nest.elem_bytes
    G, M, N, K = nest.G, nest.N * nest.P * nest.Q, nest.K, nest.C * nest.R * nest.S
    # Bytes of one group's operands as stored; operands kept on chip by a declared fusion
    # (FlashAttention's scores) move neither from DRAM nor through L2.
    a = nest.N * nest.C * nest.H * nest.W * eb * ("inputs" not in nest.on_chip)
    b = K * N * eb * ("weights" not in nest.on_chip)
    c = M * N * eb * ("outputs" not in nest.on_chip)
    start = kernel_launch_s(hw, nest.on_chip)
    out: list[Kernel] = []
    dense_rate = _rate(comp.tensor_tflops, p)
    if dense_rate:
        out.append(_gemm(comp, hw, objective, M, N, K, G, dense_rate * comp.dense_efficiency(p),
                         p, eb, a, b, c, work=nest.work, launch=start))
    cuda_tflops = comp.cuda_rate_tflops(p)
    assert cuda_tflops is not None  # checked when the arch was loaded
    cuda = cuda_tflops * 1e12
    # Direct CUDA-core kernel: every operand once, math at half the CUDA-core peak (assumed).
    direct_s = 2.0 * nest.macs * nest.work / (cuda * 0.5)
    direct_b = G * (a + b + c)
    out.append(Kernel("cuda_direct", direct_s, direct_b, direct_b, nest.macs * nest.work, 0.0,
                      write_bytes=G * c))
    if profile is None or nest.weights_are_activations or profile.weight_density >= 1.0:
        return out
    d = profile.weight_density
    sparse_rate = _rate(comp.sparse_tflops, p)
    if sparse_rate and profile.conforms(2, 4):
        # Kept values at half the weight bytes, plus a 2-bit position per kept value.
        meta = K * N / 2 * 2 / 8
        out.append(_gemm(comp, hw, objective, M, N, K, G, sparse_rate * comp.sparse_efficiency,
                         p, eb, a, b / 2 + meta, c, name="sparse_2:4", metadata=G * meta,
                         executed=0.5, launch=start))
    block = profile.block_size
    if dense_rate and block is not None and block[0] >= MMA_ROWS:
        bh, bw = block
        occ = profile.occupancy(bh, bw)
        nblocks = occ * math.ceil(N / bh) * math.ceil(K / bw)
        meta = nblocks * INDEX_BYTES
        extra = 0.0
        name = "block"
        if profile.permuted_rows:
            # Row permutation: one row index per output row per tile column, and the output
            # rows written where they belong (scattered but each row contiguous).
            extra = G * N * INDEX_BYTES * math.ceil(M / 128)
            name = "shuffled_block"
        out.append(_gemm(comp, hw, objective, M, N, K, G, dense_rate * comp.block_efficiency,
                         p, eb, a, b * occ + meta, c, work=occ, name=name, extra_bytes=extra,
                         metadata=G * meta, launch=start))
    # CSR SpMM on CUDA cores: work follows the nonzeros; each nonzero gathers a row of
    # activations (from L2), weights move as values + column indices + row pointers.
    nnz = d * K * N
    meta = nnz * INDEX_BYTES + (N + 1) * INDEX_BYTES
    math_s = 2.0 * G * M * nnz / (cuda * comp.csr_efficiency) * profile.imbalance(32)
    dram = G * (a + nnz * eb + meta + c)
    l2 = G * (nnz * M * eb + nnz * eb + meta + c)
    out.append(Kernel("csr", math_s, dram, l2, G * M * nnz, G * meta, write_bytes=G * c))
    return out


def tensor_core_target(nest: LoopNest, hw: Hardware, objective: str,
                       profile: SparsityProfile | None = None) -> LayerCost:
    """Cost of a MAC layer on a GPU: every applicable kernel costed by the accounting, the best
    under ``objective`` kept (the report lists what each kernel would have taken)."""
    kernels = _kernels(nest, hw, profile, objective)
    counts = [k.counts(hw, nest.precision, kernel_launch_s(hw, nest.on_chip)) for k in kernels]
    times = [float(latency_s(hw, c)) for c in counts]
    energies = [float(sum(energy_breakdown_j(hw, c, t).values())) for c, t in zip(counts, times)]
    i = min(range(len(kernels)), key=lambda j: float(score(objective, times[j], energies[j])))
    best = kernels[i]
    d = profile.weight_density if profile is not None else 1.0
    di = profile.input_density if profile is not None else 1.0
    peak = hw.num_pes * hw.clock_hz  # dense MACs per second
    useful = nest.macs * nest.work * d * di  # a causal kernel's masked MACs are no work
    dense_i = next((j for j, k in enumerate(kernels) if k.name == "dense"), None)
    note = f"kernel {best.name}"
    if dense_i is not None and dense_i != i:
        note += f", {times[dense_i] / times[i]:.2f}x over dense tensor cores"
    return layer_cost(
        hw, counts[i],
        macs=float(nest.macs),
        utilization=useful / (times[i] * peak) if times[i] else 0.0,
        mapping={"kernel": best.name, "tile": best.tile,
                 "kernels": {k.name: t for k, t in zip(kernels, times)}},
        density=d,
        input_density=di,
        output_density=profile.output_density if profile is not None else 1.0,
        effective_macs=useful,
        skipped_macs=nest.macs - best.macs_executed,
        imbalance=profile.imbalance(32) if best.name == "csr" and profile else 1.0,
        note=note,
    )

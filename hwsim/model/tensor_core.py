"""GPU target: kernels on tensor cores and CUDA cores, each with its own rules.

A MAC layer is an implicit GEMM per group: M = N*P*Q output pixels (or tokens), N = K output
channels, K = C*R*S reduction, the weights being the (K x N) operand. Every applicable kernel
is costed and the fastest kept, as an inference library's heuristics would:

* ``dense``: thread-block tiles (Mt x Nt) over the output; blocks per SM limited by shared
  memory; ceil(tiles / (SMs x blocks per SM)) waves, the last one as long as a full one;
  time = max(math, DRAM, L2) + launch overhead. Each tile reads its A row-panel and B
  column-panel from L2; from DRAM, each wave reads the panels of the block of tiles it covers
  (tiles are rastered so that concurrent tiles share panels in L2), and at least every
  operand once.
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
from dataclasses import dataclass

from hwsim.arch.spec import ArchSpec, TensorCoreCompute
from hwsim.model.cost import LayerCost, empty_breakdown
from hwsim.model.dram import access_energy_j
from hwsim.model.loopnest import LoopNest
from hwsim.sparsity.profile import SparsityProfile
from hwsim.sparsity.spec import Block, ShuffledBlock

INDEX_BYTES = 4  # int32 column/row indices of sparse kernels
MMA_ROWS = 8  # smallest MMA M (m8n8k4 on Volta, m16n8k16 on Ampere/Hopper use 16)


@dataclass(frozen=True)
class Kernel:
    """One candidate kernel's cost for a layer."""

    name: str
    time_s: float
    compute_s: float
    dram_bytes: float
    l2_bytes: float
    macs_executed: float
    metadata_bytes: float
    bound: str
    tile: tuple[int, int] = (0, 0)


def _rate(table: dict[str, float], precision: str) -> float | None:
    v = table.get(precision)
    return v * 1e12 if v else None


def _gemm(comp: TensorCoreCompute, arch: ArchSpec, M: int, N: int, K: int, G: int,
          flops_rate: float, eb: float, a_bytes: float, b_bytes: float, c_bytes: float,
          work: float = 1.0, name: str = "dense", extra_bytes: float = 0.0,
          metadata: float = 0.0, executed: float | None = None) -> Kernel:
    """A tiled GEMM (per group: (M x K) activations @ (K x N) weights), best tile kept.

    ``work`` scales the math per tile (skipped blocks); a_bytes/b_bytes/c_bytes are the bytes
    of one group's activations, weights and outputs as stored; ``executed`` is the fraction of
    the MACs really multiplied (default ``work``; 0.5 for 2:4 tensor cores, whose doubled peak
    already carries the time saving).
    """
    hbm = arch.dram.bandwidth_gbps * 1e9
    l2bw = comp.l2_bandwidth_gbps * 1e9
    per_sm = flops_rate / comp.sms
    best: Kernel | None = None
    for mt, nt in comp.tiles:
        smem = (mt + nt) * comp.k_tile * eb * comp.stages
        per_sm_blocks = min(comp.max_blocks_per_sm, int(comp.smem_kib_per_sm * 1024 // smem))
        if per_sm_blocks < 1:
            continue
        gm, gn = math.ceil(M / mt), math.ceil(N / nt)
        tiles = G * gm * gn
        slots = comp.sms * per_sm_blocks
        waves = math.ceil(tiles / slots)
        # Blocks sharing an SM share its tensor cores; a full tile's math is paid even when the
        # tile hangs over the matrix edge.
        resident = min(per_sm_blocks, math.ceil(tiles / comp.sms))
        block_s = 2.0 * mt * nt * K * work / (per_sm / resident)
        compute_s = waves * block_s
        l2_bytes = G * (a_bytes * gn + b_bytes * gm + c_bytes)
        # A wave covers about an r x c block of one group's tile grid.
        r = min(gm, max(1, math.isqrt(slots)))
        c = min(gn, max(1, math.ceil(slots / r)))
        per_wave = r * a_bytes / gm + c * b_bytes / gn
        unique = G * (a_bytes + b_bytes + c_bytes)
        dram = max(unique, waves * per_wave + G * c_bytes) + extra_bytes
        terms = {"compute": compute_s, "dram": dram / hbm, "l2": (l2_bytes + extra_bytes) / l2bw}
        bound = max(terms, key=lambda k: terms[k])
        time = terms[bound] + arch.launch_overhead_s
        if best is None or time < best.time_s:
            frac = work if executed is None else executed
            best = Kernel(name, time, compute_s, dram, l2_bytes + extra_bytes,
                          G * M * N * K * frac, metadata, bound, (mt, nt))
    if best is None:
        raise ValueError("no thread-block tile fits shared memory")
    return best


def _kernels(nest: LoopNest, arch: ArchSpec, profile: SparsityProfile | None) -> list[Kernel]:
    comp: TensorCoreCompute = arch.compute
    p, eb = nest.precision, nest.elem_bytes
    G, M, N, K = nest.G, nest.N * nest.P * nest.Q, nest.K, nest.C * nest.R * nest.S
    a = nest.N * nest.C * nest.H * nest.W * eb  # activations of one group as stored
    b = K * N * eb
    c = M * N * eb
    hbm = arch.dram.bandwidth_gbps * 1e9
    out: list[Kernel] = []
    dense_rate = _rate(comp.tensor_tflops, p)
    if dense_rate:
        out.append(_gemm(comp, arch, M, N, K, G, dense_rate * comp.gemm_efficiency, eb, a, b, c))
    cuda = _rate(comp.cuda_tflops, p) or _rate(comp.cuda_tflops, "fp32")
    assert cuda is not None
    # Direct CUDA-core kernel: every operand once, math at half the CUDA-core peak (assumed).
    direct_s = 2.0 * nest.macs / (cuda * 0.5)
    direct_b = G * (a + b + c)
    t = max(direct_s, direct_b / hbm) + arch.launch_overhead_s
    out.append(Kernel("cuda_direct", t, direct_s, direct_b, direct_b, float(nest.macs), 0.0,
                      "compute" if direct_s >= direct_b / hbm else "dram"))
    if profile is None or nest.weights_are_activations or profile.weight_density >= 1.0:
        return out
    d = profile.weight_density
    sparse_rate = _rate(comp.sparse_tflops, p)
    if sparse_rate and profile.conforms(2, 4):
        # Kept values at half the weight bytes, plus a 2-bit position per kept value.
        meta = K * N / 2 * 2 / 8
        out.append(_gemm(comp, arch, M, N, K, G, sparse_rate * comp.sparse_efficiency, eb,
                         a, b / 2 + meta, c, name="sparse_2:4", metadata=G * meta,
                         executed=0.5))
    spec = profile.spec
    if dense_rate and isinstance(spec, (Block, ShuffledBlock)) and spec.size[0] >= MMA_ROWS:
        bh, bw = spec.size
        occ = profile.occupancy(bh, bw)
        nblocks = occ * math.ceil(N / bh) * math.ceil(K / bw)
        meta = nblocks * INDEX_BYTES
        extra = 0.0
        name = "block"
        if isinstance(spec, ShuffledBlock):
            # Row permutation: one row index per output row per tile column, and the output
            # rows written where they belong (scattered but each row contiguous).
            extra = G * N * INDEX_BYTES * math.ceil(M / 128)
            name = "shuffled_block"
        out.append(_gemm(comp, arch, M, N, K, G, dense_rate * comp.block_efficiency, eb, a,
                         b * occ + meta, c, work=occ, name=name, extra_bytes=extra,
                         metadata=G * meta))
    # CSR SpMM on CUDA cores: work follows the nonzeros; each nonzero gathers a row of
    # activations (from L2), weights move as values + column indices + row pointers.
    nnz = d * K * N
    meta = nnz * INDEX_BYTES + (N + 1) * INDEX_BYTES
    math_s = 2.0 * G * M * nnz / (cuda * comp.csr_efficiency) * profile.imbalance(32)
    dram = G * (a + nnz * eb + meta + c)
    l2 = G * (nnz * M * eb + nnz * eb + meta + c)
    terms = {"compute": math_s, "dram": dram / hbm, "l2": l2 / (comp.l2_bandwidth_gbps * 1e9)}
    bound = max(terms, key=lambda k: terms[k])
    out.append(Kernel("csr", terms[bound] + arch.launch_overhead_s, math_s, dram, l2,
                      G * M * nnz, G * meta, bound))
    return out


def tensor_core_target(nest: LoopNest, arch: ArchSpec, objective: str, static_w: float,
                       profile: SparsityProfile | None = None) -> LayerCost:
    """Cost of a MAC layer on a GPU: the best kernel by the objective."""
    kernels = _kernels(nest, arch, profile)
    l2 = next(b for b in arch.buffers if not b.per_pe)
    mac_pj = arch.mac_pj(nest.precision)

    def energy(k: Kernel) -> dict[str, float]:
        e = empty_breakdown(arch)
        e["mac"] = k.macs_executed * mac_pj * 1e-12
        e[l2.name] = k.l2_bytes * 8 * arch.read_pj_per_bit(l2) * 1e-12
        e["dram"] = access_energy_j(k.dram_bytes - k.metadata_bytes, arch.dram)
        e["metadata"] = access_energy_j(k.metadata_bytes, arch.dram)
        e["static"] = static_w * k.time_s
        return e

    def score(k: Kernel) -> float:
        ej = sum(energy(k).values())
        return {"latency": k.time_s, "energy": ej, "edp": k.time_s * ej}[objective]

    best = min(kernels, key=score)
    e = energy(best)
    d = profile.weight_density if profile is not None else 1.0
    di = profile.input_density if profile is not None else 1.0
    peak = arch.num_pes * arch.clock_hz  # dense MACs per second
    useful = nest.macs * d * di
    dense_k = next((k for k in kernels if k.name == "dense"), None)
    note = f"kernel {best.name}"
    if dense_k is not None and best is not dense_k:
        note += f", {dense_k.time_s / best.time_s:.2f}x over dense tensor cores"
    return LayerCost(
        latency_s=best.time_s,
        compute_s=best.compute_s,
        dram_s=best.dram_bytes / (arch.dram.bandwidth_gbps * 1e9),
        bound=best.bound,
        energy_breakdown_j=e,
        dram_bytes=best.dram_bytes,
        macs=float(nest.macs),
        compute_cycles=best.compute_s * arch.clock_hz,
        utilization=useful / (best.time_s * peak) if best.time_s else 0.0,
        mapping={"kernel": best.name, "tile": best.tile,
                 "kernels": {k.name: k.time_s for k in kernels}},
        density=d,
        input_density=di,
        effective_macs=useful,
        skipped_macs=nest.macs - best.macs_executed,
        metadata_bytes=best.metadata_bytes,
        imbalance=profile.imbalance(32) if best.name == "csr" and profile else 1.0,
        note=note,
    )

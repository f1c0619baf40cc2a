"""GPU tensor-core and scratchpad/gather-scatter targets: hand checks and invariants."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim import evaluate, load_arch
from hwsim.evaluation import compare
from hwsim.sparsity import expected_max_bin_load, gather_cycles, nm_gather_conflicts
from hwsim.sparsity.profile import SparsityProfile
from hwsim.sparsity.spec import parse_sparsity
from hwsim.workload import Linear, build_workload
from hwsim.workload.zoo import ZOO
from tests.conftest import ARCH_DIR


@pytest.fixture(scope="module")
def a100():
    return load_arch(ARCH_DIR / "a100.yaml")


@pytest.fixture(scope="module")
def gsv():
    return load_arch(ARCH_DIR / "gs_vector.yaml")


def gemm(m: int, n: int, k: int):
    """(m x k) activations @ (k x n) weights as a linear layer over m tokens."""
    return build_workload("g", [Linear(name="g", in_features=k, out_features=n, tokens=m,
                                       bias=False)])


def test_dense_gemm_by_hand(a100):
    # A100 fp16, M = N = 3072, K = 10240, best tile 128x64: 24 x 48 = 1152 tiles over 108 SMs,
    # so the busiest SM does ceil(1152 / 108) = 11 tiles of 2*128*64*10240 = 167.77 MFLOP at
    # 312e12 * 0.85 / 108 = 2.4556 TFLOP/s: 0.75156 ms of math.
    # DRAM: 36 KiB of shared memory per block -> 4 blocks per SM, 432 slots, 3 waves; a wave
    # covers 20 x 22 tiles and reads 20/24 of A and 22/48 of B (62.91 MB each): 81.26 MB per
    # wave, plus C once (18.87 MB): 262.67 MB, the 243.80 MB read at 1555e9 * 0.858 B/s and C
    # written at 1555e9 * 0.731 B/s: 0.18273 + 0.01660 = 0.19933 ms.
    # Math and DRAM combine as (c^1.4 + d^1.4)^(1/1.4) = 0.83354 ms; + 4 us launch.
    r = evaluate(gemm(3072, 3072, 10240), a100).layers[0]
    assert r.mapping["kernel"] == "dense" and r.mapping["tile"] == (128, 64)
    assert r.compute_cycles / a100.clock_hz == pytest.approx(0.75156e-3, rel=1e-4)
    assert r.dram_bytes == pytest.approx(262.67e6, rel=1e-4)
    assert r.time_s["dram"] == pytest.approx(0.19933e-3, rel=1e-4)
    assert r.latency_s == pytest.approx(0.83354e-3 + 4e-6, rel=1e-4)
    assert r.bound == "compute"


def test_wave_quantisation(a100):
    """One row more than fills every SM with one tile costs a partial extra tile per SM."""
    # 108 tiles of 128x128 give each SM one. One more row: 109 such tiles (two on one SM), or
    # 217 x 2 tiles of 64x64 (ceil(434 / 108) = 5 quarter-size tiles on the busiest SM): 1.25x.
    full = evaluate(gemm(108 * 128, 128, 8192), a100).layers[0]
    over = evaluate(gemm(108 * 128 + 1, 128, 8192), a100).layers[0]
    assert over.compute_cycles / full.compute_cycles == pytest.approx(1.25, rel=1e-6)


def test_overlap_exponent_slows_the_ridge_most(a100):
    """Math and DRAM in balance cost 2^(1/1.4) = 1.64x the larger; one far larger than the
    other (50x) costs it alone (within 0.5%); an ideal overlap (no exponent) takes the larger."""
    from hwsim.arch.hardware import resolve
    from hwsim.model.accounting import overlapped

    hw = resolve(a100)
    assert hw.overlap_exponent == 1.4
    assert overlapped(1.0, 1.0, 1.4) == pytest.approx(2 ** (1 / 1.4))
    assert overlapped(1.0, 0.02, 1.4) == pytest.approx(1.0, rel=0.005)
    assert overlapped(0.0, 0.0, 1.4) == 0.0
    assert overlapped(1.0, 0.5, None) == 1.0
    arr = overlapped(np.array([1.0, 0.0, 2.0]), np.array([1.0, 0.0, 0.5]), 1.4)
    assert arr.tolist() == pytest.approx([2 ** (1 / 1.4), 0.0, overlapped(2.0, 0.5, 1.4)])


def test_launch_overhead_floor(a100):
    tiny = evaluate(gemm(8, 8, 8), a100).layers[0]
    assert tiny.latency_s >= 4e-6
    assert tiny.latency_s < 6e-6


def test_tensor_cores_skip_nothing_for_unstructured(a100):
    """At 90% unstructured sparsity the dense tensor-core kernel still wins; only at very low
    density does CSR SpMM on CUDA cores pay."""
    wl = gemm(1024, 4096, 4096)
    dense = evaluate(wl, a100).layers[0]
    u90 = evaluate(wl, a100, sparsity=parse_sparsity("unstructured:sparsity=0.9")).layers[0]
    assert u90.mapping["kernel"] == "dense"
    assert u90.latency_s == pytest.approx(dense.latency_s)
    u999 = evaluate(wl, a100, sparsity=parse_sparsity("unstructured:sparsity=0.999")).layers[0]
    assert u999.mapping["kernel"] == "csr"
    assert u999.latency_s < dense.latency_s


def test_two_four_needs_conformance_and_caps_at_2x(a100):
    wl = gemm(4096, 4096, 4096)
    dense = evaluate(wl, a100).layers[0]
    s24 = evaluate(wl, a100, sparsity=parse_sparsity("nm:n=2,m=4")).layers[0]
    s14 = evaluate(wl, a100, sparsity=parse_sparsity("nm:n=1,m=4")).layers[0]
    u50 = evaluate(wl, a100, sparsity=parse_sparsity("unstructured:sparsity=0.5")).layers[0]
    assert s24.mapping["kernel"] == "sparse_2:4"
    assert 1.0 < dense.latency_s / s24.latency_s <= 2.0
    assert s14.latency_s == pytest.approx(s24.latency_s)  # 1:4 gets no more than 2:4 hardware
    assert u50.mapping["kernel"] == "dense"  # not 2:4-conformant
    assert s24.metadata_bytes > 0


def test_small_shape_gains_little_from_two_four(a100):
    small = gemm(16, 1024, 1024)
    d = evaluate(small, a100).layers[0].latency_s
    s = evaluate(small, a100, sparsity=parse_sparsity("nm:n=2,m=4")).layers[0].latency_s
    assert d / s < 1.1  # launch overhead and memory dominate


def test_block_sparse_follows_occupancy(a100):
    wl = gemm(2048, 4096, 4096)
    t = {s: evaluate(wl, a100, sparsity=parse_sparsity(f"block:size=64x1,sparsity={s}"))
         .layers[0] for s in (0.5, 0.75, 0.9)}
    assert all(r.mapping["kernel"] == "block" for r in t.values())
    assert t[0.5].latency_s > t[0.75].latency_s > t[0.9].latency_s
    shf = evaluate(wl, a100, sparsity=parse_sparsity("shuffled_block:size=64x1,sparsity=0.75"))
    assert shf.layers[0].mapping["kernel"] == "shuffled_block"
    assert shf.layers[0].latency_s >= t[0.75].latency_s  # the permutation is not free


# ---- scratchpad ---------------------------------------------------------------------------


def test_expected_max_bin_load_against_simulation():
    rng = np.random.default_rng(3)
    for balls, bins in [(16, 16), (32, 32), (8, 32)]:
        sim = np.mean([np.bincount(rng.integers(0, bins, balls), minlength=bins).max()
                       for _ in range(20000)])
        assert expected_max_bin_load(balls, bins) == pytest.approx(sim, rel=0.01)
    assert expected_max_bin_load(1, 8) == pytest.approx(1.0)


def test_gather_conflicts_by_pattern():
    def prof(text):
        return SparsityProfile(1024, 2048, 1, spec=parse_sparsity(text))

    gs = gather_cycles(prof("gs:sparsity=0.9"), 32, 32)
    uns = gather_cycles(prof("unstructured:sparsity=0.9"), 32, 32)
    blk = gather_cycles(prof("block:size=1x8,sparsity=0.9"), 32, 32)
    nm = gather_cycles(prof("nm:n=2,m=4"), 32, 32)
    assert gs == 1.0
    assert uns == pytest.approx(expected_max_bin_load(32, 32))
    assert 1.0 < blk < uns and 1.0 < nm < uns
    # 2:4: two nonzeros of each 4 consecutive columns; 16 groups span 64 columns, two rounds of
    # the 32 banks: the busiest bank serves at most 2 requests, here always exactly 2.
    assert nm_gather_conflicts(2, 4, 32, 32) == pytest.approx(2.0)


def test_gather_scatter_wins_where_gathers_dominate(gsv):
    """GNMT decoding step at batch 8 on the vector processor: at equal 90% sparsity the
    load-balanced pattern is the fastest; on ResNet-50 (vectorised over pixels) the pattern
    does not matter."""
    wl = ZOO["gnmt_step"]().with_batch(8)
    t = {p: evaluate(wl, gsv, sparsity=parse_sparsity(p)).totals["latency_s"]
         for p in ["gs:sparsity=0.9", "unstructured:sparsity=0.9",
                   "block:size=1x8,sparsity=0.9", "block:size=4x4,sparsity=0.9"]}
    best = min(t, key=t.get)
    assert best.startswith("gs")
    assert t["unstructured:sparsity=0.9"] / t["gs:sparsity=0.9"] > 1.3
    rn = ZOO["resnet50"]()
    a = evaluate(rn, gsv, sparsity=parse_sparsity("gs:sparsity=0.9")).totals["latency_s"]
    b = evaluate(rn, gsv, sparsity=parse_sparsity("unstructured:sparsity=0.9")).totals["latency_s"]
    assert a == pytest.approx(b, rel=0.01)  # same work; gs density is whole nonzeros per row


def test_compare_across_all_four_targets():
    archs = [load_arch(ARCH_DIR / f"{n}.yaml") for n in ("zhang_fpga15", "tpu_v1", "gs_vector",
                                                            "a100")]
    rows = compare(ZOO["lenet5"](), archs, [parse_sparsity("nm:n=2,m=4"),
                                           parse_sparsity("channel:sparsity=0.5")])
    assert {r.kind for r in rows} == {"fpga", "systolic", "scratchpad", "tensor_core"}
    assert len(rows) == 4 * 3
    for r in rows:
        assert r.latency_s > 0 and r.energy_j > 0
        assert sum(r.energy_breakdown_j.values()) == pytest.approx(r.energy_j)


@pytest.mark.parametrize("name", ["a100", "v100", "t4", "h100", "gs_vector"])
def test_new_targets_run_whole_networks(name):
    arch = load_arch(ARCH_DIR / f"{name}.yaml")
    for wl in ("resnet50", "bert_base_seq128", "mobilenet_v2", "dlrm_mlperf"):
        rep = evaluate(ZOO[wl](), arch)
        t = rep.totals
        assert t["latency_s"] > 0
        assert sum(t["energy_breakdown_j"].values()) == pytest.approx(t["energy_j"])
        assert 0 < t["utilization"] <= 1.0

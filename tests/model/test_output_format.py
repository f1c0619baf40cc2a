"""Results written compressed (``sparsity.outputs`` and a pattern's ``out_act``): the DRAM bytes
of a layer's outputs by hand, spilled partial sums left alone, and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.arch.load import load_arch
from hwsim.errors import HwsimError
from hwsim.evaluation import evaluate
from hwsim.evaluation.compare import cannot_exploit, suggested_set
from hwsim.model.dram import burst_efficiency
from hwsim.model.loopnest import LoopNest
from hwsim.model.mapper import TIE_TOLERANCE, tile_table
from hwsim.plot.data import support_text as plot_support
from hwsim.report.compare import hardware_support, support_text
from hwsim.sparsity.spec import parse_sparsity
from hwsim.workload import Conv2d, Matmul, build_workload
from tests.conftest import TINY_FPGA, make_arch
from tests.model.test_row_stationary import TINY_RS, one_conv

#: TINY_RS (int8, 1-byte bursts) writing its results run-length coded with 4-bit runs.
RLE_OUT = {"outputs": {"format": "rle", "run_bits": 4}}


def rle_size(density: float, value_bits: int, run_bits: int) -> float:
    """Stored size over dense of i.i.d. zeros, by hand: every nonzero carries its run field,
    and a zero run longer than 2^run_bits - 1 costs a padding entry (geometric gaps)."""
    pads = (1 - density) ** 2**run_bits / (1 - (1 - density) ** 2**run_bits)
    return density * (1 + pads) * (value_bits + run_bits) / value_bits


def test_results_move_at_their_rle_size_by_hand():
    arch = make_arch(TINY_RS, sparsity=RLE_OUT)
    wl = one_conv(c=1, k=2, kernel=3, hw=5)  # 2 x 3 x 3 = 18 one-byte results
    dense = evaluate(wl, arch).layers[0]
    sparse = evaluate(wl, arch, sparsity=parse_sparsity("dense:out_act=0.5")).layers[0]
    assert dense.mapping["dram_bytes"]["outputs"] == 18
    # 13.5 B of coded results in one contiguous run, rounded up to whole 1-byte bursts
    coded = 18 * rle_size(0.5, 8, 4)
    assert coded == pytest.approx(13.5002, abs=1e-4)
    assert sparse.mapping["dram_bytes"]["outputs"] == pytest.approx(math.ceil(coded), rel=1e-12)
    # weights and inputs move as before; the run fields (4 of every 12 bits) are metadata
    for op in ("weights", "inputs"):
        assert sparse.mapping["dram_bytes"][op] == dense.mapping["dram_bytes"][op]
    assert sparse.metadata_bytes == pytest.approx(math.ceil(coded) * 4 / 12, rel=1e-12)
    assert dense.metadata_bytes == 0


def test_spilled_psums_are_not_compressed():
    # The buffer of test_psums_spill_when_the_buffer_is_small: psums go out and back after
    # every channel chunk, at their full width, whatever the output format.
    small = {"buffers": [{**TINY_RS["buffers"][0], "capacity_kib": 40 / 1024},
                         *TINY_RS["buffers"][1:]]}
    wl = one_conv(c=4, k=2, kernel=3, hw=5)
    plain = evaluate(wl, make_arch(TINY_RS, **small),
                     sparsity=parse_sparsity("dense:out_act=0.5")).layers[0]
    coded = evaluate(wl, make_arch(TINY_RS, **small, sparsity=RLE_OUT),
                     sparsity=parse_sparsity("dense:out_act=0.5")).layers[0]
    assert plain.mapping["psum_spill"] and coded.mapping["psum_spill"]
    assert plain.mapping["tile"] == coded.mapping["tile"]
    # only the 18 results shrink (to 13.5 B in one run, 14 B in whole bursts); the spilled
    # psums move as before
    saved = plain.mapping["dram_bytes"]["outputs"] - coded.mapping["dram_bytes"]["outputs"]
    assert saved == pytest.approx(18 - math.ceil(18 * rle_size(0.5, 8, 4)), rel=1e-12)
    assert plain.mapping["dram_bytes"]["outputs"] > 2 * 18  # results plus spilled psums


def test_systolic_mapper_writes_results_compressed():
    # Gemmini with 1-byte bursts (no rounding) and results written as a bitmap: one bit per
    # result plus the nonzero values.
    base = load_arch("gemmini", ["dram.burst_bytes=1"])
    coded = load_arch("gemmini", ["dram.burst_bytes=1", "sparsity.outputs.format=bitmap"])
    wl = build_workload("one", [Conv2d(name="c", in_channels=16, out_channels=32, kernel=3,
                                       input_hw=16)])
    pattern = parse_sparsity("dense:out_act=0.75")
    a = evaluate(wl, base, sparsity=pattern).layers[0]
    b = evaluate(wl, coded, sparsity=pattern).layers[0]
    results = 32 * 14 * 14  # int8, one run of whole bytes either way
    assert a.mapping["tile"] == b.mapping["tile"] and a.mapping["order"] == b.mapping["order"]
    assert a.dram_bytes - b.dram_bytes == pytest.approx(results * (1 - (0.25 + 1 / 8)),
                                                        rel=1e-12)
    assert b.metadata_bytes == pytest.approx(results / 8, rel=1e-12)
    assert a.metadata_bytes == 0


def test_a_dense_output_format_or_no_output_zeros_changes_nothing():
    arch = load_arch("eyeriss")
    wl = build_workload("one", [Conv2d(name="c", in_channels=64, out_channels=64, kernel=3,
                                       input_hw=28)])
    base = evaluate(wl, arch, sparsity=parse_sparsity("dense:act=0.4")).layers[0]
    same = evaluate(wl, arch, sparsity=parse_sparsity("dense:act=0.4,out_act=0")).layers[0]
    assert same == base
    plain = load_arch("eyeriss", ["sparsity.outputs.format=dense"])
    a = evaluate(wl, plain, sparsity=parse_sparsity("dense:act=0.4")).layers[0]
    b = evaluate(wl, plain, sparsity=parse_sparsity("dense:act=0.4,out_act=0.6")).layers[0]
    assert a.dram_bytes == b.dram_bytes and a.latency_s == b.latency_s


@settings(max_examples=20, deadline=None)
@given(k=st.integers(1, 48), hw=st.integers(3, 20), lo=st.floats(0.0, 0.95),
       step=st.floats(0.0, 0.5))
def test_more_output_zeros_never_move_more_bytes(k, hw, lo, step):
    arch = load_arch("eyeriss")
    wl = build_workload("one", [Conv2d(name="c", in_channels=8, out_channels=k, kernel=3,
                                       input_hw=hw, padding=1)])
    hi = min(lo + step, 0.99)
    a = evaluate(wl, arch, sparsity=parse_sparsity(f"dense:out_act={lo}")).layers[0]
    b = evaluate(wl, arch, sparsity=parse_sparsity(f"dense:out_act={hi}")).layers[0]
    dense = evaluate(wl, arch).layers[0]
    # a's mapping moves fewer bytes at more zeros, so b's best is never slower (up to the
    # mapper's tie tolerance, within which it picks the lower energy)
    assert b.latency_s <= a.latency_s * (1 + TIE_TOLERANCE)
    assert 0 < a.dram_bytes <= dense.dram_bytes * (1 + 1e-9)
    for r in (a, b):
        assert sum(r.energy_breakdown_j.values()) == pytest.approx(r.energy_j, rel=1e-12)
        assert 0 <= r.metadata_bytes < r.dram_bytes


def test_label_parse_and_nested_levels_carry_out_act():
    p = parse_sparsity("unstructured:sparsity=0.5,act=0.2,out_act=0.6")
    assert p.out_act == 0.6 and p.label.endswith("+act 20% +out 60%")
    nested = parse_sparsity("nested:base=block,levels=0.5/0.75,out_act=0.3")
    assert all(nested.level(i).out_act == 0.3 for i in range(2))
    with pytest.raises(HwsimError, match="out_act: Input should be less than 1"):
        parse_sparsity("dense:out_act=1.5")


def test_support_and_compare_name_the_output_format():
    eyeriss = load_arch("eyeriss")
    assert "out rle" in support_text(hardware_support(eyeriss))
    outs = parse_sparsity("dense:out_act=0.5")
    assert cannot_exploit(eyeriss, outs) is None
    plain = load_arch("gemmini")
    why = cannot_exploit(plain, outs)
    assert why is not None and "no output format" in why and "gating" not in why


def test_mapper_table_codes_results_and_leaves_spills_alone():
    """Every candidate and order of a table, 64-byte bursts: the results move at the burst
    efficiency of their coded runs, the spilled psums (weight and input stationary) exactly as
    when written dense, and the coded results' moved bytes are what the table says."""
    conv = LoopNest(G=1, N=1, K=16, C=12, P=10, Q=10, R=3, S=3, H=12, W=12, precision="int8")
    arch = make_arch(TINY_FPGA)
    key = tuple((lv.name, lv.holds, lv.capacity_bytes, lv.double_buffered)
                for lv in arch.hw.levels)
    dense = tile_table(conv, (), key, 64, (1.0, 1.0, 1.0))
    coded = tile_table(conv, (), key, 64, (1.0, 1.0, 0.3))
    assert dense.coded == 0.0 and dense.coded_moved is None
    out = 16 * 10 * 10  # int8 results
    assert coded.coded == pytest.approx(out * 0.3, rel=1e-12)
    _tn, tk, _tc, tp, tq = coded.tiles
    run = np.where(tq < 10, tq, np.where(tp < 10, tp * 10, tk * 100)).astype(float)
    assert coded.coded_moved == pytest.approx(out * 0.3 / burst_efficiency(run * 0.3, 64),
                                              rel=1e-12)
    assert (coded.coded_moved > out * 0.3).any()  # some coded runs end mid-burst
    spill_dense = dense.moved[1:, 2] - dense.moved[0, 2]
    spill_coded = coded.moved[1:, 2] - coded.moved[0, 2]
    assert spill_coded == pytest.approx(spill_dense, rel=1e-9, abs=1e-9)
    assert coded.moved[0, 2] == pytest.approx(coded.coded_moved, rel=1e-12)
    for o in range(3):  # weights and inputs untouched
        assert (coded.moved[o, :2] == dense.moved[o, :2]).all()


def test_metadata_is_the_coded_results_share_even_with_spills_and_bursts():
    # TINY_RS with a buffer too small for one pass's psums, 8-byte bursts: the metadata is the
    # run fields of the coded results alone, never the spilled psums' padding.
    small = {"buffers": [{**TINY_RS["buffers"][0], "capacity_kib": 40 / 1024},
                         *TINY_RS["buffers"][1:]]}
    arch = make_arch(TINY_RS, **small, sparsity=RLE_OUT, **{"dram.burst_bytes": 8})
    r = evaluate(one_conv(c=4, k=2, kernel=3, hw=5), arch,
                 sparsity=parse_sparsity("dense:out_act=0.5")).layers[0]
    assert r.mapping["psum_spill"]
    coded = 18 * rle_size(0.5, 8, 4)  # 13.5 B in runs of whole 8-byte bursts at most 16 B
    assert 0 < r.metadata_bytes <= 16 * 4 / 12 + 1e-9
    assert r.metadata_bytes >= coded * 4 / 12 - 1e-9


def test_fused_outputs_never_move_nor_carry_metadata():
    # A layer whose outputs a declared fusion keeps on chip (as FlashAttention's scores): an
    # output format and out_act change nothing there.
    layer = Matmul(name="qk", m=64, n=64, k=64, count=2, on_chip=["outputs"])
    wl = build_workload("qk", [layer])
    pattern = parse_sparsity("dense:out_act=0.7")
    a = evaluate(wl, load_arch("eyeriss"), sparsity=pattern).layers[0]
    b = evaluate(wl, load_arch("eyeriss", ["sparsity.outputs.format=dense"]),
                 sparsity=pattern).layers[0]
    assert a.dram_bytes == b.dram_bytes and a.metadata_bytes == b.metadata_bytes == 0
    c = evaluate(wl, load_arch("gemmini", ["sparsity.outputs.format=rle"]),
                 sparsity=pattern).layers[0]
    d = evaluate(wl, load_arch("gemmini"), sparsity=pattern).layers[0]
    assert c.dram_bytes == d.dram_bytes and c.metadata_bytes == d.metadata_bytes == 0


def test_results_leave_the_buffer_dense():
    # Eyeriss reads its ofmaps out of the global buffer, then codes them (JSSC 2017 Sec. IV-B):
    # the buffer's energy of a layer whose mapping does not change is the same coded or not.
    wl = build_workload("one", [Conv2d(name="c", in_channels=64, out_channels=64, kernel=3,
                                       input_hw=14, padding=1)])
    coded = load_arch("eyeriss")
    plain = load_arch("eyeriss", ["sparsity.outputs.format=dense"])
    pattern = parse_sparsity("dense:act=0.5,out_act=0.6")
    a = evaluate(wl, coded, sparsity=pattern).layers[0]
    b = evaluate(wl, plain, sparsity=pattern).layers[0]
    assert a.mapping["tile"] == b.mapping["tile"]
    assert a.energy_breakdown_j["global_buffer"] == pytest.approx(
        b.energy_breakdown_j["global_buffer"], rel=1e-12)
    assert a.dram_bytes < b.dram_bytes


def test_the_mapper_reads_results_out_of_the_buffer_dense():
    # Zhang's FPGA design (the systolic mapper's path): with results coded on their way to
    # DRAM, its output buffer's energy is what it is written dense, on the same tiling, and
    # the chosen tiling's counts are its entry in the arrays the mapper ranked.
    wl = build_workload("one", [Conv2d(name="c", in_channels=48, out_channels=128, kernel=3,
                                       input_hw=13, padding=1)])
    pattern = parse_sparsity("dense:act=0.4,out_act=0.7")
    a = evaluate(wl, load_arch("zhang_fpga15", ["sparsity.outputs.format=rle"]),
                 sparsity=pattern).layers[0]
    b = evaluate(wl, load_arch("zhang_fpga15"), sparsity=pattern).layers[0]
    assert a.mapping["tile"] == b.mapping["tile"] and a.mapping["order"] == b.mapping["order"]
    assert a.dram_bytes < b.dram_bytes
    for name in a.energy_breakdown_j:
        if name not in ("dram", "metadata", "static"):
            assert a.energy_breakdown_j[name] == pytest.approx(b.energy_breakdown_j[name],
                                                               rel=1e-12), name


def test_an_nm_output_format_is_refused():
    with pytest.raises(Exception, match="nm is a weight format"):
        load_arch("eyeriss", ["sparsity.outputs.format=nm"])


def test_hints_accuracy_and_plots_know_out_act():
    assert suggested_set(parse_sparsity("dense:out_act=0.5")) == "sparsity.outputs.format=rle"
    assert suggested_set(parse_sparsity("dense:act=0.5")) == "sparsity.skip_inputs=true"
    only_out = hardware_support(load_arch("gemmini", ["sparsity.outputs.format=rle"]))
    assert plot_support(only_out) != plot_support(hardware_support(load_arch("gemmini")))


def test_the_last_results_go_out_coded_and_reports_say_the_output_density():
    # Double-buffered tiles: the last output tile, which nothing hides, leaves in the format.
    conv = LoopNest(G=1, N=1, K=16, C=12, P=10, Q=10, R=3, S=3, H=12, W=12, precision="int8")
    key = (("wi", ("weights", "inputs"), 4096.0, True), ("o", ("outputs",), 1024.0, True))
    dense = tile_table(conv, (), key, 8, (1.0, 1.0, 1.0))
    coded = tile_table(conv, (), key, 8, (1.0, 1.0, 0.25))
    tw, ti, to = coded.tile_bytes
    assert dense.exposed == pytest.approx(float((tw + ti + to * 1 / 4).min()), rel=1e-12)
    assert coded.exposed == pytest.approx(float((tw + ti + to / 4 * 0.25).min()), rel=1e-12)
    assert coded.exposed < dense.exposed
    # every target reports the results' nonzero share it was given
    wl = build_workload("one", [Conv2d(name="c", in_channels=16, out_channels=32, kernel=3,
                                       input_hw=16)])
    for name in ("eyeriss", "gemmini", "zhang_fpga15", "a100", "gs_vector"):
        arch = load_arch(name)
        r = evaluate(wl, arch, sparsity=parse_sparsity("dense:act=0.3,out_act=0.6")).layers[0]
        assert (r.input_density, r.output_density) == pytest.approx((0.7, 0.4)), name
        assert evaluate(wl, arch).layers[0].output_density == 1.0

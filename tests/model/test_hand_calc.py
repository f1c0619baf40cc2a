"""A small conv on a tiny FPGA array, every number computed by hand in the comments."""

from __future__ import annotations

import pytest

from hwsim.evaluation import evaluate
from hwsim.workload import Conv2d, build_workload


def test_tiny_conv_by_hand(tiny_fpga):
    # Conv: C=3 -> K=4, 3x3 kernel, 6x6 input, no padding -> P=Q=4, int8 (1 byte).
    layer = Conv2d(name="c", in_channels=3, out_channels=4, kernel=3, input_hw=6)
    wl = build_workload("one_conv", [layer])
    r = evaluate(wl, tiny_fpga).layers[0]

    # MACs = K*C*R*S*P*Q = 4*3*9*16 = 1728.
    assert r.macs == 1728
    # Unroll K=2, C=2: cycles = ceil(4/2)*ceil(3/2)*P*Q*R*S = 2*2*16*9 = 576.
    assert r.compute_cycles == 576
    # Utilisation = 1728 / (576 cycles * 4 PEs) = 0.75: C=3 on 2 lanes wastes a quarter.
    assert r.utilization == pytest.approx(0.75)
    # Everything fits on chip, so each operand crosses DRAM once:
    # weights 4*3*9 = 108 B, inputs 3*6*6 = 108 B, outputs 4*4*4 = 64 B -> 280 B
    # (runs of 108, 108 and 64 B are whole 4-byte bursts).
    assert r.dram_bytes == pytest.approx(280)
    # Buffers are single-buffered, so latency = compute + DRAM:
    # 576 cycles / 100 MHz = 5.76 us, plus 280 B / 1 GB/s = 0.28 us -> 6.04 us.
    assert r.latency_s == pytest.approx(6.04e-6)
    assert r.cycles == pytest.approx(604)
    assert r.bound == "compute"

    e = r.energy_breakdown_j
    # MACs: 1728 x 1 pJ.
    assert e["mac"] == pytest.approx(1728e-12)
    # Weight buffer: every MAC reads its own weight (K and C are both weight indices):
    # 1728 B read + 108 B filled from DRAM = (1728 + 108) * 8 bit * 0.1 pJ = 1468.8 pJ.
    assert e["wbuf"] == pytest.approx(1468.8e-12)
    # Input buffer: each input is shared by the 2 active K lanes: 1728 / 2 = 864 B read,
    # 108 B filled: (864 + 108) * 0.8 pJ = 777.6 pJ.
    assert e["ibuf"] == pytest.approx(777.6e-12)
    # Output buffer: adder trees reduce C over 1.5 active lanes on average (3 channels in 2
    # steps), so 1728 / 1.5 = 1152 int32 partial sums are read and written (4608 B each way);
    # the 64 B result is read out for DRAM: (4608 + 64 + 4608) * 0.8 pJ = 7424 pJ.
    assert e["obuf"] == pytest.approx(7424e-12)
    # DRAM: 280 B * 8 * 10 pJ/bit = 22400 pJ.
    assert e["dram"] == pytest.approx(22400e-12)
    # Interconnect (bus, 1 mm hops, 0.1 pJ/bit/mm), in bit-hops:
    #   weights: 1728 reads * 8 bit * 1 hop                         = 13824
    #   inputs:  864 reads * 8 bit * 2 hops (bus spanning 2 lanes)   = 13824
    #   adder trees: 1728 * (1 - 1/1.5) * 32 bit                    = 18432
    #   partial sums to the output buffer: 1152 * 32 bit            = 36864
    # total 82944 bit-hops * 0.1 pJ = 8294.4 pJ.
    assert e["interconnect"] == pytest.approx(8294.4e-12)
    # Static: 1 mW * 6.04 us = 6.04 nJ.
    assert e["static"] == pytest.approx(6.04e-9)
    assert r.energy_j == pytest.approx(sum(e.values()))


def test_double_buffering_overlaps_transfers(tiny_fpga):
    """With ping-pong buffers, DRAM time hides under compute except the first/last tiles."""
    from tests.conftest import TINY_FPGA, make_arch

    layer = Conv2d(name="c", in_channels=3, out_channels=4, kernel=3, input_hw=6)
    wl = build_workload("one_conv", [layer])
    single = evaluate(wl, tiny_fpga).layers[0]
    bufs = [dict(b, double_buffered=True) for b in TINY_FPGA["buffers"]]
    double = evaluate(wl, make_arch(TINY_FPGA, buffers=bufs)).layers[0]
    assert double.latency_s < single.latency_s
    assert double.latency_s >= 5.76e-6  # never faster than the compute itself


def test_pipeline_fill_and_transfer_start_up_by_hand():
    """The tiny conv again, with fp-style pipeline latencies and an AXI-like start-up."""
    from tests.conftest import TINY_FPGA, make_arch

    layer = Conv2d(name="c", in_channels=3, out_channels=4, kernel=3, input_hw=6)
    wl = build_workload("one_conv", [layer])
    arch = make_arch(TINY_FPGA, **{"compute.mul_latency_cycles": 4,
                                   "compute.add_latency_cycles": 5,
                                   "dram.transfer_latency_cycles": 64})
    r = evaluate(wl, arch).layers[0]
    # Depth: multiply 4 + one adder-tree level (C unrolled 2 wide: ceil(log2 2) = 1) x 5 + the
    # add into the output buffer 5 = 14 cycles, so 13 cycles of fill per pass.
    assert arch.hw.pipeline_fill_cycles == 13
    # Everything fits, so the tile is the whole 4x4 output: passes = ceil(K/2) * ceil(C/2) *
    # ceil(P/4) * ceil(Q/4) = 2 * 2 * 1 * 1 = 4, i.e. 52 cycles on top of the array's 576.
    assert r.mapping["tile"]["P"] == 4 and r.mapping["tile"]["Q"] == 4
    assert r.compute_cycles == 576 + 4 * 13
    # One tile of each operand crosses DRAM once: 3 transfers x 64 cycles / 100 MHz = 1.92 us.
    # Single-buffered: latency = 6.28 us compute + 0.28 us bytes + 1.92 us start-ups = 8.48 us.
    assert r.time_s["dram"] == pytest.approx(0.28e-6 + 1.92e-6)
    assert r.latency_s == pytest.approx(8.48e-6)


def test_start_ups_of_the_first_tiles_are_exposed_under_double_buffering():
    """Double-buffered, the start-ups hide behind compute except those of the first weight
    and input tiles and the last output tile, which add to the latency like their bytes."""
    from tests.conftest import TINY_FPGA, make_arch

    layer = Conv2d(name="c", in_channels=3, out_channels=4, kernel=3, input_hw=6)
    wl = build_workload("one_conv", [layer])
    bufs = [dict(b, double_buffered=True) for b in TINY_FPGA["buffers"]]
    base = evaluate(wl, make_arch(TINY_FPGA, buffers=bufs)).layers[0]
    slow = evaluate(wl, make_arch(TINY_FPGA, buffers=bufs,
                                  **{"dram.transfer_latency_cycles": 64})).layers[0]
    assert slow.mapping == base.mapping
    assert slow.latency_s - base.latency_s == pytest.approx(3 * 0.64e-6)


def test_zhang_conv5_fill_by_hand():
    """AlexNet CONV5 on Zhang FPGA'15 (two groups of 192 -> 128 channels, 13x13, 3x3):
    cycles = G * ceil(M/Tm) * ceil(N/Tn) * ceil(R/Tr) * ceil(C/Tc) * (Tr*Tc*K*K + P)."""
    from hwsim.arch import load_arch
    from hwsim.workload import load_workload

    arch = load_arch("zhang_fpga15")
    # P = depth - 1 = 4 (fp32 multiply) + (3 adder-tree levels for Tn = 7 + 1 accumulate)
    # x 5 (fp32 add) - 1 = 23 cycles.
    assert arch.hw.pipeline_fill_cycles == 23
    wl = load_workload("alexnet")
    r = next(x for x in evaluate(wl, arch).layers if x.name == "conv5")
    assert (r.mapping["tile"]["P"], r.mapping["tile"]["Q"]) == (13, 13)  # Tr = Tc = 13
    tiles = 2 * 2 * 28 * 1 * 1  # G * ceil(128/64) * ceil(192/7) * ceil(13/13) * ceil(13/13)
    assert r.compute_cycles == tiles * (13 * 13 * 3 * 3 + 23)  # 112 * 1544 = 172928


def test_linear_tokens_stream_through_one_pass():
    """A Linear layer's tokens are its N: they stream through a pass as a conv's rows do, so
    the fill is paid per block of the unrolled channels, not per token (paying it per token
    made BERT on Zhang's design 22x slower)."""
    from hwsim.workload.layers import Linear
    from tests.conftest import TINY_FPGA, make_arch

    wl = build_workload("fc", [Linear(name="fc", in_features=4, out_features=4, tokens=8)])
    arch = make_arch(TINY_FPGA, **{"compute.mul_latency_cycles": 4,
                                   "compute.add_latency_cycles": 5})
    r = evaluate(wl, arch).layers[0]
    assert r.mapping["tile"]["N"] == 8  # all tokens in one tile: everything fits
    # array: ceil(4/2) * ceil(4/2) * 8 tokens = 32 cycles; passes: 2 * 2 * ceil(8/8) = 4
    assert r.compute_cycles == 32 + 4 * 13

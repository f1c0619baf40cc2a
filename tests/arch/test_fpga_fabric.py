"""LUTs and flip-flops of FPGA designs: the per-MAC figures by precision and family, the parts of
a design, overflow refused like DSP/BRAM overflow, and Zhang FPGA'15 pinned with its errors
(benchmarks/validate_area.py)."""

from __future__ import annotations

import pytest

from hwsim import load_arch
from hwsim.arch.fpga_devices import (
    DEVICES,
    FP32_ADD_FULL_DSP_LUT_FF,
    FP32_MULT_MAX_DSP_LUT_FF,
    INFRASTRUCTURE_LUT_FF,
)
from hwsim.arch.fpga_resources import FpgaResources, address_bits, address_logic
from hwsim.errors import HwsimError


def test_fp32_mac_is_the_two_core_netlists():
    """3-DSP multiplier (125 LUT, 106 FF) + 2-DSP adder (286 LUT, 317 FF) per fp32 MAC."""
    assert FP32_MULT_MAX_DSP_LUT_FF == (125, 106) and FP32_ADD_FULL_DSP_LUT_FF == (286, 317)
    dev = DEVICES["xc7vx485t"]
    assert dev.lut_per_mac["fp32"] == 411 and dev.ff_per_mac["fp32"] == 423
    assert dev.lut_per_mac["int16"] == dev.ff_per_mac["int8"] == 0  # all in the DSP48
    a10 = DEVICES["10ax115"]
    assert a10.lut_per_mac["fp32"] == a10.ff_per_mac["fp32"] == 0  # hardened fp32 DSP
    for d in DEVICES.values():
        assert set(d.lut_per_mac) == set(d.ff_per_mac) == set(d.dsp_per_mac)


def test_device_fabric_counts():
    assert (DEVICES["xc7vx485t"].lut, DEVICES["xc7vx485t"].ff) == (303_600, 607_200)
    assert (DEVICES["10ax115"].lut, DEVICES["10ax115"].ff) == (2 * 427_200, 1_708_800)
    assert (DEVICES["xczu9eg"].lut, DEVICES["xczu9eg"].ff) == (274_080, 548_160)
    assert (DEVICES["xcu250"].lut, DEVICES["xcu250"].ff) == (1_379_740, 2_814_332)
    soft, hard = INFRASTRUCTURE_LUT_FF["soft"], INFRASTRUCTURE_LUT_FF["hard"]
    assert (DEVICES["xc7vx485t"].infra_lut, DEVICES["xc7vx485t"].infra_ff) == soft
    assert all((DEVICES[d].infra_lut, DEVICES[d].infra_ff) == hard
               for d in ("10ax115", "xczu9eg", "xcu250"))


def test_address_logic_by_hand():
    assert address_bits(12 * 1024 * 8, 32) == 12  # 3,072 words
    assert address_bits(64, 32) == 1
    # two generators, each a (12 + 5)-LUT adder and compare and a 12-bit register
    assert address_logic(12) == (2 * 2 * 17, 2 * 12)


def test_zhang_fpga15_fabric_against_the_paper():
    """448 fp32 MACs x (411 LUT, 423 FF), 135 banks of address logic, a soft-MIG board share;
    against the paper's LUT 186,251 and FF 205,704: +9.2% and -1.4%."""
    res = load_arch("zhang_fpga15").hw.resources
    assert res is not None
    parts = res.fabric_parts
    assert parts["arithmetic"] == {"lut": 448 * 411, "ff": 448 * 423}
    # weight and output buffers: 64 banks of 3,072 words (12 bits); inputs: 7 banks (15 bits)
    assert parts["buffers"] == {"lut": 128 * 68 + 7 * 80, "ff": 128 * 24 + 7 * 30}
    assert parts["infrastructure"] == {"lut": 10_000, "ff": 10_000}
    assert res.fabric_used == {"lut": 203_392, "ff": 202_786}
    assert res.fabric_available == {"lut": 303_600, "ff": 607_200}
    assert res.utilisation["lut"] == pytest.approx(0.670, abs=0.001)
    assert res.used == {"dsp": 2240, "bram18": 1153}  # blocks stay blocks


def test_published_fpga_resources_pinned_with_their_errors():
    from benchmarks.validate_area import fpga_rows

    errors = {r["case"]: r["error"] for r in fpga_rows()}
    assert errors["dsp"] == pytest.approx(0.0)
    assert errors["bram18"] == pytest.approx(0.126, abs=0.001)
    assert errors["lut"] == pytest.approx(0.092, abs=0.001)
    assert errors["ff"] == pytest.approx(-0.014, abs=0.001)


def test_lut_overflow_is_refused_naming_the_resource():
    """fp16 MACs take 2 DSPs but (assumed) the fp32 cores' LUTs: 896 of them fit the DSPs
    (1,792 of 2,800) but not the LUTs."""
    with pytest.raises(HwsimError, match=r"does not fit xc7vx485t: lut: [\d,]+ > 303,600"):
        load_arch("zhang_fpga15", {"precisions": ["fp16"], "compute.unroll": {"K": 128, "C": 7}})


def test_hardened_fp32_needs_only_buffers_and_board_logic():
    res = load_arch("zhang_fpga15", {"compute.device": "10ax115"}).hw.resources
    assert res is not None
    assert res.fabric_parts["arithmetic"] == {"lut": 0, "ff": 0}
    assert res.fabric_used["lut"] == res.fabric_parts["buffers"]["lut"] + 2_000


def test_more_macs_more_fabric():
    small = load_arch("zhang_fpga15", {"compute.unroll": {"K": 32, "C": 7}}).hw.resources
    big = load_arch("zhang_fpga15").hw.resources
    assert small is not None and big is not None
    assert big.fabric_used["lut"] > small.fabric_used["lut"]
    assert big.fabric_used["ff"] > small.fabric_used["ff"]


def test_overflow_and_utilisation_cover_blocks_and_fabric():
    res = FpgaResources("x", {"dsp": 10}, {"dsp": 20}, {"lut": 30, "ff": 5}, {"lut": 20, "ff": 10})
    assert res.overflow() == ["lut: 30 > 20"]
    assert res.utilisation == {"dsp": 0.5, "lut": 1.5, "ff": 0.5}
    legacy = FpgaResources("x", {"dsp": 30}, {"dsp": 20})  # older call shape still works
    assert legacy.overflow() == ["dsp: 30 > 20"] and legacy.fabric_used == {}

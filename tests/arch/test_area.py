"""Silicon area and leakage of ASIC-like designs, and FPGA blocks against a device: hand checks,
monotonicity, and the published cases (benchmarks/validate_area.py) pinned with their errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim import load_arch
from hwsim.arch.area import (
    MAX_MACRO_WORD_BITS,
    MUX_UM2_PER_BIT,
    PLACEMENT_UTILISATION,
    REG_UM2_PER_BIT,
    logic_area_scale,
    mac_um2_45nm,
    mac_upsizing_um2_45nm,
    sram_bank_mm2,
    sram_macro_mm2,
    timing_upsize,
)
from hwsim.arch.silicon import component_silicon, die_mm2


def test_mac_areas_by_hand():
    assert mac_um2_45nm("int8") == pytest.approx(282 + 137)  # 8b mult + 32b accumulate
    assert mac_um2_45nm("fp32") == pytest.approx(7700 + 4184)
    assert mac_um2_45nm("int4") < mac_um2_45nm("int8") < mac_um2_45nm("int16") \
        < mac_um2_45nm("fp16") < mac_um2_45nm("fp32")


def test_systolic_pe_array_by_hand():
    arch = load_arch("gemmini", {"technology_nm": 45})
    si = component_silicon(arch)
    assert si is not None
    # at gemmini's 1 GHz the 8-bit multiplier is upsized 1.38x and the 32-bit adder 1.55x;
    # registers: stationary weight, passing input, partial sum, and the weight's shadow copy
    # with its load multiplexer
    pe = 282 * 1.38 + 137 * 1.55 + (8 + 8 + 32) * REG_UM2_PER_BIT + 8 * (REG_UM2_PER_BIT
                                                                        + MUX_UM2_PER_BIT)
    assert mac_um2_45nm("int8") + mac_upsizing_um2_45nm("int8", 1e9) == pytest.approx(
        282 * 1.38 + 137 * 1.55)
    assert si.area_mm2["pe_array"] == pytest.approx(256 * pe * 1e-6 / PLACEMENT_UTILISATION)
    # edge delay lines of a 16 x 16 weight-stationary array: 120 input bytes, 120 psum words
    skew = (120 * 8 + 120 * 32) * REG_UM2_PER_BIT
    assert si.area_mm2["skew_registers"] == pytest.approx(skew * 1e-6 / PLACEMENT_UTILISATION)
    # control and clock: 7% of the whole placed block
    assert si.area_mm2["control"] == pytest.approx(0.07 * si.total_mm2)
    assert si.total_mm2 == pytest.approx(sum(si.area_mm2.values()))
    assert si.leakage_w > 0


@settings(max_examples=30, deadline=None)
@given(kib=st.floats(0.1, 8192), factor=st.floats(1.01, 16), node=st.sampled_from(
    [7, 16, 22, 28, 45, 65]))
def test_sram_grows_with_capacity_and_shrinks_with_the_node(kib, factor, node):
    assert sram_macro_mm2(kib * 1024 * factor, node) > sram_macro_mm2(kib * 1024, node)
    assert sram_macro_mm2(kib * 1024, 7) <= sram_macro_mm2(kib * 1024, node)


def test_logic_scaling_is_monotone_in_the_node():
    nodes = [7, 10, 14, 16, 20, 22, 28, 32, 45, 65, 90]
    scales = [logic_area_scale(n) for n in nodes]
    assert scales == sorted(scales) and logic_area_scale(45) == 1.0


@pytest.mark.parametrize("sets,part", [({"compute.rows": 32, "compute.cols": 32}, "pe_array"),
                                       ({"buffers.0.capacity_kib": 1024}, "scratchpad")])
def test_bigger_designs_take_more_area(sets, part):
    small, big = component_silicon(load_arch("gemmini")), component_silicon(load_arch("gemmini",
                                                                                        sets))
    assert small is not None and big is not None
    assert big.area_mm2[part] > small.area_mm2[part] and big.total_mm2 > small.total_mm2
    assert big.leakage_w > small.leakage_w


def test_every_kind_reports_its_cost():
    assert load_arch("a100").hw.area_mm2 == {"die": 826}  # datasheet die area
    assert load_arch("zhang_fpga15").hw.area_mm2 == {}  # FPGA: blocks, not mm²
    assert sum(load_arch("gs_vector").hw.area_mm2.values()) > 0


def test_static_power_defaults_to_modelled_leakage():
    explicit = load_arch("gemmini")
    modelled = load_arch("gemmini", {"static_power_w": None})
    assert explicit.hw.static_w == pytest.approx(0.05)
    assert modelled.hw.static_w == pytest.approx(modelled.hw.leakage_w)


def test_zhang_fpga15_resources_against_the_paper():
    """Zhang FPGA'15 Table 4 on the VC707: DSP 2,240 (80%), BRAM18 1,024 (50%). hwsim: 448 fp32
    MACs x (3 + 2) DSPs = 2,240 exactly; 1,153 BRAM18 for the buffers as configured (+12.6%:
    the config's 2,304 KiB were sized as 1,024 x 18 Kb with parity, the model stores 16 Kb of
    data per BRAM18 at 32-bit width)."""
    res = load_arch("zhang_fpga15").hw.resources
    assert res is not None and res.device == "xc7vx485t"
    assert res.used["dsp"] == 2240
    assert res.utilisation["dsp"] == pytest.approx(0.80)
    assert res.used["bram18"] == 1153
    assert res.used["bram18"] / 1024 - 1 == pytest.approx(0.126, abs=0.001)


def test_a_design_that_does_not_fit_is_refused_naming_the_resource():
    from hwsim.errors import SpecError

    with pytest.raises(SpecError, match=r"does not fit xc7vx485t: dsp: 3,360 > 2,800"):
        load_arch("zhang_fpga15", {"compute.unroll": {"K": 96, "C": 7}})
    fits = load_arch("zhang_fpga15", {"compute.unroll": {"K": 96, "C": 7},
                                      "compute.device": "xcu250"})
    assert fits.hw.resources is not None and fits.hw.resources.used["dsp"] == 3360


@pytest.mark.parametrize("unit", ["int_add", "int_mult", "fp_add", "fp_mult"])
def test_timing_upsizing_is_monotone_in_the_clock(unit):
    clocks = [50e6, 200e6, 400e6, 700e6, 1e9, 1.5e9]
    ups = [timing_upsize(unit, c) for c in clocks]
    assert ups == sorted(ups) and ups[0] == ups[1] == 1.0 and ups[-1] > ups[-2]
    macs = [mac_upsizing_um2_45nm("int8", c) for c in clocks]
    assert macs == sorted(macs) and macs[0] == 0.0


@settings(max_examples=30, deadline=None)
@given(kib=st.floats(0.1, 8192), words=st.lists(st.floats(8, 8192), min_size=2, max_size=2))
def test_sram_periphery_grows_with_the_word(kib, words):
    """A wider port needs more macros, each paying its own periphery: never less area."""
    narrow, wide = sorted(words)
    assert sram_bank_mm2(kib * 1024, 28, wide) >= sram_bank_mm2(kib * 1024, 28, narrow) * (
        1 - 1e-12)
    assert sram_bank_mm2(kib * 1024, 28, MAX_MACRO_WORD_BITS) == sram_macro_mm2(kib * 1024, 28)


def test_sram_array_efficiency_grows_with_the_macro():
    """Cell area over macro area (periphery share falls) never decreases with the macro size,
    and a compiled macro costs more than its bare cells at every size."""
    sizes = [64, 128, 512, 1024, 4096, 8192, 65536, 1 << 20]
    effs = [n * 8 * 0.127e-6 / sram_macro_mm2(n, 28) for n in sizes]
    assert effs == sorted(effs) and max(effs) < 1


def test_pad_ring_is_monotone():
    assert die_mm2(0.0) == pytest.approx(1.0 ** 2 * 0.25)  # 0.5 mm square of ring alone
    cores = [1, 4, 12.25, 100]
    dies = [die_mm2(c) for c in cores]
    assert dies == sorted(dies) and all(d > c for d, c in zip(dies, cores, strict=True))
    assert die_mm2(12.25) == pytest.approx(16.0)  # Eyeriss: 3.5 mm core, 4.0 mm die
    assert die_mm2(4, 0.1) < die_mm2(4, 0.25) < die_mm2(4, 0.5)


def test_published_areas_pinned_with_their_errors():
    """The component model against published chips (benchmarks/data/area_validation.txt). It
    counts the datapath upsized for its clock, registers (each stationary operand with its
    shadow copy, the array's edge delay lines), compiled SRAM macros, control and clock as a
    share of the whole block, placement, the pad ring for a whole die, and the flip-flops an
    arch declares for units its schema does not describe. None of these constants was fitted to
    a row below. The NVDLA nv_full rows describe the chip from its v1 RTL: 16-bit PEs that pack
    two int8 MACs (alone: -57% -> -55%) and the 823,777 flip-flops of its units around the MACs
    (-> -20%; their combinational logic is still left out). Held out, ShiDianNao (SRAM-heavy,
    65 nm) is +12%. Eyeriss, DianNao and the TPU matrix unit stay low; Eyeriss's logic is +18%
    of its published gate count (test_eyeriss_logic_against_its_gate_count), so its shortfall
    is in its SRAM (a 108 KB buffer and 168 448-byte scratchpads) and layout; the TPU rows are
    upper bounds (die <= 331 mm²). Pinned so that a change shows."""
    from benchmarks.validate_area import breakdown_rows, rows, summary

    errors = {r["case"]: r["error"] for r in rows()}
    expected = {
        "Eyeriss core, 65 nm": -0.47, "TPU v1 matrix unit, 28 nm": -0.63,
        "TPU v1 unified buffer, 28 nm": -0.13, "TPU v1 accumulators, 28 nm": -0.30,
        "DianNao, 65 nm": -0.30, "ShiDianNao, 65 nm": 0.12,
        "NVDLA 2048 MACs 512 KB, 28 nm": -0.20,
        "NVDLA 2048 MACs 512 KB, 16 nm": -0.29, "NVDLA 256 MACs 256 KB, 28 nm": -0.48,
    }
    assert set(errors) == set(expected)
    for case, err in expected.items():
        assert errors[case] == pytest.approx(err, abs=0.01), case
    mean, worst = summary(list(errors.values()))
    assert mean == pytest.approx(0.33, abs=0.01) and worst == pytest.approx(0.63, abs=0.01)
    parts = {r["case"]: r["error"] for r in breakdown_rows()}
    assert parts["DianNao NFU (28.0%)"] == pytest.approx(0.31, abs=0.02)
    assert parts["DianNao SB (38.2%)"] == pytest.approx(-0.40, abs=0.02)
    assert parts["DianNao NBin (14.2%)"] == pytest.approx(-0.90, abs=0.02)


def test_leakage_follows_the_components():
    """Leakage is the placed logic cells x 10 mW/mm² plus SRAM bits x 16.5 pW. TPU v1: 0.216 ->
    0.318 W, because control and clock (logic cells) are now 7% of the whole block, memories
    included, not of the logic alone (1.9 -> 9.9 mm² placed), and the weights' shadow registers
    and the edge delay lines add logic cells."""
    si = component_silicon(load_arch("tpu_v1"))
    assert si is not None
    assert si.leakage_w == pytest.approx(0.318, abs=0.002)


def test_a_pe_that_packs_two_int8_macs_costs_one_16_bit_pe():
    """NVDLA v1's MAC cells: 16-bit multipliers that split into two int8 ones. rows x cols
    counts the PEs; int8 runs at twice their rate; the area is that of the 16-bit array."""
    packed = load_arch("gemmini", {"technology_nm": 45, "precisions": ["int8", "int16"],
                                   "compute.int8_macs_per_pe": 2})
    assert packed.num_pes == 2 * 16 * 16
    assert packed.compute.peak_macs_per_cycle(1e9, "int16") == 256
    si = component_silicon(packed)
    assert si is not None
    # 16-bit multiplier 282 x 2^1.816 = 993 µm² upsized 1.38x, int32 adder 137 x 1.55; stationary,
    # passing and shadow 16-bit operands, a 32-bit partial sum
    assert mac_um2_45nm("int16") == pytest.approx(282 * 2 ** 1.8158 + 137, rel=1e-4)
    pe = (mac_um2_45nm("int16") + mac_upsizing_um2_45nm("int16", 1e9)
          + (16 + 16 + 32) * REG_UM2_PER_BIT + 16 * (REG_UM2_PER_BIT + MUX_UM2_PER_BIT))
    assert si.area_mm2["pe_array"] == pytest.approx(256 * pe * 1e-6 / PLACEMENT_UTILISATION)
    # the same as 256 plain int16 PEs; 10% more than two int8 PEs each (2,089 vs 2 x 950 µm²)
    plain16 = component_silicon(load_arch("gemmini", {"technology_nm": 45,
                                                      "precisions": ["int16"]}))
    int8 = component_silicon(load_arch("gemmini", {"technology_nm": 45, "compute.cols": 32}))
    assert plain16 is not None and int8 is not None
    assert si.area_mm2["pe_array"] == pytest.approx(plain16.area_mm2["pe_array"])
    assert si.area_mm2["pe_array"] / int8.area_mm2["pe_array"] == pytest.approx(1.10, abs=0.01)


def test_packing_needs_a_16_bit_precision():
    from hwsim.errors import SpecError

    with pytest.raises(SpecError, match="int8_macs_per_pe"):
        load_arch("gemmini", {"compute.int8_macs_per_pe": 2})  # int8 only
    with pytest.raises(SpecError, match="int8_macs_per_pe"):
        load_arch("gemmini", {"precisions": ["int16"], "compute.int8_macs_per_pe": 2})


def test_other_logic_flip_flops_by_hand():
    """Units outside the schema, declared by their RTL flip-flop count: register bits at the
    node, placed, and leaking as logic cells."""
    base = load_arch("gemmini", {"technology_nm": 45})
    more = load_arch("gemmini", {"technology_nm": 45, "other_logic_flip_flops": 100_000})
    a, b = component_silicon(base), component_silicon(more)
    assert a is not None and b is not None and "other_units" not in a.area_mm2
    cells = 100_000 * REG_UM2_PER_BIT * 1e-6  # 0.598 mm² of flip-flops at 45 nm
    assert b.area_mm2["other_units"] == pytest.approx(cells / PLACEMENT_UTILISATION)
    # control and clock stay 7% of the whole block, so the total grows by 1 / 0.93 of it
    assert b.total_mm2 - a.total_mm2 == pytest.approx(cells / PLACEMENT_UTILISATION / 0.93)
    assert b.leakage_w - a.leakage_w == pytest.approx(cells / 0.93 * 0.010)


@pytest.mark.parametrize("cols", [1, 2, 4, 8, 16])
def test_area_is_monotone_in_pes_and_buffer(cols):
    """More 16-bit PEs or a larger buffer never take less area (NVDLA-like arrays)."""
    def total(c: int, kib: int) -> float:
        si = component_silicon(load_arch("gemmini", {
            "precisions": ["int8", "int16"], "compute.rows": 64, "compute.cols": c,
            "compute.int8_macs_per_pe": 2, "buffers.0.capacity_kib": kib}))
        assert si is not None
        return si.total_mm2
    assert total(cols, 128) < total(2 * cols, 128) < total(2 * cols, 512)


def test_nvdla_full_is_described_as_built():
    """nv_full in the validation: 1,024 16-bit PEs doing 2,048 int8 MACs per cycle, the CBUF in
    16 banks of 32 KiB read 64 bytes each (two 256-bit macros per bank), the CACC as 36 macros
    of 1 KiB, and its other units as 823,777 flip-flops: 0.82 M x 5.98 µm² x the 28 nm logic
    scale (0.368) = 1.81 mm² of cells."""
    from benchmarks.validate_area import NVDLA_FULL_OTHER_FLIP_FLOPS, _nvdla

    arch = load_arch("gemmini", _nvdla(2048, 512, 28, NVDLA_FULL_OTHER_FLIP_FLOPS))
    assert arch.num_pes == 2048 and arch.compute.peak_macs_per_cycle(1e9, "int16") == 1024
    si = component_silicon(arch)
    assert si is not None
    assert si.area_mm2["cbuf"] == pytest.approx(32 * sram_macro_mm2(16 * 1024, 28)
                                                / PLACEMENT_UTILISATION)
    assert si.area_mm2["cacc"] == pytest.approx(36 * sram_macro_mm2(1024, 28)
                                                / PLACEMENT_UTILISATION)
    cells = NVDLA_FULL_OTHER_FLIP_FLOPS * REG_UM2_PER_BIT * logic_area_scale(28) * 1e-6
    assert cells == pytest.approx(1.81, abs=0.01)
    assert si.area_mm2["other_units"] * PLACEMENT_UTILISATION == pytest.approx(cells)


def test_packed_int8_pes_run_int8_at_twice_the_rate():
    """A 16 x 16 array of 16-bit PEs that split into two int8 units: an int8 layer folds over
    32 columns of the GEMM (half the folds of the plain 16 x 16 array), an int16 layer over 16;
    the skew stays that of 16 physical columns. Row stationary refuses packing."""
    from hwsim.errors import SpecError
    from hwsim.model.loopnest import LoopNest
    from hwsim.model.targets.systolic import fold_cycles, systolic_array

    assert fold_cycles("ws", 16, 16, 100, 64, 64, 2) == (4 * 2, 2 * 16 + 16 + 100 - 2)
    assert fold_cycles("ws", 16, 16, 100, 64, 64) == (4 * 4, 2 * 16 + 16 + 100 - 2)
    packed = load_arch("gemmini", {"precisions": ["int8", "int16"],
                                   "compute.int8_macs_per_pe": 2}).hw
    plain = load_arch("gemmini", {"precisions": ["int8", "int16"]}).hw
    gemm = {"G": 1, "N": 100, "K": 64, "C": 64, "P": 1, "Q": 1, "R": 1, "S": 1, "H": 1, "W": 1}
    i8, i16 = LoopNest(**gemm, precision="int8"), LoopNest(**gemm, precision="int16")
    a, b = systolic_array(i8, packed), systolic_array(i8, plain)
    assert a.num_pes == 512 and b.num_pes == 256 and a.lanes == 32
    assert a.cycles == 8 * 146 - 1 and b.cycles == 16 * 146 - 1
    assert systolic_array(i16, packed).cycles == b.cycles
    with pytest.raises(SpecError, match="row stationary"):
        load_arch("eyeriss", {"precisions": ["int8", "int16"], "compute.int8_macs_per_pe": 2})


def test_packed_array_counts_its_pes_whatever_precision_comes_first():
    """A packed array has rows x cols PEs at every precision: its mesh has that many routers
    and an int8 run reports the same utilization whether int8 or int16 is listed first."""
    from hwsim import evaluate, load_workload

    base = {"technology_nm": 45, "compute.int8_macs_per_pe": 2, "interconnect.topology": "mesh"}
    a = load_arch("gemmini", {**base, "precisions": ["int8", "int16"]})
    b = load_arch("gemmini", {**base, "precisions": ["int16", "int8"]})
    assert a.pe_count == b.pe_count == 256 and a.num_pes == 512 and b.num_pes == 256
    sa, sb = component_silicon(a), component_silicon(b)
    assert sa is not None and sb is not None
    assert sa.area_mm2["noc_routers"] == pytest.approx(sb.area_mm2["noc_routers"])
    from hwsim.workload.graph import build_workload

    w = load_workload("lenet5")
    wl = build_workload(w.name, w.layers, w.batch, "int8")  # int8 on both
    ra, rb = evaluate(wl, a), evaluate(wl, b)
    assert ra.totals["latency_s"] == rb.totals["latency_s"]
    assert ra.totals["utilization"] == pytest.approx(rb.totals["utilization"])
    assert 0 < ra.totals["utilization"] <= 1


def test_eyeriss_logic_against_its_gate_count():
    """Eyeriss's logic (JSSC 2017 Table IV: 1,176k NAND2 equivalents, SRAM excluded) against the
    model's cells outside its SRAM macros, control included: within 20% (+18%), while its core is
    -47%: what the model misses on Eyeriss is SRAM and layout, not logic."""
    from benchmarks.validate_area import logic_gate_row

    assert logic_gate_row()["error"] == pytest.approx(0.18, abs=0.01)
    # Table IV's on-chip SRAM, 181.5 KB, is the config's global buffer and filter scratchpads
    # (its ifmap and psum scratchpads are registers, so the gate count holds them).
    arch = load_arch("eyeriss")
    assert sum(b.capacity_kib for b in arch.buffers if b.capacity_kib * 1024 > 64) == 181.5

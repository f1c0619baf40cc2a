"""Arch specs: bundled configs load, bad specs give located errors, energy tables hold."""

from __future__ import annotations

import itertools

import pytest

from hwsim.arch.energy import (
    MAC_PJ_45NM,
    SRAM_64BIT_READ_PJ,
    sram_pj_per_bit_45nm,
    tech_scale,
    wire_pj_per_bit_mm,
)
from hwsim.arch.load import arch_from_data, load_arch
from hwsim.errors import SpecError
from hwsim.yamlio import parse_yaml
from tests.conftest import ARCH_DIR

BUNDLED = sorted(p.stem for p in ARCH_DIR.glob("*.yaml"))


def test_required_configs_are_bundled():
    assert {"zhang_fpga15", "arria10_ma17", "tpu_v1", "gemmini", "eyeriss"} <= set(BUNDLED)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_arch_loads(name):
    arch = load_arch(ARCH_DIR / f"{name}.yaml")
    assert arch.num_pes > 0
    assert arch.clock_hz > 0
    hw = arch.hw  # resolved once, at load
    for p in arch.precisions:
        assert hw.mac_pj[p] > 0 and hw.alu_pj[p] > 0
    assert hw.dram_bytes_per_s == pytest.approx(arch.dram.bandwidth_gbps * 1e9
                                                * arch.dram.achievable_fraction)
    assert hw.dram_pj_per_byte == pytest.approx(8 * arch.dram.energy_pj_per_bit)
    assert all(lv.read_pj_per_byte > 0 and lv.capacity_bytes > 0 for lv in hw.levels)
    assert {op: hw.level_of(op).name for op in ("weights", "inputs", "outputs")}


@pytest.mark.parametrize("name", BUNDLED)
def test_every_number_has_a_source_comment(name):
    """Physical numbers cite where they come from: each numeric line has a comment or a
    `source` in its section."""
    text = (ARCH_DIR / f"{name}.yaml").read_text()
    assert text.lstrip().startswith("#"), "config starts with a comment naming its source"
    for key in ("clock_mhz", "bandwidth_gbps", "energy_pj_per_bit", "technology_nm"):
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(key))
        assert "#" in line, f"{key} has no source comment: {line}"


def test_tpu_peak():
    arch = load_arch(ARCH_DIR / "tpu_v1.yaml")
    # 65536 MACs x 2 ops x 700 MHz = 91.75 TOPS (Jouppi et al.: 92 TOPS).
    assert arch.num_pes * 2 * arch.clock_hz == pytest.approx(91.75e12, rel=1e-3)


BASE = """\
name: t
kind: systolic
technology_nm: 28
clock_mhz: 500
precisions: [int8]
compute: {rows: 8, cols: 8, dataflow: ws}
dram:
  bandwidth_gbps: 10
  energy_pj_per_bit: 20
buffers:
  - {name: sram, holds: [weights, inputs, outputs], capacity_kib: 64}
"""


def _load(text: str):
    data, lines = parse_yaml(text, "a.yaml")
    return arch_from_data(data, lines)


def test_base_loads():
    assert _load(BASE).num_pes == 64


@pytest.mark.parametrize(
    ("old", "new", "line", "needle"),
    [
        ("bandwidth_gbps: 10", "bandwidth_gbps: 0", 8, "bandwidth_gbps"),
        ("dataflow: ws", "dataflow: xs", 6, "dataflow"),  # no such dataflow
        ("kind: systolic", "kind: quantum", 2, "kind"),
        ("clock_mhz: 500", "clock_mhz: fast", 4, "clock_mhz"),
        ("capacity_kib: 64", "capacity_kib: 64, colour: red", 11, "colour"),
        ("holds: [weights, inputs, outputs]", "holds: [weights, inputs]", None, "outputs"),
        ("  energy_pj_per_bit: 20\n", "", 7, "energy_pj_per_bit"),
    ],
)
def test_bad_arch_is_located(old, new, line, needle):
    assert old in BASE
    with pytest.raises(SpecError) as ei:
        _load(BASE.replace(old, new))
    msg = str(ei.value)
    assert msg.startswith("a.yaml")
    if line is not None:
        assert msg.startswith(f"a.yaml:{line}:"), msg
    assert needle in msg


def test_missing_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError, match="file not found"):
        load_arch(tmp_path / "nope.yaml")


def test_horowitz_numbers_and_fit():
    assert MAC_PJ_45NM["fp32"] == pytest.approx(3.7 + 0.9)
    assert MAC_PJ_45NM["int8"] == pytest.approx(0.2 + 0.1)
    for cap, e64 in SRAM_64BIT_READ_PJ.items():
        assert sram_pj_per_bit_45nm(cap) * 64 == pytest.approx(e64, rel=0.14)


def test_tech_scaling_monotone():
    nodes = [180, 130, 90, 65, 45, 32, 28, 20, 16, 14, 10, 7]
    scales = [tech_scale(n) for n in nodes]
    assert tech_scale(45) == 1.0
    assert all(a > b for a, b in itertools.pairwise(scales))
    assert wire_pj_per_bit_mm(7) <= wire_pj_per_bit_mm(28) <= wire_pj_per_bit_mm(65)

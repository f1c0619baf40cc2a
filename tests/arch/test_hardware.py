"""The arch resolved into numbers at load: values, and problems reported there (located, exit 2)
instead of deep inside a layer."""

from __future__ import annotations

import pytest

from hwsim import load_arch
from hwsim.arch.energy import sram_pj_per_bit_45nm, tech_scale
from hwsim.cli import main
from hwsim.errors import SpecError
from tests.conftest import TINY_FPGA, make_arch


def test_resolved_numbers_match_the_spec():
    hw = make_arch(TINY_FPGA).hw
    assert hw.clock_hz == 100e6
    assert hw.dram_bytes_per_s == 1e9
    assert hw.dram_pj_per_byte == 80.0
    assert hw.mac_pj == {"int8": 1.0} and hw.alu_pj == {"int8": 0.1}
    assert [lv.name for lv in hw.levels] == ["ibuf", "wbuf", "obuf"]
    assert hw.level_of("weights").name == "wbuf"
    assert hw.level_of("inputs").read_pj_per_byte == pytest.approx(0.8)
    assert hw.hop_pj_per_bit == pytest.approx(0.1)
    assert hw.static_w == pytest.approx(0.001)
    assert not hw.overlap  # none of TINY_FPGA's buffers is double-buffered
    assert hw.rf_pj_per_byte is None


def test_default_energies_follow_the_node_and_bank_size():
    arch = load_arch("gemmini")
    hw = arch.hw
    scale = tech_scale(arch.technology_nm)
    for spec_buf in (b for b in arch.buffers if not b.per_pe):
        if spec_buf.read_energy_pj_per_bit is None:
            lv = next(lv for lv in hw.levels if lv.name == spec_buf.name)
            per_bank = spec_buf.capacity_kib * 1024 / spec_buf.banks
            assert lv.read_pj_per_byte == pytest.approx(8 * sram_pj_per_bit_45nm(per_bank) * scale)


def test_gpu_overlaps_and_its_l2_port_is_the_l2_bandwidth():
    arch = load_arch("a100")
    hw = arch.hw
    assert hw.overlap  # warps hide memory behind math even though L2 is not double-buffered
    assert hw.levels[0].port_bytes_per_s == arch.compute.l2_bandwidth_gbps * 1e9
    assert hw.launch_s == pytest.approx(arch.compute.launch_overhead_us * 1e-6)


def test_gpu_without_room_for_a_tile_is_refused_at_load():
    with pytest.raises(SpecError, match="no thread-block tile fits 1 KiB") as err:
        load_arch("a100", {"compute.smem_kib_per_sm": 1})
    assert err.value.field == "compute.smem_kib_per_sm" and err.value.line is not None


def test_gpu_precision_without_cuda_core_rate_is_refused():
    with pytest.raises(SpecError, match="no CUDA-core peak for bf16"):
        load_arch("a100", {"compute.cuda_tflops": {"fp16": 78}})


def test_disconnected_pe_graph_is_refused_at_load():
    with pytest.raises(SpecError, match="not connected") as err:
        load_arch("zhang_fpga15", {"compute.unroll": {"K": 2, "C": 2},
                                   "interconnect.topology": "graph",
                                   "interconnect.edges": [[0, 1], [2, 3]]})
    assert err.value.field == "interconnect.edges"


def test_graph_topology_needs_edges():
    with pytest.raises(SpecError, match="needs an explicit PE graph"):
        load_arch("zhang_fpga15", {"interconnect.topology": "graph"})


@pytest.mark.parametrize("sets", [
    ["compute.smem_kib_per_sm=1"],
    ["compute.unroll={K: 2, C: 2}", "interconnect.topology=graph",
     "interconnect.edges=[[0, 1], [2, 3]]"],
])
def test_cli_reports_unrunnable_hardware_in_one_line(capsys, sets):
    arch = "a100" if "smem" in sets[0] else "zhang_fpga15"
    argv = ["run", "--arch", arch, "--workload", "lenet5"]
    for s in sets:
        argv += ["--set", s]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("hwsim: error: ") and err.count("\n") == 1
    assert "Traceback" not in err and ".yaml:" in err


def test_copy_with_changes_is_resolved_anew():
    arch = load_arch("gemmini")
    assert arch.hw.clock_hz == 1e9
    faster = arch.model_copy(update={"clock_mhz": 2000})
    assert faster.hw.clock_hz == 2e9 and arch.hw.clock_hz == 1e9


def test_pe_graph_must_cover_exactly_the_pes():
    with pytest.raises(SpecError, match="leaves 2 of the 4 PEs out"):
        load_arch("zhang_fpga15", {"compute.unroll": {"K": 2, "C": 2},
                                   "interconnect.topology": "graph",
                                   "interconnect.edges": [[0, 1]]})
    with pytest.raises(SpecError, match=r"outside 0\.\.3"):
        load_arch("zhang_fpga15", {"compute.unroll": {"K": 2, "C": 2},
                                   "interconnect.topology": "graph",
                                   "interconnect.edges": [[0, 1], [1, 2], [2, 3], [3, 7]]})
    ring = load_arch("zhang_fpga15", {"compute.unroll": {"K": 2, "C": 2},
                                      "interconnect.topology": "graph",
                                      "interconnect.edges": [[0, 1], [1, 2], [2, 3], [3, 0]]})
    assert ring.hw.graph_path_hops == pytest.approx(4 / 3)  # 1, 1, 2 hops from each PE


@pytest.mark.parametrize("sets", [{"compute.tiles": [[0, 0]]}, {"compute.tiles": [[64, -128]]},
                                  {"compute.cuda_tflops": {"fp32": 0}},
                                  {"compute.tensor_tflops": {"fp16": 0}}])
def test_gpu_rates_and_tiles_must_be_positive(sets):
    with pytest.raises(SpecError):
        load_arch("a100", sets)

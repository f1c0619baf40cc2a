"""Hostile accelerator YAML: every numeric field x every bad value, wrong types, structure."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial._harness import (
    ARCH,
    WORKLOAD,
    Case,
    check_cli,
    dotted,
    dump,
    line_of,
    set_at,
)

BIG = 2**63
COMMON: list[tuple[str, Any]] = [
    ("nan", float("nan")), ("inf", float("inf")), ("-inf", float("-inf")), ("1e308", 1e308),
    ("2p63", BIG), ("2p64", 2**64), ("-2p63m1", -(BIG) - 1), ("text", "lots"),
    ("list", [1]), ("map", {"a": 1}), ("true", True), ("false", False),
]
POSITIVE: list[tuple[str, Any]] = [("zero", 0), ("neg", -1), ("negtiny", -1e-9)]
NONNEG: list[tuple[str, Any]] = [("neg", -1), ("negtiny", -1e-9)]
FRACTION: list[tuple[str, Any]] = [("zero", 0), ("neg", -0.5), ("above1", 1.5)]
INT: list[tuple[str, Any]] = [("frac", 2.5)]

# field path -> the bad values beyond COMMON
SYSTOLIC_FIELDS: dict[str, list[tuple[str, Any]]] = {
    "technology_nm": POSITIVE,
    "clock_mhz": POSITIVE,
    "compute.rows": POSITIVE + INT,
    "compute.cols": POSITIVE + INT,
    "compute.vector_lanes": POSITIVE + INT,
    "dram.bandwidth_gbps": POSITIVE,
    "dram.achievable_fraction": FRACTION,
    "dram.burst_bytes": POSITIVE + INT,
    "dram.capacity_gib": POSITIVE,
    "dram.energy_pj_per_bit": POSITIVE,
    "dram.static_power_w": NONNEG,
    "buffers.0.capacity_kib": POSITIVE,
    "buffers.0.banks": POSITIVE + INT,
    "buffers.0.bandwidth_bytes_per_cycle": POSITIVE,
    "buffers.0.read_energy_pj_per_bit": NONNEG,
    "buffers.0.write_energy_pj_per_bit": NONNEG,
    "buffers.1.capacity_kib": POSITIVE,
    "interconnect.hop_mm": POSITIVE,
    "interconnect.energy_pj_per_bit_mm": NONNEG,
    "static_power_w": NONNEG,
    "sparsity.weights.run_bits": POSITIVE + INT + [("17", 17)],
    "energy.mac_pj.int8": NONNEG,
    "link.bandwidth_gbps": POSITIVE,
    "link.energy_pj_per_bit": POSITIVE,
}

GPU = {
    "name": "gpu", "kind": "tensor_core", "technology_nm": 7, "clock_mhz": 1410,
    "precisions": ["fp16"],
    "compute": {"sms": 4, "tensor_tflops": {"fp16": 20.0}, "cuda_tflops": {"fp16": 2.0},
                "sparse_tflops": {"fp16": 40.0}, "smem_kib_per_sm": 164,
                "l2_bandwidth_gbps": 2000, "launch_overhead_us": 4.0, "gemm_efficiency": 0.8,
                "sparse_efficiency": 0.7, "block_efficiency": 0.5, "csr_efficiency": 0.3,
                "k_tile": 32, "stages": 3, "max_blocks_per_sm": 32, "die_area_mm2": 800,
                "tdp_w": 300, "tiles": [[128, 128], [64, 64]]},
    "dram": {"bandwidth_gbps": 1555, "energy_pj_per_bit": 7.0},
    "buffers": [{"name": "l2", "holds": ["weights", "inputs", "outputs"], "capacity_kib": 40960}],
}
GPU_FIELDS: dict[str, list[tuple[str, Any]]] = {
    "compute.sms": POSITIVE + INT,
    "compute.tensor_tflops.fp16": POSITIVE,
    "compute.cuda_tflops.fp16": POSITIVE,
    "compute.sparse_tflops.fp16": POSITIVE,
    "compute.smem_kib_per_sm": POSITIVE,
    "compute.l2_bandwidth_gbps": POSITIVE,
    "compute.launch_overhead_us": NONNEG,
    "compute.gemm_efficiency": FRACTION,
    "compute.csr_efficiency": FRACTION,
    "compute.k_tile": POSITIVE + INT,
    "compute.stages": POSITIVE + INT,
    "compute.tiles.0.0": POSITIVE + INT,
    "compute.die_area_mm2": POSITIVE,
}

SPAD = {
    "name": "spad", "kind": "scratchpad", "technology_nm": 16, "clock_mhz": 1000,
    "precisions": ["int8"],
    "compute": {"cores": 2, "lanes": 8, "banks": 8, "gather_ports": 1, "index_bits": 16,
                "row_overhead_cycles": 4.0},
    "dram": {"bandwidth_gbps": 25.6, "energy_pj_per_bit": 20.0},
    "buffers": [{"name": "spm", "holds": ["weights", "inputs", "outputs"], "capacity_kib": 256}],
}
SPAD_FIELDS: dict[str, list[tuple[str, Any]]] = {
    "compute.cores": POSITIVE + INT,
    "compute.lanes": POSITIVE + INT,
    "compute.banks": POSITIVE + INT,
    "compute.index_bits": POSITIVE + INT,
    "compute.row_overhead_cycles": NONNEG,
}

FPGA = {
    "name": "fpga", "kind": "fpga", "technology_nm": 28, "clock_mhz": 100,
    "precisions": ["fp32"], "compute": {"unroll": {"K": 8, "C": 4}},
    "dram": {"bandwidth_gbps": 4.5, "energy_pj_per_bit": 20.0},
    "buffers": [{"name": "bram", "holds": ["weights", "inputs", "outputs"], "capacity_kib": 512}],
}
FPGA_FIELDS: dict[str, list[tuple[str, Any]]] = {"compute.unroll.K": POSITIVE + INT}


def _field_cases() -> list[Case]:
    cases: list[Case] = []
    for base_name, base, table in (("systolic", ARCH, SYSTOLIC_FIELDS), ("gpu", GPU, GPU_FIELDS),
                                   ("spad", SPAD, SPAD_FIELDS), ("fpga", FPGA, FPGA_FIELDS)):
        for path, extra in table.items():
            for label, value in COMMON + extra:
                text = dump(set_at(copy.deepcopy(base), path, value))
                field = dotted(path)
                if path.startswith(("compute.tensor_tflops", "compute.cuda_tflops",
                                    "compute.sparse_tflops", "energy.mac_pj",
                                    "compute.tiles", "compute.unroll")):
                    field = dotted(path.rsplit(".", 2 if "tiles" in path else 1)[0])
                cases.append(Case(
                    f"{base_name}:{path}={label}",
                    ["run", "--arch", "{tmp}/a.yaml", "--workload", "{tmp}/w.yaml"],
                    files={"a.yaml": text, "w.yaml": dump(WORKLOAD)},
                    expect=[f"a.yaml:{line_of(text, path)}:", f"field '{field}"]))
    return cases


def _structure_cases() -> list[Case]:
    """Shapes of a whole file or section that are wrong."""
    w = dump(WORKLOAD)
    run = ["run", "--arch", "{tmp}/a.yaml", "--workload", "{tmp}/w.yaml"]
    out: list[tuple[str, str, list[str]]] = [
        ("empty-file", "", ["a.yaml"]),
        ("only-comment", "# nothing\n", ["a.yaml"]),
        ("scalar", "42\n", ["a.yaml:1"]),
        ("list-top", "- 1\n- 2\n", ["a.yaml:1"]),
        ("string-top", "hello\n", ["a.yaml:1"]),
        ("bad-yaml", "name: [unclosed\n", ["a.yaml:"]),
        ("tab-indent", "name: x\n\tkind: systolic\n", ["a.yaml:"]),
        ("binary", "\x00\x01\x02", ["a.yaml"]),
        ("multi-doc", dump(ARCH) + "---\n" + dump(ARCH), ["a.yaml:"]),
        ("python-tag", "name: !!python/object/apply:os.system ['true']\n", ["a.yaml:1"]),
        ("dup-key", dump(ARCH) + "clock_mhz: 100\n", ["a.yaml:", "duplicate key"]),
    ]
    variants: list[tuple[str, str, Any, bool]] = [
        ("kind-unknown", "kind", "quantum", False),
        ("kind-number", "kind", 3, False),
        ("kind-missing", "kind", None, True),
        ("name-missing", "name", None, True),
        ("name-list", "name", ["a"], False),
        ("compute-list", "compute", [1, 2], False),
        ("compute-missing", "compute", None, True),
        ("compute-string", "compute", "big", False),
        ("dram-list", "dram", [1], False),
        ("dram-missing", "dram", None, True),
        ("buffers-empty", "buffers", [], False),
        ("buffers-map", "buffers", {"name": "x"}, False),
        ("buffers-missing", "buffers", None, True),
        ("precisions-empty", "precisions", [], False),
        ("precisions-unknown", "precisions", ["int7"], False),
        ("precisions-string", "precisions", "int8", False),
        ("dataflow-unknown", "compute.dataflow", "diagonal", False),
        ("dataflow-missing", "compute.dataflow", None, True),
        ("rows-missing", "compute.rows", None, True),
        ("unknown-top", "clock_ghz", 1, False),
        ("unknown-compute", "compute.row", 16, False),
        ("unknown-dram", "dram.bandwith_gbps", 16, False),
        ("unknown-buffer", "buffers.0.size", 4, False),
        ("holds-empty", "buffers.0.holds", [], False),
        ("holds-unknown", "buffers.0.holds", ["biases"], False),
        ("holds-string", "buffers.0.holds", "weights", False),
        ("buffer-dup-name", "buffers", [ARCH["buffers"][0], ARCH["buffers"][0]], False),
        ("no-output-holder", "buffers", [ARCH["buffers"][0]], False),
        ("double-buffered-text", "buffers.0.double_buffered", "maybe", False),
        ("per-pe-text", "buffers.0.per_pe", "often", False),
        ("topology-unknown", "interconnect.topology", "torus", False),
        ("format-unknown", "sparsity.weights.format", "zip", False),
        ("skip-unknown", "sparsity.skip", "everything", False),
        ("nm-5-4", "sparsity.nm", [5, 4], False),
        ("nm-0-4", "sparsity.nm", [0, 4], False),
        ("nm-one", "sparsity.nm", [2], False),
        ("nm-neg", "sparsity.nm", [-2, 4], False),
        ("bcsr-block-0", "sparsity.weights.block", [0, 4], False),
        ("bcsr-block-neg", "sparsity.weights.block", [4, -4], False),
        ("skip-block-0", "sparsity.block", [0, 4], False),
        ("skip-block-big", "sparsity.block", [2**63, 4], False),
        ("gating-text", "sparsity.gating", "yes please", False),
        ("attention-unknown", "attention", "flash", False),
        ("energy-unknown-precision", "energy.mac_pj", {"int7": 1.0}, False),
        ("link-kind", "link.kind", "ethernet", False),
        ("sources-list", "sources", ["a"], False),
    ]
    cases = [Case(f"structure:{n}", run, files={"a.yaml": t, "w.yaml": w}, expect=e)
             for n, t, e in out]
    for name, path, value, delete in variants:
        text = dump(set_at(copy.deepcopy(ARCH), path, value, delete=delete))
        if delete:
            expect = ["a.yaml:", path.rsplit(".", 1)[-1]]
        else:  # the key's line, or its first item's for a block list
            line = line_of(text, path)
            expect = ["a.yaml:", f"field '{dotted(path)}"]
            cases.append(Case(f"structure:{name}", run, files={"a.yaml": text, "w.yaml": w},
                              expect=expect, lines=(line, line + 1, line + 2)))
            continue
        cases.append(Case(f"structure:{name}", run, files={"a.yaml": text, "w.yaml": w},
                          expect=expect))
    edges = copy.deepcopy(ARCH)
    edges["interconnect"] = {"topology": "graph", "edges": [[0, 1], [1, 999]]}
    cases.append(Case("structure:edge-to-missing-node", run,
                      files={"a.yaml": dump(edges), "w.yaml": w}, expect=["a.yaml:", "edges"]))
    edges["interconnect"] = {"topology": "graph"}
    cases.append(Case("structure:graph-without-edges", run,
                      files={"a.yaml": dump(edges), "w.yaml": w}, expect=["a.yaml:", "edges"]))
    edges["interconnect"] = {"topology": "graph", "edges": [[0, -1]]}
    cases.append(Case("structure:edge-negative-node", run,
                      files={"a.yaml": dump(edges), "w.yaml": w}, expect=["a.yaml:", "edges"]))
    return cases


CASES = _field_cases() + _structure_cases()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_arch_yaml(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_cli(case, tmp_path, capsys)

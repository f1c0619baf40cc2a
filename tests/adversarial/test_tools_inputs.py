"""Hostile sweep specs, pareto and plot inputs, and importer inputs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tests.adversarial._harness import ARCH, BOMB, WORKLOAD, Case, check_cli, dump

FILES = {"a.yaml": dump(ARCH), "w.yaml": dump(WORKLOAD)}
TORCH = ["import", "torch", "{tmp}/m.py", "--model", "Net", "--input-shape", "1,3,8,8", "-o",
         "{tmp}/o.yaml"]
SPEC = "name: s\narch: a.yaml\nworkloads: [w.yaml]\n"
SWEEP = ["sweep", "{tmp}/s.yaml", "-o", "{tmp}/out.parquet", "-q"]

SPECS: dict[str, str] = {
    "empty": "", "list": "- 1\n", "no-arch": "workloads: [w.yaml]\n",
    "no-workloads": "arch: a.yaml\n", "workloads-empty": "arch: a.yaml\nworkloads: []\n",
    "arch-missing": "arch: nope.yaml\nworkloads: [w.yaml]\n",
    "workload-missing": "arch: a.yaml\nworkloads: [nope.yaml]\n",
    "unknown-top": SPEC + "speed: 3\n", "objective": SPEC + "objective: speed\n",
    "outputs": SPEC + "outputs: everything\n", "batch-zero": SPEC + "batch: 0\n",
    "batch-bool": SPEC + "batch: true\n", "batch-huge": SPEC + "batch: 1e30\n",
    "chunk-zero": SPEC + "chunk_size: 0\n",
    "param-unknown-path": SPEC + "parameters:\n- params:\n    compute.row: {values: [8]}\n",
    "param-no-kind": SPEC + "parameters:\n- params:\n    compute.rows: {}\n",
    "param-two-kinds": SPEC + "parameters:\n- params:\n    compute.rows: {values: [8], "
                              "range: {start: 1, stop: 2, step: 1}}\n",
    "values-empty": SPEC + "parameters:\n- params:\n    compute.rows: {values: []}\n",
    "range-step0": SPEC + "parameters:\n- params:\n    compute.rows: {range: {start: 1, stop: 8, "
                          "step: 0}}\n",
    "range-desc": SPEC + "parameters:\n- params:\n    compute.rows: {range: {start: 8, stop: 1, "
                         "step: 1}}\n",
    "range-nan": SPEC + "parameters:\n- params:\n    compute.rows: {range: {start: .nan, stop: 8, "
                        "step: 1}}\n",
    "range-huge": SPEC + "parameters:\n- params:\n    compute.rows: {range: {start: 1, stop: 1e12,"
                         " step: 1}}\n",
    "logrange-zero": SPEC + "parameters:\n- params:\n    compute.rows: {logrange: {start: 0, "
                            "stop: 8, num: 3}}\n",
    "logrange-num0": SPEC + "parameters:\n- params:\n    compute.rows: {logrange: {start: 1, "
                            "stop: 8, num: 0}}\n",
    "grid-1e12": SPEC + "parameters:\n- params:\n" + "".join(
        f"    buffers.0.{f}: {{range: {{start: 1, stop: 1000, step: 1}}}}\n"
        for f in ("capacity_kib", "banks", "bandwidth_bytes_per_cycle", "read_energy_pj_per_bit")),
    "zip-unequal": SPEC + "parameters:\n- combine: zip\n  params:\n    compute.rows: {values: [8, "
                          "16]}\n    compute.cols: {values: [8]}\n",
    "combine-unknown": SPEC + "parameters:\n- combine: cross\n  params:\n    compute.rows: "
                              "{values: [8]}\n",
    "bad-value": SPEC + "parameters:\n- params:\n    compute.rows: {values: [-8]}\n",
    "constraint-syntax": SPEC + "constraints: ['compute_rows <']\n",
    "constraint-unknown-name": SPEC + "constraints: ['nosuch > 3']\n",
    "constraint-pow-bomb": SPEC + "constraints: ['((((10**64)**64)**64)**64)**64 > 1']\n",
    "constraint-string-bomb": SPEC + "constraints: [\"'a' * 10**9 == 'a'\"]\n",
    "constraint-deep": SPEC + "constraints: ['" + "(" * 500 + "1" + ")" * 500 + " > 0']\n",
    "constraint-call": SPEC + "constraints: ['__import__(\"os\").system(\"true\")']\n",
    "constraint-attr": SPEC + "constraints: ['(1).__class__ == 1']\n",
    "constraint-long": SPEC + "constraints: ['" + "1+" * 20000 + "1 > 0']\n",
    "sparsity-bad": SPEC + "sparsity: ['nm:n=9,m=4']\n",
    "sparsity-empty": SPEC + "sparsity: []\n",
    "alias-bomb": BOMB,
    "dup-key": SPEC + "arch: a.yaml\n",
}


def _cases() -> list[Case]:
    cases = [Case(f"sweep-spec:{n}", SWEEP, {**FILES, "s.yaml": t}, expect=["s.yaml"])
             for n, t in SPECS.items()]
    cases += [
        Case("sweep:missing-spec", ["sweep", "{tmp}/no.yaml", "-o", "{tmp}/o.parquet"], FILES),
        Case("sweep:no-output", ["sweep", "{tmp}/s.yaml"], {**FILES, "s.yaml": SPEC}, usage=True),
        Case("sweep:jobs-zero", [*SWEEP, "--jobs", "0"], {**FILES, "s.yaml": SPEC}),
        Case("sweep:jobs-text", [*SWEEP, "--jobs", "x"], {**FILES, "s.yaml": SPEC}, usage=True),
        Case("sweep:chunk-zero", [*SWEEP, "--chunk-size", "0"], {**FILES, "s.yaml": SPEC}),
        Case("sweep:executor", [*SWEEP, "--executor", "spark"], {**FILES, "s.yaml": SPEC},
             usage=True),
        Case("sweep:output-is-dir", ["sweep", "{tmp}/s.yaml", "-o", "{tmp}/d", "-q"],
             {**FILES, "s.yaml": SPEC}, setup=lambda t: (t / "d").mkdir()),
        Case("sweep:output-not-parquet", ["sweep", "{tmp}/s.yaml", "-o", "{tmp}/o.parquet", "-q"],
             {**FILES, "s.yaml": SPEC, "o.parquet": "this is not parquet\n"}),
    ]
    pareto = ["pareto", "{tmp}/r.parquet"]
    cases += [
        Case("pareto:missing", pareto, FILES),
        Case("pareto:text-file", pareto, {"r.parquet": "hello\n"}),
        Case("pareto:empty-file", pareto, {"r.parquet": b""}),
        Case("pareto:truncated-parquet", pareto, {"r.parquet": b"PAR1\x00\x00PAR1"}),
        Case("pareto:directory", ["pareto", "{tmp}"], FILES),
        Case("pareto:csv-empty", ["pareto", "{tmp}/r.csv"], {"r.csv": ""}),
        Case("pareto:csv-no-columns", ["pareto", "{tmp}/r.csv", "--x", "latency_s", "--y",
                                       "energy_j"], {"r.csv": "a,b\n1,2\n"}),
        Case("pareto:csv-bad-x", ["pareto", "{tmp}/r.csv", "--x", "nosuch"],
             {"r.csv": "latency_s,energy_j\n1,2\n"}),
        Case("pareto:csv-text-values", ["pareto", "{tmp}/r.csv"],
             {"r.csv": "latency_s,energy_j\nfast,cheap\n"}),
        Case("pareto:filter-syntax", ["pareto", "{tmp}/r.csv", "--filter", "latency_s <"],
             {"r.csv": "latency_s,energy_j\n1,2\n"}),
        Case("pareto:filter-bomb", ["pareto", "{tmp}/r.csv", "--filter", "9**9**9**9 > 1"],
             {"r.csv": "latency_s,energy_j\n1,2\n"}),
        Case("pareto:filter-unknown", ["pareto", "{tmp}/r.csv", "--filter", "nosuch > 1"],
             {"r.csv": "latency_s,energy_j\n1,2\n"}),
        Case("pareto:accuracy-missing", ["pareto", "{tmp}/r.csv", "--accuracy", "{tmp}/acc.csv"],
             {"r.csv": "latency_s,energy_j\n1,2\n"}),
        Case("pareto:output-dir", ["pareto", "{tmp}/r.csv", "-o", "{tmp}/d"],
             {"r.csv": "latency_s,energy_j\n1,2\n"}, setup=lambda t: (t / "d").mkdir()),
    ]
    run_json = json.dumps({"totals": {}, "layers": []})
    cases += [
        Case("plot:kind", ["plot", "bars", "{tmp}/r.json", "-o", "{tmp}/p.png"], FILES,
             usage=True),
        Case("plot:missing-input", ["plot", "energy", "{tmp}/no.json", "-o", "{tmp}/p.png"], FILES),
        Case("plot:bad-suffix", ["plot", "energy", "{tmp}/r.json", "-o", "{tmp}/p.bmpx"],
             {"r.json": run_json}),
        Case("plot:not-json", ["plot", "energy", "{tmp}/r.json", "-o", "{tmp}/p.png"],
             {"r.json": "{not json"}),
        Case("plot:json-list", ["plot", "energy", "{tmp}/r.json", "-o", "{tmp}/p.png"],
             {"r.json": "[1, 2]"}),
        Case("plot:json-empty-run", ["plot", "energy", "{tmp}/r.json", "-o", "{tmp}/p.png"],
             {"r.json": run_json}),
        Case("plot:json-nan", ["plot", "roofline", "{tmp}/r.json", "-o", "{tmp}/p.png"],
             {"r.json": '{"totals": {"latency_s": NaN}, "layers": [{"name": "x"}]}'}),
        Case("plot:csv-garbage", ["plot", "sparsity", "{tmp}/r.csv", "-o", "{tmp}/p.png"],
             {"r.csv": "\x00\x01\x02"}),
        Case("plot:yaml-input", ["plot", "energy", "{tmp}/a.yaml", "-o", "{tmp}/p.png"], FILES),
        Case("plot:pareto-no-columns", ["plot", "pareto", "{tmp}/r.csv", "-o", "{tmp}/p.png",
                                        "--x", "nosuch"], {"r.csv": "latency_s,energy_j\n1,2\n"}),
        Case("plot:roofline-bad-arch", ["plot", "roofline", "{tmp}/r.json", "--arch",
                                        "{tmp}/no.yaml", "-o", "{tmp}/p.png"],
             {"r.json": run_json}),
        Case("plot:output-dir", ["plot", "energy", "{tmp}/r.json", "-o", "{tmp}/d"],
             {"r.json": run_json}, setup=lambda t: (t / "d").mkdir()),
    ]
    hf = ["import", "hf-config", "{tmp}/c.json", "--phase", "prefill", "--prompt", "8", "-o",
          "{tmp}/o.yaml"]
    good = {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
            "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100}
    for name, change in {"not-json": None, "list": [], "missing": {},
                         "neg-hidden": {"hidden_size": -64},
                         "zero-layers": {"num_hidden_layers": 0},
                         "nan-size": {"hidden_size": float("nan")},
                         "huge-layers": {"num_hidden_layers": 2**63},
                         "text-heads": {"num_attention_heads": "four"},
                         "bool-size": {"hidden_size": True},
                         "heads-not-dividing": {"num_attention_heads": 5}}.items():
        if change is None:
            text = "{oops"
        elif isinstance(change, list):
            text = "[1, 2]"
        elif not change:
            text = "{}"
        else:
            text = json.dumps({**good, **change})
        cases.append(Case(f"import:hf-config:{name}", hf, {"c.json": text}, expect=["c.json"]))
    cases += [
        Case("import:hf-config:prompt-zero", [*hf[:6], "0", *hf[7:]],
             {"c.json": json.dumps(good)}),
        Case("import:hf-config:missing", hf, {}),
        Case("import:onnx:missing", ["import", "onnx", "{tmp}/m.onnx", "-o", "{tmp}/o.yaml"], {}),
        Case("import:torch:missing", TORCH, {}),
    ]
    if importlib.util.find_spec("onnx") is not None:
        cases += [
            Case("import:onnx:text", ["import", "onnx", "{tmp}/m.onnx", "-o", "{tmp}/o.yaml"],
                 {"m.onnx": "not a model\n"}),
            Case("import:onnx:empty", ["import", "onnx", "{tmp}/m.onnx", "-o", "{tmp}/o.yaml"],
                 {"m.onnx": b""}),
            Case("import:onnx:random-bytes", ["import", "onnx", "{tmp}/m.onnx", "-o",
                                              "{tmp}/o.yaml"], {"m.onnx": bytes(range(256)) * 4}),
        ]
    if importlib.util.find_spec("torch") is not None:
        cases += [
            Case("import:torch:syntax", TORCH,
                 {"m.py": "def (:\n"}),
            Case("import:torch:no-module", TORCH, {"m.py": "x = 1\n"}),
            Case("import:torch:raises", TORCH,
                 {"m.py": "raise RuntimeError('boom')\n"}),
        ]
    return cases


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_tool_inputs(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_cli(case, tmp_path, capsys)

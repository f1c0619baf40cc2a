"""The hwsim command: outputs, and user errors that exit 2 with one located line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hwsim.cli import main
from tests.conftest import ARCH_DIR, WORKLOAD_DIR


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_table(capsys):
    code, out, err = run(capsys, "run", "--arch", "zhang_fpga15", "--workload", "alexnet")
    assert code == 0, err
    assert "TOTAL" in out and "conv1" in out and "energy breakdown" in out


def test_run_json_schema(capsys):
    code, out, _ = run(capsys, "run", "--arch", str(ARCH_DIR / "tpu_v1.yaml"),
                       "--workload", str(WORKLOAD_DIR / "resnet18.yaml"), "--format", "json")
    assert code == 0
    data = json.loads(out)
    required = {"latency_s", "cycles", "energy_j", "energy_breakdown_j", "macs", "dram_bytes",
                "utilization"}
    assert required <= set(data["totals"])
    for layer in data["layers"]:
        assert required | {"name", "bound"} <= set(layer)
        assert sum(layer["energy_breakdown_j"].values()) == pytest.approx(layer["energy_j"])
    t = data["totals"]
    assert sum(t["energy_breakdown_j"].values()) == pytest.approx(t["energy_j"])
    assert sum(lay["latency_s"] for lay in data["layers"]) == pytest.approx(t["latency_s"])
    assert t["macs"] == pytest.approx(1.814e9, rel=1e-3)


def test_run_csv_and_batch(capsys, tmp_path):
    out_file = tmp_path / "r.csv"
    code, _, _ = run(capsys, "run", "--arch", "gemmini", "--workload", "lenet5", "--batch", "4",
                     "-o", str(out_file))
    assert code == 0
    rows = out_file.read_text().splitlines()
    assert rows[0].startswith("name,op,precision,macs")
    assert rows[-1].startswith("TOTAL")
    total_macs = float(rows[-1].split(",")[3])
    assert total_macs == 4 * 416_520


def test_objectives_all_run(capsys):
    for obj in ("latency", "energy", "edp"):
        code, out, _ = run(capsys, "run", "--arch", "eyeriss", "--workload", "lenet5",
                           "--objective", obj, "--format", "json")
        assert code == 0
        assert json.loads(out)["objective"] == obj


def test_list_and_describe(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0 and "tpu_v1" in out and "resnet50" in out
    code, out, _ = run(capsys, "describe", "resnet18")
    assert code == 0 and "layer1.0.conv1" in out and "TOTAL" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "--arch", "no_such_arch", "--workload", "lenet5"], "no_such_arch"),
        (["run", "--arch", "gemmini", "--workload", "nope.yaml"], "nope.yaml"),
        (["run", "--arch", "gemmini", "--workload", "lenet5", "--batch", "0"], "batch"),
    ],
)
def test_user_errors_exit_2(capsys, argv, needle):
    code, _out, err = run(capsys, *argv)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_bad_yaml_field_names_file_line_field(capsys, tmp_path):
    text = (ARCH_DIR / "gemmini.yaml").read_text().replace("clock_mhz: 1000", "clock_mhz: -5")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    line = 1 + text.splitlines().index(next(ln for ln in text.splitlines()
                                             if ln.startswith("clock_mhz")))
    code, _, err = run(capsys, "run", "--arch", str(bad), "--workload", "lenet5")
    assert code == 2
    assert f"bad.yaml:{line}: field 'clock_mhz'" in err


def test_impossible_hardware_exits_2(capsys, tmp_path):
    text = (ARCH_DIR / "gemmini.yaml").read_text()
    text = text.replace("capacity_kib: 256", "capacity_kib: 0.01")
    bad = tmp_path / "tiny.yaml"
    bad.write_text(text)
    code, _, err = run(capsys, "run", "--arch", str(bad), "--workload", "resnet18")
    assert code == 2
    assert "fits" in err and "scratchpad" in err


def test_unsupported_precision_exits_2(capsys, tmp_path):
    wl = (WORKLOAD_DIR / "lenet5.yaml").read_text().replace("batch: 1", "batch: 1\nprecision: fp32")
    p = tmp_path / "w.yaml"
    p.write_text(wl)
    code, _, err = run(capsys, "run", "--arch", "gemmini", "--workload", str(p))
    assert code == 2 and "fp32" in err


def test_console_script_entry_point():
    """The installed `hwsim` command works as a subprocess and reports errors without tracebacks."""
    r = subprocess.run([sys.executable, "-m", "hwsim.cli", "run", "--arch", "missing",
                        "--workload", "lenet5"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr


def test_run_with_sparsity_and_set(capsys):
    code, out, err = run(capsys, "run", "--arch", "tpu_v1", "--workload", "resnet18",
                         "--sparsity", "nm:n=2,m=4", "--set", "sparsity.skip=nm",
                         "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    convs = [lay for lay in data["layers"] if lay["op"] == "conv2d"]
    assert all(lay["density"] == pytest.approx(0.5) for lay in convs)
    assert data["totals"]["skipped_macs"] > 0


def test_compare_table_and_json(capsys, tmp_path):
    code, out, err = run(capsys, "compare", "--arch", "gemmini", "--arch", "zhang_fpga15",
                         "--workload", "lenet5", "--sparsity", "channel:sparsity=0.5",
                         "--sparsity", "nested:levels=[0.5,0.9]")
    assert code == 0, err
    assert "speedup" in out and "nested 50%/90% @ 90%" in out
    p = tmp_path / "c.json"
    code, _, _ = run(capsys, "compare", "--arch", "gemmini", "--workload", "lenet5",
                     "--sparsity", "channel:sparsity=0.5", "-o", str(p))
    rows = json.loads(p.read_text())
    assert [r["pattern"] for r in rows] == ["dense", "channel"]
    assert rows[0]["speedup"] == 1.0 and rows[1]["speedup"] > 1.0
    assert rows[1]["density"] < 0.5  # both dimensions of inner layers shrink


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "--arch", "gemmini", "--workload", "lenet5", "--sparsity", "blok:sparsity=0.5"],
         "unknown pattern"),
        (["run", "--arch", "gemmini", "--workload", "lenet5", "--set", "compute.rows=-1"],
         "compute.rows"),
        (["run", "--arch", "gemmini", "--workload", "lenet5", "--set", "nonsense"], "--set"),
    ],
)
def test_sparsity_user_errors(capsys, argv, needle):
    code, _, err = run(capsys, *argv)
    assert code == 2 and needle in err and "Traceback" not in err


def test_nested_levels_share_the_densest_storage(capsys, tmp_path):
    p = tmp_path / "n.json"
    code, _, err = run(capsys, "compare", "--arch", "gemmini", "--workload", "lenet5",
                       "--sparsity", "nested:levels=[0.5,0.75,0.9]", "-o", str(p))
    assert code == 0, err
    rows = [r for r in json.loads(p.read_text()) if r["pattern"] == "nested"]
    assert [round(r["density"], 2) for r in rows] == [0.5, 0.25, 0.1]
    stored = {r["stored_weight_bytes"] for r in rows}
    assert len(stored) == 1  # one stored model for every level
    dense = json.loads(p.read_text())[0]["stored_weight_bytes"]
    # Half the int8 weights plus a 2-bit level tag each: 0.5 * (1 + 0.25) of dense.
    assert stored.pop() == pytest.approx(dense * 0.5 * 1.25, rel=0.01)



def test_cli_start_up_imports_no_heavy_module():
    """Building the parser (what ``hwsim --help`` and every command pay) loads neither scipy's
    statistics nor matplotlib, pandas or pyarrow: commands import them when they need them."""
    import subprocess
    import sys

    code = ("import sys, hwsim.cli; hwsim.cli.build_parser(); "
            "print(sorted(m for m in ('scipy.stats', 'matplotlib', 'pandas', 'pyarrow', 'torch')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "[]"


def test_llm_table_and_formats(capsys, tmp_path):
    code, out, err = run(capsys, "llm", "--arch", "a100_80gb", "--model", "llama2_7b",
                         "--batch", "1,8", "--prompt", "128", "--sparsity", "dense",
                         "--sparsity", "2:4")
    assert code == 0, err
    assert "TTFT" in out and "TPOT" in out and out.count("a100_80gb") == 4
    code, out, _ = run(capsys, "llm", "--arch", "h100", "--model", "gpt2", "--prompt", "64",
                       "--format", "json")
    data = json.loads(out)
    assert data["producer"].startswith("hwsim") and data["results"][0]["tpot_s"] > 0
    target = tmp_path / "llm.csv"
    code, _, _ = run(capsys, "llm", "--arch", "a100", "--model", "gpt2", "--prompt", "64",
                     "-o", str(target))
    assert code == 0 and target.read_text().startswith("model,arch,sparsity")


@pytest.mark.parametrize("argv, message", [
    (["--model", "no_such_model"], "no bundled models entry"),
    (["--model", "gpt2", "--prompt", "4096"], "1024 positions"),
    (["--model", "llama2_7b", "--tp", "3"], "tp=3"),
    (["--model", "gpt2", "--sparsity", "nope"], "unknown pattern"),
])
def test_llm_errors_exit_2(capsys, argv, message):
    code, out, err = run(capsys, "llm", "--arch", "a100", *argv)
    assert code == 2 and message in err and err.count("\n") == 1 and not out


def test_llm_tensor_parallel_without_link_exits_2(capsys):
    code, _, err = run(capsys, "llm", "--arch", "v100", "--model", "gpt2", "--prompt", "64",
                       "--tp", "2")
    assert code == 2 and "needs a 'link'" in err


def test_llm_layer_sparsity_file(capsys, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("'layers.*.down_proj': 'unstructured:sparsity=0.9'\n")
    code, out, err = run(capsys, "llm", "--arch", "a100", "--model", "gpt2", "--prompt", "64",
                         "--layer-sparsity", str(rules))
    assert code == 2 and "matches 'layers.*.down_proj'" in err  # GPT-2 names it 'proj'
    rules.write_text("'layers.*.proj': 'unstructured:sparsity=0.9'\n")
    code, out, err = run(capsys, "llm", "--arch", "a100", "--model", "gpt2", "--prompt", "64",
                         "--layer-sparsity", str(rules))
    assert code == 0 and "layer rules" in out, err


def test_validate_json(capsys):
    code, out, err = run(capsys, "validate", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert len(data["cases"]) >= 25
    assert {"id", "source", "error", "published", "model"} <= set(data["cases"][0])
    assert data["summary"]["llm_serving"]["mean_abs_error"] < 0.14
    assert data["summary"]["all"]["cases"] == len(data["cases"])


def test_import_hf_config(capsys, tmp_path):
    """A Hugging Face config.json becomes a decode workload that runs; no weights needed."""
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({
        "model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32,
        "num_key_value_heads": 8, "intermediate_size": 14336, "num_hidden_layers": 32,
        "vocab_size": 128256, "max_position_embeddings": 8192, "torch_dtype": "bfloat16"}))
    out_yaml = tmp_path / "dec.yaml"
    code, out, err = run(capsys, "import", "hf-config", str(cfg), "--phase", "decode",
                         "--context", "2048", "--batch", "8", "-o", str(out_yaml),
                         "--name", "llama3_dec")
    assert code == 0, err
    assert "llama3_dec" in out and out_yaml.exists()
    code, out, err = run(capsys, "run", "--arch", "h100", "--workload", str(out_yaml),
                         "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["batch"] == 8 and data["totals"]["bound"] == "dram"
    code, _, err = run(capsys, "import", "hf-config", str(cfg), "--phase", "prefill",
                       "-o", str(out_yaml))
    assert code == 2 and "needs --prompt" in err


@pytest.mark.parametrize("content, message", [
    ("'layers.*.down_proj': 2:4\n", "quote it"),
    ("*.down_proj: '2:4'\n", "quote globs"),
    ("- a\n", "expected a mapping"),
])
def test_llm_layer_rules_mistakes(capsys, tmp_path, content, message):
    rules = tmp_path / "rules.yaml"
    rules.write_text(content)
    code, _, err = run(capsys, "llm", "--arch", "a100", "--model", "gpt2", "--prompt", "64",
                         "--layer-sparsity", str(rules))
    assert code == 2 and message in err and err.count("\n") == 1, err


def test_llm_context_shorter_than_prompt_exits_2(capsys):
    code, _, err = run(capsys, "llm", "--arch", "a100", "--model", "gpt2", "--prompt", "256",
                       "--context", "16")
    assert code == 2 and "shorter than the prompt" in err


def test_hf_config_with_string_sizes_is_refused(capsys, tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"hidden_size": "4096", "num_attention_heads": 32,
                               "intermediate_size": 11008, "num_hidden_layers": 32,
                               "vocab_size": 32000, "max_position_embeddings": 4096}))
    code, _, err = run(capsys, "llm", "--arch", "a100", "--model", str(cfg))
    assert code == 2 and "hidden_size" in err and err.count("\n") == 1


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    from hwsim import __version__

    assert capsys.readouterr().out.strip() == f"hwsim {__version__}"

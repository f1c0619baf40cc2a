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
    """Building the parser (what ``hwsim --help`` and every command pay) loads no model code
    and none of numpy, pydantic, networkx, scipy's statistics, matplotlib, pandas or pyarrow:
    commands import them when they need them; ``import hwsim`` alone loads nothing either."""
    import subprocess
    import sys

    code = ("import sys, hwsim.cli; hwsim.cli.build_parser(); "
            "print(sorted(m for m in ('scipy.stats', 'matplotlib', 'pandas', 'pyarrow', 'torch',"
            " 'numpy', 'pydantic', 'networkx', 'hwsim.model', 'hwsim.arch', 'hwsim.workload')"
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


# --- issue 13: outputs say what produced them; baselines; hardware support; CLI mistakes ---


def test_run_json_provenance_and_its_hash_follows_overrides(capsys):
    from hwsim.version import VERSION

    argv = ["run", "--arch", "gemmini", "--workload", "lenet5", "--format", "json",
            "--sparsity", "nm:n=2,m=4", "--set", "sparsity.skip=nm"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    p = json.loads(out)["provenance"]
    assert p["hwsim_version"] == VERSION and p["arch"] == "gemmini"
    assert p["arch_path"].endswith("gemmini.yaml") and p["workload"] == "lenet5"
    assert p["sets"] == ["sparsity.skip=nm"] and p["sparsity"] == "nm:n=2,m=4"
    assert p["sparsity_label"] == "2:4" and p["level"] == 0 and p["batch"] == 1
    assert p["objective"] == "latency" and p["attention"] == "arch"
    code, out, _ = run(capsys, *argv, "--set", "compute.rows=8")
    q = json.loads(out)["provenance"]
    assert q["arch_sha256"] != p["arch_sha256"] and q["workload_sha256"] == p["workload_sha256"]
    assert q["sets"] == ["sparsity.skip=nm", "compute.rows=8"]


def test_run_and_compare_csv_parse_with_default_readers(capsys, tmp_path):
    import csv

    import pandas as pd

    for cmd in (["run"], ["compare", "--sparsity", "unstructured:sparsity=0.5"]):
        target = tmp_path / f"{cmd[0]}.csv"
        code, _, err = run(capsys, *cmd, "--arch", "gemmini", "--workload", "lenet5",
                           "--set", "compute.rows=8", "-o", str(target))
        assert code == 0, err
        rows = list(csv.DictReader(target.open()))
        df = pd.read_csv(target)
        assert len(df) == len(rows) > 1
        assert {r["provenance.sets"] for r in rows} == {'["compute.rows=8"]'}
        assert df["provenance.arch"].eq("gemmini").all()
    assert rows[0]["support"].startswith("{")


def test_compare_json_rows_carry_provenance_and_support(capsys, tmp_path):
    p = tmp_path / "c.json"
    code, _, err = run(capsys, "compare", "--arch", "gemmini", "--arch", "eyeriss",
                       "--workload", "lenet5", "--sparsity", "block:size=4x4,sparsity=0.75",
                       "--set", "gemmini:sparsity.skip=block", "-o", str(p))
    assert code == 0, err
    rows = json.loads(p.read_text())
    assert all(r["provenance"]["baseline"] == "dense" for r in rows)
    gem = [r for r in rows if r["arch"] == "gemmini"]
    eye = [r for r in rows if r["arch"] == "eyeriss"]
    assert gem[0]["provenance"]["sets"] == ["sparsity.skip=block"]
    assert eye[0]["provenance"]["sets"] == []
    assert gem[0]["support"]["skip"] == "block" and eye[0]["support"]["skip"] == "none"
    assert gem[1]["provenance"]["sparsity"] == "block:size=4x4,sparsity=0.75"
    # the 4x4 blocks are skipped at their own size: a real speedup, not 1.01x
    assert gem[1]["speedup"] > 1.5 and eye[1]["speedup"] == pytest.approx(1.0, abs=0.01)
    code, out, _ = run(capsys, "compare", "--arch", "gemmini", "--arch", "eyeriss",
                       "--workload", "lenet5", "--set", "gemmini:sparsity.skip=block")
    assert "hardware support" in out and "skip block (pattern's)" in out
    assert "in rle, out rle, gating" in out


def _masked_yaml(tmp_path):
    import numpy as np

    from hwsim.importers.export import save_workload
    from hwsim.workload.graph import build_workload
    from hwsim.workload.layers import Conv2d, Linear

    rng = np.random.default_rng(1)
    layers = [Conv2d(name="c1", in_channels=8, out_channels=32, kernel=3, padding=1,
                     input_hw=16),
              Conv2d(name="c2", in_channels=32, out_channels=32, kernel=3, padding=1,
                     input_hw=16),
              Linear(name="fc", in_features=32 * 16 * 16, out_features=10)]
    masks = {"c2": rng.random((32, 32, 3, 3)) < 0.2, "fc": rng.random((10, 32 * 256)) < 0.1}
    path = tmp_path / "pruned.yaml"
    save_workload(build_workload("pruned", layers, masks=masks), path)
    return str(path)


def test_compare_masked_workload_baselines(capsys, tmp_path):
    wl = _masked_yaml(tmp_path)
    p = tmp_path / "c.json"
    base = ["compare", "--arch", "gemmini", "--workload", wl, "--set",
            "sparsity.skip=unstructured"]
    code, _, err = run(capsys, *base, "--sparsity", "unstructured:sparsity=0.5", "-o", str(p))
    assert code == 0, err
    rows = json.loads(p.read_text())
    assert [(r["pattern"], r["label"]) for r in rows] == [
        ("dense", "dense"), ("imported", "imported masks"),
        ("unstructured", "unstructured 50%")]
    assert rows[0]["speedup"] == 1.0 and rows[1]["speedup"] > 1.2
    assert rows[1]["provenance"]["masked_layers"] == 2
    code, _, err = run(capsys, *base, "--baseline", "imported", "-o", str(p))
    assert code == 0, err
    rows = json.loads(p.read_text())
    assert [r["label"] for r in rows] == ["imported masks", "dense"]
    assert rows[0]["speedup"] == 1.0 and rows[1]["speedup"] < 1.0
    code, _, err = run(capsys, "compare", "--arch", "gemmini", "--workload", "lenet5",
                       "--baseline", "imported")
    assert code == 2 and "no masks" in err and err.count("\n") == 1


def test_run_sparsity_overrides_the_masks(capsys, tmp_path):
    wl = _masked_yaml(tmp_path)
    argv = ["run", "--arch", "gemmini", "--workload", wl, "--set",
            "sparsity.skip=unstructured", "--format", "json"]
    results = {}
    for extra in ([], ["--sparsity", "dense"], ["--sparsity", "unstructured:sparsity=0.5"]):
        code, out, err = run(capsys, *argv, *extra)
        assert code == 0, err
        results[" ".join(extra)] = json.loads(out)
    masked, dense = results[""], results["--sparsity dense"]
    half = results["--sparsity unstructured:sparsity=0.5"]
    assert masked["totals"]["latency_s"] < dense["totals"]["latency_s"]
    assert {lay["sparsity"] for lay in dense["layers"]} == {"dense"}
    assert "real mask" in {lay["sparsity"] for lay in masked["layers"]}
    assert [lay["density"] for lay in half["layers"] if lay["op"] != "pool"] == pytest.approx(
        [0.5, 0.5, 0.5])
    assert len({r["totals"]["latency_s"] for r in results.values()}) == 3


def test_unexploitable_pattern_warns_on_stderr(capsys):
    code, out, err = run(capsys, "run", "--arch", "gemmini", "--workload", "lenet5",
                         "--sparsity", "nm:n=2,m=4")
    assert code == 0 and "TOTAL" in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hwsim: warning: gemmini cannot exploit 2:4")
    assert "--set sparsity.skip=nm" in lines[0]
    code, out, err = run(capsys, "compare", "--arch", "gemmini", "--arch", "eyeriss",
                         "--arch", "zhang_fpga15", "--workload", "lenet5",
                         "--sparsity", "unstructured:sparsity=0.5")
    assert code == 0
    warned = err.strip().splitlines()
    assert [w.split()[2] for w in warned] == ["gemmini", "zhang_fpga15"]  # eyeriss gates
    assert "--set gemmini:sparsity.skip=unstructured" in warned[0]
    for quiet in (["--set", "sparsity.skip=nm"], ["--sparsity", "channel:sparsity=0.5"]):
        args = ["run", "--arch", "gemmini", "--workload", "lenet5"] + (
            ["--sparsity", "nm:n=2,m=4"] if quiet[0] == "--set" else []) + quiet
        code, _, err = run(capsys, *args)
        assert code == 0 and err == ""


def test_per_arch_set(capsys):
    code, _, err = run(capsys, "compare", "--arch", "gemmini", "--arch", "eyeriss",
                       "--workload", "lenet5", "--set", "eyeris:sparsity.skip=nm")
    assert code == 2 and "no --arch named 'eyeris' (did you mean 'eyeriss'?)" in err
    code, _, err = run(capsys, "run", "--arch", "gemmini", "--workload", "lenet5",
                       "--set", "gemmini:compute.rows=8", "--format", "json")
    assert code == 0, err
    code, out, err = run(capsys, "compare", "--arch", "gemmini", "--arch",
                         str(ARCH_DIR / "eyeriss.yaml"), "--workload", "lenet5",
                         "--set", "compute.cols=8", "--set", "eyeriss:compute.rows=4",
                         "--format", "json")
    assert code == 0, err
    sets = {r["arch"]: r["provenance"]["sets"] for r in json.loads(out)}
    assert sets == {"gemmini": ["compute.cols=8"], "eyeriss": ["compute.cols=8",
                                                               "compute.rows=4"]}


@pytest.mark.parametrize(("argv", "needle"), [
    (["run", "--arch", "gemmini", "--arch", "eyeriss", "--workload", "lenet5"],
     "--arch given 2 times"),
    (["run", "--arch", "gemmini", "--workload", "lenet5", "--workload", "alexnet"],
     "--workload given 2 times"),
    (["run", "--arch", "gemmini", "--workload", "lenet5", "--sparsity", "2:4",
      "--sparsity", "dense"], "--sparsity given 2 times"),
    (["compare", "--arch", "gemmini", "--workload", "lenet5", "--workload", "alexnet"],
     "--workload given 2 times"),
    (["run", "--arch", "gemmini", "--workload", "lenet5", "--level", "3"],
     "level 3 does not exist"),
    (["run", "--arch", "gemmini", "--workload", "lenet5", "--level", "2",
      "--sparsity", "nested:levels=[0.5,0.75]"], "level 2 does not exist"),
    (["run", "--arch", "gemmini", "--workload", "lenet5", "--level", "-1",
      "--sparsity", "nested:levels=[0.5,0.75]"], "level -1 does not exist"),
])
def test_cli_mistakes_exit_2_in_one_line(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2 and needle in err and err.count("\n") == 1 and not out, err


@pytest.mark.parametrize(("item", "message"), [
    ("compute.row=32", "--set compute.row=32: unknown field 'row' (did you mean 'rows'?)"),
    ("dram.bandwith_gbps=8",
     "--set dram.bandwith_gbps=8: unknown field 'bandwith_gbps' (did you mean "
     "'bandwidth_gbps'?)"),
    ("compute={rows: 8, colz: 8}", "unknown field 'colz' (did you mean 'cols'?)"),
    ("compute.rows=-1", "--set compute.rows=-1: Input should be greater than 0"),
    ("sparsity={skip: nm, nm: [2]}", ": field 'sparsity.nm[1]': Field required"),
    ("buffers.5.capacity_kib=1", "--set buffers.5.capacity_kib=1: '5' is not an index"),
])
def test_set_mistakes_name_the_override(capsys, item, message):
    code, _, err = run(capsys, "run", "--arch", "gemmini", "--workload", "lenet5",
                       "--set", item)
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"hwsim: error: --set {item}: ") and message in err
    assert ".yaml:" not in err


def test_set_mistake_keeps_its_location_for_python_callers():
    from hwsim.arch.load import OverrideError, load_arch

    with pytest.raises(OverrideError) as exc:
        load_arch("gemmini", {"compute.rows": 0})
    assert exc.value.field == "compute.rows" and exc.value.line is not None
    assert str(exc.value).startswith("--set compute.rows=0: ")


def test_every_problem_of_an_arch_and_a_workload_at_once(capsys, tmp_path):
    from tests.conftest import ARCH_DIR

    text = (ARCH_DIR / "gemmini.yaml").read_text()
    bad = tmp_path / "g.yaml"
    bad.write_text(text.replace("static_power_w", "static_powr_w").replace("rows: 16",
                                                                          "rows: -16"))
    code, _, err = run(capsys, "run", "--arch", str(bad), "--workload", "lenet5")
    assert code == 2 and "compute.rows" in err and "did you mean 'static_power_w'" in err
    wl = tmp_path / "w.yaml"
    wl.write_text("name: w\nbatch: 0\nlayers:\n"
                  "  - {name: a, op: linear, in_feature: 4, out_features: 4}\n"
                  "  - {name: b, op: linearr, in_features: 4, out_features: 4}\n")
    code, _, err = run(capsys, "run", "--arch", "gemmini", "--workload", str(wl))
    assert code == 2 and err.count("\n") == 3
    assert "'batch'" in err and "did you mean 'in_features'" in err and "'linear'" in err


def test_warning_when_support_misses_the_patterns_granularity(capsys):
    code, _, err = run(capsys, "compare", "--arch", "gemmini", "--workload", "lenet5",
                       "--sparsity", "nm:n=2,m=4", "--set", "sparsity.skip=block")
    assert code == 0 and "gave exactly the baseline" in err


def test_isoacc_takes_per_arch_sets_and_one_workload(capsys, tmp_path):
    acc = tmp_path / "acc.csv"
    acc.write_text("pattern,sparsity,accuracy\ndense,,99\nunstructured,0.5,98.9\n")
    code, _, err = run(capsys, "isoacc", "--arch", "gemmini", "--arch", "tpu_v1",
                         "--workload", "lenet5", "--accuracy", str(acc), "--target", "98.9",
                         "--set", "gemmini:sparsity.skip=unstructured")
    assert code == 0, err
    code, _, err = run(capsys, "isoacc", "--arch", "gemmini", "--workload", "lenet5",
                       "--workload", "resnet18", "--accuracy", str(acc), "--target", "98")
    assert code == 2 and "--workload given 2 times" in err

"""hwsim isoacc and hwsim budget from the command line."""

from __future__ import annotations

import json

from hwsim.cli import main

TABLE = "pattern,sparsity,accuracy\ndense,,99.0\nunstructured,0.5,98.9\nunstructured,0.9,97.0\n"


def test_isoacc_table_json_and_plot(capsys, tmp_path):
    acc = tmp_path / "acc.csv"
    acc.write_text(TABLE)
    png = tmp_path / "p.png"
    code = main(["isoacc", "--arch", "gemmini", "--workload", "lenet5", "--accuracy", str(acc),
                 "--max-drop", "0.5", "--set", "sparsity.skip=unstructured", "--plot", str(png)])
    out = capsys.readouterr().out
    assert code == 0 and "accuracy >= 98.5" in out and png.stat().st_size > 0
    code = main(["isoacc", "--arch", "gemmini", "--workload", "lenet5", "--accuracy", str(acc),
                 "--target", "98.0", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert data["target_accuracy"] == 98.0 and len(data["rows"]) == 2


def test_isoacc_bad_table_exits_2(capsys, tmp_path):
    acc = tmp_path / "acc.csv"
    acc.write_text("pattern,sparsity,accuracy\nunstructured,0.5,98.9\n")
    code = main(["isoacc", "--arch", "gemmini", "--workload", "lenet5", "--accuracy", str(acc),
                 "--target", "98"])
    err = capsys.readouterr().err
    assert code == 2 and "no 'dense' row" in err and err.count("\n") == 1


def test_budget_commands(capsys):
    code = main(["budget", "--arch", "gemmini", "--workload", "lenet5", "--knob", "channel",
                 "--latency-ms", "1000"])
    out = capsys.readouterr().out
    assert code == 0 and "0% pruned" in out  # the dense network already fits
    code = main(["budget", "--arch", "gemmini", "--submodel", "lenet5", "--submodel",
                 "resnet18", "--energy-mj", "1e-6", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert data["results"][0]["value"] is None
    code = main(["budget", "--arch", "gemmini", "--workload", "lenet5"])
    assert code == 2 and "latency-ms" in capsys.readouterr().err


def test_compare_with_accuracy_column(capsys, tmp_path):
    acc = tmp_path / "acc.csv"
    acc.write_text(TABLE)
    code = main(["compare", "--arch", "gemmini", "--workload", "lenet5", "--sparsity",
                 "unstructured:sparsity=0.7", "--sparsity", "unstructured:sparsity=0.95",
                 "--accuracy", str(acc), "--format", "json"])
    rows = json.loads(capsys.readouterr().out)
    assert code == 0
    acc_by = {r["label"]: r["accuracy"] for r in rows}
    assert acc_by["dense"] == 99.0
    assert abs(acc_by["unstructured 70%"] - (98.9 + (97.0 - 98.9) * 0.5)) < 1e-9
    assert acc_by["unstructured 95%"] is None  # beyond the measured range: not extrapolated
    code = main(["compare", "--arch", "gemmini", "--workload", "lenet5", "--sparsity",
                 "unstructured:sparsity=0.7", "--accuracy", str(acc)])
    assert code == 0 and "accuracy" in capsys.readouterr().out


def test_pareto_with_accuracy(capsys, tmp_path):
    import yaml

    acc = tmp_path / "acc.csv"
    acc.write_text(TABLE)
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump({
        "name": "t", "arch": "gemmini", "workloads": ["lenet5"],
        "sparsity": ["dense", "unstructured:sparsity=0.5", "unstructured:sparsity=0.9"],
        "parameters": {"sparsity.skip": {"values": ["none", "unstructured"]}}}))
    out = tmp_path / "r.parquet"
    assert main(["sweep", str(spec), "-o", str(out), "-q"]) == 0
    capsys.readouterr()
    code = main(["pareto", str(out), "--x", "latency_s", "--y", "accuracy", "--maximize",
                 "accuracy", "--accuracy", str(acc), "--filter", "accuracy >= 98"])
    text = capsys.readouterr().out
    assert code == 0 and "accuracy" in text and "sparsity=0.9" not in text

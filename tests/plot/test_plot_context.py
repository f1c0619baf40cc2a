"""Figures say what they show: titles name the workload, the accelerator, its sparsity support
and the pattern where the result records them; --log-y; coinciding series stay visible;
utilization columns are the accelerators; the roofline finds the run's accelerator (with its
overrides) in the result file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from hwsim.cli import main
from hwsim.plot import (
    load_result,
    plot_energy_breakdown,
    plot_pareto,
    plot_roofline,
    plot_sparsity,
    plot_utilization,
)
from hwsim.plot.data import recorded_arch, support_text, title_for

MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF"}


def cli(*argv: str) -> None:
    assert main(list(argv)) == 0


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sparse run on Gemmini with overrides, a dense one on Eyeriss, a compare of both."""
    d = tmp_path_factory.mktemp("context")
    cli("run", "--arch", "gemmini", "--workload", "lenet5", "--set", "dram.bandwidth_gbps=4",
        "--set", "sparsity.skip=unstructured", "--sparsity", "unstructured:sparsity=0.5",
        "-o", str(d / "sparse.json"))
    cli("run", "--arch", "gemmini", "--workload", "lenet5", "-o", str(d / "dense.json"))
    cli("run", "--arch", "eyeriss", "--workload", "lenet5", "-o", str(d / "eyeriss.csv"))
    cli("compare", "--arch", "gemmini", "--arch", "eyeriss", "--workload", "lenet5",
        "--set", "gemmini:sparsity.skip=unstructured",
        "--sparsity", "unstructured:sparsity=0.5", "--sparsity", "unstructured:sparsity=0.75",
        "--sparsity", "nm:n=2,m=4", "-o", str(d / "cmp.json"))
    return d


def title(fig: Any) -> str:
    sup = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    return sup or fig.axes[0].get_title()


def test_titles_name_workload_arch_support_and_pattern(results: Path) -> None:
    t = title(plot_roofline(load_result(results / "sparse.json"),
                            recorded_arch(load_result(results / "sparse.json"))))
    assert t.splitlines() == ["lenet5 on gemmini: roofline",
                              "hardware: skip unstructured; pattern: unstructured 50%"]
    t = title(plot_energy_breakdown(results / "sparse.json"))
    assert t.startswith("lenet5 on gemmini: energy per layer by component\n")
    # a dense run on dense hardware: no second line
    assert title(plot_energy_breakdown(results / "dense.json")) == (
        "lenet5 on gemmini: energy per layer by component")
    fig = plot_sparsity(results / "cmp.json")
    assert fig.get_suptitle() == "lenet5: speedup over dense vs weight sparsity"
    panels = [a.get_title() for a in fig.axes if a.get_visible()]
    assert panels == ["gemmini (systolic)\nskip unstructured",
                      "eyeriss (systolic)\nskip none, in rle, out rle, gating"]
    assert title(plot_utilization([results / "sparse.json", results / "eyeriss.csv"])).startswith(
        "lenet5: PE utilization per layer")


def test_support_words() -> None:
    assert support_text({"skip": "none", "weights": {"format": "dense"},
                         "inputs": {"format": "dense"}, "gating": False}) == (
        "no sparsity support")
    assert support_text('{"skip": "nm", "nm": [2, 4], "weights": {"format": "bitmap"}}') == (
        "skip nm 2:4, W bitmap")
    assert support_text(None) == "" and support_text("custom words") == "custom words"
    assert title_for("x", "net", ["a", "b"]) == "net on a, b: x"
    assert title_for("x", support="no sparsity support") == "x"  # dense hardware, dense run
    assert title_for("x", support="no sparsity support", sparsity="2:4") == (
        "x\nhardware: no sparsity support; pattern: 2:4")


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_log_y_speedup_plot(results: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"s.{fmt}"
    cli("plot", "sparsity", str(results / "cmp.json"), "--log-y", "-o", str(out))
    assert out.read_bytes().startswith(MAGIC[fmt])
    fig = plot_sparsity(results / "cmp.json", log_y=True)
    axes = [a for a in fig.axes if a.get_visible()]
    assert all(a.get_yscale() == "log" for a in axes)
    assert {t.get_text() for a in axes for t in a.get_yticklabels()} & {"1", "2"}
    assert plot_sparsity(results / "cmp.json").axes[0].get_yscale() == "linear"
    lat = plot_sparsity(results / "cmp.json", metric="latency", log_y=True)
    assert lat.axes[0].get_yscale() == "log"


def test_coinciding_series_stay_visible(results: Path) -> None:
    """On Eyeriss (no skipping) every pattern equals dense, and N:M's one point sits on
    unstructured's first: its markers are drawn larger, and the panel says which curves are
    the same."""
    fig = plot_sparsity(results / "cmp.json")
    eyeriss = next(a for a in fig.axes if a.get_title().startswith("eyeriss"))
    lines = {ln.get_label(): ln for ln in eyeriss.get_lines()}
    assert lines["N:M"].get_markersize() > lines["unstructured"].get_markersize()
    note = next(t for t in eyeriss.texts if t.get_gid() == "same-curve").get_text()
    assert "unstructured = dense" in note and "N:M = dense" in note
    # Gemmini skips zeros: nothing coincides there, and the legend keeps plain names
    gemmini = next(a for a in fig.axes if a.get_title().startswith("gemmini"))
    assert not [t for t in gemmini.texts if t.get_gid() == "same-curve"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "dense", "unstructured", "N:M"]
    # a pattern that repeats the same curve in every panel says so in the legend
    one = plot_sparsity(results / "cmp.json", archs=["eyeriss"])
    assert "unstructured (same as dense)" in [t.get_text() for t in one.legends[0].get_texts()]


def test_identical_series_drawn_around_each_other() -> None:
    rows = pd.DataFrame({
        "arch": "a", "kind": "systolic", "pattern": ["dense", "x", "x", "y", "y"],
        "label": ["dense", "x 50%", "x 75%", "y 50%", "y 75%"],
        "density": [1.0, 0.5, 0.25, 0.5, 0.25], "speedup": [1.0, 1.5, 2.0, 1.5, 2.0],
        "latency_s": [1.0, 0.6, 0.5, 0.6, 0.5]})
    fig = plot_sparsity(rows)
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    assert lines["y"].get_markersize() > lines["x"].get_markersize()
    assert lines["y"].get_linestyle() == "--" and lines["x"].get_linestyle() == "-"
    assert "y (same as x)" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_pareto_groups_on_the_same_points() -> None:
    df = pd.DataFrame({"latency_s": [1.0, 2.0, 1.0, 2.0, 3.0],
                       "energy_j": [2.0, 1.0, 2.0, 1.0, 3.0],
                       "param.gating": [False, False, True, True, True],
                       "param.skip": ["a", "a", "b", "b", "b"], "workload": "net"})
    fig = plot_pareto(df.iloc[:4], hue="param.gating")
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "gating = True (same points as False)" in legend
    groups = {c.get_gid(): c for c in ax.collections}
    assert groups["points:True"].get_sizes()[0] > groups["points:False"].get_sizes()[0]
    assert ax.get_title() == "net: design space and Pareto front"
    # a group with points of its own is drawn as usual
    fig = plot_pareto(df, hue="param.gating", logy=True)
    assert "gating = True" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert fig.axes[0].get_yscale() == "log"


def test_utilization_columns_are_the_accelerators(results: Path) -> None:
    fig = plot_utilization([results / "sparse.json", results / "eyeriss.csv"])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["gemmini", "eyeriss"]
    # two runs of one accelerator: told apart by what differs (here the pattern)
    fig = plot_utilization([results / "sparse.json", results / "dense.json"])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [
        "gemmini\nunstructured 50%", "gemmini\ndense"]
    fig = plot_utilization([results / "dense.json", results / "dense.json"])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["gemmini #1", "gemmini #2"]


def test_roofline_reads_the_arch_and_overrides_from_the_result(results: Path, tmp_path: Path
                                                               ) -> None:
    out = tmp_path / "roof.png"
    cli("plot", "roofline", str(results / "sparse.json"), "-o", str(out))
    assert out.read_bytes().startswith(MAGIC["png"])
    res = load_result(results / "sparse.json")
    arch = recorded_arch(res)
    assert arch.dram.bandwidth_gbps == 4 and arch.sparsity.skip == "unstructured"
    labels = [ln.get_label() for ln in plot_roofline(res, arch).axes[0].get_lines()]
    assert "DRAM roof (4 GB/s)" in labels
    # --set applies on top of the recorded overrides; a CSV run records them too
    assert recorded_arch(res, ["dram.bandwidth_gbps=2"]).dram.bandwidth_gbps == 2
    assert recorded_arch(load_result(results / "eyeriss.csv")).name == "eyeriss"
    cli("plot", "roofline", str(results / "eyeriss.csv"), "-o", str(out))


def test_roofline_refuses_a_changed_arch_file(results: Path, tmp_path: Path, capsys: Any
                                              ) -> None:
    arch = tmp_path / "mine.yaml"
    arch.write_text((Path(load_result(results / "dense.json").meta["provenance"]["arch_path"])
                     ).read_text(encoding="utf-8"), encoding="utf-8")
    run = tmp_path / "run.json"
    cli("run", "--arch", str(arch), "--workload", "lenet5", "-o", str(run))
    arch.write_text(arch.read_text(encoding="utf-8").replace("clock_mhz: 1000",
                                                             "clock_mhz: 500"))
    code = main(["plot", "roofline", str(run), "-o", str(tmp_path / "r.png")])
    err = capsys.readouterr().err
    assert code == 2 and "no longer describes the accelerator" in err and "--arch" in err
    data = json.loads(run.read_text())
    del data["provenance"]
    run.write_text(json.dumps(data))
    assert main(["plot", "roofline", str(run), "-o", str(tmp_path / "r.png")]) == 2
    assert "needs --arch" in capsys.readouterr().err

"""Figures draw what the data says: artists' values, labels, scales, colours; the CLI writes
PNG/SVG/PDF and refuses bad input with exit 2."""

from __future__ import annotations

import json
import sys

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from hwsim import evaluate, load_arch, load_workload
from hwsim.cli import main
from hwsim.errors import HwsimError
from hwsim.evaluation import compare, sparsity_curves
from hwsim.plot import (
    load_result,
    pareto_front,
    plot_energy_breakdown,
    plot_pareto,
    plot_roofline,
    plot_sparsity,
    plot_utilization,
    ridge_intensity,
    roofline_points,
)
from hwsim.plot.style import (
    COMPONENT_COLOURS,
    OKABE_ITO,
    column_label,
    column_unit,
    si_scale,
)
from hwsim.plot.utilization import bound_code
from hwsim.report import rows_csv, rows_json
from hwsim.sparsity.spec import parse_sparsity
from tests.conftest import ARCH_DIR, SYSTOLIC_32, WORKLOAD_DIR, make_arch

LENET = WORKLOAD_DIR / "lenet5.yaml"


@pytest.fixture(scope="module")
def lenet_gemmini():
    arch = load_arch(ARCH_DIR / "gemmini.yaml")
    return evaluate(load_workload(LENET), arch), arch


@pytest.fixture(scope="module")
def curves() -> pd.DataFrame:
    sparse = make_arch(SYSTOLIC_32, name="skip32", sparsity={"skip": "unstructured"})
    dense = make_arch(SYSTOLIC_32, name="plain32")
    return sparsity_curves("lenet5", [sparse, dense],
                           {"unstructured": "unstructured:sparsity={s}",
                            "channel": lambda s: parse_sparsity(f"channel:sparsity={s}")},
                           [0.5, 0.75])


def sweep_frame() -> pd.DataFrame:
    """Hand-made sweep: the front is rows 0, 2, 4 (1 and 3 dominated; 5 failed)."""
    return pd.DataFrame({
        "param.compute.rows": [8, 8, 16, 16, 32, 32],
        "workload": "lenet5",
        "latency_s": [1e-3, 2e-3, 2e-3, 3e-3, 4e-3, 0.5e-3],
        "energy_j": [5e-3, 6e-3, 3e-3, 3e-3, 1e-3, 1e-4],
        "status": ["ok", "ok", "ok", "ok", "ok", "error"],
    })


def visible_axes(fig: Figure) -> list:
    return [a for a in fig.axes if a.get_visible() and a.get_label() != "<colorbar>"]


def test_no_pyplot_state_or_rc_leak(lenet_gemmini):
    before = dict(matplotlib.rcParams)
    fig = plot_energy_breakdown(lenet_gemmini[0])
    assert isinstance(fig, Figure)
    assert dict(matplotlib.rcParams) == before
    if "matplotlib.pyplot" in sys.modules:
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []


# --- sparsity ------------------------------------------------------------------------------
def test_sparsity_curves_rows(curves):
    assert list(curves["arch"]) == ["skip32"] * 5 + ["plain32"] * 5
    assert list(curves["series"]) == ["dense", "unstructured", "unstructured", "channel",
                                      "channel"] * 2
    assert list(curves["weight_sparsity"]) == [0, 0.5, 0.75, 0.5, 0.75] * 2
    plain = curves[(curves["arch"] == "plain32") & (curves["series"] == "unstructured")]
    assert list(plain["speedup"]) == pytest.approx([1.0, 1.0])  # no skip support: no speedup
    skip = curves[(curves["arch"] == "skip32") & (curves["series"] == "unstructured")]
    assert (skip["speedup"] > 1.0).all()


def test_sparsity_plot_lines_equal_speedups(curves):
    fig = plot_sparsity(curves)
    axes = visible_axes(fig)
    # each panel: the accelerator, then what it does with zeros (the rows' support)
    assert [a.get_title() for a in axes] == ["skip32 (systolic)\nskip unstructured",
                                             "plain32 (systolic)\nno sparsity support"]
    for ax, arch in zip(axes, ["skip32", "plain32"]):
        assert ax.get_xlabel() == "weight sparsity (% of weights removed)"
        assert ax.get_ylabel() == "speedup over dense (×)"
        lines = {ln.get_label(): ln for ln in ax.get_lines()}
        assert set(lines) == {"dense", "unstructured", "channel"}
        for name in ("unstructured", "channel"):
            sub = curves[(curves["arch"] == arch) & (curves["series"] == name)]
            sub = sub.assign(x=1 - sub["density"]).sort_values("x")
            np.testing.assert_allclose(lines[name].get_ydata(), sub["speedup"])
            np.testing.assert_allclose(lines[name].get_xdata(), sub["x"] * 100)
        assert list(lines["dense"].get_ydata()) == [1, 1]
        assert lines["unstructured"].get_color() == OKABE_ITO[0]
        assert lines["channel"].get_color() == OKABE_ITO[1]
    # channel pruning removes consumers' input channels too: more weights than channels
    ch = curves[(curves["series"] == "channel") & (curves["weight_sparsity"] == 0.5)]
    assert (1 - ch["density"] > 0.5).all()
    assert len(fig.legends) == 1
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["dense", "unstructured",
                                                                   "channel"]


def test_sparsity_latency_metric_and_axes(curves):
    import matplotlib.figure as mf

    ax = mf.Figure().add_subplot()
    fig = plot_sparsity(curves, metric="latency", archs=["plain32"], ax=ax)
    assert fig is ax.figure
    dense_lat = float(curves[(curves["arch"] == "plain32") & (curves["series"] == "dense")]
                      ["latency_s"].iloc[0])
    scale, unit = si_scale(curves["latency_s"], "s")
    assert ax.get_ylabel() == f"latency ({unit})"
    ref = next(ln for ln in ax.get_lines() if ln.get_label() == "dense")
    assert ref.get_ydata()[0] == pytest.approx(dense_lat * scale)
    with pytest.raises(HwsimError, match="one accelerator per axes"):
        plot_sparsity(curves, ax=mf.Figure().add_subplot())
    with pytest.raises(HwsimError, match="unknown metric"):
        plot_sparsity(curves, metric="energy")


def test_sparsity_series_from_compare_labels(lenet_gemmini):
    _, arch = lenet_gemmini
    rows = compare(load_workload(LENET), [arch],
                   [parse_sparsity(s) for s in ("block:size=4x4,sparsity=0.5",
                                                "block:size=4x4,sparsity=0.75", "nm:n=2,m=4")])
    fig = plot_sparsity(rows)
    labels = {ln.get_label() for ln in visible_axes(fig)[0].get_lines()}
    assert labels == {"dense", "block 4x4", "N:M"}
    block = next(ln for ln in visible_axes(fig)[0].get_lines() if ln.get_label() == "block 4x4")
    assert len(block.get_xdata()) == 2


# --- energy --------------------------------------------------------------------------------
def test_energy_per_layer_bar_heights(lenet_gemmini):
    rep, _ = lenet_gemmini
    fig = plot_energy_breakdown(rep)
    ax = fig.axes[0]
    comps = [c for c in ["dram", "metadata", "scratchpad", "accumulator", "register_file",
                         "mac", "alu", "interconnect", "static"]
             if sum(r.energy_breakdown_j.get(c, 0) for r in rep.layers) > 0]
    assert len(ax.containers) == len(comps)
    scale, unit = si_scale([r.energy_j for r in rep.layers], "J")
    assert ax.get_ylabel() == f"energy ({unit})"
    assert [t.get_text() for t in ax.get_xticklabels()] == [r.name for r in rep.layers]
    for cont, c in zip(ax.containers, comps):
        assert cont.get_label() != ""
        heights = [p.get_height() for p in cont.patches]
        np.testing.assert_allclose(heights, [r.energy_breakdown_j.get(c, 0) * scale
                                             for r in rep.layers], rtol=1e-9, atol=1e-18)
    tops = np.sum([[p.get_height() for p in c.patches] for c in ax.containers], axis=0)
    np.testing.assert_allclose(tops, [r.energy_j * scale for r in rep.layers], rtol=1e-9)
    dram = ax.containers[0].patches[0]
    assert matplotlib.colors.to_hex(dram.get_facecolor()) == COMPONENT_COLOURS["dram"].lower()
    colours = {matplotlib.colors.to_hex(c.patches[0].get_facecolor()) for c in ax.containers}
    assert len(colours) == len(comps)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1] == "DRAM" and "scratchpad" in legend


def test_energy_relative_and_per_config(lenet_gemmini, tmp_path):
    _rep, arch = lenet_gemmini
    rows = compare(load_workload(LENET), [arch], [parse_sparsity("channel:sparsity=0.5")])
    fig = plot_energy_breakdown(rows, relative=True)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "share of energy (%)"
    tops = np.sum([[p.get_height() for p in c.patches] for c in ax.containers], axis=0)
    np.testing.assert_allclose(tops, [100, 100])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["dense", "channel 50%"]
    # the same rows through a CSV file give the same bars
    p = tmp_path / "c.csv"
    p.write_text(rows_csv(rows))
    fig2 = plot_energy_breakdown(load_result(p), relative=True)
    tops2 = [[q.get_height() for q in c.patches] for c in fig2.axes[0].containers]
    np.testing.assert_allclose(tops2, [[q.get_height() for q in c.patches]
                                       for c in ax.containers])


def test_energy_several_runs_merge_many_buffers(lenet_gemmini):
    wl = load_workload(LENET)
    runs = [evaluate(wl, load_arch(ARCH_DIR / f"{n}.yaml"))
            for n in ("gemmini", "tpu_v1", "zhang_fpga15")]
    fig = plot_energy_breakdown(runs)
    ax = fig.axes[0]
    labels = [c.get_label() for c in ax.containers]
    assert "on-chip buffers" in labels and "scratchpad" not in labels  # 8 buffers: merged
    scale, _ = si_scale([r.totals["energy_j"] for r in runs], "J")
    tops = np.sum([[p.get_height() for p in c.patches] for c in ax.containers], axis=0)
    np.testing.assert_allclose(tops, [r.totals["energy_j"] * scale for r in runs], rtol=1e-9)


def test_energy_sweep_rows_labelled_by_varying_params():
    df = sweep_frame().assign(energy_dram_j=[1e-3] * 6, energy_mac_j=[2e-3] * 6)
    fig = plot_energy_breakdown(df)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert len(ticks) == 5 and ticks[0] == "compute.rows=8"  # the failed point is left out


def test_energy_sweep_totals_are_not_components():
    """energy_per_inference_j (a total) is named like a component column: it must not be
    stacked on the bar, which would count the energy twice."""
    df = sweep_frame().assign(energy_dram_j=[1e-3] * 6, energy_mac_j=[2e-3] * 6,
                              energy_per_inference_j=[3e-3] * 6)
    ax = plot_energy_breakdown(df).axes[0]
    assert [c.get_label() for c in ax.containers] == ["DRAM", "MAC"]
    tops = np.sum([[p.get_height() for p in c.patches] for c in ax.containers], axis=0)
    np.testing.assert_allclose(tops, [3.0] * 5)  # mJ


def test_energy_sweep_labels_given_or_one_line_when_turned():
    df = sweep_frame().assign(energy_dram_j=[1e-3] * 6,
                              **{"param.buffers.0.capacity_kib": [64, 128, 256, 512, 1024, 1]})
    ax = plot_energy_breakdown(df.assign(label=list("abcdef"))).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == list("abcde")
    fig = plot_energy_breakdown(pd.concat([df] * 4, ignore_index=True))  # 20 bars: turned
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks[0] == "compute.rows=8, buffers.0.capacity_kib=64"
    assert fig.get_figheight() > 4.2  # grown to fit the turned labels


def test_column_units_and_labels_of_cost_columns():
    assert column_unit("area_mm2") == "mm²" and column_label("area_mm2", "mm²") == "area (mm²)"
    assert si_scale([0.5, 2.0], "mm²") == (1.0, "mm²")  # no prefix on a squared unit
    assert column_unit("gops_per_mm2") == "GOP/s/mm²" and column_unit("gops_per_w") == "GOP/s/W"
    assert column_unit("leakage_w") == "W" and si_scale([2e-3], "W") == (1e3, "mW")
    assert column_label("energy_per_inference_j", "mJ") == "energy per inference (mJ)"
    assert column_label("static_w", "W") == "static power (W)"
    assert column_unit("fpga_dsp") == "" and column_label("fpga_dsp") == "DSP blocks"


# --- roofline ------------------------------------------------------------------------------
def test_roofline_points_and_roofs(lenet_gemmini):
    rep, arch = lenet_gemmini
    pts = roofline_points(rep)
    conv = [r for r in rep.layers if r.macs > 0]
    assert list(pts["name"]) == [r.name for r in conv]
    np.testing.assert_allclose(pts["intensity"], [2 * r.macs / r.dram_bytes for r in conv])
    np.testing.assert_allclose(pts["perf"], [2 * r.effective_macs / r.latency_s for r in conv])
    fig = plot_roofline(rep, arch)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "operational intensity (ops per DRAM byte)"
    assert ax.get_ylabel() == "achieved performance (GOP/s)"
    lines = {ln.get_gid(): ln for ln in ax.get_lines()}
    peak = 2 * arch.num_pes * arch.clock_hz
    bw = arch.dram.bandwidth_gbps * 1e9
    ridge = peak / bw
    assert ridge_intensity(arch) == pytest.approx(ridge)
    comp, dram = lines["roof:compute"], lines["roof:dram"]
    assert list(comp.get_ydata()) == pytest.approx([peak / 1e9] * 2)
    assert comp.get_xdata()[0] == pytest.approx(ridge)
    assert dram.get_xdata()[-1] == pytest.approx(ridge)
    assert dram.get_ydata()[-1] == pytest.approx(peak / 1e9)
    x0, y0 = dram.get_xdata()[0], dram.get_ydata()[0]
    assert y0 == pytest.approx(bw * x0 / 1e9)  # slope = bandwidth
    assert lines["ridge"].get_xdata()[0] == pytest.approx(ridge)
    offsets = np.concatenate([c.get_offsets() for c in ax.collections])
    expected = np.column_stack([pts["intensity"], pts["perf"] / 1e9])
    assert sorted(map(tuple, np.round(offsets, 6))) == sorted(map(tuple, np.round(expected, 6)))
    # every layer sits under both roofs
    assert (pts["perf"] <= np.minimum(peak, bw * pts["intensity"]) * (1 + 1e-9)).all()


def test_roofline_needs_bandwidth(lenet_gemmini, tmp_path):
    rep, arch = lenet_gemmini
    with pytest.raises(HwsimError, match="DRAM bandwidth"):
        plot_roofline(rep)
    fig = plot_roofline(rep, bandwidth_gbps=arch.dram.bandwidth_gbps)
    assert {ln.get_gid() for ln in fig.axes[0].get_lines()} >= {"roof:compute", "roof:dram"}
    p = tmp_path / "r.csv"
    p.write_text(rep.to_csv())
    res = load_result(p)
    assert res.kind == "run" and "TOTAL" not in list(res.frame["name"])
    assert len(roofline_points(res)) == len(roofline_points(rep))


# --- Pareto --------------------------------------------------------------------------------
def test_pareto_front_mask():
    df = sweep_frame()
    assert list(pareto_front(df.iloc[:5])) == [True, False, True, False, True]
    assert list(pareto_front(df)) == [False] * 5 + [True]  # row 5 beats every other
    dup = pd.DataFrame({"latency_s": [1.0, 1.0, 2.0, np.nan], "energy_j": [2.0, 2.0, 1.0, 0.0]})
    assert list(pareto_front(dup)) == [True, False, True, False]


def test_pareto_plot_offsets_and_front():
    df = sweep_frame()
    fig = plot_pareto(df)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "latency (ms)" and ax.get_ylabel() == "energy (mJ)"
    cols = {c.get_gid(): c for c in ax.collections}
    ok = df[df["status"] == "ok"]
    np.testing.assert_allclose(cols["points"].get_offsets(),
                               np.column_stack([ok["latency_s"] * 1e3, ok["energy_j"] * 1e3]))
    np.testing.assert_allclose(cols["front"].get_offsets(), [[1, 5], [2, 3], [4, 1]])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["design points (5)",
                                                                    "Pareto front (3)"]


def test_pareto_hue_colours():
    fig = plot_pareto(sweep_frame(), hue="param.compute.rows")
    ax = fig.axes[0]
    groups = [c for c in ax.collections if str(c.get_gid()).startswith("points:")]
    assert [c.get_gid() for c in groups] == ["points:8", "points:16", "points:32"]
    colours = [matplotlib.colors.to_hex(c.get_facecolor()[0]) for c in groups]
    assert colours == [c.lower() for c in OKABE_ITO[:3]]
    with pytest.raises(HwsimError, match="needs column"):
        plot_pareto(sweep_frame(), y="nonexistent")


# --- utilization ---------------------------------------------------------------------------
def test_utilization_heatmap_cells(lenet_gemmini):
    rep, _ = lenet_gemmini
    other = evaluate(load_workload(LENET), load_arch(ARCH_DIR / "eyeriss.yaml"))
    fig = plot_utilization([rep, other])
    ax = fig.axes[0]
    mesh = ax.collections[0]
    layers = [r.name for r in rep.layers if r.macs > 0]
    assert [t.get_text() for t in ax.get_yticklabels()] == layers
    assert [t.get_text() for t in ax.get_xticklabels()] == ["gemmini", "eyeriss"]
    values = np.asarray(mesh.get_array()).reshape(len(layers), 2)
    by_name = [{r.name: r for r in run.layers} for run in (rep, other)]
    expected = [[by_name[j][n].utilization * 100 for j in range(2)] for n in layers]
    np.testing.assert_allclose(values, expected)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 2 * len(layers)
    first = [by_name[j][layers[0]] for j in range(2)]
    assert texts[:2] == [f"{bound_code(r.bound)} {r.utilization * 100:.0f}" for r in first]
    assert bound_code("compute") == "C" and bound_code("unified_buffer") == "UB"
    assert mesh.norm.vmin == 0 and mesh.norm.vmax == 100
    assert fig.axes[1].get_ylabel() == "PE utilization (%)"
    with_vector = plot_utilization(rep, include_vector=True)
    assert len(with_vector.axes[0].get_yticklabels()) == len(rep.layers)


def test_utilization_rejects_compare_rows(lenet_gemmini):
    _, arch = lenet_gemmini
    rows = compare(load_workload(LENET), [arch], [])
    with pytest.raises(HwsimError, match="run results"):
        plot_utilization(rows)


# --- result files and the CLI --------------------------------------------------------------
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF"}


@pytest.fixture(scope="module")
def files(tmp_path_factory, lenet_gemmini):
    d = tmp_path_factory.mktemp("results")
    rep, arch = lenet_gemmini
    (d / "run.json").write_text(rep.to_json())
    rows = compare(load_workload(LENET), [arch], [parse_sparsity("unstructured:sparsity=0.5"),
                                                  parse_sparsity("unstructured:sparsity=0.75")])
    (d / "cmp.json").write_text(rows_json(rows))
    (d / "cmp.csv").write_text(rows_csv(rows))
    sweep_frame().to_parquet(d / "sweep.parquet")
    sweep_frame().to_csv(d / "sweep.csv", index=False)
    return d


@pytest.mark.parametrize("argv, fmt", [
    (["energy", "run.json"], "png"),
    (["energy", "cmp.csv", "--relative"], "svg"),
    (["energy", "run.json", "run.json"], "pdf"),
    (["roofline", "run.json", "--arch", "gemmini"], "pdf"),
    (["sparsity", "cmp.json"], "svg"),
    (["sparsity", "cmp.csv", "--metric", "latency"], "png"),
    (["pareto", "sweep.parquet", "--hue", "param.compute.rows"], "png"),
    (["pareto", "sweep.csv", "--log"], "svg"),
    (["utilization", "run.json", "run.json", "--label", "a", "--label", "b"], "pdf"),
])
def test_cli_writes_figures(files, tmp_path, capsys, argv, fmt):
    out = tmp_path / f"fig.{fmt}"
    args = ["plot", argv[0]] + [str(files / a) if (files / a).exists() else a for a in argv[1:]]
    code = main([*args, "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    assert out.read_bytes().startswith(MAGIC[fmt])


@pytest.mark.parametrize("argv, needle", [
    (["roofline", "run.json"], "needs --arch"),
    (["roofline", "cmp.json", "--arch", "gemmini"], "needs a run result"),
    (["energy", "missing.json"], "no such file"),
    (["energy", "bad.json"], "cannot read result"),
    (["energy", "notes.txt"], "expected a .json, .csv or .parquet"),
    (["sparsity", "run.json", "run.json"], "takes one INPUT"),
    (["utilization", "cmp.json"], "needs run results"),
    (["pareto", "sweep.csv", "--x", "nope"], "needs column(s) nope"),
    (["energy", "run.json", "-o", "fig.gif"], "must end in .png, .svg or .pdf"),
    (["roofline", "run.json", "--arch", "no_such_arch"], "no_such_arch: file not found"),
])
def test_cli_bad_input_exits_2(files, tmp_path, capsys, argv, needle):
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "notes.txt").write_text("hello")

    def path(a: str) -> str:
        for d in (files, tmp_path):
            if (d / a).exists():
                return str(d / a)
        return str(tmp_path / a) if a.endswith(".json") else a

    args = ["plot"] + [argv[0]] + [path(a) for a in argv[1:]]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "x.png")]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err
    assert err.count("\n") == 1 and err.startswith("hwsim: error: ")


def test_load_result_kinds(files):
    assert load_result(files / "run.json").kind == "run"
    assert load_result(files / "run.json").meta["arch"] == "gemmini"
    assert load_result(files / "cmp.json").kind == "compare"
    assert load_result(files / "cmp.csv").kind == "compare"
    assert load_result(files / "sweep.parquet").kind == "sweep"
    cmp_ = load_result(files / "cmp.json").frame
    assert "energy_dram_j" in cmp_.columns and "energy_breakdown_j" not in cmp_.columns
    data = json.loads((files / "cmp.json").read_text())
    assert cmp_["energy_dram_j"].tolist() == [r["energy_breakdown_j"]["dram"] for r in data]


def test_energy_compare_rows_one_panel_per_accelerator():
    """Accelerators whose energies differ by orders of magnitude get a panel (and a scale)
    each; every panel's bar tops equal its own rows' totals."""
    from hwsim import load_arch
    from hwsim.evaluation import compare
    from hwsim.sparsity.spec import parse_sparsity
    from hwsim.workload.zoo import ZOO
    from tests.conftest import ARCH_DIR

    archs = [load_arch(ARCH_DIR / f"{n}.yaml") for n in ("zhang_fpga15", "gemmini")]
    rows = compare(ZOO["lenet5"](), archs, [parse_sparsity("channel:sparsity=0.5")])
    fig = plot_energy_breakdown(rows)
    axes = [ax for ax in fig.axes if ax.patches]
    assert [ax.get_title() for ax in axes] == ["zhang_fpga15", "gemmini"]
    for ax, arch in zip(axes, ("zhang_fpga15", "gemmini")):
        mine = [r.energy_j for r in rows if r.arch == arch]
        scale, unit = si_scale(mine, "J")
        assert ax.get_ylabel() == f"energy ({unit})"
        tops: dict[float, float] = {}
        for p in ax.patches:
            x = round(p.get_x() + p.get_width() / 2, 6)
            tops[x] = max(tops.get(x, 0.0), p.get_y() + p.get_height())
        np.testing.assert_allclose(sorted(tops.values()), sorted(e * scale for e in mine),
                                   rtol=1e-9)

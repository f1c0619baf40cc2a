"""Sweeps that weigh designs by what they cost: the bundled area_tradeoff spec (placed area of
Gemmini-like arrays against latency and energy) and FPGA designs refused when they overflow
their device's DSPs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from hwsim.cli import main
from hwsim.plot import plot_pareto
from hwsim.sweep import load_results, load_sweep, pareto_front, run_sweep
from hwsim.sweep.grid import grid_size
from tests.conftest import ARCH_DIR

AREA_SPEC = ARCH_DIR / "sweeps" / "area_tradeoff.yaml"
ROWS = "param.compute.rows"
SPAD = "param.buffers.0.capacity_kib"
ACC = "param.buffers.1.capacity_kib"


def test_bundled_area_spec() -> None:
    s = load_sweep(AREA_SPEC)
    assert (s.arch, [w for w, _ in s.workloads], s.objective, s.outputs) == (
        "gemmini", ["resnet18"], "latency", "totals")
    values = {p.path: p.values for p in s.params}
    assert values["compute.rows"] == values["compute.cols"] == (8, 16, 32, 64)
    assert s.groups[0][0] == "zip"
    assert grid_size(s) == 4 * 5 * 4


@pytest.fixture(scope="module")
def area_results(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The bundled spec with fewer buffer sizes (all four arrays), run in process."""
    data = yaml.safe_load(AREA_SPEC.read_text(encoding="utf-8"))
    buffers = data["parameters"][1]["params"]
    assert set(buffers) == {"buffers.0.capacity_kib", "buffers.1.capacity_kib"}
    buffers["buffers.0.capacity_kib"] = [64, 256]
    buffers["buffers.1.capacity_kib"] = [16, 64]
    tmp = tmp_path_factory.mktemp("area")
    spec = tmp / "area_small.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    summary = run_sweep(load_sweep(spec), tmp / "area.parquet")
    assert summary.points == summary.rows == 4 * 2 * 2
    return load_results(tmp / "area.parquet")


def test_area_positive_and_grows_with_the_array(area_results: pd.DataFrame) -> None:
    df = area_results
    assert (df["status"] == "ok").all()
    assert (df["area_mm2"] > 0).all() and (df["leakage_w"] > 0).all()
    for (_spad, _acc), group in df.groupby([SPAD, ACC]):
        by_rows = group.sort_values(ROWS)
        assert list(by_rows[ROWS]) == [8, 16, 32, 64]
        assert np.all(np.diff(by_rows["area_mm2"].to_numpy()) > 0), (_spad, _acc)
    # and with the buffers at a fixed array
    for _rows, group in df.groupby(ROWS):
        area = group.set_index([SPAD, ACC])["area_mm2"]
        assert area[(64, 16)] < area[(256, 16)] < area[(256, 64)]


def test_latency_and_energy_fronts_against_area(area_results: pd.DataFrame) -> None:
    ok = area_results
    latency = pareto_front(ok, "area_mm2", "latency_s")
    energy = pareto_front(ok, "area_mm2", "energy_j")
    assert len(latency) >= 3 and len(energy) >= 3
    # along a front, more area buys strictly less latency (energy)
    assert np.all(np.diff(latency["latency_s"].to_numpy()) < 0)
    assert np.all(np.diff(energy["energy_j"].to_numpy()) < 0)
    # the smallest design starts both fronts; the fastest design ends the latency front
    smallest = ok["area_mm2"].idxmin()
    assert latency.index[0] == energy.index[0] == smallest
    assert latency["latency_s"].iloc[-1] == ok["latency_s"].min()


def test_pareto_cli_and_plot_on_area(area_results: pd.DataFrame, tmp_path: Path,
                                     capsys: Any) -> None:
    out = tmp_path / "area.parquet"
    area_results.to_parquet(out)
    front = tmp_path / "front.csv"
    assert main(["pareto", str(out), "--x", "area_mm2", "--y", "energy_j",
                 "--filter", "area_mm2 < 2", "-o", str(front)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Pareto front of area_mm2 vs energy_j: ")
    assert "sparsity" not in printed  # all empty: not printed
    got = pd.read_csv(front)
    assert len(got) >= 3 and (got["area_mm2"] < 2).all()
    fig = plot_pareto(area_results, "area_mm2", "latency_s")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "area (mm²)" and ax.get_ylabel().startswith("latency (")
    pts = next(c for c in ax.collections if c.get_gid() == "points")
    np.testing.assert_allclose(pts.get_offsets()[:, 0], area_results["area_mm2"])  # unscaled
    png = tmp_path / "pareto.png"
    assert main(["plot", "pareto", str(out), "--x", "area_mm2", "--y", "energy_j",
                 "-o", str(png)]) == 0
    assert png.stat().st_size > 0


# --- FPGA: designs that overflow the device --------------------------------------------------

UNROLL_K = [16, 32, 64, 80, 96, 128]
DSP_PER_FP32_MAC = 5  # xc7vx485t DSP48E1s per fp32 multiply-add
UNROLL_C = 7
DEVICE_DSP = 2800


def test_fpga_sweep_refuses_designs_over_the_dsp_budget(tmp_path: Path) -> None:
    spec = tmp_path / "fpga.yaml"
    spec.write_text(f"""\
name: fpga_k
arch: zhang_fpga15
workloads: [lenet5]
parameters:
  compute.unroll.K: {UNROLL_K}
""", encoding="utf-8")
    summary = run_sweep(load_sweep(spec), tmp_path / "fpga.parquet")
    df = load_results(tmp_path / "fpga.parquet").set_index("param.compute.unroll.K")
    assert sorted(df.index) == UNROLL_K
    over = [k for k in UNROLL_K if DSP_PER_FP32_MAC * UNROLL_C * k > DEVICE_DSP]
    assert over == [96, 128] and summary.failed == len(over)
    for k in UNROLL_K:
        row = df.loc[k]
        if k in over:
            assert row["status"] == "invalid"
            assert "does not fit" in row["error"] and "dsp" in row["error"].lower()
            assert pd.isna(row["latency_s"]) and pd.isna(row["fpga_dsp"])
        else:
            assert row["status"] == "ok", row["error"]
            assert row["fpga_dsp"] == DSP_PER_FP32_MAC * UNROLL_C * k
            assert row["fpga_ram_blocks"] > 0
            assert row["area_mm2"] == 0.0  # FPGA designs have no component area


def test_design_constraints_exclude_designs_before_evaluation(tmp_path: Path) -> None:
    """Constraints may name what a design costs (area_mm2, fpga_dsp, ...): designs that break
    them are recorded as 'excluded' with the values that decided it, and not evaluated."""
    data = yaml.safe_load(AREA_SPEC.read_text(encoding="utf-8"))
    buffers = data["parameters"][1]["params"]
    buffers["buffers.0.capacity_kib"] = [64]
    buffers["buffers.1.capacity_kib"] = [16]
    data["constraints"] = ["area_mm2 <= 1.0", "compute_rows >= 8"]
    spec = tmp_path / "budget.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    sweep = load_sweep(spec)
    assert sweep.constraints == ("compute_rows >= 8",)
    assert sweep.design_constraints == ("area_mm2 <= 1.0",)
    run_sweep(sweep, tmp_path / "r.parquet")
    df = load_results(tmp_path / "r.parquet").sort_values(ROWS)
    ok, excluded = df[df["status"] == "ok"], df[df["status"] == "excluded"]
    assert list(ok[ROWS]) == [8, 16, 32] and list(excluded[ROWS]) == [64]
    assert (ok["area_mm2"] <= 1.0).all()
    assert excluded["error"].str.contains("area_mm2 <= 1.0").all()
    assert excluded["latency_s"].isna().all()  # never evaluated


def test_fpga_dsp_budget_as_a_constraint(tmp_path: Path) -> None:
    spec = tmp_path / "dsp.yaml"
    spec.write_text(yaml.safe_dump({
        "name": "dsp_budget", "arch": str(ARCH_DIR / "zhang_fpga15.yaml"),
        "workloads": ["lenet5"], "objective": "latency",
        "parameters": {"compute.unroll.K": {"name": "Tm", "values": [32, 64, 72]}},
        "constraints": ["fpga_dsp <= 0.85 * fpga_dsp_available"],
    }), encoding="utf-8")
    run_sweep(load_sweep(spec), tmp_path / "r.parquet")
    df = load_results(tmp_path / "r.parquet").set_index("param.compute.unroll.K")
    # 5 DSPs per fp32 MAC x 7 x K against 85% of 2,800: 1,120 and 2,240 fit, 2,520 does not.
    assert df.loc[32, "status"] == df.loc[64, "status"] == "ok"
    assert df.loc[72, "status"] == "excluded" and "fpga_dsp=2520" in df.loc[72, "error"]


def test_unknown_constraint_names_list_the_design_names(tmp_path: Path) -> None:
    from hwsim.errors import SpecError

    data = yaml.safe_load(AREA_SPEC.read_text(encoding="utf-8"))
    data["constraints"] = ["silicon_mm2 < 2"]
    spec = tmp_path / "bad.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(SpecError, match=r"unknown name.*silicon_mm2.*area_mm2"):
        load_sweep(spec)


def test_a_design_constraint_that_cannot_be_computed_is_an_invalid_row(tmp_path: Path) -> None:
    """A design constraint undefined for some designs (a division by fpga_dsp, which is 0 for
    an ASIC) makes those points 'invalid' rows saying why, not the whole run an error."""
    spec = tmp_path / "undefined.yaml"
    spec.write_text(yaml.safe_dump({
        "name": "undefined", "arch": str(ARCH_DIR / "gemmini.yaml"),
        "workloads": ["lenet5"], "objective": "latency",
        "parameters": {"dram.bandwidth_gbps": {"values": [4, 8]}},
        "constraints": ["area_mm2 / fpga_dsp < 5"],
    }), encoding="utf-8")
    run_sweep(load_sweep(spec), tmp_path / "r.parquet")
    df = load_results(tmp_path / "r.parquet")
    assert list(df["status"]) == ["invalid", "invalid"]
    assert df["error"].str.startswith("design constraint:").all()
    assert df["latency_s"].isna().all()

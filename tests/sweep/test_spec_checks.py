"""Sweep specs are checked when they load: every parameter path against the accelerator schema
(on every base arch), constraint names, all problems of a file at once; sweeps over several
base accelerators run each point on each and name it in an ``arch`` column."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hwsim.cli import main
from hwsim.errors import SpecError
from hwsim.sweep import load_results, load_sweep, run_sweep
from hwsim.sweep.grid import grid_size, point_id, points
from hwsim.sweep.paths import path_problem
from hwsim.yamlio import CombinedSpecError, load_yaml
from tests.conftest import ARCH_DIR

GEMMINI = ARCH_DIR / "gemmini.yaml"

SPEC = f"""\
name: checks
arch: {GEMMINI}
workloads: [lenet5]
parameters:
  compute.rows: [8, 16]
  dram.bandwidth_gbps: [8, 16]
constraints:
  - compute_rows <= 2 * dram_bandwidth_gbps
"""


def write(tmp_path: Path, text: str, name: str = "sweep.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# --- parameter paths -----------------------------------------------------------------------


def test_misspelt_parameter_exits_2_with_line_and_suggestion(tmp_path: Path, capsys: Any
                                                               ) -> None:
    spec = write(tmp_path, SPEC.replace("compute.rows:", "compute.row:"))
    out = tmp_path / "r.parquet"
    assert main(["sweep", str(spec), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 2  # the path, and the constraint that names its column
    assert lines[0].startswith("hwsim: error: ") and f"{spec}:5: " in lines[0]
    assert "field 'parameters.compute.row'" in lines[0]
    assert "did you mean 'rows'?" in lines[0]
    assert f"{spec}:8: field 'constraints[0]'" in lines[1]
    assert "'compute_rows' (did you mean 'compute_row'?)" in lines[1]
    assert not out.exists()  # nothing ran


@pytest.mark.parametrize(("path", "line", "needle"), [
    ("compute.row", 5, "compute (systolic) has no field 'row' (did you mean 'rows'?)"),
    ("dram.bandwith_gbps", 5, "dram has no field 'bandwith_gbps' (did you mean "
                              "'bandwidth_gbps'?)"),
    ("buffers.5.capacity_kib", 5, "buffers has 2 items (indices 0 to 1), no item 5"),
    ("buffers.scratchpad.capacity_kib", 5, "address an item by its index"),
    ("buffers.0.capacity_kb", 5, "did you mean 'capacity_kib'?"),
    ("clock_mhz.value", 5, "clock_mhz is a number, it has no field 'value'"),
    ("energy.mac_pj.int9", 5, "did you mean 'int8'?"),
    ("interconect.hop_mm", 5, "the accelerator has no field 'interconect' (did you mean "
                              "'interconnect'?)"),
])
def test_parameter_paths_are_checked_against_the_schema(tmp_path: Path, path: str, line: int,
                                                        needle: str) -> None:
    text = SPEC.replace("compute.rows:", f"{path}:").replace(
        "compute_rows <= 2 * dram_bandwidth_gbps", "dram_bandwidth_gbps > 0")
    with pytest.raises(SpecError) as err:
        load_sweep(write(tmp_path, text))
    assert err.value.line == line, str(err.value)
    assert err.value.field == f"parameters.{path}"
    assert needle in str(err.value)
    assert len(str(err.value).splitlines()) == 1


@pytest.mark.parametrize("path", [
    "compute.rows", "compute.dataflow", "compute.vector_lanes", "buffers.1.capacity_kib",
    "buffers.0.holds", "dram.burst_bytes", "sparsity.skip", "sparsity.weights.format",
    "sparsity.nm", "energy.mac_pj.int8", "interconnect.topology", "precisions", "kind",
    "static_power_w", "sources.note",
])
def test_valid_paths_pass(path: str) -> None:
    data, _ = load_yaml(GEMMINI)
    assert path_problem(data, path) is None


def test_compute_paths_follow_the_kind() -> None:
    fpga, _ = load_yaml(ARCH_DIR / "zhang_fpga15.yaml")
    assert path_problem(fpga, "compute.unroll.K") is None
    assert "did you mean 'K'?" in str(path_problem(fpga, "compute.unroll.k"))
    assert "compute (fpga) has no field 'rows'" in str(path_problem(fpga, "compute.rows"))
    # a sweep that also sets the kind may address the other kind's compute fields
    assert path_problem(fpga, "compute.rows", kinds=["systolic"]) is None


def test_constraint_names_get_a_suggestion(tmp_path: Path) -> None:
    text = SPEC.replace("compute_rows <= 2 *", "compute_rws <= 2 *")
    with pytest.raises(SpecError) as err:
        load_sweep(write(tmp_path, text))
    assert err.value.line == 8 and err.value.field == "constraints[0]"
    assert "unknown name 'compute_rws' (did you mean 'compute_rows'?)" in str(err.value)
    text = SPEC.replace("compute_rows <= 2 *", "compute.rows <= 2 *")
    with pytest.raises(SpecError, match=r"write the field compute\.rows as compute_rows"):
        load_sweep(write(tmp_path, text))


def test_every_problem_of_a_spec_at_once(tmp_path: Path) -> None:
    text = SPEC.replace("compute.rows:", "compute.row:").replace(
        "dram.bandwidth_gbps:", "dram.bandwith_gbps:").replace(
        "workloads: [lenet5]", "workloads: [lenet5, no_such_net]")
    with pytest.raises(CombinedSpecError) as err:
        load_sweep(write(tmp_path, text))
    lines = str(err.value).splitlines()
    assert [ln.split(": field")[0].rsplit(":", 1)[1] for ln in lines] == ["3", "5", "6", "8"]
    assert err.value.line == 3 and err.value.field == "workloads[1]"  # the first, in file order
    assert len(err.value.problems) == 4
    # picklable (worker processes, Dask) with every problem
    again = pickle.loads(pickle.dumps(err.value))
    assert str(again) == str(err.value) and again.line == 3


def test_schema_problems_all_reported_with_suggestions(tmp_path: Path) -> None:
    text = SPEC.replace("name: checks", "nmae: checks").replace("workloads:", "workload:")
    with pytest.raises(SpecError) as err:
        load_sweep(write(tmp_path, text))
    lines = str(err.value).splitlines()
    assert len(lines) == 2, str(err.value)
    assert "sweep.yaml:1: field 'nmae': unknown field (did you mean 'name'?)" in lines[0]
    # a misspelt required field is one problem, not 'unknown' plus 'missing'
    assert ("sweep.yaml:3: field 'workload': unknown field (did you mean 'workloads'?)"
            in lines[1])


# --- several base accelerators -------------------------------------------------------------

MULTI = """\
name: multi
arch: [gemmini, tpu_v1]
workloads: [lenet5]
parameters:
  dram.bandwidth_gbps: [8, 16]
  sparsity.skip: [none, unstructured]
"""


def test_multi_arch_sweep_runs_each_point_on_each_base(tmp_path: Path, capsys: Any) -> None:
    spec = write(tmp_path, MULTI)
    s = load_sweep(spec)
    assert [b.name for b in s.bases] == ["gemmini", "tpu_v1"]
    assert s.arch_labels == ("gemmini", "tpu_v1")
    assert grid_size(s) == 2 * 2 * 2
    pts = list(points(s))
    assert len(pts) == 8 and len({p.id for p in pts}) == 8
    out = tmp_path / "r.parquet"
    assert main(["sweep", str(spec), "-o", str(out), "-q"]) == 0
    df = load_results(out)
    assert list(df.columns[:4]) == ["id", "status", "error", "arch"]
    assert (df["status"] == "ok").all()
    assert df.groupby("arch").size().to_dict() == {"gemmini": 4, "tpu_v1": 4}
    # each base gives its own numbers: the TPU's 256x256 array is not Gemmini's 16x16
    lat = df.groupby("arch")["latency_s"].min()
    assert lat["gemmini"] != lat["tpu_v1"]
    # pareto works on it, filters by arch and shows the column
    assert main(["pareto", str(out), "--filter", "arch == 'tpu_v1'",
                 "-o", str(tmp_path / "f.csv")]) == 0
    assert set(pd.read_csv(tmp_path / "f.csv")["arch"]) == {"tpu_v1"}
    capsys.readouterr()
    assert main(["pareto", str(out)]) == 0
    assert " arch " in capsys.readouterr().out


def test_single_arch_ids_unchanged_by_the_base_list(tmp_path: Path) -> None:
    """A single-arch sweep's ids hash the arch as written, so results written before
    multi-arch sweeps resume; the same point on the first base of a list has the same id."""
    one = load_sweep(write(tmp_path, MULTI.replace("[gemmini, tpu_v1]", "gemmini"), "one.yaml"))
    two = load_sweep(write(tmp_path, MULTI, "two.yaml"))
    ids_one = {p.id for p in points(one)}
    ids_two = {p.id: p.base for p in points(two)}
    assert ids_one == {i for i, b in ids_two.items() if b == 0}
    p = next(points(one))
    assert point_id(one, p.values, p.workload, p.sparsity, p.level) == p.id


def test_parameter_missing_on_one_base_is_refused_naming_it(tmp_path: Path) -> None:
    text = MULTI.replace("[gemmini, tpu_v1]", "[gemmini, zhang_fpga15]").replace(
        "sparsity.skip:", "compute.rows:").replace("[none, unstructured]", "[8, 16]")
    with pytest.raises(SpecError) as err:
        load_sweep(write(tmp_path, text))
    assert err.value.line == 6 and err.value.field == "parameters.compute.rows"
    assert "base arch 'zhang_fpga15': compute (fpga) has no field 'rows'" in str(err.value)
    text = MULTI.replace("sparsity.skip: [none, unstructured]", "buffers.2.capacity_kib: [64]")
    with pytest.raises(SpecError, match=r"base arch .gemmini.: buffers has 2 items"):
        load_sweep(write(tmp_path, text))


def test_multi_arch_list_mistakes_are_located(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as err:
        load_sweep(write(tmp_path, MULTI.replace("tpu_v1]", "tpu_v1, no_such_arch]")))
    assert err.value.field == "arch[2]" and "no_such_arch" in str(err.value)
    with pytest.raises(SpecError, match="listed twice"):
        load_sweep(write(tmp_path, MULTI.replace("tpu_v1]", "tpu_v1, gemmini]")))
    with pytest.raises(SpecError) as err:
        load_sweep(write(tmp_path, MULTI.replace("[gemmini, tpu_v1]", "[]")))
    assert err.value.field == "arch" and err.value.line == 2


def test_multi_arch_results_plot(tmp_path: Path) -> None:
    from hwsim.plot import plot_energy_breakdown, plot_pareto

    out = tmp_path / "r.parquet"
    run_sweep(load_sweep(write(tmp_path, MULTI)), out)
    fig = plot_pareto(out, hue="arch")
    ax = fig.axes[0]
    assert {c.get_gid() for c in ax.collections} >= {"points:gemmini", "points:tpu_v1"}
    assert ax.get_title().startswith("lenet5 on ")
    fig = plot_energy_breakdown(out)  # one panel per base arch: their energies differ a lot
    assert sorted(a.get_title() for a in fig.axes if a.patches) == ["gemmini", "tpu_v1"]


def test_shorthand_parameters_are_named_as_written(tmp_path: Path) -> None:
    """``parameters: {path: axis}`` problems name ``parameters.<path>``, as the file does."""
    text = SPEC.replace("compute.rows: [8, 16]", "compute.row: [8, 16]").replace(
        "dram.bandwidth_gbps: [8, 16]", "dram.bandwidth_gbps: {range: {start: 1, stop: 2}}")
    with pytest.raises(SpecError) as err:
        load_sweep(write(tmp_path, text))
    # schema problems stop the load before the paths are checked
    assert (err.value.line, err.value.field) == (6, "parameters.dram.bandwidth_gbps.range.step")
    assert str(err.value).endswith("Field required")
    text = SPEC.replace("compute.rows: [8, 16]", "compute.row: [8, 16]")
    with pytest.raises(SpecError) as err2:
        load_sweep(write(tmp_path, text))
    assert (err2.value.line, err2.value.field) == (5, "parameters.compute.row")


@pytest.mark.parametrize(("param", "value", "needle"), [
    ("buffers.0.capacity_kib", "{values: [64, -8]}", "swept value -8: Input should be greater"),
    ("dram.bandwidth_gbps", "{values: [8, .nan]}", "swept value NaN"),
    ("compute.dataflow", "{values: [ws, diagonal]}", "swept value \"diagonal\""),
    ("clock_mhz", "{range: {start: -100, stop: 500, step: 100}}", "swept value -100"),
])
def test_a_swept_value_the_field_refuses_is_a_located_load_error(
        tmp_path: Path, capsys: Any, param: str, value: str, needle: str) -> None:
    """A value the field itself refuses (whatever the other fields) is the spec's mistake: one
    located line at load, nothing evaluated; values that fail only in combination are left to
    each point ('invalid' rows)."""
    spec = write(tmp_path, f"name: v\narch: {GEMMINI}\nworkloads: [lenet5]\nparameters:\n"
                           f"  {param}: {value}\n")
    code = main(["sweep", str(spec), "-o", str(tmp_path / "r.parquet")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert f"{spec}:5:" in err and needle in err, err
    assert not (tmp_path / "r.parquet").exists()


def test_a_sweep_that_switches_kinds_is_not_refused_for_the_bases_kind(tmp_path: Path) -> None:
    """Swept values are checked against the base's own kind only when no 'kind' is swept: a
    zip of kinds with each kind's compute section loads, and each point is judged alone."""
    spec = write(tmp_path, f"name: k\narch: {GEMMINI}\nworkloads: [lenet5]\nparameters:\n"
                           "  - combine: zip\n    params:\n      kind: [systolic, fpga]\n"
                           "      compute: [{rows: 8, cols: 8, dataflow: ws}, "
                           "{unroll: {K: 8, C: 4}}]\n")
    assert len(load_sweep(spec).params) == 2


def test_a_value_refused_only_by_the_resolved_hardware_is_left_to_the_points(
        tmp_path: Path) -> None:
    """Only the schema's own checks refuse a swept value at load: a device that the base's
    unrolling overflows (valid with another swept unrolling) becomes 'invalid' rows."""
    spec = write(tmp_path, f"name: d\narch: {ARCH_DIR / 'zhang_fpga15.yaml'}\n"
                           "workloads: [lenet5]\nparameters:\n"
                           "  compute.device: [xc7vx485t, xczu9eg]\n")
    assert len(load_sweep(spec).params) == 1

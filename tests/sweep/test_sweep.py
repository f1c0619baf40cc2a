"""Sweeps: spec parsing and located errors, grids, constraints, exact results, resume,
atomic writes, per-layer rows, local process pool and Dask executors, CLI."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hwsim.arch.spec import ArchSpec
from hwsim.cli import main
from hwsim.errors import SpecError
from hwsim.evaluation import evaluate
from hwsim.overrides import set_path
from hwsim.sparsity.spec import parse_sparsity
from hwsim.sweep import load_results, load_sweep, run_sweep
from hwsim.sweep.grid import grid_size, points
from hwsim.sweep.store import parts_dir, write_atomic
from hwsim.workload.io import load_workload
from hwsim.yamlio import load_yaml
from tests.conftest import ARCH_DIR, WORKLOAD_DIR

GEMMINI = ARCH_DIR / "gemmini.yaml"
SWEEP_DIR = ARCH_DIR / "sweeps"

SMALL = f"""\
name: small
arch: {GEMMINI}
workloads: [lenet5]
objective: latency
parameters:
  - combine: zip
    params:
      compute.rows: [4, 8, 16]
      compute.cols: [4, 8, 16]
  - params:
      dram.bandwidth_gbps: {{range: {{start: 2, stop: 8, step: 2}}}}
constraints:
  - compute_rows * compute_cols <= 16 * dram_bandwidth_gbps
"""


def write(tmp_path: Path, text: str, name: str = "sweep.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# --- spec ----------------------------------------------------------------------------------


def test_bundled_specs_load() -> None:
    sizes = {}
    for f in sorted(SWEEP_DIR.glob("*.yaml")):
        s = load_sweep(f)
        sizes[s.name] = (grid_size(s), sum(1 for _ in points(s)))
    assert sizes["systolic_shape"][0] == 5 * 5 * 3 * 8  # zip(5) x 5 x 3 x 8
    assert sizes["fpga_unroll"][0] == 6 * 6 * 3
    # 4 skip x 2 gating, 5 plain patterns + a nested one of 3 levels = 8 cases
    assert sizes["sparsity_patterns"] == (8, 8 * 8)


def test_grid_product_zip_logrange(tmp_path: Path) -> None:
    s = load_sweep(write(tmp_path, SMALL.replace("constraints:", "unused:\n").split("unused")[0]))
    assert grid_size(s) == 3 * 4
    assert [p.values for p in s.params][2] == (2, 4, 6, 8)
    pts = list(points(s))
    assert len(pts) == 12 and len({p.id for p in pts}) == 12
    assert {(p.values[0], p.values[1]) for p in pts} == {(4, 4), (8, 8), (16, 16)}
    text = f"""\
arch: {GEMMINI}
workloads: [lenet5]
parameters:
  compute.rows: {{logrange: {{start: 2, stop: 256, num: 8}}}}
  dram.bandwidth_gbps: {{logrange: {{start: 1, stop: 100, num: 3, integer: false}}}}
  compute.dataflow: [ws, os]
"""
    s = load_sweep(write(tmp_path, text))
    assert s.params[0].values == (2, 4, 8, 16, 32, 64, 128, 256)
    assert s.params[1].values == pytest.approx((1.0, 10.0, 100.0))
    assert grid_size(s) == 8 * 3 * 2


def test_constraints_drop_points(tmp_path: Path) -> None:
    s = load_sweep(write(tmp_path, SMALL))
    kept = [p.values for p in points(s)]
    # rows*cols <= 16*bw: 4x4 always (4 bw), 8x8 needs bw >= 4 (3), 16x16 needs bw >= 16 (0)
    assert len(kept) == 4 + 3
    assert all(r * c <= 16 * bw for r, c, bw in kept)


def test_nested_sparsity_gives_one_point_per_level(tmp_path: Path) -> None:
    text = SMALL + 'sparsity: [null, "nested:levels=[0.5,0.75,0.9]", "nm:n=2,m=4"]\n'
    s = load_sweep(write(tmp_path, text))
    assert [(c.text is None, c.level) for c in s.sparsity] == [
        (True, 0), (False, 0), (False, 1), (False, 2), (False, 0)]
    assert sum(1 for _ in points(s)) == 7 * 5


@pytest.mark.parametrize(("text", "line", "field"), [
    (SMALL + "bogus: 1\n", 14, "bogus"),
    (SMALL.replace("[4, 8, 16]\n      compute.cols: [4, 8, 16]",
                   "[4, 8, 16]\n      compute.cols: [4, 8]"), 6, "parameters[0].combine"),
    (SMALL.replace("compute_rows * compute_cols", "rows * cols"), 13, "constraints[0]"),
    (SMALL.replace("dram.bandwidth_gbps:", "buffers.7.capacity_kib:"), 11,
     "parameters[1].params.buffers.7.capacity_kib"),
    (SMALL.replace("step: 2", "step: 0"), 11,
     "parameters[1].params.dram.bandwidth_gbps.range.step"),
    (SMALL + "sparsity: [\"blok:sparsity=0.5\"]\n", 14, "sparsity[0]"),
    (SMALL.replace("workloads: [lenet5]", "workloads: [no_such_net]"), 3, "workloads[0]"),
    (SMALL.replace("objective: latency", "objective: speed"), 4, "objective"),
    (SMALL.replace("compute_rows * compute_cols <=", "__import__('os') or"), 13,
     "constraints[0]"),
], ids=["unknown-field", "zip-lengths", "unknown-name", "bad-path", "bad-step",
        "bad-sparsity", "bad-workload", "bad-objective", "call"])
def test_spec_errors_are_located(tmp_path: Path, text: str, line: int, field: str) -> None:
    with pytest.raises(SpecError) as err:
        load_sweep(write(tmp_path, text))
    assert err.value.file and err.value.file.endswith("sweep.yaml")
    assert err.value.line == line, str(err.value)
    assert err.value.field == field, str(err.value)


# --- results -------------------------------------------------------------------------------


def direct(values: dict[str, Any], workload: str = "lenet5", sparsity: str | None = None,
           level: int = 0, objective: str = "latency") -> Any:
    data, _ = load_yaml(GEMMINI)
    for path, v in values.items():
        data = set_path(data, path, v)
    wl = load_workload(WORKLOAD_DIR / f"{workload}.yaml")
    spec = parse_sparsity(sparsity) if sparsity else None
    return evaluate(wl, ArchSpec.model_validate(data), objective=objective, sparsity=spec,
                    level=level)


def test_results_equal_direct_evaluate(tmp_path: Path) -> None:
    text = SMALL + 'sparsity: [null, "nested:levels=[0.5,0.75]"]\n'
    s = load_sweep(write(tmp_path, text))
    summary = run_sweep(s, tmp_path / "r.parquet")
    df = load_results(tmp_path / "r.parquet")
    assert summary.points == summary.rows == len(df) == 7 * 3
    assert (df["status"] == "ok").all()
    for _, row in df.sample(6, random_state=0).iterrows():
        rep = direct({"compute.rows": row["param.compute.rows"],
                      "compute.cols": row["param.compute.cols"],
                      "dram.bandwidth_gbps": row["param.dram.bandwidth_gbps"]},
                     sparsity=row["sparsity"], level=row["level"])
        t = rep.totals
        for col in ("latency_s", "energy_j", "cycles", "dram_bytes", "utilization", "macs",
                    "effective_macs", "metadata_bytes"):
            assert row[col] == t[col], col
        assert row["bound"] == t["bound"]
        for comp, j in t["energy_breakdown_j"].items():
            assert row[f"energy_{comp}_j"] == j
        assert row["workload"] == "lenet5"


def test_infeasible_and_invalid_points_are_recorded(tmp_path: Path) -> None:
    """A design no tile fits is an 'infeasible' row; a swept value the field itself refuses
    (rows 0) is the spec's mistake, a located error at load. Values invalid only in combination
    become 'invalid' rows (an FPGA design that overflows its device:
    tests/sweep/test_area_sweep.py)."""
    text = f"""\
arch: {GEMMINI}
workloads: [lenet5]
parameters:
  buffers.0.capacity_kib: [0.01, 256]
  compute.rows: [8, 16]
"""
    s = load_sweep(write(tmp_path, text))
    summary = run_sweep(s, tmp_path / "r.parquet")
    df = load_results(tmp_path / "r.parquet").set_index(
        ["param.buffers.0.capacity_kib", "param.compute.rows"])
    assert summary.failed == 2
    assert df.loc[(256.0, 16), "status"] == df.loc[(256.0, 8), "status"] == "ok"
    assert df.loc[(0.01, 16), "status"] == "infeasible"
    assert "no tile" in df.loc[(0.01, 16), "error"]
    assert math.isnan(df.loc[(0.01, 16), "latency_s"])
    bad = write(tmp_path, text.replace("[8, 16]", "[0, 16]"), "bad.yaml")
    with pytest.raises(SpecError, match=r"bad.yaml:5: field 'parameters.compute.rows': "
                                        r"swept value 0"):
        load_sweep(bad)


def test_layers_output(tmp_path: Path) -> None:
    s = load_sweep(write(tmp_path, SMALL + "outputs: layers\n"))
    summary = run_sweep(s, tmp_path / "r.parquet")
    assert summary.layers_output == tmp_path / "r.layers.parquet"
    layers = pd.read_parquet(summary.layers_output)
    df = load_results(tmp_path / "r.parquet")
    n_layers = len(load_workload(WORKLOAD_DIR / "lenet5.yaml"))
    assert layers.groupby("id").size().eq(n_layers).all()
    assert set(layers["id"]) == set(df["id"])
    sums = layers.groupby("id")["energy_j"].sum()
    for _, row in df.iterrows():
        assert sums[row["id"]] == pytest.approx(row["energy_j"], rel=1e-12)


# --- resume and atomicity ------------------------------------------------------------------


class StopError(Exception):
    pass


def interrupt_after(k: int) -> Any:
    def cb(n: int) -> None:
        if n >= k:
            raise StopError
    return cb


@pytest.mark.parametrize("outputs", ["totals", "layers"])
def test_resume_computes_only_missing_points(tmp_path: Path, outputs: str) -> None:
    s = load_sweep(write(tmp_path, SMALL + f"outputs: {outputs}\n"))
    out = tmp_path / "r.parquet"
    with pytest.raises(StopError):
        run_sweep(s, out, chunk_size=2, on_chunk=interrupt_after(2))
    assert not out.exists()
    parts = sorted(parts_dir(out).glob("part-*.parquet"))
    assert len(parts) == 2
    # lose one chunk as if it had never been written, and leave a stray temporary file
    parts[0].unlink()
    (parts_dir(out) / ".part-x.parquet.123.tmp").write_bytes(b"garbage")
    summary = run_sweep(s, out, chunk_size=2)
    assert summary.resumed == 2 and summary.evaluated == 7 - 2
    df = load_results(out)
    assert len(df) == 7 and df["id"].is_unique
    assert set(df["id"]) == {p.id for p in points(s)}
    assert not parts_dir(out).exists()
    if outputs == "layers":
        layers = pd.read_parquet(tmp_path / "r.layers.parquet")
        assert layers.groupby("id").size().nunique() == 1
        assert set(layers["id"]) == set(df["id"])
    # run again: nothing to do, same table
    again = run_sweep(s, out)
    assert again.evaluated == 0 and again.resumed == 7
    pd.testing.assert_frame_equal(load_results(out), df)


def test_extended_spec_adds_only_new_points(tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    run_sweep(load_sweep(write(tmp_path, SMALL)), out)
    bigger = load_sweep(write(tmp_path, SMALL.replace("stop: 8", "stop: 10")))
    summary = run_sweep(bigger, out)
    assert summary.evaluated == 2  # bw 10: 4x4 and 8x8
    assert len(load_results(out)) == 9


def test_atomic_write_leaves_old_file_on_crash(tmp_path: Path, monkeypatch: Any) -> None:
    path = tmp_path / "t.parquet"
    old = pa.table({"id": [1, 2]})
    write_atomic(old, path)

    def broken(table: pa.Table, where: Any, **kw: Any) -> None:
        where.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken)
    with pytest.raises(OSError):
        write_atomic(pa.table({"id": [3]}), path)
    monkeypatch.undo()
    assert pq.read_table(path).equals(old)
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


# --- executors -----------------------------------------------------------------------------


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("id").reset_index(drop=True)


def test_process_pool_equals_in_process(tmp_path: Path) -> None:
    s = load_sweep(write(tmp_path, SMALL))
    run_sweep(s, tmp_path / "a.parquet")
    run_sweep(s, tmp_path / "b.parquet", jobs=2, chunk_size=1)
    pd.testing.assert_frame_equal(_sorted(load_results(tmp_path / "a.parquet")),
                                  _sorted(load_results(tmp_path / "b.parquet")))


def _profiler_enabled() -> bool:
    import dask

    return bool(dask.config.get("distributed.worker.profile.enabled"))


def test_local_dask_cluster_runs_its_workers_without_the_profiler() -> None:
    """The cluster a sweep starts turns the workers' statistical profiler off in their own
    config, so a restarted worker (after a crash or its memory limit) has it off too."""
    distributed = pytest.importorskip("distributed")
    from hwsim.sweep.run import local_cluster

    with local_cluster(1) as cluster, distributed.Client(cluster) as client:
        assert list(client.run(_profiler_enabled).values()) == [False]
        client.restart()
        assert list(client.run(_profiler_enabled).values()) == [False]
    assert _profiler_enabled()  # this process's own config is untouched


def test_dask_executor_equals_local(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    s = load_sweep(write(tmp_path, SMALL))
    run_sweep(s, tmp_path / "a.parquet")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        summary = run_sweep(s, tmp_path / "b.parquet", executor="dask",
                            scheduler=cluster.scheduler_address, chunk_size=2)
    assert summary.evaluated == 7
    pd.testing.assert_frame_equal(_sorted(load_results(tmp_path / "a.parquet")),
                                  _sorted(load_results(tmp_path / "b.parquet")))


# --- CLI -----------------------------------------------------------------------------------


def test_cli_sweep_and_pareto(tmp_path: Path, capsys: Any) -> None:
    spec = write(tmp_path, SMALL)
    out = tmp_path / "r.parquet"
    assert main(["sweep", str(spec), "-o", str(out), "--jobs", "1", "--chunk-size", "3"]) == 0
    assert "7 points" in capsys.readouterr().out
    front = tmp_path / "front.csv"
    assert main(["pareto", str(out), "--x", "latency_s", "--y", "energy_j", "-o", str(front),
                 "--filter", "workload == 'lenet5' and param_compute_rows >= 4"]) == 0
    printed = capsys.readouterr().out
    assert "Pareto front of latency_s vs energy_j" in printed
    got = pd.read_csv(front)
    df = load_results(out)
    assert 1 <= len(got) <= len(df)
    best = df["latency_s"].min()
    assert got["latency_s"].min() == pytest.approx(best)
    assert main(["pareto", str(out), "--x", "latency_s", "--y", "utilization",
                 "--maximize", "utilization", "-o", str(tmp_path / "f.json")]) == 0
    assert (tmp_path / "f.json").read_text().startswith("[")


def test_cli_bad_spec_exits_2_with_location(tmp_path: Path, capsys: Any) -> None:
    spec = write(tmp_path, SMALL.replace("step: 2", "stepp: 2"))
    assert main(["sweep", str(spec), "-o", str(tmp_path / "r.parquet")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hwsim: error: ") and "sweep.yaml:11" in err
    assert len(err.strip().splitlines()) == 1
    assert main(["pareto", str(tmp_path / "missing.parquet")]) == 2
    assert main(["pareto", str(write(tmp_path, "x", "r.parquet"))]) == 2
    out = tmp_path / "ok.parquet"
    assert main(["sweep", str(write(tmp_path, SMALL)), "-o", str(out), "-q"]) == 0
    assert main(["pareto", str(out), "--x", "nope"]) == 2
    assert main(["pareto", str(out), "--filter", "latency_s.real > 0"]) == 2
    assert np.all(load_results(out)["status"] == "ok")

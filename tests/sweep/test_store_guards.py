"""Sweep stores and grids that cannot hurt: a grid too large to plan is refused before it is
built; one sweep at a time per store (a lock that dies with its process); every page
checksummed, so bytes changed on disk are detected, and a resumed sweep recomputes what was
damaged."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from hwsim.cli import main
from hwsim.errors import HwsimError, SpecError
from hwsim.sweep import load_sweep, run_sweep
from hwsim.sweep.grid import check_size
from hwsim.sweep.run import plan
from hwsim.sweep.spec import MAX_POINTS, Param
from hwsim.sweep.store import layers_output, lock_path, parts_dir, read_results
from tests.sweep.test_expr_limits import bounded
from tests.sweep.test_sweep import GEMMINI, SMALL, StopError, interrupt_after, write

ROOT = Path(__file__).resolve().parents[2]

# --- grid size -----------------------------------------------------------------------------

HUGE = f"""\
arch: {GEMMINI}
workloads: [lenet5]
parameters:
  compute.rows: {{range: {{start: 1, stop: 1000000, step: 1}}}}
  compute.cols: {{range: {{start: 1, stop: 1000000, step: 1}}}}
"""


def test_grid_of_1e12_points_is_refused_at_load(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(tmp_path, HUGE)
    with bounded(), pytest.raises(SpecError) as ei:
        load_sweep(spec)
    err = ei.value
    assert err.line == 3 and err.field == "parameters"
    assert "1,000,000,000,000 points" in err.message and f"{MAX_POINTS:,}" in err.message
    assert "compute.rows 1,000,000 x compute.cols 1,000,000" in err.message
    with bounded():
        assert main(["sweep", str(spec), "-o", str(tmp_path / "r.parquet")]) == 2
    out = capsys.readouterr().err
    assert out.count("\n") == 1 and "sweep.yaml:3: field 'parameters'" in out


def test_too_many_values_are_refused_before_expanding(tmp_path: Path) -> None:
    text = f"""\
arch: {GEMMINI}
workloads: [lenet5]
parameters:
  - combine: zip
    params:
      compute.rows: {{range: {{start: 1, stop: 1000000, step: 1}}}}
      compute.cols: {{range: {{start: 1, stop: 1000000, step: 1}}}}
      dram.bandwidth_gbps: {{range: {{start: 1, stop: 1000000, step: 1}}}}
"""
    with bounded(), pytest.raises(SpecError, match="3,000,000 values"):
        load_sweep(write(tmp_path, text))


def test_non_finite_range_is_a_located_error(tmp_path: Path) -> None:
    text = SMALL.replace("start: 2, stop: 8", "start: .nan, stop: 8")
    with pytest.raises(SpecError) as ei:
        load_sweep(write(tmp_path, text))
    assert ei.value.line == 11 and "range.start" in str(ei.value)


def test_run_sweep_refuses_a_huge_grid_before_planning(tmp_path: Path) -> None:
    sweep = load_sweep(write(tmp_path, SMALL))
    # a Sweep built by code (not load_sweep): one million x one million values, never listed
    big = tuple(Param(p.path, p.name, range(10**6), p.group)  # type: ignore[arg-type]
                for p in sweep.params[:2])
    huge = dataclasses.replace(sweep, groups=(("product", big),))
    with bounded(), pytest.raises(HwsimError, match=r"1,000,000,000,000 points.*compute.rows"):
        run_sweep(huge, tmp_path / "r.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.yaml"]
    assert check_size(sweep) == 12


# --- the lock ------------------------------------------------------------------------------

HOLDER = """\
import sys
from pathlib import Path
from hwsim.sweep.store import store_lock
with store_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def _hold(out: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_second_sweep_on_a_locked_store_is_refused_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(tmp_path, SMALL)
    out = tmp_path / "r.parquet"
    holder = _hold(out)
    try:
        assert main(["sweep", str(spec), "-o", str(out), "-q"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert f"the store is in use by another sweep (pid {holder.pid})" in err
        assert not out.exists() and not parts_dir(out).exists()
        with pytest.raises(HwsimError, match="in use by another sweep"):
            run_sweep(load_sweep(spec), out)
    finally:
        holder.kill()  # SIGKILL: the kernel drops the lock with the process
        holder.wait(timeout=60)
    assert lock_path(out).exists()  # left by the killed holder, and taken over
    assert main(["sweep", str(spec), "-o", str(out), "-q"]) == 0
    assert not lock_path(out).exists()
    assert len(pq.read_table(out)) == 7


def test_two_sweeps_at_once_one_runs_the_other_is_refused(tmp_path: Path) -> None:
    spec = write(tmp_path, SMALL)
    out = tmp_path / "r.parquet"
    # the first one holds the lock from before its first chunk until after compaction
    slow = textwrap.dedent(f"""\
        import sys, time
        from hwsim.sweep import load_sweep, run_sweep
        def pause(n):
            print("running", flush=True)
            time.sleep(5 if n == 1 else 0)
        run_sweep(load_sweep({str(spec)!r}), {str(out)!r}, chunk_size=2, on_chunk=pause)
        """)
    first = subprocess.Popen([sys.executable, "-c", slow], cwd=ROOT, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert first.stdout is not None and first.stdout.readline().strip() == "running"
    second = subprocess.run([sys.executable, "-m", "hwsim.cli", "sweep", str(spec), "-o",
                             str(out), "-q"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    _, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    assert second.returncode == 2 and second.stderr.count("\n") == 1, second.stderr
    assert f"in use by another sweep (pid {first.pid})" in second.stderr
    assert "Traceback" not in second.stderr + first_err
    ids = pq.read_table(out, columns=["id"]).column("id").to_numpy()
    assert np.array_equal(np.sort(ids), plan(load_sweep(spec)))


def test_lock_file_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    os.symlink(tmp_path / "elsewhere", lock_path(out))
    with pytest.raises(HwsimError, match="symbolic link"):
        run_sweep(load_sweep(write(tmp_path, SMALL)), out)
    assert not (tmp_path / "elsewhere").exists()


# --- page checksums ------------------------------------------------------------------------


def flip_in_data_page(path: Path, column: str, row_group: int = 0) -> None:
    """Invert the last byte of ``column``'s chunk in ``row_group``: inside its last data
    page's payload (the page header comes before it), so only a checksum can tell."""
    meta = pq.ParquetFile(path).metadata
    rg = meta.row_group(row_group)
    cc = next(rg.column(i) for i in range(rg.num_columns)
              if rg.column(i).path_in_schema == column)
    start = (cc.dictionary_page_offset if cc.has_dictionary_page
             and cc.dictionary_page_offset is not None else cc.data_page_offset)
    assert cc.data_page_offset >= start
    data = bytearray(path.read_bytes())
    data[start + cc.total_compressed_size - 1] ^= 0xFF
    path.write_bytes(bytes(data))


def _sorted(path: Path) -> list[dict[str, object]]:
    return pq.read_table(path).sort_by("id").to_pylist()


def test_damaged_compacted_store_is_detected_and_recomputed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from hwsim.sweep import store

    monkeypatch.setattr(store, "ROW_GROUP_ROWS", 2)  # several row groups in 7 points
    spec = write(tmp_path, SMALL)
    out = tmp_path / "r.parquet"
    run_sweep(load_sweep(spec), out)
    clean = _sorted(out)
    damaged_rows = pq.ParquetFile(out).metadata.row_group(0).num_rows
    assert 0 < damaged_rows < 7  # row groups of 2 or 3 rows here
    flip_in_data_page(out, "latency_s")
    with pytest.raises(HwsimError) as ei:
        read_results(out)
    msg = str(ei.value)
    assert "\n" not in msg and str(out) in msg and "row group 0, column 'latency_s'" in msg
    capsys.readouterr()
    summary = run_sweep(load_sweep(spec), out)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "hwsim: warning:" in err and "recomputed" in err
    # only the damaged row group's points are recomputed, the others kept
    assert summary.evaluated == damaged_rows and summary.resumed == 7 - damaged_rows
    assert summary.rows == 7
    assert read_results(out).sort_by("id").to_pylist() == clean


def test_damaged_chunk_file_is_dropped_and_recomputed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(tmp_path, SMALL)
    out = tmp_path / "r.parquet"
    clean_out = tmp_path / "clean.parquet"
    run_sweep(load_sweep(spec), clean_out)
    with pytest.raises(StopError):
        run_sweep(load_sweep(spec), out, chunk_size=2, on_chunk=interrupt_after(2))
    parts = sorted(parts_dir(out).glob("part-*.parquet"))
    assert len(parts) == 2
    flip_in_data_page(parts[0], "energy_j")
    capsys.readouterr()
    summary = run_sweep(load_sweep(spec), out, chunk_size=2)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "dropped 1 damaged chunk file" in err, err
    assert parts[0].name in err
    assert summary.resumed == 2 and summary.evaluated == 5
    assert _sorted(out) == _sorted(clean_out)


def test_damaged_layers_table_is_refused_in_one_line(tmp_path: Path) -> None:
    spec = write(tmp_path, SMALL + "outputs: layers\n")
    out = tmp_path / "r.parquet"
    run_sweep(load_sweep(spec), out)
    flip_in_data_page(layers_output(out), "latency_s")
    before = layers_output(out).read_bytes()
    with pytest.raises(HwsimError, match=r"damaged.*row group 0.*move it away") as ei:
        run_sweep(load_sweep(spec), out)
    assert "\n" not in str(ei.value)
    assert layers_output(out).read_bytes() == before


def test_written_files_carry_page_checksums(tmp_path: Path) -> None:
    # without checksums, a flipped payload byte can read back as silently changed values
    out = tmp_path / "r.parquet"
    run_sweep(load_sweep(write(tmp_path, SMALL)), out)
    copy = tmp_path / "copy.parquet"
    for column in ("id", "latency_s", "energy_j", "status"):
        shutil.copy(out, copy)
        flip_in_data_page(copy, column)
        with pytest.raises(HwsimError, match=f"column '{column}'"):
            read_results(copy)
        copy.unlink()


def test_killed_run_releases_its_lock(tmp_path: Path) -> None:
    spec = write(tmp_path, SMALL)
    out = tmp_path / "r.parquet"
    holder = _hold(out)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=60)
    summary = run_sweep(load_sweep(spec), out)
    assert summary.rows == 7 and not lock_path(out).exists()

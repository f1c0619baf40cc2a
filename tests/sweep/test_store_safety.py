"""Sweep stores never destroy what is not theirs: another spec's results are refused, a
parts folder holding foreign files is refused (not deleted), ``-o`` onto a symbolic link or
FIFO is refused, and a killed run's own temporary files are removed on the next run (and
nobody else's)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hwsim.cli import main
from hwsim.errors import HwsimError
from hwsim.sweep import load_results, load_sweep, run_sweep
from hwsim.sweep.run import sweep_provenance
from hwsim.sweep.store import parts_dir
from tests.sweep.test_sweep import SMALL, StopError, interrupt_after, write

OTHER = SMALL.replace("name: small", "name: other").replace("objective: latency",
                                                           "objective: energy")


def _listing(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(d.rglob("*"))}


def _one_line(capsys: Any, *words: str) -> str:
    err = capsys.readouterr().err
    assert err.startswith("hwsim: error: ") and err.count("\n") == 1, err
    for w in words:
        assert w in err, err
    return err


def test_another_specs_store_is_refused_and_kept(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "r.parquet"
    run_sweep(load_sweep(write(tmp_path, OTHER, "other.yaml")), out)
    before = _listing(tmp_path)
    spec = write(tmp_path, SMALL)
    other_sha = sweep_provenance(load_sweep(tmp_path / "other.yaml"))["spec_sha256"]
    this_sha = sweep_provenance(load_sweep(spec))["spec_sha256"]
    assert main(["sweep", str(spec), "-o", str(out), "-q"]) == 2
    _one_line(capsys, str(out), other_sha[:12], this_sha[:12], "another -o")
    assert _listing(tmp_path) == {**before, "sweep.yaml": spec.read_bytes()}


def test_another_specs_chunk_files_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    with pytest.raises(StopError):
        run_sweep(load_sweep(write(tmp_path, OTHER, "other.yaml")), out, chunk_size=2,
                  on_chunk=interrupt_after(1))
    before = _listing(tmp_path)
    with pytest.raises(HwsimError, match="rows of another sweep"):
        run_sweep(load_sweep(write(tmp_path, SMALL)), out)
    assert {k: v for k, v in _listing(tmp_path).items() if k != "sweep.yaml"} == before


def test_foreign_table_without_metadata_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3], "x": [1.0, 2.0, 3.0]}), out)
    before = out.read_bytes()
    with pytest.raises(HwsimError, match=r"holds 3 rows of another sweep \(no spec hash"):
        run_sweep(load_sweep(write(tmp_path, SMALL)), out)
    assert out.read_bytes() == before


@pytest.mark.parametrize("content", [b"not parquet at all", None])
def test_non_store_file_is_refused(tmp_path: Path, content: bytes | None) -> None:
    out = tmp_path / "r.parquet"
    if content is None:
        pq.write_table(pa.table({"x": [1]}), out)
        content = out.read_bytes()
    else:
        out.write_bytes(content)
    with pytest.raises(HwsimError, match="choose another -o"):
        run_sweep(load_sweep(write(tmp_path, SMALL)), out)
    assert out.read_bytes() == content


def test_old_store_without_hash_of_this_spec_is_resumed(tmp_path: Path) -> None:
    s = load_sweep(write(tmp_path, SMALL))
    out = tmp_path / "r.parquet"
    run_sweep(s, out)
    table = pq.read_table(out)
    pq.write_table(table.replace_schema_metadata({}), out)  # as written before hashes
    summary = run_sweep(s, out)
    assert summary.resumed == 7 and summary.evaluated == 0
    assert len(load_results(out)) == 7


def test_parts_folder_with_foreign_files_is_refused_not_deleted(tmp_path: Path,
                                                                  capsys: Any) -> None:
    out = tmp_path / "r.parquet"
    d = parts_dir(out)
    d.mkdir()
    (d / "thesis.tex").write_text("years of work", encoding="utf-8")
    (d / "sub").mkdir()
    spec = write(tmp_path, SMALL)
    assert main(["sweep", str(spec), "-o", str(out), "-q"]) == 2
    _one_line(capsys, str(d), "hwsim did not write")
    assert (d / "thesis.tex").read_text(encoding="utf-8") == "years of work"
    assert (d / "sub").is_dir() and not out.exists()


def test_parts_folder_symlink_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "r.parquet"
    os.symlink(elsewhere, parts_dir(out))
    with pytest.raises(HwsimError, match="not a folder of hwsim chunk files"):
        run_sweep(load_sweep(write(tmp_path, SMALL)), out)
    assert parts_dir(out).is_symlink() and list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_store_onto_symlink_or_fifo_is_refused(tmp_path: Path, kind: str,
                                               capsys: Any) -> None:
    out = tmp_path / "r.parquet"
    victim = tmp_path / "victim.bin"
    victim.write_bytes(b"precious")
    if kind == "symlink":
        os.symlink(victim, out)
    else:
        os.mkfifo(out)
    spec = write(tmp_path, SMALL)
    assert main(["sweep", str(spec), "-o", str(out), "-q"]) == 2
    _one_line(capsys, str(out), "symbolic link" if kind == "symlink" else "FIFO")
    assert victim.read_bytes() == b"precious"
    assert not parts_dir(out).exists()
    assert out.is_symlink() if kind == "symlink" else not out.is_file()


def test_layers_output_symlink_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    victim = tmp_path / "victim.bin"
    victim.write_bytes(b"precious")
    os.symlink(victim, tmp_path / "r.layers.parquet")
    with pytest.raises(HwsimError, match="symbolic link"):
        run_sweep(load_sweep(write(tmp_path, SMALL + "outputs: layers\n")), out)
    assert victim.read_bytes() == b"precious"


def test_killed_runs_temporaries_are_removed_and_others_kept(tmp_path: Path) -> None:
    s = load_sweep(write(tmp_path, SMALL + "outputs: layers\n"))
    out = tmp_path / "r.parquet"
    run_sweep(s, out)
    stray = [tmp_path / ".r.parquet.4242.tmp", tmp_path / ".r.parquet.77-0a1b2c3d.tmp",
             tmp_path / ".r.layers.parquet.4242.tmp"]
    keep = [tmp_path / "r.parquet.tmp", tmp_path / ".r.parquet.notapid.tmp",
            tmp_path / ".other.parquet.1.tmp", tmp_path / "notes.txt"]
    for p in stray + keep:
        p.write_bytes(b"junk")
    summary = run_sweep(s, out)
    assert summary.resumed == 7
    assert not any(p.exists() for p in stray)
    assert all(p.read_bytes() == b"junk" for p in keep)


def test_no_temporaries_left_after_a_sweep(tmp_path: Path) -> None:
    s = load_sweep(write(tmp_path, SMALL + "outputs: layers\n"))
    run_sweep(s, tmp_path / "r.parquet", chunk_size=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.layers.parquet", "r.parquet",
                                                          "sweep.yaml"]

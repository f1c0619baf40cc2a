"""Outputs go to regular files only, whole or not at all: ``-o`` onto a symbolic link, a
FIFO or a device node is refused in one line (exit 2) and leaves it as it was; a rewrite
goes through a temporary file beside the target and touches no other file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hwsim.cli import main
from hwsim.errors import HwsimError
from hwsim.safeio import check_output, own_temporaries, write_text_atomic
from hwsim.sweep import load_sweep, run_sweep
from tests.conftest import ARCH_DIR
from tests.sweep.test_sweep import SMALL, write

RUN = ["run", "--arch", str(ARCH_DIR / "gemmini.yaml"), "--workload", "lenet5"]


def _one_line_error(capsys, *words: str) -> None:
    err = capsys.readouterr().err
    assert err.startswith("hwsim: error: ") and err.count("\n") == 1, err
    for w in words:
        assert w in err


def test_run_output_onto_symlink_is_refused(tmp_path: Path, capsys) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    link = tmp_path / "out.json"
    os.symlink(victim, link)
    assert main([*RUN, "-o", str(link)]) == 2
    _one_line_error(capsys, str(link), "symbolic link")
    assert link.is_symlink() and victim.read_text(encoding="utf-8") == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "victim.txt"]


def test_run_output_onto_dangling_symlink_is_refused(tmp_path: Path, capsys) -> None:
    link = tmp_path / "out.csv"
    os.symlink(tmp_path / "nowhere.csv", link)
    assert main([*RUN, "-o", str(link)]) == 2
    _one_line_error(capsys, "symbolic link")
    assert not (tmp_path / "nowhere.csv").exists()


def test_run_output_onto_fifo_is_refused(tmp_path: Path, capsys) -> None:
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    assert main([*RUN, "-o", str(fifo)]) == 2
    _one_line_error(capsys, "FIFO")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_device_node_is_refused() -> None:
    with pytest.raises(HwsimError, match="character device"):
        check_output("/dev/null")
    with pytest.raises(HwsimError, match="directory"):
        check_output("/")


def test_run_output_rewrites_a_regular_file_and_spares_its_neighbours(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("old", encoding="utf-8")
    neighbour = tmp_path / "out.json.tmp"  # the old helper's temporary name: a user file here
    neighbour.write_text("mine", encoding="utf-8")
    assert main([*RUN, "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("{")
    assert neighbour.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "out.json.tmp"]


def test_pareto_output_onto_symlink_is_refused(tmp_path: Path, capsys) -> None:
    results = tmp_path / "r.parquet"
    run_sweep(load_sweep(write(tmp_path, SMALL)), results)
    victim = tmp_path / "victim.csv"
    victim.write_text("precious", encoding="utf-8")
    link = tmp_path / "front.csv"
    os.symlink(victim, link)
    capsys.readouterr()
    assert main(["pareto", str(results), "-o", str(link)]) == 2
    _one_line_error(capsys, "symbolic link")
    assert victim.read_text(encoding="utf-8") == "precious" and link.is_symlink()
    front = tmp_path / "front.json"
    assert main(["pareto", str(results), "-o", str(front)]) == 0
    assert front.read_text(encoding="utf-8").startswith("[")


def test_write_text_atomic_leaves_old_file_on_failure(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "a.txt"
    write_text_atomic(out, "old")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError):
        write_text_atomic(out, "new")
    monkeypatch.undo()
    assert out.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_own_temporaries_are_recognised_by_name_only(tmp_path: Path) -> None:
    target = tmp_path / "r.parquet"
    mine = [tmp_path / ".r.parquet.123.tmp", tmp_path / ".r.parquet.99-0af3.tmp"]
    others = [tmp_path / "r.parquet.tmp", tmp_path / ".r.parquet.x.tmp",
              tmp_path / ".other.parquet.1.tmp", tmp_path / ".r.parquet.1.tmp.keep"]
    for p in mine + others:
        p.write_bytes(b"")
    os.mkdir(tmp_path / ".r.parquet.5.tmp")  # a folder is never ours
    assert sorted(own_temporaries(target)) == sorted(mine)

"""Imported workloads are written safely: any layer name round-trips its mask (numpy's
keyword arguments are never fed user names), and the YAML and .npz go to regular files only,
atomically."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from hwsim.errors import HwsimError
from hwsim.importers import save_workload
from hwsim.importers.export import masks_path
from hwsim.workload.graph import build_workload
from hwsim.workload.io import load_workload
from hwsim.workload.layers import Linear


def _workload(names: list[str]):
    layers = [Linear(name=n, in_features=4, out_features=4) for n in names]
    rng = np.random.default_rng(0)
    masks = {n: rng.random((4, 4)) < 0.5 for n in names}
    return build_workload("tricky", layers, masks=masks), masks


@pytest.mark.parametrize("names", [["allow_pickle", "file"], ["fix_imports", "args", "kwds"],
                                   ["a.npy", "x/y"]])
def test_any_layer_name_keeps_its_mask(tmp_path: Path, names: list[str]) -> None:
    wl, masks = _workload(names)
    save_workload(wl, tmp_path / "net.yaml")
    back = load_workload(tmp_path / "net.yaml")
    assert sorted(back.masks) == sorted(names)
    for n in names:
        assert np.array_equal(back.masks[n], masks[n])


@pytest.mark.parametrize("which", ["yaml", "npz"])
def test_symlink_target_is_refused_and_untouched(tmp_path: Path, which: str) -> None:
    wl, _ = _workload(["fc1"])
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "net.yaml"
    link = out if which == "yaml" else masks_path(out)
    os.symlink(victim, link)
    with pytest.raises(HwsimError, match="symbolic link"):
        save_workload(wl, out)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["victim.txt", link.name])


def test_fifo_target_is_refused(tmp_path: Path) -> None:
    wl, _ = _workload(["fc1"])
    out = tmp_path / "net.yaml"
    os.mkfifo(out)
    with pytest.raises(HwsimError, match="FIFO"):
        save_workload(wl, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.yaml"]


def test_rewrite_replaces_regular_files_and_leaves_no_temporaries(tmp_path: Path) -> None:
    wl, _ = _workload(["fc1", "fc2"])
    out = tmp_path / "net.yaml"
    out.write_text("old", encoding="utf-8")
    save_workload(wl, out)
    save_workload(wl, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.masks.npz", "net.yaml"]
    assert len(load_workload(out).masks) == 2

"""The workload summary index behind ``hwsim list``: fresh, and never trusted for a changed
file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hwsim.bundled import bundled_dir, bundled_names
from hwsim.errors import HwsimError
from hwsim.workload.summary import (
    INDEX_NAME,
    Summary,
    digest,
    summaries,
    summarise,
    write_index,
)


def test_bundled_index_matches_loading_every_workload() -> None:
    """The committed index says what loading each bundled workload says (regenerate it with
    ``python -m hwsim.workload.summary workloads/`` when this fails)."""
    folder = bundled_dir("workloads")
    names = bundled_names("workloads")
    index = json.loads((folder / INDEX_NAME).read_text())["workloads"]
    assert sorted(index) == names
    for name in names:
        path = folder / f"{name}.yaml"
        assert index[name]["sha256"] == digest(path), f"{name}: the index is stale"
        got = summaries([name])[name]
        assert got == summarise(path), name
        assert isinstance(got, Summary) and got.layers > 0 and got.macs > 0


def test_changed_file_is_loaded_not_read_from_the_index(tmp_path: Path) -> None:
    src = bundled_dir("workloads")
    for name in ("lenet5", "resnet18"):
        shutil.copy(src / f"{name}.yaml", tmp_path / f"{name}.yaml")
    write_index(tmp_path)
    before = summaries(["lenet5", "resnet18"], tmp_path)
    # Batch 1 -> 3 in lenet5: the index still holds batch 1, the file now says 3.
    path = tmp_path / "lenet5.yaml"
    text = path.read_text()
    assert "\nbatch: 1\n" in text
    path.write_text(text.replace("\nbatch: 1\n", "\nbatch: 3\n"))
    after = summaries(["lenet5", "resnet18"], tmp_path)
    old, new = before["lenet5"], after["lenet5"]
    assert isinstance(old, Summary) and isinstance(new, Summary)
    assert new.batch == 3 and new.macs == 3 * old.macs and new.params == old.params
    assert after["resnet18"] == before["resnet18"]


def test_broken_file_or_index_reports_the_error(tmp_path: Path) -> None:
    shutil.copy(bundled_dir("workloads") / "lenet5.yaml", tmp_path / "lenet5.yaml")
    (tmp_path / INDEX_NAME).write_text("{not json")
    assert isinstance(summaries(["lenet5"], tmp_path)["lenet5"], Summary)
    (tmp_path / "lenet5.yaml").write_text("name: x\nlayers: 3\n")
    assert isinstance(summaries(["lenet5"], tmp_path)["lenet5"], HwsimError)

"""The accelerator and model indexes behind ``hwsim list``: fresh, never trusted for a changed
file, and a broken file still listed with its error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hwsim.bundled import bundled_dir, bundled_names
from hwsim.errors import HwsimError
from hwsim.indexed import INDEX_NAME, digest
from hwsim.listing import (
    ARCH_KEY,
    MODEL_KEY,
    accelerators,
    arch_entry,
    model_entry,
    models,
    write_indexes,
)


def test_bundled_indexes_match_loading_every_file() -> None:
    """The committed indexes say what loading each bundled accelerator and model says
    (regenerate them with ``python -m hwsim.listing arch_configs/ models/`` when this fails)."""
    for kind, key, entry, listed in (("arch_configs", ARCH_KEY, arch_entry, accelerators),
                                     ("models", MODEL_KEY, model_entry, models)):
        folder = bundled_dir(kind)
        names = bundled_names(kind)
        index = json.loads((folder / INDEX_NAME).read_text())[key]
        assert sorted(index) == names, kind
        got = listed(names)
        for name in names:
            path = folder / f"{name}.yaml"
            assert index[name]["sha256"] == digest(path), f"{kind}/{name}: the index is stale"
            assert got[name] == entry(path), name


def _indexed_copies(tmp_path: Path, arch_name: str, model_name: str) -> tuple[Path, Path]:
    """Folders holding a copy of one bundled accelerator and one model, with their indexes."""
    arch, model = tmp_path / "archs", tmp_path / "models"
    for folder, kind, name in ((arch, "arch_configs", arch_name), (model, "models", model_name)):
        folder.mkdir()
        shutil.copy(bundled_dir(kind) / f"{name}.yaml", folder / f"{name}.yaml")
    write_indexes(arch, model)
    return arch, model


def test_changed_or_broken_file_is_loaded_not_read_from_the_index(tmp_path: Path) -> None:
    arch, model = _indexed_copies(tmp_path, "gemmini", "gpt2")
    before = accelerators(["gemmini"], arch)["gemmini"]
    assert isinstance(before, dict) and before["kind"] == "systolic"
    path = arch / "gemmini.yaml"
    text = path.read_text()
    assert "\nkind: systolic\n" in text
    path.write_text(text.replace("\ndescription: ", "\ndescription: edited "))
    after = accelerators(["gemmini"], arch)["gemmini"]
    assert isinstance(after, dict) and after["description"].startswith("edited ")
    path.write_text("name: x\nkind: systolic\n")  # invalid now: listed with its error
    assert isinstance(accelerators(["gemmini"], arch)["gemmini"], HwsimError)
    (model / INDEX_NAME).write_text("{not json")  # a damaged index: the file is loaded
    got = models(["gpt2"], model)["gpt2"]
    assert isinstance(got, dict) and got == model_entry(model / "gpt2.yaml")
    assert got["layers"] == 12 and got["heads"] == 12


def test_entry_with_the_right_sha_but_wrong_fields_is_recomputed(tmp_path: Path) -> None:
    """A hand-edited index whose sha256 still matches but whose fields are missing or of the
    wrong type (a null kind, experts as a string, a bool for an int) is not trusted."""
    arch, model = _indexed_copies(tmp_path, "gemmini", "mixtral_8x7b")
    for folder, key, name, field, bad in ((arch, ARCH_KEY, "gemmini", "kind", None),
                                         (model, MODEL_KEY, "mixtral_8x7b", "experts", "8"),
                                         (model, MODEL_KEY, "mixtral_8x7b", "layers", True)):
        data = json.loads((folder / INDEX_NAME).read_text())
        data[key][name][field] = bad
        (folder / INDEX_NAME).write_text(json.dumps(data))
        listed = accelerators if folder is arch else models
        entry = arch_entry if folder is arch else model_entry
        assert listed([name], folder)[name] == entry(folder / f"{name}.yaml"), (name, field)
        write_indexes(arch, model)

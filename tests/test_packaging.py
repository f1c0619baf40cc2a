"""A non-editable install ships the bundled accelerators, sweeps and workloads: the package
data of pyproject.toml covers every bundled file, and hwsim finds them through hwsim/data/."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hwsim.bundled import bundled_dir, bundled_names

ROOT = Path(__file__).resolve().parent.parent

tomllib = pytest.importorskip("tomllib") if sys.version_info >= (3, 11) else None


@pytest.mark.skipif(tomllib is None, reason="tomllib needs Python 3.11")
def test_package_data_covers_every_bundled_file():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["hwsim"]
    shipped = {p.resolve() for pat in patterns for p in (ROOT / "hwsim").glob(pat)}
    bundled = {p.resolve() for d in ("arch_configs", "workloads", "models", "references")
               for p in (ROOT / d).rglob("*") if p.is_file()}
    assert bundled and bundled <= shipped, sorted(str(p) for p in bundled - shipped)


def test_bundled_files_are_found_through_the_package():
    data = (ROOT / "hwsim" / "data").resolve()
    assert bundled_dir("arch_configs").resolve() == (data / "arch_configs").resolve()
    assert {"gemmini", "a100", "zhang_fpga15"} <= set(bundled_names("arch_configs"))
    assert {"resnet50", "lenet5"} <= set(bundled_names("workloads"))
    assert {"llama2_7b", "mixtral_8x7b"} <= set(bundled_names("models"))

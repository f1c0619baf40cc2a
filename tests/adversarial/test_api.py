"""The Python API with bad arguments raises only hwsim.errors.HwsimError subclasses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hwsim import evaluate, load_arch, load_workload
from hwsim.errors import HwsimError
from hwsim.sparsity.spec import parse_sparsity
from hwsim.workload.io import workload_from_data
from hwsim.yamlio import parse_yaml
from tests.adversarial._harness import ARCH, WORKLOAD, dump


def _arch() -> Any:
    return load_arch("gemmini")


def _wl() -> Any:
    return workload_from_data(*parse_yaml(dump(WORKLOAD), "w.yaml"))


CALLS: dict[str, Callable[[Path], Any]] = {
    "load_arch-missing": lambda t: load_arch(t / "no.yaml"),
    "load_arch-unknown-name": lambda t: load_arch("gemini"),
    "load_arch-empty": lambda t: load_arch(""),
    "load_arch-dir": lambda t: load_arch(t),
    "load_arch-override-unknown": lambda t: load_arch("gemmini", {"compute.row": 3}),
    "load_arch-override-nan": lambda t: load_arch("gemmini", {"clock_mhz": float("nan")}),
    "load_arch-override-inf": lambda t: load_arch("gemmini", {"clock_mhz": float("inf")}),
    "load_arch-override-bool": lambda t: load_arch("gemmini", {"compute.rows": True}),
    "load_arch-override-huge": lambda t: load_arch("gemmini", {"compute.rows": 2**70}),
    "load_arch-override-text": lambda t: load_arch("gemmini", ["clock_mhz=fast"]),
    "load_arch-override-noeq": lambda t: load_arch("gemmini", ["clock_mhz"]),
    "load_arch-override-index": lambda t: load_arch("gemmini", {"buffers.7.banks": 1}),
    "load_arch-override-str": lambda t: load_arch("gemmini", "compute.rows=0"),
    "load_workload-missing": lambda t: load_workload(t / "no.yaml"),
    "load_workload-arch-file": lambda t: load_workload("arch_configs/gemmini.yaml"),
    "workload_from_data-none": lambda t: workload_from_data(None, parse_yaml("", "x")[1]),
    "evaluate-batch-zero": lambda t: evaluate(_wl(), _arch(), batch=0),
    "evaluate-batch-neg": lambda t: evaluate(_wl(), _arch(), batch=-3),
    "evaluate-batch-huge": lambda t: evaluate(_wl(), _arch(), batch=2**64),
    "with_batch-neg": lambda t: _wl().with_batch(-1),
    "with_batch-zero": lambda t: _wl().with_batch(0),
    "evaluate-objective": lambda t: evaluate(_wl(), _arch(), objective="speed"),
    "evaluate-level-neg": lambda t: evaluate(_wl(), _arch(), sparsity=parse_sparsity(
        "nested:levels=[0.5,0.9]"), level=-1),
    "evaluate-level-99": lambda t: evaluate(_wl(), _arch(), sparsity=parse_sparsity(
        "nested:levels=[0.5,0.9]"), level=99),
    "evaluate-attention": lambda t: evaluate(_wl(), _arch(), attention="maybe"),  # type: ignore[arg-type]
    "parse_sparsity-empty": lambda t: parse_sparsity(""),
    "parse_sparsity-unknown": lambda t: parse_sparsity("zebra"),
    "parse_sparsity-nan": lambda t: parse_sparsity("unstructured:sparsity=nan"),
    "parse_sparsity-nm": lambda t: parse_sparsity("nm:n=5,m=4"),
    "parse_yaml-bomb": lambda t: parse_yaml("a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefg", "bcdefgh"))),
    "parse_yaml-recursive": lambda t: parse_yaml("a: &a [*a]\n"),
    "parse_yaml-dup": lambda t: parse_yaml("a: 1\na: 2\n"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_api_raises_only_hwsim_errors(name: str, tmp_path: Path) -> None:
    with pytest.raises(HwsimError):
        CALLS[name](tmp_path)


def test_arch_base_is_valid() -> None:
    """The catalogue's base files are valid: each case is wrong in one place only."""
    from hwsim.arch.load import arch_from_data

    arch = arch_from_data(*parse_yaml(dump(ARCH), "a.yaml"))
    assert evaluate(_wl(), arch).totals["latency_s"] > 0

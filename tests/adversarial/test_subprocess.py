"""A few cases in a real process: bounded time (timeout) and memory (RLIMIT_AS)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.adversarial._harness import ARCH, WORKLOAD, dump
from tests.adversarial.test_tools_inputs import SPEC, SPECS

ROOT = Path(__file__).resolve().parents[2]
MEMORY = 3 << 30  # address space: the interpreter with NumPy, pandas and pydantic fits
TIMEOUT = 60


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


BOMB = ("a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi")))

CASES: dict[str, tuple[list[str], dict[str, str]]] = {
    "arch-alias-bomb": (["run", "--arch", "a.yaml", "--workload", "w.yaml"], {"a.yaml": BOMB}),
    "workload-deep-nesting": (["describe", "w.yaml"], {"w.yaml": "[" * 5000 + "]" * 5000}),
    "workload-long-line": (["describe", "w.yaml"], {"w.yaml": "name: " + "x" * 5_000_000}),
    "set-recursive-alias": (["run", "--arch", "a.yaml", "--workload", "w.yaml", "--set",
                             "clock_mhz=&a [*a]"], {}),
    "sweep-grid-1e12": (["sweep", "s.yaml", "-o", "o.parquet", "-q"],
                        {"s.yaml": SPECS["grid-1e12"]}),
    "sweep-pow-bomb": (["sweep", "s.yaml", "-o", "o.parquet", "-q"],
                       {"s.yaml": SPECS["constraint-pow-bomb"]}),
    "sweep-string-bomb": (["sweep", "s.yaml", "-o", "o.parquet", "-q"],
                          {"s.yaml": SPECS["constraint-string-bomb"]}),
    "sweep-range-1e12": (["sweep", "s.yaml", "-o", "o.parquet", "-q"],
                         {"s.yaml": SPECS["range-huge"]}),
    "sparsity-huge-number": (["run", "--arch", "a.yaml", "--workload", "w.yaml", "--sparsity",
                              "unstructured:sparsity=" + "9" * 100000], {}),
    "sweep-deep-constraint": (["sweep", "s.yaml", "-o", "o.parquet", "-q"],
                              {"s.yaml": SPEC + "constraints: ['" + "-" * 100000 + "1 > 0']\n"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bounded(name: str, tmp_path: Path) -> None:
    argv, files = CASES[name]
    for f, text in {"a.yaml": dump(ARCH), "w.yaml": dump(WORKLOAD), **files}.items():
        (tmp_path / f).write_text(text)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "hwsim.cli", *argv], cwd=tmp_path,
                          capture_output=True, text=True, timeout=TIMEOUT, preexec_fn=_limit,
                          env=env)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("hwsim: error: "), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o.parquet").exists()


def test_broken_pipe_is_quiet(tmp_path: Path) -> None:
    """``hwsim describe ... | head -1``: no BrokenPipeError traceback."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(f"{sys.executable} -m hwsim.cli describe resnet50 | head -1",
                          shell=True, capture_output=True, text=True, timeout=TIMEOUT,
                          preexec_fn=_limit, env=env, cwd=tmp_path)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr

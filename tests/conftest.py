"""Shared fixtures: small hand-checkable architectures and paths to bundled files."""

from __future__ import annotations

import copy
import hashlib
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from hwsim.arch.spec import ArchSpec

ROOT = Path(__file__).resolve().parent.parent
ARCH_DIR = ROOT / "arch_configs"
WORKLOAD_DIR = ROOT / "workloads"


TINY_FPGA: dict[str, Any] = {
    "name": "tiny_fpga",
    "kind": "fpga",
    "technology_nm": 45,
    "clock_mhz": 100,
    "precisions": ["int8"],
    "compute": {"unroll": {"K": 2, "C": 2}},
    "dram": {"bandwidth_gbps": 1.0, "burst_bytes": 4, "energy_pj_per_bit": 10.0},
    "buffers": [
        {"name": "ibuf", "holds": ["inputs"], "capacity_kib": 64, "double_buffered": False,
         "read_energy_pj_per_bit": 0.1, "write_energy_pj_per_bit": 0.1},
        {"name": "wbuf", "holds": ["weights"], "capacity_kib": 64, "double_buffered": False,
         "read_energy_pj_per_bit": 0.1, "write_energy_pj_per_bit": 0.1},
        {"name": "obuf", "holds": ["outputs"], "capacity_kib": 64, "double_buffered": False,
         "read_energy_pj_per_bit": 0.1, "write_energy_pj_per_bit": 0.1},
    ],
    "interconnect": {"topology": "bus", "hop_mm": 1.0, "energy_pj_per_bit_mm": 0.1},
    "energy": {"mac_pj": {"int8": 1.0}, "alu_op_pj": {"int8": 0.1}},
    "static_power_w": 0.001,
}

SYSTOLIC_32: dict[str, Any] = {
    "name": "systolic32",
    "kind": "systolic",
    "technology_nm": 28,
    "clock_mhz": 1000,
    "precisions": ["int8"],
    "compute": {"rows": 32, "cols": 32, "dataflow": "ws"},
    "dram": {"bandwidth_gbps": 1000.0, "burst_bytes": 64, "energy_pj_per_bit": 20.0},
    "buffers": [
        {"name": "sram", "holds": ["weights", "inputs", "outputs"], "capacity_kib": 65536},
    ],
    "interconnect": {"topology": "systolic", "hop_mm": 0.05},
}


@pytest.fixture(scope="session", autouse=True)
def _references_evaluated_once() -> Iterator[None]:
    """Each reference file's cases are evaluated once per test session: the validation pins,
    ``hwsim validate`` and the documentation build all run the same 78 cases (about 14 s each
    time). A file is keyed by its path and content, so a test's own reference file is
    evaluated as given, and an error is raised every time (never remembered)."""
    from hwsim.evaluation import references

    original = references.run_references
    done: dict[tuple[str, str], list[references.CaseResult]] = {}

    def shared(paths: list[Path] | None = None) -> list[references.CaseResult]:
        out: list[references.CaseResult] = []
        for p in paths if paths is not None else references.reference_files():
            try:
                key = (str(Path(p).resolve()), hashlib.sha256(Path(p).read_bytes()).hexdigest())
            except OSError:  # missing or unreadable: the real function says so
                out.extend(original([Path(p)]))
                continue
            if key not in done:
                done[key] = original([Path(p)])
            out.extend(done[key])
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(references, "run_references", shared)
        yield


def make_arch(base: dict[str, Any], **changes: Any) -> ArchSpec:
    """An ArchSpec from ``base`` with dotted-path changes, e.g. ``**{"dram.bandwidth_gbps": 2}``."""
    data = copy.deepcopy(base)
    for path, value in changes.items():
        node = data
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return ArchSpec.model_validate(data)


@pytest.fixture
def tiny_fpga() -> ArchSpec:
    return make_arch(TINY_FPGA)


@contextmanager
def time_limit(seconds: int, what: str) -> Iterator[None]:
    """Raise TimeoutError if the block runs past ``seconds`` (a failing test, not a hung
    suite); a no-op where the platform has no SIGALRM."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(*_: Any) -> None:
        raise TimeoutError(f"{what} ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

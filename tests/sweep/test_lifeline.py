"""Workers die with their sweep: a ``hwsim sweep --jobs 2`` killed with SIGKILL leaves no
worker behind, and the resumed sweep loses and duplicates nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from hwsim.sweep import load_sweep, run_sweep
from hwsim.sweep.lifeline import POLL_S
from hwsim.sweep.run import plan
from hwsim.sweep.store import parts_dir
from tests.conftest import ARCH_DIR

SPEC = f"""\
name: lifeline
arch: {ARCH_DIR / "gemmini.yaml"}
workloads: [resnet50]
chunk_size: 2
parameters:
  - params:
      buffers.0.capacity_kib: {{values: [64, 128, 256, 512, 1024, 2048]}}
      dram.bandwidth_gbps: {{logrange: {{start: 1, stop: 64, num: 24, integer: false}}}}
"""

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="reads the process table from /proc")


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid``."""
    kids = set()
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        # the command name (in parentheses) may hold spaces: the fields follow its last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.add(int(d.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(cond, limit_s: float) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return bool(cond())


def test_killed_sweep_leaves_no_workers_and_resumes_whole(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "r.parquet"
    env = {**os.environ, "CI": "true"}
    proc = subprocess.Popen([sys.executable, "-m", "hwsim", "sweep", str(spec), "-o", str(out),
                             "--jobs", "2"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        # Running with its workers, and some chunks stored.
        assert _wait_for(lambda: len(_children(proc.pid)) >= 2
                         and any(parts_dir(out).glob("*.parquet")), 120), "sweep never started"
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert _wait_for(lambda: not any(_alive(w) for w in workers), 20 * POLL_S + 10), \
            "workers outlived their sweep"
    finally:
        if proc.poll() is None:
            proc.kill()
        for w in _children(proc.pid) | locals().get("workers", set()):
            if _alive(w):  # a failed run must not leave them behind either
                os.kill(w, signal.SIGKILL)
    summary = run_sweep(load_sweep(spec), out, jobs=1)
    ids = pq.read_table(out, columns=["id"]).column("id").to_pylist()
    assert sorted(ids) == plan(load_sweep(spec)).tolist()  # none lost, none twice
    assert summary.resumed > 0


def test_workers_of_every_start_method_run() -> None:
    """A fork server's workers are not the sweep's children (Python 3.14's default start
    method on Linux): they watch the sweep's pid instead and run normally."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from hwsim.sweep.lifeline import bind_to_parent

    for method in mp.get_all_start_methods():
        with ProcessPoolExecutor(2, mp_context=mp.get_context(method),
                                 initializer=bind_to_parent,
                                 initargs=(os.getpid(),)) as pool:
            assert list(pool.map(abs, [-1, -2, 3])) == [1, 2, 3], method

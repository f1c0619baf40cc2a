#!/usr/bin/env python3
"""A very large totals sweep: LeNet-5 on Gemmini variants, ``--points`` of them (default one
million), run as a user runs it (``python -m hwsim sweep SPEC -o OUT --jobs 2``), with its
wall time, points per second and the peak memory of the sweep and its workers together
(sampled from /proc every half second), plus the size of the results.

    python benchmarks/bench_million.py [--points N] [--jobs 2] \
        > benchmarks/data/million_sweep.txt

Speed and memory are reported here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SPEC = """\
name: million
arch: {arch}
workloads: [lenet5]
outputs: totals
parameters:
  - combine: zip
    params:
      compute.rows: [8, 16, 32, 64]
      compute.cols: [8, 16, 32, 64]
  - params:
      buffers.0.capacity_kib: {{logrange: {{start: 16, stop: 2048, num: {nbuf}}}}}
      buffers.1.capacity_kib: {{values: [16, 32, 64, 128, 256]}}
      dram.bandwidth_gbps: {{logrange: {{start: 1, stop: 64, num: {nbw}, integer: false}}}}
"""


def _tree_rss_kib(pid: int) -> tuple[int, int, int]:
    """Resident memory, KiB: of ``pid`` and all its descendants together, of ``pid`` alone,
    and of its largest descendant."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            status = (d / "status").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d.name))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(d.name)] = int(line.split()[1])
    total, largest, todo = 0, 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        if p != pid:
            largest = max(largest, rss.get(p, 0))
        todo.extend(children.get(p, []))
    return total, rss.get(pid, 0), largest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_million_"))
    nbw = max(1, round(math.sqrt(args.points / (4 * 5))))
    nbuf = max(1, round(args.points / (4 * 5 * nbw)))
    spec = tmp / "million.yaml"
    spec.write_text(SPEC.format(arch=ROOT / "arch_configs" / "gemmini.yaml", nbuf=nbuf,
                                nbw=nbw))
    out = tmp / "million.parquet"
    peak = [0, 0, 0]
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "hwsim", "sweep", str(spec), "-o", str(out),
                             "--jobs", str(args.jobs)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "CI": "true"})

    def sample() -> None:
        last_trace = t0
        while proc.poll() is None:
            now = _tree_rss_kib(proc.pid)
            peak[:] = [max(a, b) for a, b in zip(peak, now, strict=True)]
            if time.perf_counter() - last_trace >= 60:  # how memory grows, on stderr
                last_trace = time.perf_counter()
                parts = len(list(out.parent.glob("**/*.parquet")))
                print(f"{last_trace - t0:6.0f} s: {now[0] / 1024:.0f} MiB together (sweep "
                      f"{now[1] / 1024:.0f}, largest worker {now[2] / 1024:.0f}); {parts} "
                      "result parts", file=sys.stderr, flush=True)
            time.sleep(0.5)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    summary, _ = proc.communicate()
    wall = time.perf_counter() - t0
    watcher.join()
    last = summary.strip().splitlines()[-1] if summary.strip() else f"exit {proc.returncode}"
    n = int(last.split(":", 1)[1].split()[0]) if " points " in last else 0
    print(f"# bench_million: {n:,} LeNet-5 points on Gemmini variants (totals), --jobs "
          f"{args.jobs}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(last)
    print(f"wall {wall:.0f} s ({n / wall:.0f} points/s); peak memory of the sweep and its "
          f"workers together {peak[0] / 1024:.0f} MiB (the sweep process {peak[1] / 1024:.0f} "
          f"MiB, its largest worker {peak[2] / 1024:.0f} MiB); results "
          f"{out.stat().st_size / 1e6:.1f} MB")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Sweep throughput: points per second, overhead per point, peak memory, Dask scaling.

    python benchmarks/bench_sweep.py [--points 400] [--big 10000] [--no-dask]

Measured side by side in one run, on the same ResNet-50 points (Gemmini-based systolic arrays
of several shapes, buffer sizes and DRAM bandwidths):

* ``direct``: a plain loop of build-arch + ``evaluate`` per point (what N ``hwsim run``
  calls cost without process start-up), the reference;
* ``local --jobs 1`` and ``--jobs 2``: ``run_sweep`` (chunking, Parquet parts, compaction);
* ``dask`` with a LocalCluster of 1 and 2 worker processes (1 thread each), started before
  the clock (its start-up is reported beside the speed-up).

Every run starts cold (the mapper's tables forgotten with ``targets.clear_caches()``): a
``--jobs 1`` sweep runs in this process, after the direct loop, and would otherwise reuse its
tables while ``--jobs 2`` workers build theirs (earlier versions of this benchmark did, which
understated the speed-up of two workers).

Overhead per point = (sweep seconds - direct seconds) / points at jobs 1. Peak memory: a
separate process runs a large LeNet-5 totals sweep (``--big`` points; LeNet-5 is fast, so
the store and bookkeeping dominate) and reports its ru_maxrss. Speed is reported, never
asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hwsim.model.targets import clear_caches  # noqa: E402
from hwsim.sweep import load_sweep, run_sweep  # noqa: E402
from hwsim.sweep.grid import points  # noqa: E402
from hwsim.sweep.worker import build_arch, evaluate_point  # noqa: E402

SPEC = """\
name: bench_resnet50
arch: {arch}
workloads: [{workload}]
parameters:
  - combine: zip
    params:
      compute.rows: [8, 16, 32, 64]
      compute.cols: [8, 16, 32, 64]
  - params:
      buffers.0.capacity_kib: {{logrange: {{start: 64, stop: 2048, num: {nbuf}}}}}
      buffers.1.capacity_kib: {{values: [32, 64, 128, 256]}}
      dram.bandwidth_gbps: {{logrange: {{start: 1, stop: 64, num: {nbw}, integer: false}}}}
"""


def spec_file(tmp: Path, workload: str, n: int) -> Path:
    """A spec of about ``n`` points (4 shapes x nbuf x 4 x nbw)."""
    nbw = max(1, round(n / (4 * 4 * 6)))
    nbuf = max(1, round(n / (4 * 4 * nbw)))
    p = tmp / f"{workload}_{n}.yaml"
    p.write_text(SPEC.format(arch=ROOT / "arch_configs" / "gemmini.yaml", workload=workload,
                             nbuf=nbuf, nbw=nbw))
    return p


def timed_sweep(spec: Path, out: Path, **kw: object) -> tuple[float, int]:
    sweep = load_sweep(spec)
    clear_caches()  # every run cold (see the module docstring)
    t0 = time.perf_counter()
    summary = run_sweep(sweep, out, **kw)  # type: ignore[arg-type]
    return time.perf_counter() - t0, summary.evaluated


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=400, help="ResNet-50 points (about)")
    ap.add_argument("--big", type=int, default=10_000, help="LeNet-5 points for peak memory")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.memory_child:  # runs in its own process so that ru_maxrss is its own
        spec, out = args.memory_child
        wall, n = timed_sweep(Path(spec), Path(out), jobs=2)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{n} {wall:.3f} {rss:.1f} {kids:.1f}")
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    spec = spec_file(tmp, "resnet50", args.points)
    sweep = load_sweep(spec)
    pts = list(points(sweep))
    n = len(pts)
    print(f"# bench_sweep: {n} ResNet-50 points on Gemmini variants, {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}")

    clear_caches()
    t0 = time.perf_counter()
    for p in pts:
        evaluate_point(sweep, build_arch(sweep, p.values), p)
    direct = time.perf_counter() - t0
    print(f"direct loop (build arch + evaluate): {direct:7.1f} s  {n / direct:7.1f} pt/s  "
          f"{direct / n * 1e3:6.1f} ms/pt")

    rows = []
    w1, _ = timed_sweep(spec, tmp / "j1.parquet", jobs=1)
    rows.append(("local --jobs 1", w1))
    w2, _ = timed_sweep(spec, tmp / "j2.parquet", jobs=2)
    rows.append(("local --jobs 2", w2))
    starts: dict[int, float] = {}
    if not args.no_dask:
        try:
            from hwsim.sweep.run import local_cluster

            for workers in (1, 2):
                # A fresh cluster per worker count (cold workers), as a sweep starts one, but
                # before the clock: its start-up is a fixed cost, reported on its own.
                t0 = time.perf_counter()
                cluster = local_cluster(workers)
                starts[workers] = time.perf_counter() - t0
                try:
                    wd, _ = timed_sweep(spec, tmp / f"d{workers}.parquet", jobs=workers,
                                        executor="dask", scheduler=cluster.scheduler_address)
                finally:
                    cluster.close()
                rows.append((f"dask {workers} worker(s)", wd))
        except Exception as exc:  # distributed missing or cluster failure: report, go on
            print(f"dask: skipped ({type(exc).__name__}: {exc})")
    for name, wall in rows:
        print(f"{name:<36} {wall:7.1f} s  {n / wall:7.1f} pt/s  {wall / n * 1e3:6.1f} ms/pt")
    print(f"overhead per point at --jobs 1 vs direct: {(w1 - direct) / n * 1e3:+.2f} ms "
          f"({(w1 / direct - 1) * 100:+.1f}%)")
    print(f"speed-up --jobs 2 / --jobs 1: {w1 / w2:.2f}x")
    dask = dict(rows)
    if "dask 1 worker(s)" in dask and "dask 2 worker(s)" in dask:
        d1, d2 = dask["dask 1 worker(s)"], dask["dask 2 worker(s)"]
        print(f"speed-up dask 2 / 1 workers: {d1 / d2:.2f}x (clusters started before the clock "
              f"in {starts[1]:.1f} and {starts[2]:.1f} s; with their start-up counted: "
              f"{(d1 + starts[1]) / (d2 + starts[2]):.2f}x)")
    rate = n / w2
    print(f"projected 100,000 ResNet-50 points at --jobs 2: {100_000 / rate / 60:.0f} min")

    big = spec_file(tmp, "lenet5", args.big)
    out = subprocess.run([sys.executable, __file__, "--memory-child", str(big),
                          str(tmp / "big.parquet")], capture_output=True, text=True, check=True)
    nb, wb, rss, kids = out.stdout.split()
    print(f"large totals sweep: {nb} LeNet-5 points, --jobs 2, {float(wb):.1f} s "
          f"({int(nb) / float(wb):.0f} pt/s); peak RSS parent {float(rss):.0f} MiB, "
          f"largest worker {float(kids):.0f} MiB; results "
          f"{(tmp / 'big.parquet').stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

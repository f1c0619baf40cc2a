"""Speed: seconds to evaluate whole networks (with mapping) on every bundled accelerator.

    python benchmarks/bench_evaluate.py [--repeat 5] [--workload resnet50]

Reports the median over repeats of a cold evaluation (the mapper's tiling-table cache emptied
before each one: what a first `hwsim run` costs) and of a warm one (the cache kept, as in a
sweep that varies only bandwidths, clocks or energies), plus load times. Not part of the test
suite: speed is measured here, not asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time

from hwsim import evaluate, load_arch, load_workload
from hwsim.bundled import bundled_names, resolve
from hwsim.model.targets import clear_caches


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--workload", action="append")
    args = ap.parse_args()
    workloads = args.workload or ["resnet50"]
    print(f"{'workload':<18} {'arch':<16} {'layers':>6} {'cold s':>9} {'warm s':>9}")
    for wname in workloads:
        t0 = time.perf_counter()
        wl = load_workload(resolve(wname, "workloads"))
        t_load = time.perf_counter() - t0
        for aname in bundled_names("arch_configs"):
            arch = load_arch(resolve(aname, "arch_configs"))
            cold, warm = [], []
            for _ in range(args.repeat):
                clear_caches()
                t0 = time.perf_counter()
                evaluate(wl, arch)
                cold.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                evaluate(wl, arch)
                warm.append(time.perf_counter() - t0)
            print(f"{wname:<18} {aname:<16} {len(wl):>6} {statistics.median(cold):>9.4f} "
                  f"{statistics.median(warm):>9.4f}")
        print(f"{wname:<18} {'(YAML load)':<16} {len(wl):>6} {t_load:>9.4f}")


if __name__ == "__main__":
    main()

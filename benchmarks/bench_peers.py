#!/usr/bin/env python3
"""Side-by-side speed: hwsim vs ZigZag vs SCALE-Sim on the 20 conv layers of ResNet-18,
32x32 weight-stationary array, batch 1, int8.

    python benchmarks/bench_peers.py [--zigzag-python /tmp/zigzag-venv/bin/python]
                                     [--scalesim-python /tmp/scalesim-venv/bin/python]
                                     [--skip-scalesim] > benchmarks/data/peers_speed.txt

Each peer runs in its OWN virtual environment (never an hwsim dependency), as a subprocess,
timed by wall clock (peak RSS from wait4). A peer whose venv/package is missing is skipped.
hwsim is timed three ways: in process cold (its mapping tables forgotten before each
evaluation, as a first run meets them) and warm (the same evaluation again, tables cached: a
sweep's repeated shapes), each the median of repeats with workload and arch already loaded;
and as a fresh subprocess (``python -c`` importing hwsim, loading and evaluating), the fair
comparison with the peers' subprocess times. Ratios are peer time / hwsim time.

Set-up of the peers (outside the repo):
    python -m venv /tmp/zigzag-venv && /tmp/zigzag-venv/bin/pip install zigzag-dse==3.9.1 six
    python -m venv /tmp/scalesim-venv && \
        /tmp/scalesim-venv/bin/pip install scalesim==3.0.0 'numpy<2.4'

ZigZag: its bundled ``tpu_like`` accelerator (32x32 MACs, K x C spatial unrolling: weight
stationary) and mapping, LOMA temporal-mapping search, optimising latency. SCALE-Sim: driven
by benchmarks/scalesim_reference.py with ``--dataflows ws`` (cycle-level, stall-free CALC mode).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.scalesim_reference import RESNET18_CONVS  # noqa: E402

ARCH_32 = """\
name: ws32
kind: systolic
technology_nm: 28
clock_mhz: 1000
precisions: [int8]
compute: {rows: 32, cols: 32, dataflow: ws}
dram: {bandwidth_gbps: 1000, burst_bytes: 64, energy_pj_per_bit: 20}
buffers:
  - {name: sram, holds: [weights, inputs, outputs], capacity_kib: 65536}
interconnect: {topology: systolic, hop_mm: 0.05}
"""


def hwsim_workload() -> str:
    lines = ["name: resnet18_convs", "batch: 1", "precision: int8", "layers:"]
    for name, cin, cout, k, s, p, hw, _ in RESNET18_CONVS:
        lines.append(f"  - {{name: {name}, op: conv2d, in_channels: {cin}, out_channels: {cout},"
                     f" kernel: {k}, stride: {s}, padding: {p}, input_hw: {hw},"
                     f" inputs: [input]}}")
    return "\n".join(lines) + "\n"


def zigzag_workload() -> str:
    lines = []
    for i, (name, cin, cout, k, s, p, hw, ohw) in enumerate(RESNET18_CONVS):
        lines.append(textwrap.dedent(f"""\
            - id: {i}
              name: {name.replace('.', '_')}
              operator_type: Conv
              equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]
              dimension_relations: [ix={s}*ox+1*fx, iy={s}*oy+1*fy]
              loop_dims: [B, K, C, OY, OX, FY, FX]
              loop_sizes: [1, {cout}, {cin}, {ohw}, {ohw}, {k}, {k}]
              operand_precision: {{W: 8, I: 8, O: 16, O_final: 8}}
              pr_loop_dims: [IX, IY]
              pr_loop_sizes: [{hw}, {hw}]
              padding: [[{p}, {p}], [{p}, {p}]]
            """))
    return "".join(lines)


ZIGZAG_DRIVER = """\
import os, sys, time, logging
import zigzag
from zigzag.api import get_hardware_performance_zigzag
logging.disable(logging.CRITICAL)
root = os.path.dirname(zigzag.__file__)
t0 = time.perf_counter()
energy, latency, _ = get_hardware_performance_zigzag(
    workload=sys.argv[1], accelerator=os.path.join(root, "inputs/hardware/tpu_like.yaml"),
    mapping=os.path.join(root, "inputs/mapping/tpu_like.yaml"), opt="latency",
    dump_folder=sys.argv[2], loma_show_progress_bar=False)
print(f"ZIGZAG latency_cycles={latency:.0f} energy_pJ={energy:.4g} "
      f"api_s={time.perf_counter() - t0:.2f}")
"""

HWSIM_DRIVER = """\
import sys, time
t0 = time.perf_counter()
from hwsim import evaluate, load_arch, load_workload
r = evaluate(load_workload(sys.argv[1]), load_arch(sys.argv[2]))
print(f"HWSIM cycles={r.totals['cycles']:.0f} s={time.perf_counter() - t0:.3f}")
"""


def timed(cmd: list[str], cwd: str | None = None) -> tuple[float, float, int, str]:
    """(wall s, peak RSS GiB, return code, output) of a subprocess (rusage from wait4)."""
    with tempfile.TemporaryFile("w+") as log:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, text=True)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        return wall, ru.ru_maxrss / 1024**2, p.returncode, log.read()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zigzag-python", default="/tmp/zigzag-venv/bin/python")
    ap.add_argument("--scalesim-python", default="/tmp/scalesim-venv/bin/python")
    ap.add_argument("--skip-scalesim", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench_peers_"))
    wl_path, arch_path = tmp / "resnet18_convs.yaml", tmp / "ws32.yaml"
    wl_path.write_text(hwsim_workload())
    arch_path.write_text(ARCH_32)
    print(f"# bench_peers: ResNet-18, 20 conv layers, 32x32 WS, batch 1 "
          f"({platform.python_version()}, {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')})")

    from hwsim import evaluate, load_arch, load_workload
    from hwsim.model.targets import clear_caches
    wl, arch = load_workload(wl_path), load_arch(arch_path)
    cold, warm = [], []
    for _ in range(args.repeat):
        clear_caches()
        t0 = time.perf_counter()
        rep = evaluate(wl, arch)
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        again = evaluate(wl, arch)
        warm.append(time.perf_counter() - t0)
        assert again.totals == rep.totals  # a speed path never changes a result
    hw_in, hw_warm = statistics.median(cold), statistics.median(warm)
    print(f"hwsim in-process, cold: {hw_in * 1e3:.1f} ms, warm: {hw_warm * 1e3:.1f} ms, medians "
          f"of {args.repeat} ({rep.totals['cycles']:.0f} cycles)")
    wall, rss, rc, out = timed([sys.executable, "-c", HWSIM_DRIVER, str(wl_path),
                                str(arch_path)], cwd=str(ROOT))
    hw_sub = wall
    print(f"hwsim subprocess (import + load + evaluate): {hw_sub:.2f} s, {rss:.2f} GiB rc={rc} "
          f"{out.strip().splitlines()[-1] if out.strip() else ''}")

    results: dict[str, float] = {}
    zz = Path(args.zigzag_python)
    if zz.exists() and subprocess.run([str(zz), "-c", "import zigzag"],
                                      capture_output=True).returncode == 0:
        zwl = tmp / "zigzag_resnet18_convs.yaml"
        zwl.write_text(zigzag_workload())
        drv = tmp / "zigzag_driver.py"
        drv.write_text(ZIGZAG_DRIVER)
        wall, rss, rc, out = timed([str(zz), str(drv), str(zwl), str(tmp / "zigzag_out")],
                                   cwd=str(tmp))
        line = [x for x in out.splitlines() if x.startswith("ZIGZAG")]
        print(f"zigzag-dse 3.9.1 (tpu_like 32x32, LOMA): {wall:.1f} s wall, {rss:.2f} GiB rc={rc} "
              f"{line[-1] if line else out.strip()[-500:]}")
        if rc == 0:
            results["zigzag"] = wall
    else:
        print(f"zigzag: skipped ({zz} missing or zigzag not importable)")

    ss = Path(args.scalesim_python)
    if args.skip_scalesim:
        print("scalesim: skipped (--skip-scalesim)")
    elif ss.exists() and subprocess.run([str(ss), "-c", "import scalesim"],
                                        capture_output=True).returncode == 0:
        wall, rss, rc, out = timed([str(ss), str(ROOT / "benchmarks" / "scalesim_reference.py"),
                                  "--dataflows", "ws", "--out", str(tmp / "scalesim.csv")])
        peak = [x for x in out.splitlines() if x.startswith("ws:")]
        print(f"scalesim 3.0.0 (ws, CALC): {wall:.1f} s wall, {rss:.2f} GiB rc={rc} "
              f"{peak[-1] if peak else out.strip()[-500:]}")
        if rc == 0:
            results["scalesim"] = wall
    else:
        print(f"scalesim: skipped ({ss} missing or scalesim not importable)")

    print()
    print(f"{'peer':<10} {'peer s':>9} {'/ hwsim cold':>13} {'/ hwsim warm':>13} "
          f"{'/ hwsim subprocess':>19}")
    for name, t in results.items():
        print(f"{name:<10} {t:>9.1f} {t / hw_in:>13,.0f} {t / hw_warm:>13,.0f} "
              f"{t / hw_sub:>19,.1f}")
    print(SCOPE)
    return 0


#: What each tool's run above computes, so that the times compare like with like.
SCOPE = """
# What the runs compute (the work differs, so the ratios are not like for like):
# - hwsim: analytical; per layer, every DRAM-level tiling and loop order of its table is
#   costed with the reporting formulas (latency with ports and DRAM, energy per component);
#   SCALE-Sim's compute cycles reproduced exactly (tests/test_validation.py). Also sparsity
#   patterns and GPU, FPGA and scratchpad targets, which neither peer run here exercises.
# - ZigZag (LOMA): a search over temporal mappings (loop orders and tilings at every memory
#   level of its tpu_like hierarchy), each costed for latency and energy: a larger mapping
#   space than hwsim's DRAM-level one, which is most of its time.
# - SCALE-Sim (CALC): a cycle-by-cycle simulation of the array's operand feeding, writing its
#   SRAM access traces and bandwidth demand per cycle (hwsim has no traces), from which the
#   compute cycles follow; no mapping search, no energy in this run."""


if __name__ == "__main__":
    sys.exit(main())

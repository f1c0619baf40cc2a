#!/usr/bin/env python3
"""Reference cycle counts for the ResNet-18 conv layers from SCALE-Sim (cycle-level systolic sim).

What it does
------------
Writes a SCALE-Sim topology CSV, an (empty) layout CSV and one config file per dataflow into a
temporary directory, runs SCALE-Sim once per dataflow (each in its own subprocess, so that wall
time and peak RSS can be measured per run), parses SCALE-Sim's COMPUTE_REPORT.csv and writes one
row per (layer, dataflow) to ``benchmarks/data/scalesim_resnet18_<R>x<C>.csv`` with the csv module.

The 20 conv layers of ResNet-18 (ImageNet 224x224, batch 1) are fed to SCALE-Sim with the
*padded* ifmap size ``H + 2*pad`` (SCALE-Sim has no padding).  NOTE: SCALE-Sim computes the
output size as ``ceil((H - R + s) / s)`` (= floor((H-R)/s) + 1 only when s divides H-R), so for
every stride-2 layer it produces one more output row/column than PyTorch
(conv1: 113 vs 112, l2.0.*: 29 vs 28, l3.0.*: 15 vs 14, l4.0.*: 8 vs 7).  The ``ofmap_h/ofmap_w``
columns hold what SCALE-Sim used; ``pytorch_ofmap_h/w`` hold PyTorch's.  ``--ifmap-mode exact``
feeds ``(out-1)*s + R`` instead (drops the padded row/col PyTorch never reads), which makes
SCALE-Sim's ofmap equal PyTorch's for every layer. The committed
``benchmarks/data/scalesim_resnet18_32x32.csv`` is such an exact-mode run
(``--ifmap-mode exact``), which tests/test_validation.py compares hwsim against layer by layer.

Memory stalls: the SRAMs are made large enough (256 MiB each by default) that every operand of a
layer fits in one SCALE-Sim buffer "set"; in the default CALC (estimate-bandwidth) interface mode
reads never stall and the ofmap buffer never drains mid-layer, so stall_cycles is 0 and
compute_cycles == total_cycles.  Stalls are nevertheless read from the report and subtracted.

Columns (SCALE-Sim COMPUTE_REPORT name in brackets):
  layer, dataflow, rows, cols, ifmap_h, ifmap_w, filt_h, filt_w, channels, num_filters, stride,
  ofmap_h, ofmap_w (from SCALE-Sim's topology: ceil((H-R+s)/s)),
  total_cycles [Total Cycles], stall_cycles [Stall Cycles],
  compute_cycles (= Total Cycles - Stall Cycles; there is no such report column),
  overall_util_pct [Overall Util %], mapping_efficiency_pct [Mapping Efficiency %],
  then extra columns: total_cycles_incl_prefetch [Total Cycles (incl. prefetch)],
  compute_util_pct [Compute Util %], pytorch_ofmap_h, pytorch_ofmap_w, macs.
  ("Total Cycles (incl. prefetch)" includes the modelled DRAM prefetch of the whole, oversized
  SRAM in CALC mode and is not meaningful here.)

How to run
----------
    python3 -m venv /tmp/scalesim-venv
    /tmp/scalesim-venv/bin/pip install scalesim==3.0.0 'numpy<2.4'
    /tmp/scalesim-venv/bin/python benchmarks/scalesim_reference.py            # 32x32, os ws is
    /tmp/scalesim-venv/bin/python benchmarks/scalesim_reference.py --rows 16 --cols 16 \
        --dataflows ws os --jobs 2

SCALE-Sim is NOT a project dependency; run this only with the venv's python.  SCALE-Sim's run
outputs go to a temporary directory (``--keep-tmp`` keeps it, ``--tmp-dir`` chooses it).

Version / timing
----------------
Generated with scalesim 3.0.0 (numpy 2.3.5, Python 3.11) on a 2-core x86 VM with 24 GiB RAM,
32x32, CALC mode, ``--jobs 2`` (two dataflows at a time, one per core): 12 min 52 s wall in all.
  os: 241 s wall, 5.4 GiB peak RSS | ws: 318 s, 7.1 GiB | is: 531 s, 7.8 GiB
RSS grows layer by layer because SCALE-Sim keeps every layer's demand matrices until it writes
its reports; with the default ``--jobs 1`` expect about 18 min.  (``--ifmap-mode exact`` took
263 / 353 / 557 s with the same peak RSS.)
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

SCALESIM_VERSION = "3.0.0"

# name, in_ch, out_ch, k, stride, pad, in_hw, out_hw (PyTorch)
RESNET18_CONVS = [
    ("conv1", 3, 64, 7, 2, 3, 224, 112),
    ("l1.0.conv1", 64, 64, 3, 1, 1, 56, 56),
    ("l1.0.conv2", 64, 64, 3, 1, 1, 56, 56),
    ("l1.1.conv1", 64, 64, 3, 1, 1, 56, 56),
    ("l1.1.conv2", 64, 64, 3, 1, 1, 56, 56),
    ("l2.0.conv1", 64, 128, 3, 2, 1, 56, 28),
    ("l2.0.conv2", 128, 128, 3, 1, 1, 28, 28),
    ("l2.0.downsample", 64, 128, 1, 2, 0, 56, 28),
    ("l2.1.conv1", 128, 128, 3, 1, 1, 28, 28),
    ("l2.1.conv2", 128, 128, 3, 1, 1, 28, 28),
    ("l3.0.conv1", 128, 256, 3, 2, 1, 28, 14),
    ("l3.0.conv2", 256, 256, 3, 1, 1, 14, 14),
    ("l3.0.downsample", 128, 256, 1, 2, 0, 28, 14),
    ("l3.1.conv1", 256, 256, 3, 1, 1, 14, 14),
    ("l3.1.conv2", 256, 256, 3, 1, 1, 14, 14),
    ("l4.0.conv1", 256, 512, 3, 2, 1, 14, 7),
    ("l4.0.conv2", 512, 512, 3, 1, 1, 7, 7),
    ("l4.0.downsample", 256, 512, 1, 2, 0, 14, 7),
    ("l4.1.conv1", 512, 512, 3, 1, 1, 7, 7),
    ("l4.1.conv2", 512, 512, 3, 1, 1, 7, 7),
]

OUT_COLUMNS = [
    "layer", "dataflow", "rows", "cols", "ifmap_h", "ifmap_w", "filt_h", "filt_w", "channels",
    "num_filters", "stride", "ofmap_h", "ofmap_w", "total_cycles", "stall_cycles",
    "compute_cycles", "overall_util_pct", "mapping_efficiency_pct",
    # extras
    "total_cycles_incl_prefetch", "compute_util_pct", "pytorch_ofmap_h", "pytorch_ofmap_w", "macs",
]

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def scalesim_ofmap(h: int, k: int, s: int) -> int:
    """SCALE-Sim's output size (topology_utils.topo_calc_hyperparams)."""
    return math.ceil((h - k + s) / s)


def layer_inputs(ifmap_mode: str):
    """Rows fed to SCALE-Sim: dicts with the geometry SCALE-Sim sees."""
    out = []
    for name, cin, cout, k, s, p, hw, ohw in RESNET18_CONVS:
        assert (hw + 2 * p - k) // s + 1 == ohw, name
        if ifmap_mode == "padded":
            ih = hw + 2 * p
        elif ifmap_mode == "exact":
            ih = (ohw - 1) * s + k
        else:
            raise ValueError(ifmap_mode)
        oh = scalesim_ofmap(ih, k, s)
        out.append(dict(layer=name, ifmap_h=ih, ifmap_w=ih, filt_h=k, filt_w=k, channels=cin,
                        num_filters=cout, stride=s, ofmap_h=oh, ofmap_w=oh,
                        pytorch_ofmap_h=ohw, pytorch_ofmap_w=ohw,
                        macs=oh * oh * k * k * cin * cout))
    return out


def write_topology(path: str, layers) -> None:
    # SCALE-Sim's conv topology format; it drops the last field of each row, hence the
    # trailing comma.  Names must not contain 'DP' (that marks depthwise layers).
    with open(path, "w", newline="") as f:
        f.write("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                "Channels, Num Filter, Strides,\n")
        for L in layers:
            f.write(f"{L['layer']}, {L['ifmap_h']}, {L['ifmap_w']}, {L['filt_h']}, "
                    f"{L['filt_w']}, {L['channels']}, {L['num_filters']}, {L['stride']},\n")


def write_layout(path: str) -> None:
    # SCALE-Sim always opens a layout file; header-only = no custom layouts.
    with open(path, "w") as f:
        f.write("Layer name, IFMAP Height Intraline Factor,\n")


def write_config(path: str, run_name: str, rows: int, cols: int, dataflow: str,
                 sram_kb: int, interface: str, bandwidth: int) -> None:
    cfg = f"""[general]
run_name = {run_name}

[architecture_presets]
ArrayHeight = {rows}
ArrayWidth = {cols}
IfmapSramSzkB = {sram_kb}
FilterSramSzkB = {sram_kb}
OfmapSramSzkB = {sram_kb}
IfmapOffset = 0
FilterOffset = 100000000
OfmapOffset = 200000000
Bandwidth = {bandwidth}
Dataflow = {dataflow}
ReadRequestBuffer = 32
WriteRequestBuffer = 32

[layout]
IfmapCustomLayout = False
IfmapSRAMBankBandwidth = {bandwidth}
IfmapSRAMBankNum = 1
IfmapSRAMBankPort = 2
FilterCustomLayout = False
FilterSRAMBankBandwidth = {bandwidth}
FilterSRAMBankNum = 1
FilterSRAMBankPort = 2

[sparsity]
SparsitySupport = false
SparseRep = ellpack_block
OptimizedMapping = false
BlockSize = 8
RandomNumberGeneratorSeed = 40

[run_presets]
InterfaceBandwidth = {interface}
UseRamulatorTrace = False
"""
    with open(path, "w") as f:
        f.write(cfg)


def worker(cfg: str, topo: str, layout: str, logdir: str) -> None:
    """Runs inside the subprocess: one SCALE-Sim run (all layers, one dataflow)."""
    from scalesim.scale_sim import scalesim  # importable only inside the SCALE-Sim venv
    # save_disk_space=True: do not write the (huge) per-cycle SRAM/DRAM traces.
    # (scalesim.scale's CLI ignores its own -s flag and always writes them.)
    s = scalesim(save_disk_space=True, verbose=True, config=cfg, topology=topo, layout=layout,
                 input_type_gemm=False)
    s.run_scale(top_path=logdir)


def read_compute_report(path: str):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, skipinitialspace=True))
    header = [h.strip() for h in rows[0] if h.strip()]
    out = []
    for r in rows[1:]:
        vals = [v.strip() for v in r if v.strip() != ""]
        if vals:
            out.append(dict(zip(header, vals)))
    return out


def fmt_float(x: str) -> str:
    return f"{float(x):.6f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=32, help="systolic array rows (ArrayHeight)")
    ap.add_argument("--cols", type=int, default=32, help="systolic array cols (ArrayWidth)")
    ap.add_argument("--dataflows", nargs="+", default=["os", "ws", "is"],
                    choices=["os", "ws", "is"])
    ap.add_argument("--ifmap-mode", choices=["padded", "exact"], default="padded",
                    help="padded: H+2p (default); exact: (out-1)*s+k so SCALE-Sim's ofmap "
                         "equals PyTorch's")
    ap.add_argument("--sram-kb", type=int, default=262144,
                    help="each SRAM size in kB (default 256 MiB: no stalls, and fast)")
    ap.add_argument("--interface", choices=["CALC", "USER"], default="CALC",
                    help="SCALE-Sim InterfaceBandwidth mode (CALC: stall-free reads)")
    ap.add_argument("--bandwidth", type=int, default=64,
                    help="DRAM words/cycle, used in USER mode only")
    ap.add_argument("--layers", nargs="+", default=None,
                    help="subset of layer names (default: all 20)")
    ap.add_argument("--jobs", type=int, default=1, help="dataflows run concurrently")
    ap.add_argument("--out", default=None, help="output csv (default "
                    "benchmarks/data/scalesim_resnet18_<R>x<C>.csv)")
    ap.add_argument("--tmp-dir", default=None, help="where SCALE-Sim writes (default: mkdtemp)")
    ap.add_argument("--keep-tmp", action="store_true")
    ap.add_argument("--worker", nargs=4, metavar=("CFG", "TOPO", "LAYOUT", "LOGDIR"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        worker(*args.worker)
        return 0

    try:
        import scalesim  # noqa: F401
    except ImportError:
        print("scalesim not importable: run with the scalesim venv's python (see docstring)",
              file=sys.stderr)
        return 2
    try:
        from importlib.metadata import version
        v = version("scalesim")
        if v != SCALESIM_VERSION:
            print(f"warning: scalesim {v} installed, reference data were made with "
                  f"{SCALESIM_VERSION}", file=sys.stderr)
    except Exception:
        pass

    out_path = args.out or os.path.join(
        REPO_ROOT, "benchmarks", "data", f"scalesim_resnet18_{args.rows}x{args.cols}.csv")
    tmp = args.tmp_dir or tempfile.mkdtemp(prefix="scalesim_resnet18_")
    os.makedirs(tmp, exist_ok=True)
    print(f"SCALE-Sim work dir: {tmp}")

    layers = layer_inputs(args.ifmap_mode)
    if args.layers:
        unknown = set(args.layers) - {L["layer"] for L in layers}
        if unknown:
            ap.error(f"unknown layers {sorted(unknown)}")
        layers = [L for L in layers if L["layer"] in args.layers]
    topo = os.path.join(tmp, "resnet18.csv")
    layout = os.path.join(tmp, "layout.csv")
    write_topology(topo, layers)
    write_layout(layout)

    # Launch one subprocess per dataflow, at most --jobs at a time.
    pending = list(args.dataflows)
    running = {}   # pid -> (df, Popen, t0, logfile)
    results = {}   # df -> (wall_s, maxrss_kib, rc, report_dir)
    while pending or running:
        while pending and len(running) < max(1, args.jobs):
            df = pending.pop(0)
            run_name = f"resnet18_{args.rows}x{args.cols}_{df}"
            cfg = os.path.join(tmp, f"{run_name}.cfg")
            write_config(cfg, run_name, args.rows, args.cols, df, args.sram_kb,
                         args.interface, args.bandwidth)
            logdir = os.path.join(tmp, "runs")
            os.makedirs(logdir, exist_ok=True)
            # Stays open while the child runs; closed when it is reaped below.
            logf = open(os.path.join(tmp, f"{run_name}.log"), "w")  # noqa: SIM115
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", cfg, topo, layout,
                   logdir]
            p = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, cwd=tmp)
            running[p.pid] = (df, p, time.time(), logf, os.path.join(logdir, run_name))
            print(f"[{time.strftime('%H:%M:%S')}] started {df} (pid {p.pid}), "
                  f"log {logf.name}", flush=True)
        pid, status, ru = os.wait4(-1, 0)
        if pid not in running:
            continue
        df, p, t0, logf, rdir = running.pop(pid)
        p.returncode = os.waitstatus_to_exitcode(status)
        logf.close()
        wall = time.time() - t0
        results[df] = (wall, ru.ru_maxrss, p.returncode, rdir)
        print(f"[{time.strftime('%H:%M:%S')}] {df}: rc={p.returncode} wall={wall:.1f}s "
              f"peak_rss={ru.ru_maxrss / 1024:.0f} MiB", flush=True)

    failed = [df for df in args.dataflows if results[df][2] != 0]
    if failed:
        print(f"SCALE-Sim failed for {failed}; see logs in {tmp}", file=sys.stderr)
        return 1

    rows_out = []
    for df in args.dataflows:
        report = read_compute_report(os.path.join(results[df][3], "COMPUTE_REPORT.csv"))
        assert len(report) == len(layers), (df, len(report))
        for L, rep in zip(layers, report):
            total = int(float(rep["Total Cycles"]))
            stall = int(float(rep["Stall Cycles"]))
            row = dict(L)
            row.update(
                dataflow=df, rows=args.rows, cols=args.cols,
                total_cycles=total, stall_cycles=stall, compute_cycles=total - stall,
                overall_util_pct=fmt_float(rep["Overall Util %"]),
                mapping_efficiency_pct=fmt_float(rep["Mapping Efficiency %"]),
                total_cycles_incl_prefetch=int(float(rep["Total Cycles (incl. prefetch)"])),
                compute_util_pct=fmt_float(rep["Compute Util %"]),
            )
            rows_out.append(row)

    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=OUT_COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows_out)
    print(f"wrote {out_path} ({len(rows_out)} rows)")

    mism = [L["layer"] for L in layers if L["ofmap_h"] != L["pytorch_ofmap_h"]]
    if mism:
        print(f"note: SCALE-Sim ofmap != PyTorch out_hw for {len(mism)} layers: {mism}")
    for df in args.dataflows:
        wall, rss, _, _ = results[df]
        print(f"{df}: wall {wall:.1f} s, peak RSS {rss / 1024 / 1024:.2f} GiB")

    if not args.keep_tmp and args.tmp_dir is None:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

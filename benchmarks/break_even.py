"""Metadata break-even density of unstructured sparsity, per storage format, on one arch.

For each weight format: the density below which storing the weights compressed moves fewer
DRAM bytes than storing them dense, (1) from the format arithmetic alone and (2) from the full
model on a ResNet-50 layer (the mapper re-tiles as compression frees buffer space; the model
uses a format only where it is smaller, so (2) is where it switches). The n:m format holds only
n:m-conformant weights, which unstructured sparsity never is: "nan" in the model column.

    python benchmarks/break_even.py [--arch gemmini] [--layer layer3.0.conv2] [-o CSV]
"""

from __future__ import annotations

import argparse
import csv
import sys

from hwsim import evaluate, load_workload
from hwsim.arch.load import load_arch
from hwsim.bundled import resolve
from hwsim.evaluation.layer_sparsity import weight_matrix_shape
from hwsim.precision import bytes_per_element
from hwsim.sparsity.formats import FORMATS, break_even_density
from hwsim.sparsity.spec import Unstructured
from hwsim.workload.graph import build_workload


def model_break_even(wl, arch_name: str, fmt: str) -> float:
    arch = load_arch(arch_name, [f"sparsity.weights.format={fmt}"])
    dense = evaluate(wl, arch, "energy").totals["dram_bytes"]

    def moved(d: float) -> float:
        return evaluate(wl, arch, "energy", sparsity=Unstructured(sparsity=1 - d)).totals[
            "dram_bytes"]

    if moved(0.999) < dense:
        return 1.0
    lo, hi = 0.0, 0.999
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if moved(mid) < dense else (lo, mid)
    return lo


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="gemmini")
    ap.add_argument("--workload", default="resnet50")
    ap.add_argument("--layer", default="layer3.0.conv2")
    ap.add_argument("-o", "--output", default=None)
    args = ap.parse_args()
    full = load_workload(resolve(args.workload, "workloads"))
    layer = full.layer(args.layer)
    wl = build_workload("one", [layer.model_copy(update={"inputs": None})])
    arch = load_arch(args.arch, None)
    bits = bytes_per_element(arch.default_precision) * 8
    rows, cols, _ = weight_matrix_shape(layer)
    out = []
    for fmt in FORMATS:
        if fmt == "dense":
            continue
        a = break_even_density(fmt, rows, cols, bits)
        # An n:m index format cannot hold unstructured weights (they do not conform), so the
        # model never uses it here: its break-even is for n:m-pruned weights only.
        m = float("nan") if fmt == "nm" else model_break_even(wl, args.arch, fmt)
        out.append({"format": fmt, "analytic_density": round(a, 4), "model_density": round(m, 4),
                    "analytic_sparsity": round(1 - a, 4), "model_sparsity": round(1 - m, 4)})
    print(f"{args.arch} ({arch.default_precision}), {args.workload} {args.layer}: weight matrix "
          f"{rows} x {cols}; compressed storage pays below these densities")
    print(f"{'format':<8} {'analytic':>9} {'model':>7}   (sparsity: analytic / model)")
    for r in out:
        print(f"{r['format']:<8} {r['analytic_density']:>9.3f} {r['model_density']:>7.3f}"
              f"   {r['analytic_sparsity']:.1%} / {r['model_sparsity']:.1%}")
    if args.output:
        with open(args.output, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(out[0]))
            w.writeheader()
            w.writerows(out)
    return None


if __name__ == "__main__":
    sys.exit(main())

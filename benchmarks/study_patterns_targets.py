"""Which sparsity pattern pays on which hardware: one workload, every pattern, all four kinds.

The bundled designs as published (TPU v1, Zhang's FPGA: no sparse support; Eyeriss: gating and
RLE activations; GPUs: 2:4 tensor cores on A100/H100, block-sparse and CSR kernels; the vector
processor: native sparse weights) plus "what-if" variants of the FPGA and systolic designs with
zero skipping switched on (``--set``-style overrides), at 75% sparsity (2:4 at 50%).

    python benchmarks/study_patterns_targets.py [--workload resnet50] [-o CSV]
"""

from __future__ import annotations

import argparse

from hwsim.arch.load import load_arch
from hwsim.bundled import resolve
from hwsim.evaluation import compare
from hwsim.report import rows_csv, rows_table
from hwsim.sparsity.spec import parse_sparsity
from hwsim.workload.io import load_workload

TARGETS: list[tuple[str, list[str]]] = [
    ("zhang_fpga15", []),
    ("zhang_fpga15", ["name=zhang_fpga15+skip", "sparsity.skip=unstructured",
                      "sparsity.weights.format=csr", "sparsity.gating=true"]),
    ("tpu_v1", []),
    ("tpu_v1", ["name=tpu_v1+block", "sparsity.skip=block"]),
    ("tpu_v1", ["name=tpu_v1+2:4", "sparsity.skip=nm", "sparsity.weights.format=nm"]),
    ("eyeriss", []),
    ("gs_vector", []),
    ("a100", []),
]
PATTERNS = ["unstructured:sparsity=0.75,act=0.5", "block:size=32x32,sparsity=0.75",
            "shuffled_block:size=64x1,sparsity=0.75", "nm:n=2,m=4", "gs:sparsity=0.75",
            "channel:sparsity=0.5"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", default="resnet50")
    ap.add_argument("-o", "--output", default=None)
    args = ap.parse_args()
    wl = load_workload(resolve(args.workload, "workloads"))
    archs = [load_arch(name, sets) for name, sets in TARGETS]
    rows = compare(wl, archs, [parse_sparsity(p) for p in PATTERNS])
    print(rows_table(rows, wl.name))
    if args.output:
        with open(args.output, "w") as f:
            f.write(rows_csv(rows))


if __name__ == "__main__":
    main()

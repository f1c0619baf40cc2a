"""Seed case: load-balanced gather-scatter patterns (Sun et al., arXiv 2112.10898) on a vector
processor with a banked scratchpad and a gather/scatter engine.

Published: GS patterns cut the runtime of GNMT, ResNet-50 and Jasper components 2-3x against
conventional structured sparsity at the same accuracy. Here: every pattern at the same 90%
sparsity (1:8 for N:M), on the bundled gs_vector processor, for a GNMT-like decoding step at
several batch sizes and for ResNet-50.

    python benchmarks/study_gather_scatter.py
"""

from __future__ import annotations

from hwsim import evaluate, load_arch
from hwsim.sparsity.spec import parse_sparsity
from hwsim.workload.zoo import ZOO

PATTERNS = {
    "unstructured": "unstructured:sparsity=0.9",
    "block 1x8": "block:size=1x8,sparsity=0.9",
    "block 4x4": "block:size=4x4,sparsity=0.9",
    "N:M 1:8": "nm:n=1,m=8",
    "gather-scatter": "gs:sparsity=0.9",
}


def study() -> list[dict[str, object]]:
    arch = load_arch("gs_vector")
    rows = []
    cases = [("gnmt_step", b) for b in (1, 4, 8, 16)] + [("resnet50", 1)]
    for name, batch in cases:
        wl = ZOO[name]().with_batch(batch)
        dense = evaluate(wl, arch).totals["latency_s"]
        row: dict[str, object] = {"workload": name, "batch": batch, "dense_ms": dense * 1e3}
        for label, text in PATTERNS.items():
            rep = evaluate(wl, arch, sparsity=parse_sparsity(text))
            row[label] = dense / rep.totals["latency_s"]
            row[f"{label} bound"] = rep.totals["bound"]
        rows.append(row)
    return rows


def main() -> None:
    print("speedup over dense at 90% sparsity (1:8 for N:M) on gs_vector")
    print(f"{'workload':<11} {'batch':>5} {'dense':>10}" + "".join(f"{k:>16}" for k in PATTERNS))
    for r in study():
        print(f"{r['workload']:<11} {r['batch']:>5} {r['dense_ms']:>8.2f}ms"
              + "".join(f"{r[k]:>14.2f}x{str(r[k + ' bound'])[0]}" for k in PATTERNS))
    print("(suffix: what bounds the network, c = compute, d = dram)")


if __name__ == "__main__":
    main()

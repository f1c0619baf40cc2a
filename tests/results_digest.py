"""Digest of every bundled accelerator x workload evaluation, for the test that speed changes
never change a result (tests/test_results_unchanged.py).

    python -m tests.results_digest > tests/data/results_digest.json

regenerates the pinned file; do that only for a change that is meant to change results, and
say so in its commit. Each case is the sha256 of the whole report as JSON (every layer's row,
mapping and energy components, the totals), so a difference in any digit of any number shows.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator

from hwsim import evaluate, load_arch, load_workload
from hwsim.bundled import bundled_names
from hwsim.errors import HwsimError
from hwsim.sparsity.spec import parse_sparsity

#: Patterns each pair is evaluated with beyond the layers' own (dense where none): the sparse
#: paths every target has (skipping, N:M, blocks, channel shrinking).
PATTERNS = (None, "unstructured:sparsity=0.75", "2:4", "block:size=4x4,sparsity=0.75",
            "channel:sparsity=0.5")
#: Workloads too large to sweep all patterns on (their dense run is still pinned).
DENSE_ONLY = ("llama2_7b_prefill2048", "llama3_8b_prefill2048", "mixtral_8x7b_decode2048",
              "llama2_7b_decode2048", "llama3_8b_decode2048", "gpt2_prefill1024",
              "gpt2_decode1024", "dlrm_mlperf", "gnmt_step")


def cases() -> Iterator[tuple[str, str, str | None, str]]:
    """(arch, workload, pattern, objective) of every pinned evaluation."""
    for arch in bundled_names("arch_configs"):
        for wl in bundled_names("workloads"):
            for pattern in (PATTERNS[:1] if wl in DENSE_ONLY else PATTERNS):
                yield arch, wl, pattern, "latency"
            if wl in ("resnet18", "bert_base_seq128"):
                yield arch, wl, "unstructured:sparsity=0.75", "energy"
                yield arch, wl, None, "edp"


def digest() -> dict[str, str]:
    """Case name -> sha256 of its report JSON (or of its error message)."""
    archs = {a: load_arch(a) for a in bundled_names("arch_configs")}
    wls = {w: load_workload(w) for w in bundled_names("workloads")}
    out: dict[str, str] = {}
    for arch, wl, pattern, objective in cases():
        name = f"{arch}|{wl}|{pattern or 'own'}|{objective}"
        try:
            rep = evaluate(wls[wl], archs[arch], objective=objective,
                           sparsity=parse_sparsity(pattern) if pattern else None)
            text = json.dumps(rep.to_dict(), sort_keys=True)
        except HwsimError as exc:
            text = f"error: {exc}"
        out[name] = hashlib.sha256(text.encode()).hexdigest()
    return out


if __name__ == "__main__":
    json.dump(digest(), sys.stdout, indent=0, sort_keys=True)
    sys.stdout.write("\n")

"""Speed: seconds to evaluate a language model's serving metrics (prefill and one decode
step, every layer mapped) on the GPU configs, cold and warm.

    python benchmarks/bench_llm.py [--repeat 3]

Cold: the mapper's tiling-table cache emptied first (a first `hwsim llm` call); warm: kept (a
sweep over batch or context on one device). Results go to benchmarks/data/llm_speed.txt. Not
part of the test suite: speed is measured here, not asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time

from hwsim import load_arch
from hwsim.evaluation.llm import evaluate_llm
from hwsim.model.targets import clear_caches
from hwsim.workload.llm import load_llm_config

CASES = [("gpt2", 1, 1), ("llama2_7b", 1, 1), ("llama2_7b", 64, 1), ("llama2_70b", 1, 4),
         ("mixtral_8x7b", 8, 1)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"{'model':<14} {'batch':>5} {'tp':>3} {'arch':<10} {'layers':>6} {'cold s':>8} "
          f"{'warm s':>8}")
    for model, batch, tp in CASES:
        cfg = load_llm_config(model)
        prompt = min(1024, cfg.max_position_embeddings)
        for aname in ("a100_80gb", "h100"):
            arch = load_arch(aname)
            cold, warm = [], []
            for _ in range(args.repeat):
                clear_caches()
                t0 = time.perf_counter()
                r = evaluate_llm(cfg, arch, batch=batch, prompt=prompt, tp=tp)
                cold.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                evaluate_llm(cfg, arch, batch=batch, prompt=prompt, tp=tp)
                warm.append(time.perf_counter() - t0)
            layers = len(r.prefill.report.layers) + len(r.decode.report.layers)
            print(f"{model:<14} {batch:>5} {tp:>3} {aname:<10} {layers:>6} "
                  f"{statistics.median(cold):>8.3f} {statistics.median(warm):>8.3f}")


if __name__ == "__main__":
    main()

"""Seed case: CGaP (Du et al., "Efficient Network Construction through Structural Plasticity",
IEEE JETCAS 2019) - ResNet-110 on CIFAR-10, filters pruned to about 36% of the parameters.

Published, on the authors' FPGA architectural model: FLOPs -63.3%, parameters -64.0%, DRAM
access energy -11.8%, inference latency -40.2%. CGaP prunes filters inside residual blocks and
keeps the stage widths that residual additions join, which is ``channel`` pruning with
``joins=keep`` here. The per-layer channel counts are not published; a uniform fraction is used.

    python benchmarks/study_cgap.py
"""

from __future__ import annotations

from hwsim import evaluate
from hwsim.arch.load import load_arch
from hwsim.bundled import bundled_names, resolve
from hwsim.evaluation.channel_pruning import prune_channels
from hwsim.sparsity.spec import Channel
from hwsim.workload.zoo import resnet_cifar

PUBLISHED = {"flops": -0.633, "params": -0.640, "dram_energy": -0.118, "latency": -0.402}
PRUNE = Channel(sparsity=0.64, joins="keep")


def study(arch_names: list[str] | None = None) -> list[dict[str, float | str]]:
    """Relative change of FLOPs, parameters, DRAM energy and latency per bundled accelerator."""
    dense = resnet_cifar(110)
    pruned = prune_channels(dense, PRUNE)
    rows = []
    for name in arch_names or bundled_names("arch_configs"):
        arch = load_arch(resolve(name, "arch_configs"))
        d, p = evaluate(dense, arch).totals, evaluate(pruned, arch).totals
        dram = ("dram", "metadata")
        rows.append({
            "arch": name,
            "flops": pruned.macs() / dense.macs() - 1,
            "params": pruned.params() / dense.params() - 1,
            "dram_energy": sum(p["energy_breakdown_j"][k] for k in dram)
            / sum(d["energy_breakdown_j"][k] for k in dram) - 1,
            "latency": p["latency_s"] / d["latency_s"] - 1,
            "energy": p["energy_j"] / d["energy_j"] - 1,
        })
    return rows


def main() -> None:
    keys = ["flops", "params", "dram_energy", "latency", "energy"]
    print(f"{'':<16}" + "".join(f"{k:>13}" for k in keys))
    print(f"{'CGaP published':<16}" + "".join(
        f"{PUBLISHED[k]:>+13.1%}" if k in PUBLISHED else f"{'':>13}" for k in keys))
    for r in study():
        print(f"{r['arch']:<16}" + "".join(f"{r[k]:>+13.1%}" for k in keys))


if __name__ == "__main__":
    main()

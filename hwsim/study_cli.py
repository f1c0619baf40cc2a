"""``hwsim isoacc`` and ``hwsim budget``: questions asked as pruning papers ask them.

    hwsim isoacc --arch gemmini --arch a100 --workload resnet50 --accuracy acc.csv \\
                 --max-drop 1.0 --plot acc_vs_latency.png
    hwsim budget --arch tpu_v1 --arch gemmini --workload resnet50 --knob channel --latency-ms 2
    hwsim budget --arch gemmini --submodel resnet18 --submodel resnet50 --energy-mj 10
"""

from __future__ import annotations

import argparse
import json
import math
from typing import TYPE_CHECKING, Any

from hwsim.errors import HwsimError
from hwsim.version import VERSION

if TYPE_CHECKING:
    from hwsim.evaluation.accuracy import (
        AccuracyTable,
        IsoRow,
    )
    from hwsim.evaluation.budget import BudgetResult, Metric
    from hwsim.workload.graph import Workload


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``isoacc`` and ``budget`` to the hwsim command."""
    p = sub.add_parser("isoacc", help="speedup and energy of each pattern at equal accuracy, "
                                      "from your accuracy table")
    p.add_argument("--arch", required=True, action="append", help="repeat for several")
    p.add_argument("--workload", required=True, action="append", help="(once)")
    p.add_argument("--accuracy", required=True, metavar="CSV",
                   help="columns pattern,sparsity,accuracy; a 'dense' row is the baseline")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--target", type=float, help="accuracy every pattern must keep")
    target.add_argument("--max-drop", type=float, help="allowed drop from dense accuracy")
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--set", action="append", metavar="[NAME:]PATH=VALUE",
                   help="override an arch field, e.g. sparsity.skip=unstructured (NAME: only "
                        "that --arch)")
    p.add_argument("--format", choices=("table", "json", "csv"), default=None)
    p.add_argument("-o", "--output", default=None)
    p.add_argument("--plot", default=None, metavar="FILE",
                   help="also draw accuracy against latency per pattern and accelerator")
    p.set_defaults(func=cmd_isoacc)

    b = sub.add_parser("budget", help="the largest model that meets a latency or energy "
                                      "budget on each accelerator")
    b.add_argument("--arch", required=True, action="append", help="repeat for several")
    which = b.add_mutually_exclusive_group(required=True)
    which.add_argument("--workload", action="append", help="prune this network (with --knob)")
    which.add_argument("--submodel", action="append",
                       help="candidate networks, largest that fits wins (repeat)")
    b.add_argument("--knob", default="channel",
                   help="channel (filters removed) or a weight pattern (unstructured, "
                        "block:size=4x4, ...): the sparsity is what is searched")
    b.add_argument("--latency-ms", type=float, default=None)
    b.add_argument("--energy-mj", type=float, default=None)
    b.add_argument("--step", type=float, default=0.02, help="grid step of the sparsity")
    b.add_argument("--batch", type=int, default=None)
    b.add_argument("--set", action="append", metavar="[NAME:]PATH=VALUE")
    b.add_argument("--format", choices=("table", "json", "csv"), default=None)
    b.add_argument("-o", "--output", default=None)
    b.set_defaults(func=cmd_budget)


def _target(table: AccuracyTable, args: argparse.Namespace) -> float:
    if args.target is not None:
        return float(args.target)
    if args.max_drop < 0:
        raise HwsimError(f"--max-drop must be >= 0, got {args.max_drop}")
    return table.dense - float(args.max_drop)


def cmd_isoacc(args: argparse.Namespace) -> int:
    from hwsim.arch.load import load_arch
    from hwsim.cli import _fmt_for, _one, _sets_per_arch, _write
    from hwsim.evaluation.accuracy import iso_accuracy, load_accuracy_table
    from hwsim.report.flat import records_csv
    from hwsim.workload.io import load_workload

    table = load_accuracy_table(args.accuracy)
    target = _target(table, args)
    wl = load_workload(_one(args.workload, "--workload", "isoacc evaluates one workload"))
    archs = [load_arch(a, s) for a, s in zip(args.arch, _sets_per_arch(args.arch, args.set))]
    rows = iso_accuracy(wl, archs, table, target, batch=args.batch)
    fmt = _fmt_for(args.output, args.format)
    if fmt == "json":
        text = json.dumps({"producer": f"hwsim {VERSION} isoacc", "workload": wl.name,
                           "target_accuracy": target, "dense_accuracy": table.dense,
                           "rows": [r.to_dict() for r in rows]}, indent=2)
    elif fmt == "csv":
        text = records_csv([r.to_dict() for r in rows])
    else:
        text = iso_table(rows, wl.name, target, table.dense)
    _write(text, args.output)
    if args.plot:
        plot_accuracy_latency(wl, archs, table, target, args.plot, args.batch)
    return 0


def iso_table(rows: list[IsoRow], workload: str, target: float, dense: float) -> str:
    head = (f"{'accelerator':<14} {'pattern':<26} {'sparsity':>8} {'accuracy':>8} "
            f"{'latency':>11} {'speedup':>8} {'energy':>11} {'saving':>7}")
    out = [f"{workload}: every pattern pruned as far as accuracy >= {target:g} allows "
           f"(dense {dense:g})", head, "-" * len(head)]
    for r in rows:
        if r.latency_s is None:
            out.append(f"{r.arch[:14]:<14} {r.pattern[:26]:<26} never reaches the target")
            continue
        assert r.energy_j is not None and r.speedup is not None and r.energy_saving is not None
        out.append(f"{r.arch[:14]:<14} {r.pattern[:26]:<26} {r.sparsity or 0:>8.1%} "
                   f"{r.accuracy:>8.2f} {r.latency_s * 1e3:>8.3f} ms {r.speedup:>7.2f}x "
                   f"{r.energy_j * 1e3:>8.3f} mJ {r.energy_saving:>+7.1%}")
    return "\n".join(out)


def plot_accuracy_latency(wl: Workload, archs: list[Any], table: AccuracyTable, target: float,
                          path: str, batch: int | None) -> None:
    """Accuracy against latency, one panel per accelerator, one line per pattern (each
    measured point evaluated), the target as a dashed line."""
    import matplotlib

    from hwsim.evaluation.accuracy import spec_at
    from hwsim.evaluation.evaluate import evaluate

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(archs), figsize=(5 * len(archs), 4), squeeze=False)
    for ax, arch in zip(axes[0], archs):
        dense = evaluate(wl, arch, batch=batch).totals["latency_s"] * 1e3
        ax.plot([dense], [table.dense], "k*", markersize=12, label="dense")
        for k, (pattern, curve) in enumerate(table.curves.items()):
            lat = [evaluate(wl, arch, batch=batch, sparsity=spec_at(pattern, q.sparsity))
                   .totals["latency_s"] * 1e3 for q in curve]
            ax.plot(lat, [q.accuracy for q in curve], marker="osD^v<>"[k % 7], label=pattern)
        ax.axhline(target, color="grey", linestyle="--", linewidth=1, label="target")
        ax.set(xlabel="latency (ms)", ylabel="accuracy", title=f"{wl.name} on {arch.name}")
        ax.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def cmd_budget(args: argparse.Namespace) -> int:
    from hwsim.arch.load import load_arch
    from hwsim.cli import _fmt_for, _write
    from hwsim.evaluation.budget import largest_submodel, within_budget_rate
    from hwsim.report.flat import records_csv
    from hwsim.workload.io import load_workload

    budgets: dict[Metric, float] = {}
    if args.latency_ms is not None:
        budgets["latency_s"] = args.latency_ms * 1e-3
    if args.energy_mj is not None:
        budgets["energy_j"] = args.energy_mj * 1e-3
    if not budgets:
        raise HwsimError("give --latency-ms and/or --energy-mj")
    if any(not math.isfinite(v) or v <= 0 for v in budgets.values()):
        raise HwsimError("budgets must be positive")
    from hwsim.cli import _one, _sets_per_arch

    archs = [load_arch(a, s) for a, s in zip(args.arch, _sets_per_arch(args.arch, args.set))]
    results: list[BudgetResult] = []
    if args.submodel:
        nets = [load_workload(n) for n in args.submodel]
        results = [largest_submodel(nets, a, budgets, args.batch) for a in archs]
    else:
        wl = load_workload(_one(args.workload, "--workload", "budget prunes one workload"))
        results = [within_budget_rate(wl, a, budgets, args.knob, step=args.step,
                                      batch=args.batch) for a in archs]
    fmt = _fmt_for(args.output, args.format)
    if fmt == "json":
        text = json.dumps({"producer": f"hwsim {VERSION} budget",
                           "budgets": budgets, "results": [r.to_dict() for r in results]},
                          indent=2)
    elif fmt == "csv":
        text = records_csv([r.to_dict() for r in results])
    else:
        text = budget_table(results, budgets)
    _write(text, args.output)
    return 0


def budget_table(results: list[BudgetResult], budgets: dict[Metric, float]) -> str:
    want = ", ".join((f"latency <= {v * 1e3:g} ms" if k == "latency_s"
                      else f"energy <= {v * 1e3:g} mJ") for k, v in budgets.items())
    head = (f"{'accelerator':<14} {'knob':<26} {'largest that fits':<18} {'latency':>11} "
            f"{'energy':>11} {'params':>10} {'GMACs':>8}")
    out = [f"largest model with {want}", head, "-" * len(head)]
    for r in results:
        if r.value is None:
            out.append(f"{r.arch[:14]:<14} {r.knob[:26]:<26} nothing fits "
                       f"({r.evaluated} candidates)")
            continue
        assert r.latency_s is not None and r.energy_j is not None
        out.append(f"{r.arch[:14]:<14} {r.knob[:26]:<26} {r.value[:18]:<18} "
                   f"{r.latency_s * 1e3:>8.3f} ms {r.energy_j * 1e3:>8.3f} mJ "
                   f"{(r.params or 0) / 1e6:>9.2f}M {(r.macs or 0) / 1e9:>8.3f}")
    return "\n".join(out)

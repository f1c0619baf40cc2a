"""``hwsim plot KIND INPUT... -o FILE.png|svg|pdf``: figures from result files.

Registered by hwsim.cli's plugin hook (``PLUGINS``); bad input raises HwsimError (one line, exit 2).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hwsim.errors import HwsimError

KINDS = ("sparsity", "energy", "roofline", "pareto", "utilization")

_EPILOG = """kinds and inputs:
  sparsity     compare JSON/CSV: speedup (or --metric latency) vs weight sparsity, per target
  energy       run JSON/CSV (per layer), compare JSON/CSV or sweep Parquet/CSV (per
               configuration), or several run JSONs (one bar each): stacked energy components
  roofline     run JSON/CSV: layers against the compute and DRAM roofs of --arch, or of
               the accelerator the run JSON records (its provenance: arch_path + sets)
  pareto       sweep Parquet/CSV (or compare rows): --x/--y points and their Pareto front
  utilization  one or more run JSON/CSV files: layers x runs heat map of PE utilization

example: hwsim run --arch tpu_v1 --workload resnet18 -o r.json &&
         hwsim plot roofline r.json --arch tpu_v1 -o roofline.png"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``plot`` subcommand to hwsim's parser."""
    p = sub.add_parser("plot", help="figures from run, compare or sweep results",
                       epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=KINDS, help="which figure")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="result file(s): .json, .csv or .parquet")
    p.add_argument("-o", "--output", required=True, help="FILE.png, FILE.svg or FILE.pdf")
    p.add_argument("--arch", default=None,
                   help="roofline: arch YAML path or bundled name (default: the one the run "
                        "JSON records)")
    p.add_argument("--set", action="append", metavar="PATH=VALUE",
                   help="roofline: override an arch field (as for run; on top of the "
                        "recorded arch when --arch is not given)")
    p.add_argument("--metric", choices=("speedup", "latency"), default="speedup",
                   help="sparsity: y axis")
    p.add_argument("--log-y", action="store_true",
                   help="sparsity, pareto: log-scale the y axis (speedups: 1x, 2x, 4x, ...)")
    p.add_argument("--relative", action="store_true", help="energy: percent of each bar")
    p.add_argument("--x", default="latency_s", help="pareto: x column (lower is better)")
    p.add_argument("--y", default="energy_j", help="pareto: y column (lower is better)")
    p.add_argument("--hue", default=None, help="pareto: colour points by this column")
    p.add_argument("--log", action="store_true", help="pareto: log-scale both axes")
    p.add_argument("--label", action="append", default=None,
                   help="utilization: column label per INPUT (repeat)")
    p.add_argument("--annotate", type=int, default=3, help="roofline: name the N slowest")
    p.add_argument("--title", default=None, help="figure title")
    p.set_defaults(func=cmd_plot)


def _one(args: argparse.Namespace) -> str:
    if len(args.inputs) != 1:
        raise HwsimError(f"plot {args.kind} takes one INPUT, got {len(args.inputs)}")
    return str(args.inputs[0])


def build_figure(args: argparse.Namespace) -> Any:
    """The Figure that ``args`` asks for (inputs loaded and checked)."""
    from hwsim import plot
    from hwsim.plot.data import load_result

    kind = args.kind
    if kind == "sparsity":
        return plot.plot_sparsity(load_result(_one(args)), metric=args.metric, title=args.title,
                                  log_y=args.log_y)
    if kind == "energy":
        if len(args.inputs) > 1:
            data: Any = [load_result(p) for p in args.inputs]
        else:
            data = load_result(_one(args))
        return plot.plot_energy_breakdown(data, relative=args.relative, title=args.title)
    if kind == "roofline":
        from hwsim.arch.load import load_arch
        from hwsim.plot.data import recorded_arch

        result = load_result(_one(args))
        arch = load_arch(args.arch, args.set) if args.arch else recorded_arch(result, args.set)
        if arch is None:
            raise HwsimError("plot roofline needs --arch (for the DRAM bandwidth and peak): "
                             "the result does not record its accelerator")
        return plot.plot_roofline(result, arch, annotate=args.annotate, title=args.title)
    if kind == "pareto":
        return plot.plot_pareto(load_result(_one(args)), x=args.x, y=args.y, hue=args.hue,
                                logx=args.log, logy=args.log or args.log_y, title=args.title)
    runs = [load_result(p) for p in args.inputs]
    return plot.plot_utilization(runs, labels=args.label, title=args.title)


def cmd_plot(args: argparse.Namespace) -> int:
    suffix = Path(args.output).suffix.lower()
    if suffix not in (".png", ".svg", ".pdf"):
        raise HwsimError(f"{args.output}: output must end in .png, .svg or .pdf")
    from hwsim.plot import save

    try:
        fig = build_figure(args)
    except HwsimError as exc:
        msg = str(exc)
        if len(args.inputs) == 1 and not msg.startswith(str(args.inputs[0])):
            msg = f"{args.inputs[0]}: {msg}"
        raise HwsimError(msg) from None
    save(fig, args.output)
    return 0

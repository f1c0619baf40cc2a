"""The ``hwsim`` command: run, compare, list, describe.

User mistakes (bad path, field, option, impossible hardware) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from hwsim.arch.load import load_arch
from hwsim.bundled import bundled_names
from hwsim.errors import HwsimError
from hwsim.evaluation import OBJECTIVES, compare, evaluate
from hwsim.report import rows_csv, rows_json, rows_table
from hwsim.sparsity.spec import parse_sparsity
from hwsim.version import VERSION
from hwsim.workload.io import load_workload
from hwsim.workload.layers import (
    AllReduce,
    Conv2d,
    EmbeddingBag,
    Layer,
    Linear,
    Matmul,
    Pool,
)


def _write(text: str, out: str | None) -> None:
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(out).with_suffix(Path(out).suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    except OSError as exc:
        raise HwsimError(f"{out}: cannot write output: {exc}") from None


def _fmt_for(out: str | None, fmt: str | None) -> str:
    if fmt:
        return fmt
    if out and out.endswith(".json"):
        return "json"
    if out and out.endswith(".csv"):
        return "csv"
    return "table"


def cmd_run(args: argparse.Namespace) -> int:
    arch = load_arch(args.arch, args.set)
    wl = load_workload(args.workload)
    spec = parse_sparsity(args.sparsity) if args.sparsity else None
    report = evaluate(wl, arch, objective=args.objective, batch=args.batch, sparsity=spec,
                      level=args.level)
    fmt = _fmt_for(args.output, args.format)
    if fmt == "json":
        text = report.to_json()
    elif fmt == "csv":
        text = report.to_csv()
    else:
        text = report.table(max_rows=None if args.all_layers or args.output else 60)
    _write(text, args.output)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    archs = [load_arch(a, args.set) for a in args.arch]
    wl = load_workload(args.workload)
    specs = [parse_sparsity(s) for s in args.sparsity]
    rows = compare(wl, archs, specs, objective=args.objective, batch=args.batch)
    fmt = _fmt_for(args.output, args.format)
    text = {"json": rows_json, "csv": rows_csv}.get(fmt, lambda r: rows_table(r, wl.name))(rows)
    _write(text, args.output)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    print("accelerators (arch_configs/):")
    for name in bundled_names("arch_configs"):
        try:
            a = load_arch(name)
            print(f"  {name:<22} {a.kind:<12} {a.description}")
        except HwsimError as exc:
            print(f"  {name:<22} (invalid: {exc})")
    print("workloads (workloads/):")
    for name in bundled_names("workloads"):
        try:
            w = load_workload(name)
            print(f"  {name:<22} {len(w):>4} layers {w.macs() / 1e9:>9.3f} GMACs "
                  f"{w.params() / 1e6:>10.2f} M params  batch {w.batch}")
        except HwsimError as exc:
            print(f"  {name:<22} (invalid: {exc})")
    print("language models (models/, for hwsim llm):")
    from hwsim.workload.llm import load_llm_config

    for name in bundled_names("models"):
        try:
            c = load_llm_config(name)
            experts = (f", {c.num_local_experts} experts ({c.num_experts_per_tok} per token)"
                       if c.num_local_experts > 1 else "")
            print(f"  {name:<22} {c.params() / 1e9:>7.2f} B params, {c.num_hidden_layers} "
                  f"layers, {c.num_attention_heads}/{c.kv_heads} heads{experts}")
        except HwsimError as exc:
            print(f"  {name:<22} (invalid: {exc})")
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    wl = load_workload(args.workload)
    if args.batch:
        wl = wl.with_batch(args.batch)
    lines = [f"{wl.name}: {wl.description} (batch {wl.batch})",
             f"{'layer':<30} {'op':<13} {'shape':<34} {'MACs':>13} {'params':>11} inputs"]
    for layer in wl.layers:
        lines.append(f"{layer.name[:30]:<30} {layer.op:<13} {_shape(layer):<34} "
                     f"{layer.macs() * wl.batch:>13,} {layer.params():>11,} "
                     f"{','.join(wl.producers(layer.name))}")
    lines.append(f"{'TOTAL':<30} {'':<13} {'':<34} {wl.macs():>13,} {wl.params():>11,}")
    _write("\n".join(lines), args.output)
    return 0


def _shape(layer: Layer) -> str:
    if isinstance(layer, Conv2d):
        g = f" g{layer.groups}" if layer.groups > 1 else ""
        return (f"{layer.in_channels}x{layer.input_hw[0]}x{layer.input_hw[1]} -> "
                f"{layer.out_channels}x{layer.output_hw[0]}x{layer.output_hw[1]} "
                f"k{layer.kernel[0]} s{layer.stride[0]}{g}")
    if isinstance(layer, Linear):
        return f"{layer.tokens}x{layer.in_features} -> {layer.out_features}"
    if isinstance(layer, Matmul):
        return f"{layer.count}x({layer.m}x{layer.k} @ {layer.k}x{layer.n})"
    if isinstance(layer, EmbeddingBag):
        return f"{layer.num_tables} tables x{layer.dim}, {layer.lookups} lookups"
    if isinstance(layer, Pool):
        return f"{layer.kind} {layer.channels}x{layer.input_hw[0]}x{layer.input_hw[1]}"
    if isinstance(layer, AllReduce):
        return f"all-reduce {'x'.join(map(str, layer.shape))} over {layer.devices} devices"
    return f"{layer.kind} {'x'.join(map(str, layer.shape))}"


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hwsim", description=__doc__)
    ap.add_argument("--version", action="version", version=f"hwsim {VERSION}")
    sub = ap.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="evaluate a workload on an accelerator")
    run.add_argument("--arch", required=True, help="arch YAML path or bundled name")
    run.add_argument("--workload", required=True, help="workload YAML path or bundled name")
    run.add_argument("--batch", type=int, default=None, help="override the workload's batch")
    run.add_argument("--objective", choices=OBJECTIVES, default="latency",
                     help="what the mapper minimises")
    run.add_argument("--format", choices=("table", "json", "csv"), default=None)
    run.add_argument("-o", "--output", default=None, help="write to FILE instead of stdout")
    run.add_argument("--all-layers", action="store_true", help="print every layer in the table")
    run.add_argument("--sparsity", default=None, metavar="PATTERN[:k=v,...]",
                     help="override every layer's sparsity, e.g. block:size=4x4,sparsity=0.75")
    run.add_argument("--level", type=int, default=0, help="level of a nested pattern (0=densest)")
    run.add_argument("--set", action="append", metavar="PATH=VALUE",
                     help="override an arch field, e.g. sparsity.skip=unstructured")
    run.set_defaults(func=cmd_run)

    cmp_ = sub.add_parser("compare", help="speedup and energy saving of sparsity patterns")
    cmp_.add_argument("--arch", required=True, action="append", help="repeat for several")
    cmp_.add_argument("--workload", required=True)
    cmp_.add_argument("--sparsity", action="append", default=[], metavar="PATTERN[:k=v,...]",
                      help="repeat for several patterns; nested patterns give every level")
    cmp_.add_argument("--batch", type=int, default=None)
    cmp_.add_argument("--objective", choices=OBJECTIVES, default="latency")
    cmp_.add_argument("--format", choices=("table", "json", "csv"), default=None)
    cmp_.add_argument("-o", "--output", default=None)
    cmp_.add_argument("--set", action="append", metavar="PATH=VALUE",
                      help="override a field of every arch")
    cmp_.set_defaults(func=cmd_compare)

    ls = sub.add_parser("list", help="bundled accelerators and workloads")
    ls.set_defaults(func=cmd_list)

    de = sub.add_parser("describe", help="per-layer shapes, MACs and parameters of a workload")
    de.add_argument("workload")
    de.add_argument("--batch", type=int, default=None)
    de.add_argument("-o", "--output", default=None)
    de.set_defaults(func=cmd_describe)

    for module in PLUGINS:
        _register(module, sub)
    return ap


#: Modules that add subcommands (each defines ``register(subparsers)``): sweeps, plots,
#: importers. Kept out of this file so each capability stays in its own package.
PLUGINS = ("hwsim.sweep.cli", "hwsim.plot.cli", "hwsim.importers.cli", "hwsim.llm_cli",
           "hwsim.validate_cli", "hwsim.study_cli")


def _register(module: str, sub: argparse._SubParsersAction) -> None:
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            return  # that capability is not part of this checkout
        raise
    mod.register(sub)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except HwsimError as exc:
        print(f"hwsim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hwsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``hwsim ... | head``): stop quietly, as Unix tools do, and
        # keep the interpreter's final flush from raising again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())

"""The ``hwsim`` command: run, compare, list, describe.

User mistakes (bad path, field, option, impossible hardware) print one line and exit 2.
Results that are probably not what the user meant (a sparsity pattern on hardware that can do
nothing with it) print one ``hwsim: warning: ...`` line each on stderr and carry on.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hwsim.bundled import bundled_names, resolve
from hwsim.choices import ATTENTION, BASELINES, OBJECTIVES
from hwsim.errors import HwsimError
from hwsim.overrides import did_you_mean, split_target
from hwsim.safeio import write_text_atomic
from hwsim.version import VERSION

if TYPE_CHECKING:
    from hwsim.arch.spec import ArchSpec
    from hwsim.report.compare import CompareRow
    from hwsim.sparsity.spec import Pattern
    from hwsim.workload.layers import Layer

# The commands import the model where they run, so that ``hwsim --help``, ``hwsim list`` and
# every plugin's registration start without it.


def _write(text: str, out: str | None) -> None:
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        write_text_atomic(out, text)  # regular files only, whole or not at all
    except ValueError as exc:  # a path with a NUL byte
        raise HwsimError(f"{out!r}: cannot write output: {exc}") from None
    except OSError as exc:
        raise HwsimError(f"{out}: cannot write output: {exc}") from None


def positive(value: int | None, option: str) -> int | None:
    """``value`` of an integer option (a batch, a count) if it is from 1 to 2^63 - 1 (or not
    given); otherwise a one-line error naming the option."""
    if value is not None and not 0 < value < 2**63:
        raise HwsimError(f"{option} {value}: expected a whole number from 1 to 2^63 - 1")
    return value


def _fmt_for(out: str | None, fmt: str | None) -> str:
    if fmt:
        return fmt
    if out and out.endswith(".json"):
        return "json"
    if out and out.endswith(".csv"):
        return "csv"
    return "table"


def _warn(message: str) -> None:
    print(f"hwsim: warning: {message}", file=sys.stderr)


def _one(values: list[str] | None, option: str, hint: str) -> str:
    """The single value of an option that must be given once (argparse would keep the last
    of several silently)."""
    if not values:
        raise HwsimError(f"{option} is required")
    if len(values) > 1:
        raise HwsimError(f"{option} given {len(values)} times "
                         f"({', '.join(values)}): {hint}")
    return values[0]


def _file_of(spec: str, kind: str) -> str | None:
    """The file a name or path resolves to (None if it does not: loading says why)."""
    try:
        return str(resolve(spec, kind))
    except HwsimError:
        return None


def _sets_per_arch(archs: list[str], sets: list[str] | None) -> list[list[str]]:
    """The ``--set`` items for each ``--arch``: ``PATH=VALUE`` applies to every arch,
    ``NAME:PATH=VALUE`` to the archs called NAME (as given to --arch, its file's stem, or the
    ``name:`` in its file)."""
    from hwsim.arch.load import declared_name

    per: list[list[str]] = [[] for _ in archs]
    names: list[set[str]] | None = None
    for item in sets or []:
        target, rest = split_target(item)
        if target is None:
            for p in per:
                p.append(item)
            continue
        if names is None:
            names = [{a, Path(a).stem, Path(a).name} | {n for n in [declared_name(a)] if n}
                     for a in archs]
        hits = [i for i, n in enumerate(names) if target in n]
        if not hits:
            known = sorted({n for ns in names for n in ns if "/" not in n and
                            not n.endswith((".yaml", ".yml"))})
            raise HwsimError(f"--set {item}: no --arch named '{target}'"
                             f"{did_you_mean(target, known)} (accelerators: "
                             f"{', '.join(archs)})")
        for i in hits:
            per[i].append(rest)
    return per


def _warn_unexploited(arch: ArchSpec, patterns: list[tuple[Pattern | None, str]],
                      masks: bool, target: str = "") -> None:
    """One warning line per accelerator naming the patterns it can do nothing with
    (``target``: the ``NAME:`` its suggested ``--set`` needs among several archs)."""
    from hwsim.evaluation.compare import cannot_exploit, suggested_set

    wasted = [(p, label, why) for p, label in patterns
              if (why := cannot_exploit(arch, p, masks=masks and p is None))]
    if not wasted:
        return
    labels = ", ".join(label for _, label, _ in wasted)
    hints = ", ".join(dict.fromkeys(f"--set {target}{suggested_set(p)}" for p, _, _ in wasted))
    _warn(f"{arch.name} cannot exploit {labels}: {wasted[0][2]}, so the result equals "
          f"dense (e.g. {hints})")


def _warn_equal_to_baseline(rows: list[CompareRow],
                            patterns: list[tuple[Pattern | None, str]],
                            named: set[tuple[str, str]]) -> None:
    """One warning per accelerator naming the patterns whose result is exactly its baseline's
    although the hardware has some support (it skips, or stores, at another granularity than
    the pattern's: 'block' hardware meeting N:M weights, 'nm' hardware meeting blocks, ...).
    Patterns ``_warn_unexploited`` already named are not repeated."""
    flagged = {label for p, label in patterns if p is not None}
    by_arch: dict[str, list[str]] = {}
    for r in rows:
        base = r.label.split(" @ ")[0]  # a nested pattern's level
        if base not in flagged or (r.arch, base) in named:
            continue
        if abs(r.speedup - 1.0) < 1e-12 and abs(r.energy_saving) < 1e-12:
            by_arch.setdefault(r.arch, []).append(r.label)
    for arch, labels in by_arch.items():
        _warn(f"{arch}: {', '.join(labels)} gave exactly the baseline's latency and energy: "
              "its support does not match the pattern's granularity (see the support column)")


def cmd_run(args: argparse.Namespace) -> int:
    from hwsim.arch.load import load_arch
    from hwsim.evaluation import evaluate
    from hwsim.report import provenance
    from hwsim.report.compare import hardware_support, support_text
    from hwsim.sparsity.spec import parse_sparsity
    from hwsim.workload.io import load_workload

    arch_arg = _one(args.arch, "--arch", "run evaluates one accelerator "
                    "(hwsim compare takes several)")
    wl_arg = _one(args.workload, "--workload", "run evaluates one workload")
    positive(args.batch, "--batch")
    sparsity_text = (_one(args.sparsity, "--sparsity", "run takes one pattern (hwsim compare "
                          "takes several)") if args.sparsity is not None else None)
    sets = _sets_per_arch([arch_arg], args.set)[0]
    arch = load_arch(arch_arg, sets)
    wl = load_workload(wl_arg)
    spec = parse_sparsity(sparsity_text) if sparsity_text is not None else None
    report = evaluate(wl, arch, objective=args.objective, batch=args.batch, sparsity=spec,
                      level=args.level, attention=args.attention)
    _warn_unexploited(arch, [(spec, spec.label if spec is not None else "the imported masks")],
                      masks=spec is None and bool(wl.masks))
    report.provenance = provenance(
        arch, wl, arch_path=_file_of(arch_arg, "arch_configs"), sets=sets,
        workload_path=_file_of(wl_arg, "workloads"), batch=args.batch,
        sparsity_text=sparsity_text, sparsity=spec, level=args.level,
        objective=args.objective, attention=args.attention)
    fmt = _fmt_for(args.output, args.format)
    if fmt == "json":
        text = report.to_json()
    elif fmt == "csv":
        text = report.to_csv()
    else:
        text = report.table(max_rows=None if args.all_layers or args.output else 60)
        pattern = spec.label if spec is not None else (
            "the workload's own" if wl.masks or any(x.sparsity for x in wl.layers) else "dense")
        support = support_text(hardware_support(arch)) or "none"
        head, _, rest = text.partition("\n")
        text = f"{head}\nsparsity: {pattern}; hardware support: {support}\n{rest}"
    _write(text, args.output)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from hwsim.arch.load import load_arch
    from hwsim.evaluation import compare
    from hwsim.evaluation.compare import cannot_exploit
    from hwsim.report import Origin, rows_csv, rows_json, rows_table
    from hwsim.sparsity.spec import parse_sparsity
    from hwsim.workload.io import load_workload

    wl_arg = _one(args.workload, "--workload", "compare evaluates one workload")
    positive(args.batch, "--batch")
    sets = _sets_per_arch(args.arch, args.set)
    archs = [load_arch(a, s) for a, s in zip(args.arch, sets)]
    wl = load_workload(wl_arg)
    specs = [parse_sparsity(s) for s in args.sparsity]
    origin = Origin(arch_paths=[_file_of(a, "arch_configs") for a in args.arch], sets=sets,
                    workload_path=_file_of(wl_arg, "workloads"),
                    sparsity_texts=list(args.sparsity))
    rows = compare(wl, archs, specs, objective=args.objective, batch=args.batch,
                   baseline=args.baseline, attention=args.attention, origin=origin)
    if args.accuracy:
        rows = _with_accuracy(rows, specs, args.accuracy)
    patterns: list[tuple[Pattern | None, str]] = [(s, s.label) for s in specs]
    if wl.masks:
        patterns.insert(0, (None, "the imported masks"))
    for given, arch in zip(args.arch, archs):
        _warn_unexploited(arch, patterns, masks=bool(wl.masks),
                          target=f"{given}:" if len(archs) > 1 else "")
    named = {(arch.name, label) for arch in archs for p, label in patterns
             if cannot_exploit(arch, p, masks=bool(wl.masks) and p is None)}
    _warn_equal_to_baseline(rows, patterns, named)
    fmt = _fmt_for(args.output, args.format)
    text = {"json": rows_json, "csv": rows_csv}.get(fmt, lambda r: rows_table(r, wl.name))(rows)
    _write(text, args.output)
    return 0


def _with_accuracy(rows: list[CompareRow], specs: list[Pattern],
                   path: str) -> list[CompareRow]:
    """Each row with the accuracy the user's table gives its pattern (None where the table
    has no such pattern or sparsity, or for the imported masks)."""
    from hwsim.evaluation.accuracy import accuracy_of, load_accuracy_table
    from hwsim.evaluation.compare import expand
    from hwsim.sparsity.spec import Nested

    table = load_accuracy_table(path)
    by_label: dict[str, Pattern | None] = {"dense": None}
    for spec, level, label in expand(specs):
        by_label[label] = spec.level(level) if isinstance(spec, Nested) else spec
    return [dataclasses.replace(r, accuracy=accuracy_of(table, by_label[r.label]))
            if r.label in by_label else r for r in rows]


def cmd_list(args: argparse.Namespace) -> int:
    from hwsim.listing import accelerators, models
    from hwsim.workload.summary import summaries

    print("accelerators (arch_configs/):")
    for name, a in accelerators(bundled_names("arch_configs")).items():
        if isinstance(a, HwsimError):
            print(f"  {name:<22} (invalid: {a})")
            continue
        print(f"  {name:<22} {a['kind']:<12} {a['description']}")
    print("workloads (workloads/):")
    for name, w in summaries(bundled_names("workloads")).items():
        if isinstance(w, HwsimError):
            print(f"  {name:<22} (invalid: {w})")
            continue
        print(f"  {name:<22} {w.layers:>4} layers {w.macs / 1e9:>9.3f} GMACs "
              f"{w.params / 1e6:>10.2f} M params  batch {w.batch}")
    print("language models (models/, for hwsim llm):")
    for name, c in models(bundled_names("models")).items():
        if isinstance(c, HwsimError):
            print(f"  {name:<22} (invalid: {c})")
            continue
        experts = (f", {c['experts']} experts ({c['experts_per_tok']} per token)"
                   if c["experts"] > 1 else "")
        print(f"  {name:<22} {c['params'] / 1e9:>7.2f} B params, {c['layers']} "
              f"layers, {c['heads']}/{c['kv_heads']} heads{experts}")
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    from hwsim.workload.io import load_workload

    positive(args.batch, "--batch")
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
    from hwsim.workload.layers import AllReduce, Conv2d, EmbeddingBag, Linear, Matmul, Pool

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
    run.add_argument("--arch", required=True, action="append",
                     help="arch YAML path or bundled name (once)")
    run.add_argument("--workload", required=True, action="append",
                     help="workload YAML path or bundled name (once)")
    run.add_argument("--batch", type=int, default=None,
                     help="override the workload's batch")
    run.add_argument("--objective", choices=OBJECTIVES, default="latency",
                     help="what the mapper minimises")
    run.add_argument("--attention", choices=ATTENTION, default="arch",
                     help="attention chains: fused where the arch says so (arch), or force it")
    run.add_argument("--format", choices=("table", "json", "csv"), default=None)
    run.add_argument("-o", "--output", default=None, help="write to FILE instead of stdout")
    run.add_argument("--all-layers", action="store_true", help="print every layer in the table")
    run.add_argument("--sparsity", action="append", default=None, metavar="PATTERN[:k=v,...]",
                     help="override every prunable layer's sparsity and imported mask (once), "
                     "e.g. block:size=4x4,sparsity=0.75")
    run.add_argument("--level", type=int, default=0, help="level of a nested pattern (0=densest)")
    run.add_argument("--set", action="append", metavar="[NAME:]PATH=VALUE",
                     help="override an arch field, e.g. sparsity.skip=unstructured")
    run.set_defaults(func=cmd_run)

    cmp_ = sub.add_parser("compare", help="speedup and energy saving of sparsity patterns")
    cmp_.add_argument("--arch", required=True, action="append", help="repeat for several")
    cmp_.add_argument("--workload", required=True, action="append", help="(once)")
    cmp_.add_argument("--sparsity", action="append", default=[], metavar="PATTERN[:k=v,...]",
                      help="repeat for several patterns; nested patterns give every level; "
                      "each replaces the imported masks of the layers it applies to")
    cmp_.add_argument("--accuracy", default=None, metavar="CSV",
                      help="your accuracy table (pattern,sparsity,accuracy; see hwsim isoacc): "
                           "adds each row's accuracy")
    cmp_.add_argument("--baseline", choices=BASELINES, default="dense",
                      help="what speedups are against for a workload with imported masks: "
                      "dense (masks stripped; the masked network is the 'imported masks' "
                      "row) or imported (the masked network)")
    cmp_.add_argument("--batch", type=int, default=None)
    cmp_.add_argument("--objective", choices=OBJECTIVES, default="latency")
    cmp_.add_argument("--attention", choices=ATTENTION, default="arch")
    cmp_.add_argument("--format", choices=("table", "json", "csv"), default=None)
    cmp_.add_argument("-o", "--output", default=None)
    cmp_.add_argument("--set", action="append", metavar="[NAME:]PATH=VALUE",
                      help="override a field of every arch, or with NAME: of the arch called "
                      "NAME only (e.g. --set eyeriss:sparsity.skip=unstructured)")
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
           "hwsim.validate_cli", "hwsim.study_cli", "hwsim.fields_cli")


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

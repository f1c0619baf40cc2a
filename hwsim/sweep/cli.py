"""``hwsim sweep`` and ``hwsim pareto`` subcommands (registered by hwsim.cli)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hwsim.errors import HwsimError
from hwsim.sweep.executors import EXECUTORS

if TYPE_CHECKING:
    import pandas as pd


def cmd_sweep(args: argparse.Namespace) -> int:
    # Imported here: pandas, pyarrow and the model load only when a sweep runs.
    from hwsim.sweep.run import run_sweep
    from hwsim.sweep.spec import load_sweep

    if args.chunk_size is not None and not 0 < args.chunk_size < 2**63:
        raise HwsimError(f"--chunk-size {args.chunk_size}: expected a whole number from 1 "
                         "to 2^63 - 1")
    sweep = load_sweep(args.spec)
    summary = run_sweep(
        sweep, args.output, jobs=args.jobs, executor=args.executor, scheduler=args.scheduler,
        chunk_size=args.chunk_size, progress=not args.quiet and sys.stderr.isatty(),
    )
    if not args.quiet:
        layers = f", layers in {summary.layers_output}" if summary.layers_output else ""
        print(f"{sweep.name}: {summary.points} points ({summary.grid} before constraints), "
              f"{summary.evaluated} evaluated, {summary.resumed} already done, "
              f"{summary.failed} infeasible/invalid/excluded; wrote {summary.output}{layers}")
    return 0


def cmd_pareto(args: argparse.Namespace) -> int:
    from hwsim.safeio import check_output
    from hwsim.sweep.pareto import filter_rows, load_results, pareto_front

    if args.output:
        check_output(args.output)  # before any work: a symlink or FIFO is refused
    df = load_results(args.results)
    if "status" in df.columns:
        df = df[df["status"] == "ok"]
    if args.accuracy:
        df = _with_accuracy(df, args.accuracy)
    if args.filter:
        df = filter_rows(df, args.filter)
    front = pareto_front(df, args.x, args.y, maximize=args.maximize or ())
    show = [c for c in ("id", "arch", "workload", "sparsity", "level") if c in front.columns
            and (c != "arch" or df[c].nunique() > 1)]  # the base arch when there are several
    show += [c for c in front.columns if str(c).startswith("param.")] + [args.x, args.y]
    # columns with nothing in them (sparsity when the sweep sets none) only widen the table
    show = [c for c in dict.fromkeys(show) if c in (args.x, args.y) or front[c].notna().any()]
    print(f"Pareto front of {args.x} vs {args.y}: {len(front)} of {len(df)} points")
    print(front[show].to_string(index=False) if len(front) else "(empty)")
    if args.output:
        _save(front, Path(args.output))
    return 0


def _with_accuracy(df: pd.DataFrame, path: str) -> pd.DataFrame:
    """``df`` with an ``accuracy`` column: what the user's table gives each row's pattern
    (its ``sparsity`` text at its ``level``; empty = the layers' own, taken as dense),
    missing where the table has no such pattern or sparsity."""
    import pandas as pd  # loaded only by the commands that need it (start-up time)

    from hwsim.evaluation.accuracy import accuracy_of, load_accuracy_table
    from hwsim.sparsity.spec import Nested, parse_sparsity

    table = load_accuracy_table(path)
    cache: dict[tuple[str, int], float | None] = {}

    def one(text: object, level: object) -> float | None:
        lv = 0 if level is None or pd.isna(level) else int(level)  # type: ignore[call-overload]
        key = (text if isinstance(text, str) else "", lv)
        if key not in cache:
            spec = parse_sparsity(key[0]) if key[0] else None
            if isinstance(spec, Nested):
                spec = spec.level(key[1])
            cache[key] = accuracy_of(table, spec)
        return cache[key]

    out = df.copy()
    texts = out["sparsity"] if "sparsity" in out.columns else [None] * len(out)
    levels = out["level"] if "level" in out.columns else [0] * len(out)
    out["accuracy"] = [one(t, lv) for t, lv in zip(texts, levels)]
    return out


def _save(front: pd.DataFrame, out: Path) -> None:
    from hwsim.safeio import write_text_atomic

    if out.suffix == ".json":
        text = json.dumps(json.loads(front.to_json(orient="records")), indent=1)
    elif out.suffix == ".csv":
        text = front.to_csv(index=False)
    else:
        raise HwsimError(f"{out}: expected a .csv or .json file name")
    try:
        write_text_atomic(out, text)  # regular files only, whole or not at all
    except OSError as exc:
        raise HwsimError(f"{out}: cannot write: {exc}") from None


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sweep`` and ``pareto`` to the hwsim command."""
    sw = sub.add_parser("sweep", help="evaluate a design-space sweep into a Parquet table")
    sw.add_argument("spec", help="sweep YAML (see README, Sweeps)")
    sw.add_argument("-o", "--output", required=True, help="results .parquet (resumes if present)")
    sw.add_argument("--jobs", type=int, default=1, help="worker processes (1: in-process)")
    sw.add_argument("--executor", choices=EXECUTORS, default="local")
    sw.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="Dask scheduler, e.g. tcp://host:8786 (default: a local cluster)")
    sw.add_argument("--chunk-size", type=int, default=None, metavar="K",
                    help="points per task (default: about 8 tasks per worker, at most 64)")
    sw.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    sw.set_defaults(func=cmd_sweep)

    pa_ = sub.add_parser("pareto", help="Pareto front of two columns of sweep results")
    pa_.add_argument("results", help="results .parquet from hwsim sweep")
    pa_.add_argument("--x", default="latency_s")
    pa_.add_argument("--y", default="energy_j")
    pa_.add_argument("--maximize", action="append", metavar="COLUMN",
                     help="maximise this column instead (repeatable), e.g. utilization")
    pa_.add_argument("--filter", default=None, metavar="EXPR",
                     help="keep rows where EXPR holds, e.g. \"workload == 'resnet50'\" "
                          "(columns with dots: param_compute_rows)")
    pa_.add_argument("--accuracy", default=None, metavar="CSV",
                     help="your accuracy table (see hwsim isoacc): adds an accuracy column, "
                          "for --x/--y/--maximize and --filter (e.g. 'accuracy >= 75')")
    pa_.add_argument("-o", "--output", default=None, help="save the front (.csv or .json)")
    pa_.set_defaults(func=cmd_pareto)

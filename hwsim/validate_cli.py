"""``hwsim validate``: the model against every bundled published reference, with the error.

    hwsim validate                     # table, per case and summarised per group and source
    hwsim validate --format json -o validation.json
    hwsim validate --format markdown   # the docs' validation page
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import TYPE_CHECKING

from hwsim.version import VERSION

if TYPE_CHECKING:
    from hwsim.evaluation.references import CaseResult


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``validate`` to the hwsim command."""
    p = sub.add_parser("validate", help="evaluate every bundled published reference case and "
                                        "print model vs published with the error")
    p.add_argument("files", nargs="*", help="reference YAML files (default: the bundled ones)")
    p.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    p.add_argument("-o", "--output", default=None, help="write to FILE instead of stdout")
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    from hwsim.cli import _write
    from hwsim.evaluation.references import run_references

    results = run_references([Path(f) for f in args.files] if args.files else None)
    if args.format == "json":
        text = json.dumps({"producer": f"hwsim {VERSION} validate",
                           "summary": summary(results),
                           "cases": [r.to_dict() for r in results]}, indent=2)
    elif args.format == "markdown":
        text = validation_markdown(results)
    else:
        text = validation_table(results)
    _write(text, args.output)
    return 0


def summary(results: list[CaseResult]) -> dict[str, dict[str, float]]:
    """Mean and worst |error| and the case count: over all cases, per reference file, and per
    source."""
    groups: dict[str, list[CaseResult]] = {"all": list(results)}
    for r in results:
        groups.setdefault(r.group, []).append(r)
    for r in results:
        groups.setdefault(f"{r.group}/{r.source}", []).append(r)
    return {k: {"cases": len(v), "mean_abs_error": statistics.mean(abs(r.error) for r in v),
                "worst_abs_error": max(abs(r.error) for r in v)} for k, v in groups.items()}


def validation_table(results: list[CaseResult]) -> str:
    head = (f"{'case':<44} {'kind':<9} {'published':>10} {'model':>10} {'error':>7}  what")
    out = [head, "-" * len(head)]
    for r in results:
        out.append(f"{r.id[:44]:<44} {r.kind:<9} {r.published:>7.2f} {r.unit} "
                   f"{r.model:>7.2f} {r.unit} {r.error:>+7.1%}  {r.what}")
    out.append("")
    out.append(f"{'group/source':<44} {'cases':>5} {'mean |error|':>13} {'worst':>7}")
    for k, s in summary(results).items():
        out.append(f"{k:<44} {s['cases']:>5} {s['mean_abs_error']:>13.1%} "
                   f"{s['worst_abs_error']:>7.1%}")
    sources = {r.source: r.citation for r in results}
    out.append("")
    out += [f"[{k}] {v}" for k, v in sources.items()]
    return "\n".join(out)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def validation_markdown(results: list[CaseResult]) -> str:
    """The cases as a Markdown table (one row each), the summary table, then the sources."""
    out = ["| case | kind | published | model | error | what | source |",
           "|---|---|---:|---:|---:|---|---|"]
    for r in results:
        out.append(f"| `{r.id}` | {r.kind} | {r.published:.2f} {_cell(r.unit)} | "
                   f"{r.model:.2f} {_cell(r.unit)} | {r.error:+.1%} | {_cell(r.what)} | "
                   f"{_cell(r.source)} |")
    out += ["", "| group/source | cases | mean \\|error\\| | worst \\|error\\| |",
            "|---|---:|---:|---:|"]
    for k, s in summary(results).items():
        out.append(f"| {_cell(k)} | {s['cases']} | {s['mean_abs_error']:.1%} | "
                   f"{s['worst_abs_error']:.1%} |")
    out += ["", "Sources:", ""]
    out += [f"- **{_cell(k)}**: {_cell(v)}"
            for k, v in {r.source: r.citation for r in results}.items()]
    return "\n".join(out)

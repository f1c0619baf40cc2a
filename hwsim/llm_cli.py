"""``hwsim llm``: a language model served on accelerators, prefill and decode, per token.

    hwsim llm --arch a100_80gb --model llama2_7b --batch 1,8,64 --sparsity dense --sparsity 2:4
    hwsim llm --arch h100 --model llama2_70b --tp 4 --context 4096 --format csv -o tp4.csv

One row per accelerator, pattern and batch: time to first token, time per output token,
tokens/s, energy per generated token, what bounds each phase, and the memory the weights and
key/value cache take against the device's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from hwsim.errors import HwsimError, SpecError
from hwsim.version import VERSION

if TYPE_CHECKING:
    from hwsim.evaluation.llm import LLMResult
    from hwsim.sparsity.spec import Pattern


def _positive_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a list like 1,8,64") from None
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' must list positive integers, like 1,8,64")
    return values


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an integer") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {v}")
    return v


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``llm`` to the hwsim command."""
    p = sub.add_parser("llm", help="serve a language model: time to first token, time per "
                                   "output token, tokens/s, energy per token")
    p.add_argument("--arch", required=True, action="append",
                   help="arch YAML path or bundled name (repeat for several)")
    p.add_argument("--model", required=True,
                   help="model config: bundled name (hwsim list) or a config.json / YAML path")
    p.add_argument("--batch", type=_positive_list, default=[1], help="sequences, e.g. 1,8,64")
    p.add_argument("--prompt", type=_positive, default=2048, help="prompt tokens (prefill)")
    p.add_argument("--context", type=_positive, default=None,
                   help="positions a decode step attends to (default: the prompt length)")
    p.add_argument("--sparsity", action="append", default=[], metavar="PATTERN[:k=v,...]",
                   help="weight pattern of every prunable layer (repeat to compare; "
                        "default dense)")
    p.add_argument("--layer-sparsity", default=None, metavar="FILE",
                   help="YAML mapping of layer-name globs to patterns, first match wins "
                        "(e.g. 'layers.*.down_proj': 'unstructured:sparsity=0.6')")
    p.add_argument("--attention", choices=("arch", "fused", "unfused"), default="arch",
                   help="attention kernels (default: what the arch declares)")
    p.add_argument("--tp", type=_positive, default=1, help="tensor-parallel devices")
    p.add_argument("--precision", default="fp16", help="weights and activations (default fp16)")
    p.add_argument("--format", choices=("table", "json", "csv"), default=None)
    p.add_argument("-o", "--output", default=None, help="write to FILE instead of stdout")
    p.add_argument("--set", action="append", metavar="PATH=VALUE",
                   help="override an arch field, e.g. dram.bandwidth_gbps=3000")
    p.set_defaults(func=cmd_llm)


def _layer_rules(path: str) -> dict[str, Pattern]:
    from hwsim.sparsity.spec import parse_sparsity
    from hwsim.yamlio import load_yaml
    try:
        data, lines = load_yaml(path)
    except SpecError as exc:
        if _starts_with_star(path, exc.line):  # YAML reads a leading '*' as an alias
            raise SpecError(f"{exc.message}; quote globs that start with '*'", exc.file,
                            exc.line) from None
        raise
    if not isinstance(data, dict) or not data:
        raise lines.error("expected a mapping of layer-name globs to sparsity patterns")
    rules: dict[str, Pattern] = {}
    for glob, text in data.items():
        if not isinstance(text, str):
            raise lines.error(f"pattern {text!r} is not a string: quote it ('2:4'; YAML reads "
                              "an unquoted 2:4 as the number 124)", [glob])
        try:
            rules[str(glob)] = parse_sparsity(text)
        except HwsimError as exc:
            raise lines.error(str(exc), [glob]) from None
    return rules


def _starts_with_star(path: str, line: int | None) -> bool:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    return line is not None and 0 < line <= len(lines) and lines[line - 1].lstrip().startswith("*")


def cmd_llm(args: argparse.Namespace) -> int:
    from hwsim.arch.load import load_arch
    from hwsim.cli import _fmt_for, _write
    from hwsim.evaluation.llm import evaluate_llm
    from hwsim.precision import BYTES
    from hwsim.sparsity.spec import parse_sparsity
    from hwsim.workload.llm import load_llm_config

    if args.precision not in BYTES:
        raise HwsimError(f"unknown precision '{args.precision}' (one of {', '.join(BYTES)})")
    cfg = load_llm_config(args.model)
    archs = [load_arch(a, args.set) for a in args.arch]
    specs: list[Pattern | None] = [parse_sparsity(s) for s in args.sparsity] or [None]
    rules = _layer_rules(args.layer_sparsity) if args.layer_sparsity else None
    if rules is not None and args.sparsity:
        raise HwsimError("give --sparsity or --layer-sparsity, not both")
    results = [
        evaluate_llm(cfg, arch, batch=b, prompt=args.prompt, context=args.context,
                     sparsity=spec, layer_sparsity=rules, attention=args.attention, tp=args.tp,
                     precision=args.precision)
        for arch in archs for spec in specs for b in args.batch
    ]
    fmt = _fmt_for(args.output, args.format)
    text = {"json": llm_json, "csv": llm_csv}.get(fmt, llm_table)(results)
    _write(text, args.output)
    return 0


def llm_table(results: list[LLMResult]) -> str:
    """A readable table: one row per arch, pattern and batch."""
    from hwsim.evaluation.llm import GIB
    r0 = results[0]
    tp = f", tensor parallel over {r0.devices} devices" if r0.devices > 1 else ""
    out = [f"{r0.model}: prefill {r0.prompt} tokens, decode at context {r0.context}, "
           f"{r0.attention} attention{tp}"]
    head = (f"{'accelerator':<12} {'pattern':<22} {'batch':>5} {'TTFT':>10} {'TPOT':>10} "
            f"{'tokens/s':>9} {'J/token':>8} {'prefill':>8} {'decode':>7} {'KV read':>9} "
            f"{'memory':>9}")
    out += [head, "-" * len(head)]
    notes = []
    for r in results:
        mem = f"{r.memory_bytes / GIB:>6.1f}GiB"
        if r.fits is False:
            mem += "!"
            notes.append(f"{r.arch}, batch {r.batch}: weights and KV cache need "
                         f"{r.memory_bytes / GIB:.1f} GiB, the device has "
                         f"{(r.capacity_bytes or 0) / GIB:.0f} GiB")
        out.append(
            f"{r.arch[:12]:<12} {r.sparsity[:22]:<22} {r.batch:>5} {_ms(r.ttft_s)} "
            f"{_ms(r.tpot_s)} {r.tokens_per_s:>9.1f} {r.energy_per_token_j:>8.3f} "
            f"{r.prefill.bound[:8]:>8} {r.decode.bound[:7]:>7} "
            f"{r.decode.kv_read_bytes / GIB:>6.2f}GiB {mem}")
    out += [f"! {n}" for n in notes]
    return "\n".join(out)


def _ms(s: float) -> str:
    return f"{s * 1e3:>7.2f} ms"


def llm_json(results: list[LLMResult]) -> str:
    return json.dumps({"producer": f"hwsim {VERSION} llm",
                       "results": [r.to_dict() for r in results]}, indent=2)


def llm_csv(results: list[LLMResult]) -> str:
    from hwsim.report.flat import records_csv
    return records_csv([r.to_dict() for r in results])

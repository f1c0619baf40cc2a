"""``hwsim import torch|onnx|hf-config``: import a model, write its YAML and masks, print what
was found.

    hwsim import torch models.py --model Net --input-shape 1,3,32,32 -o out/net.yaml
    hwsim import torch models.py --factory build --checkpoint pruned.pt -o out/net.yaml
    hwsim import onnx net.onnx -o out/net.yaml
    hwsim import hf-config config.json --phase decode --context 2048 --batch 8 -o dec.yaml
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwsim.errors import HwsimError

if TYPE_CHECKING:
    from hwsim.importers.builder import ImportResult


def _shape(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in text.replace("x", ",").split(",") if d.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a shape like 1,3,224,224") from None
    if not dims or min(dims) <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a shape like 1,3,224,224")
    return dims


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``import torch`` and ``import onnx`` to the hwsim command."""
    imp = sub.add_parser("import", help="import a pruned PyTorch or ONNX model as a workload")
    kinds = imp.add_subparsers(dest="framework", required=True)

    t = kinds.add_parser("torch", help="a .py file defining an nn.Module class or a factory")
    t.add_argument("module_file", help="Python file defining the model")
    which = t.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", help="nn.Module class to instantiate (no arguments)")
    which.add_argument("--factory", help="function returning the model (no arguments)")
    t.add_argument("--input-shape", type=_shape, action="append", default=None,
                   help="example input shape, e.g. 1,3,224,224 (repeat for several inputs; "
                        "default 1,3,224,224); the first axis is the batch")
    t.add_argument("--input-dtype", choices=("float32", "int64"), default="float32",
                   help="int64 for index inputs (embeddings)")
    t.add_argument("--checkpoint", help="state_dict file (torch.load, weights_only=True); "
                                        "pruned ones (weight_orig + weight_mask) load as pruned")
    _common(t)
    t.set_defaults(func=cmd_import_torch)

    o = kinds.add_parser("onnx", help="an .onnx file")
    o.add_argument("model_file")
    o.add_argument("--batch", type=int, default=1, help="batch for a symbolic batch axis")
    _common(o)
    o.set_defaults(func=cmd_import_onnx)

    h = kinds.add_parser("hf-config", help="a language model's config.json (Hugging Face): "
                                           "one prefill or decode step, no weights")
    h.add_argument("config", help="config.json (or YAML of its fields), or a bundled model name")
    h.add_argument("--phase", choices=("prefill", "decode"), required=True)
    h.add_argument("--prompt", type=int, default=None, help="prompt tokens (prefill)")
    h.add_argument("--context", type=int, default=None,
                   help="positions attended by the decoded token (decode)")
    h.add_argument("--batch", type=int, default=1, help="sequences (default 1)")
    h.add_argument("--attention", choices=("unfused", "fused"), default="unfused")
    h.add_argument("--tp", type=int, default=1, help="tensor-parallel devices: the workload "
                                                     "is what one of them runs")
    h.add_argument("--precision", default="fp16")
    h.add_argument("-o", "--output", required=True, help="workload YAML to write")
    h.add_argument("--name", default=None, help="workload name")
    h.set_defaults(func=cmd_import_hf_config)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", required=True, help="workload YAML to write "
                                                         "(masks go to <stem>.masks.npz)")
    p.add_argument("--name", default=None, help="workload name (default: the model's)")
    p.add_argument("--on-unsupported", choices=("error", "skip"), default="error")
    p.add_argument("--keep-zero-channels", action="store_true",
                   help="keep all-zero filters in the layers instead of removing them")


def _load_module_file(path: str) -> Any:
    p = Path(path)
    if not p.is_file():
        raise HwsimError(f"{path}: no such file")
    spec = importlib.util.spec_from_file_location(f"_hwsim_import_{p.stem}", p)
    if spec is None or spec.loader is None:
        raise HwsimError(f"{path}: not a Python file")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    try:
        spec.loader.exec_module(mod)
    except Exception as exc:
        raise HwsimError(f"{path}: {type(exc).__name__}: {exc}") from None
    return mod


def build_model(args: argparse.Namespace) -> Any:
    """Instantiate the model named on the command line and load its checkpoint."""
    from hwsim.importers.torch_import import _torch

    torch = _torch()
    mod = _load_module_file(args.module_file)
    attr = args.model or args.factory
    obj = getattr(mod, attr, None)
    if obj is None:
        raise HwsimError(f"{args.module_file}: defines no '{attr}'")
    try:
        model = obj()
    except Exception as exc:
        raise HwsimError(f"{args.module_file}: {attr}() failed: {type(exc).__name__}: {exc}") \
            from None
    if not isinstance(model, torch.nn.Module):
        raise HwsimError(f"{attr}() returned {type(model).__name__}, not an nn.Module")
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint)
    return model


def load_checkpoint(model: Any, path: str) -> None:
    """Load a state_dict; modules saved pruned (``weight_orig``/``weight_mask``) are first
    re-parametrised with ``prune.identity`` so that their mask loads too."""
    from hwsim.importers.torch_import import _torch

    torch = _torch()
    from torch.nn.utils import prune

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise HwsimError(f"{path}: cannot load checkpoint: {type(exc).__name__}: {exc}") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise HwsimError(f"{path}: not a state_dict")
    modules = dict(model.named_modules())
    for key in state:
        if key.endswith(".weight_mask") or key == "weight_mask":
            owner = modules.get(key[: -len(".weight_mask")] if "." in key else "")
            if owner is not None and not hasattr(owner, "weight_orig"):
                prune.identity(owner, "weight")
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise HwsimError(f"{path}: does not fit the model: {str(exc).splitlines()[0]}") from None


def _example_inputs(args: argparse.Namespace) -> tuple[Any, ...]:
    from hwsim.importers.torch_import import _torch

    torch = _torch()
    shapes = args.input_shape or [(1, 3, 224, 224)]
    if args.input_dtype == "int64":
        return tuple(torch.zeros(s, dtype=torch.int64) for s in shapes)
    gen = torch.Generator().manual_seed(0)
    return tuple(torch.randn(s, generator=gen) for s in shapes)


def cmd_import_torch(args: argparse.Namespace) -> int:
    from hwsim.importers.torch_import import import_torch

    model = build_model(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = import_torch(model, _example_inputs(args), args.name or args.model
                              or args.factory, args.on_unsupported,
                              structural=not args.keep_zero_channels)
    return _finish(result, args.output, caught)


def cmd_import_onnx(args: argparse.Namespace) -> int:
    from hwsim.importers.onnx_import import import_onnx

    if not Path(args.model_file).is_file():
        raise HwsimError(f"{args.model_file}: no such file")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = import_onnx(args.model_file, args.name, args.on_unsupported,
                             structural=not args.keep_zero_channels, batch=args.batch)
    return _finish(result, args.output, caught)


def cmd_import_hf_config(args: argparse.Namespace) -> int:
    from hwsim.precision import BYTES
    from hwsim.safeio import write_text_atomic
    from hwsim.workload.io import dump_workload
    from hwsim.workload.llm import llm_workload, load_llm_config

    tokens = args.prompt if args.phase == "prefill" else args.context
    if tokens is None:
        need = "--prompt" if args.phase == "prefill" else "--context"
        raise HwsimError(f"--phase {args.phase} needs {need}")
    if args.precision not in BYTES:
        raise HwsimError(f"unknown precision '{args.precision}' (one of {', '.join(BYTES)})")
    cfg = load_llm_config(args.config)
    wl = llm_workload(cfg, args.phase, tokens, args.batch, args.attention, args.tp,
                      args.precision)
    if args.name:
        wl = wl.renamed(args.name)
    write_text_atomic(args.output, dump_workload(wl))
    print(f"{wl.name}: {len(wl.layers)} layers, batch {wl.batch}, {wl.macs():,} MACs, "
          f"{wl.params():,} params ({wl.description})")
    print(f"wrote {args.output}")
    return 0


def _finish(result: ImportResult, output: str, caught: list[Any]) -> int:
    from hwsim.importers.export import save_workload
    for w in caught:
        if "hwsim" in str(w.message) or "layer '" in str(w.message):
            print(f"hwsim: warning: {w.message}", file=sys.stderr)
    wl = save_workload(result.workload, output)
    print(summary(result))
    where = f" and {Path(output).with_name(wl.masks_file)}" if wl.masks_file else ""
    print(f"wrote {output}{where}")
    return 0


def summary(result: ImportResult) -> str:
    """One line per layer: op, MACs, weight density and the recognised pattern."""
    wl = result.workload
    lines = [f"{wl.name}: {len(wl.layers)} layers, batch {wl.batch}, "
             f"{wl.macs():,} MACs, {wl.params():,} params",
             f"{'layer':<32} {'op':<13} {'MACs/sample':>13} {'density':>8}  pattern"]
    for layer in wl.layers:
        r = result.recognised.get(layer.name)
        if r is None:
            lines.append(f"{layer.name:<32} {layer.op:<13} {layer.macs():>13,} {'':>8}  -")
            continue
        note = r.label
        if r.conforms_to and r.pattern != "nm":
            note += "; conforms to " + ", ".join(f"{n}:{m}" for n, m in r.conforms_to)
        if layer.name in result.removed_channels:
            before, after = result.removed_channels[layer.name]
            note += f"; removed {before - after} zero channels ({before} -> {after})"
        if layer.name in result.kept_zero_channels:
            note += f"; {result.kept_zero_channels[layer.name]} zero channels kept in place"
        lines.append(f"{layer.name:<32} {layer.op:<13} {layer.macs():>13,} "
                     f"{r.density:>8.3f}  {note}")
    if result.skipped:
        lines.append("skipped (unsupported, cost nothing): " + "; ".join(result.skipped))
    return "\n".join(lines)

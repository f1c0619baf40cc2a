"""What ``hwsim list`` says of each bundled accelerator and language model, read from indexes
beside their YAML files (hwsim.indexed) so that listing imports neither the accelerator schema
nor the model-config code: validating the accelerators alone took about 0.8 s of a 1.2 s
``hwsim list``. A file changed since it was indexed is loaded and validated as before.

    python -m hwsim.listing [arch_configs/] [models/]

rewrites both indexes; tests check them against loading every bundled file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hwsim.bundled import bundled_dir
from hwsim.errors import HwsimError
from hwsim.indexed import indexed, write_and_report, write_index

ARCH_KEY = "accelerators"
ARCH_FIELDS: dict[str, type] = {"kind": str, "description": str}
MODEL_KEY = "models"
MODEL_FIELDS: dict[str, type] = {f: int for f in ("params", "layers", "heads", "kv_heads",
                                                  "experts", "experts_per_tok")}


def arch_entry(path: Path) -> dict[str, Any]:
    """Load and validate the accelerator at ``path``: its kind and description."""
    from hwsim.arch.load import load_arch

    a = load_arch(path)
    return {"kind": a.kind, "description": a.description}


def model_entry(path: Path) -> dict[str, Any]:
    """Load and validate the language-model config at ``path``: parameters, layers, attention
    and key-value heads, experts and experts per token."""
    from hwsim.workload.llm import load_llm_config

    c = load_llm_config(path)
    return {"params": c.params(), "layers": c.num_hidden_layers,
            "heads": c.num_attention_heads, "kv_heads": c.kv_heads,
            "experts": c.num_local_experts, "experts_per_tok": c.num_experts_per_tok}


def accelerators(names: list[str], folder: Path | None = None
                 ) -> dict[str, dict[str, Any] | HwsimError]:
    """Kind and description of each accelerator ``folder/<name>.yaml`` (default: bundled)."""
    folder = bundled_dir("arch_configs") if folder is None else folder
    return indexed(folder, names, ARCH_KEY, ARCH_FIELDS, arch_entry)


def models(names: list[str], folder: Path | None = None
           ) -> dict[str, dict[str, Any] | HwsimError]:
    """Sizes of each language-model config ``folder/<name>.yaml`` (default: bundled)."""
    folder = bundled_dir("models") if folder is None else folder
    return indexed(folder, names, MODEL_KEY, MODEL_FIELDS, model_entry)


def write_indexes(arch_folder: str | Path, model_folder: str | Path) -> list[Path]:
    """Rewrite the accelerator and model indexes of the two folders."""
    how = "python -m hwsim.listing arch_configs/ models/"
    return [write_index(arch_folder, ARCH_KEY, arch_entry, how),
            write_index(model_folder, MODEL_KEY, model_entry, how)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write the accelerator and model summary indexes.")
    ap.add_argument("arch_folder", nargs="?", default="arch_configs")
    ap.add_argument("model_folder", nargs="?", default="models")
    args = ap.parse_args(argv)
    return write_and_report("hwsim.listing",
                            lambda: write_indexes(args.arch_folder, args.model_folder))


if __name__ == "__main__":
    sys.exit(main())

"""Imports go down (docs/architecture.md): no package imports one above it, checked on the
source of every module (module level and function level alike)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "hwsim"
#: Package (or top-level module) -> its layer; a module may import only its own layer or below.
LAYER = {
    "errors": 0, "version": 0, "choices": 0, "safeio": 1,
    "precision": 1, "yamlio": 1, "overrides": 1, "bundled": 1, "lazy": 1, "indexed": 1,
    "sparsity": 2, "workload": 3, "arch": 3, "schema": 3,
    "model": 4, "report": 5, "evaluation": 6,
    "cli": 7, "sweep": 7, "plot": 7, "importers": 7, "llm_cli": 7,
    "validate_cli": 7, "study_cli": 7, "fields_cli": 7, "listing": 7, "__init__": 8,
    "__main__": 8,
}
#: Imports within a layer that are allowed, in this direction only.
ALLOWED_SIDEWAYS: set[tuple[str, str]] = {("llm_cli", "cli"), ("validate_cli", "cli"),
                                          ("study_cli", "cli"), ("fields_cli", "cli"),
                                          ("schema", "arch"), ("schema", "workload"),
                                          ("plot", "sweep"), ("cli", "listing")}


def _package(path: Path) -> str:
    rel = path.relative_to(ROOT)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hwsim."):
            out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[1] for a in node.names if a.name.startswith("hwsim.")}
    return out


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_down(path):
    own = _package(path)
    for target in _imports(path) - {own}:
        assert target in LAYER, f"{path}: unknown package hwsim.{target}"
        if LAYER[target] == LAYER[own]:
            assert (own, target) in ALLOWED_SIDEWAYS, f"{path} imports hwsim.{target} sideways"
        else:
            assert LAYER[target] < LAYER[own], f"{path} imports hwsim.{target}, a layer above"

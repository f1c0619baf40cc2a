"""The documentation site: ``mkdocs build --strict`` passes (no broken link or anchor), the
reference pages are generated from the code at build time (none is committed), and
``hwsim validate --format markdown`` gives well-formed tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hwsim.evaluation.references import CaseResult
from hwsim.validate_cli import validation_markdown
from tests.conftest import ROOT

GENERATED = ("reference/arch.md", "reference/workload.md", "reference/model.md",
             "reference/cli.md", "reference/api.md", "reference/validation.md")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for this module, in this process (``mkdocs build --strict``: a
    warning aborts the build), so that its validation page reuses the session's evaluation of
    the reference cases (tests/conftest.py) rather than running all of them again."""
    pytest.importorskip("mkdocs")
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    out = tmp_path_factory.mktemp("site")
    build(load_config(config_file=str(ROOT / "mkdocs.yml"), site_dir=str(out), strict=True))
    return out


def _page(site: Path, uri: str) -> str:
    return (site / uri.removesuffix(".md") / "index.html").read_text(encoding="utf-8")


def test_generated_pages_are_not_committed():
    for uri in GENERATED:
        assert not (ROOT / "docs" / uri).exists(), f"docs/{uri} is generated at build time"


def test_reference_pages(site):
    arch = _page(site, "reference/arch.md")
    assert "clock_mhz" in arch and "MHz" in arch and "arch.compute.tensor_core" in arch
    workload = _page(site, "reference/workload.md")
    assert "in_channels" in workload and "layer.allreduce" in workload
    assert "hidden_size" in _page(site, "reference/model.md")
    cli = _page(site, "reference/cli.md")
    assert "hwsim fields" in cli and "hwsim schema" in cli and "--sparsity" in cli
    api = _page(site, "reference/api.md")
    assert "load_arch" in api and "evaluate_llm" in api and "run_references" in api
    assert "zhang-conv1" in _page(site, "reference/validation.md")


def test_nav_pages_and_schemas(site):
    for uri in ("getting-started.md", "concepts/sparsity.md", "concepts/targets.md",
                "concepts/mapping.md", "concepts/llm.md", "reference/schema.md",
                "architecture.md"):
        assert _page(site, uri)
    for which in ("arch", "workload", "model"):
        schema = json.loads((site / "schemas" / f"{which}.schema.json").read_text("utf-8"))
        assert "properties" in schema
    assert not (site / "hooks").exists()  # the hook is not published


def test_validation_markdown():
    results = [
        CaseResult("a-1", "accel", "src-a", "Someone, <Venue> 2020", "measured",
                   "conv1 | latency", "ms", 2.0, 2.2),
        CaseResult("b-1", "llm", "src-b", "Other", "recalled", "decode", "ms", 10.0, 9.0),
    ]
    text = validation_markdown(results)
    lines = text.splitlines()
    assert lines[0] == "| case | kind | published | model | error | what | source |"
    assert "| `a-1` | measured | 2.00 ms | 2.20 ms | +10.0% | conv1 \\| latency | src-a |" in lines
    assert "| all | 2 | 10.0% | 10.0% |" in lines
    assert "- **src-a**: Someone, &lt;Venue> 2020" in lines
    # Every table row has as many cells as its header.
    for block in text.split("\n\n")[:2]:
        rows = [r.replace("\\|", "") for r in block.splitlines()]
        assert len({r.count("|") for r in rows}) == 1, block

"""MkDocs hook: the reference pages, generated from the code at every build so they never go
stale (no generated file is committed).

* ``reference/arch.md``, ``workload.md``, ``model.md``: ``hwsim fields GROUP --format markdown``;
* ``reference/validation.md``: ``hwsim validate --format markdown`` (runs every bundled case);
* ``reference/cli.md``: the argparse help of ``hwsim`` and every subcommand;
* ``reference/api.md``: signatures and docstrings of the public Python functions;
* ``schemas/*.schema.json``: ``hwsim schema arch|workload|model``, served with the site.

Set ``HWSIM_DOCS_SKIP_VALIDATION=1`` to put a placeholder on the validation page (it takes
most of the build's time) while editing prose with ``mkdocs serve``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import json
import os
import re
from collections.abc import Iterator
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from hwsim.cli import build_parser
from hwsim.fields_cli import fields_markdown, markdown_escape
from hwsim.schema import SCHEMAS, json_schema, select

#: Public Python API, in the order the page lists it (module, name).
API: tuple[tuple[str, str], ...] = (
    ("hwsim", "load_arch"),
    ("hwsim", "load_workload"),
    ("hwsim", "evaluate"),
    ("hwsim", "compare"),
    ("hwsim.report", "Report"),
    ("hwsim.sparsity.spec", "parse_sparsity"),
    ("hwsim.workload.llm", "load_llm_config"),
    ("hwsim.evaluation.llm", "evaluate_llm"),
    ("hwsim.evaluation.llm", "LLMResult"),
    ("hwsim.evaluation.references", "run_references"),
    ("hwsim.evaluation.references", "CaseResult"),
    ("hwsim.evaluation.curves", "sparsity_curves"),
    ("hwsim.sweep", "load_sweep"),
    ("hwsim.sweep", "run_sweep"),
    ("hwsim.sweep", "load_results"),
    ("hwsim.sweep", "pareto_front"),
    ("hwsim.schema", "sections"),
    ("hwsim.schema", "json_schema"),
)

FIELD_PAGES = {
    "arch": ("Arch fields", "the accelerator YAML (`arch_configs/*.yaml`, `--arch FILE`)"),
    "workload": ("Workload fields", "the network YAML (`workloads/*.yaml`, `--workload FILE`): "
                 "its header, each layer op and each sparsity pattern"),
    "model": ("Model-config fields", "a language model's config (`models/*.yaml` or a Hugging "
              "Face `config.json`, `hwsim llm --model FILE`)"),
}


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated pages and schemas to the site."""
    pages = {f"reference/{group}.md": fields_page(group) for group in FIELD_PAGES}
    pages["reference/cli.md"] = cli_page()
    pages["reference/api.md"] = api_page()
    pages["reference/validation.md"] = validation_page()
    for which in SCHEMAS:
        pages[f"schemas/{which}.schema.json"] = json.dumps(json_schema(which), indent=2,
                                                           ensure_ascii=False)
    for uri, text in pages.items():
        files.append(File.generated(config, uri, content=text))
    return files


def fields_page(group: str) -> str:
    title, what = FIELD_PAGES[group]
    return "\n".join([
        f"# {title}", "",
        f"Every field of {what}, read from the schema the loader validates against. The same "
        f"list on a terminal: `hwsim fields {group}` (or one section: "
        f"`hwsim fields {select(group)[-1].name}`). Units are in the field names' suffixes; "
        f"a required field has no default. Editors can check these files with the "
        f"[JSON Schema](schema.md) (`hwsim schema {group}`).", "",
        fields_markdown(select(group)),
    ])


@contextlib.contextmanager
def _columns(n: int) -> Iterator[None]:
    """argparse wraps help to $COLUMNS: fix it so the page does not depend on the terminal."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(n)
    try:
        yield
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def _helps(parser: argparse.ArgumentParser, words: tuple[str, ...]
           ) -> Iterator[tuple[tuple[str, ...], str]]:
    """(command words, help text) of ``parser`` and of its subcommands, depth first."""
    yield words, parser.format_help().rstrip()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _helps(sub, (*words, name))


def cli_page() -> str:
    out = ["# Command line", "",
           "The help of `hwsim` and of each subcommand (`hwsim COMMAND --help`). A mistake in "
           "the input prints one line, `hwsim: error: ...`, and exits with status 2.", ""]
    with _columns(100):
        for words, text in _helps(build_parser(), ("hwsim",)):
            level = "##" if len(words) <= 2 else "###"
            out += [f"{level} `{' '.join(words)}`", "", "```text", text, "```", ""]
    return "\n".join(out)


def _markdown_doc(doc: str) -> str:
    """A docstring as Markdown: reST roles and double backticks become code spans."""
    doc = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", doc).replace("``", "`")
    return markdown_escape(doc, cell=False)


def _annotation(a: Any) -> str:
    """An annotation as the source spells it (string annotations unquoted)."""
    return a if isinstance(a, str) else inspect.formatannotation(a)


def _param(p: inspect.Parameter) -> str:
    star = "*" if p.kind is p.VAR_POSITIONAL else "**" if p.kind is p.VAR_KEYWORD else ""
    text = star + p.name
    if p.annotation is not p.empty:
        text += f": {_annotation(p.annotation)}"
    if p.default is not p.empty:
        text += f" = {p.default!r}" if p.annotation is not p.empty else f"={p.default!r}"
    return text


def _signature(name: str, obj: Any) -> str:
    """``name(params) -> return``, one parameter per line when it is long."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return name
    params, seen_kw_only = [], False
    for p in sig.parameters.values():
        if p.name == "self":
            continue
        if p.kind is p.KEYWORD_ONLY and not seen_kw_only:
            params.append("*")
        seen_kw_only = seen_kw_only or p.kind in (p.KEYWORD_ONLY, p.VAR_POSITIONAL)
        params.append(_param(p))
    ret = ("" if sig.return_annotation is sig.empty or inspect.isclass(obj)
           else f" -> {_annotation(sig.return_annotation)}")
    one = f"{name}({', '.join(params)}){ret}"
    if len(one) <= 90:
        return one
    return f"{name}(\n" + "".join(f"    {p},\n" for p in params) + f"){ret}"


def _members(cls: type) -> Iterator[tuple[str, Any]]:
    """Public methods and properties a class itself defines, with a docstring."""
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        if (inspect.isfunction(member) or isinstance(member, property)) and member.__doc__:
            yield name, member


def api_page() -> str:
    out = ["# Python API", "",
           "The functions most programs need, with their signatures and docstrings (read from "
           "the code at build time), each under the module it is imported from.", ""]
    for module, name in API:
        obj = getattr(importlib.import_module(module), name)
        kind = "class" if inspect.isclass(obj) else "function"
        out += [f"## `{name}`", "", f"`{module}.{name}` ({kind})", "",
                "```python", _signature(name, obj), "```", "",
                _markdown_doc(inspect.getdoc(obj) or ""), ""]
        if inspect.isclass(obj):
            for mname, member in _members(obj):
                if isinstance(member, property):
                    out += [f"* `{mname}` (property): "
                            + _markdown_doc(inspect.getdoc(member) or "").replace("\n", " ")]
                else:
                    out += [f"* `{_signature(mname, member)}`: "
                            + _markdown_doc(inspect.getdoc(member) or "").replace("\n", " ")]
            out.append("")
    return "\n".join(out)


def validation_page() -> str:
    head = ["# Validation", "",
            "The model against every bundled published measurement (`references/*.yaml`), as "
            "`hwsim validate --format markdown` prints it; the error is model / published - 1. "
            "Each case's kind says how its figure was obtained: measured, derived from a "
            "measurement, or recalled (quoted from memory, unverified).", ""]
    if os.environ.get("HWSIM_DOCS_SKIP_VALIDATION"):
        return "\n".join([*head, "*Not generated in this build "
                          "(HWSIM_DOCS_SKIP_VALIDATION is set).*", ""])
    from hwsim.evaluation.references import run_references
    from hwsim.validate_cli import validation_markdown

    return "\n".join([*head, validation_markdown(run_references()), ""])

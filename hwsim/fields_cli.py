"""``hwsim fields`` and ``hwsim schema``: what every YAML field means, and the JSON Schemas that
let an editor complete and check the files.

    hwsim fields                         # every field of arch, workload and model-config files
    hwsim fields arch.compute.systolic   # one section; also arch, layer.conv2d, model, pattern
    hwsim fields arch --format markdown  # the tables of the docs' reference pages
    hwsim schema arch -o arch.schema.json

Both read the pydantic models (``hwsim.schema``), so they cannot drift from the loaders.
"""

from __future__ import annotations

import argparse
import json
import shutil
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hwsim.schema import Section

FORMATS = ("table", "markdown", "json")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``fields`` and ``schema`` to the hwsim command."""
    p = sub.add_parser(
        "fields", help="every field of the arch, workload and model-config YAML: type, unit, "
                       "default, meaning",
        description="List the fields of the YAML files with type, unit (from the name's "
                    "suffix), default and meaning, read from the schema. KIND narrows the "
                    "list: a file kind (arch, workload, model), a section (arch.dram, "
                    "arch.compute.systolic, layer.conv2d, pattern.block) or a prefix "
                    "(arch.compute, layer, pattern).")
    p.add_argument("kind", nargs="?", default=None, metavar="KIND",
                   help="what to list (default: everything)")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("-o", "--output", default=None, help="write to FILE instead of stdout")
    p.set_defaults(func=cmd_fields)

    s = sub.add_parser(
        "schema", help="JSON Schema of arch, workload or model-config YAML (for editors)",
        description="Print the JSON Schema (draft 2020-12) of a kind of YAML file, for "
                    "editors that complete and check YAML: with the YAML language server, "
                    "put '# yaml-language-server: $schema=arch.schema.json' at the top of a "
                    "file.")
    s.add_argument("which", choices=("arch", "workload", "model"))
    s.add_argument("-o", "--output", default=None, help="write to FILE instead of stdout")
    s.set_defaults(func=cmd_schema)


def cmd_fields(args: argparse.Namespace) -> int:
    from hwsim.cli import _write
    from hwsim.schema import select

    chosen = select(args.kind)
    render = {"json": fields_json, "markdown": fields_markdown}.get(args.format, fields_table)
    _write(render(chosen), args.output)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from hwsim.cli import _write
    from hwsim.schema import json_schema

    _write(json.dumps(json_schema(args.which), indent=2, ensure_ascii=False), args.output)
    return 0


def _legend(sections: Sequence[Section]) -> dict[str, list[str]]:
    """The named types (precision, format) the sections use, with their values."""
    from hwsim.schema import TYPE_NAMES

    used = " ".join(f.type for s in sections for f in s.fields)
    return {name: [str(v) for v in values] for name, values in TYPE_NAMES.items()
            if name in used}


def fields_json(sections: Sequence[Section]) -> str:
    """``{"types": {...}, "sections": [{"name", "group", "summary", "fields": [...]}]}``."""
    return json.dumps({"types": _legend(sections), "sections": [s.to_dict() for s in sections]},
                      indent=2, ensure_ascii=False)


def markdown_escape(text: str, cell: bool = True) -> str:
    """``text`` as Markdown that shows as written: ``<`` and ``*`` (and, in a table ``cell``,
    ``|`` and newlines) escaped outside code spans, code spans left alone (Python-Markdown,
    which MkDocs uses, does not split a table cell at a pipe inside a code span)."""
    parts = (text.replace("\n", " ") if cell else text).split("`")
    # Even parts lie outside code spans; so does the last after an unmatched backtick.
    outside = [*range(0, len(parts), 2), *([len(parts) - 1] if len(parts) % 2 == 0 else [])]
    for i in outside:
        parts[i] = parts[i].replace("*", "\\*").replace("<", "&lt;")
        if cell:
            parts[i] = parts[i].replace("|", "\\|")
    return "`".join(parts)


_cell = markdown_escape


def fields_markdown(sections: Sequence[Section], level: int = 2) -> str:
    """One heading and one table per section (``level`` sets the heading depth)."""
    out: list[str] = []
    legend = _legend(sections)
    if legend:
        out.append("Named types: " + "; ".join(
            f"`{name}` is one of {', '.join(f'`{v}`' for v in values)}"
            for name, values in legend.items()) + ".")
        out.append("")
    for s in sections:
        out += [f"{'#' * level} `{s.name}`", "", _cell(s.summary), "",
                "| field | type | unit | default | meaning |", "|---|---|---|---|---|"]
        for f in s.fields:
            default = f.default_text if f.required or f.default_note else f"`{f.default_text}`"
            out.append(f"| `{f.name}` | {_cell(f.type)} | {_cell(f.unit)} | {_cell(default)} "
                       f"| {_cell(f.description)} |")
        out.append("")
    return "\n".join(out)


#: Widest a wrapped column of the plain-text table gets (type, default); meanings take the rest.
_TYPE_WIDTH, _DEFAULT_WIDTH = 28, 18


def fields_table(sections: Sequence[Section]) -> str:
    """A plain-text table per section; long types, defaults and meanings wrap within their
    column, meanings to the terminal's width."""
    width = max(80, shutil.get_terminal_size((100, 24)).columns)
    head = ("field", "type", "unit", "default")
    out: list[str] = []
    for s in sections:
        out.append(f"{s.name}: {s.summary}" if s.summary else s.name)
        rows = [(f.name, f.type, f.unit, f.default_text, f.description) for f in s.fields]
        w = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
        w[1], w[3] = min(w[1], _TYPE_WIDTH), min(w[3], _DEFAULT_WIDTH)
        w.append(max(30, width - sum(x + 2 for x in w)))
        out.append("  " + "  ".join(h.ljust(x) for h, x in zip(head, w)) + "  meaning")
        for row in rows:
            cells = [textwrap.wrap(c, x, break_on_hyphens=False) or [""]
                     for c, x in zip(row, w)]
            for k in range(max(map(len, cells))):
                line = "  ".join((c[k] if k < len(c) else "").ljust(x)
                                 for c, x in zip(cells, w))
                out.append(("  " + line).rstrip())
        out.append("")
    for name, values in _legend(sections).items():
        out.append(f"{name}: one of {', '.join(values)}")
    return "\n".join(out).rstrip("\n")

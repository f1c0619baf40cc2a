"""Summaries of bundled files kept in an index beside them, so that ``hwsim list`` need not
parse and validate every file (nor import the modules that validate them).

Each folder's ``index.json`` maps a file's name to its summary and the sha256 of the bytes it
was computed from. A summary is used only while its file is byte-for-byte that one; otherwise
(an edited file, a damaged index) the file is loaded, so a changed file is never misreported.
Tests check that each bundled index equals what loading every file gives.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hwsim.errors import HwsimError

INDEX_NAME = "index.json"


def digest(path: Path) -> str:
    """sha256 of a file's bytes (hex)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_index(folder: Path, key: str) -> dict[str, Any]:
    """The entries under ``key`` of ``folder``'s index ({} when missing or damaged)."""
    try:
        data = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries = data.get(key) if isinstance(data, dict) else None
    return entries if isinstance(entries, dict) else {}


def _typed(entry: dict[str, Any], fields: Mapping[str, type]) -> dict[str, Any] | None:
    """The entry's ``fields`` if each has its type (a bool is not an int), else None."""
    got = {f: entry.get(f) for f in fields}
    ok = all(isinstance(v, t) and not (t is int and isinstance(v, bool))
             for v, t in zip(got.values(), fields.values(), strict=True))
    return got if ok else None


def indexed(folder: Path, names: Sequence[str], key: str, fields: Mapping[str, type],
            compute: Callable[[Path], dict[str, Any]]) -> dict[str, dict[str, Any] | HwsimError]:
    """Each ``folder/<name>.yaml``'s summary (its ``fields``, name -> type): from the index
    where the file is unchanged since it was indexed and the entry is whole, else
    ``compute(path)`` (a file that does not load maps to its error)."""
    index = read_index(folder, key)
    out: dict[str, dict[str, Any] | HwsimError] = {}
    for name in names:
        path = folder / f"{name}.yaml"
        entry = index.get(name)
        try:
            if isinstance(entry, dict) and entry.get("sha256") == digest(path):
                got = _typed(entry, fields)
                if got is not None:
                    out[name] = got
                    continue
        except OSError:
            pass  # an unreadable file: load it and let that say why
        try:
            out[name] = compute(path)
        except HwsimError as exc:  # the caller prints it as the file's line
            out[name] = exc
    return out


def write_index(folder: str | Path, key: str, compute: Callable[[Path], dict[str, Any]],
                generated_by: str) -> Path:
    """Summarise every ``*.yaml`` of ``folder`` into ``folder/index.json`` under ``key``."""
    base = Path(folder)
    entries = {p.stem: {"sha256": digest(p), **compute(p)} for p in sorted(base.glob("*.yaml"))}
    out = base / INDEX_NAME
    text = json.dumps({"generated_by": generated_by, key: entries}, indent=1, sort_keys=True)
    out.write_text(text + "\n", encoding="utf-8")
    return out


def write_and_report(prog: str, write: Callable[[], list[Path]]) -> int:
    """Run an index writer as a command: print each index written, or one line naming the file
    that does not load (or the bad folder) and exit status 2."""
    try:
        for path in write():
            print(path)
    except (HwsimError, OSError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    return 0

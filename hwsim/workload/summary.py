"""What ``hwsim list`` says of each bundled workload (layers, MACs, parameters, batch), kept in
an index beside the YAML files so that listing does not parse and validate every network.

A large language model's workload is about 550 layers and 60 KB of YAML; parsing and validating
the bundled ones took about 1.5 s of a 2 s ``hwsim list``. The index records each file's sha256:
a summary is used only while its file is byte-for-byte the one it was computed from, otherwise
the workload is loaded, so an edited file is never misreported. ``python -m
hwsim.workload.summary workloads/`` rewrites the index (the zoo generator does it too), and a
test checks that the bundled index equals what loading every workload gives.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hwsim.bundled import bundled_dir
from hwsim.errors import HwsimError

INDEX_NAME = "index.json"


@dataclass(frozen=True)
class Summary:
    """A workload's size: layer count, MACs and parameters of the whole batch, batch size."""

    layers: int
    macs: int
    params: int
    batch: int


def digest(path: Path) -> str:
    """sha256 of a file's bytes (hex)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def summarise(path: Path) -> Summary:
    """Load and validate the workload at ``path`` and summarise it (raises its SpecError)."""
    from hwsim.workload.io import load_workload

    wl = load_workload(path)
    return Summary(len(wl), wl.macs(), wl.params(), wl.batch)


def _read_index(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries = data.get("workloads") if isinstance(data, dict) else None
    return entries if isinstance(entries, dict) else {}


def summaries(names: list[str], folder: Path | None = None) -> dict[str, Summary | HwsimError]:
    """The summary of each workload ``folder/<name>.yaml`` (default: the bundled ones), from
    the folder's index where the file is unchanged since it was indexed, else by loading it (a
    workload that does not load maps to its error)."""
    folder = bundled_dir("workloads") if folder is None else folder
    index = _read_index(folder)
    out: dict[str, Summary | HwsimError] = {}
    for name in names:
        path = folder / f"{name}.yaml"
        entry = index.get(name)
        try:
            if isinstance(entry, dict) and entry.get("sha256") == digest(path):
                out[name] = Summary(*(int(entry[k]) for k in ("layers", "macs", "params",
                                                               "batch")))
                continue
        except (OSError, KeyError, TypeError, ValueError):
            pass  # an unreadable file or a damaged entry: load it and let that say why
        try:
            out[name] = summarise(path)
        except HwsimError as exc:  # the caller prints it as the workload's line
            out[name] = exc
    return out


def write_index(folder: str | Path) -> Path:
    """Summarise every ``*.yaml`` workload of ``folder`` into ``folder/index.json``."""
    base = Path(folder)
    entries = {p.stem: {"sha256": digest(p), **asdict(summarise(p))}
               for p in sorted(base.glob("*.yaml"))}
    out = base / INDEX_NAME
    text = json.dumps({"generated_by": "python -m hwsim.workload.summary workloads/",
                       "workloads": entries}, indent=1, sort_keys=True)
    out.write_text(text + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write the bundled workloads' summary index.")
    ap.add_argument("folder", nargs="?", default="workloads")
    folder = ap.parse_args(argv).folder
    try:
        print(write_index(folder))
    except (HwsimError, OSError) as exc:  # a workload that does not load, a bad folder
        print(f"hwsim.workload.summary: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

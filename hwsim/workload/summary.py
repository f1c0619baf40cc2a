"""What ``hwsim list`` says of each bundled workload (layers, MACs, parameters, batch), kept in
an index beside the YAML files so that listing does not parse and validate every network.

A large language model's workload is about 550 layers and 60 KB of YAML; parsing and validating
the bundled ones took about 1.5 s of a 2 s ``hwsim list``. The index (hwsim.indexed) records each
file's sha256, so an edited file is loaded, never misreported. ``python -m
hwsim.workload.summary workloads/`` rewrites it (the zoo generator does it too), and a test
checks that the bundled index equals what loading every workload gives.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hwsim.bundled import bundled_dir
from hwsim.errors import HwsimError
from hwsim.indexed import INDEX_NAME, digest, indexed, write_and_report
from hwsim.indexed import write_index as _write_index

__all__ = ["INDEX_NAME", "Summary", "digest", "main", "summaries", "summarise", "write_index"]

_KEY = "workloads"
_FIELDS: dict[str, type] = {"layers": int, "macs": int, "params": int, "batch": int}


@dataclass(frozen=True)
class Summary:
    """A workload's size: layer count, MACs and parameters of the whole batch, batch size."""

    layers: int
    macs: int
    params: int
    batch: int


def summarise(path: Path) -> Summary:
    """Load and validate the workload at ``path`` and summarise it (raises its SpecError)."""
    from hwsim.workload.io import load_workload

    wl = load_workload(path)
    return Summary(len(wl), wl.macs(), wl.params(), wl.batch)


def _entry(path: Path) -> dict[str, Any]:
    return asdict(summarise(path))


def summaries(names: list[str], folder: Path | None = None) -> dict[str, Summary | HwsimError]:
    """The summary of each workload ``folder/<name>.yaml`` (default: the bundled ones), from
    the folder's index where the file is unchanged since it was indexed, else by loading it (a
    workload that does not load maps to its error)."""
    folder = bundled_dir("workloads") if folder is None else folder
    return {name: got if isinstance(got, HwsimError) else Summary(**got)
            for name, got in indexed(folder, names, _KEY, _FIELDS, _entry).items()}


def write_index(folder: str | Path) -> Path:
    """Summarise every ``*.yaml`` workload of ``folder`` into ``folder/index.json``."""
    return _write_index(folder, _KEY, _entry, "python -m hwsim.workload.summary workloads/")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write the bundled workloads' summary index.")
    ap.add_argument("folder", nargs="?", default="workloads")
    folder = ap.parse_args(argv).folder
    return write_and_report("hwsim.workload.summary", lambda: [write_index(folder)])


if __name__ == "__main__":
    sys.exit(main())

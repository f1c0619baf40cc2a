#!/usr/bin/env python3
"""Start-up: the wall time of whole ``hwsim`` processes as a user meets them, against a bare
Python that imports numpy and yaml, side by side in one run.

    python benchmarks/bench_startup.py [--repeat 7] > benchmarks/data/startup_speed.txt

Each command runs ``--repeat`` times as a fresh ``python -m hwsim`` process (no shell, no
pyenv shim); the median is reported with its ratio to the bare start. Speed is reported here,
never asserted in tests.

The processes cache their bytecode as a user's Python does (``pip install`` compiles it; an
editable install writes it on the first run, which the untimed warm-up run is): where the
environment sets PYTHONDONTWRITEBYTECODE, as this project's sandboxes do, every hwsim module
would be compiled from source in every process (~0.2 s here) while numpy loads the bytecode
pip compiled, so the variable is removed for the commands.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

COMMANDS: list[tuple[str, list[str]]] = [
    ("python -c 'import numpy, yaml'", ["-c", "import numpy, yaml"]),
    ("hwsim --help", ["-m", "hwsim", "--help"]),
    ("hwsim --version", ["-m", "hwsim", "--version"]),
    ("hwsim list", ["-m", "hwsim", "list"]),
    ("hwsim describe resnet50", ["-m", "hwsim", "describe", "resnet50"]),
    ("hwsim run --arch tpu_v1 --workload resnet50",
     ["-m", "hwsim", "run", "--arch", "tpu_v1", "--workload", "resnet50"]),
    ("hwsim run --arch a100 --workload bert_base_seq128",
     ["-m", "hwsim", "run", "--arch", "a100", "--workload", "bert_base_seq128"]),
]


def wall(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t0


def child_env() -> dict[str, str]:
    """The commands' environment: this one with CI set (no progress bars) and bytecode
    written and read as a user's Python does (see the module docstring)."""
    env = {**os.environ, "CI": "true"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    env = child_env()
    print(f"# bench_startup: median of {args.repeat} fresh processes, {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}, bytecode cached")
    base = None
    for label, cmd in COMMANDS:
        wall(cmd, env)  # warm the file cache (and write the bytecode)
        med = statistics.median(wall(cmd, env) for _ in range(args.repeat))
        base = base or med
        print(f"{label:<52} {med:6.2f} s  {med / base:5.1f}x bare")
    return 0


if __name__ == "__main__":
    sys.exit(main())

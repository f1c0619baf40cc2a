"""What every adversarial case asserts: exit status 2, one located ``hwsim: error:`` line (or
argparse's usage line and error line), no traceback, and nothing outside the intended output
changed."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hwsim.cli import main

#: A small systolic accelerator with every optional field present, so each can be corrupted.
ARCH: dict[str, Any] = {
    "name": "tiny",
    "kind": "systolic",
    "description": "adversarial base",
    "technology_nm": 28,
    "clock_mhz": 500,
    "precisions": ["int8"],
    "compute": {"rows": 8, "cols": 8, "dataflow": "ws", "vector_lanes": 8},
    "dram": {"technology": "DDR4", "bandwidth_gbps": 12.8, "achievable_fraction": 0.8,
             "burst_bytes": 64, "capacity_gib": 4, "energy_pj_per_bit": 20.0,
             "static_power_w": 0.1},
    "buffers": [
        {"name": "sram", "holds": ["weights", "inputs"], "capacity_kib": 64, "banks": 2,
         "double_buffered": True, "bandwidth_bytes_per_cycle": 32,
         "read_energy_pj_per_bit": 0.1, "write_energy_pj_per_bit": 0.12},
        {"name": "acc", "holds": ["outputs"], "capacity_kib": 16, "banks": 1},
    ],
    "interconnect": {"topology": "systolic", "hop_mm": 0.05, "energy_pj_per_bit_mm": 0.1},
    "static_power_w": 0.02,
    "sparsity": {"weights": {"format": "bcsr", "block": [4, 4], "run_bits": 4},
                 "inputs": {"format": "rle", "run_bits": 4}, "gating": True,
                 "skip": "nm", "nm": [2, 4], "block": [4, 4]},
    "energy": {"mac_pj": {"int8": 0.2}, "alu_op_pj": {"int8": 0.05}},
    "link": {"technology": "test", "kind": "nvlink", "bandwidth_gbps": 100,
             "energy_pj_per_bit": 5},
}

#: A two-layer network small enough that a run takes milliseconds.
WORKLOAD: dict[str, Any] = {
    "name": "tinynet",
    "batch": 1,
    "layers": [
        {"name": "c1", "op": "conv2d", "in_channels": 3, "out_channels": 8, "kernel": 3,
         "stride": 1, "padding": 1, "input_hw": 8},
        {"name": "fc", "op": "linear", "in_features": 512, "out_features": 10},
    ],
}

#: One layer of each kind (after a conv producing 8 x 8 x 8), to corrupt field by field.
LAYERS: dict[str, dict[str, Any]] = {
    "conv2d": {"name": "x", "op": "conv2d", "in_channels": 8, "out_channels": 8, "kernel": 3,
               "stride": 1, "padding": 1, "dilation": 1, "groups": 2, "input_hw": 8},
    "linear": {"name": "x", "op": "linear", "in_features": 512, "out_features": 16,
               "tokens": 1, "experts": 1, "experts_per_token": 1},
    "matmul": {"name": "x", "op": "matmul", "m": 8, "k": 8, "n": 8, "count": 8},
    "embedding_bag": {"name": "x", "op": "embedding_bag", "num_tables": 2, "rows": 100,
                      "dim": 8, "lookups": 2, "inputs": ["input"]},
    "pool": {"name": "x", "op": "pool", "kind": "max", "channels": 8, "input_hw": 8,
             "kernel": 2, "stride": 2, "padding": 0},
    "eltwise": {"name": "x", "op": "eltwise", "kind": "relu", "shape": [8, 8, 8]},
    "allreduce": {"name": "x", "op": "allreduce", "shape": [8, 8, 8], "devices": 2},
}

HEAD = {"name": "c0", "op": "conv2d", "in_channels": 3, "out_channels": 8, "kernel": 3,
        "padding": 1, "input_hw": 8}


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)


def set_at(data: Any, path: str, value: Any, delete: bool = False) -> Any:
    """``data`` (deep-copied by the caller) with dotted ``path`` set (or deleted)."""
    node = data
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    last: Any = int(keys[-1]) if isinstance(node, list) else keys[-1]
    if delete:
        del node[last]
    else:
        node[last] = value
    return data


def line_of(text: str, path: str) -> int:
    """1-based line of the key (or list item) at dotted ``path`` of a YAML text, found
    independently of hwsim's loader."""
    node = yaml.compose(text)
    line = node.start_mark.line + 1
    for k in path.split("."):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == k:
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode):
            node = node.value[int(k)]
            line = node.start_mark.line + 1
    return line


def dotted(path: str) -> str:
    """``buffers.0.capacity_kib`` -> ``buffers[0].capacity_kib`` (hwsim's field form)."""
    out = ""
    for p in path.split("."):
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out


def snapshot(root: Path) -> dict[str, Any]:
    """Every entry under ``root``: kind, size and content hash (links: their target)."""
    out: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            rel = str(p.relative_to(root))
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                out[rel] = ("file", hashlib.sha256(p.read_bytes()).hexdigest())
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir",)
            else:
                out[rel] = ("other", stat.S_IFMT(st.st_mode))
    return out


_ARGPARSE_ERROR = re.compile(r"^hwsim( [\w-]+)*: error: ")


@dataclass
class Case:
    """One bad input: the argv (``{tmp}`` is the test's folder), files to create first, and
    what the error line must contain (``{tmp}`` allowed too)."""

    id: str
    argv: Sequence[str]
    files: dict[str, str | bytes] = field(default_factory=dict)
    expect: Sequence[str] = ()
    usage: bool = False  # an argparse usage error
    output: str | None = None  # the intended output (may be created/changed)
    setup: Any = None  # callable(tmp_path) for hostile conditions (FIFOs, links)
    lines: Sequence[int] = ()  # the error names one of these lines (after the file name)
    several: bool = False  # a file of several mistakes: one located line each

    def __str__(self) -> str:
        return self.id


def check_cli(case: Case, tmp_path: Path, capsys: Any) -> None:
    for name, content in case.files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    if case.setup is not None:
        case.setup(tmp_path)
    before = snapshot(tmp_path)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in case.argv]
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out, err
    assert code == 2, f"exit {code}, stderr: {err!r}"
    lines = [x for x in err.splitlines() if x.strip()]
    if case.usage:
        assert lines and _ARGPARSE_ERROR.match(lines[-1]), err
        assert all(x.startswith(("usage:", " ")) for x in lines[:-1]), err
    else:
        assert lines[0].startswith("hwsim: error: "), err
        if case.several:  # the README's "lists them all, one located line each"
            assert all(re.match(r"\S+\.\w+:\d+: ", x) for x in lines[1:]), err
        else:
            assert len(lines) == 1, f"expected one line, got: {err!r}"
    for want in case.expect:
        want = want.replace("{tmp}", str(tmp_path))
        assert want in lines[-1], f"{want!r} not in {lines[-1]!r}"
    if case.lines:
        m = re.search(r"\.\w+:(\d+): ", lines[-1])
        assert m and int(m.group(1)) in case.lines, f"line not in {case.lines}: {lines[-1]!r}"
    after = snapshot(tmp_path)
    if case.output is not None:
        out_rel = case.output
        for d in (before, after):
            for k in [k for k in d if k == out_rel or k.startswith(out_rel + ".")
                      or Path(k).name.startswith("." + Path(out_rel).name)]:
                d.pop(k)
    assert after == before, f"files changed: {set(after.items()) ^ set(before.items())}"


#: A YAML alias bomb: a few hundred bytes that expand to 10^8 nodes.
BOMB = ("a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefg", "bcdefgh")))

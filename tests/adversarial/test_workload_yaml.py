"""Hostile workload YAML: every layer kind and field, graph mistakes, masks."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial._harness import (
    BOMB,
    HEAD,
    LAYERS,
    Case,
    check_cli,
    dotted,
    dump,
    line_of,
    set_at,
)

BAD_COUNTS: list[tuple[str, Any]] = [
    ("zero", 0), ("neg", -1), ("frac", 2.5), ("nan", float("nan")), ("inf", float("inf")),
    ("2p63", 2**63), ("1e30", 1e30), ("text", "many"), ("true", True), ("map", {"a": 1}),
]
FIELDS: dict[str, list[str]] = {
    "conv2d": ["in_channels", "out_channels", "kernel", "stride", "dilation", "groups",
               "input_hw"],
    "linear": ["in_features", "out_features", "tokens", "experts", "experts_per_token"],
    "matmul": ["m", "k", "n", "count"],
    "embedding_bag": ["num_tables", "rows", "dim", "lookups"],
    "pool": ["channels", "kernel", "stride", "input_hw"],
    "eltwise": ["shape.0"],
    "allreduce": ["devices", "shape.1"],
}


def _wl(layer: dict[str, Any]) -> dict[str, Any]:
    return {"name": "w", "batch": 1, "layers": [copy.deepcopy(HEAD), layer]}


def _cases() -> list[Case]:
    cases = []
    for kind, fields in FIELDS.items():
        for f in fields:
            for label, value in BAD_COUNTS:
                if f in ("devices",) and label == "zero":
                    continue
                data = _wl(set_at(copy.deepcopy(LAYERS[kind]), f, value))
                text = dump(data)
                path = f"layers.1.{f}"
                cases.append(Case(f"{kind}.{f}={label}", ["describe", "{tmp}/w.yaml"],
                                  files={"w.yaml": text},
                                  expect=["w.yaml:", f"field '{dotted(path).split('[')[0]}"
                                          if "." in f else f"layers[1].{f}"],
                                  lines=range(line_of(text, path.split(".")[0] + "."
                                                      + path.split(".")[1] + "."
                                                      + f.split(".")[0]),
                                              line_of(text, path) + 4)))
    specials: list[tuple[str, str, Any]] = [
        ("conv-padding-neg", "padding", -1), ("pool-padding-neg", "padding", -1),
        ("conv-groups-not-dividing", "groups", 3), ("conv-kernel-bigger-than-input", "kernel", 99),
        ("pool-stride-zero", "stride", 0), ("pool-kernel-zero", "kernel", 0),
        ("conv-kernel-three", "kernel", [3, 3, 3]), ("conv-kernel-map", "kernel", {"h": 3}),
        ("eltwise-kind", "kind", "frobnicate"), ("pool-kind", "kind", "median"),
        ("name-empty", "name", ""), ("name-list", "name", ["a"]), ("op-unknown", "op", "conv3d"),
        ("op-number", "op", 7), ("precision", "precision", "int7"),
        ("on-chip-unknown", "on_chip", ["biases"]),
        ("on-chip-dup", "on_chip", ["inputs", "inputs"]),
        ("inputs-unknown", "inputs", ["nowhere"]), ("inputs-self", "inputs", ["x"]),
        ("inputs-string", "inputs", "c0"), ("prunable-text", "prunable", "maybe"),
        ("unknown-field", "colour", "red"), ("sparsity-string", "sparsity", "lots"),
        ("sparsity-unknown", "sparsity", {"pattern": "zebra"}),
        ("sparsity-above1", "sparsity", {"pattern": "unstructured", "sparsity": 1.5}),
        ("sparsity-nan", "sparsity", {"pattern": "unstructured", "sparsity": float("nan")}),
        ("sparsity-bool", "sparsity", {"pattern": "unstructured", "sparsity": True}),
        ("sparsity-block-0x4", "sparsity", {"pattern": "block", "size": "0x4", "sparsity": 0.5}),
        ("sparsity-nm-5-4", "sparsity", {"pattern": "nm", "n": 5, "m": 4}),
        ("sparsity-nm-0", "sparsity", {"pattern": "nm", "n": 0, "m": 4}),
        ("sparsity-seed-bool", "sparsity", {"pattern": "unstructured", "sparsity": 0.5,
                                            "seed": True}),
        ("sparsity-act-neg", "sparsity", {"pattern": "unstructured", "sparsity": 0.5,
                                         "act": -0.1}),
        ("sparsity-nested-empty", "sparsity", {"pattern": "nested", "levels": []}),
        ("sparsity-nested-above1", "sparsity", {"pattern": "nested", "levels": [0.5, 1.5]}),
        ("sparsity-gs-group-neg", "sparsity", {"pattern": "gs", "sparsity": 0.5, "group": -1}),
        ("sparsity-sw-rewire", "sparsity", {"pattern": "small_world", "sparsity": 0.5,
                                            "rewire": 2}),
        ("sparsity-extra", "sparsity", {"pattern": "unstructured", "sparsty": 0.5}),
    ]
    for name, f, value in specials:
        kind = "pool" if name.startswith("pool") else "eltwise" if name.startswith(
            "eltwise") else "conv2d"
        data = _wl(set_at(copy.deepcopy(LAYERS[kind]), f, value))
        if name == "sparsity-block-0x4":  # as typed in YAML: 0x4 is a hexadecimal integer
            text = dump(data).replace("size: 0x4", "size: 0x4")
        cases.append(Case(f"special:{name}", ["describe", "{tmp}/w.yaml"],
                          files={"w.yaml": dump(data)}, expect=["w.yaml:"]))
    hexa = dump(_wl(copy.deepcopy(LAYERS["conv2d"]))) + ""
    hexa = hexa.replace("  groups: 2\n", "  groups: 2\n  sparsity: {pattern: block, size: 0x4, "
                        "sparsity: 0.5}\n")
    cases.append(Case("special:sparsity-block-size-0x4-unquoted", ["describe", "{tmp}/w.yaml"],
                      files={"w.yaml": hexa}, expect=["w.yaml:", "size"]))
    heads: list[tuple[str, str]] = [
        ("empty", ""), ("list", "- 1\n"), ("scalar", "3\n"), ("no-layers", "name: x\n"),
        ("layers-empty", "name: x\nlayers: []\n"), ("layers-map", "name: x\nlayers: {a: 1}\n"),
        ("layer-scalar", "name: x\nlayers: [5]\n"),
        ("batch-zero", "name: x\nbatch: 0\nlayers: [{name: a, op: eltwise, kind: relu, "
                       "shape: [4]}]\n"),
        ("batch-huge", "name: x\nbatch: 1e30\nlayers: [{name: a, op: eltwise, kind: relu, "
                       "shape: [4]}]\n"),
        ("batch-bool", "name: x\nbatch: true\nlayers: [{name: a, op: eltwise, kind: relu, "
                       "shape: [4]}]\n"),
        ("batch-2p63", "name: x\nbatch: 9223372036854775808\nlayers: [{name: a, op: eltwise, "
                       "kind: relu, shape: [4]}]\n"),
        ("precision", "name: x\nprecision: fp7\nlayers: [{name: a, op: eltwise, kind: relu, "
                      "shape: [4]}]\n"),
        ("dup-layer", "name: x\nlayers:\n- {name: a, op: eltwise, kind: relu, shape: [4]}\n"
                      "- {name: a, op: eltwise, kind: relu, shape: [4]}\n"),
        ("cycle", "name: x\nlayers:\n- {name: a, op: eltwise, kind: relu, shape: [4], inputs: [b]}"
                  "\n- {name: b, op: eltwise, kind: relu, shape: [4], inputs: [a]}\n"),
        ("later-producer", "name: x\nlayers:\n- {name: a, op: eltwise, kind: add, shape: [4], "
                           "inputs: [input, b]}\n"
                           "- {name: b, op: eltwise, kind: relu, shape: [4]}\n"),
        ("shape-mismatch", "name: x\nlayers:\n- {name: a, op: eltwise, kind: relu, shape: [4]}\n"
                           "- {name: b, op: linear, in_features: 5, out_features: 2}\n"),
        ("dup-key", "name: x\nname: y\nlayers: [{name: a, op: eltwise, kind: relu, shape: [4]}]\n"),
        ("alias-bomb", BOMB),
        ("masks-missing", "name: x\nmasks: nope.npz\nlayers: [{name: a, op: linear, "
                          "in_features: 4, out_features: 4}]\n"),
        ("masks-dir", "name: x\nmasks: .\nlayers: [{name: a, op: linear, in_features: 4, "
                      "out_features: 4}]\n"),
        ("unknown-top", "name: x\nbatchsize: 2\nlayers: [{name: a, op: eltwise, kind: relu, "
                        "shape: [4]}]\n"),
        ("bad-utf8", "name: \udcff\n"),
    ]
    for name, text in heads:
        if name == "bad-utf8":
            cases.append(Case(f"file:{name}", ["describe", "{tmp}/w.yaml"],
                              files={"w.yaml": b"name: \xff\xfe\n"}, expect=["w.yaml"]))
            continue
        cases.append(Case(f"file:{name}", ["describe", "{tmp}/w.yaml"], files={"w.yaml": text},
                          expect=["w.yaml"]))
    cases.append(Case("file:masks-not-npz", ["describe", "{tmp}/w.yaml"],
                      files={"w.yaml": "name: x\nmasks: m.npz\nlayers: [{name: a, op: linear, "
                             "in_features: 4, out_features: 4}]\n", "m.npz": b"PK\x03\x04junk"},
                      expect=["w.yaml:2"]))
    cases.append(Case("file:missing", ["describe", "{tmp}/nothing.yaml"], expect=["nothing"]))
    cases.append(Case("file:directory", ["describe", "{tmp}"], expect=["director"]))
    return cases


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_workload_yaml(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_cli(case, tmp_path, capsys)

"""``hwsim fields`` and ``hwsim schema``: every field of the bundled files is listed with its
unit, the formats parse, mistakes exit 2 with a guess, and the JSON Schemas accept every
bundled file and reject what the loaders reject."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from hwsim.cli import main
from hwsim.fields_cli import fields_markdown, markdown_escape
from hwsim.schema import (
    LAYERS,
    MEANINGS,
    PATTERNS,
    _Generator,
    json_schema,
    kinds,
    sections,
    select,
    unit_of,
)
from tests.conftest import ARCH_DIR, ROOT, WORKLOAD_DIR

MODEL_DIR = ROOT / "models"
ARCHS = sorted(ARCH_DIR.glob("*.yaml"))
WORKLOADS = sorted(WORKLOAD_DIR.glob("*.yaml"))
MODELS = sorted(MODEL_DIR.glob("*.yaml"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _fields_json(capsys: pytest.CaptureFixture[str], kind: str) -> dict[str, dict[str, Any]]:
    code, out, err = run(capsys, "fields", kind, "--format", "json")
    assert code == 0, err
    return {s["name"]: {f["name"]: f for f in s["fields"]} for s in json.loads(out)["sections"]}


def _yaml_fields(data: dict[str, Any], section: str,
                 listed: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """(section, field) of every key in a bundled arch file, descending into sub-sections
    (not into free-form mappings such as ``sources`` or ``unroll``)."""
    for key, value in data.items():
        yield section, key
        child = (f"{section}.compute.{data['kind']}" if section == "arch" and key == "compute"
                 else f"{section}.{key}")
        if child not in listed:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                yield from _yaml_fields(item, child, listed)


def test_every_field_of_the_bundled_archs_is_listed(capsys):
    listed = _fields_json(capsys, "arch")
    code, table, _ = run(capsys, "fields", "arch")
    assert code == 0
    seen = set()
    for path in ARCHS:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for section, field in _yaml_fields(data, "arch", listed):
            assert field in listed.get(section, {}), f"{path.name}: {section}.{field} not listed"
            assert field in table
            seen.add(section)
    # Every compute kind is bundled, and so is each of the arch's sections.
    assert {f"arch.compute.{k}" for k in ("fpga", "systolic", "tensor_core", "scratchpad")} <= seen
    assert {"arch.dram", "arch.buffers", "arch.interconnect", "arch.sparsity", "arch.link",
            "arch.energy"} <= seen


def test_sections_cover_every_kind_op_and_pattern():
    names = {s.name for s in sections()}
    assert {f"arch.compute.{k}" for k in ("fpga", "systolic", "scratchpad", "tensor_core")} <= names
    assert {f"layer.{op}" for op in ("conv2d", "linear", "matmul", "embedding_bag", "pool",
                                     "eltwise", "allreduce")} == {f"layer.{op}" for op in LAYERS}
    assert {f"layer.{op}" for op in LAYERS} <= names
    assert {f"pattern.{p}" for p in PATTERNS} <= names
    assert {"arch", "arch.dram", "arch.buffers", "arch.interconnect", "arch.link",
            "arch.sparsity", "arch.energy", "workload", "model"} <= names


@pytest.mark.parametrize(("name", "unit"), [
    ("clock_mhz", "MHz"), ("bandwidth_gbps", "GB/s"), ("capacity_kib", "KiB"),
    ("capacity_gib", "GiB"), ("energy_pj_per_bit", "pJ/bit"),
    ("energy_pj_per_bit_mm", "pJ/(bit·mm)"), ("static_power_w", "W"), ("tdp_w", "W"),
    ("launch_overhead_us", "µs"), ("hop_mm", "mm"), ("die_area_mm2", "mm²"),
    ("technology_nm", "nm"), ("bandwidth_bytes_per_cycle", "bytes/cycle"),
    ("smem_kib_per_sm", "KiB/SM"), ("tensor_tflops", "TFLOP/s"), ("mac_pj", "pJ"),
    ("burst_bytes", "bytes"), ("rows", ""), ("nm", ""), ("input_hw", ""),
])
def test_units_from_suffixes(name, unit):
    assert unit_of(name) == unit


def test_json_format(capsys):
    code, out, err = run(capsys, "fields", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert "int8" in data["types"]["precision"]
    by_name = {s["name"]: s for s in data["sections"]}
    assert {s.name for s in sections()} == set(by_name)
    clock = next(f for f in by_name["arch"]["fields"] if f["name"] == "clock_mhz")
    assert clock == {"name": "clock_mhz", "type": "float (> 0)", "unit": "MHz",
                     "required": True, "description": "clock frequency"}
    burst = next(f for f in by_name["arch.dram"]["fields"] if f["name"] == "burst_bytes")
    assert burst["default"] == 64 and not burst["required"]
    glob = next(f for f in by_name["layer.pool"]["fields"] if f["name"] == "global")
    assert glob["default"] is False  # the alias, as the YAML spells it


def test_kind_filters(capsys):
    assert [s.name for s in select("arch.compute.systolic")] == ["arch.compute.systolic"]
    assert [s.name for s in select("layer")] == [f"layer.{op}" for op in LAYERS]
    assert {s.group for s in select("workload")} == {"workload"}
    assert len(select("arch.compute")) == 4
    code, out, _ = run(capsys, "fields", "arch.compute.systolic")
    assert code == 0 and "dataflow" in out and "clock_mhz" not in out
    code, out, _ = run(capsys, "fields", "layer.conv2d")
    assert code == 0 and "in_channels" in out and "in_features" not in out
    code, out, _ = run(capsys, "fields", "model")
    assert code == 0 and "num_key_value_heads" in out and "n_embd" in out


@pytest.mark.parametrize(("kind", "guess"), [
    ("arch.compute.systolc", "arch.compute.systolic"),
    ("conv2d", "layer.conv2d"),
    ("archh", "arch"),
])
def test_unknown_kind_exits_2_with_a_guess(capsys, kind, guess):
    code, out, err = run(capsys, "fields", kind)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("hwsim: error: ")
    assert f"did you mean '{guess}'" in err


def test_unknown_kind_without_a_guess(capsys):
    code, _, err = run(capsys, "fields", "zzzz")
    assert code == 2 and err.count("\n") == 1 and "expected one of arch, workload, model" in err


def test_every_field_has_a_meaning_and_every_meaning_a_field():
    for s in sections():
        for f in s.fields:
            assert f.description, f"{s.name}.{f.name} has no meaning (add description=)"
    classes = {c.__name__: c for s in sections() for c in s.model.__mro__
               if isinstance(c, type) and issubclass(c, BaseModel)}
    names = {f.name for s in sections() for f in s.fields}
    for key in MEANINGS:
        cls, _, name = key.rpartition(".")
        if not cls:
            assert name in names, f"MEANINGS['{key}']: no such field"
            continue
        assert cls in classes, f"MEANINGS['{key}']: no such class"
        # The class, or a listed subclass of it (a key for every pattern), has the field.
        holders = [s.model for s in sections() if classes[cls] in s.model.__mro__]
        assert any(name in {info.alias or n for n, info in m.model_fields.items()}
                   for m in holders), f"MEANINGS['{key}']: {cls} has no field {name}"


def test_markdown_format(capsys):
    code, out, _ = run(capsys, "fields", "arch.compute.systolic", "--format", "markdown")
    assert code == 0
    assert "## `arch.compute.systolic`" in out
    assert "| field | type | unit | default | meaning |" in out
    assert "| `dataflow` | ws \\| os \\| is \\| rs |" in out  # pipes escaped outside code spans


def test_markdown_tables_render_one_cell_per_column():
    markdown = pytest.importorskip("markdown")
    html = markdown.markdown(fields_markdown(select("arch") + select("layer")),
                             extensions=["tables"])
    for row in html.split("<tr>")[1:]:
        assert row.count("<td>") + row.count("<th>") == 5, row


def test_markdown_escape_leaves_code_spans_alone():
    assert markdown_escape("a | b <c> `d | <e>` f*") == "a \\| b &lt;c> `d | <e>` f\\*"
    assert markdown_escape("x\ny", cell=False) == "x\ny"


def test_kinds_are_all_selectable():
    for kind in kinds():
        assert select(kind)


# --- JSON Schema -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validators() -> dict[str, Any]:
    jsonschema = pytest.importorskip("jsonschema")
    out = {}
    for which in ("arch", "workload", "model"):
        schema = json_schema(which)
        jsonschema.Draft202012Validator.check_schema(schema)
        out[which] = jsonschema.Draft202012Validator(schema)
    return out


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", ARCHS, ids=lambda p: p.stem)
def test_schema_accepts_bundled_arch(validators, path):
    errors = [e.message for e in validators["arch"].iter_errors(_load(path))]
    assert not errors


@pytest.mark.parametrize("path", WORKLOADS, ids=lambda p: p.stem)
def test_schema_accepts_bundled_workload(validators, path):
    errors = [e.message for e in validators["workload"].iter_errors(_load(path))]
    assert not errors


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_schema_accepts_bundled_model(validators, path):
    errors = [e.message for e in validators["model"].iter_errors(_load(path))]
    assert not errors


def test_schema_rejects_what_the_loader_rejects(validators):
    base = _load(ARCH_DIR / "gemmini.yaml")
    for change in (
        lambda d: d.update(clock_mhz=-1),
        lambda d: d["dram"].update(bogus=1),
        lambda d: d.update(compute={"unroll": {"K": 4}}),  # an fpga section on a systolic arch
        lambda d: d.update(kind="vliw"),
        lambda d: d["compute"].update(dataflow="xs"),  # no such dataflow
    ):
        data = copy.deepcopy(base)
        change(data)
        assert not validators["arch"].is_valid(data)
    layer = {"name": "c", "op": "conv2d", "in_channels": 3, "out_channels": 8, "kernel": 3,
             "input_hw": [32, 32], "sparsity": {"pattern": "block", "size": "4x4",
                                                "sparsity": 0.5}}
    assert validators["workload"].is_valid({"name": "w", "layers": [layer]})
    assert not validators["workload"].is_valid({"name": "w", "layers": [{**layer, "op": "conv3d"}]})
    assert not validators["workload"].is_valid({"name": "w", "layers": [{**layer, "m": 3}]})
    gpt2 = {"model_type": "gpt2", "n_embd": 768, "n_head": 12, "n_layer": 12,
            "n_positions": 1024, "vocab_size": 50257, "n_inner": None}
    assert validators["model"].is_valid(gpt2)
    assert not validators["model"].is_valid({k: v for k, v in gpt2.items() if k != "n_layer"})


def test_every_before_validator_has_its_inputs_in_the_schema():
    for which in ("arch", "workload", "model"):
        json_schema(which)
    assert not _Generator.unregistered


def test_schema_command(capsys, tmp_path):
    out_file = tmp_path / "arch.schema.json"
    code, out, err = run(capsys, "schema", "arch", "-o", str(out_file))
    assert code == 0, err
    schema = json.loads(out_file.read_text(encoding="utf-8"))
    assert schema["$schema"].endswith("2020-12/schema")
    assert len(schema["properties"]["compute"]["anyOf"]) == 4
    assert "MHz" in schema["properties"]["clock_mhz"]["description"]
    code, out, _ = run(capsys, "schema", "model")
    assert code == 0 and "n_embd" in json.loads(out)["properties"]

"""Validation errors name every problem of a file at once, one located line each (file:line,
field, message), in file order; unknown keys and choices get the closest valid name."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from hwsim.arch.load import load_arch
from hwsim.cli import main
from hwsim.errors import SpecError
from hwsim.yamlio import (
    CombinedSpecError,
    closest,
    combine,
    did_you_mean,
    field_names,
    parse_yaml,
    schema_step,
    validate,
)
from tests.conftest import ARCH_DIR


class Port(BaseModel):
    model_config = ConfigDict(extra="forbid")
    width_bits: int = Field(gt=0)
    mode: Literal["read", "write", "both"] = "both"


class Chip(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    clock_mhz: float = Field(gt=0)
    ports: list[Port] = Field(default_factory=list)
    static_power_w: float | None = None
    tags: dict[str, Port] = Field(default_factory=dict)


def check(text: str) -> SpecError:
    data, lines = parse_yaml(text, "chip.yaml")
    with pytest.raises(SpecError) as err:
        validate(Chip, data, lines)
    return err.value


def test_single_problem_is_one_line_as_before() -> None:
    err = check("name: a\nclock_mhz: -1\n")
    assert str(err) == "chip.yaml:2: field 'clock_mhz': Input should be greater than 0"
    assert not isinstance(err, CombinedSpecError)
    assert (err.file, err.line, err.field) == ("chip.yaml", 2, "clock_mhz")


def test_every_problem_one_line_each_in_file_order() -> None:
    err = check("name: a\nports:\n  - width_bits: 0\n  - width_bits: 8\n    mode: rw\n"
                "clock_mhz: 0\n")
    assert isinstance(err, CombinedSpecError)
    assert str(err).splitlines() == [
        "chip.yaml:3: field 'ports[0].width_bits': Input should be greater than 0",
        "chip.yaml:5: field 'ports[1].mode': Input should be 'read', 'write' or 'both'",
        "chip.yaml:6: field 'clock_mhz': Input should be greater than 0",
    ]
    # the first line is a whole message by itself; the attributes are the first problem's
    assert (err.line, err.field) == (3, "ports[0].width_bits")
    assert [p.line for p in err.problems] == [3, 5, 6]


def test_unknown_key_suggests_the_field() -> None:
    err = check("name: a\nclock_mhz: 1\nstatic_powr_w: 2\n")
    assert str(err) == ("chip.yaml:3: field 'static_powr_w': unknown field "
                        "(did you mean 'static_power_w'?)")
    # a misspelt required field: one problem (not also 'Field required')
    err = check("name: a\nclock_mhs: 1\n")
    assert str(err) == ("chip.yaml:2: field 'clock_mhs': unknown field "
                        "(did you mean 'clock_mhz'?)")
    # nested models and dict values: the names of the model at that place
    err = check("name: a\nclock_mhz: 1\ntags:\n  t:\n    width_bit: 4\n")
    assert str(err) == ("chip.yaml:5: field 'tags.t.width_bit': unknown field "
                        "(did you mean 'width_bits'?)")
    # nothing close: where to look
    err = check("name: a\nclock_mhz: 1\nzzz: 2\n")
    assert "unknown field (hwsim fields lists the valid ones)" in str(err)


def test_choice_suggests_the_closest() -> None:
    err = check("name: a\nclock_mhz: 1\nports:\n  - {width_bits: 8, mode: raed}\n")
    assert str(err).endswith(
        "Input should be 'read', 'write' or 'both' (did you mean 'read'?)")


def test_arch_with_two_mistakes_reports_both(tmp_path: Path, capsys: Any) -> None:
    text = (ARCH_DIR / "gemmini.yaml").read_text(encoding="utf-8")
    text = text.replace("clock_mhz: 1000", "clock_mhz: -5").replace(
        "  bandwidth_gbps: 16.0", "  bandwith_gbps: 16.0")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_arch(bad)
    lines = str(err.value).splitlines()
    line_of = {k: i + 1 for i, ln in enumerate(text.splitlines())
               for k in ("clock_mhz", "bandwith_gbps") if ln.strip().startswith(k)}
    assert lines == [
        f"{bad}:{line_of['clock_mhz']}: field 'clock_mhz': Input should be greater than 0",
        f"{bad}:{line_of['bandwith_gbps']}: field 'dram.bandwith_gbps': unknown field "
        "(did you mean 'bandwidth_gbps'?)",
    ]
    assert main(["run", "--arch", str(bad), "--workload", "lenet5"]) == 2
    printed = capsys.readouterr().err.splitlines()
    assert printed == ["hwsim: error: " + lines[0], lines[1]]


def test_workload_layer_tag_suggests_the_op(tmp_path: Path) -> None:
    from hwsim.workload.io import load_workload

    wl = tmp_path / "w.yaml"
    wl.write_text("name: w\nlayers:\n  - {name: a, op: linaer, in_features: 4, "
                  "out_features: 4}\n", encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_workload(wl)
    assert err.value.line == 3 and err.value.field == "layers[0].op"
    assert "did you mean 'linear'?" in str(err.value)


def test_combined_error_pickles_and_dedupes() -> None:
    a = SpecError("bad", "f.yaml", 4, "x")
    b = SpecError("worse", "f.yaml", 2, "y")
    assert combine([a]) is a
    both = combine([a, b, SpecError("bad", "f.yaml", 4, "x")])
    assert isinstance(both, CombinedSpecError)
    assert str(both).splitlines() == ["f.yaml:2: field 'y': worse", "f.yaml:4: field 'x': bad"]
    again = pickle.loads(pickle.dumps(both))
    assert str(again) == str(both) and again.field == "y"
    with pytest.raises(ValueError):
        combine([])


def test_suggestions() -> None:
    assert closest("row", ["rows", "cols"]) == ["rows"]
    assert closest("k", ["G", "K", "C"]) == ["K"]
    assert closest("cap", ["capacity_kib", "banks"]) == ["capacity_kib"]
    assert closest("zzz", ["rows"]) == []
    assert did_you_mean("bandwith_gbps", ["bandwidth_gbps", "burst_bytes"]) == (
        " (did you mean 'bandwidth_gbps'?)")
    assert did_you_mean("zzz", ["rows"]) == ""


def test_schema_walk() -> None:
    assert field_names(Chip) == ["name", "clock_mhz", "ports", "static_power_w", "tags"]
    assert schema_step(schema_step(Chip, "ports"), 0) is Port
    assert schema_step(schema_step(Chip, "tags"), "anything") is Port
    assert schema_step(Chip, "nope") is None
    assert field_names(schema_step(Chip, "static_power_w")) == []


def test_keep_filters_problems() -> None:
    from pydantic import ValidationError

    from hwsim.yamlio import validation_problems

    data, lines = parse_yaml("name: a\nclock_mhz: 0\nports: [{width_bits: 0}]\n", "chip.yaml")
    with pytest.raises(ValidationError) as exc:
        Chip.model_validate(data)
    every = validation_problems(exc.value, lines, model=Chip)
    assert [p.field for p in every] == ["clock_mhz", "ports[0].width_bits"]
    ports = validation_problems(exc.value, lines, model=Chip, keep=lambda e: e["loc"][0] == "ports")
    assert [p.field for p in ports] == ["ports[0].width_bits"]

"""YAML that cannot hurt: alias bombs and recursive aliases are refused before anything is
constructed, and a mapping may not repeat a key (the last one would silently win)."""

from __future__ import annotations

import itertools
import resource
import time
from pathlib import Path

import pytest

from hwsim.cli import main
from hwsim.errors import SpecError
from hwsim.yamlio import MAX_NODES, load_yaml, parse_yaml


def _bomb(levels: int = 9, width: int = 9) -> str:
    names = [f"l{i}" for i in range(levels)]
    text = f"{names[0]}: &{names[0]} [" + ", ".join(["x"] * width) + "]\n"
    for prev, name in itertools.pairwise(names):
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * width) + "]\n"
    return text


def test_alias_bomb_is_refused_quickly_and_located() -> None:
    text = _bomb()
    assert len(text) < 500
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(SpecError, match="YAML aliases expand to more than 1,000,000 nodes") as ei:
        parse_yaml(text, "bomb.yaml")
    assert time.perf_counter() - start < 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB
    assert ei.value.file == "bomb.yaml" and ei.value.line is not None
    assert "\n" not in str(ei.value)


def test_moderate_aliases_still_load() -> None:
    data, _ = parse_yaml(_bomb(levels=3, width=3), "ok.yaml")
    assert len(data["l2"]) == 3 and data["l2"][0][0] == ["x"] * 3
    merged, _ = parse_yaml("base: &b {k: 1, j: 2}\nx:\n  <<: *b\n  k: 3\n")
    assert merged["x"] == {"k": 3, "j": 2}


def test_limit_counts_expanded_nodes() -> None:
    # ~ MAX_NODES nodes with aliases expanded: 2 levels of 1000 = 1,001,001 + the root
    text = "a: &a [" + ", ".join(["1"] * 1000) + "]\nb: [" + ", ".join(["*a"] * 1000) + "]\n"
    with pytest.raises(SpecError, match=f"more than {MAX_NODES:,}"):
        parse_yaml(text)


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(SpecError, match="recursive") as ei:
        parse_yaml("top:\n  a: &a [1, *a]\n", "rec.yaml")
    assert ei.value.line == 2


@pytest.mark.parametrize(("text", "line", "key"), [
    ("a: 1\nb: 2\na: 3\n", 3, "a"),
    ("outer:\n  x: 1\n  y: 2\n  x: 1\n", 4, "x"),
    ("- {p: 1, p: 2}\n", 1, "p"),
    ("a: 1\n'a': 2\n", 2, "a"),
])
def test_duplicate_keys_are_refused_with_their_line(text: str, line: int, key: str) -> None:
    with pytest.raises(SpecError, match=f"duplicate key '{key}'") as ei:
        parse_yaml(text, "dup.yaml")
    assert ei.value.line == line


def test_distinct_keys_of_different_types_are_kept() -> None:
    data, _ = parse_yaml("1: a\n'1': b\n")
    assert data == {1: "a", "1": "b"}


def test_cli_run_refuses_an_alias_bomb_in_one_line(tmp_path: Path, capsys) -> None:
    arch = tmp_path / "arch.yaml"
    arch.write_text(_bomb(), encoding="utf-8")
    assert main(["run", "--arch", str(arch), "--workload", "lenet5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hwsim: error: ")
    assert "YAML aliases expand to more than" in err and str(arch) in err


def test_load_yaml_refuses_duplicate_keys_in_a_file(tmp_path: Path) -> None:
    p = tmp_path / "w.yaml"
    p.write_text("name: a\nname: b\nlayers: []\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"duplicate key 'name' \(first at line 1\)") as ei:
        load_yaml(p)
    assert ei.value.line == 2 and ei.value.file == str(p)


@pytest.mark.parametrize("text", ["a:\n  {x: 1}: 2\n", "a:\n  ? [1, 2]\n  : 3\n",
                                  "b: &x {k: 1}\nc: *x\na:\n  ? [1, 2]\n  : 3\n"])
def test_a_list_or_mapping_as_a_key_is_a_located_error(text: str) -> None:
    """YAML allows a list or mapping as a key; no hwsim field is one, so it is refused at its
    line (it ended in a TypeError traceback), with or without aliases in the document."""
    with pytest.raises(SpecError, match="a mapping key must be a plain name") as exc:
        parse_yaml(text, "k.yaml")
    assert exc.value.line in (2, 4)

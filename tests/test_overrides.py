"""``set_path``: the value lands at its path, nothing else changes, and the input is never
modified (only the containers along the path are copied; the rest is shared)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwsim.errors import HwsimError
from hwsim.overrides import set_path

BASE = {"compute": {"rows": 16, "cols": 16, "unroll": {"K": 4}},
        "buffers": [{"name": "a", "capacity_kib": 64}, {"name": "b", "capacity_kib": 32}],
        "dram": {"bandwidth_gbps": 8.0}}
PATHS = ["compute.rows", "compute.unroll.K", "compute.unroll.C", "buffers.0.capacity_kib",
         "buffers.1.name", "dram.bandwidth_gbps", "dram.extra.deep", "name"]


def _reference(data: dict, path: str, value: object) -> dict:
    """What set_path gives: a deep copy with the path set (missing sections created)."""
    out = copy.deepcopy(data)
    node = out
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
    if isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value
    return out


@given(st.lists(st.tuples(st.sampled_from(PATHS), st.integers(0, 10**6)), max_size=6))
def test_set_path_equals_a_deep_copy_and_never_changes_its_input(sets):
    before = copy.deepcopy(BASE)
    data, expected = BASE, BASE
    for path, value in sets:
        data = set_path(data, path, value)
        expected = _reference(expected, path, value)
    assert data == expected
    assert before == BASE  # the base (a sweep's, shared by every point) is untouched


@pytest.mark.parametrize("path", ["buffers.7.capacity_kib", "buffers.x.name",
                                  "compute.rows.deep"])
def test_bad_paths_are_errors_and_change_nothing(path):
    before = copy.deepcopy(BASE)
    with pytest.raises(HwsimError):
        set_path(BASE, path, 1)
    assert before == BASE

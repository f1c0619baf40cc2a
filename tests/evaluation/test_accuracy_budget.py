"""Iso-accuracy comparisons and budget queries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwsim import evaluate, load_arch, load_workload
from hwsim.errors import SpecError
from hwsim.evaluation.accuracy import (
    Point,
    iso_accuracy,
    load_accuracy_table,
    sparsity_at,
)
from hwsim.evaluation.budget import largest_submodel, within_budget_rate

TABLE = """pattern,sparsity,accuracy,note
dense,,76.1,baseline
unstructured,0.5,76.0,
unstructured,0.7,75.6,
unstructured,0.9,73.9,
channel,0.3,75.2,
channel,0.5,73.5,
2:4,,75.9,
"""


@pytest.fixture
def table(tmp_path):
    p = tmp_path / "acc.csv"
    p.write_text(TABLE)
    return load_accuracy_table(p)


def test_table_reads_curves_and_fixed_patterns(table):
    assert table.dense == 76.1
    assert [q.sparsity for q in table.curves["unstructured"]] == [0.5, 0.7, 0.9]
    assert table.curves["2:4"][0].sparsity == 0.5  # fixed by the pattern


def test_sparsity_at_interpolates_and_never_extrapolates(table):
    u = table.curves["unstructured"]
    # 75.1 lies between 75.6 (0.7) and 73.9 (0.9): 0.7 + 0.2 * 0.5 / 1.7
    assert sparsity_at(u, 75.1) == pytest.approx(0.7 + 0.2 * 0.5 / 1.7)
    assert sparsity_at(u, 70.0) == 0.9  # every point meets it: the largest measured
    assert sparsity_at(u, 76.05) is None  # no measured point is that accurate


@given(st.lists(st.tuples(st.floats(0.01, 0.99), st.floats(0, 100)), min_size=1, max_size=6,
                unique_by=lambda t: round(t[0], 6)),
       st.floats(0, 100))
def test_sparsity_at_meets_the_target(points, target):
    curve = tuple(Point(s, a, 0) for s, a in sorted(points))
    s = sparsity_at(curve, target)
    if s is None:
        assert all(q.accuracy < target for q in curve)
    else:
        assert curve[0].sparsity <= s <= curve[-1].sparsity
        assert max(q.sparsity for q in curve if q.accuracy >= target) <= s \
            if any(q.accuracy >= target for q in curve) else True


@pytest.mark.parametrize("text, message", [
    ("pattern,accuracy\ndense,70\n", "needs the columns"),
    ("pattern,sparsity,accuracy\nunstructured,0.5,75\n", "no 'dense' row"),
    ("pattern,sparsity,accuracy\ndense,,76\nunstructured,1.5,75\n", "outside"),
    ("pattern,sparsity,accuracy\ndense,,76\nunstructured,0.5,high\n", "not a number"),
    ("pattern,sparsity,accuracy\ndense,,76\nnope,0.5,75\n", "unknown pattern"),
    ("pattern,sparsity,accuracy\ndense,,76\nunstructured,,75\n", "needs a sparsity"),
])
def test_table_mistakes_are_located(tmp_path, text, message):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(SpecError, match=message):
        load_accuracy_table(p)


def test_iso_accuracy_rows(table):
    arch = load_arch("gemmini", {"sparsity.skip": "unstructured"})
    rows = iso_accuracy(load_workload("lenet5"), [arch], table, 75.1)
    by = {r.pattern: r for r in rows}
    assert by["dense"].speedup == 1.0
    assert by["unstructured"].accuracy == pytest.approx(75.1)
    assert by["channel"].sparsity == pytest.approx(0.3 + 0.2 * 0.1 / 1.7)
    for r in rows:
        if r.pattern != "dense":
            assert r.speedup is not None and r.speedup >= 1.0 - 1e-9
    strict = iso_accuracy(load_workload("lenet5"), [arch], table, 76.05)
    assert {r.pattern for r in strict if r.latency_s is None} == {"unstructured", "channel",
                                                                   "2:4"}


def test_budget_channel_rate_is_the_smallest_that_fits():
    wl, arch = load_workload("resnet18"), load_arch("gemmini")
    dense = evaluate(wl, arch).totals["latency_s"]
    r = within_budget_rate(wl, arch, {"latency_s": 0.7 * dense}, "channel", step=0.05)
    assert r.value is not None and r.latency_s is not None and r.latency_s <= 0.7 * dense
    rate = float(r.value.split("%")[0]) / 100
    # one grid step less pruning misses the budget
    from hwsim.sparsity.spec import parse_sparsity

    less = evaluate(wl, arch, sparsity=parse_sparsity(f"channel:sparsity={rate - 0.05:.2f}"))
    assert less.totals["latency_s"] > 0.7 * dense
    none = within_budget_rate(wl, arch, {"latency_s": 1e-9}, "channel", step=0.2)
    assert none.value is None and none.evaluated == 5


def test_budget_submodel_picks_the_largest_that_fits():
    arch = load_arch("tpu_v1")
    nets = [load_workload(n) for n in ("lenet5", "resnet18", "resnet50")]
    t18 = evaluate(nets[1], arch).totals["latency_s"]
    r = largest_submodel(nets, arch, {"latency_s": t18 * 1.01})
    assert r.value == "resnet18"
    assert largest_submodel(nets, arch, {"latency_s": 1.0}).value == "resnet50"

"""The safe expression evaluator and vectorised Pareto fronts (hand-made and property tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.sweep import filter_rows, front_mask, pareto_front
from hwsim.sweep.expr import ExprError, evaluate_expr, parse_expr

# --- expressions ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("a * b <= 4096", True),
    ("a + b * 2 - 1", 64 + 16 * 2 - 1),
    ("a // 3 % 5", 64 // 3 % 5),
    ("a ** 2 / 4", 1024.0),
    ("-a < b < 100 and not b == 3", True),
    ("a > 100 or b > 100", False),
    ("1 < 2 < 1", False),
    ("name == 'gemmini'", True),
])
def test_expressions_evaluate(text: str, value: object) -> None:
    assert evaluate_expr(text, {"a": 64, "b": 16, "name": "gemmini"}) == value


@pytest.mark.parametrize("text", [
    "a.real", "__import__('os')", "open('x')", "a[0]", "lambda: 1", "[x for x in a]",
    "(a := 3)", "a if b else 0", "{1: 2}", "f'{a}'", "a is None", "b in (1, 2)", "None",
    "a.__class__.__mro__",
])
def test_refused_constructs(text: str) -> None:
    with pytest.raises(ExprError):
        evaluate_expr(text, {"a": 1, "b": 2})


def test_expression_errors() -> None:
    with pytest.raises(ExprError, match="unknown name 'c'"):
        evaluate_expr("c > 1", {"a": 1})
    with pytest.raises(ExprError, match="too large"):
        evaluate_expr("10 ** 10 ** 10", {})
    with pytest.raises(ExprError, match="invalid expression"):
        parse_expr("a <")
    with pytest.raises(ExprError, match="cannot compute"):
        evaluate_expr("a / 0", {"a": 1})


def test_expressions_vectorise() -> None:
    df = pd.DataFrame({"x": [1, 2, 3, 4], "w": ["a", "b", "a", "a"], "param.k": [0, 1, 0, 1]})
    got = filter_rows(df, "x >= 2 and w == 'a' or param_k == 1 and not x == 4")
    assert got["x"].tolist() == [2, 3, 4]
    assert filter_rows(df, "1 < x <= 3")["x"].tolist() == [2, 3]


# --- Pareto --------------------------------------------------------------------------------


def test_front_hand_made() -> None:
    #            0    1    2    3    4    5    6    7(nan) 8 (copy of 1)
    x = np.array([1.0, 2.0, 3.0, 2.0, 4.0, 1.0, 5.0, np.nan, 2.0])
    y = np.array([5.0, 3.0, 3.0, 4.0, 1.0, 6.0, 1.0, 0.0, 3.0])
    # 2 dominated by 1 (same y, larger x); 3 by 1; 5 by 0; 6 by 4 (same y, larger x)
    assert np.flatnonzero(front_mask(x, y)).tolist() == [0, 1, 4, 8]


def test_pareto_front_dataframe_and_maximize() -> None:
    df = pd.DataFrame({"latency_s": [1.0, 2.0, 3.0, 4.0], "energy_j": [4.0, 2.0, 3.0, 1.0],
                       "utilization": [0.1, 0.5, 0.9, 0.2], "workload": ["a", "a", "a", "b"]})
    front = pareto_front(df, "latency_s", "energy_j")
    assert front.index.tolist() == [0, 1, 3]
    front = pareto_front(df, "latency_s", "utilization", maximize=["utilization"])
    assert front.index.tolist() == [0, 1, 2]
    front = pareto_front(df, "latency_s", "energy_j", query="workload == 'a'")
    assert front.index.tolist() == [0, 1]


def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[0] and a[1] <= b[1] and (a[0] < b[0] or a[1] < b[1])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=1, max_size=60))
def test_front_property(pts: list[tuple[int, int]]) -> None:
    x = np.array([p[0] for p in pts], dtype=float)
    y = np.array([p[1] for p in pts], dtype=float)
    mask = front_mask(x, y)
    for i, p in enumerate(pts):
        dominated = any(dominates(q, p) for q in pts)
        # no front point is dominated; every non-front point is dominated (by a front point)
        assert mask[i] == (not dominated)
        if not mask[i]:
            assert any(dominates(pts[j], p) for j in np.flatnonzero(mask))

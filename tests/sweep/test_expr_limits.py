"""Constraint and filter expressions cannot exhaust the machine: their length, nesting,
integers (in bits) and repeated strings or lists are bounded and checked before computing;
a spec's constraint beyond them is a located error at load, and one that fails only for some
swept values a located error while planning. Hypothesis fuzzes the evaluator: random
expressions finish and raise nothing but ExprError."""

from __future__ import annotations

from contextlib import AbstractContextManager, suppress
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.cli import main
from hwsim.errors import HwsimError, SpecError
from hwsim.sweep import load_sweep, run_sweep
from hwsim.sweep.expr import (
    MAX_CHARS,
    MAX_DEPTH,
    MAX_SEQUENCE,
    ExprError,
    evaluate_expr,
    parse_expr,
)
from hwsim.sweep.grid import points
from tests.conftest import time_limit
from tests.sweep.test_sweep import SMALL, write

#: Generous bound on one evaluation (the worst takes milliseconds; before the bounds,
#: ``((((10**64)**64)**64)**64)`` took a minute and one more level hung).
LIMIT_S = 20


def bounded(seconds: int = LIMIT_S) -> AbstractContextManager[None]:
    """Fail (instead of hanging the suite) if the block runs longer than ``seconds``."""
    return time_limit(seconds, "the block")


ENV: dict[str, Any] = {"a": 64, "b": -3, "f": 2.5, "s": "ab", "l": [1, 2], "z": 0,
                       "big": 10**300}


@pytest.mark.parametrize(("text", "message"), [
    ("((((10**64)**64)**64)**64)", "bits, too large"),
    ("(((((10**64)**64)**64)**64)**64)", "bits, too large"),
    ("2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 "
     "* 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64"
     " * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64"
     " * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64"
     " * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64"
     " * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64"
     " * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64"
     " * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64 * 2 ** 64", "bits"),
    ("big * big * big * big * big", "bits, too large"),
    ("'a' * 10**9", "too large"),
    ("10**9 * 'a'", "too large"),
    ("s * 10**9", "too large"),
    ("l * 10**9", "too large"),
    ("('ab' * 50000) + ('ab' * 50000)", "too large"),
    ("'%999999999d' % 1", "formatting"),
    ("-" * 900 + "1", "nested too deeply"),
    ("not " * 200 + "1", "nested too deeply"),
    ("+".join(["1"] * (MAX_DEPTH + 5)), "nested too deeply"),
    ("(" * 300 + "1" + ")" * 300, "invalid expression"),
    ("1 + " * 400 + "1", "too long"),
    ("9" * 600 + " ** 3", "bits, too large"),
    ("1e999 > 1", "not allowed"),
    ("1e300 ** 64", "too large for a number"),
    ("f ** 1e9", "exponent"),
    ("(-8) ** 0.5", "not a real number"),
    ("2 ** 's'", "not a number"),
    ("-s", "cannot compute"),
    ("a / z", "cannot compute"),
    ("a % z", "cannot compute"),
    ("s < a", "cannot compare"),
])
def test_hostile_expressions_are_refused_quickly(text: str, message: str) -> None:
    with bounded(), pytest.raises(ExprError, match=message) as ei:
        evaluate_expr(text, ENV)
    assert "\n" not in str(ei.value) and len(str(ei.value)) < 400


def test_values_within_the_bounds_still_compute() -> None:
    assert evaluate_expr("2 ** 64", {}) == 2**64
    assert evaluate_expr("(2 ** 63) ** 64 > 0", {}) is True  # 4033 bits: within the bound
    assert evaluate_expr("'ab' * 3 == 'ababab'", {}) is True
    assert evaluate_expr("l * 2", ENV) == [1, 2, 1, 2]
    assert evaluate_expr("-" * 50 + "a", ENV) == 64
    assert evaluate_expr("0.5 ** 64 < 1e-19", {}) is True
    assert evaluate_expr("(-2) ** 63", {}) == -(2**63)
    big = "1" * 990  # about 3,300 bits, as long as an expression may be
    assert evaluate_expr(f"{big} > 0", {}) is True


def test_hostile_names_are_bounded_too() -> None:
    with pytest.raises(ExprError, match=r"value of 'x'.*bits"):
        evaluate_expr("x > 0", {"x": 10**5000})
    with pytest.raises(ExprError, match="value of 'x'"):
        evaluate_expr("x == ''", {"x": "a" * (MAX_SEQUENCE + 1)})
    col = pd.Series(["ab", "c", "d"])
    with bounded(), pytest.raises(ExprError, match="too large"):
        evaluate_expr("w * 1000000000 == 'x'", {"w": col})
    with pytest.raises(ExprError, match="formatting"):
        evaluate_expr("w % 3", {"w": col})
    with pytest.raises(ExprError, match="cannot compute"):
        evaluate_expr("x and w", {"x": np.array([1, 2]), "w": np.array([1, 2, 3])})
    assert evaluate_expr("w + w == 'abab'", {"w": col}).tolist() == [True, False, False]


def test_expression_text_is_bounded() -> None:
    with pytest.raises(ExprError, match=f"at most {MAX_CHARS}"):
        parse_expr("a" * (MAX_CHARS + 1))
    parse_expr("a" * MAX_CHARS)  # a long name is fine
    with pytest.raises(ExprError, match="must be text"):
        parse_expr(3)  # type: ignore[arg-type]


# --- fuzzing -------------------------------------------------------------------------------

_NAMES = st.sampled_from([*sorted(ENV), "arr", "col", "nope"])
_LEAVES = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["10**64", "2**4096", "0", "1", "-1", "True", "False", "1e308", "0.0",
                     "1e-320"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=4).map(repr),
    _NAMES,
)
_BINARY = st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">",
                           ">=", "and", "or"])


def _expressions() -> st.SearchStrategy[str]:
    return st.recursive(
        _LEAVES,
        lambda inner: st.one_of(
            st.tuples(inner, _BINARY, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, _BINARY, inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
            st.tuples(st.sampled_from(["-", "+", "not "]), inner).map(lambda t: t[0] + t[1]),
        ),
        max_leaves=24,
    )


FUZZ_ENV = {**ENV, "arr": np.array([1, 2, 3]), "col": pd.Series(["x", "yy", "x"])}


@settings(max_examples=400, deadline=None)
@given(_expressions())
def test_fuzzed_expressions_finish_and_raise_only_expr_errors(text: str) -> None:
    with bounded():
        try:
            evaluate_expr(text, FUZZ_ENV)
        except ExprError as exc:
            assert "\n" not in str(exc)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789abs()+-*/%<>=! .'\"e*,[]{}:")),
               max_size=200))
def test_fuzzed_text_finishes_and_raises_only_expr_errors(text: str) -> None:
    with bounded(), suppress(ExprError):
        evaluate_expr(text, FUZZ_ENV)


# --- in a sweep spec -----------------------------------------------------------------------

LINE = 13  # of the first constraint in SMALL


@pytest.mark.parametrize("constraint", [
    "((((10**64)**64)**64)**64) > compute_rows",
    "-" * 500 + "compute_rows > 0",
    "compute_rows < " + "1 + " * 300 + "1",
])
def test_hostile_constraint_is_located_at_load(tmp_path: Path, constraint: str) -> None:
    text = SMALL.replace("compute_rows * compute_cols <= 16 * dram_bandwidth_gbps",
                         f"'{constraint}'" if constraint.startswith("-") else constraint)
    with bounded(), pytest.raises(SpecError) as ei:
        load_sweep(write(tmp_path, text))
    assert ei.value.line == LINE and ei.value.field == "constraints[0]"


@pytest.mark.parametrize(("constraint", "message"), [
    ("compute_rows // (dram_bandwidth_gbps - 4) >= 0", "by zero"),
    ("compute_rows * 10**7 * 'x' != ''", "too large"),
    ("(compute_rows * (2**60) ** 30) ** dram_bandwidth_gbps > 0", "bits, too large"),
])
def test_constraint_failing_for_some_values_is_located_when_planned(
        tmp_path: Path, constraint: str, message: str, capsys: pytest.CaptureFixture[str],
) -> None:
    spec = write(tmp_path, SMALL.replace(
        "compute_rows * compute_cols <= 16 * dram_bandwidth_gbps", constraint))
    sweep = load_sweep(spec)  # loads: the constraint is fine for some values
    with bounded(), pytest.raises(SpecError, match=message) as ei:
        list(points(sweep))
    err = ei.value
    assert err.file == str(spec) and err.line == LINE and err.field == "constraints[0]"
    assert "dram_bandwidth_gbps=" in str(err)  # the values it fails with
    out = tmp_path / "r.parquet"
    with bounded():
        assert main(["sweep", str(spec), "-o", str(out), "-q"]) == 2
    err_text = capsys.readouterr().err
    assert err_text.count("\n") == 1 and f"sweep.yaml:{LINE}: field 'constraints[0]'" in err_text
    assert not out.exists()
    with pytest.raises(HwsimError):
        run_sweep(sweep, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.yaml"]

"""A small, safe expression language for sweep constraints and result filters.

Expressions are parsed with :mod:`ast` and *interpreted* node by node; nothing is passed to
``eval`` or ``exec``. Allowed: numbers, strings, booleans, names (looked up in a mapping),
``+ - * / // % **``, unary ``- + not``, comparisons (``== != < <= > >=``, chained), and
``and`` / ``or``. Everything else (attribute access, subscripts, calls, lambdas,
comprehensions, ...) is refused with an :class:`ExprError`.

Values may be scalars or array-likes (numpy arrays, pandas Series): boolean operators then work
element-wise, so the same expression filters a whole results table at once.

An expression cannot exhaust the machine: its text, nesting depth, integers (in bits) and
repeated strings or lists are bounded, and every bound is checked *before* the value that
would break it is computed, so the worst expression finishes in well under a second.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from hwsim.errors import HwsimError
from hwsim.yamlio import did_you_mean

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_CMPOPS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
#: Largest exponent accepted by ``**`` (stops ``10 ** 10 ** 10`` from hanging a sweep).
MAX_EXPONENT = 64
#: Longest expression text, in characters (constraints and filters are one-liners).
MAX_CHARS = 1000
#: Deepest nesting of the parsed expression (``-(-(-...))``, ``1+1+...+1``): the evaluator
#: recurses once per level, so this also keeps it far from Python's recursion limit.
MAX_DEPTH = 100
#: Largest integer, in bits, that a constant, a name's value or any intermediate result may
#: have (``((10**64)**64)**64`` would need 2.6 million bits and a minute to compute).
MAX_INT_BITS = 4096
#: Longest string or list that ``*`` and ``+`` may build (``'a' * 10**9`` would take a GB).
MAX_SEQUENCE = 100_000


class ExprError(HwsimError):
    """An expression that is malformed, uses a refused construct or an unknown name, or whose
    value cannot be computed (division by zero, a number or string beyond the bounds)."""


def parse_expr(text: str) -> ast.Expression:
    """Parse and check ``text``; raise ExprError for syntax errors, refused constructs, or an
    expression beyond the bounds on length, nesting depth and integer constants."""
    if not isinstance(text, str):
        raise ExprError(f"an expression must be text, got {type(text).__name__}")
    shown = _short(text)
    if len(text) > MAX_CHARS:
        raise ExprError(f"'{shown}': expression of {len(text)} characters is too long "
                        f"(at most {MAX_CHARS})")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"'{shown}': invalid expression ({exc.msg})") from None
    except (RecursionError, MemoryError, ValueError):  # the parser's own depth limits
        raise ExprError(f"'{shown}': expression is nested too deeply "
                        f"(at most {MAX_DEPTH} levels)") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_dotted(node):
            dotted = _dotted(node)
            raise ExprError(f"'{shown}': write the field {dotted} as {dotted.replace('.', '_')} "
                            "(names use _ where paths use .)")
        if not isinstance(node, _ALLOWED):
            raise ExprError(f"'{shown}': {type(node).__name__} is not allowed "
                            "(only arithmetic, comparisons, and/or/not, names and numbers)")
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, (int, float, str)) or (
                    isinstance(node.value, float) and not math.isfinite(node.value)):
                raise ExprError(f"'{shown}': constant {_short(repr(node.value), 20)} is not "
                                "allowed")
            _check_value(node.value, "constant")
    depth = _depth(tree)
    if depth > MAX_DEPTH:
        raise ExprError(f"'{shown}': expression is nested too deeply ({depth} levels, at most "
                        f"{MAX_DEPTH})")
    _check_constant_parts(tree.body, shown)
    return tree


def _check_constant_parts(node: ast.AST, shown: str) -> None:
    """Compute every part of the expression that reads no name (``10**64**64 > rows``), so
    that one beyond the bounds is refused when the expression is read (a spec: at load),
    not later for each point."""
    if not isinstance(node, ast.expr):  # an operator or a context: nothing to compute
        return
    if not any(isinstance(n, ast.Name) for n in ast.walk(node)):
        try:
            _evaluate_node(node, {})
        except ExprError as exc:
            raise ExprError(f"'{shown}': {exc}") from None
        return
    for child in ast.iter_child_nodes(node):
        _check_constant_parts(child, shown)


_ALLOWED = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Name, ast.Load,
    ast.Constant, ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, *_BINOPS, *_CMPOPS,
)


def _short(text: str, limit: int = 80) -> str:
    """``text`` as quoted in a message: one line, at most ``limit`` characters."""
    one = " ".join(text.split())
    return one if len(one) <= limit else one[:limit - 3] + "..."


def _depth(tree: ast.AST) -> int:
    """Nesting depth of ``tree``, computed without recursion (the tree may be very deep)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in ast.iter_child_nodes(node)
                     if not isinstance(child, (ast.expr_context, ast.operator, ast.cmpop,
                                               ast.unaryop, ast.boolop)))
    return deepest


def _is_dotted(node: ast.AST) -> bool:
    """Whether ``node`` is a plain dotted name (``compute.rows``)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _dotted(node: ast.AST) -> str:
    """The text of a plain dotted name (``_is_dotted``), built without ``ast.unparse``."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    assert isinstance(node, ast.Name)
    return ".".join([node.id, *reversed(parts)])


def names_in(tree: ast.Expression) -> set[str]:
    """Every name an expression reads."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def evaluate_expr(tree: ast.Expression | str, names: Mapping[str, Any]) -> Any:
    """Value of a parsed (or textual) expression with ``names`` bound; ExprError (and no
    other exception) when it cannot be computed within the bounds."""
    if isinstance(tree, str):
        tree = parse_expr(tree)
    with np.errstate(all="ignore"):  # element-wise x / 0 is inf, as in pandas; no warning
        return _evaluate_node(tree.body, names)


def _is_array(v: Any) -> bool:
    return hasattr(v, "__array__") and not isinstance(v, (int, float, str, bool))


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _check_value(v: Any, what: str) -> Any:
    """``v`` unless it is an integer beyond MAX_INT_BITS or a string or list beyond
    MAX_SEQUENCE (``what`` names it in the message)."""
    if isinstance(v, int) and v.bit_length() > MAX_INT_BITS:
        raise ExprError(f"{what} is an integer of {v.bit_length()} bits, too large "
                        f"(at most {MAX_INT_BITS} bits)")
    if isinstance(v, (str, bytes, list, tuple)) and len(v) > MAX_SEQUENCE:
        raise ExprError(f"{what} has {len(v)} elements or characters, too many "
                        f"(at most {MAX_SEQUENCE:,})")
    return v


def _seq_len(v: Any) -> int | None:
    """Length of a string or list operand (for arrays of strings or objects: the longest
    element's), or None for numbers and numeric arrays."""
    if isinstance(v, (str, bytes, list, tuple)):
        return len(v)
    if _is_array(v):
        dtype = getattr(v, "dtype", None)
        kind = getattr(dtype, "kind", "")
        if kind in "US" and dtype is not None:
            return max(1, dtype.itemsize // (4 if kind == "U" else 1))
        if kind in "OT":
            values = np.asarray(v, dtype=object).ravel()
            return max((len(x) for x in values if isinstance(x, (str, bytes, list, tuple))),
                       default=None)
    return None


def _has_strings(v: Any) -> bool:
    """Whether ``v`` is a string, or an array holding strings (``%`` would format them)."""
    if isinstance(v, (str, bytes)):
        return True
    if _is_array(v):
        kind = getattr(getattr(v, "dtype", None), "kind", "")
        if kind in "UST":
            return True
        if kind == "O":
            return any(isinstance(x, (str, bytes)) for x in np.asarray(v, dtype=object).ravel())
    return False


def _repeat_count(v: Any) -> int | None:
    """The integer a sequence would be repeated by (numbers only; arrays: their largest)."""
    if _is_int(v):
        return int(v)
    if _is_array(v) and getattr(getattr(v, "dtype", None), "kind", "") in "iu":
        arr = np.asarray(v)
        return int(arr.max()) if arr.size else 0
    return None


def _check_binop(op: ast.operator, left: Any, right: Any) -> None:
    """Refuse ``left op right`` before computing it when the result would exceed a bound."""
    if isinstance(op, ast.Pow):
        if _is_int(right) or isinstance(right, float):
            if abs(right) > MAX_EXPONENT:
                raise ExprError(f"exponent {right} is too large (at most {MAX_EXPONENT})")
            if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
                bits = int(right) * math.log2(abs(int(left)))
                if bits > MAX_INT_BITS:
                    raise ExprError(f"{_short(str(left), 20)} ** {right} has about {bits:.0f} "
                                    f"bits, too large (at most {MAX_INT_BITS} bits)")
        elif not _is_array(right) and not isinstance(right, (bool, np.number)):
            raise ExprError(f"cannot compute: exponent {_short(repr(right), 20)} is not a number")
    elif isinstance(op, ast.Mult):
        if _is_int(left) and _is_int(right):
            bits = int(left).bit_length() + int(right).bit_length()
            if bits > MAX_INT_BITS + 1:
                raise ExprError(f"product has about {bits} bits, too large "
                                f"(at most {MAX_INT_BITS} bits)")
        for seq, count in ((left, right), (right, left)):
            n, times = _seq_len(seq), _repeat_count(count)
            if n is not None and times is not None and n * max(times, 0) > MAX_SEQUENCE:
                raise ExprError(f"repeating {n} characters or elements {times} times is too "
                                f"large (at most {MAX_SEQUENCE:,})")
    elif isinstance(op, ast.Add):
        a, b = _seq_len(left), _seq_len(right)
        if a is not None and b is not None and a + b > MAX_SEQUENCE:
            raise ExprError(f"joining {a} and {b} characters or elements is too large "
                            f"(at most {MAX_SEQUENCE:,})")
    elif isinstance(op, ast.Mod) and _has_strings(left):
        raise ExprError("cannot compute: % of a string (formatting) is not allowed")


def _real(v: Any) -> Any:
    """``v`` unless it is a complex number (``(-8) ** 0.5``), which no constraint compares."""
    if isinstance(v, complex) or (_is_array(v)
                                  and getattr(getattr(v, "dtype", None), "kind", "") == "c"):
        raise ExprError("cannot compute: the result is not a real number")
    return v


#: What numpy, pandas and Python raise for operands that do not fit an operator.
_COMPUTE_ERRORS = (ZeroDivisionError, OverflowError, TypeError, ValueError, ArithmeticError,
                   IndexError, KeyError, NotImplementedError)


def _evaluate_node(node: ast.AST, names: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in names:
            known = ", ".join(sorted(names)) or "none"
            raise ExprError(f"unknown name '{node.id}'{did_you_mean(node.id, names)} "
                            f"(known: {known})")
        return _check_value(names[node.id], f"the value of '{node.id}'")
    if isinstance(node, ast.BinOp):
        left, right = _evaluate_node(node.left, names), _evaluate_node(node.right, names)
        _check_binop(node.op, left, right)
        try:
            out = _BINOPS[type(node.op)](left, right)
        except MemoryError:
            raise ExprError("cannot compute: out of memory") from None
        except OverflowError:
            raise ExprError("cannot compute: the result is too large for a number") from None
        except _COMPUTE_ERRORS as exc:
            raise ExprError(f"cannot compute: {_short(str(exc), 120)}") from None
        if isinstance(out, float) and not math.isfinite(out):
            raise ExprError(f"cannot compute: the result is {out} (too large for a number, "
                            "or undefined)")
        return _check_value(_real(out), "a result")
    if isinstance(node, ast.UnaryOp):
        v = _evaluate_node(node.operand, names)
        try:
            if isinstance(node.op, ast.Not):
                return np.logical_not(v) if _is_array(v) else not v
            return -v if isinstance(node.op, ast.USub) else +v
        except _COMPUTE_ERRORS as exc:
            raise ExprError(f"cannot compute: {_short(str(exc), 120)}") from None
    if isinstance(node, ast.BoolOp):
        values = [_evaluate_node(v, names) for v in node.values]
        try:
            if any(_is_array(v) for v in values):
                fn = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
                out = values[0]
                for v in values[1:]:
                    out = fn(out, v)
                return out
            return all(values) if isinstance(node.op, ast.And) else any(values)
        except _COMPUTE_ERRORS as exc:
            raise ExprError(f"cannot compute: {_short(str(exc), 120)}") from None
    if isinstance(node, ast.Compare):
        left = _evaluate_node(node.left, names)
        result: Any = True
        for op, comp in zip(node.ops, node.comparators):
            right = _evaluate_node(comp, names)
            try:
                r = _CMPOPS[type(op)](left, right)
                result = np.logical_and(result, r) if _is_array(r) else (result and r)
            except _COMPUTE_ERRORS as exc:
                raise ExprError(f"cannot compare: {_short(str(exc), 120)}") from None
            left = right
        return result
    raise ExprError(f"{type(node).__name__} is not allowed")  # pragma: no cover (parse_expr)

"""A small, safe expression language for sweep constraints and result filters.

Expressions are parsed with :mod:`ast` and *interpreted* node by node; nothing is passed to
``eval`` or ``exec``. Allowed: numbers, strings, booleans, names (looked up in a mapping),
``+ - * / // % **``, unary ``- + not``, comparisons (``== != < <= > >=``, chained), and
``and`` / ``or``. Everything else (attribute access, subscripts, calls, lambdas,
comprehensions, ...) is refused with an :class:`ExprError`.

Values may be scalars or array-likes (numpy arrays, pandas Series): boolean operators then work
element-wise, so the same expression filters a whole results table at once.
"""

from __future__ import annotations

import ast
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


class ExprError(HwsimError):
    """An expression that is malformed, uses a refused construct or an unknown name."""


def parse_expr(text: str) -> ast.Expression:
    """Parse and check ``text``; raise ExprError for syntax errors or refused constructs."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"'{text}': invalid expression ({exc.msg})") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_dotted(node):
            dotted = ast.unparse(node)
            raise ExprError(f"'{text}': write the field {dotted} as {dotted.replace('.', '_')} "
                            "(names use _ where paths use .)")
        if not isinstance(node, _ALLOWED):
            raise ExprError(f"'{text}': {type(node).__name__} is not allowed "
                            "(only arithmetic, comparisons, and/or/not, names and numbers)")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str)):
            raise ExprError(f"'{text}': constant {node.value!r} is not allowed")
    return tree


_ALLOWED = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Name, ast.Load,
    ast.Constant, ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, *_BINOPS, *_CMPOPS,
)


def _is_dotted(node: ast.AST) -> bool:
    """Whether ``node`` is a plain dotted name (``compute.rows``)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def names_in(tree: ast.Expression) -> set[str]:
    """Every name an expression reads."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def evaluate_expr(tree: ast.Expression | str, names: Mapping[str, Any]) -> Any:
    """Value of a parsed (or textual) expression with ``names`` bound."""
    if isinstance(tree, str):
        tree = parse_expr(tree)
    return _evaluate_node(tree.body, names)


def _is_array(v: Any) -> bool:
    return hasattr(v, "__array__") and not isinstance(v, (int, float, str, bool))


def _evaluate_node(node: ast.AST, names: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in names:
            known = ", ".join(sorted(names)) or "none"
            raise ExprError(f"unknown name '{node.id}'{did_you_mean(node.id, names)} "
                            f"(known: {known})")
        return names[node.id]
    if isinstance(node, ast.BinOp):
        left, right = _evaluate_node(node.left, names), _evaluate_node(node.right, names)
        if isinstance(node.op, ast.Pow) and not _is_array(right) and abs(right) > MAX_EXPONENT:
            raise ExprError(f"exponent {right} is too large (at most {MAX_EXPONENT})")
        try:
            return _BINOPS[type(node.op)](left, right)
        except (ZeroDivisionError, TypeError) as exc:
            raise ExprError(f"cannot compute: {exc}") from None
    if isinstance(node, ast.UnaryOp):
        v = _evaluate_node(node.operand, names)
        if isinstance(node.op, ast.Not):
            return np.logical_not(v) if _is_array(v) else not v
        return -v if isinstance(node.op, ast.USub) else +v
    if isinstance(node, ast.BoolOp):
        values = [_evaluate_node(v, names) for v in node.values]
        if any(_is_array(v) for v in values):
            fn = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            out = values[0]
            for v in values[1:]:
                out = fn(out, v)
            return out
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare):
        left = _evaluate_node(node.left, names)
        result: Any = True
        for op, comp in zip(node.ops, node.comparators):
            right = _evaluate_node(comp, names)
            try:
                r = _CMPOPS[type(op)](left, right)
            except TypeError as exc:
                raise ExprError(f"cannot compare: {exc}") from None
            result = np.logical_and(result, r) if _is_array(r) else (result and r)
            left = right
        return result
    raise ExprError(f"{type(node).__name__} is not allowed")  # pragma: no cover (parse_expr)

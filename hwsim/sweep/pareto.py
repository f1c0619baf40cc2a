"""Pareto fronts of sweep results, vectorised: sort once, then a cumulative minimum.

Importable from notebooks: ``from hwsim.sweep import load_results, pareto_front``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from hwsim.errors import HwsimError
from hwsim.sweep.expr import evaluate_expr, parse_expr


def load_results(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A sweep's results (Parquet) as a DataFrame, every page verified against its checksum
    (hwsim.sweep.store.read_results): changed bytes are one error line, never changed
    numbers."""
    from hwsim.sweep.store import read_results

    p = Path(path)
    if not p.is_file():
        raise HwsimError(f"{p}: no such results file")
    return read_results(p, columns).to_pandas()


def front_mask(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Points not dominated when minimising both ``x`` and ``y`` (O(n log n)).

    ``a`` dominates ``b`` when a <= b in both and < in at least one; identical points do not
    dominate each other, so all copies of a front point are on the front. NaN is never on it.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    out = np.zeros(len(x), dtype=bool)
    idx = np.flatnonzero(ok)
    if len(idx) == 0:
        return out
    order = idx[np.lexsort((y[idx], x[idx]))]
    xs, ys = x[order], y[order]
    run_min = np.minimum.accumulate(ys)
    prev_min = np.concatenate(([np.inf], run_min[:-1]))
    # x of the first point (smallest x) that reached each running minimum
    improved = np.concatenate(([True], ys[1:] < run_min[:-1]))
    first_at = np.maximum.accumulate(np.where(improved, np.arange(len(ys)), 0))
    x_prev_first = np.concatenate(([np.inf], xs[first_at[:-1]]))
    dominated = (prev_min < ys) | ((prev_min == ys) & (x_prev_first < xs))
    out[order] = ~dominated
    return out


def pareto_front(df: pd.DataFrame, x: str, y: str, maximize: Sequence[str] = (),
                 query: str | None = None) -> pd.DataFrame:
    """Rows of ``df`` on the Pareto front of columns ``x`` and ``y`` (minimised, except those
    named in ``maximize``), sorted by ``x``. ``query`` filters rows first (see filter_rows)."""
    for col in (x, y):
        if col not in df.columns:
            raise HwsimError(f"no column '{col}' (columns: {', '.join(map(str, df.columns))})")
    if query:
        df = filter_rows(df, query)
    xs = df[x].to_numpy(dtype=float) * (-1.0 if x in maximize else 1.0)
    ys = df[y].to_numpy(dtype=float) * (-1.0 if y in maximize else 1.0)
    front = df[front_mask(xs, ys)]
    return front.sort_values([x, y], ascending=[x not in maximize, y not in maximize])


def column_names(df: pd.DataFrame) -> dict[str, str]:
    """Identifier form of each column for expressions: ``param.compute.rows`` ->
    ``param_compute_rows`` (the plain name also works when it is an identifier)."""
    out = {}
    for c in df.columns:
        out[str(c).replace(".", "_")] = str(c)
    return out


def filter_rows(df: pd.DataFrame, expression: str) -> pd.DataFrame:
    """Rows where the safe expression holds, e.g. ``workload == 'resnet50' and level == 0``."""
    tree = parse_expr(expression)
    env = {name: df[col] for name, col in column_names(df).items()}
    mask = evaluate_expr(tree, env)
    if np.ndim(mask) == 0:
        return df if bool(mask) else df.iloc[0:0]
    return df[np.asarray(mask, dtype=bool)]

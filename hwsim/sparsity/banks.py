"""Bank conflicts of a vector gather from a banked scratchpad (bank of column c = c mod banks).

A gather of L activations takes as many cycles as its busiest bank serves elements; these are
the expected busiest-bank loads of the column sets that sparsity patterns gather.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np


def distinct_banks_cycles(lanes: int, banks: int) -> float:
    """Cycles of a gather whose lanes hit distinct banks (dense rows, balanced rows): one per
    ``banks`` lanes, at least one."""
    return max(1.0, lanes / banks)


@lru_cache(maxsize=256)
def expected_max_bin_load(balls: int, bins: int) -> float:
    """E[max load] of ``balls`` thrown uniformly into ``bins`` (exact, via the multinomial
    distribution's CDF of the maximum computed by dynamic programming over bins)."""
    if balls <= 0:
        return 0.0
    if bins <= 1:
        return float(balls)
    # P(max <= m) = balls! / bins^balls * [x^balls] (sum_{j<=m} x^j / j!)^bins
    total = 0.0
    fact = np.array([math.exp(-math.lgamma(j + 1)) for j in range(balls + 1)])
    for m in range(balls):
        poly = np.zeros(balls + 1)
        poly[: m + 1] = fact[: m + 1]
        acc = np.zeros(balls + 1)
        acc[0] = 1.0
        base, e = poly, bins
        while e:  # exponentiation by squaring, truncated at degree ``balls``
            if e & 1:
                acc = np.convolve(acc, base)[: balls + 1]
            base = np.convolve(base, base)[: balls + 1]
            e >>= 1
        p_le = acc[balls] * math.exp(math.lgamma(balls + 1) - balls * math.log(bins))
        total += 1.0 - min(1.0, p_le)
    return total


@lru_cache(maxsize=256)
def nm_gather_conflicts(n: int, m: int, lanes: int, banks: int, draws: int = 4000) -> float:
    """E[busiest bank] when a vector gathers the nonzeros of consecutive n:m groups: group g
    starts at column m*g (bank m*g mod banks) and keeps n random columns of its m. Seeded
    simulation of that exact mapping (deterministic)."""
    rng = np.random.default_rng(12345)
    groups = math.ceil(lanes / n)
    offs = np.argsort(rng.random((draws, groups, m)), axis=2)[:, :, :n]  # n distinct offsets
    cols = (np.arange(groups)[None, :, None] * m + offs).reshape(draws, -1)[:, :lanes]
    bank = cols % banks
    counts = np.zeros((draws, banks), dtype=np.int64)
    np.add.at(counts, (np.arange(draws)[:, None], bank), 1)
    return float(counts.max(axis=1).mean())

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


#: Above this many balls the exact DP (quadratic in balls per level) gives way to independent
#: Poisson bins, whose error is far below a percent there (checked in the tests).
EXACT_MAX_BALLS = 1024


@lru_cache(maxsize=256)
def expected_max_bin_load(balls: int, bins: int) -> float:
    """E[max load] of ``balls`` thrown uniformly into ``bins``.

    Exact up to ``EXACT_MAX_BALLS`` by Poissonization: with i.i.d. Poisson(balls/bins) bin
    loads, P(max <= m | total = balls) = [y^balls] (sum_{j<=m} pois(j) y^j)^bins /
    pois_balls(balls), where every coefficient is a probability (no overflow at any size).
    The maximum is at least ceil(balls/bins); the sum over m stops once P(max <= m) is 1 to
    double precision. Beyond, bins are taken as independent Poisson variables.
    """
    if balls <= 0:
        return 0.0
    if bins <= 1:
        return float(balls)
    lam = balls / bins
    low = math.ceil(lam)  # P(max <= m) = 0 below the mean load
    js = np.arange(balls + 1)
    log_pois = js * math.log(lam) - lam - np.array([math.lgamma(j + 1) for j in js])
    pois = np.exp(log_pois)
    if balls > EXACT_MAX_BALLS:
        cdf = np.cumsum(pois)
        tail = 1.0 - np.minimum(cdf[low:], 1.0) ** bins
        return float(low + tail.sum())
    # P(Poisson(balls) = balls): the normaliser of the conditioning on the total.
    norm = math.exp(balls * math.log(balls) - balls - math.lgamma(balls + 1))
    total = float(low)
    for m in range(low, balls):
        poly = np.zeros(balls + 1)
        poly[: m + 1] = pois[: m + 1]
        acc = np.zeros(balls + 1)
        acc[0] = 1.0
        base, e = poly, bins
        while e:  # exponentiation by squaring, truncated at degree ``balls``
            if e & 1:
                acc = np.convolve(acc, base)[: balls + 1]
            base = np.convolve(base, base)[: balls + 1]
            e >>= 1
        p_le = min(1.0, acc[balls] / norm)
        if p_le >= 1.0 - 1e-15:
            break
        total += 1.0 - p_le
    return float(total)


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

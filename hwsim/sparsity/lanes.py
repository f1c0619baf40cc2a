"""Load of lockstep lanes: the expected busiest of several rows with i.i.d. nonzeros.

Lanes that advance together wait for the lane with the most nonzeros, so imbalance is an
expected maximum of binomial row loads.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1 << 16)  # a pure function of three numbers, asked again for every mapping
def expected_max_binomial(n: int, p: float, lanes: int) -> float:
    """E[max of ``lanes`` i.i.d. Binomial(n, p)] = sum_k (1 - F(k)^lanes), k = 0..n-1."""
    if n <= 0 or p <= 0.0:
        return 0.0
    if p >= 1.0 or lanes <= 1:
        return n * min(p, 1.0)
    k = np.arange(n)
    from scipy import stats  # deferred: importing it costs ~1 s at start-up
    cdf = stats.binom.cdf(k, n, p)
    return float(np.sum(1.0 - cdf**lanes))

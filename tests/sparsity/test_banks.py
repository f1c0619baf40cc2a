"""Expected busiest-bank load of a gather: exact small cases, Monte Carlo, and wide vectors
(hundreds to 10^5 lanes) without overflow or hangs."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim.sparsity.banks import EXACT_MAX_BALLS, expected_max_bin_load


def test_hand_cases():
    assert expected_max_bin_load(3, 2) == pytest.approx(2.25)  # 3-0 w.p. 1/4, 2-1 w.p. 3/4
    assert expected_max_bin_load(2, 2) == pytest.approx(1.5)
    assert expected_max_bin_load(5, 1) == 5.0
    assert expected_max_bin_load(0, 8) == 0.0


@pytest.mark.parametrize("balls,bins", [(32, 32), (64, 32), (256, 32), (1500, 64)])
def test_against_monte_carlo(balls, bins):
    rng = np.random.default_rng(7)
    draws = 4000
    loads = np.zeros((draws, bins), dtype=np.int64)
    np.add.at(loads, (np.repeat(np.arange(draws), balls), rng.integers(0, bins, draws * balls)),
              1)
    mc = loads.max(axis=1).mean()
    assert expected_max_bin_load(balls, bins) == pytest.approx(mc, rel=0.01)


def test_poisson_branch_joins_the_exact_one():
    exact = expected_max_bin_load(EXACT_MAX_BALLS, 32)
    approx = expected_max_bin_load(EXACT_MAX_BALLS + 1, 32)
    assert approx == pytest.approx(exact, rel=0.005)
    assert approx > exact  # one more ball never lowers the maximum


def test_very_wide_gathers_are_finite_and_bounded():
    for balls in (171, 4096, 100_000):
        v = expected_max_bin_load(balls, 32)
        assert np.isfinite(v)
        assert balls / 32 <= v <= balls

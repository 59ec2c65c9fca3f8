"""The inverted permutation interval of a correlation, by brute force and by hand."""

from __future__ import annotations

import math
from itertools import permutations

import numpy as np
import pytest
from scipy import stats

from cma_research import ParameterError
from cma_research.stats.correlation import permutation_ci


def brute_force_p(x: np.ndarray, y: np.ndarray, rho0: float) -> float:
    """Two-sided p of rho = rho0: every ordering of the residuals y* - rho0 x* (the
    centred, unit-length ranks) against x*, statistic x* . e (Manly 2007, sect. 8.3)."""
    a = stats.rankdata(x) - stats.rankdata(x).mean()
    b = stats.rankdata(y) - stats.rankdata(y).mean()
    a, b = a / np.sqrt((a**2).sum()), b / np.sqrt((b**2).sum())
    e = b - rho0 * a
    observed = abs(a @ e)
    hits = sum(abs(a[list(p)] @ e) >= observed - 1e-12 for p in permutations(range(len(x))))
    return hits / math.factorial(len(x))


def test_bounds_are_where_the_brute_force_p_crosses_alpha() -> None:
    x = np.array([1.0, 3, 2, 5, 4, 7, 6])
    y = np.array([2.0, 1, 2, 4, 5, 5, 7])
    low, high, how = permutation_ci("spearman", x, y, n_perm=0, rng=np.random.default_rng(0))
    assert how == "inverted permutation test (5040 orderings)"
    r = stats.spearmanr(x, y).statistic
    assert low < r < high
    # just inside each bound the test does not reject; just outside it does
    assert brute_force_p(x, y, low + 1e-4) > 0.05 >= brute_force_p(x, y, low - 1e-4)
    if high < 1:
        assert brute_force_p(x, y, high - 1e-4) > 0.05 >= brute_force_p(x, y, high + 1e-4)
    # at rho0 = 0 it is the ordinary permutation test of no association
    assert (low > 0) == (brute_force_p(x, y, 0.0) <= 0.05)


def test_pearson_and_monte_carlo() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=30)
    y = 0.6 * x + rng.normal(size=30)
    low, high, how = permutation_ci("pearson", x, y, n_perm=2000, rng=rng)
    assert how == "inverted permutation test (2000 random permutations)"
    r = stats.pearsonr(x, y).statistic
    fisher = np.tanh(np.arctanh(r) + np.array([-1, 1]) * 1.96 / np.sqrt(27))
    # near Fisher's at the lower bound; towards rho0 = 1 the residuals b - rho0 a grow
    # and the test loses power, so the upper bound lies further out (this asymmetry is
    # what benchmarks/bench_coverage.py measures)
    assert abs(low - fisher[0]) < 0.1 and fisher[1] - 0.02 < high <= 1


def test_undefined_and_refused() -> None:
    rng = np.random.default_rng(0)
    flat = permutation_ci("spearman", np.ones(5), np.arange(5.0), n_perm=10, rng=rng)
    assert np.isnan(flat[0]) and flat[2].startswith("undefined")
    with pytest.raises(ParameterError, match="kendall"):
        permutation_ci("kendall", np.arange(5.0), np.arange(5.0), n_perm=10, rng=rng)

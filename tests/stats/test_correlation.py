"""Array-level correlation tests: permutation p (exact and Monte Carlo) against brute
force, scipy and R's enumeration."""

from __future__ import annotations

import math
from itertools import permutations

import numpy as np
import pytest
from scipy import stats

from cma_research import ParameterError
from cma_research.stats.correlation import estimate, permutation_ci, permutation_p
from tests.stats.results import results_resampling as R
from tests.stats.test_resampling import SCIPY, spearman_vec

# -- permutation p-values ---------------------------------------------------------------


def brute_force_p(method: str, x: np.ndarray, y: np.ndarray) -> float:
    """Share of all n! orderings of y with |r*| >= |r| (scipy for every ordering)."""
    r = SCIPY[method](x, y)
    hits = [abs(SCIPY[method](x, y[list(p)])) >= abs(r) - 1e-9 for p in permutations(range(len(x)))]
    return float(np.mean(hits))


@pytest.mark.parametrize("method", ["spearman", "pearson", "kendall"])
def test_exact_permutation_p_equals_brute_force(method: str) -> None:
    # n = 6, ties in both variables (levels): 720 orderings enumerated
    x = np.array([1.0, 3.0, 2.0, 2.0, 5.0, 4.0])
    y = np.array([0.0, 2.0, 1.0, 3.0, 3.0, 2.0])
    r = SCIPY[method](x, y)
    res = permutation_p(method, x, y, r, n_perm=10, rng=np.random.default_rng(0))
    assert res.method == "exact permutation (720 orderings)"
    np.testing.assert_allclose(res.p_value, brute_force_p(method, x, y), rtol=0, atol=1e-15)


def test_exact_permutation_p_equals_scipy_permutation_test() -> None:
    # no ties in x, so the null distribution is symmetric and scipy's two-sided
    # 2 * min(P(<= r), P(>= r)) is the same as P(|r*| >= |r|)
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    y = np.array([2.0, 1.0, 4.0, 3.0, 3.0, 6.0, 5.0])
    r = SCIPY["spearman"](x, y)
    # one sample, as scipy's documentation does for correlations: permuting y alone gives
    # the 7! pairings (passing (x, y) would enumerate 7!^2 redundant reorderings)
    ref = stats.permutation_test(
        (y,),
        lambda b: stats.spearmanr(x, b).statistic,
        permutation_type="pairings",
        n_resamples=np.inf,
    )
    res = permutation_p("spearman", x, y, r, n_perm=10, rng=np.random.default_rng(0))
    assert res.method == "exact permutation (5040 orderings)"
    np.testing.assert_allclose(res.p_value, ref.pvalue, rtol=1e-12)


def test_monte_carlo_p_is_never_zero_and_seeded() -> None:
    x = np.arange(12.0)
    # perfectly correlated: only the identity (and reversal) reach |r| = 1, probability
    # 2/12! ~ 4e-9 per draw, so b = 0 and p = (0 + 1)/(m + 1)
    res = permutation_p("spearman", x, 2 * x, 1.0, n_perm=2000, rng=np.random.default_rng(1))
    assert res.method == "Monte Carlo permutation (2000 draws)"
    np.testing.assert_allclose(res.p_value, 1 / 2001, rtol=1e-12)
    rng = np.random.default_rng(7)
    xs, ys = rng.normal(size=12), rng.normal(size=12)
    r = SCIPY["pearson"](xs, ys)
    a = permutation_p("pearson", xs, ys, r, n_perm=3000, rng=np.random.default_rng(3))
    b = permutation_p("pearson", xs, ys, r, n_perm=3000, rng=np.random.default_rng(3))
    c = permutation_p("pearson", xs, ys, r, n_perm=3000, rng=np.random.default_rng(4))
    assert a == b
    assert a.p_value != c.p_value
    # the (b + 1)/(m + 1) form: a multiple of 1/3001
    hits = a.p_value * 3001 - 1
    np.testing.assert_allclose(hits, round(hits), atol=1e-8)


@pytest.mark.parametrize("method", ["spearman", "kendall"])
def test_monte_carlo_p_within_error_of_the_exact_p(method: str) -> None:
    """n = 9 (9! = 362,880 > 40,320): the Monte Carlo branch.

    The exact p is enumerated here over all 9! orderings (vectorised, scipy's ranks), and
    scipy.stats.permutation_test with 100,000 resamples is a second Monte Carlo estimate.
    With m = 20,000 draws the SE of our p is sqrt(p (1 - p) / m) ~ 0.0022 at p ~ 0.11;
    allowed: 4 SE plus the 1/(m + 1) bias of the (b + 1)/(m + 1) rule; against scipy
    4 SE of the difference of two MC estimates.
    """
    x = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9])
    y = np.array([2.0, 1, 3, 3, 5, 2, 4, 5, 3])
    r = SCIPY[method](x, y)
    m = 20_000
    res = permutation_p(method, x, y, r, n_perm=m, rng=np.random.default_rng(11))
    assert res.method == f"Monte Carlo permutation ({m} draws)"

    perms = np.array(list(permutations(range(9))), dtype=np.intp)
    if method == "spearman":
        a, b = stats.rankdata(x), stats.rankdata(y)
        a, b = a - a.mean(), b - b.mean()
        null = (b[perms] @ a) / np.sqrt((a @ a) * (b @ b))
    else:
        # tau-b = S / sqrt((n0 - n1)(n0 - n2)): n0 = 9*8/2 = 36 pairs, no ties in x (n1 = 0),
        # y ties {1: 2,2}, {3,3,3}, {5,5} -> n2 = 1 + 3 + 1 = 5; S over all ordered pairs / 2
        sx = np.sign(x[:, None] - x[None, :])
        yp = y[perms]
        s = np.zeros(len(perms))
        for i in range(9):
            s += (sx[i][None, :] * np.sign(yp[:, [i]] - yp)).sum(axis=1)
        null = s / 2 / np.sqrt(36 * (36 - 5))
    np.testing.assert_allclose(null[0], r, rtol=1e-12)  # perms[0] is the identity
    exact = float(np.mean(np.abs(null) >= abs(r) - 1e-9))
    assert 0.02 < exact < 0.5  # a p where the comparison has power
    se = np.sqrt(exact * (1 - exact) / m)
    assert abs(res.p_value - exact) < 4 * se + 1 / (m + 1)

    if method == "spearman":
        ref = stats.permutation_test(
            (y,),
            lambda b, axis=-1: spearman_vec(np.broadcast_to(x, b.shape), b, axis=axis),
            permutation_type="pairings",
            n_resamples=100_000,
            vectorized=True,
            rng=np.random.default_rng(3),
        )
        se2 = np.sqrt(exact * (1 - exact) * (1 / m + 1 / 100_000))
        assert abs(res.p_value - ref.pvalue) < 4 * se2 + 1 / (m + 1)


# -- against R (tests/stats/results/results_resampling.py) -------------------------------------
# All 8! orderings enumerated in R, section "block 2" of tests/reference/cw2007_reference.R.


@pytest.mark.parametrize("method", ["spearman", "kendall", "pearson"])
def test_exact_permutation_p_matches_r_enumeration(method: str) -> None:
    # R enumerated all 8! orderings of staff for the first 8 complete cases (its own
    # recursive generator); our exact branch enumerates them independently.
    ref = R.exact_permutation[method]
    x = np.array(R.x_mean_cc, dtype=float)
    y = np.array(R.y_staff, dtype=float)
    r, _ = estimate(method, x, y)
    np.testing.assert_allclose(r, ref["observed"], rtol=1e-10, atol=1e-12)
    res = permutation_p(method, x, y, r, n_perm=0, rng=np.random.default_rng(0))
    assert res.method == "exact permutation (40320 orderings)"
    assert res.p_value == pytest.approx(ref["p_two_sided"], abs=1e-12)


# -- the inverted permutation interval (permutation_ci) ----------------------------------


def inverted_p(x: np.ndarray, y: np.ndarray, rho0: float) -> float:
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
    assert inverted_p(x, y, low + 1e-4) > 0.05 >= inverted_p(x, y, low - 1e-4)
    if high < 1:
        assert inverted_p(x, y, high - 1e-4) > 0.05 >= inverted_p(x, y, high + 1e-4)
    # at rho0 = 0 it is the ordinary permutation test of no association
    assert (low > 0) == (inverted_p(x, y, 0.0) <= 0.05)


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

"""Weighted-cell statistics, jackknife, BCa and permutation p against scipy and brute force."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest
from scipy import stats
from scipy.special import ndtr, ndtri

from cma_research.stats.permutation import permutation_p
from cma_research.stats.resampling import (
    Cells,
    bca_interval,
    bca_interval_mc,
    bootstrap_distribution,
    jackknife,
    kendall_w,
    pearson_w,
    spearman_w,
)

SCIPY = {
    "spearman": lambda a, b: stats.spearmanr(a, b).statistic,
    "pearson": lambda a, b: stats.pearsonr(a, b).statistic,
    "kendall": lambda a, b: stats.kendalltau(a, b).statistic,  # tau-b
}
WEIGHTED = {"spearman": spearman_w, "pearson": pearson_w, "kendall": kendall_w}


def spearman_vec(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    """spearmanr's statistic along an axis (scipy's average ranks, then Pearson).

    scipy.stats.spearmanr cannot be vectorised over resamples; calling it once per
    resample makes scipy.stats.bootstrap take ~9 s, this ~0.1 s. test_spearman_vec checks
    it against spearmanr.
    """
    ra, rb = stats.rankdata(a, axis=axis), stats.rankdata(b, axis=axis)
    ra = ra - ra.mean(axis=axis, keepdims=True)
    rb = rb - rb.mean(axis=axis, keepdims=True)
    return (ra * rb).sum(axis) / np.sqrt((ra * ra).sum(axis) * (rb * rb).sum(axis))


def discrete_pairs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Audit-like paired data: levels 0-5 against a tied, correlated covariate."""
    x = rng.integers(0, 6, n).astype(float)
    y = np.round(0.6 * x + rng.normal(0, 1.3, n))
    return x, y


def test_spearman_vec(rng: np.random.Generator) -> None:
    x, y = discrete_pairs(rng, 25)
    np.testing.assert_allclose(spearman_vec(x, y), SCIPY["spearman"](x, y), rtol=1e-13)
    idx = rng.integers(0, 25, (5, 25))
    np.testing.assert_allclose(
        spearman_vec(x[idx], y[idx]),
        [SCIPY["spearman"](x[i], y[i]) for i in idx],
        rtol=1e-13,
    )


def test_cells_from_pairs(rng: np.random.Generator) -> None:
    x, y = discrete_pairs(rng, 40)
    cells = Cells.from_pairs(x, y)
    assert cells.n == 40
    # every (x, y) pair once, with its multiplicity
    for cx, cy, c in zip(cells.x, cells.y, cells.count, strict=True):
        assert c == np.sum((x == cx) & (y == cy))
    assert cells.kx == len(np.unique(x)) and cells.ky == len(np.unique(y))


@pytest.mark.parametrize("method", ["spearman", "pearson", "kendall"])
@pytest.mark.parametrize("kind", ["tied", "continuous"])
def test_weighted_statistic_equals_scipy_on_expanded_sample(
    method: str, kind: str, rng: np.random.Generator
) -> None:
    if kind == "tied":
        x, y = discrete_pairs(rng, 40)
    else:
        x = rng.normal(size=15)
        y = x + rng.normal(size=15)
    cells = Cells.from_pairs(x, y)
    # bootstrap-like weights: multinomial cell counts, many of them 0
    w = rng.multinomial(cells.n, cells.count / cells.n, size=60).astype(float)
    got = WEIGHTED[method](cells, w)
    expected = [
        SCIPY[method](np.repeat(cells.x, wi.astype(int)), np.repeat(cells.y, wi.astype(int)))
        for wi in w
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_weighted_statistic_of_constant_sample_is_nan() -> None:
    cells = Cells.from_pairs(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 2.0]))
    w = np.array([[3.0, 0.0, 0.0], [2.0, 1.0, 0.0]])  # x constant, then y constant
    for stat in WEIGHTED.values():
        assert np.isnan(stat(cells, w)).all()


@pytest.mark.parametrize("method", ["spearman", "pearson", "kendall"])
def test_jackknife_equals_brute_force_leave_one_out(method: str, rng: np.random.Generator) -> None:
    x, y = discrete_pairs(rng, 30)
    cells = Cells.from_pairs(x, y)
    theta, weight = jackknife(method, cells)
    np.testing.assert_array_equal(weight, cells.count)
    # brute force: drop each raw observation in turn, scipy on the remaining 29
    for i in range(len(x)):
        cell = np.flatnonzero((cells.x == x[i]) & (cells.y == y[i]))[0]
        loo = SCIPY[method](np.delete(x, i), np.delete(y, i))
        np.testing.assert_allclose(theta[cell], loo, rtol=1e-10, atol=1e-12)


def test_bca_interval_is_the_textbook_formula(rng: np.random.Generator) -> None:
    """Given the same bootstrap draws, the interval is Efron & Tibshirani (1993) eq. 14.10.

    z0 = Phi^-1(share of boot < theta, ties counted half);
    a = sum(u^3) / (6 sum(u^2)^1.5), u_i = mean(theta_(i)) - theta_(i) (leave-one-out, by
    brute force with scipy); alpha_1,2 = Phi(z0 + (z0 + z)/(1 - a (z0 + z))) with
    z = -+1.96; the interval is the linear-interpolated alpha_1, alpha_2 quantiles of boot.
    """
    x, y = discrete_pairs(rng, 20)
    cells = Cells.from_pairs(x, y)
    r = SCIPY["spearman"](x, y)
    boot = bootstrap_distribution("spearman", cells, 4000, np.random.default_rng(5))
    got = bca_interval("spearman", cells, r, 4000, np.random.default_rng(5))

    z0 = ndtri((np.sum(boot < r) + np.sum(boot <= r)) / (2 * len(boot)))
    loo = np.array([SCIPY["spearman"](np.delete(x, i), np.delete(y, i)) for i in range(20)])
    u = loo.mean() - loo
    a = (u**3).sum() / (6 * (u**2).sum() ** 1.5)
    z = ndtri(0.025)
    levels = [ndtr(z0 + (z0 + zz) / (1 - a * (z0 + zz))) for zz in (z, -z)]
    np.testing.assert_allclose(got, np.quantile(boot, levels), rtol=1e-10)


def test_bca_interval_agrees_with_scipy_within_monte_carlo_error() -> None:
    """Same interval as scipy.stats.bootstrap(method="BCa", paired=True) up to MC error.

    Both are Monte Carlo estimates of the same BCa interval (a multinomial draw of cell
    counts is the same resampling as drawing indices with replacement). Each side is
    run with K = 6 seeds at B = 20,000 resamples on n = 30; the MC standard error of an
    endpoint is estimated from the spread over the seeds (about 0.005 for the lower and
    0.0015 for the upper endpoint here), and the means over seeds must agree within
    4 standard errors of their difference, sqrt((s_ours^2 + s_scipy^2) / K).
    """
    data_rng = np.random.default_rng(1)
    x, y = discrete_pairs(data_rng, 30)
    cells = Cells.from_pairs(x, y)
    r = SCIPY["spearman"](x, y)
    k, b = 6, 20_000
    ours = np.array(
        [bca_interval("spearman", cells, r, b, np.random.default_rng(s)) for s in range(k)]
    )
    theirs = np.array(
        [
            tuple(
                stats.bootstrap(
                    (x, y),
                    spearman_vec,
                    paired=True,
                    vectorized=True,
                    n_resamples=b,
                    method="BCa",
                    rng=np.random.default_rng(100 + s),
                ).confidence_interval
            )
            for s in range(k)
        ]
    )
    se = np.sqrt((ours.var(axis=0, ddof=1) + theirs.var(axis=0, ddof=1)) / k)
    assert (se < 0.01).all()  # the estimate of MC error itself is sane
    np.testing.assert_array_less(np.abs(ours.mean(axis=0) - theirs.mean(axis=0)), 4 * se)


def test_bca_interval_is_reproducible_for_a_seed(rng: np.random.Generator) -> None:
    x, y = discrete_pairs(rng, 16)
    cells = Cells.from_pairs(x, y)
    r = SCIPY["spearman"](x, y)
    first = bca_interval("spearman", cells, r, 2000, np.random.default_rng(42))
    again = bca_interval("spearman", cells, r, 2000, np.random.default_rng(42))
    other = bca_interval("spearman", cells, r, 2000, np.random.default_rng(43))
    assert first == again
    assert first != other
    assert first[0] < r < first[1]


def test_bca_interval_degenerate_is_nan() -> None:
    x = np.array([1.0, 1.0, 1.0, 2.0])
    cells = Cells.from_pairs(x, x)
    # perfectly monotone data: every resample with two distinct x gives 1, others NaN
    assert np.isnan(bca_interval("spearman", cells, 1.0, 200, np.random.default_rng(0))).all()


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


def test_monte_carlo_se_of_the_bounds_by_hand(rng: np.random.Generator) -> None:
    """bca_interval_mc: the interval is bca_interval's; the SE is the SD of the bounds
    recomputed on 100 resamples (with replacement) of the same replicates, drawn from
    rng.spawn(1) so that the caller's stream continues exactly as after bca_interval."""
    x, y = discrete_pairs(rng, 20)
    cells = Cells.from_pairs(x, y)
    r = SCIPY["spearman"](x, y)
    gen = np.random.default_rng(5)
    low, high, se_low, se_high = bca_interval_mc("spearman", cells, r, 3000, gen)
    plain = np.random.default_rng(5)
    assert (low, high) == bca_interval("spearman", cells, r, 3000, plain)
    assert gen.random() == plain.random()  # the same stream afterwards
    # by hand: the same replicates, resampled with the spawned generator
    ref = np.random.default_rng(5)
    boot = bootstrap_distribution("spearman", cells, 3000, ref)
    child = ref.spawn(1)[0]
    again = []
    for _ in range(100):
        sample = boot[child.integers(0, 3000, 3000)]
        # the bound at the same BCa levels; the acceleration is the data's (unchanged)
        again.append(bca_interval_from(sample, r, cells))
    np.testing.assert_allclose([se_low, se_high], np.std(again, axis=0, ddof=1), rtol=1e-12)


def bca_interval_from(boot: np.ndarray, r: float, cells: Cells) -> tuple[float, float]:
    """BCa bounds from given replicates (Efron & Tibshirani eq. 14.10), jackknife by hand."""
    theta, weight = jackknife("spearman", cells)
    n = weight.sum()
    u = (n - 1) * ((weight * theta).sum() / n - theta)
    a = ((weight * u**3).sum() / n**3) / (6 * ((weight * u**2).sum() / n**2) ** 1.5)
    z0 = ndtri((np.sum(boot < r) + np.sum(boot <= r)) / (2 * len(boot)))
    z = ndtri(0.025)
    levels = [ndtr(z0 + (z0 + zz) / (1 - a * (z0 + zz))) for zz in (z, -z)]
    low, high = np.quantile(boot, levels)
    return float(low), float(high)


# -- against R (tests/stats/results/results_resampling.py) -------------------------------------
# All 8! orderings enumerated in R, tests/stats/results/make_results.R.

from tests.stats.results import results_resampling as R  # noqa: E402


@pytest.mark.parametrize("method", ["spearman", "kendall", "pearson"])
def test_exact_permutation_p_matches_r_enumeration(method: str) -> None:
    # R enumerated all 8! orderings of staff for the first 8 complete cases (its own
    # recursive generator); our exact branch enumerates them independently.
    from cma_research.stats.correlation import estimate

    ref = R.exact_permutation[method]
    x = np.array(R.x_mean_cc, dtype=float)
    y = np.array(R.y_staff, dtype=float)
    r, _ = estimate(method, x, y)
    np.testing.assert_allclose(r, ref["observed"], rtol=1e-10, atol=1e-12)
    res = permutation_p(method, x, y, r, n_perm=0, rng=np.random.default_rng(0))
    assert res.method == "exact permutation (40320 orderings)"
    assert res.p_value == pytest.approx(ref["p_two_sided"], abs=1e-12)

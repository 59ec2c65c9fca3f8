"""Weighted-cell statistics, jackknife and BCa intervals against scipy and brute force."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import ndtr, ndtri

from cma_research.stats.resampling import (
    Cells,
    bca_bounds,
    bca_interval,
    bca_interval_mc,
    bootstrap_distribution,
    jackknife,
    kendall_w,
    pearson_w,
    resampled_bca_bounds,
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


REPLICATES = {
    "smooth": lambda g: g.normal(0.3, 0.2, 4000),
    "tied": lambda g: np.round(g.normal(0.3, 0.2, 4000), 2),
    "two values": lambda g: g.integers(0, 2, 4000).astype(float),
    "nearly constant": lambda g: np.where(g.random(4000) < 0.998, 0.5, 0.7),
}


@pytest.mark.parametrize("kind", list(REPLICATES))
@pytest.mark.parametrize("estimate", [0.3, 0.5, -1.0])
def test_resampled_bounds_are_bca_bounds_of_each_resample_bit_for_bit(
    kind: str, estimate: float
) -> None:
    """Resamples of the replicates are never built as arrays (cumulative counts of the
    sorted replicates instead, 2-3x faster): the bounds are bca_bounds' exactly."""
    boot = REPLICATES[kind](np.random.default_rng(11))
    with np.errstate(all="ignore"):
        fast = resampled_bca_bounds(boot, estimate, 0.02, 0.9, np.random.default_rng(4), 50)
        draw = np.random.default_rng(4)
        slow = [
            bca_bounds(boot[draw.integers(0, 4000, 4000)], estimate, 0.02, 0.9) for _ in range(50)
        ]
    np.testing.assert_array_equal(fast, np.array(slow))


def test_spearman_bootstrap_on_integer_counts_is_the_float_one_bit_for_bit(
    rng: np.random.Generator,
) -> None:
    x = rng.integers(1, 300, 5000).astype(float)
    y = np.round(rng.normal(2, 1, 5000), 1)
    cells = Cells.from_pairs(x, y)
    got = bootstrap_distribution("spearman", cells, 500, np.random.default_rng(3))
    draw = np.random.default_rng(3)
    p = cells.count / cells.n
    expected = spearman_w(cells, draw.multinomial(cells.n, p, size=500).astype(float))
    np.testing.assert_array_equal(got, expected)

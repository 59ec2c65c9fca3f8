"""Shares pooled over businesses against R (geepack, boot) and by hand.

Reference values: ``tests/stats/results/results_clustered.py`` (``make_results.R``,
section ``results_clustered.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from cma_research import ParameterError
from cma_research.stats.clustered import cluster_robust_se, cluster_share
from tests.stats.results import results_clustered as R


@pytest.mark.parametrize("what", ["k0", "k01"])
def test_robust_se_is_geepack_sandwich(what: str) -> None:
    k = np.array(getattr(R, what))
    res = cluster_share(k, R.n, n_boot=0, rng=np.random.default_rng(0))
    np.testing.assert_allclose(res["share"], getattr(R, f"{what}_gee_estimate"), rtol=1e-14)
    # geeglm(y ~ 1, id = business, corstr = "independence"): sandwich SE of the intercept
    np.testing.assert_allclose(res["se_robust"], getattr(R, f"{what}_gee_robust_se"), rtol=1e-10)
    assert res["ci_method"] == "not computed (n_boot=0)"


@pytest.mark.parametrize("what", ["k0", "k01"])
def test_bca_interval_matches_boot_within_monte_carlo_error(what: str) -> None:
    k = np.array(getattr(R, what))
    res = cluster_share(k, R.n, n_boot=20_000, rng=np.random.default_rng(5))
    # boot.ci(type = "bca", L = empinf(type = "jack")) with R = 200000: the bounds' MC
    # error with 20,000 resamples is about 0.003 (SE 0.054 of the share, tail quantiles)
    np.testing.assert_allclose(
        [res["ci95_low"], res["ci95_high"]], getattr(R, f"{what}_boot_bca"), atol=0.01
    )
    assert res["n_clusters"] == 16 and res["n_units"] == 137


@pytest.mark.parametrize("what", ["k0", "k01"])
def test_jackknife_acceleration_against_boot(what: str) -> None:
    from cma_research.stats.resampling import jackknife_acceleration

    k, n = np.array(getattr(R, what), dtype=float), np.array(R.n, dtype=float)
    theta = (k.sum() - k) / (n.sum() - n)  # leave one business out
    a = jackknife_acceleration(theta, np.ones(len(k)))
    # boot's empinf(type = "jack") centres on the full-sample estimate t0,
    # L = (n - 1)(t0 - theta_i); scipy (and this package) on the jackknife mean
    t0 = k.sum() / n.sum()
    big_l = (len(k) - 1) * (t0 - theta)
    np.testing.assert_allclose(
        (big_l**3).sum() / (6 * (big_l**2).sum() ** 1.5),
        getattr(R, f"{what}_jack_acceleration"),
        rtol=1e-10,
    )
    u = (len(k) - 1) * (theta.mean() - theta)
    np.testing.assert_allclose(a, (u**3).sum() / (6 * (u**2).sum() ** 1.5), rtol=1e-12)
    np.testing.assert_allclose(a, getattr(R, f"{what}_jack_acceleration"), atol=1e-3)


def test_design_effect_by_hand() -> None:
    # two businesses of 2 assessments: all at the level, none: p = 1/2; residuals
    # k - p n = 1, -1; robust var = 2 / 16 = 1/8; binomial var = 1/4 / 4 = 1/16: deff 2
    res = cluster_share([2, 0], [2, 2], n_boot=0, rng=np.random.default_rng(0))
    np.testing.assert_allclose(res["se_robust"] ** 2, 1 / 8, rtol=1e-14)
    np.testing.assert_allclose(res["design_effect"], 2.0, rtol=1e-14)
    # independent-looking clusters (same share everywhere): no extra variance
    flat = cluster_share([1, 1, 1], [2, 2, 2], n_boot=0, rng=np.random.default_rng(0))
    assert flat["design_effect"] == 0.0
    assert cluster_robust_se([0, 0], [3, 3]) == 0.0


def test_edge_cases() -> None:
    one = cluster_share([1], [3], n_boot=100, rng=np.random.default_rng(0))
    assert np.isnan(one["ci95_low"]) and "fewer than 2" in one["ci_method"]
    same = cluster_share([1, 1], [2, 2], n_boot=100, rng=np.random.default_rng(0))
    assert np.isnan(same["ci95_low"]) and "degenerate" in same["ci_method"]
    with pytest.raises(ParameterError, match="same length"):
        cluster_share([1, 2], [3], n_boot=0, rng=np.random.default_rng(0))
    with pytest.raises(ParameterError, match="successes <= totals"):
        cluster_share([4], [3], n_boot=0, rng=np.random.default_rng(0))
    # a business with nothing assessed is ignored
    res = cluster_share([1, 0, 2], [2, 0, 4], n_boot=0, rng=np.random.default_rng(0))
    assert res["n_clusters"] == 2


def test_beyond_the_bootstrap_limit_the_interval_is_logit_wald_on_the_robust_se() -> None:
    from cma_research.stats.clustered import CLUSTER_BOOT_MAX

    rng = np.random.default_rng(7)
    g = CLUSTER_BOOT_MAX + 1
    totals = rng.integers(5, 11, size=g)
    successes = rng.binomial(totals, rng.beta(2, 8, size=g))  # shares cluster in businesses
    res = cluster_share(successes, totals, n_boot=2000, rng=np.random.default_rng(1))
    # by hand: the pooled share, its cluster-robust SE, Wald on the logit scale
    p = successes.sum() / totals.sum()
    se = cluster_robust_se(successes, totals)
    half = stats.norm.ppf(0.975) * se / (p * (1 - p))
    expected = 1 / (1 + np.exp(-(np.log(p / (1 - p)) + np.array([-half, half]))))
    assert_allclose([res["ci95_low"], res["ci95_high"]], expected, rtol=1e-12)
    assert res["ci_method"] == f"Wald on the logit scale, cluster-robust SE ({g} businesses)"
    # just below the limit, the cluster bootstrap gives the same interval within its
    # Monte Carlo error (about 0.002 here at 2,000 resamples)
    below = cluster_share(successes[:-1], totals[:-1], n_boot=2000, rng=np.random.default_rng(1))
    assert below["ci_method"].startswith("cluster bootstrap BCa")
    assert_allclose([below["ci95_low"], below["ci95_high"]], expected, atol=0.004)

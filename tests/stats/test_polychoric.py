"""Polychoric correlations against R (polycor, psych), brute-force integration and scipy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, stats

from cma_research.core.errors import ParameterError
from cma_research.stats.polychoric import (
    MAX_RHO,
    bivariate_normal_cdf,
    polychoric,
    polychoric_loglik,
    polychoric_matrix,
    smooth_correlation,
)
from tests.stats.results import results_polychoric as rp
from tests.stats.results import results_reliability as rr

X = rr.x.astype(float)


def _by_quadrature(h: float, k: float, r: float) -> float:
    """P(X <= h, Y <= k) = int_{-inf}^h phi(x) Phi((k - r x) / sqrt(1 - r^2)) dx."""

    def f(x: float) -> float:
        return float(stats.norm.pdf(x) * stats.norm.cdf((k - r * x) / np.sqrt(1 - r * r)))

    return float(integrate.quad(f, -np.inf, h, epsabs=1e-15, epsrel=1e-13, limit=200)[0])


def test_bivariate_normal_cdf_matches_quadrature(rng: np.random.Generator) -> None:
    h = rng.normal(size=40) * 1.5
    k = rng.normal(size=40) * 1.5
    r = np.concatenate([rng.uniform(-0.999, 0.999, size=30), rng.uniform(0.93, 0.999, 10)])
    got = bivariate_normal_cdf(h, k, r)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)  # quad's roundoff note
        want = np.array([_by_quadrature(a, b, c) for a, b, c in zip(h, k, r, strict=True)])
    assert_allclose(got, want, atol=1e-13)


def test_bivariate_normal_cdf_closed_forms() -> None:
    # P(X<=0, Y<=0) = 1/4 + asin(r) / (2 pi); r = 0 factorises; infinite limits are margins
    r = np.array([-0.95, -0.5, 0.0, 0.3, 0.93, 0.99])
    assert_allclose(
        bivariate_normal_cdf(0.0, 0.0, r), 0.25 + np.arcsin(r) / (2 * np.pi), atol=1e-15
    )
    assert_allclose(
        bivariate_normal_cdf(0.7, -0.4, 0.0), stats.norm.cdf(0.7) * stats.norm.cdf(-0.4), atol=1e-15
    )
    assert_allclose(bivariate_normal_cdf(np.inf, 0.3, 0.5), stats.norm.cdf(0.3), rtol=1e-15)
    assert_allclose(bivariate_normal_cdf(0.3, np.inf, -0.5), stats.norm.cdf(0.3), rtol=1e-15)
    assert bivariate_normal_cdf(-np.inf, 2.0, 0.5) == 0.0
    assert bivariate_normal_cdf(np.inf, np.inf, 0.5) == 1.0


def test_thresholds_match_psych() -> None:
    # psych::polychoric(x, correct = 0)$tau: qnorm of the cumulative proportions
    for j in range(X.shape[1]):
        res = polychoric(X[:, j], X[:, (j + 1) % X.shape[1]])
        tau = rr.polychoric_c0_tau[j]
        observed = np.unique(tau[np.isfinite(tau)])  # unused levels repeat a threshold
        assert_allclose(res.row_thresholds, observed, rtol=1e-12)


def test_matrix_matches_tightly_solved_r_two_step() -> None:
    # results_polychoric.rho_tight: polycor's two-step likelihood maximised with tol = 1e-12
    rho, _se, n, _p = polychoric_matrix(X)
    off = ~np.eye(10, dtype=bool)
    off[5, 6] = off[6, 5] = False  # stage_6 x stage_7: flat likelihood near 1, see below
    assert_allclose(rho[off], rp.rho_tight[off], atol=2e-7)
    assert (n == 12).all()
    assert np.all(np.diag(rho) == 1)


def test_matrix_matches_psych_and_polycor_defaults_within_their_tolerance() -> None:
    # psych / polycor stop optimise() at its default tol (~1.2e-4 in rho)
    rho, *_ = polychoric_matrix(X)
    off = ~np.eye(10, dtype=bool)
    off[5, 6] = off[6, 5] = False
    assert_allclose(rho[off], rr.polychoric_c0_rho_unsmoothed[off], atol=2e-4)
    pairs = {"s1_s3": (0, 2), "s5_s6": (4, 5), "s7_s8": (6, 7), "s1_s9": (0, 8)}
    for key, (i, j) in pairs.items():
        assert_allclose(
            polychoric(X[:, i], X[:, j]).rho, getattr(rr, f"polychor_2step_{key}"), atol=2e-4
        )


def test_near_boundary_pair_is_at_least_as_likely_as_r() -> None:
    # stage_6 x stage_7: R's optimize() stops at 0.9888 (polycor) / 0.9999 (psych); our
    # maximum must have a log-likelihood no lower than R's recorded maximum
    res = polychoric(X[:, 5], X[:, 6])
    assert res.loglik >= rp.loglik_tight[5, 6] - 1e-9
    a = np.concatenate([[-np.inf], res.row_thresholds, [np.inf]])
    b = np.concatenate([[-np.inf], res.col_thresholds, [np.inf]])
    assert_allclose(
        polychoric_loglik(res.table, a, b, rp.rho_tight[5, 6]), rp.loglik_tight[5, 6], rtol=1e-9
    )


def test_loglik_matches_r_at_r_rho() -> None:
    for i, j in [(0, 2), (3, 9), (1, 7)]:
        res = polychoric(X[:, i], X[:, j])
        a = np.concatenate([[-np.inf], res.row_thresholds, [np.inf]])
        b = np.concatenate([[-np.inf], res.col_thresholds, [np.inf]])
        assert_allclose(
            polychoric_loglik(res.table, a, b, rp.rho_tight[i, j]),
            rp.loglik_tight[i, j],
            rtol=1e-10,
        )
        assert_allclose(res.loglik, rp.loglik_tight[i, j], rtol=1e-10)


@pytest.mark.parametrize("key", ["s1_s3", "s5_s6", "s7_s8", "s1_s9", "s2_s4", "s4_s10"])
def test_standard_error_matches_r(key: str) -> None:
    i, j = (int(s[1:]) - 1 for s in key.split("_"))
    res = polychoric(X[:, i], X[:, j])
    # central second difference (h = 1e-4) at the tight rho in R: ~1e-7 relative
    assert_allclose(res.se, getattr(rp, f"se_tight_{key}"), rtol=1e-6)
    # polychor(ML = FALSE, std.err = TRUE): optim's numerical hessian (step 1e-3)
    assert_allclose(res.se, getattr(rp, f"se_polychor_{key}"), rtol=5e-5)


def test_smoothing_matches_psych_cor_smooth() -> None:
    # psych::polychoric(x, correct = 0) smooths the unsmoothed matrix with cor.smooth
    got, done = smooth_correlation(rr.polychoric_c0_rho_unsmoothed)
    assert done
    assert_allclose(got, rr.polychoric_c0_rho, atol=1e-13)
    same, done = smooth_correlation(np.eye(3))
    assert not done and (same == np.eye(3)).all()


def test_recovers_latent_correlation(rng: np.random.Generator) -> None:
    # brute force: 20,000 latent normal pairs cut into 5 categories; SE ~ 0.008
    z = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=20_000)
    cuts = np.array([-1.0, -0.3, 0.4, 1.2])
    res = polychoric(np.searchsorted(cuts, z[:, 0]), np.searchsorted(cuts, z[:, 1]))
    assert abs(res.rho - 0.6) < 4 * res.se
    assert 0.004 < res.se < 0.012
    assert res.p_value < 1e-10


def test_symmetric_and_sign() -> None:
    a, b = X[:, 0], X[:, 8]
    assert_allclose(polychoric(a, b).rho, polychoric(b, a).rho, atol=1e-10)
    assert_allclose(polychoric(a, -b).rho, -polychoric(a, b).rho, atol=1e-8)


def test_perfect_association_hits_the_bound() -> None:
    res = polychoric(np.array([0, 0, 1, 1, 2, 2]), np.array([0, 0, 1, 1, 2, 2]))
    assert res.rho > MAX_RHO - 1e-6
    assert np.isnan(res.se)


def test_refuses_one_observed_level() -> None:
    with pytest.raises(ParameterError, match="one observed level"):
        polychoric(np.array([2, 2, 2, 2]), np.array([0, 1, 2, 3]), what="stage_1 and stage_2")
    x = X.copy()
    x[:, 3] = 2
    with pytest.raises(ParameterError, match="stage_4"):
        polychoric_matrix(x, names=[f"stage_{j + 1}" for j in range(10)])


def test_refuses_missing_and_mismatched() -> None:
    with pytest.raises(ParameterError, match="missing"):
        polychoric(np.array([0, 1, np.nan]), np.array([0, 1, 2]))
    with pytest.raises(ParameterError, match="equal length"):
        polychoric(np.array([0, 1]), np.array([0, 1, 2]))


def test_matrix_pairwise_n_with_blanks() -> None:
    x = X.copy()
    x[0, 0] = x[1, 1] = np.nan
    rho, _se, n, _p = polychoric_matrix(x)
    assert n[0, 1] == 10 and n[0, 2] == 11 and n[0, 0] == 11
    ok = ~np.isnan(x[:, 0]) & ~np.isnan(x[:, 1])
    assert_allclose(rho[0, 1], polychoric(x[ok, 0], x[ok, 1]).rho, rtol=1e-12)

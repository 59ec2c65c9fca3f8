"""Multi-factor minres, varimax and oblimin against psych::fa / GPArotation and by hand.

psych's optimiser (L-BFGS-B with its default factr) and GPArotation (eps = 1e-5) stop
early, we converge tightly: the tolerances below are what that early stop allows, each
stated with the measured difference.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cma_research.core.errors import ParameterError
from cma_research.stats.factor import (
    PSI_BOUNDS,
    check_correlation,
    factor_dof,
    minres,
    oblimin,
    smc,
    varimax,
)
from cma_research.stats.omega import minres_one_factor
from tests.stats.results import results_reliability as rr
from tests.stats.results import results_schmid as rs

R = np.corrcoef(rr.x.astype(float), rowvar=False)


# -- against R (results_schmid.py)


def test_minres_thurstone_matches_psych() -> None:
    # psych::fa(Thurstone, 3, n.obs = 213, rotate = "none"): measured max |diff| 7.7e-6
    fit = minres(rs.thurstone, 3)
    assert_allclose(fit.loadings, rs.thurstone_fa3_loadings, atol=2e-5)
    assert_allclose(fit.communalities, rs.thurstone_fa3_communality, atol=1e-5)
    assert_allclose(fit.uniquenesses, rs.thurstone_fa3_psi, atol=2e-5)
    assert fit.converged and not fit.ultra_heywood and fit.dof == 12
    assert not fit.heywood.any()


def test_minres_table4_is_the_ultra_heywood_case_psych_reports() -> None:
    fit = minres(R, 3)
    assert fit.converged and fit.dof == rs.t4_fa3_dof == 18
    assert "An ultra-Heywood case was detected.  Examine the results carefully" in (
        rs.t4_fa3_warnings
    )
    assert fit.ultra_heywood and fit.heywood.tolist() == [i == 4 for i in range(10)]
    # stage_5's uniqueness sits on psych's lower bound, its communality exceeds 1
    assert fit.uniquenesses[4] == PSI_BOUNDS[0]
    assert_allclose(rs.t4_fa3_psi[4], PSI_BOUNDS[0], rtol=1e-12)  # R: 0.0050000000000000044
    assert fit.communalities[4] > 1 and rs.t4_fa3_communality[4] > 1
    # psych's fm = "uls" minimises the same objective as we do: measured 1.5e-6
    assert_allclose(fit.communalities, rs.t4_uls3_communality, atol=5e-6)
    # psych's minres stops ~1e-4 from that point (its gradient is still ~1e-4 there):
    # measured 3.7e-4 (loadings, communalities)
    assert_allclose(fit.communalities, rs.t4_fa3_communality, atol=1e-3)
    assert_allclose(fit.loadings, rs.t4_fa3_loadings, atol=1e-3)


def test_minres_matches_the_same_objective_optimised_tightly_in_r() -> None:
    # uls_tight() in tests/stats/results/make_results.R: psych's gradient with its matching
    # objective, optim(L-BFGS-B, factr = 1); measured 9.1e-10 (Table 4), 5.7e-10 (Thurstone)
    fit = minres(R, 3)
    assert_allclose(fit.communalities, rs.t4_uls_tight_communality, atol=1e-8)
    assert_allclose(fit.uniquenesses, rs.t4_uls_tight_psi, atol=1e-8)
    fit = minres(rs.thurstone, 3)
    assert_allclose(fit.communalities, rs.thurstone_uls_tight_communality, atol=1e-8)


def test_varimax_matches_stats_varimax() -> None:
    # psych::schmid's orthogonal loadings are stats::varimax of psych's own fit (then
    # psych's column signs and order); R stops at a relative criterion gain of 1e-5
    for unrotated, orthog, atol in [
        (rs.thurstone_fa3_loadings, None, None),
        (rs.t4_fa3_loadings, rs.t4_omega3_orthog, 1e-3),  # measured 5.3e-4
    ]:
        rot = varimax(unrotated)
        assert rot.converged
        assert_allclose(rot.phi, np.eye(3), atol=0)
        assert_allclose(rot.pattern @ rot.pattern.T, unrotated @ unrotated.T, atol=1e-12)
        assert (rot.pattern.sum(axis=0) > 0).all()
        ss = (rot.pattern**2).sum(axis=0)
        assert (np.diff(ss) <= 0).all()
        if orthog is not None:
            assert_allclose(rot.pattern, orthog, atol=atol)

    # the varimax criterion (unnormalised rows) of ours is at least R's
    def criterion(lv: np.ndarray) -> float:
        x = lv / np.sqrt((lv**2).sum(axis=1, keepdims=True))
        return float(np.sum(np.var(x**2, axis=0)))

    assert criterion(varimax(rs.t4_fa3_loadings).pattern) >= criterion(rs.t4_omega3_orthog)


def test_oblimin_matches_gparotation_from_the_same_start() -> None:
    # GPArotation::oblimin(psych::omega(x)$schmid$orthog): R's eps = 1e-5, measured 1.5e-5
    rot = oblimin(rs.t4_omega3_orthog, sort=False)
    assert rot.converged
    assert_allclose(rot.pattern, rs.t4_omega3_oblique, atol=5e-5)
    assert_allclose(rot.phi, rs.t4_omega3_phi, atol=5e-5)
    # the same common variance: P Phi P' = A A'
    a = rs.t4_omega3_orthog
    assert_allclose(rot.pattern @ rot.phi @ rot.pattern.T, a @ a.T, atol=1e-12)


def test_rotations_iterated_tightly_in_r_agree_to_rounding() -> None:
    # stats::varimax(L0, eps = 1e-14), L0 = psych's fa3 loadings, in psych's column
    # convention (reflect to positive sums, order by sum of squares): measured 1e-15
    v = rs.t4_varimax_tight * np.sign(rs.t4_varimax_tight.sum(axis=0))
    v = v[:, np.argsort(-(v**2).sum(axis=0))]
    assert_allclose(varimax(rs.t4_fa3_loadings).pattern, v, atol=1e-12)
    # GPArotation::oblimin(orthog, eps = 1e-7): statsmodels' GPA takes the same steps,
    # measured 1.4e-16
    rot = oblimin(rs.t4_omega3_orthog, sort=False)
    assert rs.t4_oblimin_tight_warnings == []
    assert_allclose(rot.pattern, rs.t4_oblimin_tight_loadings, atol=1e-12)
    assert_allclose(rot.phi, rs.t4_oblimin_tight_phi, atol=1e-12)


def test_oblimin_after_our_fit_matches_psych_fa() -> None:
    # psych::fa(Thurstone, 3, n.obs = 213, rotate = "oblimin"): sorted, measured 8.1e-6
    rot = oblimin(minres(rs.thurstone, 3).loadings)
    assert_allclose(rot.pattern, rs.thurstone_oblimin3_loadings, atol=2e-5)
    assert_allclose(rot.phi, rs.thurstone_oblimin3_phi, atol=1e-5)
    # Table 4 (ultra-Heywood, psych's early stop): measured 2.0e-4
    rot = oblimin(minres(R, 3).loadings)
    assert_allclose(rot.pattern, rs.t4_oblimin3_loadings, atol=1e-3)
    assert_allclose(rot.phi, rs.t4_oblimin3_phi, atol=1e-3)


# -- by hand and against other implementations


def test_minres_recovers_an_exact_model_and_satisfies_its_conditions() -> None:
    lv = np.array([[0.8, 0.1], [0.7, 0.2], [0.6, 0.0], [0.1, 0.8], [0.0, 0.7], [0.2, 0.6]])
    r = lv @ lv.T
    np.fill_diagonal(r, 1)
    fit = minres(r, 2)
    assert_allclose(fit.loadings @ fit.loadings.T, lv @ lv.T, atol=1e-7)
    assert_allclose(fit.uniquenesses, 1 - (lv**2).sum(axis=1), atol=1e-7)
    assert fit.objective < 1e-14
    # on Thurstone: every free item's communality equals 1 - psi (the minres condition)
    fit = minres(rs.thurstone, 3)
    assert_allclose(fit.communalities, 1 - fit.uniquenesses, atol=1e-8)


def test_minres_one_factor_agrees_with_the_omega_module() -> None:
    # stats.omega minimises the off-diagonal residuals directly (no bounds); with no
    # Heywood case the two are the same solution
    assert_allclose(minres(R, 1).loadings[:, 0], minres_one_factor(R).loadings, atol=1e-6)
    assert_allclose(minres(R, 1).loadings[:, 0], rr.omega1_loadings_fa, atol=1e-5)


def test_smc_by_hand() -> None:
    # 1 - 1 / diag(R^-1); with R = [[1, a], [a, 1]] the SMC is a^2
    assert_allclose(smc(np.array([[1, 0.6], [0.6, 1]])), [0.36, 0.36], rtol=1e-12)
    assert_allclose(smc(R), 1 - 1 / np.diag(np.linalg.inv(R)), rtol=1e-12)


def test_factor_dof() -> None:
    assert factor_dof(10, 3) == 18 and factor_dof(9, 3) == 12 and factor_dof(3, 1) == 0
    assert factor_dof(4, 2) == -1


@pytest.mark.parametrize(
    ("r", "nfactors", "match"),
    [
        (np.eye(5), 0, "nfactors=0 must be a whole number >= 1"),
        (np.eye(5), -1, "nfactors=-1"),
        (np.eye(5), 1.5, "nfactors=1.5"),
        (np.eye(5), True, "nfactors=True"),
        (np.eye(4), 2, r"nfactors=2 is too many for 4 items: dof = -1 < 0.*at most 1 factor"),
        (np.eye(10), 7, r"nfactors=7 is too many for 10 items.*at most 6 factor"),
        (np.ones((3, 4)), 1, r"square correlation matrix.*\(3, 4\)"),
        (np.eye(2), 1, "at least 3 items"),
        (np.array([[1, 0.5, 0], [0.4, 1, 0], [0, 0, 1]]), 1, "symmetric"),
        (2 * np.eye(3), 1, "unit diagonal"),
        (np.array([[1, np.nan, 0], [np.nan, 1, 0], [0, 0, 1]]), 1, "NaN"),
        (np.array([[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]), 1, "not positive semi"),
    ],
)
def test_bad_input_is_one_parameter_error(r: np.ndarray, nfactors: int, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        check_correlation(r, nfactors)
    with pytest.raises(ParameterError, match=match):
        minres(r, nfactors)

"""Factor models of a correlation matrix against psych / GPArotation and by hand.

One factor (omega total) against ``psych::omega(x, nfactors = 1)`` and ``psych::fa``;
multi-factor minres, varimax and oblimin against ``psych::fa`` / GPArotation; the
Schmid-Leiman solution and hierarchical omega against ``psych::omega``; psych's own
published example (Field's RAQ, ``tests/stats/raq.py``).

psych's optimiser (L-BFGS-B with its default factr) and GPArotation (eps = 1e-5) stop
early, we converge tightly: the tolerances below are what that early stop allows, each
stated with the measured difference. ``schmid_from_loadings`` fed with R's own fit
separates the transformation from the fit (looser in the ultra-Heywood Table 4 case),
and psych's steps iterated to convergence in R (``omega_tight`` in
``tests/stats/results/make_results.R``) agree with ours to 1e-9.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cma_research.core.errors import ParameterError
from cma_research.stats.factor import (
    PSI_BOUNDS,
    SchmidLeiman,
    check_correlation,
    factor_dof,
    minres,
    minres_one_factor,
    ml_one_factor,
    oblimin,
    omega_from_correlation,
    schmid_from_loadings,
    schmid_leiman,
    smc,
    varimax,
)
from tests.stats import raq
from tests.stats.results import results_polychoric as rp
from tests.stats.results import results_reliability as rr
from tests.stats.results import results_schmid as rs

R = np.corrcoef(rr.x.astype(float), rowvar=False)


# -- one factor: omega total (results_reliability.py, results_polychoric.py) ----------------


def test_minres_loadings_match_psych_fa() -> None:
    # psych::fa(cor(x), nfactors = 1, fm = "minres"): optim's default tolerance, ~1e-6
    assert_allclose(minres_one_factor(R).loadings, rr.omega1_loadings_fa, atol=5e-6)


def test_minres_is_at_least_as_good_as_psych() -> None:
    iu = np.triu_indices(10, 1)

    def objective(lv: np.ndarray) -> float:
        return float(np.sum((R[iu] - np.outer(lv, lv)[iu]) ** 2))

    fit = minres_one_factor(R)
    assert objective(fit.loadings) <= objective(rr.omega1_loadings_fa) + 1e-14
    assert fit.converged and not fit.heywood


def test_omega_total_matches_psych_omega() -> None:
    total, model, _ = omega_from_correlation(R)
    # psych::omega(x, nfactors = 1)$omega.tot and the model-implied variant (by hand in R)
    assert_allclose(total, rr.omega1_total, rtol=1e-6)
    assert_allclose(model, rr.omega1_model_implied, rtol=1e-6)


def test_ml_matches_psych_and_the_project_notes() -> None:
    # psych::fa(fm = "ml") stops early (its objective is ~1e-9 above ours): loadings ~1e-5
    fit = ml_one_factor(R)
    assert_allclose(fit.loadings, rp.omega1_ml_loadings, atol=2e-5)
    total, model, _ = omega_from_correlation(R, "ml")
    assert_allclose(total, rp.omega1_ml_total, rtol=1e-6)
    assert_allclose(model, rp.omega1_ml_model_implied, rtol=1e-6)
    # the project notes quote these values to 4 decimals
    assert round(total, 4) == 0.8594 and round(model, 4) == 0.8633


def test_exact_one_factor_matrix_by_hand() -> None:
    lv = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    r = np.outer(lv, lv)
    np.fill_diagonal(r, 1)
    for fm in ("minres", "ml"):
        total, model, fit = omega_from_correlation(r, fm)
        assert_allclose(fit.loadings, lv, atol=1e-6)
        unique = np.sum(1 - lv**2)
        assert_allclose(total, 1 - unique / r.sum(), rtol=1e-6)
        # for an exact one-factor matrix sum(R) = sum(l)^2 + sum(1 - l^2): both forms agree
        assert_allclose(model, lv.sum() ** 2 / (lv.sum() ** 2 + unique), rtol=1e-6)
        assert_allclose(total, model, rtol=1e-6)


def test_a_reversed_item_is_reflected_in_one_factor_omega_as_psych_does() -> None:
    # psych::omega(raq, nfactors = 1): raq_03 loads negatively, psych reflects it
    # (key -1) before summing R, omega.tot 0.862438 (without the reflection: 0.846);
    # minres fit differences only, measured 2.7e-9
    r = raq.correlation()
    total, model, fit = omega_from_correlation(r)
    assert np.sign(fit.loadings).tolist() == raq.PSYCH_OMEGA1_KEY.tolist()
    assert_allclose(total, raq.PSYCH_OMEGA1_TOTAL, atol=1e-7)
    key = raq.PSYCH_OMEGA1_KEY
    lv = fit.loadings
    assert_allclose(total, 1 - np.sum(1 - lv**2) / np.sum(r * np.outer(key, key)), rtol=1e-12)
    assert_allclose(model, np.sum(np.abs(lv)) ** 2 / (np.sum(np.abs(lv)) ** 2 + np.sum(1 - lv**2)))
    # a fixed key (psych's key argument) is the composite as scored: raq_03 not reversed
    unreflected = omega_from_correlation(r, key=np.ones(23))[0]
    assert_allclose(unreflected, 1 - np.sum(1 - lv**2) / r.sum(), rtol=1e-12)
    assert unreflected < total
    assert omega_from_correlation(r, key=key)[0] == total
    with pytest.raises(ParameterError, match="key must hold"):
        omega_from_correlation(r, key=np.ones(3))
    # reflecting items changes nothing: the same omegas as the keyed matrix
    keyed = omega_from_correlation(r * np.outer(key, key))
    assert_allclose([keyed[0], keyed[1]], [total, model], rtol=1e-10)


def test_refuses_bad_input() -> None:
    with pytest.raises(ParameterError, match="at least 3"):
        minres_one_factor(np.eye(2))
    with pytest.raises(ParameterError, match="NaN"):
        omega_from_correlation(np.full((3, 3), np.nan))
    with pytest.raises(ParameterError, match="fm='pa'"):
        omega_from_correlation(R, "pa")


# -- several factors: minres and rotations against R (results_schmid.py) -------------------


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


def test_rotations_iterated_tightly_in_r_agree_to_their_convergence_criterion() -> None:
    # stats::varimax(L0, eps = 1e-14), L0 = psych's fa3 loadings, in psych's column
    # convention (reflect to positive sums, order by sum of squares): measured 1e-15
    v = rs.t4_varimax_tight * np.sign(rs.t4_varimax_tight.sum(axis=0))
    v = v[:, np.argsort(-(v**2).sum(axis=0))]
    assert_allclose(varimax(rs.t4_fa3_loadings).pattern, v, atol=1e-12)
    # GPArotation::oblimin(orthog, eps = 1e-7): statsmodels' GPFoblq takes the same steps
    # (65 iterations, the same step sizes) up to the last one. There the line search
    # compares an improvement of the criterion (f ~ 0.17) of about 1e-15 with
    # 0.5 s^2 al (s = |projected gradient| ~ 1e-7), i.e. decides on differences at the
    # rounding level of f, so the accepted step (al = 0.5 in R, 0.25 in numpy on one
    # machine, the same on another) depends on the BLAS. Both final iterates meet
    # GPArotation's criterion s < eps = 1e-7 and differ by at most one such step,
    # al * s <= 1e-7 in the rotation matrix: agreement to eps is what the criterion
    # guarantees (measured 1.4e-16 on one machine, 2.4e-8 on another).
    rot = oblimin(rs.t4_omega3_orthog, sort=False)
    assert rs.t4_oblimin_tight_warnings == []
    assert_allclose(rot.pattern, rs.t4_oblimin_tight_loadings, rtol=0, atol=1e-7)
    assert_allclose(rot.phi, rs.t4_oblimin_tight_phi, rtol=0, atol=1e-7)
    # ... and ours meets that criterion itself: the projected gradient of quartimin
    t = np.linalg.cholesky(rot.phi).T  # any T with T'T = Phi gives the same L = A T'^-1
    lam = rot.pattern
    gq = lam * ((lam**2) @ (1 - np.eye(3)))
    g = -(lam.T @ gq @ np.linalg.inv(t)).T
    assert np.linalg.norm(g - t @ np.diag(np.sum(t * g, axis=0))) < 1e-7


def test_oblimin_after_our_fit_matches_psych_fa() -> None:
    # psych::fa(Thurstone, 3, n.obs = 213, rotate = "oblimin"): sorted, measured 8.1e-6
    rot = oblimin(minres(rs.thurstone, 3).loadings)
    assert_allclose(rot.pattern, rs.thurstone_oblimin3_loadings, atol=2e-5)
    assert_allclose(rot.phi, rs.thurstone_oblimin3_phi, atol=1e-5)
    # Table 4 (ultra-Heywood, psych's early stop): measured 2.0e-4
    rot = oblimin(minres(R, 3).loadings)
    assert_allclose(rot.pattern, rs.t4_oblimin3_loadings, atol=1e-3)
    assert_allclose(rot.phi, rs.t4_oblimin3_phi, atol=1e-3)


# -- several factors: by hand and against other implementations -----------------------------


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


def test_minres_one_factor_agrees_with_bounded_minres() -> None:
    # minres_one_factor minimises the off-diagonal residuals directly (no bounds); with no
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


def _check_sl(sl: SchmidLeiman, sl_r: np.ndarray, atol: float) -> None:
    """Compare with psych's ``schmid$sl`` (g, F1*..Fm*, h2, u2, p2)."""
    m = sl.nfactors
    assert_allclose(sl.general_loadings, sl_r[:, 0], atol=atol)
    assert_allclose(sl.group_loadings, sl_r[:, 1 : m + 1], atol=atol)
    assert_allclose(sl.h2, sl_r[:, m + 1], atol=atol)
    assert_allclose(sl.u2, sl_r[:, m + 2], atol=atol)


# -- Schmid-Leiman against R (results_reliability.py, results_schmid.py) -------------------


def test_table4_three_factors_matches_psych_omega() -> None:
    # psych::omega(x): the ultra-Heywood case. Measured |diff|: omega.tot 1.7e-6,
    # omega_h 1.7e-5, omega.lim 2.0e-5, g loadings 4.4e-5 (psych's minres stops ~1e-4
    # short of its optimum, see test_minres_table4_is_the_ultra_heywood_case_psych_reports)
    sl = schmid_leiman(R, 3)
    assert_allclose(sl.omega_total, rr.omega3_total, atol=1e-5)
    assert_allclose(sl.omega_hierarchical, rr.omega3_hierarchical, atol=5e-5)
    assert_allclose(sl.omega_limit, rr.omega3_limit, atol=5e-5)
    assert_allclose(sl.general_loadings, rr.omega3_general_loadings, atol=1e-4)
    assert_allclose(sl.phi, rs.t4_omega3_phi, atol=5e-4)  # measured 9.4e-5
    assert_allclose(sl.factor_loadings, rs.t4_omega3_gloading, atol=5e-4)  # measured 1.2e-4
    _check_sl(sl, rs.t4_omega3_sl, atol=1e-3)  # measured 3.7e-4 (h2), 2.5e-4 (group)
    assert sl.ultra_heywood and sl.h2[4] > 1 and rs.t4_omega3_sl[4, 4] > 1
    assert sl.u2[4] < 0
    assert sl.converged and sl.general_identified and sl.nfactors == 3
    assert (sl.key == 1).all() and (rs.t4_omega3_key == 1).all()
    assert "An ultra-Heywood case was detected.  Examine the results carefully" in (
        rr.omega3_warnings
    )


def test_table4_matches_psychs_arithmetic_converged_in_r() -> None:
    # omega_tight() in tests/stats/results/make_results.R: psych::omega's steps in R,
    # each iterated to convergence; measured |diff| gamma 7.3e-10, g 8.8e-10, omega_h 3.4e-10,
    # omega.tot 6.8e-12, omega.lim 3.6e-10
    sl = schmid_leiman(R, 3)
    assert_allclose(sl.factor_loadings, rs.t4_tight_gamma, atol=1e-8)
    assert_allclose(sl.general_loadings, rs.t4_tight_g, atol=1e-8)
    assert_allclose(sl.omega_hierarchical, rs.t4_tight_hierarchical, atol=1e-8)
    assert_allclose(sl.omega_total, rs.t4_tight_total, atol=1e-9)
    assert_allclose(sl.omega_limit, rs.t4_tight_limit, atol=1e-8)


def test_table4_from_psychs_own_fit_is_tight() -> None:
    # R's unrotated minres loadings through our transformation: omega.tot is then the
    # same arithmetic (exact to rounding), omega_h/omega.lim differ only by R's rotation
    # and Phi-fit tolerances (measured 6.8e-6, 7.4e-6; g 7.1e-6, group 1.2e-5, h2 3e-16)
    sl = schmid_from_loadings(R, rs.t4_fa3_loadings)
    assert_allclose(sl.omega_total, rr.omega3_total, rtol=1e-12)
    assert_allclose(sl.omega_hierarchical, rr.omega3_hierarchical, atol=2e-5)
    assert_allclose(sl.omega_limit, rr.omega3_limit, atol=2e-5)
    assert_allclose(sl.general_loadings, rr.omega3_general_loadings, atol=2e-5)
    _check_sl(sl, rs.t4_omega3_sl, atol=5e-5)
    assert_allclose(sl.pattern, rs.t4_omega3_oblique, atol=5e-5)  # measured 1.5e-5
    assert_allclose(sl.factor_loadings, rs.t4_omega3_gloading, atol=5e-5)  # 1.3e-5


def test_table4_two_factors_matches_psych_omega() -> None:
    # psych::omega(x, nfactors = 2): general loadings of both factors sqrt(phi_12)
    # (option = "equal"); measured omega_h 1.6e-6, omega.tot 1.1e-8, sl 1.9e-6, phi 1.7e-6
    sl = schmid_leiman(R, 2)
    assert_allclose(sl.omega_hierarchical, rs.t4_omega2_hierarchical, atol=1e-5)
    assert_allclose(sl.omega_total, rs.t4_omega2_total, atol=1e-6)
    assert_allclose(sl.omega_limit, rs.t4_omega2_limit, atol=1e-5)
    assert_allclose(sl.phi, rs.t4_omega2_phi, atol=1e-5)
    assert_allclose(sl.factor_loadings, rs.t4_omega2_gloading, atol=1e-5)
    assert_allclose(sl.factor_loadings, np.sqrt(sl.phi[0, 1]) * np.ones(2), rtol=1e-12)
    _check_sl(sl, rs.t4_omega2_sl, atol=1e-5)
    assert not sl.general_identified and not sl.ultra_heywood


@pytest.mark.parametrize(("m", "pre"), [(3, "thurstone_omega3"), (2, "thurstone_omega2")])
def test_thurstone_matches_psych_omega(m: int, pre: str) -> None:
    # psych::omega(Thurstone, nfactors = m, n.obs = 213): well conditioned; measured
    # |diff| omega_h 8.6e-7 / 1.8e-7, omega.tot 2.8e-7 / 3.7e-8, sl 5.6e-6 / 1.4e-5
    sl = schmid_leiman(rs.thurstone, m)
    assert_allclose(sl.omega_hierarchical, getattr(rs, f"{pre}_hierarchical"), atol=5e-6)
    assert_allclose(sl.omega_total, getattr(rs, f"{pre}_total"), atol=2e-6)
    assert_allclose(sl.omega_limit, getattr(rs, f"{pre}_limit"), atol=5e-6)
    assert_allclose(sl.phi, getattr(rs, f"{pre}_phi"), atol=2e-5)
    _check_sl(sl, getattr(rs, f"{pre}_sl"), atol=5e-5)
    assert sl.converged and not sl.ultra_heywood and (sl.key == 1).all()
    assert getattr(rs, f"{pre}_warnings") == []


def test_thurstone_gloading_matches_psych() -> None:
    # psych::omega(Thurstone, n.obs = 213)$schmid$gloading: fa(Phi) one-factor minres;
    # measured 9.5e-6
    sl = schmid_leiman(rs.thurstone, 3)
    assert_allclose(sl.factor_loadings, rs.thurstone_omega3_gloading, atol=2e-5)


def test_a_reversed_item_is_reflected_as_psych_does() -> None:
    # Thurstone with Sentences reversed: psych's flip = TRUE reflects it back, so the
    # omegas equal the unreversed ones; measured omega_h 8.5e-7, g 3.2e-6
    key = np.r_[-1.0, np.ones(8)]
    sl = schmid_leiman(rs.thurstone * np.outer(key, key), 3)
    assert sl.key.tolist() == rs.thurstone_reversed_key.tolist() == key.tolist()
    assert_allclose(sl.general_loadings, rs.thurstone_reversed_g, atol=2e-5)
    assert (sl.general_loadings > 0).all()
    assert_allclose(sl.omega_hierarchical, rs.thurstone_reversed_hierarchical, atol=5e-6)
    assert_allclose(sl.omega_total, rs.thurstone_reversed_total, atol=2e-6)
    plain = schmid_leiman(rs.thurstone, 3)
    assert_allclose(sl.omega_hierarchical, plain.omega_hierarchical, rtol=1e-8)


def test_bechtoldt_four_factors_matches_psych_omega() -> None:
    # psych::omega(Bechtoldt.1, nfactors = 4, n.obs = 212): the general factor from a
    # one-factor fit of a 4 x 4 Phi; measured omega_h 1.1e-6, g 5.8e-6, gloading 6.6e-6
    sl = schmid_leiman(rs.bechtoldt, 4)
    assert_allclose(sl.factor_loadings, rs.bechtoldt_omega4_gloading, atol=2e-5)
    assert_allclose(sl.general_loadings, rs.bechtoldt_omega4_g, atol=2e-5)
    assert_allclose(sl.omega_hierarchical, rs.bechtoldt_omega4_hierarchical, atol=5e-6)
    assert_allclose(sl.omega_total, rs.bechtoldt_omega4_total, atol=2e-6)
    assert_allclose(sl.omega_limit, rs.bechtoldt_omega4_limit, atol=5e-6)
    assert sl.converged


def test_raq_four_factors_matches_the_published_omegas() -> None:
    # discovr_17 (Field): psych::omega(raq, nfactors = 4) gives omega_t = 0.887 and
    # omega_h = 0.663, both of the one bifactor model; psych's full values measured
    # 1.2e-8 (omega.tot), 5.6e-6 (omega_h), 6.3e-6 (omega.lim): psych's early stop
    sl = schmid_leiman(raq.correlation(), 4)
    assert sl.converged and not sl.ultra_heywood and sl.general_identified
    assert round(sl.omega_total, 3) == raq.PUBLISHED_OMEGA_TOTAL
    assert round(sl.omega_hierarchical, 3) == raq.PUBLISHED_OMEGA_H
    total, hierarchical, limit = raq.PSYCH_OMEGA4
    assert_allclose(sl.omega_total, total, atol=1e-6)
    assert_allclose(sl.omega_hierarchical, hierarchical, atol=2e-5)
    assert_allclose(sl.omega_limit, limit, atol=2e-5)


def test_one_factor_is_psychs_nfactors_1_arithmetic() -> None:
    # psych::omega(x, nfactors = 1): gamma = 1, g = the loadings, omega_h = sum(l)^2 / sum(R)
    sl = schmid_leiman(R, 1)
    assert_allclose(sl.general_loadings, rr.omega1_loadings, atol=1e-5)
    assert_allclose(sl.omega_hierarchical, rr.omega1_hierarchical, atol=1e-5)
    assert_allclose(sl.omega_total, rr.omega1_total, atol=1e-6)
    assert_allclose(sl.omega_total, omega_from_correlation(R)[0], atol=1e-7)
    assert (sl.group_loadings == 0).all() and not sl.general_identified


# -- Schmid-Leiman by hand -------------------------------------------------------------------


def test_exact_bifactor_model_by_hand() -> None:
    # 3 groups of 3 items loading 0.7, group factors correlating 0.5: gamma = sqrt(.5),
    # g = 0.7 sqrt(.5), group = 0.7 sqrt(.5); sum(R) = 9 + 36 * .49 + 54 * .245 = 31.05
    p = np.kron(np.eye(3), np.full((3, 1), 0.7))
    phi = np.full((3, 3), 0.5) + 0.5 * np.eye(3)
    r = p @ phi @ p.T
    np.fill_diagonal(r, 1)
    for sl in (schmid_leiman(r, 3), schmid_from_loadings(r, p @ np.linalg.cholesky(phi))):
        assert_allclose(sl.factor_loadings, np.sqrt(0.5) * np.ones(3), atol=1e-6)
        assert_allclose(sl.general_loadings, 0.7 * np.sqrt(0.5) * np.ones(9), atol=1e-6)
        group = np.sort(np.abs(sl.group_loadings), axis=1)
        assert_allclose(group[:, -1], 0.7 * np.sqrt(0.5), atol=1e-6)
        assert_allclose(group[:, :-1], 0, atol=1e-6)
        assert_allclose(sl.h2, 0.49, atol=1e-7)
        gsq, vt, unique = (9 * 0.7 * np.sqrt(0.5)) ** 2, 31.05, 9 * 0.51
        assert_allclose(sl.omega_hierarchical, gsq / vt, atol=1e-6)
        assert_allclose(sl.omega_total, (vt - unique) / vt, atol=1e-7)
        assert_allclose(sl.omega_limit, gsq / (vt - unique), atol=1e-6)


def test_refusals() -> None:
    with pytest.raises(ParameterError, match="nfactors=0"):
        schmid_leiman(R, 0)
    with pytest.raises(ParameterError, match="nfactors=7 is too many for 10 items"):
        schmid_leiman(R, 7)
    with pytest.raises(ParameterError, match="square"):
        schmid_leiman(R[:, :5], 2)
    with pytest.raises(ParameterError, match="loadings must be a finite 10 x m"):
        schmid_from_loadings(R, np.ones((9, 2)))
    with pytest.raises(ParameterError, match=r"got shape \(10,\)"):
        schmid_from_loadings(R, np.ones(10))
    with pytest.raises(ParameterError, match="nfactors=7 is too many"):
        schmid_from_loadings(R, np.ones((10, 7)))

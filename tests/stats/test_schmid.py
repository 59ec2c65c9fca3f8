"""Schmid-Leiman solutions and hierarchical omega against psych::omega and by hand.

psych stops its minres fit early (L-BFGS-B, default factr) and its rotations at
GPArotation's eps = 1e-5; we converge tightly. Each tolerance below is what that early
stop allows, with the measured difference beside it. ``schmid_from_loadings`` fed with
R's own fit separates the transformation from the fit (looser in the ultra-Heywood
Table 4 case), and psych's steps iterated to convergence in R (``omega_tight`` in
``tests/stats/results/make_results.R``) agree with ours to 1e-9.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cma_research.core.errors import ParameterError
from cma_research.stats.omega import omega_from_correlation
from cma_research.stats.schmid import SchmidLeiman, schmid_from_loadings, schmid_leiman
from tests.stats.results import results_reliability as rr
from tests.stats.results import results_schmid as rs

R = np.corrcoef(rr.x.astype(float), rowvar=False)


def _check_sl(sl: SchmidLeiman, sl_r: np.ndarray, atol: float) -> None:
    """Compare with psych's ``schmid$sl`` (g, F1*..Fm*, h2, u2, p2)."""
    m = sl.nfactors
    assert_allclose(sl.general_loadings, sl_r[:, 0], atol=atol)
    assert_allclose(sl.group_loadings, sl_r[:, 1 : m + 1], atol=atol)
    assert_allclose(sl.h2, sl_r[:, m + 1], atol=atol)
    assert_allclose(sl.u2, sl_r[:, m + 2], atol=atol)


# -- against R (results_reliability.py, results_schmid.py)


def test_table4_three_factors_matches_psych_omega() -> None:
    # psych::omega(x): the ultra-Heywood case. Measured |diff|: omega.tot 1.7e-6,
    # omega_h 1.7e-5, omega.lim 2.0e-5, g loadings 4.4e-5 (psych's minres stops ~1e-4
    # short of its optimum, see test_factor.py)
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
    # omega_tight() in tests/stats/results/make_results.R: psych::omega's steps in R, each
    # iterated to convergence; measured |diff| gamma 7.3e-10, g 8.8e-10, omega_h 3.4e-10,
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


def test_one_factor_is_psychs_nfactors_1_arithmetic() -> None:
    # psych::omega(x, nfactors = 1): gamma = 1, g = the loadings, omega_h = sum(l)^2 / sum(R)
    sl = schmid_leiman(R, 1)
    assert_allclose(sl.general_loadings, rr.omega1_loadings, atol=1e-5)
    assert_allclose(sl.omega_hierarchical, rr.omega1_hierarchical, atol=1e-5)
    assert_allclose(sl.omega_total, rr.omega1_total, atol=1e-6)
    assert_allclose(sl.omega_total, omega_from_correlation(R)[0], atol=1e-7)
    assert (sl.group_loadings == 0).all() and not sl.general_identified


# -- by hand


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

"""Rubin's rules (pool_rubin) by hand and Barnard-Rubin df against mice's published cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cma_research import ParameterError, pool_rubin
from cma_research.missing.pooling import barnard_rubin_df


def test_pool_rubin_by_hand() -> None:
    """Four imputations, estimates (0.2, 0.5, 0.3, 0.4), variances (.01, .02, .01, .02), nu_com 10.

    Q = 1.4 / 4 = 0.35; W = 0.06 / 4 = 0.015;
    B = (0.15^2 + 0.15^2 + 0.05^2 + 0.05^2) / 3 = 0.05 / 3 = 0.0166667;
    T = W + (1 + 1/4) B = 0.015 + 0.0208333 = 0.0358333;
    lambda = 0.0208333 / 0.0358333 = 0.5813953;
    nu_old = (m - 1) / lambda^2 = 3 / 0.3380206 = 8.875200;
    nu_obs = (10 + 1)/(10 + 3) * 10 * (1 - 0.5813953) = 3.542040;
    nu = 8.875200 * 3.542040 / (8.875200 + 3.542040) = 2.531666;
    riv = 0.0208333 / 0.015 = 1.388889; mice's fmi = (riv + 2 / (nu + 3)) / (riv + 1)
    = (1.388889 + 0.361555) / 2.388889 = 0.732744.
    """
    p = pool_rubin([0.2, 0.5, 0.3, 0.4], [0.01, 0.02, 0.01, 0.02], df_complete=10)
    np.testing.assert_allclose(p.estimate, 0.35, rtol=1e-12)
    np.testing.assert_allclose(p.within, 0.015, rtol=1e-12)
    np.testing.assert_allclose(p.between, 0.05 / 3, rtol=1e-12)
    np.testing.assert_allclose(p.variance, 0.015 + 1.25 * 0.05 / 3, rtol=1e-12)
    np.testing.assert_allclose(p.lambda_share, 0.5813953, rtol=1e-6)
    np.testing.assert_allclose(p.riv, 1.388889, rtol=1e-6)
    np.testing.assert_allclose(p.df, 2.531666, rtol=1e-6)
    np.testing.assert_allclose(p.fmi, 0.732744, rtol=1e-5)
    # interval and p: t with nu df around Q, SE sqrt(T) = 0.1892969
    se = np.sqrt(0.015 + 1.25 * 0.05 / 3)
    q = stats.t.ppf(0.975, p.df)
    np.testing.assert_allclose(p.interval(), (0.35 - q * se, 0.35 + q * se), rtol=1e-12)
    np.testing.assert_allclose(p.p_value(), 2 * stats.t.sf(0.35 / se, p.df), rtol=1e-12)


def test_pool_rubin_infinite_complete_df() -> None:
    """mice::pool(dfcom = Inf): nu = nu_old = (m - 1) / lambda^2, not NaN.

    Same data as test_pool_rubin_by_hand: nu_old = 3 / 0.5813953^2 = 8.875200;
    fmi = (1.388889 + 2 / 11.875200) / 2.388889 = 0.651896.
    """
    p = pool_rubin([0.2, 0.5, 0.3, 0.4], [0.01, 0.02, 0.01, 0.02], df_complete=np.inf)
    np.testing.assert_allclose(p.df, 8.875200, rtol=1e-6)
    np.testing.assert_allclose(p.fmi, 0.651896, rtol=1e-5)
    assert np.isfinite(p.p_value()) and np.isfinite(p.interval()).all()
    default = pool_rubin([0.2, 0.5, 0.3, 0.4], [0.01, 0.02, 0.01, 0.02])  # dfcom = Inf default
    assert default == p


def test_pool_rubin_edge_cases() -> None:
    """Identical estimates: B = 0, lambda = 0. mice (3.19) no longer floors lambda, so the
    df are the limit nu_com (nu_com + 1) / (nu_com + 3) = 10 * 11 / 13 = 8.461538 (with
    the old 1e-4 floor: 8.460692); riv = 0, so fmi = 2 / (nu + 3) = 0.174497."""
    p = pool_rubin([1.0, 1.0, 1.0], [0.04, 0.04, 0.04], df_complete=10)
    assert p.between == 0 and p.lambda_share == 0 and p.riv == 0
    np.testing.assert_allclose(p.df, 110 / 13, rtol=1e-12)
    np.testing.assert_allclose(p.fmi, 2 / (110 / 13 + 3), rtol=1e-12)
    np.testing.assert_allclose(p.fmi, 0.174497, rtol=1e-5)
    np.testing.assert_allclose(p.variance, 0.04, rtol=1e-12)
    # nu_com infinite and lambda = 0: nu_old = (m - 1) / 0 is infinite (R: Inf), the
    # t reference is the normal, fmi = riv / (riv + 1) = 0
    inf = pool_rubin([1.0, 1.0, 1.0], [0.04, 0.04, 0.04])
    assert inf.df == np.inf and inf.fmi == 0
    np.testing.assert_allclose(
        inf.interval(), [1 - 1.959963984540054 * 0.2, 1 + 1.959963984540054 * 0.2], rtol=1e-12
    )
    with pytest.raises(ParameterError, match="at least 2 imputations"):
        pool_rubin([1.0], [0.1], df_complete=10)
    with pytest.raises(ParameterError, match="df_complete=0 must be > 0"):
        pool_rubin([1.0, 2.0], [0.1, 0.1], df_complete=0)


def barnard_rubin_floored(m: int, lam: float, dfcom: float) -> float:
    """mice <= 3.18's barnard.rubin (lambda floored at 1e-4), written out (mice's own tests
    keep it as ``barnard.rubin_old``)."""
    lam = max(lam, 1e-4)
    dfold = (m - 1) / lam**2
    if np.isinf(dfcom):
        return dfold
    dfobs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
    return dfold * dfobs / (dfold + dfobs)


def test_barnard_rubin_df_matches_mices_published_cases() -> None:
    """mice's tests/testthat/test-barnard.rubin.R (mice 3.19), M = 10, dfcom = 100.

    BARNARD-RUBIN-001: for lambda from 1 down to 1e-4 the same as the floored formula;
    BARNARD-RUBIN-002 / -005: dfcom = Inf gives (m - 1) / lambda^2;
    BARNARD-RUBIN-003 / -004: below 1e-4 it differs from the floored formula, is finite,
    equals dfcom (dfcom + 1) / (dfcom + 3) = 98.0583 at lambda = 0 (the floor gave
    98.0485) and is nearer that limit than the floored values.
    """
    for lam in np.linspace(1, 1e-4, 100):
        np.testing.assert_allclose(
            barnard_rubin_df(10, lam, 100), barnard_rubin_floored(10, lam, 100), rtol=1e-12
        )
        np.testing.assert_allclose(barnard_rubin_df(10, lam), 9 / lam**2, rtol=1e-12)
    for m, lam in [(8, 1e-4), (8, 1e-3), (8, 0.2)]:
        np.testing.assert_allclose(barnard_rubin_df(m, lam), (m - 1) / lam**2, rtol=1e-12)
    limit = 100 * 101 / 103
    assert barnard_rubin_df(10, 0.0, 100) == pytest.approx(limit, rel=1e-15)
    assert round(barnard_rubin_df(10, 0.0, 100), 3) == 98.058
    assert round(barnard_rubin_floored(10, 0.0, 100), 3) == 98.048
    for lam in [1e-8, 1e-6, 5e-5, *np.linspace(1e-4, 0, 100)[1:]]:
        new, old = barnard_rubin_df(10, lam, 100), barnard_rubin_floored(10, lam, 100)
        assert np.isfinite(new) and new != old
        assert abs(new - limit) <= abs(old - limit)
    # through pool_rubin: lambda = (1 + 1/m) B / T with B = 0 gives the limit
    assert pool_rubin([0.3] * 10, [0.01] * 10, 100).df == pytest.approx(limit, rel=1e-15)

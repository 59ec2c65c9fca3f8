"""Rubin's rules: pooling the results of an analysis over multiply imputed cohorts.

Strategy ``multiple`` (:func:`cma_research.clean`) gives ``m`` completed cohorts; an
analysis run on each gives ``m`` estimates and their variances, which
:func:`pool_rubin` combines into one estimate, its total variance and Barnard & Rubin's
(1999) small-sample degrees of freedom, as R's ``mice::pool`` does. ``correlate``,
``cronbach_alpha`` and ``fit_size_model`` pool themselves with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from cma_research.core.errors import ParameterError

__all__ = ["RubinPooled", "barnard_rubin_df", "pool_rubin"]


@dataclass(frozen=True)
class RubinPooled:
    """Rubin's rules for m estimates of one quantity (the names are ``mice::pool``'s)."""

    estimate: float
    variance: float  # total variance T
    within: float  # mean within-imputation variance (mice: ubar)
    between: float  # between-imputation variance B (mice: b)
    df: float  # Barnard-Rubin degrees of freedom (mice: df)
    riv: float  # relative increase in variance due to nonresponse, (1 + 1/m) B / W
    lambda_share: float  # share of the total variance due to missingness, (1 + 1/m) B / T
    fmi: float  # fraction of missing information, (riv + 2/(df + 3)) / (riv + 1)

    def interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """t-based interval on the pooled scale."""
        q = stats.t.ppf(0.5 + confidence / 2, self.df)
        half = q * np.sqrt(self.variance)
        return (self.estimate - half, self.estimate + half)

    def p_value(self) -> float:
        """Two-sided p of estimate = 0, t with the pooled df."""
        if self.variance == 0:
            return 0.0 if self.estimate else 1.0
        return float(2 * stats.t.sf(abs(self.estimate) / np.sqrt(self.variance), self.df))


def barnard_rubin_df(m: int, lam: float, df_complete: float = np.inf) -> float:
    """Barnard & Rubin's (1999) degrees of freedom, as ``mice:::barnard.rubin`` (mice 3.19).

    ``nu_old = (m - 1) / lambda^2``; with an infinite complete-data ``df_complete`` (mice's
    default ``dfcom = Inf``) that is the answer (infinite when ``lambda = 0``). Otherwise
    ``nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * (1 - lambda)`` and
    ``nu = nu_old nu_obs / (nu_old + nu_obs)``, written as mice writes it,
    ``(m - 1) a / ((nu_com + 3)(m - 1) + lambda^2 a)`` with ``a = (1 - lambda)(nu_com + 1)
    nu_com``, so that it stays finite as ``lambda -> 0``, where it tends to
    ``nu_com (nu_com + 1) / (nu_com + 3)``. mice up to 3.18 floored ``lambda`` at 1e-4
    (98.048 instead of 98.058 for ``nu_com = 100``); mice 3.19.0 dropped the floor
    (NEWS: "a correction for the Barnard-Rubin degrees of freedom ... for small samples
    and zero within-imputation variance", #726).

    >>> round(barnard_rubin_df(10, 0.0, 100), 4)  # 100 * 101 / 103
    98.0583
    >>> barnard_rubin_df(10, 0.5), round(barnard_rubin_df(10, 0.5, 100), 4)
    (36.0, 20.7582)
    """
    if np.isinf(df_complete):
        return float((m - 1) / lam**2) if lam > 0 else np.inf
    if lam > 0:
        # nu_old nu_obs / (nu_old + nu_obs): the same number as the form below, kept in
        # this form where it is finite so that pooled results stay as they were
        nu_old = (m - 1) / lam**2
        nu_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
        if np.isfinite(nu_old):
            return float(nu_old * nu_obs / (nu_old + nu_obs))
    a = (1 - lam) * (df_complete + 1) * df_complete
    return float((m - 1) * a / ((df_complete + 3) * (m - 1) + lam**2 * a))


def pool_rubin(
    estimates: Sequence[float] | np.ndarray,
    variances: Sequence[float] | np.ndarray,
    df_complete: float = np.inf,
) -> RubinPooled:
    """Pool m estimates with Rubin's rules and Barnard & Rubin's (1999) df, as ``mice::pool``.

    Q = mean(q_j); W = mean(u_j); B = var(q_j, ddof=1); T = W + (1 + 1/m) B;
    riv = (1 + 1/m) B / W; lambda = (1 + 1/m) B / T; the df are
    :func:`barnard_rubin_df` (``nu_old`` when nu_com is infinite, the default, mice's
    ``dfcom = Inf``); fmi = (riv + 2 / (nu + 3)) / (riv + 1).

    By hand for the example: Q = 1, W = 0.04, B = 0.04, T = 0.04 + 4/3 * 0.04 = 0.0933,
    lambda = 0.571, nu_old = 2 / 0.571^2 = 6.125, nu_obs = 21/23 * 20 * 0.429 = 7.826,
    nu = 6.125 * 7.826 / 13.951 = 3.44.

    >>> p = pool_rubin([1.0, 1.2, 0.8], [0.04, 0.05, 0.03], df_complete=20)
    >>> round(p.estimate, 3), round(p.variance, 4), round(p.df, 2)
    (1.0, 0.0933, 3.44)
    >>> round(pool_rubin([1.0, 1.2, 0.8], [0.04, 0.05, 0.03]).df, 3)  # nu_com = inf: nu_old
    6.125

    R: ``mice::pool.scalar(Q, U, n = dfcom + 1, k = 1)`` (its ``df``, ``r``, ``lambda``,
    ``fmi``).
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    m = len(q)
    if m < 2:
        raise ParameterError("pool_rubin needs at least 2 imputations")
    if not df_complete > 0:
        raise ParameterError(f"df_complete={df_complete!r} must be > 0 (or inf)")
    qbar, w = float(q.mean()), float(u.mean())
    b = float(q.var(ddof=1))
    t = w + (1 + 1 / m) * b
    riv = (1 + 1 / m) * b / w if w > 0 else np.inf
    lam = (1 + 1 / m) * b / t if t > 0 else 0.0
    df = barnard_rubin_df(m, lam, df_complete)
    fmi = (riv + 2 / (df + 3)) / (riv + 1) if np.isfinite(riv) else 1.0
    return RubinPooled(qbar, t, w, b, float(df), float(riv), float(lam), float(fmi))

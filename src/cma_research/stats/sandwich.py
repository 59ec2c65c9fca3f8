"""Cluster-robust inference for least squares with few clusters: CR2 and Satterthwaite df.

With a dozen or sixteen businesses, the usual cluster-robust (CR1) standard errors are
too small and normal or t(G - 1) reference distributions too optimistic. The CR2
estimator of Bell & McCaffrey (2002) rescales each cluster's residuals by
``A_g = (I - H_gg)^(-1/2)`` (``H_gg`` the cluster's block of the hat matrix, symmetric
inverse square root), and tests use a t distribution with Satterthwaite degrees of
freedom estimated from the same adjustment (Pustejovsky & Tipton 2018, *JBES* 36,
672-683). This is R's ``clubSandwich::vcovCR(fit, cluster, type = "CR2")`` and
``coef_test(..., test = "Satterthwaite")`` for ``lm`` (working model: independence).

With one observation per cluster CR2 is HC2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from cma_research.core.errors import ParameterError

__all__ = ["CR2Fit", "cr2_ols"]


@dataclass(frozen=True)
class CR2Fit:
    """OLS coefficients with CR2 standard errors and Satterthwaite degrees of freedom."""

    coef: np.ndarray
    vcov: np.ndarray
    df: np.ndarray  # Satterthwaite df of each coefficient
    n_obs: int
    n_clusters: int

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.vcov))

    def t(self) -> np.ndarray:
        return self.coef / self.se

    def p_values(self) -> np.ndarray:
        """Two-sided p of each coefficient, t with its Satterthwaite df."""
        return 2 * stats.t.sf(np.abs(self.t()), self.df)

    def interval(self, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        q = stats.t.ppf(0.5 + confidence / 2, self.df)
        return self.coef - q * self.se, self.coef + q * self.se


def _inv_sqrt(m: np.ndarray) -> np.ndarray:
    """Symmetric inverse square root of a positive semi-definite matrix (zero
    eigenvalues left at zero: the Moore-Penrose version, as clubSandwich)."""
    vals, vecs = np.linalg.eigh((m + m.T) / 2)
    tol = max(vals.max(), 1.0) * 1e-12 * len(vals)
    inv = np.where(vals > tol, 1 / np.sqrt(np.where(vals > tol, vals, 1.0)), 0.0)
    return np.asarray((vecs * inv) @ vecs.T)


def cr2_ols(y: np.ndarray, x: np.ndarray, groups: np.ndarray) -> CR2Fit:
    """OLS of ``y`` on ``x`` (with its own intercept column) with CR2 errors by ``groups``.

    The variance is ``M (sum_g X_g' A_g e_g e_g' A_g X_g) M`` with ``M = (X'X)^-1`` and
    ``A_g = (I - X_g M X_g')^(-1/2)``. The Satterthwaite df of coefficient ``c`` is
    ``(sum_g G_g' G_g)^2 / sum_g sum_h (G_g' G_h)^2`` with ``G_g = (I - H)[:, g]
    A_g X_g M e_c`` (Bell & McCaffrey 2002, working model independence).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(8), 3)
    >>> x = np.column_stack([np.ones(24), rng.normal(size=24)])
    >>> fit = cr2_ols(x @ [1.0, 0.5] + rng.normal(size=24), x, g)
    >>> fit.n_clusters, bool((fit.df > 0).all() and (fit.df <= 7).all())
    (8, True)
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    codes = np.unique(np.asarray(groups), return_inverse=True)[1]
    n_g = int(codes.max()) + 1 if len(codes) else 0
    if n_g < 2:
        raise ParameterError("CR2 standard errors need at least 2 clusters")
    n, p = x.shape
    m = np.linalg.inv(x.T @ x)
    coef = m @ x.T @ y
    resid = y - x @ coef
    hat = x @ m @ x.T
    i_h = np.eye(n) - hat
    meat = np.zeros((p, p))
    u = []  # A_g X_g M, one (n_g x p) block per cluster
    idx = [np.flatnonzero(codes == g) for g in range(n_g)]
    for rows in idx:
        a = _inv_sqrt(i_h[np.ix_(rows, rows)])
        ax = a @ x[rows]
        v = ax.T @ resid[rows]  # X_g' A_g e_g
        meat += np.outer(v, v)
        u.append(ax @ m)
    vcov = m @ meat @ m
    df = np.empty(p)
    for c in range(p):
        big_g = np.column_stack(
            [i_h[:, rows] @ blk[:, c] for rows, blk in zip(idx, u, strict=True)]
        )
        gram = big_g.T @ big_g
        df[c] = np.trace(gram) ** 2 / np.sum(gram**2)
    return CR2Fit(coef=coef, vcov=vcov, df=df, n_obs=n, n_clusters=n_g)

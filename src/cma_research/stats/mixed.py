"""REML for the random-intercept linear model, in closed form per group (any number of groups).

Model: ``y_ij = x_ij' beta + b_i + e_ij``, ``b_i ~ N(0, var_b)``, ``e_ij ~ N(0, var_e)``.
With ``gamma = var_b / var_e`` the covariance of group i is ``var_e (I + gamma J)``, whose
inverse is ``(I - c_i J) / var_e`` with ``c_i = gamma / (1 + n_i gamma)``, so every
quantity of the REML criterion follows from per-group sums of ``x``, ``y`` and their
products. The criterion is lme4's (Bates et al. 2015, eq. 42, with ``var_e`` profiled
out)::

    -2 l_R = sum_i log(1 + n_i gamma) + log |H| + (N - p) (1 + log(2 pi RSS / (N - p)))

with ``H = X' (I + gamma J)^-1 X`` and ``RSS`` the generalized residual sum of squares.
It is minimised over ``log gamma`` (bounded Brent; ``gamma = 0`` is also tried). The
fixed-effect covariance is ``var_e H^-1``, as lme4's ``vcov``. One evaluation costs
O(groups x p^2), so 54,000 businesses fit in well under a second, where statsmodels'
``MixedLM`` loops over the groups in Python (minutes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

__all__ = ["RandomInterceptFit", "random_intercept_reml"]


@dataclass(frozen=True)
class RandomInterceptFit:
    """A REML fit of the random-intercept model."""

    beta: np.ndarray
    cov_beta: np.ndarray
    var_b: float
    var_e: float
    reml_loglik: float
    n_obs: int
    n_groups: int


def random_intercept_reml(y: np.ndarray, x: np.ndarray, groups: np.ndarray) -> RandomInterceptFit:
    """Fit ``y ~ x + (1 | groups)`` by REML.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(30), 3)
    >>> x = np.column_stack([np.ones(90), np.tile([0.0, 1.0, 2.0], 30)])
    >>> y = x @ [1.0, 0.5] + rng.normal(size=30)[g] + rng.normal(scale=0.5, size=90)
    >>> fit = random_intercept_reml(y, x, g)
    >>> bool(abs(fit.beta[1] - 0.5) < 0.2), fit.n_groups
    (True, 30)
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    _, gi = np.unique(groups, return_inverse=True)
    n_i = np.bincount(gi).astype(float)
    n, p = x.shape
    k = len(n_i)
    sx = np.zeros((k, p))
    np.add.at(sx, gi, x)
    sy = np.bincount(gi, weights=y, minlength=k)
    xtx, xty, yty = x.T @ x, x.T @ y, float(y @ y)

    def parts(gamma: float) -> tuple[float, np.ndarray, np.ndarray, float]:
        c = gamma / (1 + n_i * gamma)
        h = xtx - (sx * c[:, None]).T @ sx
        hy = xty - sx.T @ (c * sy)
        beta = np.linalg.solve(h, hy)
        rss = yty - float((c * sy) @ sy) - float(hy @ beta)
        return rss, h, beta, float(np.log1p(n_i * gamma).sum())

    def crit(gamma: float) -> float:
        rss, h, _, logdet_v = parts(gamma)
        _, logdet_h = np.linalg.slogdet(h)
        return logdet_v + logdet_h + (n - p) * (1 + np.log(2 * np.pi * rss / (n - p)))

    res = minimize_scalar(
        lambda t: crit(float(np.exp(t))),
        bounds=(-30.0, 15.0),
        method="bounded",
        options={"xatol": 1e-12, "maxiter": 500},
    )
    gamma = float(np.exp(res.x))
    if crit(0.0) <= crit(gamma):
        gamma = 0.0
    rss, h, beta, _ = parts(gamma)
    var_e = rss / (n - p)
    return RandomInterceptFit(
        beta=beta,
        cov_beta=var_e * np.linalg.inv(h),
        var_b=gamma * var_e,
        var_e=var_e,
        reml_loglik=-crit(gamma) / 2,
        n_obs=n,
        n_groups=k,
    )

"""Polychoric correlation of ordinal variables: two-step estimate with its standard error.

The two-step estimator (Olsson 1979; ``polycor::polychor(x, y, ML = FALSE)``): the
thresholds of each variable are the normal quantiles of its cumulative marginal
proportions, then the correlation ``rho`` of the latent bivariate normal maximises the
multinomial likelihood of the contingency table with the thresholds held fixed. The
bivariate normal probabilities use Genz's (2004) algorithm (the one in R's ``mvtnorm``
and ``pbivnorm``), vectorised over cells, accurate to about 1e-15.

Array-level and testable without a Cohort; :func:`cma_research.stage_correlations`
(``method="polychoric"``) and ``cronbach_alpha(..., ordinal=True)`` apply it to cohorts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from cma_research.core.errors import ParameterError

__all__ = [
    "MAX_RHO",
    "Polychoric",
    "bivariate_normal_cdf",
    "polychoric",
    "polychoric_loglik",
    "polychoric_matrix",
    "smooth_correlation",
    "thresholds",
]

#: The search for rho is bounded to [-MAX_RHO, MAX_RHO] (as polycor's ``maxcor``).
MAX_RHO = 0.9999

_X20, _W20 = np.polynomial.legendre.leggauss(20)


def _phi(x: np.ndarray) -> np.ndarray:
    return np.asarray(special.ndtr(x), dtype=float)


def _bvnu_finite(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(X > h, Y > k) for finite h, k and |r| < 1 (Genz's BVNU, 20-point Gauss-Legendre)."""
    out = np.empty(h.shape, dtype=float)
    hk = h * k
    small = np.abs(r) < 0.925
    if small.any():
        hs = (h[small] ** 2 + k[small] ** 2) / 2
        asr = np.arcsin(r[small])
        sn = np.sin(asr[:, None] * (1 + _X20[None, :]) / 2)
        terms = np.exp((sn * hk[small, None] - hs[:, None]) / (1 - sn * sn))
        out[small] = (terms @ _W20) * asr / (4 * np.pi) + _phi(-h[small]) * _phi(-k[small])
    big = ~small
    if big.any():
        hb, kb, rb = h[big], k[big].copy(), r[big]
        neg = rb < 0
        kb[neg] = -kb[neg]
        hkb = hb * kb
        as_ = (1 - rb) * (1 + rb)
        a = np.sqrt(as_)
        bs = (hb - kb) ** 2
        c = (4 - hkb) / 8
        d = (12 - hkb) / 16
        bvn = (
            a
            * np.exp(-(bs / as_ + hkb) / 2)
            * (1 - c * (bs - as_) * (1 - d * bs / 5) / 3 + c * d * as_ * as_ / 5)
        )
        b = np.sqrt(bs)
        tail = (
            np.exp(-hkb / 2)
            * np.sqrt(2 * np.pi)
            * _phi(-b / a)
            * b
            * (1 - c * bs * (1 - d * bs / 5) / 3)
        )
        bvn = bvn - np.where(hkb > -160, tail, 0.0)
        a2 = a / 2
        xs = (a2[:, None] * (_X20[None, :] + 1)) ** 2
        rs = np.sqrt(1 - xs)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            f = np.exp(-bs[:, None] / (2 * xs) - hkb[:, None] / (1 + rs)) / rs - np.exp(
                -(bs[:, None] / xs + hkb[:, None]) / 2
            ) * (1 + c[:, None] * xs * (1 + d[:, None] * xs))
        f = np.where(np.isfinite(f), f, 0.0)
        bvn = -(bvn + a2 * (f @ _W20)) / (2 * np.pi)
        pos = ~neg
        res = np.empty(hb.shape, dtype=float)
        res[pos] = bvn[pos] + _phi(-np.maximum(hb[pos], kb[pos]))
        # r < 0: here kb = -k
        hn, kn, bn = hb[neg], kb[neg], bvn[neg]
        low = np.where(hn < 0, _phi(kn) - _phi(hn), _phi(-hn) - _phi(-kn))
        res[neg] = np.where(hn >= kn, -bn, low - bn)
        out[big] = res
    return np.clip(out, 0.0, 1.0)


def bivariate_normal_cdf(h: np.ndarray, k: np.ndarray, rho: float | np.ndarray) -> np.ndarray:
    """P(X <= h, Y <= k) for a standard bivariate normal with correlation ``rho``.

    Vectorised over broadcastable ``h``, ``k`` and ``rho``; ``h`` and ``k`` may be
    infinite. Genz (2004), "Numerical computation of rectangular bivariate and trivariate
    normal and t probabilities", Statistics and Computing 14, 251-260.

    Examples
    --------
    >>> float(bivariate_normal_cdf(0.0, 0.0, 0.5).round(12))  # 1/4 + asin(0.5)/(2 pi)
    0.333333333333
    """
    hh, kk, rr = np.broadcast_arrays(
        np.asarray(h, dtype=float), np.asarray(k, dtype=float), np.asarray(rho, dtype=float)
    )
    shape = hh.shape
    hh, kk, rr = hh.ravel(), kk.ravel(), rr.ravel()
    out = np.zeros(hh.shape, dtype=float)
    zero = (hh == -np.inf) | (kk == -np.inf)
    h_inf = (hh == np.inf) & ~zero
    k_inf = (kk == np.inf) & ~zero & ~h_inf
    out[h_inf] = _phi(kk[h_inf])
    out[k_inf] = _phi(hh[k_inf])
    finite = ~(zero | h_inf | k_inf)
    if finite.any():
        out[finite] = _bvnu_finite(-hh[finite], -kk[finite], rr[finite])
    return out.reshape(shape)


def _bivariate_normal_pdf(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    """Density at (h, k); 0 where either is infinite."""
    ok = np.isfinite(h) & np.isfinite(k)
    hf, kf = np.where(ok, h, 0.0), np.where(ok, k, 0.0)
    s = 1 - rho * rho
    q = (hf * hf - 2 * rho * hf * kf + kf * kf) / s
    return np.where(ok, np.exp(-q / 2) / (2 * np.pi * np.sqrt(s)), 0.0)


def _pdf_drho(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    """d/d rho of the bivariate normal density; 0 where h or k is infinite."""
    ok = np.isfinite(h) & np.isfinite(k)
    hf, kf = np.where(ok, h, 0.0), np.where(ok, k, 0.0)
    s = 1 - rho * rho
    q = hf * hf - 2 * rho * hf * kf + kf * kf
    dens = _bivariate_normal_pdf(hf, kf, rho)
    return np.where(ok, dens * (rho / s + hf * kf / s - rho * q / s**2), 0.0)


def thresholds(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """Normal quantiles of the cumulative marginal proportions, with -inf and inf at the ends.

    ``codes`` are integer category codes 0..n_categories-1; returns n_categories + 1
    cut points (``qnorm(cumsum(table)/n)``, as polycor and psych).
    """
    counts = np.bincount(codes, minlength=n_categories).astype(float)
    cum = np.cumsum(counts)[:-1] / counts.sum()
    return np.concatenate([[-np.inf], stats.norm.ppf(cum), [np.inf]])


def _cell_probabilities(a: np.ndarray, b: np.ndarray, rho: float) -> np.ndarray:
    """Probability of each cell of the table cut by thresholds ``a`` (rows) and ``b``."""
    cdf = bivariate_normal_cdf(a[:, None], b[None, :], rho)
    return np.diff(np.diff(cdf, axis=0), axis=1)


def _cell_derivative(
    a: np.ndarray,
    b: np.ndarray,
    rho: float,
    fn: Callable[[np.ndarray, np.ndarray, float], np.ndarray],
) -> np.ndarray:
    shape = (a.size, b.size)
    grid = fn(np.broadcast_to(a[:, None], shape), np.broadcast_to(b[None, :], shape), rho)
    return np.diff(np.diff(grid, axis=0), axis=1)


@dataclass(frozen=True)
class Polychoric:
    """A two-step polychoric estimate: ``rho``, its ``se``, the table and the thresholds."""

    rho: float
    se: float
    n: int
    row_thresholds: np.ndarray
    col_thresholds: np.ndarray
    table: np.ndarray
    loglik: float
    loglik_zero: float

    @property
    def p_value(self) -> float:
        """Two-sided likelihood-ratio p of rho = 0 (thresholds fixed), chi-square with 1 df."""
        stat = max(2 * (self.loglik - self.loglik_zero), 0.0)
        return float(stats.chi2.sf(stat, 1))


def polychoric_loglik(table: np.ndarray, a: np.ndarray, b: np.ndarray, rho: float) -> float:
    """Log-likelihood of a contingency ``table`` at correlation ``rho``, thresholds fixed.

    ``a`` and ``b`` are the row and column thresholds bordered by ``-inf`` and ``inf``
    (so ``len(a) = rows + 1``); the cell probabilities are bivariate normal rectangle
    probabilities, as in ``polycor::polychor`` (two-step) and :func:`polychoric`.
    """
    p = _cell_probabilities(a, b, rho)
    used = table > 0
    with np.errstate(divide="ignore"):
        return float(np.sum(table[used] * np.log(np.maximum(p[used], 1e-300))))


def _codes(values: np.ndarray, what: str) -> tuple[np.ndarray, int]:
    levels, codes = np.unique(values, return_inverse=True)
    if levels.size < 2:
        raise ParameterError(
            f"the polychoric correlation is undefined for {what}: it has one observed level "
            f"({levels[0]:g}) over the businesses used; a latent threshold needs two or more"
        )
    return codes, int(levels.size)


def polychoric(x: np.ndarray, y: np.ndarray, *, what: str = "x and y") -> Polychoric:
    """Two-step polychoric correlation of two ordinal arrays, with its standard error.

    Parameters
    ----------
    x, y : array of numbers
        Ordinal values (e.g. levels), paired, without missing values. Only the observed
        levels count (an unused level adds no threshold), as in ``polycor::polychor``.
    what : str
        Names the pair in the error message.

    Returns
    -------
    Polychoric
        ``rho`` (maximum likelihood given the marginal thresholds, searched in
        [-MAX_RHO, MAX_RHO]), ``se`` (square root of the inverse observed information
        of rho, analytic; NaN at the search bound), ``n``, the thresholds, the table,
        the log-likelihood at rho and at 0 and :attr:`Polychoric.p_value`.

    Raises
    ------
    ParameterError
        Fewer than 2 pairs, missing values, or a variable with one observed level
        (the correlation is undefined).

    Examples
    --------
    >>> res = polychoric([0, 1, 1, 2, 2, 3, 1, 0], [0, 0, 1, 2, 3, 3, 2, 1])
    >>> round(res.rho, 4), res.n
    (0.8998, 8)

    R: ``polycor::polychor(x, y, ML = FALSE, std.err = TRUE)`` (0.8998 here, to its
    optimiser tolerance).
    """
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if xa.shape != ya.shape or xa.ndim != 1:
        raise ParameterError(f"{what}: x and y must be 1-d arrays of equal length")
    if np.isnan(xa).any() or np.isnan(ya).any():
        raise ParameterError(f"{what}: remove missing values first (pairwise complete cases)")
    if xa.size < 2:
        raise ParameterError(f"{what}: needs at least 2 pairs, got {xa.size}")
    cx, kx = _codes(xa, what + f" (first variable: {_first(what)})")
    cy, ky = _codes(ya, what + f" (second variable: {_second(what)})")
    table = np.zeros((kx, ky), dtype=float)
    np.add.at(table, (cx, cy), 1.0)
    a = thresholds(cx, kx)
    b = thresholds(cy, ky)

    def neg(r: float) -> float:
        return -polychoric_loglik(table, a, b, r)

    res = optimize.minimize_scalar(
        neg, bounds=(-MAX_RHO, MAX_RHO), method="bounded", options={"xatol": 1e-12}
    )
    rho = float(res.x)
    p = _cell_probabilities(a, b, rho)
    d1 = _cell_derivative(a, b, rho, _bivariate_normal_pdf)
    d2 = _cell_derivative(a, b, rho, _pdf_drho)
    used = table > 0
    info = float(np.sum(table[used] * (d1[used] ** 2 / p[used] ** 2 - d2[used] / p[used])))
    at_bound = MAX_RHO - abs(rho) < 1e-6
    se = float(1 / np.sqrt(info)) if info > 0 and not at_bound else np.nan
    return Polychoric(
        rho=rho,
        se=se,
        n=int(xa.size),
        row_thresholds=a[1:-1],
        col_thresholds=b[1:-1],
        table=table,
        loglik=-float(res.fun),
        loglik_zero=polychoric_loglik(table, a, b, 0.0),
    )


def _first(what: str) -> str:
    return what.split(" and ")[0] if " and " in what else "x"


def _second(what: str) -> str:
    return what.split(" and ")[1] if " and " in what else "y"


def smooth_correlation(r: np.ndarray, eig_tol: float = 1e-12) -> tuple[np.ndarray, bool]:
    """Nearest-style eigenvalue smoothing of a non-positive-definite correlation matrix.

    As ``psych::cor.smooth``: when the smallest eigenvalue is below machine epsilon,
    eigenvalues below ``eig_tol`` become ``100 * eig_tol``, all are rescaled to sum to
    the dimension, the matrix is rebuilt and rescaled to unit diagonal. Returns the
    matrix and whether smoothing was done.
    """
    values, vectors = np.linalg.eigh(r)
    if values.min() >= np.finfo(float).eps:
        return r.copy(), False
    values = np.where(values < eig_tol, 100 * eig_tol, values)
    values = values * r.shape[0] / values.sum()
    rebuilt = (vectors * values) @ vectors.T
    d = np.sqrt(np.diag(rebuilt))
    out = rebuilt / np.outer(d, d)
    np.fill_diagonal(out, 1.0)
    return (out + out.T) / 2, True


def polychoric_matrix(
    values: np.ndarray, *, names: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise two-step polychoric matrix of the columns of ``values`` (NaN = missing).

    Each pair uses the rows observed on both columns, and its own thresholds from those
    rows (as ``polycor::polychor`` on the pair). Returns ``(rho, se, n)`` matrices; a
    pair with fewer than 2 rows, or on which a column is constant, is NaN.

    Raises
    ------
    ParameterError
        A column with one observed level over all its rows (named by ``names``).
    """
    x = np.asarray(values, dtype=float)
    k = x.shape[1]
    labels = names if names is not None else [f"column {j}" for j in range(k)]
    for j in range(k):
        col = x[:, j][~np.isnan(x[:, j])]
        if np.unique(col).size < 2:
            seen = f"one observed level ({col[0]:g})" if col.size else "no observed level"
            raise ParameterError(
                f"polychoric correlations are undefined for {labels[j]}: it has {seen}; "
                "every stage needs two or more observed levels"
            )
    rho = np.eye(k)
    se = np.zeros((k, k))
    p = np.zeros((k, k))
    n = np.zeros((k, k), dtype=int)
    for j in range(k):
        n[j, j] = int((~np.isnan(x[:, j])).sum())
    for i in range(k):
        for j in range(i + 1, k):
            ok = ~np.isnan(x[:, i]) & ~np.isnan(x[:, j])
            n[i, j] = n[j, i] = int(ok.sum())
            xi, xj = x[ok, i], x[ok, j]
            if ok.sum() < 2 or np.ptp(xi) == 0 or np.ptp(xj) == 0:
                rho[i, j] = rho[j, i] = se[i, j] = se[j, i] = p[i, j] = p[j, i] = np.nan
                continue
            res = polychoric(xi, xj, what=f"{labels[i]} and {labels[j]}")
            rho[i, j] = rho[j, i] = res.rho
            se[i, j] = se[j, i] = res.se
            p[i, j] = p[j, i] = res.p_value
    return rho, se, n, p

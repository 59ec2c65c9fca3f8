"""Multi-factor minres fits and rotations of a correlation matrix, as ``psych::fa`` does.

Array-level and testable without a Cohort; :mod:`cma_research.stats.schmid` builds the
Schmid-Leiman bifactor solution and hierarchical omega on top of it.

What is computed (psych 2.2.9, ``psych:::fac`` with ``fm = "minres"``):

- **Fit.** The uniquenesses ``psi`` (bounded to [0.005, 1], started from
  ``1 - SMC``) determine the loadings ``L``: the ``nfactors`` leading eigenvectors of
  ``R - diag(psi)`` scaled by the square roots of their (non-negative) eigenvalues
  (``psych:::FAout.wls``). psych runs L-BFGS-B with the gradient
  ``diag(L L' + psi - R)`` (``psych:::FAgr.minres``), which is half the gradient of the
  unweighted least-squares discrepancy ``||R - diag(psi) - L L'||^2`` (the sum of the
  squared dropped eigenvalues). Its solution is the point where that gradient vanishes
  for every uniqueness off the bounds: each communality ``diag(L L')`` equals
  ``1 - psi`` (so the off-diagonal residuals are minimal, the minres solution), except
  for an item held at a bound. We minimise that discrepancy with its exact gradient to
  convergence (R's ``optim`` run to convergence on it agrees to 1e-9); psych's
  optimiser stops earlier (default ``factr``), so its loadings agree with ours to about
  ``1e-5`` in a well-determined case and to about ``1e-4`` when a uniqueness sits on
  its bound (an ultra-Heywood case).
- **Signs and order.** Each column is reflected so its loadings sum to a positive
  number; after a rotation the columns are also ordered by the variance they account
  for (``diag(Phi L' L)``), largest first.
- **Rotations.** ``varimax`` is ``stats::varimax`` (Kaiser-normalised rows, the SVD
  iteration of R); ``oblimin`` (gamma 0, i.e. quartimin) is GPArotation's
  gradient-projection algorithm ``GPFoblq`` from the identity, here through
  :func:`statsmodels.multivariate.factor_rotation.rotate_factors` (a port of it: from
  the same loadings and tolerance it matches GPArotation to 1e-16).

``dof = ((k - m)^2 - (k + m)) / 2`` is the model's degrees of freedom (``k`` items,
``m`` factors); a model with ``dof < 0`` has more parameters than the correlations
identify and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize
from statsmodels.multivariate.factor_rotation import rotate_factors

from cma_research.core.errors import ParameterError

__all__ = [
    "PSI_BOUNDS",
    "FactorFit",
    "Rotation",
    "check_correlation",
    "factor_dof",
    "minres",
    "oblimin",
    "smc",
    "varimax",
]

#: Bounds of the uniquenesses in psych's minres fit (``lower = 0.005, upper = 1``).
PSI_BOUNDS: tuple[float, float] = (0.005, 1.0)


@dataclass(frozen=True)
class FactorFit:
    """An unrotated minres fit.

    ``loadings`` (k x m, psych's column signs), ``uniquenesses`` (the fitted ``psi``),
    ``communalities`` (``diag(L L')``: what psych reports as ``communality`` and what
    ``h2`` and omega use), whether the optimiser ``converged``, the least-squares
    ``objective`` ``||R - diag(psi) - L L'||^2`` and the model's ``dof``.
    """

    loadings: np.ndarray
    uniquenesses: np.ndarray
    communalities: np.ndarray
    converged: bool
    objective: float
    dof: float

    @property
    def heywood(self) -> np.ndarray:
        """Per item: a communality of 1 or more (a Heywood case; above 1 is ultra-Heywood)."""
        return np.asarray(self.communalities >= 1 - 1e-12)

    @property
    def ultra_heywood(self) -> bool:
        """True when a communality exceeds 1 (psych warns "An ultra-Heywood case")."""
        return bool(np.any(self.communalities > 1))


@dataclass(frozen=True)
class Rotation:
    """Rotated loadings: ``pattern`` (k x m), factor correlations ``phi`` (identity when
    orthogonal), the rotation's ``converged`` flag."""

    pattern: np.ndarray
    phi: np.ndarray
    converged: bool


def check_correlation(r: np.ndarray, nfactors: int) -> np.ndarray:
    """``r`` as a float array after checking it can carry ``nfactors`` factors.

    Raises :class:`~cma_research.core.errors.ParameterError` for a non-square or
    non-symmetric matrix, undefined entries, a diagonal other than 1, a matrix that is
    not positive semi-definite, ``nfactors < 1`` or a model with negative ``dof``.

    >>> check_correlation(np.eye(3), 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cma_research.core.errors.ParameterError: nfactors=2 is too many for 3 items: dof = -2 < 0 ...
    """
    r = np.asarray(r, dtype=float)
    if r.ndim != 2 or r.shape[0] != r.shape[1] or r.shape[0] < 3:
        raise ParameterError(
            f"a factor model needs a square correlation matrix of at least 3 items; got shape "
            f"{r.shape}"
        )
    if not np.all(np.isfinite(r)):
        raise ParameterError("the correlation matrix has undefined (NaN or infinite) entries")
    if not np.allclose(r, r.T, rtol=0, atol=1e-10) or not np.allclose(np.diag(r), 1, atol=1e-10):
        raise ParameterError("expected a correlation matrix: symmetric with a unit diagonal")
    low = float(np.linalg.eigvalsh(r)[0])
    if low < -1e-10:
        raise ParameterError(
            f"the correlation matrix is not positive semi-definite (smallest eigenvalue "
            f"{low:.3g}); smooth it first (e.g. cma_research.stats.polychoric.smooth_correlation)"
        )
    if isinstance(nfactors, bool) or not isinstance(nfactors, int | np.integer) or nfactors < 1:
        raise ParameterError(f"nfactors={nfactors!r} must be a whole number >= 1")
    k = r.shape[0]
    dof = factor_dof(k, int(nfactors))
    if dof < 0:
        most = max(m for m in range(1, k + 1) if factor_dof(k, m) >= 0)
        raise ParameterError(
            f"nfactors={nfactors} is too many for {k} items: dof = {dof:g} < 0 (the model has "
            f"more parameters than the correlations; at most {most} factor(s) are identified)"
        )
    return r


def factor_dof(k: int, m: int) -> float:
    """Degrees of freedom ``((k - m)^2 - (k + m)) / 2`` of ``m`` factors for ``k`` items.

    >>> factor_dof(10, 3), factor_dof(9, 3), factor_dof(4, 2)
    (18.0, 12.0, -1.0)
    """
    return ((k - m) ** 2 - (k + m)) / 2


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 - 1 / diag(R^+)`` clipped to [0, 1] (``psych::smc``).

    >>> smc(np.array([[1, .5, .5], [.5, 1, .5], [.5, .5, 1]])).round(4).tolist()
    [0.3333, 0.3333, 0.3333]
    """
    out = 1 - 1 / np.diag(np.linalg.pinv(np.asarray(r, dtype=float)))
    return np.asarray(np.clip(out, 0.0, 1.0))


def _loadings(r: np.ndarray, psi: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    values, vectors = np.linalg.eigh(r - np.diag(psi))
    values, vectors = values[::-1], vectors[:, ::-1]
    return vectors[:, :m] * np.sqrt(np.maximum(values[:m], 0)), values


def minres(r: np.ndarray, nfactors: int) -> FactorFit:
    """Minres fit of ``nfactors`` factors to correlation ``r`` (``psych::fa(fm = "minres")``).

    See the module docstring for the algorithm and how it relates to psych's.

    Examples
    --------
    >>> lv = np.array([[.8, 0], [.7, 0], [.6, 0], [0, .8], [0, .7], [0, .6]])
    >>> r = lv @ lv.T + np.diag(1 - (lv**2).sum(axis=1))  # an exact two-factor matrix
    >>> fit = minres(r, 2)
    >>> np.abs(fit.loadings @ fit.loadings.T - lv @ lv.T).max() < 1e-7, fit.dof
    (np.True_, 4.0)
    >>> fit.communalities.round(6).tolist()
    [0.64, 0.49, 0.36, 0.64, 0.49, 0.36]
    """
    r = check_correlation(r, nfactors)
    m = int(nfactors)
    k = r.shape[0]

    def fn(psi: np.ndarray) -> tuple[float, np.ndarray]:
        lv, values = _loadings(r, psi, m)
        dropped = np.concatenate([values[m:], np.minimum(values[:m], 0)])
        grad = 2 * (np.sum(lv**2, axis=1) + psi - np.diag(r))
        return float(np.sum(dropped**2)), grad

    lower, upper = PSI_BOUNDS
    start = np.clip(np.diag(r) - smc(r), lower, upper)
    fit = optimize.minimize(
        fn,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(lower, upper)] * k,
        options={"ftol": 1e-16, "gtol": 1e-13, "maxiter": 20000, "maxcor": 20},
    )
    psi = np.clip(fit.x, lower, upper)
    lv, _ = _loadings(r, psi, m)
    lv = _reflect(lv)
    # converged: the projected gradient vanishes (interior items fit their communality)
    grad = np.sum(lv**2, axis=1) + psi - np.diag(r)
    free = ((psi > lower) | (grad < 0)) & ((psi < upper) | (grad > 0))
    converged = bool(np.all(np.abs(grad[free]) < 1e-6))
    return FactorFit(
        loadings=lv,
        uniquenesses=psi,
        communalities=np.sum(lv**2, axis=1),
        converged=converged,
        objective=float(fit.fun),
        dof=factor_dof(k, m),
    )


def _reflect(lv: np.ndarray) -> np.ndarray:
    """Columns reflected so each sums to a positive number (psych's ``sign(colSums)``)."""
    signs = np.sign(lv.sum(axis=0))
    signs[signs == 0] = 1
    return np.asarray(lv * signs)


def _sort(pattern: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """psych's post-rotation convention: reflect columns, order by ``diag(Phi L'L)``."""
    signs = np.sign(pattern.sum(axis=0))
    signs[signs == 0] = 1
    pattern = pattern * signs
    phi = phi * np.outer(signs, signs)
    order = np.argsort(-np.diag(phi @ pattern.T @ pattern), kind="stable")
    return pattern[:, order], phi[np.ix_(order, order)]


def varimax(loadings: np.ndarray, *, tol: float = 1e-14, max_iter: int = 1000) -> Rotation:
    """Kaiser-normalised varimax as ``stats::varimax``, then psych's signs and order.

    R stops when the criterion grows by less than a relative ``eps = 1e-5``; we iterate
    to ``tol``.

    >>> a = np.array([[.7, .3], [.6, .4], [.5, .2], [.3, -.6], [.2, -.7], [.4, -.5]])
    >>> rot = varimax(a)
    >>> np.allclose(rot.pattern @ rot.pattern.T, a @ a.T), rot.phi.tolist()
    (True, [[1.0, 0.0], [0.0, 1.0]])
    """
    a = np.asarray(loadings, dtype=float)
    m = a.shape[1]
    if m < 2:
        return Rotation(pattern=a.copy(), phi=np.eye(m), converged=True)
    scale = np.sqrt(np.sum(a**2, axis=1))
    x = a / scale[:, None]
    p = x.shape[0]
    t = np.eye(m)
    d = 0.0
    converged = False
    for _ in range(max_iter):
        z = x @ t
        b = x.T @ (z**3 - z @ np.diag(np.sum(z**2, axis=0)) / p)
        u, s, vt = np.linalg.svd(b)
        t = u @ vt
        previous, d = d, float(np.sum(s))
        if d < previous * (1 + tol):
            converged = True
            break
    pattern, _ = _sort((x @ t) * scale[:, None], np.eye(m))
    return Rotation(pattern=pattern, phi=np.eye(m), converged=converged)


def oblimin(
    loadings: np.ndarray,
    *,
    sort: bool = True,
    tol: float = 1e-7,
    max_iter: int = 1000,
    polish_iter: int = 100,
) -> Rotation:
    """Oblimin (gamma 0) rotation from the identity, as ``GPArotation::oblimin``.

    ``sort=True`` applies psych's ``fa`` convention (reflect, order by variance);
    ``psych::schmid`` uses GPArotation's result unsorted (``sort=False``). GPArotation
    stops when the projected gradient's norm is below ``eps = 1e-5`` (at most
    ``max_iter`` = 1000 steps), which is also our ``converged`` criterion; from there we
    polish to ``tol`` in at most ``polish_iter`` further steps (rounding of the criterion
    stalls the line search near a norm of 1e-8, so ``tol`` is not always reached).

    >>> a = np.array([[.7, .3], [.6, .4], [.5, .2], [.3, -.6], [.2, -.7], [.4, -.5]])
    >>> rot = oblimin(a)
    >>> bool(np.allclose(rot.pattern @ rot.phi @ rot.pattern.T, a @ a.T)), rot.converged
    (True, True)
    """
    a = np.asarray(loadings, dtype=float)
    m = a.shape[1]
    if m < 2:
        return Rotation(pattern=a.copy(), phi=np.eye(m), converged=True)
    eps = 1e-5
    pattern, t = rotate_factors(a, "oblimin", 0, "oblique", tol=eps, max_tries=max_iter)
    converged = _oblimin_gradient_norm(pattern, t) < eps
    if converged and tol < eps:
        pattern, t = rotate_factors(a, "oblimin", 0, "oblique", tol=tol, max_tries=polish_iter, T=t)
    phi = t.T @ t
    if sort:
        pattern, phi = _sort(pattern, phi)
    return Rotation(pattern=np.asarray(pattern), phi=np.asarray(phi), converged=converged)


def _oblimin_gradient_norm(pattern: np.ndarray, t: np.ndarray) -> float:
    """Norm of the projected gradient of the quartimin criterion (as in ``GPFoblq``)."""
    m = t.shape[0]
    gq = pattern * ((pattern**2) @ (1 - np.eye(m)))
    g = -((pattern.T @ gq @ np.linalg.inv(t)).T)
    return float(np.linalg.norm(g - t @ np.diag(np.sum(t * g, axis=0))))

"""Factor models of a correlation matrix, as ``psych`` fits them, and omega's arithmetic.

Array-level and testable without a Cohort; :mod:`cma_research.analysis.reliability`
applies them to cohorts (:func:`cma_research.omega`, with a bootstrap interval).

**One factor** (``psych::omega(x, nfactors = 1)``): the one-factor *minres* loadings
``l`` (minimum residual: the loadings minimising the sum of squared off-diagonal
residuals of ``R - l l'``, psych's default ``fm = "minres"``; or maximum likelihood),
items with a negative loading reflected as psych's ``flip = TRUE`` does (``R`` becomes
``D R D`` with ``D = diag(sign(l))``), then

- ``omega_total = 1 - sum(1 - l^2) / sum(R)`` (psych's ``omega.tot``: the observed
  variance of the unit-weighted sum of standardised items in the denominator), and
- ``omega_model = sum(|l|)^2 / (sum(|l|)^2 + sum(1 - l^2))`` (McDonald's omega with the
  model-implied variance).

**Several factors** (psych 2.2.9, ``psych:::fac`` with ``fm = "minres"``):

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
  the same loadings it takes the same steps as GPArotation).

``dof = ((k - m)^2 - (k + m)) / 2`` is the model's degrees of freedom (``k`` items,
``m`` factors); a model with ``dof < 0`` has more parameters than the correlations
identify and is refused.

**Schmid-Leiman solution and hierarchical omega** (psych 2.2.9, ``psych::schmid`` and
``psych:::omegah``), for ``m = nfactors >= 2``:

1. ``m`` minres factors (:func:`minres`), varimax-rotated as
   ``psych::fa(rotate = "varimax")`` does (the "orthogonal" loadings; their row sums of
   squares are the communalities ``h2``, rotation-invariant), then rotated obliquely by
   oblimin (GPArotation, from the varimax solution, unsorted): pattern ``P`` and factor
   correlations ``Phi``.
2. The factors' loadings ``gamma`` on the general factor: for ``m >= 3`` a one-factor
   minres fit of ``Phi`` (reflected so they sum to a positive number); for ``m = 2``
   psych's ``option = "equal"``, ``gamma = (sqrt|phi_12|, sign(phi_12) sqrt|phi_12|)``
   (two factors do not identify a general factor: psych says "Three factors are
   required for identification -- general factor loadings set to be equal").
3. General loadings ``g = P gamma``; group loadings
   ``sign(P) sqrt(max(P^2 (1 - gamma^2), 0))``; ``u2 = 1 - h2``.
4. Items with a negative general loading are reflected (psych's ``flip = TRUE``):
   ``R`` becomes ``D R D`` with ``D = diag(sign(g))``, and ``g`` becomes ``|g|``.
5. ``omega_h = sum(g)^2 / sum(R)``, ``omega_total = (sum(R) - sum(u2)) / sum(R)`` and
   ``omega_limit = sum(g)^2 / (sum(R) - sum(u2))`` (the share of the common variance due
   to the general factor), ``R`` after step 4.

With ``m = 1`` psych sets ``gamma = 1`` (``g`` are the loadings) and warns that
"Omega_h and Omega_asymptotic are not meaningful with one factor"; :func:`schmid_leiman`
does the same arithmetic but :func:`cma_research.omega` reports no hierarchical omega
then. A communality above 1 (``u2 < 0``) is an ultra-Heywood case (psych warns); the
numbers are then R's numbers too, but they are not a well-determined estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize
from statsmodels.multivariate.factor_rotation import rotate_factors

from cma_research.core.errors import ParameterError

__all__ = [
    "FACTOR_METHODS",
    "PSI_BOUNDS",
    "FactorFit",
    "OneFactor",
    "Rotation",
    "SchmidLeiman",
    "check_correlation",
    "factor_dof",
    "minres",
    "minres_one_factor",
    "ml_one_factor",
    "oblimin",
    "omega_from_correlation",
    "schmid_from_loadings",
    "schmid_leiman",
    "smc",
    "varimax",
]

#: Factoring methods of the one-factor fit: ``minres`` (psych's default) and ``ml``.
FACTOR_METHODS: tuple[str, ...] = ("minres", "ml")

#: Bounds of the uniquenesses in psych's minres fit (``lower = 0.005, upper = 1``).
PSI_BOUNDS: tuple[float, float] = (0.005, 1.0)


# -- one factor ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OneFactor:
    """A one-factor fit: ``loadings``, whether it ``converged``, the residual ``objective``."""

    loadings: np.ndarray
    converged: bool
    objective: float

    @property
    def heywood(self) -> bool:
        """True when a communality reaches 1 (a Heywood case)."""
        return bool(np.any(self.loadings**2 >= 1))


def minres_one_factor(r: np.ndarray) -> OneFactor:
    """One-factor minimum-residual (ULS on the off-diagonal) loadings of correlation ``r``.

    Starts from principal-axis loadings and solves the least-squares problem
    ``min sum_{i != j} (r_ij - l_i l_j)^2`` with an analytic Jacobian; the sign is
    chosen so the loadings sum to a positive number.

    Examples
    --------
    >>> r = np.array([[1, .42, .56], [.42, 1, .48], [.56, .48, 1]])
    >>> minres_one_factor(r).loadings.round(4).tolist()  # 0.6*0.7, 0.6*0.8, 0.7*0.8 -> exact
    [0.7, 0.6, 0.8]
    """
    r = _check_matrix(r)
    k = r.shape[0]
    iu = np.triu_indices(k, 1)
    target = r[iu]
    values, vectors = np.linalg.eigh(r)
    start = vectors[:, -1] * np.sqrt(max(values[-1], 1e-8))

    def resid(lv: np.ndarray) -> np.ndarray:
        return np.outer(lv, lv)[iu] - target

    def jac(lv: np.ndarray) -> np.ndarray:
        m = len(target)
        out = np.zeros((m, k))
        rows = np.arange(m)
        out[rows, iu[0]] = lv[iu[1]]
        out[rows, iu[1]] = lv[iu[0]]
        return out

    fit = optimize.least_squares(
        resid, start, jac=jac, xtol=1e-15, ftol=1e-15, gtol=1e-15, method="lm"
    )
    loadings = fit.x if fit.x.sum() >= 0 else -fit.x
    return OneFactor(loadings=loadings, converged=bool(fit.success), objective=float(2 * fit.cost))


def ml_one_factor(r: np.ndarray) -> OneFactor:
    """One-factor maximum-likelihood loadings of correlation ``r`` (as ``psych::fa(fm="ml")``).

    Minimises the concentrated discrepancy ``sum_{j>1} (theta_j - log theta_j - 1)``
    over the uniquenesses ``psi`` in [0.005, 1] (``theta`` = eigenvalues of
    ``psi^-1/2 R psi^-1/2``), with psych's analytic gradient and start
    ``(1 - 0.5/k) / diag(R^-1)``; loadings ``psi^1/2 v_1 sqrt(theta_1 - 1)``.

    Examples
    --------
    >>> r = np.array([[1, .42, .56], [.42, 1, .48], [.56, .48, 1]])
    >>> ml_one_factor(r).loadings.round(4).tolist()  # an exact one-factor matrix
    [0.7, 0.6, 0.8]
    """
    r = _check_matrix(r)
    k = r.shape[0]

    def parts(psi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sc = 1 / np.sqrt(psi)
        values, vectors = np.linalg.eigh(r * np.outer(sc, sc))
        return values[::-1], vectors[:, ::-1]

    def fn(psi: np.ndarray) -> float:
        e = parts(psi)[0][1:]
        return float(np.sum(e - np.log(e) - 1))

    def loadings_of(psi: np.ndarray) -> np.ndarray:
        values, vectors = parts(psi)
        return np.sqrt(psi) * vectors[:, 0] * np.sqrt(max(values[0] - 1, 0.0))

    def grad(psi: np.ndarray) -> np.ndarray:
        lv = loadings_of(psi)
        return np.asarray((lv**2 + psi - 1) / psi**2, dtype=float)

    start = (1 - 0.5 / k) / np.diag(np.linalg.inv(r))
    fit = optimize.minimize(
        fn,
        np.clip(start, 0.005, 1),
        jac=grad,
        method="L-BFGS-B",
        bounds=[(0.005, 1.0)] * k,
        options={"ftol": 1e-13, "gtol": 1e-10},
    )
    loadings = loadings_of(fit.x)
    loadings = loadings if loadings.sum() >= 0 else -loadings
    return OneFactor(loadings=loadings, converged=bool(fit.success), objective=float(fit.fun))


def _check_matrix(r: np.ndarray) -> np.ndarray:
    r = np.asarray(r, dtype=float)
    if r.ndim != 2 or r.shape[0] != r.shape[1] or r.shape[0] < 3:
        raise ParameterError(
            f"a one-factor fit needs a square matrix of at least 3 items; got {r.shape}"
        )
    if not np.all(np.isfinite(r)):
        raise ParameterError("the correlation matrix has undefined (NaN) entries")
    return r


def omega_from_correlation(
    r: np.ndarray, fm: str = "minres", *, key: np.ndarray | None = None
) -> tuple[float, float, OneFactor]:
    """(omega_total, omega_model, fit) of a correlation matrix; see the module docstring.

    ``fm`` is the factoring method: ``"minres"`` (psych's default) or ``"ml"``. An item
    with a negative loading is reflected first, as ``psych::omega`` does (``flip =
    TRUE``): ``sum(R)`` is that of the reflected items and ``omega_model`` uses
    ``|l|``. ``key`` (+1 / -1 per item) fixes the reflection instead (psych's ``key``
    argument), e.g. the full sample's key in every bootstrap resample, so that each
    resample measures the same composite.

    Examples
    --------
    >>> r = np.array([[1, .42, .56], [.42, 1, .48], [.56, .48, 1]])
    >>> total, model, fit = omega_from_correlation(r)
    >>> round(total, 4), round(model, 4)  # (2.1^2) / (2.1^2 + 1.51), sum(R) = 5.92
    (0.7449, 0.7449)

    The third item reversed: reflected back, the same omegas.

    >>> d = np.diag([1.0, 1.0, -1.0])
    >>> [round(v, 4) for v in omega_from_correlation(d @ r @ d)[:2]]
    [0.7449, 0.7449]
    """
    if fm not in FACTOR_METHODS:
        raise ParameterError(f"fm={fm!r} is not allowed; expected one of: 'minres', 'ml'")
    fit = minres_one_factor(r) if fm == "minres" else ml_one_factor(r)
    lv = fit.loadings
    if key is None:
        key = np.where(lv < 0, -1.0, 1.0)  # psych's flip: reflect negatively loading items
    else:
        key = np.asarray(key, dtype=float)
        if key.shape != lv.shape or not np.all(np.abs(key) == 1):
            raise ParameterError(f"key must hold +1 or -1 for each of the {len(lv)} items")
    unique = np.sum(1 - lv**2)
    total = float(1 - unique / np.sum(r * np.outer(key, key)))
    common = float(np.sum(lv * key) ** 2)
    model = common / (common + float(unique))
    return total, model, fit


# -- several factors: minres fit and rotations -------------------------------------------


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


# -- Schmid-Leiman bifactor solution and hierarchical omega --------------------------------


@dataclass(frozen=True)
class SchmidLeiman:
    """A Schmid-Leiman solution and its omegas (see the module docstring).

    Attributes
    ----------
    fit : FactorFit
        The unrotated minres fit (loadings, uniquenesses, communalities, dof).
    orthogonal : ndarray
        k x m varimax loadings (psych's ``schmid$orthog``).
    pattern, phi : ndarray
        Oblimin pattern (k x m, ``schmid$oblique``) and factor correlations
        (``schmid$phi``); identity with one factor.
    factor_loadings : ndarray
        ``gamma``: the group factors' loadings on the general factor
        (``schmid$gloading``).
    general_loadings, group_loadings : ndarray
        ``g`` (k) and the k x m group loadings after the reflection of step 4
        (``schmid$sl[, 1:(m + 1)]``).
    h2, u2 : ndarray
        Communalities and uniquenesses ``1 - h2`` (``schmid$sl[, c("h2", "u2")]``).
    key : ndarray
        +1 / -1 per item: -1 for an item psych reflects (a negative general loading).
    omega_hierarchical, omega_total, omega_limit : float
        As in the module docstring (``omega_h``, ``omega.tot``, ``omega.lim``).
    rotation_converged : bool
        Both rotations converged (always True with one factor).
    """

    fit: FactorFit
    orthogonal: np.ndarray
    pattern: np.ndarray
    phi: np.ndarray
    factor_loadings: np.ndarray
    general_loadings: np.ndarray
    group_loadings: np.ndarray
    h2: np.ndarray
    u2: np.ndarray
    key: np.ndarray
    omega_hierarchical: float
    omega_total: float
    omega_limit: float
    rotation_converged: bool

    @property
    def nfactors(self) -> int:
        """The number of group factors ``m``."""
        return int(self.pattern.shape[1])

    @property
    def ultra_heywood(self) -> bool:
        """True when a communality exceeds 1 (psych: "An ultra-Heywood case was detected")."""
        return bool(np.any(self.h2 > 1))

    @property
    def converged(self) -> bool:
        """The minres fit(s) and the rotations converged."""
        return self.fit.converged and self.rotation_converged

    @property
    def general_identified(self) -> bool:
        """A general factor is identified: ``m >= 3`` (psych's rule)."""
        return self.nfactors >= 3


def schmid_leiman(r: np.ndarray, nfactors: int = 3) -> SchmidLeiman:
    """Schmid-Leiman solution of correlation ``r`` with ``nfactors`` group factors.

    Parameters
    ----------
    r : ndarray
        A k x k correlation matrix (positive semi-definite, unit diagonal).
    nfactors : int
        Number of group factors (psych's default 3); the model must have ``dof >= 0``.

    Returns
    -------
    SchmidLeiman
        Loadings, factor correlations, general and group loadings, communalities,
        reflection key, omegas and convergence flags.

    Raises
    ------
    ParameterError
        A matrix that is not a correlation matrix, ``nfactors < 1``, or more factors
        than the items identify (``dof < 0``).

    Examples
    --------
    Three groups of three items loading 0.7, group factors correlating 0.5: an exact
    three-factor model, so by hand ``gamma = sqrt(0.5)``, ``g = 0.7 sqrt(0.5)``,
    ``sum(R) = 9 + 36 * 0.49 + 54 * 0.245 = 31.05``, ``sum(g)^2 = 19.845`` and
    ``sum(u2) = 9 * 0.51``.

    >>> p = np.kron(np.eye(3), np.full((3, 1), 0.7))
    >>> phi = np.full((3, 3), 0.5) + 0.5 * np.eye(3)
    >>> r = p @ phi @ p.T
    >>> np.fill_diagonal(r, 1)
    >>> sl = schmid_leiman(r, 3)
    >>> sl.general_loadings.round(4).tolist()[:3]
    [0.495, 0.495, 0.495]
    >>> round(sl.omega_hierarchical, 4), round(sl.omega_total, 4), round(sl.omega_limit, 4)
    (0.6391, 0.8522, 0.75)
    """
    r = check_correlation(r, nfactors)
    return _schmid(r, minres(r, int(nfactors)))


def schmid_from_loadings(r: np.ndarray, loadings: np.ndarray) -> SchmidLeiman:
    """Schmid-Leiman solution of correlation ``r`` from given orthogonal ``loadings``.

    Steps 1 (from the varimax rotation on) to 5 of the module docstring applied to
    ``loadings`` (k x m, unrotated or varimax, e.g. another program's minres fit): this
    separates the transformation from the fit. ``fit`` then holds ``loadings`` with
    ``uniquenesses = 1 - h2``, ``converged=True`` and their least-squares ``objective``.

    Examples
    --------
    >>> p = np.kron(np.eye(3), np.full((3, 1), 0.7))
    >>> phi = np.full((3, 3), 0.5) + 0.5 * np.eye(3)
    >>> r = p @ phi @ p.T
    >>> np.fill_diagonal(r, 1)
    >>> a = p @ np.linalg.cholesky(phi)  # orthogonal loadings of the same model
    >>> round(schmid_from_loadings(r, a).omega_hierarchical, 4)  # as schmid_leiman
    0.6391
    """
    lv = np.asarray(loadings, dtype=float)
    r = check_correlation(r, 1)
    if lv.ndim != 2 or lv.shape[0] != r.shape[0] or not np.all(np.isfinite(lv)):
        raise ParameterError(
            f"loadings must be a finite {r.shape[0]} x m matrix for {r.shape[0]} items; got "
            f"shape {lv.shape}"
        )
    r = check_correlation(r, lv.shape[1])
    h2 = np.sum(lv**2, axis=1)
    psi = np.diag(r) - h2
    fit = FactorFit(
        loadings=lv,
        uniquenesses=psi,
        communalities=h2,
        converged=True,
        objective=float(np.sum((r - np.diag(psi) - lv @ lv.T) ** 2)),
        dof=factor_dof(r.shape[0], lv.shape[1]),
    )
    return _schmid(r, fit)


def _schmid(r: np.ndarray, fit: FactorFit) -> SchmidLeiman:
    m = fit.loadings.shape[1]
    if m == 1:
        orthogonal, pattern, phi = fit.loadings, fit.loadings, np.eye(1)
        gamma = np.ones(1)
        converged = True
    else:
        vm = varimax(fit.loadings)
        ob = oblimin(vm.pattern, sort=False)
        orthogonal, pattern, phi = vm.pattern, ob.pattern, ob.phi
        converged = vm.converged and ob.converged
        if m == 2:
            root = np.sqrt(abs(phi[0, 1]))
            gamma = np.array([root, np.sign(phi[0, 1]) * root])
        else:
            # psych: fa(Phi, fm = fm); Phi is a correlation matrix of m >= 3 factors
            gfit = minres(phi, 1)
            gamma = gfit.loadings[:, 0]
            converged = converged and gfit.converged
    g = pattern @ gamma
    group = np.sign(pattern) * np.sqrt(np.maximum(pattern**2 * (1 - gamma**2), 0))
    h2 = np.sum(orthogonal**2, axis=1)
    u2 = np.diag(r) - h2
    key = np.where(g < 0, -1.0, 1.0)
    rk = r * np.outer(key, key)
    g, group = g * key, group * key[:, None]
    total_var = float(rk.sum())
    gsq = float(g.sum() ** 2)
    unique = float(u2.sum())
    return SchmidLeiman(
        fit=fit,
        orthogonal=orthogonal,
        pattern=pattern,
        phi=phi,
        factor_loadings=gamma,
        general_loadings=g,
        group_loadings=group,
        h2=h2,
        u2=u2,
        key=key,
        omega_hierarchical=gsq / total_var,
        omega_total=(total_var - unique) / total_var,
        omega_limit=gsq / (total_var - unique),
        rotation_converged=converged,
    )

"""McDonald's omega from a one-factor minres fit of a correlation matrix.

Array-level and testable without a Cohort; :func:`cma_research.omega` applies it to a
cohort with a bootstrap interval.

What is computed (``psych::omega(x, nfactors = 1)``): the one-factor *minres* loadings
``l`` (minimum residual: the loadings minimising the sum of squared off-diagonal
residuals of ``R - l l'``, psych's default ``fm = "minres"``), then

- ``omega_total = 1 - sum(1 - l^2) / sum(R)`` (psych's ``omega.tot``: the observed
  variance of the unit-weighted sum of standardised items in the denominator), and
- ``omega_model = sum(l)^2 / (sum(l)^2 + sum(1 - l^2))`` (McDonald's omega with the
  model-implied variance).

Hierarchical omega needs a general factor *beside* group factors: psych extracts
``nfactors`` (default 3) factors, rotates them obliquely (oblimin), factors their
correlations and applies the Schmid-Leiman transformation; that is
:func:`cma_research.stats.schmid.schmid_leiman` (on the bundled 12 complete cases the
3-factor solution is an ultra-Heywood case, as R warns). With one factor psych's
``omega_h`` is not meaningful.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from cma_research.core.errors import ParameterError

__all__ = [
    "FACTOR_METHODS",
    "OneFactor",
    "minres_one_factor",
    "ml_one_factor",
    "omega_from_correlation",
]

#: Factoring methods: ``minres`` (psych's default) and ``ml`` (maximum likelihood).
FACTOR_METHODS: tuple[str, ...] = ("minres", "ml")


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


def omega_from_correlation(r: np.ndarray, fm: str = "minres") -> tuple[float, float, OneFactor]:
    """(omega_total, omega_model, fit) of a correlation matrix; see the module docstring.

    ``fm`` is the factoring method: ``"minres"`` (psych's default) or ``"ml"``.

    Examples
    --------
    >>> r = np.array([[1, .42, .56], [.42, 1, .48], [.56, .48, 1]])
    >>> total, model, fit = omega_from_correlation(r)
    >>> round(total, 4), round(model, 4)  # (2.1^2) / (2.1^2 + 1.51), sum(R) = 5.92
    (0.7449, 0.7449)
    """
    if fm not in FACTOR_METHODS:
        raise ParameterError(f"fm={fm!r} is not allowed; expected one of: 'minres', 'ml'")
    fit = minres_one_factor(r) if fm == "minres" else ml_one_factor(r)
    lv = fit.loadings
    unique = np.sum(1 - lv**2)
    total = float(1 - unique / np.sum(r))
    common = float(np.sum(lv) ** 2)
    model = common / (common + float(unique))
    return total, model, fit

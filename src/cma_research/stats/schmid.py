"""Schmid-Leiman bifactor solution and hierarchical omega, as ``psych::omega`` computes them.

Array-level and testable without a Cohort; :func:`cma_research.omega` applies it to a
cohort.

What is computed (psych 2.2.9, ``psych::schmid`` and ``psych:::omegah``), for a
correlation matrix ``R`` of ``k`` items and ``m = nfactors >= 2``:

1. ``m`` minres factors (:func:`cma_research.stats.factor.minres`), varimax-rotated as
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
"Omega_h and Omega_asymptotic are not meaningful with one factor"; this module does the
same arithmetic but :func:`cma_research.omega` reports no hierarchical omega then.

A communality above 1 (``u2 < 0``) is an ultra-Heywood case (psych warns); the numbers
are then R's numbers too, but they are not a well-determined estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cma_research.core.errors import ParameterError
from cma_research.stats.factor import (
    FactorFit,
    check_correlation,
    factor_dof,
    minres,
    oblimin,
    varimax,
)

__all__ = ["SchmidLeiman", "schmid_from_loadings", "schmid_leiman"]


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

"""Correlation tests on plain arrays: estimate, BCa interval, permutation p, Fisher CI.

Array-level and testable without a Cohort; :mod:`cma_research.analysis.correlation`
applies them to cohorts. The bootstrap machinery (BCa on weighted cells) is
:mod:`cma_research.stats.resampling`; the permutation p-value is here
(:func:`permutation_p`: exact for small n, else Monte Carlo).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from itertools import permutations

import numpy as np
from scipy import stats

from cma_research.core.errors import ParameterError
from cma_research.stats.resampling import Cells, bca_interval_mc

__all__ = [
    "CI_METHODS",
    "DEFAULT_CI",
    "MIN_N",
    "PERM_MAX_N",
    "PermutationResult",
    "correlation_test",
    "estimate",
    "fisher_ci",
    "permutation_ci",
    "permutation_p",
]

#: Above these n the permutation p is skipped: the asymptotic p is accurate there.
PERM_MAX_N = {"spearman": 500, "pearson": 500, "kendall": 60}
MIN_N = 3
#: Interval methods of :func:`correlation_test`: Fisher's z with the method's standard
#: error (:func:`fisher_ci`), the BCa bootstrap, the inverted permutation test
#: (:func:`permutation_ci`; Spearman and Pearson).
CI_METHODS: tuple[str, ...] = ("fisher", "bca", "permutation")
#: The default interval, chosen by coverage: ``benchmarks/bench_coverage.py`` simulates
#: audit-like data (the package's calibrated simulator, n = 8 to 40) and finds Fisher's z
#: with the Bonett-Wright standard error holding 95% at every n (coverage 0.94-0.99),
#: the inverted permutation test holding it too but wider, and BCa falling to about 0.8
#: at n = 8 (undefined in a fifth of the samples) and below 0.95 elsewhere.
DEFAULT_CI = "fisher"


def estimate(method: str, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(r, asymptotic two-sided p) as scipy computes them; NaN for constant input."""
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return (np.nan, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        if method == "spearman":
            res = stats.spearmanr(x, y)
        elif method == "kendall":
            res = stats.kendalltau(x, y, method="asymptotic")  # tau-b
        else:
            res = stats.pearsonr(x, y)
    return (float(res.statistic), float(res.pvalue))


def correlation_test(
    method: str,
    x: np.ndarray,
    y: np.ndarray,
    *,
    n_boot: int,
    n_perm: int,
    rng: np.random.Generator,
    what: str,
    ci: str = DEFAULT_CI,
) -> dict[str, object]:
    """One correlation test on paired arrays: r, a 95% CI, asymptotic and permutation p.

    ``ci`` picks the interval (:data:`CI_METHODS`; default :data:`DEFAULT_CI`, chosen
    by coverage): ``"fisher"`` (:func:`fisher_ci`: Bonett-Wright for Spearman),
    ``"bca"`` (``n_boot`` resamples), ``"permutation"`` (:func:`permutation_ci`,
    ``n_perm`` permutations; Kendall falls back to Fisher's z).

    Returns a dict with ``method, n, r, ci95_low, ci95_high, ci_low_mc_se,
    ci_high_mc_se`` (Monte-Carlo standard error of each BCa bound, see
    :func:`~cma_research.stats.resampling.bca_interval_mc`; NaN for the other
    intervals), ``ci_method, p_val, p_perm, p_method``; ``what`` names the pair in the
    error raised when ``n < MIN_N``.
    """
    if ci not in CI_METHODS:
        raise ParameterError(
            f"ci={ci!r} is not allowed; expected one of: " + ", ".join(map(repr, CI_METHODS))
        )
    n = len(x)
    if n < MIN_N:
        raise ParameterError(
            f"{what} needs at least {MIN_N} businesses with both values; only {n} have them"
        )
    r, p = estimate(method, x, y)
    row: dict[str, object] = {"method": method, "n": n, "r": r}
    if np.isnan(r):
        row.update(
            ci95_low=np.nan,
            ci95_high=np.nan,
            ci_low_mc_se=np.nan,
            ci_high_mc_se=np.nan,
            ci_method="undefined (constant input)",
            p_val=np.nan,
            p_perm=np.nan,
            p_method="undefined (constant input)",
        )
        return row
    se_low = se_high = np.nan
    if ci == "permutation" and method == "kendall":
        ci = "fisher"
    if ci == "fisher":
        low, high = fisher_ci(method, r, n)
        ci_method = f"Fisher z, {_FISHER_SE[method]}"
        if np.isnan(low):
            ci_method = f"undefined (Fisher z needs n >= {5 if method == 'kendall' else 4})"
    elif ci == "permutation":
        low, high, ci_method = permutation_ci(method, x, y, n_perm=n_perm, rng=rng.spawn(1)[0])
    elif n_boot > 0:
        low, high, se_low, se_high = bca_interval_mc(method, Cells.from_pairs(x, y), r, n_boot, rng)
        ci_method = f"BCa bootstrap ({n_boot} resamples)"
        if np.isnan(low):
            ci_method = "undefined (degenerate bootstrap distribution)"
    else:
        low, high, ci_method = np.nan, np.nan, "not computed (n_boot=0)"
    row.update(
        ci95_low=low,
        ci95_high=high,
        ci_low_mc_se=se_low,
        ci_high_mc_se=se_high,
        ci_method=ci_method,
        p_val=p,
    )
    if n_perm > 0 and n <= PERM_MAX_N[method]:
        perm = permutation_p(method, x, y, r, n_perm=n_perm, rng=rng)
        row.update(p_perm=perm.p_value, p_method=perm.method)
    else:
        reason = "n_perm=0" if n_perm <= 0 else f"n > {PERM_MAX_N[method]}"
        row.update(p_perm=np.nan, p_method=f"asymptotic only ({reason})")
    return row


#: How :func:`correlation_test` names the standard error of each method's Fisher z.
_FISHER_SE = {
    "spearman": "Bonett-Wright SE",
    "pearson": "SE 1/sqrt(n - 3)",
    "kendall": "Fieller-Hartley-Pearson SE",
}


def fisher_ci(method: str, r: float, n: int) -> tuple[float, float]:
    """95% CI by Fisher's z with the method's standard error.

    Pearson: 1/sqrt(n-3); Spearman: sqrt((1 + r^2/2)/(n-3)) (Bonett & Wright 2000);
    Kendall: sqrt(0.437/(n-4)) (Fieller, Hartley & Pearson 1957).
    """
    if np.isnan(r) or n < 4 or (method == "kendall" and n < 5):
        return (np.nan, np.nan)
    if abs(r) >= 1:
        return (r, r)
    if method == "pearson":
        se = 1 / np.sqrt(n - 3)
    elif method == "spearman":
        se = np.sqrt((1 + r**2 / 2) / (n - 3))
    else:
        se = np.sqrt(0.437 / (n - 4))
    z = np.arctanh(r)
    q = stats.norm.ppf(0.975)
    return (float(np.tanh(z - q * se)), float(np.tanh(z + q * se)))


def _standardised(v: np.ndarray) -> np.ndarray:
    c = v - v.mean()
    return np.asarray(c / np.sqrt((c**2).sum()), dtype=float)


def permutation_ci(
    method: str,
    x: np.ndarray,
    y: np.ndarray,
    *,
    n_perm: int,
    rng: np.random.Generator,
    confidence: float = 0.95,
    max_exact: int = 40_320,
) -> tuple[float, float, str]:
    """Interval of a correlation by inverting a permutation test (Manly 2007, sect. 8.3).

    With ``a`` and ``b`` the centred and unit-length ranks (Spearman) or values
    (Pearson) of x and y, ``r = a . b`` is the least-squares slope of ``b`` on ``a``.
    The hypothesis ``rho = rho0`` is tested by permuting the residuals
    ``e0 = b - rho0 a`` against ``a``: its statistic ``a . e0 = r - rho0`` is compared
    with ``a[perm] . e0 = S_b - rho0 S_a`` (``S_b = a[perm] . b``, ``S_a = a[perm] . a``)
    over the same permutations for every ``rho0``, so the two-sided p-value is a cheap
    function of ``rho0``; the interval is every ``rho0`` in [-1, 1] whose p exceeds
    ``1 - confidence``, its bounds found by bisection to 1e-6. At ``rho0 = 0`` the test is
    :func:`permutation_p`'s, so the interval excludes 0 exactly when that p is below
    ``1 - confidence`` (on the same permutations). Permutations: all ``n!`` when ``n! <=
    max_exact``, else ``n_perm`` random ones.

    Returns ``(low, high, method text)``; NaN bounds for constant input.

    >>> x = np.array([1.0, 2, 3, 4, 5, 6, 7, 8])
    >>> y = np.array([2.0, 1, 4, 3, 6, 5, 8, 7])
    >>> low, high, how = permutation_ci("spearman", x, y, n_perm=0,
    ...                                 rng=np.random.default_rng(0))
    >>> bool(0 < low < 0.905 < high <= 1), how
    (True, 'inverted permutation test (40320 orderings)')
    """
    if method not in ("spearman", "pearson"):
        raise ParameterError(f"permutation_ci: method={method!r}; expected 'spearman' or 'pearson'")
    n = len(x)
    if n < MIN_N or np.ptp(x) == 0 or np.ptp(y) == 0:
        return (np.nan, np.nan, "undefined (constant input or n < 3)")
    if method == "spearman":
        a, b = _standardised(stats.rankdata(x)), _standardised(stats.rankdata(y))
    else:
        a, b = _standardised(x.astype(float)), _standardised(y.astype(float))
    r = float(a @ b)
    if math.factorial(n) <= max_exact:
        perms = np.array(list(permutations(range(n))), dtype=np.intp)
        how = f"inverted permutation test ({len(perms)} orderings)"
    else:
        perms = rng.permuted(np.tile(np.arange(n), (max(n_perm, 1), 1)), axis=1)
        how = f"inverted permutation test ({len(perms)} random permutations)"
    s_b, s_a = a[perms] @ b, a[perms] @ a
    alpha = 1 - confidence
    mc = math.factorial(n) > max_exact

    def p_at(rho0: float) -> float:
        hits = np.count_nonzero(np.abs(s_b - rho0 * s_a) >= abs(r - rho0) - 1e-12)
        return (hits + 1) / (len(perms) + 1) if mc else hits / len(perms)

    def bound(inside: float, outside: float) -> float:
        if p_at(outside) > alpha:
            return outside
        for _ in range(60):
            mid = (inside + outside) / 2
            if p_at(mid) > alpha:
                inside = mid
            else:
                outside = mid
            if abs(outside - inside) < 1e-6:
                break
        return (inside + outside) / 2

    if p_at(r) <= alpha:  # cannot happen for n >= 3 (T = 0 at rho0 = r)
        return (np.nan, np.nan, "undefined (estimate rejected)")
    return (bound(r, -1.0), bound(r, 1.0), how)


# -- permutation p-values ----------------------------------------------------------------


@dataclass(frozen=True)
class PermutationResult:
    """A permutation p-value and how it was obtained (exact or Monte Carlo)."""

    p_value: float
    method: str


def permutation_p(
    method: str,
    x: np.ndarray,
    y: np.ndarray,
    estimate: float,
    *,
    n_perm: int,
    rng: np.random.Generator,
    max_exact: int = 40_320,
) -> PermutationResult:
    """Two-sided permutation p-value of a correlation (share of |r*| >= |r|).

    Exact enumeration of all n! orderings of ``y`` when n! <= ``max_exact`` (n <= 8 by
    default); otherwise ``n_perm`` random permutations with p = (b + 1) / (m + 1)
    (Phipson & Smyth 2010), which is never 0 and is a valid p-value.
    """
    n = len(x)
    tol = 1e-12 * max(1.0, abs(estimate))
    if math.factorial(n) <= max_exact:
        perms = np.array(list(permutations(range(n))), dtype=np.intp)
        r = _perm_stats(method, x, y, perms)
        p = float(np.mean(np.abs(r) >= abs(estimate) - tol))
        return PermutationResult(p, f"exact permutation ({len(perms)} orderings)")
    hits = 0
    done = 0
    while done < n_perm:
        b = min(max(1, 4_000_000 // (n * n if method == "kendall" else n)), n_perm - done)
        perms = rng.permuted(np.tile(np.arange(n), (b, 1)), axis=1)
        hits += int(
            np.count_nonzero(np.abs(_perm_stats(method, x, y, perms)) >= abs(estimate) - tol)
        )
        done += b
    return PermutationResult((hits + 1) / (n_perm + 1), f"Monte Carlo permutation ({n_perm} draws)")


def _perm_stats(method: str, x: np.ndarray, y: np.ndarray, perms: np.ndarray) -> np.ndarray:
    """The statistic of x against y[perm] for each row of ``perms``."""
    n = len(x)
    rows = max(1, 4_000_000 // (n * n if method == "kendall" else n))
    out = np.empty(len(perms))
    if method == "kendall":
        sx = np.sign(x[:, None] - x[None, :])
        _, cx = np.unique(x, return_counts=True)
        _, cy = np.unique(y, return_counts=True)
        n0 = n * (n - 1) / 2
        den = (n0 - (cx * (cx - 1) / 2).sum()) * (n0 - (cy * (cy - 1) / 2).sum())
        for start in range(0, len(perms), rows):
            yy = y[perms[start : start + rows]]
            s = np.einsum("ij,bij->b", sx, np.sign(yy[:, :, None] - yy[:, None, :])) / 2
            out[start : start + len(yy)] = s / np.sqrt(den) if den > 0 else np.nan
        return out
    if method == "spearman":
        a, b = stats.rankdata(x), stats.rankdata(y)
    else:
        a, b = x.astype(float), y.astype(float)
    a = (a - a.mean()) / np.sqrt(((a - a.mean()) ** 2).sum())
    b = (b - b.mean()) / np.sqrt(((b - b.mean()) ** 2).sum())
    for start in range(0, len(perms), rows):
        block = perms[start : start + rows]
        out[start : start + len(block)] = b[block] @ a
    return out

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
    "MIN_N",
    "PERM_MAX_N",
    "PermutationResult",
    "correlation_test",
    "estimate",
    "fisher_ci",
    "permutation_p",
]

#: Above these n the permutation p is skipped: the asymptotic p is accurate there.
PERM_MAX_N = {"spearman": 500, "pearson": 500, "kendall": 60}
MIN_N = 3


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
) -> dict[str, object]:
    """One correlation test on paired arrays: r, BCa CI, asymptotic and permutation p.

    Returns a dict with ``method, n, r, ci95_low, ci95_high, ci_low_mc_se,
    ci_high_mc_se`` (Monte-Carlo standard error of each BCa bound, see
    :func:`~cma_research.stats.resampling.bca_interval_mc`), ``ci_method, p_val,
    p_perm, p_method``; ``what`` names the pair in the error raised when ``n < MIN_N``.
    """
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
    if n_boot > 0:
        low, high, se_low, se_high = bca_interval_mc(method, Cells.from_pairs(x, y), r, n_boot, rng)
        ci_method = f"BCa bootstrap ({n_boot} resamples)"
        if np.isnan(low):
            ci_method = "undefined (degenerate bootstrap distribution)"
    else:
        low, high, ci_method = np.nan, np.nan, "not computed (n_boot=0)"
        se_low = se_high = np.nan
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

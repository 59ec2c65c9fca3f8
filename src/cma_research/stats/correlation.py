"""Correlation tests on plain arrays: estimate, BCa interval, permutation p, Fisher CI.

Array-level and testable without a Cohort; :mod:`cma_research.analysis.correlation`
applies them to cohorts.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from cma_research.core.errors import ParameterError
from cma_research.stats.permutation import permutation_p
from cma_research.stats.resampling import Cells, bca_interval_mc

__all__ = ["MIN_N", "PERM_MAX_N", "correlation_test", "estimate", "fisher_ci"]

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

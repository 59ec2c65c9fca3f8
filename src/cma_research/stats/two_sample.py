"""Two independent groups, honest at small n: Mann-Whitney and a contingency-table test.

* :func:`mann_whitney`: the exact null distribution of U (scipy ``method="exact"``,
  R's ``wilcox.test(exact = TRUE)``) when there are no ties; with ties, a permutation
  test of ``|U - n1 n2 / 2|`` (exact over every split when there are at most
  ``n_perm`` of them, else Monte Carlo with p = (b + 1)/(m + 1), via
  :func:`scipy.stats.permutation_test`); the normal approximation when ``n * n_perm``
  exceeds :data:`MAX_PERMUTATION_WORK`. Effect size: the rank-biserial correlation
  ``2 U / (n1 n2) - 1`` (positive when the first group tends to be higher).
* :func:`table_test`: Fisher's exact test for a 2 x 2 table; otherwise a permutation
  test of Pearson's chi-square (group labels permuted, margins fixed; the chi-square
  approximation above :data:`MAX_PERMUTATION_WORK`). Effect size: Cramer's V.
"""

from __future__ import annotations

from math import comb
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["MAX_PERMUTATION_WORK", "mann_whitney", "table_test"]

#: Largest ``n * n_perm`` for which Monte Carlo permutations are drawn; above it (tens of
#: thousands of businesses) the asymptotic p-value is used and ``p_method`` says so.
MAX_PERMUTATION_WORK = 200_000_000


def mann_whitney(
    x: np.ndarray, y: np.ndarray, *, n_perm: int, rng: np.random.Generator
) -> dict[str, Any]:
    """Two-sided Mann-Whitney test of ``x`` against ``y`` with the rank-biserial r.

    Returns a dict with ``n_a``, ``n_b``, ``statistic`` (U of ``x``), ``p_val``,
    ``p_method``, ``effect_size`` (rank-biserial ``2 U / (n_a n_b) - 1``).

    >>> res = mann_whitney(np.array([1.0, 2, 3]), np.array([4.0, 5, 6, 7]),
    ...                    n_perm=1000, rng=np.random.default_rng(0))
    >>> res["statistic"], round(res["p_val"], 6), res["effect_size"]
    (0.0, 0.057143, -1.0)
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n_a, n_b = len(x), len(y)
    out: dict[str, Any] = {"n_a": n_a, "n_b": n_b}
    if n_a == 0 or n_b == 0:
        return {**out, "statistic": np.nan, "p_val": np.nan,
                "p_method": "undefined (a group is empty)", "effect_size": np.nan}  # fmt: skip
    pooled = np.concatenate([x, y])
    u = float(stats.mannwhitneyu(x, y, method="asymptotic").statistic)
    effect = 2 * u / (n_a * n_b) - 1
    if len(np.unique(pooled)) == len(pooled):
        p = float(stats.mannwhitneyu(x, y, method="exact").pvalue)
        method = "exact Mann-Whitney (no ties)"
    else:
        ranks = stats.rankdata(pooled)
        centre = n_a * n_b / 2

        def dev(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
            return np.abs(a.sum(axis=axis) - n_a * (n_a + 1) / 2 - centre)

        splits = comb(n_a + n_b, n_a)
        if min(n_a, n_b) == 1:
            # scipy's permutation_test needs two observations per sample; with one, the
            # n_a + n_b splits (which observation is the group of one) are enumerated here
            sum_a = ranks if n_a == 1 else ranks.sum() - ranks
            null = np.abs(sum_a - n_a * (n_a + 1) / 2 - centre)
            observed = null[0] if n_a == 1 else null[-1]
            p = float(np.mean(null >= observed - 1e-9 * max(observed, 1.0)))
            method = f"exact permutation of |U - n1 n2 / 2| (ties; {splits} splits)"
            return {**out, "statistic": u, "p_val": p, "p_method": method, "effect_size": effect}
        if splits > max(n_perm, 1) and (n_a + n_b) * n_perm > MAX_PERMUTATION_WORK:
            p = float(stats.mannwhitneyu(x, y, method="asymptotic", use_continuity=False).pvalue)
            method = "normal approximation (tie-corrected, no continuity correction; large n)"
            return {**out, "statistic": u, "p_val": p, "p_method": method, "effect_size": effect}
        res = stats.permutation_test(
            (ranks[:n_a], ranks[n_a:]),
            dev,
            permutation_type="independent",
            vectorized=True,
            n_resamples=max(n_perm, 1),
            alternative="greater",
            rng=rng,
        )
        p = float(res.pvalue)
        if splits <= max(n_perm, 1):
            method = f"exact permutation of |U - n1 n2 / 2| (ties; {splits} splits)"
        else:
            method = f"Monte Carlo permutation of |U - n1 n2 / 2| (ties; {n_perm} draws)"
    return {**out, "statistic": u, "p_val": p, "p_method": method, "effect_size": effect}


def _chi2(table: np.ndarray) -> float:
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.where(expected > 0, (table - expected) ** 2 / expected, 0.0).sum())


def table_test(
    group: np.ndarray, category: np.ndarray, *, n_perm: int, rng: np.random.Generator
) -> dict[str, Any]:
    """Association of a two-level ``group`` with a ``category``: Fisher or permutation.

    Returns a dict with ``n``, ``statistic`` (Pearson's chi-square; the odds ratio for
    2 x 2), ``p_val``, ``p_method``, ``effect_size`` (Cramer's V), ``n_categories``.

    >>> g = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    >>> c = np.array(["a", "a", "b", "b", "b", "b", "b", "a"])
    >>> round(table_test(g, c, n_perm=100, rng=np.random.default_rng(0))["p_val"], 6)
    0.464286
    """
    g = np.asarray(group)
    cat = np.asarray(category)
    gl, gi = np.unique(g, return_inverse=True)
    cl, ci = np.unique(cat, return_inverse=True)
    n = len(g)
    table = np.zeros((len(gl), len(cl)))
    np.add.at(table, (gi, ci), 1)
    out: dict[str, Any] = {"n": n, "n_categories": len(cl)}
    if len(gl) < 2 or len(cl) < 2:
        return {**out, "statistic": np.nan, "p_val": np.nan, "effect_size": np.nan,
                "p_method": "undefined (one group or one category)"}  # fmt: skip
    chi2 = _chi2(table)
    v = float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))
    if table.shape == (2, 2):
        res = stats.fisher_exact(table)
        return {**out, "statistic": chi2, "p_val": float(res.pvalue), "effect_size": v,
                "p_method": "Fisher's exact test (2 x 2)"}  # fmt: skip
    if n * n_perm > MAX_PERMUTATION_WORK:
        p = float(stats.chi2.sf(chi2, (table.shape[0] - 1) * (table.shape[1] - 1)))
        return {**out, "statistic": chi2, "p_val": p, "effect_size": v,
                "p_method": "chi-square approximation (large n)"}  # fmt: skip
    if n_perm <= 0:
        return {**out, "statistic": chi2, "p_val": np.nan, "effect_size": v,
                "p_method": "permutation p not computed (n_perm=0)"}  # fmt: skip
    hits = 0
    k = len(cl)
    tol = 1e-9 * max(1.0, chi2)
    per = max(1, 1_000_000 // max(n, 1))
    done = 0
    while done < n_perm:
        m = min(per, n_perm - done)
        perm_g = rng.permuted(np.tile(gi, (m, 1)), axis=1)
        flat = (np.arange(m)[:, None] * (len(gl) * k) + perm_g * k + ci[None, :]).ravel()
        tabs = np.bincount(flat, minlength=m * len(gl) * k).reshape(m, len(gl), k)
        rows = tabs.sum(axis=2, keepdims=True)
        cols = tabs.sum(axis=1, keepdims=True)
        expected = rows * cols / n
        with np.errstate(invalid="ignore", divide="ignore"):
            stat = np.where(expected > 0, (tabs - expected) ** 2 / expected, 0.0).sum(axis=(1, 2))
        hits += int(np.count_nonzero(stat >= chi2 - tol))
        done += m
    return {
        **out,
        "statistic": chi2,
        "p_val": (hits + 1) / (n_perm + 1),
        "effect_size": v,
        "p_method": f"Monte Carlo permutation of the chi-square ({n_perm} draws)",
    }

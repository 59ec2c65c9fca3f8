"""Symmetry (Bowker) and marginal homogeneity (Stuart-Maxwell) of a square table.

The table counts pairs: row = level at baseline, column = level at follow-up. Both
tests use :class:`statsmodels.stats.contingency_tables.SquareTable` and handle empty
cells the way a sparse audit table needs:

* **Bowker**: a pair of cells with ``n_ij + n_ji = 0`` carries no information (R's
  ``mcnemar.test`` returns NaN there); it is left out of the statistic and of the
  degrees of freedom, so ``df`` is the number of non-empty off-diagonal pairs
  (statsmodels leaves it out of the statistic but keeps it in ``df``, so ``df`` and
  ``p`` are recomputed here).
* **Stuart-Maxwell**: ``chi2 = d' S^-1 d`` with ``d`` the row-minus-column margins.
  A level with no off-diagonal count (unused at both waves, or only ever unchanged)
  makes ``S`` singular whichever level is dropped (R's ``solve`` stops); such levels
  have ``d_i = 0`` exactly and are dropped first, as ``coin::mh_test`` does. If the
  remaining levels still fall apart into groups with no movement between them, the
  statistic is the generalized Wald statistic ``d' S^+ d`` with ``df = rank(S)`` (the
  sum of the groups' statistics).

The permutation p-value swaps baseline and follow-up within each pair at random (the
null hypothesis of exchangeable waves): ``n_ij`` of the ``s_ij = n_ij + n_ji`` pairs of
an off-diagonal cell pair is Binomial(s_ij, 1/2). The distribution is enumerated
exactly over all ``prod (s_ij + 1)`` outcomes (binomially weighted) while that is at
most ``max_exact``, else drawn ``n_perm`` times, p = (b + 1) / (m + 1).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from itertools import product

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import SquareTable

__all__ = ["SquareTest", "bowker", "stuart_maxwell", "symmetry_permutation_p"]

MAX_EXACT = 200_000


@dataclass(frozen=True)
class SquareTest:
    """One test on a square table."""

    statistic: float
    df: int
    p_val: float


def _check(table: np.ndarray) -> np.ndarray:
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise ValueError(f"a square table is needed, got shape {t.shape}")
    if (t < 0).any() or np.isnan(t).any():
        raise ValueError("counts must be non-negative numbers")
    return t


def bowker(table: np.ndarray) -> SquareTest:
    """Bowker's test of symmetry, leaving out empty off-diagonal pairs.

    No continuity correction: for a 2 x 2 table this is McNemar's test as R's
    ``mcnemar.test(tab, correct = FALSE)`` (R corrects 2 x 2 tables by default; it
    never corrects larger ones).

    >>> bowker(np.array([[6, 5, 1], [2, 7, 4], [0, 1, 4]]))  # R: mcnemar.test(t3)
    SquareTest(statistic=4.085714285714285, df=3, p_val=0.25235604735597417)
    """
    t = _check(table)
    upper = np.triu_indices(len(t), 1)
    df = int(np.count_nonzero((t + t.T)[upper] > 0))
    if df == 0:
        return SquareTest(np.nan, 0, np.nan)
    statistic = float(SquareTable(t, shift_zeros=False).symmetry(method="bowker").statistic)
    return SquareTest(statistic, df, float(stats.chi2.sf(statistic, df)))


def _moving_levels(t: np.ndarray) -> np.ndarray:
    """Levels with at least one off-diagonal count (in their row or column)."""
    off = t + t.T
    np.fill_diagonal(off, 0)
    return np.flatnonzero(off.sum(axis=1) > 0)


def _laplacian(t: np.ndarray) -> np.ndarray:
    s = -(t + t.T)
    np.fill_diagonal(s, 0)
    np.fill_diagonal(s, -s.sum(axis=1))
    return s


def _n_components(t: np.ndarray) -> int:
    from scipy.sparse.csgraph import connected_components

    n, _ = connected_components((t + t.T) > 0, directed=False)
    return int(n)


def stuart_maxwell(table: np.ndarray) -> SquareTest:
    """Stuart-Maxwell test of marginal homogeneity; levels that never move are dropped.

    >>> res = stuart_maxwell(np.array([[6, 5, 1], [2, 7, 4], [0, 1, 4]]))
    >>> round(res.statistic, 6), res.df  # R: by hand, and coin::mh_test(as.table(t3))
    (4.085106, 2)
    """
    t = _check(table)
    keep = _moving_levels(t)
    if len(keep) < 2:
        return SquareTest(np.nan, 0, np.nan)
    sub = t[np.ix_(keep, keep)]
    if _n_components(sub) == 1:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a singular S here would be a bug: fail loudly
            res = SquareTable(sub, shift_zeros=False).homogeneity(method="stuart_maxwell")
        statistic, df = float(res.statistic), int(res.df)
    else:
        s = _laplacian(sub)
        d = sub.sum(axis=1) - sub.sum(axis=0)
        statistic = float(d @ np.linalg.pinv(s) @ d)
        df = int(np.linalg.matrix_rank(s))
    return SquareTest(statistic, df, float(stats.chi2.sf(statistic, df)))


def symmetry_permutation_p(
    table: np.ndarray,
    *,
    n_perm: int,
    rng: np.random.Generator,
    max_exact: int = MAX_EXACT,
) -> tuple[float, float, str]:
    """Permutation p-values of Bowker's and the Stuart-Maxwell statistic.

    Returns ``(p_bowker, p_stuart_maxwell, method)``; NaN where the statistic is
    undefined (no off-diagonal pair).
    """
    t = _check(table)
    i_up, j_up = np.triu_indices(len(t), 1)
    s = (t + t.T)[i_up, j_up]
    used = s > 0
    if not used.any():
        return (np.nan, np.nan, "no pair changed level")
    i_up, j_up, s = i_up[used], j_up[used], s[used]
    observed = t[i_up, j_up]
    keep = _moving_levels(t)
    pos = {lv: k for k, lv in enumerate(keep)}
    a = np.array([pos[i] for i in i_up])
    b = np.array([pos[j] for j in j_up])
    sub = t[np.ix_(keep, keep)]
    pinv = np.linalg.pinv(_laplacian(sub))
    # d_k = sum over pairs of (n_ij - n_ji) * ([k == i] - [k == j]); n_ij - n_ji = 2 n_ij - s
    incidence = np.zeros((len(s), len(keep)))
    incidence[np.arange(len(s)), a] = 1.0
    incidence[np.arange(len(s)), b] = -1.0

    def stats_of(n_ij: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        diff = 2 * n_ij - s
        bow = (diff**2 / s).sum(axis=1)
        d = diff @ incidence
        sm = np.einsum("bi,ij,bj->b", d, pinv, d)
        return bow, sm

    obs_b, obs_s = (float(v[0]) for v in stats_of(observed[None, :]))
    tol_b, tol_s = 1e-9 * max(1.0, obs_b), 1e-9 * max(1.0, obs_s)
    n_outcomes = float(np.prod(s + 1))
    if n_outcomes <= max_exact:
        grid = np.array(list(product(*[range(int(x) + 1) for x in s])), dtype=float)
        weight = np.prod(stats.binom.pmf(grid, s, 0.5), axis=1)
        bow, sm = stats_of(grid)
        p_b = float(min(1.0, weight[bow >= obs_b - tol_b].sum()))
        p_s = float(min(1.0, weight[sm >= obs_s - tol_s].sum()))
        return (p_b, p_s, f"exact permutation (swaps within pairs, {int(n_outcomes)} outcomes)")
    if n_perm <= 0:
        return (np.nan, np.nan, "permutation p not computed (n_perm=0)")
    hits_b = hits_s = 0
    done = 0
    per = max(1, 2_000_000 // len(s))
    while done < n_perm:
        m = min(per, n_perm - done)
        draw = rng.binomial(s.astype(np.int64), 0.5, size=(m, len(s))).astype(float)
        bow, sm = stats_of(draw)
        hits_b += int(np.count_nonzero(bow >= obs_b - tol_b))
        hits_s += int(np.count_nonzero(sm >= obs_s - tol_s))
        done += m
    return (
        (hits_b + 1) / (n_perm + 1),
        (hits_s + 1) / (n_perm + 1),
        f"Monte Carlo permutation (swaps within pairs, {n_perm} draws)",
    )

"""Wilcoxon signed-rank test and the matched-pairs rank-biserial correlation, on arrays.

Zero differences are dropped before ranking (Wilcoxon's zero handling, as R's
``wilcox.test`` and ``coin::wilcoxsign_test(zero.method = "Wilcoxon")``); tied absolute
differences get average ranks. The statistic is ``T+``, the sum of the ranks of the
positive differences (R's ``V``). The two-sided p-value is

* exact from :func:`scipy.stats.wilcoxon` (``method="exact"``) when there are no ties
  and fewer than 50 non-zero differences (R's rule for its exact test);
* otherwise exact under sign-flipping of the non-zero differences with their tied
  ranks: all ``2**n`` sign patterns enumerated for n <= 15, or the same distribution by
  the shift algorithm (Streitberg & Roehmel 1986, as ``coin`` does) while it is small
  enough;
* otherwise Monte Carlo sign-flips, p = (b + 1) / (m + 1) (Phipson & Smyth 2010);
* for very many pairs, the tie-corrected normal approximation without continuity
  correction (scipy ``method="approx"``, ``correction=False``).

The rank-biserial correlation (Kerby 2014) is ``r = (T+ - T-) / (T+ + T-)``: the share of
the rank sum on improvements minus the share on declines, from -1 (all declined) to 1
(all improved). Its BCa bootstrap interval resamples the pairs, expressed as multinomial
weights over the distinct differences so that one resample costs O(distinct values).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Any

import numpy as np
from scipy import stats

from cma_research.stats.resampling import bca_bounds, jackknife_acceleration

__all__ = [
    "DistinctDifferences",
    "SignedRankResult",
    "jackknife_rank_biserial",
    "rank_biserial",
    "rank_biserial_ci",
    "sign_flip_distribution",
    "signed_rank_test",
    "weighted_rank_biserial",
]

MAX_ENUMERATE = 15  # non-zero pairs up to which all 2**n sign patterns are listed
MAX_SHIFT_COST = 50_000_000  # n * sum(2 * rank) cells of the shift algorithm
MAX_MONTE_CARLO = 5_000  # non-zero pairs up to which Monte Carlo sign flips are drawn
_CHUNK = 4_000_000  # draws x pairs per Monte Carlo block


@dataclass(frozen=True)
class SignedRankResult:
    """A signed-rank test of paired differences ``d = follow_up - baseline``."""

    n: int  # pairs (including zero differences)
    n_pos: int
    n_zero: int
    n_neg: int
    t_plus: float
    t_minus: float
    p_val: float
    p_method: str

    @property
    def rank_biserial(self) -> float:
        total = self.t_plus + self.t_minus
        return (self.t_plus - self.t_minus) / total if total > 0 else float("nan")


def _ranks(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The non-zero differences and the average ranks of their absolute values."""
    nz = d[d != 0]
    return nz, stats.rankdata(np.abs(nz))


def rank_biserial(d: np.ndarray) -> float:
    """Matched-pairs rank-biserial correlation (Kerby 2014), zeros dropped.

    >>> rank_biserial(np.array([5, 4, -1, 3, 2]))  # T+ = 14, T- = 1
    0.8666666666666667
    """
    nz, r = _ranks(np.asarray(d, dtype=float))
    total = r.sum()
    if total == 0:
        return float("nan")
    return float((r[nz > 0].sum() - r[nz < 0].sum()) / total)


def sign_flip_distribution(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact null distribution of ``T+`` when each rank's sign is + or - with prob 1/2.

    Average ranks are multiples of 1/2, so ``2 * rank`` are integers and the
    distribution of ``2 T+`` follows by adding one rank at a time (the shift algorithm).
    Returns the support of ``T+`` and its probabilities.
    """
    doubled = np.rint(2 * np.asarray(ranks, dtype=float)).astype(np.int64)
    if not np.allclose(doubled, 2 * np.asarray(ranks, dtype=float)):
        raise ValueError("ranks must be multiples of 1/2")
    prob = np.zeros(int(doubled.sum()) + 1)
    prob[0] = 1.0
    top = 0
    for r in doubled:
        new = prob[: top + r + 1] * 0.5
        new[r:] += prob[: top + 1] * 0.5
        top += int(r)
        prob[: top + 1] = new
    support = np.arange(len(prob)) / 2
    return support, prob


def _p_from_distribution(
    support: np.ndarray, prob: np.ndarray, t_plus: float, centre: float
) -> float:
    tol = 1e-9
    dev = abs(t_plus - centre)
    return float(min(1.0, prob[np.abs(support - centre) >= dev - tol].sum()))


def signed_rank_test(
    d: np.ndarray,
    *,
    n_perm: int = 100_000,
    rng: np.random.Generator | None = None,
) -> SignedRankResult:
    """Two-sided Wilcoxon signed-rank test of paired differences (zeros dropped).

    Parameters
    ----------
    d : array
        Differences ``follow_up - baseline`` of complete pairs (no NaN).
    n_perm : int
        Monte Carlo sign flips when the exact distribution is too large.
    rng : Generator, optional
        For the Monte Carlo sign flips (required only then).

    Returns
    -------
    SignedRankResult
        ``t_plus`` is R's ``V``; ``p_method`` names the method and the zero handling.

    Examples
    --------
    >>> res = signed_rank_test(np.array([1, 1, 0, 1, 0, 2, 0, -1, 2, 1]))
    >>> res.t_plus, res.p_val  # coin::wilcoxsign_test(..., zero.method = "Wilcoxon")
    (25.0, 0.09375)
    """
    d = np.asarray(d, dtype=float)
    if np.isnan(d).any():
        raise ValueError("differences must not contain NaN")
    nz, r = _ranks(d)
    n, m = len(d), len(nz)
    t_plus, t_minus = float(r[nz > 0].sum()), float(r[nz < 0].sum())
    counts: dict[str, Any] = {
        "n": n,
        "n_pos": int((d > 0).sum()),
        "n_zero": int((d == 0).sum()),
        "n_neg": int((d < 0).sum()),
        "t_plus": t_plus,
        "t_minus": t_minus,
    }
    zeros = f"{counts['n_zero']} zero differences dropped (Wilcoxon)"
    if m == 0:
        return SignedRankResult(**counts, p_val=np.nan, p_method="no non-zero difference")
    ties = len(np.unique(np.abs(nz))) < m
    if not ties and m < 50:
        res = stats.wilcoxon(nz, method="exact", zero_method="wilcox")
        return SignedRankResult(
            **counts,
            p_val=float(res.pvalue),
            p_method=f"exact signed-rank (scipy; no ties; {zeros})",
        )
    centre = float(r.sum()) / 2
    if m <= MAX_ENUMERATE:
        signs = np.array(list(product((0.0, 1.0), repeat=m)))
        t_all = signs @ r
        tol = 1e-9
        p = float(np.mean(np.abs(t_all - centre) >= abs(t_plus - centre) - tol))
        return SignedRankResult(
            **counts,
            p_val=p,
            p_method=f"exact sign-flip permutation ({2**m} sign patterns; average ranks "
            f"for ties; {zeros})",
        )
    if m * 2 * r.sum() <= MAX_SHIFT_COST:
        support, prob = sign_flip_distribution(r)
        return SignedRankResult(
            **counts,
            p_val=_p_from_distribution(support, prob, t_plus, centre),
            p_method=f"exact sign-flip permutation (shift algorithm; average ranks for ties; "
            f"{zeros})",
        )
    if m <= MAX_MONTE_CARLO and n_perm > 0:
        if rng is None:
            raise ValueError("rng is needed for Monte Carlo sign flips")
        hits = 0
        done = 0
        dev = abs(t_plus - centre) - 1e-9
        while done < n_perm:
            b = min(max(1, _CHUNK // m), n_perm - done)
            flips = rng.integers(0, 2, size=(b, m), dtype=np.int8)
            hits += int(np.count_nonzero(np.abs(flips @ r - centre) >= dev))
            done += b
        return SignedRankResult(
            **counts,
            p_val=(hits + 1) / (n_perm + 1),
            p_method=f"Monte Carlo sign-flip permutation ({n_perm} draws; average ranks for "
            f"ties; {zeros})",
        )
    res = stats.wilcoxon(nz, method="approx", zero_method="wilcox", correction=False)
    return SignedRankResult(
        **counts,
        p_val=float(res.pvalue),
        p_method=f"normal approximation (tie-corrected, no continuity correction; {zeros})",
    )


# -- rank-biserial correlation of weighted samples -------------------------------------


@dataclass(frozen=True)
class DistinctDifferences:
    """Distinct differences with their counts and the groups of their absolute values.

    A sample of differences as the bootstrap of :func:`rank_biserial_ci` sees it: a
    resample is a vector of weights (counts) over the distinct values, so one resample
    costs O(distinct values) whatever the number of pairs.

    >>> v = DistinctDifferences.from_differences(np.array([2.0, -1, 0, 1, 2]))
    >>> v.value.tolist(), v.count.tolist(), v.group.tolist(), v.k
    ([-1.0, 0.0, 1.0, 2.0], [1.0, 1.0, 1.0, 2.0], [0, -1, 0, 1], 2)
    """

    value: np.ndarray
    count: np.ndarray
    group: np.ndarray  # index of |value| among the distinct non-zero |values|; -1 for 0
    k: int

    @classmethod
    def from_differences(cls, d: np.ndarray) -> DistinctDifferences:
        value, count = np.unique(np.asarray(d, dtype=float), return_counts=True)
        absolute = np.abs(value)
        distinct = np.unique(absolute[value != 0])
        group = np.where(value != 0, np.searchsorted(distinct, absolute), -1)
        return cls(value, count.astype(float), group, len(distinct))


def weighted_rank_biserial(v: DistinctDifferences, w: np.ndarray) -> np.ndarray:
    """Rank-biserial correlation of each weighted sample (rows of ``w``).

    Row ``b`` of ``w`` gives how often each distinct value of ``v`` occurs in sample
    ``b``; the result equals :func:`rank_biserial` of the sample written out (average
    ranks of the absolute values, zeros dropped), NaN when the sample has no non-zero
    difference.

    >>> v = DistinctDifferences.from_differences(np.array([5.0, 4, -1, 3, 2]))
    >>> weighted_rank_biserial(v, np.array([[1.0, 1, 1, 1, 1], [1.0, 0, 0, 0, 2]]))  # [-1, 5, 5]
    array([0.86666667, 0.66666667])
    """
    nonzero = v.group >= 0
    g = v.group[nonzero]
    wn = w[:, nonzero]
    b = w.shape[0]
    flat = (np.arange(b)[:, None] * v.k + g[None, :]).ravel()
    totals = np.bincount(flat, weights=wn.ravel(), minlength=b * v.k).reshape(b, v.k)
    rank = np.cumsum(totals, axis=1) - (totals - 1) / 2
    signed = np.sign(v.value[nonzero])
    diff = (wn * rank[:, g] * signed).sum(axis=1)
    total = (wn * rank[:, g]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, diff / np.where(total > 0, total, 1.0), np.nan)


def jackknife_rank_biserial(v: DistinctDifferences) -> np.ndarray:
    """Rank-biserial r leaving out one observation of each distinct value, in O(values).

    Removing one observation from the group g of |values| lowers the average rank of
    group g by 1/2 and of every higher group by 1, so with P_h (M_h) the number of
    positive (negative) differences in group h, T+ loses the removed rank (if positive),
    P'_g / 2 and the suffix sum of P above g; T- likewise. A removed zero changes nothing.
    """
    nonzero = v.group >= 0
    g = v.group[nonzero]
    c = v.count[nonzero]
    positive = v.value[nonzero] > 0
    pos = np.bincount(g, weights=np.where(positive, c, 0.0), minlength=v.k)
    neg = np.bincount(g, weights=np.where(positive, 0.0, c), minlength=v.k)
    total = pos + neg
    rank = np.cumsum(total) - (total - 1) / 2
    t_plus, t_minus = float(pos @ rank), float(neg @ rank)
    above_p = np.concatenate([np.cumsum(pos[::-1])[::-1][1:], [0.0]])
    above_m = np.concatenate([np.cumsum(neg[::-1])[::-1][1:], [0.0]])
    new_pos = pos[g] - positive
    new_neg = neg[g] - ~positive
    tp = t_plus - np.where(positive, rank[g], 0.0) - 0.5 * new_pos - above_p[g]
    tm = t_minus - np.where(positive, 0.0, rank[g]) - 0.5 * new_neg - above_m[g]
    out = np.full(len(v.value), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[nonzero] = np.where(tp + tm > 0, (tp - tm) / np.where(tp + tm > 0, tp + tm, 1), np.nan)
    if (~nonzero).any():
        full = (t_plus - t_minus) / (t_plus + t_minus) if t_plus + t_minus > 0 else np.nan
        out[~nonzero] = full
    return out


def rank_biserial_ci(
    d: np.ndarray,
    *,
    n_boot: int,
    rng: np.random.Generator,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """BCa bootstrap interval of the rank-biserial correlation (pairs resampled).

    Computed as :func:`scipy.stats.bootstrap` (``method="BCa"``) does: mid-rank bias
    correction, jackknife acceleration, linear quantiles. ``(nan, nan)`` when the
    bootstrap distribution is degenerate (e.g. every pair improved) or undefined.
    """
    d = np.asarray(d, dtype=float)
    if n_boot <= 0 or len(d) < 2:
        return (np.nan, np.nan)
    v = DistinctDifferences.from_differences(d)
    if v.k == 0:
        return (np.nan, np.nan)
    estimate = float(weighted_rank_biserial(v, v.count[None, :])[0])
    n = int(v.count.sum())
    p = v.count / n
    per = max(1, _CHUNK // max(len(v.count), 1))
    boot = np.concatenate(
        [
            weighted_rank_biserial(
                v, rng.multinomial(n, p, size=min(per, n_boot - s)).astype(float)
            )
            for s in range(0, n_boot, per)
        ]
    )
    if np.isnan(boot).any() or np.isnan(estimate) or np.ptp(boot) == 0:
        return (np.nan, np.nan)
    theta = jackknife_rank_biserial(v)
    if np.isnan(theta).any():
        return (np.nan, np.nan)
    return bca_bounds(boot, estimate, jackknife_acceleration(theta, v.count), confidence)

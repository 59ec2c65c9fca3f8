"""Fast bootstrap and jackknife (BCa intervals) for correlations of paired data.

Audit data are discrete (levels 0-5, means in tenths, integer staff counts), so many
observations share the same ``(x, y)`` pair. We collapse the data to its distinct
pairs ("cells") with multiplicities and express every resample as a vector of cell
weights:

* a bootstrap resample of n observations drawn with replacement is a multinomial
  draw of cell counts, ``Multinomial(n, count / n)``;
* a jackknife (leave-one-out) sample is the counts minus one at one cell, and its
  statistic is shared by every observation of that cell.

Spearman's rho of a weighted sample needs only the average ranks of each distinct x
and y value, which follow from cumulative weights, so one resample costs O(cells)
instead of a sort of n values. The results are the ordinary bootstrap and jackknife
of the ordinary statistics; the BCa interval follows Efron & Tibshirani (1993)
ch. 14 exactly as :func:`scipy.stats.bootstrap` computes it (mid-rank bias
correction, jackknife acceleration, linear quantiles).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = [
    "DEFAULT_N_BOOT",
    "MC_REPLICATES",
    "STATISTICS",
    "Cells",
    "bca_bounds",
    "bca_interval",
    "bca_interval_mc",
    "bootstrap_distribution",
    "jackknife",
    "jackknife_acceleration",
    "kendall_w",
    "pearson_w",
    "resampled_bca_bounds",
    "spearman_w",
]

Stat = Callable[["Cells", np.ndarray], np.ndarray]

_CHUNK_CELLS = 2_000_000  # weights per chunk (rows x cells) to bound memory


@dataclass(frozen=True)
class Cells:
    """Distinct (x, y) pairs of paired data with their multiplicities."""

    x: np.ndarray  # value of x in each cell
    y: np.ndarray
    count: np.ndarray  # observations per cell
    gx: np.ndarray  # index of the cell's x value among the sorted distinct x values
    gy: np.ndarray
    kx: int
    ky: int

    @property
    def n(self) -> int:
        return int(self.count.sum())

    def layout(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Start of each x group (cells are sorted by x), the cell order sorted by y,
        and the start of each y group in that order."""
        starts_x = np.flatnonzero(np.diff(self.gx, prepend=-1))
        order_y = np.argsort(self.gy, kind="stable")
        starts_y = np.flatnonzero(np.diff(self.gy[order_y], prepend=-1))
        return starts_x, order_y, starts_y

    @classmethod
    def from_pairs(cls, x: np.ndarray, y: np.ndarray) -> Cells:
        pairs, count = np.unique(np.column_stack([x, y]), axis=0, return_counts=True)
        ux, gx = np.unique(pairs[:, 0], return_inverse=True)
        uy, gy = np.unique(pairs[:, 1], return_inverse=True)
        return cls(pairs[:, 0], pairs[:, 1], count.astype(float), gx, gy, len(ux), len(uy))


def _group_sum(w: np.ndarray, group: np.ndarray, k: int) -> np.ndarray:
    b = w.shape[0]
    flat = (np.arange(b)[:, None] * k + group[None, :]).ravel()
    return np.bincount(flat, weights=w.ravel(), minlength=b * k).reshape(b, k)


def _avg_ranks(w: np.ndarray, group: np.ndarray, k: int) -> np.ndarray:
    """Average (1-based) rank of each cell's value in each weighted sample (rows of w)."""
    totals = _group_sum(w, group, k)
    rank = np.cumsum(totals, axis=1) - (totals - 1) / 2
    return rank[:, group]


def _weighted_pearson(w: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    total = w.sum(axis=1, keepdims=True)
    da = a - (w * a).sum(axis=1, keepdims=True) / total
    db = b - (w * b).sum(axis=1, keepdims=True) / total
    cov = (w * da * db).sum(axis=1)
    var = (w * da * da).sum(axis=1) * (w * db * db).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 0, cov / np.sqrt(np.where(var > 0, var, 1.0)), np.nan)


def spearman_w(cells: Cells, w: np.ndarray) -> np.ndarray:
    """Spearman's rho (average ranks for ties) of each weighted sample (rows of w).

    Cells are sorted by x (``Cells.from_pairs``), so x-group totals are contiguous
    ``reduceat`` sums; ranks are centred on the mean rank (N + 1)/2, the covariance is
    sum_g rx_g * (sum over the group's cells of w * ry) and the variances come from the
    group totals alone.
    """
    starts_x, order_y, starts_y = cells.layout()
    n = w.sum(axis=1, keepdims=True)
    tx = np.add.reduceat(w, starts_x, axis=1)
    ty = np.add.reduceat(w[:, order_y], starts_y, axis=1)
    rx = np.cumsum(tx, axis=1) - (tx - 1) / 2 - (n + 1) / 2
    ry = np.cumsum(ty, axis=1) - (ty - 1) / 2 - (n + 1) / 2
    cov = (np.add.reduceat(w * ry[:, cells.gy], starts_x, axis=1) * rx).sum(axis=1)
    var = (tx * rx * rx).sum(axis=1) * (ty * ry * ry).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 1e-12, cov / np.sqrt(np.where(var > 1e-12, var, 1.0)), np.nan)


def pearson_w(cells: Cells, w: np.ndarray) -> np.ndarray:
    """Pearson's r of each weighted sample."""
    shape = (w.shape[0], 1)
    return _weighted_pearson(w, np.tile(cells.x, shape), np.tile(cells.y, shape))


def kendall_w(cells: Cells, w: np.ndarray) -> np.ndarray:
    """Kendall's tau-b of each weighted sample (O(cells^2) per sample)."""
    sign = np.sign(cells.x[:, None] - cells.x[None, :]) * np.sign(
        cells.y[:, None] - cells.y[None, :]
    )
    s = np.einsum("bk,kl,bl->b", w, sign, w) / 2
    n = w.sum(axis=1)
    n0 = n * (n - 1) / 2
    tx = _group_sum(w, cells.gx, cells.kx)
    ty = _group_sum(w, cells.gy, cells.ky)
    n1 = (tx * (tx - 1) / 2).sum(axis=1)
    n2 = (ty * (ty - 1) / 2).sum(axis=1)
    den = (n0 - n1) * (n0 - n2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, s / np.sqrt(np.where(den > 0, den, 1.0)), np.nan)


STATISTICS: dict[str, Stat] = {"spearman": spearman_w, "pearson": pearson_w, "kendall": kendall_w}


def _in_chunks(
    stat: Stat, cells: Cells, make: Callable[[int], np.ndarray], rows: int
) -> np.ndarray:
    per = max(1, _CHUNK_CELLS // max(len(cells.count), 1))
    if stat is kendall_w:
        per = max(1, per // max(len(cells.count), 1) * 50)
    out = []
    for start in range(0, rows, per):
        out.append(stat(cells, make(min(per, rows - start))))
    return np.concatenate(out) if out else np.empty(0)


def bootstrap_distribution(
    method: str, cells: Cells, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Statistic over ``n_boot`` ordinary bootstrap resamples."""
    stat = STATISTICS[method]
    p = cells.count / cells.n
    if method == "spearman":
        # its ranks are sums of counts: the integer counts as drawn give the same numbers
        # as a float copy of them, bit for bit (tested), without the copy
        return _in_chunks(stat, cells, lambda b: rng.multinomial(cells.n, p, size=b), n_boot)
    return _in_chunks(
        stat, cells, lambda b: rng.multinomial(cells.n, p, size=b).astype(float), n_boot
    )


def jackknife(method: str, cells: Cells) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out statistic per occupied cell and how many observations share it."""
    occupied = np.flatnonzero(cells.count > 0)
    if method == "spearman" and cells.kx * cells.ky <= _CHUNK_CELLS * 4:
        return _jackknife_spearman(cells)[occupied], cells.count[occupied]
    if method == "pearson":
        return _jackknife_pearson(cells)[occupied], cells.count[occupied]
    stat = STATISTICS[method]
    values = []
    per = max(1, _CHUNK_CELLS // max(len(cells.count), 1))
    for start in range(0, len(occupied), per):
        idx = occupied[start : start + per]
        w = np.tile(cells.count, (len(idx), 1))
        w[np.arange(len(idx)), idx] -= 1
        values.append(stat(cells, w))
    return np.concatenate(values), cells.count[occupied]


def _suffix(v: np.ndarray) -> np.ndarray:
    """s[i] = sum(v[i:]) with a trailing 0 (length len(v) + 1)."""
    return np.concatenate([np.cumsum(v[::-1])[::-1], [0.0]])


def _jackknife_pearson(cells: Cells) -> np.ndarray:
    """Pearson's r leaving out one observation of each cell, from running sums."""
    c, x, y = cells.count, cells.x, cells.y
    n = c.sum() - 1
    sx, sy = (c * x).sum() - x, (c * y).sum() - y
    sxx, syy, sxy = (c * x * x).sum() - x * x, (c * y * y).sum() - y * y, (c * x * y).sum() - x * y
    cov = sxy - sx * sy / n
    var = (sxx - sx * sx / n) * (syy - sy * sy / n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 0, cov / np.sqrt(np.where(var > 0, var, 1.0)), np.nan)


def _jackknife_spearman(cells: Cells) -> np.ndarray:
    """Spearman's rho leaving out one observation of each cell, in O(cells + kx * ky).

    Removing one observation with x-group a shifts the average rank of every x value
    above a by -1 and of the value a itself by -1/2; the mean rank becomes N/2. The
    leave-one-out covariance and variances therefore follow from suffix sums of the
    full-sample ranks over the x and y groups and a 2-D suffix sum of the cell counts.
    """
    c, gx, gy, kx, ky = cells.count, cells.gx, cells.gy, cells.kx, cells.ky
    n_total = c.sum()
    tx = np.bincount(gx, weights=c, minlength=kx)
    ty = np.bincount(gy, weights=c, minlength=ky)
    # full-sample average ranks, centred on the leave-one-out mean rank N/2
    xr = np.cumsum(tx) - (tx - 1) / 2 - n_total / 2
    yr = np.cumsum(ty) - (ty - 1) / 2 - n_total / 2
    grid = np.zeros((kx, ky))
    np.add.at(grid, (gx, gy), c)
    a, b = gx, gy  # the groups of the removed observation, per cell

    def shifted_ss(t: np.ndarray, r: np.ndarray, g: np.ndarray) -> np.ndarray:
        # sum over groups of t * (r - d)^2 with d = [group > g] + 1/2 [group = g],
        # minus the removed observation's own (r[g] - 1/2)^2
        s_t, s_tr = _suffix(t), _suffix(t * r)
        total = (t * r * r).sum() - 2 * (s_tr[g + 1] + 0.5 * t[g] * r[g]) + s_t[g + 1]
        return total + 0.25 * t[g] - (r[g] - 0.5) ** 2

    var_x = shifted_ss(tx, xr, a)
    var_y = shifted_ss(ty, yr, b)
    u = xr @ grid  # per y-group: sum over cells of count * x-rank
    v = grid @ yr  # per x-group: sum over cells of count * y-rank
    s_u, s_v = _suffix(u), _suffix(v)
    term_a = xr @ grid @ yr
    term_b = s_u[b + 1] + 0.5 * u[b]
    term_c = s_v[a + 1] + 0.5 * v[a]
    s2 = np.zeros((kx + 1, ky + 1))
    s2[:kx, :ky] = grid[::-1, ::-1].cumsum(axis=0).cumsum(axis=1)[::-1, ::-1]
    both = s2[a + 1, b + 1]
    term_d = both + 0.5 * (s2[a + 1, b] - both) + 0.5 * (s2[a, b + 1] - both) + 0.25 * grid[a, b]
    cov = term_a - term_b - term_c + term_d - (xr[a] - 0.5) * (yr[b] - 0.5)
    var = var_x * var_y
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 1e-12, cov / np.sqrt(np.where(var > 1e-12, var, 1.0)), np.nan)


def bca_interval(
    method: str,
    cells: Cells,
    estimate: float,
    n_boot: int,
    rng: np.random.Generator,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """BCa bootstrap interval, as :func:`scipy.stats.bootstrap` (method="BCa") computes it.

    Returns ``(nan, nan)`` when the bootstrap distribution is degenerate (every
    resample gives the same value, or undefined values occur).
    """
    low, high, _, _ = bca_interval_mc(method, cells, estimate, n_boot, rng, confidence)
    return (low, high)


#: Default bootstrap resamples for BCa intervals: at n = 12 (the Table 4 size
#: correlation) the Monte-Carlo SE of the lower bound is 0.033 with 2,000 resamples and
#: 0.010 with 20,000 (upper bound 0.004); see ``benchmarks/bench_bca_stability.py``.
DEFAULT_N_BOOT = 20_000

#: Resamples of the bootstrap replicates for the Monte-Carlo error of the BCa bounds.
MC_REPLICATES = 100


def _acceleration(method: str, cells: Cells) -> float:
    theta_i, weight = jackknife(method, cells)
    if np.isnan(theta_i).any():
        return np.nan
    return jackknife_acceleration(theta_i, weight)


def jackknife_acceleration(theta_i: np.ndarray, weight: np.ndarray) -> float:
    """BCa acceleration from leave-one-out estimates ``theta_i`` of distinct values
    standing ``weight`` times each (as :func:`scipy.stats.bootstrap` computes it)."""
    n = weight.sum()
    u = (n - 1) * ((weight * theta_i).sum() / n - theta_i)
    den = (weight * u**2).sum() / n**2
    return float(((weight * u**3).sum() / n**3) / (6 * den**1.5)) if den > 0 else 0.0


def _bca_levels(share: float, a: float, confidence: float) -> list[float]:
    """The BCa quantile levels from the share of replicates below the estimate."""
    z0 = ndtri(share)
    alpha = (1 - confidence) / 2
    levels = []
    for z in (ndtri(alpha), -ndtri(alpha)):
        num = z0 + z
        levels.append(float(ndtr(z0 + num / (1 - a * num))))
    return levels


def bca_bounds(
    boot: np.ndarray, estimate: float, a: float, confidence: float
) -> tuple[float, float]:
    """BCa bounds from bootstrap replicates, mid-rank bias correction and acceleration
    ``a``, linear quantiles; ``(nan, nan)`` when degenerate."""
    if np.ptp(boot) == 0:
        return (np.nan, np.nan)
    share = (np.count_nonzero(boot < estimate) + np.count_nonzero(boot <= estimate)) / (
        2 * len(boot)
    )
    bounds = _bca_levels(share, a, confidence)
    if not np.isfinite(bounds).all():
        return (np.nan, np.nan)
    low, high = np.quantile(boot, bounds)
    return (float(low), float(high))


def _order_statistic(values: np.ndarray, cum: np.ndarray, j: Any) -> Any:
    """The ``j``-th smallest (from 0) of a resample: ``cum`` counts it per sorted value."""
    return values[np.searchsorted(cum, j, side="right")]


def resampled_bca_bounds(
    boot: np.ndarray,
    estimate: float,
    a: float,
    confidence: float,
    rng: np.random.Generator,
    replicates: int,
) -> np.ndarray:
    """:func:`bca_bounds` of ``replicates`` resamples of ``boot``, bit for bit.

    Returns an array of ``(low, high)`` per resample (NaN where degenerate).

    Each resample is ``boot[rng.integers(0, n, n)]`` as drawn one after another, but it
    is never built or partitioned: with the replicates sorted once, a resample is its
    count of each sorted position, its order statistics are read off the cumulative
    counts, and its shares below the estimate from two fixed positions. The quantiles
    interpolate as :func:`numpy.quantile`'s ``linear`` method does, operation for
    operation (tested equal to :func:`bca_bounds` on the resample).
    """
    n = len(boot)
    order = np.argsort(boot, kind="stable")
    values = boot[order]
    position = np.empty(n, dtype=np.intp)
    position[order] = np.arange(n)
    below = int(np.searchsorted(values, estimate, side="left"))
    at_or_below = int(np.searchsorted(values, estimate, side="right"))
    out = np.full((replicates, 2), np.nan)
    for r in range(replicates):
        cum = np.cumsum(np.bincount(position[rng.integers(0, n, n)], minlength=n))
        if _order_statistic(values, cum, 0) == _order_statistic(values, cum, n - 1):
            continue  # every value the same (np.ptp == 0): degenerate
        count_lt = int(cum[below - 1]) if below else 0
        count_le = int(cum[at_or_below - 1]) if at_or_below else 0
        levels = _bca_levels((count_lt + count_le) / (2 * n), a, confidence)
        if not np.isfinite(levels).all():
            continue
        q = np.asanyarray(levels)
        virtual = (n - 1) * q  # numpy.quantile, method "linear"
        previous = np.floor(virtual)
        following = previous + 1
        above = virtual >= n - 1
        previous[above] = -1
        following[above] = -1
        previous[virtual < 0] = 0
        following[virtual < 0] = 0
        previous_i, following_i = previous.astype(np.intp), following.astype(np.intp)
        gamma = np.asanyarray(virtual - previous_i, dtype=virtual.dtype)
        low = _order_statistic(values, cum, previous_i % n)  # index -1: the largest
        high = _order_statistic(values, cum, following_i % n)
        diff = high - low  # numpy's _lerp
        result = low + diff * gamma
        np.subtract(high, diff * (1 - gamma), out=result, where=gamma >= 0.5)
        out[r] = result
    return out


def bca_interval_mc(
    method: str,
    cells: Cells,
    estimate: float,
    n_boot: int,
    rng: np.random.Generator,
    confidence: float = 0.95,
) -> tuple[float, float, float, float]:
    """BCa interval and the Monte-Carlo standard error of each bound.

    The interval is :func:`bca_interval`'s (same resamples, same random stream). Its
    Monte-Carlo error (how far a rerun with another seed would move a bound) is
    estimated by resampling the ``n_boot`` bootstrap replicates themselves:
    :data:`MC_REPLICATES` = 100 times, ``n_boot`` replicates are drawn with
    replacement and the BCa bounds recomputed from them (bias correction z0 and
    quantiles anew; the jackknife acceleration depends on the data only and is kept);
    the standard deviation of those bounds is the standard error. This is the
    bootstrap estimate of the sampling error of a quantile of the replicate
    distribution (Efron & Tibshirani 1993, ch. 19, on the Monte-Carlo error of
    bootstrap intervals). These draws come from ``rng.spawn(1)``, so the caller's
    stream (and every later permutation p-value) is the same as without them.
    ``benchmarks/bench_bca_stability.py`` compares the estimate with the spread of
    the bounds over 200 seeds.

    Returns ``(low, high, se_low, se_high)``; all NaN when the interval is degenerate.
    """
    boot = bootstrap_distribution(method, cells, n_boot, rng)
    nan4 = (np.nan, np.nan, np.nan, np.nan)
    if np.isnan(boot).any() or np.isnan(estimate) or np.ptp(boot) == 0:
        return nan4
    a = _acceleration(method, cells)
    if np.isnan(a):
        return nan4
    low, high = bca_bounds(boot, estimate, a, confidence)
    if np.isnan(low):
        return nan4
    child = rng.spawn(1)[0]
    again = resampled_bca_bounds(boot, estimate, a, confidence, child, MC_REPLICATES)
    if np.isnan(again).any():
        return (low, high, np.nan, np.nan)
    se = again.std(axis=0, ddof=1)
    return (low, high, float(se[0]), float(se[1]))

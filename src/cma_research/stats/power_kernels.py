"""Vectorised test kernels and a calibrated ordinal data generator for power simulations.

Each kernel tests many simulated datasets at once: rows are datasets, columns are
businesses, NaN marks a business the analysis cannot use (blank score, lost to
follow-up), so every row keeps its own ``n``. The p-values equal those of the public
functions row by row (tests compare them on 1,000 random datasets):

- :func:`spearman_test`: :func:`scipy.stats.spearmanr` (t approximation, as
  ``cma.correlate``'s ``p_val``);
- :func:`pearson_test`: :func:`scipy.stats.pearsonr`;
- :func:`kruskal_test`: :func:`scipy.stats.kruskal` over the non-empty groups (as
  ``cma.compare_groups``);
- :func:`signed_rank_test`: :func:`scipy.stats.wilcoxon` with ``zero_method="wilcox"``,
  ``method="approx"``, ``correction=False`` (zeros dropped, tie-corrected normal
  approximation, the large-sample branch of ``cma.paired_change``).

Array-level only; :mod:`cma_research.analysis.power` calibrates the generator on a
cohort and runs the simulations.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import special, stats

__all__ = [
    "KernelResult",
    "OrdinalModel",
    "kruskal_test",
    "pearson_test",
    "rank_rows",
    "signed_rank_test",
    "spearman_test",
]


@dataclass(frozen=True)
class KernelResult:
    """Row-wise results: ``p`` (NaN when unusable), ``statistic``, ``n``, ``reason`` codes.

    ``reason`` is 0 for a usable row, 1 for too few businesses, 2 for constant scores
    (or covariate), 3 for fewer than two non-empty groups.
    """

    p: np.ndarray
    statistic: np.ndarray
    n: np.ndarray
    reason: np.ndarray


#: Text of each ``KernelResult.reason`` code.
REASONS = {1: "too few businesses", 2: "constant values", 3: "fewer than 2 groups"}


def _tie_sum(values: np.ndarray) -> np.ndarray:
    """Per row, sum of t^3 - t over groups of tied non-NaN values."""
    s = np.sort(values, axis=1)  # NaN last
    valid = ~np.isnan(s)
    new = np.ones(s.shape, dtype=bool)
    new[:, 1:] = s[:, 1:] != s[:, :-1]
    new &= valid
    group = np.cumsum(new, axis=1) - 1
    rows = np.repeat(np.arange(s.shape[0]), s.shape[1])
    flat = (rows * s.shape[1] + group.ravel())[valid.ravel()]
    counts = np.bincount(flat, minlength=s.shape[0] * s.shape[1]).reshape(s.shape).astype(float)
    return np.asarray(np.sum(counts**3 - counts, axis=1), dtype=float)


def rank_rows(values: np.ndarray) -> np.ndarray:
    """Average ranks within each row, NaN kept as NaN (as ``rankdata(nan_policy="omit")``).

    NaN sorts last (as +inf), so the ranks of the observed values are unaffected; each
    run of equal values gets the mean of its positions (tests compare it with scipy).
    Quicksort is enough: the order within a tie does not matter.

    >>> rank_rows(np.array([[3.0, np.nan, 1.0, 3.0]])).tolist()
    [[2.5, nan, 1.0, 2.5]]
    """
    values = np.asarray(values, dtype=float)
    rows, cols = values.shape
    nan = np.isnan(values)
    has_nan = bool(nan.any())
    filled = np.where(nan, np.inf, values) if has_nan else values
    order = np.argsort(filled, axis=1)
    s = np.take_along_axis(filled, order, axis=1)
    # one run per tie group over the flattened rows (a row always starts a new run); the
    # mean position of a run of consecutive integers is exact in floating point
    start = np.ones(s.shape, dtype=bool)
    start[:, 1:] = s[:, 1:] != s[:, :-1]
    run = np.cumsum(start.ravel()) - 1
    positions = np.tile(np.arange(cols, dtype=float), rows)
    mean_position = np.bincount(run, weights=positions) / np.bincount(run)
    out = np.empty(rows * cols)
    out[(order + (np.arange(rows) * cols)[:, None]).ravel()] = mean_position[run] + 1
    out = out.reshape(rows, cols)
    if has_nan:
        out[nan] = np.nan
    return out


def _masked_pearson(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ok = ~np.isnan(x) & ~np.isnan(y)
    n = ok.sum(axis=1)
    xz = np.where(ok, x, 0.0)
    yz = np.where(ok, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = xz.sum(axis=1) / n
        my = yz.sum(axis=1) / n
        dx = np.where(ok, x - mx[:, None], 0.0)
        dy = np.where(ok, y - my[:, None], 0.0)
        sxx = np.sum(dx * dx, axis=1)
        syy = np.sum(dy * dy, axis=1)
        r = np.sum(dx * dy, axis=1) / np.sqrt(sxx * syy)
    r = np.clip(r, -1.0, 1.0)
    constant = (sxx <= 0) | (syy <= 0) | ~np.isfinite(sxx * syy)
    return r, n, constant


def _correlation_result(r: np.ndarray, n: np.ndarray, constant: np.ndarray) -> KernelResult:
    few = n < 3
    reason = np.where(few, 1, np.where(constant, 2, 0))
    usable = reason == 0
    df = np.maximum(n - 2, 1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt(df / ((1.0 + r) * (1.0 - r)))
    p = 2 * special.stdtr(df, -np.abs(t))
    return KernelResult(
        p=np.where(usable, p, np.nan), statistic=np.where(usable, r, np.nan), n=n, reason=reason
    )


def spearman_test(x: np.ndarray, y: np.ndarray) -> KernelResult:
    """Spearman's rho per row over the columns where both are observed; t-based p."""
    ok = ~np.isnan(x) & ~np.isnan(y)
    if not ok.all():  # rank only the pairs observed on both sides
        x, y = np.where(ok, x, np.nan), np.where(ok, y, np.nan)
    return _correlation_result(*_masked_pearson(rank_rows(x), rank_rows(y)))


def pearson_test(x: np.ndarray, y: np.ndarray) -> KernelResult:
    """Pearson's r per row (exact t test of r = 0, as scipy.stats.pearsonr)."""
    r, n, constant = _masked_pearson(x, y)
    # pearsonr's p uses the beta distribution of r, which equals the t test
    return _correlation_result(r, n, constant)


def kruskal_test(values: np.ndarray, groups: np.ndarray, n_groups: int) -> KernelResult:
    """Kruskal-Wallis H per row over the non-empty groups (integer codes 0..n_groups-1)."""
    ok = ~np.isnan(values) & (groups >= 0)
    v = np.where(ok, values, np.nan)
    ranks = rank_rows(v)
    n = ok.sum(axis=1)
    # group sizes and rank sums per row by one bincount over (row, group) cells
    rows = v.shape[0]
    cell = (np.arange(rows)[:, None] * n_groups + np.where(ok, groups, 0))[ok]
    size = np.bincount(cell, minlength=rows * n_groups).reshape(rows, n_groups)
    rank_sum = np.bincount(cell, weights=ranks[ok], minlength=rows * n_groups).reshape(
        rows, n_groups
    )
    present = size > 0
    k = present.sum(axis=1)
    nf = n.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(present, rank_sum**2 / np.where(present, size, 1), 0.0).sum(axis=1)
        h = 12.0 / (nf * (nf + 1)) * term - 3 * (nf + 1)
        ties = 1 - _tie_sum(v) / (nf**3 - nf)
        h = h / ties
    reason = np.where(k < 2, 3, np.where(n < 2, 1, np.where(ties <= 0, 2, 0)))
    usable = reason == 0
    p = stats.chi2.sf(np.where(usable, h, 0.0), np.maximum(k - 1, 1))
    return KernelResult(
        p=np.where(usable, p, np.nan), statistic=np.where(usable, h, np.nan), n=n, reason=reason
    )


def signed_rank_test(d: np.ndarray) -> KernelResult:
    """Wilcoxon signed-rank per row: zeros dropped, tie-corrected normal approximation."""
    nz = np.where(d == 0, np.nan, d)
    valid = ~np.isnan(nz)
    count = valid.sum(axis=1).astype(float)
    a = np.abs(nz)
    ranks = rank_rows(a)
    r_plus = np.sum(np.where(valid & (nz > 0), ranks, 0.0), axis=1)
    r_minus = np.sum(np.where(valid & (nz < 0), ranks, 0.0), axis=1)
    mn = count * (count + 1.0) * 0.25
    se2 = (count * (count + 1.0) * (2.0 * count + 1.0) - _tie_sum(a) / 2) / 24
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (r_plus - mn) / np.sqrt(se2)
    reason = np.where(count < 1, 1, np.where(se2 <= 0, 2, 0))
    usable = reason == 0
    p = 2 * special.ndtr(-np.abs(z))
    stat = np.minimum(r_plus, r_minus)
    n = (~np.isnan(d)).sum(axis=1)
    return KernelResult(
        p=np.where(usable, p, np.nan), statistic=np.where(usable, stat, np.nan), n=n, reason=reason
    )


@dataclass(frozen=True)
class OrdinalModel:
    """Latent-normal threshold model of a cohort's returns (a cumulative-probit model).

    Each business has latent stage values ``Z ~ N(0, correlation)``; stage ``k`` shows
    level ``levels[k][j]`` when ``Z_k`` falls between ``cuts[k][j-1]`` and
    ``cuts[k][j]``; each simulated business takes the blank pattern (which stages were
    not assessed) of a business drawn at random from ``blank_patterns``, the calibrating
    cohort's own patterns, so the blank share per stage and the clustering of blanks in
    some businesses are both reproduced (blanks independent of the levels: MCAR).
    Size: ``log(staff) = log_staff_mean + log_staff_sd * W`` with
    ``corr(W, G) = effect``, ``G`` the standardised sum of the latent stage values.
    Between waves: ``Z2 = wave_correlation Z1 + sqrt(1 - wave_correlation^2) Z' +
    shift``, a business is lost with probability ``attrition``.
    """

    levels: tuple[np.ndarray, ...]
    cuts: tuple[np.ndarray, ...]
    correlation: np.ndarray
    blank_patterns: np.ndarray
    log_staff_mean: float
    log_staff_sd: float
    attrition: float = 0.0
    wave_correlation: float | None = None
    #: What the model was calibrated on, in words (``calibrate`` fills it in).
    calibrated_on: str = ""

    @property
    def blank(self) -> np.ndarray:
        """Expected share of blanks per stage."""
        return np.asarray(self.blank_patterns.mean(axis=0), dtype=float)

    @property
    def k(self) -> int:
        """Number of stages."""
        return len(self.levels)

    def with_waves(self, wave_correlation: float, attrition: float) -> OrdinalModel:
        """A copy with the between-wave parameters set."""
        return replace(self, wave_correlation=wave_correlation, attrition=attrition)

    def latent(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        """Latent stage values, shape ``(*shape, k)``."""
        chol = np.linalg.cholesky(self.correlation)
        return rng.standard_normal((*shape, self.k)) @ chol.T

    def general(self, z: np.ndarray) -> np.ndarray:
        """Standardised sum of the latent stage values (unit variance)."""
        return np.asarray(z.sum(axis=-1) / np.sqrt(self.correlation.sum()), dtype=float)

    def observe(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Levels from latent values, with blanks (NaN); same shape as ``z``."""
        out = np.empty(z.shape, dtype=float)
        for j in range(self.k):
            out[..., j] = self.levels[j][np.searchsorted(self.cuts[j], z[..., j])]
        pick = rng.integers(0, self.blank_patterns.shape[0], z.shape[:-1])
        out[self.blank_patterns[pick]] = np.nan
        return out

    def staff(self, g: np.ndarray, effect: float, rng: np.random.Generator) -> np.ndarray:
        """Whole-number headcounts (at least 1), log scale correlated ``effect`` with ``g``."""
        w = effect * g + np.sqrt(1 - effect**2) * rng.standard_normal(g.shape)
        return np.maximum(np.round(np.exp(self.log_staff_mean + self.log_staff_sd * w)), 1.0)


def mean_score(levels: np.ndarray, complete_case: bool) -> np.ndarray:
    """Mean level per business (last axis = stages): NaN when a stage is blank
    (``complete_case``) or when every stage is blank."""
    if complete_case:
        return np.asarray(levels.mean(axis=-1), dtype=float)  # NaN propagates
    count = (~np.isnan(levels)).sum(axis=-1)
    total = np.nansum(levels, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)

"""Correlations of maturity with size and growth, honest at small n.

Correlations between stages are in :mod:`cma_research.analysis.stage_correlations`; the
methods and the multiple-testing family in :mod:`cma_research.analysis.correlation_family`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cma_research.analysis.change import change_scores, resolve_waves
from cma_research.analysis.correlation_family import (
    METHODS,
    P_ADJUST,
    STAGE_METHODS,
    Method,
    PAdjust,
    _adjust,
    rank_equivalent,
)
from cma_research.analysis.describe import SCORES, business_scores, check_comparable
from cma_research.analysis.prepare import check_choice, covariate_values, prepared
from cma_research.analysis.stage_correlations import stage_correlations
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.missing.strategies import Strategy
from cma_research.stats.correlation import correlation_test
from cma_research.stats.resampling import DEFAULT_N_BOOT

# METHODS, STAGE_METHODS, P_ADJUST, rank_equivalent (correlation_family.py) and
# stage_correlations (stage_correlations.py) stay importable from here.
__all__ = [
    "METHODS",
    "P_ADJUST",
    "STAGE_METHODS",
    "correlate",
    "rank_equivalent",
    "stage_correlations",
]


def _pairwise_test(
    method: str,
    x_all: np.ndarray,
    y_all: np.ndarray,
    *,
    n_boot: int,
    n_perm: int,
    rng: np.random.Generator,
    what: str,
) -> dict[str, Any]:
    """:func:`correlation_test` over the businesses with both values."""
    ok = ~np.isnan(x_all) & ~np.isnan(y_all)
    return correlation_test(
        method, x_all[ok], y_all[ok], n_boot=n_boot, n_perm=n_perm, rng=rng, what=what
    )


def _scores_for(score: str | Sequence[str], cohort: Cohort) -> list[str]:
    names = [score] if isinstance(score, str) else list(score)
    allowed = [*SCORES, *cohort.stage_ids, "stages"]
    out: list[str] = []
    for name in names:
        check_choice("score", name, allowed)
        out.extend(cohort.stage_ids if name == "stages" else [name])
    return out


def correlate(
    cohort: Cohort,
    covariate: str | Sequence[str] = "staff",
    score: str | Sequence[str] = "mean",
    method: Method = "spearman",
    strategy: Strategy = "complete_case",
    *,
    min_stages: int | None = None,
    seed: int = 0,
    n_boot: int = DEFAULT_N_BOOT,
    n_perm: int = 100_000,
    p_adjust: PAdjust = "holm",
    baseline: str | int | None = None,
    follow_up: str | int | None = None,
) -> pd.DataFrame:
    """Correlate business maturity with size (or growth) with intervals and honest p-values.

    Parameters
    ----------
    cohort : Cohort
        One wave; covariates from :func:`~cma_research.load_covariates` are attributes.
    covariate : str or list of str
        ``"staff"``, ``"log_staff"`` or any numeric attribute (e.g. a growth column).
    score : str or list of str
        A business score of :func:`~cma_research.business_scores` (``mean``, ``median``,
        ``min``, ``max``, ``sum``, ``processes_in_place``), a stage id, or ``"stages"``
        for every stage (one row each). ``"change"``: the change in mean score between
        two waves (follow-up minus baseline, :func:`~cma_research.analysis.change.change_scores`)
        of the businesses audited at both, against the covariate at baseline ("did
        bigger businesses improve more?"); the cohort then has two or more waves.
    method : {"spearman", "kendall", "pearson"}
        Kendall is tau-b. Ties are handled as :mod:`scipy.stats` does (average ranks).
    strategy : str
        Missing-stage strategy applied before scoring (default ``complete_case``).
        For ``multiple`` use :func:`~cma_research.sensitivity`.
    min_stages : int, optional
        For ``strategy="min_stages"``.
    seed : int
        Seeds the bootstrap and the Monte Carlo permutations (same seed, same result).
    n_boot : int
        Bootstrap resamples for the BCa interval (0 to skip). The default, 20,000,
        keeps the Monte-Carlo standard error of the bounds near 0.01 or less at
        n = 12 (``benchmarks/bench_bca_stability.py``: 0.033 for the lower bound of
        the Table 4 size correlation with 2,000 resamples, 0.010 with 20,000).
    n_perm : int
        Random permutations when exact enumeration is too large (default 100,000).
    p_adjust : {"holm", "fdr_bh"}
        Adjustment across the rows (stages and covariates) of this call. For Spearman
        and Kendall a covariate that is a monotone transform of an earlier one
        (``log_staff`` of ``staff``, see :func:`rank_equivalent`) is the same test: its
        rows copy the earlier rows' interval and p-values (r negated for a decreasing
        transform), are left out of the adjustment family and get the earlier row's
        ``p_adj``; ``p_adj_method`` says so.
    baseline, follow_up : str or int, optional
        For ``score="change"``: the two waves (labels or codes); default the first and
        the last wave.

    Returns
    -------
    DataFrame
        One row per (score, covariate): ``score``, ``covariate``, ``method``, ``n``
        (businesses with both values), ``r``, ``ci95_low``, ``ci95_high`` (BCa
        bootstrap, seeded; NaN when degenerate), ``ci_low_mc_se``, ``ci_high_mc_se``
        (Monte-Carlo standard error of each bound: the bootstrap replicates resampled
        100 times, see :func:`~cma_research.stats.resampling.bca_interval_mc`),
        ``ci_method``, ``p_val`` (asymptotic,
        as scipy: t for Spearman and Pearson, normal with tie correction for Kendall),
        ``p_perm`` (exact enumeration of all orderings when n <= 8, otherwise Monte
        Carlo with (b + 1)/(m + 1); NaN above n = 500, 60 for Kendall), ``p_method``,
        ``p_adj`` (on ``p_perm`` when every row has it, else ``p_val``),
        ``p_adj_method``, ``strategy``; for ``score="change"`` also ``baseline`` and
        ``follow_up`` (wave labels).

    Raises
    ------
    ParameterError
        Unknown names (listing the allowed values), or fewer than 3 usable businesses.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> cohort = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> res = correlate(cohort, "staff", "mean", n_boot=500, n_perm=2000, seed=1)
    >>> res[["score", "covariate", "n", "r", "p_val"]].round(4).to_dict("records")
    [{'score': 'mean', 'covariate': 'staff', 'n': 12, 'r': 0.5167, 'p_val': 0.0854}]

    R: ``cor.test(mean_cc, staff, method = "spearman", exact = FALSE)``.
    """
    check_choice("method", method, METHODS)
    check_choice("p_adjust", p_adjust, P_ADJUST)
    for name, value in (("n_boot", n_boot), ("n_perm", n_perm)):
        if not isinstance(value, int | np.integer) or value < 0:
            raise ParameterError(f"{name}={value!r} must be a whole number >= 0")
    names = [score] if isinstance(score, str) else list(score)
    if "change" in names:
        if len(names) > 1:
            raise ParameterError(
                f"score={score!r}: 'change' is correlated on its own (one call per score)"
            )
        return _correlate_change(
            cohort, covariate, method, strategy, min_stages, seed, n_boot, n_perm, p_adjust,
            baseline, follow_up,
        )  # fmt: skip
    c = prepared(cohort, strategy, min_stages=min_stages, what="correlate")
    scores_wanted = _scores_for(score, c)
    check_comparable(c, scores_wanted, "correlate")
    covariates = [covariate] if isinstance(covariate, str) else list(covariate)
    cov_values = {name: covariate_values(c, name) for name in covariates}
    table = business_scores(c)  # c is already cleaned: score over what it holds
    table.index = c.scores.index
    rng = np.random.default_rng(seed)
    same = rank_equivalent({k: v.to_numpy(dtype=float) for k, v in cov_values.items()}, method)
    rows: list[dict[str, Any]] = []
    duplicate_of: list[tuple[int, str] | None] = []
    for sname in scores_wanted:
        y_all = (table[sname] if sname in SCORES else c.scores[sname]).to_numpy(
            dtype=float, na_value=np.nan
        )
        for cname, cov in cov_values.items():
            if cname in same:
                other, sign = same[cname]
                j = next(
                    i for i, r in enumerate(rows) if (r["score"], r["covariate"]) == (sname, other)
                )
                copy = dict(rows[j], covariate=cname, r=sign * rows[j]["r"])
                if sign < 0:
                    copy.update(
                        ci95_low=-rows[j]["ci95_high"],
                        ci95_high=-rows[j]["ci95_low"],
                        ci_low_mc_se=rows[j]["ci_high_mc_se"],
                        ci_high_mc_se=rows[j]["ci_low_mc_se"],
                    )
                rows.append(copy)
                duplicate_of.append((j, f"{sname} with {other}"))
                continue
            duplicate_of.append(None)
            row = _pairwise_test(
                method,
                cov.to_numpy(dtype=float),
                y_all,
                n_boot=n_boot,
                n_perm=n_perm,
                rng=rng,
                what=f"correlating {sname} with {cname} (strategy {strategy!r})",
            )
            rows.append({"score": sname, "covariate": cname, **row})
    out = pd.DataFrame(rows)
    out = _adjust(out, p_adjust, duplicate_of)
    out["strategy"] = pd.array([strategy] * len(out), dtype="string")
    for col in ("score", "covariate", "method", "ci_method", "p_method"):
        out[col] = out[col].astype("string")
    return out


def _correlate_change(
    cohort: Cohort,
    covariate: str | Sequence[str],
    method: str,
    strategy: Strategy,
    min_stages: int | None,
    seed: int,
    n_boot: int,
    n_perm: int,
    p_adjust: str,
    baseline: str | int | None,
    follow_up: str | int | None,
) -> pd.DataFrame:
    """``correlate(..., score="change")``: covariate at baseline vs change in mean score."""
    b, f = resolve_waves(cohort, baseline, follow_up)
    table = change_scores(cohort, b, f, strategy=strategy, min_stages=min_stages)
    base = cohort.select_wave(b)
    ids = [str(i) for i in base.attributes.index.get_level_values("business_id")]
    y_all = table["change"].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    rows = []
    for cname in [covariate] if isinstance(covariate, str) else list(covariate):
        cov = pd.Series(covariate_values(base, cname).to_numpy(dtype=float), index=ids)
        x_all = cov.reindex(table["business_id"].astype(str).to_list()).to_numpy(dtype=float)
        row = _pairwise_test(
            method,
            x_all,
            y_all,
            n_boot=n_boot,
            n_perm=n_perm,
            rng=rng,
            what=f"correlating the change in mean score ({cohort.wave_label(b)} to "
            f"{cohort.wave_label(f)}) with {cname} (strategy {strategy!r})",
        )
        rows.append({"score": "change", "covariate": cname, **row})
    out = _adjust(pd.DataFrame(rows), p_adjust)
    out["strategy"] = pd.array([strategy] * len(out), dtype="string")
    out["baseline"] = pd.array([cohort.wave_label(b)] * len(out), dtype="string")
    out["follow_up"] = pd.array([cohort.wave_label(f)] * len(out), dtype="string")
    for col in ("score", "covariate", "method", "ci_method", "p_method"):
        out[col] = out[col].astype("string")
    return out

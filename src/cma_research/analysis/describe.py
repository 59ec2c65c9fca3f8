"""Descriptive statistics: level distributions per stage and maturity scores per business."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from cma_research.analysis.prepare import check_choice, prepared
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.missing.strategies import Strategy
from cma_research.stats.clustered import DEFAULT_CLUSTER_BOOT, cluster_share

__all__ = ["SCORES", "business_scores", "check_comparable", "level_distribution", "proportion_ci"]

#: Business-level scores computed by :func:`business_scores` and accepted as ``score=``.
SCORES: tuple[str, ...] = ("mean", "median", "min", "max", "sum", "processes_in_place")

CIMethod = Literal["clopper-pearson", "wilson"]
#: Scores that add levels up: comparable between businesses only without blanks.
SUM_SCORES: tuple[str, ...] = ("sum", "processes_in_place")


def check_comparable(cohort: Cohort, scores: list[str], what: str) -> None:
    """Refuse a summed score when blanks remain (a sum over 2 stages is not one over 10)."""
    summed = [s for s in scores if s in SUM_SCORES]
    blanks = int(cohort.scores.isna().to_numpy().sum())
    if summed and blanks:
        raise ParameterError(
            f"{what}: score {summed[0]!r} adds up the assessed stages, so with {blanks} blank "
            "cells it partly counts how many stages were assessed; use 'mean' or 'median', "
            "or a strategy that leaves no blanks ('complete_case' or an imputing one)"
        )


def proportion_ci(
    successes: int, n: int, method: CIMethod = "clopper-pearson"
) -> tuple[float, float]:
    """95% confidence interval for a proportion (exact Clopper-Pearson or Wilson).

    Uses :meth:`scipy.stats.binomtest(...).proportion_ci
    <scipy.stats._result_classes.BinomTestResult.proportion_ci>`; R: ``binom.test(x, n)``
    and ``prop.test(x, n, correct = FALSE)``.

    >>> lo, hi = proportion_ci(3, 14)
    >>> round(lo, 4), round(hi, 4)
    (0.0466, 0.508)
    """
    check_choice("method", method, ("clopper-pearson", "wilson"))
    if n == 0:
        return (np.nan, np.nan)
    ci = stats.binomtest(successes, n).proportion_ci(
        confidence_level=0.95, method="exact" if method == "clopper-pearson" else "wilson"
    )
    return (float(ci.low), float(ci.high))


def level_distribution(
    cohort: Cohort,
    *,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
    ci_method: CIMethod = "clopper-pearson",
    n_boot: int = DEFAULT_CLUSTER_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """Count and share of each level per stage, among the businesses assessed on it.

    Parameters
    ----------
    cohort : Cohort
        One wave (see :meth:`Cohort.select_wave`).
    strategy : str
        Missing-stage strategy (default ``available_case``: each stage over the
        businesses assessed on it).
    min_stages : int, optional
        For ``strategy="min_stages"``.
    ci_method : {"clopper-pearson", "wilson"}
        Interval for the share below level 1 of each stage (one assessment per
        business, so a binomial interval is right there).
    n_boot : int
        Business resamples for the interval of the pooled row (0: none).
    seed : int
        Seeds those resamples.

    Returns
    -------
    DataFrame
        One row per stage in instrument order, then a row ``stage == "all"`` pooling
        every assessed cell. Columns: ``stage``, ``name``, ``n_assessed``,
        ``n_not_assessed``, ``n_level_<v>`` and ``share_level_<v>`` for each level ``v``,
        ``share_below_1`` (share at the instrument's lowest level, 0 = below level 1),
        ``ci95_low``, ``ci95_high`` (its 95% interval), ``ci_method``, ``median_level``,
        ``n_assessed_businesses`` (businesses behind the row), ``design_effect`` (pooled row
        only: the cluster-robust variance of the share over the binomial one).
        ``attrs["level_labels"]`` maps each level value to the instrument's label for it
        (``{0: "Below level 1", ...}``), so a figure of the table names the levels in the
        instrument's words.

        The pooled row's assessments come from ``n_assessed_businesses`` businesses, several
        each, and the stages of one business are correlated: its interval is the
        **cluster bootstrap** over businesses (BCa; ``ci_method ==
        "cluster-bootstrap-bca"``, :func:`~cma_research.stats.clustered.cluster_share`),
        not a binomial interval over the assessments, which would treat them as
        independent.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> dist = level_distribution(load_returns(bundled_path("customer_wise_2007.csv")))
    >>> print(dist[["stage", "n_assessed", "n_level_0", "share_below_1"]].iloc[[0, -1]])
          stage  n_assessed  n_level_0  share_below_1
    0   stage_1          14          1       0.071429
    10      all         137         21       0.153285
    """
    check_choice("ci_method", ci_method, ("clopper-pearson", "wilson"))
    c = prepared(cohort, strategy, min_stages=min_stages, what="level_distribution")
    levels = c.instrument.level_values
    lowest = levels[0]
    rows = []
    columns = [(s.id, s.name, c.scores[s.id].dropna()) for s in c.instrument.stages]
    pooled = pd.concat([col for _, _, col in columns], ignore_index=True)
    values = c.scores.to_numpy(dtype=float, na_value=np.nan)
    per_business_n = (~np.isnan(values)).sum(axis=1)
    per_business_k = (values == lowest).sum(axis=1)
    clustered = cluster_share(
        per_business_k, per_business_n, n_boot=n_boot, rng=np.random.default_rng(seed)
    )
    every = f"All {c.instrument.stage_plural}"  # "All stages", "All dimensions"
    for sid, name, observed in [*columns, ("all", every, pooled)]:
        n = len(observed)
        counts = observed.value_counts()
        row: dict[str, object] = {
            "stage": sid,
            "name": name,
            "n_assessed": n,
            "n_not_assessed": len(c.scores) * (1 if sid != "all" else len(columns)) - n,
        }
        for v in levels:
            row[f"n_level_{v}"] = int(counts.get(v, 0))
        for v in levels:
            row[f"share_level_{v}"] = counts.get(v, 0) / n if n else np.nan
        below = int(counts.get(lowest, 0))
        if sid == "all":
            low, high = clustered["ci95_low"], clustered["ci95_high"]
            method, deff = "cluster-bootstrap-bca", clustered["design_effect"]
            n_businesses = int((per_business_n > 0).sum())
        else:
            low, high = proportion_ci(below, n, ci_method)
            method, deff, n_businesses = ci_method, np.nan, n
        row.update(
            share_below_1=below / n if n else np.nan,
            ci95_low=low,
            ci95_high=high,
            ci_method=method,
            median_level=float(observed.median()) if n else np.nan,
            n_assessed_businesses=n_businesses,
            design_effect=deff,
        )
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in ("stage", "name", "ci_method"):
        out[col] = out[col].astype("string")
    out.attrs = {"level_labels": c.instrument.level_labels}
    return out


def business_scores(
    cohort: Cohort,
    *,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
    target_level: int | None = None,
    covariates: bool = False,
) -> pd.DataFrame:
    """Maturity scores per business over the stages it was assessed on.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    strategy : str
        Missing-stage strategy (default ``available_case``: every summary uses the
        business's assessed stages; ``n_assessed`` says how many).
    min_stages : int, optional
        For ``strategy="min_stages"``.
    target_level : int, optional
        Level to measure the gap to; default the instrument's ``target_level`` (4 for
        both bundled instruments, the seeds' recommended ambition).
    covariates : bool
        Also return the columns merged in by :func:`cma_research.load_covariates`
        (e.g. growth), after ``strategy``.

    Returns
    -------
    DataFrame
        One row per business: ``business_id``, ``wave``, ``staff``, ``business_type``,
        ``n_assessed``, ``mean`` (the *mean level*: a descriptive index, the average of
        ordinal level codes over the stages the business was assessed on, so two
        businesses' means can rest on different stages; not a measurement on an
        interval scale), ``median``, ``min`` (the CMM-style staged level: the
        weakest stage; it assumes a cumulative, Guttman-like order of the stages, which
        :func:`~cma_research.analysis.scaling.mokken_scale` checks), ``max``, ``sum``,
        ``processes_in_place`` (Table 2's processes in place: reaching level k on a stage
        means its k processes; equals ``sum``),
        ``processes_possible`` (levels x stages of the instrument, 50 for the CMA),
        ``weakest_stage`` and ``strongest_stage`` (first in journey order on ties),
        ``target_level``, ``gap_to_target`` (target minus mean; positive = below),
        ``n_below_target`` (assessed stages below the target), ``staged_level``
        (``min`` as text: ``"2"``, or ``"≤ 2"`` when stages are blank and the weakest
        assessed stage is above the lowest level, since an unassessed stage could be
        weaker: then ``min`` is only an upper bound), ``staged_level_is_bound`` (True
        when it is), ``strategy``.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> scores = business_scores(load_returns(bundled_path("customer_wise_2007.csv")))
    >>> print(scores[["business_type", "n_assessed", "mean", "min", "weakest_stage"]].iloc[[0, 15]])
                business_type  n_assessed  mean  min weakest_stage
    0   Consultants Accountants           2   1.0    1       stage_5
    15                 Florists          10   4.0    2       stage_2
    """
    c = prepared(cohort, strategy, min_stages=min_stages, what="business_scores")
    inst = c.instrument
    target = inst.target_level if target_level is None else target_level
    if target is None:
        target = inst.max_level
    check_choice("target_level", target, inst.level_values)
    values = c.scores.to_numpy(dtype=float, na_value=np.nan)
    assessed = ~np.isnan(values)
    n_assessed = assessed.sum(axis=1)
    any_assessed = n_assessed > 0
    safe = np.where(assessed, values, 0.0)
    total = safe.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(any_assessed, total / np.maximum(n_assessed, 1), np.nan)
    filled_low = np.where(assessed, values, np.inf)
    filled_high = np.where(assessed, values, -np.inf)
    stage_ids = np.array(inst.stage_ids, dtype=object)
    weakest = [
        str(stage_ids[i]) if ok else None
        for i, ok in zip(np.argmin(filled_low, axis=1), any_assessed, strict=True)
    ]
    strongest = [
        str(stage_ids[i]) if ok else None
        for i, ok in zip(np.argmax(filled_high, axis=1), any_assessed, strict=True)
    ]
    out = c.scores.index.to_frame(index=False)
    out["staff"] = c.attributes["staff"].to_numpy()
    out["business_type"] = c.attributes["business_type"].to_numpy()
    out["n_assessed"] = n_assessed.astype("int64")
    out["mean"] = mean
    out["median"] = c.scores.astype("Float64").median(axis=1).to_numpy(dtype=float, na_value=np.nan)
    out["min"] = pd.array(
        [
            int(v) if ok else None
            for v, ok in zip(filled_low.min(axis=1), any_assessed, strict=True)
        ],
        dtype="Int64",
    )
    out["max"] = pd.array(
        [
            int(v) if ok else None
            for v, ok in zip(filled_high.max(axis=1), any_assessed, strict=True)
        ],
        dtype="Int64",
    )
    out["sum"] = pd.array(np.where(any_assessed, total, np.nan), dtype="Float64").astype("Int64")
    out["processes_in_place"] = out["sum"]
    out["processes_possible"] = inst.max_level * len(inst.stages)
    out["weakest_stage"] = pd.array(weakest, dtype="string")
    out["strongest_stage"] = pd.array(strongest, dtype="string")
    out["target_level"] = target
    out["gap_to_target"] = target - mean
    out["n_below_target"] = (assessed & (safe < target)).sum(axis=1).astype("int64")
    lowest = float(inst.level_values[0])
    # a blank stage could be weaker, unless the weakest assessed is the lowest level
    bound = any_assessed & (n_assessed < len(inst.stages)) & (filled_low.min(axis=1) > lowest)
    out["staged_level"] = pd.array(
        [
            None if not ok else (f"\u2264 {int(v)}" if b else str(int(v)))
            for v, ok, b in zip(filled_low.min(axis=1), any_assessed, bound, strict=True)
        ],
        dtype="string",
    )
    out["staged_level_is_bound"] = bound
    out["strategy"] = pd.array([strategy] * len(out), dtype="string")
    if covariates:
        for col in (name for src in c.covariate_sources for name in src.columns):
            out[col] = c.attributes[col].to_numpy()
    return out

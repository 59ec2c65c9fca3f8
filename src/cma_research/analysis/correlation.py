"""Correlations of business maturity: with size and growth, and between stages.

One home for correlation at the cohort level (a cohort in, a tidy table out; the
array-level tests are :mod:`cma_research.stats.correlation`):

* :func:`correlate`: a business score (or each stage) with size or growth, BCa
  interval, permutation p, adjusted across the rows; pooled with Rubin's rules on
  Fisher's z under ``strategy="multiple"``;
* :func:`stage_correlations`: every pair of stages (Spearman, Kendall, Pearson or
  polychoric), pairwise over the businesses assessed on both;
* the family a multiple-testing correction counts: :func:`adjust` and
  :func:`rank_equivalent` (covariates that are one rank test).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from cma_research.analysis.change import change_scores, resolve_waves
from cma_research.analysis.describe import SCORES, business_scores, check_comparable
from cma_research.analysis.prepare import (
    covariate_values,
    imputed,
    prepared,
    require_values,
    strategy_layout,
)
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.memo import memoize
from cma_research.core.params import Strategy, check_choice
from cma_research.missing.pooling import pool_rubin
from cma_research.stats.correlation import (
    CI_METHODS,
    DEFAULT_CI,
    MIN_N,
    correlation_test,
    estimate,
    fisher_ci,
)
from cma_research.stats.multitest import P_ADJUST, PAdjust, adjust_p
from cma_research.stats.polychoric import polychoric_matrix
from cma_research.stats.resampling import DEFAULT_N_BOOT

__all__ = [
    "METHODS",
    "P_ADJUST",
    "STAGE_METHODS",
    "adjust",
    "correlate",
    "leave_one_out",
    "pool_correlations",
    "rank_equivalent",
    "stage_correlations",
]

Method = Literal["spearman", "kendall", "pearson"]
#: Correlation methods accepted by :func:`correlate` and :func:`stage_correlations`.
METHODS: tuple[str, ...] = ("spearman", "kendall", "pearson")
StageMethod = Literal["spearman", "kendall", "pearson", "polychoric"]
#: Methods of :func:`stage_correlations`: those of :func:`correlate` and ``polychoric``.
STAGE_METHODS: tuple[str, ...] = (*METHODS, "polychoric")
#: Multiple-testing adjustments (statsmodels names): Holm, Benjamini-Hochberg.


# -- the family of tests an adjustment counts ---------------------------------------------


def adjust(
    out: pd.DataFrame, p_adjust: str, duplicate_of: Sequence[tuple[int, str] | None] = ()
) -> pd.DataFrame:
    """Adjust the p-values of a table of tests over its rows (adds ``p_adj``, ``p_adj_method``).

    The family is ``p_perm`` when every row has one, else ``p_val``; ``p_adjust`` is
    ``"holm"`` or ``"fdr_bh"``. ``duplicate_of[i] = (j, name)`` marks row i as the same
    test as row j (a rank-equivalent covariate, :func:`rank_equivalent`): it is left out
    of the family and given row j's adjusted p. ``out`` is changed in place and returned.

    >>> t = pd.DataFrame({"p_val": [0.01, 0.04, 0.01], "p_perm": [np.nan] * 3})
    >>> res = adjust(t, "holm", [None, None, (0, "mean with staff")])
    >>> res["p_adj"].round(2).tolist(), res["p_adj_method"].iloc[0]
    ([0.02, 0.04, 0.02], 'holm on p_val over 2 distinct tests')
    """
    dup = list(duplicate_of) or [None] * len(out)
    source = "p_perm" if out["p_perm"].notna().all() else "p_val"
    family = [i for i, d in enumerate(dup) if d is None]
    p_adj = np.full(len(out), np.nan)
    p_adj[family] = adjust_p(out[source].to_numpy(dtype=float)[family], p_adjust)
    label = f"{p_adjust} on {source}"
    if len(family) < len(out):
        label += f" over {len(family)} distinct tests"
    methods = [label] * len(out)
    for i, d in enumerate(dup):
        if d is not None:
            p_adj[i] = p_adj[d[0]]
            methods[i] = f"{label}; the same test as {d[1]} (rank-equivalent), counted once"
    out["p_adj"] = p_adj
    out["p_adj_method"] = pd.array(methods, dtype="string")
    return out


def rank_equivalent(
    covariates: Mapping[str, np.ndarray], method: str
) -> dict[str, tuple[str, int]]:
    """Covariates that give exactly the same rank test as an earlier one.

    Spearman's rho and Kendall's tau depend on the data only through their ranks, so a
    strictly monotone transform of a covariate (``log_staff`` of ``staff``) gives the
    same r (negated for a decreasing transform), the same p and, on the same
    resamples, the same bootstrap interval: one test, which must enter a
    multiple-testing correction once. Two covariates are equivalent when they are
    missing for the same businesses and their average ranks are equal (or exactly
    reversed) over the rest. Pearson's r is not rank-based: nothing is equivalent.

    Returns
    -------
    dict
        ``{later name: (earlier name, sign)}``, ``sign`` +1 (increasing transform) or
        -1 (decreasing); covariates not listed are distinct tests.

    Examples
    --------
    >>> staff = np.array([2.0, 1.0, 15.0, 3.0, np.nan])
    >>> rank_equivalent({"staff": staff, "log_staff": np.log(staff), "minus": -staff},
    ...                 "spearman")
    {'log_staff': ('staff', 1), 'minus': ('staff', -1)}
    >>> rank_equivalent({"staff": staff, "log_staff": np.log(staff)}, "pearson")
    {}
    """
    if method not in ("spearman", "kendall"):
        return {}
    seen: list[tuple[str, np.ndarray, np.ndarray]] = []
    out: dict[str, tuple[str, int]] = {}
    for name, values in covariates.items():
        v = np.asarray(values, dtype=float)
        missing = np.isnan(v)
        ranks = stats.rankdata(v[~missing])
        for other, other_missing, other_ranks in seen:
            if not np.array_equal(missing, other_missing):
                continue
            if np.array_equal(ranks, other_ranks):
                out[name] = (other, 1)
                break
            if np.array_equal(ranks, len(ranks) + 1 - other_ranks):
                out[name] = (other, -1)
                break
        else:
            seen.append((name, missing, ranks))
    return out


# -- maturity with size and growth --------------------------------------------------------


def _pairwise_test(
    method: str,
    x_all: np.ndarray,
    y_all: np.ndarray,
    *,
    n_boot: int,
    n_perm: int,
    rng: np.random.Generator,
    what: str,
    ci: str = DEFAULT_CI,
) -> dict[str, Any]:
    """:func:`correlation_test` over the businesses with both values."""
    ok = ~np.isnan(x_all) & ~np.isnan(y_all)
    return correlation_test(
        method, x_all[ok], y_all[ok], n_boot=n_boot, n_perm=n_perm, rng=rng, what=what, ci=ci
    )


def _scores_for(score: str | Sequence[str], cohort: Cohort) -> list[str]:
    names = [score] if isinstance(score, str) else list(score)
    allowed = [*SCORES, *cohort.stage_ids, "stages"]
    out: list[str] = []
    for name in names:
        check_choice("score", name, allowed)
        out.extend(cohort.stage_ids if name == "stages" else [name])
    return out


@memoize  # the build shares a result between its kernels (CMA_RESULT_CACHE)
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
    m: int = 20,
    ci: str = DEFAULT_CI,
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
        ``multiple``: each of ``m`` imputed cohorts is correlated (no bootstrap or
        permutations) and the results pooled with Rubin's rules on Fisher's z (see
        Returns).
    min_stages : int, optional
        For ``strategy="min_stages"``.
    seed : int
        Seeds the bootstrap and the Monte Carlo permutations (same seed, same result),
        and the imputations of ``multiple``. Each (score, covariate) test starts its own
        generator from ``seed``, so a test's interval and ``p_perm`` depend only on its
        data, ``seed``, ``n_boot`` and ``n_perm``, never on the other tests of the call:
        the same correlation gets the same p whether it is tested alone (the findings,
        a claim) or beside other covariates (the size notebook).
    ci : {"fisher", "bca", "permutation"}
        The 95% interval (one per estimate, the same wherever it is shown): ``fisher``
        (default: Fisher's z with the Bonett-Wright standard error for Spearman, the
        interval that held 95% coverage on audit-like data at n = 8 to 40 in
        ``benchmarks/bench_coverage.py``, where BCa fell short at small n), ``bca`` (the
        BCa bootstrap, ``n_boot`` resamples) or ``permutation`` (the inverted
        permutation test, :func:`~cma_research.stats.correlation.permutation_ci`,
        which agrees with ``p_perm`` by construction). Unused for ``multiple``.
    n_boot : int
        Bootstrap resamples for ``ci="bca"`` (0 to skip). The default, 20,000,
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
    m : int
        Imputations for ``strategy="multiple"`` (unused otherwise).

    Returns
    -------
    DataFrame
        One row per (score, covariate): ``strategy``, ``score``, ``covariate``,
        ``method``, ``n``
        (businesses with both values), ``r``, ``ci95_low``, ``ci95_high`` (BCa
        bootstrap, seeded; NaN when degenerate), ``ci_low_mc_se``, ``ci_high_mc_se``
        (Monte-Carlo standard error of each bound: the bootstrap replicates resampled
        100 times, see :func:`~cma_research.stats.resampling.bca_interval_mc`),
        ``ci_method``, ``p_val`` (asymptotic,
        as scipy: t for Spearman and Pearson, normal with tie correction for Kendall),
        ``p_perm`` (exact enumeration of all orderings when n <= 8, otherwise Monte
        Carlo with (b + 1)/(m + 1); NaN above n = 500, 60 for Kendall), ``p_method``,
        ``p_adj`` (on ``p_perm`` when every row has it, else ``p_val``),
        ``p_adj_method``; for ``score="change"`` also ``baseline`` and ``follow_up``
        (wave labels); then ``m`` (imputations; 1 unless ``multiple``) and ``note``
        (empty). For ``multiple``: ``n`` is the imputed cohorts' (every business with an
        assessed stage), ``r`` is ``tanh`` of the mean Fisher z, the interval and
        ``p_val`` are t-based on the pooled z with Barnard-Rubin df (the within
        variance is each imputation's squared Fisher-z standard error of the method,
        :func:`~cma_research.stats.correlation.fisher_ci`; complete-data df ``n - 3``),
        ``p_perm`` and the Monte-Carlo errors are NaN, ``p_adj`` is on the pooled
        ``p_val``, and ``df``, ``riv``, ``lambda_share``, ``fmi``
        (:func:`cma_research.pool_rubin`) follow ``p_adj_method``.

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
    >>> pooled = correlate(cohort, "staff", "mean", strategy="multiple", m=5, seed=1)
    >>> pooled[["strategy", "n", "m", "ci_method"]].to_dict("records")
    [{'strategy': 'multiple', 'n': 16, 'm': 5, 'ci_method': "Rubin's rules on Fisher z"}]

    R: ``cor.test(mean_cc, staff, method = "spearman", exact = FALSE)``.
    """
    check_choice("method", method, METHODS)
    check_choice("p_adjust", p_adjust, P_ADJUST)
    check_choice("ci", ci, CI_METHODS)
    for name, value in (("n_boot", n_boot), ("n_perm", n_perm)):
        if not isinstance(value, int | np.integer) or value < 0:
            raise ParameterError(f"{name}={value!r} must be a whole number >= 0")
    if not isinstance(covariate, str):
        covariate = list(covariate)  # an iterator is read once, here
    require_values(cohort, [covariate] if isinstance(covariate, str) else covariate)
    names = [score] if isinstance(score, str) else list(score)
    if "change" in names:
        if len(names) > 1:
            raise ParameterError(
                f"score={score!r}: 'change' is correlated on its own (one call per score)"
            )
        out = _correlate_change(
            cohort, covariate, method, strategy, min_stages, seed, n_boot, n_perm, p_adjust,
            baseline, follow_up, ci,
        )  # fmt: skip
        return strategy_layout(out, strategy, 1)
    if strategy != "multiple":
        out, _ = _correlate_cohort(
            cohort, covariate, score, method, strategy, min_stages, seed, n_boot, n_perm,
            p_adjust, ci,
        )  # fmt: skip
        return strategy_layout(out, strategy, 1)
    frames = []
    duplicate_of: list[tuple[int, str] | None] = []
    for c in imputed(cohort, m=m, seed=seed):
        out, duplicate_of = _correlate_cohort(
            c, covariate, score, method, "available_case", None, seed, 0, 0, p_adjust
        )
        frames.append(out)
    return strategy_layout(pool_correlations(frames, p_adjust, duplicate_of), strategy, m)


def _correlate_cohort(
    cohort: Cohort,
    covariate: str | Sequence[str],
    score: str | Sequence[str],
    method: str,
    strategy: str,
    min_stages: int | None,
    seed: int,
    n_boot: int,
    n_perm: int,
    p_adjust: str,
    ci: str = DEFAULT_CI,
) -> tuple[pd.DataFrame, list[tuple[int, str] | None]]:
    """:func:`correlate` of one cohort under a single-result strategy, adjusted, and the
    rows that repeat a rank-equivalent row (``duplicate_of``, as :func:`adjust` takes)."""
    c = prepared(cohort, strategy, min_stages=min_stages, what="correlate")
    scores_wanted = _scores_for(score, c)
    check_comparable(c, scores_wanted, "correlate")
    covariates = [covariate] if isinstance(covariate, str) else list(covariate)
    cov_values = {name: covariate_values(c, name) for name in covariates}
    table = business_scores(c)  # c is already cleaned: score over what it holds
    table.index = c.scores.index
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
                rng=np.random.default_rng(seed),  # per test: see correlate's seed
                what=f"correlating {sname} with {cname} (strategy {strategy!r})",
                ci=ci,
            )
            rows.append({"score": sname, "covariate": cname, **row})
    out = pd.DataFrame(rows)
    out = adjust(out, p_adjust, duplicate_of)
    out["strategy"] = pd.array([strategy] * len(out), dtype="string")
    for col in ("score", "covariate", "method", "ci_method", "p_method"):
        out[col] = out[col].astype("string")
    return out, duplicate_of


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
    ci: str = DEFAULT_CI,
) -> pd.DataFrame:
    """``correlate(..., score="change")``: covariate at baseline vs change in mean score."""
    b, f = resolve_waves(cohort, baseline, follow_up)
    table = change_scores(cohort, b, f, strategy=strategy, min_stages=min_stages)
    base = cohort.select_wave(b)
    ids = [str(i) for i in base.attributes.index.get_level_values("business_id")]
    y_all = table["change"].to_numpy(dtype=float)
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
            rng=np.random.default_rng(seed),  # per test: see correlate's seed
            what=f"correlating the change in mean score ({cohort.wave_label(b)} to "
            f"{cohort.wave_label(f)}) with {cname} (strategy {strategy!r})",
            ci=ci,
        )
        rows.append({"score": "change", "covariate": cname, **row})
    out = adjust(pd.DataFrame(rows), p_adjust)
    out["strategy"] = pd.array([strategy] * len(out), dtype="string")
    out["baseline"] = pd.array([cohort.wave_label(b)] * len(out), dtype="string")
    out["follow_up"] = pd.array([cohort.wave_label(f)] * len(out), dtype="string")
    for col in ("score", "covariate", "method", "ci_method", "p_method"):
        out[col] = out[col].astype("string")
    return out


def pool_correlations(
    frames: list[pd.DataFrame], p_adjust: str, duplicate_of: Sequence[tuple[int, str] | None]
) -> pd.DataFrame:
    """The imputed cohorts' correlations pooled with Rubin's rules on Fisher's z.

    ``frames``: one :func:`correlate` table per imputed cohort (same rows, no
    bootstrap), as ``correlate(..., strategy="multiple")`` makes them; ``duplicate_of``
    as :func:`adjust` takes it (empty: every row its own test).
    """
    base = frames[0].copy()
    r_all = np.vstack([f["r"].to_numpy(dtype=float) for f in frames])  # (m, rows)
    ns = base["n"].to_numpy(dtype=int)
    methods = [str(v) for v in base["method"]]
    z = stats.norm.ppf(0.975)
    out = {
        k: np.full(len(base), np.nan)
        for k in ("r", "ci95_low", "ci95_high", "p_val", "df", "riv", "lambda_share", "fmi")
    }
    for i, (n, method) in enumerate(zip(ns, methods, strict=True)):
        rs = np.clip(r_all[:, i], -0.999999, 0.999999)
        # within variance of Fisher z: the method's SE (see fisher_ci), at each r_j
        variances = []
        for r in rs:
            low, high = fisher_ci(method, float(r), int(n))
            variances.append(((np.arctanh(high) - np.arctanh(low)) / (2 * z)) ** 2)
        pooled = pool_rubin(np.arctanh(rs), variances, max(int(n) - 3, 1))
        low, high = pooled.interval()
        out["r"][i] = np.tanh(pooled.estimate)
        out["ci95_low"][i], out["ci95_high"][i] = np.tanh(low), np.tanh(high)
        out["p_val"][i] = pooled.p_value()
        out["df"][i], out["fmi"][i] = pooled.df, pooled.fmi
        out["riv"][i], out["lambda_share"][i] = pooled.riv, pooled.lambda_share
    for key, values in out.items():
        base[key] = values
    # p_adj follows the pooled p-values; a rank-equivalent covariate's rows (counted
    # once by correlate) stay out of the family
    base["p_perm"] = np.nan
    base = adjust(base.assign(p_val=out["p_val"]), p_adjust, duplicate_of)
    base["ci_method"] = "Rubin's rules on Fisher z"
    base["p_perm"] = np.nan
    base["p_method"] = "Rubin's rules, t with Barnard-Rubin df"
    return base


def leave_one_out(
    cohort: Cohort,
    covariate: str = "staff",
    score: str = "mean",
    method: Method = "spearman",
    strategy: Strategy = "complete_case",
    *,
    min_stages: int | None = None,
) -> pd.DataFrame:
    """The correlation with each business left out in turn: how much one business moves it.

    A correlation of a dozen businesses can hang on one of them (the only medium-sized
    business, say). This recomputes ``r`` without each business that enters the
    correlation (same strategy, same score), sorted by how far it moves ``r``.

    Returns
    -------
    DataFrame
        One row per business used: ``business_id``, ``left_out_value`` (its covariate
        value), ``left_out_score``, ``r_without`` (NaN when the rest is constant),
        ``change`` (``r_without - r``), ``r_all``, ``n`` (businesses used with it),
        ``covariate``, ``score``, ``method``, ``strategy``; sorted by ``|change|``,
        largest first (ties by business id).

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> loo = leave_one_out(customer_wise_2007())
    >>> len(loo), int(loo.loc[0, "n"])
    (12, 12)
    """
    check_choice("method", method, METHODS)
    c = prepared(cohort, strategy, min_stages=min_stages, what="leave_one_out")
    check_comparable(c, [score], "leave_one_out")
    table = business_scores(c)
    y = (table[score] if score in SCORES else c.scores[score].reset_index(drop=True)).to_numpy(
        dtype=float, na_value=np.nan
    )
    x = covariate_values(c, covariate).to_numpy(dtype=float)
    ok = ~np.isnan(x) & ~np.isnan(y)
    ids = np.array([str(b) for b in c.scores.index.get_level_values("business_id")])[ok]
    x, y = x[ok], y[ok]
    if len(x) < MIN_N + 1:
        raise ParameterError(
            f"leave_one_out needs at least {MIN_N + 1} businesses with {score} and "
            f"{covariate}; {len(x)} have them under strategy {strategy!r}"
        )
    r_all, _ = estimate(method, x, y)
    rows = []
    for i in range(len(x)):
        keep = np.arange(len(x)) != i
        r_i, _ = estimate(method, x[keep], y[keep])
        rows.append(
            {
                "business_id": ids[i],
                "left_out_value": x[i],
                "left_out_score": y[i],
                "r_without": r_i,
                "change": r_i - r_all,
                "r_all": r_all,
            }
        )
    out = pd.DataFrame(rows)
    out["n"] = len(x)
    out["covariate"], out["score"], out["method"] = covariate, score, method
    out["strategy"] = strategy
    out = out.assign(_size=-out["change"].abs()).sort_values(["_size", "business_id"])
    out = out.drop(columns="_size").reset_index(drop=True)
    for col in ("business_id", "covariate", "score", "method", "strategy"):
        out[col] = out[col].astype("string")
    return out


# -- between stages ---------------------------------------------------------------------


def stage_correlations(
    cohort: Cohort,
    method: StageMethod = "spearman",
    *,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
    p_adjust: PAdjust = "holm",
) -> pd.DataFrame:
    """Correlation of every pair of stages, pairwise over businesses assessed on both.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    method : {"spearman", "kendall", "pearson", "polychoric"}
        ``polychoric``: the two-step polychoric correlation of the latent normal levels
        (:func:`cma_research.stats.polychoric.polychoric`; thresholds from each pair's
        businesses), with its standard error.
    strategy : str
        Default ``available_case`` (pairwise: each pair has its own ``n``).
    min_stages : int, optional
        For ``strategy="min_stages"``.
    p_adjust : {"holm", "fdr_bh"}
        Adjustment across all pairs.

    Returns
    -------
    DataFrame
        One row per pair ``x < y`` in instrument order: ``x``, ``y``, ``method``, ``n``
        (pairwise), ``r``, ``ci95_low``, ``ci95_high`` (Fisher z; see
        :func:`~cma_research.stats.correlation.fisher_ci` for each method's standard
        error), ``p_val`` (asymptotic,
        as scipy), ``p_adj``, ``p_adj_method``. ``r`` is NaN when a stage is constant
        over the pair's businesses or n < 3. For ``polychoric``: the interval is Wald on
        Fisher's z (``atanh(r) +/- 1.96 se / (1 - r^2)``), ``p_val`` the likelihood-ratio
        test of rho = 0 (thresholds fixed), and a column ``se`` follows ``r`` (NaN when
        rho reaches the search bound +/-0.9999).

    Raises
    ------
    ParameterError
        Unknown names; for ``polychoric``, a stage with one observed level (its
        thresholds, hence its correlations, are undefined).

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> sc = stage_correlations(load_returns(bundled_path("customer_wise_2007.csv")))
    >>> len(sc), sc.loc[0, "x"], sc.loc[0, "y"], int(sc.loc[0, "n"])
    (45, 'stage_1', 'stage_2', 13)

    R: ``psych::corr.test(m, method = "spearman", adjust = "holm")`` gives the same r,
    n and p (its intervals use 1/sqrt(n-3) for every method).
    """
    check_choice("method", method, STAGE_METHODS)
    check_choice("p_adjust", p_adjust, P_ADJUST)
    c = prepared(cohort, strategy, min_stages=min_stages, what="stage_correlations")
    values = c.scores.to_numpy(dtype=float, na_value=np.nan)
    ids = c.stage_ids
    if method == "polychoric":
        return _polychoric_pairs(values, list(ids), p_adjust)
    rows = []
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            ok = ~np.isnan(values[:, i]) & ~np.isnan(values[:, j])
            n = int(ok.sum())
            if n >= MIN_N:
                r, p = estimate(method, values[ok, i], values[ok, j])
            else:
                r, p = np.nan, np.nan
            low, high = fisher_ci(method, r, n)
            rows.append(
                {
                    "x": ids[i],
                    "y": ids[j],
                    "method": method,
                    "n": n,
                    "r": r,
                    "ci95_low": low,
                    "ci95_high": high,
                    "p_val": p,
                    "p_perm": np.nan,
                }
            )
    out = adjust(pd.DataFrame(rows), p_adjust).drop(columns="p_perm")
    for col in ("x", "y", "method"):
        out[col] = out[col].astype("string")
    return out


def _polychoric_pairs(values: np.ndarray, ids: list[str], p_adjust: str) -> pd.DataFrame:
    rho, se, n, p = polychoric_matrix(values, names=ids)
    q = 1.959963984540054  # stats.norm.ppf(0.975)
    rows = []
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            r, s, nij = float(rho[i, j]), float(se[i, j]), int(n[i, j])
            if nij < MIN_N:
                r = s = np.nan
            z, half = np.arctanh(r), q * s / (1 - r * r)
            low, high = (
                (float(np.tanh(z - half)), float(np.tanh(z + half)))
                if np.isfinite(half)
                else (np.nan, np.nan)
            )
            rows.append(
                {
                    "x": ids[i],
                    "y": ids[j],
                    "method": "polychoric",
                    "n": nij,
                    "r": r,
                    "se": s,
                    "ci95_low": low,
                    "ci95_high": high,
                    "p_val": float(p[i, j]) if np.isfinite(r) else np.nan,
                    "p_perm": np.nan,
                }
            )
    out = pd.DataFrame(rows)
    ok = out["p_val"].notna().to_numpy()
    out["p_adj"] = np.nan
    out.loc[ok, "p_adj"] = adjust_p(out.loc[ok, "p_val"].to_numpy(dtype=float), p_adjust)
    out["p_adj_method"] = pd.array([f"{p_adjust} on p_val"] * len(out), dtype="string")
    out = out.drop(columns="p_perm")
    for col in ("x", "y", "method"):
        out[col] = out[col].astype("string")
    return out

"""Reliability of the stages: Cronbach's alpha, item statistics, ordinal alpha, omega.

One home for internal consistency, from a cohort to tidy tables:

* :func:`cronbach_alpha` with its Feldt (1965) interval (pooled over multiple
  imputations with Rubin's rules for ``strategy="multiple"``) and :func:`item_statistics`;
* :func:`ordinal_alpha`, alpha of the polychoric correlations (Zumbo et al. 2007);
* :func:`omega`, McDonald's omega total of a one-factor model and, with ``nfactors >= 2``,
  total and hierarchical omega of psych's Schmid-Leiman bifactor solution (the factor
  models themselves are array-level, in :mod:`cma_research.stats.factor`);
* :func:`reliability_summary`, the statistics reviewers ask for side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from cma_research.analysis.prepare import ci_columns, imputed, prepared, strategy_layout
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.params import STRATEGIES, Strategy, check_choice
from cma_research.missing.pooling import pool_rubin
from cma_research.stats.factor import (
    FACTOR_METHODS,
    SchmidLeiman,
    omega_from_correlation,
    schmid_leiman,
)
from cma_research.stats.polychoric import polychoric_matrix, smooth_correlation

__all__ = [
    "MIN_N_DIMENSIONALITY",
    "cronbach_alpha",
    "item_statistics",
    "omega",
    "ordinal_alpha",
    "reliability_summary",
]

FactorMethod = Literal["minres", "ml"]

#: Fewest businesses for which the statistics that rest on a factor model of the
#: stages' polychoric or Pearson correlations, ordinal alpha and hierarchical omega,
#: are reported as estimates. Polychoric correlations of ordinal items and factor
#: solutions built on them are unstable below about 100 cases (Flora & Curran 2004,
#: *Psychological Methods* 9, 466-491; MacCallum, Widaman, Zhang & Hong 1999,
#: *Psychological Methods* 4, 84-99: with few items per factor and low communalities
#: even 100 is too few), and a Schmid-Leiman solution of three group factors on a
#: dozen businesses is an ultra-Heywood case on the bundled data. Below this number
#: :func:`reliability_summary` reports them as not estimable (NaN, with the reason);
#: the functions themselves still compute them on request.
MIN_N_DIMENSIONALITY = 100


def _complete(
    cohort: Cohort, strategy: str, min_stages: int | None, what: str
) -> tuple[np.ndarray, list[str]]:
    """The complete scores (businesses x stages) and the stage ids; at least 3 businesses."""
    c = prepared(cohort, strategy, min_stages=min_stages, allow_blanks=False, what=what)
    x = c.scores.to_numpy(dtype=float)
    if x.shape[0] < 3:
        raise ParameterError(f"{what} needs at least 3 complete businesses; {x.shape[0]} remain")
    return x, list(c.stage_ids)


def _refuse_constant(x: np.ndarray, stage_ids: list[str], what: str) -> None:
    constant = [sid for sid, col in zip(stage_ids, x.T, strict=True) if np.ptp(col) == 0]
    if constant:
        raise ParameterError(
            f"{what} is undefined: stage(s) {', '.join(constant)} have one observed level over "
            f"the {x.shape[0]} businesses used, so their correlations are undefined"
        )


# -- Cronbach's alpha and item statistics --------------------------------------------------


def _alpha(x: np.ndarray) -> float:
    """Raw alpha; NaN when undefined (fewer than 2 items, or a constant total score)."""
    k = x.shape[1]
    if k < 2:
        return np.nan
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_var / total_var)) if total_var > 0 else np.nan


def _at_least_two_stages(cohort: Cohort, what: str) -> None:
    k = len(cohort.stage_ids)
    if k < 2:
        noun = cohort.instrument.stage_noun
        raise ParameterError(
            f"{what} needs at least 2 {noun}s (alpha compares {noun}s with each other); "
            f"the cohort has {k}: {', '.join(cohort.stage_ids)}"
        )


def cronbach_alpha(
    cohort: Cohort,
    *,
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
    confidence: float = 0.95,
    ordinal: bool = False,
    m: int = 20,
    seed: int = 0,
) -> pd.DataFrame:
    """Cronbach's alpha of the stages, with the Feldt (1965) confidence interval.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    strategy : str
        Alpha needs complete data: ``complete_case`` (default) or an imputing strategy.
        ``multiple``: alpha of each of ``m`` imputed cohorts, pooled with Rubin's rules
        (see Returns).
    min_stages : int, optional
        Refused unless ``min_stages`` equals the number of stages (then it is
        ``complete_case``).
    confidence : float
        Interval level (default 0.95).
    ordinal : bool
        ``True``: ordinal alpha (Zumbo et al. 2007), alpha of the polychoric matrix;
        see :func:`ordinal_alpha` for its columns.
    m, seed : int
        Imputations and their seed for ``strategy="multiple"`` (unused otherwise).

    Returns
    -------
    DataFrame
        One row: ``strategy``, ``n`` (businesses), ``k`` (stages), ``alpha``,
        ``ci95_low``, ``ci95_high`` (Feldt: ``1 - (1 - alpha) F``, F quantiles with
        ``n - 1`` and ``(n - 1)(k - 1)`` df; named for the level, e.g. ``ci80_low`` and
        ``ci80_high`` for ``confidence=0.8``, ``ci99_9_*`` for 0.999), ``std_alpha``
        (from the mean inter-stage correlation), ``average_r``, ``m`` (imputations; 1
        unless ``multiple``), ``note`` (empty, or why a value is NaN). For ``multiple``
        also ``df``, ``riv``, ``lambda_share``, ``fmi`` (:func:`cma_research.pool_rubin`)
        and ``ci_method``, after ``average_r``: alpha and its interval are pooled on
        ``ln(1 - alpha)``, whose variance is ``2k / ((k - 1)(n - 2))`` (Bonett 2002),
        with ``n - 1`` complete-data df; ``std_alpha`` and ``average_r`` are the means
        over the imputations; ``note`` is the first imputation's.

    Notes
    -----
    Undefined values are handled one way throughout: a statistic that cannot exist
    for the input is refused, one that the data make undefined is NaN with its reason
    in ``note``.

    * Fewer than 2 stages: :class:`ParameterError` (alpha compares stages; pingouin
      refuses k < 2 too).
    * Total score constant over businesses: ``alpha`` (and its interval) NaN.
    * A constant stage: its correlations do not exist, so ``average_r`` and
      ``std_alpha`` are NaN (``alpha`` itself stays defined).
    * ``average_r = -1/(k - 1)`` (the lowest value k items can have): ``std_alpha``
      = k r / (1 + (k - 1) r) divides by zero and is NaN.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> cohort = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> res = cronbach_alpha(cohort)
    >>> res[["strategy", "n", "k", "m"]].to_dict("records")
    [{'strategy': 'complete_case', 'n': 12, 'k': 10, 'm': 1}]
    >>> pooled = cronbach_alpha(cohort, strategy="multiple", m=5, seed=1)
    >>> pooled[["strategy", "n", "m"]].to_dict("records")
    [{'strategy': 'multiple', 'n': 16, 'm': 5}]

    R: ``psych::alpha(m)`` (``raw_alpha``, ``std.alpha``, ``average_r``) and
    ``psych::alpha.ci(alpha, n.obs, n.var)``.
    """
    ci_columns(confidence)  # refuses a level outside (0, 1)
    if ordinal:
        return ordinal_alpha(
            cohort, strategy=strategy, min_stages=min_stages, confidence=confidence
        )
    _at_least_two_stages(cohort, "cronbach_alpha")
    check_choice("strategy", strategy, STRATEGIES)
    if strategy != "multiple":
        out = _alpha_table(cohort, strategy, min_stages, confidence)
        return strategy_layout(out, strategy, 1)
    frames = [
        _alpha_table(c, "available_case", None, confidence) for c in imputed(cohort, m=m, seed=seed)
    ]
    return strategy_layout(_pool_alpha(frames, confidence), strategy, m)


def _alpha_table(
    cohort: Cohort, strategy: str, min_stages: int | None, confidence: float
) -> pd.DataFrame:
    """:func:`cronbach_alpha` of one cohort under one single-result strategy."""
    x, stage_ids = _complete(cohort, strategy, min_stages, "cronbach_alpha")
    n, k = x.shape
    alpha = _alpha(x)
    tail = (1 - confidence) / 2
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * stats.f.ppf(1 - tail, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(tail, df1, df2)
    notes = []
    if np.isnan(alpha):
        notes.append("alpha undefined: the total score is the same for every business")
    constant = [sid for sid, sd in zip(stage_ids, x.std(axis=0), strict=True) if sd == 0]
    if constant:
        average_r = np.nan
        notes.append(
            "average_r and std_alpha undefined: constant (no correlation defined): "
            + ", ".join(constant)
        )
    else:
        corr = np.corrcoef(x, rowvar=False)
        average_r = float(corr[np.triu_indices(k, 1)].mean())
    den = 1 + (k - 1) * average_r
    if not np.isnan(average_r) and abs(den) < 1e-12:
        std_alpha = np.nan
        notes.append("std_alpha undefined: average_r = -1/(k - 1), the lowest possible value")
    else:
        std_alpha = k * average_r / den
    low_name, high_name = ci_columns(confidence)
    return pd.DataFrame(
        {
            "n": [n],
            "k": [k],
            "alpha": [alpha],
            low_name: [float(low)],
            high_name: [float(high)],
            "std_alpha": [float(std_alpha)],
            "average_r": [average_r],
            "strategy": pd.array([strategy], dtype="string"),
            "note": pd.array(["; ".join(notes)], dtype="string"),
        }
    )


def _pool_alpha(frames: list[pd.DataFrame], confidence: float) -> pd.DataFrame:
    """Alpha of the imputed cohorts pooled with Rubin's rules on ln(1 - alpha)."""
    base = frames[0].copy()
    n, k = int(base["n"].iloc[0]), int(base["k"].iloc[0])
    alphas = np.array([float(f["alpha"].iloc[0]) for f in frames])
    # Bonett (2002): ln(1 - alpha) is near normal with variance 2k / ((k - 1)(n - 2)).
    var = 2 * k / ((k - 1) * (n - 2))
    pooled = pool_rubin(np.log1p(-alphas), [var] * len(alphas), max(n - 1, 1))
    low_name, high_name = ci_columns(confidence)
    low, high = pooled.interval(confidence)
    base["alpha"] = 1 - np.exp(pooled.estimate)
    base[low_name] = 1 - np.exp(high)
    base[high_name] = 1 - np.exp(low)
    base["std_alpha"] = float(np.mean([f["std_alpha"].iloc[0] for f in frames]))
    base["average_r"] = float(np.mean([f["average_r"].iloc[0] for f in frames]))
    base["df"] = pooled.df
    base["riv"], base["lambda_share"], base["fmi"] = pooled.riv, pooled.lambda_share, pooled.fmi
    base["ci_method"] = "Rubin's rules on ln(1 - alpha) (Bonett 2002)"
    return base


def item_statistics(
    cohort: Cohort,
    *,
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
) -> pd.DataFrame:
    """Per stage: mean, spread, corrected item-total correlation and alpha if deleted.

    Returns
    -------
    DataFrame
        One row per stage in instrument order: ``stage``, ``n``, ``mean``, ``sd``,
        ``r_drop`` (correlation of the stage with the sum of the other stages; NaN
        when either is constant), ``alpha_if_deleted`` (NaN when only one stage
        would remain, k = 2, or the other stages' total is constant), ``note`` (empty,
        or why a value is NaN), ``strategy``. Fewer than 2 stages: ParameterError, as
        for :func:`cronbach_alpha`.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> items = item_statistics(load_returns(bundled_path("customer_wise_2007.csv")))
    >>> items["stage"].tolist()[:3], int(items.loc[0, "n"])
    (['stage_1', 'stage_2', 'stage_3'], 12)

    R: ``psych::alpha(m)$item.stats$r.drop`` and ``$alpha.drop$raw_alpha``.
    """
    _at_least_two_stages(cohort, "item_statistics")
    x, _ = _complete(cohort, strategy, min_stages, "item_statistics")
    n = x.shape[0]
    total = x.sum(axis=1)
    rows = []
    for j, sid in enumerate(cohort.stage_ids):
        rest = total - x[:, j]
        notes = []
        if np.ptp(x[:, j]) == 0 or np.ptp(rest) == 0:
            r_drop = np.nan
            which = "this stage" if np.ptp(x[:, j]) == 0 else "the sum of the other stages"
            notes.append(f"r_drop undefined: {which} is constant")
        else:
            r_drop = float(np.corrcoef(x[:, j], rest)[0, 1])
        deleted = _alpha(np.delete(x, j, axis=1))
        if x.shape[1] == 2:
            notes.append("alpha_if_deleted undefined: one stage would remain")
        elif np.isnan(deleted):
            notes.append("alpha_if_deleted undefined: the other stages' total is constant")
        rows.append(
            {
                "stage": sid,
                "n": n,
                "mean": float(x[:, j].mean()),
                "sd": float(x[:, j].std(ddof=1)),
                "r_drop": r_drop,
                "alpha_if_deleted": deleted,
                "note": "; ".join(notes),
            }
        )
    out = pd.DataFrame(rows)
    out["stage"] = out["stage"].astype("string")
    out["note"] = out["note"].astype("string")
    out["strategy"] = pd.array([strategy] * len(out), dtype="string")
    return out


# -- ordinal alpha and omega ---------------------------------------------------------------


def ordinal_alpha(
    cohort: Cohort,
    *,
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Ordinal alpha (Zumbo, Gadermann & Zeisser 2007): alpha of the polychoric matrix.

    ``k / (k - 1) * (1 - k / sum(R))`` with ``R`` the two-step polychoric correlations
    of the stages (:func:`cma_research.stats.polychoric.polychoric_matrix`), smoothed
    as ``psych::cor.smooth`` when it is not positive definite (as ``psych::polychoric``
    does by default). Also reached as ``cronbach_alpha(cohort, ordinal=True)``.

    Returns
    -------
    DataFrame
        One row: ``n``, ``k``, ``alpha`` (ordinal alpha), ``ciNN_low``, ``ciNN_high``
        (NaN: Feldt's interval assumes continuous, normally distributed items and is not
        defined for ordinal alpha), ``std_alpha`` (equal to ``alpha`` for a correlation
        matrix), ``average_r`` (mean polychoric correlation, after smoothing),
        ``correlation`` (``"polychoric"`` or ``"polychoric (smoothed)"``), ``strategy``,
        ``note`` (why the interval is NaN).

    Raises
    ------
    ParameterError
        Fewer than 3 complete businesses, or a stage with one observed level (its
        polychoric correlations are undefined).

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> res = ordinal_alpha(load_returns(bundled_path("customer_wise_2007.csv")))
    >>> res[["n", "k", "alpha"]].round(4).to_dict("records")
    [{'n': 12, 'k': 10, 'alpha': 0.8522}]

    R: ``psych::alpha(psych::polychoric(x, correct = 0)$rho)$total$raw_alpha``.
    """
    low_name, high_name = ci_columns(confidence)
    c = prepared(cohort, strategy, min_stages=min_stages, allow_blanks=False, what="ordinal alpha")
    x = c.scores.to_numpy(dtype=float)
    if x.shape[0] < 3:
        raise ParameterError(
            f"ordinal alpha needs at least 3 complete businesses; {x.shape[0]} remain"
        )
    rho, _, _, _ = polychoric_matrix(x, names=list(c.stage_ids))
    rho, smoothed = smooth_correlation(rho)
    n, k = x.shape
    alpha = float(k / (k - 1) * (1 - k / rho.sum()))
    average_r = float(rho[np.triu_indices(k, 1)].mean())
    return pd.DataFrame(
        {
            "n": [n],
            "k": [k],
            "alpha": [alpha],
            low_name: [np.nan],
            high_name: [np.nan],
            "std_alpha": [alpha],
            "average_r": [average_r],
            "correlation": pd.array(
                ["polychoric (smoothed)" if smoothed else "polychoric"], dtype="string"
            ),
            "strategy": pd.array([strategy], dtype="string"),
            "note": pd.array(["no interval: Feldt's assumes continuous items"], dtype="string"),
        }
    )


def omega(
    cohort: Cohort,
    *,
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
    fm: FactorMethod = "minres",
    nfactors: int = 1,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """McDonald's omega of the stages (total, and hierarchical), with a bootstrap interval.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    strategy : str
        Omega needs complete data: ``complete_case`` (default) or an imputing strategy.
    min_stages : int, optional
        For ``strategy="min_stages"`` (refused unless it leaves no blanks).
    fm : {"minres", "ml"}
        Factoring method of the one-factor fit of the Pearson correlations: minimum
        residual (psych's default) or maximum likelihood. ``nfactors >= 2`` needs
        ``"minres"``.
    nfactors : int
        Number of group factors. 1 (the default): total omega of a one-factor model;
        hierarchical omega is then not meaningful (NaN). ``>= 2``: psych's
        ``omega(x, nfactors, fm = "minres", rotate = "oblimin")``, i.e. a Schmid-Leiman
        solution giving hierarchical omega; psych's default is 3 (see Notes). More
        factors than the stages identify (negative degrees of freedom) are refused.
    n_boot : int
        Bootstrap resamples of businesses for the percentile interval (0 to skip).
        Resamples in which a stage is constant are unusable and skipped (counted).
    seed : int
        Seeds the bootstrap.
    confidence : float
        Interval level (default 0.95); names the interval columns.

    Returns
    -------
    DataFrame
        One row: ``n`` (businesses), ``k`` (stages), ``nfactors``, ``fm``,
        ``omega_total`` (``(sum(R) - sum(u2)) / sum(R)``, psych's ``omega.tot``, with
        ``u2 = 1 - h2`` the uniquenesses of the ``nfactors``-factor model; one factor:
        ``1 - sum(1 - l^2) / sum(R)``, a stage with a negative loading reflected as psych
        does), ``omega_model`` (the model-implied variance in the denominator:
        ``c / (c + sum(u2))``, ``c = sum(L L')``; one factor ``sum(|l|)^2 / (sum(|l|)^2 +
        sum(1 - l^2))``), ``ciNN_low``, ``ciNN_high`` (percentile bootstrap of
        ``omega_total``, one factor: with the full sample's reflections held in every
        resample; NaN without resamples), ``ci_method``,
        ``n_boot_used``, ``omega_hierarchical`` (``sum(g)^2 / sum(R)``, psych's
        ``omega_h``; NaN with one factor), ``omega_hierarchical_method`` (how it was
        estimated, or why it is NaN), ``omega_limit`` (``sum(g)^2 / (sum(R) -
        sum(u2))``, psych's ``omega.lim``; NaN with one factor), ``heywood`` (a
        communality of 1 or more), ``converged`` (fit and rotations), ``note``
        (psych's warnings, e.g. an ultra-Heywood case, naming the stages; empty when
        none), ``strategy``.

    Raises
    ------
    ParameterError
        Unknown names, fewer than 3 complete businesses, a constant stage,
        ``n_boot < 0``, ``nfactors < 1``, ``nfactors`` above what the stages identify
        (degrees of freedom ``((k - m)^2 - (k + m)) / 2 < 0``), ``fm="ml"`` with
        ``nfactors >= 2``.

    Notes
    -----
    Hierarchical omega is the share of the variance of the unit-weighted stage sum due
    to a general factor. As ``psych::omega``: ``nfactors`` minres factors, varimax then
    oblimin, the Schmid-Leiman transformation (the factors' general loadings from a
    one-factor fit of their correlations), stages with a negative general loading
    reflected (:mod:`cma_research.stats.factor` gives the details and the agreement
    with R). With ``nfactors = 2`` a general factor is not identified: psych (and this
    function) sets the two factors' general loadings equal, ``sqrt(phi_12)``, and the
    method column says so. If the fit or a rotation does not converge, both omegas of
    that model are NaN, the method says why and no interval is computed.

    The default stays ``nfactors = 1`` (the total omega this function always gave),
    not psych's 3: on the bundled 12 complete cases the three-factor solution is an
    ultra-Heywood case (stage_5's communality exceeds 1; psych warns), so it is not a
    well-determined estimate; ask for it explicitly. The bootstrap refits the whole
    model in every resample (a few hundredths of a second each with 3 factors);
    resamples whose solution does not converge are skipped and counted.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> res = omega(load_returns(bundled_path("customer_wise_2007.csv")), n_boot=200, seed=1)
    >>> res[["n", "k", "omega_total", "omega_model"]].round(4).to_dict("records")
    [{'n': 12, 'k': 10, 'omega_total': 0.8608, 'omega_model': 0.8625}]

    R: ``psych::omega(x, nfactors = 1)$omega.tot`` (0.8608 with ``fm = "minres"``,
    0.8594 with ``fm = "ml"``).

    Hierarchical omega from three group factors (psych's default; here an ultra-Heywood
    case, reported in ``note``):

    >>> cw = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> res = omega(cw, nfactors=3, n_boot=0)
    >>> res[["omega_total", "omega_hierarchical", "omega_limit"]].round(3).to_dict("records")
    [{'omega_total': 0.921, 'omega_hierarchical': 0.664, 'omega_limit': 0.72}]
    >>> print(res.loc[0, "omega_hierarchical_method"])
    Schmid-Leiman, 3 oblimin factors, minres
    >>> print(res.loc[0, "note"])
    ultra-Heywood case: a communality above 1 (stage_5); examine the results carefully

    R: ``psych::omega(x)`` gives ``omega.tot`` 0.92148, ``omega_h`` 0.66350, ``omega.lim``
    0.72004 and warns "An ultra-Heywood case was detected"; psych's minres fit stops
    short of its optimum here, so ours differ by up to 2e-5.
    """
    check_choice("fm", fm, FACTOR_METHODS)
    if isinstance(nfactors, bool) or not isinstance(nfactors, int | np.integer) or nfactors < 1:
        raise ParameterError(f"nfactors={nfactors!r} must be a whole number >= 1")
    if nfactors > 1 and fm != "minres":
        raise ParameterError(
            f"fm={fm!r} with nfactors={nfactors} is not available; the Schmid-Leiman "
            "solution uses fm='minres'"
        )
    if not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ParameterError(f"n_boot={n_boot!r} must be a whole number >= 0")
    low_name, high_name = ci_columns(confidence)
    x, stage_ids = _complete(cohort, strategy, min_stages, "omega")
    _refuse_constant(x, stage_ids, "omega")
    n, k = x.shape
    r = np.corrcoef(x, rowvar=False)
    if nfactors == 1:
        total, model, fit = omega_from_correlation(r, fm)
        key = np.where(fit.loadings < 0, -1.0, 1.0)  # held in the bootstrap: one composite
        heywood_items = fit.loadings**2 >= 1
        hier = limit = np.nan
        hier_method = "not meaningful with one factor (psych: nfactors = 1); use nfactors >= 3"
        converged = fit.converged
        ultra = bool(np.any(fit.loadings**2 > 1))
    else:
        sl = schmid_leiman(r, int(nfactors))
        total, model, hier, limit = _schmid_omegas(sl)
        heywood_items = sl.h2 >= 1
        converged = sl.converged
        ultra = sl.ultra_heywood
        hier_method = _hierarchical_method(sl)
        if not converged:
            total = model = hier = limit = np.nan
    note = _heywood_note(heywood_items, ultra, stage_ids)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot if converged else 0):
        xb = x[rng.integers(0, n, n)]
        if np.any(np.ptp(xb, axis=0) == 0):
            continue
        rb = np.corrcoef(xb, rowvar=False)
        if nfactors == 1:
            boots.append(omega_from_correlation(rb, fm, key=key)[0])
            continue
        slb = schmid_leiman(rb, int(nfactors))
        if slb.converged:
            boots.append(slb.omega_total)
    tail = (1 - confidence) / 2
    if boots:
        low, high = (float(v) for v in np.quantile(boots, [tail, 1 - tail]))
        ci_method = f"percentile bootstrap ({len(boots)} of {n_boot} resamples usable)"
    else:
        low = high = np.nan
        ci_method = (
            "not computed (n_boot=0)"
            if n_boot == 0
            else "not computed (the solution did not converge)"
            if not converged
            else "undefined (no usable resample)"
        )
    return pd.DataFrame(
        {
            "n": [n],
            "k": [k],
            "nfactors": [int(nfactors)],
            "fm": pd.array([fm], dtype="string"),
            "omega_total": [total],
            "omega_model": [model],
            low_name: [low],
            high_name: [high],
            "ci_method": pd.array([ci_method], dtype="string"),
            "n_boot_used": [len(boots)],
            "omega_hierarchical": [hier],
            "omega_hierarchical_method": pd.array([hier_method], dtype="string"),
            "omega_limit": [limit],
            "heywood": [bool(np.any(heywood_items))],
            "converged": [bool(converged)],
            "note": pd.array([note], dtype="string"),
            "strategy": pd.array([strategy], dtype="string"),
        }
    )


def _schmid_omegas(sl: SchmidLeiman) -> tuple[float, float, float, float]:
    """(omega_total, omega_model, omega_hierarchical, omega_limit) of a solution."""
    lk = sl.orthogonal * sl.key[:, None]
    common = float(np.sum(lk.sum(axis=0) ** 2))  # sum(L L') after psych's reflection
    model = common / (common + float(sl.u2.sum()))
    return sl.omega_total, model, sl.omega_hierarchical, sl.omega_limit


def _hierarchical_method(sl: SchmidLeiman) -> str:
    m = sl.nfactors
    text = f"Schmid-Leiman, {m} oblimin factors, minres"
    if m == 2:
        text += (
            "; general loadings of the 2 factors set equal (sqrt(phi_12), psych's option = "
            "'equal'): a general factor needs 3 factors to be identified"
        )
    if not sl.fit.converged:
        return f"not estimated: the {m}-factor minres fit did not converge"
    if not sl.converged:
        return f"not estimated: the rotation of the {m}-factor solution did not converge"
    return text


def _heywood_note(items: np.ndarray, ultra: bool, stage_ids: list[str]) -> str:
    if not np.any(items):
        return ""
    names = ", ".join(sid for sid, bad in zip(stage_ids, items, strict=True) if bad)
    if ultra:
        return f"ultra-Heywood case: a communality above 1 ({names}); examine the results carefully"
    return f"Heywood case: a communality of 1 ({names}); examine the results carefully"


# -- the summary table -------------------------------------------------------------------


def _attempt(compute: Callable[[], pd.DataFrame]) -> tuple[pd.Series | None, str]:
    try:
        return compute().iloc[0], ""
    except ParameterError as exc:  # undefined here: a row that says why
        return None, str(exc)


def reliability_summary(
    cohort: Cohort,
    *,
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
    nfactors: int = 3,
    n_boot: int = 1000,
    seed: int = 0,
    min_n: int = MIN_N_DIMENSIONALITY,
) -> pd.DataFrame:
    """Cronbach's alpha, ordinal alpha, omega total and hierarchical omega of the stages.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    strategy : str
        How blanks are handled (the statistics need complete data: ``complete_case``
        or an imputing strategy).
    min_stages : int, optional
        For ``strategy="min_stages"``.
    nfactors : int
        Group factors of the Schmid-Leiman solution for hierarchical omega (psych's
        default 3).
    n_boot : int
        Bootstrap resamples for the interval of the one-factor omega total (0: none).
    seed : int
        Seeds the bootstrap.
    min_n : int
        Fewest businesses for ordinal alpha and the bifactor omegas to be reported as
        estimates (default :data:`MIN_N_DIMENSIONALITY`, 100); below it their rows say
        "not estimable" in ``note`` (with the number computed anyway) and the estimate
        is NaN.

    Returns
    -------
    DataFrame
        One row per statistic and model: ``cronbach_alpha`` and ``ordinal_alpha`` (model
        ``"no factor model"``), ``omega_total`` of the one-factor model (model ``"one
        factor"``), then ``omega_total`` and ``omega_hierarchical`` of the same
        ``nfactors`` bifactor model (model ``"Schmid-Leiman bifactor, 3 group factors"``:
        the pair ``psych::omega(x, nfactors)`` reports; the bifactor ``omega_total`` is
        left out when ``nfactors = 1``). Columns: ``statistic``, ``model`` (the factor
        model the statistic comes from), ``estimate``, ``ci95_low``, ``ci95_high``
        (Feldt for alpha, percentile bootstrap for the one-factor omega total, NaN where
        no interval is computed), ``n``, ``k``, ``method`` (how it was computed),
        ``note`` (why a value or interval is missing, Heywood cases), ``strategy``. A
        statistic that is undefined for these data (a constant stage, too few businesses
        or stages for ``nfactors``, a model that does not converge) is NaN with the
        reason in ``note``.

    Notes
    -----
    Omega total depends on the model: the one-factor model's (the reliability of the
    total score if the stages measure one thing) and the bifactor model's (general plus
    group factors, psych's ``omega.tot`` beside its ``omega_h``) are both reported, each
    row naming its model, so hierarchical omega is read against the omega total of its
    own model. On the bundled data the 3-factor model is an ultra-Heywood case (``note``).

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> cw = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> res = reliability_summary(cw, n_boot=0, min_n=0)  # every statistic, at any n
    >>> print(res[["statistic", "model", "estimate"]].round(4).to_string(index=False))
             statistic                                   model  estimate
        cronbach_alpha                         no factor model    0.8531
         ordinal_alpha                         no factor model    0.8522
           omega_total                              one factor    0.8608
           omega_total Schmid-Leiman bifactor, 3 group factors    0.9215
    omega_hierarchical Schmid-Leiman bifactor, 3 group factors    0.6635
    >>> default = reliability_summary(cw, n_boot=0)  # 12 businesses: fewer than 100
    >>> print(default.loc[4, "note"])  # doctest: +NORMALIZE_WHITESPACE
    not estimable with 12 businesses: needs at least 100 (the number computed anyway,
    0.664, is not an estimate)

    R: ``psych::omega(x, nfactors = 1)$omega.tot`` (0.8608); ``psych::omega(x)`` gives
    ``omega.tot`` 0.9215 and ``omega_h`` 0.6635 (and warns of the ultra-Heywood case).
    """
    low, high = ci_columns(0.95)
    options: dict[str, Any] = {"strategy": strategy, "min_stages": min_stages}
    rows: list[dict[str, Any]] = []

    def add(
        name: str, model: str, row: pd.Series | None, why: str, value: str, method: str
    ) -> None:
        r: dict[str, Any] = {} if row is None else dict(row)
        rows.append(
            {
                "statistic": name,
                "model": model,
                "estimate": float(r.get(value, np.nan)),
                low: float(r.get(low, np.nan)),
                high: float(r.get(high, np.nan)),
                "n": int(r.get("n", 0)),
                "k": int(r.get("k", len(cohort.stage_ids))),
                "method": method if r else "undefined",
                "note": str(r.get("note", "") or "") if r else why,
            }
        )

    row, why = _attempt(lambda: cronbach_alpha(cohort, **options))
    add("cronbach_alpha", _NO_MODEL, row, why, "alpha", "Pearson correlations; Feldt interval")
    n_used = int(rows[0]["n"]) if rows[0]["n"] else 0
    too_few = n_used < min_n

    def hide(row: pd.Series | None, why: str, value: str) -> tuple[pd.Series | None, str]:
        """Below ``min_n`` businesses: no estimate, the reason in words."""
        if row is None or not too_few:
            return row, why
        computed = float(row[value])
        shown = (
            f" (the number computed anyway, {computed:.3f}, is not an estimate)"
            if (np.isfinite(computed))
            else ""
        )
        return None, (f"not estimable with {n_used} businesses: needs at least {min_n}{shown}")

    row, why = _attempt(lambda: ordinal_alpha(cohort, **options))
    method = f"alpha of the {row['correlation']} correlations" if row is not None else ""
    row, why = hide(row, why, "alpha")
    add("ordinal_alpha", _NO_MODEL, row, why, "alpha", method)
    row, why = _attempt(lambda: omega(cohort, **options, n_boot=n_boot, seed=seed))
    add("omega_total", _ONE_FACTOR, row, why, "omega_total", f"one factor, minres; {_ci(row)}")
    row, why = _attempt(lambda: omega(cohort, **options, nfactors=nfactors, n_boot=0))
    if row is not None and not np.isfinite(row["omega_hierarchical"]):
        why = str(row["omega_hierarchical_method"])  # e.g. a fit that did not converge
        row = None
    method = str(row["omega_hierarchical_method"]) if row is not None else ""
    model = _ONE_FACTOR if nfactors == 1 else f"Schmid-Leiman bifactor, {nfactors} group factors"
    if nfactors != 1:  # with one factor this would repeat the row above
        shown_row, shown_why = hide(row, why, "omega_total")
        add("omega_total", model, shown_row, shown_why, "omega_total", method)
    row, why = hide(row, why, "omega_hierarchical")
    add("omega_hierarchical", model, row, why, "omega_hierarchical", method)
    table = pd.DataFrame(rows)
    for col in ("statistic", "model", "method", "note"):
        table[col] = table[col].astype("string")
    table["strategy"] = pd.array([strategy] * len(table), dtype="string")
    return table


_NO_MODEL = "no factor model"
_ONE_FACTOR = "one factor"


def _ci(row: pd.Series | None) -> str:
    return str(row["ci_method"]) if row is not None else ""

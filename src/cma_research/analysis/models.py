"""Regression models of maturity on size (and growth): OLS with HC3, proportional odds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

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
from cma_research.core.params import ESTIMANDS, STRATEGIES, Strategy, check_choice
from cma_research.missing.pooling import pool_rubin

__all__ = [
    "estimands",
    "fit_cell_model",
    "fit_ordinal_mixed_model",
    "fit_ordinal_model",
    "fit_size_model",
    "proportional_odds_test",
]


def _design(c: Cohort, covariates: Sequence[str]) -> pd.DataFrame:
    if not covariates:
        raise ParameterError("covariates is empty; expected e.g. ['log_staff']")
    return pd.DataFrame(
        {name: covariate_values(c, name).to_numpy() for name in covariates}, index=c.scores.index
    )


def fit_size_model(
    cohort: Cohort,
    *,
    score: str = "mean",
    covariates: Sequence[str] = ("log_staff",),
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
    m: int = 20,
    seed: int = 0,
    cov_type: str = "HC3",
) -> pd.DataFrame:
    """OLS of a business score on log(staff) (and growth) with HC3 standard errors.

    The coefficients are ordinary least squares; their standard errors are the HC3
    heteroskedasticity-consistent ones (MacKinnon & White 1985), and the p-values and
    intervals use the **t distribution with the residual degrees of freedom**
    (statsmodels' default with a robust covariance is the normal distribution, which
    is too optimistic at n = 12). Businesses lacking the score or a covariate are
    excluded *before* fitting and ``n`` reports how many were used; statsmodels is then
    called with ``missing="raise"``.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    score : str
        A score of :func:`~cma_research.business_scores` or a stage id.
    covariates : sequence of str
        Numeric attributes, ``"staff"`` or ``"log_staff"`` (default).
    strategy : str
        Missing-stage strategy (default ``complete_case``). ``multiple``: the model is
        fitted to each of ``m`` imputed cohorts and the coefficients pooled with Rubin's
        rules (see Returns).
    min_stages : int, optional
        For ``strategy="min_stages"``.
    m, seed : int
        Imputations and their seed for ``strategy="multiple"`` (unused otherwise).
    cov_type : {"HC3", "CR2"}
        ``HC3`` (default), or ``CR2``: the Bell-McCaffrey bias-reduced errors with each
        business its own cluster (HC2 here) and a t test on Satterthwaite degrees of
        freedom per coefficient (``clubSandwich::coef_test(fit, vcov = "CR2", cluster,
        test = "Satterthwaite")``; :func:`cma_research.stats.sandwich.cr2_ols`), the
        better-calibrated choice with a dozen businesses; ``df_resid`` then holds the
        Satterthwaite df.

    Returns
    -------
    DataFrame
        One row per term (``Intercept`` first): ``strategy``, ``term``, ``estimate``,
        ``std_error`` (HC3 or CR2), ``t``, ``df_resid``, ``p_val`` (t-based), ``ci95_low``,
        ``ci95_high``, ``n``, ``r2``, ``cov_type``, ``score``, ``m`` (imputations; 1
        unless ``multiple``), ``note`` (empty). For ``multiple`` the estimate is the
        mean over the imputations, ``std_error`` the square root of Rubin's total
        variance (within: the HC3 variances), ``t``, ``p_val`` and the interval use the
        Barnard-Rubin df (in ``df_resid``; complete-data df the residual df), ``r2`` is
        the mean, and ``riv``, ``lambda_share``, ``fmi`` (:func:`cma_research.pool_rubin`)
        follow ``score``.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> cohort = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> fit = fit_size_model(cohort)
    >>> fit["term"].tolist(), int(fit.loc[0, "n"]), int(fit.loc[0, "df_resid"])
    (['Intercept', 'log_staff'], 12, 10)
    >>> pooled = fit_size_model(cohort, strategy="multiple", m=5, seed=1)
    >>> pooled[["strategy", "term", "n", "m"]].to_dict("records")[1]
    {'strategy': 'multiple', 'term': 'log_staff', 'n': 16, 'm': 5}

    R: ``lmtest::coeftest(fit, vcov = sandwich::vcovHC(fit, type = "HC3"))``.
    """
    check_choice("score", score, [*SCORES, *cohort.stage_ids])
    check_choice("strategy", strategy, STRATEGIES)
    check_choice("cov_type", cov_type, ("HC3", "CR2"))
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    require_values(cohort, covariates)
    if strategy != "multiple":
        out = _ols_table(cohort, score, covariates, strategy, min_stages, cov_type)
        return strategy_layout(out, strategy, 1)
    frames = [
        _ols_table(c, score, covariates, "available_case", None, cov_type)
        for c in imputed(cohort, m=m, seed=seed)
    ]
    return strategy_layout(_pool_ols(frames), strategy, m)


def _ols_table(
    cohort: Cohort,
    score: str,
    covariates: Sequence[str],
    strategy: str,
    min_stages: int | None,
    cov_type: str = "HC3",
) -> pd.DataFrame:
    """:func:`fit_size_model` of one cohort under one single-result strategy."""
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    c = prepared(cohort, strategy, min_stages=min_stages, what="fit_size_model")
    check_comparable(c, [score], "fit_size_model")
    table = business_scores(c)  # c is already cleaned: score over what it holds
    y = (table[score] if score in SCORES else c.scores[score].reset_index(drop=True)).to_numpy(
        dtype=float, na_value=np.nan
    )
    x = _design(c, covariates).reset_index(drop=True)
    ok = ~np.isnan(y) & x.notna().all(axis=1).to_numpy()
    n, k = int(ok.sum()), x.shape[1] + 1
    if n < k + 2:
        raise ParameterError(
            f"fit_size_model needs at least {k + 2} businesses with {score} and "
            f"{', '.join(covariates)}; {n} have them under strategy {strategy!r}"
        )
    exog = add_constant(x.loc[ok].to_numpy(dtype=float), has_constant="add")
    if cov_type == "CR2":
        return _cr2_table(y[ok], exog, np.arange(n), covariates, score, strategy, "business")
    model = OLS(y[ok], exog, missing="raise")
    fit = model.fit(cov_type="HC3", use_t=True)
    ci = np.asarray(fit.conf_int(alpha=0.05))
    out = pd.DataFrame(
        {
            "term": ["Intercept", *covariates],
            "estimate": np.asarray(fit.params),
            "std_error": np.asarray(fit.bse),
            "t": np.asarray(fit.tvalues),
            "df_resid": float(fit.df_resid),
            "p_val": np.asarray(fit.pvalues),
            "ci95_low": ci[:, 0],
            "ci95_high": ci[:, 1],
        }
    )
    out["n"] = n
    out["r2"] = float(fit.rsquared)
    out["cov_type"] = "HC3, t-based"
    out["score"] = score
    out["strategy"] = strategy
    for col in ("term", "cov_type", "score", "strategy"):
        out[col] = out[col].astype("string")
    return out


def _cr2_table(
    y: np.ndarray,
    exog: np.ndarray,
    groups: np.ndarray,
    covariates: Sequence[str],
    score: str,
    strategy: str,
    unit: str,
) -> pd.DataFrame:
    """The OLS table with CR2 errors and Satterthwaite df (one df per term)."""
    from cma_research.stats.sandwich import cr2_ols

    fit = cr2_ols(y, exog, groups)
    low, high = fit.interval()
    resid = y - exog @ fit.coef
    r2 = 1 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum())
    out = pd.DataFrame(
        {
            "term": ["Intercept", *covariates],
            "estimate": fit.coef,
            "std_error": fit.se,
            "t": fit.t(),
            "df_resid": fit.df,
            "p_val": fit.p_values(),
            "ci95_low": low,
            "ci95_high": high,
        }
    )
    out["n"] = len(y)
    out["r2"] = r2
    out["cov_type"] = f"CR2 by {unit} ({fit.n_clusters} clusters), Satterthwaite df"
    out["score"] = score
    out["strategy"] = strategy
    for col in ("term", "cov_type", "score", "strategy"):
        out[col] = out[col].astype("string")
    return out


def _pool_ols(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The imputed cohorts' coefficients pooled with Rubin's rules (HC3 within variance)."""
    base = frames[0].copy()
    est = np.vstack([f["estimate"].to_numpy(dtype=float) for f in frames])  # (m, terms)
    se = np.vstack([f["std_error"].to_numpy(dtype=float) for f in frames])
    df_resid = base["df_resid"].to_numpy(dtype=float)
    names = ("estimate", "std_error", "t", "p_val", "ci95_low", "ci95_high", "df_resid")
    cols = {k: np.full(len(base), np.nan) for k in (*names, "riv", "lambda_share", "fmi")}
    for i in range(len(base)):
        pooled = pool_rubin(est[:, i], se[:, i] ** 2, float(df_resid[i]))
        cols["estimate"][i] = pooled.estimate
        cols["std_error"][i] = np.sqrt(pooled.variance)
        cols["t"][i] = pooled.estimate / np.sqrt(pooled.variance)
        cols["p_val"][i] = pooled.p_value()
        cols["ci95_low"][i], cols["ci95_high"][i] = pooled.interval()
        cols["df_resid"][i], cols["fmi"][i] = pooled.df, pooled.fmi
        cols["riv"][i], cols["lambda_share"][i] = pooled.riv, pooled.lambda_share
    for key, values in cols.items():
        base[key] = values
    base["r2"] = float(np.vstack([f["r2"].to_numpy(dtype=float) for f in frames]).mean())
    base["cov_type"] = "HC3, Rubin's rules (t, Barnard-Rubin df)"
    return base


def ordinal_fit_table(
    codes: np.ndarray,
    exog: np.ndarray,
    business_ids: pd.Series,
    *,
    slopes: list[str],
    cuts: list[str],
    cluster: bool,
    strategy: str,
) -> pd.DataFrame:
    """Fit :func:`~cma_research.stats.ordinal.fit_polr` and tabulate its terms.

    The table of :func:`fit_ordinal_model` and
    :func:`~cma_research.analysis.change_models.fit_ordinal_wave_model`: one row per
    slope, then per threshold; standard errors cluster-robust by business (HC1, t with
    G - 1 df) when ``cluster``, else naive (z).
    """
    from cma_research.stats.ordinal import fit_polr

    groups = pd.factorize(business_ids)[0]
    fit = fit_polr(codes, exog)
    n_groups = int(groups.max()) + 1
    if cluster:
        vcov = fit.vcov_cluster(groups, hc1=True)
        df = float(n_groups - 1)
        p_method = f"t with G - 1 = {n_groups - 1} df (G = {n_groups} businesses)"
    else:
        vcov = fit.vcov_naive()
        df = np.inf
        p_method = "normal (z)"
    se = np.sqrt(np.diag(vcov))
    est = fit.params
    ref = stats.t(df) if np.isfinite(df) else stats.norm
    q = ref.ppf(0.975)
    out = pd.DataFrame(
        {
            "term": [*slopes, *cuts],
            "kind": ["slope"] * len(slopes) + ["threshold"] * len(cuts),
            "estimate": est,
            "std_error": se,
            "statistic": est / se,
            "df": df,
            "p_val": 2 * ref.sf(np.abs(est / se)),
            "ci95_low": est - q * se,
            "ci95_high": est + q * se,
            "p_method": p_method,
        }
    )
    out["n_obs"] = len(codes)
    out["n_businesses"] = n_groups
    out["cov_type"] = "cluster-robust by business (HC1)" if cluster else "naive (inverse Hessian)"
    out["strategy"] = strategy
    for col in ("term", "kind", "p_method", "cov_type", "strategy"):
        out[col] = out[col].astype("string")
    return out


def fit_ordinal_model(
    cohort: Cohort,
    *,
    covariates: Sequence[str] = ("log_staff",),
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
    cluster: bool = True,
) -> pd.DataFrame:
    """Proportional-odds (ordered logit) model of stage levels on log(staff).

    Every assessed stage of every business is one observation (its level), so a
    business contributes one correlated observation per stage. The model is
    ``logit P(level <= j) = cut_j - x'beta`` (the parametrisation of R's
    ``MASS::polr``), fitted to the maximum of the likelihood: statsmodels'
    ``OrderedModel`` start polished by Newton steps until the largest gradient is
    below 1e-9 (:func:`cma_research.stats.ordinal.fit_polr`), so the estimates equal
    ``polr``'s at its optimum and every threshold is a parameter with its own standard
    error.

    Standard errors are **cluster-robust by business** (sandwich, with the small-sample
    factor G/(G-1) (N-1)/(N-K), ``sandwich::vcovCL(type = "HC1")``), because stages of
    one business are not independent. With few clusters (16 businesses in Table 4)
    normal p-values are too small, so tests and intervals use the **t distribution
    with G - 1 degrees of freedom** (``lmtest::coeftest(df = G - 1)``; Cameron &
    Miller 2015, section VI); ``p_method`` says so. ``cluster=False`` gives the naive
    inverse-Hessian standard errors with normal (z) tests, ``df`` = inf.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    covariates : sequence of str
        Business-level covariates (default ``log_staff``).
    strategy : str
        Missing-stage strategy (default ``available_case``: the assessed stages).
    min_stages : int, optional
        For ``strategy="min_stages"``.
    cluster : bool
        Cluster-robust (default) or naive standard errors.

    Returns
    -------
    DataFrame
        One row per slope, then one per threshold (``cut_0|1`` ...): ``term``,
        ``kind`` (``slope``/``threshold``), ``estimate``, ``std_error``,
        ``statistic`` (estimate / std_error), ``df`` (G - 1, or inf for naive),
        ``p_val``, ``ci95_low``, ``ci95_high``, ``p_method``, ``n_obs``,
        ``n_businesses``, ``cov_type``, ``strategy``.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> fit = fit_ordinal_model(load_returns(bundled_path("customer_wise_2007.csv")))
    >>> fit.loc[0, "term"], int(fit.loc[0, "n_obs"]), int(fit.loc[0, "n_businesses"])
    ('log_staff', 137, 16)
    >>> print(fit.loc[0, "p_method"])
    t with G - 1 = 15 df (G = 16 businesses)

    R: ``fit <- MASS::polr(factor(level) ~ log(staff), Hess = TRUE)``;
    ``lmtest::coeftest(fit, vcov = sandwich::vcovCL(fit, cluster = ~ business,
    type = "HC1"), df = 15)``.
    """

    c = prepared(cohort, strategy, min_stages=min_stages, what="fit_ordinal_model")
    x = _design(c, covariates)
    long = c.scores.reset_index().melt(
        id_vars=["business_id", "wave"], var_name="stage", value_name="level"
    )
    long = long.dropna(subset=["level"])
    xs = x.reset_index()
    long = long.merge(xs, on=["business_id", "wave"], how="left")
    long = long.dropna(subset=list(covariates))
    levels = sorted(int(v) for v in long["level"].unique())
    if len(levels) < 3 or long["business_id"].nunique() < 3:
        raise ParameterError(
            "fit_ordinal_model needs at least 3 observed levels and 3 businesses with "
            f"{', '.join(covariates)}; found levels {levels}"
        )
    codes = np.searchsorted(levels, long["level"].astype(int).to_numpy())
    exog = long[list(covariates)].to_numpy(dtype=float)
    cuts = [f"cut_{levels[j]}|{levels[j + 1]}" for j in range(len(levels) - 1)]
    return ordinal_fit_table(
        codes,
        exog,
        long["business_id"],
        slopes=list(covariates),
        cuts=cuts,
        cluster=cluster,
        strategy=strategy,
    )


def _long_cells(c: Cohort, covariates: Sequence[str]) -> pd.DataFrame:
    """Every assessed cell of a cleaned cohort with the business's covariates."""
    x = _design(c, covariates)
    long = c.scores.reset_index().melt(
        id_vars=["business_id", "wave"], var_name="stage", value_name="level"
    )
    long = long.dropna(subset=["level"])
    long = long.merge(x.reset_index(), on=["business_id", "wave"], how="left")
    return long.dropna(subset=list(covariates)).reset_index(drop=True)


def fit_cell_model(
    cohort: Cohort,
    *,
    covariates: Sequence[str] = ("log_staff",),
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
) -> pd.DataFrame:
    """Linear model of every assessed stage level on log(staff), CR2 by business.

    The linear counterpart of :func:`fit_ordinal_model` on the same observations (each
    assessed stage of each business), with the CR2 cluster-robust errors and
    Satterthwaite degrees of freedom that hold their level with few clusters
    (``clubSandwich::coef_test(lm(level ~ log(staff)), vcov = "CR2", cluster = business,
    test = "Satterthwaite")``; Pustejovsky & Tipton 2018). With 16 businesses the
    Satterthwaite df of the slope can be far below G - 1 = 15 (about 3 on Table 4),
    which is why the proportional-odds model's t(G - 1) test is optimistic.

    Returns
    -------
    DataFrame
        As :func:`fit_size_model` (``df_resid`` the Satterthwaite df of each term,
        ``n`` the cells, ``score`` ``"stage level"`` in the instrument's noun), plus
        ``n_businesses``.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> fit = fit_cell_model(customer_wise_2007())
    >>> slope = fit.loc[1]
    >>> int(slope["n"]), int(slope["n_businesses"]), round(float(slope["df_resid"]), 2)
    (137, 16, 3.29)
    """
    c = prepared(cohort, strategy, min_stages=min_stages, what="fit_cell_model")
    long = _long_cells(c, covariates)
    if long["business_id"].nunique() < 3:
        raise ParameterError("fit_cell_model needs at least 3 businesses with the covariates")
    exog = np.column_stack([np.ones(len(long)), long[list(covariates)].to_numpy(dtype=float)])
    groups = pd.factorize(long["business_id"])[0]
    out = _cr2_table(
        long["level"].to_numpy(dtype=float), exog, groups, covariates,
        f"{c.instrument.stage_noun} level", strategy, "business",
    )  # fmt: skip
    out["n_businesses"] = int(groups.max()) + 1
    return out


def proportional_odds_test(
    cohort: Cohort,
    *,
    covariates: Sequence[str] = ("log_staff",),
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
) -> pd.DataFrame:
    """Brant's (1990) test of the proportional-odds assumption of :func:`fit_ordinal_model`.

    :func:`fit_ordinal_model` gives every stage and every split of the levels one slope
    and common thresholds. Brant's Wald test compares the slopes of separate binary
    logits of ``level > j`` (:func:`cma_research.stats.ordinal.brant_test`); a small p
    says the slope differs between the splits, so the single log odds ratio averages
    unlike effects. The test treats the cells as independent (as ``brant::brant``), so
    with cells nested in businesses its p is too small, if anything.

    Returns
    -------
    DataFrame
        ``term`` (``omnibus``, then each covariate), ``statistic`` (chi-squared),
        ``df``, ``p_val``, ``n_obs``, ``n_levels``, ``strategy``.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> res = proportional_odds_test(customer_wise_2007())
    >>> res["term"].tolist(), int(res.loc[0, "df"]), round(float(res.loc[0, "p_val"]), 3)
    (['omnibus', 'log_staff'], 4, 0.337)

    R: coded from Brant (1990) in ``tests/analysis/results/make_results.R`` (the brant
    package is not in Debian).
    """
    from cma_research.stats.ordinal import brant_test

    c = prepared(cohort, strategy, min_stages=min_stages, what="proportional_odds_test")
    long = _long_cells(c, covariates)
    levels = sorted(int(v) for v in long["level"].unique())
    if len(levels) < 3:
        raise ParameterError(
            f"proportional_odds_test needs at least 3 observed levels; found {levels}"
        )
    codes = np.searchsorted(levels, long["level"].astype(int).to_numpy())
    rows = brant_test(codes, long[list(covariates)].to_numpy(dtype=float))
    names = {f"x{i}": name for i, name in enumerate(covariates)}
    out = pd.DataFrame(rows)
    out["term"] = [names.get(t, t) for t in out["term"]]
    out["n_obs"] = len(long)
    out["n_levels"] = len(levels)
    out["strategy"] = strategy
    for col in ("term", "strategy"):
        out[col] = out[col].astype("string")
    return out


def estimands(
    cohort: Cohort,
    primary: str = "size_correlation",
    *,
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
    m: int = 20,
    seed: int = 0,
    n_perm: int = 0,
) -> pd.DataFrame:
    """The size question answered by each model, the declared primary one first.

    Several models answer "do larger businesses score higher?" on the same returns,
    with different units (businesses or assessments), scales and assumptions; reading
    them side by side and picking one afterwards is a forking path. A study declares
    one **primary** estimand in advance (parameter ``primary_estimand``); the others
    are **exploratory**.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    primary : {"size_correlation", "ols_slope", "ordinal_slope"}
        The declared primary estimand (:data:`cma_research.core.params.ESTIMANDS`): the
        Spearman correlation of the mean level with staff (the paper's question), the
        OLS slope of the mean level on log(staff) with CR2 errors and Satterthwaite df,
        or the proportional-odds log odds ratio per log(staff) of the stage levels
        (cluster-robust by business).
    strategy : str
        For the business-level estimands (the correlation and the OLS); the ordinal
        model uses every assessed cell (``available_case``, or the strategy's cells when
        it leaves no blanks).
    min_stages, m, seed, n_perm
        As :func:`~cma_research.correlate`.

    Returns
    -------
    DataFrame
        One row per estimand, primary first: ``estimand``, ``role`` (``primary`` /
        ``exploratory``), ``estimate``, ``ci95_low``, ``ci95_high``, ``p_val``, ``n``
        (its units), ``unit`` (``businesses`` or ``assessments``), ``method``,
        ``verdict`` (+1 / -1 when the 95% interval lies above / below 0, else 0),
        ``strategy``.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> res = estimands(customer_wise_2007())
    >>> res[["estimand", "role"]].values.tolist()[0]
    ['size_correlation', 'primary']
    """
    from cma_research.analysis.correlation import correlate

    check_choice("primary", primary, ESTIMANDS)
    rows = []
    cor = correlate(
        cohort, "staff", "mean", "spearman", strategy, min_stages=min_stages, m=m, seed=seed,
        n_perm=n_perm,
    ).iloc[0]  # fmt: skip
    rows.append(("size_correlation", cor["r"], cor["ci95_low"], cor["ci95_high"],
                 cor["p_val"], int(cor["n"]), "businesses",
                 f"Spearman rho of the mean level with staff; {cor['ci_method']}"))  # fmt: skip
    ols_strategy = strategy
    ols = fit_size_model(
        cohort, strategy=ols_strategy, min_stages=min_stages, m=m, seed=seed,
        cov_type="CR2" if ols_strategy != "multiple" else "HC3",
    )  # fmt: skip
    slope = ols[ols["term"] == "log_staff"].iloc[0]
    rows.append(("ols_slope", slope["estimate"], slope["ci95_low"], slope["ci95_high"],
                 slope["p_val"], int(slope["n"]), "businesses",
                 f"OLS slope of the mean level per log(staff); {slope['cov_type']}"))  # fmt: skip
    cell_strategy = "available_case" if strategy == "multiple" else strategy
    ordinal = fit_ordinal_model(cohort, strategy=cell_strategy, min_stages=min_stages)
    o = ordinal[ordinal["kind"] == "slope"].iloc[0]
    rows.append(("ordinal_slope", o["estimate"], o["ci95_low"], o["ci95_high"], o["p_val"],
                 int(o["n_obs"]), "assessments",
                 f"proportional-odds log odds ratio per log(staff) over {int(o['n_businesses'])}"
                 f" businesses; {o['cov_type']}, {o['p_method']}"))  # fmt: skip
    out = pd.DataFrame(
        rows,
        columns=["estimand", "estimate", "ci95_low", "ci95_high", "p_val", "n", "unit", "method"],
    )
    out.insert(1, "role", ["primary" if e == primary else "exploratory" for e in out["estimand"]])
    out["verdict"] = [
        (1 if lo > 0 else -1 if hi < 0 else 0) if np.isfinite(lo) and np.isfinite(hi) else 0
        for lo, hi in zip(
            out["ci95_low"].astype(float), out["ci95_high"].astype(float), strict=True
        )
    ]
    out["strategy"] = [strategy, strategy, cell_strategy]
    out = pd.concat([out[out["role"] == "primary"], out[out["role"] != "primary"]])
    out = out.reset_index(drop=True)
    for col in ("estimand", "role", "unit", "method", "strategy"):
        out[col] = out[col].astype("string")
    return out


def fit_ordinal_mixed_model(
    cohort: Cohort,
    *,
    covariates: Sequence[str] = ("log_staff",),
    stage_effects: bool = True,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
) -> pd.DataFrame:
    """Ordinal mixed model: stage levels on log(staff) and the stages, random intercept.

    Where :func:`fit_ordinal_model` gives every stage the same thresholds and treats a
    business's stages as independent (with cluster-robust errors), this model
    (``ordinal::clmm(level ~ log(staff) + stage + (1 | business))``) gives each stage its
    own shift (``stage_effects``: treatment contrasts, the instrument's first stage the
    reference) and each business a random intercept, so the size slope is a
    within-model, business-adjusted log odds ratio
    (:func:`cma_research.stats.ordinal.fit_clmm`, Gauss-Hermite quadrature). Wald
    tests are normal (z), as clmm's.

    Returns
    -------
    DataFrame
        One row per slope, stage effect, threshold and the random-intercept SD:
        ``term``, ``kind`` (``slope``, ``stage``, ``threshold``, ``random``),
        ``estimate``, ``std_error``, ``statistic``, ``p_val`` (slopes and stages),
        ``ci95_low``, ``ci95_high`` (the SD's from log(SD) +/- 1.96 SE), ``n_obs``,
        ``n_businesses``, ``loglik``, ``converged``, ``strategy``.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> fit = fit_ordinal_mixed_model(customer_wise_2007())
    >>> fit.loc[0, "term"], round(float(fit.loc[0, "estimate"]), 3)
    ('log_staff', 0.658)
    """
    from scipy import stats as st

    from cma_research.stats.ordinal import fit_clmm

    c = prepared(cohort, strategy, min_stages=min_stages, what="fit_ordinal_mixed_model")
    long = _long_cells(c, covariates)
    levels = sorted(int(v) for v in long["level"].unique())
    if len(levels) < 3 or long["business_id"].nunique() < 3:
        raise ParameterError(
            "fit_ordinal_mixed_model needs at least 3 observed levels and 3 businesses; "
            f"found levels {levels}"
        )
    codes = np.searchsorted(levels, long["level"].astype(int).to_numpy())
    columns = [long[list(covariates)].to_numpy(dtype=float)]
    names = list(covariates)
    kinds = ["slope"] * len(covariates)
    if stage_effects:
        present = [s for s in c.stage_ids if (long["stage"] == s).any()]
        for sid in present[1:]:
            columns.append((long["stage"] == sid).to_numpy(dtype=float)[:, None])
            names.append(sid)
            kinds.append("stage")
    x = np.hstack(columns)
    fit = fit_clmm(codes, x, long["business_id"].to_numpy())
    se = np.sqrt(np.diag(fit.vcov))
    q = st.norm.ppf(0.975)
    est = np.concatenate([fit.beta, fit.zeta])
    rows = []
    cuts = [f"cut_{levels[j]}|{levels[j + 1]}" for j in range(len(levels) - 1)]
    for i, (term, kind) in enumerate(zip([*names, *cuts], [*kinds, *["threshold"] * len(cuts)],
                                         strict=True)):  # fmt: skip
        z = est[i] / se[i]
        rows.append({"term": term, "kind": kind, "estimate": est[i], "std_error": se[i],
                     "statistic": z,
                     "p_val": float(2 * st.norm.sf(abs(z))) if kind != "threshold" else np.nan,
                     "ci95_low": est[i] - q * se[i], "ci95_high": est[i] + q * se[i]})  # fmt: skip
    log_sd_se = se[-1]
    rows.append({"term": "sd(business)", "kind": "random", "estimate": fit.sd,
                 "std_error": fit.sd * log_sd_se, "statistic": np.nan, "p_val": np.nan,
                 "ci95_low": fit.sd * np.exp(-q * log_sd_se),
                 "ci95_high": fit.sd * np.exp(q * log_sd_se)})  # fmt: skip
    out = pd.DataFrame(rows)
    out["n_obs"] = fit.n_obs
    out["n_businesses"] = fit.n_groups
    out["loglik"] = fit.loglik
    out["converged"] = fit.converged
    out["strategy"] = strategy
    for col in ("term", "kind", "strategy"):
        out[col] = out[col].astype("string")
    return out

"""Regression models of maturity on size (and growth): OLS with HC3, proportional odds."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from cma_research.analysis.describe import SCORES, business_scores, check_comparable
from cma_research.analysis.prepare import check_choice, covariate_values, prepared
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.missing.strategies import Strategy

__all__ = ["fit_ordinal_model", "fit_size_model"]


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
        Missing-stage strategy (default ``complete_case``).
    min_stages : int, optional
        For ``strategy="min_stages"``.

    Returns
    -------
    DataFrame
        One row per term (``Intercept`` first): ``term``, ``estimate``, ``std_error``
        (HC3), ``t``, ``df_resid``, ``p_val`` (t-based), ``ci95_low``, ``ci95_high``,
        ``n``, ``r2``, ``cov_type``, ``score``, ``strategy``.

    Examples
    --------
    >>> from cma_research import load_returns
    >>> fit = fit_size_model(load_returns("data/raw/customer_wise_2007.csv"))
    >>> fit["term"].tolist(), int(fit.loc[0, "n"]), int(fit.loc[0, "df_resid"])
    (['Intercept', 'log_staff'], 12, 10)

    R: ``lmtest::coeftest(fit, vcov = sandwich::vcovHC(fit, type = "HC3"))``.
    """
    import statsmodels.api as sm

    check_choice("score", score, [*SCORES, *cohort.stage_ids])
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
    exog = sm.add_constant(x.loc[ok].to_numpy(dtype=float), has_constant="add")
    model = sm.OLS(y[ok], exog, missing="raise")
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


def fit_ordinal_model(
    cohort: Cohort,
    *,
    covariates: Sequence[str] = ("log_staff",),
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
    cluster: bool = True,
) -> pd.DataFrame:
    """Proportional-odds (ordered logit) model of stage levels on log(staff).

    Every assessed stage of every business is one observation (the level, 0-5), so a
    business contributes up to 10 correlated observations. The model is
    ``logit P(level <= j) = cut_j - x'beta`` (the parametrisation of R's
    ``MASS::polr``), fitted by maximum likelihood with
    :class:`statsmodels.miscmodels.ordinal_model.OrderedModel`. Standard errors are
    **cluster-robust by business** (sandwich, with the small-sample factor
    G/(G-1) (N-1)/(N-K), like Stata and ``sandwich::vcovCL(type = "HC1")``), because
    stages of one business are not independent; ``cluster=False`` gives the naive
    inverse-Hessian ones. p-values and intervals are normal-based.

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
        ``kind`` (``slope``/``threshold``), ``estimate``, ``std_error`` (thresholds
        after the first are reported without one: statsmodels estimates them as log
        increments), ``z``, ``p_val``, ``ci95_low``, ``ci95_high``, ``n_obs``,
        ``n_businesses``, ``cov_type``, ``strategy``.

    Examples
    --------
    >>> from cma_research import load_returns
    >>> fit = fit_ordinal_model(load_returns("data/raw/customer_wise_2007.csv"))
    >>> fit.loc[0, "term"], int(fit.loc[0, "n_obs"]), int(fit.loc[0, "n_businesses"])
    ('log_staff', 137, 16)

    R: ``MASS::polr(factor(level) ~ log_staff, Hess = TRUE)`` with
    ``sandwich::vcovCL(fit, cluster = ~ business, type = "HC1")``.
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

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
    endog = pd.Series(pd.Categorical(long["level"].astype(int), categories=levels, ordered=True))
    exog = long[list(covariates)].astype(float).reset_index(drop=True)
    groups = pd.factorize(long["business_id"])[0]
    model = OrderedModel(endog, exog, distr="logit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if cluster:
            fit = model.fit(
                method="bfgs",
                disp=False,
                maxiter=2000,
                cov_type="cluster",
                cov_kwds={"groups": groups},
            )
        else:
            fit = model.fit(method="bfgs", disp=False, maxiter=2000)
    if not fit.mle_retvals.get("converged", True):
        raise ParameterError("fit_ordinal_model: the maximum-likelihood fit did not converge")
    params = np.asarray(fit.params)
    bse = np.asarray(fit.bse)
    n_slopes = len(covariates)
    cuts = np.asarray(model.transform_threshold_params(params))[1:-1]
    q = stats.norm.ppf(0.975)
    rows = []
    for i, name in enumerate(covariates):
        est, se = params[i], bse[i]
        rows.append(
            {
                "term": name,
                "kind": "slope",
                "estimate": est,
                "std_error": se,
                "z": est / se,
                "p_val": 2 * stats.norm.sf(abs(est / se)),
                "ci95_low": est - q * se,
                "ci95_high": est + q * se,
            }
        )
    for j, cut in enumerate(cuts):
        se = bse[n_slopes] if j == 0 else np.nan
        rows.append(
            {
                "term": f"cut_{levels[j]}|{levels[j + 1]}",
                "kind": "threshold",
                "estimate": float(cut),
                "std_error": se,
                "z": cut / se,
                "p_val": 2 * stats.norm.sf(abs(cut / se)),
                "ci95_low": cut - q * se,
                "ci95_high": cut + q * se,
            }
        )
    out = pd.DataFrame(rows)
    out["n_obs"] = len(long)
    out["n_businesses"] = int(long["business_id"].nunique())
    out["cov_type"] = "cluster-robust by business (HC1)" if cluster else "naive (inverse Hessian)"
    out["strategy"] = strategy
    for col in ("term", "kind", "cov_type", "strategy"):
        out[col] = out[col].astype("string")
    return out

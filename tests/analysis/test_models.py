"""OLS with HC3 and the proportional-odds model against numpy and direct statsmodels fits."""

from __future__ import annotations

import csv
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel

import cma_research as cma
from cma_research import ParameterError, fit_ordinal_model, fit_size_model, load_covariates
from cma_research.core.cohort import Cohort
from cma_research.datasets.synthetic import synthetic_growth
from cma_research.stats.ordinal import fit_polr
from tests.analysis.results import results_models as RM
from tests.analysis.results import results_models as RO


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Staff and the 16 x 10 level matrix (NaN = blank), with the csv module only."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))[1:]
    staff = np.array([float(r[0]) for r in rows])
    levels = np.array([[float(v) if v.strip() else np.nan for v in r[2:12]] for r in rows])
    return staff, levels


def ols_hc3_by_hand(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """OLS by lstsq and the HC3 sandwich written out.

    V = (X'X)^-1 X' diag(e_i^2 / (1 - h_i)^2) X (X'X)^-1, h_i the leverages.
    """
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    e = y - x @ beta
    bread = np.linalg.inv(x.T @ x)
    h = np.einsum("ij,jk,ik->i", x, bread, x)
    meat = x.T @ np.diag(e**2 / (1 - h) ** 2) @ x
    v = bread @ meat @ bread
    se = np.sqrt(np.diag(v))
    df = len(y) - x.shape[1]
    t = beta / se
    q = stats.t.ppf(0.975, df)
    r2 = 1 - (e @ e) / ((y - y.mean()) @ (y - y.mean()))
    return {"beta": beta, "se": se, "t": t, "p": 2 * stats.t.sf(np.abs(t), df),
            "low": beta - q * se, "high": beta + q * se, "df": df, "r2": r2}  # fmt: skip


def test_size_model_equals_hand_ols_hc3(cohort: Cohort, bundled_path: Path) -> None:
    staff, levels = read_csv(bundled_path)
    keep = ~np.isnan(levels).any(axis=1)
    x = np.column_stack([np.ones(keep.sum()), np.log(staff[keep])])
    ref = ols_hc3_by_hand(x, levels[keep].mean(axis=1))
    fit = fit_size_model(cohort)
    assert fit["term"].tolist() == ["Intercept", "log_staff"]
    assert (fit["n"] == 12).all() and (fit["df_resid"] == 10).all()
    np.testing.assert_allclose(fit["estimate"], ref["beta"], rtol=1e-10)
    np.testing.assert_allclose(fit["std_error"], ref["se"], rtol=1e-10)
    np.testing.assert_allclose(fit["t"], ref["t"], rtol=1e-10)
    # t-based p-values on 10 df, not normal ones
    np.testing.assert_allclose(fit["p_val"], ref["p"], rtol=1e-10)
    assert not np.allclose(fit["p_val"], 2 * stats.norm.sf(np.abs(ref["t"])), rtol=1e-3)
    np.testing.assert_allclose(fit["ci95_low"], ref["low"], rtol=1e-10)
    np.testing.assert_allclose(fit["ci95_high"], ref["high"], rtol=1e-10)
    np.testing.assert_allclose(fit["r2"], ref["r2"], rtol=1e-10)
    assert (fit["cov_type"] == "HC3, t-based").all()


def test_size_model_other_score_strategy_and_covariates(
    cohort: Cohort, bundled_path: Path, tmp_path: Path
) -> None:
    staff, levels = read_csv(bundled_path)
    # available case, score = stage_3: 15 businesses assessed on stage 3, on staff (not log)
    ok = ~np.isnan(levels[:, 2])
    ref = ols_hc3_by_hand(np.column_stack([np.ones(ok.sum()), staff[ok]]), levels[ok, 2])
    fit = fit_size_model(cohort, score="stage_3", covariates=["staff"], strategy="available_case")
    assert (fit["n"] == 15).all()
    np.testing.assert_allclose(fit["estimate"], ref["beta"], rtol=1e-10)
    np.testing.assert_allclose(fit["std_error"], ref["se"], rtol=1e-10)
    np.testing.assert_allclose(fit["p_val"], ref["p"], rtol=1e-10)
    # two covariates: log staff and a SYNTHETIC growth column, 12 complete cases, 9 df
    growth = synthetic_growth(cohort, seed=4)
    path = tmp_path / "synthetic_growth.csv"
    growth.to_csv(path, index=False)
    with_growth = load_covariates(path, cohort)
    g = growth["synthetic_turnover_growth_pct"].to_numpy()
    keep = ~np.isnan(levels).any(axis=1)
    x = np.column_stack([np.ones(keep.sum()), np.log(staff[keep]), g[keep]])
    ref = ols_hc3_by_hand(x, levels[keep].mean(axis=1))
    fit = fit_size_model(with_growth, covariates=["log_staff", "synthetic_turnover_growth_pct"])
    assert fit["term"].tolist() == ["Intercept", "log_staff", "synthetic_turnover_growth_pct"]
    assert (fit["df_resid"] == 9).all()
    np.testing.assert_allclose(fit["estimate"], ref["beta"], rtol=1e-10)
    np.testing.assert_allclose(fit["std_error"], ref["se"], rtol=1e-10)
    np.testing.assert_allclose(fit["p_val"], ref["p"], rtol=1e-10)


def test_size_model_errors(cohort: Cohort) -> None:
    with pytest.raises(ParameterError, match="score='average'"):
        fit_size_model(cohort, score="average")
    with pytest.raises(ParameterError, match="covariates is empty"):
        fit_size_model(cohort, covariates=[])
    with pytest.raises(ParameterError, match="covariate='growth' is not a numeric attribute"):
        fit_size_model(cohort, covariates=["growth"])
    few = cohort.subset([True] * 5 + [False] * 11)  # complete: B02, B03 only
    with pytest.raises(ParameterError, match=r"needs at least 4 businesses.*2 have them"):
        fit_size_model(few)
    with pytest.raises(ParameterError, match="fit_ordinal_model does not pool them"):
        fit_ordinal_model(cohort, strategy="multiple")


def test_size_model_pools_multiple_imputations(cohort: Cohort) -> None:
    """statsmodels' OLS with HC3 on each imputed cohort, pooled with Rubin's rules by hand.

    Estimate: the mean; within variance: the mean squared HC3 SE; complete-data df the
    residual df 16 - 2 = 14; t, p and interval with the Barnard-Rubin df.
    """
    import statsmodels.api as sm

    m, seed = 3, 8
    res = fit_size_model(cohort, strategy="multiple", m=m, seed=seed)
    est, var = [], []
    for c in cma.clean(cohort, "multiple", m=m, seed=seed).cohorts:
        y = c.scores.to_numpy(dtype=float).mean(axis=1)
        x = sm.add_constant(np.log(c.attributes["staff"].to_numpy(dtype=float)))
        fit = sm.OLS(y, x).fit(cov_type="HC3")
        est.append(fit.params)
        var.append(fit.bse**2)
    for i in range(2):
        pooled = cma.pool_rubin([e[i] for e in est], [v[i] for v in var], 14)
        row = res.iloc[i]
        np.testing.assert_allclose(row["estimate"], pooled.estimate, rtol=1e-10)
        np.testing.assert_allclose(row["std_error"], np.sqrt(pooled.variance), rtol=1e-10)
        np.testing.assert_allclose(row["p_val"], pooled.p_value(), rtol=1e-10)
        np.testing.assert_allclose(
            [row["ci95_low"], row["ci95_high"]], pooled.interval(), rtol=1e-10
        )
        np.testing.assert_allclose(row["df_resid"], pooled.df, rtol=1e-12)
    assert (
        (res["m"] == m).all() and (res["n"] == 16).all() and (res["strategy"] == "multiple").all()
    )
    assert list(res.columns) == [
        "strategy", "term", "estimate", "std_error", "t", "df_resid", "p_val", "ci95_low",
        "ci95_high", "n", "r2", "cov_type", "score", "riv", "lambda_share", "fmi", "m", "note",
    ]  # fmt: skip


# -- proportional odds ------------------------------------------------------------------


def long_data(path: Path) -> tuple[pd.Series, pd.DataFrame, np.ndarray]:
    """Every assessed cell as one observation: level, log(staff) and the business index."""
    staff, levels = read_csv(path)
    b, s = np.nonzero(~np.isnan(levels))
    endog = pd.Series(pd.Categorical(levels[b, s].astype(int), categories=range(6), ordered=True))
    exog = pd.DataFrame({"log_staff": np.log(staff[b])})
    return endog, exog, b


def direct_fit(path: Path, cluster: bool) -> tuple[OrderedModel, Any]:
    endog, exog, groups = long_data(path)
    model = OrderedModel(endog, exog, distr="logit")
    kw = {"cov_type": "cluster", "cov_kwds": {"groups": groups}} if cluster else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return model, model.fit(method="bfgs", disp=False, maxiter=2000, **kw)


def test_ordinal_model_equals_polr(cohort: Cohort) -> None:
    fit = fit_ordinal_model(cohort)
    assert fit["kind"].tolist() == ["slope"] + ["threshold"] * 5
    assert fit["term"].tolist() == ["log_staff", "cut_0|1", "cut_1|2", "cut_2|3", "cut_3|4",
                                    "cut_4|5"]  # fmt: skip
    assert (fit["n_obs"] == 137).all() and (fit["n_businesses"] == 16).all()
    # R: polr(level ~ log(staff), reltol = 1e-15): estimates to 1e-6 (R's own tolerance)
    np.testing.assert_allclose(fit["estimate"].iloc[0], RO.t4_coef_tight, rtol=1e-6)
    np.testing.assert_allclose(fit["estimate"].iloc[1:], RO.t4_zeta_tight, rtol=1e-6)
    # every threshold has a cluster-robust SE: sandwich::vcovCL(type = "HC1")
    np.testing.assert_allclose(fit["std_error"], RO.t4_vcovCL_hc1_se, rtol=1e-5)
    assert fit["std_error"].notna().all()
    # t on G - 1 = 15 df: lmtest::coeftest(fit, vcov = vcovCL(..., type = "HC1"), df = 15)
    est, se, t, p = RM.t4_coeftest_hc1
    slope = fit.iloc[0]
    np.testing.assert_allclose([slope["estimate"], slope["std_error"]], [est, se], rtol=1e-6)
    np.testing.assert_allclose([slope["statistic"], slope["p_val"]], [t, p], rtol=1e-5)
    assert (fit["df"] == 15).all()
    assert (fit["p_method"] == "t with G - 1 = 15 df (G = 16 businesses)").all()
    assert (fit["cov_type"] == "cluster-robust by business (HC1)").all()
    q = stats.t.ppf(0.975, 15)
    np.testing.assert_allclose(fit["ci95_low"], fit["estimate"] - q * fit["std_error"], rtol=1e-12)
    # and the default-type (HC0 with G/(G - 1)) covariance equals R's vcovCL default
    y, x, groups = long_data_codes(cohort)
    v0 = fit_polr(y, x).vcov_cluster(groups, hc1=False)
    np.testing.assert_allclose(np.sqrt(np.diag(v0)), RO.t4_vcovCL_default_se, rtol=1e-5)
    se0 = np.sqrt(v0[0, 0])
    # R: coeftest(fit, vcov = vcovCL(fit, cluster = ~business_id), df = G - 1)
    np.testing.assert_allclose(
        2 * stats.t.sf(slope["estimate"] / se0, 15), RO.t4_coeftest_cl["p_value"], rtol=1e-5
    )
    assert slope["estimate"] > 0  # bigger businesses sit at higher levels


def long_data_codes(cohort: Cohort) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Table 4 long form from the R reference file: codes, log(staff), business."""
    staff = dict(zip(RO.t4_business_id, RO.t4_staff, strict=True))
    bid = np.array(RO.long_business_id)
    x = np.log([float(staff[b]) for b in bid])[:, None]
    return RO.long_level, x, bid


def test_ordinal_cluster_covariance_by_hand(cohort: Cohort, bundled_path: Path) -> None:
    """Cluster sandwich: G/(G-1) (N-1)/(N-K) H^-1 (sum_g s_g s_g') H^-1.

    s_g: the business's summed score vectors, H: the Hessian of the log-likelihood, both
    from statsmodels (numerical derivatives) in its own parametrisation (first threshold,
    then log increments), where the slope's variance is the same; G = 16 businesses,
    N = 137 observations, K = 6 parameters.
    """
    model, ref = direct_fit(bundled_path, cluster=False)
    _, groups = long_data(bundled_path)[1:]
    params = ref.params.to_numpy()
    scores = model.score_obs(params)
    sums = np.array([scores[groups == g].sum(axis=0) for g in range(16)])
    bread = np.linalg.inv(-model.hessian(params))
    v = 16 / 15 * (136 / (137 - 6)) * bread @ (sums.T @ sums) @ bread
    fit = fit_ordinal_model(cohort)
    np.testing.assert_allclose(fit["std_error"].iloc[0], np.sqrt(v[0, 0]), rtol=1e-4)
    np.testing.assert_allclose(fit["std_error"].iloc[1], np.sqrt(v[1, 1]), rtol=1e-4)


def test_naive_and_cluster_standard_errors_differ(cohort: Cohort) -> None:
    naive = fit_ordinal_model(cohort, cluster=False)
    clustered = fit_ordinal_model(cohort)
    np.testing.assert_allclose(naive["estimate"], clustered["estimate"], rtol=1e-12)
    # R: coeftest(polr(...), df = Inf) with polr's vcov
    est, se, z, p = RM.t4_coeftest_naive_z
    row = naive.iloc[0]
    np.testing.assert_allclose(
        [row["estimate"], row["std_error"], row["statistic"]], [est, se, z], rtol=1e-6
    )
    np.testing.assert_allclose(row["p_val"], p, rtol=1e-5)
    np.testing.assert_allclose(naive["std_error"], RO.t4_se_naive, rtol=1e-5)
    assert naive["cov_type"].iloc[0] == "naive (inverse Hessian)"
    assert np.isinf(row["df"]) and row["p_method"] == "normal (z)"
    # 10 stages of one business are not independent: the two SEs must differ materially
    ratio = clustered["std_error"].iloc[0] / naive["std_error"].iloc[0]
    assert abs(ratio - 1) > 0.1
    q = stats.norm.ppf(0.975)
    np.testing.assert_allclose(
        [row["ci95_low"], row["ci95_high"]],
        [row["estimate"] - q * row["std_error"], row["estimate"] + q * row["std_error"]],
        rtol=1e-12,
    )


def test_ordinal_model_strategies_and_errors(cohort: Cohort) -> None:
    cc = fit_ordinal_model(cohort, strategy="complete_case", cluster=False)
    assert cc["n_obs"].iloc[0] == 120 and cc["n_businesses"].iloc[0] == 12
    filled = fit_ordinal_model(cohort, strategy="stage_median", cluster=False)
    assert filled["n_obs"].iloc[0] == 160
    scores = cohort.scores.copy()
    scores[:] = 2
    scores.iloc[0, 0] = 3
    with pytest.raises(ParameterError, match=r"at least 3 observed levels.*found levels \[2, 3\]"):
        fit_ordinal_model(replace(cohort, scores=scores.astype("Int64")))


# -- against R (tests/analysis/results/results_models.py) --------------------------------
# lm + sandwich HC3 and MASS::polr, tests/analysis/results/make_results.R.

from tests.analysis.results import results_models as R  # noqa: E402

R_CLOSED_FORM = {"rtol": 1e-10, "atol": 1e-12}  # same formula, floating-point noise only


@pytest.mark.parametrize(
    ("key", "strategy"), [("mean_cc", "complete_case"), ("mean_ac", "available_case")]
)
def test_ols_hc3_matches_sandwich_and_coeftest(cohort: Cohort, key: str, strategy: str) -> None:
    # R: lmtest::coeftest(lm(mean ~ log(staff)), vcov = sandwich::vcovHC(fit, type = "HC3"))
    ref = {
        name: getattr(R, f"ols_{key}_{name}")
        for name in ("n", "df_residual", "coef", "se_hc3", "t_hc3", "p_hc3", "r_squared")
    }
    fit = fit_size_model(cohort, strategy=strategy)
    assert fit["n"].iloc[0] == ref["n"] and fit["df_resid"].iloc[0] == ref["df_residual"]
    np.testing.assert_allclose(fit["estimate"], ref["coef"], **R_CLOSED_FORM)
    np.testing.assert_allclose(fit["std_error"], ref["se_hc3"], **R_CLOSED_FORM)
    np.testing.assert_allclose(fit["t"], ref["t_hc3"], **R_CLOSED_FORM)
    np.testing.assert_allclose(fit["p_val"], ref["p_hc3"], **R_CLOSED_FORM)  # t-based, as R
    np.testing.assert_allclose(fit["r2"].iloc[0], ref["r_squared"], **R_CLOSED_FORM)


def test_ordinal_model_matches_polr_wave1(cohort: Cohort) -> None:
    # R: MASS::polr(factor(level) ~ log_staff) with sandwich::vcovCL(cluster = ~business,
    # type = "HC1"); compared with R's Newton-polished optimum (max |gradient| 2.5e-14),
    # since both optimisers stop around 1e-6 of it.
    robust = fit_ordinal_model(cohort)
    slope = robust.iloc[0]
    assert slope["n_obs"] == R.polr_n and slope["n_businesses"] == R.polr_n_clusters
    np.testing.assert_allclose(slope["estimate"], R.polr_newton_beta_log_staff, rtol=1e-5)
    cuts = robust[robust["kind"] == "threshold"]
    assert cuts["term"].tolist() == [f"cut_{z}" for z in R.polr_zeta_names]
    np.testing.assert_allclose(cuts["estimate"], R.polr_newton_zeta, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(slope["std_error"], R.polr_newton_cluster_HC1_se[0], rtol=1e-4)
    naive = fit_ordinal_model(cohort, cluster=False).iloc[0]
    np.testing.assert_allclose(naive["std_error"], R.polr_newton_se_naive[0], rtol=1e-4)


# -- primary estimand, Brant, CR2 (issue 25) ------------------------------------------------


def test_brant_test_matches_r() -> None:
    from cma_research.analysis.models import proportional_odds_test
    from tests.analysis.results import results_model_checks as MC

    res = proportional_odds_test(cma.datasets.customer_wise_2007())
    row = res.iloc[0]
    assert row["term"] == "omnibus" and row["df"] == MC.brant_df and row["n_obs"] == 137
    # R: glm fits (IRLS to 1e-8) and Brant's covariance coded from the paper
    np.testing.assert_allclose(row["statistic"], MC.brant_statistic, rtol=1e-6)
    np.testing.assert_allclose(row["p_val"], MC.brant_p, rtol=1e-6)


def test_cell_model_is_clubsandwich_cr2() -> None:
    from cma_research.analysis.models import fit_cell_model
    from tests.analysis.results import results_models as RM

    fit = fit_cell_model(cma.datasets.customer_wise_2007())
    ref = RM.t4_lm_cr2_satterthwaite
    np.testing.assert_allclose(fit["estimate"], ref["beta"], rtol=1e-12)
    np.testing.assert_allclose(fit["df_resid"], ref["df"], rtol=1e-8)
    assert (fit["n"] == 137).all() and (fit["n_businesses"] == 16).all()


def test_estimands_and_their_paragraph() -> None:
    from cma_research.analysis.models import estimands
    from cma_research.reporting.findings import estimands_paragraph

    cohort = cma.datasets.customer_wise_2007()
    res = estimands(cohort, "ols_slope")
    assert res["estimand"].tolist()[0] == "ols_slope"
    assert res["role"].tolist() == ["primary", "exploratory", "exploratory"]
    # the OLS row is fit_size_model with CR2; the correlation row is correlate's
    ols = cma.fit_size_model(cohort, cov_type="CR2").iloc[1]
    assert res.loc[0, "estimate"] == ols["estimate"] and res.loc[0, "p_val"] == ols["p_val"]
    cor = cma.correlate(cohort, n_perm=0).iloc[0]
    row = res[res["estimand"] == "size_correlation"].iloc[0]
    assert row["estimate"] == cor["r"] and row["ci95_low"] == cor["ci95_low"]
    text = estimands_paragraph(res)
    assert text.startswith("Primary estimand (declared in the parameters): the OLS slope")
    # Table 4: the ordinal model (120 cells of the 12 complete cases) excludes 0, the
    # primary does not: the paragraph reconciles them
    assert "proportional-odds log odds ratio per log(staff) disagrees with the primary" in text
    # altered data: staff ordered by the mean level -> every model agrees, no reconciling
    staff = cohort.attributes["staff"].to_numpy(float)
    means = cma.business_scores(cohort)["mean"].to_numpy(float)
    attrs = cohort.attributes.copy()
    attrs["staff"] = pd.array(np.sort(staff)[np.argsort(np.argsort(means))].astype(int),
                              dtype="Int64")  # fmt: skip
    agreed = estimands_paragraph(estimands(replace(cohort, attributes=attrs)))
    assert "disagrees" not in agreed and ": positive." in agreed
    with pytest.raises(cma.ParameterError, match="primary"):
        estimands(cohort, "anova")


def test_ordinal_mixed_model_matches_clmm() -> None:
    from cma_research.analysis.models import fit_ordinal_mixed_model
    from tests.analysis.results import results_clmm as C

    fit = fit_ordinal_mixed_model(cma.datasets.customer_wise_2007())
    slopes = fit[fit["kind"].isin(["slope", "stage"])]
    assert slopes["term"].tolist() == ["log_staff", *[f"stage_{k}" for k in range(2, 11)]]
    # clmm (adaptive GH, 10 nodes) vs 40 fixed Gauss-Hermite nodes: ~1e-4
    np.testing.assert_allclose(slopes["estimate"], C.beta, atol=5e-4)
    np.testing.assert_allclose(fit.loc[fit["kind"] == "threshold", "estimate"], C.zeta, atol=5e-4)
    sd = fit[fit["kind"] == "random"].iloc[0]
    np.testing.assert_allclose(sd["estimate"], C.sd_business, atol=1e-3)
    np.testing.assert_allclose(fit["loglik"].iloc[0], C.loglik, atol=1e-3)
    # clmm orders its SEs thresholds first
    k = len(C.zeta)
    np.testing.assert_allclose(slopes["std_error"], C.se[k:], rtol=2e-3)
    np.testing.assert_allclose(slopes["p_val"], C.p_value[k:], atol=2e-3)
    assert bool(fit["converged"].iloc[0]) and (fit["n_obs"] == 137).all()


def test_brant_test_of_one_business_says_why(cohort: Cohort) -> None:
    # 03_size_and_growth on a one-row returns file: log(staff) is the same on every stage
    # row, a copy of the intercept; numpy raised "Singular matrix" from the logistic fit
    from cma_research.analysis.models import proportional_odds_test

    one = cohort.subset(cohort.scores.index.get_level_values("business_id") == "B02")
    with pytest.raises(ParameterError, match="covariates that vary between the observations"):
        proportional_odds_test(one, strategy="available_case")

"""The side-by-side sensitivity table: each block is the analysis called for that strategy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cma_research as cma
from cma_research import (
    ParameterError,
    clean,
    correlate,
    cronbach_alpha,
    fit_size_model,
    pool_rubin,
    sensitivity,
)
from cma_research.core.cohort import Cohort
from cma_research.reporting import findings

DEFAULT_ORDER = [
    "complete_case",
    "available_case",
    "stage_median",
    "business_mean",
    "multiple",
    "blank_as_zero",
]


def test_one_block_per_strategy_in_order(cohort: Cohort) -> None:
    kw = {"n_boot": 100, "n_perm": 200}
    res = sensitivity(cohort, "correlate", m=3, seed=2, **kw)
    # business_mean gives available_case's numbers for this statistic: shown once
    shown = [s for s in DEFAULT_ORDER if s != "business_mean"]
    assert res["strategy"].tolist() == shown
    assert res.columns[0] == "strategy" and list(res.columns[-3:]) == [
        "identical_strategies", "m", "note"
    ]  # fmt: skip
    assert res["m"].tolist() == [1, 1, 1, 3, 1]
    # each block is exactly the direct call with the same seed (and m for multiple)
    for s in shown:
        direct = correlate(cohort, strategy=s, seed=2, m=3, **kw)
        got = res[res["strategy"] == s].drop(columns="identical_strategies")
        got = got.dropna(axis=1, how="all").reset_index(drop=True)
        pd.testing.assert_frame_equal(
            got, direct.dropna(axis=1, how="all"), check_dtype=False, check_index_type=False
        )
    with_k = sensitivity(cohort, "cronbach_alpha", m=2, seed=1, min_stages=10)
    # min_stages = 10 keeps exactly the complete cases: the same alpha, shown once
    assert with_k["strategy"].tolist() == DEFAULT_ORDER
    assert with_k["identical_strategies"].tolist()[0] == "min_stages"
    chosen = sensitivity(cohort, "fit_size_model", ["business_mean", "complete_case"])
    assert chosen["strategy"].tolist() == ["business_mean"] * 2 + ["complete_case"] * 2


@pytest.mark.parametrize("method", ["spearman", "pearson"])
def test_multiple_pools_fisher_z(cohort: Cohort, method: str) -> None:
    m, seed = 4, 5
    res = sensitivity(
        cohort, "correlate", ["multiple"], m=m, seed=seed, method=method, score=["mean", "max"]
    )
    imputations = clean(cohort, "multiple", m=m, seed=seed).cohorts
    per = [correlate(c, "staff", ["mean", "max"], method, "available_case", n_boot=0, n_perm=0)
           for c in imputations]  # fmt: skip
    r = np.array([f["r"].to_numpy() for f in per])  # (m, rows)
    n = 16
    np.testing.assert_allclose(res["r"], np.tanh(np.arctanh(r).mean(axis=0)), rtol=1e-12)
    # Rubin's rules on z = atanh(r), within variance the method's SE^2 at each r_j
    # (Pearson 1/(n-3); Spearman (1 + r^2/2)/(n-3)), complete-data df n - 3 = 13
    for i in range(2):
        u = (1 + r[:, i] ** 2 / 2) / (n - 3) if method == "spearman" else np.full(m, 1 / (n - 3))
        pooled = pool_rubin(np.arctanh(r[:, i]), u, n - 3)
        row = res.iloc[i]
        np.testing.assert_allclose(row["p_val"], pooled.p_value(), rtol=1e-10)
        np.testing.assert_allclose(
            [row["ci95_low"], row["ci95_high"]], np.tanh(pooled.interval()), rtol=1e-10
        )
        np.testing.assert_allclose(
            [row["df"], row["riv"], row["lambda_share"], row["fmi"]],
            [pooled.df, pooled.riv, pooled.lambda_share, pooled.fmi],
            rtol=1e-10,
        )
    assert (res["ci_method"] == "Rubin's rules on Fisher z").all()
    assert res["p_perm"].isna().all()
    # the adjustment follows the pooled p-values (Holm over the two rows by hand)
    p = res["p_val"].to_numpy()
    holm = np.minimum(1, np.maximum.accumulate(np.sort(p) * [2, 1]))[np.argsort(np.argsort(p))]
    np.testing.assert_allclose(res["p_adj"], holm, rtol=1e-12)
    assert (res["p_adj_method"] == "holm on p_val").all()


def test_multiple_pools_ols_and_alpha(cohort: Cohort) -> None:
    m, seed = 3, 8
    imputations = clean(cohort, "multiple", m=m, seed=seed).cohorts
    ols = sensitivity(cohort, "fit_size_model", ["multiple"], m=m, seed=seed)
    fits = [fit_size_model(c, strategy="available_case") for c in imputations]
    est = np.array([f["estimate"].to_numpy() for f in fits])
    se = np.array([f["std_error"].to_numpy() for f in fits])
    np.testing.assert_allclose(ols["estimate"], est.mean(axis=0), rtol=1e-12)
    for i in range(2):
        pooled = pool_rubin(est[:, i], se[:, i] ** 2, 14)  # 16 businesses - 2 parameters
        np.testing.assert_allclose(ols["std_error"].iloc[i], np.sqrt(pooled.variance), rtol=1e-12)
        np.testing.assert_allclose(ols["p_val"].iloc[i], pooled.p_value(), rtol=1e-10)
    alpha = sensitivity(cohort, "cronbach_alpha", ["multiple"], m=m, seed=seed)
    alphas = np.array([cronbach_alpha(c, strategy="available_case")["alpha"].iloc[0]
                       for c in imputations])  # fmt: skip
    # pooled on ln(1 - alpha): 1 - exp(mean ln(1 - alpha_j))
    np.testing.assert_allclose(
        alpha["alpha"].iloc[0], 1 - np.exp(np.log1p(-alphas).mean()), rtol=1e-12
    )


def test_strategy_that_cannot_apply_gives_a_note(cohort: Cohort) -> None:
    res = sensitivity(cohort, "cronbach_alpha", ["complete_case", "available_case"])
    assert res["note"].iloc[0] == ""
    note = res["note"].iloc[1]
    assert note.startswith("not applicable: cronbach_alpha needs complete data")
    assert "23 blank cells" in note
    assert np.isnan(res["alpha"].iloc[1])
    # a correlation on too few businesses is a note as well, not a crash
    few = cohort.subset([True] * 4 + [False] * 12)  # complete cases B02, B03
    out = sensitivity(few, "correlate", ["complete_case", "available_case"], n_boot=0, n_perm=0)
    assert out["note"].iloc[0].startswith("not applicable: correlating mean with staff")
    assert out["n"].iloc[1] == 4 and out["note"].iloc[1] == ""


def test_bad_arguments(cohort: Cohort) -> None:
    with pytest.raises(ParameterError, match=r"analysis='anova'.*'correlate', 'cronbach_alpha'"):
        sensitivity(cohort, "anova")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="strategy='listwise'"):
        sensitivity(cohort, "correlate", ["listwise"])  # type: ignore[list-item]


def test_multiple_counts_rank_equivalent_covariates_once(cohort: Cohort) -> None:
    res = sensitivity(cohort, "correlate", ["multiple"], m=3, seed=4,
                      covariate=["staff", "log_staff"], score=["mean", "max"])  # fmt: skip
    staff = res[res["covariate"] == "staff"]
    logs = res[res["covariate"] == "log_staff"]
    np.testing.assert_allclose(staff["r"], logs["r"], rtol=1e-12)
    np.testing.assert_allclose(staff["p_val"], logs["p_val"], rtol=1e-12)
    # Holm over the 2 distinct pooled tests (by hand), shared by the duplicate rows
    p = staff["p_val"].to_numpy()
    holm = np.minimum(1, np.maximum.accumulate(np.sort(p) * [2, 1]))[np.argsort(np.argsort(p))]
    np.testing.assert_allclose(staff["p_adj"], holm, rtol=1e-12)
    np.testing.assert_allclose(logs["p_adj"], holm, rtol=1e-12)
    assert (staff["p_adj_method"] == "holm on p_val over 2 distinct tests").all()
    assert logs["p_adj_method"].str.contains("the same test as mean with staff").iloc[0]


def test_alpha_interval_at_the_level_asked_for(cohort: Cohort) -> None:
    m, seed = 3, 8
    res = sensitivity(cohort, "cronbach_alpha", ["complete_case", "multiple"], m=m, seed=seed,
                      confidence=0.8)  # fmt: skip
    assert {"ci80_low", "ci80_high"} <= set(res.columns) and "ci95_low" not in res.columns
    # multiple: Rubin's rules on ln(1 - alpha) with the 80% t quantile (Bonett 2002 variance)
    imputations = clean(cohort, "multiple", m=m, seed=seed).cohorts
    alphas = np.array([cronbach_alpha(c, strategy="available_case")["alpha"].iloc[0]
                       for c in imputations])  # fmt: skip
    n, k = 16, 10
    pooled = pool_rubin(np.log1p(-alphas), [2 * k / ((k - 1) * (n - 2))] * m, n - 1)
    low, high = pooled.interval(0.8)
    row = res[res["strategy"] == "multiple"].iloc[0]
    np.testing.assert_allclose(
        [row["ci80_low"], row["ci80_high"]], [1 - np.exp(high), 1 - np.exp(low)], rtol=1e-12
    )


# -- blank = lowest level, identical strategies, tipping points (issue 25) ---------------


def test_blank_as_zero_fills_the_lowest_level() -> None:
    cohort = cma.datasets.customer_wise_2007()
    cleaned = cma.clean(cohort, "blank_as_zero")
    filled = cleaned.cohort.scores.to_numpy(float)
    raw = cohort.scores.to_numpy(float, na_value=np.nan)
    blank = np.isnan(raw)
    assert (filled[blank] == 0).all() and (filled[~blank] == raw[~blank]).all()
    assert cleaned.report.cells_filled == 23 and "worst-case" in cleaned.report.assumption
    # the pooled share below level 1: (21 + 23) / 160 by hand (the issue: 15.3% -> 27.5%)
    row = cma.level_distribution(cohort, strategy="blank_as_zero").iloc[-1]
    assert row["share_below_1"] == 44 / 160 and row["n_assessed"] == 160


def test_identical_strategies_are_shown_once() -> None:
    cohort = cma.datasets.customer_wise_2007()
    res = cma.sensitivity(cohort, "correlate", m=2, seed=1, n_perm=0)
    # business_mean fills a blank with the business's own (rounded) mean: two mean
    # levels change order only where the businesses' staff numbers tie, so Spearman's
    # rho, its interval and its asymptotic p are the same numbers
    assert "business_mean" not in res["strategy"].tolist()
    row = res[res["strategy"] == "available_case"].iloc[0]
    assert row["identical_strategies"] == "business_mean"
    alone = cma.correlate(cohort, "staff", "mean", strategy="business_mean", n_perm=0).iloc[0]
    assert alone["r"] == row["r"] and alone["ci95_low"] == row["ci95_low"]
    # not identical for OLS (the mean level itself changes): both rows stay
    ols = cma.sensitivity(cohort, "fit_size_model", m=2, seed=1)
    assert {"available_case", "business_mean"} <= set(ols["strategy"])
    assert (ols["identical_strategies"] == "").all()
    text = findings.sensitivity_paragraph(res)
    assert (
        "counted once: business-mean imputation gives exactly the result of available cases" in text
    )
    assert text.startswith("Across five distinct strategies")


def test_tipping_point_brackets_multiple_and_blank_as_zero() -> None:
    from cma_research.analysis.sensitivity import tipping_point

    cohort = cma.datasets.customer_wise_2007()
    tips = tipping_point(cohort, m=5, seed=1)
    assert tips["delta"].tolist() == [0, 1, 2, 3, 4, 5] and (tips["n_blanks"] == 23).all()
    pooled = cma.correlate(cohort, "staff", "mean", strategy="multiple", m=5, seed=1).iloc[0]
    # delta 0 is strategy multiple itself
    np.testing.assert_allclose(tips.loc[0, "r"], pooled["r"], rtol=1e-12)
    np.testing.assert_allclose(tips.loc[0, "ci95_low"], pooled["ci95_low"], rtol=1e-12)
    # at delta 5 (the range of levels) every blank is at level 0: blank_as_zero's rho
    zero = cma.correlate(cohort, "staff", "mean", strategy="blank_as_zero", n_perm=0).iloc[0]
    np.testing.assert_allclose(tips.loc[5, "r"], zero["r"], rtol=1e-12)
    assert tips.loc[5, "blanks_at_lowest"] == 23
    assert tips["blanks_at_lowest"].is_monotonic_increasing
    assert not tips["flipped"].any() and np.isnan(tips.loc[0, "tipping_delta"])
    text = findings.tipping_point_sentence(tips)
    assert "stays so even with the blanks 5 levels below" in text
    assert "(all 23 blanks at the lowest level)" in text  # not "at most 23.0 of the 23"
    fewer = tips[tips["delta"] <= 2]  # at delta 2 only some blanks reach the lowest level
    most = fewer["blanks_at_lowest"].max()
    assert 0 < most < 23
    assert f"on average {most:.1f} of the 23 blanks" in findings.tipping_point_sentence(fewer)


def test_tipping_point_flips_on_altered_data(tmp_path) -> None:
    # SYNTHETIC: 60 businesses whose stage levels rise with staff; the large businesses
    # have blanks. Imputed at random the correlation is positive; if their blanks were
    # absences (lowest level) it would fall: the verdict flips at some delta.
    import pandas as pd

    from cma_research.analysis.sensitivity import tipping_point

    rng = np.random.default_rng(3)
    n = 60
    staff = np.sort(rng.integers(1, 200, n))
    base = np.clip(np.round(np.log(staff) * 0.9 + rng.normal(0, 0.3, n)), 0, 5).astype(int)
    frame = pd.DataFrame({"Staff No": staff, "Type": "shop"})
    for s in range(1, 11):
        frame[str(s)] = pd.array(np.clip(base + rng.integers(-1, 2, n), 0, 5), dtype="Int64")
    for s in range(4, 11):
        frame.loc[n - 12 :, str(s)] = pd.NA
    path = tmp_path / "synthetic_tipping.csv"
    frame.to_csv(path, index=False)
    tips = tipping_point(cma.load_returns(path), m=5, seed=2)
    assert tips.loc[0, "verdict"] == 1 and tips["flipped"].any()
    first = int(tips["tipping_delta"].iloc[0])
    assert tips.loc[tips["delta"] < first, "verdict"].eq(1).all()
    text = findings.tipping_point_sentence(tips)
    assert text.startswith("Under multiple imputation the verdict is positive; it becomes")
    assert f"{first} level" in text

"""Reliability: Cronbach's alpha, item statistics, ordinal alpha, omega and the summary.

Alpha and its Feldt interval against independent formulas and psych::alpha; omega (total
and hierarchical) and ordinal alpha against psych::omega / psych::alpha of the polychoric
matrix; the summary table row by row against the same values.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import cma_research as cma
from cma_research import ParameterError, cronbach_alpha, item_statistics
from cma_research.analysis.prepare import ci_columns
from cma_research.analysis.reliability import omega, ordinal_alpha
from cma_research.core.cohort import Cohort
from cma_research.stats.factor import SchmidLeiman, omega_from_correlation, schmid_leiman
from cma_research.stats.polychoric import polychoric_matrix, smooth_correlation
from tests.analysis.results import results_reliability as RA
from tests.stats.results import results_polychoric as rp
from tests.stats.results import results_reliability as rr
from tests.stats.results import results_schmid as rs

R = np.corrcoef(rr.x.astype(float), rowvar=False)


# -- Cronbach's alpha and item statistics ---------------------------------------------------


def complete_matrix(path: Path) -> np.ndarray:
    """The 12 x 10 level matrix of the complete cases, read with the csv module."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))[1:]
    return np.array([[float(v) for v in r[2:12]] for r in rows if all(v.strip() for v in r[2:12])])


def alpha_from_covariance(x: np.ndarray) -> float:
    """alpha = k/(k-1) (1 - trace(C) / sum(C)), C the item covariance matrix."""
    c = np.cov(x, rowvar=False)
    k = x.shape[1]
    return k / (k - 1) * (1 - np.trace(c) / c.sum())


def with_levels(cohort: Cohort, levels: np.ndarray) -> Cohort:
    """The first len(levels) businesses of the cohort with these stage levels."""
    sub = cohort.subset([True] * len(levels) + [False] * (len(cohort) - len(levels)))
    scores = pd.DataFrame(levels, index=sub.scores.index, columns=sub.stage_ids).astype("Int64")
    return replace(sub, scores=scores)


def test_alpha_equals_covariance_formula(cohort: Cohort, bundled_path: Path) -> None:
    x = complete_matrix(bundled_path)
    assert x.shape == (12, 10)
    row = cronbach_alpha(cohort).iloc[0]
    assert (row["n"], row["k"]) == (12, 10)
    np.testing.assert_allclose(row["alpha"], alpha_from_covariance(x), rtol=1e-12)
    # Feldt (1965): 1 - (1 - alpha) F with F on n - 1 = 11 and (n - 1)(k - 1) = 99 df;
    # R: qf(0.975, 11, 99) = 2.125857..., qf(0.025, 11, 99) = 0.338199...
    a = row["alpha"]
    np.testing.assert_allclose(
        [row["ci95_low"], row["ci95_high"]],
        [1 - (1 - a) * 2.125857095950091, 1 - (1 - a) * 0.33819928598480403],
        rtol=1e-12,
    )
    # standardised alpha from the mean of the 45 inter-stage correlations (scipy, one by one)
    rs = [stats.pearsonr(x[:, i], x[:, j]).statistic for i, j in combinations(range(10), 2)]
    r_bar = np.mean(rs)
    np.testing.assert_allclose(row["average_r"], r_bar, rtol=1e-12)
    np.testing.assert_allclose(row["std_alpha"], 10 * r_bar / (1 + 9 * r_bar), rtol=1e-12)
    assert row["strategy"] == "complete_case"


def test_alpha_hand_example(cohort: Cohort) -> None:
    """Four businesses; stages 1-5 all equal v = (0, 0, 2, 2), stages 6-10 w = (0, 2, 0, 2).

    var(v) = var(w) = 4/3 (ddof 1) and cov(v, w) = 0, so the item variances sum to
    10 * 4/3 and the total 5v + 5w has variance 25 * 4/3 + 25 * 4/3 = 50 * 4/3:
    alpha = 10/9 * (1 - 10/50) = 8/9. Correlations: 1 within a block (2 * 10 pairs),
    0 across (25 pairs): average r = 20/45 = 4/9; standardised alpha
    = 10 (4/9) / (1 + 9 (4/9)) = 8/9. Feldt with df 3 and 27: R qf(0.975, 3, 27) =
    3.647192, qf(0.025, 3, 27) = 0.070922 -> 1 - 3.647192/9 = 0.594756 and
    1 - 0.070922/9 = 0.992120.
    """
    v, w = [0, 0, 2, 2], [0, 2, 0, 2]
    levels = np.column_stack([v] * 5 + [w] * 5)
    row = cronbach_alpha(with_levels(cohort, levels)).iloc[0]
    np.testing.assert_allclose(row["alpha"], 8 / 9, rtol=1e-12)
    np.testing.assert_allclose(row["average_r"], 4 / 9, rtol=1e-12)
    np.testing.assert_allclose(row["std_alpha"], 8 / 9, rtol=1e-12)
    np.testing.assert_allclose([row["ci95_low"], row["ci95_high"]], [0.594756, 0.992120], atol=1e-6)
    assert (row["n"], row["k"]) == (4, 10)


def test_confidence_level(cohort: Cohort) -> None:
    row = cronbach_alpha(cohort, confidence=0.90).iloc[0]
    assert "ci95_low" not in row.index  # columns are named for the level asked for
    a = row["alpha"]
    hi_q, lo_q = stats.f.ppf(0.95, 11, 99), stats.f.ppf(0.05, 11, 99)
    np.testing.assert_allclose(
        [row["ci90_low"], row["ci90_high"]], [1 - (1 - a) * hi_q, 1 - (1 - a) * lo_q], rtol=1e-12
    )
    assert {"ci80_low", "ci80_high"} <= set(cronbach_alpha(cohort, confidence=0.8).columns)
    assert {"ci99_9_low", "ci99_9_high"} <= set(cronbach_alpha(cohort, confidence=0.999).columns)
    for bad in (0, 1, 1.5):
        with pytest.raises(ParameterError, match=f"confidence={bad!r} must be between 0 and 1"):
            cronbach_alpha(cohort, confidence=bad)


def test_item_statistics_by_brute_force(cohort: Cohort, bundled_path: Path) -> None:
    x = complete_matrix(bundled_path)
    items = item_statistics(cohort)
    assert items["stage"].tolist() == [f"stage_{i}" for i in range(1, 11)]
    assert (items["n"] == 12).all()
    for j, row in items.iterrows():
        rest = np.delete(x, j, axis=1).sum(axis=1)
        np.testing.assert_allclose(
            row["r_drop"], stats.pearsonr(x[:, j], rest).statistic, rtol=1e-12
        )
        np.testing.assert_allclose(
            row["alpha_if_deleted"], alpha_from_covariance(np.delete(x, j, axis=1)), rtol=1e-12
        )
        np.testing.assert_allclose(
            [row["mean"], row["sd"]], [x[:, j].mean(), x[:, j].std(ddof=1)], rtol=1e-12
        )


def test_item_statistics_hand_example(cohort: Cohort) -> None:
    # same blocks as test_alpha_hand_example: for a v-stage, the other stages sum to
    # 4v + 5w, whose correlation with v is 4 var(v) / sqrt(var(v) (16 + 25) var(v))
    # = 4 / sqrt(41); dropping it leaves 4 + 5 stages: sum of item variances 9 s,
    # total variance (16 + 25) s -> alpha = 9/8 (1 - 9/41) = 9/8 * 32/41 = 36/41
    levels = np.column_stack([[0, 0, 2, 2]] * 5 + [[0, 2, 0, 2]] * 5)
    items = item_statistics(with_levels(cohort, levels))
    np.testing.assert_allclose(items["r_drop"], 4 / np.sqrt(41), rtol=1e-12)
    np.testing.assert_allclose(items["alpha_if_deleted"], 36 / 41, rtol=1e-12)


def test_strategies(cohort: Cohort) -> None:
    for func in (cronbach_alpha, item_statistics):
        with pytest.raises(
            ParameterError,
            match="needs complete data, but strategy='available_case' leaves 23 blank cells",
        ):
            func(cohort, strategy="available_case")
        with pytest.raises(ParameterError, match="strategy='min_stages' leaves"):
            func(cohort, strategy="min_stages", min_stages=5)
    with pytest.raises(ParameterError, match="item_statistics does not pool them"):
        item_statistics(cohort, strategy="multiple")
    filled = cronbach_alpha(cohort, strategy="stage_median").iloc[0]
    assert filled["n"] == 16 and filled["strategy"] == "stage_median"
    # min_stages = 10 keeps only complete businesses: the same as complete_case
    pd.testing.assert_frame_equal(
        cronbach_alpha(cohort, strategy="min_stages", min_stages=10).drop(columns="strategy"),
        cronbach_alpha(cohort).drop(columns="strategy"),
    )
    # the layout the analyses that pool share: strategy first, m and note last
    assert list(cronbach_alpha(cohort).columns) == [
        "strategy", "n", "k", "alpha", "ci95_low", "ci95_high", "std_alpha", "average_r",
        "m", "note",
    ]  # fmt: skip


def test_multiple_pools_alpha_with_rubins_rules(cohort: Cohort) -> None:
    """alpha of each imputed cohort (by the covariance formula), pooled on ln(1 - alpha).

    Bonett (2002): var ln(1 - alpha) = 2k / ((k - 1)(n - 2)) = 20 / (9 * 14) with n = 16,
    k = 10; complete-data df n - 1 = 15; back-transformed interval [1 - e^hi, 1 - e^lo].
    """
    m, seed = 4, 6
    res = cronbach_alpha(cohort, strategy="multiple", m=m, seed=seed, confidence=0.9)
    assert res.columns[0] == "strategy" and list(res.columns[-2:]) == ["m", "note"]
    row = res.iloc[0]
    assert row["strategy"] == "multiple" and row["m"] == m and row["n"] == 16
    imputations = cma.clean(cohort, "multiple", m=m, seed=seed).cohorts
    alphas = np.array([alpha_from_covariance(c.scores.to_numpy(dtype=float)) for c in imputations])
    pooled = cma.pool_rubin(np.log1p(-alphas), [20 / (9 * 14)] * m, 15)
    low, high = pooled.interval(0.9)
    assert_allclose(row["alpha"], 1 - np.exp(np.log1p(-alphas).mean()), rtol=1e-12)
    assert_allclose([row["ci90_low"], row["ci90_high"]], [1 - np.exp(high), 1 - np.exp(low)])
    assert_allclose(
        [row["df"], row["riv"], row["lambda_share"], row["fmi"]],
        [pooled.df, pooled.riv, pooled.lambda_share, pooled.fmi],
        rtol=1e-12,
    )
    assert row["ci_method"] == "Rubin's rules on ln(1 - alpha) (Bonett 2002)"
    # the same rows as the sensitivity table's block for 'multiple'
    block = cma.sensitivity(cohort, "cronbach_alpha", ["multiple"], m=m, seed=seed, confidence=0.9)
    block = block.drop(columns="identical_strategies")
    pd.testing.assert_frame_equal(block, res)


def test_needs_three_complete_businesses(cohort: Cohort) -> None:
    few = cohort.subset([True] * 4 + [False] * 12)  # B01..B04: only B02, B03 complete
    with pytest.raises(ParameterError, match="needs at least 3 complete businesses; 2 remain"):
        cronbach_alpha(few)


def with_stages(cohort: Cohort, levels: np.ndarray) -> Cohort:
    """The first len(levels) businesses on only the first levels.shape[1] stages."""
    k = levels.shape[1]
    inst = replace(cohort.instrument, stages=cohort.instrument.stages[:k])
    sub = cohort.subset([True] * len(levels) + [False] * (len(cohort) - len(levels)))
    scores = pd.DataFrame(levels, index=sub.scores.index, columns=inst.stage_ids).astype("Int64")
    return replace(sub, scores=scores, instrument=inst)


def test_one_stage_is_refused(cohort: Cohort) -> None:
    one = with_stages(cohort, np.array([[0], [1], [2], [3]]))
    for func in (cronbach_alpha, item_statistics):
        with pytest.raises(ParameterError, match=r"needs at least 2 stages.*the cohort has 1"):
            func(one)


def test_two_stages(cohort: Cohort) -> None:
    # x = (0, 1, 2, 3), y = (1, 1, 3, 3): var 5/3 and 4/3, cov 4/3 (ddof 1); total
    # variance 5/3 + 4/3 + 8/3 = 17/3 -> alpha = 2 (1 - 3/(17/3)) = 2 (1 - 9/17) = 16/17
    x, y = [0, 1, 2, 3], [1, 1, 3, 3]
    two = with_stages(cohort, np.column_stack([x, y]))
    row = cronbach_alpha(two).iloc[0]
    np.testing.assert_allclose(row["alpha"], 16 / 17, rtol=1e-12)
    assert row["note"] == ""
    items = item_statistics(two)
    # alpha of one remaining stage does not exist: NaN with the reason, no ZeroDivisionError
    assert items["alpha_if_deleted"].isna().all()
    assert items["note"].str.contains("alpha_if_deleted undefined: one stage would remain").all()
    # r_drop is the correlation with the other stage
    np.testing.assert_allclose(items["r_drop"], stats.pearsonr(x, y).statistic, rtol=1e-12)


def test_average_r_at_its_minimum(cohort: Cohort) -> None:
    # two stages with r = -1 = -1/(k - 1): std_alpha = k r / (1 + (k - 1) r) is 0/0;
    # the total 3 - ... is constant too, so raw alpha is undefined as well
    two = with_stages(cohort, np.column_stack([[0, 1, 2, 3], [3, 2, 1, 0]]))
    row = cronbach_alpha(two).iloc[0]
    np.testing.assert_allclose(row["average_r"], -1.0, rtol=1e-12)
    assert np.isnan(row["std_alpha"]) and np.isnan(row["alpha"])
    assert "std_alpha undefined: average_r = -1/(k - 1)" in row["note"]
    assert "alpha undefined: the total score is the same" in row["note"]
    # three stages, pairwise r = -1/2 = -1/(k - 1): the cyclic shifts (2, 1, 0), (0, 2, 1),
    # (1, 0, 2) (var 1, cov -1/2); every business totals 3
    a = np.array([[2, 0, 1], [1, 2, 0], [0, 1, 2]])  # rows are businesses
    three = with_stages(cohort, a)
    row3 = cronbach_alpha(three).iloc[0]
    np.testing.assert_allclose(row3["average_r"], -0.5, rtol=1e-12)
    assert np.isnan(row3["std_alpha"])
    items = item_statistics(three)  # the others' total mirrors each stage: r_drop = -1
    np.testing.assert_allclose(items["r_drop"], -1.0, rtol=1e-12)


def test_constant_stage(cohort: Cohort) -> None:
    # stage 3 constant: its correlations do not exist; alpha itself is still defined:
    # items (0,1,2,3), (0,1,2,3), (2,2,2,2): item variances 5/3 + 5/3 + 0, total
    # 2 x + 2 has variance 4 * 5/3 -> alpha = 3/2 (1 - (10/3)/(20/3)) = 3/4
    x = [0, 1, 2, 3]
    levels = np.column_stack([x, x, [2, 2, 2, 2]])
    three = with_stages(cohort, levels)
    row = cronbach_alpha(three).iloc[0]
    np.testing.assert_allclose(row["alpha"], 0.75, rtol=1e-12)
    assert np.isnan(row["average_r"]) and np.isnan(row["std_alpha"])
    assert "constant" in row["note"] and "stage_3" in row["note"]
    items = item_statistics(three)
    assert np.isnan(items.loc[2, "r_drop"])
    assert items.loc[2, "note"] == "r_drop undefined: this stage is constant"
    # dropping stage 3 leaves two equal stages: alpha = 2 (1 - 2 s / 4 s) = 1
    np.testing.assert_allclose(items.loc[2, "alpha_if_deleted"], 1.0, rtol=1e-12)
    # every stage constant: the total is constant, alpha undefined (no division error)
    flat = cronbach_alpha(with_stages(cohort, np.full((4, 3), 2))).iloc[0]
    assert np.isnan(flat["alpha"]) and np.isnan(flat["ci95_low"])


# -- against R (tests/analysis/results/results_reliability.py) ---------------------------------
# psych::alpha and psych::alpha.ci, tests/analysis/results/make_results.R.

R_CLOSED_FORM = {"rtol": 1e-10, "atol": 1e-12}  # same formula, floating-point noise only


def test_alpha_feldt_and_items_match_psych(cohort: Cohort) -> None:
    # R: psych::alpha(m); psych::alpha.ci(alpha, n.obs = 12, n.var = 10)
    alpha = cronbach_alpha(cohort).iloc[0]
    np.testing.assert_allclose(alpha["alpha"], RA.alpha_raw, **R_CLOSED_FORM)
    np.testing.assert_allclose(alpha["std_alpha"], RA.alpha_std, **R_CLOSED_FORM)
    np.testing.assert_allclose(alpha["average_r"], RA.average_r, **R_CLOSED_FORM)
    np.testing.assert_allclose(
        [alpha["ci95_low"], alpha["ci95_high"]], RA.feldt_ci_alpha_ci, **R_CLOSED_FORM
    )
    items = item_statistics(cohort)
    assert items["stage"].tolist() == RA.item
    np.testing.assert_allclose(items["r_drop"], RA.item_r_drop, **R_CLOSED_FORM)
    np.testing.assert_allclose(items["alpha_if_deleted"], RA.alpha_if_deleted, **R_CLOSED_FORM)


# -- omega and ordinal alpha (results_reliability.py, results_polychoric.py, results_schmid.py)


def test_omega_matches_psych(cohort: cma.Cohort) -> None:
    res = omega(cohort, n_boot=0)
    assert len(res) == 1
    row = res.iloc[0]
    assert row["n"] == 12 and row["k"] == 10 and row["fm"] == "minres"
    # psych::omega(x, nfactors = 1)$omega.tot on the 12 complete cases
    assert_allclose(row["omega_total"], rr.omega1_total, rtol=1e-6)
    assert_allclose(row["omega_model"], rr.omega1_model_implied, rtol=1e-6)
    assert np.isnan(row["ci95_low"]) and row["ci_method"] == "not computed (n_boot=0)"
    assert np.isnan(row["omega_hierarchical"])
    ml = omega(cohort, fm="ml", n_boot=0).iloc[0]
    assert_allclose(ml["omega_total"], rp.omega1_ml_total, rtol=1e-6)  # the notes' 0.8594


def test_omega_bootstrap_by_hand(cohort: cma.Cohort) -> None:
    res = omega(cohort, n_boot=60, seed=3, confidence=0.9).iloc[0]
    x = cma.clean(cohort, "complete_case").cohort.scores.to_numpy(dtype=float)
    rng = np.random.default_rng(3)
    boots = []
    for _ in range(60):
        xb = x[rng.integers(0, 12, 12)]
        if np.any(np.ptp(xb, axis=0) == 0):
            continue
        # the full sample's loadings are all positive: no stage reflected in any resample
        boots.append(omega_from_correlation(np.corrcoef(xb, rowvar=False), key=np.ones(10))[0])
    assert res["n_boot_used"] == len(boots)
    assert_allclose(
        [res["ci90_low"], res["ci90_high"]], np.quantile(boots, [0.05, 0.95]), rtol=1e-10
    )
    assert res["ci90_low"] < res["omega_total"] < res["ci90_high"]
    again = omega(cohort, n_boot=60, seed=3, confidence=0.9)
    pd.testing.assert_frame_equal(again, res.to_frame().T.astype(again.dtypes.to_dict()))


def test_omega_refusals(cohort: cma.Cohort) -> None:
    with pytest.raises(ParameterError, match="fm='pa'"):
        omega(cohort, fm="pa")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="n_boot"):
        omega(cohort, n_boot=-1)
    with pytest.raises(ParameterError, match="confidence"):
        omega(cohort, confidence=1.5)
    with pytest.raises(ParameterError, match="complete data"):
        omega(cohort, strategy="available_case")
    scores = cohort.scores.copy()
    scores["stage_3"] = pd.array([2] * len(scores), dtype="Int64")
    flat = cma.Cohort(
        scores=scores,
        attributes=cohort.attributes,
        instrument=cohort.instrument,
        source=cohort.source,
    )
    with pytest.raises(ParameterError, match="stage_3"):
        omega(flat)
    with pytest.raises(ParameterError, match=r"stage_3.*one observed level"):
        ordinal_alpha(flat)
    with pytest.raises(ParameterError, match="stage_3"):
        cma.stage_correlations(flat, "polychoric")


def test_ordinal_alpha_matches_psych(cohort: cma.Cohort) -> None:
    res = cma.cronbach_alpha(cohort, ordinal=True)
    pd.testing.assert_frame_equal(res, ordinal_alpha(cohort))
    row = res.iloc[0]
    assert row["n"] == 12 and row["k"] == 10 and row["correlation"] == "polychoric (smoothed)"
    # the same formula on R's tightly solved polychoric matrix, smoothed as psych does:
    # differs from ours only through stage_6 x stage_7 (flat likelihood near 1)
    tight, _ = smooth_correlation(rp.rho_tight)
    ours, _, _, _ = polychoric_matrix(rr.x.astype(float))
    ours[5, 6] = ours[6, 5] = rp.rho_tight[5, 6]
    ours, _ = smooth_correlation(ours)
    assert_allclose(ours, tight, atol=1e-6)
    k = 10
    by_hand = (
        k
        / (k - 1)
        * (1 - k / smooth_correlation(polychoric_matrix(rr.x.astype(float))[0])[0].sum())
    )
    assert_allclose(row["alpha"], by_hand, rtol=1e-12)
    # psych::alpha(psych::polychoric(x, correct = 0)$rho): psych's rho has ~1e-4 tolerance
    assert_allclose(row["alpha"], rr.ordinal_alpha_c0, atol=2e-4)
    assert row["alpha"] == row["std_alpha"]


def test_ci_columns() -> None:
    assert ci_columns(0.95) == ("ci95_low", "ci95_high")
    assert ci_columns(0.8) == ("ci80_low", "ci80_high")
    assert ci_columns(0.999) == ("ci99_9_low", "ci99_9_high")


# -- hierarchical omega (Schmid-Leiman), against R (results_reliability.py, results_schmid.py)


def test_omega_default_is_the_one_factor_total(cohort: cma.Cohort) -> None:
    row = omega(cohort, n_boot=0).iloc[0]
    assert row["nfactors"] == 1 and np.isnan(row["omega_limit"])
    assert np.isnan(row["omega_hierarchical"])
    assert row["omega_hierarchical_method"].startswith("not meaningful with one factor")
    assert not row["heywood"] and row["converged"] and row["note"] == ""


def test_omega_hierarchical_matches_psych(cohort: cma.Cohort) -> None:
    res = omega(cohort, nfactors=3, n_boot=0)
    row = res.iloc[0]
    assert row["n"] == 12 and row["k"] == 10 and row["nfactors"] == 3
    # psych::omega(x) (ultra-Heywood; psych's fit stops early): measured |diff| omega.tot
    # 1.7e-6, omega_h 1.7e-5, omega.lim 2.0e-5 (tests/stats/test_factor.py)
    assert_allclose(row["omega_total"], rr.omega3_total, atol=1e-5)
    assert_allclose(row["omega_hierarchical"], rr.omega3_hierarchical, atol=5e-5)
    assert_allclose(row["omega_limit"], rr.omega3_limit, atol=5e-5)
    sl = schmid_leiman(R, 3)
    assert_allclose(
        [row["omega_total"], row["omega_hierarchical"], row["omega_limit"]],
        [sl.omega_total, sl.omega_hierarchical, sl.omega_limit],
        rtol=1e-12,
    )
    # model-implied variance by hand: c = sum(L L') of the orthogonal loadings
    common = float((sl.orthogonal @ sl.orthogonal.T).sum())
    assert_allclose(row["omega_model"], common / (common + sl.u2.sum()), rtol=1e-12)
    assert row["omega_hierarchical_method"] == "Schmid-Leiman, 3 oblimin factors, minres"
    # psych warns "An ultra-Heywood case was detected": stage_5's communality is 1.0019
    assert row["heywood"] and row["converged"]
    assert row["note"] == (
        "ultra-Heywood case: a communality above 1 (stage_5); examine the results carefully"
    )
    assert rr.omega3_warnings[-1].startswith("An ultra-Heywood case was detected")


def test_omega_two_factors_matches_psych(cohort: cma.Cohort) -> None:
    row = omega(cohort, nfactors=2, n_boot=0).iloc[0]
    # psych::omega(x, nfactors = 2): measured |diff| 1.6e-6 (omega_h), 1.1e-8 (omega.tot)
    assert_allclose(row["omega_hierarchical"], rs.t4_omega2_hierarchical, atol=1e-5)
    assert_allclose(row["omega_total"], rs.t4_omega2_total, atol=1e-6)
    assert_allclose(row["omega_limit"], rs.t4_omega2_limit, atol=1e-5)
    assert "set equal (sqrt(phi_12)" in row["omega_hierarchical_method"]
    assert "needs 3 factors to be identified" in row["omega_hierarchical_method"]
    assert not row["heywood"] and row["note"] == ""


def test_omega_hierarchical_bootstrap_by_hand(cohort: cma.Cohort) -> None:
    res = omega(cohort, nfactors=3, n_boot=12, seed=5).iloc[0]
    x = cma.clean(cohort, "complete_case").cohort.scores.to_numpy(dtype=float)
    rng = np.random.default_rng(5)
    boots = []
    for _ in range(12):
        xb = x[rng.integers(0, 12, 12)]
        if np.any(np.ptp(xb, axis=0) == 0):
            continue
        sl = schmid_leiman(np.corrcoef(xb, rowvar=False), 3)
        if sl.converged:
            boots.append(sl.omega_total)
    assert res["n_boot_used"] == len(boots) > 0
    assert_allclose(
        [res["ci95_low"], res["ci95_high"]], np.quantile(boots, [0.025, 0.975]), rtol=1e-10
    )


def test_omega_not_converged_gives_nan_with_the_reason(
    cohort: cma.Cohort, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cma_research.analysis.reliability as mod

    def stuck(r: np.ndarray, nfactors: int) -> SchmidLeiman:
        return dataclasses.replace(schmid_leiman(r, nfactors), rotation_converged=False)

    monkeypatch.setattr(mod, "schmid_leiman", stuck)
    row = omega(cohort, nfactors=3, n_boot=3).iloc[0]
    assert np.isnan(row["omega_total"]) and np.isnan(row["omega_hierarchical"])
    assert row["omega_hierarchical_method"] == (
        "not estimated: the rotation of the 3-factor solution did not converge"
    )
    assert not row["converged"] and row["n_boot_used"] == 0 and np.isnan(row["ci95_low"])
    assert row["ci_method"] == "not computed (the solution did not converge)"


def test_omega_nfactors_refusals(cohort: cma.Cohort) -> None:
    with pytest.raises(ParameterError, match="nfactors=0 must be a whole number >= 1"):
        omega(cohort, nfactors=0)
    with pytest.raises(ParameterError, match=r"nfactors=1\.5"):
        omega(cohort, nfactors=1.5)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"nfactors=7 is too many for 10 items"):
        omega(cohort, nfactors=7, n_boot=0)
    with pytest.raises(ParameterError, match="fm='ml' with nfactors=3"):
        omega(cohort, fm="ml", nfactors=3)


# -- the summary table -------------------------------------------------------------------


def test_each_statistic_matches_psych(cohort: cma.Cohort) -> None:
    res = cma.reliability_summary(cohort, n_boot=0, min_n=0)  # every estimate, at n = 12
    bifactor = "Schmid-Leiman bifactor, 3 group factors"
    assert list(zip(res["statistic"], res["model"], strict=True)) == [
        ("cronbach_alpha", "no factor model"),
        ("ordinal_alpha", "no factor model"),
        ("omega_total", "one factor"),
        ("omega_total", bifactor),
        ("omega_hierarchical", bifactor),
    ]
    assert list(res.columns[:3]) == ["statistic", "model", "estimate"]
    assert (res["n"] == 12).all() and (res["k"] == 10).all()
    est = res.set_index(["statistic", "model"])["estimate"]
    # psych::alpha(x)$total$raw_alpha; exact arithmetic
    assert est["cronbach_alpha", "no factor model"] == pytest.approx(RA.alpha_raw, rel=1e-12)
    # psych::alpha(psych::polychoric(x, correct = 0)$rho), R's two-step fit: 1e-4
    assert est["ordinal_alpha", "no factor model"] == pytest.approx(rr.ordinal_alpha_c0, abs=1e-4)
    # psych::omega(x, nfactors = 1)$omega.tot; iterative minres fit: 1e-6
    assert est["omega_total", "one factor"] == pytest.approx(rr.omega1_total, abs=1e-6)
    # psych::omega(x) (3 factors) reports omega.tot and omega_h of one model, as the last
    # two rows do; psych stops its optimiser early: measured 1.7e-6 and 1.7e-5
    assert est["omega_total", bifactor] == pytest.approx(rr.omega3_total, abs=1e-5)
    assert est["omega_hierarchical", bifactor] == pytest.approx(rr.omega3_hierarchical, abs=5e-5)
    notes = res.set_index(["statistic", "model"])["note"]
    assert "ultra-Heywood" in notes["omega_hierarchical", bifactor]
    assert notes["omega_total", bifactor] == notes["omega_hierarchical", bifactor]
    alpha = res.iloc[0]
    assert alpha["ci95_low"] < RA.alpha_raw < alpha["ci95_high"]
    assert res.iloc[2:][["ci95_low", "ci95_high"]].isna().all().all()  # n_boot = 0


def test_the_interval_of_omega_total_is_the_bootstrap_of_cma_omega(cohort: cma.Cohort) -> None:
    res = cma.reliability_summary(cohort, n_boot=200, seed=3)
    one = res[res["model"] == "one factor"].iloc[0]
    direct = cma.omega(cohort, n_boot=200, seed=3).iloc[0]
    assert one["ci95_low"] == direct["ci95_low"]
    assert one["ci95_high"] == direct["ci95_high"]
    assert "200 of 200" in one["method"]
    # the bifactor rows have no interval (their bootstrap is not computed)
    assert res.iloc[3:][["ci95_low", "ci95_high"]].isna().all().all()


def test_one_group_factor_is_not_repeated(cohort: cma.Cohort) -> None:
    res = cma.reliability_summary(cohort, n_boot=0, nfactors=1)
    assert res["statistic"].tolist() == [
        "cronbach_alpha", "ordinal_alpha", "omega_total", "omega_hierarchical",
    ]  # fmt: skip
    last = res.iloc[-1]
    assert last["model"] == "one factor" and np.isnan(last["estimate"])
    assert last["note"].startswith("not meaningful with one factor")


def test_an_undefined_statistic_is_nan_with_its_reason(cohort: cma.Cohort) -> None:
    scores = cohort.scores.copy()
    scores[cohort.stage_ids[0]] = scores[cohort.stage_ids[0]].where(scores.isna().any(axis=1), 2)
    constant = replace(cohort, scores=scores)
    res = cma.reliability_summary(constant, n_boot=0)
    for _, row in res[res["statistic"] != "cronbach_alpha"].iterrows():
        assert np.isnan(row["estimate"])
        assert cohort.stage_ids[0] in row["note"]
        assert row["method"] == "undefined"
    too_many = cma.reliability_summary(cohort, n_boot=0, nfactors=8)
    for _, row in too_many.iloc[3:].iterrows():
        assert np.isnan(row["estimate"]) and row["note"] != ""
        assert row["model"] == "Schmid-Leiman bifactor, 8 group factors"
    assert isinstance(too_many["note"].dtype, pd.StringDtype)


def test_dimensionality_statistics_not_estimable_with_few_businesses(cohort: Cohort) -> None:
    from cma_research.analysis.reliability import MIN_N_DIMENSIONALITY

    assert MIN_N_DIMENSIONALITY == 100
    every = cma.reliability_summary(cohort, n_boot=0, min_n=0).set_index(["statistic", "model"])
    res = cma.reliability_summary(cohort, n_boot=0).set_index(["statistic", "model"])
    # alpha and the one-factor omega total stay; ordinal alpha and the bifactor omegas of
    # 12 businesses are reported as not estimable, with the number computed anyway
    kept = [("cronbach_alpha", "no factor model"), ("omega_total", "one factor")]
    for key in kept:
        assert res.loc[key, "estimate"] == every.loc[key, "estimate"]
    for key in every.index.difference(kept):
        assert np.isnan(res.loc[key, "estimate"])
        note = str(res.loc[key, "note"])
        assert note.startswith("not estimable with 12 businesses: needs at least 100")
        assert f"{every.loc[key, 'estimate']:.3f}" in note
    # with a threshold of 12 the same cohort is estimable
    assert res.loc[("omega_total", "one factor"), "n"] == 12
    at_12 = cma.reliability_summary(cohort, n_boot=0, min_n=12)
    assert at_12["estimate"].notna().all()

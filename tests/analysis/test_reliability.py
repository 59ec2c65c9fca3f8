"""Cronbach's alpha, its Feldt interval and item statistics against independent formulas."""

from __future__ import annotations

import csv
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cma_research import ParameterError, cronbach_alpha, item_statistics
from cma_research.core.cohort import Cohort


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
        with pytest.raises(ParameterError, match=r"cma_research\.sensitivity"):
            func(cohort, strategy="multiple")
    filled = cronbach_alpha(cohort, strategy="stage_median").iloc[0]
    assert filled["n"] == 16 and filled["strategy"] == "stage_median"
    # min_stages = 10 keeps only complete businesses: the same as complete_case
    pd.testing.assert_frame_equal(
        cronbach_alpha(cohort, strategy="min_stages", min_stages=10).drop(columns="strategy"),
        cronbach_alpha(cohort).drop(columns="strategy"),
    )


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

from tests.analysis.results import results_reliability as R  # noqa: E402

R_CLOSED_FORM = {"rtol": 1e-10, "atol": 1e-12}  # same formula, floating-point noise only


def test_alpha_feldt_and_items_match_psych(cohort: Cohort) -> None:
    # R: psych::alpha(m); psych::alpha.ci(alpha, n.obs = 12, n.var = 10)
    alpha = cronbach_alpha(cohort).iloc[0]
    np.testing.assert_allclose(alpha["alpha"], R.alpha_raw, **R_CLOSED_FORM)
    np.testing.assert_allclose(alpha["std_alpha"], R.alpha_std, **R_CLOSED_FORM)
    np.testing.assert_allclose(alpha["average_r"], R.average_r, **R_CLOSED_FORM)
    np.testing.assert_allclose(
        [alpha["ci95_low"], alpha["ci95_high"]], R.feldt_ci_alpha_ci, **R_CLOSED_FORM
    )
    items = item_statistics(cohort)
    assert items["stage"].tolist() == R.item
    np.testing.assert_allclose(items["r_drop"], R.item_r_drop, **R_CLOSED_FORM)
    np.testing.assert_allclose(items["alpha_if_deleted"], R.alpha_if_deleted, **R_CLOSED_FORM)

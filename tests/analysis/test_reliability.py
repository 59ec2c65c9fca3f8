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
    a = row["alpha"]
    hi_q, lo_q = stats.f.ppf(0.95, 11, 99), stats.f.ppf(0.05, 11, 99)
    np.testing.assert_allclose(
        [row["ci95_low"], row["ci95_high"]], [1 - (1 - a) * hi_q, 1 - (1 - a) * lo_q], rtol=1e-12
    )
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

"""Level distributions and business scores against counts taken by hand from Table 4.

The bundled file (data/raw/customer_wise_2007.csv) lists 16 businesses, B01 ... B16 in
file order; a blank cell is "not assessed", 0 is a level.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cma_research import ParameterError, business_scores, level_distribution
from cma_research.analysis.describe import proportion_ci
from cma_research.core.cohort import Cohort

# Counts of levels 0..5 per stage among assessed businesses, counted by hand from the CSV
# (business ids in brackets for the less obvious cells):
#   stage_1: 0 [B15], 1 [B08 B14], 2 [B02 B04 B05 B13], 3 [B03 B07 B12], 4 [B10 B11 B16], 5 [B09]
#   stage_4: 0 [B12 B14 B15], 1 [B02 B03 B08 B10 B11], 2 [B04 B06 B07 B09], 3 [B13], 4 [B16],
#            5 nobody
#   stage_6: 0 [B02 B05 B12 B14], 1 [B08 B15], 2 [B10 B13], 3 [B04 B07 B11], 4 nobody,
#            5 [B03 B09 B16]
HAND_COUNTS = {
    "stage_1": [1, 2, 4, 3, 3, 1],
    "stage_2": [1, 4, 4, 1, 2, 1],
    "stage_3": [1, 2, 4, 4, 2, 2],
    "stage_4": [3, 5, 4, 1, 1, 0],
    "stage_5": [2, 2, 5, 1, 3, 1],
    "stage_6": [4, 2, 2, 3, 0, 3],
    "stage_7": [2, 2, 4, 2, 0, 2],
    "stage_8": [2, 4, 2, 2, 2, 1],
    "stage_9": [4, 1, 2, 3, 2, 2],
    "stage_10": [1, 4, 4, 3, 2, 0],
}
# Column sums of the table above: 21 zeros, 28 ones, 35 twos, 23 threes, 17 fours, 13 fives.
ALL_COUNTS = [21, 28, 35, 23, 17, 13]


def table4(path: Path) -> list[list[int | None]]:
    """The ten stage levels of each row of the CSV, read with the csv module only."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))[1:]
    return [[int(v) if v.strip() else None for v in row[2:12]] for row in rows]


def two_waves(cohort: Cohort) -> Cohort:
    """The bundled cohort with a copy of itself as wave 2."""
    s2 = cohort.scores.rename(index={1: 2}, level="wave")
    a2 = cohort.attributes.rename(index={1: 2}, level="wave")
    return replace(
        cohort,
        scores=pd.concat([cohort.scores, s2]),
        attributes=pd.concat([cohort.attributes, a2]),
    )


def test_hand_counts_agree_with_the_csv(bundled_path: Path) -> None:
    # guard on the hand table itself: a second, mechanical count with the csv module
    rows = table4(bundled_path)
    for j, counts in enumerate(HAND_COUNTS.values()):
        column = [r[j] for r in rows if r[j] is not None]
        assert [column.count(v) for v in range(6)] == counts
    assert [sum(c[v] for c in HAND_COUNTS.values()) for v in range(6)] == ALL_COUNTS
    assert sum(ALL_COUNTS) == 137


def test_level_distribution_counts_and_shares(cohort: Cohort) -> None:
    dist = level_distribution(cohort).set_index("stage")
    assert list(dist.index) == [*HAND_COUNTS, "all"]
    for stage, counts in {**HAND_COUNTS, "all": ALL_COUNTS}.items():
        row = dist.loc[stage]
        n = sum(counts)
        assert row["n_assessed"] == n
        assert [row[f"n_level_{v}"] for v in range(6)] == counts
        np.testing.assert_allclose(
            [row[f"share_level_{v}"] for v in range(6)], np.array(counts) / n, rtol=1e-15
        )
        np.testing.assert_allclose(row["share_below_1"], counts[0] / n, rtol=1e-15)
    # blanks per stage: 16 - assessed; the 'all' row has 160 - 137 = 23
    assert dist["n_not_assessed"].tolist() == [2, 3, 1, 2, 2, 2, 4, 3, 2, 2, 23]
    assert dist.loc["all", "n_level_0"] == 21
    # median level: stage_1 sorted 0,1,1,2,2,2,2,3,3,3,4,4,4,5 -> (2 + 3) / 2 = 2.5;
    # all: cumulative counts 21, 49, 84 -> the 69th of 137 values is 2
    assert dist.loc["stage_1", "median_level"] == 2.5
    assert dist.loc["all", "median_level"] == 2.0


def test_level_with_nobody_is_zero_not_missing(cohort: Cohort) -> None:
    dist = level_distribution(cohort).set_index("stage")
    # nobody reached level 5 on stage 4 or stage 10, nor level 4 on stages 6 and 7
    for stage, level in [("stage_4", 5), ("stage_10", 5), ("stage_6", 4), ("stage_7", 4)]:
        assert dist.loc[stage, f"n_level_{level}"] == 0
        assert dist.loc[stage, f"share_level_{level}"] == 0.0
    assert not dist.filter(like="level_").isna().to_numpy().any()


@pytest.mark.parametrize("stage", ["stage_1", "stage_4", "stage_6"])
def test_clopper_pearson_interval(cohort: Cohort, stage: str) -> None:
    row = level_distribution(cohort).set_index("stage").loc[stage]
    k, n = int(row["n_level_0"]), int(row["n_assessed"])
    exact = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    np.testing.assert_allclose(
        [row["ci95_low"], row["ci95_high"]], [exact.low, exact.high], rtol=1e-12
    )
    # the same interval from its beta-quantile definition (R: binom.test(k, n)$conf.int)
    beta = [stats.beta.ppf(0.025, k, n - k + 1), stats.beta.ppf(0.975, k + 1, n - k)]
    np.testing.assert_allclose([row["ci95_low"], row["ci95_high"]], beta, rtol=1e-9)
    assert row["ci_method"] == "clopper-pearson"


@pytest.mark.parametrize("stage", ["stage_1", "stage_6"])
def test_wilson_interval(cohort: Cohort, stage: str) -> None:
    row = level_distribution(cohort, ci_method="wilson").set_index("stage").loc[stage]
    k, n = int(row["n_level_0"]), int(row["n_assessed"])
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    np.testing.assert_allclose([row["ci95_low"], row["ci95_high"]], [ref.low, ref.high], rtol=1e-12)
    # Wilson by its formula (R: prop.test(k, n, correct = FALSE)$conf.int):
    # (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)
    z, p = stats.norm.ppf(0.975), k / n
    centre, half = p + z**2 / (2 * n), z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    np.testing.assert_allclose(
        [row["ci95_low"], row["ci95_high"]],
        [(centre - half) / (1 + z**2 / n), (centre + half) / (1 + z**2 / n)],
        rtol=1e-10,
    )
    assert row["ci_method"] == "wilson"


def test_proportion_ci_known_value_and_errors(cohort: Cohort) -> None:
    # Clopper-Pearson for 3 of 14 from its definition, the beta quantiles
    # (R: qbeta(0.025, 3, 12) and qbeta(0.975, 4, 11), i.e. binom.test(3, 14)$conf.int)
    beta = (stats.beta.ppf(0.025, 3, 12), stats.beta.ppf(0.975, 4, 11))
    np.testing.assert_allclose(proportion_ci(3, 14), beta, rtol=1e-9)
    # no successes: the exact lower bound is 0, the upper 1 - 0.025^(1/n)
    np.testing.assert_allclose(proportion_ci(0, 10), (0.0, 1 - 0.025 ** (1 / 10)), atol=1e-12)
    assert np.isnan(proportion_ci(0, 0)).all()
    with pytest.raises(ParameterError, match="'clopper-pearson', 'wilson'"):
        proportion_ci(1, 2, method="agresti")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="ci_method='exact'"):
        level_distribution(cohort, ci_method="exact")  # type: ignore[arg-type]


def test_level_distribution_strategies(cohort: Cohort) -> None:
    cc = level_distribution(cohort, strategy="complete_case").set_index("stage")
    # 12 complete businesses: every stage has n = 12, nothing not assessed
    assert (cc["n_assessed"].iloc[:-1] == 12).all() and cc.loc["all", "n_assessed"] == 120
    assert (cc["n_not_assessed"] == 0).all()
    filled = level_distribution(cohort, strategy="stage_median").set_index("stage")
    assert (filled["n_assessed"].iloc[:-1] == 16).all() and filled.loc["all", "n_assessed"] == 160
    # stage_1's two blanks (B01, B06) take its lower median 2: 4 + 2 = 6 at level 2
    assert filled.loc["stage_1", "n_level_2"] == 6
    k5 = level_distribution(cohort, strategy="min_stages", min_stages=5).set_index("stage")
    # B01 (2 stages) and B06 (4 stages) dropped: stage_10 loses both (1 at level 1, 1 at 2)
    assert k5.loc["stage_10", "n_assessed"] == 12
    assert k5.loc["stage_10", "n_not_assessed"] == 2  # B04 and B05 are still blank
    with pytest.raises(ParameterError, match="strategy='listwise'"):
        level_distribution(cohort, strategy="listwise")  # type: ignore[arg-type]


def test_multi_wave_needs_select_wave(cohort: Cohort) -> None:
    both = two_waves(cohort)
    for func in (level_distribution, business_scores):
        with pytest.raises(ParameterError, match=r"select one with cohort\.select_wave"):
            func(both)
    pd.testing.assert_frame_equal(
        level_distribution(both.select_wave(2)), level_distribution(cohort)
    )


# -- business scores --------------------------------------------------------------------

# By hand from the CSV (stage levels in order, blanks skipped):
#   B01 Consultants Accountants: stage_5 = 1, stage_10 = 1 -> n 2, mean 1, median 1,
#       min 1, max 1, sum 2, weakest = strongest = stage_5 (first on ties), gap 4 - 1 = 3
#   B05 Rugby Club: 2, 0, 0, 0, 0 (stages 1, 3, 6, 8, 9) -> n 5, mean 0.4, median 0,
#       min 0 (stage_3 first), max 2 (stage_1), sum 2, gap 3.6, 5 stages below 4
#   B06 Timeshare: 2, 2, 0, 2 (stages 3, 4, 9, 10) -> n 4, mean 1.5, median 2, min 0
#       (stage_9), max 2 (stage_3), sum 6, gap 2.5
#   B16 Florists: 4,2,4,4,5,5,5,5,3,3 -> n 10, sum 40, mean 4.0, sorted 2,3,3,4,4,4,5,5,5,5
#       so median 4, min 2 (stage_2), max 5 (stage_5), gap 0, 3 stages below 4
BY_HAND = {
    "B01": dict(n_assessed=2, mean=1.0, median=1.0, min=1, max=1, sum=2,
                weakest_stage="stage_5", strongest_stage="stage_5", gap_to_target=3.0,
                n_below_target=2),
    "B05": dict(n_assessed=5, mean=0.4, median=0.0, min=0, max=2, sum=2,
                weakest_stage="stage_3", strongest_stage="stage_1", gap_to_target=3.6,
                n_below_target=5),
    "B06": dict(n_assessed=4, mean=1.5, median=2.0, min=0, max=2, sum=6,
                weakest_stage="stage_9", strongest_stage="stage_3", gap_to_target=2.5,
                n_below_target=4),
    "B16": dict(n_assessed=10, mean=4.0, median=4.0, min=2, max=5, sum=40,
                weakest_stage="stage_2", strongest_stage="stage_5", gap_to_target=0.0,
                n_below_target=3),
}  # fmt: skip


@pytest.mark.parametrize("business", list(BY_HAND))
def test_business_scores_by_hand(cohort: Cohort, business: str) -> None:
    table = business_scores(cohort).set_index("business_id")
    row = table.loc[business]
    for column, expected in BY_HAND[business].items():
        if isinstance(expected, float):
            np.testing.assert_allclose(row[column], expected, rtol=1e-12, atol=1e-12)
        else:
            assert row[column] == expected, column
    assert row["processes_in_place"] == row["sum"]
    assert row["processes_possible"] == 50
    assert row["target_level"] == 4
    assert row["strategy"] == "available_case"


def test_business_scores_against_the_csv(cohort: Cohort, bundled_path: Path) -> None:
    rows = table4(bundled_path)
    table = business_scores(cohort)
    assert table["business_id"].tolist() == [f"B{i:02d}" for i in range(1, 17)]
    assessed = [[v for v in r if v is not None] for r in rows]
    assert table["n_assessed"].tolist() == [len(a) for a in assessed]
    np.testing.assert_allclose(table["mean"], [np.mean(a) for a in assessed], rtol=1e-14)
    np.testing.assert_allclose(table["median"], [np.median(a) for a in assessed], rtol=1e-14)
    assert table["min"].tolist() == [min(a) for a in assessed]
    assert table["max"].tolist() == [max(a) for a in assessed]
    assert table["sum"].tolist() == [sum(a) for a in assessed]
    assert table["n_below_target"].tolist() == [sum(v < 4 for v in a) for a in assessed]
    assert str(table["min"].dtype) == "Int64" and str(table["sum"].dtype) == "Int64"


def test_gap_to_target(cohort: Cohort) -> None:
    default = business_scores(cohort)
    three = business_scores(cohort, target_level=3)
    np.testing.assert_allclose(default["gap_to_target"], 4 - default["mean"], rtol=1e-14)
    np.testing.assert_allclose(three["gap_to_target"], 3 - three["mean"], rtol=1e-14)
    # B16: 40 / 10 = 4.0 -> 0 to level 4, -1 to level 3 (above it)
    assert three.set_index("business_id").loc["B16", "gap_to_target"] == -1.0
    # B16 below 3: only the 2 on stage_2
    assert three.set_index("business_id").loc["B16", "n_below_target"] == 1
    with pytest.raises(ParameterError, match="target_level=7"):
        business_scores(cohort, target_level=7)


def test_strategies_change_n_assessed(cohort: Cohort) -> None:
    cc = business_scores(cohort, strategy="complete_case")
    assert len(cc) == 12 and (cc["n_assessed"] == 10).all()
    assert "B01" not in set(cc["business_id"])
    k5 = business_scores(cohort, strategy="min_stages", min_stages=5)
    # B01 (2 assessed) and B06 (4) dropped; B05 keeps its 5
    assert len(k5) == 14 and k5["n_assessed"].min() == 5
    for strategy in ("stage_median", "business_mean"):
        filled = business_scores(cohort, strategy=strategy)
        assert len(filled) == 16 and (filled["n_assessed"] == 10).all()
        assert (filled["strategy"] == strategy).all()
    # business_mean fills B01's 8 blanks with round(1.0) = 1 -> ten 1s, sum 10
    bm = business_scores(cohort, strategy="business_mean").set_index("business_id")
    assert bm.loc["B01", "sum"] == 10 and bm.loc["B01", "mean"] == 1.0
    # stage_median fills B06's blanks (stages 1, 2, 5, 6, 7, 8) with the lower medians,
    # counted by hand: stage_1 (14 values) 7th = 2; stage_2 (13) 7th = 2; stage_5 (14)
    # 0,0,1,1,2,2,2,... 7th = 2; stage_6 (14) 0,0,0,0,1,1,2,... 7th = 2; stage_7 (12)
    # 0,0,1,1,2,2,... 6th = 2; stage_8 (13) 0,0,1,1,1,1,2,... 7th = 2.
    # B06 becomes 2,2,2,2,2,2,2,2,0,2 -> sum 18, mean 1.8
    sm = business_scores(cohort, strategy="stage_median").set_index("business_id")
    assert sm.loc["B06", "sum"] == 18
    np.testing.assert_allclose(sm.loc["B06", "mean"], 1.8, rtol=1e-14)


# -- against R (tests/analysis/results/results_describe.py) ------------------------------------
# The data as R read it (tests/analysis/results/make_results.R) and
# binom.test / prop.test intervals (section "block 6").

from tests.analysis.results import results_describe as R  # noqa: E402


def test_reference_data_is_ours(cohort: Cohort) -> None:
    assert R.staff == cohort.attributes["staff"].tolist()
    assert R.n_complete_cases == 12 and R.n_assessed_cells == 137


def test_share_below_level_1_intervals(cohort: Cohort) -> None:
    # R: binom.test(x, n)$conf.int and prop.test(x, n, correct = FALSE)$conf.int
    for method, key in (("clopper-pearson", "clopper_pearson"), ("wilson", "wilson")):
        dist = level_distribution(cohort, ci_method=method).set_index("stage")
        for stage, r in R.level_0_by_stage.items():
            assert (
                dist.loc[stage, "n_level_0"] == r["x"] and dist.loc[stage, "n_assessed"] == r["n"]
            )
            np.testing.assert_allclose(
                dist.loc[stage, ["ci95_low", "ci95_high"]].to_numpy(float), r[key], rtol=1e-8
            )  # root-finding in both
        # the pooled row: assessments nest in businesses, so the binomial interval over
        # the 137 assessments (R's, recorded) is too narrow; the cluster bootstrap's
        # interval contains it (tests/stats/test_clustered.py checks it against boot)
        low, high = dist.loc["all", ["ci95_low", "ci95_high"]].to_numpy(float)
        assert low < R.level_0_pooled[key][0] and high > R.level_0_pooled[key][1]
        assert dist.loc["all", "ci_method"] == "cluster-bootstrap-bca"


def test_pooled_row_is_clustered_by_business(cohort: Cohort) -> None:
    from tests.stats.results import results_clustered as C

    dist = level_distribution(cohort, n_boot=20_000, seed=3).set_index("stage")
    row = dist.loc["all"]
    # boot::boot.ci(boot(d, ratio, R = 200000), type = "bca"), within Monte-Carlo error
    np.testing.assert_allclose(row[["ci95_low", "ci95_high"]].to_numpy(float), C.k0_boot_bca,
                               atol=0.01)  # fmt: skip
    # design effect = (geepack sandwich SE)^2 / (p (1 - p) / 137)
    p = 21 / 137
    np.testing.assert_allclose(
        row["design_effect"], C.k0_gee_robust_se**2 / (p * (1 - p) / 137), rtol=1e-9
    )
    assert row["n_assessed_businesses"] == 16
    assert np.isnan(dist.loc["stage_1", "design_effect"])
    assert dist.loc["stage_1", "n_assessed_businesses"] == dist.loc["stage_1", "n_assessed"]
    # the same seed gives the same interval; no resamples, no interval
    again = level_distribution(cohort, n_boot=20_000, seed=3).set_index("stage")
    assert again.loc["all", "ci95_low"] == row["ci95_low"]
    none = level_distribution(cohort, n_boot=0).set_index("stage")
    assert np.isnan(none.loc["all", "ci95_low"])


def test_staged_level_is_a_bound_when_stages_are_blank(cohort: Cohort) -> None:
    table = business_scores(cohort).set_index("business_id")
    # B01: stages 5 and 10 assessed, both at 1 -> the weakest of the assessed is 1, but
    # any of its 8 blank stages could be 0: "≤ 1"
    assert table.loc["B01", "staged_level"] == "\u2264 1" and table.loc["B01", "min"] == 1
    assert table.loc["B01", "staged_level_is_bound"]
    # B05 has blanks but a stage at 0, the lowest level: nothing can be weaker
    assert table.loc["B05", "staged_level"] == "0" and not table.loc["B05", "staged_level_is_bound"]
    # complete businesses: exact
    complete = table[table["n_assessed"] == 10]
    assert not complete["staged_level_is_bound"].any()
    assert (complete["staged_level"] == complete["min"].astype(str)).all()
    # complete_case has no blanks: never a bound
    assert not business_scores(cohort, strategy="complete_case")["staged_level_is_bound"].any()

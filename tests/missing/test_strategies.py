"""Missingness and cleaning strategies, checked against counts derived by hand from Table 4."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cma_research as cma
from cma_research import ParameterError, clean, missingness
from cma_research.core.cohort import Cohort, Source

# Hand count from Table 4 (data/raw/README.md): blanks per stage 1..10.
BLANKS_PER_STAGE = [2, 3, 1, 2, 2, 2, 4, 3, 2, 2]
# Assessed stages per business, in table order (B01 Consultants Accountants ... B16 Florists).
ASSESSED_PER_BUSINESS = [2, 10, 10, 6, 5, 4, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10]


def test_missingness_known_values(cohort: Cohort) -> None:
    miss = missingness(cohort)
    assert miss.n_cells == 160
    assert miss.n_missing_cells == 23 == sum(BLANKS_PER_STAGE)
    assert miss.n_complete_cases == 12
    assert miss.by_stage["n_missing"].tolist() == BLANKS_PER_STAGE
    assert miss.by_stage["n_assessed"].tolist() == [16 - b for b in BLANKS_PER_STAGE]
    assert miss.by_stage["share_missing"].tolist() == pytest.approx(
        [b / 16 for b in BLANKS_PER_STAGE], abs=0
    )
    assert miss.by_business["n_assessed"].tolist() == ASSESSED_PER_BUSINESS
    # Rugby Club (B05): stages 1, 3, 6, 8, 9 assessed (2, 0, 0, 0, 0): its zeros are levels.
    rugby = miss.by_business.set_index("business_id").loc["B05"]
    assert rugby["missing_stages"] == "stage_2, stage_4, stage_5, stage_7, stage_10"
    assert miss.by_business["complete"].sum() == 12


def test_complete_case(cohort: Cohort) -> None:
    result = clean(cohort, "complete_case")
    assert [b for b, _ in result.report.dropped] == ["B01", "B04", "B05", "B06"]
    assert result.cohort.n_businesses == 12
    assert not result.cohort.scores.isna().to_numpy().any()
    assert result.cohort.cleaning is result.report


def test_available_case_changes_nothing(cohort: Cohort) -> None:
    result = clean(cohort, "available_case")
    pd.testing.assert_frame_equal(result.cohort.scores, cohort.scores)
    assert result.report.cells_filled == 0
    assert result.report.cells_missing_after == 23


@pytest.mark.parametrize(
    ("k", "dropped"),
    [(1, []), (5, ["B01", "B06"]), (6, ["B01", "B05", "B06"]), (10, ["B01", "B04", "B05", "B06"])],
)
def test_min_stages(cohort: Cohort, k: int, dropped: list[str]) -> None:
    result = clean(cohort, "min_stages", min_stages=k)
    assert [b for b, _ in result.report.dropped] == dropped
    assert result.report.params == {"min_stages": k}


def test_stage_median_known_values(cohort: Cohort) -> None:
    filled = clean(cohort, "stage_median").cohort.scores
    # stage_1 observed (14): 0,1,1,2,2,2,2,3,3,3,4,4,4,5 -> lower median 2 (7th value).
    assert filled.loc[("B01", 1), "stage_1"] == 2
    assert filled.loc[("B06", 1), "stage_1"] == 2
    # stage_7 observed (12): 0,0,1,1,2,2,2,2,3,3,5,5 -> lower median 2 (6th value).
    assert filled.loc[("B04", 1), "stage_7"] == 2
    # observed cells untouched; every blank filled
    mask = cohort.scores.notna()
    assert (filled[mask] == cohort.scores[mask]).fillna(True).to_numpy().all()
    assert not filled.isna().to_numpy().any()


def test_business_mean_known_values(cohort: Cohort) -> None:
    filled = clean(cohort, "business_mean").cohort.scores
    # B06 Timeshare: 2, 2, 0, 2 -> mean 1.5 -> halves round down -> 1
    assert filled.loc[("B06", 1), "stage_1"] == 1
    # B05 Rugby Club: 2, 0, 0, 0, 0 -> 0.4 -> 0
    assert filled.loc[("B05", 1), "stage_2"] == 0
    # B04 Cottage letting: 2, 2, 2, 2, 2, 3 -> 2.17 -> 2
    assert filled.loc[("B04", 1), "stage_10"] == 2
    # B01 Consultants: 1, 1 -> 1
    assert filled.loc[("B01", 1)].tolist() == [1] * 10


def test_multiple_imputation_is_seeded_and_keeps_observed(cohort: Cohort) -> None:
    a = clean(cohort, "multiple", m=5, seed=11)
    b = clean(cohort, "multiple", m=5, seed=11)
    c = clean(cohort, "multiple", m=5, seed=12)
    assert len(a.cohorts) == 5 and a.report.m == 5
    for x, y in zip(a.cohorts, b.cohorts, strict=True):
        pd.testing.assert_frame_equal(x.scores, y.scores)
    assert any(not x.scores.equals(z.scores) for x, z in zip(a.cohorts, c.cohorts, strict=True))
    observed = cohort.scores.notna()
    for imp in a.cohorts:
        assert not imp.scores.isna().to_numpy().any()
        assert (imp.scores[observed] == cohort.scores[observed]).fillna(True).to_numpy().all()
        for sid in cohort.stage_ids:
            # predictive mean matching only ever copies a level observed on that stage
            donors = set(cohort.scores[sid].dropna().tolist())
            assert set(imp.scores.loc[~observed[sid], sid].tolist()) <= donors
    with pytest.raises(ParameterError, match=r"use \.cohorts"):
        _ = a.cohort


def test_report_is_never_silent(cohort: Cohort) -> None:
    report = clean(cohort, "stage_median").report
    assert report.summary() == (
        "stage_median: kept 16 of 16 returns, dropped 0, filled 23 of 23 blank cells; "
        "0 blank cells remain"
    )
    record = report.to_dict()
    assert record["cells_filled"] == 23
    assert record["assumption"]


def test_imputing_strategies_drop_empty_businesses() -> None:
    inst = cma.get_instrument("customer_wise_2007")
    idx = pd.MultiIndex.from_tuples([("a", 1), ("b", 1), ("c", 1)], names=["business_id", "wave"])
    scores = pd.DataFrame(
        {s: pd.array([1, 2, None], dtype="Int64") for s in inst.stage_ids}, index=idx
    )
    attrs = pd.DataFrame({"staff": pd.array([1, 2, 3], dtype="Int64")}, index=idx)
    c = Cohort(scores, attrs, inst, Source("mem", "0" * 64))
    for strategy in ("stage_median", "business_mean"):
        result = clean(c, strategy)
        assert result.report.dropped == (("c", 1),)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strategy": "listwise"}, "strategy='listwise' is not allowed; expected one of: "),
        ({"strategy": "min_stages"}, "min_stages=None must be a whole number"),
        ({"strategy": "min_stages", "min_stages": 11}, "exceeds the 10 stages"),
        ({"strategy": "complete_case", "min_stages": 3}, "applies only to strategy='min_stages'"),
        ({"strategy": "multiple"}, "seed=None must be a whole number"),
        ({"strategy": "multiple", "seed": 1, "m": 1}, "m=1 must be a whole number >= 2"),
    ],
)
def test_bad_parameters(cohort: Cohort, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        clean(cohort, **kwargs)  # type: ignore[arg-type]


levels = st.one_of(st.none(), st.integers(0, 5))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(levels, min_size=10, max_size=10), min_size=2, max_size=25))
def test_no_strategy_turns_blank_into_zero_or_changes_a_level(rows: list[list[int | None]]) -> None:
    inst = cma.get_instrument("customer_wise_2007")
    idx = pd.MultiIndex.from_tuples(
        [(f"B{i:02d}", 1) for i in range(len(rows))], names=["business_id", "wave"]
    )
    scores = pd.DataFrame(np.array(rows, dtype=object), index=idx, columns=inst.stage_ids).astype(
        "Int64"
    )
    attrs = pd.DataFrame({"staff": pd.array([None] * len(rows), dtype="Int64")}, index=idx)
    c = Cohort(scores, attrs, inst, Source("mem", "0" * 64))
    for strategy in ("complete_case", "available_case", "stage_median", "business_mean"):
        try:
            out = clean(c, strategy).cohort.scores
        except ParameterError:
            continue  # e.g. stage_median with a stage nobody was assessed on
        before = scores.loc[out.index]
        observed = before.notna()
        # an observed level is never changed
        assert (out[observed] == before[observed]).fillna(True).to_numpy().all()
        if strategy in ("complete_case", "available_case"):
            # nothing is filled: blanks stay blank (never 0)
            assert (out.isna() == before.isna()).to_numpy().all()


def test_imputations_are_computed_once_per_process_and_never_shared(cohort: cma.Cohort) -> None:
    from cma_research.missing import strategies

    strategies._MICE_MEMO.clear()
    first = cma.clean(cohort, "multiple", m=3, seed=11)
    first.cohorts[0].scores.iloc[0, 0] = 5  # a caller changing its copy in place
    again = cma.clean(cohort, "multiple", m=3, seed=11)
    strategies._MICE_MEMO.clear()
    fresh = cma.clean(cohort, "multiple", m=3, seed=11)
    assert len(strategies._MICE_MEMO) == 1
    for a, b in zip(again.cohorts, fresh.cohorts, strict=True):
        pd.testing.assert_frame_equal(a.scores, b.scores)
    # a blank is not a 0: the key tells them apart, so the imputations differ
    scores = cohort.scores.copy()
    blank = scores.isna().to_numpy().nonzero()
    scores.iloc[blank[0][0], blank[1][0]] = 0
    other = cma.clean(replace(cohort, scores=scores), "multiple", m=3, seed=11)
    assert len(strategies._MICE_MEMO) == 2
    assert other.report.cells_filled == fresh.report.cells_filled - 1

"""compare_strategies: one row per strategy, each equal to what clean() reports."""

from __future__ import annotations

import pytest

from cma_research import ParameterError, clean
from cma_research.core.cohort import Cohort
from cma_research.missing.comparison import compare_strategies

ALL = [
    "complete_case",
    "available_case",
    "min_stages",
    "stage_median",
    "business_mean",
    "multiple",
    "blank_as_zero",
]


def test_rows_equal_the_clean_reports(cohort: Cohort) -> None:
    table = compare_strategies(cohort, chosen="min_stages", min_stages=5, m=2, seed=1)
    assert table["strategy"].tolist() == ALL
    for row in table.itertuples():
        report = clean(
            cohort,
            row.strategy,  # type: ignore[arg-type]
            min_stages=5 if row.strategy == "min_stages" else None,
            m=2,
            seed=1,
        ).report
        assert (row.kept, row.dropped) == (report.n_rows_after, report.n_dropped)
        assert (row.cells_filled, row.blanks_left) == (
            report.cells_filled,
            report.cells_missing_after,
        )
        assert row.assumption == report.assumption
        assert row.chosen == (row.strategy == "min_stages")


def test_counts_by_hand(cohort: Cohort) -> None:
    # Table 4: 16 returns, 12 complete, 23 blank cells; 14 businesses have >= 5 stages
    # (B01 has 2, B06 has 4 assessed); min_stages leaves 23 - 8 - 6 = 9 blanks.
    t = compare_strategies(cohort, min_stages=5, m=2, seed=1).set_index("strategy")
    assert t.loc["complete_case", ["kept", "dropped", "blanks_left"]].tolist() == [12, 4, 0]
    assert t.loc["available_case", ["kept", "dropped", "blanks_left"]].tolist() == [16, 0, 23]
    assert t.loc["min_stages", ["kept", "dropped", "blanks_left"]].tolist() == [14, 2, 9]
    for filled in ("stage_median", "business_mean", "multiple"):
        assert t.loc[filled, ["kept", "cells_filled", "blanks_left"]].tolist() == [16, 23, 0]
    assert not t["chosen"].any()


def test_min_stages_and_multiple_left_out_without_k_or_seed(cohort: Cohort) -> None:
    assert compare_strategies(cohort)["strategy"].tolist() == [
        "complete_case",
        "available_case",
        "stage_median",
        "business_mean",
        "blank_as_zero",
    ]
    assert "min_stages" in compare_strategies(cohort, min_stages=3)["strategy"].tolist()
    with_seed = compare_strategies(cohort, seed=3, m=2)["strategy"].tolist()
    assert "multiple" in with_seed and "min_stages" not in with_seed


def test_bad_chosen(cohort: Cohort) -> None:
    with pytest.raises(ParameterError, match="chosen='listwise'"):
        compare_strategies(cohort, chosen="listwise")

"""suppress_groups: small groups of compare_groups hidden, with secondary suppression."""

from __future__ import annotations

import pandas as pd
import pytest

from cma_research import ParameterError, compare_groups
from cma_research.analysis.group_disclosure import suppress_groups
from cma_research.core.cohort import Cohort

HIDDEN = ["n_a", "n_b", "median_a", "statistic", "p_val", "p_adj", "effect_size"]


def test_k_1_marks_not_anonymised_and_changes_nothing(cohort: Cohort) -> None:
    groups = compare_groups(cohort, "size_band")
    out = suppress_groups(groups, 1)
    assert (out["disclosure"] == "not anonymised (disclosure_k = 1)").all()
    pd.testing.assert_frame_equal(out.drop(columns="disclosure"), groups)


def test_k_5_hides_small_and_medium_and_their_pairs(cohort: Cohort) -> None:
    # Table 4 size bands: micro 11, small 4, medium 1 (staff < 10, 10-49, 50-249)
    groups = compare_groups(cohort, "size_band")
    out = suppress_groups(groups, 5)
    sizes = out[out["test"] == "group"].set_index("group_a")
    assert sizes.loc["micro", "n_a"] == 11 and sizes.loc["micro", "median_a"] == 1.6
    for band in ("small", "medium"):
        assert pd.isna(sizes.loc[band, "n_a"]) and pd.isna(sizes.loc[band, "median_a"])
        assert sizes.loc[band, "disclosure"] == "suppressed: fewer than 5 businesses"
    pairs = out[out["test"] == "mann_whitney"]
    assert len(pairs) == 3  # every pair involves small or medium
    for _, row in pairs.iterrows():
        assert all(pd.isna(row[c]) for c in HIDDEN)
        assert row["disclosure"] == "suppressed: fewer than 5 businesses"
    assert (out["warning"] == "small groups suppressed (see disclosure)").all()


def shown_and_hidden(out: pd.DataFrame) -> tuple[int, list[str]]:
    rows = out[out["test"] == "group"]
    shown = int(rows["n_a"].dropna().sum())
    return shown, rows.loc[rows["n_a"].isna(), "group_a"].astype(str).tolist()


def test_total_minus_shown_never_reveals_one_hidden_group(cohort: Cohort) -> None:
    out = suppress_groups(compare_groups(cohort, "size_band"), 5)
    total = int(out["n"].iloc[0])
    shown, hidden = shown_and_hidden(out)
    assert (total, shown, hidden) == (16, 11, ["small", "medium"])
    assert total - shown == 4 + 1  # only the sum of two hidden groups


def test_secondary_suppression_when_one_group_would_be_revealed(cohort: Cohort) -> None:
    # without the one medium business: micro 11, small 4; hiding small alone would be
    # undone by 15 - 11 = 4, so micro is hidden too
    groups = compare_groups(cohort.subset(cohort.attributes["staff"] < 50), "size_band")
    out = suppress_groups(groups, 5)
    shown, hidden = shown_and_hidden(out)
    assert int(out["n"].iloc[0]) == 15 and shown == 0 and sorted(hidden) == ["micro", "small"]
    why = out[out["test"] == "group"].set_index("group_a")["disclosure"]
    assert why["small"] == "suppressed: fewer than 5 businesses"
    assert why["micro"] == "suppressed: would reveal a suppressed group"
    pair = out[out["test"] == "mann_whitney"].iloc[0]
    assert all(pd.isna(pair[c]) for c in HIDDEN)


def test_bad_k(cohort: Cohort) -> None:
    with pytest.raises(ParameterError, match="disclosure_k"):
        suppress_groups(compare_groups(cohort, "size_band"), 0)

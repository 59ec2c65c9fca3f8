"""Per-wave tables for the change figures, checked against hand values of the example file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cma_research as cma
from cma_research.analysis.change import (
    change_scores,
    chosen_waves,
    level_distribution_by_wave,
    scores_by_wave,
    wave_profiles,
)
from cma_research.core.errors import ParameterError
from tests.paths import BUNDLED, ROOT

EXAMPLE = ROOT / "data" / "raw" / "customer_wise_2007_two_waves_SYNTHETIC.csv"
FOLLOW = "Follow-up (SYNTHETIC)"


@pytest.fixture
def two() -> cma.Cohort:
    return cma.load_returns(EXAMPLE)


def test_one_wave_or_same_wave_refused(two: cma.Cohort, cohort: cma.Cohort) -> None:
    with pytest.raises(ParameterError, match="nothing to compare"):
        scores_by_wave(cohort)
    with pytest.raises(ParameterError, match="same wave"):
        scores_by_wave(two, "Baseline", 1)
    with pytest.raises(ParameterError, match="Wave 9"):
        scores_by_wave(two, "Wave 9")


def test_scores_by_wave_hand_values(two: cma.Cohort) -> None:
    t = scores_by_wave(two)
    assert t["business_id"].tolist() == [f"B{i:02d}" for i in range(1, 17)]
    assert (t["baseline"] == "Baseline").all() and (t["follow_up"] == FOLLOW).all()
    by = t.set_index("business_id")
    # B05 Rugby Club, baseline stages 1,3,6,8,9 = 2,0,0,0,0 -> mean 2/5 = 0.4;
    # follow-up stages 1,3,5,6,7,8,9 = 4,0,1,1,1,1,1 -> 9/7
    assert by.loc["B05", "score_baseline"] == pytest.approx(0.4, rel=1e-12)
    assert by.loc["B05", "score_follow_up"] == pytest.approx(9 / 7, rel=1e-12)
    assert by.loc["B05", "change"] == pytest.approx(9 / 7 - 0.4, rel=1e-12)
    assert (by.loc["B05", "n_assessed_baseline"], by.loc["B05", "n_assessed_follow_up"]) == (5, 7)
    # drop-outs: B04, B06, B13 audited at baseline only
    assert by.index[by["status"] == "baseline_only"].tolist() == ["B04", "B06", "B13"]
    assert np.isnan(by.loc["B04", "score_follow_up"]) and np.isnan(by.loc["B04", "change"])
    assert pd.isna(by.loc["B04", "n_assessed_follow_up"])
    assert by.loc["B04", "score_baseline"] == pytest.approx(13 / 6, rel=1e-12)  # 2,2,2,2,2,3
    assert (t["status"] == "paired").sum() == 13
    # the paired rows agree with the statistics' own change_scores (paired only)
    paired = change_scores(two).set_index("business_id")
    np.testing.assert_allclose(by.loc[paired.index, "change"], paired["change"], rtol=1e-12)
    assert by.loc["B16", "business_type"] == "Florists"
    # recomputed independently from the raw file with pandas
    raw = pd.read_csv(EXAMPLE)
    stages = [f"stage_{j}" for j in range(1, 11)]
    raw["mean"] = raw[stages].mean(axis=1)  # pandas skips blanks: mean of assessed stages
    base = raw[raw["wave"] == "Baseline"].set_index("business_id")["mean"]
    follow = raw[raw["wave"] == FOLLOW].set_index("business_id")["mean"]
    np.testing.assert_allclose(by["score_baseline"], base.loc[by.index], rtol=1e-12)
    np.testing.assert_allclose(by["score_follow_up"], follow.reindex(by.index), rtol=1e-12)


def test_scores_by_wave_reversed_and_other_scores(two: cma.Cohort) -> None:
    t = scores_by_wave(two, FOLLOW, "Baseline", score="min")
    by = t.set_index("business_id")
    assert by.loc["B04", "status"] == "follow_up_only"  # baseline is now the follow-up
    assert by.loc["B16", "score_baseline"] == 1.0 and by.loc["B16", "score_follow_up"] == 2.0
    with pytest.raises(ParameterError, match="score"):
        scores_by_wave(two, score="average")


def test_scores_by_wave_complete_case_leaves_gaps(two: cma.Cohort) -> None:
    t = scores_by_wave(two, strategy="complete_case").set_index("business_id")
    # B01 has blanks at both waves: no complete-case score, though audited at both
    assert t.loc["B01", "status"] == "paired"
    assert np.isnan(t.loc["B01", "score_baseline"]) and np.isnan(t.loc["B01", "change"])
    assert t.loc["B03", "change"] == 0.0


def test_level_distribution_by_wave(two: cma.Cohort) -> None:
    t = level_distribution_by_wave(two)
    assert t["wave"].drop_duplicates().tolist() == ["Baseline", FOLLOW]
    assert t.groupby("wave_rank")["n_businesses"].first().tolist() == [16, 13]
    base = t[(t["wave"] == "Baseline")].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        base.drop(columns=["wave", "wave_rank", "n_businesses"]),
        cma.level_distribution(cma.load_returns(BUNDLED)),
    )
    paired = level_distribution_by_wave(two, ["Baseline", FOLLOW], paired_only=True)
    first = paired[(paired["wave"] == "Baseline") & (paired["stage"] == "stage_1")].iloc[0]
    # Table 4 stage 1: 14 assessed (B01, B06 blank), level 2 = B02, B04, B05, B13.
    # Without the drop-outs B04, B06, B13: 12 assessed, B01 not assessed, level 2 = 2
    assert (first["n_assessed"], first["n_not_assessed"], first["n_level_2"]) == (12, 1, 2)
    with pytest.raises(ParameterError, match="twice"):
        level_distribution_by_wave(two, ["Baseline", 1])


def test_wave_profiles(two: cma.Cohort) -> None:
    p = wave_profiles(two, "B04")  # a drop-out: baseline block only
    assert p["wave"].unique().tolist() == ["Baseline"] and len(p) == 10
    q = wave_profiles(two, "B01")
    assert q["wave_rank"].tolist() == [1] * 10 + [2] * 10
    assert q.loc[q["wave_rank"] == 2, "level"].tolist()[4:6] == [3.0, 2.0]
    with pytest.raises(ParameterError, match="none of the waves"):
        wave_profiles(two, "B99")


def test_chosen_waves_checks_the_parameters(two: cma.Cohort, cohort: cma.Cohort) -> None:
    assert chosen_waves(two) == (1, 2)
    assert chosen_waves(two, FOLLOW, "baseline") == (2, 1)  # labels match case-insensitively
    assert chosen_waves(cohort) is None
    assert chosen_waves(cohort, "1") is None
    with pytest.raises(ParameterError, match=r"parameter baseline_wave: wave='Wave 0'.*'1'"):
        chosen_waves(cohort, "Wave 0")
    with pytest.raises(ParameterError, match=r"parameter follow_up_wave: .*'Baseline'"):
        chosen_waves(two, None, "Follow-up")
    with pytest.raises(ParameterError, match="same wave"):
        chosen_waves(two, "Baseline", "Baseline")
    # the build-wide `wave` is the follow-up unless follow_up_wave says otherwise
    assert chosen_waves(two, wave=FOLLOW) == (1, 2)
    assert chosen_waves(two, FOLLOW, wave="Baseline") == (2, 1)
    assert chosen_waves(two, None, FOLLOW, wave="Baseline") == (1, 2)
    with pytest.raises(ParameterError, match="parameter wave: "):
        chosen_waves(cohort, wave="Wave 2")

"""Cohort waves: labels, selecting a wave, and the paired view of two waves."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from cma_research import Cohort
from cma_research.core.errors import ParameterError


def labelled(cohort: Cohort) -> Cohort:
    """Table 4 as 'Baseline' (all 16) and 'Follow-up' (the first 10 businesses)."""
    follow = cohort.scores.iloc[:10].rename(index={1: 2}, level="wave")
    follow_attrs = cohort.attributes.iloc[:10].rename(index={1: 2}, level="wave")
    return replace(
        cohort,
        scores=pd.concat([cohort.scores, follow]),
        attributes=pd.concat([cohort.attributes, follow_attrs]),
        wave_labels=("Baseline", "Follow-up"),
    )


def test_waves_of_a_one_wave_file(cohort: Cohort) -> None:
    assert cohort.waves == ("1",)
    assert cohort.wave_label(1) == "1"
    assert cohort.select_wave(1).scores.equals(cohort.scores)
    assert cohort.select_wave("1").scores.equals(cohort.scores)


def test_labels_and_codes(cohort: Cohort) -> None:
    two = labelled(cohort)
    assert two.waves == ("Baseline", "Follow-up")
    assert two.wave_label(1) == "Baseline"
    assert two.wave_rank("Follow-up") == 2
    assert two.wave_rank("follow-up") == 2
    assert two.wave_rank(2) == 2
    by_label = two.select_wave("Follow-up")
    assert by_label.waves == ("Follow-up",)
    assert len(by_label) == 10
    assert by_label.scores.equals(two.select_wave(2).scores)
    # selecting keeps the labels, so the remaining wave is still called by its name
    assert by_label.wave_labels == ("Baseline", "Follow-up")


def test_select_unknown_wave_lists_the_labels(cohort: Cohort) -> None:
    two = labelled(cohort)
    with pytest.raises(
        ParameterError,
        match="wave='Wave 3' is not in this cohort; expected one of 'Baseline', 'Follow-up'",
    ):
        two.select_wave("Wave 3")
    with pytest.raises(ParameterError, match="wave=3 is not in this cohort"):
        two.select_wave(3)
    with pytest.raises(ParameterError, match="wave=2 is not in this cohort"):
        cohort.select_wave(2)


def test_paired_keeps_businesses_at_both_waves(cohort: Cohort) -> None:
    two = labelled(cohort)
    both = two.paired("Baseline", "Follow-up")
    ids = both.scores.index.get_level_values("business_id")
    waves = both.scores.index.get_level_values("wave")
    first_ten = cohort.scores.index.get_level_values("business_id")[:10].tolist()
    assert ids[waves == 1].tolist() == first_ten
    assert ids[waves == 2].tolist() == first_ten
    assert len(both) == 20
    assert both.waves == ("Baseline", "Follow-up")
    # the reverse order puts the follow-up rows first
    rev = two.paired(2, 1)
    assert rev.scores.index.get_level_values("wave")[:10].tolist() == [2] * 10


def test_paired_errors(cohort: Cohort) -> None:
    two = labelled(cohort)
    with pytest.raises(ParameterError, match="are the same wave"):
        two.paired("Baseline", "baseline")
    with pytest.raises(ParameterError, match="expected one of 'Baseline', 'Follow-up'"):
        two.paired("Baseline", "Wave 2")


def test_wave_labels_must_cover_the_codes(cohort: Cohort) -> None:
    assert replace(cohort, wave_labels=("Only",)).waves == ("Only",)
    with pytest.raises(ParameterError, match=r"wave codes \[2\] have no label"):
        replace(labelled(cohort), wave_labels=("Baseline",))
    with pytest.raises(ParameterError, match="must be distinct"):
        replace(cohort, wave_labels=("a", "a"))


def test_repr_counts_waves(cohort: Cohort) -> None:
    assert "2 wave(s)" in repr(labelled(cohort))

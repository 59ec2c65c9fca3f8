"""Cohort construction checks, counts, one-wave selection and repr, against the CSV by hand.

The wave logic (labels, codes, paired) is tested in ``tests/core/test_cohort_waves.py``.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from cma_research import ParameterError, clean
from cma_research.core.cohort import Cohort, Source


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))[1:]


def test_scores_columns_must_be_the_instrument_stages(cohort: Cohort) -> None:
    swapped = cohort.scores[["stage_2", "stage_1", *cohort.stage_ids[2:]]]
    with pytest.raises(ParameterError, match=r"instrument's stages in order.*got \['stage_2'"):
        replace(cohort, scores=swapped)
    with pytest.raises(ParameterError, match="instrument's stages"):
        replace(cohort, scores=cohort.scores.drop(columns="stage_10"))


def test_scores_and_attributes_must_share_the_index(cohort: Cohort) -> None:
    with pytest.raises(ParameterError, match="share the same index"):
        replace(cohort, attributes=cohort.attributes.iloc[::-1])
    with pytest.raises(ParameterError, match="share the same index"):
        replace(cohort, attributes=cohort.attributes.iloc[:-1])


def test_n_businesses_and_len_equal_the_csv_rows(cohort: Cohort, bundled_path: Path) -> None:
    rows = csv_rows(bundled_path)
    assert len(rows) == 16  # by hand: the file has 16 data lines
    assert cohort.n_businesses == len(rows) == len(cohort)
    assert cohort.stage_ids == [f"stage_{k}" for k in range(1, 11)]


def test_n_businesses_counts_businesses_not_rows(cohort: Cohort) -> None:
    # the same 16 businesses at two waves: 32 rows, still 16 businesses
    second = cohort.scores.rename(index={1: 2}, level="wave")
    both = replace(
        cohort,
        scores=pd.concat([cohort.scores, second]),
        attributes=pd.concat(
            [cohort.attributes, cohort.attributes.rename(index={1: 2}, level="wave")]
        ),
    )
    assert len(both) == 32 and both.n_businesses == 16


def test_select_wave_on_a_one_wave_file_is_everything(cohort: Cohort) -> None:
    for wave in ("1", 1):
        one = cohort.select_wave(wave)
        pd.testing.assert_frame_equal(one.scores, cohort.scores)
        pd.testing.assert_frame_equal(one.attributes, cohort.attributes)
        assert one.waves == ("1",)
    with pytest.raises(
        ParameterError, match=r"wave='2' is not in this cohort; expected one of '1'"
    ):
        cohort.select_wave("2")


def test_repr_counts_by_hand(cohort: Cohort, bundled_path: Path) -> None:
    rows = csv_rows(bundled_path)
    blank = sum(1 for r in rows for v in r[2:12] if not v.strip())
    assert blank == 23  # by hand from the file
    assert repr(cohort) == (
        f"<Cohort {cohort.instrument.name}: 16 businesses, 1 wave(s), 10 stages, "
        f"{blank} of 160 cells not assessed; source {bundled_path}>"  # the path as given
    )
    complete = clean(cohort, "complete_case").cohort  # 12 businesses have all 10 stages
    assert repr(complete).endswith(
        "12 businesses, 1 wave(s), 10 stages, 0 of 120 cells not assessed, "
        f"cleaned='complete_case'; source {bundled_path}>"
    )


def test_source_to_dict() -> None:
    src = Source("data/raw/x.csv", "ab" * 32, encoding="utf-8")
    assert src.to_dict() == {
        "path": "data/raw/x.csv",
        "sha256": "ab" * 32,
        "form": "wide",
        "encoding": "utf-8",
        "sheet": None,
        "header_row": 1,
    }

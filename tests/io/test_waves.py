"""Wave columns holding numbers, labels or audit dates, and their order (io/waves.py).

Most tests go through load_returns, as a user meets the wave column; the first one calls
parse_waves on a raw table directly.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from cma_research import load_returns
from cma_research.core.errors import DataValidationError, ParameterError, ProblemCollector
from cma_research.io.tables import RawTable
from cma_research.io.waves import parse_rounds, parse_waves

HEADER = "Business ID,Wave,Staff No,Type,1,2,3,4,5,6,7,8,9,10"
LEVELS_A = "2,0,3,1,0,0,1,3,4,2"
LEVELS_B = "3,1,3,2,1,1,2,3,4,3"


def write(tmp_path: Path, rows: list[tuple[str, str]], name: str = "waves.csv") -> Path:
    """A wide file: one row per (business id, wave text)."""
    path = tmp_path / name
    lines = [HEADER]
    for k, (business, wave) in enumerate(rows):
        levels = LEVELS_A if k % 2 == 0 else LEVELS_B
        lines.append(f"{business},{wave},5,Florists,{levels}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_parse_waves_codes_labels_and_problems() -> None:
    # Rows 2-6 of a file: labels in order of first appearance, matched ignoring case and
    # spacing; a blank wave is a problem on its row and gets no code.
    texts = ["Baseline", " follow-UP", "", "Follow-up", "baseline"]
    raw = RawTable(
        "w.csv", "", ["Round"], [(i + 2, [t]) for i, t in enumerate(texts)], 1, None, None
    )
    col = ProblemCollector(raw.path, 50)
    assert parse_waves(raw, 0, "Round", col) == ([1, 2, None, 2, 1], ("Baseline", "follow-UP"))
    assert [(p.row, p.column, p.message) for p in col.problems] == [(4, "Round", "wave is blank")]
    # With wave_order the codes follow the order given.
    col = ProblemCollector(raw.path, 50)
    codes, labels = parse_waves(raw, 0, "Round", col, ["Follow-up", "Baseline"])
    assert (codes, labels) == ([2, 1, None, 1, 2], ("Follow-up", "Baseline"))
    # Without a wave column every row is wave 1 and nothing is recorded.
    col = ProblemCollector(raw.path, 50)
    assert parse_waves(raw, None, "wave", col) == ([1] * 5, ())
    assert col.problems == []


def test_labels_in_order_of_first_appearance(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [("A", "Baseline"), ("B", "Baseline"), ("A", "Follow-up"), ("C", "follow-up")],
    )
    cohort = load_returns(path)
    assert cohort.waves == ("Baseline", "Follow-up")
    assert cohort.wave_labels == ("Baseline", "Follow-up")
    # The index keeps integer codes: the rank of each label.
    assert cohort.scores.index.get_level_values("wave").tolist() == [1, 1, 2, 2]
    assert cohort.wave_label(2) == "Follow-up"
    # Labels match case-insensitively ("follow-up" is "Follow-up").
    assert cohort.select_wave("Follow-up").scores.index.get_level_values(
        "business_id"
    ).tolist() == ["A", "C"]


def test_first_appearance_not_alphabetical(tmp_path: Path) -> None:
    path = write(tmp_path, [("A", "Wave 2"), ("A", "Wave 1")])
    assert load_returns(path).waves == ("Wave 2", "Wave 1")
    assert load_returns(path, wave_order=["Wave 1", "Wave 2"]).waves == ("Wave 1", "Wave 2")


def test_wave_order_sets_the_order(tmp_path: Path) -> None:
    path = write(tmp_path, [("A", "Follow-up"), ("A", "Baseline"), ("B", "baseline")])
    cohort = load_returns(path, wave_order=["Baseline", "Follow-up"])
    assert cohort.waves == ("Baseline", "Follow-up")
    assert cohort.scores.index.tolist() == [("A", 2), ("A", 1), ("B", 1)]


def test_numbers_by_value(tmp_path: Path) -> None:
    path = write(tmp_path, [("A", "2009"), ("A", "2007"), ("B", "2007")])
    cohort = load_returns(path)
    assert cohort.waves == ("2007", "2009")
    assert cohort.wave_labels == ()  # numbers are their own labels
    assert sorted(set(cohort.scores.index.get_level_values("wave"))) == [2007, 2009]
    assert len(cohort.select_wave("2009")) == 1
    assert len(cohort.select_wave(2007)) == 2


def test_dates_by_value_iso_and_uk_day_first(tmp_path: Path) -> None:
    # 01/03/2008 is 1 March 2008 (UK, day first), after 2007-11-30.
    path = write(
        tmp_path,
        [("A", "01/03/2008"), ("A", "2007-11-30"), ("B", "30/11/2007"), ("B", "2008-03-01")],
    )
    cohort = load_returns(path)
    assert cohort.waves == ("2007-11-30", "2008-03-01")
    assert cohort.scores.index.tolist() == [("A", 2), ("A", 1), ("B", 1), ("B", 2)]


def test_one_wave_file_unchanged(tmp_path: Path) -> None:
    cohort = load_returns(write(tmp_path, [("A", "1"), ("B", "1")]))
    assert cohort.waves == ("1",)
    assert cohort.wave_labels == ()


def test_date_written_two_ways_is_one_wave_and_a_duplicate(tmp_path: Path) -> None:
    path = write(tmp_path, [("A", "2008-03-01"), ("A", "01/03/2008")])
    with pytest.raises(DataValidationError) as info:
        load_returns(path)
    problems = info.value.problems
    assert len(problems) == 1
    assert problems[0].row == 3
    assert "duplicate business id within a wave: also on row 2" in problems[0].message


def test_label_twice_in_one_wave(tmp_path: Path) -> None:
    path = write(tmp_path, [("A", "Baseline"), ("A", "BASELINE")])
    with pytest.raises(DataValidationError, match=r"row 3.*duplicate business id within a wave"):
        load_returns(path)


@pytest.mark.parametrize(
    ("waves", "row", "value", "message"),
    [
        (["1", "Follow-up"], 3, "Follow-up", "wave is not a positive whole number"),
        (["Baseline", "2"], 3, "2", "wave is a wave number but row 2 has a wave label"),
        (["Baseline", "2007-03-01"], 3, "2007-03-01", "wave is an audit date but row 2 has a"),
        (["2007-03-01", "2"], 3, "2", "wave is a wave number but row 2 has an audit date"),
    ],
)
def test_mixed_kinds_cannot_be_ordered(
    tmp_path: Path, waves: list[str], row: int, value: str, message: str
) -> None:
    path = write(tmp_path, [("A", waves[0]), ("A", waves[1])])
    with pytest.raises(DataValidationError) as info:
        load_returns(path)
    (problem,) = info.value.problems
    assert message in problem.message
    assert "cannot be ordered" in problem.message
    assert (problem.row, problem.column, problem.value) == (row, "Wave", value)
    assert path.name in str(info.value)


def test_invalid_date(tmp_path: Path) -> None:
    path = write(tmp_path, [("A", "2007-03-01"), ("A", "31/02/2008")])
    with pytest.raises(DataValidationError, match="wave date is not a valid date") as info:
        load_returns(path)
    (problem,) = info.value.problems
    assert (problem.row, problem.value) == (3, "31/02/2008")


def test_blank_wave(tmp_path: Path) -> None:
    path = write(tmp_path, [("A", "Baseline"), ("B", "")])
    with pytest.raises(DataValidationError, match="wave is blank") as info:
        load_returns(path)
    assert info.value.problems[0].row == 3


def test_wave_order_missing_a_file_label(tmp_path: Path) -> None:
    path = write(tmp_path, [("A", "Baseline"), ("A", "Follow-up"), ("A", "Wave 3")])
    with pytest.raises(DataValidationError) as info:
        load_returns(path, wave_order=["Baseline", "Follow-up"])
    (problem,) = info.value.problems
    assert problem.message == "wave is not in wave_order"
    assert (problem.row, problem.column, problem.value) == (4, "Wave", "Wave 3")
    assert "'Baseline', 'Follow-up'" in (problem.expected or "")


def test_wave_order_names_a_label_the_file_lacks(tmp_path: Path) -> None:
    path = write(tmp_path, [("A", "Baseline"), ("A", "Follow-up")])
    with pytest.raises(DataValidationError) as info:
        load_returns(path, wave_order=["Baseline", "Mid-point", "Follow-up"])
    (problem,) = info.value.problems
    assert problem.message == "wave_order names 'Mid-point' but no row of the file has that wave"
    assert (problem.row, problem.column, problem.value) == (1, "Wave", "Mid-point")


@pytest.mark.parametrize(
    ("order", "match"),
    [
        ("Baseline", "must be a list of wave labels"),
        (["Baseline", "baseline"], "names 'Baseline', 'baseline' twice|twice"),
        (["Baseline", ""], "none blank"),
    ],
)
def test_bad_wave_order_parameter(tmp_path: Path, order: object, match: str) -> None:
    path = write(tmp_path, [("A", "Baseline")])
    with pytest.raises(ParameterError, match=match):
        load_returns(path, wave_order=order)  # type: ignore[arg-type]


def test_wave_order_without_wave_column(tmp_path: Path) -> None:
    path = tmp_path / "nowave.csv"
    path.write_text("Business ID,1,2,3,4,5,6,7,8,9,10\nA,1,1,1,1,1,1,1,1,1,1\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=re.escape("has no wave column")):
        load_returns(path, wave_order=["Baseline"])


def test_long_form_with_labels(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(
        "business_id,wave,stage,level\n"
        "A,Follow-up,1,3\nA,Baseline,1,2\nB,Baseline,1,4\nA,Baseline,2,1\n",
        encoding="utf-8",
    )
    cohort = load_returns(path, wave_order=["Baseline", "Follow-up"])
    assert cohort.waves == ("Baseline", "Follow-up")
    assert cohort.scores.loc[("A", 1), "stage_1"] == 2
    assert cohort.scores.loc[("A", 2), "stage_1"] == 3
    assert cohort.scores.loc[("A", 1), "stage_2"] == 1


# -- dates are dates (issue 20; issue 21: Excel date cells ordered by appearance) ---------


def _excel(tmp_path: Path, rows: list[tuple[str, object]]) -> Path:
    """A workbook whose wave column holds Excel cells (dates, or anything else)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    for k, (business, wave) in enumerate(rows):
        levels = LEVELS_A if k % 2 == 0 else LEVELS_B
        ws.append([business, wave, 5, "Florists", *map(int, levels.split(","))])
    path = tmp_path / "dates.xlsx"
    wb.save(path)
    return path


def test_excel_date_cells_are_ordered_by_date_not_by_appearance(tmp_path: Path) -> None:
    # the later date comes first in the file; the latest wave is still the later date
    path = _excel(
        tmp_path,
        [
            ("A", dt.datetime(2009, 3, 2)),
            ("A", dt.datetime(2008, 3, 3)),
            ("B", dt.datetime(2008, 3, 3)),
        ],
    )
    cohort = load_returns(path)
    assert cohort.waves == ("2008-03-03", "2009-03-02")
    assert cohort.waves[-1] == "2009-03-02"
    assert cohort.scores.index.tolist() == [("A", 2), ("A", 1), ("B", 1)]


def test_excel_dates_with_a_time_and_text_dates_are_one_kind(tmp_path: Path) -> None:
    path = _excel(
        tmp_path,
        [("A", dt.datetime(2008, 3, 3, 10, 30)), ("B", "04/03/2008"), ("C", "2008-03-05")],
    )
    assert load_returns(path).waves == ("2008-03-03", "2008-03-04", "2008-03-05")


def test_dates_written_month_first_as_stated(tmp_path: Path) -> None:
    # 03/04/2008 is 4 March when stated month first, 3 April by default (day first)
    path = write(tmp_path, [("A", "03/04/2008"), ("B", "03/15/2008")])
    cohort = load_returns(path, date_format="month-first")
    assert cohort.waves == ("2008-03-04", "2008-03-15")
    with pytest.raises(DataValidationError, match="not a valid date") as info:
        load_returns(path)  # day first: month 15 does not exist
    assert info.value.problems[0].value == "03/15/2008"


def test_iso_dates_as_stated_refuse_slashes(tmp_path: Path) -> None:
    path = write(tmp_path, [("A", "2008-03-04"), ("B", "05/03/2008")])
    with pytest.raises(DataValidationError, match="dates are ISO") as info:
        load_returns(path, date_format="iso")
    assert (info.value.problems[0].row, info.value.problems[0].column) == (3, "Wave")
    with pytest.raises(ParameterError, match="dates='us' is not allowed"):
        load_returns(path, date_format="us")


def test_rounds_by_year(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [("A", "2009-02-01"), ("A", "12/03/2008"), ("B", "2008-05-30"), ("B", "2009-06-01")],
    )
    cohort = load_returns(path, wave_rounds="year")
    assert cohort.waves == ("2008", "2009")
    assert cohort.scores.index.tolist() == [("A", 2), ("A", 1), ("B", 1), ("B", 2)]


def test_rounds_by_gap_are_labelled_with_their_months(tmp_path: Path) -> None:
    # by hand: 2008-11-20, 2008-12-01, 2009-01-15 are at most 45 days apart (one round);
    # 2009-06-01 is 137 days after 2009-01-15 (a second round)
    path = write(
        tmp_path,
        [("A", "2008-11-20"), ("B", "2008-12-01"), ("C", "2009-01-15"), ("A", "2009-06-01")],
    )
    cohort = load_returns(path, wave_rounds="gap 90")
    assert cohort.waves == ("Round 1 (Nov 2008–Jan 2009)", "Round 2 (Jun 2009)")
    assert cohort.scores.index.get_level_values("wave").tolist() == [1, 1, 1, 2]
    assert load_returns(path, wave_rounds="gap 30").waves[:2] == (
        "Round 1 (Nov–Dec 2008)",
        "Round 2 (Jan 2009)",
    )


def test_rounds_by_labelled_ranges(tmp_path: Path) -> None:
    path = write(tmp_path, [("A", "2009-03-01"), ("A", "2008-04-01"), ("B", "2008-06-30")])
    rounds = "Second=2009-01-01..2009-12-31; First=2008-01-01..2008-06-30"
    cohort = load_returns(path, wave_rounds=rounds)
    assert cohort.waves == ("First", "Second")  # ordered by date, labels as given
    outside = write(tmp_path, [("A", "2008-07-01")], name="outside.csv")
    with pytest.raises(DataValidationError, match="falls in none of the rounds") as info:
        load_returns(outside, wave_rounds=rounds)
    assert (info.value.problems[0].row, info.value.problems[0].value) == (2, "2008-07-01")


def test_two_audits_in_one_round_name_the_rounds(tmp_path: Path) -> None:
    path = write(tmp_path, [("A", "2008-03-01"), ("A", "2008-09-01")])
    with pytest.raises(DataValidationError, match="two audits fall in one round") as info:
        load_returns(path, wave_rounds="year")
    assert info.value.problems[0].row == 3


@pytest.mark.parametrize(
    ("rounds", "match"),
    [
        ("fortnightly", "is not allowed; expected 'year'"),
        ("gap 0", "whole number of days >= 1"),
        ("R1=2008-01-01..2008-06-30; R2=2008-06-01..2008-12-31", "overlap"),
        ("R1=2008-06-30..2008-01-01", "ends .* before it starts"),
        ("R1=2008-01-01..2008-02-01; r1=2009-01-01..2009-02-01", "named twice"),
        ("R1=2008-13-01..2008-02-01", "is not a date"),
    ],
)
def test_bad_rounds_are_refused(rounds: str, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        parse_rounds(rounds)


def test_rounds_read_back_as_written() -> None:
    for text in ("year", "gap 45", "R1=2008-01-01..2008-06-30; R2=2009-01-01..2009-06-30"):
        rounds = parse_rounds(text)
        assert rounds is not None
        assert parse_rounds(rounds.text()) == rounds
    assert parse_rounds({"gap_days": 45}) == parse_rounds("gap 45 days")
    spans = {"R1": [dt.date(2008, 1, 1), "2008-06-30"]}  # YAML reads dates as dates
    assert parse_rounds(spans) == parse_rounds("R1=2008-01-01..2008-06-30")


def test_rounds_of_labels_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, [("A", "Baseline")])
    with pytest.raises(DataValidationError, match="groups audit dates, but the wave column"):
        load_returns(path, wave_rounds="year")


def test_many_dates_get_a_note_naming_the_fix(tmp_path: Path) -> None:
    # 12 returns on 9 different days: nearly as many waves as returns
    days = [f"2008-03-{d:02d}" for d in (3, 4, 5, 6, 7, 10, 11, 12, 13)]
    rows = [(f"B{k}", days[k % 9]) for k in range(12)]
    path = write(tmp_path, rows)
    cohort = load_returns(path)
    assert len(cohort.waves) == 9
    (note,) = cohort.source.notes
    assert "'Wave' has 9 different values for 12 returns" in note
    assert "wave_rounds 'year'" in note and "rounds: year" in note
    assert load_returns(path, wave_rounds="year").source.notes == ()
    two_rounds = write(tmp_path, [("A", "1"), ("A", "2"), ("B", "1")], name="few.csv")
    assert load_returns(two_rounds).source.notes == ()

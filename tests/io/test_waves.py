"""Wave columns holding numbers, labels or audit dates, and their order (io/waves.py).

Most tests go through load_returns, as a user meets the wave column; the first one calls
parse_waves on a raw table directly.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cma_research import load_returns
from cma_research.core.errors import DataValidationError, ParameterError, ProblemCollector
from cma_research.io.tables import RawTable
from cma_research.io.waves import parse_waves

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

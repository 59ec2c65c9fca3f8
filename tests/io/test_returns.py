"""load_returns: the bad-input corpus is refused with located messages; good files load.

The corpus lives in tests/data/bad and tests/data/good (one file per case, named for it);
tests/data/make_bad_corpus.py writes the byte-exact and Excel ones. Known values for the
bundled data are counted by hand from Table 4 of the 2007 paper
(data/raw/customer_wise_2007.csv) and stated next to each assertion.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cma_research as cma
from cma_research import CMAError, DataValidationError, ParameterError, load_returns
from cma_research.core.errors import shorten
from cma_research.io.returns import LOADER_OPTIONS, loader_options

HERE = Path(__file__).resolve().parents[1]
BAD = HERE / "data" / "bad"
GOOD = HERE / "data" / "good"
BUNDLED = HERE.parent / "data" / "raw" / "customer_wise_2007.csv"
BUNDLED_SHA256 = "fc9e0d355305e3f9a42a97b9c684f1f5a4960430d2fb7011d9c6d0a745be5b2c"
HEADER = "Staff No,Type,1,2,3,4,5,6,7,8,9,10"
STAGES = [f"stage_{i}" for i in range(1, 11)]

LEVEL_EXPECTED = "a whole number from 0 to 5, or a blank cell for not assessed"
STAFF_EXPECTED = "a whole number of staff (headcount, 0 or more), or a blank cell if unknown"


# -- the bad-input corpus ------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """One problem the loader must report, as a user would locate it.

    ``message`` and ``expected`` are regular expressions; row, column and value are
    compared exactly (on the Problem and in the rendered message).
    """

    message: str
    _: KW_ONLY
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None

    def pattern(self, file_name: str) -> str:
        """The rendered one-line problem: 'file, row R, column 'C': message (value 'V'); ...'."""
        out = re.escape(file_name)
        if self.row is not None:
            out += re.escape(f", row {self.row}")
        if self.column is not None:
            out += re.escape(f", column {self.column!r}")
        out += ": " + self.message
        if self.value is not None:
            out += ".*" + re.escape(f"(value {shorten(self.value)!r})")  # as rendered
        if self.expected is not None:
            out += ".*; expected .*" + self.expected
        return out

    def matches(self, problem: cma.Problem) -> bool:
        return (
            problem.row == self.row
            and problem.column == self.column
            and problem.value == self.value
            and re.search(self.message, problem.message) is not None
            and (
                self.expected is None
                or re.search(self.expected, problem.expected or "") is not None
            )
        )


@dataclass(frozen=True)
class Case:
    file: str
    expect: tuple[Expect, ...]
    n_problems: int | None = None  # exact count when the file has no other problem
    kwargs: dict[str, Any] = field(default_factory=dict)


def _level(row: int, column: str, value: str, message: str) -> Expect:
    return Expect(message, row=row, column=column, value=value, expected=re.escape(LEVEL_EXPECTED))


def _staff(row: int, column: str, value: str, message: str) -> Expect:
    return Expect(message, row=row, column=column, value=value, expected=re.escape(STAFF_EXPECTED))


_PLAIN = re.escape("level is not written as a plain whole number")
_ID_EXPECTED = re.escape("printable text of 1 to 100 characters")
HARDENING_CASES = [
    Case("level_digit_separator.csv", (_level(3, "2", "0_2", _PLAIN),), 1),
    Case("level_exponent.csv", (_level(2, "7", "3e0", _PLAIN),), 1),
    # 'planned  IMPROVEMENT' on row 4 is read as level 4: the only problem is 'Sprint'.
    Case(
        "level_unknown_label.csv",
        (
            Expect(
                "level is not a number",
                row=2,
                column="1",
                value="Sprint",
                expected=re.escape("or a level label of customer_wise_2007: 'Below level 1' (0)"),
            ),
        ),
        1,
    ),
    Case(
        "staff_exponent.csv",
        (_staff(3, "Staff No", "1e18", re.escape("staff is not written as a plain whole")),),
        1,
    ),
    Case(
        "staff_above_bound.csv",
        (_staff(2, "Staff No", "12,000,000", re.escape("staff is too large (at most 10,000,000")),),
        1,
    ),
    Case(
        "business_id_control.csv",
        (
            Expect(
                "business id holds a control character",
                row=3,
                column="Business ID",
                value="B0\x0b2",
                expected=_ID_EXPECTED,
            ),
        ),
        1,
    ),
    Case(
        "business_id_too_long.csv",
        (
            Expect(
                "business id is 101 characters long",
                row=3,
                column="Business ID",
                value="B" + "7" * 100,
                expected=_ID_EXPECTED,
            ),
        ),
        1,
    ),
    Case(
        "cell_too_long.csv",
        (Expect(re.escape("a cell of 40,000 characters (at most 32,767"), row=3, column="B"),),
        1,
    ),
    Case(
        "many_delimiters.csv",
        (Expect(re.escape("the row has 1,500 cells (only 1,000 columns"), row=3),),
        1,
    ),
    Case(
        "xlsx_stray_far_cell.xlsx",
        (Expect(re.escape("a value in column XFD, the 16,384th"), row=60000),),
        1,
    ),
    Case(
        "xlsx_formula_no_value.xlsx",
        (
            Expect(
                re.escape("sheet 'Table 4': 2 formula cell(s) have no saved value (E2, A4)"),
                expected=re.escape("open the workbook in Excel or LibreOffice and save it"),
            ),
        ),
        1,
    ),
]

CASES = [
    Case(
        "missing_stage_column.csv",
        (
            Expect(
                "missing required column 'stage_10'",
                row=1,
                column="stage_10",
                expected=re.escape("a header naming it (found: 'Staff No', 'Type', '1'"),
            ),
        ),
        n_problems=1,
    ),
    Case(
        "unknown_stage_column.csv",
        (
            Expect(
                "unknown stage column: customer_wise_2007 has no stage 11",
                row=1,
                column="11",
                expected="stages 1 to 10",
            ),
        ),
        n_problems=1,
    ),
    Case("level_out_of_range.csv", (_level(3, "5", "6", "level outside the levels 0-5"),), 1),
    Case("level_non_integer.csv", (_level(2, "3", "2.5", "level is not a whole number"),), 1),
    Case("level_text.csv", (_level(3, "7", "three", "level is not a number"),), 1),
    Case("tsv_level_negative.tsv", (_level(3, "5", "-1", "level outside the levels 0-5"),), 1),
    # Header on row 3 below a title: rows are still counted from the top of the sheet.
    Case(
        "title_row_level_out_of_range.csv",
        (_level(5, "2", "9", "level outside the levels 0-5"),),
        n_problems=1,
        kwargs={"header_row": 3},
    ),
    # A blank line and a row of bare commas are skipped but still counted.
    Case("blank_lines_level_text.csv", (_level(5, "10", "n.k.", "level is not a number"),), 1),
    Case("xlsx_level_non_integer.xlsx", (_level(3, "4", "2.5", "level is not a whole number"),), 1),
    Case("staff_negative.csv", (_staff(2, "Staff No", "-3", "staff is negative"),), 1),
    Case("staff_text.csv", (_staff(3, "Staff No", "fifteen", "staff is not a number"),), 1),
    Case(
        "staff_too_large.csv",
        (_staff(2, "Staff No", "99999999999999999999", "staff is too large"),),
        n_problems=1,
    ),
    Case(
        "duplicate_business_id.csv",
        (
            Expect(
                re.escape("duplicate business id within a wave: also on row 2"),
                row=4,
                column="Business ID",
                value="V01",
                expected="each business id within a wave once",
            ),
        ),
        n_problems=1,
    ),
    # V01 and A02 in waves 1 and 2 are fine; A02 twice in wave 2 (rows 5 and 6) is not.
    Case(
        "duplicate_id_within_wave.csv",
        (
            Expect(
                re.escape("duplicate business id within a wave: also on row 5"),
                row=6,
                column="Business ID",
                value="A02",
                expected="each business id within a wave once",
            ),
        ),
        n_problems=1,
    ),
    Case(
        "wave_not_a_number.csv",
        (
            Expect(
                "wave is not a positive whole number",
                row=3,
                column="Wave",
                value="first",
                expected=re.escape("1, 2, 3"),
            ),
        ),
        n_problems=1,
    ),
    Case(
        "empty.csv",
        (Expect("the file is empty", expected="a header row naming the columns"),),
        n_problems=1,
    ),
    Case(
        "header_only.csv",
        (
            Expect(
                "the file has a header but no data rows",
                row=1,
                expected="one row per business below the header",
            ),
        ),
        n_problems=1,
    ),
    Case(
        "cp1252.csv",
        (
            Expect(
                re.escape("is not UTF-8 text (byte 0xA3 on line 3)") + ".*Windows-1252",
                expected=re.escape("pass encoding='cp1252'"),
            ),
        ),
        n_problems=1,
    ),
    Case(
        "utf16_bom.csv",
        (Expect("the file is UTF-16 encoded", expected="CSV UTF-8"),),
        n_problems=1,
    ),
    # "Courses, Home support to clients" unquoted: 13 cells, and "Home support to
    # clients" lands in stage 1.
    Case(
        "ragged_too_many.csv",
        (
            Expect(
                "row has 13 cells but the header has 12",
                row=3,
                value="3",
                expected="quote text that contains the delimiter",
            ),
            _level(3, "1", "Home support to clients", "level is not a number"),
        ),
        n_problems=2,
    ),
    # "...,1,34": a comma lost between 3 and 4, so stage 9 reads 34 and stage 10 is short.
    Case(
        "ragged_too_few.csv",
        (
            Expect(
                "row has 11 cells but the header has 12",
                row=3,
                expected="a delimiter seems to be missing",
            ),
            _level(3, "9", "34", "level outside the levels 0-5"),
        ),
        n_problems=2,
    ),
    # Every stage is missing (each with the hint) and columns B-L have no header: no
    # exact count.
    # One problem, not a wall of "missing column" lines: the title row is named and the
    # fix is given.
    Case(
        "title_row.xlsx",
        (
            Expect(
                "the header row does not name the columns",
                row=1,
                expected=re.escape("the header seems to be on row 3: pass header_row=3"),
            ),
        ),
        n_problems=1,
    ),
    Case(
        "several_problems.csv",
        (
            _level(2, "10", "7", "level outside the levels 0-5"),
            _staff(3, "Staff No", "-2", "staff is negative"),
            _level(5, "3", "zero", "level is not a number"),
            _level(6, "10", "2.5", "level is not a whole number"),
        ),
        n_problems=4,
    ),
    Case(
        "long_unknown_stage.csv",
        (
            Expect(
                "unknown stage",
                row=4,
                column="Stage",
                value="11",
                expected="one of stage_1, stage_2",
            ),
        ),
        n_problems=1,
    ),
    Case(
        "long_duplicate_stage.csv",
        (
            Expect(
                re.escape("duplicate business id, wave and stage: also on row 3"),
                row=5,
                column="Business ID",
                value="V01",
                expected="each business id, wave and stage once",
            ),
        ),
        n_problems=1,
    ),
    Case(
        "long_conflicting_staff.csv",
        (
            Expect(
                re.escape(
                    "staff differs between rows of the same business and wave (row 2 has '1')"
                ),
                row=4,
                column="Staff No",
                value="12",
                expected="the same value on every row of a business and wave",
            ),
        ),
        n_problems=1,
    ),
    Case("long_level_out_of_range.csv", (_level(3, "Level", "9", "level outside"),), 1),
    Case(
        "long_with_stage_column.csv",
        (Expect("a long-form file has a stage column", row=1, column="5", expected="not both"),),
        n_problems=1,
    ),
    Case(
        "waves_without_id.csv",
        (
            Expect(
                "the file has several waves but no business id column",
                row=1,
                expected="a business_id column",
            ),
        ),
        n_problems=1,
    ),
    Case(
        "blank_business_id.csv",
        (
            Expect(
                "business id is blank",
                row=3,
                column="Business ID",
                expected="an id for every business",
            ),
        ),
        n_problems=1,
    ),
    Case(
        "duplicate_column.csv",
        (
            Expect(
                re.escape("two columns mean 'staff': 'Staff No' (column A) and 'Staff' (column B)"),
                row=1,
                column="Staff",
                expected="each column once",
            ),
        ),
        n_problems=1,
    ),
    Case(
        "header_blank_with_values.csv",
        (
            Expect(
                "column has values but no header",
                row=1,
                column="C",
                expected="a column name on the header row",
            ),
        ),
        n_problems=1,
    ),
    Case(
        "unsupported.xls",
        (
            Expect(
                re.escape("old Excel 97-2003 (.xls) files are not read"),
                expected="saved as .xlsx",
            ),
        ),
        n_problems=1,
    ),
    Case(
        "unsupported.json",
        (Expect("unsupported file type '.json'", expected=re.escape("a .csv, .tsv or .xlsx")),),
        n_problems=1,
    ),
    Case(
        "not_a_workbook.xlsx",
        (Expect("cannot be opened as an Excel workbook", expected="an .xlsx file"),),
        n_problems=1,
    ),
    # Hardening members (issue 10; tests/data/make_hardening_corpus.py writes them).
    *HARDENING_CASES,
]


def test_corpus_has_one_case_per_file() -> None:
    files = {p.name for p in BAD.iterdir()}
    assert files == {c.file for c in CASES}
    assert len(CASES) >= 22


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_bad_file_is_refused_with_located_problems(case: Case) -> None:
    path = BAD / case.file
    first = case.expect[0]
    with pytest.raises(DataValidationError, match=first.pattern(case.file)) as info:
        load_returns(path, **case.kwargs)
    err = info.value
    assert isinstance(err, CMAError)
    text = str(err)
    for exp in case.expect:
        assert re.search(exp.pattern(case.file), text), (exp, text)
        assert any(exp.matches(p) for p in err.problems), (exp, err.problems)
    assert all(p.file == str(path) for p in err.problems)
    if case.n_problems is not None:
        assert len(err.problems) == case.n_problems, text


def test_several_problems_are_reported_together() -> None:
    # Three different kinds of bad cell, plus a bad staff count, in one error.
    with pytest.raises(DataValidationError) as info:
        load_returns(BAD / "several_problems.csv")
    messages = {p.message for p in info.value.problems}
    assert {
        "level outside the levels 0-5",
        "level is not a number",
        "level is not a whole number",
        "staff is negative",
    } <= messages
    assert len(info.value.lines) == 4


def test_no_header_row_hint_when_the_header_is_a_header() -> None:
    # Data rows of levels 0-5 look like stage numbers; that is no reason to suggest
    # header_row=2 for a file whose header is on row 1 (it only lacks stage 10).
    with pytest.raises(DataValidationError) as info:
        load_returns(BAD / "missing_stage_column.csv")
    assert "header_row" not in str(info.value)


def test_max_problems_truncates(tmp_path: Path) -> None:
    # 4 bad rows x 10 stages = 40 bad cells; stop after 5 and say so.
    path = tmp_path / "many.csv"
    path.write_text(HEADER + "\n" + "1,Florists,9,9,9,9,9,9,9,9,9,9\n" * 4, encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"stopped after 5 problems") as info:
        load_returns(path, max_problems=5)
    assert len(info.value.problems) == 5
    assert info.value.truncated


def test_bad_parameters() -> None:
    with pytest.raises(ParameterError, match=re.escape("form='tall' is not allowed")):
        load_returns(BUNDLED, form="tall")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="max_problems=0"):
        load_returns(BUNDLED, max_problems=0)
    with pytest.raises(ParameterError, match=re.escape("alias 'Headcount' -> 'people'")):
        load_returns(BUNDLED, aliases={"Headcount": "people"})
    with pytest.raises(DataValidationError, match="unknown encoding 'klingon'"):
        load_returns(BUNDLED, encoding="klingon")


# -- the bundled data ----------------------------------------------------------------


@pytest.fixture(scope="module")
def table4() -> cma.Cohort:
    return load_returns(BUNDLED)


def test_bundled_file_is_pinned() -> None:
    assert hashlib.sha256(BUNDLED.read_bytes()).hexdigest() == BUNDLED_SHA256


def test_source_records_the_file(table4: cma.Cohort) -> None:
    assert table4.source.sha256 == BUNDLED_SHA256
    assert table4.source.form == "wide"
    assert table4.source.encoding == "utf-8"
    assert table4.source.header_row == 1


def test_bundled_shape_and_dtypes(table4: cma.Cohort) -> None:
    # Table 4 lists 16 businesses, each assessed once (wave 1), on 10 stages.
    assert table4.n_businesses == 16
    assert table4.waves == ("1",)
    assert table4.scores.shape == (16, 10)
    assert list(table4.scores.columns) == STAGES
    assert all(str(t) == "Int64" for t in table4.scores.dtypes)
    assert str(table4.attributes["staff"].dtype) == "Int64"
    assert isinstance(table4.attributes["business_type"].dtype, pd.StringDtype)
    assert list(table4.attributes.columns) == ["staff", "business_type"]


def test_bundled_cell_counts(table4: cma.Cohort) -> None:
    # Blank cells counted row by row in Table 4: Consultants Accountants 8, Cottage
    # letting agency 4, Rugby Club 5, Timeshare development 6, the other 12 rows none:
    # 8 + 4 + 5 + 6 = 23 not assessed, 160 - 23 = 137 assessed.
    assert int(table4.scores.isna().sum().sum()) == 23
    assert int(table4.scores.notna().sum().sum()) == 137
    # Blanks per stage 1..10, counted down each column of Table 4.
    assert table4.scores.isna().sum().tolist() == [2, 3, 1, 2, 2, 2, 4, 3, 2, 2]
    # Zeros (assessed, below level 1): Venetian 3, Rugby 4, Timeshare 1, Spreadsheet
    # training 3, Courses 1, Equine 6, Racehorse 3 = 21.
    assert int((table4.scores == 0).sum().sum()) == 21


def test_bundled_per_business(table4: cma.Cohort) -> None:
    assessed = table4.scores.notna().sum(axis=1).tolist()
    # Table 4 row order: Consultants Accountants 2 (stages 5, 10), Venetian 10,
    # Activity centre 10, Cottage letting agency 6 (stages 1-6), Rugby Club 5,
    # Timeshare development 4 (stages 3, 4, 9, 10), then ten complete rows.
    assert assessed == [2, 10, 10, 6, 5, 4] + [10] * 10
    # 12 businesses assessed on all 10 stages (complete cases).
    assert int(table4.scores.notna().all(axis=1).sum()) == 12


def test_bundled_known_rows(table4: cma.Cohort) -> None:
    s, a = table4.scores, table4.attributes
    # Row 1 "Consultants Accountants": ",,,,1,,,,,1" -> only stages 5 and 10, both 1.
    b01 = s.loc[("B01", 1)]
    assert b01.dropna().to_dict() == {"stage_5": 1, "stage_10": 1}
    assert a.loc[("B01", 1), "business_type"] == "Consultants Accountants"
    # Row 5 "Rugby Club": "2,,0,,,0,,0,0," -> zeros at stages 3, 6, 8, 9 stay zeros.
    b05 = s.loc[("B05", 1)]
    assert a.loc[("B05", 1), "business_type"] == "Rugby Club"
    assert b05.dropna().to_dict() == {
        "stage_1": 2,
        "stage_3": 0,
        "stage_6": 0,
        "stage_8": 0,
        "stage_9": 0,
    }
    assert b05.isna().tolist() == [False, True, False, True, True, False, True, False, False, True]
    # Row 6 "Timeshare development": ",,2,2,,,,,0,2".
    assert s.loc[("B06", 1)].dropna().to_dict() == {
        "stage_3": 2,
        "stage_4": 2,
        "stage_9": 0,
        "stage_10": 2,
    }
    # Row 16 "Florists" has 100 staff; row 13 keeps the comma inside its quoted type.
    assert a.loc[("B16", 1), "business_type"] == "Florists"
    assert a.loc[("B16", 1), "staff"] == 100
    assert a.loc[("B13", 1), "business_type"] == "Courses, Home support to clients"
    # Staff column as printed: 2,1,15,3,8,4,18,10,3,2,5,2,10,3,4,100.
    assert a["staff"].tolist() == [2, 1, 15, 3, 8, 4, 18, 10, 3, 2, 5, 2, 10, 3, 4, 100]


def test_generated_ids_in_file_order(table4: cma.Cohort) -> None:
    ids = table4.scores.index.get_level_values("business_id").tolist()
    assert ids == [f"B{i:02d}" for i in range(1, 17)]
    assert table4.scores.index.names == ["business_id", "wave"]


# -- options -------------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def test_aliases_name_columns(tmp_path: Path) -> None:
    text = (
        "Firm,Headcount,FTE,Sector,Q1,2,3,4,5,6,7,8,9,10\nF1,12,11.5,Florists,4,2,4,4,5,5,5,5,3,3\n"
    )
    path = _write(tmp_path / "aliased.csv", text)
    cohort = load_returns(
        path,
        aliases={
            "Firm": "business_id",
            "Headcount": "staff",
            "Sector": "business_type",
            "Q1": "stage_1",
        },
    )
    assert cohort.scores.index.tolist() == [("F1", 1)]
    assert cohort.scores.loc[("F1", 1), "stage_1"] == 4
    assert cohort.attributes.loc[("F1", 1), "staff"] == 12
    assert cohort.attributes.loc[("F1", 1), "business_type"] == "Florists"
    # A column that is neither a role nor a stage is kept as text under a snake name.
    assert cohort.attributes.loc[("F1", 1), "fte"] == "11.5"
    # Without the Q1 alias, the stage_1 column is missing.
    with pytest.raises(DataValidationError, match="missing required column 'stage_1'"):
        load_returns(path, aliases={"Firm": "business_id"})


def test_alias_can_target_a_stage_by_name(tmp_path: Path) -> None:
    text = HEADER.replace(",10", ",Rep") + "\n1,Florists,4,2,4,4,5,5,5,5,3,3\n"
    path = _write(tmp_path / "rep.csv", text)
    cohort = load_returns(path, aliases={"Rep": "reputation"})
    assert cohort.scores.iloc[0]["stage_10"] == 3


def test_na_values(tmp_path: Path) -> None:
    # "-", "n/a" and "." mean not assessed; "0" is level 0; a blank is not assessed.
    text = HEADER + "\n1,Florists,-,n/a,.,0,,N/A,1,2,3,4\n"
    path = _write(tmp_path / "na.csv", text)
    expected = [None, None, None, 0, None, None, 1, 2, 3, 4]
    for na_values in (None, ["-", "n/a", "."]):
        row = load_returns(path, na_values=na_values).scores.iloc[0]
        assert [None if pd.isna(v) else int(v) for v in row] == expected, na_values
    # Without "-" in na_values, "-" is a bad level, reported where it is.
    with pytest.raises(DataValidationError, match=r"row 2, column '1': level is not a number"):
        load_returns(path, na_values=["n/a", "."])


def test_custom_na_values_keep_blank_as_not_assessed() -> None:
    # Table 4 has 23 blanks; na_values that do not list "" must not turn them into errors.
    cohort = load_returns(BUNDLED, na_values=["-"])
    assert int(cohort.scores.isna().sum().sum()) == 23


# -- good files ----------------------------------------------------------------------


def assert_same_cohort(actual: cma.Cohort, expected: cma.Cohort) -> None:
    pd.testing.assert_frame_equal(actual.scores, expected.scores, check_exact=True)
    pd.testing.assert_frame_equal(actual.attributes, expected.attributes, check_exact=True)


def test_long_form_equals_wide_form(table4: cma.Cohort) -> None:
    # long_form.csv is Table 4 with one row per business and stage (ids B01..B16).
    long = load_returns(GOOD / "long_form.csv")
    assert long.source.form == "long"
    assert_same_cohort(long, table4)


def test_two_waves() -> None:
    cohort = load_returns(GOOD / "two_waves.csv")
    assert cohort.waves == ("1", "2")
    assert cohort.n_businesses == 3
    assert len(cohort) == 5  # R05 only in wave 1
    assert cohort.scores.loc[("V01", 2), "stage_1"] == 3
    # F16 has no staff figure in wave 2: unknown, not 0.
    assert pd.isna(cohort.attributes.loc[("F16", 2), "staff"])
    assert cohort.select_wave(2).scores.index.get_level_values("business_id").tolist() == [
        "V01",
        "F16",
    ]


def test_good_files_all_load() -> None:
    kwargs = {
        "cp1252.csv": {"encoding": "cp1252"},
        "title_row.xlsx": {"header_row": 3},
        "title_row_semicolons.csv": {"header_row": 3},
    }
    for path in sorted(GOOD.iterdir()):
        assert len(load_returns(path, **kwargs.get(path.name, {}))) > 0, path.name


def test_na_values_may_not_contain_a_level(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(BUNDLED.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(cma.ParameterError, match=r"may not contain a level \(0\)"):
        load_returns(path, na_values=["-", "0"])
    with pytest.raises(cma.ParameterError, match=r"must be a list of texts, e\.g\. \['-'\]"):
        load_returns(path, na_values="-")  # type: ignore[arg-type]


def test_unrecognised_score_column_is_kept_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    text = BUNDLED.read_text(encoding="utf-8").splitlines()
    rows = [text[0] + ",Score"] + [line + f",{i}" for i, line in enumerate(text[1:], start=1)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cohort = load_returns(path)
    assert cohort.attributes["level"].tolist()[:3] == ["1", "2", "3"]  # kept as an attribute


# -- loader options given as text (build and notebook parameters, the CLI) -----------


def test_loader_options_lists_and_aliases_are_parsed() -> None:
    got = loader_options(
        {
            "header_row": 3,
            "sheet": "Returns",
            "encoding": "cp1252",
            "na_values": " NA, -, ,n/a ",
            "aliases": "Headcount=staff; Sector = business_type;",
            "wave_order": "Baseline,Follow-up",
            "wave_rounds": "gap 90",
            "date_format": "day-first",
        }
    )
    assert got == {
        "header_row": 3,
        "sheet": "Returns",
        "encoding": "cp1252",
        "na_values": ["NA", "-", "n/a"],
        "aliases": {"Headcount": "staff", "Sector": "business_type"},
        "wave_order": ["Baseline", "Follow-up"],
        "wave_rounds": "gap 90",
        "date_format": "day-first",
    }
    assert list(got) == list(LOADER_OPTIONS)


def test_loader_options_leave_out_none_and_other_parameters() -> None:
    assert loader_options({"header_row": None, "strategy": "complete_case", "n_boot": 10}) == {}
    assert loader_options({}) == {}


@pytest.mark.parametrize("pair", ["Headcount", "=staff", "Headcount=", "Headcount staff"])
def test_loader_options_name_a_bad_alias_pair(pair: str) -> None:
    with pytest.raises(
        ParameterError, match=rf"parameter 'aliases': '{pair}' is not 'Header=role'"
    ):
        loader_options({"aliases": f"Sector=business_type; {pair}"})


# -- long-form free text (issue 20): kept with its stage, never refused ---------------


def test_long_form_comment_per_stage_is_kept_with_its_stage(tmp_path: Path) -> None:
    from tests.studies import INSTRUMENT, long_export

    path = long_export(tmp_path)
    cohort = load_returns(path)
    assert cohort.n_businesses == 12 and cohort.waves == ("Baseline", "Follow-up")
    assert "assessor_comment" not in cohort.attributes.columns
    per_stage = [f"assessor_comment_{sid}" for sid in INSTRUMENT.stage_ids]
    assert [c for c in cohort.attributes.columns if c.startswith("assessor_")] == per_stage
    # read back row by row: each stage keeps its own row's comment
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    for line in rows[:12]:
        business, wave, stage, _level_text, _staff, comment = line.split(",")
        sid = INSTRUMENT.stage(stage).id
        code = cohort.wave_rank(wave)
        assert cohort.attributes.loc[(business, code), f"assessor_comment_{sid}"] == comment
    (note,) = cohort.source.notes
    assert note.startswith("assessor_comment differs between the rows of a business and wave")
    assert "assessor_comment_stage_1 ... assessor_comment_stage_10" in note
    assert cohort.attributes.loc[("X01", 1), "staff"] == 10  # staff, the same on every row


def test_long_form_text_the_same_on_every_row_stays_one_column(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(
        "business_id,stage,level,assessor\nA,1,2,Jo\nA,2,3,Jo\nB,1,1,Sam\n", encoding="utf-8"
    )
    cohort = load_returns(path)
    assert cohort.attributes["assessor"].tolist() == ["Jo", "Sam"]
    assert cohort.source.notes == ()

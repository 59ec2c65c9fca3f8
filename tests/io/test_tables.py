"""read_raw_table: a CSV/TSV/XLSX file read as a header and rows of text.

Each file format is read the way a user saved it: a UTF-8 byte-order mark, a semicolon
delimiter, a Windows-1252 export, a title row above the header, a workbook with a stale
stored size. The bounds (bytes, rows, columns, cells) and the workbook hazards (formulas
without a saved value, hidden sheets) are tested in tests/hardening.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cma_research as cma
from cma_research import DataValidationError, ParameterError, load_returns
from cma_research.io.tables import RawTable, column_letter, read_raw_table
from tests.paths import BUNDLED, DATA

GOOD = DATA / "good"
HEADER = "Staff No,Type,1,2,3,4,5,6,7,8,9,10"


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def table4() -> cma.Cohort:
    return load_returns(BUNDLED)


def assert_same_cohort(actual: cma.Cohort, expected: cma.Cohort) -> None:
    pd.testing.assert_frame_equal(actual.scores, expected.scores, check_exact=True)
    pd.testing.assert_frame_equal(actual.attributes, expected.attributes, check_exact=True)


# -- the raw table -------------------------------------------------------------------


def test_rows_keep_their_spreadsheet_numbers(tmp_path: Path) -> None:
    # Row 1 a title, row 2 blank, row 3 the header, row 5 blank: data rows are 4 and 6.
    text = "Returns 2007;;\n\nid, staff ,type\nB1,3,Shop\n,,\nB2,,\n"
    path = _write(tmp_path / "t.csv", text)
    raw = read_raw_table(path, header_row=3)
    assert raw == RawTable(
        path=str(path),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        header=["id", "staff", "type"],  # header cells are trimmed, data cells are not
        rows=[(4, ["B1", "3", "Shop"]), (6, ["B2", "", ""])],
        header_row=3,
        encoding="utf-8",
        sheet=None,
    )


def test_workbook_rows_are_text(table4: cma.Cohort) -> None:
    raw = read_raw_table(GOOD / "table4.xlsx")
    assert raw.sheet == "Table 4"
    assert raw.encoding is None
    assert raw.header == HEADER.split(",")
    # Table 4 row 1 "Consultants Accountants": staff 2, stages 5 and 10 at level 1; the
    # numbers Excel stores as floats come back as the digits a user typed.
    assert raw.rows[0] == (
        2,
        ["2", "Consultants Accountants", "", "", "", "", "1", "", "", "", "", "1"],
    )
    assert len(raw.rows) == len(table4) == 16


@pytest.mark.parametrize(
    ("index", "letters"),
    [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA"), (16383, "XFD")],
)
def test_column_letter(index: int, letters: str) -> None:
    assert column_letter(index) == letters


@pytest.mark.parametrize("sep", ["ab", "a", "1", '"', "\n", ""])
def test_a_separator_that_cannot_delimit_is_refused(tmp_path: Path, sep: str) -> None:
    path = _write(tmp_path / "t.csv", "a,b\n1,2\n")
    with pytest.raises(ParameterError, match=re.escape(f"sep={sep!r} cannot be a delimiter")):
        read_raw_table(path, sep=sep)


# -- files as users save them --------------------------------------------------------


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match=re.escape("nothere.csv: file not found")):
        load_returns(tmp_path / "nothere.csv")


def test_explicit_sep(tmp_path: Path) -> None:
    text = HEADER.replace(",", "|") + "\n1|Florists|4|2|4|4|5|5|5|5|3|3\n"
    path = _write(tmp_path / "pipes.txt", text)
    assert load_returns(path, sep="|").scores.iloc[0].tolist() == [4, 2, 4, 4, 5, 5, 5, 5, 3, 3]


def test_bom_utf8_header_is_clean() -> None:
    # The file starts with EF BB BF; the first header must still read "Staff No".
    assert (GOOD / "bom_utf8.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    for encoding in (None, "utf-8"):
        cohort = load_returns(GOOD / "bom_utf8.csv", encoding=encoding)
        assert cohort.attributes["staff"].tolist() == [2, 1, 15]
        assert list(cohort.attributes.columns) == ["staff", "business_type"]


def test_semicolon_delimited() -> None:
    # Excel in comma-decimal locales saves "CSV" with semicolons; commas are then text.
    cohort = load_returns(GOOD / "semicolon.csv")
    assert cohort.attributes["business_type"].tolist() == [
        "Venetian Glass Machinery",
        "Courses, Home support to clients",
        "Rugby Club",
    ]
    assert cohort.scores.loc[("B03", 1)].isna().sum() == 5  # Rugby Club as in Table 4


def test_title_row_csv_delimiter_is_read_from_the_header_line() -> None:
    # The title line holds semicolons; the header on row 3 is comma-separated.
    cohort = load_returns(GOOD / "title_row_semicolons.csv", header_row=3)
    assert len(cohort) == 3
    assert cohort.attributes.loc[("B03", 1), "business_type"] == "Courses, Home support to clients"


def test_cp1252_with_encoding() -> None:
    cohort = load_returns(GOOD / "cp1252.csv", encoding="cp1252")
    assert cohort.attributes.loc[("B02", 1), "business_type"] == "Gift shop (gifts under £10)"
    assert cohort.source.encoding == "cp1252"


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("table4.xlsx", {}),
        ("title_row.xlsx", {"header_row": 3}),
        # Stored sheet size says A1:L10 (data runs to L17) / no size at all.
        ("stale_dimension.xlsx", {}),
        ("no_dimension.xlsx", {}),
    ],
)
def test_xlsx_equals_csv(table4: cma.Cohort, name: str, kwargs: dict[str, Any]) -> None:
    cohort = load_returns(GOOD / name, **kwargs)
    assert_same_cohort(cohort, table4)
    assert cohort.source.sheet == "Table 4"


def test_xlsx_sheet_selection() -> None:
    assert len(load_returns(GOOD / "table4.xlsx", sheet="Table 4")) == 16
    assert len(load_returns(GOOD / "table4.xlsx", sheet=0)) == 16
    with pytest.raises(DataValidationError, match="has no sheet 'Sheet2'"):
        load_returns(GOOD / "table4.xlsx", sheet="Sheet2")
    with pytest.raises(DataValidationError, match="has no sheet number 3"):
        load_returns(GOOD / "table4.xlsx", sheet=3)


def test_utf8_bom_with_a_wrong_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + BUNDLED.read_bytes())
    with pytest.raises(DataValidationError, match="UTF-8 byte-order mark but encoding='cp1252'"):
        load_returns(path, encoding="cp1252")

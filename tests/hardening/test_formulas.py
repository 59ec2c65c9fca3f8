"""Class 5 of issue 10: formulas without saved values are refused, never read as blank.

A workbook written by a script (openpyxl, pandas) stores formulas without the values
Excel would save; read with ``data_only`` they come back empty, i.e. silently as "not
assessed". Members tried: a formula in a stage cell, in the staff and id cells, many
formulas (the message lists the first ten and counts the rest), a formula whose value
*was* saved (read as that value), a text cell that merely starts with "=".
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from cma_research import DataValidationError, load_returns
from cma_research.cli import main

HEADER = ["Business ID", "Staff No", "Type", *range(1, 11)]
HOW = "open the workbook in Excel or LibreOffice and save it"


def _save(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Returns"
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _rows(n: int = 3) -> list[list[object]]:
    return [HEADER] + [[f"B{i}", 10 + i, "Florist", *([i % 6] * 10)] for i in range(1, n + 1)]


@pytest.mark.parametrize(
    ("cell", "formula"),
    [((1, 5), "=1+2"), ((2, 1), "=B2*2"), ((3, 0), '="B"&"9"'), ((1, 12), "=SUM(D2:L2)/9")],
    ids=["stage", "staff", "id", "last_stage"],
)
def test_a_formula_without_saved_value_is_named(
    tmp_path: Path, cell: tuple[int, int], formula: str
) -> None:
    rows = _rows()
    r, c = cell
    rows[r][c] = formula
    path = _save(tmp_path / "f.xlsx", rows)
    ref = f"{'ABCDEFGHIJKLM'[c]}{r + 1}"
    with pytest.raises(DataValidationError) as info:
        load_returns(path)
    (problem,) = info.value.problems
    assert re.search(
        rf"sheet 'Returns': 1 formula cell\(s\) have no saved value \({ref}\)", str(problem)
    )
    assert "not assessed" in problem.message
    assert HOW in (problem.expected or "") and "export the sheet to CSV" in (problem.expected or "")


def test_many_formulas_are_listed_then_counted(tmp_path: Path) -> None:
    rows = _rows(5)
    for r in range(1, 6):
        for c in range(3, 13):
            rows[r][c] = "=1"
    path = _save(tmp_path / "many.xlsx", rows)
    with pytest.raises(DataValidationError) as info:
        load_returns(path)
    text = str(info.value)
    assert "50 formula cell(s)" in text
    assert "(D2, E2, F2, G2, H2, I2, J2, K2, L2, M2 and 40 more)" in text
    assert len(text.splitlines()) == 1


def test_a_formula_with_its_saved_value_is_read(tmp_path: Path) -> None:
    rows = _rows()
    rows[1][4] = "=1+2"
    source = _save(tmp_path / "src.xlsx", rows)
    # What Excel writes after a save: the formula and its value (<v>3</v>).
    member = "xl/worksheets/sheet1.xml"
    out = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename == member:
                # openpyxl writes an empty value as <v/> or, with lxml installed, <v></v>
                body, n = re.subn(rb"<f>1\+2</f>(?:<v\s*/>|<v></v>)", b"<f>1+2</f><v>3</v>", body)
                assert n == 1
            zout.writestr(info, body)
    path = tmp_path / "saved.xlsx"
    path.write_bytes(out.getvalue())
    cohort = load_returns(path)
    assert int(cohort.scores.iloc[0]["stage_2"]) == 3


def test_text_that_starts_with_equals_is_not_a_formula(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    for row in _rows():
        ws.append(row)
    ws["C2"].value = "=Florist="
    ws["C2"].data_type = "s"  # typed as text (Excel: a leading apostrophe), not a formula
    path = tmp_path / "t.xlsx"
    wb.save(path)
    assert load_returns(path).attributes["business_type"].tolist()[0] == "=Florist="


def test_validate_command_names_the_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _rows()
    rows[2][6] = "=2"
    path = _save(tmp_path / "f.xlsx", rows)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith("error: ") and "(G3)" in line and HOW in line

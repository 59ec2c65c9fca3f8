"""Class 13 of issue 10: which sheet of a workbook is read, and saying so.

Members tried: a hidden first sheet holding old data before the active visible one, a
"very hidden" first sheet, an active sheet that is hidden (the first visible one is
read), a chart-free workbook of three sheets with the second active, and an explicit
``sheet=`` that still reads a hidden sheet on purpose. The sheet read is recorded in
``Source.sheet`` and printed by ``validate``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from cma_research import load_returns
from cma_research.cli import main

HEADER = ["Business ID", "Staff No", "Type", *range(1, 11)]


def _workbook(path: Path, sheets: list[tuple[str, str, int]], active: int) -> Path:
    """Sheets (title, state, level written everywhere); ``active`` is the selected one."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, state, level in sheets:
        ws = wb.create_sheet(title)
        ws.append(HEADER)
        ws.append(["B1", 5, title, *([level] * 10)])
        ws.sheet_state = state
    wb.active = active
    for ws in wb.worksheets:  # only the active sheet is selected (as Excel saves it)
        ws.sheet_view.tabSelected = ws.title == sheets[active][0]
    wb.save(path)
    return path


@pytest.mark.parametrize(
    ("sheets", "active", "read"),
    [
        ([("2007 (old)", "hidden", 1), ("2008", "visible", 3)], 1, "2008"),
        ([("old", "veryHidden", 1), ("new", "visible", 4)], 1, "new"),
        ([("a", "visible", 2), ("b", "visible", 3), ("c", "visible", 4)], 1, "b"),
        ([("first", "visible", 2), ("hidden active", "hidden", 5)], 1, "first"),
        ([("x", "hidden", 0), ("y", "visible", 1), ("z", "visible", 2)], 0, "y"),
    ],
    ids=["hidden_first", "very_hidden_first", "second_active", "active_hidden", "first_visible"],
)
def test_the_active_visible_sheet_is_read(
    tmp_path: Path, sheets: list[tuple[str, str, int]], active: int, read: str
) -> None:
    path = _workbook(tmp_path / "w.xlsx", sheets, active)
    cohort = load_returns(path)
    level = dict((t, lv) for t, _, lv in sheets)[read]
    assert cohort.source.sheet == read
    assert cohort.attributes["business_type"].tolist() == [read]
    assert cohort.scores.iloc[0].tolist() == [level] * 10


def test_an_explicit_sheet_is_read_even_if_hidden(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "w.xlsx", [("old", "hidden", 1), ("new", "visible", 3)], 1)
    assert load_returns(path, sheet="old").source.sheet == "old"
    assert load_returns(path, sheet=0).scores.iloc[0].tolist() == [1] * 10


def test_validate_says_which_sheet_was_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _workbook(tmp_path / "w.xlsx", [("old", "hidden", 1), ("Returns 2008", "visible", 3)], 1)
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    assert "  sheet read:       'Returns 2008'" in capsys.readouterr().out.splitlines()
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    assert main(["validate", "data/raw/customer_wise_2007.csv"]) == 0
    assert "sheet read" not in capsys.readouterr().out

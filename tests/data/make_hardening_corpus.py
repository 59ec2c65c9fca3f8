"""Write the hardening members of the loader's bad-input corpus (tests/data/bad).

Each file is one member of a class of hostile input from issue 10 (numbers Python
would read but a spreadsheet user never means, ids with control characters, cells and
rows far beyond a returns file, formulas without saved values). They are asserted in
``tests/io/test_returns.py`` (``CASES``) like the rest of the corpus. Deterministic:

    python tests/data/make_hardening_corpus.py

Importing this module has no side effects.
"""

from __future__ import annotations

import io
from pathlib import Path

if __package__:
    from tests.data.make_bad_corpus import (
        BAD,
        FIXED_TIME,
        _excel_value,
        _save_workbook,
        _write_zip_deterministic,
        table4_rows,
    )
else:  # run as a script
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_bad_corpus import (  # type: ignore[no-redef]
        BAD,
        FIXED_TIME,
        _excel_value,
        _save_workbook,
        _write_zip_deterministic,
        table4_rows,
    )


def _csv(rows: list[list[str]]) -> bytes:
    """Rows as CSV bytes (cells here hold no comma or quote)."""
    return "".join(",".join(r) + "\r\n" for r in rows).encode("utf-8")


def _table(n: int) -> list[list[str]]:
    """Header and the first ``n`` businesses of Table 4."""
    return [list(r) for r in table4_rows()[: n + 1]]


def make_hardening() -> None:
    BAD.mkdir(exist_ok=True)
    # Levels Python's float() reads but no one types: a digit separator, an exponent.
    rows = _table(3)
    rows[2][3] = "0_2"  # row 3, stage 2: float("0_2") == 2.0
    (BAD / "level_digit_separator.csv").write_bytes(_csv(rows))
    rows = _table(3)
    rows[1][8] = "3e0"  # row 2, stage 7
    (BAD / "level_exponent.csv").write_bytes(_csv(rows))
    # A label the instrument lacks, beside one it has (which is read).
    rows = _table(3)
    rows[1][2] = "Sprint"  # row 2, stage 1
    rows[3][5] = "planned  IMPROVEMENT"  # row 4, stage 4: level 4 in words
    (BAD / "level_unknown_label.csv").write_bytes(_csv(rows))
    # Staff: an exponent; a grouped number above the documented bound.
    rows = _table(3)
    rows[2][0] = "1e18"
    (BAD / "staff_exponent.csv").write_bytes(_csv(rows))
    rows = _table(3)
    rows[1][0] = '"12,000,000"'
    (BAD / "staff_above_bound.csv").write_bytes(_csv(rows))
    # Business ids: a vertical tab inside one, one of 101 characters.
    rows = [["Business ID", *r] for r in _table(3)]
    rows[1][0], rows[2][0], rows[3][0] = "B01", "B0\x0b2", "B03"
    (BAD / "business_id_control.csv").write_bytes(_csv(rows))
    rows = [["Business ID", *r] for r in _table(3)]
    rows[1][0], rows[2][0], rows[3][0] = "B01", "B" + "7" * 100, "B03"
    (BAD / "business_id_too_long.csv").write_bytes(_csv(rows))
    # Bounded work: a 40,000-character type; a row of 1,500 cells.
    rows = _table(3)
    rows[2][1] = "Gift shop " + "x" * 39_990
    (BAD / "cell_too_long.csv").write_bytes(_csv(rows))
    rows = _table(2)
    rows[2] = rows[2] + [""] * 1_488  # 12 + 1,488 = 1,500 cells, all blank past the table
    (BAD / "many_delimiters.csv").write_bytes(_csv(rows))
    # A workbook with one stray cell far away (as in issue 10, but not blank).
    cells: list[list[object]] = [[_excel_value(c) for c in r] for r in _table(3)]
    _save_stray(BAD / "xlsx_stray_far_cell.xlsx", cells, "XFD60000", "x")
    # Formulas without saved values: openpyxl (like many scripts) saves none.
    cells = [[_excel_value(c) for c in r] for r in _table(3)]
    cells[1][4] = "=1+2"  # E2, stage 3
    cells[3][0] = "=2*7"  # A4, staff
    _save_workbook(BAD / "xlsx_formula_no_value.xlsx", cells)


def _save_stray(path: Path, rows: list[list[object]], ref: str, value: str) -> None:
    """Like make_bad_corpus._save_workbook, plus one cell at ``ref``; byte-identical reruns."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Table 4"
    for row in rows:
        ws.append(row)
    ws[ref] = value
    wb.properties.creator = "cma_research test corpus"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    wb.save(buffer)
    _write_zip_deterministic(path, buffer.getvalue())


if __name__ == "__main__":
    make_hardening()

"""The bounds a table is read within (bytes, rows, columns, cells, characters a cell).

:class:`_Extent` keeps a table's used range while it is read and refuses it past them.
"""

from __future__ import annotations

from cma_research.core.errors import DataValidationError, Problem

__all__ = [
    "MAX_CELLS",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "column_letter",
]

# Bounded work: a returns file holds at most a few thousand rows of a few dozen cells.
# These caps refuse, with one line, files that would expand far beyond that (a 6 kB
# workbook with one cell at XFD200000, a CSV of a million delimiters, /dev/zero).
#: Largest file read, in bytes (and, for a workbook, its uncompressed content).
MAX_FILE_BYTES = 32 * 2**20
#: Most spreadsheet rows up to the last non-empty one.
MAX_ROWS = 200_000
#: Most columns up to the last non-empty one in any row.
MAX_COLUMNS = 1_000
#: Most cells (rows x columns of the used range).
MAX_CELLS = 2_000_000
#: Longest cell, in characters (Excel's own limit is 32,767).
MAX_CELL_CHARS = 32_767


def _fail(path: str, message: str, **kw: str | int | None) -> DataValidationError:
    return DataValidationError([Problem(file=path, message=message, **kw)])  # type: ignore[arg-type]


class _Extent:
    """Keeps a table's used range while it is read and refuses it past the caps.

    Rows after the last non-empty one are only counted, never stored, so a file of
    blank lines or a workbook with one stray cell far away costs no memory.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.rows: list[list[str]] = []  # up to the last non-empty row
        self.blank = 0  # blank rows read since then
        self.width = 0  # columns up to the last non-empty cell of any row
        self.stored = 0  # cells kept, blank ones included

    def add(self, cells: list[str], blank_tail_ok: bool) -> None:
        """Add one row; with ``blank_tail_ok`` its trailing empty cells are dropped."""
        used = len(cells)
        while used and not cells[used - 1].strip():
            used -= 1
        if not used:
            self.blank += 1
            return
        number = len(self.rows) + self.blank + 1
        if number > MAX_ROWS:
            raise _fail(
                self.name,
                f"a value on row {number:,} (only {MAX_ROWS:,} rows are read)",
                row=number,
                expected="a table of returns; delete stray cells far below the data",
            )
        if len(cells) > MAX_COLUMNS and not blank_tail_ok:
            raise _fail(
                self.name,
                f"the row has {len(cells):,} cells (only {MAX_COLUMNS:,} columns are read)",
                row=number,
                expected="a table of returns; delete stray delimiters at the ends of rows",
            )
        if used > MAX_COLUMNS:
            raise _fail(
                self.name,
                f"a value in column {column_letter(used - 1)}, the {used:,}th (only "
                f"{MAX_COLUMNS:,} columns are read)",
                row=number,
                expected="a table of returns; delete stray cells far to the right",
            )
        for i, cell in enumerate(cells[:used]):
            if len(cell) > MAX_CELL_CHARS:
                raise _fail(
                    self.name,
                    f"a cell of {len(cell):,} characters (at most {MAX_CELL_CHARS:,} are read)",
                    row=number,
                    column=column_letter(i),
                    expected="short text or numbers in every cell",
                )
        self.width = max(self.width, used)
        self.stored += used if blank_tail_ok else len(cells)
        if number * self.width > MAX_CELLS or self.stored > MAX_CELLS:
            raise _fail(
                self.name,
                f"the table expands to more than {MAX_CELLS:,} cells ({self.width:,} "
                f"columns by row {number:,})",
                row=number,
                expected="a table of returns; delete stray cells outside the data",
            )
        self.rows.extend([] for _ in range(self.blank))
        self.blank = 0
        # blank cells past the used range are dropped when allowed, else kept up to the cap
        self.rows.append(cells[:used] if blank_tail_ok else cells)

    def records(self, pad: bool) -> list[list[str]]:
        """Rows up to the last non-empty one (padded to the used width with ``pad``)."""
        if pad:
            return [r + [""] * (self.width - len(r)) for r in self.rows]
        return self.rows


def column_letter(index: int) -> str:
    """Spreadsheet column letter for a 0-based index (0 -> A, 16383 -> XFD)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters

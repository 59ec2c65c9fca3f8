"""Read a CSV/TSV/XLSX file into a header and rows of text, refusing bad files clearly.

Everything here works on text cells so that the loader, not a parser's guesses, decides
what a blank, a zero or a typo means. Row numbers are spreadsheet rows (1-based, the
way a user finds them in Excel).

A file is read only within bounds (bytes, rows, columns, cells, characters a cell: the
``MAX_*`` constants); :class:`_Extent` keeps a table's used range while it is read and
refuses it past them. A workbook (.xlsx, .xlsm) is read twice, read-only: the values
Excel saved and which cells are formulas, so that a formula without a saved value is
refused rather than read as blank.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cma_research.core.errors import DataValidationError, ParameterError, Problem

__all__ = [
    "EXCEL_SUFFIXES",
    "MAX_CELLS",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "TEXT_SUFFIXES",
    "RawTable",
    "Sheet",
    "column_letter",
    "read_raw_table",
    "read_sheets",
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


# None: the delimiter is read from the header line (Excel writes ";" in .csv files where
# the decimal separator is a comma).
TEXT_SUFFIXES = {".csv": None, ".tsv": "\t", ".tab": "\t", ".txt": None}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}


@dataclass(frozen=True)
class RawTable:
    """A file read as text: the header, the data rows and where they sit."""

    path: str
    sha256: str
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells)
    header_row: int
    encoding: str | None
    sheet: str | None


def read_raw_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    sep: str | None = None,
    sheet: str | int | None = None,
    header_row: int = 1,
) -> RawTable:
    """Read ``path`` into a :class:`RawTable`; raise DataValidationError when unreadable."""
    p = Path(path)
    name = str(path)
    if sep is not None and (len(sep) != 1 or sep in '"\r\n' or sep.isalnum()):
        raise ParameterError(
            f"sep={sep!r} cannot be a delimiter; expected one character such as ',', ';' or "
            "a tab (not a letter, digit, quote or line break)"
        )
    if not p.exists():
        raise _fail(name, "file not found", expected="an existing CSV, TSV or XLSX file")
    if p.is_dir():
        raise _fail(name, "is a folder", expected="a CSV, TSV or XLSX file")
    if not p.is_file():
        raise _fail(
            name, "is not a regular file (a device or pipe)", expected="a CSV, TSV or XLSX file"
        )
    suffix = p.suffix.lower()
    if header_row < 1:
        raise _fail(name, f"header_row={header_row} is not a row number", expected="1 or more")
    data = _read_bounded(name, p)
    sha = hashlib.sha256(data).hexdigest()
    if suffix in EXCEL_SUFFIXES:
        records, sheet_name = _read_excel(name, data, sheet)
        used_encoding = None
    elif suffix in TEXT_SUFFIXES or suffix == "":
        records = _read_text(
            name, data, encoding, sep if sep else TEXT_SUFFIXES.get(suffix), header_row
        )
        used_encoding = encoding or "utf-8"
        sheet_name = None
    elif suffix == ".xls":
        raise _fail(
            name,
            "old Excel 97-2003 (.xls) files are not read",
            expected="the workbook saved as .xlsx or as 'CSV UTF-8' from Excel",
        )
    else:
        raise _fail(
            name,
            f"unsupported file type {suffix!r}",
            expected="a .csv, .tsv or .xlsx file",
        )
    if not any(_nonblank(r) for r in records):
        raise _fail(
            name,
            "the file is empty",
            expected="a header row naming the columns, then one row per business",
        )
    if header_row > len(records) or not _nonblank(records[header_row - 1]):
        raise _fail(
            name,
            f"row {header_row} (the header row) is empty",
            expected="the column names on the header row; pass header_row=N if they are lower down",
        )
    header = [c.replace("\ufeff", "").strip() for c in records[header_row - 1]]
    rows = [(header_row + 1 + i, r) for i, r in enumerate(records[header_row:]) if _nonblank(r)]
    return RawTable(name, sha, header, rows, header_row, used_encoding, sheet_name)


@dataclass(frozen=True)
class Sheet:
    """One sheet of a file read whole, as text: every row up to the last non-empty one.

    ``records[i]`` is spreadsheet row ``i + 1`` (blank rows are empty lists). A text
    file is one sheet named ``None``.
    """

    name: str | None
    visible: bool
    records: list[list[str]]


def read_sheets(
    path: str | Path, *, encoding: str | None = None, sep: str | None = None
) -> list[Sheet]:
    """Every sheet of a workbook (hidden ones too), or a text file as one sheet, as text.

    Read within the same bounds as :func:`read_raw_table`; for looking at a file before
    its header row is known (``cma-research init``). A text file's delimiter is taken
    from the line with most delimiters among the first 30.
    """
    p = Path(path)
    name = str(path)
    if not p.is_file():
        raise _fail(name, "file not found", expected="an existing CSV, TSV or XLSX file")
    data = _read_bounded(name, p)
    suffix = p.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _read_all_sheets(name, data)
    if suffix not in TEXT_SUFFIXES and suffix != "":
        raise _fail(
            name, f"unsupported file type {suffix!r}", expected="a .csv, .tsv or .xlsx file"
        )
    chosen = sep or TEXT_SUFFIXES.get(suffix)
    if chosen is None:
        lines = io.StringIO(_decode(name, data, encoding), newline="").readlines()[:30]
        best = max(lines, key=lambda ln: max(ln.count(d) for d in (",", ";", "\t")), default="")
        counts = {d: best.count(d) for d in (",", ";", "\t")}
        chosen = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    return [Sheet(None, True, _read_text(name, data, encoding, chosen))]


def _check_unpacked(name: str, data: bytes) -> None:
    """Refuse a workbook that is no zip file, or unpacks beyond :data:`MAX_FILE_BYTES`."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _fail(
            name,
            "cannot be opened as an Excel workbook",
            expected="an .xlsx file saved by Excel or LibreOffice",
        ) from None
    if unpacked > MAX_FILE_BYTES:  # the sizes a member may decompress to are enforced
        raise _fail(
            name,
            f"the workbook unpacks to {unpacked:,} bytes (more than "
            f"{MAX_FILE_BYTES // 2**20} MiB are not read)",
            expected="a workbook of returns; delete stray content or export the sheet to CSV",
        )


def _read_all_sheets(name: str, data: bytes) -> list[Sheet]:
    import zipfile

    from openpyxl import load_workbook

    _check_unpacked(name, data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise _fail(
            name,
            f"cannot be opened as an Excel workbook ({type(exc).__name__})",
            expected="an .xlsx file saved by Excel or LibreOffice",
        ) from None
    try:
        sheets = []
        for ws in wb.worksheets:
            ws.reset_dimensions()
            extent = _Extent(name)
            for values in ws.iter_rows():
                extent.add([_excel_cell(getattr(c, "value", None)) for c in values], True)
            sheets.append(Sheet(ws.title, ws.sheet_state == "visible", extent.records(pad=True)))
        return sheets
    finally:
        wb.close()


def _read_bounded(name: str, p: Path) -> bytes:
    """The file's bytes, refusing a file larger than :data:`MAX_FILE_BYTES` unread."""
    too_big = f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB"
    expected = "a returns file (a few thousand rows at most); split larger studies"
    if p.stat().st_size > MAX_FILE_BYTES:
        raise _fail(name, too_big, expected=expected)
    with open(p, "rb") as fh:  # a file that grows while read is still cut at the limit
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _fail(name, too_big, expected=expected)
    return data


def _nonblank(cells: list[str]) -> bool:
    return any(c.strip() for c in cells)


def _decode(name: str, data: bytes, encoding: str | None) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(
            name,
            "the file is UTF-16 encoded (it starts with a UTF-16 byte-order mark)",
            expected="UTF-8 text: in Excel use Save As > 'CSV UTF-8 (Comma delimited)'",
        )
    if (
        encoding is not None
        and data.startswith(b"\xef\xbb\xbf")
        and encoding.lower().replace("-", "").replace("_", "") not in ("utf8", "utf8sig")
    ):
        raise _fail(
            name,
            f"the file starts with a UTF-8 byte-order mark but encoding={encoding!r} was given",
            expected="no encoding argument (UTF-8 is the default)",
        )
    if encoding is not None:
        try:
            return data.decode(encoding)
        except LookupError:
            raise _fail(
                name, f"unknown encoding {encoding!r}", expected="e.g. 'utf-8' or 'cp1252'"
            ) from None
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise _fail(
                name,
                f"cannot be decoded as {encoding} (byte 0x{data[exc.start]:02X} on line {line})",
                expected="the encoding the file was saved in",
            ) from None
    try:
        return data.decode("utf-8-sig")  # a UTF-8 byte-order mark is read and dropped
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        hint = ""
        try:
            data.decode("cp1252")
            char = bytes([byte]).decode("cp1252")
            hint = (
                f"; it looks like Windows-1252 (byte 0x{byte:02X} is {char!r} there), as UK "
                "Excel exports often are"
            )
        except UnicodeDecodeError:
            pass
        raise _fail(
            name,
            f"is not UTF-8 text (byte 0x{byte:02X} on line {line}){hint}",
            expected="UTF-8; pass encoding='cp1252' (command line: --encoding cp1252) "
            "or re-save the file from Excel as 'CSV UTF-8'",
        ) from None


def _read_text(
    name: str, data: bytes, encoding: str | None, sep: str | None, header_row: int = 1
) -> list[list[str]]:
    text = _decode(name, data, encoding)
    if sep is None:
        # Sniff on the header line, not on a title line above it.
        lines = io.StringIO(text, newline="").readlines()
        first = lines[header_row - 1] if header_row <= len(lines) else ""
        if not first.strip():
            first = next((ln for ln in lines if ln.strip()), "")
        counts = {d: first.count(d) for d in (",", ";", "\t")}
        sep = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    extent = _Extent(name)
    try:
        for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep):
            extent.add(r, blank_tail_ok=False)  # a short row is a problem the loader names
    except csv.Error as exc:
        raise _fail(name, f"is not valid delimited text ({exc})", expected="CSV or TSV") from None
    return extent.records(pad=False)


# -- workbooks ---------------------------------------------------------------------


def _excel_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()  # an Excel date cell: a date, as ISO text
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def _read_excel(name: str, data: bytes, sheet: str | int | None) -> tuple[list[list[str]], str]:
    import zipfile

    from openpyxl import load_workbook

    _check_unpacked(name, data)
    try:
        # Two read-only passes: the values Excel saved, and which cells are formulas.
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        wf = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise _fail(
            name,
            f"cannot be opened as an Excel workbook ({type(exc).__name__})",
            expected="an .xlsx file saved by Excel or LibreOffice",
        ) from None
    try:
        index = _choose_sheet(name, wb, sheet)
        ws, fs = wb.worksheets[index], wf.worksheets[index]
        # Read-only mode trusts the sheet's stored <dimension>, which some writers leave
        # stale (rows beyond it are silently dropped) or out (rows come back ragged).
        ws.reset_dimensions()
        fs.reset_dimensions()
        extent = _Extent(name)
        formulas: list[str] = []
        n_formulas = 0
        for values, cells in zip(ws.iter_rows(), fs.iter_rows(), strict=False):
            row = [_excel_cell(getattr(c, "value", None)) for c in values]
            for j, c in enumerate(cells):
                if getattr(c, "data_type", None) != "f":
                    continue
                cached = values[j].value if j < len(values) else None
                if cached is None or cached == "":
                    n_formulas += 1
                    if len(formulas) < 10:
                        formulas.append(str(c.coordinate))
            extent.add(row, blank_tail_ok=True)
        if n_formulas:
            more = f" and {n_formulas - len(formulas)} more" if n_formulas > len(formulas) else ""
            raise _fail(
                name,
                f"sheet {ws.title!r}: {n_formulas} formula cell(s) have no saved value "
                f"({', '.join(formulas)}{more}); they would be read as blank, i.e. not "
                "assessed",
                expected="values: open the workbook in Excel or LibreOffice and save it "
                "(formulas are then saved with their values), or export the sheet to CSV",
            )
        return extent.records(pad=True), ws.title
    finally:
        wb.close()
        wf.close()


def _choose_sheet(name: str, wb: Any, sheet: str | int | None) -> int:
    """The 0-based sheet to read: the one asked for, else the active sheet if visible."""
    names = list(wb.sheetnames)
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise _fail(name, f"has no sheet number {sheet}", expected=f"0 to {len(names) - 1}")
        return sheet
    if sheet is not None:
        if sheet not in names:
            raise _fail(name, f"has no sheet {sheet!r}", expected=f"one of {names}")
        return names.index(sheet)
    visible = [i for i, w in enumerate(wb.worksheets) if w.sheet_state == "visible"]
    if not visible:
        raise _fail(
            name, "has no visible sheet", expected=f"sheet= one of {names} (command line: --sheet)"
        )
    try:
        active = names.index(wb.active.title)
    except (AttributeError, IndexError, ValueError):
        active = visible[0]
    return active if active in visible else visible[0]


# -- bounds ------------------------------------------------------------------------


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

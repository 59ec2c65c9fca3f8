"""Read a CSV/TSV/XLSX file into a header and rows of text, refusing bad files clearly.

Everything here works on text cells so that the loader, not a parser's guesses, decides
what a blank, a zero or a typo means. Row numbers are spreadsheet rows (1-based, the
way a user finds them in Excel).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from cma_research.core.errors import ParameterError
from cma_research.io.bounds import (
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    _Extent,
    _fail,
)
from cma_research.io.workbook import _read_excel

__all__ = [
    "EXCEL_SUFFIXES",
    "MAX_CELLS",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "TEXT_SUFFIXES",
    "RawTable",
    "read_raw_table",
]

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

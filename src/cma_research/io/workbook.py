"""Read one sheet of an Excel workbook (.xlsx, .xlsm) as rows of text cells.

The workbook is read twice, read-only: the values Excel saved and which cells are
formulas, so that a formula without a saved value is refused rather than read as blank.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any

from cma_research.io.bounds import MAX_FILE_BYTES, _Extent, _fail


def _excel_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _read_excel(name: str, data: bytes, sheet: str | int | None) -> tuple[list[list[str]], str]:
    import zipfile

    from openpyxl import load_workbook

    failed = _fail(
        name,
        "cannot be opened as an Excel workbook",
        expected="an .xlsx file saved by Excel or LibreOffice",
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise failed from None
    if unpacked > MAX_FILE_BYTES:  # the sizes a member may decompress to are enforced
        raise _fail(
            name,
            f"the workbook unpacks to {unpacked:,} bytes (more than "
            f"{MAX_FILE_BYTES // 2**20} MiB are not read)",
            expected="a workbook of returns; delete stray content or export the sheet to CSV",
        )
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

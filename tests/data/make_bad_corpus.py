"""Write the generated files of the loader's test corpus (tests/data/bad and tests/data/good).

Most corpus files are small hand-written CSVs committed as they are. This script makes
the ones that are awkward to write by hand: exact byte encodings (Windows-1252, UTF-16,
a UTF-8 byte-order mark, a 0-byte file), Excel workbooks, and the long-form copy of the
bundled Table 4. Run it from anywhere; it is deterministic (fixed workbook properties and
zip timestamps), so re-running it gives byte-identical files:

    python tests/data/make_bad_corpus.py

Importing this module has no side effects (pytest imports it for doctests).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BAD = HERE / "bad"
GOOD = HERE / "good"
BUNDLED = HERE.parents[1] / "data" / "raw" / "customer_wise_2007.csv"

FIXED_TIME = dt.datetime(2007, 11, 23, 0, 0, 0)
ZIP_TIME = (2007, 11, 23, 0, 0, 0)
HEADER = ["Staff No", "Type", *[str(i) for i in range(1, 11)]]

# Rows 1-3 of Table 4 with a UK business type containing a pound sign.
CP1252_TEXT = (
    "Staff No,Type,1,2,3,4,5,6,7,8,9,10\r\n"
    "1,Venetian Glass Machinery,2,0,3,1,0,0,1,3,4,2\r\n"
    "15,Gift shop (gifts under £10),3,3,5,1,1,5,3,3,5,3\r\n"
    "3,Cottage letting agency,2,2,2,2,2,3,,,,\r\n"
)


def table4_rows() -> list[list[str]]:
    """The bundled Table 4 as text cells, header first."""
    with BUNDLED.open(newline="", encoding="utf-8") as fh:
        return [list(r) for r in csv.reader(fh)]


def _excel_value(text: str) -> int | str | None:
    """How Excel would hold a typed cell: whole numbers as numbers, blanks as empty."""
    if text == "":
        return None
    return int(text) if text.isdigit() else text


def _save_workbook(path: Path, sheet_rows: list[list[object]], title: str = "Table 4") -> None:
    """Write one sheet with fixed document properties and zip timestamps."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in sheet_rows:
        ws.append(row)
    wb.properties.creator = "cma_research test corpus"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    wb.save(buffer)
    _write_zip_deterministic(path, buffer.getvalue())


def _write_zip_deterministic(
    path: Path, data: bytes, patch: dict[str, bytes] | None = None
) -> None:
    """Re-pack a workbook with fixed timestamps (openpyxl stamps 'modified' with now)."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            body = (patch or {}).get(info.filename, zin.read(info.filename))
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp + rb"\g<2>",
                    body,
                )
            zinfo = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            zinfo.compress_type = zipfile.ZIP_DEFLATED
            zinfo.external_attr = 0o644 << 16
            zout.writestr(zinfo, body)
    path.write_bytes(out.getvalue())


def _with_dimension(path: Path, source: Path, ref: str | None) -> None:
    """Copy a workbook, replacing its sheet's <dimension ref=...> (None: remove it).

    Some writers store a stale or no dimension; openpyxl's read-only mode trusts it.
    """
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(source) as z:
        sheet = z.read(member)
    new = b"" if ref is None else f'<dimension ref="{ref}"/>'.encode()
    patched, n = re.subn(rb"<dimension ref=\"[^\"]*\"\s*/>", new, sheet)
    if n != 1:
        raise RuntimeError(f"{source}: expected one <dimension> element, found {n}")
    _write_zip_deterministic(path, source.read_bytes(), {member: patched})


def make_bad() -> None:
    BAD.mkdir(exist_ok=True)
    (BAD / "empty.csv").write_bytes(b"")
    (BAD / "cp1252.csv").write_bytes(CP1252_TEXT.encode("cp1252"))
    (BAD / "utf16_bom.csv").write_bytes(CP1252_TEXT.encode("utf-16"))  # BOM + UTF-16-LE
    # An old-format Excel file: the OLE2 compound-file signature, then padding.
    (BAD / "unsupported.xls").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504))
    # A CSV renamed to .xlsx.
    (BAD / "not_a_workbook.xlsx").write_bytes(b"Staff No,Type,1\r\n1,Florists,2\r\n")
    table = table4_rows()
    title = [["Customer Wise 2007 - Table 4: CMA levels by business"], []]
    _save_workbook(
        BAD / "title_row.xlsx",
        title + [[_excel_value(c) for c in r] for r in table[:5]],
    )
    # Row 3 (the second business) has the non-whole level 2.5 at stage 4, as a number.
    rows: list[list[object]] = [[_excel_value(c) for c in r] for r in table[:4]]
    rows[2][HEADER.index("4")] = 2.5
    _save_workbook(BAD / "xlsx_level_non_integer.xlsx", rows)


def make_good() -> None:
    GOOD.mkdir(exist_ok=True)
    table = table4_rows()
    text = "".join(",".join(_quote(c) for c in r) + "\r\n" for r in table[:4])
    (GOOD / "bom_utf8.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (GOOD / "cp1252.csv").write_bytes(CP1252_TEXT.encode("cp1252"))
    cells = [[_excel_value(c) for c in r] for r in table]
    _save_workbook(GOOD / "table4.xlsx", cells)
    title = [["Customer Wise 2007 - Table 4: CMA levels by business"], []]
    _save_workbook(GOOD / "title_row.xlsx", title + cells)
    # Table 4 with a stale dimension (claims A1:L10, the data runs to L17) and with none.
    _with_dimension(GOOD / "stale_dimension.xlsx", GOOD / "table4.xlsx", "A1:L10")
    _with_dimension(GOOD / "no_dimension.xlsx", GOOD / "table4.xlsx", None)
    # Long form of Table 4: one row per business and stage, blank level = not assessed;
    # staff and type repeated on every row; ids B01..B16 as the loader generates them.
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Business ID", "Staff No", "Type", "Stage", "Level"])
    for k, row in enumerate(table[1:], start=1):
        staff, btype, *levels = row
        for number, level in enumerate(levels, start=1):
            writer.writerow([f"B{k:02d}", staff, btype, number, level])
    (GOOD / "long_form.csv").write_bytes(out.getvalue().encode("utf-8"))


def _quote(cell: str) -> str:
    return f'"{cell}"' if "," in cell else cell


if __name__ == "__main__":
    make_bad()
    make_good()

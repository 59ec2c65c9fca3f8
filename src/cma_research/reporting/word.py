"""The manuscript as a Word document, for co-authors who edit with tracked changes.

:func:`render_docx` writes a resolved :class:`~cma_research.reporting.manuscript.Paper`
with ``python-docx``: Word's own styles (Title, Heading 1-3 with the section number,
Caption, List Bullet, Quote), real Word tables (booktabs-style rules, the heading row
repeated on a new page, numbers right-aligned), figures from the notebooks' 300-dpi
PNG files at the text width, and captions numbered with Word's ``SEQ`` fields so a
co-author can insert a list of figures or a cross-reference. A claim's verdict is a
comment in the margin, anchored on the claim's words; a draft whose must-hold claims
fail says so in its first paragraph.

The file is byte-identical across runs: the document's dates are fixed
(:data:`FIXED_DATE`), the comments carry no date, and the zip container is written
with fixed timestamps in a fixed order.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from typing import Any

from cma_research.core.errors import ReportBuildError
from cma_research.reporting.manuscript import (
    SYNTHETIC_NOTE,
    AppendixMark,
    FigureBlock,
    Heading,
    Inline,
    ListBlock,
    Paper,
    Paragraph,
    QuoteBlock,
    TableBlock,
)
from cma_research.reporting.paper_tables import PaperTable

__all__ = ["FIXED_DATE", "normalise_docx", "render_docx"]

#: The created/modified date written into every document (no clock time in the file).
FIXED_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

_AUTHOR = "cma_research"
_TEXT_WIDTH_MM = 160  # A4 (210 mm) less 25 mm margins
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _runs(
    paragraph: Any,
    items: Sequence[Inline],
    paper: Paper,
    *,
    bold: bool = False,
    italic: bool = False,
) -> None:
    """Add ``items`` to ``paragraph`` as runs; a claim adds a comment on the words before."""
    from docx.shared import Pt

    for it in items:
        if it.kind in ("text", "value", "ref"):
            run = paragraph.add_run(it.text)
            run.bold, run.italic = bold or None, italic or None
        elif it.kind == "strong":
            _runs(paragraph, it.children, paper, bold=True, italic=italic)
        elif it.kind == "emph":
            _runs(paragraph, it.children, paper, bold=bold, italic=True)
        elif it.kind == "link":
            _runs(paragraph, it.children, paper, bold=bold, italic=italic)
            if it.target:
                paragraph.add_run(f" ({it.target})")
        elif it.kind == "code":
            run = paragraph.add_run(it.text)
            run.font.name = "Courier New"
            run.font.size = Pt(9.5)
        elif it.kind == "break":
            paragraph.add_run().add_break()
        elif it.kind in ("claim", "quote"):
            note = paper.claims[it.name].note
            if it.kind == "quote":
                anchor = [paragraph.add_run(f"\u201c{it.text}\u201d")]
            else:
                anchor = paragraph.runs[-1:] or [paragraph.add_run("")]
            paragraph.part.document.add_comment(anchor, text=note, author=_AUTHOR, initials="CMA")


def _caption(doc: Any, label: str, number: int, items: Sequence[Inline], paper: Paper) -> None:
    """A Word caption: "Figure 2: ..." with the number as a SEQ field."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    p = doc.add_paragraph(style="Caption")
    p.add_run(f"{label} ")
    field = parse_xml(
        f'<w:fldSimple {nsdecls("w")} w:instr=" SEQ {label} \\* ARABIC ">'
        f"<w:r><w:t>{number}</w:t></w:r></w:fldSimple>"
    )
    p._p.append(field)  # python-docx has no API for fields
    p.add_run(": ")
    _runs(p, items, paper)


def _border(cell: Any, side: str, size: int) -> None:
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    tc_pr = cell._tc.get_or_add_tcPr()  # python-docx has no API for borders
    borders = tc_pr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tcBorders")
    if borders is None:
        borders = parse_xml(f"<w:tcBorders {nsdecls('w')}/>")
        tc_pr.append(borders)
    borders.append(
        parse_xml(f'<w:{side} {nsdecls("w")} w:val="single" w:sz="{size}" w:color="000000"/>')
    )


def _table(doc: Any, table: PaperTable) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls
    from docx.shared import Pt

    n_cols = len(table.header)
    size = Pt(9 if n_cols <= 6 else 8)
    t = doc.add_table(rows=1 + len(table.rows), cols=n_cols)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = True
    header_row = t.rows[0]
    header_row._tr.get_or_add_trPr().append(  # python-docx has no API: repeat the heading row
        parse_xml(f"<w:tblHeader {nsdecls('w')}/>")
    )
    lines = [table.header, *table.rows]
    for r, values in enumerate(lines):
        row = t.rows[r]
        for c, text in enumerate(values):
            cell = row.cells[c]
            p = cell.paragraphs[0]
            run = p.add_run(text)
            run.font.size = size
            run.bold = True if r == 0 else None
            if table.align[c] == "right":
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if r == 0:
                _border(cell, "top", 12)
                _border(cell, "bottom", 6)
            if r == len(lines) - 1:
                _border(cell, "bottom", 12)


def render_docx(paper: Paper) -> bytes:
    """The paper as a ``.docx`` file (bytes), byte-identical for identical input."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt, RGBColor

    doc = docx.Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin = section.bottom_margin = Mm(25)
    props = doc.core_properties
    props.title = paper.title
    props.author = "; ".join(paper.authors) or _AUTHOR
    props.last_modified_by = _AUTHOR
    props.created = props.modified = FIXED_DATE
    props.revision = 1
    props.comments = f"Regenerated by cma_research from {paper.source.name}"

    doc.add_heading(paper.title, level=0)
    if paper.subtitle:
        doc.add_paragraph(paper.subtitle, style="Subtitle")
    if paper.authors:
        doc.add_paragraph(", ".join(paper.authors))
    if paper.synthetic:
        run = doc.add_paragraph().add_run(SYNTHETIC_NOTE)
        run.bold = True
    failing = paper.failing_claims
    if failing:
        p = doc.add_paragraph()
        count = f"{len(failing)} claim{'s' if len(failing) != 1 else ''}"
        verb = "are" if len(failing) != 1 else "is"
        run = p.add_run(f"Draft: {count} marked must hold {verb} not supported by the data: ")
        run.bold = True
        run.font.color.rgb = RGBColor(0xB3, 0x26, 0x1E)
        p.add_run("; ".join(f"{c.id} ({c.source}): {c.verdict}" for c in failing) + ".")
    if paper.abstract:
        p = doc.add_paragraph()
        p.add_run("Abstract. ").bold = True
        _runs(p, paper.abstract, paper)
    for b in paper.blocks:
        if isinstance(b, AppendixMark):
            doc.add_page_break()
        elif isinstance(b, Heading):
            h = doc.add_heading(level=b.level)
            h.add_run(f"{b.number} ")
            _runs(h, b.inlines, paper)
        elif isinstance(b, Paragraph):
            _runs(doc.add_paragraph(), b.inlines, paper)
        elif isinstance(b, QuoteBlock):
            _runs(doc.add_paragraph(style="Quote"), b.inlines, paper)
        elif isinstance(b, ListBlock):
            style = "List Number" if b.ordered else "List Bullet"
            for item in b.items:
                _runs(doc.add_paragraph(style=style), item, paper)
        elif isinstance(b, FigureBlock):
            if b.png is None:
                raise ReportBuildError(f"figure {b.id} has no PNG file")
            share = float(b.width.rstrip("%")) / 100 if b.width.endswith("%") else 1.0
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run().add_picture(str(b.png), width=Mm(_TEXT_WIDTH_MM * min(share, 1.0)))
            _caption(doc, "Figure", b.number, b.caption, paper)
        elif isinstance(b, TableBlock):
            if b.table is None:
                raise ReportBuildError(f"table {b.id} has no content")
            _caption(doc, "Table", b.number, b.caption, paper)
            _table(doc, b.table)
            doc.add_paragraph().paragraph_format.space_after = Pt(6)
    buffer = io.BytesIO()
    doc.save(buffer)
    return normalise_docx(buffer.getvalue())


_COMMENT_DATE = re.compile(rb'\s+w:date="[^"]*"')


def normalise_docx(data: bytes) -> bytes:
    """A ``.docx`` rewritten byte-stably: fixed zip timestamps, no comment dates.

    python-docx stamps each zip member with the clock and each comment with the time
    it was added; neither says anything about the paper.
    """
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            blob = source.read(info.filename)
            if info.filename == "word/comments.xml":
                blob = _COMMENT_DATE.sub(b"", blob)
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            # images are compressed already: stored as they are (and written faster)
            stored = info.filename.startswith("word/media/")
            member.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            target.writestr(member, blob)
    return out.getvalue()

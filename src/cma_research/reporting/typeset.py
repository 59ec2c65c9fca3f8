"""The manuscript as a conference PDF, typeset by Typst.

:func:`typst_source` writes a resolved :class:`~cma_research.reporting.manuscript.Paper`
as Typst markup; :func:`render_pdf` compiles it with the ``typst`` wheel (the Typst
compiler in a Python package: no TeX installation). The page is A4 with numbered
sections (lettered in the appendix), figures from the notebooks' vector PDFs with
their captions, tables with booktabs-style rules and the caption above, scaled down
when wider than the text, and a claim's verdict as a footnote. A draft whose
must-hold claims fail says so in a box on its first page.

The PDF is byte-identical across runs: no creation date (``date: none``), only the
fonts that ship inside Typst (system fonts are ignored, so every machine typesets
alike), and Typst embeds the fonts it uses. Figures are read from the build's
``figures/`` folder, so compile with the output folder as Typst's root; the written
``paper.typ`` compiles again with ``typst compile --root <output folder>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
from cma_research.reporting.tables import (
    FIGURE_SPACE,
    MINUS_SPACE,
    PresentationTable,
    markup_runs,
    split_marks,
)

__all__ = ["escape_typst", "render_pdf", "typst_source"]

# Characters with a meaning in Typst markup; a backslash makes each literal.
_SPECIAL = set("\\#$*_@<>[]`~/=+-")

_PREAMBLE = """\
#set document(title: {title}, author: ({authors}), date: none)
#set page(paper: "a4", margin: (x: 2.4cm, top: 2.5cm, bottom: 2.5cm), numbering: "1")
#set text(font: "Libertinus Serif", size: 10.5pt, lang: "en")
#set par(justify: true)
#set heading(numbering: "1.1")
#show heading: set block(above: 1.4em, below: 0.8em)
#show figure.caption: set text(size: 9.5pt)
#show figure.where(kind: table): set figure.caption(position: top)
#show figure.where(kind: table): set block(breakable: true)
#show raw: set text(font: "DejaVu Sans Mono", size: 9pt)

// A table wider than the text is scaled down to fit it.
#let cma-fit(body) = layout(size => {{
  let w = measure(body).width
  if w > size.width {{
    let f = size.width / w * 100%
    scale(x: f, y: f, reflow: true, body)
  }} else {{ body }}
}})

// A table with its note under it, the note as wide as the table (threeparttable's way).
#let cma-noted(body, note) = layout(size => {{
  let w = calc.min(measure(body).width, size.width)
  block(width: w, {{
    cma-fit(body)
    block(width: 100%, above: 0.6em, align(left, text(size: 8.5pt, note)))
  }})
}})
"""


def escape_typst(text: str) -> str:
    """Text as literal Typst markup.

    >>> escape_typst("ρ(10) = .52, 95% CI [−.08, .88] #1 *x*")
    'ρ(10) \\\\= .52, 95% CI \\\\[−.08, .88\\\\] \\\\#1 \\\\*x\\\\*'
    """
    return "".join("\\" + ch if ch in _SPECIAL else ch for ch in " ".join(text.split("\n")))


def _string(text: str) -> str:
    """A Typst string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{escaped}"'


def _label(kind: str, ident: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in ident)
    return f"{kind}-{safe}"


def _inline(items: Sequence[Inline], claims: Paper) -> str:
    out = []
    for it in items:
        if it.kind in ("text", "value"):
            out.append(escape_typst(it.text))
        elif it.kind == "strong":
            out.append(f"#strong[{_inline(it.children, claims)}]")
        elif it.kind == "emph":
            out.append(f"#emph[{_inline(it.children, claims)}]")
        elif it.kind == "code":
            out.append(f"#raw({_string(it.text)})")
        elif it.kind == "link":
            out.append(f"#link({_string(it.target)})[{_inline(it.children, claims)}]")
        elif it.kind == "ref":
            kind = "fig" if it.target == "figure" else "tab"
            out.append(f"#ref(<{_label(kind, it.name)}>)")
        elif it.kind == "break":
            out.append(" \\\n")
        elif it.kind in ("claim", "quote"):
            note = escape_typst(claims.claims[it.name].note)
            if it.kind == "quote":
                out.append(f"\u201c{escape_typst(it.text)}\u201d")
            out.append(f"#footnote[{note}]")
    return "".join(out)


def _markup(text: str) -> str:
    """A label or note: ``*x*`` as italics, the rest literal."""
    return "".join(
        f"#emph[{escape_typst(part)}]" if italic else escape_typst(part)
        for part, italic in markup_runs(text)
    )


def _cell(text: str) -> str:
    """A cell: literal text, its alignment pads hidden digits or signs, its footnote marks
    superscript letters."""
    body, marks = split_marks(text)
    out = escape_typst(body).replace(FIGURE_SPACE, "#hide[0]").replace(MINUS_SPACE, "#hide[−]")
    return out + (f"#super[{marks}]" if marks else "")


def _table(table: PresentationTable) -> str:
    n = len(table.columns)
    align = ", ".join(c.align for c in table.columns)
    size = "9pt" if n <= 6 else "8pt"
    head = []
    if table.has_spanners:
        for _, span, text in table.spanner_runs():
            head.append(f"table.cell(colspan: {span}, align: center)[#strong[{_markup(text)}]]")
        for start, span, text in table.spanner_runs():
            if text:
                head.append(f"table.hline(start: {start}, end: {start + span}, stroke: 0.4pt)")
    head += [f"[#strong[{_markup(c.label)}]]" for c in table.columns]
    rows = ",\n    ".join(", ".join(f"[{_cell(c)}]" for c in row) for row in table.rows)
    notes = []
    if table.notes:
        notes.append(f"#emph[Note.] {_markup(table.note_text())}")
    for letter, text in table.footnote_lines():
        notes.append(f"#super[{letter}] {_markup(text)}")
    body = (
        f'text(size: {size}, number-width: "tabular", table(\n'
        f"    columns: {n}, align: ({align},), stroke: none,\n"
        "    inset: (x: 4pt, y: 2.5pt),\n"
        "    table.hline(stroke: 0.8pt),\n"
        f"    table.header({', '.join(head)}),\n"
        "    table.hline(stroke: 0.5pt),\n"
        f"    {rows + ',' if rows else ''}\n"
        "    table.hline(stroke: 0.8pt),\n"
        "  ))"
    )
    if not notes:
        return f"cma-fit({body})"
    return f"cma-noted({body},\n  [" + " \\\n    ".join(notes) + "])"


def _failing_box(paper: Paper) -> str:
    synthetic = (
        '#block(width: 100%, fill: rgb("#fff4d6"), stroke: 0.8pt + rgb("#8a6d00"), '
        f"inset: 8pt, radius: 2pt)[*{escape_typst(SYNTHETIC_NOTE)}*]\n"
        if paper.synthetic
        else ""
    )
    failing = paper.failing_claims
    if not failing:
        return synthetic
    items = " ".join(
        f"#list.item[{escape_typst(c.id)} ({escape_typst(c.source)}): {escape_typst(c.verdict)}]"
        for c in failing
    )
    count = f"{len(failing)} claim{'s' if len(failing) != 1 else ''}"
    return synthetic + (
        '#block(width: 100%, fill: rgb("#fdecea"), stroke: 0.8pt + rgb("#b3261e"), '
        f"inset: 8pt, radius: 2pt)[*Draft: {count} marked must hold "
        f"{'are' if len(failing) != 1 else 'is'} not supported by the data.* {items}]\n"
    )


def typst_source(paper: Paper, *, figure_prefix: str = "/figures/") -> str:
    """The paper as Typst markup (figures read from ``figure_prefix``, root-relative)."""
    authors = ", ".join(_string(a) for a in paper.authors)
    parts = [
        "// Typeset by cma_research from the manuscript "
        f"{paper.source.name}; edit that file, not this one.\n",
        _PREAMBLE.format(
            title=_string(paper.title), authors=authors + ("," if paper.authors else "")
        ),
        f'#align(center)[\n  #text(size: 16pt, weight: "bold")[{escape_typst(paper.title)}]\n',
    ]
    if paper.subtitle:
        parts.append(f"  #v(0.2em) #text(size: 12pt)[{escape_typst(paper.subtitle)}]\n")
    if paper.authors:
        names = escape_typst(", ".join(paper.authors))
        parts.append(f"  #v(0.4em) #text(size: 11pt)[{names}]\n")
    parts.append("]\n#v(0.8em)\n")
    parts.append(_failing_box(paper))
    if paper.abstract:
        parts.append(
            "#pad(x: 2em)[#set text(size: 9.5pt)\n"
            f"*Abstract.* {_inline(paper.abstract, paper)}]\n#v(0.6em)\n"
        )
    for b in paper.blocks:
        parts.append(_block(b, paper) + "\n")
    return "".join(parts)


def _block(b: object, paper: Paper) -> str:
    if isinstance(b, AppendixMark):
        return (
            '#pagebreak(weak: true)\n#counter(heading).update(0)\n#set heading(numbering: "A.1")\n'
        )
    if isinstance(b, Heading):
        return f"{'=' * b.level} {_inline(b.inlines, paper)}\n"
    if isinstance(b, Paragraph):
        return _inline(b.inlines, paper) + "\n"
    if isinstance(b, QuoteBlock):
        return f"#quote(block: true)[{_inline(b.inlines, paper)}]\n"
    if isinstance(b, ListBlock):
        mark = "+" if b.ordered else "-"
        return "".join(f"{mark} {_inline(item, paper)}\n" for item in b.items)
    if isinstance(b, FigureBlock):
        if b.pdf is None:
            raise ReportBuildError(f"figure {b.id} has no file")
        return (
            f'#figure(image("/figures/{b.pdf.name}", width: {b.width}),\n'
            f"  caption: [{_inline(b.caption, paper)}]) <{_label('fig', b.id)}>\n"
        )
    if isinstance(b, TableBlock):
        if b.table is None:
            raise ReportBuildError(f"table {b.id} has no content")
        return (
            f"#figure(kind: table, caption: [{_inline(b.caption, paper)}],\n  "
            f"{_table(b.table)}) <{_label('tab', b.id)}>\n"
        )
    raise ReportBuildError(f"cannot typeset {type(b).__name__}")


def render_pdf(paper: Paper, root: str | Path) -> tuple[str, bytes]:
    """Typeset the paper: its Typst source and the PDF compiled from it.

    ``root`` is the build's output folder (the figures are read from its
    ``figures/``). Raises :class:`~cma_research.ReportBuildError` with Typst's message
    when the source does not compile.
    """
    import typst

    source = typst_source(paper)
    try:
        compiler = typst.Compiler(root=str(Path(root).resolve()), ignore_system_fonts=True)
        pdf = compiler.compile(source.encode("utf-8"), format="pdf")
    except typst.TypstError as exc:  # pragma: no cover - a bug of this module
        raise ReportBuildError(f"Typst could not typeset {paper.source.name}: {exc}") from exc
    if not isinstance(pdf, bytes):  # pragma: no cover - one PDF for one document
        raise ReportBuildError("Typst returned no PDF")
    return source, pdf

"""The manuscript as LaTeX, for journal templates.

:func:`latex_files` writes three kinds of file into the build's ``manuscript/`` folder:

- ``values.tex``: one macro per named value (:func:`values_tex`;
  ``\\newcommand{\\cmaAlpha}{.85}``), so a journal's own template can cite any value;
- ``tables/<id>.tex``: each placed table as a booktabs ``table`` with its caption,
  ``\\label{tab:<id>}`` and its note under it (``threeparttable``);
- ``paper.tex``: the paper in the ``article`` class, citing the values by macro, the
  tables by ``\\input`` and the figures by path (``../figures/<id>.pdf``), with a claim's
  verdict as a footnote.

Compile ``paper.tex`` in the ``manuscript/`` folder (``pdflatex`` or ``lualatex``;
packages booktabs, threeparttable, graphicx, textcomp). The build does not run LaTeX:
its PDF comes from Typst (:mod:`~cma_research.reporting.typeset`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cma_research.core.errors import ReportBuildError
from cma_research.core.text import MINUS
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
from cma_research.reporting.tables import PresentationTable
from cma_research.reporting.text import escape_latex
from cma_research.reporting.values import NamedValue, latex_macro

__all__ = ["latex_files", "latex_text", "table_tex", "values_tex"]

# Characters the default LaTeX fonts lack, as LaTeX writes them.
_UNICODE = {
    MINUS: "\\textminus{}",
    "\u2013": "--",
    "\u2014": "---",
    "\u2018": "`",
    "\u2019": "'",
    "\u201c": "``",
    "\u201d": "''",
    "\u2264": "$\\leq$",
    "\u2265": "$\\geq$",
    "\u00d7": "$\\times$",
    "\u03b1": "$\\alpha$",
    "\u03c1": "$\\rho$",
    "\u03c4": "$\\tau$",
    "\u03b5": "$\\varepsilon$",
    "\u00b2": "\\textsuperscript{2}",
    "\u2026": "\\ldots{}",
}


def latex_text(text: str) -> str:
    """Plain text as LaTeX: special characters escaped, symbols the fonts lack spelled.

    >>> print(latex_text("ρ(10) = .52, 95% CI [−.08, .88]"))
    $\\rho$(10) = .52, 95\\% CI [\\textminus{}.08, .88]
    """
    return "".join(_UNICODE.get(ch, ch) for ch in escape_latex(text))


def values_tex(values: Mapping[str, NamedValue]) -> str:
    """``values.tex``: ``\\newcommand{\\cmaName}{text}`` for every value, sorted by name.

    Raises :class:`~cma_research.ReportBuildError` when two names give the same macro.
    """
    lines = [
        "% Named values of the build (values.json), one macro each; written by cma_research.",
        "% \\input{values.tex} in your template, then cite a value as \\cmaAlpha{}.",
    ]
    seen: dict[str, str] = {}
    for name in sorted(values):
        macro = latex_macro(name)
        if macro in seen:
            raise ReportBuildError(
                f"values {seen[macro]!r} and {name!r} give the same LaTeX macro \\{macro}; "
                "rename one of them"
            )
        seen[macro] = name
        lines.append(f"\\newcommand{{\\{macro}}}{{{latex_text(values[name].text)}}}")
    return "\n".join(lines) + "\n"


def table_tex(table: PresentationTable, caption: str, label: str) -> str:
    """A booktabs ``table`` float: ``caption`` (LaTeX) above, ``\\label``, the note under
    the table; scaled to the text width when wide. Written by the presentation layer
    (:meth:`~cma_research.reporting.tables.PresentationTable.to_latex`)."""
    wide = len(table.columns) > 6 or table.width_chars > 90
    return table.to_latex(label, caption_latex=caption, fit=wide)


def _inline(items: Sequence[Inline], paper: Paper) -> str:
    out = []
    for it in items:
        if it.kind == "text":
            out.append(latex_text(it.text))
        elif it.kind == "value":
            out.append(f"\\{latex_macro(it.name)}{{}}")
        elif it.kind == "strong":
            out.append(f"\\textbf{{{_inline(it.children, paper)}}}")
        elif it.kind == "emph":
            out.append(f"\\emph{{{_inline(it.children, paper)}}}")
        elif it.kind == "code":
            out.append(f"\\texttt{{{latex_text(it.text)}}}")
        elif it.kind == "link":
            out.append(f"{_inline(it.children, paper)} ({latex_text(it.target)})")
        elif it.kind == "ref":
            word, kind = ("Figure", "fig") if it.target == "figure" else ("Table", "tab")
            out.append(f"{word}~\\ref{{{kind}:{it.name}}}")
        elif it.kind == "break":
            out.append("\\\\\n")
        elif it.kind in ("claim", "quote"):
            if it.kind == "quote":
                out.append(f"``{latex_text(it.text)}''")
            out.append(f"\\footnote{{{latex_text(paper.claims[it.name].note)}}}")
    return "".join(out)


def _block(b: object, paper: Paper) -> str:
    if isinstance(b, AppendixMark):
        return "\\clearpage\n\\appendix\n"
    if isinstance(b, Heading):
        command = ("section", "subsection", "subsubsection")[b.level - 1]
        return f"\\{command}{{{_inline(b.inlines, paper)}}}\n"
    if isinstance(b, Paragraph):
        return _inline(b.inlines, paper) + "\n"
    if isinstance(b, QuoteBlock):
        return f"\\begin{{quote}}\n{_inline(b.inlines, paper)}\n\\end{{quote}}\n"
    if isinstance(b, ListBlock):
        env = "enumerate" if b.ordered else "itemize"
        items = "".join(f"  \\item {_inline(i, paper)}\n" for i in b.items)
        return f"\\begin{{{env}}}\n{items}\\end{{{env}}}\n"
    if isinstance(b, FigureBlock):
        share = b.width.rstrip("%")
        width = f"{float(share) / 100:.2f}\\linewidth" if b.width.endswith("%") else "\\linewidth"
        return (
            "\\begin{figure}[htbp]\n\\centering\n"
            f"\\includegraphics[width={width}]{{../figures/{b.id}.pdf}}\n"
            f"\\caption{{{_inline(b.caption, paper)}}}\n\\label{{fig:{b.id}}}\n"
            "\\end{figure}\n"
        )
    if isinstance(b, TableBlock):
        return f"\\input{{tables/{b.id}.tex}}\n"
    raise ReportBuildError(f"cannot write {type(b).__name__} as LaTeX")


def latex_files(paper: Paper) -> dict[str, bytes]:
    """The LaTeX sources: relative path (in ``manuscript/``) -> bytes."""
    files: dict[str, bytes] = {"values.tex": values_tex(paper.values).encode("utf-8")}
    for t in paper.tables:
        if t.table is None:
            raise ReportBuildError(f"table {t.id} has no content")
        tex = table_tex(t.table, _inline(t.caption, paper), f"tab:{t.id}")
        files[f"tables/{t.id}.tex"] = tex.encode("utf-8")
    authors = " \\and ".join(latex_text(a) for a in paper.authors)
    title = latex_text(paper.title)
    if paper.subtitle:
        title += f"\\\\\\large {latex_text(paper.subtitle)}"
    failing = paper.failing_claims
    warning = f"\\noindent\\textbf{{{latex_text(SYNTHETIC_NOTE)}}}\n\n" if paper.synthetic else ""
    if failing:
        listing = "; ".join(f"{latex_text(c.id)} ({latex_text(c.verdict)})" for c in failing)
        warning += (
            f"\\noindent\\fbox{{\\parbox{{\\dimexpr\\linewidth-2\\fboxsep}}{{\\textbf{{Draft: "
            f"{len(failing)} claim(s) marked must hold not supported by the data:}} "
            f"{listing}.}}}}\n\n"
        )
    abstract = (
        f"\\begin{{abstract}}\n{_inline(paper.abstract, paper)}\n\\end{{abstract}}\n"
        if paper.abstract
        else ""
    )
    body = "\n".join(_block(b, paper) for b in paper.blocks)
    source = (
        f"% Written by cma_research from the manuscript {paper.source.name}; edit that file.\n"
        "\\documentclass[a4paper,11pt]{article}\n"
        "\\usepackage[utf8]{inputenc}\n\\usepackage[T1]{fontenc}\n\\usepackage{textcomp}\n"
        "\\usepackage{booktabs}\n\\usepackage{threeparttable}\n\\usepackage{graphicx}\n"
        "\\input{values.tex}\n"
        f"\\title{{{title}}}\n\\author{{{authors}}}\n\\date{{}}\n"
        "\\begin{document}\n\\maketitle\n"
        f"{warning}{abstract}\n{body}\n\\end{{document}}\n"
    )
    files["paper.tex"] = source.encode("utf-8")
    return files

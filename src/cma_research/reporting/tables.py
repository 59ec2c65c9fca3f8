"""Presentation tables: a tidy result as a table a co-author reads, in HTML, LaTeX, Word.

The statistics return tidy frames (one row per test, one number per column, full
precision, identifiers as column names). A paper shows something else: rows named in the
instrument's words, the estimate and its interval in one column (``.52 [−.13, .90]``),
p as APA writes it (``.088``, ``< .001``), counts as integers, decimals aligned,
columns grouped under spanners, what is the same in every row said once in the note
under the table, and cells that do not apply left empty. This module turns the first
into the second, once, as data (:class:`PresentationTable`), and renders that one
definition to HTML (pandas' ``Styler``), LaTeX (booktabs, the note under the table),
Markdown and Word (python-docx), so the table in the report and in the manuscript are
the same table.

:func:`presentation_table` works on any tidy frame: the package's known columns
(``estimate``/``r``/``alpha`` with ``ci95_low``/``ci95_high``, ``p_val``/``p_perm``/
``p_adj``, ``n``, ``strategy``, ``method``, ``stage`` ...) are formatted as a paper
would, unknown columns by their type (integers, whole-valued floats as integers, other
numbers to two decimals, text as given). A :class:`TableSpec` adds what cannot be
inferred: labels, spanners, columns to hide or to keep.

The rules, in order:

1. Detail columns are left to the CSV: Monte Carlo SEs of interval bounds (their largest
   value is stated in the note), the asymptotic ``p_val`` when a permutation ``p_perm``
   is shown, an adjusted p equal to the p it adjusts, columns empty in every row.
2. With two or more rows, a column with one value in every row moves into the note
   (``complete cases, n = 12``); method and description columns (``strategy``,
   ``ci_method``, ``p_method`` ...) move there whatever the number of rows.
3. A ``note`` or ``warning`` that differs between rows becomes a lettered footnote on
   the row's label; equal notes share a letter.
4. ``ciNN_low``/``ciNN_high`` join their estimate: ``.52 [−.13, .90]``, headed
   ``ρ [95% CI]``.
5. Consecutive columns ``prefix_a``, ``prefix_b`` sit under a spanner ``Prefix``.
6. A table of more than :data:`WIDE_COLUMNS` columns is marked wide (it scrolls in its
   box instead of squeezing the text column).

A spec that names its ``columns`` (a manuscript's ``:columns:``) is an author's choice:
those columns are shown, in that order, each in its own column (no interval joins its
estimate, none moves into the note, no spanner is added), formatted and labelled by the
same rules. Of the other columns only those that say how a shown one was computed
(``strategy``, ``method``, ``score``, ``covariate``, the ``ci_method`` of a shown interval,
the ``p_method`` of a shown p, ``note``, ``warning`` ...) are said, in the note and the
lettered footnotes, as rules 2 and 3 say them.

Cells are formatted by the type of the column unless a format is given: a format string
(``"{:.2f}"``), a function, or a name of :data:`CELL_FORMATS` (``"percent"``).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from cma_research.core.errors import ParameterError
from cma_research.core.text import MINUS, correlation_symbol, format_number
from cma_research.reporting.rules import lowest_level_phrase, percent
from cma_research.reporting.text import escape_html, escape_latex, escape_markdown, one_line

if TYPE_CHECKING:
    from cma_research.core.instrument import Instrument

__all__ = [
    "CELL_FORMATS",
    "FIGURE_SPACE",
    "MINUS_SPACE",
    "WIDE_COLUMNS",
    "Column",
    "PresentationTable",
    "TableSpec",
    "adjustment_name",
    "markup_runs",
    "presentation_table",
    "split_marks",
    "strategy_words",
    "value_words",
]

#: A table with more columns than this is shown as a wide table (scrolling in its box).
WIDE_COLUMNS = 8
#: Pads a missing digit so decimals align (as wide as a digit in any font with tabular
#: figures; ``\phantom{0}`` in LaTeX).
FIGURE_SPACE = "\u2007"
#: Stands for an invisible minus sign, so a positive number lines up with negative ones:
#: a hidden ``−`` in HTML, ``\phantom{$-$}`` in LaTeX, a figure space in Word and Markdown.
MINUS_SPACE = "\u2008"

Align = Literal["left", "right"]
Formatter = str | Callable[[Any], str]


def _p_text(p: float) -> str:
    """A p-value in a table cell (APA): ``.088``, ``< .001``."""
    return "< .001" if p < 0.001 else format_number(p, 3, bounded=True)


#: Named cell formats of a numeric column (``formats={"share": "percent"}``; in a
#: manuscript ``:format: share=percent``).
CELL_FORMATS: dict[str, Callable[[float], str]] = {
    "percent": percent,
    "coefficient": lambda v: format_number(v, 2, bounded=True),
    "p": _p_text,
    "level": lambda v: format_number(v, 1),
    "count": lambda v: f"{round(v)}".replace("-", MINUS),
    "number": lambda v: format_number(v),
}


@dataclass(frozen=True)
class Column:
    """One column of a presentation table.

    ``label`` and ``spanner`` may mark italics as ``*n*`` (statistical symbols, APA).
    """

    key: str
    label: str
    align: Align = "left"
    spanner: str = ""


@dataclass(frozen=True)
class TableSpec:
    """What :func:`presentation_table` cannot infer from a tidy frame.

    Parameters
    ----------
    labels : mapping
        Column -> header (``*x*`` for italics), overriding the default label.
    spanners : mapping
        Spanner text -> the columns under it (consecutive in the table).
    hide : sequence of str
        Columns left out of the presentation (they stay in the CSV).
    keep : sequence of str
        Columns never moved into the note, even when constant.
    formats : mapping
        Column -> format string (``"{:.1f}"``), a name of :data:`CELL_FORMATS` or a
        function of the value.
    wide : bool, optional
        Force a wide (True) or normal (False) table; default by the column count.
    notes : sequence of str
        Sentences added to the table's note.
    columns : sequence of str, optional
        Show exactly these columns, in this order, each in its own column (see the
        module's docstring); default: every column, by the rules.
    """

    labels: Mapping[str, str] = field(default_factory=dict)
    spanners: Mapping[str, Sequence[str]] = field(default_factory=dict)
    hide: Sequence[str] = ()
    keep: Sequence[str] = ()
    formats: Mapping[str, Formatter] = field(default_factory=dict)
    wide: bool | None = None
    notes: Sequence[str] = ()
    columns: Sequence[str] | None = None


@dataclass(frozen=True)
class PresentationTable:
    """A table as a paper shows it: formatted cells, headers, spanners and a note.

    Cells are text ("" is an empty cell); they may hold :data:`FIGURE_SPACE` and
    :data:`MINUS_SPACE` pads that align decimals. ``notes`` are the general note's
    sentences, ``footnotes`` (mark, text) the specific notes of lettered rows.
    """

    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    notes: tuple[str, ...] = ()
    footnotes: tuple[tuple[str, str], ...] = ()
    wide: bool = False

    @property
    def has_spanners(self) -> bool:
        return any(c.spanner for c in self.columns)

    def spanner_runs(self) -> list[tuple[int, int, str]]:
        """(first column, number of columns, text) of each spanner ("" over no spanner)."""
        return _runs([c.spanner for c in self.columns])

    @property
    def width_chars(self) -> int:
        """The widest line of the table in characters (labels or cells, plus gaps)."""
        widths = [
            max([len(_plain(c.label)), *(len(r[i]) for r in self.rows)])
            for i, c in enumerate(self.columns)
        ]
        return sum(widths) + 2 * len(widths)

    def note_text(self) -> str:
        """The general note as one line of text (``*x*`` italics kept)."""
        return " ".join(_sentence(n) for n in self.notes)

    def footnote_lines(self) -> list[tuple[str, str]]:
        """The specific notes as (letter, sentence): ``("a", "95% CI by ...")``."""
        return [(_SUPERSCRIPTS.get(m, m), _sentence(t)) for m, t in self.footnotes]

    def cells(self) -> pd.DataFrame:
        """The formatted cells as a frame (column keys as names; pads as in the cells)."""
        return pd.DataFrame(list(self.rows), columns=[c.key for c in self.columns], dtype=object)

    # -- HTML --------------------------------------------------------------------------

    def to_html(self, table_id: str | None = None) -> str:
        """The table as an HTML fragment: caption, table, note; scrolls when wide.

        Rendered by pandas' ``Styler`` (spanners as a header row, right-aligned numeric
        columns with tabular figures); ``table_id`` names its element ids (default: a
        hash of the table, so equal tables give equal bytes).
        """
        uid = table_id or hashlib.sha256(repr(self).encode()).hexdigest()[:10]
        labels = [_html_markup(c.label) for c in self.columns]
        if self.has_spanners:
            names: Any = pd.MultiIndex.from_arrays(
                [[_html_markup(c.spanner) for c in self.columns], labels]
            )
        else:
            names = labels
        body = pd.DataFrame(
            [[_html_cell(v) for v in row] for row in self.rows], columns=names, dtype=object
        )
        if not self.rows:
            body = pd.DataFrame(columns=names, dtype=object)
        classes = pd.DataFrame(
            [["num" if c.align == "right" else "" for c in self.columns]] * len(self.rows),
            index=body.index,
            columns=body.columns,
        )
        styler = (
            body.style.hide(axis="index")
            .set_uuid(uid)
            .set_td_classes(classes)
            .set_table_attributes('class="cma"')
        )
        # header alignment follows the column (the spanner row stays centred)
        right = [i for i, c in enumerate(self.columns) if c.align == "right"]
        level = 1 if self.has_spanners else 0
        styles: list[Any] = [
            {"selector": f"th.col_heading.level{level}.col{i}", "props": "text-align: right;"}
            for i in right
        ]
        if styles:
            styler = styler.set_table_styles(styles, overwrite=False)
        table = styler.to_html(doctype_html=False)
        note = self._html_note()
        wide = " wide" if self.wide else ""
        # the caption above the table as a paragraph: as wide as the text, not the table
        caption = f'<p class="cma-caption">{escape_html(self.caption)}</p>' if self.caption else ""
        return (
            f'<div class="cma-table{wide}" role="group">{_TABLE_CSS}{caption}'
            f'<div class="cma-scroll">{table}</div>{note}</div>'
        )

    def _html_note(self) -> str:
        parts = []
        if self.notes:
            parts.append(f"<p><i>Note.</i> {_html_markup(self.note_text())}</p>")
        for mark, text in self.footnotes:
            letter = escape_html(_SUPERSCRIPTS.get(mark, mark))
            parts.append(f"<p><sup>{letter}</sup> {_html_markup(_sentence(text))}</p>")
        return f'<div class="cma-note">{"".join(parts)}</div>' if parts else ""

    # -- LaTeX --------------------------------------------------------------------------

    def to_latex(
        self, label: str | None = None, *, caption_latex: str | None = None, fit: bool = False
    ) -> str:
        r"""The table in LaTeX: booktabs rules, spanners with ``\cmidrule``, the note under
        the table (``threeparttable``). Needs ``\usepackage{booktabs,threeparttable}``
        (and ``graphicx`` with ``fit``).

        ``caption_latex`` is a caption already in LaTeX (a manuscript's, citing value
        macros), used instead of :attr:`caption`; ``fit`` scales the table and its note
        to the text width (``\resizebox``).
        """
        align = "".join("r" if c.align == "right" else "l" for c in self.columns)
        lines = ["% needs \\usepackage{booktabs,threeparttable}", "\\begin{table}[htbp]"]
        lines.append("\\centering")
        if caption_latex is not None or self.caption:
            caption = caption_latex if caption_latex is not None else _latex_text(self.caption)
            lines.append(f"\\caption{{{caption}}}")
        if label:
            lines.append(f"\\label{{{label}}}")
        if fit:
            lines.append("\\resizebox{\\linewidth}{!}{%")
        lines += ["\\begin{threeparttable}", f"\\begin{{tabular}}{{{align}}}", "\\toprule"]
        if self.has_spanners:
            cells, rules = [], []
            for start, span, text in _runs([c.spanner for c in self.columns]):
                if text:
                    cells.append(f"\\multicolumn{{{span}}}{{c}}{{{_latex_markup(text)}}}")
                    rules.append(f"\\cmidrule(lr){{{start + 1}-{start + span}}}")
                else:
                    cells += [""] * span
            lines.append(" & ".join(cells) + " \\\\")
            lines.append(" ".join(rules))
        lines.append(" & ".join(_latex_markup(c.label) for c in self.columns) + " \\\\")
        lines.append("\\midrule")
        for row in self.rows:
            lines.append(" & ".join(_latex_cell(v) for v in row) + " \\\\")
        lines += ["\\bottomrule", "\\end{tabular}"]
        if self.notes or self.footnotes:
            lines += ["\\begin{tablenotes}[flushleft]", "\\footnotesize"]
            if self.notes:
                lines.append(f"\\item \\textit{{Note.}} {_latex_markup(self.note_text())}")
            for mark, text in self.footnotes:
                lines.append(
                    f"\\item \\textsuperscript{{{_SUPERSCRIPTS.get(mark, mark)}}} "
                    f"{_latex_markup(_sentence(text))}"
                )
            lines.append("\\end{tablenotes}")
        lines.append("\\end{threeparttable}")
        if fit:
            lines.append("}")
        lines.append("\\end{table}")
        return "\n".join(lines) + "\n"

    # -- Markdown -------------------------------------------------------------------------

    def to_markdown(self) -> str:
        """A pandoc/GitHub pipe table; a spanner is written before its columns' labels."""
        heads = [
            _markdown_markup(f"{c.spanner}: {c.label}" if c.spanner else c.label)
            for c in self.columns
        ]
        lines = []
        if self.caption:
            lines += [f"Table: {escape_markdown(self.caption)}", ""]
        lines.append("| " + " | ".join(heads) + " |")
        lines.append(
            "| " + " | ".join("---:" if c.align == "right" else "---" for c in self.columns) + " |"
        )
        for row in self.rows:
            lines.append("| " + " | ".join(escape_markdown(_plain_cell(v)) for v in row) + " |")
        if self.notes:
            lines += ["", f"*Note.* {_markdown_markup(self.note_text())}"]
        for mark, text in self.footnotes:
            lines += ["", f"{mark} {_markdown_markup(_sentence(text))}"]
        return "\n".join(lines) + "\n"

    # -- Word ---------------------------------------------------------------------------

    def to_docx(self, document: Any = None) -> Any:
        """Add the table to a python-docx ``Document`` (a new one by default); return it.

        APA layout: the caption above in italics, the table centred with booktabs-like
        rules (above and below the header, at the bottom), spanners as merged cells, the
        header rows repeated on a new page, footnote marks as superscripts, the note
        under the table; 9-point type, 8-point from seven columns.
        """
        from docx import Document
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml import OxmlElement
        from docx.shared import Pt

        doc = document if document is not None else Document()
        if self.caption:
            _docx_runs(doc.add_paragraph(), self.caption, italic=True)
        n_head = 2 if self.has_spanners else 1
        table = doc.add_table(rows=n_head + len(self.rows), cols=len(self.columns))
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        right = WD_ALIGN_PARAGRAPH.RIGHT
        if self.has_spanners:
            for start, span, text in _runs([c.spanner for c in self.columns]):
                cell = table.cell(0, start)
                if span > 1:
                    cell = cell.merge(table.cell(0, start + span - 1))
                para = cell.paragraphs[0]
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
                _docx_runs(para, text)
                if text:
                    _docx_border(cell, "bottom", 4)
        # a row's cells at once: table.cell(i, j) lists every cell of the table each call
        cells = [list(r.cells) for r in table.rows]
        for j, col in enumerate(self.columns):
            para = cells[n_head - 1][j].paragraphs[0]
            if col.align == "right":
                para.alignment = right
            _docx_runs(para, col.label)
        for i, row in enumerate(self.rows):
            for j, value in enumerate(row):
                para = cells[n_head + i][j].paragraphs[0]
                if self.columns[j].align == "right":
                    para.alignment = right
                text, marks = split_marks(value)
                para.add_run(text.replace(MINUS_SPACE, FIGURE_SPACE))
                if marks:
                    para.add_run(marks).font.superscript = True
        for r in range(n_head):  # python-docx has no API: repeat the header on a new page
            table.rows[r]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        for j in range(len(self.columns)):
            _docx_border(cells[0][j], "top", 12)
            _docx_border(cells[n_head - 1][j], "bottom", 6)
            _docx_border(cells[n_head + len(self.rows) - 1][j], "bottom", 12)
        size = Pt(9 if len(self.columns) <= 6 else 8)
        for row in table.rows:
            for cell in row.cells:
                for para in cell.paragraphs:
                    for run in para.runs:
                        run.font.size = size
        if self.notes:
            para = doc.add_paragraph()
            _docx_runs(para, "*Note.* " + self.note_text())
        for letter, text in self.footnote_lines():
            para = doc.add_paragraph()
            para.add_run(letter).font.superscript = True
            _docx_runs(para, f" {text}")
        return doc


# -- building a presentation table from a tidy frame ------------------------------------------

_STRATEGY_WORDS = {
    "complete_case": "complete cases",
    "available_case": "available cases",
    "min_stages": "businesses with enough stages assessed",
    "stage_median": "stage-median imputation",
    "business_mean": "business-mean imputation",
    "multiple": "multiple imputation",
}
_METHOD_WORDS = {"spearman": "Spearman's ρ", "pearson": "Pearson's r", "kendall": "Kendall's τ"}
_TEST_WORDS = {
    "kruskal_wallis": "Kruskal–Wallis",
    "mann_whitney": "Mann–Whitney",
    "epsilon_squared": "ε²",
    "rank_biserial": "rank-biserial r",
    "log_staff": "log(staff)",
    "Intercept": "intercept",
    "cramers_v": "Cramér's V",
    "bowker": "Bowker",
    "stuart_maxwell": "Stuart–Maxwell",
}
#: A business's status between two waves (:func:`~cma_research.analysis.change.scores_by_wave`).
_STATUS_WORDS = {
    "paired": "audited at both",
    "baseline_only": "baseline only",
    "follow_up_only": "follow-up only",
}
#: Columns whose values are codes: shown in words (stage ids as names, ``_`` as spaces).
_CODE_COLUMNS = {
    "strategy", "method", "score", "covariate", "term", "test", "by", "effect_size_name",
    "design", "solved_for", "kind", "statistic", "model", "x", "y", "stage", "weakest_stage",
    "strongest_stage", "missing_stages", "group", "chosen_strategy", "status", "variable",
    "identical_strategies",
}  # fmt: skip
#: Columns that describe how a result was computed: to the note when constant.
_METHOD_COLUMNS = {
    "strategy", "method", "ci_method", "p_method", "p_adj_method", "cov_type", "m", "note",
    "warning", "disclosure", "alpha", "n_sims", "target_power", "design", "by", "score",
}  # fmt: skip
_COUNT = re.compile(
    r"^(n|k|m|count|needed|kept|dropped|sum|wave|reading_no|target_level|df|df_resid|"
    r"n_.+|.+_n|cells_filled|blanks_left|processes_.+|.*_count|n)$"
)
_BOUNDED = re.compile(
    r"^(r|rho|tau|alpha|std_alpha|average_r|r_drop|alpha_if_deleted|power|fmi|lambda_share|"
    r"rank_biserial|r2|share.*|.*_share|.*_share_.*|effect_size|omega.*|icc|kappa|proportion|"
    r"riv_share)$"
)
_P = re.compile(r"^p_(val|perm|adj|value|exact|two_sided)$|^p$")
_CI = re.compile(r"^ci(\d+(?:_\d+)?)_low$")
_ESTIMATES = ("r", "estimate", "alpha", "value", "effect", "share_below_1", "effect_size", "mean")
_DETAIL = ("ci_low_mc_se", "ci_high_mc_se")
_VARYING_METHODS = ("ci_method", "p_method", "p_adj_method", "cov_type")
_NOTE_COLUMNS = ("note", "warning")
_LABELS = {
    "n": "*n*",
    "k": "*k*",
    "m": "*m*",
    "r": "*r*",
    "t": "*t*",
    "z": "*z*",
    "df": "*df*",
    "df_resid": "*df*",
    "std_error": "*SE*",
    "sd": "*SD*",
    "mean": "*M*",
    "median": "*Mdn*",
    "alpha": "α",
    "std_alpha": "Standardised α",
    "average_r": "Mean inter-item *r*",
    "r_drop": "Corrected item–total *r*",
    "alpha_if_deleted": "α if deleted",
    "r2": "*R*²",
    "riv": "RIV",
    "lambda_share": "λ",
    "fmi": "FMI",
    "mc_se": "MC *SE*",
    "n_obs": "Observations",
    "n_businesses": "Businesses",
    "p_method": "*p* method",
    "p_adj_method": "*p* adjustment",
    "dropped_summary": "Drop-outs (median)",
    "completer_summary": "Audited again (median)",
    "ci_method": "CI method",
    "cov_type": "Standard errors",
    "effect_size": "Effect size",
    "effect_size_name": "Effect size measure",
    "rank_biserial": "Rank-biserial *r*",
    "verdict_text": "Verdict",
    "claim_id": "Claim",
    "reading_no": "Reading",
    "n_readings": "Readings",
    "n_supported": "Supported",
    "must_hold": "Must hold",
    "business_id": "Business",
    "median_level": "Median level",
    "share_below_1": "Share below level 1",
    "power": "Power",
}
_SPANNER_WORDS = {"n_level": "Businesses at level", "share_level": "Share at level", "n": "*n*"}
_SUPERSCRIPTS = dict(zip("ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ", "abcdefghijklmnoprstuvwxyz", strict=True))
_MARKS = tuple(_SUPERSCRIPTS)
_RUBIN = ("df", "riv", "lambda_share", "fmi", "m")


def strategy_words(strategy: str, instrument: Instrument | None = None) -> str:
    """A missing-data strategy in words (with ``instrument``: in its noun for a stage,
    the strategy's name "stage-median" aside).

    >>> strategy_words("complete_case"), strategy_words("multiple")
    ('complete cases', 'multiple imputation')
    >>> from cma_research.core.instrument import get_instrument
    >>> strategy_words("min_stages", get_instrument("managing_customers_framework"))
    'businesses with enough dimensions assessed'
    """
    words = _STRATEGY_WORDS.get(str(strategy), str(strategy).replace("_", " "))
    if instrument is None or str(strategy) == "stage_median":
        return words
    return instrument.in_own_words(words)


def value_words(column: str, value: Any, instrument: Instrument | None = None) -> str:
    """A cell of a code column in words: stage ids as the instrument names them,
    strategies and methods in words, other identifiers with spaces; *stage* in the
    instrument's noun (``"stage_level"``: "dimension level"), strategy names aside.

    >>> value_words("strategy", "available_case"), value_words("test", "mann_whitney")
    ('available cases', 'Mann–Whitney')
    >>> value_words("score", "mean"), value_words("term", "log_staff")
    ('mean level', 'log(staff)')
    """
    text = str(value)
    stages = _stage_names(instrument)
    if column == "missing_stages":
        return ", ".join(stages.get(s.strip(), s.strip()) for s in text.split(",") if s.strip())
    if text in stages:
        return stages[text]
    if column == "strategy":
        return strategy_words(text, instrument)
    if column == "identical_strategies":
        names = [t.strip() for t in text.split(",") if t.strip()]
        return ", ".join(strategy_words(name, instrument) for name in names)
    if column == "status" and text in _STATUS_WORDS:
        return _STATUS_WORDS[text]
    if column == "method" and text in _METHOD_WORDS:
        return _METHOD_WORDS[text]
    if text in _TEST_WORDS:
        return _TEST_WORDS[text]
    if text in ("stage", "stages") and instrument is not None:  # e.g. a model term's kind
        return instrument.in_own_words(text)
    if column in ("score", "stage") and text in ("mean", "all"):
        return {"mean": "mean level", "all": "all " + _own("stages", instrument)}[text]
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+", text):
        if text in _STRATEGY_WORDS:  # a strategy's name (stage_median) is not the noun
            return text.replace("_", " ")
        return _own(text.replace("_", " "), instrument)  # "stage_level": "dimension level"
    return text


def _own(text: str, instrument: Instrument | None) -> str:
    """``text`` in the instrument's noun for a stage (unchanged without an instrument)."""
    return instrument.in_own_words(text) if instrument is not None else text


def presentation_table(
    df: pd.DataFrame,
    *,
    caption: str | None = None,
    instrument: Instrument | None = None,
    spec: TableSpec | None = None,
    formats: Mapping[str, Formatter] | None = None,
) -> PresentationTable:
    """The presentation of a tidy result table (see the module's rules).

    Parameters
    ----------
    df : DataFrame
        A tidy result (full precision, identifier column names); it is not changed.
    caption : str, optional
    instrument : Instrument, optional
        Names stage ids (``stage_3`` -> its name) and gives the noun for *stage* in
        labels and notes ("Dimension", "Weakest dimension") and the label of the share at
        the lowest level ("Share below level 1", "Share at level 0 (Proto)").
    spec : TableSpec, optional
        Labels, spanners, hidden or kept columns, formats, notes.
    formats : mapping, optional
        Column -> format string or function (merged into ``spec.formats``).

    Returns
    -------
    PresentationTable

    Examples
    --------
    >>> tidy = pd.DataFrame({"stage": ["stage_1", "stage_2"], "n": [12, 12],
    ...     "r": [0.0555, -0.5019], "ci95_low": [-0.461, -0.874], "ci95_high": [0.606, 0.088],
    ...     "p_val": [0.864, 0.0004], "strategy": ["complete_case"] * 2})
    >>> table = presentation_table(tidy)
    >>> [c.label for c in table.columns]
    ['Stage', '*r* [95% CI]', '*p*']
    >>> table.rows[1]
    ('stage 2', '−.50 [−.87, .09]', '< .001')
    >>> table.note_text()
    'Complete cases, *n* = 12.'
    """
    spec = spec or TableSpec()
    fmts = {**spec.formats, **(formats or {})}
    known = [str(c) for c in df.columns]
    for what, asked in (
        ("column", list(spec.columns or ())),
        ("format", list(fmts)),
        ("label", list(spec.labels)),
        ("hidden column", list(spec.hide)),
        ("kept column", list(spec.keep)),
    ):
        unknown = [str(c) for c in asked if str(c) not in known]
        if unknown:
            raise ParameterError(
                f"{what} {', '.join(unknown)} is not a column of the table; it has "
                + ", ".join(known)
            )
    for col, fmt in fmts.items():
        _check_format(col, fmt)
    chosen = list(dict.fromkeys(map(str, spec.columns))) if spec.columns else []
    data = df.reset_index(drop=True).copy()
    data.columns = known
    hidden = list(spec.hide)
    describing: list[str] = []
    if chosen:
        # the author's columns, in order; of the others only what says how they were computed
        describing = [c for c in _describing(chosen) if c in known and c not in hidden]
        spec = replace(spec, keep=[*chosen, *spec.keep])
        fill_p = "p_perm" in chosen and "p_val" in known and "p_val" not in hidden
        extra = ["p_val"] if fill_p and "p_val" not in chosen else []
        hidden += [c for c in known if c not in chosen + describing + extra]
        data = data[[c for c in chosen + describing + extra if c not in hidden]]
    data = data.drop(columns=[c for c in hidden if c in data.columns])
    n_rows = len(data)
    notes: list[str] = []
    detail_notes: list[str] = []

    def present(col: str) -> bool:
        return col in data.columns

    def empty(col: str) -> bool:
        s = data[col]
        # over the values, not the mapped Series: a table with no rows keeps string dtype
        return all(_missing(v) for v in s) or all(str(v) == "" for v in s)

    # 1. detail columns
    mc = [c for c in _DETAIL if present(c)]
    if mc:
        values = pd.concat([data[c] for c in mc]).astype(float)
        if values.notna().any():
            detail_notes.append(
                "Monte Carlo SE of the interval bounds at most "
                + format_number(float(values.max()), 3, bounded=True)
            )
        data = data.drop(columns=mc)
    shown_p = "p_perm" if present("p_perm") else "p_val" if present("p_val") else None
    if shown_p == "p_perm" and present("p_val") and "p_val" not in spec.keep:
        # the permutation p where there is one, else the p the row has (its p method says)
        data["p_perm"] = data["p_perm"].astype(float).fillna(data["p_val"].astype(float))
        data = data.drop(columns=["p_val"])
    if present("p_adj") and shown_p and _same(data["p_adj"], data[shown_p]):
        data = data.drop(columns=["p_adj"])
        if present("p_adj_method"):
            data = data.drop(columns=["p_adj_method"])
    data = data.drop(columns=[c for c in data.columns if empty(c) and c not in spec.keep])

    stage_ids = set(instrument.stage_ids) if instrument is not None else set()

    # 2. constant columns to the note
    symbol = None
    if present("method") and _constant(data["method"]):
        symbol = correlation_symbol(str(data["method"].iloc[0])) if present("r") else None
    # a method column with a usual value and exceptions: the usual value in the note,
    # each exception a lettered note on its row
    exceptions: list[tuple[int, str]] = []
    for col in _VARYING_METHODS:
        if not present(col) or _constant(data[col]) or col in spec.keep:
            continue
        if col == "p_adj_method" and not _one_family_and_unadjusted(data[col]):
            continue  # several families (strategies, duplicates): the column says which
        keys = data[col].map(_key)
        usual = keys.value_counts(sort=True).index[0]
        for i, (key, value) in enumerate(zip(keys, data[col], strict=True)):
            if key != usual and not _missing(value):
                phrase = _note_phrases({col: value}, data, instrument, fmts)
                if phrase:
                    exceptions.append((i, phrase[0]))
        fill = pd.NA if usual == _key(None) else data[col][keys == usual].iloc[0]
        data[col] = pd.Series([fill] * n_rows, index=data.index, dtype=object)
    adjusted = "*p* (adjusted)"
    if present("p_adj_method") and _constant(data["p_adj_method"]):
        adjusted = f"*p* ({_adjustment(str(data['p_adj_method'].iloc[0]))[0]})"
    # an estimate with its interval stays in the table even when it is the same on every
    # row (share below level 1 = 0 on every stage): the interval belongs beside it
    with_interval: set[str] = set()
    for col in data.columns:
        m = _CI.match(col)
        high = col[: -len("low")] + "high"
        est = _estimate_for(list(data.columns), col) if m and present(high) else None
        if est is not None:
            with_interval |= {est, col, high}
    constants: dict[str, Any] = {}
    for col in list(data.columns):
        if col in spec.keep or col in _NOTE_COLUMNS or col in with_interval or n_rows == 0:
            continue
        if _constant(data[col]) and (n_rows >= 2 or col in _METHOD_COLUMNS):
            constants[col] = data[col].iloc[0]
    notes += _note_phrases(constants, data, instrument, fmts)
    data = data.drop(columns=list(constants))

    # 3. row notes to footnotes, lettered in reading order (row by row, a row's method
    # exceptions before its notes and warnings; equal texts share a letter)
    footnotes: list[tuple[str, str]] = []
    row_marks: list[list[str]] = [[] for _ in range(n_rows)]
    per_row: list[list[str]] = [[] for _ in range(n_rows)]
    for i, text in exceptions:
        per_row[i].append(text)
    for col in _NOTE_COLUMNS:
        if not present(col):
            continue
        if _constant(data[col]):  # the same for every row: a general note
            value = data[col].iloc[0]
            notes.append(f"Caution: {one_line(str(value))}" if col == "warning" else str(value))
            data = data.drop(columns=[col])
            continue
        for i, value in enumerate(data[col].tolist()):
            if _missing(value) or str(value) == "":
                continue
            text = one_line(str(value))
            per_row[i].append(f"Caution: {text}" if col == "warning" else text)
        data = data.drop(columns=[col])
    for i, texts in enumerate(per_row):
        for text in texts:
            known = [m for m, t in footnotes if t == text]
            mark = known[0] if known else _MARKS[len(footnotes) % len(_MARKS)]
            if not known:
                footnotes.append((mark, text))
            if mark not in row_marks[i]:
                row_marks[i].append(mark)
        row_marks[i].sort(key=_MARKS.index)  # ᶜᵈ, not ᵈᶜ

    # what describes the author's columns is said in the note, never shown as a column
    data = data.drop(columns=[c for c in describing if c in data.columns and c not in chosen])

    # the label column: stage names instead of ids when both are given
    if not chosen and present("name") and present("stage"):
        data = data.drop(columns=["stage"])
        data = data.rename(columns={"name": "stage"})
        data["stage"] = data["stage"].astype(object)

    # 4. estimates with their intervals
    columns: list[Column] = []
    cells: list[list[str]] = []
    used: set[str] = set()
    cis = {}
    for col in [] if chosen else data.columns:
        m = _CI.match(col)
        high = col[: -len("low")] + "high"
        if m and present(high):
            est = _estimate_for(list(data.columns), col)
            if est is not None:
                cis[est] = (col, high, m.group(1).replace("_", "."))
    rubin = [c for c in _RUBIN if present(c)] if present("riv") and not chosen else []
    for col in data.columns:
        if col in used:
            continue
        series = data[col]
        if col in cis:
            low, high, level = cis[col]
            fmt = _number_formatter(col, series, fmts.get(col))
            texts = []
            for est, lo, hi in zip(series, data[low], data[high], strict=True):
                if _missing(est):
                    texts.append("")
                elif _missing(lo) or _missing(hi):
                    texts.append(fmt(est))
                else:
                    texts.append(f"{fmt(est)} [{fmt(lo)}, {fmt(hi)}]")
            label = _label(col, spec, symbol, adjusted, instrument=instrument)
            columns.append(Column(col, f"{label} [{level}% CI]", "right"))
            cells.append(_align(texts))
            used |= {col, low, high}
            continue
        if _CI.match(col) or re.match(r"^ci\d+(?:_\d+)?_high$", col):
            # an interval without a recognised estimate: shown as "[low, high]"
            pass
        if pd.api.types.is_bool_dtype(series) or set(series.dropna().map(type)) == {bool}:
            label = _label(col, spec, symbol, adjusted, instrument=instrument)
            columns.append(Column(col, label, "left"))
            cells.append(["" if _missing(v) else "yes" if bool(v) else "no" for v in series])
        elif pd.api.types.is_numeric_dtype(series):
            fmt = _number_formatter(col, series, fmts.get(col))
            label = _label(col, spec, symbol, adjusted, instrument=instrument)
            columns.append(Column(col, label, "right"))
            cells.append(_align(["" if _missing(v) else fmt(v) for v in series]))
        else:
            fn = fmts.get(col)
            if isinstance(fn, str) and fn in CELL_FORMATS:
                raise ParameterError(f"column {col}: format {fn!r} is for numbers; it holds text")
            texts = []
            for v in series:
                if _missing(v) or str(v) == "":
                    texts.append("")
                elif fn is not None:
                    texts.append(fn(v) if callable(fn) else fn.format(v))
                elif col in _CODE_COLUMNS or col in ("stage",):
                    texts.append(value_words(col, v, instrument))
                else:
                    texts.append(one_line(str(v)))
            columns.append(
                Column(
                    col,
                    _label(col, spec, symbol, adjusted, data[col], stage_ids, instrument),
                    "left",
                )
            )
            cells.append(texts)
        used.add(col)

    # footnote marks on the first column (the row label)
    if footnotes and columns:
        first = cells[0]
        cells[0] = [t + "".join(marks) for t, marks in zip(first, row_marks, strict=True)]

    # 5. spanners: explicit, Rubin's rules, then shared prefixes
    spanner_of: dict[str, str] = {}
    for text, cols in spec.spanners.items():
        for c in cols:
            if c not in data.columns and c not in cis:
                raise ParameterError(f"spanner {text!r} names unknown column {c!r}")
            spanner_of[c] = text
    if rubin:
        for c in rubin:
            spanner_of.setdefault(c, "Multiple imputation (Rubin's rules)")
    column_keys = [c.key for c in columns]
    for start, span, prefix in _runs([_prefix(k) for k in column_keys]):
        if (
            not chosen
            and prefix
            and span >= 2
            and not any(k in spanner_of for k in column_keys[start : start + span])
        ):
            for k in column_keys[start : start + span]:
                spanner_of[k] = _SPANNER_WORDS.get(prefix, _capital(prefix.replace("_", " ")))
    final: list[Column] = []
    for column in columns:
        key = column.key
        spanner = spanner_of.get(key, "")
        label = column.label
        if spanner and key not in spec.labels and key not in cis and _prefix(key):
            label = _capital(_own(key[len(_prefix(key)) + 1 :].replace("_", " "), instrument))
            if key.startswith(("n_level_", "share_level_")):
                label = key.rsplit("_", 1)[1]
        final.append(replace(column, label=label, spanner=spanner))

    notes = [n for n in notes if n] + detail_notes + list(spec.notes)
    rows = tuple(tuple(r) for r in zip(*cells, strict=True)) if cells else ()
    wide = spec.wide if spec.wide is not None else len(final) > WIDE_COLUMNS
    return PresentationTable(
        columns=tuple(final),
        rows=rows,
        caption=caption or "",
        notes=tuple(_capital(n) for n in notes),
        footnotes=tuple(footnotes),
        wide=wide,
    )


# -- helpers -----------------------------------------------------------------------------------


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _key(v: Any) -> Any:
    return "\x00missing" if _missing(v) else v


def _constant(series: pd.Series) -> bool:
    return len(set(series.map(_key))) == 1


def _same(a: pd.Series, b: pd.Series) -> bool:
    x, y = a.astype(float).to_numpy(), b.astype(float).to_numpy()
    return bool(np.all((x == y) | (np.isnan(x) & np.isnan(y))))


def _capital(text: str) -> str:
    if text.startswith("*") or not text:
        return text
    return text[0].upper() + text[1:]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _stage_names(instrument: Instrument | None) -> dict[str, str]:
    if instrument is None:
        return {}
    return {s.id: s.name for s in instrument.stages}


def _prefix(key: str) -> str:
    if key in _LABELS or _P.match(key) or _CI.match(key) or "_" not in key:
        return ""
    return key.rsplit("_", 1)[0]


def _runs(values: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, length, value) of each run of equal consecutive values."""
    out: list[tuple[int, int, str]] = []
    for i, v in enumerate(values):
        if out and out[-1][2] == v:
            start, span, _ = out[-1]
            out[-1] = (start, span + 1, v)
        else:
            out.append((i, 1, v))
    return out


def _describing(chosen: Sequence[str]) -> list[str]:
    """The columns that say how the chosen columns were computed (said in the note)."""
    out = ["strategy", "method", "score", "covariate", "note", "warning", "disclosure"]
    if any(_CI.match(c) or re.match(r"^ci\d+(?:_\d+)?_high$", c) for c in chosen):
        out += ["ci_method", "cov_type"]
    if any(c in ("p_val", "p_perm", "p") for c in chosen):
        out.append("p_method")
    if "p_adj" in chosen:
        out.append("p_adj_method")
    if "std_error" in chosen:
        out.append("cov_type")
    return [c for c in dict.fromkeys(out) if c not in chosen]


def _estimate_for(columns: list[str], low: str) -> str | None:
    for name in _ESTIMATES:
        if name in columns:
            return name
    before = columns[: columns.index(low)]
    for col in reversed(before):
        if not (_COUNT.match(col) or _P.match(col)):
            return col
    return None


def _label(
    col: str,
    spec: TableSpec,
    symbol: str | None,
    adjusted: str = "*p* (adjusted)",
    series: pd.Series | None = None,
    stage_ids: set[str] | None = None,
    instrument: Instrument | None = None,
) -> str:
    if col in spec.labels:
        return spec.labels[col]
    if col == "r" and symbol is not None:
        return symbol if symbol != "r" else "*r*"
    if col in ("p_val", "p_perm"):
        return "*p*"
    if col == "p_adj":
        return adjusted
    if col == "share_below_1" and instrument is not None:
        return f"Share {lowest_level_phrase(instrument)}"  # "below level 1", "at level 0 (Proto)"
    if col in _LABELS:
        return _LABELS[col]
    values = set() if series is None else set(map(str, series.dropna()))
    # stage ids or names (the mean aside): a column of stages, named by the noun
    named = {"mean"} | ({s.name for s in instrument.stages} if instrument is not None else set())
    if col in ("stage", "score", "x", "y") and stage_ids and values <= stage_ids | named:
        noun = _capital(_own("stage", instrument))
        return {"x": f"{noun} 1", "y": f"{noun} 2"}.get(col, noun)
    m = _CI.match(col) or re.match(r"^ci(\d+)_high$", col)
    if m:
        return f"{m.group(1)}% CI {'low' if col.endswith('low') else 'high'}"
    if col.startswith("n_"):
        return "*n* " + _own(col[2:].replace("_", " "), instrument)
    words = ["CI" if w == "ci" else "SE" if w == "se" else w for w in col.split("_")]
    return _capital(_own(" ".join(words), instrument))


def _int_text(v: float) -> str:
    text = f"{round(v):,}" if abs(v) >= 1000 else f"{round(v)}"
    return text.replace("-", MINUS)


def _check_format(col: str, spec: Formatter) -> None:
    if callable(spec) or spec in CELL_FORMATS or "{" in spec:
        return
    raise ParameterError(
        f"column {col}: format {spec!r} is not one of {', '.join(CELL_FORMATS)} "
        "or a format string such as {:.2f}"
    )


def _number_formatter(col: str, series: pd.Series, spec: Formatter | None) -> Callable[[Any], str]:
    if callable(spec):
        return spec
    if spec is not None and spec in CELL_FORMATS:
        named = CELL_FORMATS[spec]
        return lambda v: named(float(v))
    if spec is not None:
        fmt = spec
        return lambda v: fmt.format(v).replace("-", MINUS)
    values = pd.to_numeric(series, errors="coerce").astype(float).to_numpy()
    finite = values[np.isfinite(values)]
    whole = finite.size > 0 and bool(np.all(finite == np.round(finite)))
    if _P.match(col):
        return lambda v: _p_text(float(v))
    if pd.api.types.is_integer_dtype(series) or (
        whole and (_COUNT.match(col) or not _BOUNDED.match(col))
    ):
        return lambda v: _int_text(float(v))
    bounded = bool(_BOUNDED.match(col)) and finite.size > 0 and bool(np.all(np.abs(finite) <= 1))
    if bounded:  # correlations, reliabilities, shares: two decimals, APA
        return lambda v: format_number(float(v), 2, bounded=True)
    digits = 2
    nonzero = np.abs(finite[finite != 0])
    if nonzero.size:  # small numbers keep two significant digits, up to three decimals
        digits = max(2, min(3, math.ceil(-math.log10(float(np.median(nonzero)))) + 1))
    return lambda v: format_number(float(v), digits)


_NUMBER = re.compile(f"[{MINUS}-]?[0-9,]*\\.?[0-9]+")


def _align(texts: list[str]) -> list[str]:
    """Pad the numbers of a column's cells so their decimal points line up.

    Applied when every non-empty cell has the same shape (the same text around the same
    count of numbers): each number's sign and integer part is padded on the left to the
    column's widest, with :data:`MINUS_SPACE` for a missing sign and
    :data:`FIGURE_SPACE` for a missing digit.
    """
    filled = [t for t in texts if t]
    if not filled:
        return texts
    shapes = {_NUMBER.sub("#", t) for t in filled}
    if len(shapes) != 1 or "#" not in next(iter(shapes)):
        return texts
    parts = [_NUMBER.findall(t) for t in filled]
    k = len(parts[0])
    sign = [any(p[i].startswith((MINUS, "-")) for p in parts) for i in range(k)]
    width = [max(len(p[i].lstrip(MINUS + "-").split(".")[0]) for p in parts) for i in range(k)]

    def pad(number: str, i: int) -> str:
        negative = number.startswith((MINUS, "-"))
        body = number.lstrip(MINUS + "-")
        digits = FIGURE_SPACE * (width[i] - len(body.split(".")[0]))
        lead = (MINUS if negative else MINUS_SPACE) if sign[i] else ""
        return digits + lead + body

    out: list[str] = []
    for t in texts:
        if not t:
            out.append(t)
            continue
        numbers = iter(range(k))

        def padded(match: re.Match[str], it: Iterator[int] = numbers) -> str:
            return pad(match.group(0), next(it))

        out.append(_NUMBER.sub(padded, t))
    return out


_ADJUSTMENT = re.compile(
    r"^(?P<how>[\w-]+)(?: on p_\w+)?"
    r"(?: over (?P<distinct>\d+ distinct tests)| across the (?P<tested>\d+ tested .+?))?"
    r"(?P<rest>;.*)?$"
)
_ADJUSTMENT_WORDS = {
    "holm": "Holm", "bonferroni": "Bonferroni", "fdr_bh": "Benjamini–Hochberg",
    "bh": "Benjamini–Hochberg", "hochberg": "Hochberg", "sidak": "Šidák",
}  # fmt: skip


def _one_family_and_unadjusted(methods: pd.Series) -> bool:
    """Whether ``p_adj_method`` holds one adjusted family and rows left out of it
    (``none (...)``, as :func:`~cma_research.paired_change`'s mean): then the family is
    said in the note and each row left out in a footnote."""
    values = {str(v) for v in methods.dropna()}
    adjusted = {v for v in values if not v.startswith("none")}
    return len(adjusted) == 1 and len(values) > 1


def _families(data: pd.DataFrame) -> str:
    """How many tests an adjusted family holds, as a note says it: the rows with an
    adjusted p, counted per strategy when several strategies are stacked (each is its
    own family, as :func:`~cma_research.analysis.headline.associations` adjusts).

    >>> _families(pd.DataFrame({"strategy": ["a", "a", "b", "b"], "p_adj": [0.1, 0.2, 0.3, 0.4]}))
    '2 tests per strategy'
    """
    tested = data[data["p_adj"].notna()] if "p_adj" in data.columns else data
    if "strategy" in tested.columns and len(tested) and not _constant(tested["strategy"]):
        sizes = tested.groupby("strategy", sort=False).size()
        if _constant(sizes):
            return f"{int(sizes.iloc[0])} tests per strategy"
        return "the tests of each strategy"
    return f"{len(tested)} tests"


def adjustment_name(method: str) -> str:
    """The name of a multiplicity adjustment in a ``p_adj_method`` (``"holm across the
    10 tested stages"`` -> ``"Holm"``), as tables and sentences say it.

    >>> adjustment_name("fdr_bh on p_val")
    'Benjamini–Hochberg'
    """
    return _adjustment(method)[0]


def _adjustment(method: str, across: str | None = None) -> tuple[str, str]:
    """A ``p_adj_method`` in words: the method's name and the note's phrase (``across``:
    the family, when the method does not say it).

    >>> _adjustment("holm on p_perm", "10 tests")
    ('Holm', 'Holm-adjusted across 10 tests')
    >>> _adjustment("holm across the 10 tested stages")
    ('Holm', 'Holm-adjusted across the 10 tested stages')
    >>> _adjustment("fdr_bh on p_val over 2 distinct tests")
    ('Benjamini–Hochberg', 'Benjamini–Hochberg-adjusted across 2 distinct tests')
    >>> _adjustment("none (one overall test, not in the stage adjustment)")[1]
    'not adjusted (one overall test, not in the stage adjustment)'
    """
    text = method.strip()
    if text.startswith("none"):
        return "unadjusted", "not adjusted" + text[len("none") :]
    m = _ADJUSTMENT.match(text)
    if m is None:
        return text, f"adjusted: {text}"
    how = _ADJUSTMENT_WORDS.get(m["how"].lower(), m["how"])
    said = m["distinct"] or (f"the {m['tested']}" if m["tested"] else None)
    return how, f"{how}-adjusted across {said or across or 'the tests shown'}{m['rest'] or ''}"


def _by(method: str) -> str:
    """How an interval or p was had: " by <method>", or " undefined (why)" when none was."""
    words = _big_numbers(_method_words(method))
    return f" {words}" if words.startswith("undefined") else f" by {words}"


def _note_phrases(
    constants: Mapping[str, Any],
    data: pd.DataFrame,
    instrument: Instrument | None,
    fmts: Mapping[str, Formatter],
) -> list[str]:
    """The columns with one value in every row, said once: the note's first sentence
    (what was computed, its interval and p, the cases and n), then any sentences."""
    c = {k: v for k, v in constants.items() if not (_missing(v) or str(v) == "")}
    phrases: list[str] = []
    sentences: list[str] = []
    if "method" in c:
        method = str(c.pop("method"))
        what = _METHOD_WORDS.get(method, method)
        if "score" in c:
            what += f" of the {value_words('score', c.pop('score'), instrument)}"
        if "covariate" in c:
            what += f" with {value_words('covariate', c.pop('covariate'), instrument)}"
        phrases.append(what)
    if "ci_method" in c:
        level = next((m.group(1) for col in data.columns if (m := _CI.match(col))), "95")
        phrases.append(f"{level}% CI{_by(str(c.pop('ci_method')))}")
    p_parts = []
    if "p_method" in c:
        p_parts.append(f"*p*{_by(str(c.pop('p_method')))}")
    if "p_adj_method" in c:
        phrase = _adjustment(str(c.pop("p_adj_method")), _families(data))[1]
        p_parts.append(phrase if p_parts else f"*p* {phrase}")
    if p_parts:
        phrases.append(", ".join(p_parts))
    if "cov_type" in c:
        phrases.append(f"standard errors {c.pop('cov_type')}")
    cases = []
    if "strategy" in c:
        cases.append(strategy_words(str(c.pop("strategy")), instrument))
    if "n" in c:
        cases.append(f"*n* = {_number_formatter('n', data['n'], fmts.get('n'))(c.pop('n'))}")
    if cases:
        phrases.append(", ".join(cases))
    if "m" in c:
        imputations = int(c.pop("m"))
        if imputations > 1:
            phrases.append(f"pooled over {imputations} imputations (Rubin's rules)")
    for col, value in c.items():
        text = one_line(str(value))
        if col in ("note", "disclosure"):
            sentences.append(text)
        elif col == "warning":
            sentences.append(f"Caution: {text}")
        elif isinstance(value, bool | np.bool_):
            phrases.append(
                f"{_plain(_label(col, TableSpec(), None, instrument=instrument)).lower()}: "
                f"{'yes' if value else 'no'}"
            )
        elif isinstance(value, int | float | np.number):
            fmt = _number_formatter(col, data[col], fmts.get(col))
            phrases.append(
                f"{_label(col, TableSpec(), None, instrument=instrument)} = {fmt(value)}"
            )
        else:
            if col in _CODE_COLUMNS:
                text = value_words(col, text, instrument)
            label = _label(col, TableSpec(), None, instrument=instrument)
            phrases.append(f"{_plain(label).lower()}: {text}")
    first = [_capital("; ".join(phrases))] if phrases else []
    return first + sentences


def _method_words(text: str) -> str:
    """Method codes in words (``clopper-pearson`` -> ``Clopper–Pearson``)."""
    words = {
        "clopper-pearson": "Clopper–Pearson", "wilson": "Wilson", "feldt": "Feldt",
        "exact": "the exact distribution",
    }  # fmt: skip
    return words.get(text.lower(), text)


def _big_numbers(text: str) -> str:
    """Numbers of five or more digits with thousands separators (APA)."""
    return re.sub(r"\d{5,}", lambda m: f"{int(m.group(0)):,}", text)


# -- rendering helpers ---------------------------------------------------------------------------

_ITALIC = re.compile(r"\*([^*]+)\*")


def markup_runs(text: str) -> list[tuple[str, bool]]:
    """A label or note as runs of (text, italic): ``*x*`` marks italics.

    For writers of other formats (Typst, Word); a cell is plain text, never markup.

    >>> markup_runs("*p* (Holm)")
    [('p', True), (' (Holm)', False)]
    """
    return [(part, bool(i % 2)) for i, part in enumerate(_ITALIC.split(text)) if part]


def split_marks(cell: str) -> tuple[str, str]:
    """A cell's text and the letters of the footnote marks at its end.

    >>> split_marks("multiple imputation\u1d43\u1d47"), split_marks(".52")
    (('multiple imputation', 'ab'), ('.52', ''))
    """
    marks = re.search(f"[{''.join(_SUPERSCRIPTS)}]+$", cell)
    if marks is None:
        return cell, ""
    return cell[: marks.start()], "".join(_SUPERSCRIPTS[c] for c in marks.group(0))


def _markdown_markup(text: str) -> str:
    parts = _ITALIC.split(text)
    return "".join(
        f"*{escape_markdown(p)}*" if i % 2 else escape_markdown(p) for i, p in enumerate(parts)
    )


def _plain(text: str) -> str:
    return _ITALIC.sub(r"\1", text)


def _html_markup(text: str) -> str:
    return _ITALIC.sub(r"<i>\1</i>", escape_html(text))


def _html_cell(text: str) -> str:
    out = escape_html(text)
    # a figure space, not a hidden minus: where a page drops the table's style (a
    # sanitising notebook viewer, a copy to text) the pad must never read as a sign
    out = out.replace(MINUS_SPACE, '<span class="pad" aria-hidden="true">\u2007</span>')
    return re.sub(
        f"([{''.join(_SUPERSCRIPTS)}]+)$",
        lambda m: f"<sup>{''.join(_SUPERSCRIPTS[c] for c in m.group(1))}</sup>",
        out,
    )


def _plain_cell(text: str) -> str:
    return text.replace(MINUS_SPACE, FIGURE_SPACE)


_LATEX_SYMBOLS = {
    MINUS: "$-$",
    "ρ": "$\\rho$",
    "τ": "$\\tau$",
    "α": "$\\alpha$",
    "λ": "$\\lambda$",
    "ε": "$\\varepsilon$",
    "²": "$^2$",
    "≤": "$\\leq$",
    "≥": "$\\geq$",
    "×": "$\\times$",
    "–": "--",
    FIGURE_SPACE: "\\phantom{0}",
    MINUS_SPACE: "\\phantom{$-$}",
}


def _latex_text(text: str) -> str:
    out = escape_latex(text)
    for ch, tex in _LATEX_SYMBOLS.items():
        out = out.replace(ch, tex)
    return out


def _latex_markup(text: str) -> str:
    parts = _ITALIC.split(text)
    return "".join(
        f"\\textit{{{_latex_text(p)}}}" if i % 2 else _latex_text(p) for i, p in enumerate(parts)
    )


def _latex_cell(text: str) -> str:
    marks = re.search(f"[{''.join(_SUPERSCRIPTS)}]+$", text)
    body = text[: marks.start()] if marks else text
    out = _latex_text(body)
    if marks:
        out += "\\textsuperscript{" + "".join(_SUPERSCRIPTS[c] for c in marks.group(0)) + "}"
    return out


def _docx_runs(paragraph: Any, text: str, *, italic: bool = False) -> None:
    for i, part in enumerate(_ITALIC.split(text)):
        if part:
            run = paragraph.add_run(part)
            run.italic = italic or bool(i % 2)


def _docx_border(cell: Any, edge: str, size: int = 8) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    props = cell._tc.get_or_add_tcPr()
    borders = props.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        props.append(borders)
    element = OxmlElement(f"w:{edge}")
    element.set(qn("w:val"), "single")
    element.set(qn("w:sz"), str(size))
    element.set(qn("w:color"), "000000")
    borders.append(element)


#: The tables' own stylesheet, scoped to ``.cma-table`` so no other table on the page
#: changes: booktabs-like rules, right-aligned numbers with tabular figures, the note in
#: small type under the table, a wide table scrolling inside its box.
_TABLE_CSS = (
    "<style>"
    ".cma-table{max-width:100%;margin:.8em 0 1.2em}"
    ".cma-table .cma-scroll{max-width:100%;overflow-x:auto}"
    ".cma-table .cma-caption{font-style:italic;margin:0 0 .3em}"
    ".cma-table table.cma{border-collapse:collapse;border-top:1.5px solid #222;"
    "border-bottom:1.5px solid #222;font-size:.92em;width:auto;max-width:100%;"
    "margin:0;table-layout:auto}"
    ".cma-table table.cma caption{caption-side:top;text-align:left;font-style:italic;"
    "padding:0 0 .4em;color:inherit}"
    ".cma-table table.cma th,.cma-table table.cma td{padding:.25em .6em;border:none;"
    "text-align:left;vertical-align:top;background:none}"
    ".cma-table table.cma thead tr:last-child th{border-bottom:1px solid #222}"
    ".cma-table table.cma thead tr:first-child th[colspan]:not(:empty){"
    "border-bottom:1px solid #888;text-align:center}"
    ".cma-table table.cma th{font-weight:600}"
    ".cma-table table.cma td.num{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}"
    ".cma-table table.cma tbody tr,.cma-table table.cma tbody tr:nth-child(odd),"
    ".cma-table table.cma tbody tr:nth-child(even){background:transparent}"
    ".cma-table .pad{visibility:hidden}"
    ".cma-table .cma-note{font-size:.85em;max-width:60em}"
    ".cma-table .cma-note p{margin:.2em 0}"
    "</style>"
)

"""How every layer writes a number or a name as text: the home of number formatting.

Figures (``plotting``), claim verdicts (``analysis``), tables and findings
(``reporting``) print numbers the same way (:func:`format_number`: fixed digits, the
typographic :data:`MINUS`, APA's dropped leading zero for bounded statistics) and name
a correlation by its symbol (:func:`correlation_symbol`); the readers (``io``) turn
column headers into identifiers (:func:`snake_case`). They sit in ``core`` because
layers below ``reporting`` use them. Prose (APA strings, escaping, the wording rules,
the findings) is in :mod:`cma_research.reporting`.
"""

from __future__ import annotations

import re
from typing import Any

from cma_research.core.instrument import normalise_label

__all__ = [
    "MINUS",
    "correlation_symbol",
    "csv_cell",
    "format_number",
    "snake_case",
    "unprotect_cell",
]

MINUS = "\u2212"
_SYMBOLS = {"spearman": "\u03c1", "kendall": "\u03c4", "pearson": "r"}


def snake_case(text: str) -> str:
    """A column header as a snake_case identifier (``"Turnover 2006"`` -> ``turnover_2006``).

    >>> snake_case("Turnover growth (%)")
    'turnover_growth'
    >>> snake_case("2006")
    'col_2006'
    """
    out = re.sub(r"\W+", "_", normalise_label(text)).strip("_")
    return out if out and not out[0].isdigit() else f"col_{out}"


def format_number(value: float, digits: int = 2, *, bounded: bool = False) -> str:
    """A number for print: fixed ``digits``, typographic minus; ``bounded`` drops the
    leading zero of statistics that cannot exceed 1 in absolute value (APA style).

    >>> format_number(-0.5234, bounded=True)
    '−.52'
    >>> format_number(12.345, 1)
    '12.3'
    """
    text = f"{value:.{digits}f}"
    if bounded:
        text = re.sub(r"^(-?)0\.", r"\1.", text)
    return text.replace("-", MINUS)


def correlation_symbol(method: str) -> str:
    """The conventional symbol of a correlation method: ρ (Spearman), τ (Kendall), r.

    >>> correlation_symbol("spearman"), correlation_symbol("pearson")
    ('ρ', 'r')
    """
    return _SYMBOLS.get(str(method), "r")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_REAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def csv_cell(value: Any) -> Any:
    """A cell safe to open in a spreadsheet: text that would run as a formula gets a ``'``.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
    prefixed with an apostrophe (OWASP's rule against CSV injection), so Excel and
    LibreOffice show it as text instead of running it. Numbers, and text that is a
    plain number such as ``-0.25``, are returned unchanged. A carriage return inside
    text is written as a line feed (Python's CSV writer would leave a lone ``\r``
    unquoted, and a spreadsheet would split the row there).

    >>> print(csv_cell("=HYPERLINK(1)"), csv_cell("-2+3"), csv_cell("-0.25"), csv_cell(-1.5))
    '=HYPERLINK(1) '-2+3 -0.25 -1.5
    """
    if not isinstance(value, str):
        return value
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    if value.startswith(_FORMULA_START) and not _PLAIN_REAL.fullmatch(value):
        return "'" + text
    return text


def unprotect_cell(value: Any) -> Any:
    """A cell read back from a CSV the package wrote: :func:`csv_cell`'s ``'`` removed.

    >>> unprotect_cell("'=HYPERLINK(1)"), unprotect_cell("'quoted"), unprotect_cell(2)
    ('=HYPERLINK(1)', "'quoted", 2)
    """
    if isinstance(value, str) and value.startswith("'") and csv_cell(value[1:]) == value:
        return value[1:]
    return value

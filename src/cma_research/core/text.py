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

from cma_research.core.instrument import normalise_label

__all__ = ["MINUS", "correlation_symbol", "format_number", "snake_case"]

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

"""Read one cell of a returns file: a level, a staff count or a business id.

Levels and staff are read from plain decimal text only; every refusal is recorded on a
:class:`~cma_research.core.errors.ProblemCollector` with its row, column, value and what
was expected. The bounds :data:`MAX_STAFF` and :data:`MAX_ID_CHARS` live here.
"""

from __future__ import annotations

import re

from cma_research.core.errors import ProblemCollector
from cma_research.core.instrument import Instrument, normalise_label
from cma_research.io.columns import normalise_na
from cma_research.io.tables import RawTable

__all__ = ["MAX_ID_CHARS", "MAX_STAFF"]

_GROUPED_INT = re.compile(r"^\d{1,3}(?:,\d{3})+$")
# Levels and staff are read from plain decimal text only (ASCII digits, an optional
# sign and decimal point): Python's float() would also take "0_3" (= 3), "1e18",
# "1e-400" (= 0), "inf" and non-ASCII digits, none of which a spreadsheet user means.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
#: Largest staff count read (a headcount above ten million is a typo or an exponent).
MAX_STAFF = 10_000_000
#: Longest business id, in characters.
MAX_ID_CHARS = 100
_SIGNED_DIGIT = re.compile(r"[-+]\s*[0-9]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


def _plain_number(text: str) -> float | None:
    """The value of plain decimal text (``3``, ``-1``, ``2.0``, ``.5``), else None."""
    return float(text) if _PLAIN_NUMBER.fullmatch(text) else None


def _level_labels(inst: Instrument) -> str:
    return ", ".join(f"{lv.label!r} ({lv.value})" for lv in inst.levels)


def _parse_level(
    text: str, inst: Instrument, na: set[str], row: int, column: str, col: ProblemCollector
) -> int | None:
    """A level from a whole number or one of the instrument's level labels."""
    if normalise_na(text) in na:
        return None
    lo, hi = inst.min_level, inst.max_level
    expected = f"a whole number from {lo} to {hi}, or a blank cell for not assessed"
    number = _plain_number(text)
    if number is None:
        # "Level -1" must not become "level 1" (normalise_label folds dashes)
        signed = _SIGNED_DIGIT.search(text) is not None
        label = None if signed else inst.level_lookup().get(normalise_label(text))
        if label is not None:
            return label
        try:
            float(text)
        except ValueError:
            col.add(
                "level is not a number",
                row=row,
                column=column,
                value=text,
                expected=f"{expected}, or a level label of {inst.name}: {_level_labels(inst)}",
            )
        else:
            col.add(
                "level is not written as a plain whole number (digits 0-9 only; exponents, digit "
                "separators and inf are not read)",
                row=row,
                column=column,
                value=text,
                expected=expected,
            )
        return None
    if number != int(number):
        col.add(
            "level is not a whole number", row=row, column=column, value=text, expected=expected
        )
        return None
    if not lo <= number <= hi:
        col.add(
            f"level outside the levels {lo}-{hi}",
            row=row,
            column=column,
            value=text,
            expected=expected,
        )
        return None
    return int(number)


def _parse_staff(
    text: str, na: set[str], row: int, column: str, col: ProblemCollector
) -> int | None:
    """A headcount: plain whole number (``1,250`` grouping allowed) up to MAX_STAFF."""
    if normalise_na(text) in na:
        return None
    expected = "a whole number of staff (headcount, 0 or more), or a blank cell if unknown"
    cleaned = text.replace(",", "") if _GROUPED_INT.match(text) else text
    number = _plain_number(cleaned)
    if number is None:
        try:
            float(cleaned)
        except ValueError:
            message = "staff is not a number"
        else:
            message = (
                "staff is not written as a plain whole number (digits 0-9 only; exponents "
                "such as 1e3, digit separators such as 1_000 and inf are not read)"
            )
        col.add(message, row=row, column=column, value=text, expected=expected)
        return None
    if number != int(number):
        col.add(
            "staff is not a whole number", row=row, column=column, value=text, expected=expected
        )
        return None
    if number < 0:
        col.add("staff is negative", row=row, column=column, value=text, expected=expected)
        return None
    if number > MAX_STAFF:
        col.add(
            f"staff is too large (at most {MAX_STAFF:,} are read)",
            row=row,
            column=column,
            value=text,
            expected=expected,
        )
        return None
    return int(number)


def _ids(raw: RawTable, idx: int | None, col: ProblemCollector, header: str) -> list[str | None]:
    if idx is None:
        width = max(2, len(str(len(raw.rows))))
        return [f"B{i:0{width}d}" for i in range(1, len(raw.rows) + 1)]
    out: list[str | None] = []
    for number, cells in raw.rows:
        value = _cell(cells, idx)
        problem = _id_problem(value)
        if problem:
            col.add(
                problem,
                row=number,
                column=header,
                value=value or None,
                expected=f"an id for every business: printable text of 1 to {MAX_ID_CHARS} "
                "characters",
            )
            out.append(None)
        else:
            out.append(value)
    return out


def _id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a business id, or None when it can."""
    if not value:
        return "business id is blank"
    if _CONTROL.search(value):
        return "business id holds a control character (such as NUL, tab or a line break)"
    if len(value) > MAX_ID_CHARS:
        return f"business id is {len(value):,} characters long"
    return None

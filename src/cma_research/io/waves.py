"""The wave column of audit returns: numbers, labels or audit dates, put in order.

A wave cell holds one of three kinds of value, and one file uses one kind:

* a positive whole number (``1``, ``2``, ``2007``): ordered by value; the ``wave`` index
  level holds the number itself and the cohort's ``wave_labels`` stay empty;
* an audit date, ISO ``2007-03-01`` or UK day-first ``01/03/2007``: ordered by date;
  the label is the ISO date and the index holds its rank 1..k;
* any other text (``Baseline``, ``Follow-up``, ``Wave 2``): a label, ordered by first
  appearance in the file (or by ``wave_order``); labels match case-insensitively and
  keep the spelling of their first appearance; the index holds the rank 1..k.

With ``wave_order`` every cell is matched against those labels (whatever its kind), and
the order is the one given.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence

from cma_research.core.errors import ParameterError, ProblemCollector
from cma_research.io.tables import RawTable

__all__ = ["parse_waves"]

_MAX_INT = 2**63 - 1
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_KIND_NAMES = {
    "number": "a wave number",
    "date": "an audit date",
    "label": "a wave label",
}
_NUMBER_EXPECTED = "1, 2, 3 ... (the audit wave)"


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _as_number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number


def _as_date(text: str) -> dt.date | str | None:
    """A date, ``None`` when the text is not shaped like a date, or an error text."""
    if m := _ISO.match(text):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _UK.match(text):
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        return None
    try:
        return dt.date(y, mo, d)
    except ValueError as exc:
        return str(exc)


def _kind(text: str) -> str:
    if _as_number(text) is not None:
        return "number"
    if _as_date(text) is not None:
        return "date"
    return "label"


def parse_waves(
    raw: RawTable,
    idx: int | None,
    header: str,
    col: ProblemCollector,
    wave_order: Sequence[str] | None = None,
) -> tuple[list[int | None], tuple[str, ...]]:
    """The wave code of every data row and the wave labels in order.

    Parameters
    ----------
    raw : RawTable
        The file read as text (:func:`~cma_research.io.tables.read_raw_table`).
    idx : int or None
        The wave column's position; ``None`` when the file has no wave column (every
        row is wave 1).
    header : str
        The wave column's header, to name it in problems.
    col : ProblemCollector
        Receives every problem, located by spreadsheet row.
    wave_order : sequence of str, optional
        The waves in order (``load_returns(wave_order=...)``).

    Returns
    -------
    tuple
        ``(codes, labels)``: ``codes[i]`` is the wave of data row ``i`` (its number, or
        the rank 1..k of its label or date), ``None`` where the row has a problem
        (recorded in ``col``); ``labels`` are the labels or ISO dates in order, empty
        when the codes are wave numbers.

    Raises
    ------
    ParameterError
        ``wave_order`` is not a list of distinct, non-blank labels, or is given for a
        file without a wave column.

    Examples
    --------
    >>> from cma_research.core.errors import ProblemCollector
    >>> rows = [(2, ["01/09/2008"]), (3, ["2007-03-01"]), (4, ["1/9/2008"])]
    >>> raw = RawTable("w.csv", "", ["Audit date"], rows, 1, "utf-8", None)
    >>> parse_waves(raw, 0, "Audit date", ProblemCollector(raw.path, 50))
    ([2, 1, 2], ('2007-03-01', '2008-09-01'))
    """
    order = _check_order(wave_order)
    if idx is None:
        if order is not None:
            raise ParameterError(
                f"wave_order={list(order)!r} was given but {raw.path} has no wave column"
            )
        return [1] * len(raw.rows), ()
    texts = [(number, cells[idx].strip() if idx < len(cells) else "") for number, cells in raw.rows]
    codes: list[int | None] = []
    for number, text in texts:
        if not text:
            col.add(
                "wave is blank",
                row=number,
                column=header,
                expected="the audit wave of every row (a number, a label or an audit date)",
            )
    if order is not None:
        return _by_order(raw, texts, header, col, order)
    first = next(((n, t) for n, t in texts if t), None)
    if first is None:
        return [None] * len(texts), ()
    kind = _kind(first[1])
    for number, text in texts:
        if text and _kind(text) != kind:
            _mixed(col, number, header, text, kind, first)
    if kind == "number":
        for number, text in texts:
            ok = text and _kind(text) == "number"
            codes.append(_number_code(text, number, header, col) if ok else None)
        return codes, ()
    if kind == "date":
        dates: list[dt.date | None] = []
        for number, text in texts:
            value = _as_date(text) if text and _kind(text) == "date" else None
            if isinstance(value, str):
                col.add(
                    f"wave date is not a valid date ({value})",
                    row=number,
                    column=header,
                    value=text,
                    expected="an audit date as YYYY-MM-DD or DD/MM/YYYY (day first)",
                )
                value = None
            dates.append(value)
        distinct = sorted({d for d in dates if d is not None})
        rank = {d: i + 1 for i, d in enumerate(distinct)}
        return [None if d is None else rank[d] for d in dates], tuple(
            d.isoformat() for d in distinct
        )
    seen: dict[str, int] = {}
    labels: list[str] = []
    for _, text in texts:
        if text and _kind(text) == "label" and _fold(text) not in seen:
            labels.append(text)
            seen[_fold(text)] = len(labels)
    return [seen.get(_fold(t)) if t else None for _, t in texts], tuple(labels)


def _check_order(wave_order: Sequence[str] | None) -> tuple[str, ...] | None:
    if wave_order is None:
        return None
    if isinstance(wave_order, str) or not all(isinstance(w, str) for w in wave_order):
        raise ParameterError(
            f"wave_order={wave_order!r} must be a list of wave labels, "
            "e.g. ['Baseline', 'Follow-up']"
        )
    order = tuple(w.strip() for w in wave_order)
    if not order or any(not w for w in order):
        raise ParameterError(f"wave_order={list(wave_order)!r} must name each wave, none blank")
    folded = [_fold(w) for w in order]
    dupes = sorted({w for w, f in zip(order, folded, strict=True) if folded.count(f) > 1})
    if dupes:
        raise ParameterError(
            f"wave_order={list(wave_order)!r} names {', '.join(map(repr, dupes))} twice; "
            "expected each wave once"
        )
    return order


def _by_order(
    raw: RawTable,
    texts: list[tuple[int, str]],
    header: str,
    col: ProblemCollector,
    order: tuple[str, ...],
) -> tuple[list[int | None], tuple[str, ...]]:
    rank = {_fold(w): i + 1 for i, w in enumerate(order)}
    codes: list[int | None] = []
    for number, text in texts:
        if not text:
            codes.append(None)
            continue
        code = rank.get(_fold(text))
        if code is None:
            col.add(
                "wave is not in wave_order",
                row=number,
                column=header,
                value=text,
                expected="one of " + ", ".join(repr(w) for w in order),
            )
        codes.append(code)
    present = {c for c in codes if c is not None}
    for i, label in enumerate(order, start=1):
        if i not in present and len(col.problems) == 0:
            col.add(
                f"wave_order names {label!r} but no row of the file has that wave",
                row=raw.header_row,
                column=header,
                value=label,
                expected="only waves present in the file: "
                + ", ".join(repr(order[c - 1]) for c in sorted(present)),
            )
    return codes, order


def _mixed(
    col: ProblemCollector, number: int, header: str, text: str, kind: str, first: tuple[int, str]
) -> None:
    this = _kind(text)
    if kind == "number":
        message = f"wave is not a positive whole number (row {first[0]} has {first[1]!r})"
        expected = (
            f"{_NUMBER_EXPECTED}, like the other rows; waves are all numbers, all labels "
            "or all audit dates (or give their order with wave_order=)"
        )
    else:
        message = (
            f"wave is {_KIND_NAMES[this]} but row {first[0]} has {_KIND_NAMES[kind]} ({first[1]!r})"
        )
        expected = (
            f"{_KIND_NAMES[kind]} like row {first[0]} ({first[1]!r}): waves of different "
            "kinds cannot be ordered; use one kind (or give the order with wave_order=)"
        )
    col.add(
        f"{message}: the waves cannot be ordered",
        row=number,
        column=header,
        value=text,
        expected=expected,
    )


def _number_code(text: str, number: int, header: str, col: ProblemCollector) -> int | None:
    value = _as_number(text)
    if (
        value is None
        or not math.isfinite(value)
        or value != int(value)
        or not 1 <= value <= _MAX_INT
    ):
        col.add(
            "wave is not a positive whole number",
            row=number,
            column=header,
            value=text,
            expected=_NUMBER_EXPECTED,
        )
        return None
    return int(value)

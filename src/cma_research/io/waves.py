"""The wave column of audit returns: numbers, labels or audit dates, put in order.

A wave cell holds one of three kinds of value, and one file uses one kind:

* a positive whole number (``1``, ``2``, ``2007``): ordered by value; the ``wave`` index
  level holds the number itself and the cohort's ``wave_labels`` stay empty;
* an audit date: an Excel date cell, ISO text ``2007-03-01`` (a time after it, as in
  ``2007-03-01 10:30``, is ignored) or text with slashes, day first as in the UK
  (``01/03/2007``; ``dates="month-first"`` reads ``03/01/2007`` the American way and
  ``dates="iso"`` accepts ISO dates only): ordered by date, never by appearance. Each
  date is a wave labelled with its ISO date, unless ``rounds`` groups them (below);
* any other text (``Baseline``, ``Follow-up``, ``Wave 2``): a label, ordered by first
  appearance in the file (or by ``wave_order``); labels match case-insensitively and
  keep the spelling of their first appearance; the index holds the rank 1..k.

With ``wave_order`` every cell is matched against those labels (whatever its kind), and
the order is the one given.

**Rounds.** A programme audits its businesses over weeks or months, so an audit-date
column has many distinct dates for one round of audits. :class:`Rounds` groups them, as
a person would: by calendar year (``"year"``: waves ``2008``, ``2009``), by gaps (``"gap
90"``: a new round starts after 90 days without an audit; waves ``Round 1 (Mar 2008)``,
``Round 2 (Feb–Apr 2009)``), or by explicit labelled date ranges (``"Round 1=2008-01-01
..2008-06-30; Round 2=2009-01-01..2009-06-30"``). Rounds are ordered by date.
:func:`wave_notes` warns when a wave column has nearly as many values as there are
returns, and names the fix.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cma_research.core.errors import ParameterError, ProblemCollector
from cma_research.io.tables import RawTable

__all__ = [
    "DATE_FORMATS",
    "Rounds",
    "date_span",
    "parse_date",
    "parse_rounds",
    "parse_waves",
    "wave_notes",
]

_MAX_INT = 2**63 - 1
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_KIND_NAMES = {
    "number": "a wave number",
    "date": "an audit date",
    "label": "a wave label",
}
_NUMBER_EXPECTED = "1, 2, 3 ... (the audit wave)"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

DateFormat = Literal["iso", "day-first", "month-first"]
#: How text dates are written: ISO only, or with slashes day first (UK) or month first (US).
DATE_FORMATS: tuple[str, ...] = ("iso", "day-first", "month-first")
_DATE_EXPECTED = {
    None: "an audit date as YYYY-MM-DD or DD/MM/YYYY (day first)",
    "iso": "an audit date as YYYY-MM-DD (dates: iso)",
    "day-first": "an audit date as YYYY-MM-DD or DD/MM/YYYY (day first)",
    "month-first": "an audit date as YYYY-MM-DD or MM/DD/YYYY (month first)",
}
# A wave column with at least this many waves, and at least this share of the returns as
# waves, is probably not a round of audits (every date its own wave; an id column).
_MANY_WAVES = 3
_MANY_WAVES_SHARE = 0.5


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _as_number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number


def parse_date(text: str, dates: str | None = None) -> dt.date | str | None:
    """A date, ``None`` when the text is not shaped like a date, or why it is not valid.

    ``dates`` is one of :data:`DATE_FORMATS` or ``None`` (ISO or day first).

    >>> parse_date("2008-03-01"), parse_date("01/03/2008"), parse_date("01/03/2008", "month-first")
    (datetime.date(2008, 3, 1), datetime.date(2008, 3, 1), datetime.date(2008, 1, 3))
    >>> parse_date("2008-03-01 10:30:00"), parse_date("Baseline")
    (datetime.date(2008, 3, 1), None)
    >>> parse_date("31/02/2008")
    'day is out of range for month'
    """
    if m := _ISO.match(text):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _SLASHED.match(text):
        if dates == "iso":
            return "a date with slashes, but the dates are ISO (YYYY-MM-DD)"
        first, second, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        d, mo = (second, first) if dates == "month-first" else (first, second)
    else:
        return None
    try:
        return dt.date(y, mo, d)
    except ValueError as exc:
        return str(exc)


def _kind(text: str) -> str:
    if _as_number(text) is not None:
        return "number"
    if parse_date(text) is not None:
        return "date"
    return "label"


def date_span(first: dt.date, last: dt.date) -> str:
    """Months as people write them: ``Mar 2008``, ``Mar–May 2008``, ``Nov 2008–Feb 2009``.

    >>> date_span(dt.date(2008, 3, 3), dt.date(2008, 3, 28))
    'Mar 2008'
    >>> date_span(dt.date(2008, 3, 3), dt.date(2008, 5, 1))
    'Mar–May 2008'
    >>> date_span(dt.date(2008, 11, 3), dt.date(2009, 2, 1))
    'Nov 2008–Feb 2009'
    """
    a, b = _MONTHS[first.month - 1], _MONTHS[last.month - 1]
    if (first.year, first.month) == (last.year, last.month):
        return f"{a} {first.year}"
    if first.year == last.year:
        return f"{a}–{b} {first.year}"
    return f"{a} {first.year}–{b} {last.year}"


@dataclass(frozen=True)
class Rounds:
    """How audit dates are grouped into rounds (waves).

    ``kind`` is ``"year"`` (one round per calendar year, labelled ``2008``), ``"gap"``
    (a new round after more than ``gap_days`` days without an audit, labelled
    ``Round 1 (Mar 2008)``) or ``"labels"`` (``spans``: label, first and last date of
    each round, labelled as given). Build one with :func:`parse_rounds`.
    """

    kind: Literal["year", "gap", "labels"]
    gap_days: int = 0
    spans: tuple[tuple[str, dt.date, dt.date], ...] = ()

    def text(self) -> str:
        """The rounds as the ``wave_rounds`` parameter writes them (read by :func:`parse_rounds`).

        >>> parse_rounds("gap 90").text(), parse_rounds({"year": True}).text()
        ('gap 90', 'year')
        >>> parse_rounds({"Round 1": ["2008-01-01", "2008-06-30"]}).text()
        'Round 1=2008-01-01..2008-06-30'
        """
        if self.kind == "year":
            return "year"
        if self.kind == "gap":
            return f"gap {self.gap_days}"
        return "; ".join(f"{label}={a.isoformat()}..{b.isoformat()}" for label, a, b in self.spans)

    def describe(self) -> str:
        """The grouping in words (for reports and ``init``)."""
        if self.kind == "year":
            return "audit dates grouped into rounds by calendar year"
        if self.kind == "gap":
            return (
                f"audit dates grouped into rounds: a new round after {self.gap_days} days "
                "without an audit"
            )
        return "audit dates grouped into the rounds " + ", ".join(
            f"{label} ({a.isoformat()} to {b.isoformat()})" for label, a, b in self.spans
        )

    def group(self, distinct: Sequence[dt.date]) -> tuple[dict[dt.date, int], tuple[str, ...]]:
        """Each date's round (1..k, by date) and the rounds' labels.

        A date in none of the labelled rounds is left out of the mapping.
        """
        days = sorted(set(distinct))
        if not days:
            return {}, ()
        if self.kind == "year":
            years = sorted({d.year for d in days})
            rank = {y: i + 1 for i, y in enumerate(years)}
            return {d: rank[d.year] for d in days}, tuple(str(y) for y in years)
        if self.kind == "gap":
            groups: list[list[dt.date]] = [[days[0]]]
            for day in days[1:]:
                if (day - groups[-1][-1]).days > self.gap_days:
                    groups.append([])
                groups[-1].append(day)
            codes = {d: i + 1 for i, g in enumerate(groups) for d in g}
            labels = tuple(
                f"Round {i + 1} ({date_span(g[0], g[-1])})" for i, g in enumerate(groups)
            )
            return codes, labels
        used = [s for s in self.spans if any(s[1] <= d <= s[2] for d in days)]
        codes = {}
        for i, (_, first, last) in enumerate(used):
            for d in days:
                if first <= d <= last:
                    codes[d] = i + 1
        return codes, tuple(label for label, _, _ in used)


def _as_day(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    day = parse_date(str(value).strip(), "iso")
    if not isinstance(day, dt.date):
        raise ParameterError(f"{where}: {str(value)[:80]!r} is not a date; expected YYYY-MM-DD")
    return day


def parse_rounds(value: str | Mapping[str, Any] | Rounds | None) -> Rounds | None:
    """Rounds from the ``wave_rounds`` text or a study file's ``rounds`` entry.

    Accepted: ``"year"``; ``"gap 90"`` (or ``"gap 90 days"``, ``{"gap_days": 90}``);
    labelled ranges ``"Round 1=2008-01-01..2008-06-30; Round 2=2009-01-01..2009-06-30"``
    (or ``{"Round 1": ["2008-01-01", "2008-06-30"], ...}``). ``None``: no grouping.

    Raises
    ------
    ParameterError
        For any other value, naming the accepted forms; for labelled ranges that overlap,
        end before they start, or repeat a label.

    Examples
    --------
    >>> parse_rounds("year").kind, parse_rounds("gap 90 days").gap_days
    ('year', 90)
    >>> parse_rounds("R1=2008-01-01..2008-06-30; R2=2009-01-01..2009-06-30").spans[1][0]
    'R2'
    """
    if value is None or isinstance(value, Rounds):
        return value
    accepted = (
        "'year', 'gap N' (N days without an audit start a new round) or labelled ranges "
        "'Round 1=2008-01-01..2008-06-30; Round 2=2009-01-01..2009-06-30'"
    )
    where = "wave_rounds"
    if isinstance(value, Mapping):
        if set(value) == {"year"} and value["year"] is True:
            return Rounds("year")
        if set(value) == {"gap_days"}:
            return _gap(value["gap_days"], where, accepted)
        spans = []
        for label, span in value.items():
            if not isinstance(span, list | tuple) or len(span) != 2:
                raise ParameterError(
                    f"{where}: round {str(label)[:80]!r} must be [first date, last date], "
                    f"got {str(span)[:80]!r}"
                )
            spans.append((str(label), _as_day(span[0], where), _as_day(span[1], where)))
        return _labelled(spans, where)
    if not isinstance(value, str):
        raise ParameterError(f"{where}={str(value)[:80]!r} is not allowed; expected {accepted}")
    text = " ".join(value.split())
    if text.casefold() in ("year", "by year", "years"):
        return Rounds("year")
    if m := re.fullmatch(r"gap (\S+)(?: days?)?", text, re.IGNORECASE):
        return _gap(m.group(1), where, accepted)
    spans = []
    for part in (p.strip() for p in text.split(";") if p.strip()):
        label, sep, span = part.partition("=")
        first, dots, last = span.partition("..")
        if not sep or not dots or not label.strip():
            raise ParameterError(f"{where}={value[:80]!r} is not allowed; expected {accepted}")
        spans.append((label.strip(), _as_day(first, where), _as_day(last, where)))
    return _labelled(spans, where)


def _gap(value: Any, where: str, accepted: str) -> Rounds:
    try:
        days = int(str(value))
    except ValueError:
        days = -1
    if days < 1 or str(value).strip() != str(days):
        raise ParameterError(
            f"{where}: gap {str(value)[:80]!r} must be a whole number of days >= 1; "
            f"expected {accepted}"
        )
    return Rounds("gap", gap_days=days)


def _labelled(spans: list[tuple[str, dt.date, dt.date]], where: str) -> Rounds:
    if not spans:
        raise ParameterError(f"{where}: no rounds given")
    labels = [_fold(s[0]) for s in spans]
    if len(set(labels)) != len(labels):
        raise ParameterError(f"{where}: a round is named twice; expected each label once")
    for label, first, last in spans:
        if last < first:
            raise ParameterError(
                f"{where}: round {label!r} ends ({last}) before it starts ({first})"
            )
    ordered = sorted(spans, key=lambda s: s[1])
    for (a, _, a_last), (b, b_first, _) in itertools.pairwise(ordered):
        if b_first <= a_last:
            raise ParameterError(
                f"{where}: rounds {a!r} and {b!r} overlap ({b_first} is in both); "
                "expected date ranges that do not overlap"
            )
    return Rounds("labels", spans=tuple(ordered))


def parse_waves(
    raw: RawTable,
    idx: int | None,
    header: str,
    col: ProblemCollector,
    wave_order: Sequence[str] | None = None,
    *,
    dates: str | None = None,
    rounds: Rounds | None = None,
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
    dates : {"iso", "day-first", "month-first"}, optional
        How text dates are written (default: ISO, or with slashes day first).
    rounds : Rounds, optional
        How audit dates are grouped into rounds (:func:`parse_rounds`); default: each
        date is a wave.

    Returns
    -------
    tuple
        ``(codes, labels)``: ``codes[i]`` is the wave of data row ``i`` (its number, or
        the rank 1..k of its label, date or round), ``None`` where the row has a problem
        (recorded in ``col``); ``labels`` are the labels, ISO dates or round labels in
        order, empty when the codes are wave numbers.

    Raises
    ------
    ParameterError
        ``wave_order`` is not a list of distinct, non-blank labels, ``dates`` is not one
        of :data:`DATE_FORMATS`, or either option is given for a file without a wave
        column.

    Examples
    --------
    >>> from cma_research.core.errors import ProblemCollector
    >>> rows = [(2, ["01/09/2008"]), (3, ["2007-03-01"]), (4, ["1/9/2008"])]
    >>> raw = RawTable("w.csv", "", ["Audit date"], rows, 1, "utf-8", None)
    >>> parse_waves(raw, 0, "Audit date", ProblemCollector(raw.path, 50))
    ([2, 1, 2], ('2007-03-01', '2008-09-01'))
    >>> parse_waves(raw, 0, "Audit date", ProblemCollector(raw.path, 50), rounds=Rounds("year"))
    ([2, 1, 2], ('2007', '2008'))
    """
    order = _check_order(wave_order)
    if dates is not None and dates not in DATE_FORMATS:
        raise ParameterError(
            f"dates={str(dates)[:80]!r} is not allowed; expected one of: "
            + ", ".join(repr(d) for d in DATE_FORMATS)
        )
    if idx is None:
        if order is not None or rounds is not None:
            given = f"wave_order={list(order)!r}" if order is not None else "wave_rounds"
            raise ParameterError(f"{given} was given but {raw.path} has no wave column")
        return [1] * len(raw.rows), ()
    texts = [(number, cells[idx].strip() if idx < len(cells) else "") for number, cells in raw.rows]
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
    if rounds is not None and kind != "date":
        col.add(
            f"wave_rounds groups audit dates, but the wave column holds {_KIND_NAMES[kind]}s",
            row=first[0],
            column=header,
            value=first[1],
            expected="audit dates in the wave column, or no wave_rounds",
        )
        return [None] * len(texts), ()
    if kind == "number":
        codes: list[int | None] = []
        for number, text in texts:
            ok = text and _kind(text) == "number"
            codes.append(_number_code(text, number, header, col) if ok else None)
        return codes, ()
    if kind == "date":
        return _by_date(texts, header, col, dates, rounds)
    seen: dict[str, int] = {}
    labels: list[str] = []
    for _, text in texts:
        if text and _kind(text) == "label" and _fold(text) not in seen:
            labels.append(text)
            seen[_fold(text)] = len(labels)
    return [seen.get(_fold(t)) if t else None for _, t in texts], tuple(labels)


def _by_date(
    texts: list[tuple[int, str]],
    header: str,
    col: ProblemCollector,
    dates: str | None,
    rounds: Rounds | None,
) -> tuple[list[int | None], tuple[str, ...]]:
    """Codes by date (or by round of dates) and the labels in date order."""
    days: list[dt.date | None] = []
    for number, text in texts:
        value = parse_date(text, dates) if text and _kind(text) == "date" else None
        if isinstance(value, str):
            col.add(
                f"wave date is not a valid date ({value})",
                row=number,
                column=header,
                value=text,
                expected=_DATE_EXPECTED[dates],
            )
            value = None
        days.append(value)
    distinct = sorted({d for d in days if d is not None})
    if rounds is None:
        rank = {d: i + 1 for i, d in enumerate(distinct)}
        labels = tuple(d.isoformat() for d in distinct)
    else:
        rank, labels = rounds.group(distinct)
        for (number, text), day in zip(texts, days, strict=True):
            if day is not None and day not in rank:
                col.add(
                    "the audit date falls in none of the rounds",
                    row=number,
                    column=header,
                    value=text,
                    expected="a date within one of the rounds "
                    + ", ".join(f"{lb} ({a} to {b})" for lb, a, b in rounds.spans),
                )
    return [None if d is None else rank.get(d) for d in days], labels


def wave_notes(
    n_waves: int, n_returns: int, header: str, kind: str, rounds: Rounds | None = None
) -> list[str]:
    """A warning, with its fix, when a wave column has nearly as many values as returns.

    ``kind`` is the wave column's kind (``"date"``, ``"label"`` or ``"number"``).

    >>> wave_notes(52, 71, "Audit date", "date")[0][:72]
    "the wave column 'Audit date' has 52 different values for 71 returns: eac"
    >>> wave_notes(2, 80, "Round", "label")
    []
    """
    if n_waves < _MANY_WAVES or n_waves < _MANY_WAVES_SHARE * n_returns or rounds is not None:
        return []
    head = f"the wave column {header!r} has {n_waves} different values for {n_returns} returns"
    if kind == "date":
        return [
            f"{head}: each audit date is its own wave. If the audits fall into rounds, group "
            "them: wave_rounds 'year' (one round per calendar year) or 'gap 90' (a new round "
            "after 90 days without an audit); in a study file, waves: rounds: year"
        ]
    return [
        f"{head}: is it the audit round? If it is an id or a date of another kind, name the "
        "real wave column (aliases 'Header=wave'), or remove it if the file has one round"
    ]


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

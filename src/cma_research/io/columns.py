"""Map a returns file's header to roles and stages; the not-assessed tokens.

A header cell names a role (``business_id``, ``wave``, ``staff``, ``business_type``,
``stage``, ``level``; spellings in :data:`DEFAULT_ALIASES` plus the caller's), a stage of
the instrument (by id, number or name) or an extra attribute (its snake_case name).
Problems (unknown stages, duplicate or missing columns, a title row above the header,
ragged rows) are recorded on a :class:`~cma_research.core.errors.ProblemCollector`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from cma_research.core.errors import ParameterError, ProblemCollector, shorten
from cma_research.core.instrument import Instrument, normalise_label
from cma_research.core.text import snake_case
from cma_research.io.bounds import column_letter
from cma_research.io.tables import RawTable

__all__ = ["DEFAULT_ALIASES", "DEFAULT_NA_VALUES", "normalise_na"]

#: Cell texts that mean "not assessed" (compared case-insensitively after trimming).
DEFAULT_NA_VALUES: tuple[str, ...] = (
    "",
    "na",
    "n/a",
    "n.a.",
    "nan",
    "-",
    "–",
    "—",
    ".",
    "not assessed",
    "none",
)

#: Header spellings recognised for the non-stage columns (compared after
#: :func:`~cma_research.core.instrument.normalise_label`). Stage columns are recognised by the
#: instrument's own ids, numbers and names.
DEFAULT_ALIASES: dict[str, str] = {
    "business id": "business_id",
    "id": "business_id",
    "business": "business_id",
    "company id": "business_id",
    "case id": "business_id",
    "wave": "wave",
    "audit wave": "wave",
    "round": "wave",
    "staff": "staff",
    "staff no": "staff",
    "staff number": "staff",
    "number of staff": "staff",
    "no of staff": "staff",
    "no. of staff": "staff",
    "employees": "staff",
    "headcount": "staff",
    "type": "business_type",
    "business type": "business_type",
    "stage": "stage",
    "dimension": "stage",
    "level": "level",
    "score": "level",
}

_ROLES = ("business_id", "wave", "staff", "business_type", "stage", "level")
_STAGE_LIKE = re.compile(r"^(?:stage ?|s)?(\d+)$")


def normalise_na(text: str) -> str:
    """Fold a not-assessed token for comparison."""
    return text.strip().casefold()


def _map_columns(
    raw: RawTable, inst: Instrument, aliases: Mapping[str, str], col: ProblemCollector
) -> dict[int, str]:
    """Assign each header cell a canonical name; record header problems."""
    stage_lookup = inst.stage_lookup()
    alias_map = {normalise_label(k): v for k, v in DEFAULT_ALIASES.items()}
    for header, target in aliases.items():
        norm_target = normalise_label(target)
        if target in _ROLES:
            alias_map[normalise_label(header)] = target
        elif norm_target in stage_lookup:
            alias_map[normalise_label(header)] = stage_lookup[norm_target]
        else:
            raise ParameterError(
                f"alias {header!r} -> {target!r}: target must be one of {', '.join(_ROLES)} "
                f"or a {inst.stage_noun} of {inst.name} ({', '.join(inst.stage_ids)})"
            )
    columns: dict[int, str] = {}
    seen: dict[str, int] = {}
    width = max([len(raw.header)] + [len(r) for _, r in raw.rows])
    for i in range(width):
        header = raw.header[i] if i < len(raw.header) else ""
        letter = column_letter(i)
        if not header:
            if i < len(raw.header) and any(i < len(r) and r[i].strip() for _, r in raw.rows):
                col.add(
                    "column has values but no header",
                    row=raw.header_row,
                    column=letter,
                    expected="a column name on the header row",
                )
            continue
        norm = normalise_label(header)
        if norm in alias_map:
            name = alias_map[norm]
        elif norm in stage_lookup:
            name = stage_lookup[norm]
        elif m := _STAGE_LIKE.match(norm):
            col.add(
                f"unknown {inst.stage_noun} column: {inst.name} has no "
                f"{inst.stage_noun} {m.group(1)}",
                row=raw.header_row,
                column=header,
                expected=f"{inst.stage_noun}s {inst.stages[0].number} to "
                f"{inst.stages[-1].number} ({', '.join(inst.stage_ids)})",
            )
            continue
        else:
            name = snake_case(header)
        if name in seen:
            col.add(
                f"two columns mean {shorten(name)!r}: {shorten(raw.header[seen[name]])!r} "
                f"(column {column_letter(seen[name])}) and {shorten(header)!r} (column "
                f"{letter})",
                row=raw.header_row,
                column=header,
                expected="each column once",
            )
            continue
        seen[name] = i
        columns[i] = name
    return columns


def _missing_columns(
    raw: RawTable, names: Iterable[str], present: set[str], col: ProblemCollector, inst: Instrument
) -> None:
    missing = [n for n in names if n not in present]
    if not missing:
        return
    named = [repr(shorten(h, 40)) for h in raw.header if h]
    found = ", ".join(named[:30]) + (f" and {len(named) - 30} more" if len(named) > 30 else "")
    found = found or "none"
    title_hint = _title_row_hint(raw, inst)
    for name in missing:
        col.add(
            f"missing required column {name!r}",
            row=raw.header_row,
            column=name,
            expected=f"a header naming it (found: {found}){title_hint}",
        )


def _title_row_hint(raw: RawTable, inst: Instrument) -> str:
    """When the real header sits lower down (a title row above it), say where."""
    known = set(inst.stage_lookup()) | set(DEFAULT_ALIASES)
    threshold = max(3, len(inst.stages) // 2)
    if sum(normalise_label(c) in known for c in raw.header if c.strip()) >= threshold:
        return ""  # the header row is a header; data rows of levels 1-10 only look like one
    for number, cells in raw.rows[:10]:
        hits = sum(normalise_label(c) in known for c in cells if c.strip())
        if hits >= threshold:
            first = next((c for c in raw.header if c.strip()), "")
            return (
                f"; row {raw.header_row} looks like a title ({shorten(first)!r}) and the "
                "header seems "
                f"to be on row {number}: pass header_row={number} "
                f"(command line: --header-row {number})"
            )
    return ""


def _header_of(raw: RawTable, columns: dict[int, str], name: str) -> str:
    for i, n in columns.items():
        if n == name:
            return raw.header[i]
    return name


def _check_ragged(raw: RawTable, col: ProblemCollector) -> None:
    n = len(raw.header)
    while n and not raw.header[n - 1]:
        n -= 1
    for number, cells in raw.rows:
        extra = [c for c in cells[len(raw.header) :] if c.strip()]
        if extra:
            col.add(
                f"row has {len(cells)} cells but the header has {len(raw.header)}",
                row=number,
                value=extra[0],
                expected="one cell per header column; quote text that contains the "
                'delimiter, e.g. "Courses, Home support"',
            )
        elif len(cells) < n:
            col.add(
                f"row has {len(cells)} cells but the header has {n}",
                row=number,
                expected="one cell per header column (a delimiter seems to be missing)",
            )

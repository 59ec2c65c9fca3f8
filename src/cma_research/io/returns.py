"""Load audit returns (CSV, TSV or XLSX; wide or long; one or many waves) into a Cohort.

The loader reads every cell as text (:mod:`cma_research.io.tables`) and decides itself
what it means, so that a blank is never mistaken for 0 and every problem can be
reported with its file, spreadsheet row, column, value and what was expected. All
problems of a file are reported together (up to ``max_problems``).

The steps, in the order of this module:

* **the header**: each header cell names a role (``business_id``, ``wave``, ``staff``,
  ``business_type``, ``stage``, ``level``; spellings in :data:`DEFAULT_ALIASES` plus
  the caller's), a stage of the instrument (by id, number or name) or an extra
  attribute (its snake_case name); unknown stages, duplicate or missing columns, a
  title row above the header and ragged rows are problems;
* **the form**: wide, one row per business (and wave) and one column per stage; or
  long, one row per business, wave and stage with ``stage`` and ``level`` columns
  (the wave column itself is read by :mod:`cma_research.io.waves`);
* **the cells**: a level, a staff count or a business id, read from plain decimal text
  only, within :data:`MAX_STAFF` and :data:`MAX_ID_CHARS`.

Loader options given as plain text (build parameters, notebook parameters, the CLI) are
turned into keyword arguments by :func:`loader_options`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from cma_research.core.cohort import INDEX_NAMES, Cohort, Source
from cma_research.core.errors import (
    DataValidationError,
    ParameterError,
    Problem,
    ProblemCollector,
    shorten,
)
from cma_research.core.instrument import Instrument, get_instrument, normalise_label
from cma_research.core.text import snake_case
from cma_research.io.tables import RawTable, column_letter, read_raw_table
from cma_research.io.waves import Rounds, parse_date, parse_rounds, parse_waves, wave_notes

__all__ = [
    "DEFAULT_ALIASES",
    "DEFAULT_NA_VALUES",
    "LOADER_OPTIONS",
    "MAX_ID_CHARS",
    "MAX_STAFF",
    "load_returns",
    "loader_options",
    "normalise_na",
]

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

#: Parameters passed on to :func:`cma_research.load_returns`.
LOADER_OPTIONS = (
    "header_row",
    "sheet",
    "encoding",
    "na_values",
    "aliases",
    "wave_order",
    "wave_rounds",
    "date_format",
)

Form = Literal["auto", "wide", "long"]


def load_returns(
    path: str | Path,
    instrument: str | Path | Instrument = "customer_wise_2007",
    *,
    form: Form = "auto",
    aliases: Mapping[str, str] | None = None,
    na_values: Iterable[str] | None = None,
    encoding: str | None = None,
    sep: str | None = None,
    sheet: str | int | None = None,
    header_row: int = 1,
    max_problems: int = 50,
    wave_order: Sequence[str] | None = None,
    wave_rounds: str | Mapping[str, Any] | Rounds | None = None,
    date_format: str | None = None,
) -> Cohort:
    """Read audit returns and validate them against an instrument.

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.tsv`` or ``.xlsx`` file. Text files must be UTF-8 (a byte-order
        mark is fine) unless ``encoding`` says otherwise. A level cell holds a whole
        number in plain digits (``3``, ``3.0``) or one of the instrument's level labels
        (``Crawl``, ``Planned improvement``, ``Level 3``; case and spacing do not
        matter); exponents (``3e0``), digit separators (``0_3``) and ``inf`` are
        refused. Staff is a plain whole number (``1,250`` is fine) of at most
        :data:`MAX_STAFF`; a business id is printable text of at most
        :data:`MAX_ID_CHARS` characters. A file is read only within bounds (see
        :mod:`cma_research.io.tables`: 32 MiB, 200,000 rows, 1,000 columns, 2 million
        cells, 32,767 characters a cell); a workbook formula without a saved value is
        refused, naming its cells.
    instrument : str, Path or Instrument
        Bundled instrument name or instrument file (see :func:`get_instrument`).
    form : {"auto", "wide", "long"}
        ``wide``: one row per business (and wave), one column per stage.
        ``long``: one row per business, wave and stage with ``stage`` and ``level``
        columns. ``auto`` picks long when both of those columns are present.
    aliases : mapping, optional
        Extra header spellings, e.g. ``{"Headcount (FTE)": "staff", "Q1": "stage_1"}``.
        Targets are ``business_id``, ``wave``, ``staff``, ``business_type``, ``stage``,
        ``level`` or any stage id, number or name of the instrument. They are added to
        :data:`DEFAULT_ALIASES`.
    na_values : iterable of str, optional
        Cell texts meaning *not assessed* (case-insensitive); default
        :data:`DEFAULT_NA_VALUES` (blank, ``NA``, ``n/a``, ``-``, ``.`` ...). A blank cell
        is always "not assessed"; ``0`` is a level, never "not assessed".
    encoding : str, optional
        Text encoding, e.g. ``"cp1252"`` for older UK Excel exports. Default UTF-8.
    sep : str, optional
        Delimiter; by default from the suffix (``.tsv`` tab) or the header line.
    sheet : str or int, optional
        Excel sheet name or 0-based position (default: the active sheet if it is
        visible, else the first visible one; hidden sheets are never read unless
        named). The sheet read is recorded in ``cohort.source.sheet``.
    header_row : int
        Spreadsheet row holding the column names (default 1); use it when title rows
        sit above the header.
    max_problems : int
        Stop collecting problems after this many.
    wave_order : sequence of str, optional
        The waves in order, e.g. ``["Baseline", "Follow-up"]`` (matched
        case-insensitively). By default waves are ordered by value when they are whole
        numbers or audit dates (``2007-03-01`` or day-first ``01/03/2007``) and by first
        appearance in the file when they are labels; one file uses one kind. Every
        label given must be in the file, and every wave of the file in the list.
    wave_rounds : str, mapping or Rounds, optional
        Group audit dates into rounds: ``"year"``, ``"gap 90"`` (a new round after 90
        days without an audit) or labelled ranges (``"Round 1=2008-01-01..2008-06-30;
        Round 2=2009-01-01..2009-06-30"``); see :func:`cma_research.io.waves.parse_rounds`.
        Default: each audit date is a wave.
    date_format : {"iso", "day-first", "month-first"}, optional
        How text dates in the wave column are written (Excel date cells are dates
        whatever this says). Default: ISO, or with slashes day first (``15/03/2019``).

    Returns
    -------
    Cohort
        ``scores`` (``Int64``, ``<NA>`` = not assessed) and ``attributes`` (``staff``,
        ``business_type`` and any other columns), indexed by ``business_id`` and
        ``wave``. Without a business id column, ids ``B01``, ``B02`` ... are given in
        file order; without a wave column every row is wave 1. The ``wave`` level holds
        the wave number, or for labels and dates the rank 1..k, with the labels in
        ``Cohort.wave_labels``. ``cohort.source.notes`` holds what the reader should
        know but is not an error: a wave column with nearly as many values as returns
        (and the fix), free text kept with its stage.

    Raises
    ------
    DataValidationError
        Listing every problem found, each with file, row, column, value and what was
        expected.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> cohort = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> cohort.n_businesses, int(cohort.scores.notna().sum().sum())
    (16, 137)
    >>> cohort.scores.loc[("B01", 1)].tolist()[:5]
    [<NA>, <NA>, <NA>, <NA>, 1]
    """
    if form not in ("auto", "wide", "long"):
        raise ParameterError(f"form={form!r} is not allowed; expected 'auto', 'wide' or 'long'")
    if max_problems < 1:
        raise ParameterError(f"max_problems={max_problems!r} must be at least 1")
    inst = get_instrument(instrument)
    rounds = parse_rounds(wave_rounds)
    raw = read_raw_table(path, encoding=encoding, sep=sep, sheet=sheet, header_row=header_row)
    if isinstance(na_values, str):
        raise ParameterError(
            f"na_values={na_values!r} must be a list of texts, e.g. [{na_values!r}]"
        )
    na = {normalise_na(v) for v in (DEFAULT_NA_VALUES if na_values is None else na_values)}
    levels_as_na = sorted(v for v in na if v in {str(lv) for lv in inst.level_values})
    if levels_as_na:
        raise ParameterError(
            f"na_values may not contain a level ({', '.join(levels_as_na)}): a level is an "
            "assessment, never 'not assessed'"
        )
    na.add("")  # a blank cell is never a level, whatever na_values says
    col = ProblemCollector(raw.path, max_problems)
    hint = _title_row_hint(raw, inst)
    if hint:
        # one clear problem instead of a wall of "missing column" and "no header" lines
        col.add(
            "the header row does not name the columns",
            row=raw.header_row,
            expected="column names on the header row" + hint,
        )
        col.raise_if_any()
    columns = _map_columns(raw, inst, aliases or {}, col)
    is_long = "stage" in columns.values() and "level" in columns.values()
    waves = _WaveOptions(wave_order, rounds, date_format)
    if form == "long" or (form == "auto" and is_long):
        cohort = _parse_long(raw, inst, columns, na, col, waves)
    else:
        cohort = _parse_wide(raw, inst, columns, na, col, waves)
    col.raise_if_any()
    if cohort is None:  # every path that returns None has recorded a problem
        raise DataValidationError([Problem(raw.path, "could not be read as audit returns")])
    return cohort


@dataclass(frozen=True)
class _WaveOptions:
    """How the wave column is read: its order, rounds of dates and the date format."""

    order: Sequence[str] | None = None
    rounds: Rounds | None = None
    date_format: str | None = None

    def parse(
        self, raw: RawTable, idx: int | None, header: str, col: ProblemCollector
    ) -> tuple[list[int | None], tuple[str, ...]]:
        """The rows' wave codes and labels (:func:`~cma_research.io.waves.parse_waves`)."""
        return parse_waves(
            raw, idx, header, col, self.order, dates=self.date_format, rounds=self.rounds
        )

    def notes(self, raw: RawTable, idx: int | None, header: str, index: list[Any]) -> list[str]:
        """A warning when the wave column has nearly as many values as there are returns."""
        if idx is None or self.order is not None:
            return []
        n_waves = len({w for _, w in index})
        first = next((c[idx].strip() for _, c in raw.rows if idx < len(c) and c[idx].strip()), "")
        kind = "date" if first and parse_date(first) is not None else "label"
        return wave_notes(n_waves, len(index), header, kind, self.rounds)


def loader_options(values: Mapping[str, Any]) -> dict[str, Any]:
    """The :func:`load_returns` keyword arguments among parameters given as text.

    ``na_values`` and ``wave_order`` are comma-separated lists; ``aliases`` is
    ``"Header=role; Other header=role"``; ``wave_rounds`` and ``date_format`` are
    passed as written (see :func:`load_returns`). ``None`` means the loader's default.

    >>> loader_options({"header_row": 3, "na_values": "NA, -", "aliases": "Headcount=staff"})
    {'header_row': 3, 'na_values': ['NA', '-'], 'aliases': {'Headcount': 'staff'}}
    """
    out: dict[str, Any] = {}
    for key in LOADER_OPTIONS:
        value = values.get(key)
        if value is None:
            continue
        if key in ("na_values", "wave_order"):
            out[key] = [v.strip() for v in str(value).split(",") if v.strip()]
        elif key == "aliases":
            mapping = {}
            for pair in (p for p in str(value).split(";") if p.strip()):
                header, sep, role = pair.partition("=")
                if not sep or not header.strip() or not role.strip():
                    raise ParameterError(
                        f"parameter 'aliases': {pair.strip()!r} is not 'Header=role'"
                    )
                mapping[header.strip()] = role.strip()
            out[key] = mapping
        else:
            out[key] = value
    return out


# -- the header --------------------------------------------------------------------


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


# -- wide and long form ------------------------------------------------------------


def _has_data_rows(raw: RawTable, expected: str, col: ProblemCollector) -> bool:
    """Whether the file has rows below its header (a problem when it has none)."""
    if raw.rows:
        return True
    col.add("the file has a header but no data rows", row=raw.header_row, expected=expected)
    return False


def _check_duplicates(
    keys: list[tuple[object, ...]], rows: list[int], what: str, header: str, col: ProblemCollector
) -> None:
    first: dict[tuple[object, ...], int] = {}
    for key, number in zip(keys, rows, strict=True):
        if any(k is None for k in key):
            continue
        if key in first:
            col.add(
                f"duplicate {what}: also on row {first[key]}",
                row=number,
                column=header,
                value=str(key[0]),
                expected=f"each {what} once",
            )
        else:
            first[key] = number


def _build_cohort(
    raw: RawTable,
    inst: Instrument,
    form: str,
    index: list[tuple[str, int]],
    scores: dict[str, list[int | None]],
    staff: list[int | None],
    btype: list[str | None],
    extras: dict[str, list[str | None]],
    wave_labels: tuple[str, ...] = (),
    notes: Sequence[str] = (),
) -> Cohort:
    idx = pd.MultiIndex.from_tuples(index, names=INDEX_NAMES)
    score_df = pd.DataFrame(
        {sid: pd.array(scores[sid], dtype="Int64") for sid in inst.stage_ids}, index=idx
    )
    attrs = pd.DataFrame(
        {
            "staff": pd.array(staff, dtype="Int64"),
            "business_type": pd.array(btype, dtype="string"),
            **{k: pd.array(v, dtype="string") for k, v in extras.items()},
        },
        index=idx,
    )
    source = Source(
        path=raw.path,
        sha256=raw.sha256,
        form=form,
        encoding=raw.encoding,
        sheet=raw.sheet,
        header_row=raw.header_row,
        notes=tuple(notes),
    )
    return Cohort(
        scores=score_df,
        attributes=attrs,
        instrument=inst,
        source=source,
        wave_labels=wave_labels,
    )


def _parse_wide(
    raw: RawTable,
    inst: Instrument,
    columns: dict[int, str],
    na: set[str],
    col: ProblemCollector,
    waves_read: _WaveOptions,
) -> Cohort | None:
    """A wide-form file (one row per business and wave) as a Cohort, or None."""
    by_name = {n: i for i, n in columns.items()}
    _missing_columns(raw, inst.stage_ids, set(by_name), col, inst)
    if col.problems:
        return None
    if not _has_data_rows(raw, "one row per business below the header", col):
        return None
    _check_ragged(raw, col)
    id_header = _header_of(raw, columns, "business_id")
    wave_header = _header_of(raw, columns, "wave")
    ids = _ids(raw, by_name.get("business_id"), col, id_header)
    waves, wave_labels = waves_read.parse(raw, by_name.get("wave"), wave_header, col)
    if "business_id" not in by_name and len({w for w in waves if w is not None}) > 1:
        col.add(
            "the file has several waves but no business id column",
            row=raw.header_row,
            expected="a business_id column linking each business across waves",
        )
    numbers = [n for n, _ in raw.rows]
    _check_duplicates(
        list(zip(ids, waves, strict=True)), numbers, _within_wave(waves_read), id_header, col
    )
    scores: dict[str, list[int | None]] = {sid: [] for sid in inst.stage_ids}
    for number, cells in raw.rows:
        for sid in inst.stage_ids:
            i = by_name[sid]
            scores[sid].append(_parse_level(_cell(cells, i), inst, na, number, raw.header[i], col))
    staff: list[int | None] = [None] * len(raw.rows)
    if "staff" in by_name:
        i = by_name["staff"]
        staff = [_parse_staff(_cell(c, i), na, n, raw.header[i], col) for n, c in raw.rows]
    btype: list[str | None] = [None] * len(raw.rows)
    if "business_type" in by_name:
        i = by_name["business_type"]
        btype = [_cell(c, i) or None for _, c in raw.rows]
    known = {"business_id", "wave", "staff", "business_type", *inst.stage_ids}
    extras = {
        name: [_cell(c, i) or None for _, c in raw.rows]
        for i, name in sorted(columns.items())
        if name not in known
    }
    if col.problems:
        return None
    index = [(str(b), int(w)) for b, w in zip(ids, waves, strict=True)]  # type: ignore[arg-type]
    notes = waves_read.notes(raw, by_name.get("wave"), wave_header, index)
    return _build_cohort(raw, inst, "wide", index, scores, staff, btype, extras, wave_labels, notes)


def _within_wave(waves_read: _WaveOptions) -> str:
    """What a duplicate (business, wave) is called; with rounds, how to fix it."""
    if waves_read.rounds is None:
        return "business id within a wave"
    return (
        f"business id within a wave (two audits fall in one round: {waves_read.rounds.describe()};"
        " choose other rounds)"
    )


def _parse_long(
    raw: RawTable,
    inst: Instrument,
    columns: dict[int, str],
    na: set[str],
    col: ProblemCollector,
    waves_read: _WaveOptions,
) -> Cohort | None:
    """A long-form file (one row per business, wave and stage) as a Cohort, or None.

    A free-text column (not staff or business type) whose text differs between the rows
    of one business and wave, such as a comment per stage, is kept with its stage: one
    column per stage, ``<name>_<stage id>``, and a note says so.
    """
    by_name = {n: i for i, n in columns.items()}
    _check_long_header(raw, inst, columns, col)
    if col.problems:
        return None
    if not _has_data_rows(raw, "one row per business and stage below the header", col):
        return None
    _check_ragged(raw, col)
    id_header = _header_of(raw, columns, "business_id")
    ids = _ids(raw, by_name["business_id"], col, id_header)
    wave_header = _header_of(raw, columns, "wave")
    waves, wave_labels = waves_read.parse(raw, by_name.get("wave"), wave_header, col)
    stage_header = _header_of(raw, columns, "stage")
    stages = _long_stages(raw, inst, by_name["stage"], stage_header, col)
    _check_duplicates(
        list(zip(ids, waves, stages, strict=True)),
        [n for n, _ in raw.rows],
        f"business id, wave and {inst.stage_noun}",
        id_header,
        col,
    )
    level_header = _header_of(raw, columns, "level")
    levels = [
        _parse_level(_cell(c, by_name["level"]), inst, na, n, level_header, col)
        for n, c in raw.rows
    ]
    attribute_columns = [
        (i, n)
        for i, n in sorted(columns.items())
        if n not in ("business_id", "wave", "stage", "level")
    ]
    groups = _group_long_rows(raw, ids, waves, stages, levels, attribute_columns, col)
    if col.problems:
        return None
    scores = {sid: [groups.levels[k].get(sid) for k in groups.order] for sid in inst.stage_ids}
    staff_header = _header_of(raw, columns, "staff")
    staff: list[int | None] = [
        None if a is None else _parse_staff(a[1], na, a[0], staff_header, col)
        for a in groups.column("staff")
    ]
    btype = groups.texts("business_type")
    extras: dict[str, list[str | None]] = {}
    notes = waves_read.notes(raw, by_name.get("wave"), wave_header, groups.order)
    for _, name in attribute_columns:
        if name in ("staff", "business_type"):
            continue
        if name not in groups.by_stage:
            extras[name] = groups.texts(name)
            continue
        kept = [sid for sid in inst.stage_ids if any(sid in v for v in groups.by_stage[name])]
        for sid in kept:
            extras[f"{name}_{sid}"] = [v.get(sid) for v in groups.by_stage[name]]
        notes.append(
            f"{name} differs between the rows of a business and wave, so it is kept with "
            f"its {inst.stage_noun}: {len(kept)} columns {name}_{kept[0]} ... {name}_{kept[-1]}"
            if len(kept) > 1
            else f"{name} differs between the rows of a business and wave, so it is kept "
            f"with its {inst.stage_noun}: column {name}_{kept[0]}"
        )
    if col.problems:
        return None
    return _build_cohort(
        raw, inst, "long", groups.order, scores, staff, btype, extras, wave_labels, notes
    )


def _check_long_header(
    raw: RawTable, inst: Instrument, columns: dict[int, str], col: ProblemCollector
) -> None:
    """A long-form header names business_id, stage and level, and no stage of its own."""
    present = set(columns.values())
    _missing_columns(raw, ["business_id", "stage", "level"], present, col, inst)
    stray = [raw.header[i] for i, n in columns.items() if n in inst.stage_ids]
    for header in stray:
        col.add(
            f"a long-form file has a {inst.stage_noun} column",
            row=raw.header_row,
            column=header,
            expected="either wide form (one column per stage) or long form "
            "(business_id, stage, level columns), not both",
        )


def _long_stages(
    raw: RawTable, inst: Instrument, idx: int, header: str, col: ProblemCollector
) -> list[str | None]:
    """The stage id each row of a long-form file names (by id, number or name)."""
    lookup = inst.stage_lookup()
    stages: list[str | None] = []
    for number, cells in raw.rows:
        text = _cell(cells, idx)
        sid = lookup.get(normalise_label(text))
        if sid is None:
            col.add(
                f"unknown {inst.stage_noun}",
                row=number,
                column=header,
                value=text,
                expected=f"one of {', '.join(inst.stage_ids)} (or their numbers or names)",
            )
        stages.append(sid)
    return stages


@dataclass
class _Groups:
    """The rows of a long-form file gathered by (business id, wave), in file order.

    ``levels[key]`` maps each stage to its level; ``attributes[key]`` maps each other
    column to ``(row, text)``, the first non-blank cell of that business and wave;
    ``stage_texts[key][name]`` maps each stage to its row's text of column ``name``.
    Free-text columns whose text differs within a business and wave are listed, per
    business and wave in order, in :attr:`by_stage` once grouping is done.
    """

    order: list[tuple[str, int]] = field(default_factory=list)
    levels: dict[tuple[str, int], dict[str, int | None]] = field(default_factory=dict)
    attributes: dict[tuple[str, int], dict[str, tuple[int, str]]] = field(default_factory=dict)
    stage_texts: dict[tuple[str, int], dict[str, dict[str, str]]] = field(default_factory=dict)
    varying: set[str] = field(default_factory=set)

    @property
    def by_stage(self) -> dict[str, list[dict[str, str]]]:
        """Each varying column: for each business and wave, its text by stage."""
        return {
            name: [self.stage_texts[k].get(name, {}) for k in self.order]
            for name in sorted(self.varying)
        }

    def column(self, name: str) -> list[tuple[int, str] | None]:
        """``(row, text)`` of attribute ``name`` for each business and wave, or None."""
        return [self.attributes[k].get(name) for k in self.order]

    def texts(self, name: str) -> list[str | None]:
        """The text of attribute ``name`` for each business and wave, or None."""
        return [None if a is None else a[1] for a in self.column(name)]


def _group_long_rows(
    raw: RawTable,
    ids: list[str | None],
    waves: list[int | None],
    stages: list[str | None],
    levels: list[int | None],
    attribute_columns: list[tuple[int, str]],
    col: ProblemCollector,
) -> _Groups:
    """Gather rows by business and wave.

    Staff or business type that differs between the rows of one business and wave is a
    problem; other text that differs is kept by stage (:attr:`_Groups.by_stage`).
    """
    groups = _Groups()
    for k, (number, cells) in enumerate(raw.rows):
        b, w, s = ids[k], waves[k], stages[k]
        if b is None or w is None:
            continue
        key = (b, w)
        if key not in groups.levels:
            groups.order.append(key)
            groups.levels[key] = {}
            groups.attributes[key] = {}
            groups.stage_texts[key] = {}
        if s is not None:
            groups.levels[key][s] = levels[k]
        for i, name in attribute_columns:
            value = _cell(cells, i)
            if not value:
                continue
            if s is not None and name not in ("staff", "business_type"):
                groups.stage_texts[key].setdefault(name, {})[s] = value
            prev = groups.attributes[key].get(name)
            if prev is None:
                groups.attributes[key][name] = (number, value)
            elif prev[1] != value and name not in ("staff", "business_type"):
                groups.varying.add(name)
            elif prev[1] != value:
                col.add(
                    f"{name} differs between rows of the same business and wave "
                    f"(row {prev[0]} has {shorten(prev[1])!r})",
                    row=number,
                    column=raw.header[i],
                    value=value,
                    expected="the same value on every row of a business and wave",
                )
    return groups


# -- cells -------------------------------------------------------------------------


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

"""Load audit returns (CSV, TSV or XLSX; wide or long; one or many waves) into a Cohort.

The loader reads every cell as text and decides itself what it means, so that a blank
is never mistaken for 0 and every problem can be reported with its file, spreadsheet
row, column, value and what was expected. All problems of a file are reported together
(up to ``max_problems``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from cma_research.core.cohort import Cohort
from cma_research.core.errors import DataValidationError, ParameterError, Problem, ProblemCollector
from cma_research.core.instrument import Instrument, get_instrument
from cma_research.io.cells import MAX_ID_CHARS, MAX_STAFF
from cma_research.io.columns import (
    DEFAULT_ALIASES,
    DEFAULT_NA_VALUES,
    _map_columns,
    _title_row_hint,
    normalise_na,
)
from cma_research.io.forms import _parse_long, _parse_wide
from cma_research.io.tables import read_raw_table

__all__ = [
    "DEFAULT_ALIASES",
    "DEFAULT_NA_VALUES",
    "MAX_ID_CHARS",
    "MAX_STAFF",
    "load_returns",
    "normalise_na",
]

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

    Returns
    -------
    Cohort
        ``scores`` (``Int64``, ``<NA>`` = not assessed) and ``attributes`` (``staff``,
        ``business_type`` and any other columns), indexed by ``business_id`` and
        ``wave``. Without a business id column, ids ``B01``, ``B02`` ... are given in
        file order; without a wave column every row is wave 1. The ``wave`` level holds
        the wave number, or for labels and dates the rank 1..k, with the labels in
        ``Cohort.wave_labels``.

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
    if form == "long" or (form == "auto" and is_long):
        cohort = _parse_long(raw, inst, columns, na, col, wave_order)
    else:
        cohort = _parse_wide(raw, inst, columns, na, col, wave_order)
    col.raise_if_any()
    if cohort is None:  # every path that returns None has recorded a problem
        raise DataValidationError([Problem(raw.path, "could not be read as audit returns")])
    return cohort

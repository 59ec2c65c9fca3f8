"""Business-level covariates (growth, turnover, profit ...) merged into a cohort by id."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from cma_research.core.cohort import Cohort, CovariateSource
from cma_research.core.errors import DataValidationError, Problem, ProblemCollector
from cma_research.core.instrument import normalise_label
from cma_research.core.text import snake_case
from cma_research.io.returns import DEFAULT_ALIASES, DEFAULT_NA_VALUES, normalise_na
from cma_research.io.tables import RawTable, read_raw_table

__all__ = ["CovariateSource", "load_covariates"]

# the header spellings load_returns accepts for the business id
_ID_HEADERS = {normalise_label(k) for k, v in DEFAULT_ALIASES.items() if v == "business_id"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def load_covariates(
    path: str | Path,
    cohort: Cohort,
    *,
    encoding: str | None = None,
    sep: str | None = None,
    sheet: str | int | None = None,
    header_row: int = 1,
    max_problems: int = 50,
    strict: bool = False,
) -> Cohort:
    """Merge business-level covariates from a file into the cohort's attributes.

    The file has a business id column (``business_id``, ``ID`` ...) matching the
    cohort's ids and one column per numeric covariate (``12.5``, ``-3``, ``4%`` are
    read as numbers; blank and ``NA`` as missing). Column names are turned into
    identifiers (``Turnover growth %`` becomes ``turnover_growth``).

    Parameters
    ----------
    path : str or Path
        CSV, TSV or XLSX.
    cohort : Cohort
        The cohort to add the covariates to.
    encoding, sep, sheet, header_row, max_problems
        As for :func:`~cma_research.load_returns`.
    strict : bool
        ``False`` (default): rows of businesses that are not in the cohort (e.g.
        drop-outs, or businesses the cleaning strategy removed) are ignored and listed
        in ``CovariateSource.extra_ids``. ``True``: they are an error.

    Returns
    -------
    Cohort
        A copy with the new numeric (``Float64``) attribute columns and a
        :class:`CovariateSource` appended to ``covariate_sources``, which lists the
        businesses without a value (they are kept, with ``<NA>``, never dropped) and,
        in ``extra_ids``, the file's businesses that are not in the cohort.

    Raises
    ------
    DataValidationError
        Duplicate id, non-numeric value, missing id column, a column that already
        exists in the cohort, no id of the cohort in the file, or (``strict=True``) an
        id the cohort lacks; each names file, row and column.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> import tempfile, pathlib
    >>> from cma_research import load_returns
    >>> cohort = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "growth.csv"
    >>> _ = path.write_text("business_id,growth\\nB01,2.5\\nB02,-1\\nB99,4\\n")
    >>> merged = load_covariates(path, cohort)
    >>> merged.covariate_sources[-1].extra_ids
    ('B99',)
    """
    raw = read_raw_table(path, encoding=encoding, sep=sep, sheet=sheet, header_row=header_row)
    col = ProblemCollector(raw.path, max_problems)
    id_i = _id_column(raw)
    value_cols = _covariate_columns(raw, cohort, id_i, col)
    known = set(cohort.scores.index.get_level_values("business_id"))
    rows = _read_rows(raw, id_i, value_cols, known, strict, col)
    col.raise_if_any()
    _check_rows_match(raw, id_i, rows, known)
    if not value_cols:
        raise DataValidationError(
            [
                Problem(
                    raw.path,
                    "no covariate columns besides the id",
                    row=raw.header_row,
                    expected="one or more numeric columns",
                )
            ]
        )
    return _merge(cohort, raw, value_cols, rows)


def _id_column(raw: RawTable) -> int:
    """The position of the one business id column (a header load_returns would accept)."""
    id_idx = [i for i, h in enumerate(raw.header) if normalise_label(h) in _ID_HEADERS]
    if len(id_idx) != 1:
        raise DataValidationError(
            [
                Problem(
                    raw.path,
                    "no business id column" if not id_idx else "more than one business id column",
                    row=raw.header_row,
                    expected="exactly one column named business_id (or ID) matching the returns",
                )
            ]
        )
    return id_idx[0]


def _covariate_columns(
    raw: RawTable, cohort: Cohort, id_i: int, col: ProblemCollector
) -> dict[int, str]:
    """Each covariate column's position and identifier; a name the cohort has is a problem."""
    value_cols: dict[int, str] = {}
    for i, h in enumerate(raw.header):
        if i == id_i or not h:
            continue
        name = snake_case(h.replace("%", ""))
        if (
            name in cohort.attributes.columns
            or name in value_cols.values()
            or name in ("business_id", "wave", *cohort.stage_ids)
        ):
            col.add(
                f"covariate {name!r} already exists in the cohort",
                row=raw.header_row,
                column=h,
                expected="a new column name",
            )
            continue
        value_cols[i] = name
    return value_cols


@dataclass
class _Rows:
    """What the file's rows hold: the values by covariate and business id, the ids seen.

    ``seen`` maps each business id to its row; ``extra`` lists the ids the cohort lacks
    (in file order), ignored unless ``strict``.
    """

    by_covariate: dict[str, dict[str, float]]
    seen: dict[str, int] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)


def _read_rows(
    raw: RawTable,
    id_i: int,
    value_cols: dict[int, str],
    known: set[str],
    strict: bool,
    col: ProblemCollector,
) -> _Rows:
    """Read each row's business id and covariate values; record every problem in ``col``."""
    na = {normalise_na(v) for v in DEFAULT_NA_VALUES}
    id_header = raw.header[id_i]
    rows = _Rows(by_covariate={name: {} for name in value_cols.values()})
    for number, cells in raw.rows:
        bid = cells[id_i].strip() if id_i < len(cells) else ""
        if not bid:
            col.add(
                "business id is blank",
                row=number,
                column=id_header,
                expected="an id of the returns",
            )
            continue
        if bid not in known and strict:
            sample = ", ".join(sorted(known)[:5])
            col.add(
                "unknown business id",
                row=number,
                column=id_header,
                value=bid,
                expected=f"an id of the returns ({sample}, ...)",
            )
            continue
        if bid in rows.seen:
            col.add(
                f"duplicate business id: also on row {rows.seen[bid]}",
                row=number,
                column=id_header,
                value=bid,
                expected="each business once",
            )
            continue
        rows.seen[bid] = number
        if bid not in known:  # not strict: ignored, reported in extra_ids
            rows.extra.append(bid)
            continue
        for i, name in value_cols.items():
            text = cells[i].strip() if i < len(cells) else ""
            if normalise_na(text) in na:
                continue
            value = _number(text, number, raw.header[i], col)
            if value is not None:
                rows.by_covariate[name][bid] = value
    return rows


def _number(text: str, row: int, header: str, col: ProblemCollector) -> float | None:
    """A covariate cell as a number (``12.5``, ``-3``, ``4%``, ``1,200``), else a problem."""
    cleaned = (
        text.replace(",", "") if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?%?", text) else text
    )
    if not _NUMBER.match(cleaned) or not math.isfinite(float(cleaned.rstrip("%"))):
        col.add(
            "covariate is not a number",
            row=row,
            column=header,
            value=text,
            expected="a number such as 12.5, -3 or 4%, or a blank cell if unknown",
        )
        return None
    return float(cleaned.rstrip("%"))


def _check_rows_match(raw: RawTable, id_i: int, rows: _Rows, known: set[str]) -> None:
    """Refuse a file none of whose business ids is in the cohort (the wrong file)."""
    if rows.seen and len(rows.extra) == len(rows.seen):
        sample = ", ".join(sorted(known)[:5])
        raise DataValidationError(
            [
                Problem(
                    raw.path,
                    f"none of the file's {len(rows.seen)} business ids is in the cohort "
                    f"(first: {rows.extra[0]!r})",
                    row=raw.header_row,
                    column=raw.header[id_i],
                    expected=f"ids of the returns ({sample}, ...)",
                )
            ]
        )


def _merge(cohort: Cohort, raw: RawTable, value_cols: dict[int, str], rows: _Rows) -> Cohort:
    """The cohort with the covariates as Float64 attributes and the file's CovariateSource."""
    ids = cohort.scores.index.get_level_values("business_id")
    attrs = cohort.attributes.copy()
    missing: dict[str, tuple[str, ...]] = {}
    for name, by_id in rows.by_covariate.items():
        attrs[name] = pd.array([by_id.get(b) for b in ids], dtype="Float64")
        lacking = tuple(sorted({b for b in ids if b not in by_id}))
        if lacking:
            missing[name] = lacking
    source = CovariateSource(
        path=raw.path,
        sha256=raw.sha256,
        columns=tuple(value_cols.values()),
        missing=missing,
        synthetic=any("synthetic" in n for n in value_cols.values())
        or "synthetic" in Path(raw.path).name.lower(),
        extra_ids=tuple(sorted(rows.extra)),
    )
    return replace(cohort, attributes=attrs, covariate_sources=(*cohort.covariate_sources, source))

"""A table of a build as a paper prints it: chosen columns, labelled, every cell as text.

This is the manuscript's thin adapter from a tidy result (the CSV a notebook wrote,
full precision) to a presentation table that the PDF (Typst), Word and LaTeX writers
print. It takes a tidy frame, the columns to show, a format per column and labels,
and returns a :class:`PaperTable` of strings with an alignment per column.

It stands in for the package's presentation layer of tables (issue 24, which renders
HTML, LaTeX and Word from tidy results): once that is merged, :func:`paper_table`
should call it and keep this signature, so the manuscript writers need no change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from cma_research.core.errors import ReportBuildError
from cma_research.core.text import MINUS, format_number, unprotect_cell
from cma_research.reporting.rules import percent
from cma_research.reporting.text import format_p

__all__ = ["CELL_FORMATS", "PaperTable", "paper_table", "read_tidy_csv"]

Align = Literal["left", "right"]

#: Named cell formats a manuscript may ask for (``:format: share_below_1=percent``).
CELL_FORMATS: dict[str, Callable[[float], str]] = {
    "percent": percent,
    "coefficient": lambda v: format_number(v, bounded=True),
    "p": lambda v: format_p(v).removeprefix("p = ").replace("p < ", "< "),
    "level": lambda v: format_number(v, 1),
    "count": lambda v: f"{round(v)}",
    "number": lambda v: format_number(v),
}

#: Shown for a missing cell (not assessed, not computed or undefined).
MISSING = "—"

_P_COLUMNS = ("p_val", "p_perm", "p_adj", "p")
_LABELS = {
    "n": "n",
    "r": "r",
    "p_val": "p",
    "p_perm": "p (permutation)",
    "p_adj": "p (adjusted)",
    "std_error": "SE",
    "df_resid": "df",
}


@dataclass(frozen=True)
class PaperTable:
    """A presentation table: ``header`` labels, ``rows`` of text, ``align`` per column,
    and the tidy ``columns`` they show."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[Align, ...]
    columns: tuple[str, ...]

    @property
    def width_chars(self) -> int:
        """The widest line of the table in characters (header or cells, plus gaps)."""
        widths = [max([len(h), *(len(r[i]) for r in self.rows)]) for i, h in enumerate(self.header)]
        return sum(widths) + 2 * len(widths)


def read_tidy_csv(path: str | Path) -> pd.DataFrame:
    """A CSV the package wrote, with its spreadsheet protection undone.

    Text cells the writer prefixed with ``'`` (:func:`~cma_research.core.text.csv_cell`)
    are shown as written in the data again.
    """
    frame = pd.read_csv(path, keep_default_na=True)
    for col in frame.columns:
        series = frame[col]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            frame[col] = series.map(unprotect_cell).astype(series.dtype)
    return frame


def _label(name: str) -> str:
    if name in _LABELS:
        return _LABELS[name]
    if name.startswith("ci") and name.endswith(("_low", "_high")):
        level, side = name[2:].split("_", 1)
        if level.isdigit():
            return f"{level}% CI {side}"
    return name.replace("_", " ")


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _cell_format(
    name: str, series: pd.Series, spec: str | None
) -> tuple[Callable[[Any], str], Align]:
    if spec is not None:
        if spec in CELL_FORMATS:
            fn = CELL_FORMATS[spec]
            return (lambda v: MISSING if _missing(v) else fn(float(v))), "right"
        if "{" in spec:

            def formatted(v: Any) -> str:
                if _missing(v):
                    return MISSING
                text = spec.format(v)
                return text.replace("-", MINUS) if isinstance(v, int | float) else text

            return formatted, "right"
        raise ReportBuildError(
            f"column {name}: format {spec!r} is not one of {', '.join(CELL_FORMATS)} "
            "or a format string such as {:.2f}"
        )
    if pd.api.types.is_bool_dtype(series):
        return (lambda v: MISSING if _missing(v) else ("yes" if v else "no")), "left"
    if pd.api.types.is_numeric_dtype(series):
        if name in _P_COLUMNS:
            p = CELL_FORMATS["p"]
            return (lambda v: MISSING if _missing(v) else p(float(v))), "right"
        values = series.dropna()
        whole = bool(len(values)) and bool((values == values.round()).all())
        if pd.api.types.is_integer_dtype(series) or (
            whole and (name in ("n", "k", "m", "df", "count") or name.startswith("n_"))
        ):
            return (lambda v: MISSING if _missing(v) else f"{int(v)}"), "right"
        return (
            lambda v: MISSING if _missing(v) else f"{float(v):.3f}".replace("-", MINUS)
        ), "right"
    return (lambda v: "" if _missing(v) else " ".join(str(v).split())), "left"


def paper_table(
    frame: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    formats: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> PaperTable:
    """A tidy frame as a presentation table.

    Parameters
    ----------
    frame : DataFrame
        A tidy result (full precision), e.g. read with :func:`read_tidy_csv`.
    columns : sequence of str, optional
        The columns to show, in order (default: all).
    formats : mapping, optional
        Column -> a name of :data:`CELL_FORMATS` (``percent``, ``coefficient``, ``p``,
        ``level``, ``count``, ``number``) or a format string (``{:.2f}``). Default:
        p-values as in the text (``.087``, ``< .001``), whole numbers as they are, other
        numbers to three decimals with a true minus sign, a missing number as ``—``.
    labels : mapping, optional
        Column -> heading (default: the identifier in words, ``95% CI low``).

    Raises
    ------
    ReportBuildError
        A column, format or label names a column the frame does not have.

    Examples
    --------
    >>> t = paper_table(pd.DataFrame({"name": ["Contact"], "share": [0.153], "p_val": [0.0004]}),
    ...                 formats={"share": "percent"})
    >>> t.header, t.rows, t.align
    (('name', 'share', 'p'), (('Contact', '15%', '< .001'),), ('left', 'right', 'right'))
    """
    chosen = list(columns) if columns else [str(c) for c in frame.columns]
    fmts = dict(formats or {})
    names = dict(labels or {})
    for what, asked in (("column", chosen), ("format", list(fmts)), ("label", list(names))):
        unknown = [c for c in asked if c not in frame.columns]
        if unknown:
            raise ReportBuildError(
                f"{what} {', '.join(unknown)} is not a column of the table; it has "
                + ", ".join(map(str, frame.columns))
            )
    cells: list[list[str]] = [[] for _ in range(len(frame))]
    align: list[Align] = []
    for col in chosen:
        fn, side = _cell_format(col, frame[col], fmts.get(col))
        align.append(side)
        for i, v in enumerate(frame[col].tolist()):
            cells[i].append(fn(v))
    header = tuple(names.get(c, _label(c)) for c in chosen)
    return PaperTable(header, tuple(tuple(r) for r in cells), tuple(align), tuple(chosen))

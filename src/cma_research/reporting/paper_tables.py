"""A table of a build as a paper places it: the tidy CSV and the directive's options.

The manuscript's ``{table}`` directive names a tidy result (the CSV a notebook wrote,
full precision) and may choose its columns (``:columns:``), name a format per column
(``:format: share_below_1=percent``) and label columns (``:labels:``). This module reads
the CSV and turns those options into the package's presentation table
(:func:`~cma_research.reporting.tables.presentation_table`), so a table in the paper is
labelled, formatted and aligned by the same rules as the table in the reports; the PDF
(Typst), Word and LaTeX writers print the :class:`~cma_research.reporting.tables.PresentationTable`
it returns, its note under the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from cma_research.core.errors import ParameterError, ReportBuildError
from cma_research.core.text import unprotect_cell
from cma_research.reporting.tables import PresentationTable, TableSpec, presentation_table

__all__ = ["paper_table", "read_tidy_csv"]


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


def paper_table(
    frame: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    formats: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> PresentationTable:
    """A tidy frame as the paper's table.

    Parameters
    ----------
    frame : DataFrame
        A tidy result (full precision), e.g. read with :func:`read_tidy_csv`.
    columns : sequence of str, optional
        The columns to show, in order, each in its own column; of the others, what says
        how they were computed (strategy, method, interval and p methods, notes) goes into
        the table's note. Default: every column by the presentation rules (estimate and
        interval in one column, columns constant over the table in the note).
    formats : mapping, optional
        Column -> a name of :data:`~cma_research.reporting.tables.CELL_FORMATS`
        (``percent``, ``coefficient``, ``p``, ``level``, ``count``, ``number``) or a
        format string (``{:.2f}``). Default: by the presentation rules (APA p, counts as
        integers, bounded statistics without a leading zero, a true minus sign).
    labels : mapping, optional
        Column -> heading (``*x*`` for italics). Default: the presentation's label.

    Raises
    ------
    ReportBuildError
        A column, format or label names a column the frame does not have, or a format
        is not a name or a format string.

    Examples
    --------
    >>> t = paper_table(pd.DataFrame({"name": ["Contact", "Skills"], "share": [0.153, 0.25],
    ...                               "p_val": [0.0004, 0.5]}), formats={"share": "percent"})
    >>> [c.label for c in t.columns], t.rows
    (['Name', 'Share', '*p*'], (('Contact', '15%', '< .001'), ('Skills', '25%', '.500')))
    """
    spec = TableSpec(
        labels=dict(labels or {}),
        formats=dict(formats or {}),
        columns=list(columns) if columns else None,
    )
    try:
        return presentation_table(frame, spec=spec)
    except ParameterError as exc:
        raise ReportBuildError(str(exc)) from None

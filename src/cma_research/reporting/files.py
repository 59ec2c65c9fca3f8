"""Saving figures and tables for papers, byte-identical across rebuilds."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure

from cma_research.core.errors import ParameterError
from cma_research.core.files import write_all_atomic
from cma_research.core.text import csv_cell
from cma_research.reporting.figure_cache import cache_folder, cached_render
from cma_research.reporting.tables import Formatter, TableSpec, presentation_table

if TYPE_CHECKING:
    from cma_research.core.instrument import Instrument

__all__ = ["FIGURE_METADATA", "Formatter", "save_figure", "save_table", "to_markdown"]

_FIG_FORMATS = ("pdf", "svg", "png")
_TABLE_FORMATS = ("csv", "tex", "md")
# Metadata that would otherwise carry dates or tool versions into the files.
FIGURE_METADATA: dict[str, dict[str, Any]] = {
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None, "ModDate": None},
    "svg": {"Date": None, "Creator": None},
    "png": {"Software": None},
}


def save_figure(
    fig: Figure,
    stem: str | Path,
    *,
    formats: Sequence[str] = _FIG_FORMATS,
    dpi: int = 300,
    cache_dir: str | Path | None = None,
) -> dict[str, Path]:
    """Write a figure as PDF, SVG and 300-dpi PNG, byte-identical for identical input.

    No creation dates or tool banners are written, SVG element ids come from a fixed
    salt, and fonts are embedded as TrueType (``pdf.fonttype = 42``). Every file is
    written to a temporary name and renamed.

    Parameters
    ----------
    fig : Figure
    stem : str or Path
        Path without suffix, e.g. ``reports/figures/radar_B09``.
    formats : sequence of {"pdf", "svg", "png"}
    dpi : int
        Resolution of the PNG.
    cache_dir : path, optional
        A figure cache (:mod:`cma_research.reporting.figure_cache`; default
        ``$CMA_FIGURE_CACHE``, which the build sets): when the same figure was saved
        before with the same settings, its PDF and PNG are copied from there instead of
        rendered again (byte-identical). Without one every format is rendered.

    Returns
    -------
    dict
        Format -> path written.
    """
    for f in formats:
        if f not in _FIG_FORMATS:
            raise ParameterError(f"format {f!r} is not one of {', '.join(_FIG_FORMATS)}")
    files: dict[str | Path, bytes] = {}
    out: dict[str, Path] = {}
    rc: dict[Any, Any] = {
        "pdf.fonttype": 42,
        "svg.hashsalt": "cma_research",
        "svg.fonttype": "none",
    }
    options = {"dpi": dpi, "bbox_inches": "tight", "pad_inches": 0.04}

    def render(f: str) -> bytes:
        buf = io.BytesIO()
        fig.savefig(buf, format=f, metadata=FIGURE_METADATA[f], **options)  # type: ignore[arg-type]
        return buf.getvalue()

    with mpl.rc_context(rc):
        rendered = cached_render(
            render, list(formats), {**options, "metadata": FIGURE_METADATA}, cache_folder(cache_dir)
        )
    for f in formats:
        path = Path(f"{stem}.{f}")
        files[path] = rendered[f]
        out[f] = path
    write_all_atomic(files)
    return out


# -- tables ---------------------------------------------------------------------------------


def _csv_safe(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every text cell and column name passed through
    :func:`~cma_research.core.text.csv_cell` (OWASP's rule against CSV injection)."""
    out = table.copy()
    for col in out.columns:
        series = out[col]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            out[col] = series.map(csv_cell).astype(series.dtype)
    out.columns = [csv_cell(str(c)) for c in out.columns]
    return out


def to_markdown(
    df: pd.DataFrame,
    *,
    caption: str | None = None,
    formats: Mapping[str, Formatter] | None = None,
    instrument: Instrument | None = None,
    spec: TableSpec | None = None,
) -> str:
    """The presentation of a tidy table (:func:`~cma_research.reporting.tables.presentation_table`)
    as a GitHub/pandoc pipe table, every cell escaped, the note under it.

    >>> print(to_markdown(pd.DataFrame({"type": ["A|B"], "r": [0.5]})), end="")
    | Type | *r* |
    | --- | ---: |
    | A\\|B | .50 |
    """
    table = presentation_table(
        df, caption=caption, formats=formats, instrument=instrument, spec=spec
    )
    return table.to_markdown()


def save_table(
    df: pd.DataFrame,
    stem: str | Path,
    *,
    caption: str | None = None,
    label: str | None = None,
    formats: Mapping[str, Formatter] | None = None,
    sort_by: Sequence[str] | None = None,
    outputs: Sequence[str] = _TABLE_FORMATS,
    instrument: Instrument | None = None,
    spec: TableSpec | None = None,
) -> dict[str, Path]:
    """Write a table as CSV (full precision) and its presentation as LaTeX and Markdown.

    The CSV is the tidy data, unrounded; the LaTeX (booktabs, the note under the table)
    and Markdown files are the presentation table a paper shows
    (:func:`~cma_research.reporting.tables.presentation_table`: rows in the
    instrument's words, estimate and interval in one column, APA p, constant columns in
    the note).

    Parameters
    ----------
    df : DataFrame
        A tidy result table; the index is not written.
    stem : str or Path
        Path without suffix, e.g. ``reports/tables/size_correlations``.
    caption, label : str, optional
        LaTeX caption and ``\\label`` (the caption also heads the Markdown table).
    formats : mapping, optional
        Per-column format for LaTeX and Markdown: a format string (``"{:.2f}"``) or a
        function. Default: the presentation rules (counts as integers, bounded
        statistics without a leading zero, other numbers to two decimals, a true minus
        sign, missing values empty). The CSV is never rounded.
    instrument : Instrument, optional
        Names the stages in the presentation.
    spec : TableSpec, optional
        Labels, spanners, hidden columns of the presentation.

    Notes
    -----
    The CSV is safe to open in a spreadsheet: a text cell (or column name) starting
    with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, such as a business
    type ``=HYPERLINK(...)``, is written with a leading ``'`` (see
    :func:`~cma_research.core.text.csv_cell`),
    so it is shown, never run as a formula. Numeric columns are written at full
    precision, negative numbers as numbers. In the LaTeX and Markdown files, line
    breaks inside a cell become spaces, so a cell never splits a row.
    sort_by : sequence of str, optional
        Columns to sort rows by (stable); default keeps the given (deterministic) order.
    outputs : sequence of {"csv", "tex", "md"}

    Returns
    -------
    dict
        Output kind -> path written. Text cells are escaped for LaTeX and Markdown.
    """
    for kind in outputs:
        if kind not in _TABLE_FORMATS:
            raise ParameterError(f"output {kind!r} is not one of {', '.join(_TABLE_FORMATS)}")
    table = df.reset_index(drop=True)
    if sort_by:
        table = table.sort_values(list(sort_by), kind="stable").reset_index(drop=True)
    fmts = dict(formats or {})
    shown = None
    if set(outputs) - {"csv"}:
        shown = presentation_table(
            table, caption=caption, formats=fmts, instrument=instrument, spec=spec
        )
    files: dict[str | Path, bytes] = {}
    out: dict[str, Path] = {}
    for kind in outputs:
        path = Path(f"{stem}.{kind}")
        if kind == "csv":
            data = _csv_safe(table).to_csv(index=False, lineterminator="\n")
        elif kind == "tex" and shown is not None:
            data = shown.to_latex(label)
        elif shown is not None:
            data = shown.to_markdown()
        files[path] = data.encode("utf-8")
        out[kind] = path
    write_all_atomic(files)
    return out

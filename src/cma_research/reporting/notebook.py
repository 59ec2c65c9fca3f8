"""Small helpers that keep the notebooks thin: one setup call, save-and-show figures and
tables, Markdown with computed values.

In a notebook::

    study = setup("03", returns_path=returns_path, instrument=instrument, ...)
    cohort, out = study.cohort, study.out
    out.figure(ax.figure, "scatter_size", caption="...")   # PDF, SVG, PNG; shows the PNG
    display(out.table(result, "correlations"))            # CSV, LaTeX, Markdown; HTML view
    md("**{n}** businesses", n=cohort.n_businesses)        # Markdown, shown at once
    out.value("n_businesses", cohort.n_businesses, unit="count")  # values.json, for the paper

Relative paths mean the same file wherever the notebook runs: they are taken from the
project root (the nearest folder above the working directory that holds
``pyproject.toml`` or both ``notebooks/`` and ``data/``), so ``data/raw/x.csv`` works in
JupyterLab (working directory ``notebooks/``), in plain papermill run from the project
root, and in the build.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cma_research.core.cohort import Cohort
from cma_research.core.files import write_atomic
from cma_research.io.covariates import load_covariates
from cma_research.io.returns import load_returns, loader_options
from cma_research.reporting.files import save_figure, save_table
from cma_research.reporting.tables import (
    Formatter,
    PresentationTable,
    TableSpec,
    presentation_table,
)
from cma_research.reporting.text import escape_html, escape_markdown
from cma_research.reporting.values import record_value

if TYPE_CHECKING:
    from cma_research.core.instrument import Instrument

__all__ = ["Outputs", "Study", "TableView", "md", "project_root", "setup"]


def project_root(start: str | Path | None = None) -> Path:
    """The project folder: the nearest one at or above ``start`` (default: the working
    directory) holding ``pyproject.toml``, or ``notebooks/`` and ``data/``; else ``start``."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() or (
            (folder / "notebooks").is_dir() and (folder / "data").is_dir()
        ):
            return folder
    return here


def _resolve(path: str | Path, root: Path) -> Path:
    p = Path(path)
    return p if p.is_absolute() else root / p


def _shown(path: Path, root: Path) -> str:
    """A path as shared outputs show it: relative to the project, else its file name."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.name


@dataclass
class Study:
    """What a notebook works on: the cohort (one wave) and where outputs go."""

    cohort: Cohort
    all_waves: Cohort
    wave: str
    out: Outputs
    root: Path

    def __repr__(self) -> str:
        waves = self.all_waves.waves
        which = f"wave {self.wave!r} of {len(waves)}" if len(waves) > 1 else "one wave"
        return (
            f"Study: {self.cohort.n_businesses} businesses, {which}, "
            f"{self.cohort.instrument.name} ({Path(self.cohort.source.path).name})"
        )

    def _repr_markdown_(self) -> str:
        return escape_markdown(repr(self))


def setup(
    prefix: str,
    *,
    returns_path: str | Path,
    instrument: str = "customer_wise_2007",
    covariates_path: str | Path | None = None,
    output_dir: str | Path = "reports",
    wave: str | None = None,
    header_row: int | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    na_values: str | None = None,
    aliases: str | None = None,
    wave_order: str | None = None,
) -> Study:
    """Load the returns (and covariates) and prepare the outputs of one notebook.

    Parameters
    ----------
    prefix : str
        The notebook's number (``"03"``): every output file starts with ``03_``.
    returns_path, covariates_path, output_dir : path
        Relative paths are taken from :func:`project_root`.
    instrument : str
        Instrument name or ``.yaml`` path (relative: from the project root).
    wave : str, optional
        The wave to analyse (a label of ``cohort.waves``); default the latest.
    header_row, sheet, encoding, na_values, aliases, wave_order
        Loader options as text (see :func:`cma_research.io.returns.loader_options`).

    Returns
    -------
    Study
    """
    root = project_root()
    inst_path = Path(instrument)
    if instrument.endswith((".yaml", ".yml")) and not inst_path.is_absolute():
        instrument = str(root / inst_path)
    options = loader_options(
        {
            "header_row": header_row,
            "sheet": sheet,
            "encoding": encoding,
            "na_values": na_values,
            "aliases": aliases,
            "wave_order": wave_order,
        }
    )
    returns = _resolve(returns_path, root)
    cohort = load_returns(returns, instrument, **options)
    cohort = replace(cohort, source=replace(cohort.source, path=_shown(returns, root)))
    if covariates_path is not None:
        cohort = load_covariates(_resolve(covariates_path, root), cohort)
    chosen = wave if wave is not None else cohort.waves[-1]
    one = cohort.select_wave(chosen) if len(cohort.waves) > 1 else cohort
    out = Outputs(_resolve(output_dir, root), prefix=f"{prefix}_", instrument=cohort.instrument)
    return Study(one, cohort, str(chosen), out, root)


class TableView:
    """A table as a notebook shows it: the presentation table's HTML (caption, table,
    note), and a one-line plain-text form without any memory address."""

    def __init__(self, table: PresentationTable, table_id: str) -> None:
        self.table = table
        self.table_id = table_id

    def _repr_html_(self) -> str:
        return self.table.to_html(self.table_id)

    def __repr__(self) -> str:
        rows, columns = len(self.table.rows), len(self.table.columns)
        caption = f"{self.table.caption}: " if self.table.caption else ""
        return f"Table: {caption}{rows} rows x {columns} columns"

    def to_html(self) -> str:
        """The HTML fragment (as :meth:`PresentationTable.to_html`)."""
        return self._repr_html_()


class Outputs:
    """Where a notebook writes its figures and tables (``<output_dir>/figures``, ``/tables``).

    Every file name starts with the notebook's prefix (e.g. ``02_``) so notebooks
    running in parallel never write the same file, and the build knows which files
    each notebook made.
    """

    def __init__(
        self, output_dir: str | Path, prefix: str = "", instrument: Instrument | None = None
    ) -> None:
        self.root = Path(output_dir)
        self.prefix = prefix
        self.instrument = instrument
        self.figures = self.root / "figures"
        self.tables = self.root / "tables"
        self.figures.mkdir(parents=True, exist_ok=True)
        self.tables.mkdir(parents=True, exist_ok=True)

    def _merge_json(self, path: Path, values: Mapping[str, Any]) -> None:
        current = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        current.update({k: str(v) for k, v in values.items()})
        write_atomic(path, (json.dumps(current, indent=2, sort_keys=True) + "\n").encode())

    def figure(self, fig: Figure, name: str, *, caption: str | None = None) -> None:
        """Save ``fig`` as PDF, SVG and 300-dpi PNG, show that PNG, and close the figure.

        The notebook shows exactly the file a paper would use (with ``caption`` as its
        alt text and caption), and the figure is not drawn again by the inline backend.
        Without a caption the figure's title is used.
        """
        import matplotlib.pyplot as plt
        from IPython.display import HTML, display

        if caption is None:
            titles = [fig.get_suptitle(), *(ax.get_title() for ax in fig.axes)]
            caption = next((t for t in titles if t), name.replace("_", " "))
        paths = save_figure(fig, self.figures / f"{self.prefix}{name}")
        width = int(fig.get_figwidth() * 100)
        plt.close(fig)
        self._merge_json(
            self.figures / f"{self.prefix}captions.json", {self.prefix + name: caption}
        )
        data = base64.b64encode(Path(paths["png"]).read_bytes()).decode()
        alt = escape_html(caption)
        display(
            HTML(
                f'<figure><img src="data:image/png;base64,{data}" width="{width}" alt="{alt}">'
                f"<figcaption>{alt}</figcaption></figure>"
            )
        )

    def table(
        self,
        df: pd.DataFrame,
        name: str,
        *,
        caption: str | None = None,
        formats: Mapping[str, Formatter] | None = None,
        spec: TableSpec | None = None,
    ) -> TableView:
        """Save ``df`` as CSV and its presentation as LaTeX and Markdown; return the view.

        The CSV is the tidy data: full precision, the identifiers as column names. The
        LaTeX, Markdown and the returned view (``display(out.table(...))``) are the
        presentation table of :func:`~cma_research.reporting.tables.presentation_table`:
        stages by name, estimate and interval in one column, p as in the text
        (``< .001``), counts as integers, constant columns said once in the note, cells
        that do not apply left empty; a table of many columns scrolls in its box.
        ``spec`` adds labels, spanners and hidden columns. The caption is recorded
        for the build's landing page (``tables/<prefix>captions.json``).
        """
        label = f"tab:{self.prefix}{name}"
        save_table(
            df,
            self.tables / f"{self.prefix}{name}",
            caption=caption,
            label=label,
            formats=formats,
            instrument=self.instrument,
            spec=spec,
        )
        if caption:
            self._merge_json(
                self.tables / f"{self.prefix}captions.json", {self.prefix + name: caption}
            )
        shown = presentation_table(
            df, caption=caption, formats=formats, instrument=self.instrument, spec=spec
        )
        # a table named after itself keeps executed notebooks and their HTML
        # byte-identical across runs (pandas would name its ids from a random uuid4)
        uuid = hashlib.sha256(f"{self.prefix}{name}".encode()).hexdigest()[:10]
        return TableView(shown, uuid)

    def value(
        self,
        name: str,
        number: Any,
        *,
        text: str | None = None,
        unit: str | None = None,
        table: str | None = None,
        strategy: str | None = None,
        n: int | None = None,
    ) -> None:
        """Record a value a paper may cite, by name, for the build's ``values.json``.

        ``number`` at full precision (None or NaN when it could not be computed, or
        for words only); ``text`` as the findings print it (default: the number by its
        ``unit``, see :mod:`cma_research.reporting.values`); ``table`` the name of this
        notebook's table it is read from (``"cronbach_alpha"``); ``strategy`` and ``n``
        what it rests on. Written to ``tables/<prefix>values.json``; a manuscript cites
        it as ``{name}``. Nothing is shown.
        """
        record_value(
            self.tables / f"{self.prefix}values.json",
            name,
            number,
            text=text,
            unit=unit,
            table=f"{self.prefix}{table}" if table else None,
            notebook=self.prefix.rstrip("_") or None,
            strategy=strategy,
            n=n,
        )

    def facts(self, **facts: Any) -> None:
        """Record headline facts, in words, for the build's landing page.

        Keys are shown as written with underscores as spaces, values as given
        (``tables/<prefix>key_facts.json``).
        """
        self._merge_json(
            self.tables / f"{self.prefix}key_facts.json",
            {k.replace("_", " "): v for k, v in facts.items()},
        )


def md(template: str, **values: Any) -> None:
    """Show Markdown in the notebook, with every inserted value escaped.

    Numbers in the narrative come from computed results through ``values`` — never
    typed into the text — and text such as business names cannot break the markup.

    The text is displayed at once (IPython's ``display``), wherever the call stands: on
    a cell's last line, inside an ``if`` block, a loop or a function alike. (A returned
    object is shown only as a cell's last value; inside a block it would be thrown
    away silently.) Nothing is returned, so nothing is shown twice: do not wrap the
    call in ``display(...)``.
    """
    from IPython.display import Markdown, display

    def safe(v: Any) -> Any:
        # numbers keep their type so the template can format them ({share:.0%})
        if isinstance(v, bool) or not isinstance(v, int | float | np.number):
            return escape_markdown(str(v))
        return v

    display(Markdown(template.format(**{k: safe(v) for k, v in values.items()})))

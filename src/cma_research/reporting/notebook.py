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
project root (the nearest folder above the working directory that holds a study file,
``pyproject.toml`` or both ``notebooks/`` and ``data/``), so ``data/raw/x.csv`` works in
JupyterLab (working directory ``notebooks/``), in plain papermill run from the project
root, and in the build.

**Its own study.** The build always gives a notebook its returns file. A notebook run by
hand (*Run All* in JupyterLab) keeps ``returns_path = None`` and then reads everything
it was not given from its study: the ``study.yaml`` of its folder or the nearest one
above (:func:`cma_research.io.study.find_study`), the returns with their loader options,
covariates, recruitment funnel, claims, key, and the study's output folder, so that its
figures and tables land in that study's reports and never in another's.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cma_research.analysis.headline import numeric_covariates
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.files import write_atomic
from cma_research.io.study import STUDY_FILE, cohort_from_parameters, find_study, load_study
from cma_research.reporting.confidential import (
    pseudonymise_cohort,
    shareable_business_table,
    write_pseudonym_map,
)
from cma_research.reporting.files import save_figure, save_table
from cma_research.reporting.pseudonym import read_key
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
    directory) holding a study file (``study.yaml``), ``pyproject.toml``, or
    ``notebooks/`` and ``data/``; else ``start``."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (
            (folder / STUDY_FILE).is_file()
            or (folder / "pyproject.toml").is_file()
            or ((folder / "notebooks").is_dir() and (folder / "data").is_dir())
        ):
            return folder
    return here


def _resolve(path: str | Path | None, root: Path) -> Path:
    if path is None:
        raise ParameterError("returns_path is None; give the returns file")
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
    """What a notebook works on: the cohort (one wave) and where outputs go.

    ``recruitment_path`` and ``claims_path`` are the study's recruitment funnel and
    claims files (absolute), or None when it has none; ``study_file`` the study file
    read when the notebook ran by hand (else None).
    """

    cohort: Cohort
    all_waves: Cohort
    wave: str
    out: Outputs
    root: Path
    recruitment_path: Path | None = None
    claims_path: Path | None = None
    study_file: Path | None = None

    def __repr__(self) -> str:
        waves = self.all_waves.waves
        which = f"wave {self.wave!r} of {len(waves)}" if len(waves) > 1 else "one wave"
        return (
            f"Study: {self.cohort.n_businesses} businesses, {which}, "
            f"{self.cohort.instrument.name} ({Path(self.cohort.source.path).name})"
        )

    def notes(self) -> list[str]:
        """What a reader should know about how the returns were read, in words."""
        lines = list(self.all_waves.source.notes)
        for src in self.all_waves.covariate_sources:
            lines.append(src.summary())
        return lines

    def _repr_markdown_(self) -> str:
        text = escape_markdown(repr(self))
        notes = self.notes()
        if notes:
            text += "\n\n" + "\n".join(f"- {escape_markdown(n)}" for n in notes)
        return text


#: The inputs a notebook may take from its study when run by hand (``setup``'s keywords).
_FROM_STUDY = (
    "returns_path",
    "instrument",
    "covariates_path",
    "output_dir",
    "header_row",
    "sheet",
    "encoding",
    "na_values",
    "aliases",
    "wave_order",
    "wave_rounds",
    "date_format",
    "covariates_sheet",
    "covariates_id",
    "covariates_header_row",
    "covariates_derived",
    "recruitment_path",
    "claims_path",
    "key_path",
)


def setup(
    prefix: str,
    *,
    returns_path: str | Path | None = None,
    instrument: str | None = None,
    covariates_path: str | Path | None = None,
    output_dir: str | Path | None = None,
    wave: str | None = None,
    header_row: int | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    na_values: str | None = None,
    aliases: str | None = None,
    wave_order: str | None = None,
    wave_rounds: str | None = None,
    date_format: str | None = None,
    covariates_sheet: str | None = None,
    covariates_id: str | None = None,
    covariates_header_row: int | None = None,
    covariates_derived: str | None = None,
    recruitment_path: str | Path | None = None,
    claims_path: str | Path | None = None,
    key_path: str | Path | None = None,
) -> Study:
    """Load the returns (and covariates) and prepare the outputs of one notebook.

    Parameters
    ----------
    prefix : str
        The notebook's number (``"03"``): every output file starts with ``03_``.
    returns_path : path, optional
        The returns. ``None`` (a notebook run by hand): the notebook's study file
        (:func:`~cma_research.io.study.find_study`) gives every input left ``None``
        here, its output folder included.
    covariates_path, output_dir, recruitment_path, claims_path, key_path : path
        Relative paths are taken from :func:`project_root`. ``output_dir`` defaults to
        the study's output folder, else ``reports``; a ``key_path`` (pseudonymisation
        key) makes every business id a keyed pseudonym before anything is shown
        (:func:`~cma_research.reporting.confidential.pseudonymise_cohort`).
    instrument : str, optional
        Instrument name or ``.yaml`` path (relative: from the project root); default
        the study's, else ``customer_wise_2007``.
    wave : str, optional
        The wave to analyse (a label of ``cohort.waves``); default the latest.
    header_row, sheet, encoding, na_values, aliases, wave_order, wave_rounds, date_format
        Loader options as text (see :func:`cma_research.io.returns.loader_options`).
    covariates_sheet, covariates_id, covariates_header_row, covariates_derived
        How to read the covariates: the sheet, the id column, the header row and
        derived covariates as ``"name = formula; ..."`` (see
        :func:`cma_research.io.covariates.load_covariates`).

    Returns
    -------
    Study

    Raises
    ------
    ParameterError
        No returns file and no study file; or an output folder that holds another
        study's reports.
    """
    given: dict[str, Any] = {
        "returns_path": returns_path,
        "instrument": instrument,
        "covariates_path": covariates_path,
        "output_dir": output_dir,
        "header_row": header_row,
        "sheet": sheet,
        "encoding": encoding,
        "na_values": na_values,
        "aliases": aliases,
        "wave_order": wave_order,
        "wave_rounds": wave_rounds,
        "date_format": date_format,
        "covariates_sheet": covariates_sheet,
        "covariates_id": covariates_id,
        "covariates_header_row": covariates_header_row,
        "covariates_derived": covariates_derived,
        "recruitment_path": recruitment_path,
        "claims_path": claims_path,
        "key_path": key_path,
    }
    root = project_root()
    study_file = None
    if returns_path is None:
        study_file = find_study()
        if study_file is None:
            raise ParameterError(
                "returns_path is None and no study file (study.yaml) was found in this "
                "folder or above; give returns_path, or set up a study with "
                "`cma-research init FILE`"
            )
        study = load_study(study_file)
        root = study.folder
        from_study = study.parameters()
        given = {k: (v if v is not None else from_study.get(k)) for k, v in given.items()}
    values = {k: given[k] for k in _FROM_STUDY}
    returns = _resolve(values["returns_path"], root)
    cohort = cohort_from_parameters(values, root)
    cohort = replace(cohort, source=replace(cohort.source, path=_shown(returns, root)))
    # covariate files are named as the returns are: never an absolute local path
    cohort = replace(
        cohort,
        covariate_sources=tuple(
            replace(src, path=_shown(_resolve(src.path, root), root))
            for src in cohort.covariate_sources
        ),
    )
    if values["key_path"] is not None:
        key_file = _resolve(values["key_path"], root)
        key = read_key(key_file)
        write_pseudonym_map(cohort, key, key_file)
        cohort = pseudonymise_cohort(cohort, key)
    chosen = wave if wave is not None else cohort.waves[-1]
    one = cohort.select_wave(chosen) if len(cohort.waves) > 1 else cohort
    out_dir = _output_folder(values["output_dir"], root, returns, study_file)
    out = Outputs(
        out_dir,
        prefix=f"{prefix}_",
        instrument=cohort.instrument,
        pseudonymised=values["key_path"] is not None,
        covariates=numeric_covariates(cohort),
        wave_labels=cohort.wave_labels,
    )
    optional = {
        k: _resolve(values[k], root) if values[k] is not None else None
        for k in ("recruitment_path", "claims_path")
    }
    return Study(
        one,
        cohort,
        str(chosen),
        out,
        root,
        recruitment_path=optional["recruitment_path"],
        claims_path=optional["claims_path"],
        study_file=study_file,
    )


def _output_folder(
    output_dir: str | Path | None, root: Path, returns: Path, study_file: Path | None
) -> Path:
    """The notebook's output folder; never the folder of another study's reports."""
    if output_dir is not None:
        return _resolve(output_dir, root)
    out = root / "reports"
    if study_file is None:
        other = find_study(root)
        if other is not None:
            theirs = load_study(other)
            if theirs.output == out and theirs.returns != returns.resolve():
                raise ParameterError(
                    f"output_dir is None and {out.name}/ holds the reports of "
                    f"{other.name} (another study, {theirs.returns.name}); give output_dir"
                )
    return out


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
        self,
        output_dir: str | Path,
        prefix: str = "",
        instrument: Instrument | None = None,
        *,
        pseudonymised: bool = False,
        covariates: Sequence[str] = (),
        wave_labels: Sequence[str] = (),
    ) -> None:
        self.root = Path(output_dir)
        self.prefix = prefix
        self.instrument = instrument
        self.pseudonymised = pseudonymised
        self.covariates = tuple(covariates)
        self.wave_labels = tuple(wave_labels)
        self.figures = self.root / "figures"
        self.tables = self.root / "tables"
        self.figures.mkdir(parents=True, exist_ok=True)
        self.tables.mkdir(parents=True, exist_ok=True)

    def _merge_json(self, path: Path, values: Mapping[str, Any]) -> None:
        current = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        current.update({k: str(v) for k, v in values.items()})
        write_atomic(path, (json.dumps(current, indent=2, sort_keys=True) + "\n").encode())

    def shareable(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` as this study's shared outputs may show it.

        Under pseudonyms (the study has a key) a per-business table shows size bands,
        not staff numbers or covariate values
        (:func:`~cma_research.reporting.confidential.shareable_business_table`);
        otherwise ``df`` unchanged. :meth:`table` applies it to every table; a sentence
        about single businesses is written from its result.
        """
        if not self.pseudonymised:
            return df
        return shareable_business_table(df, self.covariates)

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
        df = self.with_wave_labels(df)
        label = f"tab:{self.prefix}{name}"
        df = self.shareable(df)
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

    def with_wave_labels(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with its ``wave`` column as the waves' labels (``2009``), not their codes.

        A cohort whose waves are labels or dates codes them 1, 2, ... in its index
        (:meth:`~cma_research.core.cohort.Cohort.wave_label`); tables built from that
        index carry the code. A reader sees the label. Unchanged when the waves are
        numbered (code and label agree), when there is no ``wave`` column, or when it
        holds anything but those codes.

        >>> out = Outputs.__new__(Outputs)
        >>> out.wave_labels = ("2019", "2020", "2021")
        >>> out.with_wave_labels(pd.DataFrame({"wave": [1, 3]}))["wave"].tolist()
        ['2019', '2021']
        """
        if not self.wave_labels or "wave" not in df.columns:
            return df
        codes = df["wave"]
        if not pd.api.types.is_integer_dtype(codes) or codes.isna().any():
            return df
        if not codes.between(1, len(self.wave_labels)).all():
            return df
        labels = [self.wave_labels[int(c) - 1] for c in codes]
        return df.assign(wave=pd.array(labels, dtype="string"))

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

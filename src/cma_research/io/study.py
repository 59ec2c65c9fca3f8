"""A study file: everything that belongs to one study, read, checked and written.

A study is one cohort's returns and what is needed to read and report them: the
returns file and its loader options, the instrument, the waves (the column, how dates
are written and grouped into rounds), the covariates (a file or a sheet of the returns
workbook, its id column and covariates derived by a formula), an optional recruitment
funnel and claims file, the output folder, the disclosure k, the pseudonymisation key
and a title. ``cma-research init`` writes one from a workbook; ``validate``, ``build``,
``business-report`` and ``claims`` read it (``--study FILE``), so loader options are
never typed twice. A study file is YAML (read within bounds, like every input)::

    title: Second cohort, 2008-2009          # shown on the reports' landing page
    returns:
      file: returns.xlsx                     # relative paths: from this file's folder
      instrument: customer_wise_2007
      sheet: Returns
      header_row: 3
      na_values: [n/a, "-"]
      aliases: {Sector: business_type}
    waves:
      column: Audit date
      dates: day-first                       # or iso, month-first
      rounds: year                           # or "gap 90", or {Round 1: [first, last], ...}
    covariates:
      sheet: Turnover                        # of the returns workbook; or file: other.csv
      id_column: Business ref
      derived:
        turnover_growth: (turnover_2009 - turnover_2008) / turnover_2008
    recruitment: null                        # a funnel file, or null
    claims: null                             # a claims file, or null
    output: reports
    disclosure_k: 5
    pseudonymise: ~/keys/cma.key             # business ids become keyed pseudonyms
    parameters: {seed: 1, n_boot: 5000}      # any notebook parameter, by its name

Nothing of one study reaches another: a study without ``recruitment`` or ``claims`` has
none (they are never taken from a default), and :meth:`Study.parameters` names every
input file explicitly. A study's folder is the folder of its file; the reports of a
notebook run by hand in JupyterLab go to that study's output folder (see
:func:`find_study`).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cma_research.core.errors import ParameterError
from cma_research.core.files import safe_load_yaml
from cma_research.core.instrument import get_instrument
from cma_research.io.waves import DATE_FORMATS, Rounds, parse_rounds

if TYPE_CHECKING:
    from cma_research.core.cohort import Cohort

__all__ = [
    "STUDY_FILE",
    "CovariateSettings",
    "Study",
    "cohort_from_parameters",
    "find_study",
    "load_study",
    "study_yaml",
]

#: The name of a study folder's study file (found by :func:`find_study`).
STUDY_FILE = "study.yaml"

_TOP = (
    "title",
    "returns",
    "waves",
    "covariates",
    "recruitment",
    "claims",
    "output",
    "disclosure_k",
    "pseudonymise",
    "parameters",
)
_RETURNS = ("file", "instrument", "form", "sheet", "header_row", "encoding", "na_values", "aliases")
_WAVES = ("column", "dates", "rounds", "order")
_COVARIATES = ("file", "sheet", "header_row", "id_column", "derived")
# Study entries that are build parameters of their own: written by the study, never by
# its `parameters` section.
_OWNED_PARAMETERS = (
    "returns_path",
    "instrument",
    "header_row",
    "sheet",
    "encoding",
    "na_values",
    "aliases",
    "wave_order",
    "wave_rounds",
    "date_format",
    "covariates_path",
    "covariates_sheet",
    "covariates_id",
    "covariates_header_row",
    "covariates_derived",
    "recruitment_path",
    "claims_path",
    "output_dir",
    "disclosure_k",
    "key_path",
)


@dataclass(frozen=True)
class CovariateSettings:
    """Where a study's covariates come from: a file (or a sheet) and how to read it."""

    path: Path
    sheet: str | None = None
    header_row: int = 1
    id_column: str | None = None
    derived: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Study:
    """One study, as its study file describes it (paths absolute).

    Build one with :func:`load_study`. ``loader`` holds the keyword arguments of
    :func:`~cma_research.load_returns` (sheet, header row, encoding, not-assessed
    markers, aliases, wave order, rounds and date format).
    """

    path: Path
    returns: Path
    instrument: str
    loader: dict[str, Any]
    title: str | None = None
    covariates: CovariateSettings | None = None
    recruitment: Path | None = None
    claims: Path | None = None
    output: Path = Path("reports")
    disclosure_k: int | None = None
    pseudonymise: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        """The study's folder: the folder of its study file."""
        return self.path.parent

    @property
    def rounds(self) -> Rounds | None:
        """How the audit dates are grouped into rounds, if they are."""
        return parse_rounds(self.loader.get("wave_rounds"))

    def load_cohort(self) -> Cohort:
        """The study's returns (every wave) with its covariates merged in."""
        return cohort_from_parameters(self.parameters())

    def parameters(self) -> dict[str, Any]:
        """The build parameters of this study, by the notebooks' names.

        Every input file is named (``None`` when the study has none, so no notebook
        default can stand in for it), paths are absolute, and the ``parameters``
        section is added as written.

        Examples
        --------
        >>> import tempfile
        >>> from cma_research.datasets import example_study
        >>> study = load_study(example_study(tempfile.mkdtemp()))
        >>> params = study.parameters()
        >>> Path(params["returns_path"]).name, params["key_path"], params["wave_rounds"]
        ('customer_wise_2007.csv', None, None)
        """
        loader = self.loader
        aliases = loader.get("aliases") or {}
        cov = self.covariates
        values: dict[str, Any] = {
            "returns_path": str(self.returns),
            "instrument": self.instrument,
            "header_row": loader.get("header_row"),
            "sheet": loader.get("sheet"),
            "encoding": loader.get("encoding"),
            "na_values": ", ".join(loader["na_values"]) if "na_values" in loader else None,
            "aliases": "; ".join(f"{k}={v}" for k, v in aliases.items()) or None,
            "wave_order": ", ".join(loader["wave_order"]) if "wave_order" in loader else None,
            "wave_rounds": loader.get("wave_rounds"),
            "date_format": loader.get("date_format"),
            "covariates_path": str(cov.path) if cov else None,
            "covariates_sheet": cov.sheet if cov else None,
            "covariates_id": cov.id_column if cov else None,
            "covariates_header_row": cov.header_row if cov and cov.header_row != 1 else None,
            "covariates_derived": "; ".join(f"{k} = {v}" for k, v in cov.derived.items())
            if cov and cov.derived
            else None,
            "recruitment_path": str(self.recruitment) if self.recruitment else None,
            "claims_path": str(self.claims) if self.claims else None,
            "output_dir": str(self.output),
            "key_path": str(self.pseudonymise) if self.pseudonymise else None,
        }
        if self.disclosure_k is not None:
            values["disclosure_k"] = self.disclosure_k
        return {**values, **self.extra}

    def input_files(self) -> dict[str, Path]:
        """Every file the study reads, by role (the key included)."""
        files = {"study file": self.path, "returns": self.returns}
        if self.covariates is not None:
            files["covariates"] = self.covariates.path
        for role, path in (
            ("recruitment", self.recruitment),
            ("claims", self.claims),
            ("pseudonymisation key", self.pseudonymise),
        ):
            if path is not None:
                files[role] = path
        inst = Path(self.instrument)
        if self.instrument.endswith((".yaml", ".yml")):
            files["instrument"] = inst
        return files


def cohort_from_parameters(values: Mapping[str, Any], root: str | Path | None = None) -> Cohort:
    """The cohort build parameters describe: the returns with the loader options, and the
    covariates with theirs (sheet, id column, header row, derived covariates).

    Parameters
    ----------
    values : mapping
        Build parameters (``returns_path``, ``instrument``, the loader options of
        :func:`~cma_research.io.returns.loader_options`, ``covariates_path``,
        ``covariates_sheet``, ``covariates_id``, ``covariates_header_row``,
        ``covariates_derived``); others are ignored.
    root : path, optional
        Relative paths are taken from it (default: the working directory).

    Raises
    ------
    ParameterError
        When ``returns_path`` is missing.
    """
    base = Path(root) if root is not None else Path.cwd()
    returns = values.get("returns_path")
    if not returns:
        raise ParameterError("no returns_path: the returns file is needed")
    instrument = values.get("instrument") or "customer_wise_2007"
    if isinstance(instrument, str) and instrument.endswith((".yaml", ".yml")):
        instrument = str(base / instrument)  # an absolute path stays as it is
    from cma_research.io.covariates import derived_option, load_covariates  # pandas: here
    from cma_research.io.returns import load_returns, loader_options

    cohort = load_returns(base / str(returns), instrument, **loader_options(values))
    if values.get("covariates_path"):
        cohort = load_covariates(
            base / str(values["covariates_path"]),
            cohort,
            sheet=values.get("covariates_sheet"),
            header_row=values.get("covariates_header_row") or 1,
            id_column=values.get("covariates_id"),
            derived=derived_option(values.get("covariates_derived")) or None,
        )
    return cohort


def find_study(start: str | Path | None = None) -> Path | None:
    """The study file of a folder: ``study.yaml`` at ``start`` or the nearest folder above.

    The search stops at a project folder (one holding ``pyproject.toml``) without a study
    file, so a notebook never reads the study of an unrelated folder higher up.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     (Path(d) / "notebooks").mkdir()
    ...     _ = (Path(d) / "study.yaml").write_text("returns: {file: r.csv}\\n")
    ...     find_study(Path(d) / "notebooks") == (Path(d) / "study.yaml").resolve()
    True
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / STUDY_FILE).is_file():
            return folder / STUDY_FILE
        if (folder / "pyproject.toml").is_file():
            return None
    return None


# -- reading -------------------------------------------------------------------------


def load_study(path: str | Path) -> Study:
    """Read and check a study file (bounded YAML; relative paths from its folder).

    Raises
    ------
    ParameterError
        One line per problem, each naming the study file and the entry (``returns.
        header_row``), the value and what was expected: an unknown entry (with the
        nearest known one), a value of the wrong kind, a file that does not exist, an
        unknown instrument.

    Examples
    --------
    >>> import tempfile
    >>> from cma_research.datasets import example_study
    >>> study = load_study(example_study(tempfile.mkdtemp()))
    >>> study.returns.name, study.claims.name, study.instrument
    ('customer_wise_2007.csv', 'customer_wise_2007_claims.yaml', 'customer_wise_2007')
    """
    p = Path(path).expanduser().resolve()
    data = safe_load_yaml(p)
    reader = _Reader(p)
    if not isinstance(data, dict):
        raise ParameterError(
            f"{p.name}: a study file is a mapping (returns:, waves:, ...); see "
            "`cma-research init` to write one"
        )
    reader.known(data, _TOP, "")
    returns = reader.mapping(data, "returns", required=True)
    reader.known(returns, _RETURNS, "returns.")
    waves = reader.mapping(data, "waves")
    reader.known(waves, _WAVES, "waves.")
    cov = reader.mapping(data, "covariates")
    reader.known(cov, _COVARIATES, "covariates.")
    returns_path = reader.file(returns, "file", "returns.", required=True)
    instrument = reader.instrument(returns)
    loader = reader.loader(returns, waves)
    covariates = reader.covariates(cov, returns_path, returns)
    extra = reader.mapping(data, "parameters")
    for key in extra:
        if key in _OWNED_PARAMETERS:
            reader.fail(
                f"parameters.{key}",
                "is set by the study's own entries",
                "returns:, waves:, covariates:, recruitment:, claims:, output:, "
                "disclosure_k: or pseudonymise:",
            )
        elif not isinstance(key, str) or not key.isidentifier():
            reader.fail("parameters", f"{str(key)[:40]!r} is not a parameter name", "a name")
    study = Study(
        path=p,
        returns=returns_path or p,
        instrument=instrument,
        loader=loader,
        title=reader.text(data, "title"),
        covariates=covariates,
        recruitment=reader.file(data, "recruitment", ""),
        claims=reader.file(data, "claims", ""),
        output=reader.folder(data.get("output", "reports"), "output"),
        disclosure_k=reader.whole(data, "disclosure_k", "", minimum=1),
        pseudonymise=reader.file(data, "pseudonymise", ""),
        extra=dict(extra),
    )
    reader.raise_if_any()
    return study


class _Reader:
    """Checks a study file's entries, collecting one line per problem."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def fail(self, where: str, message: str, expected: str) -> None:
        self.problems.append(f"{self.path.name}: {where}: {message}; expected {expected}")

    def raise_if_any(self) -> None:
        if self.problems:
            raise ParameterError("\n".join(self.problems))

    def known(self, data: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail(
                    f"{prefix}{str(key)[:40]}",
                    f"unknown entry{hint}",
                    "one of " + ", ".join(allowed),
                )

    def mapping(self, data: Mapping[str, Any], key: str, required: bool = False) -> dict[str, Any]:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(key, "missing", "a mapping such as 'returns: {file: returns.xlsx}'")
            return {}
        if not isinstance(value, dict):
            self.fail(key, f"{str(value)[:40]!r} is not a mapping", f"'{key}:' with entries below")
            return {}
        return value

    def text(self, data: Mapping[str, Any], key: str, prefix: str = "") -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(f"{prefix}{key}", f"{str(value)[:40]!r} is not text", "text")
            return None
        return str(value)

    def whole(self, data: Mapping[str, Any], key: str, prefix: str, minimum: int) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(f"{prefix}{key}", f"{str(value)[:40]!r}", f"a whole number >= {minimum}")
            return None
        return value

    def texts(self, data: Mapping[str, Any], key: str, prefix: str) -> list[str] | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",")]
        if not isinstance(value, list) or not all(
            isinstance(v, str | int | float) and not isinstance(v, bool) for v in value
        ):
            self.fail(f"{prefix}{key}", f"{str(value)[:40]!r}", "a list of texts, e.g. [n/a, '-']")
            return None
        return [str(v) for v in value]

    def resolve(self, value: Any, where: str) -> Path | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"{str(value)[:40]!r} is not a path", "a file path")
            return None
        p = Path(value).expanduser()
        return (p if p.is_absolute() else self.path.parent / p).resolve()

    def file(
        self, data: Mapping[str, Any], key: str, prefix: str, required: bool = False
    ) -> Path | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(f"{prefix}{key}", "missing", "the path of a file")
            return None
        path = self.resolve(value, f"{prefix}{key}")
        if path is not None and not path.is_file():
            self.fail(f"{prefix}{key}", f"file not found: {value}", "an existing file")
        return path

    def folder(self, value: Any, where: str) -> Path:
        path = self.resolve(value, where)
        return path if path is not None else self.path.parent / "reports"

    def instrument(self, returns: Mapping[str, Any]) -> str:
        value = returns.get("instrument", "customer_wise_2007")
        if not isinstance(value, str):
            self.fail("returns.instrument", f"{str(value)[:40]!r}", "an instrument name")
            return "customer_wise_2007"
        if value.endswith((".yaml", ".yml")):
            path = self.resolve(value, "returns.instrument")
            value = str(path) if path is not None else value
        try:
            get_instrument(value)
        except Exception as exc:  # an instrument problem is one more line of this study's
            self.fail("returns.instrument", str(exc).splitlines()[0][:200], "an instrument")
        return value

    def loader(self, returns: Mapping[str, Any], waves: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments of load_returns the study gives."""
        out: dict[str, Any] = {}
        form = returns.get("form")
        if form is not None:
            if form in ("auto", "wide", "long"):
                out["form"] = form
            else:
                self.fail("returns.form", f"{str(form)[:40]!r}", "auto, wide or long")
        for key in ("sheet", "encoding"):
            text = self.text(returns, key, "returns.")
            if text is not None:
                out[key] = text
        header_row = self.whole(returns, "header_row", "returns.", minimum=1)
        if header_row is not None:
            out["header_row"] = header_row
        na_values = self.texts(returns, "na_values", "returns.")
        if na_values is not None:
            out["na_values"] = na_values
        aliases = self.mapping(returns, "aliases")
        if not all(isinstance(v, str) for v in aliases.values()):
            self.fail("returns.aliases", "a target is not text", "'Header: role' pairs")
        mapped = {str(k): str(v) for k, v in aliases.items()}
        column = self.text(waves, "column", "waves.")
        if column is not None:
            mapped[column] = "wave"
        if mapped:
            out["aliases"] = mapped
        order = self.texts(waves, "order", "waves.")
        if order is not None:
            out["wave_order"] = order
        dates = waves.get("dates")
        if dates is not None:
            if dates in DATE_FORMATS:
                out["date_format"] = dates
            else:
                self.fail("waves.dates", f"{str(dates)[:40]!r}", " or ".join(DATE_FORMATS))
        rounds = waves.get("rounds")
        if rounds is not None:
            try:
                parsed = parse_rounds(rounds)
            except ParameterError as exc:
                self.fail("waves.rounds", str(exc)[:300], "year, 'gap N' or labelled ranges")
            else:
                if parsed is not None:
                    out["wave_rounds"] = parsed.text()
        return out

    def covariates(
        self, cov: Mapping[str, Any], returns_path: Path | None, returns: Mapping[str, Any]
    ) -> CovariateSettings | None:
        if not cov:
            return None
        path = self.file(cov, "file", "covariates.") if "file" in cov else returns_path
        sheet = self.text(cov, "sheet", "covariates.")
        if "file" not in cov and sheet is None:
            self.fail("covariates", "neither file nor sheet", "file: a covariates file, or sheet:")
        if sheet is not None and sheet == returns.get("sheet") and "file" not in cov:
            self.fail("covariates.sheet", f"{sheet!r} is the returns sheet", "another sheet")
        derived = self.mapping(cov, "derived")
        formulas: dict[str, str] = {}
        for name, formula in derived.items():
            if not isinstance(name, str) or not name.isidentifier():
                self.fail("covariates.derived", f"{str(name)[:40]!r}", "a name like growth")
            elif not isinstance(formula, str | int | float) or isinstance(formula, bool):
                self.fail(f"covariates.derived.{name}", f"{str(formula)[:40]!r}", "a formula")
            else:
                formulas[name] = str(formula)
        return CovariateSettings(
            path=path or self.path,
            sheet=sheet,
            header_row=self.whole(cov, "header_row", "covariates.", minimum=1) or 1,
            id_column=self.text(cov, "id_column", "covariates."),
            derived=formulas,
        )


# -- writing -------------------------------------------------------------------------


def study_yaml(entries: list[tuple[int, str, Any, str]]) -> str:
    """A study file's text: one ``key: value  # comment`` line per entry.

    Each entry is ``(depth, key, value, comment)``; a value of ``...`` (Ellipsis) opens
    a mapping whose entries follow at ``depth + 1``. Values are written as YAML flow
    scalars or lists (quoted where YAML needs it), so the text reads back as written.

    >>> print(study_yaml([(0, "returns", ..., "the returns"),
    ...                   (1, "file", "r.xlsx", "relative to this file"),
    ...                   (1, "na_values", ["n/a", "-"], "not assessed")]), end="")
    returns:  # the returns
      file: r.xlsx  # relative to this file
      na_values: [n/a, '-']  # not assessed
    """
    lines = []
    for depth, key, value, comment in entries:
        head = f"{'  ' * depth}{_scalar(key)}:"
        text = head if value is ... else f"{head} {_scalar(value)}"
        lines.append(f"{text}  # {' '.join(comment.split())}")
    return "\n".join(lines) + "\n"


def _scalar(value: Any) -> str:
    import yaml

    if isinstance(value, dt.date):
        return value.isoformat()
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000)
    return text.strip().removesuffix("...").strip()

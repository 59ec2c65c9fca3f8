"""Business-level covariates (growth, turnover, profit ...) merged into a cohort by id.

A covariate may also be *derived* from the file's columns by a formula, such as annual
growth from two turnover columns, ``(turnover_2009 - turnover_2008) / turnover_2008``.
A formula is arithmetic only (:func:`evaluate_formula`): the file's column names,
numbers, ``+ - * / **``, parentheses and ``log``, ``exp``, ``sqrt``, ``abs``; it is kept
with the covariates (:class:`~cma_research.core.cohort.CovariateSource`) so that the
reports can say how each derived value was computed.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cma_research.core.cohort import Cohort, CovariateSource
from cma_research.core.errors import DataValidationError, ParameterError, Problem, ProblemCollector
from cma_research.core.instrument import normalise_label
from cma_research.core.text import snake_case
from cma_research.io.returns import DEFAULT_ALIASES, DEFAULT_NA_VALUES, normalise_na
from cma_research.io.tables import RawTable, read_raw_table

__all__ = ["CovariateSource", "derived_option", "evaluate_formula", "load_covariates"]

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
    id_column: str | None = None,
    derived: Mapping[str, str] | None = None,
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
    id_column : str, optional
        The header of the business id column (compared ignoring case and spacing),
        when it is not one the returns loader knows (``business_id``, ``ID`` ...).
    derived : mapping, optional
        New covariates computed from the file's columns (by their identifiers), e.g.
        ``{"growth": "(turnover_2009 - turnover_2008) / turnover_2008"}``; see
        :func:`evaluate_formula`. A value is missing where an input is missing or the
        formula is undefined (division by zero, log of zero).

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
    id_i = _id_column(raw, id_column)
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
    formulas = _check_derived(derived, set(value_cols.values()), cohort, raw)
    for name, formula in formulas.items():
        rows.by_covariate[name] = _derive(rows.by_covariate, formula, rows.seen)
    return _merge(cohort, raw, value_cols, rows, formulas)


def _id_column(raw: RawTable, id_column: str | None = None) -> int:
    """The position of the one business id column (named, or a header load_returns accepts)."""
    if id_column is not None:
        wanted = normalise_label(id_column)
        id_idx = [i for i, h in enumerate(raw.header) if normalise_label(h) == wanted]
        expected = f"a column named {id_column!r} (id_column), once"
    else:
        id_idx = [i for i, h in enumerate(raw.header) if normalise_label(h) in _ID_HEADERS]
        expected = (
            "exactly one column named business_id (or ID) matching the returns, or name it "
            "with id_column="
        )
    if len(id_idx) != 1:
        raise DataValidationError(
            [
                Problem(
                    raw.path,
                    "no business id column" if not id_idx else "more than one business id column",
                    row=raw.header_row,
                    value=id_column,
                    expected=expected,
                )
            ]
        )
    return id_idx[0]


# -- derived covariates ------------------------------------------------------------

_FUNCTIONS = {"log": np.log, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs}
_OPERATORS: dict[type, object] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_MAX_FORMULA_CHARS = 500


def evaluate_formula(formula: str, values: Mapping[str, np.ndarray]) -> np.ndarray:
    """The value of an arithmetic formula over named columns, element by element.

    Allowed: the names in ``values``, numbers, ``+ - * / **``, unary minus,
    parentheses and the functions ``log`` (natural), ``exp``, ``sqrt`` and ``abs``.
    Nothing else is evaluated (no attribute, call or name outside these). A result that
    is not finite (division by zero, log of zero) is ``nan``, as is any missing input.

    Raises
    ------
    ParameterError
        When the formula is not such arithmetic, or names an unknown column.

    Examples
    --------
    >>> a, b = np.array([100.0, 200.0, 50.0]), np.array([110.0, 150.0, np.nan])
    >>> evaluate_formula("(t2 - t1) / t1", {"t1": a, "t2": b}).round(2).tolist()
    [0.1, -0.25, nan]
    """
    text = str(formula)
    if not text.strip() or len(text) > _MAX_FORMULA_CHARS:
        raise ParameterError(
            f"formula {text[:80]!r}: expected arithmetic of at most {_MAX_FORMULA_CHARS} characters"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise ParameterError(
            f"formula {text[:80]!r} is not arithmetic; expected e.g. "
            "(turnover_2009 - turnover_2008) / turnover_2008"
        ) from None
    with np.errstate(all="ignore"):
        result = np.asarray(_evaluate(tree.body, values, text), dtype=float)
    n = len(next(iter(values.values()))) if values else 1
    result = np.broadcast_to(result, (n,)).copy()
    result[~np.isfinite(result)] = np.nan
    return result


def _evaluate(node: ast.AST, values: Mapping[str, np.ndarray], text: str) -> Any:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)  # type: ignore[arg-type]
    if isinstance(node, ast.Name):
        if node.id not in values:
            known = ", ".join(sorted(values)) or "none"
            raise ParameterError(
                f"formula {text[:80]!r}: no column {node.id!r}; expected one of: {known}"
            )
        return values[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        op = _OPERATORS[type(node.op)]
        return op(_evaluate(node.left, values, text), _evaluate(node.right, values, text))  # type: ignore[operator]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _evaluate(node.operand, values, text)
        return np.negative(inner) if isinstance(node.op, ast.USub) else inner
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and len(node.args) == 1
        and not node.keywords
    ):
        return _FUNCTIONS[node.func.id](_evaluate(node.args[0], values, text))
    raise ParameterError(
        f"formula {text[:80]!r}: only column names, numbers, + - * / **, parentheses and "
        "log, exp, sqrt, abs are allowed"
    )


def derived_option(text: str | None) -> dict[str, str]:
    """Derived covariates given as text: ``"growth = (t2 - t1) / t1; margin = p / t2"``.

    >>> derived_option("growth = (t2 - t1) / t1; ratio=a/b")
    {'growth': '(t2 - t1) / t1', 'ratio': 'a/b'}
    """
    out: dict[str, str] = {}
    for part in (p for p in str(text or "").split(";") if p.strip()):
        name, sep, formula = part.partition("=")
        if not sep or not name.strip().isidentifier() or not formula.strip():
            raise ParameterError(
                f"covariates_derived: {part.strip()[:80]!r} is not 'name = formula', e.g. "
                "'growth = (turnover_2009 - turnover_2008) / turnover_2008'"
            )
        out[name.strip()] = formula.strip()
    return out


def _check_derived(
    derived: Mapping[str, str] | None, columns: set[str], cohort: Cohort, raw: RawTable
) -> dict[str, str]:
    """The derived covariates' formulas, each name new and each formula valid."""
    out: dict[str, str] = {}
    dummy = {c: np.ones(1) for c in columns}
    for name, formula in (derived or {}).items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ParameterError(
                f"derived covariate {str(name)[:80]!r}: expected a name like growth"
            )
        if name in columns or name in cohort.attributes.columns or name in cohort.stage_ids:
            raise ParameterError(
                f"derived covariate {name!r} already exists (in {Path(raw.path).name} or the "
                "returns); choose a new name"
            )
        evaluate_formula(formula, dummy)  # refuses anything but arithmetic, before any value
        out[name] = str(formula).strip()
    return out


def _derive(
    by_covariate: Mapping[str, Mapping[str, float]], formula: str, seen: Mapping[str, int]
) -> dict[str, float]:
    """A derived covariate's value for every business with one (missing where undefined)."""
    ids = sorted(set().union(*(set(v) for v in by_covariate.values())) if by_covariate else set())
    values = {
        name: np.array([by_id.get(b, np.nan) for b in ids], dtype=float)
        for name, by_id in by_covariate.items()
    }
    result = evaluate_formula(formula, values) if ids else np.array([])
    return {b: float(v) for b, v in zip(ids, result, strict=True) if not math.isnan(v)}


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


def _merge(
    cohort: Cohort,
    raw: RawTable,
    value_cols: dict[int, str],
    rows: _Rows,
    formulas: Mapping[str, str] | None = None,
) -> Cohort:
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
        columns=(*value_cols.values(), *(formulas or {})),
        missing=missing,
        synthetic=any("synthetic" in n for n in value_cols.values())
        or "synthetic" in Path(raw.path).name.lower(),
        extra_ids=tuple(sorted(rows.extra)),
        derived=tuple((formulas or {}).items()),
    )
    return replace(cohort, attributes=attrs, covariate_sources=(*cohort.covariate_sources, source))

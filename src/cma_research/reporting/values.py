"""Named values: the numbers a paper may cite, recorded by the notebooks (``values.json``).

In the spirit of MyST's ``glue``, a notebook records each value a manuscript may cite
under a name, with the number at full precision and the text the findings print::

    out.value("alpha", 0.853, unit="coefficient", table="cronbach_alpha", n=9,
              strategy="complete_case")            # text ".85"

Each notebook writes its values to ``tables/<NN>_values.json`` (its own file, so
notebooks running in parallel never write the same file and the build cache restores
them with the notebook); the build merges them into ``values.json``
(:func:`collect_values`, :func:`values_json`), and a manuscript cites them by name
(:mod:`cma_research.reporting.manuscript`). A name no notebook recorded is an error that
names the closest recorded names (:func:`unknown_value_error`).

A record holds ``value`` (a number, or null for a value that could not be computed or
is text only), ``text`` (as the findings print it), ``unit``, ``table`` (the table the
value is read from, ``NN_name``), ``notebook``, ``strategy`` (missing-data strategy)
and ``n`` (the number of businesses or assessments it rests on).

The default text of a number follows its unit (:data:`UNITS`), with the rules the
findings use: whole percentages for shares (rule 8 of
:mod:`~cma_research.reporting.rules`), APA's dropped leading zero for coefficients
bounded by 1, APA p-values, one decimal for levels.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cma_research.core.errors import ParameterError, ReportBuildError
from cma_research.core.files import write_atomic
from cma_research.core.text import format_number
from cma_research.reporting.text import format_p

__all__ = [
    "NAME_PATTERN",
    "UNITS",
    "NamedValue",
    "collect_values",
    "format_value",
    "latex_macro",
    "read_values",
    "record_value",
    "unknown_value_error",
    "values_json",
]

#: A value's name: snake_case, a valid identifier (``share_below_1``, ``alpha``).
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


def _percent(share: float) -> str:
    """Rule 8 of :mod:`cma_research.reporting.rules` (loaded here: the rules need pandas,
    a build that only reads values does not)."""
    from cma_research.reporting.rules import percent

    return percent(share)


#: How a number of each unit is printed when no ``text`` is given.
UNITS: dict[str, Callable[[float], str]] = {
    "count": lambda v: f"{round(v):,}",  # businesses, assessments: 1,200
    "share": _percent,  # a proportion as a whole percentage: 15%
    "percent": lambda v: f"{v:.0f}%",  # already in percent: 15%
    "coefficient": lambda v: format_number(v, bounded=True),  # r, alpha: .85, −.52
    "p": format_p,  # p = .087, p < .001
    "level": lambda v: format_number(v, 1),  # a maturity level: 2.4
    "number": lambda v: format_number(v),  # anything else: two decimals
}

#: Text of a value that could not be computed (a number that is NaN or None).
NOT_AVAILABLE = "n/a"

_FILE_SUFFIX = "values.json"


@dataclass(frozen=True)
class NamedValue:
    """One recorded value (see the module docstring for the fields)."""

    name: str
    value: float | int | None
    text: str
    unit: str | None = None
    table: str | None = None
    notebook: str | None = None
    strategy: str | None = None
    n: int | None = None

    def record(self) -> dict[str, Any]:
        """The JSON record (without the name, which is its key)."""
        out = asdict(self)
        del out["name"]
        return out


def _number(value: Any, name: str) -> float | int | None:
    if value is None or value is np.nan:
        return None
    try:
        import pandas as pd

        if value is pd.NA:
            return None
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    raise ParameterError(
        f"value {name!r}: {value!r} is not a number; pass a number (or None) and the words as text="
    )


def format_value(value: float | None, unit: str | None = None) -> str:
    """The text of a number by its unit (:data:`UNITS`; default ``number``).

    >>> format_value(0.8527, "coefficient"), format_value(0.153, "share"), format_value(16, "count")
    ('.85', '15%', '16')
    >>> format_value(0.0872, "p"), format_value(2.35, "level"), format_value(None, "share")
    ('p = .087', '2.4', 'n/a')
    """
    if unit is not None and unit not in UNITS:
        raise ParameterError(f"unit {unit!r} is not one of {', '.join(UNITS)}")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_AVAILABLE
    return UNITS[unit or "number"](float(value))


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ParameterError(
            f"value name {name!r} is not snake_case; use lower-case letters, digits and "
            "underscores, starting with a letter (e.g. 'share_below_1')"
        )


def record_value(
    path: str | Path,
    name: str,
    value: Any,
    *,
    text: str | None = None,
    unit: str | None = None,
    table: str | None = None,
    notebook: str | None = None,
    strategy: str | None = None,
    n: int | None = None,
) -> NamedValue:
    """Record one value into the JSON file ``path`` (merged; written atomically).

    Parameters
    ----------
    path : path
        A notebook's values file (``tables/<NN>_values.json``).
    name : str
        snake_case name the manuscript cites (``{alpha}``).
    value : number or None
        Full precision; None or NaN for a value that could not be computed, or for a
        value that is text only (then ``text`` is required).
    text : str, optional
        The words as the findings print them; default: the number by its ``unit``.
    unit : str, optional
        One of :data:`UNITS`; decides the default text.
    table, notebook, strategy, n : optional
        Where the value comes from and what it rests on.

    Returns
    -------
    NamedValue
    """
    _check_name(name)
    number = _number(value, name)
    if text is None:
        text = format_value(number, unit)
    elif unit is not None and unit not in UNITS:
        raise ParameterError(f"unit {unit!r} is not one of {', '.join(UNITS)}")
    record = NamedValue(
        name,
        number,
        str(text),
        unit,
        table,
        notebook,
        None if strategy is None else str(strategy),
        None if (count := _number(n, name)) is None else int(count),
    )
    target = Path(path)
    current = read_values(target) if target.is_file() else {}
    current[name] = record
    write_atomic(target, values_json(current))
    return record


def values_json(values: Mapping[str, NamedValue]) -> bytes:
    """``values.json``: one record per name, sorted, full precision, byte-stable."""
    data = {name: values[name].record() for name in sorted(values)}
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def read_values(path: str | Path) -> dict[str, NamedValue]:
    """The values of a ``values.json`` (or a notebook's ``NN_values.json``).

    Raises :class:`~cma_research.ReportBuildError` naming the file when it is not a
    mapping of names to records.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportBuildError(f"{p.name}: not readable as JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ReportBuildError(f"{p.name}: expected a mapping of value names to records")
    out: dict[str, NamedValue] = {}
    fields = set(NamedValue.__dataclass_fields__) - {"name"}
    for name, rec in data.items():
        if not isinstance(rec, dict) or "text" not in rec:
            raise ReportBuildError(f"{p.name}: value {name!r} has no record with a 'text'")
        out[str(name)] = NamedValue(str(name), **{k: v for k, v in rec.items() if k in fields})
    return out


def collect_values(
    tables_dir: str | Path, notebooks: Mapping[str, str] | None = None
) -> dict[str, NamedValue]:
    """Merge every notebook's ``NN_values.json`` in ``tables_dir``.

    Parameters
    ----------
    tables_dir : path
        A build's ``tables/`` folder.
    notebooks : mapping, optional
        Prefix (``"04"``) -> notebook name (``"04_reliability"``), so each record
        names its notebook in full.

    Raises
    ------
    ReportBuildError
        Two notebooks recorded the same name (the error names both).
    """
    merged: dict[str, NamedValue] = {}
    for path in sorted(Path(tables_dir).glob(f"*_{_FILE_SUFFIX}")):
        prefix = path.name[: -len(_FILE_SUFFIX) - 1]
        for name, rec in read_values(path).items():
            where = (notebooks or {}).get(prefix, rec.notebook or prefix)
            if name in merged:
                raise ReportBuildError(
                    f"value {name!r} is recorded by two notebooks, {merged[name].notebook} and "
                    f"{where}; give one of them another name"
                )
            merged[name] = NamedValue(**{**asdict(rec), "notebook": where})
    return merged


def close_names(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The recorded names closest to ``name`` (difflib), best first.

    >>> close_names("alhpa", ["alpha", "alpha_ci95_low", "n_businesses"])
    ['alpha']
    """
    return difflib.get_close_matches(name, sorted(known), n=n, cutoff=0.5)


def unknown_value_error(name: str, known: Iterable[str], where: str) -> ReportBuildError:
    """The error for a cited value no notebook recorded, with the closest names.

    >>> print(unknown_value_error("alhpa", ["alpha", "n_businesses"], "paper.md, line 3"))
    paper.md, line 3: no notebook recorded a value named 'alhpa'; closest: alpha
    """
    near = close_names(name, known)
    hint = f"closest: {', '.join(near)}" if near else "no recorded name is close"
    return ReportBuildError(f"{where}: no notebook recorded a value named {name!r}; {hint}")


_DIGITS = ("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")


def latex_macro(name: str, prefix: str = "cma") -> str:
    """The LaTeX macro name of a value: letters only (LaTeX allows no digits or ``_``).

    >>> latex_macro("alpha"), latex_macro("share_below_1"), latex_macro("size_ci95_low")
    ('cmaAlpha', 'cmaShareBelowOne', 'cmaSizeCiNineFiveLow')
    """
    _check_name(name)
    parts = []
    for word in name.split("_"):
        if not word:
            continue
        spelled = re.sub(r"\d", lambda m: _DIGITS[int(m.group())], word)
        parts.append(spelled[0].upper() + spelled[1:])
    return prefix + "".join(parts)

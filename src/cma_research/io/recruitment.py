"""The recruitment funnel of a cohort study (how many businesses reached each step)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cma_research.core.errors import DataValidationError, Problem, ProblemCollector
from cma_research.io.tables import read_raw_table

__all__ = ["load_recruitment"]

_COLUMNS = ("step", "count", "approximate", "section", "quote")


def load_recruitment(path: str | Path) -> pd.DataFrame:
    """Read a recruitment-funnel file (``step, count, approximate, section, quote``).

    Returns
    -------
    DataFrame
        The steps in file order: ``step`` (string), ``count`` (int64), ``approximate``
        (bool), ``section``, ``quote`` (string), plus ``share_of_previous`` (count over
        the previous step's count; NaN for the first step).

    Raises
    ------
    DataValidationError
        Missing column, or a count that is not a whole number >= 0, naming the row.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> funnel = load_recruitment(bundled_path("customer_wise_2007_recruitment.csv"))
    >>> funnel["count"].tolist()[-2:]
    [46, 16]
    """
    raw = read_raw_table(path)
    header = [h.strip().lower() for h in raw.header]
    missing = [c for c in _COLUMNS if c not in header]
    if missing:
        raise DataValidationError(
            [
                Problem(
                    raw.path,
                    f"missing required column {c!r}",
                    row=raw.header_row,
                    column=c,
                    expected=f"columns {', '.join(_COLUMNS)}",
                )
                for c in missing
            ]
        )
    idx = {c: header.index(c) for c in _COLUMNS}
    col = ProblemCollector(raw.path, limit=50)
    records = []
    for number, cells in raw.rows:
        get = {c: (cells[i].strip() if i < len(cells) else "") for c, i in idx.items()}
        if not get["count"].isdigit():
            col.add(
                "count is not a whole number",
                row=number,
                column="count",
                value=get["count"],
                expected="a whole number of businesses, 0 or more",
            )
            continue
        if get["approximate"].lower() not in ("true", "false"):
            col.add(
                "approximate is not true/false",
                row=number,
                column="approximate",
                value=get["approximate"],
                expected="true or false",
            )
            continue
        records.append(
            {**get, "count": int(get["count"]), "approximate": get["approximate"].lower() == "true"}
        )
    col.raise_if_any()
    out = pd.DataFrame(records, columns=list(_COLUMNS))
    out["count"] = out["count"].astype("int64")
    out["approximate"] = out["approximate"].astype(bool)
    for c in ("step", "section", "quote"):
        out[c] = out[c].astype("string")
    out["share_of_previous"] = out["count"] / out["count"].shift(1)
    return out

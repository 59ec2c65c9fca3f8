"""Helpers shared by the change figures (:mod:`cma_research.plotting.change`,
:mod:`~cma_research.plotting.transitions`, :mod:`~cma_research.plotting.waves`)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.axes import Axes

from cma_research.core.errors import ParameterError

__all__ = ["left_title", "one_value", "plain"]


def plain(text: Any) -> str:
    """Data-derived text drawn literally: ``$`` escaped so mathtext never starts."""
    return str(text).replace("$", r"\$")


def left_title(ax: Axes, title: str | None, pad: float | None = None) -> None:
    """The title, if any, drawn literally at the left."""
    if title:
        ax.set_title(plain(title), loc="left", pad=pad)


def one_value(table: pd.DataFrame, column: str, producer: str) -> str:
    """The one value of ``column`` (a table for one pair of waves), else ParameterError."""
    values = table[column].dropna().unique()
    if len(values) != 1:
        raise ParameterError(
            f"the table's {column!r} column holds {len(values)} different values; pass the "
            f"output of {producer} for one pair of waves"
        )
    return str(values[0])

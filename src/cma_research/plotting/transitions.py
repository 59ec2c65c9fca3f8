"""Figure of level transitions between two audit waves (:func:`~cma_research.transition_table`).

Text taken from data is drawn literally (a ``$`` in a wave or level label never starts
matplotlib mathtext).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from cma_research.core.errors import ParameterError
from cma_research.plotting._change_common import left_title, plain
from cma_research.plotting.style import (
    SINGLE_COLUMN,
    axes_for,
)

__all__ = ["plot_transition_heatmap"]


# -- transitions --------------------------------------------------------------------------


def plot_transition_heatmap(
    table: pd.DataFrame,
    *,
    baseline_label: str | None = None,
    follow_up_label: str | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Counts of businesses moving from each level (rows) to each level (columns).

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~cma_research.transition_table`: baseline states as the index,
        follow-up states as the columns (every level, then *not assessed*), counts.
    baseline_label, follow_up_label : str, optional
        Wave labels for the axis titles; default the table's ``attrs["baseline"]`` /
        ``attrs["follow_up"]``, else its index / columns names, else "baseline" /
        "follow-up".
    title : str, optional
        E.g. the stage's name.
    ax : Axes, optional
    **kwargs
        Passed to :meth:`Axes.pcolormesh`.

    Returns
    -------
    Axes
        The first row is at the top. Every cell is annotated with its count (gid
        ``"count"``, row by row); cells whose row and column are the same state (no
        change) are outlined (gid ``"diagonal"``). Cells above the diagonal are moves
        to a later column, i.e. up the levels when columns are in level order.
    """
    if table.shape[0] == 0 or table.shape[1] == 0:
        raise ParameterError("the transition table is empty; pass transition_table()")
    counts = table.to_numpy(dtype=float, na_value=np.nan)
    n_rows, n_cols = counts.shape
    ax = axes_for(ax, size=(SINGLE_COLUMN, SINGLE_COLUMN))
    vmax = max(float(np.nanmax(counts)), 1.0) if not np.isnan(counts).all() else 1.0
    mesh_kw: dict[str, Any] = {"cmap": "Blues", "vmin": 0, "vmax": vmax}
    ax.pcolormesh(counts, edgecolors="white", linewidth=0.5, gid="counts", **{**mesh_kw, **kwargs})
    threshold = vmax * 0.6
    for i in range(n_rows):
        for j in range(n_cols):
            value = counts[i, j]
            text = "" if np.isnan(value) else f"{int(value)}"
            ax.text(
                j + 0.5,
                i + 0.5,
                text,
                ha="center",
                va="center",
                fontsize=7,
                color="white" if value > threshold else ("#9e9e9e" if value == 0 else "#000000"),
                gid="count",
            )
    rows = [str(r) for r in table.index]
    cols = [str(c) for c in table.columns]
    for i, r in enumerate(rows):
        if r in cols:
            j = cols.index(r)
            ax.add_patch(Rectangle((j, i), 1, 1, fill=False, ec="#000000", lw=0.9, gid="diagonal"))
    ax.set_xticks(np.arange(n_cols) + 0.5)
    ax.set_xticklabels([plain(c) for c in cols], rotation=45, ha="right")
    ax.set_yticks(np.arange(n_rows) + 0.5)
    ax.set_yticklabels([plain(r) for r in rows])
    ax.set_xlim(0, n_cols)
    ax.set_ylim(n_rows, 0)  # first row at the top

    def label(given: str | None, key: str, name: Any, default: str) -> str:
        if given:
            return given
        if table.attrs.get(key):
            return str(table.attrs[key])
        return str(name) if name is not None else default

    base = label(baseline_label, "baseline", table.index.name, "baseline")
    follow = label(follow_up_label, "follow_up", table.columns.name, "follow-up")
    ax.set_ylabel(plain(f"level at {base}"))
    ax.set_xlabel(plain(f"level at {follow}"))
    ax.tick_params(length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    left_title(ax, title)
    return ax

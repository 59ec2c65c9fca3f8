"""Level distributions per stage, the missingness map and the recruitment funnel."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.legend import Legend
from matplotlib.patches import Patch

from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.plotting.style import (
    DOUBLE_COLUMN,
    NOT_ASSESSED_COLOR,
    OKABE_ITO,
    SINGLE_COLUMN,
    axes_for,
    escape_mathtext,
    level_colors,
    require_columns,
)

__all__ = ["plot_funnel", "plot_level_distribution", "plot_missingness"]


# -- shared by the stacked level bars (also plotting.change) ------------------------------


def level_columns(table: pd.DataFrame, producer: str) -> list[str]:
    """The table's ``n_level_<v>`` columns in level order, else ParameterError."""
    level_cols = sorted(
        (c for c in table.columns if c.startswith("n_level_")), key=lambda c: int(c.split("_")[-1])
    )
    if not level_cols:
        raise ParameterError(f"the table has no n_level_<v> columns; pass {producer}")
    return level_cols


def level_names(
    table: pd.DataFrame, levels: Sequence[int], level_labels: Mapping[int, str] | None
) -> list[str]:
    """Legend text of each level: ``"0 Proto"``, as the transition tables name levels.

    The labels are ``level_labels``, else the table's ``attrs["level_labels"]`` (set by
    :func:`~cma_research.level_distribution`); a level without a label is its number.
    Text taken from data is drawn literally (:func:`escape_mathtext`).
    """
    labels = level_labels if level_labels is not None else table.attrs.get("level_labels", {})
    names = []
    for v in levels:
        label = str(labels.get(v, "") or "").strip()
        names.append(escape_mathtext(f"{v} {label}" if label else f"{v}"))
    return names


def share_axis(ax: Axes, xlabel: str, *, n_levels: int) -> Legend:
    """Shares from 0 to 100% on x, and the level legend (levels + not assessed) on top.

    The legend is one row when it fits the width of the axes; long level labels wrap it
    onto as few rows as fit (its width is measured, not guessed from the text).
    """
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))
    entries = n_levels + 1
    rows = 1
    while True:
        ncol = math.ceil(entries / rows)
        legend = ax.legend(
            title="level",
            ncol=ncol,
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            handlelength=1.0,
            columnspacing=0.8,
        )
        if ncol == 1 or legend.get_window_extent().width <= ax.get_window_extent().width:
            return legend
        rows += 1


# -- level distribution -----------------------------------------------------------------


def plot_level_distribution(
    table: pd.DataFrame,
    *,
    include_all: bool = False,
    labels: Literal["stage", "name"] = "name",
    level_labels: Mapping[int, str] | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """One horizontal stacked bar per stage: levels in order, then *not assessed*.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~cma_research.level_distribution`.
    include_all : bool
        Also draw the pooled ``all`` row.
    labels : {"name", "stage"}
        Bar labels.
    level_labels : mapping of int to str, optional
        The instrument's label of each level value; None: the table's
        ``attrs["level_labels"]`` (which :func:`~cma_research.level_distribution` sets),
        else the level numbers alone.
    ax : Axes, optional
    **kwargs
        Passed to :meth:`Axes.barh`.

    Returns
    -------
    Axes
        Bars are shares of the cohort (assessed + not assessed = 1). Each bar is
        annotated with ``n = <assessed>``; a level no business reached draws a zero-width
        segment (so legends and colours never shift). The legend names each level by
        number and label (``"4 Run"``), as the transition tables do.
    """
    require_columns(
        table, ["stage", "name", "n_assessed", "n_not_assessed"], "level_distribution()"
    )
    level_cols = level_columns(table, "level_distribution()")
    rows = table if include_all else table[table["stage"] != "all"]
    rows = rows.iloc[::-1]  # first stage at the top
    ax = axes_for(ax, size=(DOUBLE_COLUMN, 0.28 * len(rows) + 1.0))
    totals = (rows["n_assessed"] + rows["n_not_assessed"]).to_numpy(dtype=float)
    totals[totals == 0] = 1.0
    left = np.zeros(len(rows))
    y = np.arange(len(rows))
    levels = [int(c.split("_")[-1]) for c in level_cols]
    colors = level_colors(levels)
    names = level_names(table, levels, level_labels)
    for col, level, color, name in zip(level_cols, levels, colors, names, strict=True):
        width = rows[col].to_numpy(dtype=float) / totals
        ax.barh(
            y,
            width,
            left=left,
            color=color,
            height=0.7,
            label=name,
            gid=f"level_{level}",
            edgecolor="white",
            linewidth=0.3,
            **kwargs,
        )
        left += width
    width = rows["n_not_assessed"].to_numpy(dtype=float) / totals
    ax.barh(
        y,
        width,
        left=left,
        color=NOT_ASSESSED_COLOR,
        height=0.7,
        label="not assessed",
        gid="not_assessed",
        hatch="///",
        edgecolor="white",
        linewidth=0.3,
        **kwargs,
    )
    for yi, n in zip(y, rows["n_assessed"].to_numpy(dtype=int), strict=True):
        ax.text(1.01, float(yi), f"n = {n}", va="center", ha="left", fontsize=6, gid="n_label")
    ax.set_yticks(y)
    ax.set_yticklabels([escape_mathtext(v) for v in rows[labels]])
    share_axis(ax, "share of businesses", n_levels=len(levels))
    return ax


def plot_missingness(cohort: Cohort, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Which business lacks which stage: assessed cells dark, not assessed light.

    Rows are in file order, labelled with business ids; the right margin gives each
    business's number of assessed stages and the top margin each stage's.
    """
    assessed = cohort.scores.notna().to_numpy()
    k = assessed.shape[1]
    ax = axes_for(ax, size=(SINGLE_COLUMN, 0.18 * len(assessed) + 1.2))
    cmap = ListedColormap([NOT_ASSESSED_COLOR, "#253494"])
    ax.pcolormesh(
        assessed.astype(float),
        cmap=cmap,
        vmin=0,
        vmax=1,
        edgecolors="white",
        linewidth=0.5,
        gid="assessed",
        **kwargs,
    )
    ids = cohort.scores.index.get_level_values("business_id")
    ax.set_yticks(np.arange(len(ids)) + 0.5)
    ax.set_yticklabels([escape_mathtext(b) for b in ids])
    ax.set_xticks(np.arange(k) + 0.5)
    ax.set_xticklabels([str(s.number) for s in cohort.instrument.stages])
    for i, count in enumerate(assessed.sum(axis=1)):
        ax.text(k + 0.2, i + 0.5, str(int(count)), va="center", fontsize=6, gid="row_count")
    for j, count in enumerate(assessed.sum(axis=0)):
        ax.text(
            j + 0.5, -0.3, str(int(count)), ha="center", va="bottom", fontsize=6, gid="col_count"
        )
    ax.invert_yaxis()
    ax.tick_params(length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(f"{cohort.instrument.stage_noun}")
    ax.legend(
        handles=[
            Patch(color="#253494", label="assessed"),
            Patch(color=NOT_ASSESSED_COLOR, label="not assessed"),
        ],
        loc="upper left",
        bbox_to_anchor=(0, -0.08 - 1.2 / max(len(ids), 1)),
        ncol=2,
    )
    return ax


def plot_funnel(table: pd.DataFrame, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Recruitment funnel: one horizontal bar per step on a log scale, counts annotated.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~cma_research.load_recruitment`; approximate counts are
        marked "about".
    ax : Axes, optional
    **kwargs
        Passed to :meth:`Axes.barh`.
    """
    require_columns(table, ["step", "count", "approximate"], "load_recruitment()")
    ax = axes_for(ax, size=(DOUBLE_COLUMN * 0.8, 0.3 * len(table) + 0.8))
    y = np.arange(len(table))[::-1]
    counts = table["count"].to_numpy(dtype=float)
    ax.barh(y, counts, color=OKABE_ITO[0], height=0.65, gid="steps", **kwargs)
    ax.set_xscale("log")
    ax.set_xlim(1, counts.max() * 8)
    for yi, count, approx in zip(y, counts, table["approximate"], strict=True):
        label = f"{'about ' if approx else ''}{int(count):,}"
        ax.text(count * 1.15, float(yi), label, va="center", fontsize=7, gid="count_label")
    ax.set_yticks(y)
    ax.set_yticklabels([escape_mathtext(s) for s in table["step"]])
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel("businesses (log scale)")
    ax.tick_params(axis="y", length=0)
    return ax

"""Heatmaps: the cohort (businesses x stages) and the inter-stage correlations."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.patches import Patch, Rectangle

from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.text import format_number
from cma_research.plotting.style import (
    NOT_ASSESSED_COLOR,
    SINGLE_COLUMN,
    axes_for,
    escape_mathtext,
    level_colors,
    require_columns,
)

__all__ = ["plot_cohort_heatmap", "plot_stage_correlations"]


# -- heatmaps -----------------------------------------------------------------------------


def plot_cohort_heatmap(
    cohort: Cohort,
    *,
    order_by: Literal["mean", "staff", "file"] = "mean",
    labels: Literal["business_type", "business_id", "hidden"] = "business_id",
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Businesses x stages, levels as colour; not-assessed cells hatched grey, never 0.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    order_by : {"mean", "staff", "file"}
        Row order: mean assessed level (highest first), staff (largest first), or as read.
    labels : {"business_id", "business_type", "hidden"}
        Row labels (``hidden`` for anonymity).
    ax : Axes, optional
    **kwargs
        Passed to :meth:`Axes.pcolormesh`.
    """
    scores = cohort.scores.to_numpy(dtype=float, na_value=np.nan)
    attrs = cohort.attributes
    if order_by == "mean":
        with np.errstate(invalid="ignore"):
            key = -np.nanmean(np.where(np.isnan(scores), np.nan, scores), axis=1)
    elif order_by == "staff":
        key = -attrs["staff"].to_numpy(dtype=float, na_value=np.nan)
    elif order_by == "file":
        key = np.arange(len(scores), dtype=float)
    else:
        raise ParameterError(f"order_by={order_by!r} is not one of 'mean', 'staff', 'file'")
    order = np.lexsort((np.arange(len(key)), np.nan_to_num(key, nan=np.inf)))
    data = scores[order]
    inst = cohort.instrument
    levels = inst.level_values
    cmap = ListedColormap(level_colors(levels)).with_extremes(bad=NOT_ASSESSED_COLOR)
    norm = BoundaryNorm(np.arange(levels[0] - 0.5, levels[-1] + 1.5), cmap.N)
    ax = axes_for(ax, size=(SINGLE_COLUMN * 1.3, 0.18 * len(data) + 1.2))
    mesh = ax.pcolormesh(
        np.ma.masked_invalid(data),
        cmap=cmap,
        norm=norm,
        edgecolors="white",
        linewidth=0.5,
        gid="levels",
        **kwargs,
    )
    rows, cols = np.nonzero(np.isnan(data))
    for r, c in zip(rows, cols, strict=True):
        ax.add_patch(
            Rectangle(
                (float(c), float(r)),
                1,
                1,
                facecolor="none",
                edgecolor="#969696",
                hatch="////",
                lw=0,
                gid="not_assessed",
            )
        )
    ax.set_xticks(np.arange(len(inst.stages)) + 0.5)
    ax.set_xticklabels([str(s.number) for s in inst.stages])
    ax.set_xlabel(f"{inst.stage_noun} (journey order)")
    if labels == "hidden":
        ax.set_yticks([])
    else:
        if labels == "business_id":
            names = cohort.scores.index.get_level_values("business_id").to_numpy()
        elif labels == "business_type":
            names = attrs["business_type"].fillna("").to_numpy()
        else:
            raise ParameterError(
                f"labels={labels!r} is not one of 'business_id', 'business_type', 'hidden'"
            )
        ax.set_yticks(np.arange(len(data)) + 0.5)
        ax.set_yticklabels([escape_mathtext(n) for n in names[order]])
    ax.invert_yaxis()
    ax.tick_params(length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    fig = ax.figure
    cbar = fig.colorbar(mesh, ax=ax, ticks=levels, fraction=0.05, pad=0.02)
    cbar.set_label("level")
    ax.legend(
        handles=[
            Patch(
                facecolor=NOT_ASSESSED_COLOR,
                edgecolor="#969696",
                hatch="////",
                label="not assessed",
            )
        ],
        loc="upper left",
        bbox_to_anchor=(0, -0.08 - 1.2 / max(len(data), 1)),
    )
    return ax


def plot_stage_correlations(
    table: pd.DataFrame,
    *,
    annotate: Literal["r", "n", "both", "none"] = "r",
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Lower-triangle heatmap of inter-stage correlations (diverging, centred on 0).

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~cma_research.stage_correlations`.
    annotate : {"r", "n", "both", "none"}
        Write r, the pairwise n, or both in each cell.
    ax : Axes, optional
    **kwargs
        Passed to :meth:`Axes.pcolormesh`.
    """
    require_columns(table, ["x", "y", "r", "n"], "stage_correlations()")
    stages = list(dict.fromkeys([*table["x"], *table["y"]]))
    k = len(stages)
    pos = {s: i for i, s in enumerate(stages)}
    r = np.full((k, k), np.nan)
    n = np.full((k, k), np.nan)
    for row in table.itertuples(index=False):
        i, j = pos[str(row.y)], pos[str(row.x)]  # lower triangle: row index > column index
        r[i, j] = float(row.r)  # type: ignore[arg-type]
        n[i, j] = float(row.n)  # type: ignore[arg-type]
    # the first row and last column of a lower triangle are empty: drop them
    r, n = r[1:, :-1], n[1:, :-1]
    ax = axes_for(ax, size=(SINGLE_COLUMN * 1.2, SINGLE_COLUMN))
    mesh = ax.pcolormesh(
        np.ma.masked_invalid(r),
        cmap="RdBu_r",
        vmin=-1,
        vmax=1,
        edgecolors="white",
        linewidth=0.5,
        gid="r",
        **kwargs,
    )
    if annotate != "none":
        for i in range(k - 1):
            for j in range(k - 1):
                if np.isnan(n[i, j]):
                    continue
                parts = []
                if annotate in ("r", "both"):
                    parts.append("" if np.isnan(r[i, j]) else format_number(r[i, j], bounded=True))
                if annotate in ("n", "both"):
                    parts.append(f"n={int(n[i, j])}")
                ax.text(
                    j + 0.5,
                    i + 0.5,
                    "\n".join(parts),
                    ha="center",
                    va="center",
                    fontsize=5,
                    color="white" if abs(np.nan_to_num(r[i, j])) > 0.6 else "black",
                    gid="cell_label",
                )
    labels = [escape_mathtext(str(s).replace("stage_", "")) for s in stages]
    ax.set_xticks(np.arange(k - 1) + 0.5)
    ax.set_xticklabels(labels[:-1])
    ax.set_yticks(np.arange(k - 1) + 0.5)
    ax.set_yticklabels(labels[1:])
    ax.invert_yaxis()
    ax.tick_params(length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    method = str(table["method"].iloc[0]) if "method" in table else "r"
    cbar = ax.figure.colorbar(mesh, ax=ax, fraction=0.05, pad=0.02)
    cbar.set_label(f"{method} correlation")
    return ax

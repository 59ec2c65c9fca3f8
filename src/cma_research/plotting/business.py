"""Figures of a business report: the radar against peers and a dot-and-bar strip.

The radar is the field's familiar picture; the strip shows the same numbers on a
straight scale (a radar's area grows with the square of the level and depends on the
order of the stages, a strip's position does not).
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.projections.polar import PolarAxes

from cma_research.plotting.radar import plot_radar
from cma_research.plotting.style import OKABE_ITO, axes_for, require_columns

__all__ = [
    "RADAR_SIZE",
    "STRIP_WIDTH",
    "plot_business_radar",
    "plot_stage_strip",
    "radar_figure",
    "strip_figure",
]

_PEER = "#9e9e9e"
_MEDIAN = "#424242"


def plot_business_radar(
    profile: pd.DataFrame,
    *,
    target_level: int | None = None,
    max_level: int = 5,
    business_label: str = "this business",
    ax: Axes | None = None,
) -> Axes:
    """Radar of one business against its peers, laid out so no text overlaps.

    The ring numbers sit on a ray halfway between the first two stages (not on the
    first stage's spoke, where its label is), stage labels are pushed out past the
    outer ring, and the legend goes below the chart.

    Parameters
    ----------
    profile : DataFrame
        Columns ``stage``, ``short_name``, ``level``, ``median``, ``q1``, ``q3``
        (NaN peer statistics, e.g. suppressed, leave a gap).
    target_level, max_level, business_label
        As for :func:`~cma_research.plotting.plot_radar`.
    ax : polar Axes, optional

    Returns
    -------
    Axes
    """
    ax = axes_for(ax, polar=True)
    show_peers = bool(profile["median"].notna().any())
    plot_radar(
        profile,
        show_peers=show_peers,
        target_level=target_level,
        max_level=max_level,
        labels="short_name",
        business_label=business_label,
        ax=ax,
    )
    polar = cast(PolarAxes, ax)
    k = len(profile)
    polar.set_rlabel_position(180.0 / k)
    ax.tick_params(axis="x", pad=9)
    for label in ax.get_xticklabels():
        x, _ = label.get_position()
        # right half of the circle: text starts at the tick; left half: ends at it
        angle = (float(x) % (2 * np.pi)) / (2 * np.pi)
        if 0.02 < angle < 0.48:
            label.set_horizontalalignment("left")
        elif 0.52 < angle < 0.98:
            label.set_horizontalalignment("right")
        else:
            label.set_horizontalalignment("center")
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.17),
        ncol=2,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.2,
    )
    return ax


def plot_stage_strip(
    table: pd.DataFrame,
    *,
    min_level: int = 0,
    max_level: int = 5,
    target_level: int | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """One row per stage: the peers' interquartile bar and median, the business's dot.

    Parameters
    ----------
    table : DataFrame
        Columns ``short_name``, ``level`` (NaN = not assessed, written as such, never
        drawn at 0), ``median``, ``q1``, ``q3`` (NaN = no peer statistic shown).
    min_level, max_level : int
        The instrument's scale.
    target_level : int, optional
        Drawn as a dashed vertical line.
    ax : Axes, optional
    **kwargs
        Passed to the business's dots.

    Returns
    -------
    Axes
        Artists carry ``gid`` values ``"business"``, ``"peer_iqr"``, ``"peer_median"``,
        ``"target"``.
    """
    require_columns(table, ["short_name", "level", "median", "q1", "q3"], "stage_profile()")
    k = len(table)
    ax = axes_for(ax, size=(4.2, 0.28 * k + 0.9))
    y = np.arange(k)[::-1].astype(float)
    level = table["level"].to_numpy(dtype=float)
    med = table["median"].to_numpy(dtype=float)
    q1 = table["q1"].to_numpy(dtype=float)
    q3 = table["q3"].to_numpy(dtype=float)
    peers = ~np.isnan(med)
    ax.barh(
        y[peers],
        (q3 - q1)[peers] + 0.06,
        left=q1[peers] - 0.03,
        height=0.46,
        color=_PEER,
        alpha=0.45,
        lw=0,
        gid="peer_iqr",
    )
    ax.scatter(med[peers], y[peers], marker="|", s=140, color=_MEDIAN, lw=1.6, gid="peer_median")
    if target_level is not None:
        ax.axvline(target_level, color="#000000", lw=0.8, ls="--", gid="target", zorder=1)
    done = ~np.isnan(level)
    style = {"s": 30, "color": OKABE_ITO[0], "zorder": 3, "clip_on": False, **kwargs}
    ax.scatter(level[done], y[done], gid="business", **style)
    ax.set_yticks(y)
    ax.set_yticklabels(
        [
            # "$" escaped: text from data is drawn as written, never as mathematics
            str(s).replace("_", " ").replace("$", r"\$") + ("" if ok else "\n(not assessed)")
            for s, ok in zip(table["short_name"], done, strict=True)
        ]
    )
    for tick, ok in zip(ax.get_yticklabels(), done, strict=True):
        if not ok:
            tick.set_color("#616161")
            tick.set_fontstyle("italic")
    ax.set_xlim(min_level - 0.3, max_level + 0.3)
    ax.set_ylim(-0.7, k - 0.3)
    ax.set_xticks(range(min_level, max_level + 1))
    ax.set_xlabel("level")
    ax.grid(axis="x", lw=0.4, color="#e0e0e0")
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    handles = [
        Line2D([], [], marker="o", ls="", color=OKABE_ITO[0], label="this business"),
        Patch(color=_PEER, alpha=0.45, label="peers: interquartile range"),
        Line2D([], [], marker="|", ls="", ms=9, mew=1.6, color=_MEDIAN, label="peers: median"),
    ]
    if target_level is not None:
        handles.append(
            Line2D([], [], color="#000000", lw=0.8, ls="--", label=f"target: level {target_level}")
        )
    # the legend sits a fixed 0.42 in below the axes, whatever the number of stages
    fig = ax.get_figure(root=True)
    height_in = ax.get_position().height * (fig.get_figheight() if fig is not None else 3.0)
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.42 / max(height_in, 0.5)),
        ncol=2,
        frameon=False,
    )
    return ax


#: Size in inches of :func:`radar_figure` and width of :func:`strip_figure`.
RADAR_SIZE = (5.4, 4.4)
STRIP_WIDTH = 4.4


def radar_figure(
    profile: pd.DataFrame, *, target_level: int | None = None, max_level: int = 5
) -> Figure:
    """A stand-alone radar figure with a fixed layout (room for labels and legend).

    The layout is fixed rather than computed with ``bbox_inches="tight"``, which draws
    every figure twice; the tests check that no text overlaps or leaves the figure.
    """
    fig = Figure(figsize=RADAR_SIZE)
    w, h = RADAR_SIZE
    side = 2.75
    ax = fig.add_axes(((w - side) / 2 / w, 1.0 / h, side / w, side / h), projection="polar")
    plot_business_radar(profile, target_level=target_level, max_level=max_level, ax=ax)
    return fig


def strip_figure(
    table: pd.DataFrame,
    *,
    min_level: int = 0,
    max_level: int = 5,
    target_level: int | None = None,
) -> Figure:
    """A stand-alone strip figure, 0.3 in per stage, with a fixed layout."""
    k = len(table)
    h = 0.3 * k + 1.15
    fig = Figure(figsize=(STRIP_WIDTH, h))
    ax = fig.add_axes((1.45 / STRIP_WIDTH, 0.95 / h, 2.8 / STRIP_WIDTH, (h - 1.0) / h))
    plot_stage_strip(
        table, min_level=min_level, max_level=max_level, target_level=target_level, ax=ax
    )
    return fig

"""Figures of paired change between audit waves: slopes per business, forest per stage.

Each function draws a table the statistics computed (:func:`~cma_research.paired_change`
and the per-wave tables of :mod:`cma_research.analysis.change_scores`); none of them
computes a statistic. The transition heatmap is in :mod:`cma_research.plotting.transitions`,
the per-wave distributions and radar in :mod:`cma_research.plotting.waves`. Wave
labels, stage names and level labels come from those tables, so the figures speak the
instrument's and the study's language. Text taken from data is drawn literally (a ``$``
in a business type or wave label never starts matplotlib mathtext).
"""

from __future__ import annotations

from typing import Any, Literal

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from cma_research.core.errors import ParameterError
from cma_research.plotting._change_common import left_title, one_value, plain
from cma_research.plotting.style import (
    OKABE_ITO,
    SINGLE_COLUMN,
    axes_for,
    require_columns,
)
from cma_research.plotting.transitions import plot_transition_heatmap
from cma_research.plotting.waves import plot_level_distribution_by_wave, plot_radar_waves

# plot_transition_heatmap (transitions.py), plot_level_distribution_by_wave and
# plot_radar_waves (waves.py) stay importable from here.
__all__ = [
    "DIRECTION_COLORS",
    "plot_change_forest",
    "plot_level_distribution_by_wave",
    "plot_paired_slopes",
    "plot_radar_waves",
    "plot_transition_heatmap",
]

#: Colours of the directions of change (Okabe-Ito blue / vermillion, neutral grey).
DIRECTION_COLORS = {"improved": OKABE_ITO[0], "no_change": "#8c8c8c", "declined": OKABE_ITO[3]}


# -- paired slopes ----------------------------------------------------------------------


def plot_paired_slopes(
    table: pd.DataFrame,
    *,
    level_range: tuple[float, float] | None = None,
    target_level: float | None = None,
    label_businesses: bool = False,
    title: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Each business's score at two waves: one line per business audited at both.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~cma_research.analysis.change_scores.scores_by_wave`.
    level_range : (float, float), optional
        y-axis limits, e.g. the instrument's lowest and highest level.
    target_level : float, optional
        Draw a dashed line at this level (gid ``"target"``), e.g. the recommended target.
    label_businesses : bool
        Write each business id beside its follow-up point (or its only point).
    title : str, optional
    ax : Axes, optional
    **kwargs
        Passed to the lines of the paired businesses (e.g. ``linewidth``, ``alpha``).

    Returns
    -------
    Axes
        x = 0 is the baseline wave and x = 1 the follow-up, both labelled with their wave
        labels. A business audited at both waves is a line coloured by the sign of its
        change (gids ``"improved"``, ``"no_change"``, ``"declined"``). A business audited
        at the baseline only (a drop-out) is a hollow square at x = 0 (gid
        ``"dropped_out"``); one audited at the follow-up only a hollow square at x = 1
        (gid ``"follow_up_only"``); one audited at both but assessed on no stage at one
        of them is a hollow circle at its scored wave (gid ``"unscored"``). The legend
        gives the number of businesses in each group.
    """
    require_columns(
        table,
        ["business_id", "baseline", "follow_up", "score_baseline", "score_follow_up", "status"],
        "scores_by_wave()",
    )
    base_label = one_value(table, "baseline", "scores_by_wave()")
    follow_label = one_value(table, "follow_up", "scores_by_wave()")
    ax = axes_for(ax, size=(SINGLE_COLUMN, SINGLE_COLUMN * 1.1))
    counts = dict.fromkeys(
        ("improved", "no_change", "declined", "dropped_out", "follow_up_only", "unscored"), 0
    )
    b_all = table["score_baseline"].to_numpy(dtype=float, na_value=np.nan)
    f_all = table["score_follow_up"].to_numpy(dtype=float, na_value=np.nan)
    for bid, status, b, f in zip(table["business_id"], table["status"], b_all, f_all, strict=True):
        if status == "paired" and not (np.isnan(b) or np.isnan(f)):
            kind = "improved" if f > b else "declined" if f < b else "no_change"
            style = {"color": DIRECTION_COLORS[kind], "lw": 1.0, "marker": "o", "ms": 3.5}
            ax.plot([0, 1], [b, f], gid=kind, **{**style, **kwargs})
            end_x, end_y = 1.0, f
        else:
            if status == "paired":
                kind, marker = "unscored", "o"
            elif status == "baseline_only":
                kind, marker = "dropped_out", "s"
            elif status == "follow_up_only":
                kind, marker = "follow_up_only", "s"
            else:
                raise ParameterError(
                    f"status={status!r} (business {bid!r}) is not one of 'paired', "
                    "'baseline_only', 'follow_up_only'; pass the output of scores_by_wave()"
                )
            end_x, end_y = (0.0, b) if not np.isnan(b) else (1.0, f)
            if np.isnan(end_y):
                continue  # assessed on no stage at the one wave it was audited
            ax.plot(
                [end_x],
                [end_y],
                ls="none",
                marker=marker,
                ms=5,
                mfc="white",
                mec="#000000" if kind != "unscored" else "#8c8c8c",
                mew=1.0,
                gid=kind,
            )
        counts[kind] += 1
        if label_businesses:
            dx = 0.06 if end_x == 1.0 else -0.06
            ax.text(
                end_x + dx,
                end_y,
                plain(bid),
                ha="left" if dx > 0 else "right",
                va="center",
                fontsize=6,
                gid="business_label",
            )
    names = {
        "improved": f"higher at {follow_label}",
        "no_change": "no change",
        "declined": f"lower at {follow_label}",
        "dropped_out": f"{base_label} only (dropped out)",
        "follow_up_only": f"{follow_label} only",
        "unscored": "no stage assessed at one wave",
    }
    handles = []
    for kind, n in counts.items():
        if not n:
            continue
        if kind in DIRECTION_COLORS:
            h = Line2D([], [], color=DIRECTION_COLORS[kind], marker="o", ms=3.5, lw=1.0)
        else:
            h = Line2D(
                [],
                [],
                ls="none",
                marker="s" if kind != "unscored" else "o",
                ms=5,
                mfc="white",
                mec="#000000" if kind != "unscored" else "#8c8c8c",
            )
        h.set_label(plain(f"{names[kind]} (n = {n})"))
        handles.append(h)
    if target_level is not None:
        ax.axhline(target_level, color="#000000", lw=0.8, ls="--", gid="target", zorder=0)
        h = Line2D([], [], color="#000000", lw=0.8, ls="--")
        h.set_label(f"target: level {target_level:g}")
        handles.append(h)
    ax.set_xticks([0, 1])
    ax.set_xticklabels([plain(base_label), plain(follow_label)])
    ax.set_xlim(-0.35, 1.35)
    if level_range is not None:
        ax.set_ylim(*level_range)
    score = str(table["score"].iloc[0]) if "score" in table and len(table) else "mean"
    ax.set_ylabel(plain(f"{score} level"))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    left_title(ax, title)
    return ax


# -- forest -------------------------------------------------------------------------------


def plot_change_forest(
    table: pd.DataFrame,
    *,
    effect: Literal["rank_biserial", "median_change"] = "rank_biserial",
    title: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Change per stage (and in the mean level) with its 95% interval, forest style.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~cma_research.paired_change`: one row per stage and the row
        ``stage == "mean"``, drawn top to bottom in table order.
    effect : {"rank_biserial", "median_change"}
        ``rank_biserial``: the matched-pairs rank-biserial correlation with its interval
        ``ci95_low`` to ``ci95_high``. ``median_change``: the median paired change in
        level (the table gives no interval for it, so points only).
    title : str, optional
    ax : Axes, optional
    **kwargs
        Passed to the estimate markers.

    Returns
    -------
    Axes
        y labels are the table's ``name`` column (the instrument's stage names); the
        right margin gives each row's ``n_pairs`` and says "not estimable" (no estimate)
        or "CI undefined" (an estimate without interval). Artists carry gids: ``"estimate"``
        (one marker per row, ``NaN`` where not estimable), ``"estimate_mean"`` (the
        mean-level row, a diamond), ``"ci"`` (one segment per finite interval),
        ``"zero"`` (no change), ``"n_label"``.
    """
    if effect not in ("rank_biserial", "median_change"):
        raise ParameterError(
            f"effect={effect!r} is not allowed; expected 'rank_biserial' or 'median_change'"
        )
    needed = ["stage", "name", "n_pairs", effect]
    if effect == "rank_biserial":
        needed += ["ci95_low", "ci95_high"]
    require_columns(table, needed, "paired_change()")
    n = len(table)
    ax = axes_for(ax, size=(SINGLE_COLUMN * 1.3, 0.26 * n + 1.0))
    y = np.arange(n)[::-1].astype(float)  # first row at the top
    est = table[effect].to_numpy(dtype=float, na_value=np.nan)
    is_mean = (table["stage"].astype(str) == "mean").to_numpy()
    style = {"ls": "none", "marker": "o", "ms": 4, "color": OKABE_ITO[0], **kwargs}
    ax.plot(np.where(is_mean, np.nan, est), y, gid="estimate", **style)
    if is_mean.any():
        ax.plot(
            np.where(is_mean, est, np.nan),
            y,
            gid="estimate_mean",
            **{**style, "marker": "D", "color": "#000000"},
        )
    finite = np.zeros(n, dtype=bool)
    if effect == "rank_biserial":
        lo = table["ci95_low"].to_numpy(dtype=float, na_value=np.nan)
        hi = table["ci95_high"].to_numpy(dtype=float, na_value=np.nan)
        finite = ~(np.isnan(lo) | np.isnan(hi))
        if finite.any():
            ax.hlines(
                y[finite],
                lo[finite],
                hi[finite],
                colors=np.where(is_mean[finite], "#000000", OKABE_ITO[0]).tolist(),
                lw=1.2,
                gid="ci",
            )
        ax.set_xlim(-1.05, 1.05)
        xlabel = "matched-pairs rank-biserial correlation, 95% CI"
    else:
        xlabel = "median change in level"
    ax.axvline(0, color="#616161", lw=0.8, ls="--", gid="zero")
    trans = mpl.transforms.blended_transform_factory(ax.transAxes, ax.transData)
    for i, (yi, n_pairs) in enumerate(zip(y, table["n_pairs"], strict=True)):
        note = ""
        if np.isnan(est[i]):
            note = "; not estimable"
        elif effect == "rank_biserial" and not finite[i]:
            note = "; CI undefined"
        ax.text(
            1.02,
            yi,
            f"n = {int(n_pairs)}{note}",
            transform=trans,
            va="center",
            fontsize=6,
            gid="n_label",
        )
    names = [
        plain(name if isinstance(name, str) and name else stage)
        for name, stage in zip(table["name"].astype(object), table["stage"], strict=True)
    ]
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    for label, mean in zip(ax.get_yticklabels(), is_mean, strict=True):
        if mean:
            label.set_fontweight("bold")
    ax.set_ylim(-0.7, n - 0.3)
    if {"baseline", "follow_up"} <= set(table.columns) and n:
        xlabel += plain(f"\n{table['follow_up'].iloc[0]} vs {table['baseline'].iloc[0]}")
    ax.set_xlabel(xlabel)
    ax.tick_params(axis="y", length=0)
    left_title(ax, title)
    return ax

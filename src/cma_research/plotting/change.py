"""Figures of change between audit waves: slopes, forest, transitions, each wave side by side.

Each function draws a table the statistics computed; none of them computes a statistic:

* :func:`plot_paired_slopes`: each business's score at two waves
  (:func:`~cma_research.analysis.change.scores_by_wave`);
* :func:`plot_change_forest`: the change per stage (:func:`~cma_research.paired_change`);
* :func:`plot_transition_heatmap`: businesses by level at two waves
  (:func:`~cma_research.transition_table`);
* :func:`plot_level_distribution_by_wave`: the level distribution of each wave
  (:func:`~cma_research.analysis.change.level_distribution_by_wave`);
* :func:`plot_radar_waves`: one business at several waves
  (:func:`~cma_research.analysis.change.wave_profiles`).

Wave labels, stage names and level labels come from those tables, so the figures speak
the instrument's and the study's language. Text taken from data is drawn literally (a
``$`` in a business type, wave or level label never starts matplotlib mathtext).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from cma_research.core.errors import ParameterError
from cma_research.plotting.distributions import level_columns, level_names, share_axis
from cma_research.plotting.radar import plot_radar
from cma_research.plotting.style import (
    DOUBLE_COLUMN,
    NOT_ASSESSED_COLOR,
    OKABE_ITO,
    SINGLE_COLUMN,
    axes_for,
    level_colors,
    require_columns,
)

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


# -- paired slopes ---------------------------------------------------------------------


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
        Output of :func:`~cma_research.analysis.change.scores_by_wave`.
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
    base_label = _one_value(table, "baseline", "scores_by_wave()")
    follow_label = _one_value(table, "follow_up", "scores_by_wave()")
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
                _plain(bid),
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
        h.set_label(_plain(f"{names[kind]} (n = {n})"))
        handles.append(h)
    if target_level is not None:
        ax.axhline(target_level, color="#000000", lw=0.8, ls="--", gid="target", zorder=0)
        h = Line2D([], [], color="#000000", lw=0.8, ls="--")
        h.set_label(f"target: level {target_level:g}")
        handles.append(h)
    ax.set_xticks([0, 1])
    ax.set_xticklabels([_plain(base_label), _plain(follow_label)])
    ax.set_xlim(-0.35, 1.35)
    if level_range is not None:
        ax.set_ylim(*level_range)
    score = str(table["score"].iloc[0]) if "score" in table and len(table) else "mean"
    ax.set_ylabel(_plain(f"{score} level"))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _left_title(ax, title)
    return ax


# -- forest ----------------------------------------------------------------------------


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
        _plain(name if isinstance(name, str) and name else stage)
        for name, stage in zip(table["name"].astype(object), table["stage"], strict=True)
    ]
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    for label, mean in zip(ax.get_yticklabels(), is_mean, strict=True):
        if mean:
            label.set_fontweight("bold")
    ax.set_ylim(-0.7, n - 0.3)
    if {"baseline", "follow_up"} <= set(table.columns) and n:
        xlabel += _plain(f"\n{table['follow_up'].iloc[0]} vs {table['baseline'].iloc[0]}")
    ax.set_xlabel(xlabel)
    ax.tick_params(axis="y", length=0)
    _left_title(ax, title)
    return ax


# -- transition heatmap ----------------------------------------------------------------


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
    ax.set_xticklabels([_plain(c) for c in cols], rotation=45, ha="right")
    ax.set_yticks(np.arange(n_rows) + 0.5)
    ax.set_yticklabels([_plain(r) for r in rows])
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
    ax.set_ylabel(_plain(f"level at {base}"))
    ax.set_xlabel(_plain(f"level at {follow}"))
    ax.tick_params(length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    _left_title(ax, title)
    return ax


# -- level distributions by wave -------------------------------------------------------


def plot_level_distribution_by_wave(
    table: pd.DataFrame,
    *,
    include_all: bool = False,
    labels: Literal["stage", "name"] = "name",
    level_labels: Mapping[int, str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Per stage, one stacked bar per wave: levels in order, then *not assessed*.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~cma_research.analysis.change.level_distribution_by_wave`
        (:func:`~cma_research.level_distribution` per wave, with ``wave`` and
        ``wave_rank`` columns).
    include_all : bool
        Also draw the pooled ``all`` rows.
    labels : {"name", "stage"}
        Stage labels.
    level_labels : mapping of int to str, optional
        The instrument's label of each level value; None: the table's
        ``attrs["level_labels"]``, else the level numbers alone. The legend names each
        level by number and label (``"4 Run"``).
    title : str, optional
    ax : Axes, optional
    **kwargs
        Passed to :meth:`Axes.barh`.

    Returns
    -------
    Axes
        Stages top to bottom in instrument order; within a stage the waves in order, top
        to bottom. Bars are shares of the wave's businesses (assessed + not assessed =
        1); segments carry gids ``"level_<v>"`` and ``"not_assessed"``; each bar is
        annotated ``"<wave>: n = <assessed>"`` (gid ``"n_label"``).
    """
    require_columns(
        table,
        ["wave", "wave_rank", "stage", "name", "n_assessed", "n_not_assessed"],
        "level_distribution_by_wave()",
    )
    level_cols = level_columns(table, "level_distribution_by_wave()")
    rows = table if include_all else table[table["stage"] != "all"]
    waves = rows[["wave_rank", "wave"]].drop_duplicates().sort_values("wave_rank")["wave"].tolist()
    stages = list(dict.fromkeys(rows["stage"].tolist()))
    n_w = max(len(waves), 1)
    height = 0.8 / n_w
    ax = axes_for(ax, size=(DOUBLE_COLUMN, (0.22 * n_w + 0.1) * len(stages) + 1.0))
    levels = [int(c.split("_")[-1]) for c in level_cols]
    colors = level_colors(levels)
    level_text = dict(zip(levels, level_names(table, levels, level_labels), strict=True))
    centers = []
    first = True
    for i, stage in enumerate(stages):
        center = float(len(stages) - 1 - i)
        centers.append(center)
        for j, wave in enumerate(waves):
            sel = rows[(rows["stage"] == stage) & (rows["wave"] == wave)]
            if sel.empty:
                continue
            row = sel.iloc[0]
            yj = center + 0.4 - height * (j + 0.5)
            total = float(row["n_assessed"] + row["n_not_assessed"]) or 1.0
            left = 0.0
            for col, level, color in zip(level_cols, levels, colors, strict=True):
                width = float(row[col]) / total
                ax.barh(
                    yj,
                    width,
                    left=left,
                    height=height * 0.92,
                    color=color,
                    edgecolor="white",
                    linewidth=0.3,
                    label=level_text[level] if first else "_nolegend_",
                    gid=f"level_{level}",
                    **kwargs,
                )
                left += width
            ax.barh(
                yj,
                float(row["n_not_assessed"]) / total,
                left=left,
                height=height * 0.92,
                color=NOT_ASSESSED_COLOR,
                hatch="///",
                edgecolor="white",
                linewidth=0.3,
                label="not assessed" if first else "_nolegend_",
                gid="not_assessed",
                **kwargs,
            )
            first = False
            ax.text(
                1.01,
                yj,
                _plain(f"{wave}: n = {int(row['n_assessed'])}"),
                va="center",
                ha="left",
                fontsize=6,
                gid="n_label",
            )
    names = {s: rows.loc[rows["stage"] == s, labels].iloc[0] for s in stages}
    ax.set_yticks(centers)
    ax.set_yticklabels([_plain(names[s]) for s in stages])
    ax.tick_params(axis="y", length=0)
    legend = share_axis(ax, "share of businesses audited at the wave", n_levels=len(levels))
    # the title clears the legend, however many rows it has: the legend's top in points
    # above the axes, and 4 more for the descenders of the title (set on its baseline)
    above = legend.get_window_extent().y1 - ax.get_window_extent().y1
    _left_title(ax, title, pad=math.ceil(above * 72 / ax.figure.dpi) + 4.0)
    return ax


# -- radar at two waves ----------------------------------------------------------------


def plot_radar_waves(
    table: pd.DataFrame,
    *,
    labels: Literal["short_name", "name", "number"] = "number",
    target_level: int | None = None,
    max_level: int = 5,
    title: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Radar chart of one business at several waves, one line per wave.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~cma_research.analysis.change.wave_profiles`
        (:func:`~cma_research.stage_profile` per wave, with ``wave`` and ``wave_rank``).
    labels : {"number", "short_name", "name"}
        How stages are labelled around the circle.
    target_level : int, optional
        Dashed ring at this level.
    max_level : int
        Outer radius (the instrument's highest level).
    title : str, optional
        Default: the business id.
    ax : polar Axes, optional
    **kwargs
        Passed to every wave's line.

    Returns
    -------
    Axes
        One line per wave (gid ``"wave_<rank>"``, legend = wave label), each broken at a
        stage not assessed at that wave; a stage's label says "(not assessed)" when it
        was assessed at none of the waves, else names the waves it was not assessed at.
    """
    require_columns(table, ["wave", "wave_rank", "stage", "level", labels], "wave_profiles()")
    ax = axes_for(ax, polar=True)
    waves = table[["wave_rank", "wave"]].drop_duplicates().sort_values("wave_rank")
    styles = ["-", "--", ":", "-."]
    missing_at: dict[str, list[str]] = {}
    stage_labels: list[str] = []
    for j, (rank, wave) in enumerate(zip(waves["wave_rank"], waves["wave"], strict=True)):
        sub = table[table["wave_rank"] == rank].reset_index(drop=True)
        profile = sub.assign(median=np.nan, q1=np.nan, q3=np.nan)
        before = set(ax.get_lines())
        style = {"color": OKABE_ITO[j % len(OKABE_ITO)], "ls": styles[j % len(styles)], **kwargs}
        plot_radar(
            profile,
            show_peers=False,
            target_level=target_level if j == 0 else None,
            max_level=max_level,
            labels=labels,
            business_label=_plain(wave),
            ax=ax,
            **style,
        )
        for line in set(ax.get_lines()) - before:
            if line.get_gid() == "business":
                line.set_gid(f"wave_{int(rank)}")
        stage_labels = [str(v).replace("_", " ") for v in sub[labels]]
        for stage, level in zip(sub["stage"], sub["level"].astype(float), strict=True):
            if np.isnan(level):
                missing_at.setdefault(str(stage), []).append(str(wave))
    stages = [str(s) for s in table.loc[table["wave_rank"] == waves["wave_rank"].iloc[0], "stage"]]

    def tick(label: str, stage: str) -> str:
        absent = missing_at.get(stage, [])
        if not absent:
            return _plain(label)
        if len(absent) == len(waves):
            return _plain(f"{label}\n(not assessed)")
        return _plain(f"{label}\n(not assessed: {', '.join(absent)})")

    ax.set_xticklabels([tick(lab, s) for lab, s in zip(stage_labels, stages, strict=True)])
    bid = table["business_id"].dropna().iloc[0] if "business_id" in table else None
    ax.set_title(_plain(title if title else (bid or "")), loc="left")
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax


# -- helpers ---------------------------------------------------------------------------


def _plain(text: Any) -> str:
    """Data-derived text drawn literally: ``$`` escaped so mathtext never starts."""
    return str(text).replace("$", r"\$")


def _left_title(ax: Axes, title: str | None, pad: float | None = None) -> None:
    """The title, if any, drawn literally at the left."""
    if title:
        ax.set_title(_plain(title), loc="left", pad=pad)


def _one_value(table: pd.DataFrame, column: str, producer: str) -> str:
    """The one value of ``column`` (a table for one pair of waves), else ParameterError."""
    values = table[column].dropna().unique()
    if len(values) != 1:
        raise ParameterError(
            f"the table's {column!r} column holds {len(values)} different values; pass the "
            f"output of {producer} for one pair of waves"
        )
    return str(values[0])

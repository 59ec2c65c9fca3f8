"""Figures of each wave side by side: level distributions and a business's radar.

They draw the per-wave tables of :mod:`cma_research.analysis.change_scores`
(:func:`~cma_research.analysis.change_scores.level_distribution_by_wave`,
:func:`~cma_research.analysis.change_scores.wave_profiles`). Text taken from data is
drawn literally (a ``$`` in a wave label never starts matplotlib mathtext).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from cma_research.plotting._change_common import left_title, plain
from cma_research.plotting.distributions import level_columns, share_axis
from cma_research.plotting.radar import plot_radar
from cma_research.plotting.style import (
    DOUBLE_COLUMN,
    NOT_ASSESSED_COLOR,
    OKABE_ITO,
    axes_for,
    level_colors,
    require_columns,
)

__all__ = ["plot_level_distribution_by_wave", "plot_radar_waves"]


# -- level distributions by wave ----------------------------------------------------------


def plot_level_distribution_by_wave(
    table: pd.DataFrame,
    *,
    include_all: bool = False,
    labels: Literal["stage", "name"] = "name",
    title: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Per stage, one stacked bar per wave: levels in order, then *not assessed*.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~cma_research.analysis.change_scores.level_distribution_by_wave`
        (:func:`~cma_research.level_distribution` per wave, with ``wave`` and
        ``wave_rank`` columns).
    include_all : bool
        Also draw the pooled ``all`` rows.
    labels : {"name", "stage"}
        Stage labels.
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
                    label=f"{level}" if first else "_nolegend_",
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
                plain(f"{wave}: n = {int(row['n_assessed'])}"),
                va="center",
                ha="left",
                fontsize=6,
                gid="n_label",
            )
    names = {s: rows.loc[rows["stage"] == s, labels].iloc[0] for s in stages}
    ax.set_yticks(centers)
    ax.set_yticklabels([plain(names[s]) for s in stages])
    ax.tick_params(axis="y", length=0)
    share_axis(ax, "share of businesses audited at the wave", n_levels=len(levels))
    left_title(ax, title, pad=28)  # above the legend
    return ax


# -- radar at two waves ---------------------------------------------------------------------


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
        Output of :func:`~cma_research.analysis.change_scores.wave_profiles`
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
            business_label=plain(wave),
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
            return plain(label)
        if len(absent) == len(waves):
            return plain(f"{label}\n(not assessed)")
        return plain(f"{label}\n(not assessed: {', '.join(absent)})")

    ax.set_xticklabels([tick(lab, s) for lab, s in zip(stage_labels, stages, strict=True)])
    bid = table["business_id"].dropna().iloc[0] if "business_id" in table else None
    ax.set_title(plain(title if title else (bid or "")), loc="left")
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax

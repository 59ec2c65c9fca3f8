"""Radar (spider) charts of a business or the cohort against the instrument's stages."""

from __future__ import annotations

from typing import Any, Literal, cast

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.projections.polar import PolarAxes

from cma_research.plotting.style import (
    OKABE_ITO,
    axes_for,
    escape_mathtext,
    require_columns,
)

__all__ = ["plot_radar"]


# -- radar ---------------------------------------------------------------------------


def plot_radar(
    profile: pd.DataFrame,
    *,
    show_peers: bool = True,
    target_level: int | None = None,
    max_level: int = 5,
    labels: Literal["short_name", "name", "number"] = "number",
    business_label: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Radar chart of a stage profile: stages in journey order around the circle.

    Parameters
    ----------
    profile : DataFrame
        Output of :func:`~cma_research.stage_profile`.
    show_peers : bool
        Draw the cohort median (line) and interquartile band.
    target_level : int, optional
        Draw a dashed ring at this level (e.g. 4, the recommended target).
    max_level : int
        Outer radius.
    labels : {"number", "short_name", "name"}
        How stages are labelled around the circle.
    business_label : str, optional
        Legend label for the business line (default: its id).
    ax : polar Axes, optional
    **kwargs
        Passed to the business line (e.g. ``color``, ``linewidth``).

    Returns
    -------
    Axes
        The business line breaks at a stage that was not assessed (a gap, not 0),
        and that stage's label says "(not assessed)".
        Artists carry ``gid`` values: ``"business"``, ``"peer_median"``, ``"peer_iqr"``,
        ``"target"``.
    """
    require_columns(profile, ["stage", "median", "q1", "q3", "level", labels], "stage_profile()")
    ax = axes_for(ax, polar=True)
    k = len(profile)
    theta = np.linspace(0, 2 * np.pi, k, endpoint=False)
    closed = np.append(theta, theta[0])

    def close(v: np.ndarray) -> np.ndarray:
        return np.append(v, v[0])

    polar = cast(PolarAxes, ax)
    polar.set_theta_offset(np.pi / 2)
    polar.set_theta_direction(-1)
    if show_peers:
        q1 = profile["q1"].to_numpy(dtype=float)
        q3 = profile["q3"].to_numpy(dtype=float)
        ax.fill_between(
            closed,
            close(q1),
            close(q3),
            color="#9e9e9e",
            alpha=0.3,
            lw=0,
            label="peers: interquartile range",
            gid="peer_iqr",
        )
        ax.plot(
            closed,
            close(profile["median"].to_numpy(dtype=float)),
            color="#616161",
            lw=1.0,
            ls="-",
            label="peers: median",
            gid="peer_median",
        )
    if target_level is not None:
        ax.plot(
            np.linspace(0, 2 * np.pi, 200),
            np.full(200, target_level),
            color="#000000",
            lw=0.8,
            ls="--",
            label=f"target: level {target_level}",
            gid="target",
        )
    levels = profile["level"].to_numpy(dtype=float)
    if not np.isnan(levels).all():
        bid = profile["business_id"].iloc[0] if "business_id" in profile else None
        style = {
            "color": OKABE_ITO[0],
            "lw": 1.6,
            "marker": "o",
            "ms": 3.5,
            "clip_on": False,
            **kwargs,
        }
        # NaN (not assessed) breaks the line: a gap, never a drop to 0
        ax.plot(
            closed,
            close(levels),
            label=escape_mathtext(business_label or str(bid)),
            gid="business",
            **style,
        )
    ax.set_ylim(0, max_level)
    ax.set_yticks(range(0, max_level + 1))
    ax.set_yticklabels([str(v) for v in range(0, max_level + 1)], fontsize=6, color="#616161")
    ax.set_xticks(theta)
    has_business = not np.isnan(levels).all()
    ax.set_xticklabels(
        [
            f"{v}\n(not assessed)" if has_business and np.isnan(lv) else str(v)
            for v, lv in zip(
                (escape_mathtext(str(x).replace("_", " ")) for x in profile[labels]),
                levels,
                strict=True,
            )
        ]
    )
    ax.grid(True, lw=0.4, color="#bdbdbd")
    ax.spines["polar"].set_linewidth(0.4)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax

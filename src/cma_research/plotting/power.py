"""Power curves: simulated power against sample size, one line per effect."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from cma_research.core.errors import ParameterError
from cma_research.core.text import format_number
from cma_research.plotting.style import OKABE_ITO, axes_for, require_columns

__all__ = ["plot_power_curves"]

_Z95 = 1.959963984540054


def plot_power_curves(
    table: pd.DataFrame,
    *,
    target_power: float | None = 0.8,
    band: bool = True,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Simulated power against n, one line per effect, with Monte-Carlo 95% bands.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~cma_research.simulate_power` (columns ``design``, ``n``,
        ``effect``, ``power``, ``mc_se``, ``alpha``); one design.
    target_power : float or None
        Draws a dashed horizontal line at this power (None: no line).
    band : bool
        Shade ``power +/- 1.96 mc_se`` (the Monte-Carlo uncertainty of each point).
    ax : Axes, optional
    **kwargs
        Passed to :meth:`Axes.plot`.

    Returns
    -------
    Axes
        Lines labelled ``effect = <value>``; the title names the design and alpha.
    """
    require_columns(table, ["design", "n", "effect", "power", "mc_se", "alpha"], "simulate_power()")
    designs = table["design"].astype(str).unique()
    if len(designs) != 1:
        raise ParameterError(
            f"plot_power_curves draws one design at a time; the table has {', '.join(designs)}"
        )
    if table.empty:
        raise ParameterError("the power table is empty; pass the output of simulate_power()")
    ax = axes_for(ax)
    for i, (_effect, rows) in enumerate(
        table.sort_values(["effect", "n"]).groupby("effect", sort=True)
    ):
        n = rows["n"].to_numpy(dtype=float)
        power = rows["power"].to_numpy(dtype=float)
        color = OKABE_ITO[i % len(OKABE_ITO)]
        ax.plot(
            n,
            power,
            marker="o",
            color=color,
            label=f"effect = {format_number(float(rows['effect'].iloc[0]))}",
            **kwargs,
        )
        if band:
            se = rows["mc_se"].to_numpy(dtype=float)
            ax.fill_between(
                n, np.clip(power - _Z95 * se, 0, 1), np.clip(power + _Z95 * se, 0, 1),
                color=color, alpha=0.2, linewidth=0,
            )  # fmt: skip
    if target_power is not None:
        ax.axhline(
            target_power,
            color="0.4",
            linestyle="--",
            linewidth=0.8,
            label=f"target {format_number(target_power)}",
        )
    alpha = float(table["alpha"].iloc[0])
    ax.set_xlabel("businesses recruited (n)")
    ax.set_ylabel("power")
    ax.set_ylim(0, 1)
    ax.set_title(f"{designs[0].replace('_', ' ')} (α = {format_number(alpha)})")
    ax.legend(frameon=False, fontsize="small")
    return ax

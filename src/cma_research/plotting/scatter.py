"""Scatter of a business score against a covariate, with the correlation annotated."""

from __future__ import annotations

from typing import Any, Literal

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from cma_research.core.errors import ParameterError
from cma_research.core.text import correlation_symbol, format_number
from cma_research.plotting.style import (
    OKABE_ITO,
    axes_for,
    escape_mathtext,
    require_columns,
)

__all__ = ["plot_scatter"]


# -- scatter ------------------------------------------------------------------------------


def plot_scatter(
    scores: pd.DataFrame,
    result: pd.Series | None = None,
    *,
    x: str = "staff",
    y: str = "mean",
    logx: bool = True,
    fit: Literal["linear", "monotone", "none"] = "linear",
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Score against size (log axis) or growth, with the correlation annotated.

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`~cma_research.business_scores`, with any covariate column
        (e.g. from :func:`~cma_research.load_covariates`) joined on.
    result : Series, optional
        One row of :func:`~cma_research.correlate` for this pair: its r, 95% CI, n and
        method are written on the plot.
    x, y : str
        Columns to plot.
    logx : bool
        Log-scaled x axis (for staff).
    fit : {"linear", "monotone", "none"}
        ``linear``: least-squares line (on log x when ``logx``); ``monotone``: isotonic
        regression step line. The legend names which.
    ax : Axes, optional
    **kwargs
        Passed to :meth:`Axes.scatter`.
    """
    require_columns(scores, [x, y], "business_scores()")
    xv = scores[x].to_numpy(dtype=float, na_value=np.nan)
    yv = scores[y].to_numpy(dtype=float, na_value=np.nan)
    ok = ~np.isnan(xv) & ~np.isnan(yv)
    if logx:
        ok &= xv > 0
    xv, yv = xv[ok], yv[ok]
    ax = axes_for(ax)
    style = {
        "s": 18,
        "color": OKABE_ITO[0],
        "alpha": 0.85,
        "edgecolor": "white",
        "lw": 0.4,
        **kwargs,
    }
    ax.scatter(xv, yv, gid="points", **style)
    if logx:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    if fit != "none" and len(xv) >= 3 and np.ptp(xv) > 0:
        order = np.argsort(xv, kind="stable")
        xs = xv[order]
        if fit == "linear":
            t = np.log(xs) if logx else xs
            slope, intercept = np.polyfit(t, yv[order], 1)
            grid = np.linspace(t.min(), t.max(), 100)
            ax.plot(
                np.exp(grid) if logx else grid,
                intercept + slope * grid,
                color=OKABE_ITO[3],
                lw=1.2,
                label="least-squares fit" + (" on log scale" if logx else ""),
                gid="fit",
            )
        elif fit == "monotone":
            from scipy.optimize import isotonic_regression

            fitted = isotonic_regression(yv[order]).x
            ax.step(
                xs,
                fitted,
                where="post",
                color=OKABE_ITO[3],
                lw=1.2,
                label="monotone (isotonic) fit",
                gid="fit",
            )
        else:
            raise ParameterError(f"fit={fit!r} is not one of 'linear', 'monotone', 'none'")
        ax.legend(loc="lower right")
    if result is not None:
        symbol = correlation_symbol(str(result.get("method", "")))
        text = (
            f"{symbol} = {format_number(float(result['r']), bounded=True)}, 95% CI "
            f"[{format_number(float(result['ci95_low']), bounded=True)}, "
            f"{format_number(float(result['ci95_high']), bounded=True)}], "
            f"n = {int(result['n'])}"
        )
        ax.text(
            0.02,
            0.98,
            text,
            transform=ax.transAxes,
            va="top",
            ha="left",
            fontsize=7,
            gid="annotation",
        )
    ax.set_xlabel(f"{escape_mathtext(x)} (log scale)" if logx else escape_mathtext(x))
    ax.set_ylabel(f"{escape_mathtext(y)} level")
    return ax

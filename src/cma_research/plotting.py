"""Figures for papers and slides. Each ``plot_*`` draws what the statistics computed.

Every function has the signature ``plot_x(data, *, ..., ax=None, **kwargs) -> Axes``,
never calls ``show`` or ``savefig`` (saving lives in :mod:`cma_research.reports`), and
leaves global matplotlib state alone: wrap calls in :func:`cma_style` for the
package's look (colour-blind-safe palettes, sizes readable at 3.5 in and 7 in wide,
TrueType fonts in PDF).

A stage that was not assessed is never drawn as level 0: it is a gap in a radar
line, its own neutral segment in a distribution bar, and a hatched cell in a heatmap.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any, Literal, cast

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.patches import Patch, Rectangle
from matplotlib.projections.polar import PolarAxes

from .cohort import Cohort
from .exceptions import ParameterError

__all__ = [
    "DOUBLE_COLUMN",
    "NOT_ASSESSED_COLOR",
    "OKABE_ITO",
    "SINGLE_COLUMN",
    "cma_style",
    "level_colors",
    "plot_cohort_heatmap",
    "plot_funnel",
    "plot_level_distribution",
    "plot_missingness",
    "plot_radar",
    "plot_scatter",
    "plot_stage_correlations",
]

#: Figure widths in inches for single- and double-column layouts.
SINGLE_COLUMN = 3.5
DOUBLE_COLUMN = 7.0
#: Okabe & Ito (2008) colour-blind-safe qualitative palette.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
#: Neutral colour for "not assessed" (distinct from every level colour).
NOT_ASSESSED_COLOR = "#d9d9d9"

_STYLE: dict[Any, Any] = {
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=list(OKABE_ITO)),
    "pdf.fonttype": 42,  # TrueType, embedded: editable text, accepted by publishers
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "svg.hashsalt": "cma_research",  # fixed SVG ids: byte-identical rebuilds
    "image.cmap": "viridis",
    "hatch.linewidth": 0.6,
}


@contextlib.contextmanager
def cma_style(**overrides: Any) -> Iterator[None]:
    """The package's figure style for the duration of a ``with`` block.

    >>> with cma_style():
    ...     plt.rcParams["pdf.fonttype"]
    42
    """
    params: dict[Any, Any] = {**_STYLE, **overrides}
    with mpl.rc_context(params):
        yield


def level_colors(levels: Sequence[int]) -> list[tuple[float, float, float, float]]:
    """An ordered sequential palette (viridis, colour-blind safe) for the levels."""
    cmap = mpl.colormaps["viridis"]
    n = len(levels)
    return [cmap(0.08 + 0.84 * i / max(n - 1, 1)) for i in range(n)]


def _ax(ax: Axes | None, polar: bool = False, size: tuple[float, float] | None = None) -> Axes:
    if ax is not None:
        if polar and ax.name != "polar":
            raise ParameterError(
                "plot_radar needs polar axes: plt.subplots(subplot_kw={'projection': 'polar'})"
            )
        return ax
    fig = plt.figure(figsize=size or (SINGLE_COLUMN, SINGLE_COLUMN * 0.8))
    return fig.add_subplot(projection="polar" if polar else None)


def _require(table: pd.DataFrame, columns: Sequence[str], producer: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ParameterError(
            f"the table lacks column(s) {', '.join(missing)}; pass the output of {producer}"
        )


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
    _require(profile, ["stage", "median", "q1", "q3", "level", labels], "stage_profile()")
    ax = _ax(ax, polar=True)
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
        ax.plot(closed, close(levels), label=business_label or str(bid), gid="business", **style)
    ax.set_ylim(0, max_level)
    ax.set_yticks(range(0, max_level + 1))
    ax.set_yticklabels([str(v) for v in range(0, max_level + 1)], fontsize=6, color="#616161")
    ax.set_xticks(theta)
    has_business = not np.isnan(levels).all()
    ax.set_xticklabels(
        [
            f"{v}\n(not assessed)" if has_business and np.isnan(lv) else str(v)
            for v, lv in zip(
                (str(x).replace("_", " ") for x in profile[labels]), levels, strict=True
            )
        ]
    )
    ax.grid(True, lw=0.4, color="#bdbdbd")
    ax.spines["polar"].set_linewidth(0.4)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax


# -- level distribution -----------------------------------------------------------------


def plot_level_distribution(
    table: pd.DataFrame,
    *,
    include_all: bool = False,
    labels: Literal["stage", "name"] = "name",
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
    ax : Axes, optional
    **kwargs
        Passed to :meth:`Axes.barh`.

    Returns
    -------
    Axes
        Bars are shares of the cohort (assessed + not assessed = 1). Each bar is
        annotated with ``n = <assessed>``; a level no business reached draws a zero-width
        segment (so legends and colours never shift).
    """
    _require(table, ["stage", "name", "n_assessed", "n_not_assessed"], "level_distribution()")
    level_cols = sorted(
        (c for c in table.columns if c.startswith("n_level_")), key=lambda c: int(c.split("_")[-1])
    )
    if not level_cols:
        raise ParameterError("the table has no n_level_<v> columns; pass level_distribution()")
    rows = table if include_all else table[table["stage"] != "all"]
    rows = rows.iloc[::-1]  # first stage at the top
    ax = _ax(ax, size=(DOUBLE_COLUMN, 0.28 * len(rows) + 1.0))
    totals = (rows["n_assessed"] + rows["n_not_assessed"]).to_numpy(dtype=float)
    totals[totals == 0] = 1.0
    left = np.zeros(len(rows))
    y = np.arange(len(rows))
    levels = [int(c.split("_")[-1]) for c in level_cols]
    colors = level_colors(levels)
    for col, level, color in zip(level_cols, levels, colors, strict=True):
        width = rows[col].to_numpy(dtype=float) / totals
        ax.barh(
            y,
            width,
            left=left,
            color=color,
            height=0.7,
            label=f"{level}",
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
    ax.set_yticklabels([str(v) for v in rows[labels]])
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of businesses")
    ax.xaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))
    ax.legend(
        title="level",
        ncol=len(levels) + 1,
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        handlelength=1.0,
        columnspacing=0.8,
    )
    return ax


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
    ax = _ax(ax, size=(SINGLE_COLUMN * 1.3, 0.18 * len(data) + 1.2))
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
        ax.set_yticklabels([str(n) for n in names[order]])
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
    _require(table, ["x", "y", "r", "n"], "stage_correlations()")
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
    ax = _ax(ax, size=(SINGLE_COLUMN * 1.2, SINGLE_COLUMN))
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
                    parts.append("" if np.isnan(r[i, j]) else _fmt_r(r[i, j]))
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
    labels = [s.replace("stage_", "") for s in stages]
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


def plot_missingness(cohort: Cohort, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Which business lacks which stage: assessed cells dark, not assessed light.

    Rows are in file order, labelled with business ids; the right margin gives each
    business's number of assessed stages and the top margin each stage's.
    """
    assessed = cohort.scores.notna().to_numpy()
    k = assessed.shape[1]
    ax = _ax(ax, size=(SINGLE_COLUMN, 0.18 * len(assessed) + 1.2))
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
    ax.set_yticklabels([str(b) for b in ids])
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


# -- scatter ------------------------------------------------------------------------------


def _fmt_r(v: float) -> str:
    text = f"{v:.2f}"
    return text.replace("0.", ".", 1).replace("-", "\u2212")


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
    _require(scores, [x, y], "business_scores()")
    xv = scores[x].to_numpy(dtype=float, na_value=np.nan)
    yv = scores[y].to_numpy(dtype=float, na_value=np.nan)
    ok = ~np.isnan(xv) & ~np.isnan(yv)
    if logx:
        ok &= xv > 0
    xv, yv = xv[ok], yv[ok]
    ax = _ax(ax)
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
        symbol = {"spearman": "\u03c1", "kendall": "\u03c4", "pearson": "r"}.get(
            str(result.get("method", "")), "r"
        )
        text = (
            f"{symbol} = {_fmt_r(float(result['r']))}, 95% CI "
            f"[{_fmt_r(float(result['ci95_low']))}, {_fmt_r(float(result['ci95_high']))}], "
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
    ax.set_xlabel(f"{x} (log scale)" if logx else x)
    ax.set_ylabel(f"{y} level")
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
    _require(table, ["step", "count", "approximate"], "load_recruitment()")
    ax = _ax(ax, size=(DOUBLE_COLUMN * 0.8, 0.3 * len(table) + 0.8))
    y = np.arange(len(table))[::-1]
    counts = table["count"].to_numpy(dtype=float)
    ax.barh(y, counts, color=OKABE_ITO[0], height=0.65, gid="steps", **kwargs)
    ax.set_xscale("log")
    ax.set_xlim(1, counts.max() * 8)
    for yi, count, approx in zip(y, counts, table["approximate"], strict=True):
        label = f"{'about ' if approx else ''}{int(count):,}"
        ax.text(count * 1.15, float(yi), label, va="center", fontsize=7, gid="count_label")
    ax.set_yticks(y)
    ax.set_yticklabels([str(s) for s in table["step"]])
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel("businesses (log scale)")
    ax.tick_params(axis="y", length=0)
    return ax

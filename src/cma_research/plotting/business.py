"""Figures of a business report: the radar against peers and a dot-and-bar strip.

The radar is the field's familiar picture; the strip shows the same numbers on a
straight scale (a radar's area grows with the square of the level and depends on the
order of the stages, a strip's position does not).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.projections.polar import PolarAxes

from cma_research.core.errors import ParameterError
from cma_research.plotting.radar import plot_radar
from cma_research.plotting.style import OKABE_ITO, axes_for, require_columns

__all__ = [
    "RADAR_SIZE",
    "STRIP_WIDTH",
    "plot_business_radar",
    "plot_stage_strip",
    "radar_figure",
    "radar_svg",
    "strip_figure",
    "strip_svg",
    "svg_legend",
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


# -- the same figures as SVG, drawn from the numbers (business pages) ---------------------
#
# A page of a programme of thousands of businesses draws its two figures as SVG text
# from a template instead of through matplotlib: the same marks, colours, sizes and
# layout as radar_figure and strip_figure (coordinates in points, 1/72 in, on the same
# figure sizes), a few kilobytes each, in a few milliseconds, and vector in print. The
# legends are left to the page (svg_legend), where the browser lays out their text.

_PT = 72.0  # points per inch: SVG user units are points
_TEXT = "#000000"
_RING = "#bdbdbd"
_FONT = 'font-family="DejaVu Sans, Helvetica Neue, Arial, sans-serif"'


@functools.lru_cache(maxsize=1 << 16)  # pages repeat their coordinates (a third of a page)
def _num(value: float) -> str:
    """A coordinate with two decimals at most, never ``-0``."""
    text = f"{value:.2f}"
    if text.endswith("0"):
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _esc(text: object) -> str:
    """Text from data, safe inside SVG (XML) markup."""
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def _columns(table: Any, names: Sequence[str]) -> list[list[Any]]:
    """The named columns of a DataFrame or of a mapping of column name to values."""
    have = list(table.columns) if hasattr(table, "columns") else list(table)
    missing = [c for c in names if c not in have]
    if missing:
        raise ParameterError(
            f"the table lacks column(s) {', '.join(missing)}; pass the output of stage_profile()"
        )
    return [list(table[c]) for c in names]


def _runs(values: Sequence[float]) -> list[list[int]]:
    """Runs of consecutive finite values of a closed series (index k is index 0 again)."""
    k = len(values)
    order = [*range(k), 0] if k else []
    runs: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if math.isfinite(values[i]):
            current.append(i)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _lines(text: str, x: float, y: float, size: float, anchor: str, extra: str = "") -> str:
    """A text of one or more lines, the block centred vertically on ``y``."""
    parts = text.split("\n")
    step = size * 1.2
    first = y - step * (len(parts) - 1) / 2 + 0.35 * size
    spans = "".join(
        f'<tspan x="{_num(x)}" y="{_num(first + step * i)}">{_esc(p)}</tspan>'
        for i, p in enumerate(parts)
    )
    return f'<text font-size="{_num(size)}" text-anchor="{anchor}"{extra}>{spans}</text>'


def _svg(width_in: float, height_in: float, label: str, body: Sequence[str]) -> str:
    w, h = width_in * _PT, height_in * _PT
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(w)} {_num(h)}" '
        f'width="{round(width_in * 96)}" height="{round(height_in * 96)}" role="img" '
        f'aria-label="{_esc(label)}" {_FONT} fill="{_TEXT}">' + "".join(body) + "</svg>"
    )


def radar_svg(
    profile: pd.DataFrame | Mapping[str, Sequence[Any]],
    *,
    target_level: int | None = None,
    max_level: int = 5,
    label: str = "radar chart",
) -> str:
    """:func:`radar_figure` as SVG text (without its legend: see :func:`svg_legend`).

    Parameters
    ----------
    profile : DataFrame or mapping
        Columns ``short_name``, ``level``, ``median``, ``q1``, ``q3`` (NaN: not assessed,
        or no peer statistic shown, which leave gaps); a mapping of column name to
        values will do.
    target_level, max_level
        As for :func:`radar_figure`.
    label : str
        The chart's accessible name (``aria-label``).

    Returns
    -------
    str
        An ``<svg>`` element: the chart area of :data:`RADAR_SIZE` above the legend.
    """
    names, level, median, q1, q3 = _columns(profile, ["short_name", "level", "median", "q1", "q3"])
    level, median, q1, q3 = ([float(v) for v in c] for c in (level, median, q1, q3))
    w_in, h_in = RADAR_SIZE
    side = 2.75 * _PT
    radius = side / 2
    cx, cy = w_in * _PT / 2, h_in * _PT - (1.0 * _PT + radius)
    k = len(names)
    angles = [2 * math.pi * i / k for i in range(k)]

    def point(angle: float, level: float) -> tuple[float, float]:
        rho = radius * level / max_level
        return cx + rho * math.sin(angle), cy - rho * math.cos(angle)

    def path(values: Sequence[float], run: Sequence[int]) -> str:
        return " ".join(
            f"{'M' if n == 0 else 'L'}{_num(x)},{_num(y)}"
            for n, (x, y) in enumerate(point(angles[i], values[i]) for i in run)
        )

    body = []
    for ring in range(1, max_level):  # grid: rings and spokes
        body.append(
            f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(radius * ring / max_level)}" '
            f'fill="none" stroke="{_RING}" stroke-width="0.4"/>'
        )
    for a in angles:
        x, y = point(a, max_level)
        body.append(
            f'<path d="M{_num(cx)},{_num(cy)} L{_num(x)},{_num(y)}" stroke="{_RING}" '
            'stroke-width="0.4"/>'
        )
    body.append(
        f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(radius)}" fill="none" '
        'stroke="#000000" stroke-width="0.4"/>'
    )
    if any(math.isfinite(v) for v in median):  # peers: interquartile band, median
        band = [i for i in range(k) if math.isfinite(q1[i]) and math.isfinite(q3[i])]
        both = [q1[i] if i in band else math.nan for i in range(k)]
        for run in _runs(both):
            outer = path(q3, run)
            inner = " ".join(
                f"L{_num(x)},{_num(y)}" for x, y in (point(angles[i], q1[i]) for i in run[::-1])
            )
            body.append(
                f'<path d="{outer} {inner} Z" fill="#9e9e9e" fill-opacity="0.3" class="peer_iqr"/>'
            )
        for run in _runs(median):
            if len(run) > 1:
                body.append(
                    f'<path d="{path(median, run)}" fill="none" stroke="#616161" '
                    'stroke-width="1" stroke-linejoin="round" class="peer_median"/>'
                )
    if target_level is not None:
        body.append(
            f'<circle cx="{_num(cx)}" cy="{_num(cy)}" '
            f'r="{_num(radius * target_level / max_level)}" fill="none" stroke="#000000" '
            'stroke-width="0.8" stroke-dasharray="2.96 1.28" class="target"/>'
        )
    has_business = any(math.isfinite(v) for v in level)
    if has_business:  # the business: a gap where a stage was not assessed
        for run in _runs(level):
            if len(run) > 1:
                body.append(
                    f'<path d="{path(level, run)}" fill="none" stroke="{OKABE_ITO[0]}" '
                    'stroke-width="1.6" stroke-linejoin="round" class="business"/>'
                )
        for i in range(k):
            if math.isfinite(level[i]):
                x, y = point(angles[i], level[i])
                body.append(
                    f'<circle cx="{_num(x)}" cy="{_num(y)}" r="1.75" fill="{OKABE_ITO[0]}" '
                    'class="business"/>'
                )
    ray = math.pi / k  # ring numbers halfway between the first two stages
    for ring in range(0, max_level + 1):
        x, y = point(ray, ring)
        body.append(
            f'<text x="{_num(x + 1.5)}" y="{_num(y - 1.5)}" font-size="6" fill="#616161">'
            f"{ring}</text>"
        )
    for a, name, lv in zip(angles, (str(n).replace("_", " ") for n in names), level, strict=True):
        text = f"{name}\n(not assessed)" if has_business and not math.isfinite(lv) else name
        turn = (a % (2 * math.pi)) / (2 * math.pi)
        anchor = "start" if 0.02 < turn < 0.48 else "end" if 0.52 < turn < 0.98 else "middle"
        x, y = point(a, max_level)
        pad = 9 + 3.5  # tick pad (matplotlib's default 3.5 points, set to 9) from the ring
        x, y = x + pad * math.sin(a), y - pad * math.cos(a)
        body.append(_lines(text, x, y, 7, anchor))
    return _svg(w_in, h_in - 0.6, label, body)  # the legend below is the page's


def strip_svg(
    table: pd.DataFrame | Mapping[str, Sequence[Any]],
    *,
    min_level: int = 0,
    max_level: int = 5,
    target_level: int | None = None,
    label: str = "strip chart",
) -> str:
    """:func:`strip_figure` as SVG text (without its legend: see :func:`svg_legend`).

    Parameters
    ----------
    table : DataFrame or mapping
        Columns ``short_name``, ``level`` (NaN: not assessed, written as such, never
        drawn at 0), ``median``, ``q1``, ``q3`` (NaN: no peer statistic shown); a
        mapping of column name to values will do.
    min_level, max_level, target_level
        As for :func:`strip_figure`.
    label : str
        The chart's accessible name (``aria-label``).

    Returns
    -------
    str
        An ``<svg>`` element, 0.3 in per stage, the width of :data:`STRIP_WIDTH`.
    """
    names, *numbers = _columns(table, ["short_name", "level", "median", "q1", "q3"])
    level, median, q1, q3 = ([float(v) for v in c] for c in numbers)
    k = len(names)
    h_in = 0.3 * k + 1.15
    left, width = 1.45 * _PT, 2.8 * _PT
    top, height = 0.05 * _PT, (h_in - 1.0) * _PT
    lo, hi = min_level - 0.3, max_level + 0.3

    def sx(v: float) -> float:
        return left + width * (v - lo) / (hi - lo)

    def sy(v: float) -> float:  # y = k - 1 - row; the axis runs from -0.7 to k - 0.3
        return top + height * ((k - 0.3) - v) / k

    bottom = top + height
    body = []
    for tick in range(min_level, max_level + 1):  # grid, below everything
        body.append(
            f'<path d="M{_num(sx(tick))},{_num(top)} V{_num(bottom)}" stroke="#e0e0e0" '
            'stroke-width="0.4"/>'
        )
    bar = 0.46 * height / k
    rows = [sy(k - 1 - i) for i in range(k)]  # the y of each stage, first at the top
    for y, med, low, high in zip(rows, median, q1, q3, strict=True):
        if math.isfinite(med):
            body.append(
                f'<rect x="{_num(sx(low - 0.03))}" y="{_num(y - bar / 2)}" '
                f'width="{_num(sx(high + 0.03) - sx(low - 0.03))}" height="{_num(bar)}" '
                'fill="#9e9e9e" fill-opacity="0.45" class="peer_iqr"/>'
            )
    for y, med in zip(rows, median, strict=True):
        if math.isfinite(med):
            half = math.sqrt(140) / 2
            body.append(
                f'<path d="M{_num(sx(med))},{_num(y - half)} V{_num(y + half)}" '
                f'stroke="{_MEDIAN}" stroke-width="1.6" class="peer_median"/>'
            )
    if target_level is not None:
        body.append(
            f'<path d="M{_num(sx(target_level))},{_num(top)} V{_num(bottom)}" stroke="#000000" '
            'stroke-width="0.8" stroke-dasharray="2.96 1.28" class="target"/>'
        )
    for y, lv in zip(rows, level, strict=True):
        if math.isfinite(lv):
            body.append(
                f'<circle cx="{_num(sx(lv))}" cy="{_num(y)}" '
                f'r="{_num(math.sqrt(30) / 2)}" fill="{OKABE_ITO[0]}" class="business"/>'
            )
    for y, name, lv in zip(rows, names, level, strict=True):  # stage names, right-aligned
        done = math.isfinite(lv)
        style = "" if done else ' fill="#616161" font-style="italic"'
        text = str(name).replace("_", " ") + ("" if done else "\n(not assessed)")
        body.append(_lines(text, left - 3.5, y, 7, "end", style))
    body.append(
        f'<path d="M{_num(left)},{_num(bottom)} H{_num(left + width)}" stroke="#000000" '
        'stroke-width="0.8"/>'
    )
    for tick in range(min_level, max_level + 1):
        x = sx(tick)
        body.append(
            f'<path d="M{_num(x)},{_num(bottom)} v3.5" stroke="#000000" stroke-width="0.8"/>'
        )
        body.append(
            f'<text x="{_num(x)}" y="{_num(bottom + 3.5 + 3.5 + 7 * 0.76)}" font-size="7" '
            f'text-anchor="middle">{tick}</text>'
        )
    body.append(
        f'<text x="{_num(left + width / 2)}" y="{_num(bottom + 3.5 + 3.5 + 7 + 4 + 8 * 0.76)}" '
        'font-size="8" text-anchor="middle">level</text>'
    )
    return _svg(STRIP_WIDTH, h_in - 0.95 + 0.5, label, body)


_SWATCHES = {
    "radar": {
        "peer_iqr": '<rect x="0" y="1" width="16" height="6" fill="#9e9e9e" fill-opacity="0.3"/>',
        "peer_median": '<path d="M0,4 H16" stroke="#616161" stroke-width="1"/>',
        "target": '<path d="M0,4 H16" stroke="#000000" stroke-width="0.8" '
        'stroke-dasharray="2.96 1.28"/>',
        "business": f'<path d="M0,4 H16" stroke="{OKABE_ITO[0]}" stroke-width="1.6"/>'
        f'<circle cx="8" cy="4" r="1.75" fill="{OKABE_ITO[0]}"/>',
    },
    "strip": {
        "business": f'<circle cx="8" cy="4" r="2.74" fill="{OKABE_ITO[0]}"/>',
        "peer_iqr": '<rect x="0" y="1" width="16" height="6" fill="#9e9e9e" fill-opacity="0.45"/>',
        "peer_median": f'<path d="M8,0 V8" stroke="{_MEDIAN}" stroke-width="1.6"/>',
        "target": '<path d="M0,4 H16" stroke="#000000" stroke-width="0.8" '
        'stroke-dasharray="2.96 1.28"/>',
    },
}


def svg_legend(
    kind: str, *, peers: bool, business: bool, target_level: int | None
) -> list[tuple[str, str]]:
    """The legend of :func:`radar_svg` (``kind="radar"``) or :func:`strip_svg` (``"strip"``).

    Returns
    -------
    list of (str, str)
        Per entry a small ``<svg>`` sample of the mark and its text, in the order of
        the matplotlib figures' two-column legends read row by row.
    """
    target = f"target: level {target_level}" if target_level is not None else None
    if kind == "radar":
        wanted = [
            ("peer_iqr", "peers: interquartile range" if peers else None),
            ("target", target),
            ("peer_median", "peers: median" if peers else None),
            ("business", "this business" if business else None),
        ]
    else:
        wanted = [
            ("business", "this business"),
            ("peer_median", "peers: median"),
            ("peer_iqr", "peers: interquartile range"),
            ("target", target),
        ]
    return [
        (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 8" width="21" height="11" '
            f'aria-hidden="true">{_SWATCHES[kind][mark]}</svg>',
            text,
        )
        for mark, text in wanted
        if text is not None
    ]

"""Figures for papers and slides. Each ``plot_*`` draws what the statistics computed.

Every function has the signature ``plot_x(data, *, ..., ax=None, **kwargs) -> Axes``,
never calls ``show`` or ``savefig`` (saving lives in :mod:`cma_research.reporting.files`), and
leaves global matplotlib state alone: wrap calls in :func:`cma_style` for the
package's look (colour-blind-safe palettes, sizes readable at 3.5 in and 7 in wide,
TrueType fonts in PDF).

A stage that was not assessed is never drawn as level 0: it is a gap in a radar
line, its own neutral segment in a distribution bar, and a hatched cell in a heatmap.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes

from cma_research.core.errors import ParameterError

__all__ = [
    "DOUBLE_COLUMN",
    "NOT_ASSESSED_COLOR",
    "OKABE_ITO",
    "SINGLE_COLUMN",
    "axes_for",
    "cma_style",
    "escape_mathtext",
    "level_colors",
    "require_columns",
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


def escape_mathtext(text: object) -> str:
    r"""Text drawn exactly as written: every ``$`` escaped for matplotlib.

    Matplotlib reads text between two ``$`` as mathematics, so a business type such as
    ``$$ Cash $$`` fails to draw and ``Pay $5_$10`` is drawn as a formula. Every text
    that comes from data (ids, business types, stage and level names, column names) is
    passed through this function before it is drawn. A ``$`` that is already escaped
    (``\\$``) is left as it is, so escaping twice (a caller's own escaping, then a
    plot function's) draws the same text as escaping once.

    >>> escape_mathtext("Pay $5_$10")
    'Pay \\$5_\\$10'
    >>> escape_mathtext(escape_mathtext("$$ Cash $$")) == escape_mathtext("$$ Cash $$")
    True
    """
    return _UNESCAPED_DOLLAR.sub(r"\\$", str(text))


_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")


def level_colors(levels: Sequence[int]) -> list[tuple[float, float, float, float]]:
    """An ordered sequential palette (viridis, colour-blind safe) for the levels."""
    cmap = mpl.colormaps["viridis"]
    n = len(levels)
    return [cmap(0.08 + 0.84 * i / max(n - 1, 1)) for i in range(n)]


def axes_for(ax: Axes | None, polar: bool = False, size: tuple[float, float] | None = None) -> Axes:
    if ax is not None:
        if polar and ax.name != "polar":
            raise ParameterError(
                "plot_radar needs polar axes: plt.subplots(subplot_kw={'projection': 'polar'})"
            )
        return ax
    fig = plt.figure(figsize=size or (SINGLE_COLUMN, SINGLE_COLUMN * 0.8))
    return fig.add_subplot(projection="polar" if polar else None)


def require_columns(table: pd.DataFrame, columns: Sequence[str], producer: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ParameterError(
            f"the table lacks column(s) {', '.join(missing)}; pass the output of {producer}"
        )

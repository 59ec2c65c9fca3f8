"""Text for papers: escaping for LaTeX, Markdown and HTML; APA-style statistics; lists
in words.

How numbers are formatted for print (:func:`~cma_research.core.text.format_number`,
the typographic :data:`~cma_research.core.text.MINUS`) lives in
:mod:`cma_research.core.text`, because every layer (figures, claims, tables) prints
numbers the same way; the words the findings choose are in
:mod:`cma_research.reporting.rules`. Nothing here imports matplotlib, so the build and
the command line can use it cheaply.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cma_research.core.errors import ParameterError
from cma_research.core.text import correlation_symbol
from cma_research.core.text import format_number as _num

if TYPE_CHECKING:  # pandas loads where a row is read: escaping and the build need none
    import pandas as pd

__all__ = [
    "apa",
    "escape_html",
    "escape_latex",
    "escape_markdown",
    "format_p",
    "join_words",
    "one_line",
]


# -- escaping -------------------------------------------------------------------------------

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


# Line breaks (and other control characters) inside a cell would end a Markdown table
# row or a LaTeX row (a blank line is a paragraph break, an error inside a tabular).
_BREAKS = re.compile(r"\r\n|[\x00-\x1f\x7f\x85\u2028\u2029]")


def one_line(text: str) -> str:
    r"""``text`` with every line break and control character replaced by a space.

    >>> one_line("Smith &\r\nSons\tLtd")
    'Smith & Sons Ltd'
    """
    return _BREAKS.sub(" ", str(text))


def escape_latex(text: str) -> str:
    r"""Escape LaTeX's special characters; line breaks become spaces (one table row).

    >>> escape_latex("R&D 50% of £_costs")
    'R\\&D 50\\% of £\\_costs'
    >>> escape_latex("two\nlines")
    'two lines'
    """
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in one_line(text))


def escape_markdown(text: str) -> str:
    r"""Escape characters that Markdown (and HTML inside it) would interpret.

    Line breaks and other control characters become spaces, so a cell never splits a
    table row.

    >>> escape_markdown("a|b *c* <d>")
    'a\\|b \\*c\\* &lt;d&gt;'
    >>> escape_markdown("Cafe\nBar")
    'Cafe Bar'
    """
    out = re.sub(r"([\\`*_{}\[\]|#+!])", r"\\\1", one_line(text))
    return out.replace("<", "&lt;").replace(">", "&gt;")


def escape_html(text: str) -> str:
    """Escape text for HTML.

    >>> escape_html('<b>"Smith & Sons"</b>')
    '&lt;b&gt;&quot;Smith &amp; Sons&quot;&lt;/b&gt;'
    """
    return html.escape(str(text), quote=True)


# -- lists in words ---------------------------------------------------------------------------


def join_words(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``.

    >>> join_words(["B01"]), join_words(["B01", "B02"]), join_words(["a", "b", "c"])
    ('B01', 'B01 and B02', 'a, b and c')
    """
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# -- APA strings ------------------------------------------------------------------------------


def format_p(p: float) -> str:
    """APA p-value: exact to three decimals without a leading zero; ``p < .001``.

    >>> format_p(0.08754), format_p(0.0004), format_p(1.0)
    ('p = .088', 'p < .001', 'p = 1.000')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p = n/a"
    if p < 0.001:
        return "p < .001"
    return f"p = {_num(p, 3, bounded=True)}"


def _get(row: Mapping[str, Any] | pd.Series, key: str) -> Any:
    import pandas as pd

    value = row.get(key) if hasattr(row, "get") else None
    return None if value is None or value is pd.NA else value


_CI_COLUMN = re.compile(r"^ci(\d+(?:_\d+)?)_low$")


def _interval(row: Mapping[str, Any] | pd.Series) -> tuple[str, float, float] | None:
    """The row's interval, whatever its level: (``"95% CI"``, low, high), or None when it
    has none or it is NaN. ``ci95_*`` is preferred when several levels are present."""
    import pandas as pd

    keys = [str(k) for k in (row.index if isinstance(row, pd.Series) else row.keys())]
    found = [(m.group(1), k) for k in keys if (m := _CI_COLUMN.match(k))]
    found.sort(key=lambda item: item[0] != "95")
    for level, low_key in found:
        low, high = _get(row, low_key), _get(row, low_key[: -len("low")] + "high")
        if low is None or high is None or math.isnan(float(low)) or math.isnan(float(high)):
            continue
        return f"{level.replace('_', '.')}% CI", float(low), float(high)
    return None


def apa(row: Mapping[str, Any] | pd.Series, *, p: str = "auto") -> str:
    """An APA-style string for one result row of the package's statistics.

    Recognises rows of :func:`~cma_research.correlate` and
    :func:`~cma_research.stage_correlations` (``r``), :func:`~cma_research.cronbach_alpha`
    (``alpha``), :func:`~cma_research.compare_groups` (Kruskal-Wallis and Mann-Whitney
    rows) and model terms (``estimate``).

    Parameters
    ----------
    row : Series or mapping
    p : {"auto", "p_val", "p_perm", "p_adj"}
        Which p-value to report; ``auto`` uses ``p_perm`` when present, else ``p_val``.

    Examples
    --------
    >>> apa({"method": "spearman", "n": 12, "r": 0.5167, "ci95_low": -0.1523,
    ...      "ci95_high": 0.8866, "p_val": 0.0854, "p_perm": 0.08754})
    'ρ(10) = .52, 95% CI [−.15, .89], p = .088'
    >>> apa({"method": "pearson", "n": 40, "r": -0.61, "ci95_low": -0.77,
    ...      "ci95_high": -0.37, "p_val": 2.9e-05})
    'r(38) = −.61, 95% CI [−.77, −.37], p < .001'

    The interval is found whatever its level (``ci80_low``/``ci80_high`` -> ``80% CI``):

    >>> apa({"alpha": 0.83, "ci80_low": 0.71, "ci80_high": 0.89, "n": 12})
    'α = .83, 80% CI [.71, .89], n = 12'
    """
    if p not in ("auto", "p_val", "p_perm", "p_adj"):
        raise ParameterError(f"p={p!r} is not one of 'auto', 'p_val', 'p_perm', 'p_adj'")

    def pick() -> float | None:
        if p != "auto":
            return _get(row, p)
        perm = _get(row, "p_perm")
        if perm is not None and not (isinstance(perm, float) and math.isnan(perm)):
            return float(perm)
        value = _get(row, "p_val")
        return None if value is None else float(value)

    pv = pick()
    p_text = format_p(float(pv)) if pv is not None else "p = n/a"
    test = _get(row, "test")
    if _get(row, "r") is not None:
        symbol = correlation_symbol(str(_get(row, "method")))
        n = int(_get(row, "n"))
        df = n - 2
        if math.isnan(float(row["r"])):
            return f"{symbol}({df}) undefined (a variable is constant)"
        ci = ""
        if (interval := _interval(row)) is not None:
            label, low, high = interval
            ci = f", {label} [{_num(low, bounded=True)}, {_num(high, bounded=True)}]"
        return f"{symbol}({df}) = {_num(float(row['r']), bounded=True)}{ci}, {p_text}"
    if _get(row, "alpha") is not None:
        if math.isnan(float(row["alpha"])):
            return f"\u03b1 undefined (see the note), n = {int(row['n'])}"
        ci = ""
        if (interval := _interval(row)) is not None:
            label, low, high = interval
            ci = f", {label} [{_num(low, bounded=True)}, {_num(high, bounded=True)}]"
        return f"\u03b1 = {_num(float(row['alpha']), bounded=True)}{ci}, n = {int(row['n'])}"
    if test == "kruskal_wallis":
        return (
            f"H({int(row['df'])}) = {_num(float(row['statistic']))}, {p_text}, "
            f"\u03b5\u00b2 = {_num(float(row['effect_size']), bounded=True)}"
        )
    if test == "mann_whitney":
        return (
            f"U = {_num(float(row['statistic']), 1)}, {p_text}, "
            f"r_rb = {_num(float(row['effect_size']), bounded=True)}"
        )
    if _get(row, "estimate") is not None:
        df_text = ""
        if _get(row, "df_resid") is not None:
            df_text = f"t({_num(float(row['df_resid']), 0)}) = {_num(float(row['t']))}, "
        elif _get(row, "z") is not None:
            df_text = f"z = {_num(float(row['z']))}, "
        elif _get(row, "statistic") is not None and _get(row, "df") is not None:
            stat, ref_df = _num(float(row["statistic"])), float(row["df"])
            df_text = (
                f"t({_num(ref_df, 0)}) = {stat}, " if math.isfinite(ref_df) else f"z = {stat}, "
            )
        ci = ""
        if (interval := _interval(row)) is not None:
            label, low, high = interval
            ci = f", {label} [{_num(low)}, {_num(high)}]"
        return f"b = {_num(float(row['estimate']))}{ci}, {df_text}{p_text}"
    raise ParameterError(
        "apa() does not recognise this row; expected a row of correlate, stage_correlations, "
        "cronbach_alpha, compare_groups or a model fit"
    )

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
from typing import TYPE_CHECKING, Any, overload

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
    "parameter_value",
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


def parameter_value(value: Any, default: Any = None, *, has_default: bool = False) -> str:
    """A parameter's value as a reader reads it: text without quotes, ``yes``/``no``,
    ``none`` for no value (``none (default)`` when that is the default).

    >>> parameter_value("data/raw/customer_wise_2007.csv"), parameter_value(True)
    ('data/raw/customer_wise_2007.csv', 'yes')
    >>> parameter_value(None, None, has_default=True), parameter_value(None)
    ('none (default)', 'none')
    >>> parameter_value(20000), parameter_value(0.8), parameter_value(["a", "b"])
    ('20000', '0.8', 'a, b')
    """
    if value is None:
        return "none (default)" if has_default and default is None else "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(parameter_value(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {parameter_value(v)}" for k, v in value.items())
    return one_line(str(value))


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


#: What :func:`apa` recognises, for its error messages.
_APA_EXPECTS = (
    "rows of correlate or stage_correlations (r), cronbach_alpha (alpha), compare_groups "
    "(test: group, warning, kruskal_wallis, mann_whitney), a model fit (estimate), "
    "paired_change or wave_pairs (rank_biserial), attrition(...).tests (effect_size_name), "
    "marginal_homogeneity (test: bowker, stuart_maxwell), or a row with a note saying why it "
    "was not computed"
)

_STATISTIC_KEYS = ("r", "alpha", "statistic", "estimate", "rank_biserial")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _pick_p(row: Mapping[str, Any] | pd.Series, p: str) -> float | None:
    if p != "auto":
        value = _get(row, p)
        return None if _missing(value) else float(value)
    perm = _get(row, "p_perm")
    if not _missing(perm):
        return float(perm)
    value = _get(row, "p_val")
    return None if _missing(value) else float(value)


def _ci_text(row: Mapping[str, Any] | pd.Series, *, bounded: bool) -> str:
    if (interval := _interval(row)) is None:
        return ""
    label, low, high = interval
    return f", {label} [{_num(low, bounded=bounded)}, {_num(high, bounded=bounded)}]"


def _apa_row(row: Mapping[str, Any] | pd.Series, p: str) -> str | None:
    """The APA string of one row, or None when the row is of no kind apa() knows."""
    pv = _pick_p(row, p)
    p_text = format_p(pv) if pv is not None else "p = n/a"
    test = _get(row, "test")
    note = _get(row, "note")
    if note and all(_missing(_get(row, k)) for k in _STATISTIC_KEYS):
        return str(note)
    if _get(row, "r") is not None:
        symbol = correlation_symbol(str(_get(row, "method")))
        n = _get(row, "n")
        if _missing(n):
            return None
        df = int(n) - 2
        if math.isnan(float(row["r"])):
            return f"{symbol}({df}) undefined (a variable is constant)"
        ci = _ci_text(row, bounded=True)
        return f"{symbol}({df}) = {_num(float(row['r']), bounded=True)}{ci}, {p_text}"
    if _get(row, "alpha") is not None:
        if math.isnan(float(row["alpha"])):
            return f"\u03b1 undefined (see the note), n = {int(row['n'])}"
        ci = _ci_text(row, bounded=True)
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
    if test == "group":
        median = _get(row, "median_a")
        mdn = "n/a" if _missing(median) else _num(float(median))
        return f"{_get(row, 'group_a')}: Mdn = {mdn}, n = {int(row['n_a'])}"
    if test == "warning":
        return str(_get(row, "warning") or "")
    if test in ("bowker", "stuart_maxwell"):
        return f"\u03c7\u00b2({int(row['df'])}) = {_num(float(row['statistic']))}, {p_text}"
    if _get(row, "rank_biserial") is not None:
        n = _get(row, "n_pairs")
        r = float(row["rank_biserial"])
        r_text = "undefined" if math.isnan(r) else _num(r, bounded=True)
        stat = _get(row, "statistic")
        t_text = "" if _missing(stat) else f"T = {_num(float(stat), 1)}, "
        n_text = "" if _missing(n) else f", n = {int(n)} pairs"
        return f"{t_text}{p_text}, r_rb = {r_text}{_ci_text(row, bounded=True)}{n_text}"
    if _get(row, "effect_size_name") is not None and _get(row, "statistic") is not None:
        kind = str(_get(row, "effect_size_name"))
        effect = _get(row, "effect_size")
        e_text = "n/a" if _missing(effect) else _num(float(effect), bounded=True)
        stat = float(row["statistic"])
        if kind == "cramers_v":
            return f"\u03c7\u00b2 = {_num(stat)}, {p_text}, V = {e_text}"
        return f"U = {_num(stat, 1)}, {p_text}, r_rb = {e_text}"
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
        elif _get(row, "statistic") is not None:
            df_text = f"z = {_num(float(row['statistic']))}, "
        ci = _ci_text(row, bounded=False)
        return f"b = {_num(float(row['estimate']))}{ci}, {df_text}{p_text}"
    return None


@overload
def apa(row: pd.DataFrame, *, p: str = "auto") -> pd.Series: ...


@overload
def apa(row: Mapping[str, Any] | pd.Series, *, p: str = "auto") -> str: ...


def apa(row: Mapping[str, Any] | pd.Series | pd.DataFrame, *, p: str = "auto") -> str | pd.Series:
    """An APA-style string for a result row of the package's statistics, or for every row
    of a result table.

    Recognises rows of :func:`~cma_research.correlate` and
    :func:`~cma_research.stage_correlations` (``r``), :func:`~cma_research.cronbach_alpha`
    (``alpha``), :func:`~cma_research.compare_groups` (group, warning, Kruskal-Wallis and
    Mann-Whitney rows), model terms (``estimate``), :func:`~cma_research.paired_change`
    and :func:`~cma_research.analysis.change.wave_pairs` (``rank_biserial``),
    ``attrition(...).tests`` and :func:`~cma_research.marginal_homogeneity`; a row that
    was not computed (its statistic missing, its ``note`` saying why) gives its note.

    Parameters
    ----------
    row : Series, mapping or DataFrame
        One result row, or a whole table (every row is formatted).
    p : {"auto", "p_val", "p_perm", "p_adj"}
        Which p-value to report; ``auto`` uses ``p_perm`` when present, else ``p_val``.

    Returns
    -------
    str or Series
        For a row, its string; for a table, a Series of strings with the table's index
        (name ``apa``), one per row.

    Raises
    ------
    ParameterError
        A row of no kind listed above (for a table: naming the rows), or an unknown ``p``.

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

    A whole table, every row formatted:

    >>> import cma_research as cma
    >>> groups = cma.compare_groups(cma.datasets.customer_wise_2007(), "size_band")
    >>> apa(groups).tolist()[:2]
    ['micro: Mdn = 1.60, n = 11', 'small: Mdn = 2.60, n = 4']
    >>> apa(groups).tolist()[4]
    'H(2) = 4.47, p = .107, ε² = .30'
    """
    if p not in ("auto", "p_val", "p_perm", "p_adj"):
        raise ParameterError(f"p={p!r} is not one of 'auto', 'p_val', 'p_perm', 'p_adj'")
    import pandas as pd

    if isinstance(row, pd.DataFrame):
        texts, unknown = [], []
        for label, one in row.iterrows():
            text = _apa_row(one, p)
            if text is None:
                unknown.append(str(label))
            texts.append(text)
        if unknown:
            shown = ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else "")
            raise ParameterError(
                f"apa() does not recognise row(s) {shown} of this table (columns: "
                f"{', '.join(map(str, row.columns))}); expected {_APA_EXPECTS}"
            )
        return pd.Series(texts, index=row.index, name="apa", dtype="string")
    text = _apa_row(row, p)
    if text is None:
        raise ParameterError(f"apa() does not recognise this row; expected {_APA_EXPECTS}")
    return text

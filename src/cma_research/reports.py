"""Saving figures and tables for papers, byte-identical across rebuilds; APA strings."""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._atomic import write_all_atomic
from .exceptions import ParameterError

__all__ = [
    "apa",
    "escape_html",
    "escape_latex",
    "escape_markdown",
    "format_p",
    "save_figure",
    "save_table",
    "to_markdown",
]

_FIG_FORMATS = ("pdf", "svg", "png")
_TABLE_FORMATS = ("csv", "tex", "md")
# Metadata that would otherwise carry dates or tool versions into the files.
_METADATA: dict[str, dict[str, Any]] = {
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None, "ModDate": None},
    "svg": {"Date": None, "Creator": None},
    "png": {"Software": None},
}
MINUS = "\u2212"


def save_figure(
    fig: Figure,
    stem: str | Path,
    *,
    formats: Sequence[str] = _FIG_FORMATS,
    dpi: int = 300,
) -> dict[str, Path]:
    """Write a figure as PDF, SVG and 300-dpi PNG, byte-identical for identical input.

    No creation dates or tool banners are written, SVG element ids come from a fixed
    salt, and fonts are embedded as TrueType (``pdf.fonttype = 42``). Every file is
    written to a temporary name and renamed.

    Parameters
    ----------
    fig : Figure
    stem : str or Path
        Path without suffix, e.g. ``reports/figures/radar_B09``.
    formats : sequence of {"pdf", "svg", "png"}
    dpi : int
        Resolution of the PNG.

    Returns
    -------
    dict
        Format -> path written.
    """
    for f in formats:
        if f not in _FIG_FORMATS:
            raise ParameterError(f"format {f!r} is not one of {', '.join(_FIG_FORMATS)}")
    files: dict[str | Path, bytes] = {}
    out: dict[str, Path] = {}
    rc: dict[Any, Any] = {
        "pdf.fonttype": 42,
        "svg.hashsalt": "cma_research",
        "svg.fonttype": "none",
    }
    with mpl.rc_context(rc):
        for f in formats:
            buf = io.BytesIO()
            fig.savefig(
                buf, format=f, dpi=dpi, metadata=_METADATA[f], bbox_inches="tight", pad_inches=0.04
            )
            path = Path(f"{stem}.{f}")
            files[path] = buf.getvalue()
            out[f] = path
    write_all_atomic(files)
    return out


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


def escape_latex(text: str) -> str:
    r"""Escape LaTeX's special characters.

    >>> escape_latex("R&D 50% of £_costs")
    'R\\&D 50\\% of £\\_costs'
    """
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def escape_markdown(text: str) -> str:
    r"""Escape characters that Markdown (and HTML inside it) would interpret.

    >>> escape_markdown("a|b *c* <d>")
    'a\\|b \\*c\\* &lt;d&gt;'
    """
    out = re.sub(r"([\\`*_{}\[\]|#+!])", r"\\\1", str(text))
    return out.replace("<", "&lt;").replace(">", "&gt;")


def escape_html(text: str) -> str:
    """Escape text for HTML.

    >>> escape_html('<b>"Smith & Sons"</b>')
    '&lt;b&gt;&quot;Smith &amp; Sons&quot;&lt;/b&gt;'
    """
    return html.escape(str(text), quote=True)


# -- tables ---------------------------------------------------------------------------------

Formatter = str | Callable[[Any], str]


def _formatter(spec: Formatter | None, series: pd.Series) -> Callable[[Any], str]:
    def missing(v: Any) -> bool:
        return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))

    if callable(spec):
        fn = spec
        return lambda v: "" if missing(v) else fn(v)
    if spec is not None:
        fmt = spec

        def formatted(v: Any) -> str:
            text = fmt.format(v)
            return text.replace("-", MINUS) if isinstance(v, int | float | np.number) else text

        return lambda v: "" if missing(v) else formatted(v)
    if pd.api.types.is_integer_dtype(series) or pd.api.types.is_bool_dtype(series):
        return lambda v: "" if missing(v) else str(v)
    if pd.api.types.is_float_dtype(series):
        return lambda v: "" if missing(v) else f"{v:.3f}".replace("-", MINUS)
    return lambda v: "" if missing(v) else str(v)


def _rendered(df: pd.DataFrame, formats: Mapping[str, Formatter]) -> pd.DataFrame:
    unknown = sorted(set(formats) - set(df.columns))
    if unknown:
        raise ParameterError(f"formats name unknown column(s): {', '.join(unknown)}")
    out = pd.DataFrame(index=range(len(df)))
    for col in df.columns:
        fn = _formatter(formats.get(col), df[col])
        out[str(col)] = [fn(v) for v in df[col].tolist()]
    return out


def to_markdown(
    df: pd.DataFrame, *, caption: str | None = None, formats: Mapping[str, Formatter] | None = None
) -> str:
    """A GitHub/pandoc pipe table, every cell escaped.

    >>> print(to_markdown(pd.DataFrame({"type": ["A|B"], "r": [0.5]})))
    | type | r |
    | --- | ---: |
    | A\\|B | 0.500 |
    """
    text = _rendered(df, formats or {})
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    lines = []
    if caption:
        lines += [f"Table: {escape_markdown(caption)}", ""]
    lines.append("| " + " | ".join(escape_markdown(c) for c in text.columns) + " |")
    lines.append("| " + " | ".join("---:" if n else "---" for n in numeric) + " |")
    for row in text.itertuples(index=False):
        lines.append("| " + " | ".join(escape_markdown(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def _to_latex(
    df: pd.DataFrame, caption: str | None, label: str | None, formats: Mapping[str, Formatter]
) -> str:
    text = _rendered(df, formats)
    # escape, then typeset the true minus sign the text renderer uses as math
    escaped = text.map(lambda v: escape_latex(v).replace(MINUS, "$-$"))
    escaped.columns = [escape_latex(c) for c in text.columns]
    align = "".join("r" if pd.api.types.is_numeric_dtype(df[c]) else "l" for c in df.columns)
    styler = escaped.style.hide(axis="index")
    latex = styler.to_latex(
        hrules=True,  # booktabs \toprule \midrule \bottomrule
        column_format=align,
        caption=escape_latex(caption) if caption else None,
        label=label,
        position_float="centering" if caption or label else None,
        environment="table" if caption or label else None,
    )
    return latex


def save_table(
    df: pd.DataFrame,
    stem: str | Path,
    *,
    caption: str | None = None,
    label: str | None = None,
    formats: Mapping[str, Formatter] | None = None,
    sort_by: Sequence[str] | None = None,
    outputs: Sequence[str] = _TABLE_FORMATS,
) -> dict[str, Path]:
    """Write a table as CSV (full precision), LaTeX (booktabs) and Markdown.

    Parameters
    ----------
    df : DataFrame
        A tidy result table; the index is not written.
    stem : str or Path
        Path without suffix, e.g. ``reports/tables/size_correlations``.
    caption, label : str, optional
        LaTeX caption and ``\\label`` (the caption also heads the Markdown table).
    formats : mapping, optional
        Per-column format for LaTeX and Markdown: a format string (``"{:.2f}"``) or a
        function. Default: integers as they are, floats to 3 decimals with a true minus
        sign, missing values empty. The CSV is never rounded.
    sort_by : sequence of str, optional
        Columns to sort rows by (stable); default keeps the given (deterministic) order.
    outputs : sequence of {"csv", "tex", "md"}

    Returns
    -------
    dict
        Output kind -> path written. Text cells are escaped for LaTeX and Markdown.
    """
    for kind in outputs:
        if kind not in _TABLE_FORMATS:
            raise ParameterError(f"output {kind!r} is not one of {', '.join(_TABLE_FORMATS)}")
    table = df.reset_index(drop=True)
    if sort_by:
        table = table.sort_values(list(sort_by), kind="stable").reset_index(drop=True)
    fmts = dict(formats or {})
    files: dict[str | Path, bytes] = {}
    out: dict[str, Path] = {}
    for kind in outputs:
        path = Path(f"{stem}.{kind}")
        if kind == "csv":
            data = table.to_csv(index=False, lineterminator="\n")
        elif kind == "tex":
            data = _to_latex(table, caption, label, fmts)
        else:
            data = to_markdown(table, caption=caption, formats=fmts)
        files[path] = data.encode("utf-8")
        out[kind] = path
    write_all_atomic(files)
    return out


# -- APA strings ------------------------------------------------------------------------------


def _num(v: float, digits: int = 2, *, bounded: bool = False) -> str:
    text = f"{v:.{digits}f}"
    if bounded:  # no leading zero for statistics that cannot exceed 1
        text = re.sub(r"^(-?)0\.", r"\1.", text)
    return text.replace("-", MINUS)


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
    value = row.get(key) if hasattr(row, "get") else None
    return None if value is None or value is pd.NA else value


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
        symbol = {"spearman": "\u03c1", "kendall": "\u03c4"}.get(str(_get(row, "method")), "r")
        n = int(_get(row, "n"))
        df = n - 2
        if math.isnan(float(row["r"])):
            return f"{symbol}({df}) undefined (a variable is constant)"
        ci = ""
        if _get(row, "ci95_low") is not None and not math.isnan(float(_get(row, "ci95_low"))):
            ci = (
                f", 95% CI [{_num(float(row['ci95_low']), bounded=True)}, "
                f"{_num(float(row['ci95_high']), bounded=True)}]"
            )
        return f"{symbol}({df}) = {_num(float(row['r']), bounded=True)}{ci}, {p_text}"
    if _get(row, "alpha") is not None:
        return (
            f"\u03b1 = {_num(float(row['alpha']), bounded=True)}, 95% CI "
            f"[{_num(float(row['ci95_low']), bounded=True)}, "
            f"{_num(float(row['ci95_high']), bounded=True)}], n = {int(row['n'])}"
        )
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
        ci = ""
        if _get(row, "ci95_low") is not None and not np.isnan(float(row["ci95_low"])):
            ci = f", 95% CI [{_num(float(row['ci95_low']))}, {_num(float(row['ci95_high']))}]"
        return f"b = {_num(float(row['estimate']))}{ci}, {df_text}{p_text}"
    raise ParameterError(
        "apa() does not recognise this row; expected a row of correlate, stage_correlations, "
        "cronbach_alpha, compare_groups or a model fit"
    )

"""Shares in words: percentages, the stage most often at the lowest level, a share with
its interval, and lists joined with "and".

Rules 5 (*most often at the lowest level*) and 8 (*percentages*) of
:mod:`cma_research.reporting.words`, where they are stated and from where these names
stay importable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from cma_research.core.instrument import Instrument

__all__ = ["join_words", "most_often_below", "percent", "share_phrase"]


def percent(share: float) -> str:
    """A share as a whole percentage (rule 8).

    >>> percent(0.153285), percent(0.004), percent(0.0), percent(1.0)
    ('15%', '< 1%', '0%', '100%')
    """
    if math.isnan(share):
        return "n/a"
    if 0 < share < 0.005:
        return "< 1%"
    return f"{100 * share:.0f}%"


def join_words(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def most_often_below(distribution_table: pd.DataFrame, instrument: Instrument) -> str:
    """The stage(s) most often at the lowest level, ties named (rule 5).

    Parameters
    ----------
    distribution_table : DataFrame
        The output of :func:`~cma_research.level_distribution`.
    instrument : Instrument
        For the stage names and the lowest level.

    Returns
    -------
    str
        Markdown, e.g. ``"**Customer Contact** (25% of 16 businesses)"`` or
        ``"**Customer Contact** and **ICT systems and software** (both 25%)"``;
        ``"no stage"`` (the instrument's word) when no assessment is at that level.

    Examples
    --------
    >>> import pandas as pd
    >>> from cma_research.core.instrument import get_instrument
    >>> cw = get_instrument("customer_wise_2007")
    >>> table = pd.DataFrame({"stage": ["stage_1", "stage_3", "stage_5", "all"],
    ...                       "n_assessed": [16, 12, 16, 44],
    ...                       "n_level_0": [4, 3, 1, 8]})
    >>> most_often_below(table, cw)
    '**Customer Contact** and **ICT systems and software** (both 25%)'
    """
    tied, share, n = _most_often(distribution_table, instrument)
    if not tied:
        return f"no {instrument.stage_noun}"
    names = {s.id: s.name for s in instrument.stages}
    labels = [f"**{names.get(sid, sid)}**" for sid in tied]
    if len(tied) == 1:
        return f"{labels[0]} ({percent(share)} of {n} businesses)"
    each = "both" if len(tied) == 2 else "each"
    return f"{join_words(labels)} ({each} {percent(share)})"


def _most_often(
    distribution_table: pd.DataFrame, instrument: Instrument
) -> tuple[list[str], float, int]:
    """(stage ids sharing the largest share at the lowest level, that share, the n of
    the first); no ids when no stage has any assessment there."""
    lowest = instrument.levels[0].value
    rows = distribution_table[distribution_table["stage"] != "all"]
    rows = rows[rows["n_assessed"] > 0]
    counts = [
        (str(r["stage"]), int(r[f"n_level_{lowest}"]), int(r["n_assessed"]))
        for _, r in rows.iterrows()
    ]
    if not counts:
        return [], math.nan, 0
    best = max(counts, key=lambda c: c[1] / c[2])
    if best[1] == 0:
        return [], 0.0, 0
    # exact comparison of fractions a/b == c/d <=> a d == c b
    tied = [c[0] for c in counts if c[1] * best[2] == best[1] * c[2]]
    return tied, best[1] / best[2], best[2]


def share_phrase(
    share: float, low: float, high: float, n: int, unit: str = "assessments", *, method: str = ""
) -> str:
    """A share with its 95% interval and n, e.g. ``"15% (95% CI 10% to 22%, n = 137
    assessments)"``.

    >>> share_phrase(0.153, 0.097, 0.224, 137, method="exact Clopper-Pearson")
    '15% (95% CI 10% to 22%, exact Clopper-Pearson, n = 137 assessments)'
    """
    parts = []
    if not (math.isnan(low) or math.isnan(high)):
        parts.append(f"95% CI {percent(low)} to {percent(high)}")
    if method:
        parts.append(method)
    parts.append(f"n = {n} {unit}")
    return f"{percent(share)} ({', '.join(parts)})"

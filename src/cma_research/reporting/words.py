"""Prose that follows the results: every qualitative word comes from a rule stated here.

The notebooks' findings are sentences around computed numbers. Nothing in them may be
typed in by hand, words included: "larger businesses tended to score higher", "wide",
"hang together as a scale", "most often below level 1" are each decided by one of the
rules below, applied to the rows the statistics functions returned, and the
instrument supplies its own names (its word for a stage or dimension, how many it
has, its stage and level names).

**Rules**

1. *Strength of a correlation* (:func:`strength_word`), on ``|r|`` (Pearson, Spearman's
   rho or Kendall's tau alike): Cohen's (1988, *Statistical power analysis for the
   behavioral sciences*, 2nd ed., sect. 3.2) conventions for r: below .10
   ``negligible``, .10 to < .30 ``weak`` (Cohen's "small"), .30 to < .50
   ``moderate`` ("medium"), .50 and above ``strong`` ("large").
2. *Direction* (:func:`direction_phrase`) is established only when the 95% interval
   excludes 0 (both bounds above 0: positive, both below: negative). An interval that
   includes 0 gives "no clear association", whatever the estimate. Without an interval
   (``n_boot=0`` or a degenerate bootstrap) the two-sided p (``p_perm`` when present,
   else ``p_val``) below :data:`ALPHA` = .05 decides instead, by the sign of r.
3. *Width of an interval* (:func:`interval_phrase`): ``wide`` when the 95% interval is
   wider than :data:`WIDE` = 0.5 on the r scale. Cohen's bands are .2 to .5 wide, so
   such an interval spans at least two of them (e.g. weak to strong) and cannot tell
   the strength; a narrower one is called ``narrow`` and its strength is read from the
   bands its bounds fall in.
4. *Reliability* (:func:`reliability_word`, :func:`reliability_phrase`): George &
   Mallery's (2003, *SPSS for Windows step by step*, 4th ed., p. 231) bands for
   Cronbach's alpha: >= .90 ``excellent``, >= .80 ``good``, >= .70 ``acceptable``,
   >= .60 ``questionable``, >= .50 ``poor``, below .50 ``unacceptable``. The stages
   "hang together as a scale" only when alpha >= :data:`ALPHA_ACCEPTABLE` = .70;
   when alpha is acceptable but the interval's lower bound is below .70 the sentence
   says so.
5. *Most often at the lowest level* (:func:`most_often_below`): the stage(s) with the
   largest share of assessments at the instrument's lowest level; shares are compared
   exactly (as fractions of counts), and every stage sharing the largest share is
   named ("A and B (both 25%)"). A largest share of 0 says that no stage was.
6. *The lowest level in words* (:func:`lowest_level_phrase`): when its label says
   "below ..." (Customer Wise: "Below level 1") the label is used ("below level 1");
   otherwise "at level 0 (Proto)".
7. *Counts in words* (:func:`count_words`): APA style (7th ed., 6.32): words below 10,
   numerals from 10 ("six dimensions", "10 stages").
8. *Percentages* are shown to whole percent (``15%``); shares below 0.5% but above 0
   are shown as ``< 1%``.

Numbers are formatted by :func:`cma_research.reporting.text.apa` (APA strings) and
rounded only here, when written. The paragraphs built from these rules are in
:mod:`cma_research.reporting.wording`. Rules 5 and 8 (and :func:`join_words`) are
implemented in :mod:`cma_research.reporting.shares`; their names stay importable from here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cma_research.core.instrument import Instrument
from cma_research.core.text import format_number as _num
from cma_research.reporting.shares import (
    join_words,
    most_often_below,
    percent,
    share_phrase,
)
from cma_research.reporting.text import apa

__all__ = [
    "ALPHA",
    "ALPHA_ACCEPTABLE",
    "RELIABILITY_BANDS",
    "STRENGTH_BANDS",
    "WIDE",
    "count_words",
    "direction",
    "direction_phrase",
    "interval_phrase",
    "join_words",
    "lowest_level_phrase",
    "most_often_below",
    "percent",
    "reliability_phrase",
    "reliability_word",
    "row_number",
    "share_phrase",
    "strength_word",
]

Row = Mapping[str, Any] | pd.Series

#: Significance level used only when a row has no interval (rule 2).
ALPHA = 0.05
#: An interval wider than this on the r scale is "wide" (rule 3).
WIDE = 0.5
#: Cohen (1988): lower bounds of |r| for each word, largest first (rule 1).
STRENGTH_BANDS: tuple[tuple[float, str], ...] = (
    (0.5, "strong"),
    (0.3, "moderate"),
    (0.1, "weak"),
    (0.0, "negligible"),
)
#: George & Mallery (2003): lower bounds of alpha for each word, largest first (rule 4).
RELIABILITY_BANDS: tuple[tuple[float, str], ...] = (
    (0.9, "excellent"),
    (0.8, "good"),
    (0.7, "acceptable"),
    (0.6, "questionable"),
    (0.5, "poor"),
    (-math.inf, "unacceptable"),
)
#: Alpha from which the stages "hang together as a scale" (rule 4).
ALPHA_ACCEPTABLE = 0.7

_CI_METHODS = {"clopper-pearson": "exact Clopper-Pearson", "wilson": "Wilson score"}
_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def row_number(row: Row, key: str) -> float:
    """``row[key]`` as a float; NaN when it is missing, NA or not a number."""
    value = row.get(key) if hasattr(row, "get") else None
    if value is None or value is pd.NA:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def count_words(n: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun, APA style: words below 10, numerals from 10 (rule 7).

    >>> count_words(6, "dimension"), count_words(10, "stage"), count_words(1, "stage")
    ('six dimensions', '10 stages', 'one stage')
    """
    word = _WORDS[n] if 0 <= n < 10 else str(n)
    return f"{word} {noun if n == 1 else (plural or noun + 's')}"


def strength_word(r: float) -> str:
    """Cohen's (1988) word for the strength of a correlation (rule 1).

    >>> [strength_word(v) for v in (0.05, -0.1, 0.29, 0.3, -0.52, 1.0)]
    ['negligible', 'weak', 'weak', 'moderate', 'strong', 'strong']
    """
    if math.isnan(r):
        return "undefined"
    size = abs(r)
    return next(word for bound, word in STRENGTH_BANDS if size >= bound)


def reliability_word(alpha: float) -> str:
    """George & Mallery's (2003) word for Cronbach's alpha (rule 4).

    >>> [reliability_word(a) for a in (0.95, 0.85, 0.7, 0.69, 0.55, 0.2)]
    ['excellent', 'good', 'acceptable', 'questionable', 'poor', 'unacceptable']
    """
    if math.isnan(alpha):
        return "undefined"
    return next(word for bound, word in RELIABILITY_BANDS if alpha >= bound)


def _interval(row: Row) -> tuple[float, float]:
    return row_number(row, "ci95_low"), row_number(row, "ci95_high")


def _p(row: Row) -> float:
    perm = row_number(row, "p_perm")
    return perm if not math.isnan(perm) else row_number(row, "p_val")


def direction(row: Row) -> int:
    """+1, -1 or 0 (not established) for a correlation row (rule 2).

    >>> direction({"r": 0.52, "ci95_low": -0.15, "ci95_high": 0.89})
    0
    >>> direction({"r": -0.98, "ci95_low": -1.0, "ci95_high": -0.95})
    -1
    >>> direction({"r": 0.6, "ci95_low": float("nan"), "ci95_high": float("nan"),
    ...            "p_val": 0.01})
    1
    """
    r = row_number(row, "r")
    if math.isnan(r) or r == 0:
        return 0
    low, high = _interval(row)
    if not (math.isnan(low) or math.isnan(high)):
        if low > 0:
            return 1
        if high < 0:
            return -1
        return 0
    p = _p(row)
    return (1 if r > 0 else -1) if p < ALPHA else 0


def _who(row: Row) -> tuple[str, str]:
    """(the higher group, the lower group) of the covariate, in words."""
    covariate = str(row.get("covariate", "")) if hasattr(row, "get") else ""
    if covariate in ("staff", "log_staff", ""):
        return "larger businesses", "smaller businesses"
    label = covariate.replace("_", " ")
    return f"businesses with higher {label}", f"businesses with lower {label}"


def direction_phrase(row: Row) -> str:
    """What a correlation row says about direction, in words (rule 2).

    >>> direction_phrase({"covariate": "staff", "r": 0.7, "ci95_low": 0.2, "ci95_high": 0.9})
    'larger businesses tended to score higher'
    >>> direction_phrase({"covariate": "staff", "r": -0.98, "ci95_low": -1.0,
    ...                   "ci95_high": -0.95})
    'smaller businesses tended to score higher'
    >>> direction_phrase({"covariate": "staff", "r": 0.52, "ci95_low": -0.15,
    ...                   "ci95_high": 0.89})
    'no clear association'
    """
    sign = direction(row)
    if sign == 0:
        return "no clear association"
    higher, lower = _who(row)
    return f"{higher if sign > 0 else lower} tended to score higher"


def interval_phrase(row: Row) -> str:
    """One sentence on the 95% interval of a correlation: width and what it settles.

    Rules 1-3: ``wide`` when wider than :data:`WIDE`; whether it includes 0; the
    strength words of its bounds.

    >>> print(interval_phrase({"r": 0.52, "ci95_low": -0.15, "ci95_high": 0.89}))
    ... # doctest: +NORMALIZE_WHITESPACE
    The 95% interval, −.15 to .89, is wide and includes 0, so the direction is not
    established.
    >>> print(interval_phrase({"r": -0.98, "ci95_low": -1.0, "ci95_high": -0.95}))
    ... # doctest: +NORMALIZE_WHITESPACE
    The 95% interval, −1.00 to −.95, is narrow and excludes 0: a strong negative
    association.
    """
    low, high = _interval(row)
    if math.isnan(low) or math.isnan(high):
        method = row.get("ci_method") if hasattr(row, "get") else None
        reason = f" ({method})" if method else ""
        return f"No interval could be computed{reason}."
    text = f"The 95% interval, {_num(low, bounded=True)} to {_num(high, bounded=True)}"
    wide = high - low > WIDE
    includes_zero = low <= 0 <= high
    if includes_zero:
        if wide:
            return f"{text}, is wide and includes 0, so the direction is not established."
        most = strength_word(max(abs(low), abs(high)))
        return (
            f"{text}, is narrow and includes 0: any association is at most {most} "
            "and its direction is not established."
        )
    sign = "positive" if low > 0 else "negative"
    near, far = sorted((abs(low), abs(high)))
    weakest, strongest = strength_word(near), strength_word(far)
    if wide:
        span = weakest if weakest == strongest else f"anywhere from {weakest} to {strongest}"
        return f"{text}, excludes 0 but is wide: the association is {sign}, its strength {span}."
    strength = weakest if weakest == strongest else f"{weakest} to {strongest}"
    return f"{text}, is narrow and excludes 0: a {strength} {sign} association."


def _plural(instrument: Instrument) -> str:
    return f"{instrument.stage_noun}s"


def reliability_phrase(alpha_row: Row, instrument: Instrument) -> str:
    """Whether the instrument's stages hang together as a scale, by rule 4.

    Uses the instrument's own word for a stage and the number of stages in the alpha
    computation (``k``).

    >>> from cma_research.core.instrument import get_instrument
    >>> mcf = get_instrument("managing_customers_framework")
    >>> print(reliability_phrase({"alpha": 0.84, "ci95_low": 0.74, "ci95_high": 0.91,
    ...                           "n": 30, "k": 6}, mcf))  # doctest: +NORMALIZE_WHITESPACE
    The six dimensions hang together as a scale: Cronbach's α = .84, 95% CI [.74, .91],
    n = 30 (good by George & Mallery's bands).
    """
    k = int(row_number(alpha_row, "k")) if not math.isnan(row_number(alpha_row, "k")) else 0
    k = k or len(instrument.stages)
    what = f"The {count_words(k, instrument.stage_noun)}"
    alpha = row_number(alpha_row, "alpha")
    if math.isnan(alpha):
        note = alpha_row.get("note") if hasattr(alpha_row, "get") else None
        reason = f": {note}" if note else ""
        return f"Cronbach's α could not be computed for the {what[4:]}{reason}."
    word = reliability_word(alpha)
    stats_text = f"Cronbach's {apa(alpha_row)} ({word} by George & Mallery's bands)"
    if alpha >= ALPHA_ACCEPTABLE:
        low = row_number(alpha_row, "ci95_low")
        caveat = ""
        if not math.isnan(low) and low < ALPHA_ACCEPTABLE:
            caveat = (
                f"; the interval's lower bound, {_num(low, bounded=True)}, is below "
                f"{_num(ALPHA_ACCEPTABLE, bounded=True)}, so this is not settled"
            )
        return f"{what} hang together as a scale: {stats_text}{caveat}."
    return (
        f"{what} do not hang together well enough to be read as one scale: "
        f"{stats_text}; {_num(ALPHA_ACCEPTABLE, bounded=True)} is the usual minimum."
    )


def lowest_level_phrase(instrument: Instrument) -> str:
    """How "at the instrument's lowest level" reads (rule 6).

    >>> from cma_research.core.instrument import get_instrument
    >>> lowest_level_phrase(get_instrument("customer_wise_2007"))
    'below level 1'
    >>> lowest_level_phrase(get_instrument("managing_customers_framework"))
    'at level 0 (Proto)'
    """
    lowest = instrument.levels[0]
    label = lowest.label.strip()
    if label.lower().startswith("below"):
        return label[0].lower() + label[1:]
    return f"at level {lowest.value} ({label})"

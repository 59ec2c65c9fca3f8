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
rounded only here, when written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from cma_research.core.cohort import Cohort
from cma_research.core.instrument import Instrument
from cma_research.core.text import format_number as _num
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
    "lowest_level_phrase",
    "maturity_paragraph",
    "most_often_below",
    "percent",
    "reliability_phrase",
    "reliability_word",
    "share_phrase",
    "size_paragraph",
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


def _value(row: Row, key: str) -> float:
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
    return _value(row, "ci95_low"), _value(row, "ci95_high")


def _p(row: Row) -> float:
    perm = _value(row, "p_perm")
    return perm if not math.isnan(perm) else _value(row, "p_val")


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
    r = _value(row, "r")
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
    k = int(_value(alpha_row, "k")) if not math.isnan(_value(alpha_row, "k")) else 0
    k = k or len(instrument.stages)
    what = f"The {count_words(k, instrument.stage_noun)}"
    alpha = _value(alpha_row, "alpha")
    if math.isnan(alpha):
        note = alpha_row.get("note") if hasattr(alpha_row, "get") else None
        reason = f": {note}" if note else ""
        return f"Cronbach's α could not be computed for the {what[4:]}{reason}."
    word = reliability_word(alpha)
    stats_text = f"Cronbach's {apa(alpha_row)} ({word} by George & Mallery's bands)"
    if alpha >= ALPHA_ACCEPTABLE:
        low = _value(alpha_row, "ci95_low")
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


def _join(items: Sequence[str]) -> str:
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
    return f"{_join(labels)} ({each} {percent(share)})"


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


def size_paragraph(size_row: Row, alpha_row: Row, cohort: Cohort, strategy: str) -> str:
    """The "size and maturity" finding in Markdown, every word decided by the rules.

    Parameters
    ----------
    size_row : Series or mapping
        One row of :func:`~cma_research.correlate` (a covariate against a score).
    alpha_row : Series or mapping
        The row of :func:`~cma_research.cronbach_alpha`.
    cohort : Cohort
        For the instrument's words (stage noun and count).
    strategy : str
        The notebook's missing-data strategy; a row computed under another one is
        named as such.

    Returns
    -------
    str
        Markdown: direction (bold), strength, the APA string with its p-value method,
        strategy and n, the interval sentence, and the reliability sentence.

    Examples
    --------
    >>> from cma_research import load_returns, correlate, cronbach_alpha
    >>> cohort = load_returns("data/raw/customer_wise_2007.csv")
    >>> row = correlate(cohort, n_boot=2000, n_perm=2000, seed=1).iloc[0]
    >>> text = size_paragraph(row, cronbach_alpha(cohort).iloc[0], cohort, "complete_case")
    >>> text.split(":")[0]
    '**No clear association** between size and maturity'
    """
    inst = cohort.instrument
    sign = direction(size_row)
    r = _value(size_row, "r")
    method = str(size_row.get("method", "")).capitalize()
    covariate = str(size_row.get("covariate", "staff"))
    what = "staff numbers" if covariate in ("staff", "log_staff") else covariate.replace("_", " ")
    score = str(size_row.get("score", "mean"))
    score_text = (
        f"the {score} {inst.stage_noun} level"
        if score in ("mean", "median", "min", "max")
        else f"the {score.replace('_', ' ')} score"
    )
    row_strategy = str(size_row.get("strategy", strategy))
    strategy_text = (
        f"strategy {row_strategy}"
        if row_strategy == strategy
        else f"strategy {row_strategy}, not the notebook's {strategy}"
    )
    n = int(_value(size_row, "n"))
    # "Monte Carlo permutation (2000 draws)" -> "Monte Carlo permutation, 2000 draws"
    p_method = re.sub(r" \((.*)\)$", r", \1", str(size_row.get("p_method", "")))
    lean = ""
    if sign == 0:
        head = "**No clear association** between size and maturity"
        if not math.isnan(r) and strength_word(r) != "negligible":
            higher, lower = _who(size_row)
            lean = (
                f"The estimate itself is {strength_word(r)} and leans towards higher scores "
                f"in {higher if r > 0 else lower}, which these data do not establish. "
            )
    else:
        phrase = direction_phrase(size_row)
        head = f"**{phrase[0].upper()}{phrase[1:]}**"
        head += f" (a {strength_word(r)} {'positive' if sign > 0 else 'negative'} association)"
    text = (
        f"{head}: {method} correlation of {what} with {score_text}, {apa(size_row)} "
        f"({p_method}; {strategy_text}, n = {n} businesses). {interval_phrase(size_row)} "
        f"{lean}"
    )
    alpha_strategy = str(alpha_row.get("strategy", strategy))
    reliability = reliability_phrase(alpha_row, inst)
    if alpha_strategy != strategy:
        reliability = reliability[:-1] + (
            f" (computed under strategy {alpha_strategy}: alpha needs every "
            f"{inst.stage_noun} of every business, which strategy {strategy} does not give)."
        )
    return text + reliability


def maturity_paragraph(
    level_distribution_table: pd.DataFrame,
    business_scores_table: pd.DataFrame,
    target_level: int,
    cohort: Cohort,
) -> str:
    """The "maturity" finding in Markdown: the share at the lowest level, the stage(s)
    most often there (ties named), the typical business and the gap to the target.

    Parameters
    ----------
    level_distribution_table : DataFrame
        :func:`~cma_research.level_distribution` of the cohort.
    business_scores_table : DataFrame
        :func:`~cma_research.business_scores` of the cohort.
    target_level : int
        The target level (named by its label).
    cohort : Cohort
        For the instrument's words.

    Examples
    --------
    >>> from cma_research import load_returns, level_distribution, business_scores
    >>> cohort = load_returns("data/raw/customer_wise_2007.csv")
    >>> text = maturity_paragraph(level_distribution(cohort), business_scores(cohort), 4, cohort)
    >>> text.split("(")[0]
    'Across all assessed stages, **15%** of assessments were below level 1 '
    """
    inst = cohort.instrument
    dist = level_distribution_table
    overall = dist[dist["stage"] == "all"].iloc[0]
    lowest = lowest_level_phrase(inst)
    ci_method = str(overall.get("ci_method", ""))
    share = share_phrase(
        float(overall["share_below_1"]),
        float(overall["ci95_low"]),
        float(overall["ci95_high"]),
        int(overall["n_assessed"]),
        method=_CI_METHODS.get(ci_method, ci_method),
    )
    pct, rest = share.split(" ", 1)
    noun = inst.stage_noun
    where = most_often_below(dist, inst)
    tied, _, _ = _most_often(dist, inst)
    if not tied:
        most = f"No {noun} was assessed {lowest}."
    elif len(tied) > 1:
        most = f"The {noun}s most often {lowest} were {where}."
    else:
        most = f"The {noun} most often {lowest} was {where}."
    scores = business_scores_table
    means = scores["mean"].astype(float)
    target = next((lv for lv in inst.levels if lv.value == target_level), None)
    target_text = f"{target.label} ({target.value})" if target else str(target_level)
    below = int((means < target_level).sum())
    return (
        f"Across all assessed {_plural(inst)}, **{pct}** of assessments were {lowest} "
        f"{rest}. {most} The median business reached a mean level of "
        f"{_num(float(means.median()), 1)}, and {below} of {len(scores)} businesses were "
        f"below the target level, {target_text}, on average."
    )

"""The wording rules: every qualitative word of the findings, each decided by a rule
stated here with its source.

The notebooks' findings (:mod:`cma_research.reporting.findings`) are sentences around
computed numbers. Nothing in them may be typed in by hand, words included: "larger
businesses tended to score higher", "wide", "hang together as a scale", "most often
below level 1", "improved" are each decided by one of the rules below, applied to the
rows the statistics functions returned, and the instrument supplies its own names (its
word for a stage or dimension, how many it has, its stage and level names).

**Rules**

1. *Strength of a correlation* (:func:`strength_word`), on ``|r|`` (Pearson, Spearman's
   rho or Kendall's tau alike): Cohen's (1988, *Statistical power analysis for the
   behavioral sciences*, 2nd ed., sect. 3.2) conventions for r: below .10
   ``negligible``, .10 to < .30 ``weak`` (Cohen's "small"), .30 to < .50
   ``moderate`` ("medium"), .50 and above ``strong`` ("large").
2. *Direction* (:func:`direction`, :func:`direction_phrase`) is established only when
   the 95% interval excludes 0 (both bounds above 0: positive, both below: negative).
   An interval that includes 0 gives "no clear association", whatever the estimate.
   Without an interval (``n_boot=0`` or a degenerate bootstrap) the two-sided p
   (``p_perm`` when present, else ``p_val``) below :data:`ALPHA` = .05 decides
   instead, by the sign of r.
3. *Width of an interval* (:func:`interval_phrase`): ``wide`` when the 95% interval is
   wider than :data:`WIDE` = 0.5 on the r scale. Cohen's bands are .2 to .5 wide, so
   such an interval spans at least two of them (e.g. weak to strong) and cannot tell
   the strength; a narrower one is called ``narrow`` and its strength is read from the
   bands its bounds fall in.
4. *Reliability* (:func:`reliability_word`, :func:`reliability_phrase`): George &
   Mallery's (2003, *SPSS for Windows step by step*, 4th ed., p. 231) bands for
   Cronbach's alpha: >= .90 ``excellent``, >= .80 ``good``, >= .70 ``acceptable``,
   >= .60 ``questionable``, >= .50 ``poor``, below .50 ``unacceptable``. The
   sentence names the *internal consistency* with that word; when alpha is at least
   :data:`ALPHA_ACCEPTABLE` = .70 but the interval's lower bound is below .70 it says
   so. Alpha does not show that the stages measure one thing (Sijtsma 2009), so the
   sentence never says they form a scale: it adds that dimensionality is not shown by
   alpha and, below :data:`~cma_research.analysis.reliability.MIN_N_DIMENSIONALITY`
   businesses, that it cannot be assessed with this many businesses.
5. *Most often at the lowest level* (:func:`most_often_lowest`,
   :func:`most_often_below`): the stage(s) with the largest share of assessments at the
   instrument's lowest level; shares are compared exactly (as fractions of counts), and
   every stage sharing the largest share is named ("A and B (both 25%)"). A largest
   share of 0 says that no stage was.
6. *The lowest level in words* (:func:`lowest_level_phrase`): when its label says
   "below ..." (Customer Wise: "Below level 1") the label is used ("below level 1");
   otherwise "at level 0 (Proto)".
7. *Counts in words* (:func:`count_words`): APA style (7th ed., 6.32): words below 10,
   numerals from 10 ("six dimensions", "10 stages").
8. *Percentages* (:func:`percent`, :func:`share_phrase`) are shown to whole percent
   (``15%``); shares below 0.5% but above 0 are shown as ``< 1%``.
9. *Change between waves* (:func:`change_direction`, words in
   :data:`DIRECTION_WORDS`): rule 2 applied to the matched-pairs rank-biserial
   correlation of one row of :func:`~cma_research.paired_change` (a stage or the
   business mean score): ``improved`` when it is positive and its 95% interval lies
   wholly above 0, ``declined`` when negative and wholly below 0, ``no_clear_change``
   when the interval includes 0 or there was no change at all (r = 0). When the
   interval is undefined although r is not (a degenerate bootstrap distribution, e.g.
   every business moved the same way, r = ±1), the two-sided signed-rank ``p_val``
   decides by the sign of r when p < :data:`ALPHA`; ``not_estimable``: no pairs, r
   undefined, or neither interval nor p available. The intervals of the stage rows
   are not adjusted for the number of stages (the Holm/BH-adjusted p values in the
   table are; the sentences say which they use).
10. *A model's difference* (:func:`difference_direction`), e.g. the mixed model's wave
    term: ``higher`` / ``lower`` when its 95% Wald interval lies wholly above / below
    0, else ``not_clearly_different``; ``not_estimable`` when the estimate or a bound
    is undefined.
11. *Drop-outs against completers* (:func:`attrition_difference`, words in
    :data:`ATTRITION_WORDS`): drop-outs ``differed`` from completers on a baseline
    variable when the test's p is below ``alpha`` (default :data:`ALPHA`), else they
    ``did_not_clearly_differ`` (with few drop-outs a large difference can still have a
    large p; the effect size is always given); ``not_comparable`` when p is undefined.
12. *Does a conclusion hinge on the missing-data strategy?* (:func:`hinges_on_strategy`):
    it "does not hinge on" the strategy when every strategy that could be applied gives
    the same direction verdict (rule 2, words in :data:`ASSOCIATION_WORDS`); otherwise
    it "depends on" it.
13. *Too many businesses left out of a headline* (:func:`too_many_left_out`): when the
    strategy behind the headline results leaves out more than
    :data:`~cma_research.analysis.headline.HEADLINE_MAX_LEFT_OUT` (a quarter) of the
    businesses audited, the first paragraph says so and compares the strategies (the
    threshold and why a quarter: :mod:`cma_research.analysis.headline`, which also
    chooses the headline strategy by it).
14. *Change per stage, adjusted* (:func:`adjusted_change_direction`): with several
    stages tested at once, a stage ``improved`` (``declined``) only when its
    multiplicity-adjusted p (``p_adj`` of :func:`~cma_research.paired_change`, Holm by
    default) is below :data:`ALPHA` and its rank-biserial r is positive (negative);
    otherwise it ``showed no clear change``; ``not_estimable`` without pairs or an
    adjusted p. Counts of stages that improved ("4 of 10 stages improved") use this
    rule; the mean-score row is one overall test and keeps rule 9.
15. *Counts with their noun* (:func:`count_phrase`): numerals with the singular noun
    for 1 and the plural otherwise ("1 testable claim", "0 claims", "2 claims"), for
    summary lines where APA words (rule 7) would hide the numbers.
16. *A wave in a sentence* (:func:`at_wave`): a wave label holding a year (four digits
    from 1900 to 2099: ``2008``, ``Mar 2008``, ``Round 1 (Mar 2008)``) names a time and
    reads "in 2008"; a bare number names a wave by its number and reads "at wave 2";
    any other label names an occasion and reads as written ("at Baseline", "at Round
    1").

13. *A cumulative scale* (:func:`scalability_word`, words in :data:`SCALABILITY_BANDS`):
    Mokken's (1971, *A theory and procedure of scale analysis*, p. 185; Sijtsma &
    Molenaar 2002, p. 60) bands for Loevinger's H of a set of items: below .3 ``not
    scalable``, .3 to < .4 ``weak``, .4 to < .5 ``medium``, .5 and above ``strong``. The
    stages form a cumulative (Mokken) scale only when H >= .3 *and* the 95% interval's
    lower bound is at least .3; otherwise the sentence says the data do not establish
    one.

Numbers are formatted by :mod:`cma_research.reporting.text` (APA strings) and rounded
only when written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import pandas as pd

from cma_research.analysis.headline import HEADLINE_MAX_LEFT_OUT
from cma_research.core.errors import ParameterError
from cma_research.core.instrument import Instrument
from cma_research.core.text import format_number
from cma_research.reporting.text import apa, join_words

__all__ = [
    "ALPHA",
    "ALPHA_ACCEPTABLE",
    "ASSOCIATION_WORDS",
    "ATTRITION_WORDS",
    "DIRECTION_WORDS",
    "RELIABILITY_BANDS",
    "SCALABILITY_BANDS",
    "STRENGTH_BANDS",
    "WIDE",
    "Direction",
    "Row",
    "adjusted_change_direction",
    "at_wave",
    "attrition_difference",
    "change_direction",
    "count_phrase",
    "count_words",
    "covariate_groups",
    "difference_direction",
    "direction",
    "direction_phrase",
    "hinges_on_strategy",
    "interval_phrase",
    "lowest_level_phrase",
    "most_often_below",
    "most_often_lowest",
    "percent",
    "reliability_phrase",
    "reliability_word",
    "row_number",
    "scalability_word",
    "share_phrase",
    "strength_word",
    "too_many_left_out",
]

#: A result row as the rules read it: a row of a statistics table, or a plain mapping.
Row = Mapping[str, Any] | pd.Series

#: Significance level used only when a row has no interval (rules 2, 9) and for
#: attrition (rule 11).
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
#: Alpha from which internal consistency is acceptable (rule 4).
ALPHA_ACCEPTABLE = 0.7
#: Mokken (1971): lower bounds of Loevinger's H for each word, largest first (rule 13).
SCALABILITY_BANDS: tuple[tuple[float, str], ...] = (
    (0.5, "strong"),
    (0.4, "medium"),
    (0.3, "weak"),
    (-math.inf, "not scalable"),
)
#: The direction verdict of rule 2 in words (+1, -1, 0), as rule 12 names them.
ASSOCIATION_WORDS: dict[int, str] = {1: "positive", -1: "negative", 0: "no clear association"}

Direction = Literal["improved", "declined", "no_clear_change", "not_estimable"]

#: How each direction of change (rule 9) reads in a sentence ("the mean score ...").
DIRECTION_WORDS: dict[str, str] = {
    "improved": "improved",
    "declined": "declined",
    "no_clear_change": "showed no clear change",
    "not_estimable": "could not be assessed",
}

#: How each verdict on drop-outs (rule 11) reads in a sentence ("the drop-outs ...").
ATTRITION_WORDS: dict[str, str] = {
    "differed": "differed",
    "did_not_clearly_differ": "did not clearly differ",
    "not_comparable": "could not be compared",
}

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


_YEAR = re.compile(r"\b(19|20)\d{2}\b")


def at_wave(label: str, *, capital: bool = False) -> str:
    """A wave in a sentence, by rule 16: "in 2008", "at wave 2", "at Baseline".

    >>> [at_wave(w) for w in ("2008", "Mar 2008", "2", "Round 1", "Baseline")]
    ['in 2008', 'in Mar 2008', 'at wave 2', 'at Round 1', 'at Baseline']
    >>> at_wave("2008", capital=True)
    'In 2008'
    """
    text = str(label)
    if _YEAR.search(text):
        phrase = f"in {text}"
    elif text.isdigit():
        phrase = f"at wave {text}"
    else:
        phrase = f"at {text}"
    return phrase[0].upper() + phrase[1:] if capital else phrase


def row_number(row: Row, key: str) -> float:
    """``row[key]`` as a float; NaN when it is missing, NA or not a number.

    >>> row_number({"r": 0.5}, "r"), row_number({"r": None}, "r"), row_number({}, "n")
    (0.5, nan, nan)
    """
    value = row.get(key) if hasattr(row, "get") else None
    if value is None or value is pd.NA:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


# -- correlations: strength, direction, width (rules 1-3) -----------------------------------


def strength_word(r: float) -> str:
    """Cohen's (1988) word for the strength of a correlation (rule 1).

    >>> [strength_word(v) for v in (0.05, -0.1, 0.29, 0.3, -0.52, 1.0)]
    ['negligible', 'weak', 'weak', 'moderate', 'strong', 'strong']
    """
    if math.isnan(r):
        return "undefined"
    size = abs(r)
    return next(word for bound, word in STRENGTH_BANDS if size >= bound)


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


def covariate_groups(row: Row) -> tuple[str, str]:
    """The higher and the lower group of a correlation row's covariate, in words.

    >>> covariate_groups({"covariate": "staff"})
    ('larger businesses', 'smaller businesses')
    >>> covariate_groups({"covariate": "turnover_growth"})
    ('businesses with higher turnover growth', 'businesses with lower turnover growth')
    """
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
    higher, lower = covariate_groups(row)
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
    text = (
        f"The 95% interval, {format_number(low, bounded=True)} to "
        f"{format_number(high, bounded=True)}"
    )
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


# -- reliability (rule 4) ---------------------------------------------------------------


def reliability_word(alpha: float) -> str:
    """George & Mallery's (2003) word for Cronbach's alpha (rule 4).

    >>> [reliability_word(a) for a in (0.95, 0.85, 0.7, 0.69, 0.55, 0.2)]
    ['excellent', 'good', 'acceptable', 'questionable', 'poor', 'unacceptable']
    """
    if math.isnan(alpha):
        return "undefined"
    return next(word for bound, word in RELIABILITY_BANDS if alpha >= bound)


def reliability_phrase(alpha_row: Row, instrument: Instrument) -> str:
    """The internal consistency of the instrument's stages in words, by rule 4.

    Uses the instrument's own word for a stage, the number of stages in the alpha
    computation (``k``) and the number of businesses (``n``).

    >>> from cma_research.core.instrument import get_instrument
    >>> mcf = get_instrument("managing_customers_framework")
    >>> print(reliability_phrase({"alpha": 0.84, "ci95_low": 0.74, "ci95_high": 0.91,
    ...                           "n": 30, "k": 6}, mcf))  # doctest: +NORMALIZE_WHITESPACE
    The internal consistency of the six dimensions is good: Cronbach's α = .84, 95% CI
    [.74, .91], n = 30 (good by George & Mallery's bands). Alpha does not show that
    they measure one thing, and dimensionality cannot be assessed with 30 businesses
    (at least 100 are needed).
    """
    from cma_research.analysis.reliability import MIN_N_DIMENSIONALITY

    k = int(row_number(alpha_row, "k")) if not math.isnan(row_number(alpha_row, "k")) else 0
    k = k or len(instrument.stages)
    what = f"the {count_words(k, instrument.stage_noun)}"
    alpha = row_number(alpha_row, "alpha")
    if math.isnan(alpha):
        note = alpha_row.get("note") if hasattr(alpha_row, "get") else None
        if isinstance(note, str):
            note = note.removeprefix("not computed: ").removeprefix("not applicable: ")
        reason = f": {note}" if note else ""
        return f"Cronbach's α could not be computed for {what}{reason}."
    word = reliability_word(alpha)
    stats_text = f"Cronbach's {apa(alpha_row)} ({word} by George & Mallery's bands)"
    minimum = format_number(ALPHA_ACCEPTABLE, bounded=True)
    n = row_number(alpha_row, "n")
    if not math.isnan(n) and n < MIN_N_DIMENSIONALITY:
        dimensions = (
            " Alpha does not show that they measure one thing, and dimensionality cannot "
            f"be assessed with {int(n)} businesses (at least {MIN_N_DIMENSIONALITY} are "
            "needed)."
        )
    else:
        dimensions = (
            " Alpha does not show that they measure one thing (hierarchical omega and a "
            "scaling analysis speak to that)."
        )
    if alpha >= ALPHA_ACCEPTABLE:
        low = row_number(alpha_row, "ci95_low")
        caveat = ""
        if not math.isnan(low) and low < ALPHA_ACCEPTABLE:
            caveat = (
                f"; the interval's lower bound, {format_number(low, bounded=True)}, is below "
                f"{minimum}, so this is not settled"
            )
        return f"The internal consistency of {what} is {word}: {stats_text}{caveat}.{dimensions}"
    return (
        f"The internal consistency of {what} is too low for them to be read as one scale: "
        f"{stats_text}; {minimum} is the usual minimum."
    )


def scalability_word(h: float) -> str:
    """Mokken's (1971) word for Loevinger's H (rule 13).

    >>> [scalability_word(v) for v in (0.62, 0.45, 0.3, 0.29, -0.1)]
    ['strong', 'medium', 'weak', 'not scalable', 'not scalable']
    """
    if math.isnan(h):
        return "undefined"
    return next(word for bound, word in SCALABILITY_BANDS if h >= bound)


# -- levels, counts and shares (rules 5-8) -----------------------------------------------


def most_often_lowest(
    distribution_table: pd.DataFrame, instrument: Instrument
) -> tuple[list[str], float, int]:
    """The stage(s) most often at the instrument's lowest level, ties kept (rule 5).

    Shares are compared exactly, as fractions of counts.

    Parameters
    ----------
    distribution_table : DataFrame
        The output of :func:`~cma_research.level_distribution`.
    instrument : Instrument
        For the lowest level.

    Returns
    -------
    tuple of (list of str, float, int)
        The ids of the stages sharing the largest share, that share, and the number of
        assessments of the first; no ids (share 0, n 0) when no assessment is at the
        lowest level, and no ids with a NaN share when no stage was assessed.

    Examples
    --------
    >>> import pandas as pd
    >>> from cma_research.core.instrument import get_instrument
    >>> table = pd.DataFrame({"stage": ["stage_1", "stage_3", "stage_5", "all"],
    ...                       "n_assessed": [16, 12, 16, 44],
    ...                       "n_level_0": [4, 3, 1, 8]})
    >>> most_often_lowest(table, get_instrument("customer_wise_2007"))
    (['stage_1', 'stage_3'], 0.25, 16)
    """
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


def most_often_below(distribution_table: pd.DataFrame, instrument: Instrument) -> str:
    """The stage(s) most often at the lowest level in words, ties named (rule 5).

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
    tied, share, n = most_often_lowest(distribution_table, instrument)
    if not tied:
        return f"no {instrument.stage_noun}"
    names = {s.id: s.name for s in instrument.stages}
    labels = [f"**{names.get(sid, sid)}**" for sid in tied]
    if len(tied) == 1:
        return f"{labels[0]} ({percent(share)} of {n} businesses)"
    each = "both" if len(tied) == 2 else "each"
    return f"{join_words(labels)} ({each} {percent(share)})"


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


def count_phrase(n: int, noun: str, plural: str | None = None) -> str:
    """A count in numerals with its noun, singular only for 1 (rule 15).

    >>> count_phrase(1, "testable claim"), count_phrase(0, "claim")
    ('1 testable claim', '0 claims')
    >>> count_phrase(3, "business", "businesses")
    '3 businesses'
    """
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


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


def share_phrase(
    share: float, low: float, high: float, n: int, unit: str = "assessments", *, method: str = ""
) -> str:
    """A share with its 95% interval and n, in whole percent (rule 8).

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


# -- change between waves and attrition (rules 9-11) --------------------------------------


def change_direction(row: Row) -> Direction:
    """The direction of change of one row of :func:`~cma_research.paired_change` (rule 9).

    Parameters
    ----------
    row : Series or mapping
        Needs ``rank_biserial``, ``ci95_low``, ``ci95_high``; ``n_pairs`` and ``p_val``
        if present.

    Returns
    -------
    str
        ``"improved"``, ``"declined"``, ``"no_clear_change"`` or ``"not_estimable"``.

    Examples
    --------
    >>> change_direction({"n_pairs": 13, "rank_biserial": 0.8, "ci95_low": 0.3,
    ...                   "ci95_high": 0.97})
    'improved'
    >>> change_direction({"n_pairs": 13, "rank_biserial": 0.6, "ci95_low": -0.2,
    ...                   "ci95_high": 0.97})
    'no_clear_change'
    >>> change_direction({"n_pairs": 13, "rank_biserial": -0.7, "ci95_low": -0.95,
    ...                   "ci95_high": -0.1})
    'declined'
    >>> change_direction({"n_pairs": 13, "rank_biserial": 1.0, "ci95_low": float("nan"),
    ...                   "ci95_high": float("nan"), "p_val": 0.0002})
    'improved'
    """
    for key in ("rank_biserial", "ci95_low", "ci95_high"):
        if not hasattr(row, "get") or key not in row:
            raise ParameterError(f"the row lacks {key!r}; pass a row of paired_change()")
    n = row_number(row, "n_pairs")
    r = row_number(row, "rank_biserial")
    low, high = row_number(row, "ci95_low"), row_number(row, "ci95_high")
    p = row_number(row, "p_val")
    if n == 0 or math.isnan(r):
        return "not_estimable"
    if r != 0 and (math.isnan(low) or math.isnan(high)) and math.isnan(p):
        return "not_estimable"
    sign = direction({"r": r, "ci95_low": low, "ci95_high": high, "p_val": p})
    return "improved" if sign > 0 else "declined" if sign < 0 else "no_clear_change"


def adjusted_change_direction(row: Row, alpha: float = ALPHA) -> Direction:
    """The direction of one stage's change judged on its adjusted p (rule 14).

    Parameters
    ----------
    row : Series or mapping
        A stage row of :func:`~cma_research.paired_change` (``rank_biserial``,
        ``p_adj``; ``n_pairs`` if present).
    alpha : float
        Level for the adjusted p (default :data:`ALPHA`).

    Examples
    --------
    >>> adjusted_change_direction({"n_pairs": 13, "rank_biserial": 0.8, "p_adj": 0.01})
    'improved'
    >>> adjusted_change_direction({"n_pairs": 13, "rank_biserial": 0.6, "p_adj": 0.2})
    'no_clear_change'
    >>> adjusted_change_direction({"n_pairs": 13, "rank_biserial": -0.7, "p_adj": 0.03})
    'declined'
    >>> adjusted_change_direction({"n_pairs": 0, "rank_biserial": float("nan"),
    ...                            "p_adj": float("nan")})
    'not_estimable'
    """
    for key in ("rank_biserial", "p_adj"):
        if not hasattr(row, "get") or key not in row:
            raise ParameterError(f"the row lacks {key!r}; pass a row of paired_change()")
    n = row_number(row, "n_pairs")
    r = row_number(row, "rank_biserial")
    p = row_number(row, "p_adj")
    if n == 0 or math.isnan(r) or math.isnan(p):
        return "not_estimable"
    if p < alpha and r != 0:
        return "improved" if r > 0 else "declined"
    return "no_clear_change"


def difference_direction(
    estimate: float, low: float, high: float
) -> Literal["higher", "lower", "not_clearly_different", "not_estimable"]:
    """Whether a model's difference is established by its 95% interval (rule 10).

    >>> difference_direction(0.5, 0.2, 0.8), difference_direction(-0.5, -0.8, -0.2)
    ('higher', 'lower')
    >>> difference_direction(0.5, -0.1, 1.1), difference_direction(0.5, float("nan"), 1.0)
    ('not_clearly_different', 'not_estimable')
    """
    if math.isnan(estimate) or math.isnan(low) or math.isnan(high):
        return "not_estimable"
    if low > 0:
        return "higher"
    if high < 0:
        return "lower"
    return "not_clearly_different"


def attrition_difference(
    p: float, alpha: float = ALPHA
) -> Literal["differed", "did_not_clearly_differ", "not_comparable"]:
    """Whether drop-outs differed from completers on one baseline variable (rule 11).

    >>> attrition_difference(0.01), attrition_difference(0.3), attrition_difference(float("nan"))
    ('differed', 'did_not_clearly_differ', 'not_comparable')
    """
    if math.isnan(p):
        return "not_comparable"
    return "differed" if p < alpha else "did_not_clearly_differ"


# -- sensitivity to the missing-data strategy (rule 12) ------------------------------------


def too_many_left_out(n_left_out: int, n_total: int) -> bool:
    """Whether a headline leaves out more than a quarter of the businesses (rule 13).

    >>> too_many_left_out(4, 16), too_many_left_out(5, 16), too_many_left_out(0, 0)
    (False, True, False)
    """
    return n_total > 0 and n_left_out / n_total > HEADLINE_MAX_LEFT_OUT


def hinges_on_strategy(verdicts: Iterable[int]) -> bool:
    """Whether the direction verdicts (rule 2) of the strategies disagree (rule 12).

    >>> hinges_on_strategy([0, 0, 0]), hinges_on_strategy([1, 0])
    (False, True)
    """
    return len(set(verdicts)) > 1

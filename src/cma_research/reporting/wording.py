"""Findings paragraphs whose every qualitative word comes from a rule.

The rules (strength, direction, width, reliability, lowest level, counts and
percentages) are stated and implemented in :mod:`cma_research.reporting.words`; their
names stay importable from here.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from cma_research.core.cohort import Cohort
from cma_research.core.text import format_number as _num
from cma_research.reporting.shares import _most_often
from cma_research.reporting.text import apa
from cma_research.reporting.words import (
    _CI_METHODS,
    ALPHA,
    ALPHA_ACCEPTABLE,
    RELIABILITY_BANDS,
    STRENGTH_BANDS,
    WIDE,
    Row,
    _plural,
    _who,
    count_words,
    direction,
    direction_phrase,
    interval_phrase,
    lowest_level_phrase,
    most_often_below,
    percent,
    reliability_phrase,
    reliability_word,
    row_number,
    share_phrase,
    strength_word,
)

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
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns, correlate, cronbach_alpha
    >>> cohort = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> row = correlate(cohort, n_boot=2000, n_perm=2000, seed=1).iloc[0]
    >>> text = size_paragraph(row, cronbach_alpha(cohort).iloc[0], cohort, "complete_case")
    >>> text.split(":")[0]
    '**No clear association** between size and maturity'
    """
    inst = cohort.instrument
    sign = direction(size_row)
    r = row_number(size_row, "r")
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
    n = int(row_number(size_row, "n"))
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
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns, level_distribution, business_scores
    >>> cohort = load_returns(bundled_path("customer_wise_2007.csv"))
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

"""The notebooks' findings in words: each paragraph built from computed rows.

Every paragraph takes the rows the statistics functions returned and returns Markdown
or plain text. Numbers are written by :mod:`cma_research.reporting.text` (APA strings)
and :func:`~cma_research.core.text.format_number`; every qualitative word
("larger businesses tended to score higher", "wide", "improved", "does not hinge on")
comes from a rule of :mod:`cma_research.reporting.rules`, where each rule is stated
with its source. Counts are stated as counted.

- Openings that name only what the study has: :func:`findings_intro`,
  :func:`distributions_intro`, :func:`reliability_intro`.
- One wave: :func:`sample_paragraph`, :func:`maturity_paragraph`,
  :func:`size_paragraph`, :func:`reliability_paragraph`,
  :func:`sensitivity_paragraph`, and the landing page's :func:`key_facts`.
- Between waves: :func:`nothing_to_compare`, :func:`attrition_sentence`,
  :func:`attrition_tests_sentence`, :func:`wave_pairs_sentence`, :func:`change_summary`,
  :func:`wave_effect_sentence`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cma_research.analysis.groups import size_band
from cma_research.analysis.headline import HeadlineStrategy, numeric_covariates
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.instrument import Instrument
from cma_research.core.text import correlation_symbol, format_number
from cma_research.missing.missingness import missingness
from cma_research.reporting.rules import (
    ASSOCIATION_WORDS,
    ATTRITION_WORDS,
    DIRECTION_WORDS,
    SCALABILITY_BANDS,
    Row,
    adjusted_change_direction,
    at_wave,
    attrition_difference,
    change_direction,
    count_phrase,
    count_words,
    covariate_groups,
    difference_direction,
    direction,
    direction_phrase,
    hinges_on_strategy,
    interval_phrase,
    lowest_level_phrase,
    most_often_below,
    most_often_lowest,
    percent,
    reliability_phrase,
    reliability_word,
    row_number,
    scalability_word,
    share_phrase,
    strength_word,
    too_many_left_out,
)
from cma_research.reporting.tables import adjustment_name, strategy_words
from cma_research.reporting.text import apa, format_p, join_words

__all__ = [
    "alpha_basis",
    "applies_nowhere",
    "association_paragraph",
    "attrition_sentence",
    "attrition_tests_sentence",
    "blank_as_zero_sentence",
    "calibration_check_sentence",
    "change_summary",
    "claims_summary",
    "covariates_summary",
    "distributions_intro",
    "estimands_paragraph",
    "findings_intro",
    "key_facts",
    "leave_one_out_sentence",
    "maturity_paragraph",
    "not_computed_reason",
    "nothing_to_compare",
    "nothing_to_impute",
    "recruitment_sentence",
    "reliability_intro",
    "reliability_paragraph",
    "sample_paragraph",
    "scaling_paragraph",
    "sensitivity_paragraph",
    "size_paragraph",
    "stage_key",
    "strategy_disclosure",
    "tipping_point_sentence",
    "verdict_changes_sentence",
    "verdict_words",
    "wave_effect_sentence",
    "wave_pairs_sentence",
]

#: EU size bands and their staff rule, as the sample paragraph lists them.
_BANDS = (("micro", "< 10 staff"), ("small", "10-49"), ("medium", "50-249"), ("large", "250+"))
#: How the maturity paragraph names the interval method of a share.
_CI_METHODS = {
    "clopper-pearson": "exact Clopper-Pearson",
    "wilson": "Wilson score",
    "cluster-bootstrap-bca": "cluster bootstrap over the {g} businesses",
}
#: How the attrition sentence names the baseline variables it compares.
_VARIABLE_NAMES = {"mean_score": "mean score", "staff": "staff", "business_type": "business type"}


# -- one wave -------------------------------------------------------------------------------


def findings_intro(cohort: Cohort, *, recruitment: bool) -> str:
    """The opening paragraph of the findings (``00``): what the summary covers, no more.

    It names only what the study has: the recruitment funnel when it gives one, the
    association with size when some business has staff numbers, then each numeric
    covariate of its covariate files, and the instrument's own noun for its stages.

    Parameters
    ----------
    cohort : Cohort
    recruitment : bool
        Whether the study gives a recruitment funnel (its ``recruitment_path``).

    Returns
    -------
    str
        Markdown.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> print(findings_intro(customer_wise_2007(), recruitment=False)[:71])
    The conference summary: sample, maturity and its association with size.
    """
    topics = ["sample", *(["recruitment"] if recruitment else []), "maturity"]
    staff = cohort.attributes["staff"] if "staff" in cohort.attributes.columns else None
    related = ["size"] if staff is not None and staff.notna().any() else []
    related += [_covariate_words(c)[1] for c in numeric_covariates(cohort)]
    if related:
        topics.append(f"its association with {join_words(related)}")
    noun = cohort.instrument.stage_noun
    return (
        f"The conference summary: {join_words(topics)}. Every number and every qualitative "
        "word in the text below is computed from the returns when the notebook runs; none is "
        f"typed in by hand. Missing {noun}s are handled with the strategy named in the "
        "parameters; `05_sensitivity` shows whether the conclusions depend on it."
    )


def distributions_intro(instrument: Instrument) -> str:
    """The opening line of ``02_distributions`` in the instrument's words.

    >>> from cma_research.core.instrument import get_instrument
    >>> distributions_intro(get_instrument("managing_customers_framework"))
    'Levels per dimension, the share at level 0 (Proto), radar charts and the cohort heatmap.'
    """
    return (
        f"Levels per {instrument.stage_noun}, the share {lowest_level_phrase(instrument)}, "
        "radar charts and the cohort heatmap."
    )


def stage_key(instrument: Instrument) -> str:
    """The key to a figure whose axes number the stages (radars, the cohort heatmap).

    >>> from cma_research.core.instrument import get_instrument
    >>> stage_key(get_instrument("managing_customers_framework"))
    'dimensions numbered: 1 Sales, 2 Service, 3 Operations, 4 People, 5 CRM, 6 Data and Insight'
    """
    numbered = ", ".join(f"{s.number} {s.name}" for s in instrument.stages)
    return f"{instrument.stage_plural} numbered: {numbered}"


def reliability_intro(instrument: Instrument) -> str:
    """The opening line of ``04_reliability`` in the instrument's words.

    >>> from cma_research.core.instrument import get_instrument
    >>> reliability_intro(get_instrument("managing_customers_framework"))[:55]
    'Do the dimensions measure one underlying maturity? Cron'
    """
    noun = instrument.stage_noun
    return (
        f"Do the {noun}s measure one underlying maturity? Cronbach's alpha with its Feldt "
        "interval, item statistics, ordinal alpha and McDonald's omega (total, and "
        f"hierarchical from a Schmid-Leiman solution), and the inter-{noun} correlations."
    )


def sample_paragraph(
    cohort: Cohort,
    headline: HeadlineStrategy | None = None,
    associations: pd.DataFrame | None = None,
    *,
    identifying: bool = True,
) -> str:
    """Who was audited: businesses, staff, EU size bands, assessments made and blank.

    With ``headline`` and ``associations`` (the headline associations under the
    headline strategy and its alternatives), the paragraph ends with
    :func:`strategy_disclosure`: what the headline strategy leaves out when that is more
    than a quarter of the businesses, and where the alternatives disagree. With
    ``identifying=False`` (a pseudonymised study) the smallest, largest and median
    headcounts are not given, only the size bands: an extreme headcount names a business.

    >>> from cma_research.datasets import customer_wise_2007
    >>> sample_paragraph(customer_wise_2007()).split(":")[0]
    'The cohort has **16** audited businesses (staff from 1 to 100, median 4)'
    >>> sample_paragraph(customer_wise_2007(), identifying=False).split(":")[0]
    'The cohort has **16** audited businesses (by EU size band)'
    """
    inst = cohort.instrument
    miss = missingness(cohort)
    staff = cohort.attributes["staff"].dropna().astype(float)
    bands = size_band(cohort.attributes["staff"]).value_counts()
    parts = [f"{int(bands.get(b, 0))} {b} ({rule})" for b, rule in _BANDS]
    unknown = cohort.n_businesses - len(staff)
    if len(staff) and not identifying:
        without = f"; {unknown} without staff numbers" if unknown else ""
        staff_text = f" (by EU size band{without}): " + ", ".join(parts)
    elif len(staff):
        without = f"; {unknown} without staff numbers" if unknown else ""
        staff_text = (
            f" (staff from {int(staff.min())} to {int(staff.max())}, median "
            f"{format_number(float(staff.median()), 1).removesuffix('.0')}{without}): "
            + ", ".join(parts)
        )
    else:
        staff_text = " (no staff numbers given)"
    text = (
        f"The cohort has **{cohort.n_businesses}** audited "
        f"{_noun(cohort.n_businesses, 'business', 'businesses')}{staff_text}. "
        f"Of the {miss.n_cells} {inst.stage_noun} assessments expected "
        f"({count_words(len(inst.stages), inst.stage_noun)} per business), "
        f"{miss.n_missing_cells} were left blank (not assessed); "
        f"{count_phrase(miss.n_complete_cases, 'business', 'businesses')} "
        f"{'was' if miss.n_complete_cases == 1 else 'were'} assessed on every {inst.stage_noun}."
    )
    if headline is not None and associations is not None:
        disclosure = strategy_disclosure(headline, associations, stage_noun=inst.stage_noun)
        if disclosure:
            text += " " + disclosure
    return text


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
        method=_CI_METHODS.get(ci_method, ci_method).format(
            g=int(row_number(overall, "n_assessed_businesses"))
            if not math.isnan(row_number(overall, "n_assessed_businesses"))
            else "audited"
        ),
    )
    pct, rest = share.split(" ", 1)
    noun = inst.stage_noun
    where = most_often_below(dist, inst)
    tied, _, _ = most_often_lowest(dist, inst)
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
        f"Across all assessed {noun}s, **{pct}** of assessments were {lowest} "
        f"{rest}. {most} The median business reached a mean level of "
        f"{format_number(float(means.median()), 1)}, and {below} of "
        f"{count_phrase(len(scores), 'business', 'businesses')} "
        f"{'was' if below == 1 or len(scores) == 1 else 'were'} "
        f"below the target level, {target_text}, on average."
    )


def _noun(n: int, singular: str, plural: str) -> str:
    return singular if n == 1 else plural


def _covariate_words(covariate: str) -> tuple[str, str]:
    """(what is correlated, the topic): ``("staff numbers", "size")`` for staff, else the
    column's name in words twice."""
    if covariate in ("staff", "log_staff", ""):
        return "staff numbers", "size"
    label = covariate.replace("_", " ")
    return label, label


def _reason(note: str) -> str:
    """A note of a row that was not computed, without its ``not computed:`` prefix."""
    for prefix in ("not computed: ", "not applicable: "):
        note = note.removeprefix(prefix)
    return note.strip().rstrip(".")


def not_computed_reason(table: pd.DataFrame) -> str:
    """Why a result was not computed, from the ``note`` of its first row, in words.

    For the one-row tables of :func:`~cma_research.analysis.headline.result_or_note`.

    >>> import pandas as pd
    >>> not_computed_reason(pd.DataFrame({"note": ["not computed: too few businesses"]}))
    'too few businesses'
    """
    if "note" not in table or table.empty:
        raise ParameterError("the table has no note; pass the output of result_or_note()")
    return _reason(str(table["note"].iloc[0]))


def verdict_words(row: Row, statistic: str = "r") -> str:
    """The word a paper cites for a result row, or why it could not be computed.

    ``statistic`` ``"r"``: the direction of a correlation (rule 2,
    :data:`~cma_research.reporting.rules.ASSOCIATION_WORDS`); ``"alpha"``: the band of
    Cronbach's alpha (rule 4). A row that says why it was not computed (its ``note``,
    as :func:`~cma_research.analysis.headline.result_or_note` writes it) gives that
    reason in words, never a verdict.

    >>> verdict_words({"r": 0.7, "ci95_low": 0.2, "ci95_high": 0.9, "note": ""})
    'positive'
    >>> verdict_words({"note": "not computed: the returns give no staff numbers"})
    'not computed: the returns give no staff numbers'
    >>> verdict_words({"alpha": 0.85, "note": ""}, "alpha")
    'good'
    """
    if statistic not in ("r", "alpha"):
        raise ParameterError(f"statistic must be 'r' or 'alpha', not {statistic!r}")
    note = str(row.get("note", "") or "")
    if note and math.isnan(row_number(row, statistic)):
        return f"not computed: {_reason(note)}"
    if statistic == "alpha":
        return reliability_word(row_number(row, "alpha"))
    return ASSOCIATION_WORDS[direction(row)]


def association_paragraph(
    row: Row, cohort: Cohort, strategy: str, *, n_total: int | None = None
) -> str:
    """One covariate's association with maturity in Markdown, every word by the rules.

    The same wording for size (staff) and for any numeric covariate such as growth:
    direction (rule 2, bold), strength (rule 1), the APA string with its p-value method,
    strategy and ``n`` (of ``n_total`` businesses when some are left out), and the
    interval sentence (rule 3). A row that could not be computed (its ``note``) or an
    undefined correlation (a constant variable) is said in words.

    Parameters
    ----------
    row : Series or mapping
        One row of :func:`~cma_research.correlate` (or of
        :func:`~cma_research.analysis.headline.associations`, possibly a note row).
    cohort : Cohort
        For the instrument's words.
    strategy : str
        The headline strategy; a row computed under another one is named as such.
    n_total : int, optional
        Businesses audited, to state "n = 12 of 16 businesses" (default: the cohort's).

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> row = {"strategy": "complete_case", "covariate": "turnover_growth", "score": "mean",
    ...        "method": "spearman", "n": 31, "r": 0.53, "ci95_low": 0.15,
    ...        "ci95_high": 0.75, "p_val": 0.002, "p_method": "asymptotic"}
    >>> print(association_paragraph(row, customer_wise_2007(), "complete_case", n_total=35))
    ... # doctest: +NORMALIZE_WHITESPACE
    **Businesses with higher turnover growth tended to score higher** (a strong positive
    association): Spearman correlation of turnover growth with the mean stage level,
    ρ(29) = .53, 95% CI [.15, .75], p = .002 (asymptotic; strategy complete_case, n = 31
    of 35 businesses). The 95% interval, .15 to .75, excludes 0 but is wide: the
    association is positive, its strength anywhere from weak to strong.
    """
    inst = cohort.instrument
    total = cohort.n_businesses if n_total is None else n_total
    covariate = str(row.get("covariate", "staff"))
    what, topic = _covariate_words(covariate)
    note = str(row.get("note", "") or "")
    r = row_number(row, "r")
    if note and math.isnan(r):
        return f"{topic[0].upper()}{topic[1:]} could not be related to maturity: {_reason(note)}."
    sign = direction(row)
    method = str(row.get("method", "")).capitalize()
    score = str(row.get("score", "mean"))
    score_text = (
        f"the {score} {inst.stage_noun} level"
        if score in ("mean", "median", "min", "max")
        else f"the {score.replace('_', ' ')} score"
    )
    row_strategy = str(row.get("strategy", strategy))
    strategy_text = (
        f"strategy {row_strategy}"
        if row_strategy == strategy
        else f"strategy {row_strategy}, not the notebook's {strategy}"
    )
    n = int(row_number(row, "n"))
    of = f" of {total}" if total > n else ""
    # "Monte Carlo permutation (2000 draws)" -> "Monte Carlo permutation, 2000 draws"
    p_method = re.sub(r" \((.*)\)$", r", \1", str(row.get("p_method", "")))
    units = _noun(total, "business", "businesses")
    stats_text = f"({p_method}; {strategy_text}, n = {n}{of} {units})"
    if math.isnan(r):
        return (
            f"**No association can be estimated** between {topic} and maturity: {what} or "
            f"{score_text} is the same for every business, so the {method} correlation is "
            f"undefined ({strategy_text}, n = {n}{of} {units})."
        )
    lean = ""
    if sign == 0:
        head = f"**No clear association** between {topic} and maturity"
        if strength_word(r) != "negligible":
            higher, lower = covariate_groups(row)
            lean = (
                f"The estimate itself is {strength_word(r)} and leans towards higher scores "
                f"in {higher if r > 0 else lower}, which these data do not establish. "
            )
    else:
        phrase = direction_phrase(row)
        head = f"**{phrase[0].upper()}{phrase[1:]}**"
        head += f" (a {strength_word(r)} {'positive' if sign > 0 else 'negative'} association)"
    return (
        f"{head}: {method} correlation of {what} with {score_text}, {apa(row)} "
        f"{stats_text}. {interval_phrase(row)} {lean}"
    ).rstrip()


def size_paragraph(size_row: Row, alpha_row: Row, cohort: Cohort, strategy: str) -> str:
    """The "size and maturity" finding in Markdown, every word decided by the rules.

    Parameters
    ----------
    size_row : Series or mapping
        One row of :func:`~cma_research.correlate` (a covariate against a score), or a
        row saying why it was not computed.
    alpha_row : Series or mapping
        The row of :func:`~cma_research.cronbach_alpha` (or one saying why not).
    cohort : Cohort
        For the instrument's words (stage noun and count) and the number of businesses.
    strategy : str
        The notebook's missing-data strategy; a row computed under another one is
        named as such.

    Returns
    -------
    str
        Markdown: :func:`association_paragraph`, then the reliability sentence.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns, correlate, cronbach_alpha
    >>> cohort = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> row = correlate(cohort, n_boot=2000, n_perm=2000, seed=1).iloc[0]
    >>> text = size_paragraph(row, cronbach_alpha(cohort).iloc[0], cohort, "complete_case")
    >>> text.split(":")[0]
    '**No clear association** between size and maturity'
    >>> "n = 12 of 16 businesses" in text
    True
    """
    inst = cohort.instrument
    text = association_paragraph(size_row, cohort, strategy)
    alpha_strategy = str(alpha_row.get("strategy", strategy))
    reliability = reliability_phrase(alpha_row, inst)
    not_computed = math.isnan(row_number(alpha_row, "n"))
    if alpha_strategy != strategy and not_computed:
        reliability = reliability[:-1] + (
            f" (tried under strategy {alpha_strategy}: alpha needs every {inst.stage_noun} of "
            f"every business, which strategy {strategy} does not give)."
        )
    elif alpha_strategy != strategy:
        reliability = reliability[:-1] + (
            f" (computed under strategy {alpha_strategy}: alpha needs every "
            f"{inst.stage_noun} of every business, which strategy {strategy} does not give)."
        )
    return f"{text} {reliability}"


def strategy_disclosure(
    headline: HeadlineStrategy, table: pd.DataFrame, *, stage_noun: str = "stage"
) -> str:
    """What the headline strategy leaves out, and the alternatives where they disagree.

    Empty unless the strategy leaves out more than a quarter of the businesses (rule 13
    of :mod:`~cma_research.reporting.rules`); then: how many it leaves out, and for each
    covariate of ``table`` either the result under every strategy whose direction
    verdict (rule 2) differs from the headline's, or that every strategy compared gives
    the same verdict (rule 12).

    Parameters
    ----------
    headline : HeadlineStrategy
        From :func:`~cma_research.analysis.headline.headline_strategy`.
    table : DataFrame
        :func:`~cma_research.analysis.headline.associations` under the headline strategy
        and its alternatives.
    stage_noun : str
        The instrument's word for a stage (``cohort.instrument.stage_noun``).

    Examples
    --------
    >>> import pandas as pd
    >>> from cma_research.analysis.headline import HeadlineStrategy, numeric_covariates
    >>> h = HeadlineStrategy("complete_case", "complete_case", None, 35, 9, 9, "as requested")
    >>> t = pd.DataFrame({"strategy": ["complete_case", "available_case"],
    ...     "covariate": "growth", "method": "spearman", "n": [9, 33], "r": [0.13, 0.53],
    ...     "ci95_low": [-0.6, 0.15], "ci95_high": [0.75, 0.75], "p_val": [0.75, 0.002],
    ...     "note": ""})
    >>> print(strategy_disclosure(h, t))  # doctest: +NORMALIZE_WHITESPACE
    **The headline results leave out 26 of the 35 businesses (74%)**, more than a
    quarter: strategy complete_case (as requested) uses the 9 assessed on every stage.
    The conclusion on growth depends on it: no clear association under complete_case
    (ρ(7) = .13, 95% CI [−.60, .75], p = .750; n = 9), but positive under
    available_case (ρ(31) = .53, 95% CI [.15, .75], p = .002; n = 33).
    """
    if not too_many_left_out(headline.n_left_out, headline.n_businesses):
        if headline.requested == "auto" and headline.strategy != "complete_case":
            return (
                f"Headline results use strategy {headline.strategy}: complete cases would "
                f"leave out {headline.n_businesses - headline.n_complete} of the "
                f"{headline.n_businesses} businesses "
                f"({percent(1 - headline.n_complete / headline.n_businesses)}), more than a "
                f"quarter; {headline.strategy} uses {headline.n_used}."
            )
        return ""
    which = {
        "complete_case": f"the {{n}} assessed on every {stage_noun}",
        "min_stages": f"the {{n}} assessed on at least {headline.min_stages} {stage_noun}s",
    }.get(headline.strategy, f"the {{n}} with an assessed {stage_noun}")
    rule = "as requested" if headline.requested != "auto" else headline.rule
    pct = percent(headline.share_left_out)
    text = (
        f"**The headline results leave out {headline.n_left_out} of the "
        f"{headline.n_businesses} businesses ({pct})**, more than a quarter: strategy "
        f"{headline.strategy} ({rule}) uses {which.format(n=headline.n_used)}."
    )
    valid = table[table["note"].fillna("").astype(str) == ""] if "note" in table else table
    for covariate in dict.fromkeys(str(c) for c in table["covariate"]):
        rows = valid[valid["covariate"].astype(str) == covariate]
        head = rows[rows["strategy"].astype(str) == headline.strategy]
        if head.empty:
            continue
        _, topic = _covariate_words(covariate)
        verdicts = {str(r["strategy"]): direction(r) for _, r in rows.iterrows()}
        if len(verdicts) < 2:
            continue
        if not hinges_on_strategy(verdicts.values()):
            word = ASSOCIATION_WORDS[verdicts[headline.strategy]]
            text += (
                f" The conclusion on {topic} does not depend on it: {word} under "
                f"{join_words(list(verdicts))}."
            )
            continue

        def result(r: pd.Series) -> str:
            return (
                f"{ASSOCIATION_WORDS[direction(r)]} under {r['strategy']} "
                f"({apa(r)}; n = {int(row_number(r, 'n'))})"
            )

        first = head.iloc[0]
        others = [
            result(r)
            for _, r in rows.iterrows()
            if str(r["strategy"]) != headline.strategy and direction(r) != direction(first)
        ]
        text += (
            f" The conclusion on {topic} depends on it: {result(first)}, but {join_words(others)}."
        )
    return text


def nothing_to_impute(cohort: Cohort) -> str:
    """Why strategy ``multiple`` has no imputation model: no stage was left blank.

    For an empty :func:`~cma_research.missing.strategies.imputation_model`.

    >>> from cma_research.datasets import customer_wise_2007
    >>> cohort = customer_wise_2007()
    >>> print(nothing_to_impute(cohort.subset(cohort.scores.notna().all(axis=1))))
    No stage of the 12 businesses was left blank: strategy multiple has nothing to impute.
    """
    n = cohort.n_businesses
    noun = cohort.instrument.stage_noun
    whom = "the business" if n == 1 else f"the {n} businesses"
    return f"No {noun} of {whom} was left blank: strategy multiple has nothing to impute."


def reliability_paragraph(alpha_row: Row, cohort: Cohort) -> str:
    """Cronbach's alpha in words (rule 4 of :mod:`~cma_research.reporting.rules`), with
    its APA string."""
    note = str(alpha_row.get("note", "") or "")
    if note and math.isnan(row_number(alpha_row, "alpha")):
        return f"Cronbach's alpha could not be computed: {_reason(note)}."
    phrase = reliability_phrase(alpha_row, cohort.instrument)
    if apa(alpha_row) in phrase:  # the phrase already states the numbers
        return f"{phrase.rstrip('.')}."
    return f"{phrase.rstrip('.')} (Cronbach's {apa(alpha_row)})."


def alpha_basis(alpha_row: Row, stage_noun: str = "stage") -> str:
    """What Cronbach's alpha rests on, in words, for a paper's parenthesis.

    Complete cases: the businesses assessed on every stage; ``multiple``: the businesses
    imputed and the number of imputations pooled; any other strategy: the businesses
    and the strategy that filled the blanks; a row not computed: its reason.

    >>> alpha_basis({"strategy": "complete_case", "n": 10, "m": 1, "alpha": 0.8})
    'n = 10 businesses assessed on every stage'
    >>> alpha_basis({"strategy": "multiple", "n": 35, "m": 20, "alpha": 0.8})
    'pooled over 20 imputations of the 35 businesses with an assessed stage'
    >>> alpha_basis({"strategy": "stage_median", "n": 35, "m": 1, "alpha": 0.8}, "dimension")
    'n = 35 businesses, blank dimensions filled by strategy stage_median'
    """
    note = str(alpha_row.get("note", "") or "")
    if note and math.isnan(row_number(alpha_row, "alpha")):
        return f"not computed: {_reason(note)}"
    n = int(row_number(alpha_row, "n"))
    strategy = str(alpha_row.get("strategy", ""))
    businesses = _noun(n, "business", "businesses")
    if strategy == "complete_case":
        return f"n = {n} {businesses} assessed on every {stage_noun}"
    if strategy == "multiple":
        m = int(row_number(alpha_row, "m"))
        return (
            f"pooled over {m} {_noun(m, 'imputation', 'imputations')} of the {n} "
            f"{businesses} with an assessed {stage_noun}"
        )
    return f"n = {n} {businesses}, blank {stage_noun}s filled by strategy {strategy}"


def covariates_summary(rows: Sequence[Row], cohort: Cohort, strategy: str) -> str:
    """The association of maturity with each numeric covariate (growth, ...), in plain text.

    :func:`association_paragraph` of each row (bold marks removed), one after the other;
    the empty string when the study has no numeric covariate, so a manuscript can cite
    it on every build (``{covariates_summary}``) and say nothing when there is nothing.

    >>> from cma_research.datasets import customer_wise_2007
    >>> covariates_summary([], customer_wise_2007(), "complete_case")
    ''
    """
    return " ".join(association_paragraph(row, cohort, strategy).replace("**", "") for row in rows)


def applies_nowhere(table: pd.DataFrame) -> bool:
    """Whether no row of a result was computed, all for one reason (their ``note``s, as
    :func:`~cma_research.sensitivity` and
    :func:`~cma_research.analysis.headline.result_or_note` write them, are one and the
    same "not applicable: ..." or "not computed: ..."). A report then says the reason
    once instead of showing a table of empty rows; rows that fail for different reasons
    are shown, each with its own.

    >>> import pandas as pd
    >>> no_staff = "not applicable: the returns give no staff numbers"
    >>> applies_nowhere(pd.DataFrame({"strategy": ["a", "b"], "note": [no_staff] * 2}))
    True
    >>> applies_nowhere(pd.DataFrame({"strategy": ["a", "b"], "note": [no_staff, ""]}))
    False
    """
    if "note" not in table or table.empty:
        return False
    notes = table["note"].fillna("").astype(str)
    return bool((notes == notes.iloc[0]).all()) and notes.iloc[0].startswith(
        ("not applicable", "not computed")
    )


def sensitivity_paragraph(table: pd.DataFrame, instrument: Instrument | None = None) -> str:
    """Whether a correlation with maturity depends on the missing-data strategy.

    By rule 12 of :mod:`~cma_research.reporting.rules`: the conclusion "does not hinge
    on" the strategy when every strategy that could be applied gives the same direction
    verdict (rule 2: positive, negative or no clear association); otherwise it "depends
    on" it, and the strategies are named by verdict. The correlation is named by the
    table's ``covariate`` (size for staff; the column's name otherwise), the strategies
    in words (:func:`~cma_research.reporting.tables.strategy_words`, in the noun of
    ``instrument`` when given); a table where no strategy could be applied says why (the
    first row's note).

    >>> import pandas as pd
    >>> t = pd.DataFrame({"strategy": ["complete_case", "available_case"],
    ...                   "covariate": "staff", "r": [float("nan")] * 2,
    ...                   "note": ["not applicable: the returns give no staff numbers"] * 2})
    >>> sensitivity_paragraph(t)
    'The size correlation could not be computed under any strategy: the returns give no staff numbers.'
    """  # noqa: E501
    covariate = str(table["covariate"].dropna().iloc[0]) if "covariate" in table else "staff"
    if "covariate" in table and table["covariate"].isna().all():
        covariate = "staff"
    _, topic = _covariate_words(covariate)
    notes = table["note"].fillna("").astype(str)
    valid = table[notes == ""]
    if valid.empty:
        if notes.empty:
            return "No strategy could be applied to these data."
        return (
            f"The {topic} correlation could not be computed under any strategy: "
            f"{_reason(notes.iloc[0])}."
        )
    defined = valid[valid["r"].notna()]
    if defined.empty:
        return (
            f"The {topic} correlation is undefined under every strategy that could be "
            "applied: a variable is the same for every business."
        )
    valid = defined

    def words(strategy: object) -> str:
        return strategy_words(str(strategy), instrument)

    if len(valid) == 1:
        only = valid.iloc[0]
        return (
            f"Only one strategy ({words(only['strategy'])}) could be applied to these data "
            f"(r = {format_number(float(only['r']), bounded=True)}), so there is nothing to "
            "compare it with."
        )
    verdicts = {words(row["strategy"]): direction(row) for _, row in valid.iterrows()}
    lo, hi = float(valid["r"].min()), float(valid["r"].max())
    same = []
    if "identical_strategies" in valid.columns:
        for _, row in valid.iterrows():
            value = row["identical_strategies"]
            others = [] if pd.isna(value) else [o.strip() for o in str(value).split(",")]
            others = [o for o in others if o]
            if others:
                verb = "gives" if len(others) == 1 else "give"
                same.append(
                    f"{join_words([words(o) for o in others])} {verb} exactly the result of "
                    f"{words(row['strategy'])}"
                )
    counted = (
        f" (counted once: {'; '.join(same)}, the same arithmetic for this statistic)"
        if same
        else ""
    )
    noun = ("distinct strategy", "distinct strategies") if same else ("strategy", "strategies")
    head = (
        f"Across {count_words(len(valid), *noun)}"
        f"{counted} the {topic} correlation ranged from {format_number(lo, bounded=True)} to "
        f"{format_number(hi, bounded=True)}"
    )
    if not hinges_on_strategy(verdicts.values()):
        verdict = ASSOCIATION_WORDS[next(iter(verdicts.values()))]
        return (
            f"{head}; every one gives the same verdict ({verdict}), so the conclusion does "
            "not hinge on how blanks were handled."
        )
    groups = {
        ASSOCIATION_WORDS[v]: [s for s, d in verdicts.items() if d == v]
        for v in sorted(set(verdicts.values()))
    }
    listing = "; ".join(f"{w}: {', '.join(s)}" for w, s in groups.items())
    return f"{head}, and the verdict depends on the strategy ({listing})."


def leave_one_out_sentence(table: pd.DataFrame) -> str:
    """How far leaving out one business moves a correlation, in one sentence.

    Parameters
    ----------
    table : DataFrame
        :func:`~cma_research.analysis.correlation.leave_one_out` (sorted by how far each
        business moves the estimate).

    Returns
    -------
    str
        The range of the leave-one-out estimates and the business that moves it most,
        with its covariate value; numbers only, every one from ``table``. A table
        made shareable under pseudonyms
        (:func:`~cma_research.reporting.confidential.shareable_business_table`) gives
        the size band of the business left out instead (``left_out_size_band``), or no
        value when it has neither column.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"business_id": ["B16", "B09"], "left_out_value": [100.0, 3.0],
    ...     "r_without": [0.37, 0.66], "change": [-0.15, 0.14], "r_all": 0.52, "n": 12,
    ...     "covariate": "staff", "method": "spearman"})
    >>> print(leave_one_out_sentence(t))
    Leaving out one of the 12 businesses at a time, ρ = .52 ranges from .37 (without B16, staff 100) to .66 (without B09, staff 3); B16 moves it most (by −.15).
    >>> banded = t.drop(columns="left_out_value").assign(left_out_size_band=["medium", "micro"])
    >>> print(leave_one_out_sentence(banded).split(";")[0])
    Leaving out one of the 12 businesses at a time, ρ = .52 ranges from .37 (without B16, a medium business) to .66 (without B09, a micro business)
    """  # noqa: E501
    if table.empty:
        raise ParameterError("the table has no rows; pass the output of leave_one_out()")
    first = table.iloc[0]
    sym = correlation_symbol(str(first.get("method", "spearman")))
    covariate = str(first.get("covariate", "")).replace("_", " ")
    valid = table[table["r_without"].notna()]
    if valid.empty:
        return "Leaving out any one business leaves a constant variable: no estimate."
    r_without = valid["r_without"].to_numpy(dtype=float)
    lo = valid.iloc[int(np.argmin(r_without))]
    hi = valid.iloc[int(np.argmax(r_without))]

    def who(row: pd.Series) -> str:
        if "left_out_value" in row.index:
            value = format_number(float(row["left_out_value"]), 2).rstrip("0").rstrip(".")
            return f"without {row['business_id']}, {covariate} {value}"
        if "left_out_size_band" in row.index and not pd.isna(row["left_out_size_band"]):
            return f"without {row['business_id']}, a {row['left_out_size_band']} business"
        return f"without {row['business_id']}"

    return (
        f"Leaving out one of the {int(first['n'])} businesses at a time, {sym} = "
        f"{format_number(float(first['r_all']), bounded=True)} ranges from "
        f"{format_number(float(lo['r_without']), bounded=True)} ({who(lo)}) to "
        f"{format_number(float(hi['r_without']), bounded=True)} ({who(hi)}); "
        f"{first['business_id']} moves it most (by "
        f"{format_number(float(first['change']), bounded=True)})."
    )


def blank_as_zero_sentence(base: Row, zero: Row, cohort: Cohort) -> str:
    """What coding every blank as the lowest level does to the pooled share there.

    Parameters
    ----------
    base, zero : Series or mapping
        The ``stage == "all"`` rows of :func:`~cma_research.level_distribution` under the
        notebook's strategy and under ``blank_as_zero``.
    cohort : Cohort
        For the instrument's words.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research import level_distribution
    >>> cw = customer_wise_2007()
    >>> a = level_distribution(cw).iloc[-1]
    >>> z = level_distribution(cw, strategy="blank_as_zero").iloc[-1]
    >>> print(blank_as_zero_sentence(a, z, cw))  # doctest: +NORMALIZE_WHITESPACE
    If every blank meant the lowest level (a worst case), the share of assessments below
    level 1 would be 28% (95% CI 14% to 45%, n = 160) instead of 15% (n = 137).

    With no blank the worst case changes nothing, and the sentence says so:

    >>> full = level_distribution(cw, strategy="complete_case").iloc[-1]  # 16 zeros in 120
    >>> print(blank_as_zero_sentence(full, full, cw))  # doctest: +NORMALIZE_WHITESPACE
    No assessment is blank, so reading blanks as the lowest level changes nothing: the
    share of assessments below level 1 stays 13% (n = 120).
    """
    lowest = lowest_level_phrase(cohort.instrument)
    a, z = row_number(base, "share_below_1"), row_number(zero, "share_below_1")
    n_base, n_zero = int(row_number(base, "n_assessed")), int(row_number(zero, "n_assessed"))
    if n_zero == n_base:
        return (
            "No assessment is blank, so reading blanks as the lowest level changes nothing: "
            f"the share of assessments {lowest} stays {percent(a)} (n = {n_base})."
        )
    low, high = row_number(zero, "ci95_low"), row_number(zero, "ci95_high")
    interval = "" if math.isnan(low) else f"95% CI {percent(low)} to {percent(high)}, "
    return (
        f"If every blank meant the lowest level (a worst case), the share of assessments "
        f"{lowest} would be {percent(z)} ({interval}n = {n_zero}) instead of {percent(a)} "
        f"(n = {n_base})."
    )


def tipping_point_sentence(table: pd.DataFrame) -> str:
    """Whether not-at-random blanks could flip the correlation's verdict, in one sentence.

    Parameters
    ----------
    table : DataFrame
        :func:`~cma_research.analysis.sensitivity.tipping_point`.

    Returns
    -------
    str
        The verdict at delta = 0 (rule 2's words) and the smallest delta that changes it,
        with the average number of blanks then at the lowest level; or that no delta up
        to the largest tried (every blank at the lowest level) changes it.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"delta": [0, 1, 2], "verdict": [0, 0, 1],
    ...     "flipped": [False, False, True], "n_blanks": 23,
    ...     "blanks_at_lowest": [3.9, 9.5, 15.2], "r": [.40, .45, .55],
    ...     "tipping_delta": 2.0})
    >>> print(tipping_point_sentence(t))  # doctest: +NORMALIZE_WHITESPACE
    Under multiple imputation the verdict is no clear association; it becomes positive
    if the blanks lie 2 levels below their imputed values (r = .55; on average 15.2 of
    the 23 blanks then at the lowest level).
    """
    if table.empty:
        raise ParameterError("the table has no rows; pass the output of tipping_point()")
    first = table.iloc[0]
    start = ASSOCIATION_WORDS[int(first["verdict"])]
    n_blanks = int(first["n_blanks"])
    if n_blanks == 0:
        return "There are no blanks, so nothing to tip."
    flipped = table[table["flipped"].astype(bool)]
    if flipped.empty:
        top = int(table["delta"].max())
        most = float(table["blanks_at_lowest"].max())
        lowest = (
            f"all {n_blanks} blanks"
            if most >= n_blanks - 0.05
            else f"on average {format_number(most, 1)} of the {n_blanks} blanks"
        )
        return (
            f"Under multiple imputation the verdict is {start}, and it stays so even with "
            f"the blanks {top} level{'s' if top != 1 else ''} below their imputed values "
            f"({lowest} at the lowest level): blanks missing not at random do not "
            "change it."
        )
    row = flipped.iloc[0]
    d = int(row["delta"])
    return (
        f"Under multiple imputation the verdict is {start}; it becomes "
        f"{ASSOCIATION_WORDS[int(row['verdict'])]} if the blanks lie {d} "
        f"level{'s' if d != 1 else ''} below their imputed values "
        f"(r = {format_number(float(row['r']), bounded=True)}; on average "
        f"{format_number(float(row['blanks_at_lowest']), 1)} of the {n_blanks} blanks then "
        "at the lowest level)."
    )


def scaling_paragraph(table: pd.DataFrame, cohort: Cohort) -> str:
    """Whether the stages form a cumulative (Mokken) scale, by rule 13.

    Parameters
    ----------
    table : DataFrame
        :func:`~cma_research.analysis.scaling.mokken_scale`.
    cohort : Cohort
        For the instrument's words.

    Examples
    --------
    >>> import pandas as pd
    >>> from cma_research.datasets import customer_wise_2007
    >>> t = pd.DataFrame({"item": ["scale", "stage_1", "stage_3"], "name": ["All",
    ...     "Customer Contact", "ICT"], "H": [0.40, 0.51, 0.10], "ci95_low": [0.19, 0.27,
    ...     -0.4], "ci95_high": [0.63, 0.74, 0.55], "n": 12, "k": 10,
    ...     "n_violations": [15, 2, 3], "n_active": [112, 10, 12]})
    >>> print(scaling_paragraph(t, customer_wise_2007()))  # doctest: +NORMALIZE_WHITESPACE
    Mokken scale analysis of the 10 stages (12 businesses): Loevinger's H = .40, 95% CI
    [.19, .63], medium by Mokken's bands, but the interval reaches below .30, so these
    data do not establish a cumulative order of the stages, which the staged level
    assumes. 1 stage has H_j below .30 (ICT: .10). Manifest monotonicity: 15 of 112
    item-step comparisons fall by more than .03.
    """
    inst = cohort.instrument
    scale = table[table["item"] == "scale"].iloc[0]
    h, low, high = (row_number(scale, c) for c in ("H", "ci95_low", "ci95_high"))
    k, n = int(row_number(scale, "k")), int(row_number(scale, "n"))
    what = f"Mokken scale analysis of the {count_words(k, inst.stage_noun)} ({n} businesses)"
    if math.isnan(h):
        return f"{what}: Loevinger's H is undefined ({scale.get('note', '')})."
    word = scalability_word(h)
    interval = (
        ""
        if math.isnan(low)
        else f", 95% CI [{format_number(low, bounded=True)}, {format_number(high, bounded=True)}]"
    )
    bound = SCALABILITY_BANDS[-2][0]
    bound_text = format_number(bound, bounded=True)
    if h >= bound and not math.isnan(low) and low >= bound:
        verdict = (
            f"{word} by Mokken's bands: the {inst.stage_plural} form a cumulative (Mokken) scale."
        )
    elif h >= bound:
        why = f"the interval reaches below {bound_text}" if not math.isnan(low) else "no interval"
        verdict = (
            f"{word} by Mokken's bands, but {why}, so these data do not establish a "
            f"cumulative order of the {inst.stage_noun}s, which the staged level assumes."
        )
    else:
        verdict = (
            f"{word} by Mokken's bands (below {bound_text}): the {inst.stage_noun}s do not "
            "form a cumulative scale, which the staged level assumes."
        )
    text = f"{what}: Loevinger's H = {format_number(h, bounded=True)}{interval}, {verdict}"
    items = table[table["item"] != "scale"]
    weak = items[items["H"].astype(float) < bound]
    if len(weak):
        listing = ", ".join(
            f"{r['name']}: {format_number(float(r['H']), bounded=True)}" for _, r in weak.iterrows()
        )
        noun = inst.stage_noun if len(weak) == 1 else f"{inst.stage_noun}s"
        verb = "has" if len(weak) == 1 else "have"
        text += f" {len(weak)} {noun} {verb} H_j below {bound_text} ({listing})."
    viol, active = int(row_number(scale, "n_violations")), int(row_number(scale, "n_active"))
    text += (
        f" Manifest monotonicity: {viol} of {active} item-step comparisons fall by more than .03."
    )
    return text


#: How the estimands paragraph names each estimand of the size question.
_ESTIMAND_NAMES = {
    "size_correlation": "the Spearman correlation of the mean level with staff",
    "ols_slope": "the OLS slope of the mean level on log(staff)",
    "ordinal_slope": "the proportional-odds log odds ratio per log(staff)",
}


def estimands_paragraph(table: pd.DataFrame) -> str:
    """The declared primary estimand's answer, the others as exploratory, reconciled.

    Direction words follow rule 2 of :mod:`~cma_research.reporting.rules` (an interval
    that includes 0 establishes no direction). When an exploratory model's verdict
    differs from the primary one's, the sentence says so and names what differs
    between them (their units and n), and that the primary estimand is the result.

    Parameters
    ----------
    table : DataFrame
        :func:`~cma_research.analysis.models.estimands`.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"estimand": ["size_correlation", "ols_slope", "ordinal_slope"],
    ...     "role": ["primary", "exploratory", "exploratory"], "estimate": [0.52, 0.44, 0.53],
    ...     "ci95_low": [-0.12, -0.04, 0.12], "ci95_high": [0.85, 0.92, 0.94],
    ...     "p_val": [0.085, 0.061, 0.016], "n": [12, 12, 120],
    ...     "unit": ["businesses", "businesses", "assessments"], "verdict": [0, 0, 1]})
    >>> print(estimands_paragraph(t))  # doctest: +NORMALIZE_WHITESPACE
    Primary estimand (declared in the parameters): the Spearman correlation of the
    mean level with staff, .52, 95% CI [−.12, .85], p = .085, n = 12 businesses: no
    clear association. Exploratory: the OLS slope of the mean level on log(staff), 0.44,
    95% CI [−0.04, 0.92], p = .061 (no clear association); the proportional-odds log
    odds ratio per log(staff), 0.53, 95% CI [0.12, 0.94], p = .016 (positive). The
    exploratory proportional-odds log odds ratio per log(staff) disagrees with the
    primary estimand: it counts 120 assessments, not 12 businesses, and a
    cluster-robust test with few businesses tends to be optimistic; being exploratory
    it does not change the answer.
    """
    need = ["estimand", "role", "estimate", "ci95_low", "ci95_high", "p_val", "n", "unit"]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ParameterError(
            f"the table lacks column(s) {', '.join(missing)}; pass the output of estimands()"
        )

    def numbers(row: pd.Series) -> str:
        bounded = str(row["estimand"]) == "size_correlation"
        est, lo, hi = (float(row[c]) for c in ("estimate", "ci95_low", "ci95_high"))
        return (
            f"{format_number(est, bounded=bounded)}, 95% CI [{format_number(lo, bounded=bounded)}, "
            f"{format_number(hi, bounded=bounded)}], {format_p(float(row['p_val']))}"
        )

    def verdict(row: pd.Series) -> int:
        keys = {"r": "estimate", "ci95_low": "ci95_low", "ci95_high": "ci95_high", "p_val": "p_val"}
        return direction({k: float(row[v]) for k, v in keys.items()})

    primary = table[table["role"] == "primary"].iloc[0]
    p_verdict = verdict(primary)
    name = _ESTIMAND_NAMES.get(str(primary["estimand"]), str(primary["estimand"]))
    text = (
        f"Primary estimand (declared in the parameters): {name}, {numbers(primary)}, "
        f"n = {int(primary['n'])} {primary['unit']}: {ASSOCIATION_WORDS[p_verdict]}."
    )
    others = table[table["role"] != "primary"]
    if len(others):
        parts = [
            f"{_ESTIMAND_NAMES.get(str(r['estimand']), str(r['estimand']))}, {numbers(r)} "
            f"({ASSOCIATION_WORDS[verdict(r)]})"
            for _, r in others.iterrows()
        ]
        text += f" Exploratory: {'; '.join(parts)}."
    for _, r in others.iterrows():
        if verdict(r) == p_verdict:
            continue
        other = _ESTIMAND_NAMES.get(str(r["estimand"]), str(r["estimand"]))
        if str(r["unit"]) != str(primary["unit"]):
            why = (
                f"it counts {int(r['n'])} {r['unit']}, not {int(primary['n'])} "
                f"{primary['unit']}, and a cluster-robust test with few businesses tends "
                "to be optimistic"
            )
        else:
            why = "it rests on another scale and other assumptions"
        text += (
            f" The exploratory {other.removeprefix('the ')} disagrees with the primary "
            f"estimand: {why}; being "
            "exploratory it does not change the answer."
        )
    return text


#: How the calibration sentence names the statistics of calibration_check.
_CHECK_NAMES = {
    "cronbach_alpha": "Cronbach's α of the complete cases",
    "sd_mean_level": "the SD of the mean levels",
    "complete_cases": "the number of complete cases",
}


def calibration_check_sentence(table: pd.DataFrame) -> str:
    """Whether the simulation model reproduces statistics it was not fitted to.

    Parameters
    ----------
    table : DataFrame
        :func:`~cma_research.analysis.power.calibration_check`.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"statistic": ["cronbach_alpha", "complete_cases"],
    ...     "observed": [0.85, 12.0], "simulated_low": [0.62, 9.0],
    ...     "simulated_high": [0.93, 15.0], "within": [True, True], "n_sims": 1000,
    ...     "n_businesses": 16})
    >>> print(calibration_check_sentence(t))  # doctest: +NORMALIZE_WHITESPACE
    On statistics the model was not fitted to, 1000 simulated cohorts of 16 businesses
    give Cronbach's α of the complete cases from 0.62 to 0.93 (observed 0.85) and the
    number of complete cases from 9 to 15 (observed 12): every observed value lies
    within the simulated 95% range.
    """
    parts = []
    for _, r in table.iterrows():
        digits = 0 if str(r["statistic"]) == "complete_cases" else 2
        parts.append(
            f"{_CHECK_NAMES.get(str(r['statistic']), str(r['statistic']))} from "
            f"{format_number(float(r['simulated_low']), digits)} to "
            f"{format_number(float(r['simulated_high']), digits)} (observed "
            f"{format_number(float(r['observed']), digits)})"
        )
    outside = [
        _CHECK_NAMES.get(str(r["statistic"]), str(r["statistic"]))
        for _, r in table.iterrows()
        if not bool(r["within"])
    ]
    verdict = (
        "every observed value lies within the simulated 95% range"
        if not outside
        else f"outside the simulated 95% range: {join_words(outside)}, so the power below "
        "rests on a model that does not reproduce these data in that respect"
    )
    first = table.iloc[0]
    return (
        f"On statistics the model was not fitted to, {int(first['n_sims'])} simulated cohorts "
        f"of {int(first['n_businesses'])} businesses give {join_words(parts)}: {verdict}."
    )


def recruitment_sentence(plan: pd.DataFrame, n_needed: int) -> str:
    """What the recruitment funnel's conversion rates imply, flagging an impossible plan.

    Parameters
    ----------
    plan : DataFrame
        :func:`~cma_research.analysis.power.recruitment_plan`.
    n_needed : int
        The audits needed.

    Examples
    --------
    >>> import pandas as pd
    >>> plan = pd.DataFrame({"step": ["Frame", "Contacted", "Audited"],
    ...     "count": [1000, 100, 10], "needed": [20000, 2000, 200],
    ...     "needed_low": [15000, 1500, 200], "needed_high": [30000, 3000, 200],
    ...     "frame_size": 1000, "exceeds_frame": [True, True, False]})
    >>> print(recruitment_sentence(plan, 200))  # doctest: +NORMALIZE_WHITESPACE
    At the recruitment file's conversion rates, 200 audits need about 2000 businesses at
    the step 'Contacted' (1500 to 3000 within the exact 95% intervals of the
    conversions) and 20000 in the sampling frame, which has 1000: **the plan exceeds the
    sampling frame** at these conversion rates.
    """
    step = plan.iloc[1] if len(plan) > 1 else plan.iloc[0]
    frame = plan.iloc[0]
    low, high = row_number(step, "needed_low"), row_number(step, "needed_high")
    spread = (
        f" ({int(low)} to {int(high)} within the exact 95% intervals of the conversions)"
        if not (math.isnan(low) or math.isnan(high))
        else ""
    )
    text = (
        f"At the recruitment file's conversion rates, {n_needed} audits need about "
        f"{int(step['needed'])} businesses at the step '{step['step']}'{spread} and "
        f"{int(frame['needed'])} in the sampling frame, which has {int(frame['frame_size'])}"
    )
    if bool(frame["exceeds_frame"]):
        return text + ": **the plan exceeds the sampling frame** at these conversion rates."
    return text + ": the frame is large enough."


def key_facts(
    cohort: Cohort,
    overall: Mapping[str, Any] | pd.Series,
    size_row: Mapping[str, Any] | pd.Series,
    alpha_row: Mapping[str, Any] | pd.Series,
    *,
    headline: HeadlineStrategy | None = None,
    covariate_rows: Sequence[Mapping[str, Any] | pd.Series] = (),
) -> dict[str, str]:
    """The landing page's facts, in words: ``{"Businesses audited": "16", ...}``.

    With ``headline``, the strategy behind the headline results and how many businesses
    it uses; with ``covariate_rows``, each covariate's correlation with the mean level.
    """
    inst = cohort.instrument
    lowest = lowest_level_phrase(inst)
    low, high = float(overall["ci95_low"]), float(overall["ci95_high"])
    interval = "" if math.isnan(low) else f" (95% CI {percent(low)}–{percent(high)})"
    facts = {
        "Businesses audited": str(cohort.n_businesses),
        f"Share of assessments {lowest}": f"{percent(float(overall['share_below_1']))}{interval}",
    }
    if not str(size_row.get("note", "") or ""):
        facts["Size and mean level"] = apa(size_row)
    if not str(alpha_row.get("note", "") or ""):
        facts["Cronbach's alpha"] = apa(alpha_row)
    for row in covariate_rows:
        if not str(row.get("note", "") or ""):
            what, _ = _covariate_words(str(row.get("covariate", "")))
            facts[f"{what[0].upper()}{what[1:]} and mean level"] = apa(row)
    if headline is not None:
        facts["Headline strategy"] = (
            f"{strategy_words(headline.strategy, cohort.instrument)} "
            f"({headline.n_used} of {headline.n_businesses} businesses; "
            f"{headline.rule})"
        )
    return facts


# -- between two waves --------------------------------------------------------------------


def claims_summary(
    verdicts: pd.DataFrame,
    n_failing: int,
    business_scores_table: pd.DataFrame,
    target_level: int,
) -> str:
    """The claims audit in one paragraph: claims per verdict, the data, the must-hold gate.

    Counts are numerals with their noun and verb in agreement (rule 15 of
    :mod:`~cma_research.reporting.rules`); a verdict no claim received is left out,
    except *supported*, which is always stated.

    Parameters
    ----------
    verdicts : DataFrame
        :func:`~cma_research.analysis.claims.claim_verdicts` (``verdict``,
        ``must_hold``).
    n_failing : int
        Must-hold claims failing (``len(claims_gate(...))``).
    business_scores_table : DataFrame
        :func:`~cma_research.business_scores` of the wave audited (``gap_to_target``).
    target_level : int
        The target level named in the text.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"verdict": ["supported", "holds in the sample only",
    ...                               "not supported", "cannot be tested"],
    ...                   "must_hold": [True, False, False, False]})
    >>> scores = pd.DataFrame({"gap_to_target": [1.5]})
    >>> print(claims_summary(v, 0, scores, 4))  # doctest: +NORMALIZE_WHITESPACE
    Of the **3** testable claims, **1** is supported by the study's own data, 1 holds in
    these businesses but is not established beyond them and 1 is not supported; 1 further
    claim cannot be tested with these data. The data: 1 business, of which 1 has a mean
    level below the target level 4. Of the 1 claim marked must-hold, 0 fail.
    """
    counts = verdicts["verdict"].astype(str).value_counts()

    def c(v: str) -> int:
        return int(counts.get(v, 0))

    def verb(n: int, one: str, many: str) -> str:
        return one if n == 1 else many

    untestable = c("cannot be tested")
    testable = len(verdicts) - untestable
    if testable == 0:
        text = f"None of the {count_phrase(untestable, 'claim')} can be tested with these data."
    else:
        k = c("supported")
        parts = [f"**{k}** {verb(k, 'is', 'are')} supported by the study's own data"]
        if h := c("holds in the sample only"):
            parts.append(
                f"{h} {verb(h, 'holds', 'hold')} in these businesses but "
                f"{verb(h, 'is', 'are')} not established beyond them"
            )
        if p := c("partly supported"):
            parts.append(f"{p} {verb(p, 'is', 'are')} partly supported (their readings disagree)")
        if q := c("not supported"):
            parts.append(f"{q} {verb(q, 'is', 'are')} not supported")
        text = (
            f"Of the **{testable}** testable {verb(testable, 'claim', 'claims')}, "
            f"{join_words(parts)}"
        )
        if untestable:
            text += (
                f"; {untestable} further {verb(untestable, 'claim', 'claims')} "
                "cannot be tested with these data."
            )
        else:
            text += "."
    n = len(business_scores_table)
    below = int((business_scores_table["gap_to_target"] > 0).sum())
    text += (
        f" The data: {count_phrase(n, 'business', 'businesses')}, of which {below} "
        f"{verb(below, 'has', 'have')} a mean level below the target level {target_level}."
    )
    m = int(verdicts["must_hold"].sum()) if "must_hold" in verdicts else 0
    if m:
        text += (
            f" Of the {count_phrase(m, 'claim')} marked must-hold, {n_failing} "
            f"{verb(n_failing, 'fails', 'fail')}."
        )
    else:
        text += " No claim is marked must-hold."
    return text


def verdict_changes_sentence(strategy: str, n_changed: int, n_claims: int) -> str:
    """How many claims change verdict when every reading uses ``strategy``.

    >>> verdict_changes_sentence("complete_case", 2, 29)
    'Under the strategy complete_case for every reading, 2 of 29 claims change verdict.'
    >>> verdict_changes_sentence("available_case", 0, 1)
    'Under the strategy available_case for every reading, the one claim keeps its verdict.'
    """
    lead = f"Under the strategy {strategy} for every reading, "
    if n_claims == 1:
        return lead + ("the one claim changes verdict." if n_changed else
                       "the one claim keeps its verdict.")  # fmt: skip
    return lead + f"{n_changed} of {n_claims} claims change verdict."


def nothing_to_compare(waves: Sequence[str]) -> str:
    """The notebook's message for a file with fewer than two waves.

    >>> print(nothing_to_compare(["1"]))
    The returns have one audit wave ('1'), so there is nothing to compare: change needs a baseline and a follow-up audit of the same businesses. Load a file with a wave column holding two or more waves.
    """  # noqa: E501
    shown = ", ".join(repr(str(w)) for w in waves) or "none"
    count = "one audit wave" if len(waves) == 1 else f"{len(waves)} audit waves"
    return (
        f"The returns have {count} ({shown}), so there is nothing to compare: change needs "
        "a baseline and a follow-up audit of the same businesses. Load a file with a wave "
        "column holding two or more waves."
    )


def attrition_sentence(table: pd.DataFrame, *, synthetic: bool = False) -> str:
    """How many businesses were audited at each wave, at both, and who dropped out.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~cma_research.analysis.change.scores_by_wave`.
    synthetic : bool
        Start with "SYNTHETIC example data:".

    Returns
    -------
    str
        Counts only; the drop-outs are named by business id.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"business_id": ["A", "B", "C"], "baseline": "W1",
    ...                   "follow_up": "W2",
    ...                   "status": ["paired", "baseline_only", "paired"]})
    >>> print(attrition_sentence(t))
    3 businesses were audited at W1 and 2 at W2; 2 at both waves. 1 business was audited at W1 only (dropped out: B).
    """  # noqa: E501
    missing = [c for c in ("business_id", "baseline", "follow_up", "status") if c not in table]
    if missing:
        raise ParameterError(
            f"the table lacks column(s) {', '.join(missing)}; pass the output of scores_by_wave()"
        )
    status = table["status"].astype(str)
    baseline, follow_up = str(table["baseline"].iloc[0]), str(table["follow_up"].iloc[0])
    n_paired = int((status == "paired").sum())
    dropped = table.loc[status == "baseline_only", "business_id"].astype(str).tolist()
    joined = table.loc[status == "follow_up_only", "business_id"].astype(str).tolist()
    n_base, n_follow = n_paired + len(dropped), n_paired + len(joined)

    def businesses(n: int) -> str:
        return f"{n} business{'es' if n != 1 else ''}"

    prefix = "SYNTHETIC example data: " if synthetic else ""
    text = (
        f"{prefix}{businesses(n_base)} {'were' if n_base != 1 else 'was'} audited "
        f"{at_wave(baseline)} and {n_follow} {at_wave(follow_up)}; {n_paired} at both waves."
    )
    if dropped:
        text += (
            f" {businesses(len(dropped))} {'were' if len(dropped) != 1 else 'was'} audited "
            f"{at_wave(baseline)} only (dropped out: {join_words(dropped)})."
        )
    else:
        text += f" No business audited {at_wave(baseline)} is missing {at_wave(follow_up)}."
    if joined:
        text += (
            f" {businesses(len(joined))} {'were' if len(joined) != 1 else 'was'} audited "
            f"{at_wave(follow_up)} only ({join_words(joined)})."
        )
    return text


def attrition_tests_sentence(
    tests: pd.DataFrame, *, alpha: float = 0.05, synthetic: bool = False
) -> str:
    """Did the drop-outs differ from the completers at baseline? One clause per variable.

    Parameters
    ----------
    tests : DataFrame
        ``attrition(...).tests`` (:func:`~cma_research.attrition`).
    alpha : float
        Level for the word *differed* (rule 11 of :mod:`~cma_research.reporting.rules`).
    synthetic : bool
        Start with "SYNTHETIC example data:".

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"variable": ["mean_score", "business_type"], "baseline": "W1",
    ...     "follow_up": "W2", "n_dropped": [3, 3], "n_completers": [13, 13],
    ...     "dropped_summary": [2.17, 3.0], "completer_summary": [2.2, 13.0],
    ...     "p_val": [0.9, 1.0], "effect_size": [-0.05, 0.0],
    ...     "effect_size_name": ["rank_biserial", "cramers_v"]})
    >>> print(attrition_tests_sentence(t))
    At W1, the 3 businesses not audited at W2 did not clearly differ from the 13 audited again in mean score (median 2.17 vs 2.20; rank-biserial r = −.05, p = .900) and did not clearly differ in business type (Cramér's V = .00, p = 1.000).
    """  # noqa: E501
    needed = ["variable", "baseline", "follow_up", "n_dropped", "n_completers", "p_val"]
    missing = [c for c in needed if c not in tests]
    if missing:
        raise ParameterError(
            f"the table lacks column(s) {', '.join(missing)}; pass attrition(...).tests"
        )
    prefix = "SYNTHETIC example data: " if synthetic else ""
    if tests.empty:
        raise ParameterError("the table has no rows; pass attrition(...).tests")
    first = tests.iloc[0]
    baseline, follow_up = str(first["baseline"]), str(first["follow_up"])
    n_dropped = int(tests["n_dropped"].max())
    n_completers = int(tests["n_completers"].max())
    if n_dropped == 0:
        return (
            f"{prefix}Every business audited {at_wave(baseline)} was audited again "
            f"{at_wave(follow_up)}: "
            "there are no drop-outs to compare."
        )
    parts = []
    for i, (_, row) in enumerate(tests.iterrows()):
        var = _VARIABLE_NAMES.get(str(row["variable"]), str(row["variable"]))
        p = row_number(row, "p_val")
        verdict = attrition_difference(p, alpha)
        verb = ATTRITION_WORDS[verdict]
        if i == 0 and verdict != "not_comparable":
            verb += f" from the {n_completers} audited again"
        effect = row_number(row, "effect_size")
        kind = str(row.get("effect_size_name", ""))
        if verdict == "not_comparable":
            parts.append(f"{verb} in {var} (no test possible)")
            continue
        if kind == "cramers_v":
            detail = f"Cramér's V = {format_number(effect, bounded=True)}, {format_p(p)}"
        else:
            med_d, med_c = row_number(row, "dropped_summary"), row_number(row, "completer_summary")
            digits = 2 if var == "mean score" else 0
            detail = (
                f"median {format_number(med_d, digits)} vs {format_number(med_c, digits)}; "
                f"rank-biserial r = {format_number(effect, bounded=True)}, {format_p(p)}"
            )
        parts.append(f"{verb} in {var} ({detail})")
    return (
        f"{prefix}{at_wave(baseline, capital=True)}, the {n_dropped} "
        f"business{'es' if n_dropped != 1 else ''} not audited {at_wave(follow_up)} "
        f"{join_words(parts)}."
    )


def _pairs_phrase(row: Row, stage_noun: str) -> str:
    """``the 13 businesses audited at both waves``, or, when the strategy keeps fewer,
    ``4 of the 31 businesses audited at both waves (those assessed on every stage at
    both, strategy complete_case)``."""
    n = int(row_number(row, "n_pairs"))
    audited = row_number(row, "n_audited_both")
    if math.isnan(audited) or int(audited) == n:
        return f"the {n} business{'es' if n != 1 else ''} audited at both waves"
    strategy = str(row.get("strategy", ""))
    kept = {
        "complete_case": f"assessed on every {stage_noun} at both",
        "min_stages": f"assessed on enough {stage_noun}s at both",
    }.get(strategy, f"with an assessed {stage_noun} at both")
    total = int(audited)
    return (
        f"{n} of the {total} business{'es' if total != 1 else ''} audited at both waves "
        f"(those {kept}, strategy {strategy})"
    )


def _change_stats(row: Row, verdict: str, n: int) -> str:
    """The numbers of a change row in brackets (or why there are none)."""
    if verdict != "not_estimable":
        med = row_number(row, "median_change")
        r = row_number(row, "rank_biserial")
        low, high = row_number(row, "ci95_low"), row_number(row, "ci95_high")
        interval = (
            f", 95% CI [{format_number(low, bounded=True)}, {format_number(high, bounded=True)}]"
            if not (math.isnan(low) or math.isnan(high))
            else ""
        )
        return (
            f" (median change {format_number(med)} levels; matched-pairs rank-biserial "
            f"r = {format_number(r, bounded=True)}{interval}, "
            f"{format_p(row_number(row, 'p_val'))})"
        )
    if n > 0:
        return " (the rank-biserial correlation or its interval is undefined)"
    return ""


def change_summary(
    table: pd.DataFrame,
    *,
    stage_noun: str = "stage",
    synthetic: bool = False,
) -> str:
    """Two or three sentences on the change in mean score and per stage.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~cma_research.paired_change` (stage rows and ``stage ==
        "mean"``).
    stage_noun : str
        The instrument's word for a stage (``cohort.instrument.stage_noun``).
    synthetic : bool
        Start with "SYNTHETIC example data:" (the follow-up wave is made up).

    Returns
    -------
    str
        Plain text; every number comes from ``table``. The mean score's direction word
        comes from :func:`~cma_research.reporting.rules.change_direction` (rule 9, its
        95% interval); each stage's from
        :func:`~cma_research.reporting.rules.adjusted_change_direction` (rule 14, its
        multiplicity-adjusted p), so "k of 10 stages improved" counts only what survives
        the adjustment (a table without ``p_adj`` falls back to rule 9 and says the
        intervals are not adjusted). With ``n_audited_both``, the businesses audited at
        both waves are told apart from those the strategy keeps.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({
    ...     "stage": ["stage_1", "stage_2", "mean"], "name": ["Contact", "ICT", "Mean score"],
    ...     "baseline": "Baseline", "follow_up": "Follow-up", "n_audited_both": 31,
    ...     "n_pairs": [12, 11, 4], "median_change": [1.0, 0.5, 0.4],
    ...     "rank_biserial": [0.9, 0.6, 0.8], "ci95_low": [0.5, 0.05, 0.2],
    ...     "ci95_high": [1.0, 0.9, 0.95], "p_val": [0.002, 0.04, 0.01],
    ...     "p_adj": [0.004, 0.08, 0.01], "p_adj_method": "holm across the 2 tested stages",
    ...     "strategy": "complete_case"})
    >>> print(change_summary(t))
    Between Baseline and Follow-up, the mean score of 4 of the 31 businesses audited at both waves (those assessed on every stage at both, strategy complete_case) improved (median change 0.40 levels; matched-pairs rank-biserial r = .80, 95% CI [.20, .95], p = .010). By stage (each judged on its Holm-adjusted p across the 2 stages; the 95% intervals in the table are not adjusted): 1 of 2 stages improved (Contact) and 1 showed no clear change (ICT).
    """  # noqa: E501
    needed = ["stage", "name", "baseline", "follow_up", "n_pairs", "rank_biserial"]
    missing = [c for c in (*needed, "ci95_low", "ci95_high") if c not in table.columns]
    if missing:
        raise ParameterError(
            f"the table lacks column(s) {', '.join(missing)}; pass the output of paired_change()"
        )
    prefix = "SYNTHETIC example data: " if synthetic else ""
    mean_rows = table[table["stage"] == "mean"]
    stages = table[table["stage"] != "mean"]
    baseline, follow_up = str(table["baseline"].iloc[0]), str(table["follow_up"].iloc[0])
    sentences = []
    if len(mean_rows):
        row = mean_rows.iloc[0]
        verdict = change_direction(row)
        n = int(row["n_pairs"])
        sentences.append(
            f"{prefix}Between {baseline} and {follow_up}, the mean score of "
            f"{_pairs_phrase(row, stage_noun)} {DIRECTION_WORDS[verdict]}"
            f"{_change_stats(row, verdict, n)}."
        )
    if len(stages):
        adjusted = "p_adj" in stages.columns
        judge = adjusted_change_direction if adjusted else change_direction
        groups: dict[str, list[str]] = {k: [] for k in DIRECTION_WORDS}
        for _, row in stages.iterrows():
            groups[judge(row)].append(str(row["name"]))
        k = len(stages)
        nouns = f"{stage_noun}s" if k != 1 else stage_noun
        parts = []
        first = True
        for key in ("improved", "declined", "no_clear_change", "not_estimable"):
            members = groups[key]
            if not members:
                continue
            count = f"{len(members)} of {k} {nouns}" if first else f"{len(members)}"
            parts.append(f"{count} {DIRECTION_WORDS[key]} ({join_words(members)})")
            first = False
        if adjusted:
            method = str(stages["p_adj_method"].iloc[0]) if "p_adj_method" in stages else ""
            name = adjustment_name(method) if method else None
            adjusted_p = f"{name}-adjusted p" if name else "adjusted p"
            how = (
                f"each judged on its {adjusted_p} across the {k} {nouns}; the 95% "
                "intervals in the table are not adjusted"
            )
        else:
            how = f"95% intervals not adjusted for the {k} {nouns}"
        sentences.append(f"By {stage_noun} ({how}): {join_words(parts)}.")
    if not sentences:
        raise ParameterError("the table has no rows; pass the output of paired_change()")
    return " ".join(sentences)


def wave_pairs_sentence(
    table: pd.DataFrame,
    *,
    stage_noun: str = "stage",
    with_change: bool = True,
    synthetic: bool = False,
) -> str:
    """Each pair of waves in words: businesses audited at both, complete at both, change.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~cma_research.analysis.change.wave_pairs`.
    stage_noun : str
        The instrument's word for a stage.
    with_change : bool
        Also the change in the mean score of each pair (rule 9); without it, the counts.
    synthetic : bool
        Start with "SYNTHETIC example data:".

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"baseline": ["R1", "R2", "R1"], "follow_up": ["R2", "R3", "R3"],
    ...     "pair": ["consecutive", "consecutive", "baseline_to_last"],
    ...     "n_audited_both": [31, 25, 24], "n_complete_both": [4, 6, 3],
    ...     "n_pairs": [31, 25, 24], "median_change": [0.5, 0.0, 0.5],
    ...     "rank_biserial": [0.7, 0.1, 0.8], "ci95_low": [0.4, -0.3, 0.5],
    ...     "ci95_high": [0.9, 0.5, 0.95], "p_val": [0.001, 0.6, 0.001],
    ...     "strategy": "available_case"})
    >>> print(wave_pairs_sentence(t))  # doctest: +NORMALIZE_WHITESPACE
    From R1 to R2, 31 businesses were audited at both waves, 4 of them assessed on every
    stage at both; the mean score of the 31 businesses audited at both waves improved
    (median change 0.50 levels; matched-pairs rank-biserial r = .70, 95% CI [.40, .90],
    p = .001). From R2 to R3, 25 businesses were audited at both waves, 6 of them assessed
    on every stage at both; the mean score of the 25 businesses audited at both waves
    showed no clear change (median change 0.00 levels; matched-pairs rank-biserial
    r = .10, 95% CI [−.30, .50], p = .600). From the first wave to the last, R1 to R3, 24
    businesses were audited at both waves, 3 of them assessed on every stage at both; the
    mean score of the 24 businesses audited at both waves improved (median change 0.50
    levels; matched-pairs rank-biserial r = .80, 95% CI [.50, .95], p = .001).
    """
    needed = ["baseline", "follow_up", "pair", "n_audited_both", "n_complete_both"]
    missing = [c for c in needed if c not in table.columns]
    if missing or table.empty:
        raise ParameterError(
            f"the table lacks column(s) {', '.join(missing) or 'rows'}; pass the output of "
            "wave_pairs()"
        )
    prefix = "SYNTHETIC example data: " if synthetic else ""
    sentences = []
    for _, row in table.iterrows():
        b, f = str(row["baseline"]), str(row["follow_up"])
        which = (
            f"From the first wave to the last, {b} to {f}"
            if str(row["pair"]) == "baseline_to_last"
            else f"From {b} to {f}"
        )
        audited, complete = int(row["n_audited_both"]), int(row["n_complete_both"])
        text = (
            f"{which}, {count_phrase(audited, 'business', 'businesses')} "
            f"{'was' if audited == 1 else 'were'} audited at both waves, {complete} of them "
            f"assessed on every {stage_noun} at both"
        )
        if with_change:
            verdict = change_direction(row)
            n = int(row_number(row, "n_pairs"))
            text += (
                f"; the mean score of {_pairs_phrase(row, stage_noun)} "
                f"{DIRECTION_WORDS[verdict]}{_change_stats(row, verdict, n)}"
            )
        sentences.append(text + ".")
    return prefix + " ".join(sentences)


def wave_effect_sentence(model: pd.DataFrame, baseline: str, *, synthetic: bool = False) -> str:
    """The mixed model's estimate of the change in mean score, in words.

    Parameters
    ----------
    model : DataFrame
        Output of :func:`~cma_research.fit_wave_model`; its first ``wave[<label>]``
        term is described.
    baseline : str
        Label of the reference wave (the model's intercept).
    synthetic : bool
        Start with "SYNTHETIC example data:".

    Returns
    -------
    str
        *higher* / *lower* when the 95% interval excludes 0, else *not clearly
        different* (rule 10 of :mod:`~cma_research.reporting.rules`).

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"term": ["Intercept", "wave[After]"], "estimate": [2.0, 0.5],
    ...     "ci95_low": [1.5, 0.2], "ci95_high": [2.5, 0.8], "p_val": [0.0, 0.001],
    ...     "n_obs": 29, "n_groups": 16, "n_both": 13, "converged": True})
    >>> print(wave_effect_sentence(m, "Before"))
    A linear mixed model of the mean score (random intercept per business; all 29 returns of 16 businesses, 13 of them audited at two or more waves) puts the mean score higher at After than at Before: difference 0.50 levels, 95% CI [0.20, 0.80], p = .001.
    """  # noqa: E501
    missing = [c for c in ("term", "estimate", "ci95_low", "ci95_high", "p_val") if c not in model]
    if missing:
        raise ParameterError(
            f"the table lacks column(s) {', '.join(missing)}; pass the output of fit_wave_model()"
        )
    terms = model[model["term"].astype(str).str.startswith("wave[")]
    if terms.empty:
        raise ParameterError("the model has no wave term; pass the output of fit_wave_model()")
    row = terms.iloc[0]
    prefix = "SYNTHETIC example data: " if synthetic else ""
    design = ""
    if {"n_obs", "n_groups", "n_both"} <= set(model.columns):
        design = (
            f"; all {int(row['n_obs'])} returns of {int(row['n_groups'])} businesses, "
            f"{int(row['n_both'])} of them audited at two or more waves"
        )
    lead = f"{prefix}A linear mixed model of the mean score (random intercept per business{design})"
    clauses = []
    for i, (_, term) in enumerate(terms.iterrows()):
        label = str(term["term"])[len("wave[") : -1]
        est, low, high = (row_number(term, k) for k in ("estimate", "ci95_low", "ci95_high"))
        numbers = (
            f"difference {format_number(est)} levels, 95% CI [{format_number(low)}, "
            f"{format_number(high)}], {format_p(row_number(term, 'p_val'))}"
        )
        side = difference_direction(est, low, high)
        if side == "not_estimable":
            clauses.append(f"could not estimate the change from {baseline} to {label}")
        elif side in ("higher", "lower"):
            clauses.append(
                f"puts the mean score {side} {at_wave(label)} than {at_wave(baseline)}: {numbers}"
            )
        elif i == 0:
            clauses.append(
                f"finds the mean score {at_wave(label)} not clearly different from {baseline}: "
                f"{numbers}"
            )
        else:
            clauses.append(
                f"finds it {at_wave(label)} not clearly different from {baseline}: {numbers}"
            )
    text = f"{lead} {clauses[0]}."
    if len(clauses) > 1:
        text += " It " + "; it ".join(clauses[1:]) + "."
    if "converged" in model.columns and not bool(row["converged"]):
        text += " The fit did not converge cleanly (see the model's method column)."
    return text

"""The notebooks' findings as text: each paragraph built from computed rows.

The qualitative words come from the rules of :mod:`cma_research.reporting.wording`; this
module adds the paragraphs that are counts only (the sample), the landing page's key
facts, and the sensitivity verdict, whose rule is stated in :func:`sensitivity_paragraph`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cma_research.analysis.disclosure import suppress_groups
from cma_research.analysis.groups import size_band
from cma_research.core.cohort import Cohort
from cma_research.core.text import format_number
from cma_research.missing.missingness import missingness
from cma_research.reporting.text import apa
from cma_research.reporting.wording import (
    count_words,
    direction,
    lowest_level_phrase,
    maturity_paragraph,
    percent,
    reliability_phrase,
    size_paragraph,
)

__all__ = [
    "disclosure_table",
    "key_facts",
    "maturity_paragraph",
    "reliability_paragraph",
    "sample_paragraph",
    "sensitivity_paragraph",
    "size_paragraph",
]

_BANDS = (("micro", "< 10 staff"), ("small", "10-49"), ("medium", "50-249"), ("large", "250+"))


def sample_paragraph(cohort: Cohort) -> str:
    """Who was audited: businesses, staff, EU size bands, assessments made and blank.

    >>> from cma_research.datasets import customer_wise_2007
    >>> sample_paragraph(customer_wise_2007()).split(":")[0]
    'The cohort has **16** audited businesses (staff from 1 to 100, median 4)'
    """
    inst = cohort.instrument
    miss = missingness(cohort)
    staff = cohort.attributes["staff"].dropna().astype(float)
    bands = size_band(cohort.attributes["staff"]).value_counts()
    parts = [f"{int(bands.get(b, 0))} {b} ({rule})" for b, rule in _BANDS]
    staff_text = (
        f" (staff from {int(staff.min())} to {int(staff.max())}, median "
        f"{format_number(float(staff.median()), 1).removesuffix('.0')})"
        if len(staff)
        else " (no staff numbers given)"
    )
    return (
        f"The cohort has **{cohort.n_businesses}** audited businesses{staff_text}: "
        + ", ".join(parts)
        + f". Of the {miss.n_cells} {inst.stage_noun} assessments expected "
        f"({count_words(len(inst.stages), inst.stage_noun)} per business), "
        f"{miss.n_missing_cells} were left blank (not assessed); "
        f"{miss.n_complete_cases} businesses were assessed on every {inst.stage_noun}."
    )


def reliability_paragraph(alpha_row: Mapping[str, Any] | pd.Series, cohort: Cohort) -> str:
    """Cronbach's alpha in words (rule 4 of the wording module), with its APA string."""
    note = str(alpha_row.get("note", "") or "")
    if note:
        return f"Cronbach's alpha is not reported under this strategy: {note}."
    phrase = reliability_phrase(alpha_row, cohort.instrument)
    if apa(alpha_row) in phrase:  # the phrase already states the numbers
        return f"{phrase.rstrip('.')}."
    return f"{phrase.rstrip('.')} (Cronbach's {apa(alpha_row)})."


def key_facts(
    cohort: Cohort,
    overall: Mapping[str, Any] | pd.Series,
    size_row: Mapping[str, Any] | pd.Series,
    alpha_row: Mapping[str, Any] | pd.Series,
) -> dict[str, str]:
    """The landing page's facts, in words: ``{"Businesses audited": "16", ...}``."""
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
    return facts


def sensitivity_paragraph(table: pd.DataFrame) -> str:
    """Whether the size correlation depends on the missing-data strategy.

    Rule: the conclusion "does not hinge on" the strategy when every strategy that could
    be applied gives the same direction verdict (rule 2 of the wording module: positive,
    negative or no clear association); otherwise it "depends on" it, and the strategies
    are named by verdict.
    """
    valid = table[table["note"].fillna("") == ""]
    if valid.empty:
        return "No strategy could be applied to these data."
    if len(valid) == 1:
        only = valid.iloc[0]
        return (
            f"Only one strategy ({only['strategy']}) could be applied to these data "
            f"(r = {format_number(float(only['r']), bounded=True)}), so there is nothing to "
            "compare it with."
        )
    verdicts = {str(row["strategy"]): direction(row) for _, row in valid.iterrows()}
    words = {1: "positive", -1: "negative", 0: "no clear association"}
    lo, hi = float(valid["r"].min()), float(valid["r"].max())
    head = (
        f"Across {count_words(len(valid), 'strategy', 'strategies')} the size correlation "
        f"ranged from {format_number(lo, bounded=True)} to {format_number(hi, bounded=True)}"
    )
    if len(set(verdicts.values())) == 1:
        verdict = words[next(iter(verdicts.values()))]
        return (
            f"{head}; every one gives the same verdict ({verdict}), so the conclusion does "
            "not hinge on how blanks were handled."
        )
    groups = {
        words[v]: [s for s, d in verdicts.items() if d == v] for v in sorted(set(verdicts.values()))
    }
    listing = "; ".join(f"{w}: {', '.join(s)}" for w, s in groups.items())
    return f"{head}, and the verdict depends on the strategy ({listing})."


def disclosure_table(groups: pd.DataFrame, k: int) -> pd.DataFrame:
    """A group table fit to share: groups of fewer than ``k`` hidden (see
    :func:`cma_research.analysis.disclosure.suppress_groups`)."""
    return suppress_groups(groups, k)

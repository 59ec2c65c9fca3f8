"""Findings text built on altered data says what the numbers say (reporting/wording)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cma_research as cma
from cma_research.core.cohort import Cohort
from cma_research.core.instrument import get_instrument
from cma_research.reporting.text import apa
from cma_research.reporting.wording import maturity_paragraph, size_paragraph
from cma_research.reporting.words import (
    count_words,
    direction,
    direction_phrase,
    interval_phrase,
    lowest_level_phrase,
    most_often_below,
    percent,
    reliability_phrase,
    reliability_word,
    share_phrase,
    strength_word,
)

KW = {"n_boot": 2000, "n_perm": 2000, "seed": 11}


def with_staff(cohort: Cohort, staff: np.ndarray) -> Cohort:
    attrs = cohort.attributes.copy()
    attrs["staff"] = pd.array(staff.astype(int), dtype="Int64")
    return replace(cohort, attributes=attrs)


def ordered_staff(cohort: Cohort, reverse: bool) -> np.ndarray:
    """The cohort's own staff numbers re-assigned in the order of the mean level
    (largest business = highest mean), or in reverse (smallest = highest mean)."""
    mean = cohort.scores.astype(float).mean(axis=1).to_numpy()
    staff = np.sort(cohort.attributes["staff"].to_numpy(dtype=float))
    order = np.argsort(-mean if reverse else mean, kind="stable")
    out = np.empty_like(staff)
    out[order] = staff
    return out


def findings(cohort: Cohort, strategy: str = "complete_case") -> tuple[pd.Series, str]:
    row = cma.correlate(cohort, "staff", "mean", "spearman", strategy, **KW).iloc[0]
    alpha = cma.cronbach_alpha(cohort).iloc[0]
    return row, size_paragraph(row, alpha, cohort, strategy)


# -- the rules on their own ------------------------------------------------------------


def test_strength_bands_cohen_1988() -> None:
    cases = {0.0: "negligible", 0.099: "negligible", 0.1: "weak", -0.29: "weak",
             0.3: "moderate", -0.499: "moderate", 0.5: "strong", -1.0: "strong"}  # fmt: skip
    assert {r: strength_word(r) for r in cases} == cases
    assert strength_word(float("nan")) == "undefined"


def test_reliability_bands_george_mallery_2003() -> None:
    cases = {0.95: "excellent", 0.9: "excellent", 0.8: "good", 0.79: "acceptable",
             0.7: "acceptable", 0.6: "questionable", 0.5: "poor", 0.49: "unacceptable",
             -0.3: "unacceptable"}  # fmt: skip
    assert {a: reliability_word(a) for a in cases} == cases


def test_direction_needs_an_interval_excluding_zero() -> None:
    assert direction({"r": 0.4, "ci95_low": 0.01, "ci95_high": 0.7}) == 1
    assert direction({"r": 0.4, "ci95_low": 0.0, "ci95_high": 0.7}) == 0  # 0 included
    assert direction({"r": -0.4, "ci95_low": -0.7, "ci95_high": -0.01}) == -1
    # no interval: p < .05 decides (p_perm preferred)
    nan = float("nan")
    no_ci = {"r": 0.6, "ci95_low": nan, "ci95_high": nan, "p_val": 0.01, "p_perm": 0.2}
    assert direction(no_ci) == 0
    assert direction({**no_ci, "p_perm": 0.04}) == 1
    assert direction({"r": nan, "ci95_low": nan, "ci95_high": nan}) == 0
    assert direction_phrase({"covariate": "turnover_growth", "r": 0.6, "ci95_low": 0.2,
                             "ci95_high": 0.8}) == (
        "businesses with higher turnover growth tended to score higher"
    )  # fmt: skip


def test_interval_width_rule() -> None:
    # width 0.5 exactly is not wide; 0.51 is
    assert "is narrow and excludes 0: a strong positive" in interval_phrase(
        {"r": 0.7, "ci95_low": 0.5, "ci95_high": 1.0}
    )
    wide = interval_phrase({"r": 0.6, "ci95_low": 0.2, "ci95_high": 0.71})
    assert "excludes 0 but is wide" in wide and "anywhere from weak to strong" in wide
    small = interval_phrase({"r": 0.01, "ci95_low": -0.2, "ci95_high": 0.25})
    assert "narrow and includes 0: any association is at most weak" in small
    assert interval_phrase({"r": 0.5, "ci95_low": np.nan, "ci95_high": np.nan,
                            "ci_method": "not computed (n_boot=0)"}) == (
        "No interval could be computed (not computed (n_boot=0))."
    )  # fmt: skip


def test_small_helpers() -> None:
    assert count_words(9, "stage") == "nine stages" and count_words(12, "stage") == "12 stages"
    assert percent(0.2857) == "29%" and percent(0.001) == "< 1%"
    assert (
        share_phrase(0.25, float("nan"), float("nan"), 8, "businesses") == "25% (n = 8 businesses)"
    )


# -- the findings on altered Table 4 ---------------------------------------------------


def test_bundled_data(cohort: Cohort) -> None:
    row, text = findings(cohort)
    # rho = .52 with an interval that includes 0: no direction is claimed
    assert row["ci95_low"] < 0 < row["ci95_high"]
    assert text.startswith("**No clear association** between size and maturity:")
    assert "Larger businesses tended to score higher" not in text
    assert "is wide and includes 0, so the direction is not established" in text
    assert "The estimate itself is strong and leans towards higher scores in larger" in text
    assert apa(row) in text and "n = 12 businesses" in text and "strategy complete_case" in text
    # alpha .85 (good) but its lower bound .69 is below .70
    assert "The 10 stages hang together as a scale" in text
    assert "the interval's lower bound, .69, is below .70" in text


def test_reversed_staff_says_smaller_businesses_score_higher(cohort: Cohort) -> None:
    reversed_ = with_staff(cohort, ordered_staff(cohort, reverse=True))
    row, text = findings(reversed_)
    assert row["r"] < -0.9 and row["ci95_high"] < 0
    assert text.startswith(
        "**Smaller businesses tended to score higher** (a strong negative association):"
    )
    assert "Larger businesses tended" not in text and "larger businesses tended" not in text
    assert "is narrow and excludes 0: a strong negative association." in text
    assert "wide" not in text and "leans" not in text


def test_strong_positive(cohort: Cohort) -> None:
    row, text = findings(with_staff(cohort, ordered_staff(cohort, reverse=False)))
    assert row["r"] > 0.9 and row["ci95_low"] > 0
    assert text.startswith(
        "**Larger businesses tended to score higher** (a strong positive association):"
    )
    assert "excludes 0" in text and "not established" not in text


def test_null_association(cohort: Cohort) -> None:
    staff = cohort.attributes["staff"].to_numpy(dtype=float)
    rng = np.random.default_rng(5)
    for _ in range(500):  # a permutation of the staff numbers with |rho| < .05
        permuted = rng.permutation(staff)
        r = cma.correlate(with_staff(cohort, permuted), n_boot=0, n_perm=0).iloc[0]["r"]
        if abs(r) < 0.05:
            break
    row, text = findings(with_staff(cohort, permuted))
    assert abs(row["r"]) < 0.05 and strength_word(row["r"]) == "negligible"
    assert text.startswith("**No clear association** between size and maturity:")
    assert "leans" not in text and "tended to score higher" not in text


def test_low_alpha_when_stages_are_shuffled(cohort: Cohort) -> None:
    rng = np.random.default_rng(2)
    complete = cohort.subset(cohort.scores.notna().all(axis=1))
    scores = complete.scores.copy()
    for col in scores.columns:  # each stage shuffled over businesses on its own
        scores[col] = rng.permutation(scores[col].to_numpy())
    shuffled = replace(complete, scores=scores.astype("Int64"))
    alpha = cma.cronbach_alpha(shuffled).iloc[0]
    assert alpha["alpha"] < 0.7
    text = reliability_phrase(alpha, shuffled.instrument)
    assert text.startswith("The 10 stages do not hang together well enough to be read as one")
    assert "hang together as a scale" not in text
    assert f"({reliability_word(alpha['alpha'])} by George & Mallery's bands)" in text
    _, paragraph = findings(shuffled)
    assert "do not hang together" in paragraph


def test_ties_between_stages_are_all_named(cohort: Cohort) -> None:
    # Table 4 itself: Transaction Processing and Staff Empowerment are both below level 1
    # for 4 of 14 businesses (29%)
    dist = cma.level_distribution(cohort)
    assert most_often_below(dist, cohort.instrument) == (
        "**Transaction Processing** and **Staff Empowerment** (both 29%)"
    )
    text = maturity_paragraph(dist, cma.business_scores(cohort), 4, cohort)
    assert "The stages most often below level 1 were **Transaction Processing** and" in text
    # a three-way tie at 2 of 8 = 3 of 12 = 25% (exact fractions, different n)
    table = pd.DataFrame(
        {
            "stage": ["stage_1", "stage_2", "stage_3", "stage_4", "all"],
            "n_assessed": [8, 12, 16, 9, 45],
            "n_level_0": [2, 3, 4, 2, 11],
        }
    )
    assert most_often_below(table, cohort.instrument) == (
        "**Customer Contact**, **Employee Skills and Knowledge** and **ICT systems and "
        "software** (each 25%)"
    )
    one = table.assign(n_level_0=[2, 3, 5, 2, 12])
    assert most_often_below(one, cohort.instrument) == (
        "**ICT systems and software** (31% of 16 businesses)"
    )
    none = table.assign(n_level_0=0)
    assert most_often_below(none, cohort.instrument) == "no stage"


def test_maturity_paragraph_numbers(cohort: Cohort) -> None:
    dist = cma.level_distribution(cohort)
    scores = cma.business_scores(cohort)
    text = maturity_paragraph(dist, scores, 4, cohort)
    overall = dist[dist["stage"] == "all"].iloc[0]
    assert text.startswith("Across all assessed stages, **15%** of assessments were below")
    assert f"n = {int(overall['n_assessed'])} assessments" in text
    assert "95% CI 10% to 22%, exact Clopper-Pearson" in text
    below = int((scores["mean"] < 4).sum())
    assert f"{below} of 16 businesses were below the target level, Planned improvement (4)" in text


def test_strategies_are_named_when_they_differ(cohort: Cohort) -> None:
    row, text = findings(cohort, "available_case")
    assert "strategy available_case, n = 16 businesses" in text
    # alpha needs complete data: it is computed on complete cases and the text says so
    assert "computed under strategy complete_case: alpha needs every stage" in text
    mixed = size_paragraph(row, cma.cronbach_alpha(cohort).iloc[0], cohort, "stage_median")
    assert "strategy available_case, not the notebook's stage_median" in mixed


# -- another instrument, in its own words ----------------------------------------------


@pytest.fixture
def mcf_cohort(tmp_path: Path) -> Cohort:
    """A SYNTHETIC Managing Customers cohort written as a returns file and read back."""
    synthetic = cma.synthetic_cohort(40, seed=9, missing_rate=0.05,
                                     instrument="managing_customers_framework")  # fmt: skip
    path = tmp_path / "synthetic_managing_customers_returns.csv"
    synthetic.to_wide().to_csv(path, index=False)
    return cma.load_returns(path, "managing_customers_framework")


def test_managing_customers_framework_in_its_own_words(mcf_cohort: Cohort) -> None:
    inst = mcf_cohort.instrument
    assert inst.stage_noun == "dimension" and len(inst.stages) == 6
    _, text = findings(mcf_cohort)
    alpha = cma.cronbach_alpha(mcf_cohort).iloc[0]
    assert alpha["k"] == 6
    assert "six dimensions" in text and "mean dimension level" in text
    assert not re.search(r"\bten\b|\b10\b|stage", text, flags=re.IGNORECASE)
    dist = cma.level_distribution(mcf_cohort)
    maturity = maturity_paragraph(dist, cma.business_scores(mcf_cohort), 4, mcf_cohort)
    assert maturity.startswith("Across all assessed dimensions, **")
    assert "of assessments were at level 0 (Proto)" in maturity
    assert "most often at level 0 (Proto)" in maturity
    assert "below the target level, Run (4), on average" in maturity
    assert "stage" not in maturity and "below level 1" not in maturity
    assert lowest_level_phrase(get_instrument("customer_wise_2007")) == "below level 1"

"""The wording rules on their own (reporting/rules): each word at the edges of its rule.

Sources of the bands: Cohen (1988) for |r|, George & Mallery (2003) for alpha; the
change, difference and attrition rules restated on hand-made rows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cma_research.core.errors import ParameterError
from cma_research.core.instrument import get_instrument
from cma_research.reporting.rules import (
    at_wave,
    attrition_difference,
    change_direction,
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
    reliability_word,
    row_number,
    share_phrase,
    strength_word,
)

CW = get_instrument("customer_wise_2007")
NAN = math.nan


# -- correlations, reliability, counts and shares (rules 1-4, 6-8) -----------------------


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


def test_lowest_level_in_the_instruments_words() -> None:
    assert lowest_level_phrase(CW) == "below level 1"
    assert lowest_level_phrase(get_instrument("managing_customers_framework")) == (
        "at level 0 (Proto)"
    )


def test_row_number_reads_missing_values_as_nan() -> None:
    assert row_number(pd.Series({"r": 0.25}), "r") == 0.25
    assert all(
        math.isnan(row_number(row, "r"))
        for row in ({"r": pd.NA}, {"r": None}, {"r": "n/a"}, {}, pd.Series({"n": 3}))
    )


def test_covariate_groups_name_the_covariate() -> None:
    assert covariate_groups({"covariate": "log_staff"}) == (
        "larger businesses",
        "smaller businesses",
    )
    assert covariate_groups({"covariate": "turnover"}) == (
        "businesses with higher turnover",
        "businesses with lower turnover",
    )


# -- most often at the lowest level (rule 5) ---------------------------------------------


def test_ties_at_the_lowest_level_are_compared_exactly_and_all_named() -> None:
    # a three-way tie at 2 of 8 = 3 of 12 = 4 of 16 = 25% (exact fractions, different n)
    table = pd.DataFrame(
        {
            "stage": ["stage_1", "stage_2", "stage_3", "stage_4", "all"],
            "n_assessed": [8, 12, 16, 9, 45],
            "n_level_0": [2, 3, 4, 2, 11],
        }
    )
    assert most_often_lowest(table, CW) == (["stage_1", "stage_2", "stage_3"], 0.25, 8)
    assert most_often_below(table, CW) == (
        "**Customer Contact**, **Employee Skills and Knowledge** and **ICT systems and "
        "software** (each 25%)"
    )
    one = table.assign(n_level_0=[2, 3, 5, 2, 12])  # 5 of 16 = 31% beats 25%
    assert most_often_lowest(one, CW) == (["stage_3"], 5 / 16, 16)
    assert most_often_below(one, CW) == "**ICT systems and software** (31% of 16 businesses)"
    none = table.assign(n_level_0=0)
    assert most_often_lowest(none, CW) == ([], 0.0, 0)
    assert most_often_below(none, CW) == "no stage"
    unassessed = table.assign(n_assessed=0)
    ids, share, n = most_often_lowest(unassessed, CW)
    assert ids == [] and math.isnan(share) and n == 0


# -- change between waves (rule 9) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("r", "low", "high", "p", "n", "expected"),
    [
        (0.5, 0.0, 0.9, 0.2, 10, "no_clear_change"),  # an interval touching 0 includes it
        (0.5, 1e-9, 0.9, 0.2, 10, "improved"),  # the interval decides, not p
        (-0.5, -0.9, -1e-9, 0.2, 10, "declined"),
        (-0.5, -0.9, 0.0, 0.01, 10, "no_clear_change"),
        (0.0, NAN, NAN, 1.0, 10, "no_clear_change"),  # nothing moved
        (1.0, NAN, NAN, 0.002, 10, "improved"),  # degenerate bootstrap: p fallback
        (-1.0, NAN, NAN, 0.002, 10, "declined"),
        (1.0, NAN, NAN, 0.25, 3, "no_clear_change"),
        (0.7, NAN, NAN, NAN, 10, "not_estimable"),
        (NAN, NAN, NAN, NAN, 0, "not_estimable"),
        (pd.NA, 0.1, 0.2, 0.01, 5, "not_estimable"),
    ],
)
def test_change_rule_edges(
    r: float, low: float, high: float, p: float, n: int, expected: str
) -> None:
    row = {"n_pairs": n, "rank_biserial": r, "ci95_low": low, "ci95_high": high, "p_val": p}
    assert change_direction(row) == expected
    assert change_direction(pd.Series(row)) == expected


def test_change_rule_needs_the_interval() -> None:
    with pytest.raises(ParameterError, match="ci95_low"):
        change_direction({"rank_biserial": 0.5})


# -- a model's difference, drop-outs, strategies (rules 10-12) ----------------------------


@pytest.mark.parametrize(
    ("estimate", "low", "high", "expected"),
    [
        (0.3, 1e-9, 0.6, "higher"),
        (0.3, 0.0, 0.6, "not_clearly_different"),  # a bound at 0: the interval includes it
        (-0.3, -0.6, -1e-9, "lower"),
        (-0.3, -0.6, 0.0, "not_clearly_different"),
        (NAN, -0.6, 0.6, "not_estimable"),
        (0.3, NAN, 0.6, "not_estimable"),
        (0.3, 0.1, NAN, "not_estimable"),
    ],
)
def test_difference_rule_edges(estimate: float, low: float, high: float, expected: str) -> None:
    assert difference_direction(estimate, low, high) == expected


def test_attrition_rule_is_strictly_below_alpha() -> None:
    assert attrition_difference(0.0499) == "differed"
    assert attrition_difference(0.05) == "did_not_clearly_differ"
    assert attrition_difference(0.09, alpha=0.10) == "differed"
    assert attrition_difference(NAN) == "not_comparable"


def test_a_conclusion_hinges_on_the_strategy_only_when_verdicts_differ() -> None:
    assert not hinges_on_strategy([1, 1, 1])
    assert not hinges_on_strategy([0])
    assert hinges_on_strategy([1, 0, 1])
    assert hinges_on_strategy([-1, 1])


@pytest.mark.parametrize(
    ("label", "phrase"),
    [
        ("2008", "in 2008"),  # a year: a time
        ("Mar 2008", "in Mar 2008"),
        ("Round 1 (Mar 2008)", "in Round 1 (Mar 2008)"),
        ("2019-03-01", "in 2019-03-01"),
        ("2", "at wave 2"),  # a bare number: the wave's number
        ("Round 1", "at Round 1"),  # a named occasion, as written
        ("Baseline", "at Baseline"),
        ("W2008", "at W2008"),  # no year: the digits are part of a name
    ],
)
def test_a_wave_in_a_sentence(label: str, phrase: str) -> None:
    assert at_wave(label) == phrase
    assert at_wave(label, capital=True) == phrase[0].upper() + phrase[1:]

"""Direction words of the change prose follow the computed intervals (improved/null/declined)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import cma_research as cma
from cma_research.analysis.change import paired_change, scores_by_wave
from cma_research.core.errors import ParameterError
from cma_research.reporting.change_text import (
    attrition_sentence,
    attrition_tests_sentence,
    change_direction,
    change_summary,
    nothing_to_compare,
    wave_effect_sentence,
)
from tests.paths import ROOT

EXAMPLE = ROOT / "data" / "raw" / "customer_wise_2007_two_waves_SYNTHETIC.csv"


def _two_waves(one: cma.Cohort, shift: np.ndarray) -> cma.Cohort:
    """Table 4 as wave 1 and Table 4 + ``shift`` per business (clipped) as wave 2."""
    values = one.scores.to_numpy(dtype=float, na_value=np.nan) + shift[:, None]
    follow = pd.DataFrame(
        np.clip(values, 0, 5), index=one.scores.index, columns=one.scores.columns
    ).astype("Int64")
    follow = follow.rename(index={1: 2}, level="wave")
    attrs = one.attributes.rename(index={1: 2}, level="wave")
    return replace(
        one,
        scores=pd.concat([one.scores, follow]),
        attributes=pd.concat([one.attributes, attrs]),
        wave_labels=("Before", "After"),
    )


@pytest.mark.parametrize(
    ("shift", "expected", "word"),
    [
        # most businesses up one level, two unchanged, one down: a defined interval
        (np.array([1] * 13 + [0, 0, -1], dtype=float), "improved", "improved"),
        (-np.array([1] * 13 + [0, 0, -1], dtype=float), "declined", "declined"),
        # every business up / down: r = +-1, the p fallback decides
        (np.ones(16), "improved", "improved"),
        (-np.ones(16), "declined", "declined"),
        (np.array([1, -1] * 8, dtype=float), "no_clear_change", "showed no clear change"),
    ],
)
def test_direction_from_paired_change(
    cohort: cma.Cohort, shift: np.ndarray, expected: str, word: str
) -> None:
    two = _two_waves(cohort, shift)
    table = paired_change(two, n_boot=500, seed=1)
    mean = table[table["stage"] == "mean"].iloc[0]
    assert change_direction(mean) == expected
    # the rule, restated on the computed numbers
    r, low, high = mean["rank_biserial"], mean["ci95_low"], mean["ci95_high"]
    if np.isnan(low):
        assert abs(r) == 1 and mean["p_val"] < 0.05
    elif expected == "improved":
        assert r > 0 and low > 0
    elif expected == "declined":
        assert r < 0 and high < 0
    else:
        assert low <= 0 <= high
    text = change_summary(table, stage_noun=cohort.instrument.stage_noun)
    assert text.startswith(
        f"Between Before and After, the mean score of the {int(mean['n_pairs'])} businesses "
        f"audited at both waves {word} ("
    )
    assert "SYNTHETIC" not in text
    assert f"of {len(cohort.stage_ids)} stages" in text
    # every stage appears exactly once in the stage sentence
    for name in table.loc[table["stage"] != "mean", "name"]:
        assert text.count(str(name)) == 1


NAN = math.nan


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
def test_rule_edges(r: float, low: float, high: float, p: float, n: int, expected: str) -> None:
    row = {"n_pairs": n, "rank_biserial": r, "ci95_low": low, "ci95_high": high, "p_val": p}
    assert change_direction(row) == expected
    assert change_direction(pd.Series(row)) == expected


def test_rule_needs_the_interval() -> None:
    with pytest.raises(ParameterError, match="ci95_low"):
        change_direction({"rank_biserial": 0.5})
    with pytest.raises(ParameterError, match="paired_change"):
        change_summary(pd.DataFrame({"stage": ["mean"]}))


def test_summary_of_the_synthetic_example_says_synthetic() -> None:
    two = cma.load_returns(EXAMPLE)
    table = paired_change(two, n_boot=300, seed=2007)
    text = change_summary(table, synthetic=True)
    assert text.startswith("SYNTHETIC example data: Between Baseline and Follow-up (SYNTHETIC)")
    words = {change_direction(r) for _, r in table.iterrows()}
    assert words <= {"improved", "declined", "no_clear_change", "not_estimable"}


def test_attrition_sentence_counts() -> None:
    two = cma.load_returns(EXAMPLE)
    text = attrition_sentence(scores_by_wave(two), synthetic=True)
    assert text == (
        "SYNTHETIC example data: 16 businesses were audited at Baseline and 13 at Follow-up "
        "(SYNTHETIC); 13 at both waves. 3 businesses were audited at Baseline only "
        "(dropped out: B04, B06 and B13)."
    )
    t = pd.DataFrame(
        {"business_id": ["A", "B"], "baseline": "W1", "follow_up": "W2",
         "status": ["paired", "follow_up_only"]}
    )  # fmt: skip
    assert attrition_sentence(t) == (
        "1 business was audited at W1 and 2 at W2; 1 at both waves. No business audited at "
        "W1 is missing at W2. 1 business was audited at W2 only (B)."
    )


def test_nothing_to_compare_names_the_wave() -> None:
    assert "one audit wave ('Baseline')" in nothing_to_compare(["Baseline"])
    assert "nothing to compare" in nothing_to_compare([])


def _model(low: float, high: float, converged: bool = True) -> pd.DataFrame:
    return pd.DataFrame(
        {"term": ["Intercept", "wave[After]"], "estimate": [2.0, (low + high) / 2],
         "ci95_low": [1.0, low], "ci95_high": [3.0, high], "p_val": [0.0, 0.03],
         "n_obs": 20, "n_groups": 12, "n_both": 8, "converged": converged}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("low", "high", "phrase"),
    [
        (0.1, 0.5, "puts the mean score higher at After than at Before"),
        (-0.5, -0.1, "puts the mean score lower at After than at Before"),
        (-0.1, 0.5, "finds the mean score at After not clearly different from Before"),
        (0.0, 0.5, "not clearly different"),
    ],
)
def test_wave_effect_rule(low: float, high: float, phrase: str) -> None:
    text = wave_effect_sentence(_model(low, high), "Before")
    assert phrase in text
    assert "all 20 returns of 12 businesses, 8 of them" in text
    assert "did not converge" in wave_effect_sentence(_model(low, high, False), "Before")


def test_wave_effect_on_the_fitted_model() -> None:
    two = cma.load_returns(EXAMPLE)
    fit = cma.fit_wave_model(two)
    term = fit[fit["term"] == "wave[Follow-up (SYNTHETIC)]"].iloc[0]
    text = wave_effect_sentence(fit, "Baseline", synthetic=True)
    assert text.startswith("SYNTHETIC example data: ")
    excludes = term["ci95_low"] > 0 or term["ci95_high"] < 0
    assert ("not clearly different" in text) is (not excludes)
    assert f"all {int(term['n_obs'])} returns" in text
    with pytest.raises(ParameterError, match="wave term"):
        wave_effect_sentence(fit[fit["term"] == "Intercept"], "Baseline")


def test_attrition_tests_rule_and_real_tests() -> None:
    two = cma.load_returns(EXAMPLE)
    tests = cma.attrition(two, seed=1).tests
    text = attrition_tests_sentence(tests, synthetic=True)
    assert text.startswith(
        "SYNTHETIC example data: At Baseline, the 3 businesses not audited at Follow-up "
        "(SYNTHETIC) "
    )
    names = {"mean_score": "mean score", "business_type": "business type"}
    for var in tests["variable"]:
        assert f" in {names.get(var, var)} (" in text
    assert text.count("did not clearly differ") == int((tests["p_val"] >= 0.05).sum())
    low = tests.assign(p_val=[0.01, 0.5, 0.5])
    assert attrition_tests_sentence(low).count("differed") == 1
    none = tests.assign(n_dropped=0)
    assert "no drop-outs" in attrition_tests_sentence(none)

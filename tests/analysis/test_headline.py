"""The headline strategy rule and the results that never stop a report
(analysis/headline.py): the rule on the bundled study, on altered data either side of the
quarter and on a cohort where complete cases are a minority; covariates and staff numbers
absent; one business."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import cma_research as cma
from cma_research.analysis.headline import (
    ALTERNATIVE_STRATEGIES,
    HEADLINE_FALLBACK,
    HEADLINE_MAX_LEFT_OUT,
    associations,
    correlations,
    headline_strategy,
    numeric_covariates,
    reliability_strategy,
    result_or_note,
)
from cma_research.core.cohort import Cohort, CovariateSource
from cma_research.core.errors import ParameterError
from cma_research.core.params import HEADLINE_STRATEGIES, parameter_problems

FAST = {"n_boot": 0, "n_perm": 0, "seed": 1, "m": 2}


def blank_one_more(cohort: Cohort, business: str, stage: str) -> Cohort:
    scores = cohort.scores.copy()
    scores.loc[(business, 1), stage] = pd.NA
    return replace(cohort, scores=scores)


def minority_complete() -> Cohort:
    """SYNTHETIC: 40 businesses, 7 assessed on every stage (seeded)."""
    return cma.synthetic_cohort(40, seed=3, missing_rate=0.12)


def test_the_bundled_study_keeps_complete_cases_at_exactly_a_quarter(cohort: Cohort) -> None:
    h = headline_strategy(cohort)
    # 12 of 16 businesses are complete: 4 left out = 25%, not more than a quarter
    assert (h.n_businesses, h.n_complete, h.n_used, h.n_left_out) == (16, 12, 12, 4)
    assert h.share_left_out == HEADLINE_MAX_LEFT_OUT == 0.25
    assert h.strategy == "complete_case" and not h.discloses
    assert h.requested == "auto" and "at most a quarter" in h.rule


def test_one_more_incomplete_business_turns_auto_to_available_cases(cohort: Cohort) -> None:
    # B02 was complete; blanking one of its stages leaves 11 of 16 complete (31% out)
    altered = blank_one_more(cohort, "B02", "stage_3")
    h = headline_strategy(altered)
    assert h.n_complete == 11 and h.strategy == HEADLINE_FALLBACK == "available_case"
    assert h.n_used == 16 and h.n_left_out == 0 and not h.discloses
    assert "5 of the 16 businesses (31%), more than a quarter" in h.rule
    # asked for complete cases, the same data must be disclosed
    forced = headline_strategy(altered, "complete_case")
    assert forced.strategy == "complete_case" and forced.n_used == 11 and forced.discloses


def test_minority_of_complete_cases() -> None:
    c = minority_complete()
    complete = int(c.scores.notna().all(axis=1).sum())
    assert complete == 7  # a minority of the 40 (the SYNTHETIC cohort's seed fixes it)
    h = headline_strategy(c)
    assert h.strategy == "available_case" and h.n_used == 40
    assert headline_strategy(c, "complete_case").share_left_out == pytest.approx(33 / 40)
    assert h.to_dict()["strategy"] == "available_case"


def test_min_stages_is_harmless_with_another_strategy(cohort: Cohort) -> None:
    h = headline_strategy(cohort, "complete_case", min_stages=8)
    assert h.strategy == "complete_case" and h.min_stages is None
    k = headline_strategy(cohort, "min_stages", min_stages=8)
    # businesses with 8 or more of 10 stages assessed, counted by hand from the returns
    by_hand = int((cohort.scores.notna().sum(axis=1) >= 8).sum())
    assert k.min_stages == 8 and k.n_used == by_hand
    with pytest.raises(ParameterError, match="needs min_stages"):
        headline_strategy(cohort, "min_stages")
    with pytest.raises(ParameterError, match="missing_strategy='listwise'"):
        headline_strategy(cohort, "listwise")
    # the build accepts auto, and min_stages beside another strategy
    assert "auto" in HEADLINE_STRATEGIES
    assert (
        parameter_problems({"missing_strategy": "auto", "min_stages": 8}, cohort.instrument) == []
    )


def test_reliability_strategy() -> None:
    assert [reliability_strategy(s) for s in cma.STRATEGIES] == [
        "complete_case", "multiple", "multiple", "stage_median", "business_mean", "multiple",
        "blank_as_zero",  # every blank the lowest level: no blank left, alpha under it
    ]  # fmt: skip


def test_associations_under_each_strategy(cohort: Cohort) -> None:
    t = associations(cohort, ["staff"], ALTERNATIVE_STRATEGIES, **FAST)
    assert t["strategy"].tolist() == list(ALTERNATIVE_STRATEGIES)
    for strategy in ("complete_case", "available_case"):
        direct = cma.correlate(cohort, "staff", "mean", strategy=strategy, **FAST).iloc[0]
        row = t[t["strategy"] == strategy].iloc[0]
        assert_allclose(row["r"], direct["r"], rtol=1e-12)
        assert int(row["n"]) == int(direct["n"])
    assert t["n"].tolist() == [12, 16, 16]


def no_staff(cohort: Cohort) -> Cohort:
    return replace(
        cohort, attributes=cohort.attributes.assign(staff=pd.NA).astype({"staff": "Int64"})
    )


def with_growth(cohort: Cohort, values: np.ndarray) -> Cohort:
    attrs = cohort.attributes.assign(growth=values)
    source = CovariateSource("growth_SYNTHETIC.csv", "0" * 64, ("growth",), {}, True)
    return replace(cohort, attributes=attrs, covariate_sources=(source,))


def test_no_staff_numbers_are_said_in_words(cohort: Cohort) -> None:
    growth = np.linspace(-3.0, 9.0, 16)
    c = with_growth(no_staff(cohort), growth)
    assert numeric_covariates(c) == ["growth"]
    t = associations(c, ["staff", "growth"], ["complete_case"], **FAST)
    assert t.loc[0, "note"] == "not computed: the returns give no staff numbers"
    assert t.loc[1, "note"] == "" and int(t.loc[1, "n"]) == 12
    joint = correlations(c, ["staff", "growth"], strategy="available_case", **FAST)
    # growth alone is correlated (a family of one: p_adj is its own p), staff is a note
    assert joint["covariate"].tolist() == ["growth", "staff"]
    direct = cma.correlate(c, "growth", "mean", strategy="available_case", **FAST).iloc[0]
    assert_allclose(joint.loc[0, "r"], direct["r"], rtol=1e-12)
    assert_allclose(joint.loc[0, "p_adj"], direct["p_val"], rtol=1e-12)
    assert joint.loc[1, "note"].endswith("no staff numbers")


def test_without_staff_numbers_each_analysis_says_so_not_that_it_needs_three(
    cohort: Cohort,
) -> None:
    # found reading a no-staff study's 05 page: five footnotes "correlating mean with
    # staff (strategy 'complete_case') needs at least 3 businesses with both values;
    # only 0 have them", one per strategy
    c = no_staff(cohort)
    for call in (
        lambda: cma.correlate(c, "staff", "mean", **FAST),
        lambda: cma.correlate(c, ["staff"], "stages", strategy="multiple", **FAST),
        lambda: cma.fit_size_model(c),
        lambda: cma.fit_size_model(c, strategy="multiple", m=2),
    ):
        with pytest.raises(ParameterError, match=r"^the returns give no staff numbers$"):
            call()
    sens = cma.sensitivity(c, "correlate", **FAST)
    assert set(sens["note"]) == {"not applicable: the returns give no staff numbers"}
    growth = with_growth(c, np.linspace(-3.0, 9.0, 16))  # another covariate is untouched
    assert len(cma.correlate(growth, "growth", "mean", **FAST)) == 1
    # covariates given as an iterator are read once (found in review: the check used it up)
    both = with_growth(cohort, np.linspace(-3.0, 9.0, 16))
    kwargs = {k: v for k, v in FAST.items() if k != "m"}
    assert cma.correlate(both, iter(["staff", "growth"]), "mean", **kwargs)[
        "covariate"
    ].tolist() == [
        "staff",
        "growth",
    ]


def test_one_business_gives_notes_not_errors(cohort: Cohort) -> None:
    one = cohort.subset(cohort.attributes["staff"] >= 50)
    t = correlations(one, ["staff"], "stages", strategy="complete_case", **FAST)
    assert len(t) == 1 and "needs at least 3 businesses" in t.loc[0, "note"]
    alpha = result_or_note(cma.cronbach_alpha, one, strategy="complete_case")
    assert alpha.loc[0, "strategy"] == "complete_case" and pd.isna(alpha.loc[0, "n"])
    assert alpha.loc[0, "note"].startswith("not computed: cronbach_alpha needs at least 3")
    with pytest.raises(ParameterError):  # result_or_note is for reports; the API still raises
        cma.cronbach_alpha(one)


def test_associations_adjust_across_covariates_as_the_size_notebook_does(cohort: Cohort) -> None:
    # 00 labelled p_adj "holm on p_perm" while p_adj == p_perm on every row (a family of
    # one per call); 03 adjusts across covariates. Now one family per strategy in both,
    # and the same p_perm for the same test whether alone, beside others, or in a claim.
    rng = np.random.default_rng(11)
    c = with_growth(cohort, rng.normal(size=16))
    kw = {"seed": 5, "n_boot": 0, "n_perm": 5000}
    t = associations(c, ["staff", "growth"], ["complete_case", "available_case"], **kw)
    joint = correlations(c, ["staff", "growth"], strategy="available_case", **kw)
    alone = cma.correlate(c, "growth", "mean", strategy="available_case", **kw).iloc[0]
    both = cma.correlate(c, ["staff", "growth"], "mean", strategy="available_case", **kw)
    for strategy in ("complete_case", "available_case"):
        rows = t[t["strategy"] == strategy]
        p = rows["p_perm"].to_numpy(dtype=float)
        # Holm over two tests by hand: the smaller p doubled, the larger at least that
        expected = np.empty(2)
        lo, hi = np.argsort(p)
        expected[lo] = min(1.0, 2 * p[lo])
        expected[hi] = max(expected[lo], p[hi])
        assert_allclose(rows["p_adj"].to_numpy(dtype=float), expected, rtol=1e-12)
        assert (rows["p_adj_method"] == "holm on p_perm").all()
    avail = t[t["strategy"] == "available_case"].reset_index(drop=True)
    for col in ("r", "p_perm", "p_adj"):
        assert_allclose(avail[col].to_numpy(dtype=float), joint[col].to_numpy(dtype=float))
    assert_allclose(both.loc[1, "p_perm"], alone["p_perm"], rtol=0)
    assert_allclose(avail.loc[1, "p_perm"], alone["p_perm"], rtol=0)

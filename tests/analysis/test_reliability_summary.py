"""One table of the reliability statistics, each checked against psych's value."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import cma_research as cma
from tests.analysis.results import results_reliability as RA
from tests.stats.results import results_reliability as R


def test_each_statistic_matches_psych(cohort: cma.Cohort) -> None:
    res = cma.reliability_summary(cohort, n_boot=0).set_index("statistic")
    assert list(res.index) == [
        "cronbach_alpha",
        "ordinal_alpha",
        "omega_total",
        "omega_hierarchical",
    ]
    assert (res["n"] == 12).all() and (res["k"] == 10).all()
    # psych::alpha(x)$total$raw_alpha; exact arithmetic
    assert res.loc["cronbach_alpha", "estimate"] == pytest.approx(RA.alpha_raw, rel=1e-12)
    # psych::alpha(psych::polychoric(x, correct = 0)$rho), R's two-step fit: 1e-4
    assert res.loc["ordinal_alpha", "estimate"] == pytest.approx(R.ordinal_alpha_c0, abs=1e-4)
    # psych::omega(x, nfactors = 1)$omega.tot; iterative minres fit: 1e-6
    assert res.loc["omega_total", "estimate"] == pytest.approx(R.omega1_total, abs=1e-6)
    # psych::omega(x)$omega_h (3 factors); psych stops its optimiser early: 5e-5
    assert res.loc["omega_hierarchical", "estimate"] == pytest.approx(
        R.omega3_hierarchical, abs=5e-5
    )
    assert "ultra-Heywood" in res.loc["omega_hierarchical", "note"]
    low, high = res.loc["cronbach_alpha", ["ci95_low", "ci95_high"]]
    assert low < RA.alpha_raw < high
    assert np.isnan(res.loc["omega_total", "ci95_low"])  # n_boot = 0


def test_the_interval_of_omega_total_is_the_bootstrap_of_cma_omega(cohort: cma.Cohort) -> None:
    res = cma.reliability_summary(cohort, n_boot=200, seed=3).set_index("statistic")
    direct = cma.omega(cohort, n_boot=200, seed=3).iloc[0]
    assert res.loc["omega_total", "ci95_low"] == direct["ci95_low"]
    assert res.loc["omega_total", "ci95_high"] == direct["ci95_high"]
    assert "200 of 200" in res.loc["omega_total", "method"]


def test_an_undefined_statistic_is_nan_with_its_reason(cohort: cma.Cohort) -> None:
    scores = cohort.scores.copy()
    scores[cohort.stage_ids[0]] = scores[cohort.stage_ids[0]].where(scores.isna().any(axis=1), 2)
    constant = replace(cohort, scores=scores)
    res = cma.reliability_summary(constant, n_boot=0).set_index("statistic")
    for name in ("ordinal_alpha", "omega_total", "omega_hierarchical"):
        assert np.isnan(res.loc[name, "estimate"])
        assert cohort.stage_ids[0] in res.loc[name, "note"]
        assert res.loc[name, "method"] == "undefined"
    too_many = cma.reliability_summary(cohort, n_boot=0, nfactors=8).set_index("statistic")
    assert np.isnan(too_many.loc["omega_hierarchical", "estimate"])
    assert too_many.loc["omega_hierarchical", "note"] != ""
    assert isinstance(too_many["note"].dtype, pd.StringDtype)

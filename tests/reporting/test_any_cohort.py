"""Every notebook's code path on generated cohorts (hypothesis): whatever a valid returns
file holds (one business, no staff numbers, a stage never assessed, every business at one
level, several waves with or without businesses in common, six or ten stages), the package
functions the notebooks call, with the notebooks' arguments, return results or rows that
say why not, and the paragraphs say it in words. Nothing here is drawn: the real build of
the listed cases (tests/pipeline/test_notebooks_any_file.py) runs the figures."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import cma_research as cma
from cma_research.analysis.change import (
    change_strategy,
    level_distribution_by_wave,
    scores_by_wave,
    wave_pairs,
)
from cma_research.analysis.headline import (
    ALTERNATIVE_STRATEGIES,
    associations,
    correlations,
    headline_strategy,
    numeric_covariates,
    reliability_strategy,
    result_or_note,
)
from cma_research.analysis.power import calibrate_or_reason
from cma_research.core.cohort import INDEX_NAMES, Cohort, CovariateSource, Source
from cma_research.core.instrument import get_instrument
from cma_research.reporting import findings as F

FAST = {"n_boot": 0, "n_perm": 50, "seed": 1}


@st.composite
def cohorts(draw: st.DrawFn, max_waves: int = 1) -> Cohort:
    """A SYNTHETIC cohort as a valid returns file could give it."""
    inst = get_instrument(
        draw(st.sampled_from(["customer_wise_2007", "managing_customers_framework"]))
    )
    k = len(inst.stages)
    n_waves = draw(st.integers(1, max_waves))
    n = draw(st.integers(1, 10))
    shared = draw(st.booleans())  # the same businesses at every wave, or none in common
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    kind = draw(st.sampled_from(["mixed", "one_level", "stage_never", "few_blanks", "many_blanks"]))
    score_blocks, attr_blocks = [], []
    for w in range(1, n_waves + 1):
        ids = [f"S{i:02d}" if shared else f"W{w}S{i:02d}" for i in range(1, n + 1)]
        levels = rng.integers(inst.min_level, inst.max_level + 1, (n, k)).astype(float)
        if kind == "one_level":
            levels[:] = inst.min_level + 1
        blank_rate = {"many_blanks": 0.5, "few_blanks": 0.05}.get(kind, 0.15)
        levels[rng.random((n, k)) < blank_rate] = np.nan
        if kind == "stage_never":
            levels[:, 0] = np.nan
        index = pd.MultiIndex.from_arrays([ids, [w] * n], names=INDEX_NAMES)
        score_blocks.append(pd.DataFrame(levels, index=index, columns=inst.stage_ids))
        staff_kind = draw(st.sampled_from(["all", "none", "some"]))
        staff = rng.integers(1, 300, n).astype(float)
        if staff_kind == "none":
            staff[:] = np.nan
        elif staff_kind == "some":
            staff[rng.random(n) < 0.4] = np.nan
        attr_blocks.append(
            pd.DataFrame(
                {
                    "staff": pd.array(staff, dtype="Float64").astype("Int64"),
                    "business_type": pd.array(["SYNTHETIC"] * n, dtype="string"),
                    "growth": np.round(rng.normal(5, 4, n), 1),
                },
                index=index,
            )
        )
    label = f"synthetic:hypothesis,seed={seed}"
    source = Source(path=label, sha256=hashlib.sha256(label.encode()).hexdigest(), form="synthetic")
    covariate = CovariateSource("growth_SYNTHETIC.csv", "0" * 64, ("growth",), {}, True)
    return Cohort(
        scores=pd.concat(score_blocks).astype("Int64"),
        attributes=pd.concat(attr_blocks),
        instrument=inst,
        source=source,
        wave_labels=tuple(f"Round {w}" for w in range(1, n_waves + 1)) if n_waves > 1 else (),
        covariate_sources=(covariate,),
    )


def words(text: str) -> str:
    """The paragraph, checked: text, no unformatted placeholder, no bare nan."""
    assert isinstance(text, str) and text.strip()
    assert "{" not in text and not re.search(r"\bnan\b", text), text
    return text


SETTINGS = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # a failing cohort is printed; no shrinking
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.filterwarnings(
    "ignore::RuntimeWarning"
)  # numpy on all-blank columns (reported as NaN)
@SETTINGS
@given(cohorts())
def test_findings_sensitivity_and_planning_paths(cohort: Cohort) -> None:
    # 00_findings
    h = headline_strategy(cohort, "auto")
    covariates = ["staff", *numeric_covariates(cohort)]
    compared = [h.strategy]
    if h.discloses:
        compared += [s for s in ALTERNATIVE_STRATEGIES if s != h.strategy]
    assoc = associations(cohort, covariates, compared, min_stages=h.min_stages, m=2, **FAST)
    assert len(assoc) == len(covariates) * len(compared)
    words(F.sample_paragraph(cohort, h, assoc))
    dist = cma.level_distribution(cohort)
    scores = cma.business_scores(cohort, target_level=4)
    words(F.maturity_paragraph(dist, scores, 4, cohort))
    rows = assoc[assoc["strategy"] == h.strategy]
    alpha = result_or_note(
        cma.cronbach_alpha, cohort, strategy=reliability_strategy(h.strategy), m=2, seed=1
    )
    size = rows[rows["covariate"] == "staff"].iloc[0]
    text = words(F.size_paragraph(size, alpha.iloc[0], cohort, h.strategy))
    if cohort.attributes["staff"].notna().sum() == 0:
        assert "no staff numbers" in text
    for _, row in rows[rows["covariate"] != "staff"].iterrows():
        words(F.association_paragraph(row, cohort, h.strategy))
    overall = dist[dist["stage"] == "all"].iloc[0]
    F.key_facts(cohort, overall, size, alpha.iloc[0], headline=h)
    # 01_data_quality, 02_distributions
    cma.compare_strategies(cohort, chosen=h.strategy, m=2, seed=1)
    cma.level_distribution(cohort, strategy=h.strategy)
    # 03_size_and_growth
    for score in ("mean", "stages"):
        res = correlations(cohort, covariates, score, strategy=h.strategy, m=2, **FAST)
        for _, row in res[res["note"] != ""].iterrows():
            words(F.association_paragraph(row, cohort, h.strategy))
    groups = result_or_note(cma.compare_groups, cohort, by="size_band", strategy="available_case")
    if "test" not in groups:
        words(F.not_computed_reason(groups))
    result_or_note(cma.fit_size_model, cohort, covariates=["log_staff"], strategy=h.strategy, m=2)
    result_or_note(cma.fit_ordinal_model, cohort, strategy="available_case")
    # 04_reliability
    words(F.reliability_paragraph(alpha.iloc[0], cohort))
    result_or_note(cma.item_statistics, cohort, strategy="complete_case")
    result_or_note(cma.stage_correlations, cohort)
    # 05_sensitivity
    sens = cma.sensitivity(cohort, "correlate", m=2, covariate="staff", score="mean", **FAST)
    words(F.sensitivity_paragraph(sens))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@SETTINGS
@given(cohorts(max_waves=3))
def test_change_paths(cohort: Cohort) -> None:
    if len(cohort.waves) < 2:
        words(F.nothing_to_compare(cohort.waves))
        return
    strategy = change_strategy("auto")
    b, f = cohort.wave_rank(cohort.waves[0]), cohort.wave_rank(cohort.waves[-1])
    scores = scores_by_wave(cohort, b, f, strategy=strategy)
    words(F.attrition_sentence(scores))
    pairs = wave_pairs(cohort, strategy=strategy, **FAST)
    assert len(pairs) == (1 if len(cohort.waves) == 2 else len(cohort.waves))
    assert (pairs["n_complete_both"] <= pairs["n_audited_both"]).all()
    words(F.wave_pairs_sentence(pairs, stage_noun=cohort.instrument.stage_noun))
    att = cma.attrition(cohort, b, f, n_perm=50, seed=1)
    words(F.attrition_tests_sentence(att.tests))
    change = cma.paired_change(cohort, b, f, strategy=strategy, **FAST)
    words(F.change_summary(change, stage_noun=cohort.instrument.stage_noun))
    level_distribution_by_wave(cohort, [b, f], paired_only=True, strategy=strategy)
    cma.marginal_homogeneity(cohort, None, b, f, n_perm=50, seed=1)
    model = result_or_note(cma.fit_wave_model, cohort, strategy=strategy)
    if "term" in model:
        words(F.wave_effect_sentence(model, cohort.waves[0]))
    else:
        words(F.not_computed_reason(model))
    _, why = calibrate_or_reason(cohort)
    assert isinstance(why, str)

"""Mokken scale analysis of a cohort: the table, its seeded intervals, the paragraph."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import cma_research as cma
from cma_research import ParameterError
from cma_research.analysis.scaling import mokken_scale
from cma_research.reporting.findings import scaling_paragraph
from cma_research.stats.mokken import loevinger_h
from tests.stats.results import results_mokken as R


def test_table_matches_the_array_level_h() -> None:
    cohort = cma.datasets.customer_wise_2007()
    res = mokken_scale(cohort, n_boot=200, seed=1)
    assert res["item"].tolist() == ["scale", *cohort.stage_ids]
    np.testing.assert_allclose(res.loc[0, "H"], R.table4_H, rtol=1e-12)  # R, by definition
    np.testing.assert_allclose(res["H"].iloc[1:], R.table4_H_items, rtol=1e-12)
    assert (res["n"] == 12).all() and (res["n_boot_used"] == 200).all()
    assert (res["ci95_low"] <= res["H"]).all() and (res["H"] <= res["ci95_high"]).all()
    # the same seed, the same intervals; the scale's violations are the items' sum
    again = mokken_scale(cohort, n_boot=200, seed=1)
    assert again["ci95_low"].tolist() == res["ci95_low"].tolist()
    assert res.loc[0, "n_violations"] == res["n_violations"].iloc[1:].sum()
    # the bootstrap interval is the percentile interval of H over business resamples
    x = cma.clean(cohort, "complete_case").cohort.scores.to_numpy(float)
    rng = np.random.default_rng(1)
    draws = [loevinger_h(x[rng.integers(0, 12, 12)])["H"] for _ in range(200)]
    np.testing.assert_allclose(res.loc[0, "ci95_low"], np.quantile(draws, 0.025), rtol=1e-12)


def test_words_follow_the_data() -> None:
    cohort = cma.datasets.customer_wise_2007()
    text = scaling_paragraph(mokken_scale(cohort, n_boot=500, seed=2), cohort)
    # H = .3996: weak (below .4), and the interval reaches well below .3
    assert "weak by Mokken's bands, but the interval reaches below .30" in text
    assert "do not establish a cumulative order of the stages" in text
    # altered data: a perfect cumulative pattern over 30 businesses -> a strong scale
    rng = np.random.default_rng(0)
    theta = np.sort(rng.normal(size=30))
    steps = np.linspace(-1.5, 1.5, 10)
    levels = np.clip(np.round(2.5 + 2 * (theta[:, None] - steps[None, :] / 3)), 0, 5)
    base = cma.clean(cohort, "complete_case").cohort
    ids = [f"S{i:02d}" for i in range(30)]
    import pandas as pd

    index = pd.MultiIndex.from_arrays([ids, [1] * 30], names=["business_id", "wave"])
    scores = pd.DataFrame(levels.astype(int), index=index, columns=base.scores.columns)
    attrs = pd.DataFrame(
        {"staff": pd.array([5] * 30, dtype="Int64"), "business_type": "x"}, index=index
    )
    strong = replace(base, scores=scores.astype("Int64"), attributes=attrs)
    table = mokken_scale(strong, n_boot=200, seed=1)
    assert table.loc[0, "H"] > 0.5
    assert "strong by Mokken's bands: the stages form a cumulative (Mokken) scale" in (
        scaling_paragraph(table, strong)
    )


def test_refuses_blanks_and_tiny_cohorts() -> None:
    cohort = cma.datasets.customer_wise_2007()
    with pytest.raises(ParameterError, match="needs complete data"):
        mokken_scale(cohort, strategy="available_case")
    first = cohort.subset(cohort.scores.index.isin(cohort.scores.index[:3]))
    with pytest.raises(ParameterError, match="at least 3 complete businesses"):
        mokken_scale(first)


def test_rasch_pcm_exploratory_on_a_pooled_cohort() -> None:
    import pandas as pd

    from cma_research.analysis.scaling import rasch_pcm

    # SYNTHETIC pooled cohort: 60 businesses from the partial-credit model itself, stage
    # difficulties rising along the journey; one stage with disordered thresholds
    rng = np.random.default_rng(5)
    theta = rng.normal(0, 1.5, 60)
    base = cma.clean(cma.datasets.customer_wise_2007(), "complete_case").cohort
    levels = np.empty((60, 10), dtype=int)
    for j in range(10):
        deltas = np.linspace(-2, 2, 5) + (j - 4.5) * 0.2
        if j == 9:
            deltas = np.array([-1.0, 1.5, 0.0, 2.0, 3.0])  # threshold 2 above threshold 3
        logits = np.cumsum(theta[:, None] - deltas[None, :], axis=1)
        logits = np.column_stack([np.zeros(60), logits])
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        levels[:, j] = [rng.choice(6, p=row) for row in p]
    index = pd.MultiIndex.from_arrays([[f"P{i:02d}" for i in range(60)], [1] * 60],
                                      names=["business_id", "wave"])  # fmt: skip
    scores = pd.DataFrame(levels, index=index, columns=base.scores.columns).astype("Int64")
    attrs = pd.DataFrame({"staff": pd.array([5] * 60, dtype="Int64"), "business_type": "x"},
                         index=index)  # fmt: skip
    pooled = replace(base, scores=scores, attributes=attrs)
    res = rasch_pcm(pooled)
    assert set(res["stage"]) == set(base.stage_ids)
    loc = res.drop_duplicates("stage").set_index("stage")["location"]
    assert loc["stage_10"] > loc["stage_1"]  # the generating difficulties rise
    ordered = res.drop_duplicates("stage").set_index("stage")["ordered"]
    assert not ordered["stage_10"]  # generated with threshold 2 above threshold 3
    # the locations are the stats-level fit's (CML, as eRm)
    from cma_research.stats.rasch import fit_pcm

    fit = fit_pcm(levels.astype(float))
    np.testing.assert_allclose(loc.loc[base.stage_ids].to_numpy(), fit.locations, rtol=1e-12)
    # too few businesses: refused, with the reason
    with pytest.raises(ParameterError, match="at least 30 complete businesses; 12 remain"):
        rasch_pcm(cma.datasets.customer_wise_2007())

"""Change between waves: paired tests, transitions, marginal homogeneity, attrition, model.

Reference values from R (``tests/analysis/results/make_results.R``: lme4::lmer, polr; the
signed-rank and square-table values of ``tests/stats/results/``) on the literal data of
``results_change.py``, or recomputed here with scipy/statsmodels/brute force.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import cma_research as cma
from cma_research import Cohort, ParameterError, get_instrument
from cma_research.analysis.describe import level_distribution
from cma_research.analysis.headline import result_or_note
from cma_research.core.cohort import Source
from cma_research.reporting import findings
from tests.analysis.results import results_change as R

INST = get_instrument("customer_wise_2007")
LABELS = ("Baseline", "Follow-up")


def make_cohort(
    ids: list[str],
    base: dict[str, list[int | None]],
    follow: dict[str, list[int | None]],
    *,
    follow_ids: list[str] | None = None,
    staff: list[int | None] | None = None,
    types: list[str | None] | None = None,
) -> Cohort:
    """Two waves; stages not given are not assessed. Staff and type are per business."""
    follow_ids = ids if follow_ids is None else follow_ids
    index = pd.MultiIndex.from_tuples(
        [(b, 1) for b in ids] + [(b, 2) for b in follow_ids], names=["business_id", "wave"]
    )
    cols = {}
    for sid in INST.stage_ids:
        values = base.get(sid, [None] * len(ids)) + follow.get(sid, [None] * len(follow_ids))
        cols[sid] = pd.array(values, dtype="Int64")
    scores = pd.DataFrame(cols, index=index)
    per_staff = dict(zip(ids, staff or [None] * len(ids), strict=True))
    per_type = dict(zip(ids, types or [None] * len(ids), strict=True))
    every = [b for b, _ in index]
    attrs = pd.DataFrame(
        {
            "staff": pd.array([per_staff.get(b) for b in every], dtype="Int64"),
            "business_type": pd.array([per_type.get(b) for b in every], dtype="string"),
        },
        index=index,
    )
    return Cohort(scores, attrs, INST, Source("test", ""), wave_labels=LABELS)


@pytest.fixture
def r_cohort() -> Cohort:
    """Stages 1-3 from results_change.py (x baseline, y follow-up, C01..C12)."""
    base = {"stage_1": R.x_s1, "stage_2": R.x_s2, "stage_3": R.x_s3}
    follow = {"stage_1": R.y_s1, "stage_2": R.y_s2, "stage_3": R.y_s3}
    staff = [3, 8, 12, 1, 40, 7, 2, 25, 5, 60, 9, 15]
    return make_cohort(R.business, base, follow, staff=staff)


def test_paired_change_against_r(r_cohort: Cohort) -> None:
    res = cma.paired_change(r_cohort, n_boot=500, seed=1).set_index("stage")
    assert list(res.index) == [*INST.stage_ids, "mean"]
    for k in (1, 2, 3):
        row = res.loc[f"stage_{k}"]
        d = getattr(R, f"d_s{k}")
        assert row["baseline"] == "Baseline" and row["follow_up"] == "Follow-up"
        assert row["n_pairs"] == getattr(R, f"n_pairs_s{k}")
        assert row["n_not_paired"] == 12 - row["n_pairs"]
        assert row["n_same"] == getattr(R, f"n_zero_s{k}")
        assert (row["n_improved"], row["n_worse"]) == ((d > 0).sum(), (d < 0).sum())
        assert row["median_change"] == np.median(d)
        assert_allclose(row["mean_change"], d.mean(), rtol=1e-12)
        # > wilcox.test(y, x, paired = TRUE): V
        assert row["statistic"] == getattr(R, f"wilcox_normal_s{k}")["statistic"]
        # > coin::wilcoxsign_test(y ~ x, distribution = "exact", zero.method = "Wilcoxon")
        assert_allclose(
            row["p_val"], getattr(R, f"coin_wilcoxon_exact_s{k}")["p_value"], rtol=1e-12
        )
        assert "dropped (Wilcoxon)" in row["p_method"]
        assert_allclose(row["rank_biserial"], getattr(R, f"rank_biserial_s{k}")["r"], rtol=1e-12)
    # stages never assessed: no pairs, nothing tested, not counted in the adjustment
    empty = res.loc["stage_4"]
    assert empty["n_pairs"] == 0 and np.isnan(empty["p_val"]) and np.isnan(empty["p_adj"])
    assert empty["p_method"] == "no pairs" and empty["ci_method"] == "no pairs"
    assert np.isnan(empty["statistic"]) and np.isnan(empty["median_change"])
    # Holm over the three tested stages (statsmodels-equivalent adjust_p is tested apart)
    p = res.loc[["stage_1", "stage_2", "stage_3"], "p_val"].to_numpy()
    order = np.argsort(p)
    holm = np.minimum(1, np.maximum.accumulate((3 - np.arange(3)) * p[order]))
    assert_allclose(res.loc[["stage_1", "stage_2", "stage_3"], "p_adj"].to_numpy()[order], holm)
    assert res.loc["stage_1", "p_adj_method"] == "holm across the 3 tested stages"
    assert res.loc["mean", "p_adj"] == res.loc["mean", "p_val"]
    assert res.loc["mean", "p_adj_method"].startswith("none")


def test_mean_row_is_the_business_mean_change(r_cohort: Cohort) -> None:
    res = cma.paired_change(r_cohort, n_boot=0).set_index("stage")
    x = np.array([R.x_s1, R.x_s2, R.x_s3], dtype=float).T
    y = np.array([R.y_s1, R.y_s2, R.y_s3], dtype=float).T
    d = np.nanmean(y, axis=1) - np.nanmean(x, axis=1)  # every business has a stage each wave
    row = res.loc["mean"]
    assert row["n_pairs"] == 12
    assert_allclose(row["mean_change"], d.mean(), rtol=1e-12)
    nz = d[d != 0]
    ranks = stats.rankdata(np.abs(nz))
    assert_allclose(row["statistic"], ranks[nz > 0].sum(), rtol=1e-12)
    assert_allclose(row["rank_biserial"], (ranks[nz > 0].sum() - ranks[nz < 0].sum()) / ranks.sum())
    # 12 non-zero mean changes with ties: exact via the shift algorithm; check by enumeration
    signs = (np.arange(2 ** len(nz))[:, None] >> np.arange(len(nz))) & 1
    t = signs @ ranks
    centre = ranks.sum() / 2
    p = np.mean(np.abs(t - centre) >= abs(ranks[nz > 0].sum() - centre) - 1e-9)
    assert_allclose(row["p_val"], p, rtol=1e-10)
    assert row["ci_method"] == "not computed (n_boot=0)"


def test_change_scores(r_cohort: Cohort) -> None:
    table = cma.change_scores(r_cohort)
    assert table["business_id"].tolist() == R.business
    x = np.array([R.x_s1, R.x_s2, R.x_s3], dtype=float).T
    y = np.array([R.y_s1, R.y_s2, R.y_s3], dtype=float).T
    assert_allclose(table["change"], np.nanmean(y, axis=1) - np.nanmean(x, axis=1), rtol=1e-12)
    assert table["n_assessed_baseline"].tolist() == (~np.isnan(x)).sum(axis=1).tolist()


def test_ci_is_seeded_and_named_by_confidence(r_cohort: Cohort) -> None:
    a = cma.paired_change(r_cohort, n_boot=300, seed=4)
    b = cma.paired_change(r_cohort, n_boot=300, seed=4)
    pd.testing.assert_frame_equal(a, b)
    c90 = cma.paired_change(r_cohort, n_boot=300, seed=4, confidence=0.9)
    assert {"ci90_low", "ci90_high"} <= set(c90.columns)
    assert "ci95_low" not in c90.columns
    row = a.set_index("stage").loc["stage_2"]
    assert row["ci95_low"] <= row["rank_biserial"] <= row["ci95_high"]
    assert row["ci_method"] == "BCa bootstrap of pairs (300 resamples)"


def test_complete_case_drops_whole_returns(r_cohort: Cohort) -> None:
    # With 7 stages never assessed every return is incomplete: no pairs at all.
    res = cma.paired_change(r_cohort, strategy="complete_case", n_boot=0)
    assert (res["n_pairs"] == 0).all()
    assert (res["strategy"] == "complete_case").all()


def expand(table: np.ndarray) -> tuple[list[int], list[int]]:
    """The (baseline, follow-up) level pairs of a table of counts (levels 0..k-1)."""
    x, y = [], []
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            x += [i] * int(table[i, j])
            y += [j] * int(table[i, j])
    return x, y


@pytest.fixture(params=["t4", "t4_empty_pair", "t4_zero_level", "t4_zero_row"])
def table_case(request: pytest.FixtureRequest) -> tuple[str, Cohort]:
    table = getattr(R, request.param)
    x, y = expand(table)
    ids = [f"T{i:02d}" for i in range(len(x))]
    # a business not assessed on stage_1 at follow-up, and one not audited again
    base = {"stage_1": [*x, 2, 1], "stage_2": [1] * (len(x) + 2)}
    follow = {"stage_1": [*y, None], "stage_2": [1] * (len(x) + 1)}
    c = make_cohort([*ids, "NA1", "GONE"], base, follow, follow_ids=[*ids, "NA1"])
    return request.param, c


def test_transition_table(table_case: tuple[str, Cohort]) -> None:
    name, c = table_case
    t = cma.transition_table(c, "stage_1", "Baseline", "Follow-up")
    k = len(INST.levels)
    assert t.shape == (k + 1, k + 1)
    assert t.index.name == "Baseline" and t.columns.name == "Follow-up"
    assert t.index[0] == "0 Below level 1" and t.index[-1] == "not assessed"
    assert list(t.columns) == list(t.index)
    counts = getattr(R, name)
    expected = np.zeros((k + 1, k + 1), dtype=np.int64)
    expected[:4, :4] = counts
    expected[2, k] = 1  # NA1: level 2, then not assessed; GONE is not paired
    np.testing.assert_array_equal(t.to_numpy(), expected)
    assert t.attrs == {"stage": "stage_1", "baseline": "Baseline", "follow_up": "Follow-up"}
    # cross-check with pandas on the paired businesses
    both = c.paired("Baseline", "Follow-up").scores["stage_1"]
    assert t.to_numpy().sum() == len(both) // 2


def test_marginal_homogeneity_against_r(table_case: tuple[str, Cohort]) -> None:
    name, c = table_case
    res = cma.marginal_homogeneity(c, "stage_1", n_perm=2000, seed=3).set_index("test")
    counts = getattr(R, name)
    assert (res["n_pairs"] == counts.sum()).all()
    bow = getattr(R, f"bowker_dropped_{name}")  # empty pairs left out, by hand in R
    assert_allclose(res.loc["bowker", "statistic"], bow["statistic"], rtol=1e-12)
    assert res.loc["bowker", "df"] == bow["df"]
    assert_allclose(res.loc["bowker", "p_val"], bow["p_value"], rtol=1e-9)
    mh = getattr(R, f"coin_mh_{name}")  # > coin::mh_test(as.table(t)) drops empty levels
    assert_allclose(res.loc["stuart_maxwell", "statistic"], mh["statistic"], rtol=1e-9)
    assert res.loc["stuart_maxwell", "df"] == mh["df"]
    assert_allclose(res.loc["stuart_maxwell", "p_val"], mh["p_value"], rtol=1e-9)
    assert res["p_method"].str.contains("exact permutation").all()
    assert ((res["p_perm"] > 0) & (res["p_perm"] <= 1)).all()


def test_marginal_homogeneity_all_stages_and_no_change(table_case: tuple[str, Cohort]) -> None:
    _, c = table_case
    res = cma.marginal_homogeneity(c, n_perm=100)
    assert len(res) == 2 * len(INST.stages)
    same = res[res["stage"] == "stage_2"]  # everyone at level 1 twice
    assert (same["n_changed"] == 0).all() and same["statistic"].isna().all()
    assert (res[res["stage"] == "stage_5"]["n_pairs"] == 0).all()


def test_attrition() -> None:
    ids = [f"A{i}" for i in range(1, 11)]
    base = {"stage_1": [0, 1, 2, 3, 4, 5, 1, 2, 3, 2], "stage_2": [1, 2, 3, 4, 5, 5, 2, 3, 4, 3]}
    follow_ids = ["A1", "A2", "A3", "A4", "A5", "A6", "N1"]
    follow = {"stage_1": [1] * 7}
    staff = [1, 2, 3, 4, 5, 6, 10, 20, 30, 50]
    types = ["x", "x", "x", "y", "y", "y", "y", "x", "y", "y"]
    c = make_cohort(ids, base, follow, follow_ids=follow_ids, staff=staff, types=types)
    att = cma.attrition(c, n_perm=5000, seed=2)
    assert att.dropped_ids == ("A7", "A8", "A9", "A10")
    assert att.completer_ids == tuple(ids[:6])
    assert att.joined_ids == ("N1",)
    assert_allclose(att.retention, 0.6)
    t = att.tests.set_index("variable")
    mean = np.array([0.5, 1.5, 2.5, 3.5, 4.5, 5.0, 1.5, 2.5, 3.5, 2.5])
    drop = np.array([False] * 6 + [True] * 4)
    # mean score has ties: permutation over all 210 splits; check by scipy's permutation_test
    ref = stats.mannwhitneyu(mean[drop], mean[~drop], method="asymptotic")
    assert t.loc["mean_score", "statistic"] == ref.statistic
    assert_allclose(t.loc["mean_score", "effect_size"], 2 * ref.statistic / 24 - 1)
    assert "exact permutation" in t.loc["mean_score", "p_method"]
    brute = brute_force_u_p(mean[drop], mean[~drop])
    assert_allclose(t.loc["mean_score", "p_val"], brute, rtol=1e-12)
    # staff has no ties: exact Mann-Whitney = R's wilcox.test(exact = TRUE)
    exact = stats.mannwhitneyu(np.array(staff)[drop], np.array(staff)[~drop], method="exact")
    assert_allclose(t.loc["staff", "p_val"], exact.pvalue, rtol=1e-12)
    assert t.loc["staff", "p_method"] == "exact Mann-Whitney (no ties)"
    assert (t.loc["staff", "n_dropped"], t.loc["staff", "n_completers"]) == (4, 6)
    # type: 2 x 2 Fisher exact
    table = np.array([[1, 3], [3, 3]])  # dropped: x 1, y 3; completers: x 3, y 3
    assert_allclose(t.loc["business_type", "p_val"], stats.fisher_exact(table).pvalue, rtol=1e-12)
    chi2 = stats.chi2_contingency(table, correction=False).statistic
    assert_allclose(t.loc["business_type", "effect_size"], np.sqrt(chi2 / 10), rtol=1e-12)


def test_attrition_tests_only_what_the_returns_give() -> None:
    # found on a study without staff numbers or business types: rows "staff 0 0" and
    # "business type 0 0" with the footnote "p by a group is empty"
    ids = [f"A{i}" for i in range(1, 7)]
    c = make_cohort(ids, {"stage_1": [1, 2, 3, 2, 1, 3]}, {"stage_1": [2] * 4}, follow_ids=ids[:4])
    tests = cma.attrition(c, n_perm=100, seed=1).tests
    assert tests["variable"].tolist() == ["mean_score"]
    assert "note" in tests.columns and tests["note"].isna().all()
    text = findings.attrition_tests_sentence(tests)
    assert "staff" not in text and "business type" not in text and "mean score" in text


def test_attrition_equal_data_give_equal_p() -> None:
    # staff equal to the (whole-number) mean score: the two rows test the same data, so
    # with common random numbers their Monte Carlo p-values are identical
    levels = [1, 2, 2, 3, 1, 4, 3, 2, 1, 3, 4, 2, 3, 1, 2, 4]
    ids = [f"E{i:02d}" for i in range(16)]
    kept = ids[:12]  # the last four drop out
    c = make_cohort(ids, {"stage_1": levels}, {"stage_1": [2] * 12}, follow_ids=kept, staff=levels)
    t = cma.attrition(c, n_perm=1000, seed=7).tests.set_index("variable")
    assert t.loc["mean_score", "p_method"] == t.loc["staff", "p_method"]
    assert "Monte Carlo" in t.loc["staff", "p_method"]  # 1820 splits > n_perm
    assert t.loc["mean_score", "p_val"] == t.loc["staff", "p_val"]
    # and both estimate the exact p over all 1820 splits (0.902; Monte Carlo SE ~0.01)
    x = np.array(levels, dtype=float)
    exact = brute_force_u_p(x[12:], x[:12])
    assert_allclose(t.loc["staff", "p_val"], exact, atol=0.05)


def brute_force_u_p(a: np.ndarray, b: np.ndarray) -> float:
    from itertools import combinations

    pooled = np.concatenate([a, b])
    ranks = stats.rankdata(pooled)
    n_a = len(a)
    centre = n_a * len(b) / 2
    obs = abs(ranks[:n_a].sum() - n_a * (n_a + 1) / 2 - centre)
    hits = total = 0
    for pick in combinations(range(len(pooled)), n_a):
        u = ranks[list(pick)].sum() - n_a * (n_a + 1) / 2
        hits += abs(u - centre) >= obs - 1e-9
        total += 1
    return hits / total


def lmer_cohort() -> Cohort:
    """The `long` data of results_change.py as a cohort whose mean scores are long_score."""
    ids = list(dict.fromkeys(R.long_business))
    rows = {
        (b, int(w) + 1): s
        for b, w, s in zip(R.long_business, R.long_wave, R.long_score, strict=True)
    }
    base_ids = [b for b in ids if (b, 1) in rows]
    follow_ids = [b for b in ids if (b, 2) in rows]

    def levels(score: float) -> list[int]:
        total = round(score * 10)  # a mean over 10 stages
        return [min(5, max(0, total - 5 * k)) for k in range(10)]

    base = {
        sid: [levels(rows[(b, 1)])[k] for b in base_ids] for k, sid in enumerate(INST.stage_ids)
    }
    follow = {
        sid: [levels(rows[(b, 2)])[k] for b in follow_ids] for k, sid in enumerate(INST.stage_ids)
    }
    return make_cohort(base_ids, base, follow, follow_ids=follow_ids)


def test_fit_wave_model_against_lmer() -> None:
    c = lmer_cohort()
    fit = cma.fit_wave_model(c)
    assert fit["term"].tolist() == ["Intercept", "wave[Follow-up]"]
    # > lme4::fixef(fit); sqrt(diag(vcov(fit))); coef(summary(fit))[, "t value"]
    # lme4 optimises theta numerically: agreement to ~1e-6 relative
    assert_allclose(fit["estimate"], R.lmer_fixef, rtol=1e-6)
    assert_allclose(fit["std_error"], R.lmer_fixef_se, rtol=1e-6)
    assert_allclose(fit["statistic"], R.lmer_fixef_t, rtol=1e-6)
    assert_allclose(fit["var_business"], R.lmer_var_business, rtol=1e-6)
    assert_allclose(fit["var_residual"], R.lmer_var_residual, rtol=1e-6)
    assert_allclose(fit["reml_loglik"], R.lmer_loglik, rtol=1e-8)
    assert (fit["n_obs"] == R.lmer_nobs).all() and (fit["n_groups"] == R.lmer_ngroups).all()
    assert (fit["n_both"] == 11).all() and fit["converged"].all()
    assert_allclose(fit["p_val"], 2 * stats.norm.sf(np.abs(R.lmer_fixef_t)), rtol=1e-5)
    assert_allclose(
        fit["ci95_high"] - fit["ci95_low"], 2 * stats.norm.ppf(0.975) * R.lmer_fixef_se, rtol=1e-6
    )


def test_correlate_change(r_cohort: Cohort) -> None:
    res = cma.correlate(r_cohort, "staff", "change", n_boot=0, n_perm=0, strategy="available_case")
    table = cma.change_scores(r_cohort)
    staff = np.array([3, 8, 12, 1, 40, 7, 2, 25, 5, 60, 9, 15], dtype=float)
    ref = stats.spearmanr(staff, table["change"])
    assert res.loc[0, "score"] == "change" and res.loc[0, "n"] == 12
    assert_allclose(res.loc[0, "r"], ref.statistic, rtol=1e-12)
    assert_allclose(res.loc[0, "p_val"], ref.pvalue, rtol=1e-9)
    assert (res.loc[0, "baseline"], res.loc[0, "follow_up"]) == LABELS
    with pytest.raises(ParameterError, match="'change' is correlated on its own"):
        cma.correlate(r_cohort, "staff", ["change", "mean"], n_boot=0, n_perm=0)


def test_bad_waves_and_parameters(r_cohort: Cohort, cohort: Cohort) -> None:
    with pytest.raises(ParameterError, match="nothing to compare: the cohort has one wave"):
        cma.paired_change(cohort)
    with pytest.raises(ParameterError, match="are the same wave"):
        cma.paired_change(r_cohort, "Baseline", "baseline")
    with pytest.raises(ParameterError, match="expected one of 'Baseline', 'Follow-up'"):
        cma.transition_table(r_cohort, "stage_1", "Wave 3")
    with pytest.raises(ParameterError, match="strategy='multiple'"):
        cma.paired_change(r_cohort, strategy="multiple")
    with pytest.raises(ParameterError, match="n_boot=-1"):
        cma.paired_change(r_cohort, n_boot=-1)
    with pytest.raises(ParameterError, match=r"confidence=1\.5"):
        cma.paired_change(r_cohort, confidence=1.5)
    with pytest.raises(ParameterError, match="stage='stage_99'"):
        cma.transition_table(r_cohort, "stage_99")
    with pytest.raises(ParameterError, match="one wave"):
        cma.attrition(cohort)


def test_single_wave_statistics_name_the_waves(r_cohort: Cohort) -> None:
    with pytest.raises(
        ParameterError,
        match=r"2 waves \('Baseline', 'Follow-up'\).*cohort\.select_wave\('Follow-up'\)",
    ):
        level_distribution(r_cohort)
    assert len(level_distribution(r_cohort.select_wave("Baseline")))


def test_labels_survive_cleaning(r_cohort: Cohort) -> None:
    cleaned = cma.clean(r_cohort, "min_stages", min_stages=1).cohort
    assert cleaned.waves == LABELS
    assert replace(r_cohort).wave_labels == LABELS


def test_closed_form_reml_path_against_lmer(monkeypatch: pytest.MonkeyPatch) -> None:
    from cma_research.analysis import change_models

    monkeypatch.setattr(change_models, "MIXEDLM_MAX_GROUPS", 0)
    fit = cma.fit_wave_model(lmer_cohort())
    assert fit["method"].str.startswith("REML (closed-form").all()
    assert_allclose(fit["estimate"], R.lmer_fixef, rtol=1e-6)
    assert_allclose(fit["std_error"], R.lmer_fixef_se, rtol=1e-6)
    assert_allclose(fit["var_business"], R.lmer_var_business, rtol=1e-6)
    assert_allclose(fit["var_residual"], R.lmer_var_residual, rtol=1e-6)
    # > lme4::REMLcrit(fit): the same criterion, so the same optimum
    assert_allclose(-2 * fit["reml_loglik"], R.lmer_reml_criterion, rtol=1e-9)
    monkeypatch.undo()
    mixedlm = cma.fit_wave_model(lmer_cohort())
    assert_allclose(fit["estimate"], mixedlm["estimate"], rtol=1e-7)


def test_permutation_only_for_sparse_tables() -> None:
    # 60 businesses: 20 move 1 -> 2, 12 move 2 -> 1, 28 stay: no sparse mirrored pair
    x = [1] * 20 + [2] * 12 + [1] * 28
    y = [2] * 20 + [1] * 12 + [1] * 28
    ids = [f"P{i:02d}" for i in range(60)]
    c = make_cohort(ids, {"stage_1": x}, {"stage_1": y})
    res = cma.marginal_homogeneity(c, "stage_1").set_index("test")
    assert res["p_perm"].isna().all()
    assert res["p_method"].str.contains("no permutation p needed").all()
    # 2 levels: McNemar without continuity correction, (20 - 12)^2 / 32, as the docstring's
    # > mcnemar.test(matrix(c(28, 12, 20, 0), 2), correct = FALSE)  # 2, df 1, p 0.1572992
    # (R's default, correct = TRUE, gives 1.53125, p 0.2159249)
    assert_allclose(res["statistic"], [64 / 32, 64 / 32], rtol=1e-12)
    assert (res["df"] == 1).all()
    assert_allclose(res.loc["bowker", "p_val"], 0.15729920705028447, rtol=1e-12)
    forced = cma.marginal_homogeneity(c, "stage_1", permutation="always").set_index("test")
    # exact: Binomial(32, 1/2) two-sided, P(|2K - 32| >= 8)
    k = np.arange(33)
    p = stats.binom.pmf(k, 32, 0.5)[np.abs(2 * k - 32) >= 8].sum()
    assert_allclose(forced["p_perm"], [p, p], rtol=1e-10)
    with pytest.raises(ParameterError, match="permutation='sometimes'"):
        cma.marginal_homogeneity(c, permutation="sometimes")  # type: ignore[arg-type]


def test_fit_ordinal_wave_model_against_polr(r_cohort: Cohort) -> None:
    from tests.analysis.results import results_change_ordinal as O

    fit = cma.fit_ordinal_wave_model(r_cohort)
    # the long data of results_change_ordinal.py are the r_cohort's assessed cells
    assert fit.loc[0, "n_obs"] == O.n_obs and fit.loc[0, "n_businesses"] == 12
    assert fit["term"].tolist() == [
        "wave[Follow-up]", "cut_0|1", "cut_1|2", "cut_2|3", "cut_3|4", "cut_4|5",
    ]  # fmt: skip
    # > coef(polr(..., control = list(reltol = 1e-15))); tight$zeta
    assert_allclose(fit["estimate"], [O.polr_coef_tight, *O.polr_zeta_tight], rtol=1e-6)
    # > sqrt(diag(sandwich::vcovCL(tight, cluster = ~business, type = "HC1")))
    assert_allclose(fit["std_error"], O.polr_se_cluster_hc1_tight, rtol=1e-5)
    # > lmtest::coeftest(tight, vcov = V, df = 11)["followup", ]
    est, se, t, p = O.polr_coeftest_followup_tight
    row = fit.loc[0, ["estimate", "std_error", "statistic", "p_val"]].to_numpy(dtype=float)
    assert_allclose(row, [est, se, t, p], rtol=1e-5)
    assert fit.loc[0, "df"] == 11
    naive = cma.fit_ordinal_wave_model(r_cohort, cluster=False)
    # > sqrt(diag(vcov(fit))) (optim's finite-difference Hessian: ~1e-4)
    assert_allclose(naive["std_error"], O.polr_se_naive, rtol=1e-3)


def test_synthetic_example_file_end_to_end() -> None:
    from tests.paths import ROOT

    two = cma.load_returns(ROOT / "data" / "raw" / "customer_wise_2007_two_waves_SYNTHETIC.csv")
    base, follow = two.waves
    res = cma.paired_change(two, n_boot=200, seed=1)
    assert (res["baseline"] == base).all() and (res["follow_up"] == follow).all()
    paired = two.paired(base, follow)
    n_both = paired.n_businesses
    assert res.set_index("stage").loc["mean", "n_pairs"] <= n_both
    # every pair of every stage is counted once in its transition table
    for sid in two.stage_ids:
        t = cma.transition_table(two, sid)
        assert int(t.to_numpy().sum()) == n_both
        assert int(t.iloc[:-1, :-1].to_numpy().sum()) == res.set_index("stage").loc[sid, "n_pairs"]
    att = cma.attrition(two)
    assert len(att.dropped_ids) + len(att.completer_ids) == two.select_wave(base).n_businesses
    assert set(att.dropped_ids).isdisjoint(paired.scores.index.get_level_values("business_id"))


def test_wave_pairs_count_the_returns_and_the_complete_ones() -> None:
    from cma_research.analysis.change import wave_pairs
    from tests.paths import ROOT

    two = cma.load_returns(ROOT / "data" / "raw" / "customer_wise_2007_two_waves_SYNTHETIC.csv")
    # a third wave: the follow-up of B01-B10 one level up (clipped), and a new business
    follow = two.select_wave(2)
    keep = follow.scores.index.get_level_values("business_id").isin(
        [f"B{i:02d}" for i in range(1, 11)]
    )
    third = follow.scores[keep].astype(float).add(1).clip(upper=5)
    third.loc[("B99", 2), :] = 3.0
    third.loc[("B99", 2), "stage_5"] = np.nan
    third = third.rename(index={2: 3}, level="wave").astype("Int64")
    attrs = follow.attributes[keep]
    attrs = pd.concat([attrs, attrs.iloc[[0]].rename(index={"B01": "B99"}, level="business_id")])
    attrs = attrs.rename(index={2: 3}, level="wave")
    three = replace(
        two,
        scores=pd.concat([two.scores, third]),
        attributes=pd.concat([two.attributes, attrs]),
        wave_labels=(*two.wave_labels, "Round 3 (SYNTHETIC)"),
    )
    pairs = wave_pairs(three, n_boot=200, seed=5)
    assert pairs["pair"].tolist() == ["consecutive", "consecutive", "baseline_to_last"]

    def ids(code: int, complete: bool = False) -> set[str]:
        s = three.scores[three.scores.index.get_level_values("wave") == code]
        if complete:
            s = s[s.notna().all(axis=1)]
        return set(s.index.get_level_values("business_id"))

    for row, (b, f) in zip(pairs.itertuples(), [(1, 2), (2, 3), (1, 3)], strict=True):
        assert (row.baseline, row.follow_up) == (three.wave_label(b), three.wave_label(f))
        assert row.n_audited_both == len(ids(b) & ids(f))
        assert row.n_complete_both == len(ids(b, True) & ids(f, True))
        assert (row.n_baseline, row.n_follow_up) == (len(ids(b)), len(ids(f)))
        # the same numbers as paired_change's mean row (its own generator from the seed)
        mean = cma.paired_change(three, b, f, n_boot=200, seed=5).set_index("stage").loc["mean"]
        for col in ("n_pairs", "median_change", "rank_biserial", "p_val", "ci95_low"):
            assert_allclose(getattr(row, col), mean[col], rtol=1e-12, equal_nan=True)
    # B04 and B06 left after the baseline, B99 is new at the third wave
    assert pairs["n_audited_both"].tolist() == [13, 8, 8]


def _keep_pairs(cohort: Cohort, n_pairs: int) -> Cohort:
    """``cohort`` with only its first ``n_pairs`` businesses (in id order) seen at both waves."""
    ids = cohort.scores.index.get_level_values("business_id")
    waves = cohort.scores.index.get_level_values("wave")
    both = sorted(set(ids[waves == 1]) & set(ids[waves == 2]))
    dropped = set(both[n_pairs:])
    return cohort.subset(~((waves == 2) & ids.isin(dropped)))


def test_wave_model_needs_two_pairs_and_a_residual_variance() -> None:
    # issue-20 workbook under complete_case: one business at both waves gave "0.60 levels,
    # 95% CI [0.60, 0.60], p < .001" (residual variance 4e-7). The same on altered lmer data.
    c = lmer_cohort()
    assert cma.fit_wave_model(_keep_pairs(c, 2))["n_both"].eq(2).all()
    with pytest.raises(ParameterError, match=r"at least 2 businesses.*1 of the \d+ businesses"):
        cma.fit_wave_model(_keep_pairs(c, 1))
    row = result_or_note(cma.fit_wave_model, _keep_pairs(c, 1), strategy="available_case")
    assert row.loc[0, "note"].startswith("not computed: fit_wave_model needs at least 2")
    # two businesses that both rise by exactly 0.5 levels, beside one-wave businesses:
    # the wave effect fits their change exactly (residual variance zero)
    base = {sid: [1, 3, 2, 4] for sid in INST.stage_ids[:2]}
    follow = {"stage_1": [2, 4], "stage_2": [1, 3]}
    exact = make_cohort(["A", "B", "C", "D"], base, follow, follow_ids=["A", "B"])
    with pytest.raises(ParameterError, match="residual variance is estimated as zero"):
        cma.fit_wave_model(exact)

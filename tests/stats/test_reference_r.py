"""Our statistics against R, on the bundled Table 4 data.

The reference values were computed by ``tests/reference/cw2007_reference.R`` (R 4.2.2,
psych 2.2.9, MASS 7.3-58, sandwich 3.0-2, lmtest 0.9-40) and recorded with 17
significant digits in ``tests/reference/cw2007_reference.json``; R is not needed to run
these tests. ``tests/reference/README.md`` lists where R's and scipy's definitions
differ and which R call each value comes from.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import cma_research as cma
from cma_research.core.cohort import Cohort
from tests.paths import ROOT

REF: dict[str, Any] = json.loads(
    (ROOT / "tests" / "reference" / "cw2007_reference.json").read_text(encoding="utf-8")
)
CLOSED_FORM = {"rtol": 1e-10, "atol": 1e-12}  # same formula, floating-point noise only


def test_reference_data_is_ours(cohort: Cohort) -> None:
    data = REF["data"]
    assert data["staff"] == cohort.attributes["staff"].tolist()
    assert data["n_complete_cases"] == 12 and data["n_assessed_cells"] == 137


@pytest.mark.parametrize("method", ["spearman", "kendall", "pearson"])
@pytest.mark.parametrize(
    ("key", "strategy"),
    [("mean_cc_vs_staff", "complete_case"), ("mean_ac_vs_staff", "available_case")],
)
def test_correlations_match_cor_test(cohort: Cohort, method: str, key: str, strategy: str) -> None:
    # R: cor.test(mean, staff, method = method, exact = FALSE)
    ref = REF["b1_correlations"][key][method]
    row = cma.correlate(cohort, "staff", "mean", method, strategy, n_boot=0, n_perm=0).iloc[0]
    assert row["n"] == ref["n"]
    np.testing.assert_allclose(row["r"], ref["estimate"], **CLOSED_FORM)
    np.testing.assert_allclose(row["p_val"], ref["p_value"], **CLOSED_FORM)


def test_pearson_log_staff_and_its_fisher_interval(cohort: Cohort) -> None:
    # R: cor.test(mean_cc, log(staff)); the Fisher-z interval of stage_correlations uses the
    # same 1/sqrt(n - 3) for Pearson, so apply it to this r and n by hand.
    from cma_research.stats.correlation import fisher_ci as _fisher_ci

    ref = REF["b1_correlations"]["mean_cc_vs_log_staff"]["pearson"]
    row = cma.correlate(cohort, "log_staff", "mean", "pearson", n_boot=0, n_perm=0).iloc[0]
    np.testing.assert_allclose(row["r"], ref["estimate"], **CLOSED_FORM)
    np.testing.assert_allclose(row["p_val"], ref["p_value"], **CLOSED_FORM)
    np.testing.assert_allclose(_fisher_ci("pearson", row["r"], 12), ref["conf_int"], **CLOSED_FORM)


@pytest.mark.parametrize("method", ["spearman", "kendall", "pearson"])
def test_exact_permutation_p_matches_r_enumeration(method: str) -> None:
    # R enumerated all 8! orderings of staff for the first 8 complete cases (its own
    # recursive generator); our exact branch enumerates them independently.
    from cma_research.stats.correlation import estimate
    from cma_research.stats.resampling import permutation_p

    ref = REF["b2_exact_permutation"]
    x = np.array(ref["x_mean_cc"], dtype=float)
    y = np.array(ref["y_staff"], dtype=float)
    r, _ = estimate(method, x, y)
    np.testing.assert_allclose(r, ref[method]["observed"], **CLOSED_FORM)
    res = permutation_p(method, x, y, r, n_perm=0, rng=np.random.default_rng(0))
    assert res.method == "exact permutation (40320 orderings)"
    assert res.p_value == pytest.approx(ref[method]["p_two_sided"], abs=1e-12)


def test_per_stage_correlations_and_adjustments(cohort: Cohort) -> None:
    # R: cor.test per stage (available case, pairwise with staff); p.adjust holm and BH
    ref = REF["b3_per_stage"]
    for adjust, key in (("holm", "p_holm"), ("fdr_bh", "p_bh")):
        res = cma.correlate(
            cohort,
            "staff",
            "stages",
            "spearman",
            "available_case",
            n_boot=0,
            n_perm=0,
            p_adjust=adjust,
        )
        assert res["n"].tolist() == ref["n"]
        np.testing.assert_allclose(res["r"], ref["rho"], **CLOSED_FORM)
        np.testing.assert_allclose(res["p_val"], ref["p_value"], **CLOSED_FORM)
        assert res["p_adj_method"].iloc[0] == f"{adjust} on p_val"
        np.testing.assert_allclose(res["p_adj"], ref[key], **CLOSED_FORM)


def test_inter_stage_matrix(cohort: Cohort) -> None:
    # R: cor.test for every pair i < j of stages, pairwise complete
    table = cma.stage_correlations(cohort)
    pairs = REF["b4_interstage"]["pairs"]
    assert len(table) == len(pairs) == 45
    for row, ref in zip(table.itertuples(), pairs, strict=True):
        assert (row.x, row.y) == (ref["stage_i"], ref["stage_j"])
        assert row.n == ref["n"]
        np.testing.assert_allclose(row.r, ref["rho"], **CLOSED_FORM)
        np.testing.assert_allclose(row.p_val, ref["p_value"], **CLOSED_FORM)


def test_alpha_feldt_and_items_match_psych(cohort: Cohort) -> None:
    # R: psych::alpha(m); psych::alpha.ci(alpha, n.obs = 12, n.var = 10)
    ref = REF["b5_reliability"]
    alpha = cma.cronbach_alpha(cohort).iloc[0]
    np.testing.assert_allclose(alpha["alpha"], ref["raw_alpha"], **CLOSED_FORM)
    np.testing.assert_allclose(alpha["std_alpha"], ref["std_alpha"], **CLOSED_FORM)
    np.testing.assert_allclose(alpha["average_r"], ref["average_r"], **CLOSED_FORM)
    ci = ref["feldt_ci_psych_alpha_ci"]
    np.testing.assert_allclose(
        [alpha["ci95_low"], alpha["ci95_high"]], [ci["lower"], ci["upper"]], **CLOSED_FORM
    )
    items = cma.item_statistics(cohort)
    assert items["stage"].tolist() == ref["item"]
    np.testing.assert_allclose(items["r_drop"], ref["item_r_drop"], **CLOSED_FORM)
    np.testing.assert_allclose(items["alpha_if_deleted"], ref["alpha_if_deleted"], **CLOSED_FORM)


def test_share_below_level_1_intervals(cohort: Cohort) -> None:
    # R: binom.test(x, n)$conf.int and prop.test(x, n, correct = FALSE)$conf.int
    ref = REF["b6_share_below_1"]
    for method, key in (("clopper-pearson", "clopper_pearson"), ("wilson", "wilson")):
        dist = cma.level_distribution(cohort, ci_method=method).set_index("stage")
        for stage, r in ref["stages"].items():
            assert (
                dist.loc[stage, "n_level_0"] == r["x"] and dist.loc[stage, "n_assessed"] == r["n"]
            )
            np.testing.assert_allclose(
                dist.loc[stage, ["ci95_low", "ci95_high"]].to_numpy(float), r[key], rtol=1e-8
            )  # root-finding in both
        np.testing.assert_allclose(
            dist.loc["all", ["ci95_low", "ci95_high"]].to_numpy(float),
            ref["pooled"][key],
            rtol=1e-8,
        )


def test_group_comparisons_match_kruskal_and_wilcox(cohort: Cohort) -> None:
    # R: kruskal.test(mean_ac ~ band); wilcox.test(a, b, exact = TRUE / FALSE, correct = FALSE)
    ref = REF["b7_group_comparisons"]
    res = cma.compare_groups(cohort, "size_band", "mean")
    groups = res[res["test"] == "group"].set_index("group_a")["n_a"].to_dict()
    assert groups == {k: v for k, v in ref["group_sizes"].items() if v}
    kw = res[res["test"] == "kruskal_wallis"].iloc[0]
    np.testing.assert_allclose(kw["statistic"], ref["kruskal"]["statistic_H"], **CLOSED_FORM)
    np.testing.assert_allclose(kw["p_val"], ref["kruskal"]["p_value"], **CLOSED_FORM)
    np.testing.assert_allclose(kw["effect_size"], ref["kruskal"]["epsilon_squared"], **CLOSED_FORM)
    pairs = res[res["test"] == "mann_whitney"].set_index(["group_a", "group_b"])
    for r in ref["pairwise"].values():
        row = pairs.loc[(r["group_1"], r["group_2"])]
        assert row["statistic"] == r["exact_true"]["W"]  # R's W is the U of the first group
        # R's rank-biserial 1 - 2W/(n1 n2) is positive when group 2 ranks higher; ours,
        # 2U/(n1 n2) - 1, is positive when group a ranks higher: the sign flips.
        assert row["effect_size"] == pytest.approx(-r["exact_true"]["rank_biserial_r"], abs=1e-12)
        # no ties within these pairs, so the p-value is exact as R's exact = TRUE
        assert row["p_method"] == "exact"
        np.testing.assert_allclose(row["p_val"], r["exact_true"]["p_value"], **CLOSED_FORM)


@pytest.mark.parametrize(
    ("key", "strategy"), [("mean_cc", "complete_case"), ("mean_ac", "available_case")]
)
def test_ols_hc3_matches_sandwich_and_coeftest(cohort: Cohort, key: str, strategy: str) -> None:
    # R: lmtest::coeftest(lm(mean ~ log(staff)), vcov = sandwich::vcovHC(fit, type = "HC3"))
    ref = REF["b8_ols"][key]
    fit = cma.fit_size_model(cohort, strategy=strategy)
    assert fit["n"].iloc[0] == ref["n"] and fit["df_resid"].iloc[0] == ref["df_residual"]
    np.testing.assert_allclose(fit["estimate"], ref["coef"], **CLOSED_FORM)
    np.testing.assert_allclose(fit["std_error"], ref["se_hc3"], **CLOSED_FORM)
    np.testing.assert_allclose(fit["t"], ref["t_hc3"], **CLOSED_FORM)
    np.testing.assert_allclose(fit["p_val"], ref["p_hc3"], **CLOSED_FORM)  # t-based, as R
    np.testing.assert_allclose(fit["r2"].iloc[0], ref["r_squared"], **CLOSED_FORM)


def test_ordinal_model_matches_polr(cohort: Cohort) -> None:
    # R: MASS::polr(factor(level) ~ log_staff) with sandwich::vcovCL(cluster = ~business,
    # type = "HC1"); compared with R's Newton-polished optimum (max |gradient| 2.5e-14),
    # since both optimisers stop around 1e-6 of it.
    ref = REF["b9_polr"]
    polished = ref["newton_polished"]
    robust = cma.fit_ordinal_model(cohort)
    slope = robust.iloc[0]
    assert slope["n_obs"] == ref["n"] and slope["n_businesses"] == ref["n_clusters"]
    np.testing.assert_allclose(slope["estimate"], polished["beta_log_staff"], rtol=1e-5)
    cuts = robust[robust["kind"] == "threshold"]
    assert cuts["term"].tolist() == [f"cut_{z}" for z in ref["zeta_names"]]
    np.testing.assert_allclose(cuts["estimate"], polished["zeta"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(slope["std_error"], polished["cluster_HC1_se"][0], rtol=1e-4)
    naive = cma.fit_ordinal_model(cohort, cluster=False).iloc[0]
    np.testing.assert_allclose(naive["std_error"], polished["se_naive"][0], rtol=1e-4)

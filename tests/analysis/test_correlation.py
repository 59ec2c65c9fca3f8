"""correlate and stage_correlations against scipy/statsmodels on data rebuilt from the CSV."""

from __future__ import annotations

import csv
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.multitest import multipletests

from cma_research import ParameterError, clean, correlate, pool_rubin, stage_correlations
from cma_research.analysis.correlation import adjust
from cma_research.core.cohort import Cohort
from cma_research.stats.polychoric import polychoric
from cma_research.stats.resampling import Cells, bca_interval
from tests.stats.results import results_polychoric as rp

FAST = {"n_boot": 0, "n_perm": 0, "ci": "bca"}  # the BCa machinery, switched off
SCIPY = {
    "spearman": lambda a, b: stats.spearmanr(a, b),
    "pearson": lambda a, b: stats.pearsonr(a, b),
    "kendall": lambda a, b: stats.kendalltau(a, b, method="asymptotic"),  # tau-b
}


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Staff and the 16 x 10 level matrix (NaN = blank) with the csv module only."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))[1:]
    staff = np.array([float(r[0]) for r in rows])
    levels = np.array([[float(v) if v.strip() else np.nan for v in r[2:12]] for r in rows])
    return staff, levels


def complete_case(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Staff and mean level of the businesses assessed on all ten stages."""
    staff, levels = read_csv(path)
    keep = ~np.isnan(levels).any(axis=1)
    return staff[keep], levels[keep].mean(axis=1)


@pytest.mark.parametrize("method", ["spearman", "kendall", "pearson"])
def test_correlate_equals_scipy_complete_case(
    cohort: Cohort, bundled_path: Path, method: str
) -> None:
    staff, mean = complete_case(bundled_path)
    assert len(staff) == 12  # B01, B04, B05, B06 have blanks
    ref = SCIPY[method](staff, mean)
    row = correlate(cohort, "staff", "mean", method, **FAST).iloc[0]
    assert row["n"] == 12 and row["method"] == method and row["strategy"] == "complete_case"
    np.testing.assert_allclose(row["r"], ref.statistic, rtol=1e-12)
    np.testing.assert_allclose(row["p_val"], ref.pvalue, rtol=1e-10)
    assert np.isnan(row["ci95_low"]) and row["ci_method"] == "not computed (n_boot=0)"
    assert row["p_method"] == "asymptotic only (n_perm=0)"


@pytest.mark.parametrize("method", ["spearman", "pearson"])
def test_correlate_available_case_mean(cohort: Cohort, bundled_path: Path, method: str) -> None:
    staff, levels = read_csv(bundled_path)
    mean = np.nanmean(levels, axis=1)  # every business has at least one assessed stage
    ref = SCIPY[method](staff, mean)
    row = correlate(cohort, "staff", "mean", method, "available_case", **FAST).iloc[0]
    assert row["n"] == 16
    np.testing.assert_allclose([row["r"], row["p_val"]], [ref.statistic, ref.pvalue], rtol=1e-10)


def test_correlate_log_staff(cohort: Cohort, bundled_path: Path) -> None:
    staff, mean = complete_case(bundled_path)
    pearson = correlate(cohort, "log_staff", "mean", "pearson", **FAST).iloc[0]
    ref = stats.pearsonr(np.log(staff), mean)
    np.testing.assert_allclose(
        [pearson["r"], pearson["p_val"]], [ref.statistic, ref.pvalue], rtol=1e-10
    )
    assert pearson["covariate"] == "log_staff"
    # ranks do not change under log: Spearman is the same for staff and log_staff
    both = correlate(cohort, ["staff", "log_staff"], "mean", **FAST)
    assert both["covariate"].tolist() == ["staff", "log_staff"]
    np.testing.assert_allclose(both["r"].iloc[0], both["r"].iloc[1], rtol=1e-14)


@pytest.mark.parametrize("method", ["spearman", "kendall"])
def test_rows_per_stage(cohort: Cohort, bundled_path: Path, method: str) -> None:
    staff, levels = read_csv(bundled_path)
    out = correlate(cohort, "staff", "stages", method, "available_case", **FAST)
    assert out["score"].tolist() == [f"stage_{i}" for i in range(1, 11)]
    # businesses assessed per stage: 16 minus the blanks 2, 3, 1, 2, 2, 2, 4, 3, 2, 2
    assert out["n"].tolist() == [14, 13, 15, 14, 14, 14, 12, 13, 14, 14]
    for j, row in out.iterrows():
        ok = ~np.isnan(levels[:, j])
        ref = SCIPY[method](staff[ok], levels[ok, j])
        np.testing.assert_allclose(
            [row["r"], row["p_val"]], [ref.statistic, ref.pvalue], rtol=1e-10
        )


@pytest.mark.parametrize("p_adjust", ["holm", "fdr_bh"])
def test_p_adj_equals_statsmodels(cohort: Cohort, p_adjust: str) -> None:
    out = correlate(
        cohort, "staff", "stages", "spearman", "available_case", p_adjust=p_adjust, **FAST
    )
    ref = multipletests(out["p_val"].to_numpy(), method=p_adjust)[1]
    np.testing.assert_allclose(out["p_adj"], ref, rtol=1e-12)
    assert (out["p_adj_method"] == f"{p_adjust} on p_val").all()
    # with permutation p-values on every row, the adjustment uses them
    perm = correlate(
        cohort, "staff", ["mean", "min"], n_boot=0, n_perm=500, seed=3, p_adjust=p_adjust
    )
    ref = multipletests(perm["p_perm"].to_numpy(), method=p_adjust)[1]
    np.testing.assert_allclose(perm["p_adj"], ref, rtol=1e-12)
    assert (perm["p_adj_method"] == f"{p_adjust} on p_perm").all()


def test_interval_and_permutation_p_are_seeded(cohort: Cohort, bundled_path: Path) -> None:
    staff, mean = complete_case(bundled_path)
    kw = {"n_boot": 1000, "n_perm": 4000, "seed": 9, "ci": "bca"}
    a = correlate(cohort, "staff", "mean", **kw)
    b = correlate(cohort, "staff", "mean", **kw)
    pd.testing.assert_frame_equal(a, b)
    row = a.iloc[0]
    assert row["ci_method"] == "BCa bootstrap (1000 resamples)"
    assert row["p_method"] == "Monte Carlo permutation (4000 draws)"  # n = 12: 12! too many
    # the interval is the package's BCa on these 12 pairs, drawn first from the seed
    expected = bca_interval(
        "spearman", Cells.from_pairs(staff, mean), row["r"], 1000, np.random.default_rng(9)
    )
    np.testing.assert_allclose([row["ci95_low"], row["ci95_high"]], expected, rtol=1e-12)
    assert row["ci95_low"] < row["r"] < row["ci95_high"]
    # p_perm within Monte Carlo error of scipy's permutation test with 50,000 resamples:
    # 4 SE of the difference, sqrt(p (1 - p) (1/4000 + 1/50000)), plus the 1/(m+1) offset
    ref = stats.permutation_test(
        (mean,),
        lambda y, axis=-1: _spearman_along(staff, y, axis),
        permutation_type="pairings",
        n_resamples=50_000,
        vectorized=True,
        rng=np.random.default_rng(1),
    ).pvalue
    se = np.sqrt(ref * (1 - ref) * (1 / 4000 + 1 / 50_000))
    assert abs(row["p_perm"] - ref) < 4 * se + 1 / 4001
    c = correlate(cohort, "staff", "mean", n_boot=1000, n_perm=4000, seed=10, ci="bca").iloc[0]
    assert c["ci95_low"] != row["ci95_low"]


def _spearman_along(x: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
    """spearmanr's statistic for x against each row of y (scipy's average ranks)."""
    rx = stats.rankdata(x)
    ry = stats.rankdata(y, axis=axis)
    rx, ry = rx - rx.mean(), ry - ry.mean(axis=axis, keepdims=True)
    return (ry * rx).sum(axis) / np.sqrt((rx * rx).sum() * (ry * ry).sum(axis))


def test_exact_permutation_p_for_small_n(cohort: Cohort) -> None:
    # B07..B14 complete, 8 businesses: all 8! = 40,320 orderings are enumerated
    mask = cohort.scores.index.get_level_values("business_id").isin(
        [f"B{i:02d}" for i in range(7, 15)]
    )
    small = cohort.subset(mask)
    row = correlate(small, "staff", "mean", n_boot=0, n_perm=100).iloc[0]
    assert row["n"] == 8 and row["p_method"] == "exact permutation (40320 orderings)"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "tau"}, "method='tau' is not allowed; expected one of: 'spearman', 'kendall'"),
        ({"strategy": "listwise"}, "strategy='listwise' is not allowed; expected one of: "
                                   "'complete_case', 'available_case'"),
        ({"covariate": "turnover"}, "covariate='turnover' is not a numeric attribute.*'staff', "
                                    "'log_staff'"),
        ({"covariate": "business_type"}, "covariate='business_type' is not a numeric"),
        ({"score": "average"}, "score='average' is not allowed; expected one of: 'mean', "
                               "'median'.*'stage_1'.*'stages'"),
        ({"p_adjust": "bonferroni"}, "p_adjust='bonferroni'.*'holm', 'fdr_bh'"),
        ({"n_boot": -1}, "n_boot=-1 must be a whole number"),
        ({"strategy": "multiple", "m": 1}, "m=1"),  # Rubin's rules need 2 imputations
    ],
)  # fmt: skip
def test_bad_parameters(cohort: Cohort, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        correlate(cohort, **{**FAST, **kwargs})  # type: ignore[arg-type]


def test_fewer_than_three_businesses_is_an_error(cohort: Cohort) -> None:
    # B01..B03: only B02 and B03 are complete cases
    first3 = cohort.subset([True, True, True] + [False] * 13)
    with pytest.raises(
        ParameterError, match="needs at least 3 businesses with both values; only 2"
    ):
        correlate(first3, **FAST)
    # available case keeps all three
    assert correlate(first3, strategy="available_case", **FAST)["n"].tolist() == [3]


def test_constant_input_is_nan_and_says_so(cohort: Cohort) -> None:
    attrs = cohort.attributes.copy()
    attrs["staff"] = pd.array([5] * 16, dtype="Int64")
    flat = replace(cohort, attributes=attrs)
    row = correlate(flat, "staff", "mean", n_boot=200, n_perm=200).iloc[0]
    assert row["n"] == 12 and np.isnan(row["r"]) and np.isnan(row["p_val"])
    assert np.isnan(row["p_perm"]) and np.isnan(row["p_adj"]) and np.isnan(row["ci95_low"])
    assert row["p_method"] == "undefined (constant input)"
    assert row["ci_method"] == "undefined (constant input)"


def test_output_columns_are_tidy(cohort: Cohort) -> None:
    out = correlate(cohort, **FAST)
    assert list(out.columns) == [
        "strategy", "score", "covariate", "method", "n", "r", "ci95_low", "ci95_high",
        "ci_low_mc_se", "ci_high_mc_se", "ci_method", "p_val", "p_perm", "p_method", "p_adj",
        "p_adj_method", "m", "note",
    ]  # fmt: skip
    assert all(c.isidentifier() for c in out.columns)
    assert out["m"].tolist() == [1] and out["note"].tolist() == [""]


@pytest.mark.parametrize("method", ["spearman", "pearson"])
def test_multiple_pools_fisher_z(cohort: Cohort, method: str) -> None:
    """Each imputed cohort correlated by scipy, pooled with Rubin's rules on z = atanh(r).

    Within variance: the method's squared Fisher-z SE at each r_j (Pearson 1/(n - 3);
    Spearman (1 + r^2/2)/(n - 3), Bonett & Wright 2000); complete-data df n - 3 = 13.
    """
    m, seed = 4, 5
    res = correlate(cohort, "staff", ["mean", "max"], method, "multiple", m=m, seed=seed, n_boot=50)
    imputations = clean(cohort, "multiple", m=m, seed=seed).cohorts
    n = 16
    for i, score in enumerate(["mean", "max"]):
        r = np.array([
            SCIPY[method](
                c.attributes["staff"].to_numpy(dtype=float),
                getattr(c.scores.to_numpy(dtype=float), score)(axis=1),
            ).statistic
            for c in imputations
        ])  # fmt: skip
        u = (1 + r**2 / 2) / (n - 3) if method == "spearman" else np.full(m, 1 / (n - 3))
        pooled = pool_rubin(np.arctanh(r), u, n - 3)
        row = res.iloc[i]
        np.testing.assert_allclose(row["r"], np.tanh(np.arctanh(r).mean()), rtol=1e-12)
        np.testing.assert_allclose(row["p_val"], pooled.p_value(), rtol=1e-10)
        np.testing.assert_allclose(
            [row["ci95_low"], row["ci95_high"]], np.tanh(pooled.interval()), rtol=1e-10
        )
        np.testing.assert_allclose(
            [row["df"], row["riv"], row["lambda_share"], row["fmi"]],
            [pooled.df, pooled.riv, pooled.lambda_share, pooled.fmi],
            rtol=1e-10,
        )
    assert (res["strategy"] == "multiple").all() and (res["m"] == m).all()
    assert (res["n"] == n).all()
    assert (res["ci_method"] == "Rubin's rules on Fisher z").all()
    assert res["p_perm"].isna().all() and res["ci_low_mc_se"].isna().all()  # n_boot unused
    # the adjustment follows the pooled p-values (Holm over the two rows by hand)
    p = res["p_val"].to_numpy()
    holm = np.minimum(1, np.maximum.accumulate(np.sort(p) * [2, 1]))[np.argsort(np.argsort(p))]
    np.testing.assert_allclose(res["p_adj"], holm, rtol=1e-12)
    assert (res["p_adj_method"] == "holm on p_val").all()
    assert list(res.columns[-6:]) == ["df", "riv", "lambda_share", "fmi", "m", "note"]


def test_adjust_leaves_a_repeated_test_out_of_the_family() -> None:
    # Holm over the distinct tests only (statsmodels on those two), the repeat copies its row
    table = pd.DataFrame({"p_val": [0.04, 0.01, 0.04], "p_perm": [0.05, 0.02, 0.05]})
    out = adjust(table, "holm", [None, None, (0, "mean with staff")])
    ref = multipletests([0.05, 0.02], method="holm")[1]
    np.testing.assert_allclose(out["p_adj"], [ref[0], ref[1], ref[0]], rtol=1e-12)
    assert out["p_adj_method"].tolist()[:2] == ["holm on p_perm over 2 distinct tests"] * 2
    assert out["p_adj_method"].iloc[2] == (
        "holm on p_perm over 2 distinct tests; the same test as mean with staff "
        "(rank-equivalent), counted once"
    )


# -- stage_correlations -----------------------------------------------------------------


@pytest.mark.parametrize("method", ["spearman", "kendall", "pearson"])
def test_stage_correlations_equal_scipy_pairwise(
    cohort: Cohort, bundled_path: Path, method: str
) -> None:
    _, levels = read_csv(bundled_path)
    out = stage_correlations(cohort, method)
    assert len(out) == 45  # 10 * 9 / 2
    pairs = list(combinations(range(10), 2))
    assert list(zip(out["x"], out["y"], strict=True)) == [
        (f"stage_{i + 1}", f"stage_{j + 1}") for i, j in pairs
    ]
    for (i, j), (_, row) in zip(pairs, out.iterrows(), strict=True):
        ok = ~np.isnan(levels[:, i]) & ~np.isnan(levels[:, j])
        ref = SCIPY[method](levels[ok, i], levels[ok, j])
        assert row["n"] == ok.sum()
        np.testing.assert_allclose(
            [row["r"], row["p_val"]], [ref.statistic, ref.pvalue], rtol=1e-10
        )
    np.testing.assert_allclose(
        out["p_adj"], multipletests(out["p_val"], method="holm")[1], rtol=1e-12
    )


def test_stage_correlation_pairwise_n_by_hand(cohort: Cohort) -> None:
    out = stage_correlations(cohort).set_index(["x", "y"])
    # stage_1 blank for B01, B06; stage_2 blank for B01, B05, B06 -> 16 - 3 = 13
    assert out.loc[("stage_1", "stage_2"), "n"] == 13
    # stage_7 blank for B01, B04, B05, B06; stage_8 for B01, B04, B06 -> 16 - 4 = 12
    assert out.loc[("stage_7", "stage_8"), "n"] == 12
    # stage_3 blank only for B01; stage_9 for B01, B04 -> 14
    assert out.loc[("stage_3", "stage_9"), "n"] == 14
    cc = stage_correlations(cohort, strategy="complete_case")
    assert (cc["n"] == 12).all()


@pytest.mark.parametrize("method", ["spearman", "kendall", "pearson"])
def test_stage_correlation_fisher_interval_by_hand(cohort: Cohort, method: str) -> None:
    out = stage_correlations(cohort, method)
    z = stats.norm.ppf(0.975)
    for _, row in out.iterrows():
        r, n = row["r"], row["n"]
        # Fisher z = atanh(r) +- 1.96 SE, back through tanh; SE per method:
        # Pearson 1/sqrt(n-3); Spearman sqrt((1 + r^2/2)/(n-3)) (Bonett & Wright 2000);
        # Kendall sqrt(0.437/(n-4)) (Fieller, Hartley & Pearson 1957)
        se = {
            "pearson": 1 / np.sqrt(n - 3),
            "spearman": np.sqrt((1 + r**2 / 2) / (n - 3)),
            "kendall": np.sqrt(0.437 / (n - 4)),
        }[method]
        expected = np.tanh([np.arctanh(r) - z * se, np.arctanh(r) + z * se])
        np.testing.assert_allclose([row["ci95_low"], row["ci95_high"]], expected, rtol=1e-12)
        assert row["ci95_low"] < r < row["ci95_high"]


def test_stage_correlations_constant_stage_and_errors(cohort: Cohort) -> None:
    scores = cohort.scores.copy()
    scores["stage_1"] = pd.array([3] * 16, dtype="Int64")
    out = stage_correlations(replace(cohort, scores=scores))
    first = out[out["x"] == "stage_1"]
    assert first["r"].isna().all() and first["p_val"].isna().all() and first["p_adj"].isna().all()
    # NaN rows are not counted among the tests: Holm over the 36 others
    rest = out[out["x"] != "stage_1"]
    np.testing.assert_allclose(
        rest["p_adj"], multipletests(rest["p_val"], method="holm")[1], rtol=1e-12
    )
    with pytest.raises(ParameterError, match="method='rho'"):
        stage_correlations(cohort, "rho")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="p_adjust='none'"):
        stage_correlations(cohort, p_adjust="none")  # type: ignore[arg-type]


def test_stage_correlations_polychoric(cohort: Cohort) -> None:
    sc = stage_correlations(cohort, "polychoric")
    spearman = stage_correlations(cohort)
    assert list(sc.columns) == [*spearman.columns[:5], "se", *spearman.columns[5:]]
    assert len(sc) == 45 and (sc["method"] == "polychoric").all()
    pd.testing.assert_series_equal(sc["n"], spearman["n"])  # same pairwise n
    values = cohort.scores.to_numpy(dtype=float, na_value=np.nan)
    row = sc.iloc[7]  # stage_1 x stage_9
    ok = ~np.isnan(values[:, 0]) & ~np.isnan(values[:, 8])
    res = polychoric(values[ok, 0], values[ok, 8])
    assert_allclose([row["r"], row["se"], row["p_val"]], [res.rho, res.se, res.p_value], rtol=1e-12)
    z, half = np.arctanh(res.rho), 1.959963984540054 * res.se / (1 - res.rho**2)
    assert_allclose([row["ci95_low"], row["ci95_high"]], np.tanh([z - half, z + half]), rtol=1e-12)
    assert row["n"] == int(ok.sum())
    # complete cases: the R two-step values
    cc = stage_correlations(cohort, "polychoric", strategy="complete_case")
    assert_allclose(cc.loc[0, "r"], rp.rho_tight[0, 1], atol=2e-7)
    assert (cc["n"] == 12).all()
    assert (sc["p_adj"] >= sc["p_val"]).all()


def test_summed_scores_need_complete_data(cohort: Cohort) -> None:
    # B01's sum covers 2 stages, B02's 10: with blanks left a sum is not comparable
    with pytest.raises(ParameterError, match=r"score 'sum' adds up the assessed stages.*23 blank"):
        correlate(cohort, "staff", "sum", strategy="available_case", n_boot=0, n_perm=0)
    ok = correlate(cohort, "staff", "sum", strategy="complete_case", n_boot=0, n_perm=0)
    assert ok["n"].iloc[0] == 12


def test_rank_equivalent_covariates_are_one_test(cohort: Cohort) -> None:
    # staff and log(staff) have the same ranks: the same Spearman test, counted once
    kw = {"n_boot": 300, "n_perm": 500, "seed": 4}
    both = correlate(cohort, ["staff", "log_staff"], "stages", "spearman", "available_case", **kw)
    staff = both[both["covariate"] == "staff"].reset_index(drop=True)
    logs = both[both["covariate"] == "log_staff"].reset_index(drop=True)
    cols = ["r", "ci95_low", "ci95_high", "p_val", "p_perm", "p_adj", "n"]
    pd.testing.assert_frame_equal(staff[cols], logs[cols])  # one r, one interval
    # Holm over the 10 distinct tests (statsmodels), not over 20
    ref = multipletests(staff["p_perm"].to_numpy(), method="holm")[1]
    np.testing.assert_allclose(staff["p_adj"], ref, rtol=1e-12)
    assert (staff["p_adj_method"] == "holm on p_perm over 10 distinct tests").all()
    assert logs["p_adj_method"].iloc[0] == (
        "holm on p_perm over 10 distinct tests; the same test as stage_1 with staff "
        "(rank-equivalent), counted once"
    )
    # alone, staff's rows are the same as with log_staff beside it (same seed)
    alone = correlate(cohort, "staff", "stages", "spearman", "available_case", **kw)
    pd.testing.assert_frame_equal(alone[cols], staff[cols])
    # a decreasing transform: r and the interval mirrored
    attrs = cohort.attributes.copy()
    attrs["minus_staff"] = -attrs["staff"].astype("Float64")
    mirrored = correlate(replace(cohort, attributes=attrs), ["staff", "minus_staff"], **kw)
    a, b = mirrored.iloc[0], mirrored.iloc[1]
    np.testing.assert_allclose(
        [b["r"], b["ci95_low"], b["ci95_high"]], [-a["r"], -a["ci95_high"], -a["ci95_low"]]
    )
    assert b["p_adj"] == a["p_adj"]
    # Pearson is not rank-based: two tests in the family
    pearson = correlate(cohort, ["staff", "log_staff"], "mean", "pearson", **FAST)
    assert pearson["r"].iloc[0] != pearson["r"].iloc[1]
    np.testing.assert_allclose(
        pearson["p_adj"], multipletests(pearson["p_val"].to_numpy(), method="holm")[1]
    )


def test_monte_carlo_error_of_the_bounds(cohort: Cohort) -> None:
    # the reported Monte-Carlo SE of each BCa bound against the spread of the bounds over
    # 40 seeds (brute force); both estimates are noisy (40 seeds: about +/-11% each, the
    # estimate's own 100 resamples: +/-7%), so they must agree within a factor of 1.5
    runs = pd.concat(
        [correlate(cohort, n_boot=2000, n_perm=0, seed=s, ci="bca") for s in range(40)],
        ignore_index=True,
    )
    for bound in ("low", "high"):
        spread = runs[f"ci95_{bound}"].std(ddof=1)
        reported = runs[f"ci_{bound}_mc_se"].mean()
        assert spread / 1.5 < reported < spread * 1.5, (bound, spread, reported)
    # more resamples, smaller error; none without a bootstrap
    big = correlate(cohort, n_boot=8000, n_perm=0, seed=1, ci="bca").iloc[0]
    assert big["ci_low_mc_se"] < runs["ci_low_mc_se"].mean() / 1.5
    none = correlate(cohort, **FAST).iloc[0]
    assert np.isnan(none["ci_low_mc_se"]) and np.isnan(none["ci_high_mc_se"])


# -- against R (tests/analysis/results/results_correlation.py) ---------------------------------
# Values by cor.test and p.adjust (Holm, BH), tests/analysis/results/make_results.R.

from tests.analysis.results import results_correlation as R  # noqa: E402
from tests.analysis.results import results_correlation as RM  # noqa: E402

R_CLOSED_FORM = {"rtol": 1e-10, "atol": 1e-12}  # same formula, floating-point noise only
R_ESTIMATE = {"spearman": "rho", "kendall": "tau", "pearson": "r"}


@pytest.mark.parametrize("method", ["spearman", "kendall", "pearson"])
@pytest.mark.parametrize(
    ("key", "strategy"),
    [("mean_cc_vs_staff", "complete_case"), ("mean_ac_vs_staff", "available_case")],
)
def test_correlations_match_cor_test(cohort: Cohort, method: str, key: str, strategy: str) -> None:
    # R: cor.test(mean, staff, method = method, exact = FALSE)
    stem = f"{method}_{key}"
    row = correlate(cohort, "staff", "mean", method, strategy, n_boot=0, n_perm=0).iloc[0]
    assert row["n"] == getattr(R, f"{stem}_n")
    np.testing.assert_allclose(
        row["r"], getattr(R, f"{stem}_{R_ESTIMATE[method]}"), **R_CLOSED_FORM
    )
    np.testing.assert_allclose(row["p_val"], getattr(R, f"{stem}_p_value"), **R_CLOSED_FORM)


def test_pearson_log_staff_and_its_fisher_interval(cohort: Cohort) -> None:
    # R: cor.test(mean_cc, log(staff_cc)); the Fisher-z interval of stage_correlations uses the
    # same 1/sqrt(n - 3) for Pearson, so apply it to this r and n by hand.
    from cma_research.stats.correlation import fisher_ci

    row = correlate(cohort, "log_staff", "mean", "pearson", n_boot=0, n_perm=0).iloc[0]
    np.testing.assert_allclose(row["r"], R.pearson_mean_cc_vs_log_staff_r, **R_CLOSED_FORM)
    np.testing.assert_allclose(
        row["p_val"], R.pearson_mean_cc_vs_log_staff_p_value, **R_CLOSED_FORM
    )
    np.testing.assert_allclose(
        fisher_ci("pearson", row["r"], 12), R.pearson_mean_cc_vs_log_staff_conf_int, **R_CLOSED_FORM
    )


def test_per_stage_correlations_and_adjustments(cohort: Cohort) -> None:
    # R: cor.test per stage (available case, pairwise with staff); p.adjust holm and BH
    for method, p_adj in (("holm", RM.stage_vs_staff_p_holm), ("fdr_bh", RM.stage_vs_staff_p_bh)):
        res = correlate(
            cohort,
            "staff",
            "stages",
            "spearman",
            "available_case",
            n_boot=0,
            n_perm=0,
            p_adjust=method,
        )
        assert res["n"].tolist() == R.stage_vs_staff_n
        np.testing.assert_allclose(res["r"], R.stage_vs_staff_rho, **R_CLOSED_FORM)
        np.testing.assert_allclose(res["p_val"], R.stage_vs_staff_p_value, **R_CLOSED_FORM)
        assert res["p_adj_method"].iloc[0] == f"{method} on p_val"
        np.testing.assert_allclose(res["p_adj"], p_adj, **R_CLOSED_FORM)


def test_inter_stage_matrix(cohort: Cohort) -> None:
    # R: cor.test for every pair i < j of stages, pairwise complete
    table = stage_correlations(cohort)
    assert len(table) == len(R.interstage_spearman) == 45
    for row, (pair, ref) in zip(table.itertuples(), R.interstage_spearman.items(), strict=True):
        assert (row.x, row.y) == pair
        assert row.n == ref["n"]
        np.testing.assert_allclose(row.r, ref["rho"], **R_CLOSED_FORM)
        np.testing.assert_allclose(row.p_val, ref["p_value"], **R_CLOSED_FORM)


def test_r_results_files_agree_with_each_other() -> None:
    # the same R values recorded twice: p-values in both results files, pairs and matrices
    assert RM.stage_vs_staff_p_value == R.stage_vs_staff_p_value
    for (a, b), ref in R.interstage_spearman.items():
        i, j = int(a.removeprefix("stage_")) - 1, int(b.removeprefix("stage_")) - 1
        assert R.interstage_rho_matrix[i][j] == R.interstage_rho_matrix[j][i] == ref["rho"]
        assert R.interstage_n_matrix[i][j] == ref["n"]


def test_default_interval_is_fisher_bonett_wright(cohort: Cohort, bundled_path: Path) -> None:
    # the default interval (chosen by coverage, benchmarks/bench_coverage.py): Fisher's z
    # with the Bonett-Wright SE, by hand: tanh(atanh(r) -+ 1.96 sqrt((1 + r^2/2)/(n - 3)))
    staff, mean = complete_case(bundled_path)
    row = correlate(cohort, "staff", "mean", n_perm=0).iloc[0]
    r = stats.spearmanr(staff, mean).statistic
    se = np.sqrt((1 + r**2 / 2) / 9)
    want = np.tanh(np.arctanh(r) + np.array([-1, 1]) * stats.norm.ppf(0.975) * se)
    np.testing.assert_allclose([row["ci95_low"], row["ci95_high"]], want, rtol=1e-12)
    assert row["ci_method"] == "Fisher z, Bonett-Wright SE"
    assert np.isnan(row["ci_low_mc_se"])  # no resampling, no Monte-Carlo error
    # one interval per estimate: n_boot and the seed do not change it
    other = correlate(cohort, "staff", "mean", n_perm=0, n_boot=2000, seed=5).iloc[0]
    assert other["ci95_low"] == row["ci95_low"] and other["ci95_high"] == row["ci95_high"]


def test_permutation_interval_agrees_with_permutation_p(cohort: Cohort) -> None:
    kw = {"n_perm": 4000, "seed": 3, "ci": "permutation"}
    out = correlate(cohort, "staff", "stages", "spearman", "available_case", **kw)
    assert out["ci_method"].str.startswith("inverted permutation test").all()
    for _, row in out.iterrows():
        excludes = row["ci95_low"] > 0 or row["ci95_high"] < 0
        # the same test at rho0 = 0 as p_perm, on other permutations: they agree away
        # from the boundary (p_perm within 0.01 of .05 could go either way)
        if abs(row["p_perm"] - 0.05) > 0.01:
            assert excludes == (row["p_perm"] < 0.05), row["score"]
    with pytest.raises(ParameterError, match="ci='wald'"):
        correlate(cohort, ci="wald")  # type: ignore[arg-type]


def test_leave_one_out_by_hand(cohort: Cohort, bundled_path: Path) -> None:
    from cma_research.analysis.correlation import leave_one_out

    staff, mean = complete_case(bundled_path)
    loo = leave_one_out(cohort)
    assert len(loo) == 12 and (loo["n"] == 12).all()
    r_all = stats.spearmanr(staff, mean).statistic
    for _, row in loo.iterrows():
        # the business is found by its (staff, mean) pair among the complete cases
        i = int(
            np.flatnonzero((staff == row["left_out_value"]) & (mean == row["left_out_score"]))[0]
        )
        keep = np.arange(12) != i
        want = stats.spearmanr(staff[keep], mean[keep]).statistic
        np.testing.assert_allclose(row["r_without"], want, rtol=1e-12)
        np.testing.assert_allclose(row["change"], want - r_all, rtol=1e-12)
    # sorted by how far the business moves rho: B16 (100 staff, the only medium-sized
    # business) first, .52 -> .37
    assert loo.loc[0, "business_id"] == "B16" and loo.loc[0, "left_out_value"] == 100
    assert (loo["change"].abs().diff().dropna() <= 1e-15).all()
    from cma_research.reporting.findings import leave_one_out_sentence

    text = leave_one_out_sentence(loo)
    assert "ρ = .52 ranges from .37 (without B16, staff 100)" in text
    with pytest.raises(ParameterError, match="at least 4"):
        leave_one_out(cohort.subset(cohort.scores.index.isin(cohort.scores.index[:5])))

"""Size bands and group comparisons against scipy on groups rebuilt from the CSV."""

from __future__ import annotations

import csv
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

import cma_research as cma
from cma_research import ParameterError, compare_groups, size_band
from cma_research.core.cohort import Cohort


def band(staff: float) -> str:
    """EU bands written out: micro < 10, small 10-49, medium 50-249, large >= 250."""
    if staff < 10:
        return "micro"
    if staff < 50:
        return "small"
    if staff < 250:
        return "medium"
    return "large"


def groups_from_csv(path: Path, stage: int | None = None) -> dict[str, np.ndarray]:
    """Available-case mean (or one stage's level) per business, grouped by size band."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))[1:]
    out: dict[str, list[float]] = {"micro": [], "small": [], "medium": []}
    for r in rows:
        levels = [float(v) for v in r[2:12] if v.strip()]
        if stage is None:
            value = float(np.mean(levels))
        elif r[1 + stage].strip():
            value = float(r[1 + stage])
        else:
            continue
        out[band(float(r[0]))].append(value)
    return {k: np.array(v) for k, v in out.items() if v}


def test_size_band_edges() -> None:
    staff = pd.Series([0, 1, 9, 10, 49, 50, 249, 250, 5000, None], dtype="Int64")
    got = size_band(staff)
    expected = ["micro", "micro", "micro", "small", "small", "medium", "medium", "large",
                "large"]  # fmt: skip
    assert got.iloc[:-1].tolist() == expected == [band(s) for s in staff.iloc[:-1]]
    assert pd.isna(got.iloc[-1])
    assert list(got.cat.categories) == ["micro", "small", "medium", "large"]
    assert got.cat.ordered


def test_group_rows(cohort: Cohort, bundled_path: Path) -> None:
    groups = groups_from_csv(bundled_path)
    # by hand: micro = staff 1-8 (11 businesses), small = 10, 10, 15, 18, medium = Florists (100)
    assert {k: len(v) for k, v in groups.items()} == {"micro": 11, "small": 4, "medium": 1}
    res = compare_groups(cohort)
    rows = res[res["test"] == "group"]
    assert rows["group_a"].tolist() == ["micro", "small", "medium"]
    assert rows["n_a"].tolist() == [11, 4, 1]
    np.testing.assert_allclose(
        rows["median_a"], [np.median(v) for v in groups.values()], rtol=1e-14
    )
    assert (res["n"] == 16).all() and (res["by"] == "size_band").all()


@pytest.mark.parametrize(("score", "stage"), [("mean", None), ("stage_1", 1), ("stage_9", 9)])
def test_kruskal_wallis_equals_scipy(
    cohort: Cohort, bundled_path: Path, score: str, stage: int | None
) -> None:
    groups = groups_from_csv(bundled_path, stage)
    ref = stats.kruskal(*groups.values())
    row = compare_groups(cohort, score=score).query("test == 'kruskal_wallis'").iloc[0]
    np.testing.assert_allclose(
        [row["statistic"], row["p_val"]], [ref.statistic, ref.pvalue], rtol=1e-12
    )
    assert row["df"] == len(groups) - 1
    # epsilon^2 = H (n + 1) / (n^2 - 1) = H / (n - 1)
    n = sum(len(v) for v in groups.values())
    np.testing.assert_allclose(row["effect_size"], ref.statistic / (n - 1), rtol=1e-12)
    assert row["effect_size_name"] == "epsilon_squared"
    assert row["n"] == n


def test_kruskal_wallis_mean_by_hand(cohort: Cohort) -> None:
    # H for the means (no ties among the 16 means): 12 / (N (N + 1)) sum R_g^2 / n_g - 3 (N + 1)
    # ranks: micro  0.4 0.9 1.0 1.4 1.5 1.6 1.9 2.167 2.2 2.3 3.9 -> 1 2 3 5 6 7 8 9 10 11 15
    #        small  1.1 2.4 2.8 3.2 -> 4 12 13 14;  medium 4.0 -> 16
    # R = 77, 43, 16: H = 12/272 (77^2/11 + 43^2/4 + 16^2) - 51
    #                   = 0.0441176 (539 + 462.25 + 256) - 51 = 4.4669
    h = 12 / (16 * 17) * (77**2 / 11 + 43**2 / 4 + 16**2) - 3 * 17
    row = compare_groups(cohort).query("test == 'kruskal_wallis'").iloc[0]
    np.testing.assert_allclose(row["statistic"], h, rtol=1e-12)
    np.testing.assert_allclose(row["p_val"], stats.chi2.sf(h, 2), rtol=1e-12)


def rank_biserial_by_hand(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """U of a (pairs a > b, ties half) and 2U / (n_a n_b) - 1, by counting every pair."""
    u = sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in a for y in b)
    return u, 2 * u / (len(a) * len(b)) - 1


@pytest.mark.parametrize(("score", "stage"), [("mean", None), ("stage_1", 1)])
def test_mann_whitney_equals_scipy(
    cohort: Cohort, bundled_path: Path, score: str, stage: int | None
) -> None:
    groups = groups_from_csv(bundled_path, stage)
    res = compare_groups(cohort, score=score)
    pairs = res[res["test"] == "mann_whitney"]
    assert list(zip(pairs["group_a"], pairs["group_b"], strict=True)) == list(
        combinations(groups, 2)
    )
    for (a, b), (_, row) in zip(combinations(groups, 2), pairs.iterrows(), strict=True):
        va, vb = groups[a], groups[b]
        ties = len(np.unique(np.concatenate([va, vb]))) < len(va) + len(vb)
        method = "asymptotic" if ties else "exact"
        ref = stats.mannwhitneyu(
            va, vb, alternative="two-sided", method=method, use_continuity=False
        )
        np.testing.assert_allclose(
            [row["statistic"], row["p_val"]], [ref.statistic, ref.pvalue], rtol=1e-12
        )
        u, rb = rank_biserial_by_hand(va, vb)
        assert row["statistic"] == u
        np.testing.assert_allclose(row["effect_size"], rb, rtol=1e-12, atol=1e-15)
        assert (row["n_a"], row["n_b"]) == (len(va), len(vb))
        assert row["p_method"] == (
            "exact" if method == "exact" else "normal approximation (ties or n > 200)"
        )
    np.testing.assert_allclose(
        pairs["p_adj"], multipletests(pairs["p_val"], method="holm")[1], rtol=1e-12
    )
    if stage is not None:  # levels 0-5 always tie: the normal approximation
        assert (pairs["p_method"] != "exact").all()


def test_mann_whitney_exact_micro_vs_medium(cohort: Cohort) -> None:
    # Florists' mean 4.0 is above all 11 micro means: U(micro) = 0, rank-biserial -1;
    # exact two-sided p = 2 * P(U = 0) = 2 / C(12, 1) = 1/6
    row = compare_groups(cohort).query("group_a == 'micro' and group_b == 'medium'").iloc[0]
    assert row["statistic"] == 0 and row["effect_size"] == -1
    np.testing.assert_allclose(row["p_val"], 1 / 6, rtol=1e-12)


def test_warning_for_small_groups(cohort: Cohort) -> None:
    res = compare_groups(cohort)
    assert (res["warning"] == "groups with fewer than 3 businesses: medium (n=1)").all()
    # complete cases: micro B02, B09, B10, B11, B12, B14, B15; small B03, B07, B08, B13; medium B16
    cc = compare_groups(cohort, strategy="complete_case")
    assert cc.query("test == 'group'")["n_a"].tolist() == [7, 4, 1]
    assert (cc["warning"] == "groups with fewer than 3 businesses: medium (n=1)").all()
    big = compare_groups(cohort.subset(cohort.attributes["staff"] < 50))
    assert (big["warning"] == "").all()


def test_by_business_type(cohort: Cohort, bundled_path: Path, tmp_path: Path) -> None:
    # On Table 4 every business has its own type: 16 groups of one, nothing to compare.
    with pytest.raises(ParameterError, match="every group has a single business"):
        compare_groups(cohort, by="business_type")
    # Coarser types: "Training" for the two training businesses and "Other" for the rest.
    text = bundled_path.read_text(encoding="utf-8").splitlines()
    rows = [text[0]]
    for line in text[1:]:
        cells = next(csv.reader([line]))
        cells[1] = "Training" if "raining" in cells[1] else "Other"
        rows.append(",".join(cells))
    coarse = tmp_path / "coarse.csv"
    coarse.write_text("\n".join(rows) + "\n", encoding="utf-8")
    res = compare_groups(cma.load_returns(coarse), by="business_type")
    groups = res[res["test"] == "group"].set_index("group_a")["n_a"].to_dict()
    # Training, Spreadsheet training and Racehorse Training contain "raining"
    assert groups == {"Other": 13, "Training": 3}
    assert (res["test"] == "warning").sum() == 0  # both groups have >= 3
    assert (res["test"] == "mann_whitney").sum() == 1


def test_small_group_gives_a_warning_row(cohort: Cohort) -> None:
    res = compare_groups(cohort)  # medium has 1 business
    warning_rows = res[res["test"] == "warning"]
    assert len(warning_rows) == 1
    assert warning_rows["warning"].iloc[0] == "groups with fewer than 3 businesses: medium (n=1)"


def test_bad_arguments(cohort: Cohort) -> None:
    with pytest.raises(
        ParameterError,
        match="by='sector' is not allowed; expected one of: 'size_band', 'staff', 'business_type'",
    ):
        compare_groups(cohort, by="sector")
    with pytest.raises(ParameterError, match="score='avg'"):
        compare_groups(cohort, score="avg")
    micro = cohort.subset(cohort.attributes["staff"] < 10)
    with pytest.raises(ParameterError, match="needs at least 2 groups with a mean value; found 1"):
        compare_groups(micro)


def test_summed_scores_need_complete_data(cohort: Cohort) -> None:
    # moved from test_correlation.py: a summed score over blanks is not comparable
    with pytest.raises(ParameterError, match="'processes_in_place' adds up"):
        compare_groups(cohort, score="processes_in_place")


# -- against R (tests/analysis/results/results_groups.py) --------------------------------------
# kruskal.test and wilcox.test, tests/analysis/results/make_results.R.

from tests.analysis.results import results_groups as R  # noqa: E402

R_CLOSED_FORM = {"rtol": 1e-10, "atol": 1e-12}  # same formula, floating-point noise only


def test_group_comparisons_match_kruskal_and_wilcox(cohort: Cohort) -> None:
    # R: kruskal.test(mean_ac ~ band); wilcox.test(a, b, exact = TRUE / FALSE, correct = FALSE)
    res = compare_groups(cohort, "size_band", "mean")
    groups = res[res["test"] == "group"].set_index("group_a")["n_a"].to_dict()
    assert groups == {k: v for k, v in R.group_sizes.items() if v}
    kw = res[res["test"] == "kruskal_wallis"].iloc[0]
    np.testing.assert_allclose(kw["statistic"], R.kruskal_H, **R_CLOSED_FORM)
    np.testing.assert_allclose(kw["p_val"], R.kruskal_p_value, **R_CLOSED_FORM)
    np.testing.assert_allclose(kw["effect_size"], R.kruskal_epsilon_squared, **R_CLOSED_FORM)
    pairs = res[res["test"] == "mann_whitney"].set_index(["group_a", "group_b"])
    for (group_1, group_2), r in R.wilcox_exact.items():
        row = pairs.loc[(group_1, group_2)]
        assert row["statistic"] == r["W"]  # R's W is the U of the first group
        # R's rank-biserial 1 - 2W/(n1 n2) is positive when group 2 ranks higher; ours,
        # 2U/(n1 n2) - 1, is positive when group a ranks higher: the sign flips.
        assert row["effect_size"] == pytest.approx(-r["rank_biserial_r"], abs=1e-12)
        # no ties within these pairs, so the p-value is exact as R's exact = TRUE
        assert row["p_method"] == "exact"
        np.testing.assert_allclose(row["p_val"], r["p_value"], **R_CLOSED_FORM)


def test_rank_biserial_interval_matches_effectsize(cohort: Cohort) -> None:
    from tests.analysis.results import results_groups_effect as E

    res = compare_groups(cohort)
    pairs = res[res["test"] == "mann_whitney"]
    for (a, b), want in E.rank_biserial.items():
        row = pairs[(pairs["group_a"] == a) & (pairs["group_b"] == b)].iloc[0]
        np.testing.assert_allclose(row["effect_size"], want["r"], rtol=1e-12)
        if abs(want["r"]) < 1:  # effectsize::rank_biserial(xa, xb, ci = 0.95)
            np.testing.assert_allclose(
                [row["ci95_low"], row["ci95_high"]], [want["ci_low"], want["ci_high"]], rtol=1e-10
            )
            assert row["ci_method"].startswith("Fisher z")
        else:  # effectsize returns the point itself; an interval of one point is none
            assert np.isnan(row["ci95_low"]) and "undefined at |r| = 1" in row["ci_method"]
    # the group and Kruskal-Wallis rows have no interval
    assert res.loc[res["test"] != "mann_whitney", "ci95_low"].isna().all()

"""Mann-Whitney and the group-by-category test against scipy and brute-force enumeration."""

from __future__ import annotations

from itertools import combinations

import numpy as np
from numpy.testing import assert_allclose
from scipy import stats

from cma_research.stats.two_sample import mann_whitney, table_test


def chi2_of(group: np.ndarray, cat: np.ndarray) -> float:
    table = np.array([[np.sum((group == g) & (cat == c)) for c in np.unique(cat)] for g in (0, 1)])
    return float(stats.chi2_contingency(table, correction=False).statistic)


def test_no_ties_is_scipy_exact() -> None:
    x, y = np.array([1.5, 3.0, 7.0, 9.0]), np.array([2.0, 4.0, 5.0, 6.0, 8.0, 10.0, 11.0])
    res = mann_whitney(x, y, n_perm=10, rng=np.random.default_rng(0))
    ref = stats.mannwhitneyu(x, y, method="exact")  # R: wilcox.test(x, y, exact = TRUE)
    assert res["statistic"] == ref.statistic
    assert_allclose(res["p_val"], ref.pvalue, rtol=1e-12)
    assert_allclose(res["effect_size"], 2 * ref.statistic / 28 - 1, rtol=1e-12)


def test_ties_monte_carlo_close_to_exact() -> None:
    x, y = np.array([1.0, 2, 2, 3, 3, 3, 4, 5]), np.array([2.0, 3, 4, 4, 5, 5, 5, 6, 6])
    exact = mann_whitney(x, y, n_perm=30_000, rng=np.random.default_rng(1))  # 24310 splits
    assert exact["p_method"].startswith("exact permutation")
    mc = mann_whitney(x, y, n_perm=20_000, rng=np.random.default_rng(1))
    assert mc["p_method"].startswith("Monte Carlo permutation")
    assert_allclose(mc["p_val"], exact["p_val"], atol=0.01)  # MC SE ~0.003
    # brute force over all splits of |U - n1 n2 / 2|
    pooled = np.concatenate([x, y])
    ranks = stats.rankdata(pooled)
    c = len(x) * len(y) / 2
    obs = abs(ranks[: len(x)].sum() - len(x) * (len(x) + 1) / 2 - c)
    devs = np.array(
        [abs(ranks[list(p)].sum() - len(x) * (len(x) + 1) / 2 - c)
         for p in combinations(range(len(pooled)), len(x))]
    )  # fmt: skip
    assert_allclose(exact["p_val"], np.mean(devs >= obs - 1e-9), rtol=1e-12)


def test_table_test_permutation_close_to_enumeration() -> None:
    group = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    cat = np.array(["a", "a", "b", "c", "a", "b", "b", "c", "c", "c"])
    res = table_test(group, cat, n_perm=40_000, rng=np.random.default_rng(3))
    obs = chi2_of(group, cat)
    assert_allclose(res["statistic"], obs, rtol=1e-12)
    assert_allclose(res["effect_size"], np.sqrt(obs / 10), rtol=1e-12)
    splits = [np.isin(np.arange(10), p).astype(int) for p in combinations(range(10), 6)]
    exact = np.mean([chi2_of(g, cat) >= obs - 1e-9 for g in splits])
    assert_allclose(res["p_val"], exact, atol=0.01)
    assert res["p_method"] == "Monte Carlo permutation of the chi-square (40000 draws)"


def test_table_test_two_by_two_is_fisher_and_degenerate_cases() -> None:
    group = np.array([0, 0, 0, 1, 1, 1, 1])
    cat = np.array(["x", "x", "y", "y", "y", "y", "x"])
    res = table_test(group, cat, n_perm=10, rng=np.random.default_rng(0))
    assert_allclose(res["p_val"], stats.fisher_exact([[2, 1], [1, 3]]).pvalue, rtol=1e-12)
    one = table_test(group, np.array(["x"] * 7), n_perm=10, rng=np.random.default_rng(0))
    assert np.isnan(one["p_val"])
    empty = mann_whitney(np.array([]), np.array([1.0]), n_perm=10, rng=np.random.default_rng(0))
    assert np.isnan(empty["p_val"]) and empty["p_method"] == "undefined (a group is empty)"


def test_one_observation_in_a_group_with_ties_is_enumerated() -> None:
    # 06_change attrition when one business drops out: scipy's permutation_test refuses a
    # sample of one. By hand: x = [4], y = [1, 2, 2, 3]; ranks 5 | 1, 2.5, 2.5, 4; U of x = 4,
    # |U - 2| = 2; the five splits (which value is the group of one) give |rank - 3| =
    # 2, 2, .5, .5, 1, so two of five are at least as far from the centre: p = 2/5.
    res = mann_whitney(
        np.array([4.0]), np.array([1.0, 2, 2, 3]), n_perm=10, rng=np.random.default_rng(0)
    )
    assert (res["n_a"], res["n_b"], res["statistic"]) == (1, 4, 4.0)
    assert_allclose(res["p_val"], 0.4, rtol=1e-12)
    assert res["p_method"] == "exact permutation of |U - n1 n2 / 2| (ties; 5 splits)"
    assert_allclose(res["effect_size"], 1.0, rtol=1e-12)  # 2 * 4 / 4 - 1
    # the group of one second, against scipy's U over every split (brute force)
    for x, y in (
        (np.array([1.0, 2, 2, 3, 3]), np.array([2.0])),
        (np.array([2.0]), np.array([1.0, 2, 3, 3])),  # the reviewer's case: p = 1
    ):
        res = mann_whitney(x, y, n_perm=10, rng=np.random.default_rng(0))
        pooled = np.concatenate([x, y])
        centre = len(x) * len(y) / 2
        obs = abs(stats.mannwhitneyu(x, y).statistic - centre)
        devs = [
            abs(stats.mannwhitneyu(pooled[list(p)], np.delete(pooled, list(p))).statistic - centre)
            for p in combinations(range(len(pooled)), len(x))
        ]
        assert_allclose(res["p_val"], np.mean(np.array(devs) >= obs - 1e-9), rtol=1e-12)
    assert_allclose(res["p_val"], 1.0, rtol=1e-12)

"""Bowker and Stuart-Maxwell tests against R (mcnemar.test, by hand, coin::mh_test)."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cma_research.stats.square_table import bowker, stuart_maxwell, symmetry_permutation_p
from tests.analysis.results import results_change as R

TABLES = ("t3", "t4", "t4_empty_pair", "t4_zero_level", "t4_zero_last", "t4_zero_row")


@pytest.mark.parametrize("name", TABLES)
def test_bowker_drops_empty_pairs_as_r_by_hand(name: str) -> None:
    res = bowker(getattr(R, name))
    # > up <- upper.tri(t); den <- (t + t(t))[up]; k <- den > 0; stat <- sum(...[k] / den[k])
    ref = getattr(R, f"bowker_dropped_{name}")
    assert_allclose(res.statistic, ref["statistic"], rtol=1e-12)
    assert res.df == ref["df"]
    assert_allclose(res.p_val, ref["p_value"], rtol=1e-9)


@pytest.mark.parametrize("name", ["t3", "t4"])
def test_bowker_equals_mcnemar_without_empty_pairs(name: str) -> None:
    res = bowker(getattr(R, name))
    ref = getattr(R, f"bowker_{name}")  # > mcnemar.test(t)
    assert_allclose([res.statistic, res.p_val], [ref["statistic"], ref["p_value"]], rtol=1e-9)
    assert res.df == ref["df"]


def test_bowker_on_2x2_is_mcnemar_without_continuity_correction() -> None:
    tab = np.array([[10, 9], [3, 8]])
    res = bowker(tab)
    # > tab <- matrix(c(10, 3, 9, 8), 2); mcnemar.test(tab, correct = FALSE)
    assert_allclose([res.statistic, res.p_val], [3.0, 0.083264516663550558], rtol=1e-12)
    assert res.df == 1
    # > mcnemar.test(tab) (R's default corrects a 2 x 2 table): 2.0833333, p 0.1489147
    assert not np.isclose(res.statistic, 2.0833333333333335)
    assert_allclose(res.statistic, (9 - 3) ** 2 / (9 + 3), rtol=1e-12)  # by hand


@pytest.mark.parametrize("name", TABLES)
def test_stuart_maxwell_as_coin(name: str) -> None:
    res = stuart_maxwell(getattr(R, name))
    ref = getattr(R, f"coin_mh_{name}")  # > coin::mh_test(as.table(t))
    assert_allclose(res.statistic, ref["statistic"], rtol=1e-9)
    assert res.df == ref["df"]
    assert_allclose(res.p_val, ref["p_value"], rtol=1e-9)


@pytest.mark.parametrize("name", ["t3", "t4", "t4_empty_pair", "t4_zero_row"])
def test_stuart_maxwell_as_r_by_hand(name: str) -> None:
    res = stuart_maxwell(getattr(R, name))
    ref = getattr(R, f"stuart_maxwell_{name}")  # > stuart_maxwell(t): d' solve(S, d)
    assert_allclose(res.statistic, ref["statistic"], rtol=1e-9)
    assert res.df == ref["df"]


def test_unused_level_is_dropped_where_r_stops() -> None:
    # R's solve() stops on both tables ("exactly singular" / "computationally singular");
    # dropping the unused level gives R's value on the 3 x 3 table.
    assert R.stuart_maxwell_t4_zero_level_error.startswith("Lapack routine dgesv")
    ref = R.stuart_maxwell_t4_zero_level_dropped
    for name in ("t4_zero_level", "t4_zero_last"):
        res = stuart_maxwell(getattr(R, name))
        assert_allclose(res.statistic, ref["statistic"], rtol=1e-9)
        assert res.df == ref["df"]


def test_unmoving_level_and_disconnected_groups() -> None:
    # Level 2 only ever stays at 2 (diagonal only): S would be singular; it is dropped.
    t = np.array([[3, 2, 0], [1, 4, 0], [0, 0, 5]])
    assert_allclose(stuart_maxwell(t).statistic, stuart_maxwell(t[:2, :2]).statistic, rtol=1e-12)
    # No movement between {0, 1} and {2, 3}: the statistic is the sum of the two groups'.
    g = np.array([[3, 2, 0, 0], [1, 5, 0, 0], [0, 0, 2, 3], [0, 0, 1, 4]])
    a, b = stuart_maxwell(g[:2, :2]), stuart_maxwell(g[2:, 2:])
    res = stuart_maxwell(g)
    assert_allclose(res.statistic, a.statistic + b.statistic, rtol=1e-9)
    assert res.df == a.df + b.df == 2
    # 2 x 2: Stuart-Maxwell and Bowker are both McNemar's chi-square without correction
    m = np.array([[10, 7], [2, 5]])
    assert_allclose(stuart_maxwell(m).statistic, (7 - 2) ** 2 / 9, rtol=1e-12)
    assert_allclose(bowker(m).statistic, (7 - 2) ** 2 / 9, rtol=1e-12)


def test_nothing_changed() -> None:
    t = np.diag([3, 4, 0])
    assert np.isnan(bowker(t).statistic) and bowker(t).df == 0
    assert np.isnan(stuart_maxwell(t).statistic)
    p_b, p_s, method = symmetry_permutation_p(t, n_perm=10, rng=np.random.default_rng(0))
    assert np.isnan(p_b) and np.isnan(p_s) and method == "no pair changed level"


def brute_force(table: np.ndarray) -> tuple[float, float]:
    """Swap every pair independently, over all 2**n_off outcomes (a second route)."""
    pairs = [
        (i, j) for i in range(len(table)) for j in range(len(table)) if i != j
        for _ in range(int(table[i, j]))
    ]  # fmt: skip
    obs_b, obs_s = bowker(table).statistic, stuart_maxwell(table).statistic
    hits_b = hits_s = 0
    total = 0
    for swaps in product((False, True), repeat=len(pairs)):
        t = np.diag(np.diag(table)).astype(float)
        for (i, j), swap in zip(pairs, swaps, strict=True):
            t[(j, i) if swap else (i, j)] += 1
        hits_b += bowker(t).statistic >= obs_b - 1e-9
        hits_s += stuart_maxwell(t).statistic >= obs_s - 1e-9
        total += 1
    return hits_b / total, hits_s / total


def test_exact_permutation_equals_brute_force() -> None:
    t = np.array([[2, 3, 1], [1, 3, 2], [0, 1, 1]])  # 8 off-diagonal pairs: 256 outcomes
    p_b, p_s, method = symmetry_permutation_p(t, n_perm=0, rng=np.random.default_rng(0))
    assert method.startswith("exact permutation")
    assert_allclose([p_b, p_s], brute_force(t), rtol=1e-10)


def test_monte_carlo_permutation_close_to_exact() -> None:
    t = R.t4
    exact = symmetry_permutation_p(t, n_perm=0, rng=np.random.default_rng(0))
    mc = symmetry_permutation_p(t, n_perm=40_000, rng=np.random.default_rng(7), max_exact=0)
    assert mc[2] == "Monte Carlo permutation (swaps within pairs, 40000 draws)"
    assert_allclose(mc[:2], exact[:2], atol=0.01)  # SE ~0.0025
    assert mc == symmetry_permutation_p(t, n_perm=40_000, rng=np.random.default_rng(7), max_exact=0)


def test_bad_tables() -> None:
    with pytest.raises(ValueError, match="square"):
        bowker(np.ones((2, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        stuart_maxwell(np.array([[1, -1], [0, 1]]))

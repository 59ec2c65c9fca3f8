"""Signed-rank test and rank-biserial correlation against R (wilcox.test, coin) and brute force."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from cma_research.stats import signed_rank as sr
from cma_research.stats.signed_rank import (
    rank_biserial,
    rank_biserial_ci,
    sign_flip_distribution,
    signed_rank_test,
)
from tests.analysis.results import results_change as R

STAGES = ("s1", "s2", "s3")


@pytest.mark.parametrize("s", STAGES)
def test_against_r(s: str) -> None:
    d = getattr(R, f"d_{s}")
    res = signed_rank_test(d)
    # T+ is wilcox.test's V and coin's linear statistic with zero.method = "Wilcoxon"
    assert res.t_plus == getattr(R, f"wilcox_normal_{s}")["statistic"]
    assert res.t_plus == getattr(R, f"coin_wilcoxon_exact_{s}")["linear"]
    # > coin::wilcoxsign_test(..., distribution = "exact", zero.method = "Wilcoxon")
    assert_allclose(res.p_val, getattr(R, f"coin_wilcoxon_exact_{s}")["p_value"], rtol=1e-12)
    assert res.n == getattr(R, f"n_pairs_{s}")
    assert res.n_zero == getattr(R, f"n_zero_{s}")
    # > (tp - tm) / (tp + tm) with zeros dropped before ranking (Kerby 2014)
    rb = getattr(R, f"rank_biserial_{s}")
    assert (res.t_plus, res.t_minus) == (rb["t_plus"], rb["t_minus"])
    assert_allclose(res.rank_biserial, rb["r"], rtol=1e-12)
    assert_allclose(rank_biserial(d), rb["r"], rtol=1e-12)


def test_no_ties_uses_scipy_exact_which_equals_r() -> None:
    res = signed_rank_test(R.d_s1)
    assert res.p_method.startswith("exact signed-rank (scipy; no ties")
    # > wilcox.test(y_s1, x_s1, paired = TRUE, exact = TRUE)
    assert_allclose(res.p_val, R.wilcox_exact_s1["p_value"], rtol=1e-12)


def test_ties_name_the_zero_handling() -> None:
    res = signed_rank_test(R.d_s2)
    assert "exact sign-flip permutation (128 sign patterns" in res.p_method
    assert "3 zero differences dropped (Wilcoxon)" in res.p_method


def brute_force_p(d: np.ndarray) -> float:
    """Every sign pattern of the non-zero |d|, ranked with ties averaged (a second route)."""
    nz = d[d != 0]
    ranks = stats.rankdata(np.abs(nz))
    t_obs = ranks[nz > 0].sum()
    centre = ranks.sum() / 2
    hits = 0
    total = 0
    for signs in product((False, True), repeat=len(nz)):
        t = ranks[np.array(signs, dtype=bool)].sum()
        hits += abs(t - centre) >= abs(t_obs - centre) - 1e-9
        total += 1
    return hits / total


def test_shift_algorithm_equals_enumeration(rng: np.random.Generator) -> None:
    for _ in range(20):
        d = rng.integers(-3, 4, size=int(rng.integers(3, 14))).astype(float)
        if not (d != 0).any():
            continue
        nz = d[d != 0]
        ranks = stats.rankdata(np.abs(nz))
        support, prob = sign_flip_distribution(ranks)
        assert_allclose(prob.sum(), 1.0, rtol=1e-12)
        t_obs = ranks[nz > 0].sum()
        centre = ranks.sum() / 2
        p_shift = prob[np.abs(support - centre) >= abs(t_obs - centre) - 1e-9].sum()
        assert_allclose(p_shift, brute_force_p(d), rtol=1e-10)
        assert_allclose(signed_rank_test(d).p_val, brute_force_p(d), rtol=1e-10)


def test_shift_algorithm_used_above_enumeration(rng: np.random.Generator) -> None:
    d = rng.integers(-2, 4, size=40).astype(float)
    res = signed_rank_test(d)
    assert "shift algorithm" in res.p_method
    # the same distribution with no ties is scipy's exact one
    x = rng.permutation(np.arange(1, 41)) * np.where(rng.random(40) < 0.3, -1.0, 1.0)
    support, prob = sign_flip_distribution(stats.rankdata(np.abs(x)))
    t_obs = stats.rankdata(np.abs(x))[x > 0].sum()
    p = prob[np.abs(support - support[-1] / 2) >= abs(t_obs - support[-1] / 2) - 1e-9].sum()
    assert_allclose(p, stats.wilcoxon(x, method="exact").pvalue, rtol=1e-9)


def test_monte_carlo_close_to_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    d = np.array([1.0, 2, 1, 1, -1, 2, 3, 1, 0, 1, 2, -2, 1, 1, 1, 2, -1, 1, 1, 2])
    exact = signed_rank_test(d)
    monkeypatch.setattr(sr, "MAX_SHIFT_COST", 0)
    mc = signed_rank_test(d, n_perm=50_000, rng=np.random.default_rng(5))
    assert mc.p_method.startswith("Monte Carlo sign-flip permutation (50000 draws")
    # Monte Carlo standard error sqrt(p (1 - p) / m) ~ 0.0005 here: 6 SE
    assert_allclose(mc.p_val, exact.p_val, atol=0.003)
    again = signed_rank_test(d, n_perm=50_000, rng=np.random.default_rng(5))
    assert again.p_val == mc.p_val  # seeded


def test_normal_approximation_for_very_many_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    d = np.tile([1.0, 2, -1, 0, 3], 20)
    monkeypatch.setattr(sr, "MAX_SHIFT_COST", 0)
    monkeypatch.setattr(sr, "MAX_MONTE_CARLO", 10)
    res = signed_rank_test(d)
    assert res.p_method.startswith("normal approximation")
    # > wilcox.test(d, exact = FALSE, correct = FALSE) drops zeros and tie-corrects the variance
    nz = d[d != 0]
    ranks = stats.rankdata(np.abs(nz))
    n = len(nz)
    _, t = np.unique(np.abs(nz), return_counts=True)
    var = n * (n + 1) * (2 * n + 1) / 24 - (t**3 - t).sum() / 48
    z = (ranks[nz > 0].sum() - n * (n + 1) / 4) / np.sqrt(var)
    assert_allclose(res.p_val, 2 * stats.norm.sf(abs(z)), rtol=1e-9)


def test_edge_cases() -> None:
    none = signed_rank_test(np.array([0.0, 0.0]))
    assert np.isnan(none.p_val) and np.isnan(none.rank_biserial)
    assert none.p_method == "no non-zero difference"
    one = signed_rank_test(np.array([2.0]))
    assert one.p_val == 1.0 and one.rank_biserial == 1.0
    with pytest.raises(ValueError, match="NaN"):
        signed_rank_test(np.array([1.0, np.nan]))


def test_weighted_rank_biserial_equals_direct(rng: np.random.Generator) -> None:
    d = rng.integers(-3, 4, size=25).astype(float)
    v = sr.DistinctDifferences.from_differences(d)
    w = rng.multinomial(len(d), v.count / len(d), size=30).astype(float)
    got = sr.weighted_rank_biserial(v, w)
    for row, weights in zip(got, w, strict=True):
        expanded = np.repeat(v.value, weights.astype(int))
        assert_allclose(row, rank_biserial(expanded), rtol=1e-12, equal_nan=True)


def test_bca_close_to_scipy() -> None:
    d = np.array([1.0, 1, 0, 1, 0, 2, 0, -1, 2, 1, 3, -2, 1, 1, 0, -1, 2, 1, 0, 1])
    low, high = rank_biserial_ci(d, n_boot=40_000, rng=np.random.default_rng(1))
    ref = stats.bootstrap(
        (d,), rank_biserial, n_resamples=40_000, method="BCa", rng=2, vectorized=False
    ).confidence_interval
    # Both are Monte Carlo BCa intervals of a discrete statistic: agree to ~0.03.
    assert_allclose([low, high], [ref.low, ref.high], atol=0.03)
    assert low < rank_biserial(d) < high


def test_bca_degenerate_and_seeded() -> None:
    assert np.isnan(
        rank_biserial_ci(np.array([1.0, 2, 3]), n_boot=100, rng=np.random.default_rng(0))
    ).all()
    d = np.array([1.0, -1, 2, 0, 3, -2, 1, 1])
    a = rank_biserial_ci(d, n_boot=500, rng=np.random.default_rng(3))
    b = rank_biserial_ci(d, n_boot=500, rng=np.random.default_rng(3))
    assert a == b


def test_fast_jackknife_equals_leave_one_out(rng: np.random.Generator) -> None:
    for d in (
        rng.integers(-3, 4, size=30).astype(float),
        np.round(rng.normal(0.3, 1, size=40), 1),
        np.array([0.0, 0.0, 1.0, -1.0]),
        np.array([2.0, 0.0]),
    ):
        v = sr.DistinctDifferences.from_differences(d)
        fast = sr.jackknife_rank_biserial(v)
        for k, value in enumerate(v.value):
            rest = np.delete(d, np.flatnonzero(d == value)[0])
            assert_allclose(fast[k], rank_biserial(rest), rtol=1e-12, equal_nan=True)

"""The vectorised kernels give the public scipy functions' p-values on 1,000 random datasets."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from cma_research.stats.power_kernels import (
    kruskal_test,
    mean_score,
    pearson_test,
    rank_rows,
    signed_rank_test,
    spearman_test,
)

S = 1000


def _levels(rng: np.random.Generator, n: int, blank: float = 0.2) -> np.ndarray:
    x = rng.integers(0, 6, (S, n)).astype(float)  # heavy ties, as audit levels
    x[rng.random((S, n)) < blank] = np.nan
    return x


@pytest.mark.parametrize("n", [5, 12, 40])
def test_spearman_equals_scipy(rng: np.random.Generator, n: int) -> None:
    x = _levels(rng, n)
    y = rng.integers(1, 30, (S, n)).astype(float)  # headcounts, with ties
    res = spearman_test(x, y)
    for i in range(S):
        ok = ~np.isnan(x[i])
        if ok.sum() < 3 or np.ptp(x[i, ok]) == 0 or np.ptp(y[i, ok]) == 0:
            assert np.isnan(res.p[i]) and res.reason[i] > 0
            continue
        ref = stats.spearmanr(x[i, ok], y[i, ok])
        assert_allclose(res.p[i], ref.pvalue, rtol=1e-9, atol=1e-14)
        assert_allclose(res.statistic[i], ref.statistic, rtol=1e-12, atol=1e-14)
        assert res.n[i] == ok.sum() and res.reason[i] == 0


def test_pearson_equals_scipy(rng: np.random.Generator) -> None:
    x = rng.normal(size=(S, 9))
    y = 0.4 * x + rng.normal(size=(S, 9))
    res = pearson_test(x, y)
    ref = np.array([stats.pearsonr(a, b).pvalue for a, b in zip(x, y, strict=True)])
    assert_allclose(res.p, ref, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("n", [6, 16, 60])
def test_kruskal_equals_scipy(rng: np.random.Generator, n: int) -> None:
    x = _levels(rng, n) / 3  # mean-like values with ties
    g = rng.choice(4, size=(S, n), p=[0.6, 0.25, 0.1, 0.05])
    res = kruskal_test(x, g, 4)
    checked = 0
    for i in range(S):
        ok = ~np.isnan(x[i])
        groups = [x[i, ok & (g[i] == k)] for k in range(4)]
        groups = [v for v in groups if v.size]
        if len(groups) < 2 or np.ptp(x[i, ok]) == 0:
            assert np.isnan(res.p[i]) and res.reason[i] > 0
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ref = stats.kruskal(*groups)
        assert_allclose(res.p[i], ref.pvalue, rtol=1e-9, atol=1e-14)
        assert_allclose(res.statistic[i], ref.statistic, rtol=1e-9)
        checked += 1
    assert checked > S // 2


@pytest.mark.parametrize("n", [8, 20, 60])
def test_signed_rank_equals_scipy(rng: np.random.Generator, n: int) -> None:
    d = (_levels(rng, n, 0.1) - _levels(rng, n, 0.1)) / 3  # zeros and ties
    res = signed_rank_test(d)
    for i in range(S):
        ok = ~np.isnan(d[i])
        if not np.any(d[i, ok] != 0):
            assert np.isnan(res.p[i]) and res.reason[i] > 0
            continue
        ref = stats.wilcoxon(d[i, ok], zero_method="wilcox", method="approx", correction=False)
        assert_allclose(res.p[i], ref.pvalue, rtol=1e-9, atol=1e-14)
        assert_allclose(res.statistic[i], ref.statistic, rtol=1e-12)


def test_mean_score() -> None:
    levels = np.array([[1.0, 2.0, np.nan], [3.0, 3.0, 0.0], [np.nan, np.nan, np.nan]])
    assert_allclose(mean_score(levels, True), [np.nan, 2.0, np.nan])
    assert_allclose(mean_score(levels, False), [1.5, 2.0, np.nan])


def test_unusable_reasons() -> None:
    x = np.array([[1.0, 1.0, 1.0, 1.0], [1.0, 2.0, np.nan, np.nan]])
    y = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]])
    assert spearman_test(x, y).reason.tolist() == [2, 1]
    assert kruskal_test(y, np.zeros((2, 4), dtype=int), 4).reason.tolist() == [3, 3]
    assert signed_rank_test(np.zeros((1, 5))).reason.tolist() == [1]


@pytest.mark.parametrize("n", [1, 4, 16, 200])
def test_rank_rows_equals_scipy(rng: np.random.Generator, n: int) -> None:
    x = rng.integers(0, 16, (S, n)) / 3
    x[rng.random(x.shape) < 0.25] = np.nan
    x[0] = np.nan  # an empty row
    want = stats.rankdata(x, axis=1, nan_policy="omit")
    got = rank_rows(x)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)], rtol=0, atol=0)

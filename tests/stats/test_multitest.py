"""Holm and Benjamini-Hochberg adjustments against statsmodels' multipletests."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from cma_research.stats.multitest import adjust_p


@pytest.mark.parametrize("method", ["holm", "fdr_bh"])
def test_adjust_p_equals_statsmodels(method: str, rng: np.random.Generator) -> None:
    for _ in range(15):  # statsmodels runs gc.collect() per call: keep it short
        p = rng.random(int(rng.integers(1, 40))) ** 3
        np.testing.assert_allclose(
            adjust_p(p, method), multipletests(p, method=method)[1], rtol=1e-12, atol=0
        )


def test_nan_is_kept_and_not_counted() -> None:
    # Holm by hand for (.01, .04, .03) with m = 3: sorted .01*3 = .03, .03*2 = .06,
    # max(.06, .04*1) = .06 -> (.03, .06, .06)
    out = adjust_p(np.array([0.01, np.nan, 0.04, 0.03]), "holm")
    np.testing.assert_allclose(out, [0.03, np.nan, 0.06, 0.06], rtol=1e-12)
    with pytest.raises(ValueError, match="unknown adjustment"):
        adjust_p(np.array([0.1]), "bonferroni")


# -- against R (tests/analysis/results/results_correlation.py) -----------------------------
# p.adjust of the 10 per-stage p-values, tests/analysis/results/make_results.R.

from tests.analysis.results import results_correlation as R  # noqa: E402


@pytest.mark.parametrize(
    ("method", "expected"), [("holm", R.stage_vs_staff_p_holm), ("fdr_bh", R.stage_vs_staff_p_bh)]
)
def test_adjust_p_equals_p_adjust(method: str, expected: list[float]) -> None:
    # R: p.adjust(p3, "holm") and p.adjust(p3, "BH")
    got = adjust_p(np.array(R.stage_vs_staff_p_value), method)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)

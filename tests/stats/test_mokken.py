"""Loevinger's H and manifest monotonicity against R (by definition) and by hand.

Reference values: ``tests/stats/results/results_mokken.py`` (``make_results.R``, section
``results_mokken.py``; mokken itself is not in Debian, so R computes H from its
definitions).
"""

from __future__ import annotations

import numpy as np
import pytest

from cma_research import ParameterError
from cma_research.stats.mokken import loevinger_h, monotonicity, rest_groups
from tests.stats.results import results_mokken as R
from tests.stats.results import results_reliability as REL


def test_table4_h_matches_r() -> None:
    x = np.asarray(REL.x, dtype=float)
    res = loevinger_h(x)
    np.testing.assert_allclose(res["H"], R.table4_H, rtol=1e-12)
    np.testing.assert_allclose(res["H_items"], R.table4_H_items, rtol=1e-12)
    np.testing.assert_allclose(res["H_pairs"], R.table4_H_pairs, rtol=1e-12)


def test_dichotomous_h_is_one_minus_guttman_errors() -> None:
    d = np.asarray(R.dich, dtype=float)
    res = loevinger_h(d)
    np.testing.assert_allclose(res["H"], R.dich_H_guttman, rtol=1e-12)
    # by hand, the Guttman errors of one pair: items 1 (p = .7) and 3 (p = .4); an error
    # is item 1 failed with item 3 passed: person 10 only; expected 10 * .3 * .4 = 1.2
    f = int(((d[:, 0] == 0) & (d[:, 2] == 1)).sum())
    assert f == 1
    np.testing.assert_allclose(res["H_pairs"][0, 2], 1 - f / 1.2, rtol=1e-12)


def test_perfect_and_independent_items() -> None:
    guttman = np.array([[0, 0, 0], [1, 0, 0], [2, 1, 0], [2, 2, 1], [2, 2, 2]])
    assert loevinger_h(guttman)["H"] == pytest.approx(1.0, abs=1e-12)
    # columns with zero covariance: H = 0
    flat = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    assert loevinger_h(flat)["H"] == 0.0
    with pytest.raises(ParameterError, match="complete data"):
        loevinger_h(np.array([[0, np.nan], [1, 1]]))


def test_rest_groups_merge_to_minsize() -> None:
    rest = np.array([0, 0, 1, 2, 2, 2, 3, 5, 5, 6])
    # from the lowest: {0, 1} (3), {2} (3), {3, 5} (3), {6} (1, joins the one before)
    assert rest_groups(rest, 3).tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]


def test_monotonicity_counts_drops_by_hand() -> None:
    # item 0 against the rest (items 1, 2): rest scores 0, 0, 0, 2, 2, 2 -> two groups
    x = np.array([[1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 1, 1], [0, 1, 1], [1, 1, 1]])
    res = monotonicity(x, minsize=3)
    # P(X0 >= 1): group 1 (rest 0) 3/3, group 2 (rest 2) 1/3: a drop of 2/3 > .03
    assert res[0]["n_groups"] == 2 and res[0]["n_violations"] == 1
    np.testing.assert_allclose(res[0]["max_violation"], 2 / 3, rtol=1e-12)
    np.testing.assert_allclose(res[0]["step_curves"][:, 0], [1.0, 1 / 3], rtol=1e-12)

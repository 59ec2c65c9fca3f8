"""CR2 errors with Satterthwaite df against clubSandwich, and by hand.

Reference values: ``tests/analysis/results/results_models.py`` (the linear model of the
137 cells, ``t4_lm_cr2_*``) and ``results_model_checks.py`` (the size OLS, ``ols_cr2``).
"""

from __future__ import annotations

import numpy as np
import pytest

from cma_research import ParameterError
from cma_research.stats.sandwich import cr2_ols
from tests.analysis.results import results_model_checks as MC
from tests.analysis.results import results_models as RM


def long_cells() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    level = np.asarray(RM.long_level, dtype=float)
    staff = dict(zip(RM.t4_business_id, RM.t4_staff, strict=True))
    groups = np.asarray(RM.long_business_id)
    x = np.column_stack([np.ones(len(level)), np.log([staff[b] for b in groups])])
    return level, x, groups


def test_cells_match_clubsandwich() -> None:
    y, x, g = long_cells()
    fit = cr2_ols(y, x, g)
    ref = RM.t4_lm_cr2_satterthwaite
    np.testing.assert_allclose(fit.coef, ref["beta"], rtol=1e-12)
    np.testing.assert_allclose(fit.vcov, RM.t4_lm_cr2_vcov, rtol=1e-10)
    np.testing.assert_allclose(fit.se, ref["se"], rtol=1e-10)
    np.testing.assert_allclose(fit.df, ref["df"], rtol=1e-8)
    np.testing.assert_allclose(fit.p_values(), ref["p_value"], rtol=1e-8)


def test_one_row_per_cluster_is_hc2() -> None:
    # with each observation its own cluster CR2 is HC2: e_i^2 / (1 - h_ii) in the meat
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(10), rng.normal(size=10)])
    y = x @ [1.0, 2.0] + rng.normal(size=10)
    fit = cr2_ols(y, x, np.arange(10))
    m = np.linalg.inv(x.T @ x)
    h = np.einsum("ij,jk,ik->i", x, m, x)
    e = y - x @ fit.coef
    hc2 = m @ (x.T * (e**2 / (1 - h))) @ x @ m
    np.testing.assert_allclose(fit.vcov, hc2, rtol=1e-10)
    with pytest.raises(ParameterError, match="at least 2 clusters"):
        cr2_ols(y, x, np.zeros(10))


def test_size_ols_matches_clubsandwich() -> None:
    import cma_research as cma

    fit = cma.fit_size_model(cma.datasets.customer_wise_2007(), cov_type="CR2")
    ref = MC.ols_cr2
    np.testing.assert_allclose(fit["estimate"], ref["beta"], rtol=1e-12)
    np.testing.assert_allclose(fit["std_error"], ref["se"], rtol=1e-10)
    np.testing.assert_allclose(fit["df_resid"], ref["df"], rtol=1e-8)
    np.testing.assert_allclose(fit["p_val"], ref["p_value"], rtol=1e-8)
    assert fit["cov_type"].iloc[0] == "CR2 by business (12 clusters), Satterthwaite df"

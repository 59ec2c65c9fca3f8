"""One-factor omega against psych::omega / psych::fa and hand calculations."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cma_research.core.errors import ParameterError
from cma_research.stats.omega import minres_one_factor, ml_one_factor, omega_from_correlation
from tests.stats.results import results_polychoric as rp
from tests.stats.results import results_reliability as rr

R = np.corrcoef(rr.x.astype(float), rowvar=False)


def test_minres_loadings_match_psych_fa() -> None:
    # psych::fa(cor(x), nfactors = 1, fm = "minres"): optim's default tolerance, ~1e-6
    assert_allclose(minres_one_factor(R).loadings, rr.omega1_loadings_fa, atol=5e-6)


def test_minres_is_at_least_as_good_as_psych() -> None:
    iu = np.triu_indices(10, 1)

    def objective(lv: np.ndarray) -> float:
        return float(np.sum((R[iu] - np.outer(lv, lv)[iu]) ** 2))

    fit = minres_one_factor(R)
    assert objective(fit.loadings) <= objective(rr.omega1_loadings_fa) + 1e-14
    assert fit.converged and not fit.heywood


def test_omega_total_matches_psych_omega() -> None:
    total, model, _ = omega_from_correlation(R)
    # psych::omega(x, nfactors = 1)$omega.tot and the model-implied variant (by hand in R)
    assert_allclose(total, rr.omega1_total, rtol=1e-6)
    assert_allclose(model, rr.omega1_model_implied, rtol=1e-6)


def test_ml_matches_psych_and_the_project_notes() -> None:
    # psych::fa(fm = "ml") stops early (its objective is ~1e-9 above ours): loadings ~1e-5
    fit = ml_one_factor(R)
    assert_allclose(fit.loadings, rp.omega1_ml_loadings, atol=2e-5)
    total, model, _ = omega_from_correlation(R, "ml")
    assert_allclose(total, rp.omega1_ml_total, rtol=1e-6)
    assert_allclose(model, rp.omega1_ml_model_implied, rtol=1e-6)
    # the project notes quote these values to 4 decimals
    assert round(total, 4) == 0.8594 and round(model, 4) == 0.8633


def test_exact_one_factor_matrix_by_hand() -> None:
    lv = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    r = np.outer(lv, lv)
    np.fill_diagonal(r, 1)
    for fm in ("minres", "ml"):
        total, model, fit = omega_from_correlation(r, fm)
        assert_allclose(fit.loadings, lv, atol=1e-6)
        unique = np.sum(1 - lv**2)
        assert_allclose(total, 1 - unique / r.sum(), rtol=1e-6)
        # for an exact one-factor matrix sum(R) = sum(l)^2 + sum(1 - l^2): both forms agree
        assert_allclose(model, lv.sum() ** 2 / (lv.sum() ** 2 + unique), rtol=1e-6)
        assert_allclose(total, model, rtol=1e-6)


def test_refuses_bad_input() -> None:
    with pytest.raises(ParameterError, match="at least 3"):
        minres_one_factor(np.eye(2))
    with pytest.raises(ParameterError, match="NaN"):
        omega_from_correlation(np.full((3, 3), np.nan))
    with pytest.raises(ParameterError, match="fm='pa'"):
        omega_from_correlation(R, "pa")

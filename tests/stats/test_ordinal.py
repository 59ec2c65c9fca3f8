"""fit_polr: the proportional-odds ML optimum and its covariances against MASS::polr."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from statsmodels.miscmodels.ordinal_model import OrderedModel

from cma_research.core.errors import ParameterError
from cma_research.stats.ordinal import fit_polr
from tests.stats.results import results_ordinal as RM
from tests.stats.results import results_ordinal as RO


def housing() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MASS::housing as category codes, the treatment-coded design and the weights."""
    sat = np.array([["Low", "Medium", "High"].index(v) for v in RM.housing_sat])
    infl, typ, cont = (np.array(v) for v in (RM.housing_infl, RM.housing_type, RM.housing_cont))
    x = np.column_stack(
        [infl == "Medium", infl == "High", typ == "Apartment", typ == "Atrium",
         typ == "Terrace", cont == "High"]
    ).astype(float)  # fmt: skip
    return sat, x, RM.housing_freq.astype(float)


def test_fit_polr_reaches_the_housing_optimum() -> None:
    # R: MASS::polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE)
    y, x, w = housing()
    fit = fit_polr(y, x, weights=w)
    assert fit.max_abs_gradient < 1e-9 and fit.n_obs == RO.housing_nobs
    # polr stops at reltol 1e-8 (~5e-7 relative from the optimum): 1e-6 of its estimates,
    # 1e-7 of its reltol = 1e-15 refit
    np.testing.assert_allclose(fit.beta, RO.housing_coef, rtol=1e-6)
    np.testing.assert_allclose(fit.zeta, RO.housing_zeta, rtol=1e-6)
    np.testing.assert_allclose(fit.beta, RO.housing_coef_tight, rtol=1e-7)
    np.testing.assert_allclose(fit.zeta, RO.housing_zeta_tight, rtol=1e-7)
    np.testing.assert_allclose(fit.loglik, RO.housing_loglik_tight, rtol=1e-12)
    # every threshold has its SE (polr's vcov inverts a finite-difference Hessian: 1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov_naive())), RO.housing_se_tight, rtol=1e-6)
    # statsmodels' BFGS alone stops short of the optimum by more than 1e-6
    model = OrderedModel(np.repeat(y, w.astype(int)), np.repeat(x, w.astype(int), axis=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bfgs = model.fit(method="bfgs", disp=False, maxiter=2000)
    assert np.max(np.abs(np.asarray(bfgs.params)[:6] / RO.housing_coef_tight - 1)) > 1e-6


def test_fit_polr_errors() -> None:
    with pytest.raises(ParameterError, match="all occur"):
        fit_polr(np.array([0, 0, 2, 2]), np.arange(4.0))


def test_fit_polr_fractional_weights_and_cluster_errors() -> None:
    # scaling the weights leaves the maximum where it is; halves are not whole numbers, so
    # Newton starts from the marginal cumulative logits (beta = 0) instead of statsmodels
    y, x, w = housing()
    half = fit_polr(y, x, weights=w / 2.0)
    assert not np.allclose(w / 2.0, np.round(w / 2.0))
    np.testing.assert_allclose(half.beta, RO.housing_coef_tight, rtol=1e-7)
    np.testing.assert_allclose(half.zeta, RO.housing_zeta_tight, rtol=1e-7)
    with pytest.raises(ParameterError, match="at least 2 clusters"):
        fit_polr(y, x, weights=w).vcov_cluster(np.zeros(len(y)))

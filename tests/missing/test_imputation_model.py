"""The congenial imputation model of strategy ``multiple``: mice's quickpred, against R.

Reference values: ``tests/analysis/results/results_imputation.py`` (``make_results.R``,
section ``results_imputation.py``): ``mice::quickpred`` on Table 4's stages with
``log_staff``, and ``mice::mice`` (pmm, m = 400) with the package's predictor matrix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import cma_research as cma
from cma_research.missing.mice import MIN_RESIDUAL_DF, mice_pmm, quickpred
from cma_research.missing.strategies import auxiliary_columns, clean, imputation_model
from tests.analysis.results import results_imputation as R


def table4_with_size() -> np.ndarray:
    cohort = cma.datasets.customer_wise_2007()
    aux = auxiliary_columns(cohort)
    assert list(aux.columns) == ["log_staff"]
    return np.hstack([cohort.scores.to_numpy(float, na_value=np.nan), aux.to_numpy(float)])


def test_quickpred_is_mices() -> None:
    d = table4_with_size()
    # quickpred(d, mincor = 0.1, include = "log_staff")
    assert quickpred(d, include=(10,)).astype(int).tolist() == R.quickpred
    # quickpred(d, mincor = 0.3, minpuc = 0.5): other thresholds, nothing forced in
    assert quickpred(d, mincor=0.3, minpuc=0.5).astype(int).tolist() == R.quickpred_mincor_03


def test_residual_df_cap_keeps_the_most_correlated() -> None:
    d = table4_with_size()
    full = quickpred(d, include=(10,))
    capped = quickpred(d, include=(10,), min_residual_df=MIN_RESIDUAL_DF)
    assert capped.astype(int).tolist() == R.package_predictors  # the matrix R imputed with
    n_obs = (~np.isnan(d)).sum(axis=0)
    for j in range(10):
        chosen = np.flatnonzero(capped[j])
        assert set(chosen) <= set(np.flatnonzero(full[j])) and capped[j, 10]
        assert len(chosen) <= max(n_obs[j] - 1 - MIN_RESIDUAL_DF, 1)
    # stage_7 (12 observed): 6 predictors, size and the five stages most correlated with it
    # or with its being assessed (pairwise-complete |r|, by hand below)
    j = 6
    strength = {}
    for k in range(10):
        if k == j:
            continue
        ok = ~np.isnan(d[:, j]) & ~np.isnan(d[:, k])
        r_val = abs(np.corrcoef(d[ok, j], d[ok, k])[0, 1])
        okk = ~np.isnan(d[:, k])
        r_obs = abs(np.corrcoef((~np.isnan(d[okk, j])).astype(float), d[okk, k])[0, 1])
        strength[k] = max(r_val, r_obs)
    top = sorted(strength, key=lambda k: -strength[k])[:5]
    assert set(np.flatnonzero(capped[j])) == {*top, 10}
    table = imputation_model(cma.datasets.customer_wise_2007())
    assert (table["residual_df"] >= MIN_RESIDUAL_DF).all()
    assert table["predictors"].str.endswith("log_staff").all()


def test_imputations_agree_with_mice_with_the_same_predictor_matrix() -> None:
    cohort = cma.datasets.customer_wise_2007()
    imps = clean(cohort, "multiple", m=100, seed=11).cohorts
    staff = cohort.attributes["staff"].to_numpy(float)
    z = [np.arctanh(stats.spearmanr(c.scores.to_numpy(float).mean(axis=1), staff).statistic)
         for c in imps]  # fmt: skip
    # mice(d, m = 400, method = "pmm", predictorMatrix = pkg): pooled Fisher-z rho of the
    # mean level with staff, between-imputation SD 0.058 -> SE of a 100-mean 0.006
    np.testing.assert_allclose(np.tanh(np.mean(z)), R.mice_rho_mean_staff, atol=0.03)
    s7 = np.mean([c.scores["stage_7"].to_numpy(float).mean() for c in imps])
    np.testing.assert_allclose(s7, R.mice_stage_7_mean, atol=0.06)  # SD 0.15 / 10 = 0.015


def _cohort_80(tmp_path: Path) -> tuple[cma.Cohort, float]:
    """SYNTHETIC: 80 businesses; stage_7 rises with log staff, half its cells blank at
    random (MCAR); the other stages share a general factor only."""
    rng = np.random.default_rng(2007)
    n = 80
    log_staff = rng.normal(1.5, 1.0, n)
    general = rng.normal(size=n)
    levels = {}
    for s in range(1, 11):
        latent = 0.6 * general + 0.8 * rng.normal(size=n)
        if s == 7:
            latent = 1.5 * (log_staff - 1.5) + 0.5 * rng.normal(size=n)
        levels[str(s)] = np.clip(np.round(latent + 2.5), 0, 5).astype(int)
    staff = np.maximum(np.round(np.exp(log_staff)), 1).astype(int)
    full_rho = float(stats.spearmanr(levels["7"], staff).statistic)
    frame = pd.DataFrame({"Staff No": staff, "Type": "shop", **levels})
    frame["7"] = frame["7"].astype("Int64")
    frame.loc[rng.choice(n, n // 2, replace=False), "7"] = pd.NA
    path = tmp_path / "synthetic_80.csv"
    frame.to_csv(path, index=False)
    return cma.load_returns(path), full_rho


def test_size_in_the_model_keeps_its_correlation(tmp_path: Path) -> None:
    # the check: a stage that depends on size, half blank at random
    cohort, full_rho = _cohort_80(tmp_path)
    assert full_rho > 0.8
    pooled = cma.correlate(cohort, "staff", "stage_7", strategy="multiple", m=10, seed=1)
    available = cma.correlate(cohort, "staff", "stage_7", strategy="available_case", n_perm=0)
    assert abs(float(pooled["r"].iloc[0]) - full_rho) < 0.1
    assert abs(float(available["r"].iloc[0]) - full_rho) < 0.1
    # without size in the imputation model (the former model: stages only), the
    # correlation is pulled towards 0
    values = cohort.scores.to_numpy(float, na_value=np.nan)
    staff = cohort.attributes["staff"].to_numpy(float)
    stages_only = mice_pmm(values, 10, 1)
    z = np.mean([np.arctanh(stats.spearmanr(v[:, 6], staff).statistic) for v in stages_only])
    assert np.tanh(z) < full_rho - 0.25

"""cma.omega (total and hierarchical omega), ordinal alpha and polychoric stage correlations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import cma_research as cma
from cma_research.analysis.omega import ci_columns, omega, ordinal_alpha
from cma_research.core.errors import ParameterError
from cma_research.stats.omega import omega_from_correlation
from cma_research.stats.polychoric import polychoric, polychoric_matrix, smooth_correlation
from cma_research.stats.schmid import SchmidLeiman, schmid_leiman
from tests.stats.results import results_polychoric as rp
from tests.stats.results import results_reliability as rr
from tests.stats.results import results_schmid as rs

R = np.corrcoef(rr.x.astype(float), rowvar=False)


def test_omega_matches_psych(cohort: cma.Cohort) -> None:
    res = omega(cohort, n_boot=0)
    assert len(res) == 1
    row = res.iloc[0]
    assert row["n"] == 12 and row["k"] == 10 and row["fm"] == "minres"
    # psych::omega(x, nfactors = 1)$omega.tot on the 12 complete cases
    assert_allclose(row["omega_total"], rr.omega1_total, rtol=1e-6)
    assert_allclose(row["omega_model"], rr.omega1_model_implied, rtol=1e-6)
    assert np.isnan(row["ci95_low"]) and row["ci_method"] == "not computed (n_boot=0)"
    assert np.isnan(row["omega_hierarchical"])
    ml = omega(cohort, fm="ml", n_boot=0).iloc[0]
    assert_allclose(ml["omega_total"], rp.omega1_ml_total, rtol=1e-6)  # the notes' 0.8594


def test_omega_bootstrap_by_hand(cohort: cma.Cohort) -> None:
    res = omega(cohort, n_boot=60, seed=3, confidence=0.9).iloc[0]
    x = cma.clean(cohort, "complete_case").cohort.scores.to_numpy(dtype=float)
    rng = np.random.default_rng(3)
    boots = []
    for _ in range(60):
        xb = x[rng.integers(0, 12, 12)]
        if np.any(np.ptp(xb, axis=0) == 0):
            continue
        boots.append(omega_from_correlation(np.corrcoef(xb, rowvar=False))[0])
    assert res["n_boot_used"] == len(boots)
    assert_allclose(
        [res["ci90_low"], res["ci90_high"]], np.quantile(boots, [0.05, 0.95]), rtol=1e-10
    )
    assert res["ci90_low"] < res["omega_total"] < res["ci90_high"]
    again = omega(cohort, n_boot=60, seed=3, confidence=0.9)
    pd.testing.assert_frame_equal(again, res.to_frame().T.astype(again.dtypes.to_dict()))


def test_omega_refusals(cohort: cma.Cohort) -> None:
    with pytest.raises(ParameterError, match="fm='pa'"):
        omega(cohort, fm="pa")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="n_boot"):
        omega(cohort, n_boot=-1)
    with pytest.raises(ParameterError, match="confidence"):
        omega(cohort, confidence=1.5)
    with pytest.raises(ParameterError, match="complete data"):
        omega(cohort, strategy="available_case")
    scores = cohort.scores.copy()
    scores["stage_3"] = pd.array([2] * len(scores), dtype="Int64")
    flat = cma.Cohort(
        scores=scores,
        attributes=cohort.attributes,
        instrument=cohort.instrument,
        source=cohort.source,
    )
    with pytest.raises(ParameterError, match="stage_3"):
        omega(flat)
    with pytest.raises(ParameterError, match=r"stage_3.*one observed level"):
        ordinal_alpha(flat)
    with pytest.raises(ParameterError, match="stage_3"):
        cma.stage_correlations(flat, "polychoric")


def test_ordinal_alpha_matches_psych(cohort: cma.Cohort) -> None:
    res = cma.cronbach_alpha(cohort, ordinal=True)
    pd.testing.assert_frame_equal(res, ordinal_alpha(cohort))
    row = res.iloc[0]
    assert row["n"] == 12 and row["k"] == 10 and row["correlation"] == "polychoric (smoothed)"
    # the same formula on R's tightly solved polychoric matrix, smoothed as psych does:
    # differs from ours only through stage_6 x stage_7 (flat likelihood near 1)
    tight, _ = smooth_correlation(rp.rho_tight)
    ours, _, _, _ = polychoric_matrix(rr.x.astype(float))
    ours[5, 6] = ours[6, 5] = rp.rho_tight[5, 6]
    ours, _ = smooth_correlation(ours)
    assert_allclose(ours, tight, atol=1e-6)
    k = 10
    by_hand = (
        k
        / (k - 1)
        * (1 - k / smooth_correlation(polychoric_matrix(rr.x.astype(float))[0])[0].sum())
    )
    assert_allclose(row["alpha"], by_hand, rtol=1e-12)
    # psych::alpha(psych::polychoric(x, correct = 0)$rho): psych's rho has ~1e-4 tolerance
    assert_allclose(row["alpha"], rr.ordinal_alpha_c0, atol=2e-4)
    assert row["alpha"] == row["std_alpha"]


def test_ci_columns() -> None:
    assert ci_columns(0.95) == ("ci95_low", "ci95_high")
    assert ci_columns(0.8) == ("ci80_low", "ci80_high")
    assert ci_columns(0.999) == ("ci99_9_low", "ci99_9_high")


def test_stage_correlations_polychoric(cohort: cma.Cohort) -> None:
    sc = cma.stage_correlations(cohort, "polychoric")
    spearman = cma.stage_correlations(cohort)
    assert list(sc.columns) == [*spearman.columns[:5], "se", *spearman.columns[5:]]
    assert len(sc) == 45 and (sc["method"] == "polychoric").all()
    pd.testing.assert_series_equal(sc["n"], spearman["n"])  # same pairwise n
    values = cohort.scores.to_numpy(dtype=float, na_value=np.nan)
    row = sc.iloc[7]  # stage_1 x stage_9
    ok = ~np.isnan(values[:, 0]) & ~np.isnan(values[:, 8])
    res = polychoric(values[ok, 0], values[ok, 8])
    assert_allclose([row["r"], row["se"], row["p_val"]], [res.rho, res.se, res.p_value], rtol=1e-12)
    z, half = np.arctanh(res.rho), 1.959963984540054 * res.se / (1 - res.rho**2)
    assert_allclose([row["ci95_low"], row["ci95_high"]], np.tanh([z - half, z + half]), rtol=1e-12)
    assert row["n"] == int(ok.sum())
    # complete cases: the R two-step values
    cc = cma.stage_correlations(cohort, "polychoric", strategy="complete_case")
    assert_allclose(cc.loc[0, "r"], rp.rho_tight[0, 1], atol=2e-7)
    assert (cc["n"] == 12).all()
    assert (sc["p_adj"] >= sc["p_val"]).all()


# -- hierarchical omega (Schmid-Leiman), against R (results_reliability.py, results_schmid.py)


def test_omega_default_is_the_one_factor_total(cohort: cma.Cohort) -> None:
    row = omega(cohort, n_boot=0).iloc[0]
    assert row["nfactors"] == 1 and np.isnan(row["omega_limit"])
    assert np.isnan(row["omega_hierarchical"])
    assert row["omega_hierarchical_method"].startswith("not meaningful with one factor")
    assert not row["heywood"] and row["converged"] and row["note"] == ""


def test_omega_hierarchical_matches_psych(cohort: cma.Cohort) -> None:
    res = omega(cohort, nfactors=3, n_boot=0)
    row = res.iloc[0]
    assert row["n"] == 12 and row["k"] == 10 and row["nfactors"] == 3
    # psych::omega(x) (ultra-Heywood; psych's fit stops early): measured |diff| omega.tot
    # 1.7e-6, omega_h 1.7e-5, omega.lim 2.0e-5 (tests/stats/test_schmid.py)
    assert_allclose(row["omega_total"], rr.omega3_total, atol=1e-5)
    assert_allclose(row["omega_hierarchical"], rr.omega3_hierarchical, atol=5e-5)
    assert_allclose(row["omega_limit"], rr.omega3_limit, atol=5e-5)
    sl = schmid_leiman(R, 3)
    assert_allclose(
        [row["omega_total"], row["omega_hierarchical"], row["omega_limit"]],
        [sl.omega_total, sl.omega_hierarchical, sl.omega_limit],
        rtol=1e-12,
    )
    # model-implied variance by hand: c = sum(L L') of the orthogonal loadings
    common = float((sl.orthogonal @ sl.orthogonal.T).sum())
    assert_allclose(row["omega_model"], common / (common + sl.u2.sum()), rtol=1e-12)
    assert row["omega_hierarchical_method"] == "Schmid-Leiman, 3 oblimin factors, minres"
    # psych warns "An ultra-Heywood case was detected": stage_5's communality is 1.0019
    assert row["heywood"] and row["converged"]
    assert row["note"] == (
        "ultra-Heywood case: a communality above 1 (stage_5); examine the results carefully"
    )
    assert rr.omega3_warnings[-1].startswith("An ultra-Heywood case was detected")


def test_omega_two_factors_matches_psych(cohort: cma.Cohort) -> None:
    row = omega(cohort, nfactors=2, n_boot=0).iloc[0]
    # psych::omega(x, nfactors = 2): measured |diff| 1.6e-6 (omega_h), 1.1e-8 (omega.tot)
    assert_allclose(row["omega_hierarchical"], rs.t4_omega2_hierarchical, atol=1e-5)
    assert_allclose(row["omega_total"], rs.t4_omega2_total, atol=1e-6)
    assert_allclose(row["omega_limit"], rs.t4_omega2_limit, atol=1e-5)
    assert "set equal (sqrt(phi_12)" in row["omega_hierarchical_method"]
    assert "needs 3 factors to be identified" in row["omega_hierarchical_method"]
    assert not row["heywood"] and row["note"] == ""


def test_omega_hierarchical_bootstrap_by_hand(cohort: cma.Cohort) -> None:
    res = omega(cohort, nfactors=3, n_boot=12, seed=5).iloc[0]
    x = cma.clean(cohort, "complete_case").cohort.scores.to_numpy(dtype=float)
    rng = np.random.default_rng(5)
    boots = []
    for _ in range(12):
        xb = x[rng.integers(0, 12, 12)]
        if np.any(np.ptp(xb, axis=0) == 0):
            continue
        sl = schmid_leiman(np.corrcoef(xb, rowvar=False), 3)
        if sl.converged:
            boots.append(sl.omega_total)
    assert res["n_boot_used"] == len(boots) > 0
    assert_allclose(
        [res["ci95_low"], res["ci95_high"]], np.quantile(boots, [0.025, 0.975]), rtol=1e-10
    )


def test_omega_not_converged_gives_nan_with_the_reason(
    cohort: cma.Cohort, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cma_research.analysis.omega as mod

    def stuck(r: np.ndarray, nfactors: int) -> SchmidLeiman:
        return dataclasses.replace(schmid_leiman(r, nfactors), rotation_converged=False)

    monkeypatch.setattr(mod, "schmid_leiman", stuck)
    row = omega(cohort, nfactors=3, n_boot=3).iloc[0]
    assert np.isnan(row["omega_total"]) and np.isnan(row["omega_hierarchical"])
    assert row["omega_hierarchical_method"] == (
        "not estimated: the rotation of the 3-factor solution did not converge"
    )
    assert not row["converged"] and row["n_boot_used"] == 0 and np.isnan(row["ci95_low"])
    assert row["ci_method"] == "not computed (the solution did not converge)"


def test_omega_nfactors_refusals(cohort: cma.Cohort) -> None:
    with pytest.raises(ParameterError, match="nfactors=0 must be a whole number >= 1"):
        omega(cohort, nfactors=0)
    with pytest.raises(ParameterError, match=r"nfactors=1\.5"):
        omega(cohort, nfactors=1.5)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"nfactors=7 is too many for 10 items"):
        omega(cohort, nfactors=7, n_boot=0)
    with pytest.raises(ParameterError, match="fm='ml' with nfactors=3"):
        omega(cohort, fm="ml", nfactors=3)

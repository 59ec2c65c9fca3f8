"""simulate_power / sample_size: against pwr::pwr.r.test and Hmisc::popower, calibration,
seeds independent of jobs, and the refusals."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import optimize, special, stats

import cma_research as cma
from cma_research.analysis.power import calibrate, sample_size, simulate_power
from cma_research.core.errors import ParameterError
from cma_research.stats.power_kernels import kruskal_test
from tests.analysis.results import results_power as rp
from tests.paths import ROOT


def test_pearson_power_matches_pwr_r_test() -> None:
    # pwr::pwr.r.test(n = c(16, 30, 50), r = 0.5) is an arctanh approximation (its error
    # is below 0.01 here); tolerance 4 Monte-Carlo SE + 0.01
    res = simulate_power("bivariate_normal", [16, 30, 50], effect=0.5, n_sims=4000, seed=11)
    assert res["n"].tolist() == [16, 30, 50]
    for power, se, ref in zip(res["power"], res["mc_se"], rp.pwr_r_power, strict=True):
        assert abs(power - ref) < 4 * se + 0.01
    null = simulate_power("bivariate_normal", 20, effect=0.0, n_sims=4000, seed=12).iloc[0]
    assert abs(null["power"] - 0.05) < 4 * null["mc_se"]  # exact size of the t test


def _po_groups(p: np.ndarray, odds_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative probabilities of two groups under proportional odds whose average is
    the pooled cumulative distribution of ``p`` (as popower's ``p``)."""
    cum = np.cumsum(p)[:-1]
    shift = np.log(odds_ratio)
    a = np.array(
        [
            optimize.brentq(
                lambda t, c=c: (special.expit(t) + special.expit(t - shift)) / 2 - c, -30, 30
            )
            for c in cum
        ]
    )
    return special.expit(a), special.expit(a - shift)


@pytest.mark.parametrize(
    ("key", "p", "odds_ratio", "n"),
    [("a", [0.2, 0.3, 0.3, 0.2], 2.0, 60), ("b", [1 / 6] * 6, 2.5, 40)],
)
def test_two_group_ordinal_power_matches_popower(
    key: str, p: list[float], odds_ratio: float, n: int
) -> None:
    # Hmisc::popower (Whitehead 1993) approximates the PO score test, which the
    # Wilcoxon / 2-group Kruskal-Wallis test is; tolerance 4 Monte-Carlo SE + 0.03
    rng = np.random.default_rng(5)
    c1, c2 = _po_groups(np.array(p), odds_ratio)
    s, half = 4000, n // 2
    u = rng.random((s, n))
    cuts = np.vstack([np.tile(c1, (half, 1)), np.tile(c2, (half, 1))])
    y = (u[..., None] > cuts[None]).sum(axis=-1).astype(float)
    groups = np.tile(np.r_[np.zeros(half, int), np.ones(half, int)], (s, 1))
    res = kruskal_test(y, groups, 2)
    power = float(np.mean(res.p < 0.05))
    se = np.sqrt(power * (1 - power) / s)
    assert abs(power - getattr(rp, f"popower_{key}")["power"]) < 4 * se + 0.03


def test_calibrated_simulation_reproduces_the_cohort(cohort: cma.Cohort) -> None:
    model = calibrate(cohort)
    rng = np.random.default_rng(7)
    sims = model.observe(model.latent(rng, (500, 16)), rng).reshape(-1, model.k)
    values = cohort.scores.to_numpy(dtype=float, na_value=np.nan)
    m = sims.shape[0]
    for j in range(model.k):
        blank_sim = np.isnan(sims[:, j]).mean()
        blank_obs = np.isnan(values[:, j]).mean()
        assert abs(blank_sim - blank_obs) < 4 * np.sqrt(blank_obs * (1 - blank_obs) / m)
        obs = values[:, j][~np.isnan(values[:, j])]
        got = sims[:, j][~np.isnan(sims[:, j])]
        for level in range(6):
            want = np.mean(obs == level)
            share = np.mean(got == level)
            assert abs(share - want) < 4 * np.sqrt(max(want * (1 - want), 1e-12) / got.size) + 1e-12
    # the share of complete businesses follows from the resampled blank patterns
    complete_obs = np.mean(~np.isnan(values).any(axis=1))
    complete_sim = np.mean(~np.isnan(sims).any(axis=1))
    assert abs(complete_sim - complete_obs) < 4 * np.sqrt(complete_obs * (1 - complete_obs) / m)
    # the latent correlation is the smoothed polychoric matrix: positive definite
    assert np.linalg.eigvalsh(model.correlation).min() > 0


def test_results_do_not_depend_on_jobs(cohort: cma.Cohort) -> None:
    kwargs = {"effect": [0.0, 0.5], "calibrate": cohort, "n_sims": 600, "seed": 3}
    one = simulate_power("size_correlation", [16, 30], **kwargs, jobs=1)  # type: ignore[arg-type]
    two = simulate_power("size_correlation", [16, 30], **kwargs, jobs=2)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(one, two)
    assert one["n"].tolist() == [16, 16, 30, 30]
    assert (
        one.loc[one["effect"] == 0.5, "power"].to_numpy()
        > one.loc[one["effect"] == 0.0, "power"].to_numpy()
    ).all()
    other = simulate_power("size_correlation", [16, 30], **{**kwargs, "seed": 4})  # type: ignore[arg-type]
    assert not other["power"].equals(one["power"])


def test_size_correlation_null_and_columns(cohort: cma.Cohort) -> None:
    res = simulate_power("size_correlation", 40, effect=0.0, calibrate=cohort, n_sims=2000, seed=9)
    assert list(res.columns) == [
        "design", "n", "effect", "observed_spearman", "power", "mc_se", "median_ci_width",
        "n_sims", "n_unusable", "unusable_reasons", "alpha", "strategy", "calibrated_on",
    ]  # fmt: skip
    assert set(res["calibrated_on"]) == {"wave '1' (16 businesses)"}
    row = res.iloc[0]
    assert abs(row["observed_spearman"]) < 0.02  # latent 0 is observed 0 (sampling SD .003)
    assert abs(row["power"] - 0.05) < 4 * np.sqrt(0.05 * 0.95 / 2000) + 0.01  # t approximation
    assert_allclose(row["mc_se"], np.sqrt(row["power"] * (1 - row["power"]) / 2000), rtol=1e-12)


def test_group_difference_counts_unusable(cohort: cma.Cohort) -> None:
    res = simulate_power(
        "group_difference", 12, effect=0.3, calibrate=cohort, n_sims=500, seed=2
    ).iloc[0]
    # most bundled businesses are micro: many simulated samples have a single size band
    assert res["n_unusable"] > 0 and "fewer than 2 groups" in res["unusable_reasons"]
    assert np.isnan(res["median_ci_width"])


def _two_waves(cohort: cma.Cohort) -> cma.Cohort:
    first = cohort.scores
    second = first.copy()
    rng = np.random.default_rng(1)
    moved = second.to_numpy(dtype=float, na_value=np.nan) + rng.integers(0, 2, second.shape)
    second = pd.DataFrame(np.clip(moved, 0, 5), index=second.index, columns=second.columns).astype(
        "Int64"
    )
    second.index = second.index.set_levels([2], level="wave")
    keep = ~second.index.get_level_values("business_id").isin(["B02", "B03", "B04", "B05"])
    scores = pd.concat([first, second[keep]])
    attrs = pd.concat([cohort.attributes, cohort.attributes.set_axis(second.index)[keep]])
    return cma.Cohort(
        scores=scores, attributes=attrs, instrument=cohort.instrument, source=cohort.source
    )


def test_paired_change_calibrates_on_two_waves(cohort: cma.Cohort) -> None:
    two = _two_waves(cohort)
    model = calibrate(two)
    assert_allclose(model.attrition, 4 / 16, rtol=1e-12)
    assert model.wave_correlation is not None and 0 < model.wave_correlation < 1
    res = simulate_power("paired_change", 30, effect=[0.0, 0.5], calibrate=two, n_sims=1000, seed=1)
    assert res.loc[0, "power"] < 0.05 + 4 * np.sqrt(0.05 * 0.95 / 1000)
    assert res.loc[1, "power"] > res.loc[0, "power"]
    explicit = simulate_power(
        "paired_change", 30, effect=0.5, calibrate=cohort, wave_correlation=0.6, attrition=0.2,
        n_sims=200, seed=1,
    )  # fmt: skip
    assert explicit.loc[0, "n_sims"] == 200


def test_sample_size_and_detectable_effect() -> None:
    res = sample_size("bivariate_normal", 0.8, effect=0.5, n_sims=2000, seed=1).iloc[0]
    # pwr::pwr.r.test(r = 0.5, power = 0.8)$n = 28.25 (ceiling 29)
    assert res["solved_for"] == "n" and 25 <= res["n"] <= 33
    assert res["power"] >= 0.8
    mde = sample_size("bivariate_normal", 0.8, n=16, n_sims=2000, seed=1).iloc[0]
    # pwr::pwr.r.test(n = 16, power = 0.8)$r = 0.640
    assert mde["solved_for"] == "effect" and abs(mde["effect"] - rp.pwr_r_r_detectable_n16) < 0.05


def test_refusals(cohort: cma.Cohort) -> None:
    with pytest.raises(ParameterError, match="design='anova'"):
        simulate_power("anova", 16, effect=0.5, calibrate=cohort)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="n_sims=99"):
        simulate_power("size_correlation", 16, effect=0.5, calibrate=cohort, n_sims=99)
    with pytest.raises(ParameterError, match="outside the possible range"):
        simulate_power("size_correlation", 16, effect=1.2, calibrate=cohort)
    with pytest.raises(ParameterError, match="outside the range"):
        simulate_power("paired_change", 16, effect=9.0, calibrate=cohort, wave_correlation=0.5)
    with pytest.raises(ParameterError, match="one wave: pass wave_correlation="):
        simulate_power("paired_change", 16, effect=0.5, calibrate=cohort)
    with pytest.raises(ParameterError, match="needs calibrate="):
        simulate_power("size_correlation", 16, effect=0.5)
    with pytest.raises(ParameterError, match="n=2"):
        simulate_power("bivariate_normal", 2, effect=0.5)
    with pytest.raises(ParameterError, match="exactly one"):
        sample_size("bivariate_normal", 0.8)
    with pytest.raises(ParameterError, match="target_power"):
        sample_size("bivariate_normal", 1.2, effect=0.5)
    scores = cohort.scores.copy()
    scores["stage_2"] = pd.array([3] * len(scores), dtype="Int64")
    flat = cma.Cohort(
        scores=scores,
        attributes=cohort.attributes,
        instrument=cohort.instrument,
        source=cohort.source,
    )
    with pytest.raises(ParameterError, match=r"cannot calibrate.*stage_2"):
        calibrate(flat)


# -- a covariate such as growth, and cohorts of several waves -------------------------------


def _with_growth(cohort: cma.Cohort) -> cma.Cohort:
    """Table 4 with a SYNTHETIC growth column (two businesses without a value)."""
    growth = np.round(np.random.default_rng(7).normal(5, 4, 16), 1)
    growth[[3, 9]] = np.nan
    return replace(cohort, attributes=cohort.attributes.assign(growth_synthetic=growth))


def test_covariate_design_matches_a_direct_simulation(cohort: cma.Cohort) -> None:
    c = _with_growth(cohort)
    res = simulate_power(
        "covariate_correlation", 30, effect=[0.0, 0.6], calibrate=c,
        covariate="growth_synthetic", n_sims=2000, seed=3,
    )  # fmt: skip
    assert set(res["calibrated_on"]) == {"wave '1' (16 businesses)"}
    # the design written out directly: latent stages, the cohort's blanks, complete-case
    # mean; the covariate's own 14 values in the order of a latent variable correlated
    # 0.6 with general maturity, 2 of 16 missing; scipy's Spearman test
    model = calibrate(c)
    values = np.sort(c.attributes["growth_synthetic"].dropna().to_numpy())
    rng = np.random.default_rng(11)
    for effect, power in zip(res["effect"], res["power"], strict=True):
        hits = 0
        for _ in range(2000):
            z = model.latent(rng, (1, 30))
            mean = model.observe(z, rng).mean(axis=-1)[0]
            w = effect * model.general(z)[0] + np.sqrt(1 - effect**2) * rng.standard_normal(30)
            cov = values[np.minimum((stats.norm.cdf(w) * 14).astype(int), 13)]
            cov[rng.random(30) < 2 / 16] = np.nan
            ok = ~np.isnan(mean) & ~np.isnan(cov)
            if ok.sum() >= 3 and np.ptp(mean[ok]) > 0 and np.ptp(cov[ok]) > 0:
                hits += stats.spearmanr(mean[ok], cov[ok]).pvalue < 0.05
        direct = hits / 2000
        se = np.sqrt(2 * max(direct, 0.05) * (1 - direct) / 2000)
        assert abs(power - direct) < 4 * se, (effect, power, direct)
    assert res.loc[0, "power"] < 0.05 + 4 * np.sqrt(0.05 * 0.95 / 2000) + 0.01
    assert res.loc[1, "power"] > res.loc[0, "power"] + 0.2
    with pytest.raises(ParameterError, match="needs covariate="):
        simulate_power("covariate_correlation", 30, effect=0.5, calibrate=c)
    with pytest.raises(ParameterError, match="not a numeric attribute"):
        simulate_power("covariate_correlation", 30, effect=0.5, calibrate=c, covariate="nope")
    with pytest.raises(ParameterError, match="applies to design 'covariate_correlation'"):
        simulate_power("size_correlation", 30, effect=0.5, calibrate=c, covariate="growth")


def test_a_cohort_of_several_waves_needs_the_wave_to_calibrate_on(cohort: cma.Cohort) -> None:
    two = _two_waves(cohort)
    with pytest.raises(ParameterError, match=r"the cohort has 2 waves \('1', '2'\).*wave="):
        sample_size("size_correlation", 0.8, effect=0.5, calibrate=two, n_sims=100)
    res = sample_size("size_correlation", 0.8, effect=0.5, calibrate=two, wave="2", n_sims=100)
    assert res.loc[0, "calibrated_on"] == "wave '2' (12 businesses)"
    change = simulate_power("paired_change", 20, effect=0.5, calibrate=two, n_sims=100, seed=1)
    assert change.loc[0, "calibrated_on"] == "wave '1' (16 businesses); change: '1' to '2'"


# -- checks on statistics not fitted to, calibration uncertainty, recruitment (issue 25) ---


def test_observed_spearman_of_a_latent_effect() -> None:
    from cma_research.analysis.power import calibrate, observed_spearman

    model = calibrate(cma.datasets.customer_wise_2007())
    res = observed_spearman(model, [0.0, 0.5, 0.9], n_businesses=50_000, seed=2)
    rho = res["observed_spearman"].to_numpy()
    # attenuated by the discrete levels and whole-number staff, in order, below latent
    assert abs(rho[0]) < 0.03 and 0.35 < rho[1] < 0.5 and rho[1] < rho[2] < 0.9
    # by hand: the same simulation, Spearman of the mean level with staff
    from scipy import stats as st

    from cma_research.stats.power_kernels import mean_score

    complete = replace(model, blank_patterns=np.zeros((1, model.k), dtype=bool))
    rng = np.random.default_rng([2, 1])
    z = complete.latent(rng, (1, 50_000))
    score = mean_score(complete.observe(z, rng), True)
    staff = complete.staff(complete.general(z), 0.5, rng)
    assert_allclose(rho[1], st.spearmanr(score[0], staff[0]).statistic, rtol=1e-12)


def test_calibration_check_on_statistics_not_fitted() -> None:
    from cma_research.analysis.power import calibration_check

    cohort = cma.datasets.customer_wise_2007()
    res = calibration_check(cohort, n_sims=300, seed=3).set_index("statistic")
    # observed values by hand: alpha of the 12 complete cases (psych: .8531), the SD of
    # the 16 available-case mean levels, 12 complete cases
    assert_allclose(res.loc["cronbach_alpha", "observed"], 0.853150, atol=1e-6)
    means = cma.business_scores(cohort)["mean"].to_numpy(float)
    assert_allclose(res.loc["sd_mean_level", "observed"], means.std(ddof=1), rtol=1e-12)
    assert res.loc["complete_cases", "observed"] == 12
    assert res["within"].all()  # the model reproduces them
    # altered data: a cohort whose stages are unrelated (shuffled): its alpha is far
    # below what a model calibrated on Table 4 produces
    from cma_research.analysis.power import calibrate

    rng = np.random.default_rng(0)
    complete = cohort.subset(cohort.scores.notna().all(axis=1))
    scores = complete.scores.copy()
    for col in scores.columns:
        scores[col] = rng.permutation(scores[col].to_numpy())
    shuffled = replace(complete, scores=scores.astype("Int64"))
    off = calibration_check(shuffled, calibrate(complete), n_sims=300, seed=3)
    assert not off.set_index("statistic").loc["cronbach_alpha", "within"]


def test_power_uncertainty_spreads_around_the_point() -> None:
    from cma_research.analysis.power import power_uncertainty

    cohort = cma.datasets.customer_wise_2007()
    res = power_uncertainty(cohort, "size_correlation", [30], effect=0.5, n_boot=6,
                            n_sims=200, seed=4)  # fmt: skip
    row = res.iloc[0]
    assert row["n_boot_used"] == 6
    assert 0 <= row["power_low"] <= row["power_mean"] <= row["power_high"] <= 1
    point = simulate_power("size_correlation", 30, effect=0.5, calibrate=cohort, n_sims=200,
                           seed=4, observed=False)  # fmt: skip
    assert row["power"] == point.loc[0, "power"]


def test_recruitment_plan_flags_the_frame() -> None:
    from scipy import stats as st

    from cma_research.analysis.power import recruitment_plan

    funnel = cma.load_recruitment(ROOT / "data" / "raw" / "customer_wise_2007_recruitment.csv")
    plan = recruitment_plan(funnel, 45)
    # 45 audits at 16 of 54,000: 45 * 54000 / 16 = 151,875 > the 54,000 in the frame
    assert plan.loc[0, "needed"] == 151_875 and plan.loc[0, "exceeds_frame"]
    assert not plan["exceeds_frame"].iloc[1:].any()
    # the last conversion, 16 of 46 audited, with its exact interval (binom.test(16, 46))
    ci = st.binomtest(16, 46).proportion_ci(method="exact")
    assert_allclose(plan.iloc[-1][["conversion_ci95_low", "conversion_ci95_high"]].to_numpy(float),
                    [ci.low, ci.high], rtol=1e-12)  # fmt: skip
    assert plan.iloc[-1]["needed"] == plan.iloc[-1]["needed_low"] == 45
    assert (plan["needed_low"] <= plan["needed"]).all()
    assert (plan["needed"] <= plan["needed_high"]).all()


def test_a_build_computes_the_power_simulations_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # with the build's result cache on, a second call (another kernel, a rebuild after
    # a change elsewhere) loads what the first computed, equal to a fresh computation
    from cma_research.analysis import power
    from cma_research.core.memo import RESULT_CACHE_ENV, RESULT_KEY_ENV

    cohort = cma.datasets.customer_wise_2007()
    kwargs = {"effect": 0.5, "n_boot": 3, "n_sims": 100, "seed": 4}
    fresh = power.power_uncertainty(cohort, "size_correlation", [30], **kwargs)
    curve = power.simulate_power("size_correlation", [30], effect=0.5, calibrate=cohort,
                                 n_sims=100, seed=4)  # fmt: skip
    monkeypatch.setenv(RESULT_CACHE_ENV, str(tmp_path / "results"))
    monkeypatch.setenv(RESULT_KEY_ENV, "cd" * 32)
    first = power.power_uncertainty(cohort, "size_correlation", [30], **kwargs)
    stored = sorted(p.parent.name for p in (tmp_path / "results").rglob("*.pkl"))
    assert stored == [
        "cma_research.analysis.power.power_uncertainty",
        # its base curve and one per resample (n_boot = 3)
        *["cma_research.analysis.power.simulate_power"] * 4,
    ]
    calls: list[int] = []
    original = power.calibrate
    monkeypatch.setattr(power, "calibrate", lambda *a, **k: calls.append(1) or original(*a, **k))
    again = power.power_uncertainty(cohort, "size_correlation", [30], **kwargs)
    assert calls == []  # loaded, not recalibrated
    pd.testing.assert_frame_equal(first, fresh)
    pd.testing.assert_frame_equal(again, fresh)
    loaded = power.simulate_power("size_correlation", [30], effect=0.5, calibrate=cohort,
                                  n_sims=100, seed=4)  # fmt: skip
    pd.testing.assert_frame_equal(loaded, curve)

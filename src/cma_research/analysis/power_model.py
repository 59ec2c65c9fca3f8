"""The simulation model of the power analysis: calibration on a cohort, one chunk of runs.

:func:`calibrate` fits the latent-normal threshold (cumulative-probit) model
(:class:`~cma_research.stats.power_kernels.OrdinalModel`) to a cohort; a simulation
task draws datasets from it and analyses each with the package's own test (vectorised
kernels of :mod:`cma_research.stats.power_kernels`), returning p-values, confidence
interval widths and unusable-reason codes. The public ``simulate_power`` and
``sample_size`` are in :mod:`cma_research.analysis.power`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cma_research.analysis.groups import SIZE_BANDS
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.stats.polychoric import polychoric, polychoric_matrix, smooth_correlation
from cma_research.stats.power_kernels import (
    KernelResult,
    OrdinalModel,
    kruskal_test,
    mean_score,
    pearson_test,
    signed_rank_test,
    spearman_test,
)

__all__ = ["calibrate"]

_Q = float(stats.norm.ppf(0.975))


def _wave_codes(cohort: Cohort) -> list[int]:
    return sorted(int(w) for w in cohort.scores.index.get_level_values("wave").unique())


def _wave_frame(cohort: Cohort, code: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    mask = cohort.scores.index.get_level_values("wave") == code
    scores = cohort.scores[mask].droplevel("wave")
    return scores, cohort.attributes[mask].droplevel("wave")


def calibrate(
    cohort: Cohort,
    *,
    wave_correlation: float | None = None,
    attrition: float | None = None,
) -> OrdinalModel:
    """Fit the simulation model to a cohort (its first wave; two waves for change).

    Parameters
    ----------
    cohort : Cohort
        The calibrating cohort; blanks are kept as the blank share per stage.
    wave_correlation : float, optional
        Correlation of a stage's latent value between two waves. Default: estimated
        from the cohort's first two waves (mean polychoric correlation of each stage
        with itself over businesses audited in both); None when it has one wave.
    attrition : float, optional
        Share of businesses lost between the waves (default: from the cohort's waves,
        else 0).

    Returns
    -------
    OrdinalModel

    Raises
    ------
    ParameterError
        A stage with fewer than two observed levels, or values out of range.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> model = calibrate(load_returns(bundled_path("customer_wise_2007.csv")))
    >>> model.k, round(float(model.blank.mean()), 4), model.wave_correlation
    (10, 0.1437, None)
    """
    codes = _wave_codes(cohort)
    scores, attrs = _wave_frame(cohort, codes[0])
    values = scores.to_numpy(dtype=float, na_value=np.nan)
    ids = list(scores.columns)
    levels, cuts = [], []
    for j, sid in enumerate(ids):
        col = values[:, j][~np.isnan(values[:, j])]
        lv, counts = np.unique(col, return_counts=True)
        if lv.size < 2:
            raise ParameterError(
                f"cannot calibrate on this cohort: {sid} has {lv.size} observed level(s); "
                "the model needs two or more per stage"
            )
        levels.append(lv)
        cuts.append(stats.norm.ppf(np.cumsum(counts)[:-1] / counts.sum()))
    rho, *_ = polychoric_matrix(values, names=ids)
    rho = np.where(np.isnan(rho), 0.0, rho)
    rho, _ = smooth_correlation(rho)
    staff = attrs["staff"].to_numpy(dtype=float, na_value=np.nan)
    staff = staff[np.isfinite(staff) & (staff > 0)]
    log_staff = np.log(staff) if staff.size >= 2 else np.array([0.0, 0.0])
    model = OrdinalModel(
        levels=tuple(levels),
        cuts=tuple(cuts),
        correlation=rho,
        blank_patterns=np.isnan(values),
        log_staff_mean=float(log_staff.mean()),
        log_staff_sd=float(log_staff.std(ddof=1)),
    )
    wc, att = wave_correlation, attrition
    if len(codes) >= 2 and (wc is None or att is None):
        est_wc, est_att = _two_waves(cohort, codes[0], codes[1])
        wc = est_wc if wc is None else wc
        att = est_att if att is None else att
    if wc is not None:
        if not -1 < wc < 1:
            raise ParameterError(f"wave_correlation={wc!r} must be between -1 and 1 (exclusive)")
        att = 0.0 if att is None else att
        if not 0 <= att < 1:
            raise ParameterError(f"attrition={att!r} must be in [0, 1)")
        model = model.with_waves(float(wc), float(att))
    return model


def _two_waves(cohort: Cohort, first: int, second: int) -> tuple[float, float]:
    s1, _ = _wave_frame(cohort, first)
    s2, _ = _wave_frame(cohort, second)
    both = s1.index.intersection(s2.index)
    attrition = 1 - len(both) / len(s1.index)
    a = s1.loc[both].to_numpy(dtype=float, na_value=np.nan)
    b = s2.loc[both].to_numpy(dtype=float, na_value=np.nan)
    rhos = []
    for j in range(a.shape[1]):
        ok = ~np.isnan(a[:, j]) & ~np.isnan(b[:, j])
        if ok.sum() >= 3 and np.ptp(a[ok, j]) > 0 and np.ptp(b[ok, j]) > 0:
            rhos.append(polychoric(a[ok, j], b[ok, j]).rho)
    if not rhos:
        raise ParameterError(
            "cannot estimate the between-wave correlation: no stage has 3 or more businesses "
            "with varying levels in both waves; pass wave_correlation= explicitly"
        )
    return float(np.clip(np.mean(rhos), -0.99, 0.99)), float(attrition)


@dataclass(frozen=True)
class _Task:
    design: str
    model: OrdinalModel | None
    n: int
    effect: float
    n_sims: int
    seed: np.random.SeedSequence
    complete_case: bool


def _band_codes(staff: np.ndarray) -> np.ndarray:
    edges = np.array([lo for _, lo, _ in SIZE_BANDS[1:]], dtype=float)
    return np.searchsorted(edges, staff, side="right")


def _simulate_chunk(task: _Task) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p-values, CI widths and unusable-reason codes of one chunk of simulations."""
    rng = np.random.default_rng(task.seed)
    s, n = task.n_sims, task.n
    width = np.full(s, np.nan)
    res: KernelResult
    if task.design == "bivariate_normal":
        x = rng.standard_normal((s, n))
        y = task.effect * x + np.sqrt(1 - task.effect**2) * rng.standard_normal((s, n))
        res = pearson_test(x, y)
        width = _fisher_width(res.statistic, res.n, spearman=False)
        return res.p, width, res.reason
    model = task.model
    if model is None:  # pragma: no cover - guarded by simulate_power
        raise ParameterError(f"design {task.design!r} needs a calibrated model")
    z = model.latent(rng, (s, n))
    observed = model.observe(z, rng)
    score = mean_score(observed, task.complete_case)
    if task.design in ("size_correlation", "group_difference"):
        staff = model.staff(model.general(z), task.effect, rng)
        if task.design == "size_correlation":
            res = spearman_test(score, staff)
            width = _fisher_width(res.statistic, res.n, spearman=True)
        else:
            res = kruskal_test(score, _band_codes(staff), len(SIZE_BANDS))
        return res.p, width, res.reason
    wc = model.wave_correlation
    if wc is None:  # pragma: no cover - guarded by simulate_power
        raise ParameterError("paired_change needs a wave correlation")
    z2 = wc * z + np.sqrt(1 - wc**2) * model.latent(rng, (s, n)) + task.effect
    observed2 = model.observe(z2, rng)
    score2 = mean_score(observed2, task.complete_case)
    lost = rng.random((s, n)) < model.attrition
    change = np.where(lost, np.nan, score2 - score)
    res = signed_rank_test(change)
    width = _t_width(change)
    return res.p, width, res.reason


def _fisher_width(r: np.ndarray, n: np.ndarray, *, spearman: bool) -> np.ndarray:
    nf = n.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt((1 + r**2 / 2) / (nf - 3)) if spearman else 1 / np.sqrt(nf - 3)
        z = np.arctanh(np.clip(r, -0.9999999, 0.9999999))
        w = np.tanh(z + _Q * se) - np.tanh(z - _Q * se)
    return np.where(nf >= 4, w, np.nan)


def _t_width(d: np.ndarray) -> np.ndarray:
    ok = ~np.isnan(d)
    n = ok.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, d, 0.0).sum(axis=1) / n
        var = np.where(ok, (d - mean[:, None]) ** 2, 0.0).sum(axis=1) / (n - 1)
        w = 2 * stats.t.ppf(0.975, np.maximum(n - 1, 1)) * np.sqrt(var / n)
    return np.where(n >= 2, w, np.nan)

"""Reliability beyond alpha for an ordinal scale: McDonald's omega and ordinal alpha."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from cma_research.analysis.prepare import check_choice, prepared
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.missing.strategies import Strategy
from cma_research.stats.omega import FACTOR_METHODS, omega_from_correlation
from cma_research.stats.polychoric import polychoric_matrix, smooth_correlation

__all__ = ["ci_columns", "omega", "ordinal_alpha"]

FactorMethod = Literal["minres", "ml"]


def ci_columns(confidence: float) -> tuple[str, str]:
    """Column names of an interval at ``confidence``: 0.95 -> ``ci95_low``, ``ci95_high``.

    >>> ci_columns(0.95), ci_columns(0.975)
    (('ci95_low', 'ci95_high'), ('ci97_5_low', 'ci97_5_high'))
    """
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence={confidence!r} must be between 0 and 1")
    label = f"{confidence * 100:.10g}".replace(".", "_")
    return f"ci{label}_low", f"ci{label}_high"


def _complete(cohort: Cohort, strategy: str, min_stages: int | None, what: str) -> np.ndarray:
    c = prepared(cohort, strategy, min_stages=min_stages, allow_blanks=False, what=what)
    x = c.scores.to_numpy(dtype=float)
    if x.shape[0] < 3:
        raise ParameterError(f"{what} needs at least 3 complete businesses; {x.shape[0]} remain")
    constant = [sid for sid, col in zip(c.stage_ids, x.T, strict=True) if np.ptp(col) == 0]
    if constant:
        raise ParameterError(
            f"{what} is undefined: stage(s) {', '.join(constant)} have one observed level over "
            f"the {x.shape[0]} businesses used, so their correlations are undefined"
        )
    return x


def omega(
    cohort: Cohort,
    *,
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
    fm: FactorMethod = "minres",
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """McDonald's omega of the stages from a one-factor model, with a bootstrap interval.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    strategy : str
        Omega needs complete data: ``complete_case`` (default) or an imputing strategy.
    min_stages : int, optional
        For ``strategy="min_stages"`` (refused unless it leaves no blanks).
    fm : {"minres", "ml"}
        Factoring method of the one-factor fit of the Pearson correlations: minimum
        residual (psych's default) or maximum likelihood.
    n_boot : int
        Bootstrap resamples of businesses for the percentile interval (0 to skip).
        Resamples in which a stage is constant are unusable and skipped (counted).
    seed : int
        Seeds the bootstrap.
    confidence : float
        Interval level (default 0.95); names the interval columns.

    Returns
    -------
    DataFrame
        One row: ``n`` (businesses), ``k`` (stages), ``fm``, ``omega_total``
        (``1 - sum(1 - l^2) / sum(R)``, psych's ``omega.tot``), ``omega_model``
        (``sum(l)^2 / (sum(l)^2 + sum(1 - l^2))``, the model-implied variance),
        ``ciNN_low``, ``ciNN_high`` (percentile bootstrap of ``omega_total``; NaN
        without resamples), ``ci_method``, ``n_boot_used``, ``omega_hierarchical``
        (NaN: see Notes), ``omega_hierarchical_method``, ``heywood`` (a loading of 1 or
        more), ``strategy``.

    Raises
    ------
    ParameterError
        Unknown names, fewer than 3 complete businesses, a constant stage,
        ``n_boot < 0``.

    Notes
    -----
    Hierarchical omega (the share of variance due to a general factor) needs a
    bifactor solution: psych extracts 3 group factors, rotates them obliquely and
    applies the Schmid-Leiman transformation. With 12 businesses for 10 stages that
    solution is an ultra-Heywood case (psych warns; ``results_reliability.py``), so it is
    not estimated here. With one factor, hierarchical and total omega coincide.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> res = omega(load_returns(bundled_path("customer_wise_2007.csv")), n_boot=200, seed=1)
    >>> res[["n", "k", "omega_total", "omega_model"]].round(4).to_dict("records")
    [{'n': 12, 'k': 10, 'omega_total': 0.8608, 'omega_model': 0.8625}]

    R: ``psych::omega(x, nfactors = 1)$omega.tot`` (0.8608 with ``fm = "minres"``,
    0.8594 with ``fm = "ml"``).
    """
    check_choice("fm", fm, FACTOR_METHODS)
    if not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ParameterError(f"n_boot={n_boot!r} must be a whole number >= 0")
    low_name, high_name = ci_columns(confidence)
    x = _complete(cohort, strategy, min_stages, "omega")
    n, k = x.shape
    total, model, fit = omega_from_correlation(np.corrcoef(x, rowvar=False), fm)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        xb = x[rng.integers(0, n, n)]
        if np.any(np.ptp(xb, axis=0) == 0):
            continue
        boots.append(omega_from_correlation(np.corrcoef(xb, rowvar=False), fm)[0])
    tail = (1 - confidence) / 2
    if boots:
        low, high = (float(v) for v in np.quantile(boots, [tail, 1 - tail]))
        ci_method = f"percentile bootstrap ({len(boots)} of {n_boot} resamples usable)"
    else:
        low = high = np.nan
        ci_method = "not computed (n_boot=0)" if n_boot == 0 else "undefined (no usable resample)"
    return pd.DataFrame(
        {
            "n": [n],
            "k": [k],
            "fm": pd.array([fm], dtype="string"),
            "omega_total": [total],
            "omega_model": [model],
            low_name: [low],
            high_name: [high],
            "ci_method": pd.array([ci_method], dtype="string"),
            "n_boot_used": [len(boots)],
            "omega_hierarchical": [np.nan],
            "omega_hierarchical_method": pd.array(
                ["not estimated (needs a Schmid-Leiman bifactor solution)"], dtype="string"
            ),
            "heywood": [fit.heywood],
            "strategy": pd.array([strategy], dtype="string"),
        }
    )


def ordinal_alpha(
    cohort: Cohort,
    *,
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Ordinal alpha (Zumbo, Gadermann & Zeisser 2007): alpha of the polychoric matrix.

    ``k / (k - 1) * (1 - k / sum(R))`` with ``R`` the two-step polychoric correlations
    of the stages (:func:`cma_research.stats.polychoric.polychoric_matrix`), smoothed
    as ``psych::cor.smooth`` when it is not positive definite (as ``psych::polychoric``
    does by default). Also reached as ``cronbach_alpha(cohort, ordinal=True)``.

    Returns
    -------
    DataFrame
        One row: ``n``, ``k``, ``alpha`` (ordinal alpha), ``ciNN_low``, ``ciNN_high``
        (NaN: Feldt's interval assumes continuous, normally distributed items and is not
        defined for ordinal alpha), ``std_alpha`` (equal to ``alpha`` for a correlation
        matrix), ``average_r`` (mean polychoric correlation, after smoothing),
        ``correlation`` (``"polychoric"`` or ``"polychoric (smoothed)"``), ``strategy``,
        ``note`` (why the interval is NaN).

    Raises
    ------
    ParameterError
        Fewer than 3 complete businesses, or a stage with one observed level (its
        polychoric correlations are undefined).

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> res = ordinal_alpha(load_returns(bundled_path("customer_wise_2007.csv")))
    >>> res[["n", "k", "alpha"]].round(4).to_dict("records")
    [{'n': 12, 'k': 10, 'alpha': 0.8522}]

    R: ``psych::alpha(psych::polychoric(x, correct = 0)$rho)$total$raw_alpha``.
    """
    low_name, high_name = ci_columns(confidence)
    c = prepared(cohort, strategy, min_stages=min_stages, allow_blanks=False, what="ordinal alpha")
    x = c.scores.to_numpy(dtype=float)
    if x.shape[0] < 3:
        raise ParameterError(
            f"ordinal alpha needs at least 3 complete businesses; {x.shape[0]} remain"
        )
    rho, _, _, _ = polychoric_matrix(x, names=list(c.stage_ids))
    rho, smoothed = smooth_correlation(rho)
    n, k = x.shape
    alpha = float(k / (k - 1) * (1 - k / rho.sum()))
    average_r = float(rho[np.triu_indices(k, 1)].mean())
    return pd.DataFrame(
        {
            "n": [n],
            "k": [k],
            "alpha": [alpha],
            low_name: [np.nan],
            high_name: [np.nan],
            "std_alpha": [alpha],
            "average_r": [average_r],
            "correlation": pd.array(
                ["polychoric (smoothed)" if smoothed else "polychoric"], dtype="string"
            ),
            "strategy": pd.array([strategy], dtype="string"),
            "note": pd.array(["no interval: Feldt's assumes continuous items"], dtype="string"),
        }
    )

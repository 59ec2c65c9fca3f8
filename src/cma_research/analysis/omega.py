"""Reliability beyond alpha for an ordinal scale: McDonald's omega and ordinal alpha.

``omega`` gives total omega from a one-factor model (the default) and, with
``nfactors >= 2``, total and hierarchical omega from psych's Schmid-Leiman bifactor
solution (:mod:`cma_research.stats.schmid`).
"""

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
from cma_research.stats.schmid import SchmidLeiman, schmid_leiman

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


def _complete(
    cohort: Cohort, strategy: str, min_stages: int | None, what: str
) -> tuple[np.ndarray, list[str]]:
    """The complete scores (businesses x stages) and the stage ids."""
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
    return x, list(c.stage_ids)


def omega(
    cohort: Cohort,
    *,
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
    fm: FactorMethod = "minres",
    nfactors: int = 1,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """McDonald's omega of the stages (total, and hierarchical), with a bootstrap interval.

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
        residual (psych's default) or maximum likelihood. ``nfactors >= 2`` needs
        ``"minres"``.
    nfactors : int
        Number of group factors. 1 (the default): total omega of a one-factor model;
        hierarchical omega is then not meaningful (NaN). ``>= 2``: psych's
        ``omega(x, nfactors, fm = "minres", rotate = "oblimin")``, i.e. a Schmid-Leiman
        solution giving hierarchical omega; psych's default is 3 (see Notes). More
        factors than the stages identify (negative degrees of freedom) are refused.
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
        One row: ``n`` (businesses), ``k`` (stages), ``nfactors``, ``fm``,
        ``omega_total`` (``(sum(R) - sum(u2)) / sum(R)``, psych's ``omega.tot``, with
        ``u2 = 1 - h2`` the uniquenesses of the ``nfactors``-factor model; one factor:
        ``1 - sum(1 - l^2) / sum(R)``), ``omega_model`` (the model-implied variance in
        the denominator: ``c / (c + sum(u2))``, ``c = sum(L L')``; one factor
        ``sum(l)^2 / (sum(l)^2 + sum(1 - l^2))``), ``ciNN_low``, ``ciNN_high``
        (percentile bootstrap of ``omega_total``; NaN without resamples), ``ci_method``,
        ``n_boot_used``, ``omega_hierarchical`` (``sum(g)^2 / sum(R)``, psych's
        ``omega_h``; NaN with one factor), ``omega_hierarchical_method`` (how it was
        estimated, or why it is NaN), ``omega_limit`` (``sum(g)^2 / (sum(R) -
        sum(u2))``, psych's ``omega.lim``; NaN with one factor), ``heywood`` (a
        communality of 1 or more), ``converged`` (fit and rotations), ``note``
        (psych's warnings, e.g. an ultra-Heywood case, naming the stages; empty when
        none), ``strategy``.

    Raises
    ------
    ParameterError
        Unknown names, fewer than 3 complete businesses, a constant stage,
        ``n_boot < 0``, ``nfactors < 1``, ``nfactors`` above what the stages identify
        (degrees of freedom ``((k - m)^2 - (k + m)) / 2 < 0``), ``fm="ml"`` with
        ``nfactors >= 2``.

    Notes
    -----
    Hierarchical omega is the share of the variance of the unit-weighted stage sum due
    to a general factor. As ``psych::omega``: ``nfactors`` minres factors, varimax then
    oblimin, the Schmid-Leiman transformation (the factors' general loadings from a
    one-factor fit of their correlations), stages with a negative general loading
    reflected (:mod:`cma_research.stats.schmid` gives the details and the agreement
    with R). With ``nfactors = 2`` a general factor is not identified: psych (and this
    function) sets the two factors' general loadings equal, ``sqrt(phi_12)``, and the
    method column says so. If the fit or a rotation does not converge, both omegas of
    that model are NaN, the method says why and no interval is computed.

    The default stays ``nfactors = 1`` (the total omega this function always gave),
    not psych's 3: on the bundled 12 complete cases the three-factor solution is an
    ultra-Heywood case (stage_5's communality exceeds 1; psych warns), so it is not a
    well-determined estimate; ask for it explicitly. The bootstrap refits the whole
    model in every resample (a few hundredths of a second each with 3 factors);
    resamples whose solution does not converge are skipped and counted.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> res = omega(load_returns(bundled_path("customer_wise_2007.csv")), n_boot=200, seed=1)
    >>> res[["n", "k", "omega_total", "omega_model"]].round(4).to_dict("records")
    [{'n': 12, 'k': 10, 'omega_total': 0.8608, 'omega_model': 0.8625}]

    R: ``psych::omega(x, nfactors = 1)$omega.tot`` (0.8608 with ``fm = "minres"``,
    0.8594 with ``fm = "ml"``).

    Hierarchical omega from three group factors (psych's default; here an ultra-Heywood
    case, reported in ``note``):

    >>> cw = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> res = omega(cw, nfactors=3, n_boot=0)
    >>> res[["omega_total", "omega_hierarchical", "omega_limit"]].round(3).to_dict("records")
    [{'omega_total': 0.921, 'omega_hierarchical': 0.664, 'omega_limit': 0.72}]
    >>> print(res.loc[0, "omega_hierarchical_method"])
    Schmid-Leiman, 3 oblimin factors, minres
    >>> print(res.loc[0, "note"])
    ultra-Heywood case: a communality above 1 (stage_5); examine the results carefully

    R: ``psych::omega(x)`` gives ``omega.tot`` 0.92148, ``omega_h`` 0.66350, ``omega.lim``
    0.72004 and warns "An ultra-Heywood case was detected"; psych's minres fit stops
    short of its optimum here, so ours differ by up to 2e-5.
    """
    check_choice("fm", fm, FACTOR_METHODS)
    if isinstance(nfactors, bool) or not isinstance(nfactors, int | np.integer) or nfactors < 1:
        raise ParameterError(f"nfactors={nfactors!r} must be a whole number >= 1")
    if nfactors > 1 and fm != "minres":
        raise ParameterError(
            f"fm={fm!r} with nfactors={nfactors} is not available; the Schmid-Leiman "
            "solution uses fm='minres'"
        )
    if not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ParameterError(f"n_boot={n_boot!r} must be a whole number >= 0")
    low_name, high_name = ci_columns(confidence)
    x, stage_ids = _complete(cohort, strategy, min_stages, "omega")
    n, k = x.shape
    r = np.corrcoef(x, rowvar=False)
    if nfactors == 1:
        total, model, fit = omega_from_correlation(r, fm)
        heywood_items = fit.loadings**2 >= 1
        hier = limit = np.nan
        hier_method = "not meaningful with one factor (psych: nfactors = 1); use nfactors >= 3"
        converged = fit.converged
        ultra = bool(np.any(fit.loadings**2 > 1))
    else:
        sl = schmid_leiman(r, int(nfactors))
        total, model, hier, limit = _schmid_omegas(sl)
        heywood_items = sl.h2 >= 1
        converged = sl.converged
        ultra = sl.ultra_heywood
        hier_method = _hierarchical_method(sl)
        if not converged:
            total = model = hier = limit = np.nan
    note = _heywood_note(heywood_items, ultra, stage_ids)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot if converged else 0):
        xb = x[rng.integers(0, n, n)]
        if np.any(np.ptp(xb, axis=0) == 0):
            continue
        rb = np.corrcoef(xb, rowvar=False)
        if nfactors == 1:
            boots.append(omega_from_correlation(rb, fm)[0])
            continue
        slb = schmid_leiman(rb, int(nfactors))
        if slb.converged:
            boots.append(slb.omega_total)
    tail = (1 - confidence) / 2
    if boots:
        low, high = (float(v) for v in np.quantile(boots, [tail, 1 - tail]))
        ci_method = f"percentile bootstrap ({len(boots)} of {n_boot} resamples usable)"
    else:
        low = high = np.nan
        ci_method = (
            "not computed (n_boot=0)"
            if n_boot == 0
            else "not computed (the solution did not converge)"
            if not converged
            else "undefined (no usable resample)"
        )
    return pd.DataFrame(
        {
            "n": [n],
            "k": [k],
            "nfactors": [int(nfactors)],
            "fm": pd.array([fm], dtype="string"),
            "omega_total": [total],
            "omega_model": [model],
            low_name: [low],
            high_name: [high],
            "ci_method": pd.array([ci_method], dtype="string"),
            "n_boot_used": [len(boots)],
            "omega_hierarchical": [hier],
            "omega_hierarchical_method": pd.array([hier_method], dtype="string"),
            "omega_limit": [limit],
            "heywood": [bool(np.any(heywood_items))],
            "converged": [bool(converged)],
            "note": pd.array([note], dtype="string"),
            "strategy": pd.array([strategy], dtype="string"),
        }
    )


def _schmid_omegas(sl: SchmidLeiman) -> tuple[float, float, float, float]:
    """(omega_total, omega_model, omega_hierarchical, omega_limit) of a solution."""
    lk = sl.orthogonal * sl.key[:, None]
    common = float(np.sum(lk.sum(axis=0) ** 2))  # sum(L L') after psych's reflection
    model = common / (common + float(sl.u2.sum()))
    return sl.omega_total, model, sl.omega_hierarchical, sl.omega_limit


def _hierarchical_method(sl: SchmidLeiman) -> str:
    m = sl.nfactors
    text = f"Schmid-Leiman, {m} oblimin factors, minres"
    if m == 2:
        text += (
            "; general loadings of the 2 factors set equal (sqrt(phi_12), psych's option = "
            "'equal'): a general factor needs 3 factors to be identified"
        )
    if not sl.fit.converged:
        return f"not estimated: the {m}-factor minres fit did not converge"
    if not sl.converged:
        return f"not estimated: the rotation of the {m}-factor solution did not converge"
    return text


def _heywood_note(items: np.ndarray, ultra: bool, stage_ids: list[str]) -> str:
    if not np.any(items):
        return ""
    names = ", ".join(sid for sid, bad in zip(stage_ids, items, strict=True) if bad)
    if ultra:
        return f"ultra-Heywood case: a communality above 1 ({names}); examine the results carefully"
    return f"Heywood case: a communality of 1 ({names}); examine the results carefully"


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

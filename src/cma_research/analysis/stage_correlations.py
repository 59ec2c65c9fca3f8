"""Correlations between the stages of an instrument, pairwise over businesses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cma_research.analysis.correlation_family import (
    P_ADJUST,
    STAGE_METHODS,
    PAdjust,
    StageMethod,
    _adjust,
)
from cma_research.analysis.prepare import check_choice, prepared
from cma_research.core.cohort import Cohort
from cma_research.missing.strategies import Strategy
from cma_research.stats.correlation import MIN_N, estimate, fisher_ci
from cma_research.stats.multitest import adjust_p
from cma_research.stats.polychoric import polychoric_matrix

__all__ = ["stage_correlations"]


def stage_correlations(
    cohort: Cohort,
    method: StageMethod = "spearman",
    *,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
    p_adjust: PAdjust = "holm",
) -> pd.DataFrame:
    """Correlation of every pair of stages, pairwise over businesses assessed on both.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    method : {"spearman", "kendall", "pearson", "polychoric"}
        ``polychoric``: the two-step polychoric correlation of the latent normal levels
        (:func:`cma_research.stats.polychoric.polychoric`; thresholds from each pair's
        businesses), with its standard error.
    strategy : str
        Default ``available_case`` (pairwise: each pair has its own ``n``).
    min_stages : int, optional
        For ``strategy="min_stages"``.
    p_adjust : {"holm", "fdr_bh"}
        Adjustment across all pairs.

    Returns
    -------
    DataFrame
        One row per pair ``x < y`` in instrument order: ``x``, ``y``, ``method``, ``n``
        (pairwise), ``r``, ``ci95_low``, ``ci95_high`` (Fisher z; see
        :func:`_fisher_ci` for each method's standard error), ``p_val`` (asymptotic,
        as scipy), ``p_adj``, ``p_adj_method``. ``r`` is NaN when a stage is constant
        over the pair's businesses or n < 3. For ``polychoric``: the interval is Wald on
        Fisher's z (``atanh(r) +/- 1.96 se / (1 - r^2)``), ``p_val`` the likelihood-ratio
        test of rho = 0 (thresholds fixed), and a column ``se`` follows ``r`` (NaN when
        rho reaches the search bound +/-0.9999).

    Raises
    ------
    ParameterError
        Unknown names; for ``polychoric``, a stage with one observed level (its
        thresholds, hence its correlations, are undefined).

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> sc = stage_correlations(load_returns(bundled_path("customer_wise_2007.csv")))
    >>> len(sc), sc.loc[0, "x"], sc.loc[0, "y"], int(sc.loc[0, "n"])
    (45, 'stage_1', 'stage_2', 13)

    R: ``psych::corr.test(m, method = "spearman", adjust = "holm")`` gives the same r,
    n and p (its intervals use 1/sqrt(n-3) for every method).
    """
    check_choice("method", method, STAGE_METHODS)
    check_choice("p_adjust", p_adjust, P_ADJUST)
    c = prepared(cohort, strategy, min_stages=min_stages, what="stage_correlations")
    values = c.scores.to_numpy(dtype=float, na_value=np.nan)
    ids = c.stage_ids
    if method == "polychoric":
        return _polychoric_pairs(values, list(ids), p_adjust)
    rows = []
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            ok = ~np.isnan(values[:, i]) & ~np.isnan(values[:, j])
            n = int(ok.sum())
            if n >= MIN_N:
                r, p = estimate(method, values[ok, i], values[ok, j])
            else:
                r, p = np.nan, np.nan
            low, high = fisher_ci(method, r, n)
            rows.append(
                {
                    "x": ids[i],
                    "y": ids[j],
                    "method": method,
                    "n": n,
                    "r": r,
                    "ci95_low": low,
                    "ci95_high": high,
                    "p_val": p,
                    "p_perm": np.nan,
                }
            )
    out = _adjust(pd.DataFrame(rows), p_adjust).drop(columns="p_perm")
    for col in ("x", "y", "method"):
        out[col] = out[col].astype("string")
    return out


def _polychoric_pairs(values: np.ndarray, ids: list[str], p_adjust: str) -> pd.DataFrame:
    rho, se, n, p = polychoric_matrix(values, names=ids)
    q = 1.959963984540054  # stats.norm.ppf(0.975)
    rows = []
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            r, s, nij = float(rho[i, j]), float(se[i, j]), int(n[i, j])
            if nij < MIN_N:
                r = s = np.nan
            z, half = np.arctanh(r), q * s / (1 - r * r)
            low, high = (
                (float(np.tanh(z - half)), float(np.tanh(z + half)))
                if np.isfinite(half)
                else (np.nan, np.nan)
            )
            rows.append(
                {
                    "x": ids[i],
                    "y": ids[j],
                    "method": "polychoric",
                    "n": nij,
                    "r": r,
                    "se": s,
                    "ci95_low": low,
                    "ci95_high": high,
                    "p_val": float(p[i, j]) if np.isfinite(r) else np.nan,
                    "p_perm": np.nan,
                }
            )
    out = pd.DataFrame(rows)
    ok = out["p_val"].notna().to_numpy()
    out["p_adj"] = np.nan
    out.loc[ok, "p_adj"] = adjust_p(out.loc[ok, "p_val"].to_numpy(dtype=float), p_adjust)
    out["p_adj_method"] = pd.array([f"{p_adjust} on p_val"] * len(out), dtype="string")
    out = out.drop(columns="p_perm")
    for col in ("x", "y", "method"):
        out[col] = out[col].astype("string")
    return out

"""The reliability statistics reviewers ask for, side by side in one tidy table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from cma_research.analysis.omega import ci_columns, omega, ordinal_alpha
from cma_research.analysis.reliability import cronbach_alpha
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.missing.strategies import Strategy

__all__ = ["reliability_summary"]


def _attempt(compute: Callable[[], pd.DataFrame]) -> tuple[pd.Series | None, str]:
    try:
        return compute().iloc[0], ""
    except ParameterError as exc:  # undefined here: a row that says why
        return None, str(exc)


def reliability_summary(
    cohort: Cohort,
    *,
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
    nfactors: int = 3,
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Cronbach's alpha, ordinal alpha, omega total and hierarchical omega of the stages.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    strategy : str
        How blanks are handled (the statistics need complete data: ``complete_case``
        or an imputing strategy).
    min_stages : int, optional
        For ``strategy="min_stages"``.
    nfactors : int
        Group factors of the Schmid-Leiman solution for hierarchical omega (psych's
        default 3).
    n_boot : int
        Bootstrap resamples for the interval of omega total (0: none).
    seed : int
        Seeds the bootstrap.

    Returns
    -------
    DataFrame
        One row per statistic (``cronbach_alpha``, ``ordinal_alpha``, ``omega_total``,
        ``omega_hierarchical``): ``statistic``, ``estimate``, ``ci95_low``,
        ``ci95_high`` (Feldt for alpha, percentile bootstrap for omega total, NaN where
        no interval is defined), ``n``, ``k``, ``method`` (how it was computed),
        ``note`` (why a value or interval is missing, Heywood cases), ``strategy``.
        A statistic that is undefined for these data (a constant stage, too few
        businesses or stages for ``nfactors``) is NaN with the reason in ``note``.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> res = reliability_summary(load_returns(bundled_path("customer_wise_2007.csv")), n_boot=0)
    >>> res[["statistic", "estimate", "n"]].round(4).to_dict("list")["estimate"]
    [0.8531, 0.8522, 0.8608, 0.6635]
    """
    low, high = ci_columns(0.95)
    options: dict[str, Any] = {"strategy": strategy, "min_stages": min_stages}
    rows: list[dict[str, Any]] = []

    def add(name: str, row: pd.Series | None, why: str, value: str, method: str) -> None:
        r: dict[str, Any] = {} if row is None else dict(row)
        rows.append(
            {
                "statistic": name,
                "estimate": float(r.get(value, np.nan)),
                low: float(r.get(low, np.nan)),
                high: float(r.get(high, np.nan)),
                "n": int(r.get("n", 0)),
                "k": int(r.get("k", len(cohort.stage_ids))),
                "method": method if r else "undefined",
                "note": str(r.get("note", "") or "") if r else why,
            }
        )

    row, why = _attempt(lambda: cronbach_alpha(cohort, **options))
    add("cronbach_alpha", row, why, "alpha", "Pearson correlations; Feldt interval")
    row, why = _attempt(lambda: ordinal_alpha(cohort, **options))
    method = f"alpha of the {row['correlation']} correlations" if row is not None else ""
    add("ordinal_alpha", row, why, "alpha", method)
    row, why = _attempt(lambda: omega(cohort, **options, n_boot=n_boot, seed=seed))
    add("omega_total", row, why, "omega_total", f"one factor, minres; {_ci(row)}")
    row, why = _attempt(lambda: omega(cohort, **options, nfactors=nfactors, n_boot=0))
    if row is not None and not np.isfinite(row["omega_hierarchical"]):
        why = str(row["omega_hierarchical_method"])  # e.g. a fit that did not converge
        row = None
    method = str(row["omega_hierarchical_method"]) if row is not None else ""
    add("omega_hierarchical", row, why, "omega_hierarchical", method)
    table = pd.DataFrame(rows)
    for col in ("statistic", "method", "note"):
        table[col] = table[col].astype("string")
    table["strategy"] = pd.array([strategy] * len(table), dtype="string")
    return table


def _ci(row: pd.Series | None) -> str:
    return str(row["ci_method"]) if row is not None else ""

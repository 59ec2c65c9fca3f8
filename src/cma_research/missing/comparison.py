"""Every missing-data strategy applied to one cohort, side by side."""

from __future__ import annotations

import pandas as pd

from cma_research.core.cohort import Cohort
from cma_research.core.params import STRATEGIES, check_choice
from cma_research.missing.strategies import clean

__all__ = ["compare_strategies"]


def compare_strategies(
    cohort: Cohort,
    *,
    chosen: str | None = None,
    min_stages: int | None = None,
    m: int = 20,
    seed: int | None = None,
) -> pd.DataFrame:
    """What each missing-data strategy does to the cohort, one row per strategy.

    Parameters
    ----------
    cohort : Cohort
    chosen : str, optional
        The strategy the study's headline results use (marked ``chosen``).
    min_stages : int, optional
        k for ``min_stages``; without it that strategy is left out (it has no default).
    m, seed : int
        For ``multiple`` (imputations and seed); without a seed ``multiple`` is left out.

    Returns
    -------
    DataFrame
        ``strategy``, ``chosen`` (bool), ``kept`` and ``dropped`` (returns),
        ``cells_filled``, ``blanks_left``, ``assumption``.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> table = compare_strategies(customer_wise_2007(), chosen="complete_case", seed=1, m=2)
    >>> table[["strategy", "kept", "dropped", "cells_filled"]].iloc[:2]
             strategy  kept  dropped  cells_filled
    0   complete_case    12        4             0
    1  available_case    16        0             0
    """
    if chosen is not None:
        check_choice("chosen", chosen, STRATEGIES)
    rows = []
    for strategy in STRATEGIES:
        if (strategy == "min_stages" and min_stages is None) or (
            strategy == "multiple" and seed is None
        ):
            continue
        k = min_stages if strategy == "min_stages" else None
        report = clean(cohort, strategy, min_stages=k, m=m, seed=seed).report  # type: ignore[arg-type]
        rows.append(
            {
                "strategy": strategy,
                "chosen": strategy == chosen,
                "kept": report.n_rows_after,
                "dropped": report.n_dropped,
                "cells_filled": report.cells_filled,
                "blanks_left": report.cells_missing_after,
                "assumption": report.assumption,
            }
        )
    out = pd.DataFrame(rows)
    for col in ("strategy", "assumption"):
        out[col] = out[col].astype("string")
    return out

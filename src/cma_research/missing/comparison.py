"""Every missing-data strategy applied to one cohort, side by side."""

from __future__ import annotations

import pandas as pd

from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.params import STRATEGIES, check_choice
from cma_research.missing.strategies import assumption, clean

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
        ``cells_filled``, ``blanks_left`` (``<NA>`` for a strategy that cannot be
        applied to these data), ``assumption``, ``note`` (empty, or why the strategy
        cannot be applied: e.g. a stage no business was assessed on cannot be imputed).

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
        row: dict[str, object] = {"strategy": strategy, "chosen": strategy == chosen}
        try:
            report = clean(cohort, strategy, min_stages=k, m=m, seed=seed).report  # type: ignore[arg-type]
        except ParameterError as exc:  # e.g. a stage never assessed cannot be imputed
            row.update(kept=None, dropped=None, cells_filled=None, blanks_left=None)
            row.update(
                assumption=assumption(strategy, cohort.instrument), note=f"not applicable: {exc}"
            )
        else:
            row.update(
                kept=report.n_rows_after,
                dropped=report.n_dropped,
                cells_filled=report.cells_filled,
                blanks_left=report.cells_missing_after,
                assumption=report.assumption,
                note="",
            )
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in ("kept", "dropped", "cells_filled", "blanks_left"):
        out[col] = pd.array(out[col].tolist(), dtype="Int64")
    for col in ("strategy", "assumption", "note"):
        out[col] = out[col].astype("string")
    return out

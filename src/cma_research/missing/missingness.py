"""Report what is missing: which stages each business lacks, how many businesses each stage has.

A blank stage means *not assessed*, never level 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cma_research.core.cohort import Cohort

__all__ = ["Missingness", "missingness"]


@dataclass(frozen=True)
class Missingness:
    """What is missing in a cohort.

    Attributes
    ----------
    by_business : DataFrame
        One row per business and wave: ``business_id``, ``wave``, ``n_assessed``,
        ``n_missing``, ``complete`` (bool) and ``missing_stages`` (comma-separated
        stage ids, empty when complete).
    by_stage : DataFrame
        One row per stage in instrument order: ``stage``, ``name``, ``n_assessed``,
        ``n_missing``, ``share_missing``.
    n_cells, n_missing_cells, n_complete_cases : int
    """

    by_business: pd.DataFrame
    by_stage: pd.DataFrame
    n_cells: int
    n_missing_cells: int
    n_complete_cases: int

    def summary(self) -> str:
        """One line: rows, cells assessed and complete cases."""
        n = len(self.by_business)
        return (
            f"{n} returns, {self.n_cells - self.n_missing_cells} of {self.n_cells} cells "
            f"assessed ({self.n_missing_cells} not assessed), "
            f"{self.n_complete_cases} complete cases"
        )

    def missing_per_stage(self) -> dict[str, int]:
        """Not-assessed count per stage id, in instrument order."""
        stages = self.by_stage["stage"].tolist()
        counts = self.by_stage["n_missing"].tolist()
        return {str(s): int(n) for s, n in zip(stages, counts, strict=True)}

    def __repr__(self) -> str:
        return f"<Missingness: {self.summary()}>"


def missingness(cohort: Cohort) -> Missingness:
    """Report which stages each business lacks and how many businesses each stage has.

    Parameters
    ----------
    cohort : Cohort

    Returns
    -------
    Missingness
        ``by_business`` and ``by_stage`` tables plus totals.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> miss = missingness(load_returns(bundled_path("customer_wise_2007.csv")))
    >>> miss.summary()
    '16 returns, 137 of 160 cells assessed (23 not assessed), 12 complete cases'
    >>> miss.by_business.loc[0, "missing_stages"]
    'stage_1, stage_2, stage_3, stage_4, stage_6, stage_7, stage_8, stage_9'
    >>> miss.by_stage["n_missing"].tolist()
    [2, 3, 1, 2, 2, 2, 4, 3, 2, 2]
    """
    scores = cohort.scores
    assessed = scores.notna()
    stage_ids = cohort.stage_ids
    missing_lists = [
        ", ".join(s for s, ok in zip(stage_ids, row, strict=True) if not ok)
        for row in assessed.to_numpy()
    ]
    by_business = scores.index.to_frame(index=False)
    by_business["n_assessed"] = assessed.sum(axis=1).to_numpy().astype("int64")
    by_business["n_missing"] = len(stage_ids) - by_business["n_assessed"]
    by_business["complete"] = by_business["n_missing"] == 0
    by_business["missing_stages"] = pd.array(missing_lists, dtype="string")
    n_rows = len(scores)
    by_stage = pd.DataFrame(
        {
            "stage": pd.array(stage_ids, dtype="string"),
            "name": pd.array([s.name for s in cohort.instrument.stages], dtype="string"),
            "n_assessed": assessed.sum(axis=0).to_numpy().astype("int64"),
        }
    )
    by_stage["n_missing"] = n_rows - by_stage["n_assessed"]
    by_stage["share_missing"] = by_stage["n_missing"] / n_rows if n_rows else np.nan
    n_missing = int((~assessed).to_numpy().sum())
    return Missingness(
        by_business=by_business,
        by_stage=by_stage,
        n_cells=int(scores.size),
        n_missing_cells=n_missing,
        n_complete_cases=int(by_business["complete"].sum()),
    )

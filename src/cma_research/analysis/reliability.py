"""Internal consistency of the stages: Cronbach's alpha with its Feldt interval, item statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cma_research.analysis.prepare import prepared
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.missing.strategies import Strategy

__all__ = ["cronbach_alpha", "item_statistics"]


def _matrix(cohort: Cohort, strategy: str, min_stages: int | None, what: str) -> np.ndarray:
    c = prepared(cohort, strategy, min_stages=min_stages, allow_blanks=False, what=what)
    x = c.scores.to_numpy(dtype=float)
    if x.shape[0] < 3:
        raise ParameterError(f"{what} needs at least 3 complete businesses; {x.shape[0]} remain")
    return x


def _alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_var / total_var)) if total_var > 0 else np.nan


def cronbach_alpha(
    cohort: Cohort,
    *,
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Cronbach's alpha of the stages, with the Feldt (1965) confidence interval.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    strategy : str
        Alpha needs complete data: ``complete_case`` (default) or an imputing strategy.
        For ``multiple`` use :func:`~cma_research.sensitivity`.
    min_stages : int, optional
        Refused unless ``min_stages`` equals the number of stages (then it is
        ``complete_case``).
    confidence : float
        Interval level (default 0.95).

    Returns
    -------
    DataFrame
        One row: ``n`` (businesses), ``k`` (stages), ``alpha``, ``ci95_low``,
        ``ci95_high`` (Feldt: ``1 - (1 - alpha) F``, F quantiles with ``n - 1`` and
        ``(n - 1)(k - 1)`` df), ``std_alpha`` (from the mean inter-stage correlation),
        ``average_r``, ``strategy``.

    Examples
    --------
    >>> from cma_research import load_returns
    >>> res = cronbach_alpha(load_returns("data/raw/customer_wise_2007.csv"))
    >>> res[["n", "k"]].to_dict("records")
    [{'n': 12, 'k': 10}]

    R: ``psych::alpha(m)`` (``raw_alpha``, ``std.alpha``, ``average_r``) and
    ``psych::alpha.ci(alpha, n.obs, n.var)``.
    """
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence={confidence!r} must be between 0 and 1")
    x = _matrix(cohort, strategy, min_stages, "cronbach_alpha")
    n, k = x.shape
    alpha = _alpha(x)
    tail = (1 - confidence) / 2
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * stats.f.ppf(1 - tail, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(tail, df1, df2)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(x, rowvar=False)
    average_r = float(corr[np.triu_indices(k, 1)].mean())
    std_alpha = k * average_r / (1 + (k - 1) * average_r)
    return pd.DataFrame(
        {
            "n": [n],
            "k": [k],
            "alpha": [alpha],
            "ci95_low": [float(low)],
            "ci95_high": [float(high)],
            "std_alpha": [float(std_alpha)],
            "average_r": [average_r],
            "strategy": pd.array([strategy], dtype="string"),
        }
    )


def item_statistics(
    cohort: Cohort,
    *,
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
) -> pd.DataFrame:
    """Per stage: mean, spread, corrected item-total correlation and alpha if deleted.

    Returns
    -------
    DataFrame
        One row per stage in instrument order: ``stage``, ``n``, ``mean``, ``sd``,
        ``r_drop`` (correlation of the stage with the sum of the other stages),
        ``alpha_if_deleted``, ``strategy``.

    Examples
    --------
    >>> from cma_research import load_returns
    >>> items = item_statistics(load_returns("data/raw/customer_wise_2007.csv"))
    >>> items["stage"].tolist()[:3], int(items.loc[0, "n"])
    (['stage_1', 'stage_2', 'stage_3'], 12)

    R: ``psych::alpha(m)$item.stats$r.drop`` and ``$alpha.drop$raw_alpha``.
    """
    x = _matrix(cohort, strategy, min_stages, "item_statistics")
    n = x.shape[0]
    total = x.sum(axis=1)
    rows = []
    for j, sid in enumerate(cohort.stage_ids):
        rest = total - x[:, j]
        if np.ptp(x[:, j]) == 0 or np.ptp(rest) == 0:
            r_drop = np.nan
        else:
            r_drop = float(np.corrcoef(x[:, j], rest)[0, 1])
        rows.append(
            {
                "stage": sid,
                "n": n,
                "mean": float(x[:, j].mean()),
                "sd": float(x[:, j].std(ddof=1)),
                "r_drop": r_drop,
                "alpha_if_deleted": _alpha(np.delete(x, j, axis=1)),
            }
        )
    out = pd.DataFrame(rows)
    out["stage"] = out["stage"].astype("string")
    out["strategy"] = pd.array([strategy] * len(out), dtype="string")
    return out

"""Internal consistency of the stages: Cronbach's alpha with its Feldt interval, item statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cma_research.analysis.omega import ordinal_alpha
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
    """Raw alpha; NaN when undefined (fewer than 2 items, or a constant total score)."""
    k = x.shape[1]
    if k < 2:
        return np.nan
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_var / total_var)) if total_var > 0 else np.nan


def _ci_names(confidence: float) -> tuple[str, str]:
    """Column names of an interval at this level: 0.95 -> ci95_*, 0.8 -> ci80_*,
    0.999 -> ci99_9_*."""
    level = f"{100 * confidence:.6f}".rstrip("0").rstrip(".").replace(".", "_")
    return f"ci{level}_low", f"ci{level}_high"


def _at_least_two_stages(cohort: Cohort, what: str) -> None:
    k = len(cohort.stage_ids)
    if k < 2:
        noun = cohort.instrument.stage_noun
        raise ParameterError(
            f"{what} needs at least 2 {noun}s (alpha compares {noun}s with each other); "
            f"the cohort has {k}: {', '.join(cohort.stage_ids)}"
        )


def cronbach_alpha(
    cohort: Cohort,
    *,
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
    confidence: float = 0.95,
    ordinal: bool = False,
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
    ordinal : bool
        ``True``: ordinal alpha (Zumbo et al. 2007), alpha of the polychoric matrix;
        see :func:`~cma_research.analysis.omega.ordinal_alpha` for its columns.

    Returns
    -------
    DataFrame
        One row: ``n`` (businesses), ``k`` (stages), ``alpha``, ``ci95_low``,
        ``ci95_high`` (Feldt: ``1 - (1 - alpha) F``, F quantiles with ``n - 1`` and
        ``(n - 1)(k - 1)`` df; named for the level, e.g. ``ci80_low`` and
        ``ci80_high`` for ``confidence=0.8``, ``ci99_9_*`` for 0.999), ``std_alpha``
        (from the mean inter-stage correlation), ``average_r``, ``strategy``, ``note``
        (empty, or why a value is NaN).

    Notes
    -----
    Undefined values are handled one way throughout: a statistic that cannot exist
    for the input is refused, one that the data make undefined is NaN with its reason
    in ``note``.

    * Fewer than 2 stages: :class:`ParameterError` (alpha compares stages; pingouin
      refuses k < 2 too).
    * Total score constant over businesses: ``alpha`` (and its interval) NaN.
    * A constant stage: its correlations do not exist, so ``average_r`` and
      ``std_alpha`` are NaN (``alpha`` itself stays defined).
    * ``average_r = -1/(k - 1)`` (the lowest value k items can have): ``std_alpha``
      = k r / (1 + (k - 1) r) divides by zero and is NaN.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> res = cronbach_alpha(load_returns(bundled_path("customer_wise_2007.csv")))
    >>> res[["n", "k"]].to_dict("records")
    [{'n': 12, 'k': 10}]

    R: ``psych::alpha(m)`` (``raw_alpha``, ``std.alpha``, ``average_r``) and
    ``psych::alpha.ci(alpha, n.obs, n.var)``.
    """
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence={confidence!r} must be between 0 and 1")
    if ordinal:
        return ordinal_alpha(
            cohort, strategy=strategy, min_stages=min_stages, confidence=confidence
        )
    _at_least_two_stages(cohort, "cronbach_alpha")
    x = _matrix(cohort, strategy, min_stages, "cronbach_alpha")
    n, k = x.shape
    alpha = _alpha(x)
    tail = (1 - confidence) / 2
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * stats.f.ppf(1 - tail, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(tail, df1, df2)
    notes = []
    if np.isnan(alpha):
        notes.append("alpha undefined: the total score is the same for every business")
    constant = [sid for sid, sd in zip(cohort.stage_ids, x.std(axis=0), strict=True) if sd == 0]
    if constant:
        average_r = np.nan
        notes.append(
            "average_r and std_alpha undefined: constant (no correlation defined): "
            + ", ".join(constant)
        )
    else:
        corr = np.corrcoef(x, rowvar=False)
        average_r = float(corr[np.triu_indices(k, 1)].mean())
    den = 1 + (k - 1) * average_r
    if not np.isnan(average_r) and abs(den) < 1e-12:
        std_alpha = np.nan
        notes.append("std_alpha undefined: average_r = -1/(k - 1), the lowest possible value")
    else:
        std_alpha = k * average_r / den
    low_name, high_name = _ci_names(confidence)
    return pd.DataFrame(
        {
            "n": [n],
            "k": [k],
            "alpha": [alpha],
            low_name: [float(low)],
            high_name: [float(high)],
            "std_alpha": [float(std_alpha)],
            "average_r": [average_r],
            "strategy": pd.array([strategy], dtype="string"),
            "note": pd.array(["; ".join(notes)], dtype="string"),
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
        ``r_drop`` (correlation of the stage with the sum of the other stages; NaN
        when either is constant), ``alpha_if_deleted`` (NaN when only one stage
        would remain, k = 2, or the other stages' total is constant), ``note`` (empty,
        or why a value is NaN), ``strategy``. Fewer than 2 stages: ParameterError, as
        for :func:`cronbach_alpha`.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> items = item_statistics(load_returns(bundled_path("customer_wise_2007.csv")))
    >>> items["stage"].tolist()[:3], int(items.loc[0, "n"])
    (['stage_1', 'stage_2', 'stage_3'], 12)

    R: ``psych::alpha(m)$item.stats$r.drop`` and ``$alpha.drop$raw_alpha``.
    """
    _at_least_two_stages(cohort, "item_statistics")
    x = _matrix(cohort, strategy, min_stages, "item_statistics")
    n = x.shape[0]
    total = x.sum(axis=1)
    rows = []
    for j, sid in enumerate(cohort.stage_ids):
        rest = total - x[:, j]
        notes = []
        if np.ptp(x[:, j]) == 0 or np.ptp(rest) == 0:
            r_drop = np.nan
            which = "this stage" if np.ptp(x[:, j]) == 0 else "the sum of the other stages"
            notes.append(f"r_drop undefined: {which} is constant")
        else:
            r_drop = float(np.corrcoef(x[:, j], rest)[0, 1])
        deleted = _alpha(np.delete(x, j, axis=1))
        if x.shape[1] == 2:
            notes.append("alpha_if_deleted undefined: one stage would remain")
        elif np.isnan(deleted):
            notes.append("alpha_if_deleted undefined: the other stages' total is constant")
        rows.append(
            {
                "stage": sid,
                "n": n,
                "mean": float(x[:, j].mean()),
                "sd": float(x[:, j].std(ddof=1)),
                "r_drop": r_drop,
                "alpha_if_deleted": deleted,
                "note": "; ".join(notes),
            }
        )
    out = pd.DataFrame(rows)
    out["stage"] = out["stage"].astype("string")
    out["note"] = out["note"].astype("string")
    out["strategy"] = pd.array([strategy] * len(out), dtype="string")
    return out

"""Stage profiles: one business against its peers, stage by stage (the CMA radar's data)."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from cma_research.analysis.prepare import prepared, single_wave
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.missing.strategies import Strategy

__all__ = ["stage_profile"]


def stage_profile(
    cohort: Cohort,
    business_id: str | None = None,
    *,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
    peers: Collection[str] | None = None,
) -> pd.DataFrame:
    """Cohort median and quartiles per stage, and optionally one business's levels.

    This is what the CMA's radar chart shows (the paper's Table 3) and what the
    consultancy report calls peer-group positioning.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    business_id : str, optional
        The business to position against its peers (the rest of the cohort).
    strategy : str
        Missing-stage strategy (default ``available_case``).
    min_stages : int, optional
        For ``strategy="min_stages"``.
    peers : collection of str, optional
        The business ids of the peer group (default: every other business of the
        cohort); ``business_id`` itself is never its own peer.

    Returns
    -------
    DataFrame
        One row per stage in instrument order: ``stage``, ``number``, ``short_name``,
        ``name``, ``n_assessed`` (peers assessed on the stage), ``median``, ``q1``,
        ``q3`` (quartiles, linear interpolation), ``level`` (the business's level;
        ``NaN`` when not assessed or no business given), ``peer_share_below`` (share of
        assessed peers strictly below the business), ``business_id``, ``strategy``.
        When ``business_id`` is given, the peer statistics exclude that business; the
        strategy applies to the peers only, and ``level`` is always the business's
        level as returned (never imputed).

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> prof = stage_profile(load_returns(bundled_path("customer_wise_2007.csv")), "B01")
    >>> prof["level"].tolist()
    [nan, nan, nan, nan, 1.0, nan, nan, nan, nan, 1.0]
    >>> int(prof.loc[0, "n_assessed"])
    14
    """
    one = single_wave(cohort)
    raw_ids = one.scores.index.get_level_values("business_id")
    if business_id is not None and business_id not in set(raw_ids):
        sample = ", ".join(sorted(set(raw_ids))[:6])
        raise ParameterError(f"business_id={business_id!r} is not in the cohort ({sample}, ...)")
    # the business's own levels always come from the returns as read: a stage it was not
    # assessed on stays not assessed, whatever the strategy does to the peers
    own = (
        one.scores.loc[raw_ids == business_id].to_numpy(dtype=float, na_value=np.nan)[0]
        if business_id is not None
        else np.full(len(one.stage_ids), np.nan)
    )
    c = prepared(one, strategy, min_stages=min_stages, what="stage_profile")
    ids = c.scores.index.get_level_values("business_id")
    keep = ids != business_id
    if peers is not None:
        keep &= ids.isin(list(peers))
    peers_levels = c.scores.loc[keep].to_numpy(dtype=float, na_value=np.nan)
    rows = []
    for j, stage in enumerate(c.instrument.stages):
        col = peers_levels[:, j][~np.isnan(peers_levels[:, j])]
        n = len(col)
        q1, med, q3 = np.quantile(col, [0.25, 0.5, 0.75]) if n else (np.nan,) * 3
        below = float(np.mean(col < own[j])) if n and not np.isnan(own[j]) else np.nan
        rows.append(
            {
                "stage": stage.id,
                "number": stage.number,
                "short_name": stage.short_name,
                "name": stage.name,
                "n_assessed": n,
                "median": float(med),
                "q1": float(q1),
                "q3": float(q3),
                "level": float(own[j]),
                "peer_share_below": below,
            }
        )
    out = pd.DataFrame(rows)
    out["business_id"] = business_id
    out["strategy"] = strategy
    for col in ("stage", "short_name", "name", "business_id", "strategy"):
        out[col] = out[col].astype("string")
    return out

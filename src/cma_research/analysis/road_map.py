"""A business's road map: its position on each stage and the next step from the instrument."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cma_research.analysis.profiles import stage_profile
from cma_research.core.cohort import Cohort
from cma_research.missing.strategies import Strategy

__all__ = ["road_map"]


def road_map(
    cohort: Cohort,
    business_id: str,
    *,
    target_level: int | None = None,
    strategy: Strategy = "available_case",
) -> pd.DataFrame:
    """Stage-by-stage position of one business and the next step on each stage.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    business_id : str
    target_level : int, optional
        Default: the instrument's target level (4 for the bundled instruments).
    strategy : str
        Missing-stage strategy for the peer statistics (default ``available_case``);
        the business's own levels are never imputed.

    Returns
    -------
    DataFrame
        One row per stage in journey order: ``stage``, ``number``, ``name``, ``level``
        (NaN = not assessed), ``peer_median``, ``peer_share_below`` (share of assessed
        peers strictly below this business), ``n_peers``, ``target_level``, ``gap``
        (target minus level, 0 when at or above it), ``next_level``,
        ``next_criterion`` (the instrument's criterion for the next level; for a stage
        not assessed, the level-1 criterion), ``status``.

    Examples
    --------
    >>> from cma_research import load_returns
    >>> plan = road_map(load_returns("data/raw/customer_wise_2007.csv"), "B04")
    >>> print(plan.loc[0, "level"], plan.loc[0, "next_level"], plan.loc[0, "next_criterion"])
    2.0 3 Targets derived from data and forecasts made for future
    >>> plan.loc[6, "status"]
    'not assessed: assess this stage first'
    """
    profile = stage_profile(cohort, business_id, strategy=strategy)
    inst = cohort.instrument
    target = inst.target_level if target_level is None else target_level
    if target is None:
        target = inst.max_level
    rows = []
    for stage, prof in zip(inst.stages, profile.itertuples(index=False), strict=True):
        level = float(prof.level)  # type: ignore[arg-type]
        if np.isnan(level):
            next_level = inst.min_level + 1
            status = "not assessed: assess this stage first"
        elif level >= inst.max_level:
            next_level = None
            status = "at the highest level: sustain it"
        else:
            next_level = int(level) + 1
            status = (
                "at or above target" if level >= target else f"{target - int(level)} below target"
            )
        rows.append(
            {
                "stage": stage.id,
                "number": stage.number,
                "name": stage.name,
                "level": level,
                "peer_median": float(prof.median),  # type: ignore[arg-type]
                "peer_share_below": float(prof.peer_share_below),  # type: ignore[arg-type]
                "n_peers": int(prof.n_assessed),  # type: ignore[arg-type]
                "target_level": target,
                "gap": np.nan if np.isnan(level) else float(max(target - level, 0)),
                "next_level": next_level,
                "next_criterion": stage.criteria.get(next_level, "") if next_level else "",
                "status": status,
            }
        )
    out = pd.DataFrame(rows)
    out["next_level"] = out["next_level"].astype("Int64")
    for col in ("stage", "name", "next_criterion", "status"):
        out[col] = out[col].astype("string")
    return out

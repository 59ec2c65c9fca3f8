"""A business's road map: its position on each stage and the next step from the instrument.

Priority rule (documented here and stated on every report): stages assessed *below the
target* come first, the largest gap first (ties in the instrument's stage order); then
stages *not assessed*, which need assessing before anything can be planned; then stages
at or above the target but below the top level; then stages at the top level, which
are to be sustained. Within each of the last three groups, stage order.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cma_research.analysis.profiles import stage_profile
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.instrument import Instrument
from cma_research.missing.strategies import Strategy

__all__ = [
    "PRIORITY_RULE",
    "check_target_level",
    "plan_records",
    "plan_stages",
    "road_map",
    "staged_level",
]

#: The priority rule in words, for reports.
PRIORITY_RULE = (
    "{noun}s below the target level come first, the largest gap first (ties in "
    "{noun} order); then {noun}s not assessed; then {noun}s at or above the target; "
    "then {noun}s at the highest level"
)


def check_target_level(instrument: Instrument, target_level: object) -> int:
    """The target level, defaulting to the instrument's; refused unless one of its levels.

    >>> from cma_research.core.instrument import get_instrument
    >>> check_target_level(get_instrument("customer_wise_2007"), None)
    4
    >>> check_target_level(get_instrument("customer_wise_2007"), 9)
    Traceback (most recent call last):
    ...
    cma_research.core.errors.ParameterError: target_level=9 is not a level of ...
    """
    if target_level is None:
        target_level = instrument.target_level
        if target_level is None:
            return instrument.max_level
    ok = isinstance(target_level, int | np.integer) and not isinstance(target_level, bool)
    if not ok or int(target_level) not in instrument.level_values:  # type: ignore[call-overload]
        values = instrument.level_values
        raise ParameterError(
            f"target_level={target_level!r} is not a level of {instrument.name}; expected a "
            f"whole number from {values[0]} to {values[-1]}"
        )
    return int(target_level)  # type: ignore[call-overload]


def staged_level(levels: Sequence[float] | np.ndarray) -> tuple[float, float, int]:
    """Staged level, mean level and number of stages assessed, over the assessed stages.

    The staged level is the lowest level among the assessed stages (a business is at a
    level only when every stage has reached it, as in the CMM's staged representation);
    with stages not assessed it is an upper bound. NaN when nothing was assessed.

    >>> staged_level([2, 3, float("nan"), 4])
    (2.0, 3.0, 3)
    """
    arr = np.asarray(levels, dtype=float)
    ok = arr[~np.isnan(arr)]
    if not ok.size:
        return (np.nan, np.nan, 0)
    return (float(ok.min()), float(ok.mean()), int(ok.size))


def plan_records(
    instrument: Instrument, levels: Sequence[float] | np.ndarray, target_level: int | None = None
) -> list[dict[str, Any]]:
    """:func:`plan_stages` as plain records (one dict per stage), without pandas.

    For batches of many businesses, where building a DataFrame per business would cost
    more than the road map itself.

    >>> from cma_research.core.instrument import get_instrument
    >>> [r["priority"] for r in plan_records(get_instrument("customer_wise_2007"), [1] * 10)]
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    """
    inst = instrument
    target = check_target_level(inst, target_level)
    arr = np.asarray(levels, dtype=float)
    if arr.shape != (len(inst.stages),):
        raise ParameterError(
            f"levels must hold one value per {inst.stage_noun} ({len(inst.stages)}), "
            f"got shape {arr.shape}"
        )
    label = inst.level_labels
    noun = inst.stage_noun
    rows: list[dict[str, Any]] = []
    for stage, level in zip(inst.stages, arr, strict=True):
        assessed = not np.isnan(level)
        next_level: int | None
        if not assessed:
            next_level = inst.min_level + 1 if inst.max_level > inst.min_level else None
            status = f"not assessed: assess this {noun} first"
            group = 1
        elif level >= inst.max_level:
            next_level = None
            status = "at the highest level: sustain it"
            group = 3
        else:
            next_level = int(level) + 1
            group = 2 if level >= target else 0
            status = (
                "at or above target" if level >= target else f"{target - int(level)} below target"
            )
        criterion = stage.criteria.get(next_level, "") if next_level is not None else ""
        what = criterion or "the instrument gives no criterion for this level"
        if not assessed:
            action = (
                f"Not assessed: assess this {noun} first; level {next_level} "
                f"({label.get(next_level, '')}) looks for: {what}"
                if next_level is not None
                else f"Not assessed: assess this {noun} first."
            )
        elif next_level is None:
            action = f"At the highest level, {int(level)} ({label[int(level)]}): sustain it."
        elif level >= target:
            action = (
                f"At or above the target; next, level {next_level} ({label[next_level]}): {what}"
            )
        else:
            action = f"Raise to level {next_level} ({label[next_level]}): {what}"
        rows.append(
            {
                "stage": stage.id,
                "number": stage.number,
                "name": stage.name,
                "level": float(level),
                "level_label": label[int(level)] if assessed else "",
                "box_score": inst.box_scores.get(int(level), np.nan) if assessed else np.nan,
                "target_level": target,
                "gap": float(max(target - level, 0)) if assessed else np.nan,
                "next_level": next_level,
                "next_level_label": label.get(next_level, "") if next_level is not None else "",
                "next_criterion": criterion,
                "status": status,
                "action": action,
                "_group": group,
            }
        )

    def key(i: int) -> tuple[int, float, int]:
        gap = float(rows[i]["gap"])
        return (int(rows[i]["_group"]), -(0.0 if math.isnan(gap) else gap), int(rows[i]["number"]))

    order = sorted(range(len(rows)), key=key)
    for rank, i in enumerate(order, start=1):
        rows[i]["priority"] = rank
    for row in rows:
        del row["_group"]
    return rows


def plan_stages(
    instrument: Instrument, levels: Sequence[float] | np.ndarray, target_level: int | None = None
) -> pd.DataFrame:
    """The road map of one set of stage levels: next level, its criterion, priority.

    Parameters
    ----------
    instrument : Instrument
    levels : sequence of float
        One level per stage in instrument order; NaN = not assessed.
    target_level : int, optional
        Default: the instrument's target level.

    Returns
    -------
    DataFrame
        One row per stage in stage order: ``stage``, ``number``, ``name``, ``level``,
        ``level_label`` (the instrument's label; empty when not assessed),
        ``box_score`` (the instrument's score for the level, NaN when it defines none),
        ``target_level``, ``gap`` (target minus level, 0 at or above it, NaN when not
        assessed), ``next_level`` (``<NA>`` at the top level), ``next_level_label``,
        ``next_criterion`` (for a stage not assessed: the criterion of the lowest level
        above the bottom one, i.e. what to look for), ``status``, ``action`` (one
        sentence: what to do next), ``priority`` (1 = first; see :data:`PRIORITY_RULE`).

    Examples
    --------
    >>> from cma_research.core.instrument import get_instrument
    >>> mcf = get_instrument("managing_customers_framework")
    >>> plan = plan_stages(mcf, [5, 1, 4, 2, 2, float("nan")])
    >>> print(plan[["stage", "level_label", "next_level_label", "priority"]].to_string(index=False))
           stage level_label next_level_label  priority
           sales         Fly                          6
         service       Crawl             Walk         1
      operations         Run              Fly         5
          people        Walk              Jog         2
             crm        Walk              Jog         3
    data_insight                        Crawl         4
    >>> plan.loc[0, "action"]
    'At the highest level, 5 (Fly): sustain it.'
    """
    out = pd.DataFrame(plan_records(instrument, levels, target_level))
    out["next_level"] = out["next_level"].astype("Int64")
    out["box_score"] = out["box_score"].astype(float)
    for col in (
        "stage",
        "name",
        "level_label",
        "next_level_label",
        "next_criterion",
        "status",
        "action",
    ):
        out[col] = out[col].astype("string")
    return out


def road_map(
    cohort: Cohort,
    business_id: str,
    *,
    target_level: int | None = None,
    strategy: Strategy = "available_case",
    peers: Collection[str] | None = None,
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
    peers : collection of str, optional
        Ids of the peer group (default: every other business of the cohort); see
        :func:`~cma_research.analysis.peers.peer_groups` for groups of at least k.

    Returns
    -------
    DataFrame
        One row per stage in journey order: the columns of :func:`plan_stages`, and
        ``peer_median``, ``peer_share_below`` (share of assessed peers strictly below
        this business), ``n_peers`` (peers assessed on the stage).

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> plan = road_map(load_returns(bundled_path("customer_wise_2007.csv")), "B04")
    >>> print(plan.loc[0, "level"], plan.loc[0, "next_level"], plan.loc[0, "next_criterion"])
    2.0 3 Targets derived from data and forecasts made for future
    >>> plan.loc[6, "status"]
    'not assessed: assess this stage first'
    """
    profile = stage_profile(cohort, business_id, strategy=strategy, peers=peers)
    out = plan_stages(cohort.instrument, profile["level"].to_numpy(dtype=float), target_level)
    out["peer_median"] = profile["median"].to_numpy(dtype=float)
    out["peer_share_below"] = profile["peer_share_below"].to_numpy(dtype=float)
    out["n_peers"] = profile["n_assessed"].to_numpy(dtype=np.int64)
    return out

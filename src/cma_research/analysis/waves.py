"""Pairing two audit waves: which waves, the strategy within each, the paired levels.

Shared by the change analyses (:mod:`~cma_research.analysis.change`,
:mod:`~cma_research.analysis.transitions`, :mod:`~cma_research.analysis.change_models`,
:mod:`~cma_research.analysis.change_attrition`, :mod:`~cma_research.analysis.change_scores`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cma_research.analysis.prepare import check_choice
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.missing.strategies import STRATEGIES, Strategy, clean

__all__ = ["WaveKey", "apply_strategy", "check_count", "resolve_waves", "wave_scores"]

WaveKey = str | int | None


def resolve_waves(cohort: Cohort, baseline: WaveKey, follow_up: WaveKey) -> tuple[int, int]:
    """Wave codes of ``baseline`` (default: the first wave) and ``follow_up`` (the last).

    Raises
    ------
    ParameterError
        With one wave (nothing to compare), an unknown wave (listing the labels), or
        the same wave twice.
    """
    codes = [cohort.wave_rank(w) for w in cohort.waves]
    if len(codes) < 2:
        raise ParameterError(
            f"nothing to compare: the cohort has one wave ({cohort.waves[0]!r} if any); "
            "change needs returns from two waves of the same businesses"
            if codes
            else "nothing to compare: the cohort is empty"
        )
    b = codes[0] if baseline is None else cohort.wave_rank(baseline)
    f = codes[-1] if follow_up is None else cohort.wave_rank(follow_up)
    if b == f:
        raise ParameterError(
            f"baseline={baseline!r} and follow_up={follow_up!r} are the same wave "
            f"({cohort.wave_label(b)!r}); expected two different waves of "
            + ", ".join(repr(w) for w in cohort.waves)
        )
    return b, f


def apply_strategy(cohort: Cohort, strategy: str, min_stages: int | None) -> Cohort:
    check_choice("strategy", strategy, STRATEGIES)
    if strategy == "multiple":
        raise ParameterError(
            "strategy='multiple' gives m cohorts; compare waves under multiple imputation "
            "by running the analysis on each of clean(cohort, 'multiple', ...).cohorts"
        )
    return clean(cohort, strategy, min_stages=min_stages).cohort  # type: ignore[arg-type]


def wave_scores(
    cohort: Cohort,
    baseline: WaveKey = None,
    follow_up: WaveKey = None,
    *,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """Stage levels at the two waves for the businesses audited at both.

    The strategy is applied first (within each wave); a business whose return is
    dropped by it at either wave has no pair. Returns ``(base, follow, b, f)``: two
    float frames (NaN = not assessed) indexed by ``business_id`` in baseline file
    order, and the two wave codes.
    """
    b, f = resolve_waves(cohort, baseline, follow_up)
    c = apply_strategy(cohort, strategy, min_stages)
    waves = c.scores.index.get_level_values("wave")
    base = c.scores.loc[waves == b].droplevel("wave")
    follow = c.scores.loc[waves == f].droplevel("wave")
    where = pd.Index(follow.index.to_numpy(dtype=object)).get_indexer(
        base.index.to_numpy(dtype=object)
    )  # business ids are unique within a wave (the loader checks)
    in_both = where >= 0
    ids = base.index[in_both]
    base_f = pd.DataFrame(
        base.to_numpy(dtype=float, na_value=np.nan)[in_both], index=ids, columns=c.stage_ids
    )
    follow_f = pd.DataFrame(
        follow.to_numpy(dtype=float, na_value=np.nan)[where[in_both]],
        index=ids,
        columns=c.stage_ids,
    )
    return base_f, follow_f, b, f


def check_count(name: str, value: object) -> int:
    """``value`` as an ``int`` when it is a whole number >= 0, else :class:`ParameterError`."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ParameterError(f"{name}={value!r} must be a whole number >= 0")
    return int(value)

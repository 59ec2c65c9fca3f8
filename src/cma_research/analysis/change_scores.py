"""Per-wave tables for the change figures: scores, level distributions and profiles by wave.

The statistics of change (paired tests, transitions, attrition, models) live in
:mod:`cma_research.analysis.change` and beside it; these small tables only put the
one-wave summaries of :mod:`cma_research.analysis.describe` and
:mod:`cma_research.analysis.profiles` side by side, labelled with the waves' own
labels, for :mod:`cma_research.plotting.change`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cma_research.analysis.describe import SCORES, business_scores, level_distribution
from cma_research.analysis.prepare import check_choice
from cma_research.analysis.profiles import stage_profile
from cma_research.analysis.waves import resolve_waves
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.missing.strategies import Strategy

__all__ = ["chosen_waves", "level_distribution_by_wave", "scores_by_wave", "wave_profiles"]

#: ``status`` values of :func:`scores_by_wave`.
STATUSES: tuple[str, ...] = ("paired", "baseline_only", "follow_up_only")


def chosen_waves(
    cohort: Cohort,
    baseline_wave: str | int | None = None,
    follow_up_wave: str | int | None = None,
    *,
    wave: str | int | None = None,
) -> tuple[int, int] | None:
    """The wave codes a change report compares, or ``None`` when there is one wave.

    Checks the parameters ``baseline_wave`` / ``follow_up_wave`` (labels or codes; default
    the first and the last wave) before anything is computed, so a label the file lacks
    fails with one line naming the parameter and the waves the file has, even when the
    file has one wave only. ``wave`` is the build-wide parameter "the wave to analyse"
    of the other notebooks: when ``follow_up_wave`` is not given, it is the follow-up.

    Raises
    ------
    ParameterError
        For a wave the cohort lacks, or the same wave twice.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> chosen_waves(customer_wise_2007()) is None
    True
    >>> chosen_waves(synthetic_follow_up(customer_wise_2007(), seed=2008), "Baseline")
    (1, 2)
    """
    given = (("baseline_wave", baseline_wave), ("follow_up_wave", follow_up_wave), ("wave", wave))
    for name, value in given:
        if value is None:
            continue
        try:
            cohort.wave_rank(value)
        except ParameterError as exc:
            raise ParameterError(f"parameter {name}: {exc}") from None
    if len(cohort.waves) < 2:
        return None
    follow = follow_up_wave if follow_up_wave is not None else wave
    return resolve_waves(cohort, baseline_wave, follow)


def scores_by_wave(
    cohort: Cohort,
    baseline: str | int | None = None,
    follow_up: str | int | None = None,
    *,
    score: str = "mean",
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
) -> pd.DataFrame:
    """Each business's score at a baseline and a follow-up wave, side by side.

    The score is computed by :func:`~cma_research.business_scores` on each wave
    separately, with the same ``strategy``. Unlike
    :func:`~cma_research.analysis.change.change_scores` (the paired businesses only),
    the drop-outs and the businesses new at follow-up are kept, with their ``status``,
    so a figure can show who left.

    Parameters
    ----------
    cohort : Cohort
        At least two waves.
    baseline, follow_up : str or int, optional
        Waves by label or code; default the first and the last wave.
    score : str
        One of :data:`~cma_research.analysis.describe.SCORES` (default ``mean``, the
        mean level over the stages assessed).
    strategy : str
        Missing-stage strategy, applied to each wave (default ``available_case``).
    min_stages : int, optional
        For ``strategy="min_stages"``.

    Returns
    -------
    DataFrame
        One row per business audited at either wave, in order of first appearance
        (baseline file order, then businesses new at follow-up): ``business_id``,
        ``business_type`` (at the latest of the two waves it was audited),
        ``baseline`` and ``follow_up`` (wave labels), ``score`` (its name),
        ``score_baseline``, ``score_follow_up`` (``NaN`` when not audited at that wave,
        or dropped or unscored by the strategy), ``n_assessed_baseline``,
        ``n_assessed_follow_up`` (``<NA>`` when not audited), ``change``
        (follow-up minus baseline; ``NaN`` unless both scores exist), ``status``
        (``paired``: audited at both waves; ``baseline_only``: a drop-out;
        ``follow_up_only``), ``strategy``.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> two = synthetic_follow_up(customer_wise_2007(), seed=2008)  # the SYNTHETIC example
    >>> t = scores_by_wave(two)
    >>> t["status"].value_counts().to_dict()
    {'paired': 13, 'baseline_only': 3}
    >>> print(t[["business_id", "score_baseline", "score_follow_up", "change"]].head(3))
      business_id  score_baseline  score_follow_up  change
    0         B01             1.0              2.0     1.0
    1         B02             1.6              2.3     0.7
    2         B03             3.2              3.2     0.0
    """
    check_choice("score", score, SCORES)
    b, f = resolve_waves(cohort, baseline, follow_up)
    parts = {}
    for key, code in (("baseline", b), ("follow_up", f)):
        one = cohort.select_wave(code)
        table = business_scores(one, strategy=strategy, min_stages=min_stages)
        parts[key] = (one, table.set_index("business_id"))
    ids = list(
        dict.fromkeys(
            [
                *parts["baseline"][0].scores.index.get_level_values("business_id"),
                *parts["follow_up"][0].scores.index.get_level_values("business_id"),
            ]
        )
    )
    out = pd.DataFrame({"business_id": pd.array(ids, dtype="string")})
    present = {}
    types = pd.Series(pd.NA, index=ids, dtype="string")
    for key, (one, table) in parts.items():
        audited = set(one.scores.index.get_level_values("business_id"))
        present[key] = out["business_id"].isin(list(audited)).to_numpy()
        attrs = one.attributes.droplevel("wave")
        if "business_type" in attrs:
            got = attrs["business_type"].astype("string")
            types.loc[got.index] = got.to_numpy()
        values = table[score].reindex(ids) if score in table else pd.Series(np.nan, index=ids)
        out[f"score_{key}"] = values.to_numpy(dtype=float, na_value=np.nan)
        n_assessed = one.scores.notna().sum(axis=1).droplevel("wave")
        out[f"n_assessed_{key}"] = pd.array(n_assessed.reindex(ids).to_numpy(), dtype="Int64")
    out.insert(1, "business_type", types.reindex(ids).to_numpy())
    out.insert(2, "baseline", cohort.wave_label(b))
    out.insert(3, "follow_up", cohort.wave_label(f))
    out.insert(4, "score", score)
    out["change"] = out["score_follow_up"] - out["score_baseline"]
    both, base_only = present["baseline"] & present["follow_up"], present["baseline"]
    out["status"] = np.where(both, "paired", np.where(base_only, "baseline_only", "follow_up_only"))
    out["strategy"] = strategy
    for col in ("business_type", "baseline", "follow_up", "score", "status", "strategy"):
        out[col] = out[col].astype("string")
    return out


def level_distribution_by_wave(
    cohort: Cohort,
    waves: list[str | int] | None = None,
    *,
    paired_only: bool = False,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
) -> pd.DataFrame:
    """:func:`~cma_research.level_distribution` of each wave, stacked, labelled by wave.

    Parameters
    ----------
    cohort : Cohort
    waves : list of str or int, optional
        Waves by label or code, in the order to show them; default every wave.
    paired_only : bool
        Only the businesses audited at every one of ``waves`` (so the distributions
        compare the same businesses).
    strategy : str
        Missing-stage strategy, applied to each wave (default ``available_case``).
    min_stages : int, optional
        For ``strategy="min_stages"``.

    Returns
    -------
    DataFrame
        ``wave`` (label), ``wave_rank`` (position 1, 2 ... in ``waves``), ``n_businesses``
        (audited at the wave and kept), then the columns of
        :func:`~cma_research.level_distribution`, one block of rows per wave.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> two = synthetic_follow_up(customer_wise_2007(), seed=2008)  # the SYNTHETIC example
    >>> t = level_distribution_by_wave(two, paired_only=True)
    >>> t.groupby("wave", sort=False)["n_businesses"].first().to_dict()
    {'Baseline': 13, 'Follow-up (SYNTHETIC)': 13}
    """
    codes = [cohort.wave_rank(w) for w in (waves if waves is not None else cohort.waves)]
    if len(set(codes)) != len(codes):
        raise ParameterError(f"waves={waves!r} names a wave twice")
    keep: set[str] | None = None
    if paired_only:
        sets = [
            set(cohort.select_wave(c).scores.index.get_level_values("business_id")) for c in codes
        ]
        keep = set.intersection(*sets) if sets else set()
    blocks = []
    for position, code in enumerate(codes, start=1):
        one = cohort.select_wave(code)
        if keep is not None:
            ids = one.scores.index.get_level_values("business_id")
            one = one.subset(ids.isin(list(keep)))
        table = level_distribution(one, strategy=strategy, min_stages=min_stages)
        table.insert(0, "wave", cohort.wave_label(code))
        table.insert(1, "wave_rank", position)
        table.insert(2, "n_businesses", len(one.scores))
        blocks.append(table)
    out = pd.concat(blocks, ignore_index=True)
    out["wave"] = out["wave"].astype("string")
    return out


def wave_profiles(
    cohort: Cohort,
    business_id: str,
    waves: list[str | int] | None = None,
    *,
    strategy: Strategy = "available_case",
) -> pd.DataFrame:
    """:func:`~cma_research.stage_profile` of one business at each wave it was audited.

    Parameters
    ----------
    cohort : Cohort
    business_id : str
    waves : list of str or int, optional
        Waves by label or code, in order; default every wave.
    strategy : str
        Missing-stage strategy for the peers (the business's own levels are never
        imputed).

    Returns
    -------
    DataFrame
        ``wave`` (label), ``wave_rank`` (position in ``waves``), then the columns of
        :func:`~cma_research.stage_profile` (peers = the rest of the wave), one block of
        rows per wave at which the business was audited.

    Raises
    ------
    ParameterError
        When the business was audited at none of the waves.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> two = synthetic_follow_up(customer_wise_2007(), seed=2008)  # the SYNTHETIC example
    >>> p = wave_profiles(two, "B01")
    >>> p.pivot(index="stage", columns="wave", values="level").loc[["stage_5", "stage_6"]]
    wave     Baseline  Follow-up (SYNTHETIC)
    stage
    stage_5       1.0                    3.0
    stage_6       NaN                    2.0
    """
    codes = [cohort.wave_rank(w) for w in (waves if waves is not None else cohort.waves)]
    blocks = []
    for position, code in enumerate(codes, start=1):
        one = cohort.select_wave(code)
        if business_id not in set(one.scores.index.get_level_values("business_id")):
            continue
        table = stage_profile(one, business_id, strategy=strategy)
        table.insert(0, "wave", cohort.wave_label(code))
        table.insert(1, "wave_rank", position)
        blocks.append(table)
    if not blocks:
        raise ParameterError(
            f"business_id={business_id!r} was audited at none of the waves "
            + ", ".join(repr(cohort.wave_label(c)) for c in codes)
        )
    out = pd.concat(blocks, ignore_index=True)
    out["wave"] = out["wave"].astype("string")
    return out

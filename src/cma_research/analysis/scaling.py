"""Scaling checks of the maturity idea: is the order of the stages cumulative?

The staged level (a business's weakest stage) and the reading of levels as "stages of
maturity" assume a cumulative, Guttman-like structure. :func:`mokken_scale` checks it
with Mokken scale analysis (Loevinger's H with bootstrap intervals and manifest
monotonicity; :mod:`cma_research.stats.mokken`, cf. R's ``mokken``); :func:`rasch_pcm`
fits the partial-credit Rasch model as an exploratory check for pooled cohorts of 30 or
more businesses (stage difficulties and whether each stage's thresholds are ordered;
:mod:`cma_research.stats.rasch`, cf. R's ``eRm::PCM``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cma_research.analysis.prepare import prepared
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.params import Strategy, check_int
from cma_research.stats.mokken import MINVI, loevinger_h, monotonicity
from cma_research.stats.rasch import fit_pcm

__all__ = ["MIN_N_RASCH", "mokken_scale", "rasch_pcm"]

#: Fewest businesses for :func:`rasch_pcm`: an exploratory model for pooled cohorts;
#: with fewer, most stages have unobserved levels and the thresholds are not estimable
#: with any precision (Linacre 1994: 30 or more persons for item calibrations stable to
#: about +/-1 logit).
MIN_N_RASCH = 30


def mokken_scale(
    cohort: Cohort,
    *,
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    minsize: int | None = None,
) -> pd.DataFrame:
    """Mokken scale analysis of the stages: Loevinger's H and manifest monotonicity.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    strategy : str
        Needs complete data: ``complete_case`` (default) or an imputing strategy.
    min_stages : int, optional
        For ``strategy="min_stages"``.
    n_boot : int
        Business resamples for the percentile intervals of H (0: none). A resample in
        which a stage is constant leaves that stage's H undefined and is skipped for it.
    seed : int
        Seeds the resamples.
    minsize : int, optional
        Fewest businesses per rest-score group of the monotonicity check (default
        ``max(3, n // 5)``, :func:`cma_research.stats.mokken.monotonicity`).

    Returns
    -------
    DataFrame
        A row ``item == "scale"`` (Loevinger's H of all the stages), then one per stage
        (its item H_j): ``item``, ``name``, ``H``, ``ci95_low``, ``ci95_high``
        (percentile bootstrap over businesses), ``n_boot_used``, ``n``, ``k``,
        ``n_groups``, ``n_active`` and ``n_violations`` of the monotonicity check
        (violations: a drop of an item step ``P(X >= x | rest group)`` by more than
        0.03; summed over the stages on the scale row), ``max_violation``, ``strategy``,
        ``note`` (a constant stage, whose H is undefined).

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> res = mokken_scale(customer_wise_2007(), n_boot=0)
    >>> str(res.loc[0, "item"]), int(res.loc[0, "n"]), round(float(res.loc[0, "H"]), 4)
    ('scale', 12, 0.3996)

    R: by its definition, ``sum(cov) / sum(cov of the sorted items)`` over the pairs
    (``mokken::coefH``'s H; see ``tests/stats/results/results_mokken.py``).
    """
    check_int("n_boot", n_boot, minimum=0)
    c = prepared(cohort, strategy, min_stages=min_stages, allow_blanks=False, what="mokken_scale")
    x = c.scores.to_numpy(dtype=float)
    n, k = x.shape
    if n < 3 or k < 2:
        raise ParameterError(
            f"mokken_scale needs at least 3 complete businesses and 2 "
            f"{c.instrument.stage_noun}s; found {n} and {k}"
        )
    full = loevinger_h(x)
    mono = monotonicity(x, minsize=minsize)
    rng = np.random.default_rng(seed)
    boots = np.full((n_boot, k + 1), np.nan)
    for b in range(n_boot):
        xb = x[rng.integers(0, n, n)]
        res = loevinger_h(xb)
        boots[b, 0] = res["H"]
        boots[b, 1:] = res["H_items"]
    names = {s.id: s.name for s in c.instrument.stages}
    constant = [sid for sid, col in zip(c.stage_ids, x.T, strict=True) if np.ptp(col) == 0]
    rows = []
    for i, (item, value) in enumerate(
        [("scale", full["H"]), *zip(c.stage_ids, full["H_items"], strict=True)]
    ):
        draws = boots[:, i][np.isfinite(boots[:, i])]
        low, high = (
            (float(np.quantile(draws, 0.025)), float(np.quantile(draws, 0.975)))
            if len(draws)
            else (np.nan, np.nan)
        )
        if i == 0:
            groups = int(max(m["n_groups"] for m in mono))
            active = int(sum(m["n_active"] for m in mono))
            viol = int(sum(m["n_violations"] for m in mono))
            worst = float(max(m["max_violation"] for m in mono))
            note = f"constant (H undefined): {', '.join(constant)}" if constant else ""
        else:
            m = mono[i - 1]
            groups, active, viol, worst = (
                m["n_groups"], m["n_active"], m["n_violations"], m["max_violation"]
            )  # fmt: skip
            note = "constant over the businesses: H undefined" if item in constant else ""
        rows.append(
            {
                "item": item,
                "name": f"All {c.instrument.stage_noun}s" if i == 0 else names.get(item, item),
                "H": float(value),
                "ci95_low": low,
                "ci95_high": high,
                "n_boot_used": len(draws),
                "n": n,
                "k": k,
                "n_groups": groups,
                "n_active": active,
                "n_violations": viol,
                "max_violation": worst,
                "minvi": MINVI,
                "strategy": strategy,
                "note": note,
            }
        )
    out = pd.DataFrame(rows)
    for col in ("item", "name", "strategy", "note"):
        out[col] = out[col].astype("string")
    return out


def rasch_pcm(
    cohort: Cohort,
    *,
    strategy: Strategy = "complete_case",
    min_stages: int | None = None,
    min_businesses: int = MIN_N_RASCH,
) -> pd.DataFrame:
    """The partial-credit Rasch model of the stages (exploratory; pooled cohorts only).

    Fits Masters' partial-credit model by conditional maximum likelihood
    (:func:`cma_research.stats.rasch.fit_pcm`, as ``eRm::PCM``) to the complete returns:
    each stage's difficulty (the mean of its thresholds) and its thresholds, the points
    on the maturity scale where the next level becomes more likely than the one below;
    if they do not increase, the levels do not work as ordered steps on that stage.
    Levels above a stage's highest observed level are not modelled (the stage has fewer
    steps); a stage with an unobserved level in the middle cannot be fitted.

    Parameters
    ----------
    cohort : Cohort
        One wave, or several pooled into one cohort of distinct businesses.
    strategy : str
        Needs complete data: ``complete_case`` (default) or an imputing strategy.
    min_stages : int, optional
        For ``strategy="min_stages"``.
    min_businesses : int
        Fewest complete businesses (default :data:`MIN_N_RASCH`, 30).

    Returns
    -------
    DataFrame
        One row per stage and threshold: ``stage``, ``name``, ``threshold`` (1, 2, ...:
        between level ``threshold - 1`` and ``threshold``), ``delta``, ``location`` (the
        stage's difficulty), ``ordered`` (the stage's thresholds increase), ``n_used``
        (businesses with a total that is neither the lowest nor the highest possible),
        ``loglik`` (conditional), ``strategy``.

    Raises
    ------
    ParameterError
        Fewer than ``min_businesses`` complete businesses, or a stage with an
        unobserved middle level.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> rasch_pcm(customer_wise_2007())
    Traceback (most recent call last):
    ...
    cma_research.core.errors.ParameterError: rasch_pcm is exploratory and needs a pooled
    cohort of at least 30 complete businesses; 12 remain under strategy 'complete_case'
    """
    check_int("min_businesses", min_businesses, minimum=2)
    c = prepared(cohort, strategy, min_stages=min_stages, allow_blanks=False, what="rasch_pcm")
    x = c.scores.to_numpy(dtype=float)
    if x.shape[0] < min_businesses:
        raise ParameterError(
            f"rasch_pcm is exploratory and needs a pooled cohort of at least {min_businesses} "
            f"complete businesses; {x.shape[0]} remain under strategy {strategy!r}"
        )
    lowest = float(c.instrument.level_values[0])
    try:
        fit = fit_pcm(x - lowest)
    except ParameterError as exc:
        raise ParameterError(f"rasch_pcm: {exc} (stages in instrument order)") from exc
    names = {s.id: s.name for s in c.instrument.stages}
    rows = []
    for sid, deltas, loc in zip(c.stage_ids, fit.thresholds, fit.locations, strict=True):
        ordered = bool(np.all(np.diff(deltas) > 0))
        for t, d in enumerate(deltas, start=1):
            rows.append(
                {
                    "stage": sid,
                    "name": names.get(sid, sid),
                    "threshold": t,
                    "delta": float(d),
                    "location": float(loc),
                    "ordered": ordered,
                }
            )
    out = pd.DataFrame(rows)
    out["n_used"] = fit.n_used
    out["loglik"] = fit.loglik
    out["strategy"] = strategy
    for col in ("stage", "name", "strategy"):
        out[col] = out[col].astype("string")
    return out

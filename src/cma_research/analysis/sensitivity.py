"""Run one analysis under every missing-data strategy, side by side.

The analyses pool multiple imputations themselves (``strategy="multiple"``, with Rubin's
rules: :func:`cma_research.pool_rubin`); this module only lines their results up, one
block of rows per strategy, with a note where a strategy does not apply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from cma_research.analysis.correlation import correlate, pool_correlations
from cma_research.analysis.models import fit_size_model
from cma_research.analysis.prepare import single_wave
from cma_research.analysis.reliability import cronbach_alpha
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.params import STRATEGIES, Strategy, check_choice
from cma_research.missing.strategies import clean

__all__ = ["ANALYSES", "sensitivity", "tipping_point"]

Analysis = Literal["correlate", "cronbach_alpha", "fit_size_model"]
#: Analyses :func:`sensitivity` can run (each pools ``multiple`` itself).
ANALYSES: tuple[str, ...] = ("correlate", "cronbach_alpha", "fit_size_model")
_RUN: dict[str, Callable[..., pd.DataFrame]] = {
    "correlate": correlate,
    "cronbach_alpha": cronbach_alpha,
    "fit_size_model": fit_size_model,
}


def sensitivity(
    cohort: Cohort,
    analysis: Analysis = "correlate",
    strategies: Sequence[Strategy] | None = None,
    *,
    min_stages: int | None = None,
    m: int = 20,
    seed: int = 0,
    **kwargs: Any,
) -> pd.DataFrame:
    """The same analysis under each missing-data strategy, side by side.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    analysis : {"correlate", "cronbach_alpha", "fit_size_model"}
    strategies : sequence of str, optional
        Default: every strategy, ``min_stages`` only when ``min_stages`` is given.
    min_stages : int, optional
        k for ``min_stages``.
    m, seed : int
        Imputations and seed for ``multiple``; ``seed`` also seeds the bootstrap and
        permutations of ``correlate``.
    **kwargs
        Passed to the analysis (e.g. ``covariate``, ``score``, ``method``, ``n_boot``).
        Each row block is exactly ``analysis(cohort, strategy=s, m=m, seed=seed,
        **kwargs)``; call the analysis directly for one strategy.

    Returns
    -------
    DataFrame
        The analysis' own rows for each strategy stacked: ``strategy`` first, then the
        analysis' columns, ``identical_strategies``, ``m`` and ``note`` last. A strategy
        whose result is identical number for number to an earlier strategy's (every
        estimate, interval, n and asymptotic p; Monte-Carlo permutation p-values aside)
        is shown once: its rows are dropped and the earlier strategy's
        ``identical_strategies`` names it ("" otherwise). E.g. ``business_mean`` and
        ``available_case`` for the size correlation of the Table 4 mean level: filling a
        blank with the business's own mean, rounded, moves two businesses' mean levels
        past each other only where their staff numbers tie, so Spearman's rho is the
        same number; and for ``multiple`` its pooled columns ``df``, ``riv``
        (relative increase in variance), ``lambda_share`` (share of the variance due to
        missingness), ``fmi`` (fraction of missing information, as ``mice::pool``);
        see :func:`~cma_research.correlate`, :func:`~cma_research.cronbach_alpha` and
        :func:`~cma_research.fit_size_model` for how each pools. A strategy the analysis
        cannot use (e.g. alpha with blanks left) gives one row with ``note`` saying why.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> cohort = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> res = sensitivity(cohort, "cronbach_alpha", m=5, seed=1)
    >>> res["strategy"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['complete_case', 'available_case', 'stage_median', 'business_mean', 'multiple',
     'blank_as_zero']
    >>> print(res["note"].tolist()[1])
    not applicable: cronbach_alpha needs complete data, but strategy='available_case'
    leaves 23 blank cells; use 'complete_case' or an imputing strategy ('stage_median',
    'business_mean', 'multiple')
    """
    check_choice("analysis", analysis, ANALYSES)
    one = single_wave(cohort)
    if strategies is None:
        strategies = [s for s in STRATEGIES if s != "min_stages" or min_stages is not None]  # type: ignore[misc]
    for s in strategies:
        check_choice("strategy", s, STRATEGIES)
    run = _RUN[analysis]
    frames = []
    for s in strategies:
        k = min_stages if s == "min_stages" else None
        try:
            out = run(one, strategy=s, min_stages=k, m=m, seed=seed, **kwargs)
        except ParameterError as exc:
            out = pd.DataFrame(
                {
                    "strategy": [s],
                    "m": [m if s == "multiple" else 1],
                    "note": [f"not applicable: {exc}"],
                }
            )
        frames.append(out)
    frames, same = _collapse_identical(frames, [str(s) for s in strategies])
    result = pd.concat(frames, ignore_index=True)
    result["identical_strategies"] = [
        ", ".join(same.get(str(s), [])) for s in result["strategy"].astype(str)
    ]
    cols = [
        "strategy",
        *[c for c in result.columns if c not in ("strategy", "m", "note", "identical_strategies")],
        "identical_strategies",
        "m",
        "note",
    ]
    result = result[cols]
    for col in ("strategy", "note", "identical_strategies"):
        result[col] = result[col].astype("string")
    return result


#: Columns of Monte-Carlo results (permutation p and what is adjusted from it), which
#: differ between two strategies with the same estimate when their data differ.
_MONTE_CARLO = ("p_perm", "p_adj")


def _numbers(frame: pd.DataFrame) -> np.ndarray | None:
    """The result's deterministic numbers (every numeric column but ``m`` and the
    Monte-Carlo ones) as one array; None for a 'not applicable' row."""
    if (
        "note" in frame.columns
        and frame["note"].fillna("").astype(str).str.startswith("not applicable").any()
    ):
        return None
    cols = [
        c
        for c in frame.columns
        if c != "m"
        and pd.api.types.is_numeric_dtype(frame[c])
        and not c.startswith(_MONTE_CARLO)
        and not c.endswith("_mc_se")
    ]
    return frame[cols].to_numpy(dtype=float, na_value=np.nan)


def _collapse_identical(
    frames: list[pd.DataFrame], names: list[str]
) -> tuple[list[pd.DataFrame], dict[str, list[str]]]:
    """Drop a strategy whose result is identical, number for number, to an earlier one's.

    Some strategies are algebraically the same for a statistic (``business_mean`` fills
    a blank with the business's own mean, so its mean level is the available-case mean
    and any rank correlation of it is the same number): counting them twice would make
    one result look like two confirmations. Returns the frames kept and, per kept
    strategy, the later strategies it stands for.
    """
    kept: list[tuple[str, pd.DataFrame, np.ndarray | None]] = []
    same: dict[str, list[str]] = {}
    for name, frame in zip(names, frames, strict=True):
        values = _numbers(frame)
        match = next(
            (
                k
                for k, f, v in kept
                if values is not None
                and v is not None
                and v.shape == values.shape
                and list(f.columns) == list(frame.columns)
                and np.array_equal(v, values, equal_nan=True)
            ),
            None,
        )
        if match is None:
            kept.append((name, frame, values))
        else:
            same.setdefault(match, []).append(name)
    return [f for _, f, _ in kept], same


def _verdict(low: float, high: float) -> int:
    """+1 / -1 when the 95% interval lies above / below 0, else 0 (not established)."""
    if np.isnan(low) or np.isnan(high):
        return 0
    return 1 if low > 0 else -1 if high < 0 else 0


def tipping_point(
    cohort: Cohort,
    covariate: str = "staff",
    score: str = "mean",
    method: Literal["spearman", "kendall", "pearson"] = "spearman",
    *,
    deltas: Sequence[int] | None = None,
    m: int = 20,
    seed: int = 0,
) -> pd.DataFrame:
    """How far below the imputations must blanks lie before the verdict flips?

    Delta adjustment (van Buuren 2018, sect. 9.2; ``mice``'s ``post`` argument,
    ``imp[[j]][, i] - delta``): the ``multiple`` imputations assume blanks are missing
    at random; if an unassessed stage is in truth ``delta`` levels lower than a
    comparable assessed one (blanks missing not at random), every imputed cell is
    lowered by ``delta`` (kept within the instrument's levels), the correlation of
    each imputed cohort recomputed and pooled with Rubin's rules as
    :func:`~cma_research.correlate` pools. At the largest delta every blank sits at
    the lowest level: strategy ``blank_as_zero``. The verdict is the direction of the
    pooled 95% interval (positive, negative, or not established when it includes 0),
    as the findings read it.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    covariate, score, method
        The correlation, as :func:`~cma_research.correlate`.
    deltas : sequence of int, optional
        Levels to lower the imputed cells by; default ``0, 1, ...`` up to the
        instrument's range of levels.
    m, seed : int
        Imputations (the same ``m`` completed cohorts for every delta) and their seed.

    Returns
    -------
    DataFrame
        One row per delta: ``delta``, ``r``, ``ci95_low``, ``ci95_high``, ``p_val``
        (pooled), ``verdict`` (+1, -1, 0), ``flipped`` (the verdict differs from
        delta = 0's), ``n_blanks`` (imputed cells), ``blanks_at_lowest`` (imputed cells
        at the lowest level, mean over the imputations), ``n``, ``m``, ``covariate``,
        ``score``, ``method``, ``tipping_delta`` (the smallest delta that flips the
        verdict, the same on every row; NaN when none does).

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> tp = tipping_point(customer_wise_2007(), m=5, seed=1)
    >>> tp["delta"].tolist(), int(tp["n_blanks"].iloc[0])
    ([0, 1, 2, 3, 4, 5], 23)
    """
    one = single_wave(cohort)
    levels = one.instrument.level_values
    lowest, highest = int(levels[0]), int(levels[-1])
    steps = list(range(0, highest - lowest + 1)) if deltas is None else [int(d) for d in deltas]
    if not steps or min(steps) < 0:
        raise ParameterError(f"deltas={deltas!r} must be whole numbers of levels >= 0")
    kept = clean(one, "available_case").cohort
    kept = kept.subset(kept.scores.notna().sum(axis=1) > 0)
    blank = kept.scores.isna().to_numpy()
    imputations = clean(one, "multiple", m=m, seed=seed).cohorts
    rows = []
    for delta in steps:
        frames = []
        at_lowest = []
        for c in imputations:
            values = c.scores.to_numpy(dtype=float, na_value=np.nan)
            shifted = np.where(blank, np.clip(values - delta, lowest, highest), values)
            at_lowest.append(int((blank & (shifted == lowest)).sum()))
            scores = pd.DataFrame(shifted, index=c.scores.index, columns=c.scores.columns)
            moved = replace(c, scores=scores.round().astype("Int64"))
            frames.append(
                correlate(moved, covariate, score, method, "available_case", n_boot=0, n_perm=0)
            )
        pooled = pool_correlations(frames, "holm", []).iloc[0]
        low, high = float(pooled["ci95_low"]), float(pooled["ci95_high"])
        rows.append(
            {
                "delta": delta,
                "r": float(pooled["r"]),
                "ci95_low": low,
                "ci95_high": high,
                "p_val": float(pooled["p_val"]),
                "verdict": _verdict(low, high),
                "n_blanks": int(blank.sum()),
                "blanks_at_lowest": float(np.mean(at_lowest)),
                "n": int(pooled["n"]),
            }
        )
    out = pd.DataFrame(rows)
    out["flipped"] = out["verdict"] != out["verdict"].iloc[0]
    flips = out.loc[out["flipped"], "delta"]
    out["m"] = m
    out["covariate"], out["score"], out["method"] = covariate, score, method
    for col in ("covariate", "score", "method"):
        out[col] = out[col].astype("string")
    out["tipping_delta"] = float(flips.iloc[0]) if len(flips) else np.nan
    return out

"""Run one analysis under every missing-data strategy, side by side.

The analyses pool multiple imputations themselves (``strategy="multiple"``, with Rubin's
rules: :func:`cma_research.pool_rubin`); this module only lines their results up, one
block of rows per strategy, with a note where a strategy does not apply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import pandas as pd

from cma_research.analysis.correlation import correlate
from cma_research.analysis.models import fit_size_model
from cma_research.analysis.prepare import single_wave
from cma_research.analysis.reliability import cronbach_alpha
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.params import STRATEGIES, Strategy, check_choice

__all__ = ["ANALYSES", "sensitivity"]

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
        The analysis' own rows for each strategy stacked: ``strategy`` first, ``m``
        and ``note`` last, and for ``multiple`` its pooled columns ``df``, ``riv``
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
    >>> res["strategy"].tolist()
    ['complete_case', 'available_case', 'stage_median', 'business_mean', 'multiple']
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
    result = pd.concat(frames, ignore_index=True)
    cols = [
        "strategy",
        *[c for c in result.columns if c not in ("strategy", "m", "note")],
        "m",
        "note",
    ]
    result = result[cols]
    for col in ("strategy", "note"):
        result[col] = result[col].astype("string")
    return result

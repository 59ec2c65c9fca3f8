"""Correlation methods and the family of tests a multiple-testing correction counts.

Shared by :func:`~cma_research.correlate` and :func:`~cma_research.stage_correlations`
(and the sensitivity analysis): the accepted methods and adjustments, the adjustment
itself, and :func:`rank_equivalent`, which finds covariates that are one rank test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from cma_research.stats.multitest import adjust_p

__all__ = ["METHODS", "P_ADJUST", "STAGE_METHODS", "rank_equivalent"]

Method = Literal["spearman", "kendall", "pearson"]
PAdjust = Literal["holm", "fdr_bh"]
#: Correlation methods accepted by :func:`correlate` and :func:`stage_correlations`.
METHODS: tuple[str, ...] = ("spearman", "kendall", "pearson")
StageMethod = Literal["spearman", "kendall", "pearson", "polychoric"]
#: Methods of :func:`stage_correlations`: those of :func:`correlate` and ``polychoric``.
STAGE_METHODS: tuple[str, ...] = (*METHODS, "polychoric")
#: Multiple-testing adjustments (statsmodels names): Holm, Benjamini-Hochberg.
P_ADJUST: tuple[str, ...] = ("holm", "fdr_bh")


def _adjust(
    out: pd.DataFrame, p_adjust: str, duplicate_of: Sequence[tuple[int, str] | None] = ()
) -> pd.DataFrame:
    """Adjust the p-values over the rows; ``duplicate_of[i] = (j, name)`` marks row i as
    the same test as row j (left out of the family, given row j's adjusted p)."""
    dup = list(duplicate_of) or [None] * len(out)
    source = "p_perm" if out["p_perm"].notna().all() else "p_val"
    family = [i for i, d in enumerate(dup) if d is None]
    p_adj = np.full(len(out), np.nan)
    p_adj[family] = adjust_p(out[source].to_numpy(dtype=float)[family], p_adjust)
    label = f"{p_adjust} on {source}"
    if len(family) < len(out):
        label += f" over {len(family)} distinct tests"
    methods = [label] * len(out)
    for i, d in enumerate(dup):
        if d is not None:
            p_adj[i] = p_adj[d[0]]
            methods[i] = f"{label}; the same test as {d[1]} (rank-equivalent), counted once"
    out["p_adj"] = p_adj
    out["p_adj_method"] = pd.array(methods, dtype="string")
    return out


def rank_equivalent(
    covariates: Mapping[str, np.ndarray], method: str
) -> dict[str, tuple[str, int]]:
    """Covariates that give exactly the same rank test as an earlier one.

    Spearman's rho and Kendall's tau depend on the data only through their ranks, so a
    strictly monotone transform of a covariate (``log_staff`` of ``staff``) gives the
    same r (negated for a decreasing transform), the same p and, on the same
    resamples, the same bootstrap interval: one test, which must enter a
    multiple-testing correction once. Two covariates are equivalent when they are
    missing for the same businesses and their average ranks are equal (or exactly
    reversed) over the rest. Pearson's r is not rank-based: nothing is equivalent.

    Returns
    -------
    dict
        ``{later name: (earlier name, sign)}``, ``sign`` +1 (increasing transform) or
        -1 (decreasing); covariates not listed are distinct tests.

    Examples
    --------
    >>> import numpy as np
    >>> staff = np.array([2.0, 1.0, 15.0, 3.0, np.nan])
    >>> rank_equivalent({"staff": staff, "log_staff": np.log(staff), "minus": -staff},
    ...                 "spearman")
    {'log_staff': ('staff', 1), 'minus': ('staff', -1)}
    >>> rank_equivalent({"staff": staff, "log_staff": np.log(staff)}, "pearson")
    {}
    """
    from scipy.stats import rankdata

    if method not in ("spearman", "kendall"):
        return {}
    seen: list[tuple[str, np.ndarray, np.ndarray]] = []
    out: dict[str, tuple[str, int]] = {}
    for name, values in covariates.items():
        v = np.asarray(values, dtype=float)
        missing = np.isnan(v)
        ranks = rankdata(v[~missing])
        for other, other_missing, other_ranks in seen:
            if not np.array_equal(missing, other_missing):
                continue
            if np.array_equal(ranks, other_ranks):
                out[name] = (other, 1)
                break
            if np.array_equal(ranks, len(ranks) + 1 - other_ranks):
                out[name] = (other, -1)
                break
        else:
            seen.append((name, missing, ranks))
    return out

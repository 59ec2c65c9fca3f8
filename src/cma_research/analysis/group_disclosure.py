"""Disclosure control for group comparisons shown in shared reports.

A group table (``compare_groups``) shows each group's size and median; a group of fewer
than ``k`` businesses could identify them. :func:`suppress_groups` hides every statistic
of such a group, and of the pairwise tests that involve it, choosing further groups to
hide when the published total would let a reader recover a hidden size (secondary
suppression through :func:`cma_research.analysis.disclosure.suppress_small_cells`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cma_research.analysis.disclosure import check_k, suppress_small_cells

__all__ = ["suppress_groups"]

_HIDDEN = ("n_a", "n_b", "median_a", "statistic", "p_val", "p_adj", "effect_size")


def suppress_groups(groups: pd.DataFrame, k: int) -> pd.DataFrame:
    """``compare_groups`` output with groups of fewer than ``k`` businesses hidden.

    Parameters
    ----------
    groups : DataFrame
        The output of :func:`cma_research.compare_groups`.
    k : int
        Smallest group that may be shown (``1`` shows everything: not anonymised).

    Returns
    -------
    DataFrame
        The same rows; hidden statistics are NaN/NA, and a ``disclosure`` column says
        why (``"suppressed: fewer than k businesses"``, ``"suppressed: would reveal a
        suppressed group"``) or, for ``k = 1``, that the table is not anonymised.

    Examples
    --------
    >>> import cma_research as cma
    >>> g = cma.compare_groups(cma.datasets.customer_wise_2007(), "size_band")
    >>> out = suppress_groups(g, 5)
    >>> shown = out[out["test"] == "group"]
    >>> shown["n_a"].tolist(), shown["disclosure"].tolist()[1]
    ([11, <NA>, <NA>], 'suppressed: fewer than 5 businesses')
    """
    k = check_k(k, "disclosure_k")
    out = groups.copy()
    out["disclosure"] = pd.array([""] * len(out), dtype="string")
    if k == 1:
        out["disclosure"] = "not anonymised (disclosure_k = 1)"
        return out
    rows = out["test"] == "group"
    sizes = pd.Series(
        out.loc[rows, "n_a"].astype(int).to_numpy(), index=out.loc[rows, "group_a"].astype(str)
    )
    cells = suppress_small_cells(sizes, k)
    hidden = cells[cells["suppressed"] & ~cells["is_margin"]]
    why = {
        str(r): (
            f"suppressed: fewer than {k} businesses"
            if "primary" in str(reason)
            else "suppressed: would reveal a suppressed group"
        )
        for r, reason in zip(hidden["row"], hidden["reason"], strict=True)
    }
    for i in out.index:
        a, b = str(out.loc[i, "group_a"]), str(out.loc[i, "group_b"])
        reason = why.get(a) or why.get(b)
        if not reason:
            continue
        for col in _HIDDEN:
            if col in out.columns:
                out.loc[i, col] = pd.NA if str(out[col].dtype) in ("Int64", "string") else np.nan
        out.loc[i, "disclosure"] = reason
    if "warning" in out.columns and why:
        out["warning"] = (
            out["warning"]
            .astype("string")
            .str.replace(
                r"groups with fewer than.*", "small groups suppressed (see disclosure)", regex=True
            )
        )
    return out

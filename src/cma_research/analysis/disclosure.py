"""Disclosure control for group tables: small cells suppressed, margins cannot undo it.

A table of business counts by group (size band x business type, say) published with its
row and column totals lets a reader subtract: if one cell of a row is hidden, the row
total minus the others gives it back. :func:`suppress_small_cells` hides every cell with
fewer than ``k`` businesses (*primary* suppression) and then hides further cells
(*secondary* suppression) until no hidden cell can be recomputed exactly from the
published cells and totals by any linear combination of the table's sums.

:func:`suppress_groups` applies the same control to a group comparison
(:func:`cma_research.compare_groups`): a group of fewer than ``k`` businesses shows
neither its size and median nor the pairwise tests that involve it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.linalg import null_space

from cma_research.core.errors import ParameterError

__all__ = ["PRIMARY", "SECONDARY", "TOTAL", "check_k", "suppress_groups", "suppress_small_cells"]

#: ``reason`` of a cell hidden because it counts fewer than k businesses.
PRIMARY = "primary: fewer than k businesses"
#: ``reason`` of a cell hidden so that no hidden cell can be recomputed from the totals.
SECONDARY = "secondary: would let a reader recompute a suppressed cell from the totals"
#: Label of the margin rows and columns.
TOTAL = "total"


def check_k(k: object, name: str = "k") -> int:
    """``k`` as an int, refused unless it is a whole number of at least 1.

    >>> check_k(5)
    5
    >>> check_k(0)
    Traceback (most recent call last):
    ...
    cma_research.core.errors.ParameterError: k=0 must be a whole number >= 1 ...
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or int(k) < 1:
        raise ParameterError(
            f"{name}={k!r} must be a whole number >= 1 (the smallest group whose "
            "statistics may be shown; 1 means no disclosure control)"
        )
    return int(k)


def suppress_small_cells(
    table: pd.DataFrame | pd.Series, k: int, *, margins: bool = True
) -> pd.DataFrame:
    """Cells of a count table to hide so that no group of fewer than ``k`` is disclosed.

    Parameters
    ----------
    table : DataFrame or Series
        Counts of businesses: rows and columns are groups (a Series is one column).
        Whole numbers >= 0, no missing values.
    k : int
        Smallest count that may be shown (>= 1; 1 suppresses nothing). Cells with
        ``0 < n < k`` are suppressed; an empty cell (0) is shown.
    margins : bool
        Whether the row and column totals (and the grand total) are published too;
        they then take part in the protection, and a total below ``k`` is itself
        suppressed.

    Returns
    -------
    DataFrame
        One row per cell, rows of ``table`` first in order, then its totals:
        ``row``, ``column`` (group labels as text; ``"total"`` for a margin), ``n``
        (the count), ``is_margin``, ``suppressed`` (bool), ``reason`` (:data:`PRIMARY`,
        :data:`SECONDARY` or empty).

        Guarantee: from the cells not suppressed and the table's additive structure
        (each row and column sums to its total), no suppressed cell has only one
        possible value. Complements are chosen among the smallest non-empty cells of the
        lines concerned (least information lost), ties in table order.

    Examples
    --------
    >>> t = pd.DataFrame({"retail": [6, 2], "services": [7, 9]}, index=["micro", "small"])
    >>> out = suppress_small_cells(t, 5)
    >>> print(out.loc[out["suppressed"], ["row", "column", "n"]].to_string(index=False))
      row   column  n
    micro   retail  6
    micro services  7
    small   retail  2
    small services  9
    >>> out.loc[out["is_margin"], "suppressed"].any()  # the totals stay visible
    np.False_
    """
    k = check_k(k)
    frame = table.to_frame() if isinstance(table, pd.Series) else table
    values = frame.to_numpy()
    if values.size == 0:
        raise ParameterError("suppress_small_cells needs a table with at least one cell")
    try:
        counts = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError("the table must hold counts (whole numbers >= 0)") from None
    bad = np.isnan(counts) | (counts < 0) | (counts != np.round(counts))
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        raise ParameterError(
            f"table cell ({frame.index[i]!r}, {frame.columns[j]!r}) = {values[i, j]}; "
            "expected a count of businesses (whole number >= 0)"
        )
    n_rows, n_cols = counts.shape
    labels: list[tuple[str, str, bool]] = [
        (str(r), str(c), False) for r in frame.index for c in frame.columns
    ]
    n_of = list(counts.ravel())
    cell = {(i, j): i * n_cols + j for i in range(n_rows) for j in range(n_cols)}
    equations: list[tuple[list[int], int]] = []  # (parts, total): sum(parts) == total
    if margins:
        row_tot: dict[int, int] = {}
        col_tot: dict[int, int] = {}
        if n_rows > 1 and n_cols > 1:  # a single row or column: its total is the grand total
            for i in range(n_rows):
                row_tot[i] = len(n_of)
                labels.append((str(frame.index[i]), TOTAL, True))
                n_of.append(counts[i].sum())
            for j in range(n_cols):
                col_tot[j] = len(n_of)
                labels.append((TOTAL, str(frame.columns[j]), True))
                n_of.append(counts[:, j].sum())
        grand = len(n_of)
        labels.append((TOTAL, TOTAL, True))
        n_of.append(counts.sum())
        for i, t in row_tot.items():
            equations.append(([cell[i, j] for j in range(n_cols)], t))
        for j, t in col_tot.items():
            equations.append(([cell[i, j] for i in range(n_rows)], t))
        if row_tot:
            equations.append((list(row_tot.values()), grand))
            equations.append((list(col_tot.values()), grand))
        else:
            equations.append((list(range(n_rows * n_cols)), grand))
    n = np.asarray(n_of)
    inner = np.array([not m for _, _, m in labels])
    suppressed = (n > 0) & (n < k)
    reason = np.where(suppressed, PRIMARY, "").astype(object)
    matrix = np.zeros((len(equations), len(n)))
    for e, (parts, total) in enumerate(equations):
        matrix[e, parts] = 1.0
        matrix[e, total] = -1.0
    while True:
        exposed = _recomputable(matrix, suppressed)
        if not exposed.size:
            break
        choice = _complement(matrix, suppressed, n, inner, exposed)
        suppressed[choice] = True
        reason[choice] = SECONDARY
    rows, columns, is_margin = zip(*labels, strict=True)
    out = pd.DataFrame(
        {
            "row": pd.array(rows, dtype="string"),
            "column": pd.array(columns, dtype="string"),
            "n": pd.array(n.astype(np.int64)),
            "is_margin": np.asarray(is_margin, dtype=bool),
            "suppressed": suppressed,
            "reason": pd.array(reason.tolist(), dtype="string"),
        }
    )
    return out


def _recomputable(matrix: np.ndarray, suppressed: np.ndarray) -> np.ndarray:
    """Indices of suppressed cells fixed by the equations once the others are known."""
    idx = np.flatnonzero(suppressed)
    if not idx.size:
        return idx
    sub = matrix[:, idx]
    sub = sub[np.abs(sub).sum(axis=1) > 0]
    if not sub.size:
        return np.array([], dtype=int)
    # a cell is recomputable iff its unit vector lies in the row space of the
    # equations restricted to the suppressed cells: its row of the null space is 0
    basis = null_space(sub)
    if basis.size == 0:
        return idx
    fixed = np.abs(basis).max(axis=1) < 1e-9
    # with counts >= 0, a line whose suppressed cells sum to 0 fixes them all at 0;
    # complements are chosen non-empty first, so this is only a fallback
    return idx[fixed]


def _complement(
    matrix: np.ndarray,
    suppressed: np.ndarray,
    n: np.ndarray,
    inner: np.ndarray,
    exposed: np.ndarray,
) -> int:
    """The cell to suppress next to protect the ``exposed`` cells.

    Preference: a cell sharing a line with an exposed cell; an inner cell over a total;
    a non-empty cell over an empty one; then the smallest count, ties in table order.
    """
    lines = np.flatnonzero((matrix[:, exposed] != 0).any(axis=1))
    partners = np.flatnonzero((np.abs(matrix[lines]).sum(axis=0) > 0) & ~suppressed)
    if not partners.size:
        partners = np.flatnonzero(~suppressed)
    if not partners.size:  # pragma: no cover - every cell hidden leaves nothing to recompute
        raise ParameterError("cannot protect the table: every cell is already suppressed")
    order = sorted(partners, key=lambda c: (not inner[c], n[c] == 0, n[c], c))
    return int(order[0])


# -- group comparisons ---------------------------------------------------------------------

#: Statistics of a ``compare_groups`` row that a suppressed group hides.
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

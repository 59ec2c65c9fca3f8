"""Mokken scale analysis on plain arrays: Loevinger's H and manifest monotonicity.

A maturity model's "levels" assume a cumulative order: a business that has the
processes of a harder stage also has those of the easier ones (a Guttman-like
structure). Mokken scaling measures how far item scores are from that order
(Mokken 1971; Sijtsma & Molenaar 2002, *Introduction to Nonparametric Item Response
Theory*, ch. 4 and 5; R package ``mokken``, ``coefH`` and ``check.monotonicity``).

Loevinger's scalability coefficients compare each pair of items' covariance with the
largest covariance their marginal distributions allow, ``cov_max``: the covariance of
the two items' values each sorted in the same order (no Guttman error at all). For
items ``i`` and ``j``::

    H_ij = cov(X_i, X_j) / cov_max(X_i, X_j)
    H_j  = sum_{i != j} cov(X_i, X_j) / sum_{i != j} cov_max(X_i, X_j)    (item)
    H    = sum_{i < j} cov(X_i, X_j) / sum_{i < j} cov_max(X_i, X_j)      (scale)

For polytomous items this equals one minus the ratio of the weighted Guttman errors
observed to those expected under marginal independence (Molenaar 1991; Sijtsma &
Molenaar 2002, sect. 4.2): the tests check that equivalence on dichotomous items by
counting Guttman errors. H is 1 for a perfect cumulative scale and 0 for independent
items; Mokken's rule of thumb: below .3 not a scale, .3 to .4 weak, .4 to .5 medium,
.5 and above strong.

Manifest monotonicity (:func:`monotonicity`): for each item, businesses are grouped by
their rest score (the sum of the other items), adjacent rest scores merged until each
group has at least ``minsize`` businesses, and each item step ``P(X_j >= x | rest
group)`` should not fall from one group to the next by more than ``minvi``
(``mokken::check.monotonicity``'s default 0.03).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cma_research.core.errors import ParameterError

__all__ = ["MINVI", "loevinger_h", "monotonicity", "rest_groups"]

#: Smallest decrease of an item step that counts as a violation (mokken's ``minvi``).
MINVI = 0.03


def _check(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2 or x.shape[0] < 2:
        raise ParameterError(
            f"Mokken scaling needs a businesses x items array with at least 2 of each; "
            f"got shape {x.shape}"
        )
    if np.isnan(x).any():
        raise ParameterError("Mokken scaling needs complete data (no blanks)")
    return x


def _cov_pairs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Covariance and maximal covariance (both items sorted) of every pair of columns."""
    n = x.shape[0]
    centred = x - x.mean(axis=0)
    cov = centred.T @ centred / (n - 1)
    s = np.sort(x, axis=0)
    sc = s - s.mean(axis=0)
    cov_max = sc.T @ sc / (n - 1)
    return cov, cov_max


def loevinger_h(x: Any) -> dict[str, Any]:
    """Loevinger's H of the scale, of each item and of each pair of items.

    Parameters
    ----------
    x : array, businesses x items
        Item scores (levels), complete.

    Returns
    -------
    dict
        ``H`` (scale), ``H_items`` (array, one per item), ``H_pairs`` (items x items,
        NaN on the diagonal and where an item is constant); ``H`` and ``H_items`` are
        NaN when no pair has a positive maximal covariance.

    Examples
    --------
    A perfect cumulative (Guttman) pattern has H = 1:

    >>> x = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]])
    >>> float(loevinger_h(x)["H"])
    1.0
    """
    x = _check(x)
    cov, cov_max = _cov_pairs(x)
    k = x.shape[1]
    off = ~np.eye(k, dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        pairs = np.where(off & (cov_max > 0), cov / cov_max, np.nan)
    upper = np.triu(off, 1)
    den = cov_max[upper].sum()
    h = float(cov[upper].sum() / den) if den > 0 else float("nan")
    num_j = np.where(off, cov, 0.0).sum(axis=1)
    den_j = np.where(off, cov_max, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        h_items = np.where(den_j > 0, num_j / den_j, np.nan)
    return {"H": h, "H_items": h_items, "H_pairs": pairs}


def rest_groups(rest: np.ndarray, minsize: int) -> np.ndarray:
    """Group labels 0, 1, ... of rest scores: adjacent rest scores merged, from the
    lowest, until each group has at least ``minsize`` businesses (a last group that
    falls short joins the one before it)."""
    values, counts = np.unique(rest, return_counts=True)
    labels = np.zeros(len(values), dtype=int)
    group, size = 0, 0
    for i, c in enumerate(counts):
        labels[i] = group
        size += c
        if size >= minsize and i < len(values) - 1:
            group, size = group + 1, 0
    if size < minsize and group > 0:
        labels[labels == group] = group - 1
    return labels[np.searchsorted(values, rest)]


def monotonicity(x: Any, *, minsize: int | None = None, minvi: float = MINVI) -> list[dict]:
    """Manifest monotonicity of each item against its rest score.

    Parameters
    ----------
    x : array, businesses x items
    minsize : int, optional
        Fewest businesses per rest-score group; default ``max(3, n // 5)`` (the
        package's choice for the small cohorts of audit studies: mokken's default is
        n/10 to n/3 depending on n, at least 50 above n = 250).
    minvi : float
        Smallest decrease of an item step counted as a violation.

    Returns
    -------
    list of dict
        One per item: ``item`` (column index), ``n_groups``, ``n_active`` (item steps x
        consecutive group pairs compared), ``n_violations``, ``max_violation`` (the
        largest decrease, 0 when none), ``step_curves`` (groups x steps array of
        ``P(X >= x | group)``).

    Examples
    --------
    >>> x = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]] * 3)
    >>> [r["n_violations"] for r in monotonicity(x, minsize=3)]
    [0, 0, 0]
    """
    x = _check(x)
    n, k = x.shape
    size = max(3, n // 5) if minsize is None else int(minsize)
    total = x.sum(axis=1)
    out = []
    for j in range(k):
        rest = total - x[:, j]
        groups = rest_groups(rest, size)
        steps = np.unique(x[:, j])[1:]
        g = int(groups.max()) + 1
        curves = np.array(
            [[np.mean(x[groups == h, j] >= s) for s in steps] for h in range(g)]
        ).reshape(g, len(steps))
        drops = curves[:-1] - curves[1:] if g > 1 else np.zeros((0, len(steps)))
        violations = drops > minvi
        out.append(
            {
                "item": j,
                "n_groups": g,
                "n_active": int(drops.size),
                "n_violations": int(violations.sum()),
                "max_violation": float(drops.max()) if drops.size and drops.max() > 0 else 0.0,
                "step_curves": curves,
            }
        )
    return out

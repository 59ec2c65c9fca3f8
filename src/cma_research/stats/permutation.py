"""Permutation p-values of a correlation: exact for small n, else Monte Carlo."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import permutations

import numpy as np
from scipy.stats import rankdata

__all__ = ["PermutationResult", "permutation_p"]


@dataclass(frozen=True)
class PermutationResult:
    """A permutation p-value and how it was obtained (exact or Monte Carlo)."""

    p_value: float
    method: str


def permutation_p(
    method: str,
    x: np.ndarray,
    y: np.ndarray,
    estimate: float,
    *,
    n_perm: int,
    rng: np.random.Generator,
    max_exact: int = 40_320,
) -> PermutationResult:
    """Two-sided permutation p-value of a correlation (share of |r*| >= |r|).

    Exact enumeration of all n! orderings of ``y`` when n! <= ``max_exact`` (n <= 8 by
    default); otherwise ``n_perm`` random permutations with p = (b + 1) / (m + 1)
    (Phipson & Smyth 2010), which is never 0 and is a valid p-value.
    """
    n = len(x)
    tol = 1e-12 * max(1.0, abs(estimate))
    if math.factorial(n) <= max_exact:
        perms = np.array(list(permutations(range(n))), dtype=np.intp)
        r = _perm_stats(method, x, y, perms)
        p = float(np.mean(np.abs(r) >= abs(estimate) - tol))
        return PermutationResult(p, f"exact permutation ({len(perms)} orderings)")
    hits = 0
    done = 0
    while done < n_perm:
        b = min(max(1, 4_000_000 // (n * n if method == "kendall" else n)), n_perm - done)
        perms = rng.permuted(np.tile(np.arange(n), (b, 1)), axis=1)
        hits += int(
            np.count_nonzero(np.abs(_perm_stats(method, x, y, perms)) >= abs(estimate) - tol)
        )
        done += b
    return PermutationResult((hits + 1) / (n_perm + 1), f"Monte Carlo permutation ({n_perm} draws)")


def _perm_stats(method: str, x: np.ndarray, y: np.ndarray, perms: np.ndarray) -> np.ndarray:
    """The statistic of x against y[perm] for each row of ``perms``."""
    n = len(x)
    rows = max(1, 4_000_000 // (n * n if method == "kendall" else n))
    out = np.empty(len(perms))
    if method == "kendall":
        sx = np.sign(x[:, None] - x[None, :])
        _, cx = np.unique(x, return_counts=True)
        _, cy = np.unique(y, return_counts=True)
        n0 = n * (n - 1) / 2
        den = (n0 - (cx * (cx - 1) / 2).sum()) * (n0 - (cy * (cy - 1) / 2).sum())
        for start in range(0, len(perms), rows):
            yy = y[perms[start : start + rows]]
            s = np.einsum("ij,bij->b", sx, np.sign(yy[:, :, None] - yy[:, None, :])) / 2
            out[start : start + len(yy)] = s / np.sqrt(den) if den > 0 else np.nan
        return out
    if method == "spearman":
        a, b = rankdata(x), rankdata(y)
    else:
        a, b = x.astype(float), y.astype(float)
    a = (a - a.mean()) / np.sqrt(((a - a.mean()) ** 2).sum())
    b = (b - b.mean()) / np.sqrt(((b - b.mean()) ** 2).sum())
    for start in range(0, len(perms), rows):
        block = perms[start : start + rows]
        out[start : start + len(block)] = b[block] @ a
    return out

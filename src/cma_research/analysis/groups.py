"""Compare maturity between groups of businesses: size bands, business types, any column."""

from __future__ import annotations

import warnings
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from cma_research.analysis.describe import SCORES, business_scores, check_comparable
from cma_research.analysis.prepare import prepared
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.params import Strategy, check_choice
from cma_research.stats.multitest import adjust_p

__all__ = ["SIZE_BANDS", "compare_groups", "size_band"]

#: EU SME size bands by headcount (Commission Recommendation 2003/361/EC):
#: (label, lowest staff, highest staff or None).
SIZE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("micro", 0, 9),
    ("small", 10, 49),
    ("medium", 50, 249),
    ("large", 250, None),
)
MIN_GROUP = 3


def size_band(staff: pd.Series) -> pd.Series:
    """EU size band of each headcount: micro < 10, small 10-49, medium 50-249, large >= 250.

    >>> size_band(pd.Series([1, 9, 10, 49, 50, 250, None], dtype="Int64")).tolist()
    ['micro', 'micro', 'small', 'small', 'medium', 'large', nan]
    """
    labels = [label for label, _, _ in SIZE_BANDS]
    edges = [lo for _, lo, _ in SIZE_BANDS[1:]]
    values = staff.to_numpy(dtype=float, na_value=np.nan)
    idx = np.searchsorted(edges, values, side="right")
    out = [None if np.isnan(v) else labels[i] for v, i in zip(values, idx, strict=True)]
    return pd.Series(pd.Categorical(out, categories=labels, ordered=True), index=staff.index)


def _groups(cohort: Cohort, by: str) -> pd.Series:
    attrs = cohort.attributes
    if by == "size_band":
        return size_band(attrs["staff"])
    allowed = ["size_band", *attrs.columns]
    check_choice("by", by, allowed)
    return attrs[by].astype("string")


def compare_groups(
    cohort: Cohort,
    by: str = "size_band",
    score: str = "mean",
    *,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
) -> pd.DataFrame:
    """Kruskal-Wallis across groups and Mann-Whitney for each pair, with effect sizes.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    by : str
        ``"size_band"`` (EU bands from ``staff``, see :data:`SIZE_BANDS`),
        ``"business_type"`` or any attribute column.
    score : str
        A score of :func:`~cma_research.business_scores` or a stage id.
    strategy : str
        Missing-stage strategy (default ``available_case``).
    min_stages : int, optional
        For ``strategy="min_stages"``.

    Returns
    -------
    DataFrame
        Rows of three kinds, told apart by ``test``:

        * ``"group"``: one per non-empty group: ``group_a`` (the group), ``n_a``,
          ``median_a``;
        * ``"kruskal_wallis"``: groups with at least one business: ``statistic`` (H,
          tie-corrected), ``df``, ``p_val`` (chi-squared), ``effect_size`` (epsilon
          squared, H (n + 1) / (n^2 - 1));
        * ``"mann_whitney"``: each pair: ``group_a``, ``group_b``, ``n_a``, ``n_b``,
          ``statistic`` (U of group a), ``p_val`` (two-sided; exact when the two
          groups share no tied value, otherwise the normal approximation without
          continuity correction), ``p_method``, ``effect_size``
          (rank-biserial, 2U/(n_a n_b) - 1: positive when group a ranks higher),
          ``ci95_low``, ``ci95_high`` (its 95% interval, Fisher's z with SE
          ``sqrt((n_a + n_b + 1)/(3 n_a n_b))`` as ``effectsize::rank_biserial``; NaN
          at ``|r| = 1``), ``ci_method``, ``p_adj`` (Holm over the pairs).

        ``warning`` names any group with fewer than 3 businesses (its tests are very
        weak); when there is one, a row with ``test == "warning"`` also says so.
        ``n`` is the total used; ``effect_size_name`` says which effect size.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> res = compare_groups(load_returns(bundled_path("customer_wise_2007.csv")))
    >>> res.loc[res["test"] == "group", ["group_a", "n_a"]].to_dict("list")
    {'group_a': ['micro', 'small', 'medium'], 'n_a': [11, 4, 1]}

    R: ``kruskal.test(score ~ band)``; ``wilcox.test(a, b, correct = FALSE)``.
    """
    check_choice("score", score, [*SCORES, *cohort.stage_ids])
    c = prepared(cohort, strategy, min_stages=min_stages, what="compare_groups")
    groups = _group_values(c, by, score)
    small = [f"{g} (n={len(v)})" for g, v in groups.items() if len(v) < MIN_GROUP]
    warning = f"groups with fewer than {MIN_GROUP} businesses: {', '.join(small)}" if small else ""
    n_total = int(sum(len(v) for v in groups.values()))
    rows: list[dict[str, object]] = [
        {"test": "group", "group_a": g, "n_a": len(v), "median_a": float(np.median(v))}
        for g, v in groups.items()
    ]
    if warning:
        rows.append({"test": "warning"})  # its text is in the warning column
    rows.append(_kruskal_wallis(groups, n_total))
    rows.extend(_mann_whitney_pairs(groups))
    return _tidy(rows, n_total=n_total, by=by, score=score, warning=warning, strategy=strategy)


def _group_values(c: Cohort, by: str, score: str) -> dict[str, np.ndarray]:
    """The score of each business with a group, per non-empty group in display order;
    refuses fewer than 2 groups and groups of one business each."""
    check_comparable(c, [score], "compare_groups")
    table = business_scores(c)  # c is already cleaned: score over what it holds
    values = (table[score] if score in SCORES else c.scores[score].reset_index(drop=True)).to_numpy(
        dtype=float, na_value=np.nan
    )
    labels = _groups(c, by).reset_index(drop=True)
    ok = ~np.isnan(values) & labels.notna().to_numpy()
    frame = pd.DataFrame({"group": labels[ok].astype(str).to_numpy(), "value": values[ok]})
    order = [g for g, _, _ in SIZE_BANDS] if by == "size_band" else sorted(frame["group"].unique())
    groups = {g: frame.loc[frame["group"] == g, "value"].to_numpy() for g in order}
    groups = {g: v for g, v in groups.items() if len(v)}
    if len(groups) < 2:
        raise ParameterError(
            f"compare_groups by {by!r} needs at least 2 groups with a {score} value; found "
            f"{len(groups)} ({', '.join(groups) or 'none'})"
        )
    if all(len(v) == 1 for v in groups.values()):
        raise ParameterError(
            f"compare_groups by {by!r}: every group has a single business, so there is "
            "nothing to compare; group the businesses more coarsely (e.g. by='size_band')"
        )
    return groups


def _kruskal_wallis(groups: dict[str, np.ndarray], n_total: int) -> dict[str, object]:
    """The Kruskal-Wallis row: H (tie-corrected), df, chi-squared p, epsilon squared."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pooled = np.concatenate(list(groups.values()))
        if np.ptp(pooled) == 0:
            h, p = np.nan, np.nan
        else:
            kw = stats.kruskal(*groups.values())
            h, p = float(kw.statistic), float(kw.pvalue)
    return {
        "test": "kruskal_wallis",
        "statistic": h,
        "df": len(groups) - 1,
        "p_val": p,
        "p_method": "chi-squared approximation",
        "effect_size": h * (n_total + 1) / (n_total**2 - 1),
        "effect_size_name": "epsilon_squared",
    }


def _rank_biserial_ci(r: float, n_a: int, n_b: int) -> dict[str, object]:
    """95% interval of the rank-biserial r: Fisher's z with the standard error
    ``sqrt((n_a + n_b + 1) / (3 n_a n_b))`` (R: ``effectsize::rank_biserial``); undefined
    at ``|r| = 1``, where z is infinite (effectsize then returns the point itself)."""
    if np.isnan(r):
        return {"ci95_low": np.nan, "ci95_high": np.nan, "ci_method": "undefined (no U)"}
    if abs(r) >= 1:
        return {
            "ci95_low": np.nan,
            "ci95_high": np.nan,
            "ci_method": "undefined at |r| = 1 (the groups do not overlap; Fisher z infinite)",
        }
    se = np.sqrt((n_a + n_b + 1) / (3 * n_a * n_b))
    z, q = np.arctanh(r), stats.norm.ppf(0.975)
    return {
        "ci95_low": float(np.tanh(z - q * se)),
        "ci95_high": float(np.tanh(z + q * se)),
        "ci_method": "Fisher z, SE sqrt((n_a + n_b + 1) / (3 n_a n_b))",
    }


def _mann_whitney_pairs(groups: dict[str, np.ndarray]) -> list[dict[str, object]]:
    """One Mann-Whitney row per pair of groups, rank-biserial effect, Holm over the pairs."""
    pair_rows: list[dict[str, object]] = []
    for a, b in combinations(groups, 2):
        va, vb = groups[a], groups[b]
        ties = len(np.unique(np.concatenate([va, vb]))) < len(va) + len(vb)
        # exact null distribution whenever there are no ties (R's exact = TRUE), at any
        # size a cohort study has; with ties the normal approximation, said so
        method = "asymptotic" if ties or len(va) + len(vb) > 200 else "exact"
        if np.ptp(np.concatenate([va, vb])) == 0:
            u, pu = np.nan, np.nan
        else:
            res = stats.mannwhitneyu(
                va, vb, alternative="two-sided", method=method, use_continuity=False
            )
            u, pu = float(res.statistic), float(res.pvalue)
        pair_rows.append(
            {
                "test": "mann_whitney",
                "group_a": a,
                "group_b": b,
                "n_a": len(va),
                "n_b": len(vb),
                "statistic": u,
                "p_val": pu,
                "p_method": "exact"
                if method == "exact"
                else "normal approximation (ties or n > 200)",
                "effect_size": 2 * u / (len(va) * len(vb)) - 1,
                "effect_size_name": "rank_biserial",
                **_rank_biserial_ci(2 * u / (len(va) * len(vb)) - 1, len(va), len(vb)),
            }
        )
    if pair_rows:
        adjusted = adjust_p(np.array([r["p_val"] for r in pair_rows], dtype=float), "holm")
        for r, pa in zip(pair_rows, adjusted, strict=True):
            r["p_adj"] = float(pa)
    return pair_rows


_COLUMNS = (
    "test",
    "group_a",
    "group_b",
    "n_a",
    "n_b",
    "median_a",
    "statistic",
    "df",
    "p_val",
    "p_method",
    "p_adj",
    "effect_size",
    "effect_size_name",
    "ci95_low",
    "ci95_high",
    "ci_method",
)


def _tidy(
    rows: list[dict[str, object]], *, n_total: int, by: str, score: str, warning: str, strategy: str
) -> pd.DataFrame:
    """The rows as the documented table: fixed columns, then n, by, score, warning, strategy."""
    out = pd.DataFrame(rows).reindex(columns=list(_COLUMNS))
    out["n"] = n_total
    out["by"] = by
    out["score"] = score
    out["warning"] = warning
    out["strategy"] = strategy
    for col in (
        "test",
        "group_a",
        "group_b",
        "p_method",
        "effect_size_name",
        "ci_method",
        "by",
        "score",
        "warning",
        "strategy",
    ):
        out[col] = out[col].astype("string")
    for col in ("n_a", "n_b", "df"):
        out[col] = out[col].astype("Int64")
    return out

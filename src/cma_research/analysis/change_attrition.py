"""Attrition: who was audited at baseline but not at follow-up, and did they differ?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cma_research.analysis.waves import WaveKey, resolve_waves
from cma_research.core.cohort import Cohort
from cma_research.stats.two_sample import mann_whitney, table_test

__all__ = ["Attrition", "attrition"]


@dataclass(frozen=True)
class Attrition:
    """Drop-outs between two waves and how they compared with the completers at baseline.

    Attributes
    ----------
    baseline, follow_up : str
        Wave labels.
    completer_ids, dropped_ids, joined_ids : tuple of str
        Businesses audited at both waves; at baseline only; at follow-up only (new).
    tests : DataFrame
        See :func:`attrition`.
    """

    baseline: str
    follow_up: str
    completer_ids: tuple[str, ...]
    dropped_ids: tuple[str, ...]
    joined_ids: tuple[str, ...]
    tests: pd.DataFrame

    @property
    def n_baseline(self) -> int:
        """Businesses audited at baseline."""
        return len(self.completer_ids) + len(self.dropped_ids)

    @property
    def retention(self) -> float:
        """Share of the baseline businesses audited again at follow-up."""
        return len(self.completer_ids) / self.n_baseline if self.n_baseline else np.nan


def attrition(
    cohort: Cohort,
    baseline: WaveKey = None,
    follow_up: WaveKey = None,
    *,
    n_perm: int = 100_000,
    seed: int | None = None,
) -> Attrition:
    """Compare businesses that dropped out after baseline with those audited again.

    At baseline, three variables are compared between the drop-outs and the
    completers: the mean score (mean level over the assessed stages), staff and
    business type. Mean score and staff: Mann-Whitney, exact when there are no ties,
    else a permutation test (exact over every split when there are at most
    ``n_perm``), with the rank-biserial correlation (positive: drop-outs higher).
    Business type: Fisher's exact test for two types, else a Monte Carlo permutation
    chi-square, with Cramer's V. Businesses with the value unknown are left out of
    that row (``n_dropped``/``n_completers`` say how many remain).

    Parameters
    ----------
    cohort : Cohort
        Two or more waves.
    baseline, follow_up : str or int, optional
        Wave labels (or codes); default the first and the last wave.
    n_perm : int
        Permutations for the tests with ties.
    seed : int, optional
        Seeds the Monte Carlo permutations (``None`` means 0).

    Returns
    -------
    Attrition
        ``dropped_ids`` (audited at baseline only), ``completer_ids``, ``joined_ids``
        and ``tests``: one row per variable (``mean_score``, ``staff``,
        ``business_type``) with ``variable``, ``baseline``, ``follow_up``,
        ``n_dropped``, ``n_completers``, ``dropped_summary``, ``completer_summary``
        (median, or for business type the number of types), ``statistic`` (U of the
        drop-outs; chi-square for type), ``p_val``, ``p_method``,
        ``effect_size``, ``effect_size_name``.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> two = synthetic_follow_up(customer_wise_2007(), seed=2008)  # the SYNTHETIC example
    >>> att = attrition(two)
    >>> att.dropped_ids, round(att.retention, 2)
    (('B04', 'B06', 'B13'), 0.81)

    R: ``wilcox.test(mean[dropped], mean[completed], exact = TRUE)`` (no ties),
    ``coin::wilcox_test(..., distribution = "exact")`` (ties), ``fisher.test``.
    """
    b, f = resolve_waves(cohort, baseline, follow_up)
    ids = cohort.scores.index.get_level_values("business_id")
    waves = cohort.scores.index.get_level_values("wave")
    at_b = list(dict.fromkeys(str(i) for i in ids[waves == b]))
    at_f = set(str(i) for i in ids[waves == f])
    completers = tuple(i for i in at_b if i in at_f)
    dropped = tuple(i for i in at_b if i not in at_f)
    joined = tuple(sorted(at_f - set(at_b)))
    base = cohort.select_wave(b)
    base_ids = [str(i) for i in base.scores.index.get_level_values("business_id")]
    is_dropped = np.array([i not in at_f for i in base_ids])
    mean = base.scores.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        counts = (~np.isnan(mean)).sum(axis=1)
        mean_score = np.where(counts > 0, np.nansum(mean, axis=1) / np.maximum(counts, 1), np.nan)
    staff = base.attributes["staff"].to_numpy(dtype=float, na_value=np.nan)
    rng = np.random.default_rng(0 if seed is None else seed)
    labels = {"b": cohort.wave_label(b), "f": cohort.wave_label(f)}
    rows = []
    for name, values in (("mean_score", mean_score), ("staff", staff)):
        ok = ~np.isnan(values)
        xd, xc = values[ok & is_dropped], values[ok & ~is_dropped]
        res = mann_whitney(xd, xc, n_perm=n_perm, rng=rng)
        rows.append(
            {
                "variable": name,
                "n_dropped": res["n_a"],
                "n_completers": res["n_b"],
                "dropped_summary": float(np.median(xd)) if len(xd) else np.nan,
                "completer_summary": float(np.median(xc)) if len(xc) else np.nan,
                "statistic": res["statistic"],
                "p_val": res["p_val"],
                "p_method": res["p_method"],
                "effect_size": res["effect_size"],
                "effect_size_name": "rank_biserial",
            }
        )
    btype = base.attributes["business_type"]
    known = btype.notna().to_numpy()
    categories = btype.to_numpy(dtype=object)[known].astype(str)
    res = table_test(is_dropped[known], categories, n_perm=n_perm, rng=rng)
    rows.append(
        {
            "variable": "business_type",
            "n_dropped": int((is_dropped & known).sum()),
            "n_completers": int((~is_dropped & known).sum()),
            "dropped_summary": float(len(set(categories[is_dropped[known]]))),
            "completer_summary": float(len(set(categories[~is_dropped[known]]))),
            "statistic": res["statistic"],
            "p_val": res["p_val"],
            "p_method": res["p_method"],
            "effect_size": res["effect_size"],
            "effect_size_name": "cramers_v",
        }
    )
    tests = pd.DataFrame(rows)
    tests.insert(1, "baseline", labels["b"])
    tests.insert(2, "follow_up", labels["f"])
    for col in ("variable", "baseline", "follow_up", "p_method", "effect_size_name"):
        tests[col] = tests[col].astype("string")
    return Attrition(labels["b"], labels["f"], completers, dropped, joined, tests)

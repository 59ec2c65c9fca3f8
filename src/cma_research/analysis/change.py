"""Change between two audit waves: each business's change and paired tests per stage.

Only businesses audited at both waves form pairs (see :meth:`Cohort.paired`); a stage
not assessed at either wave drops that business's pair for that stage only, so every
row reports its own ``n_pairs``. Differences are ``follow_up - baseline``: positive
means the business moved up.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from cma_research.analysis.prepare import check_choice
from cma_research.analysis.transitions import (
    NOT_ASSESSED,
    SPARSE_BELOW,
    marginal_homogeneity,
    transition_table,
)
from cma_research.analysis.waves import (
    WaveKey,
    apply_strategy,
    check_count,
    resolve_waves,
    wave_scores,
)
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.missing.strategies import Strategy
from cma_research.stats.multitest import adjust_p
from cma_research.stats.signed_rank import rank_biserial_ci, signed_rank_test

# transition_table, marginal_homogeneity, resolve_waves, wave_scores, ... live in
# transitions.py and waves.py; they stay importable from here.
__all__ = [
    "NOT_ASSESSED",
    "SPARSE_BELOW",
    "WaveKey",
    "apply_strategy",
    "change_scores",
    "ci_columns",
    "marginal_homogeneity",
    "paired_change",
    "resolve_waves",
    "transition_table",
    "wave_scores",
]

PAdjust = Literal["holm", "fdr_bh"]


def change_scores(
    cohort: Cohort,
    baseline: WaveKey = None,
    follow_up: WaveKey = None,
    *,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
) -> pd.DataFrame:
    """Each paired business's mean score at both waves and its change.

    The mean score is the mean level over the stages assessed at that wave (after
    ``strategy``), as in :func:`~cma_research.business_scores`.

    Returns
    -------
    DataFrame
        One row per business audited at both waves (baseline file order):
        ``business_id``, ``baseline``, ``follow_up`` (wave labels),
        ``n_assessed_baseline``, ``n_assessed_follow_up``, ``mean_baseline``,
        ``mean_follow_up``, ``change`` (follow-up minus baseline; NaN when a wave has
        no assessed stage), ``strategy``.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> two = synthetic_follow_up(customer_wise_2007(), seed=2008)  # the SYNTHETIC example
    >>> change_scores(two)[["business_id", "mean_baseline", "change"]].head(2)
      business_id  mean_baseline  change
    0         B01            1.0     1.0
    1         B02            1.6     0.7
    """
    base, follow, b, f = wave_scores(
        cohort, baseline, follow_up, strategy=strategy, min_stages=min_stages
    )
    mb, mf = base.mean(axis=1), follow.mean(axis=1)
    n = len(base)
    return pd.DataFrame(
        {
            "business_id": pd.array([str(i) for i in base.index], dtype="string"),
            "baseline": pd.array([cohort.wave_label(b)] * n, dtype="string"),
            "follow_up": pd.array([cohort.wave_label(f)] * n, dtype="string"),
            "n_assessed_baseline": base.notna().sum(axis=1).to_numpy(),
            "n_assessed_follow_up": follow.notna().sum(axis=1).to_numpy(),
            "mean_baseline": mb.to_numpy(),
            "mean_follow_up": mf.to_numpy(),
            "change": (mf - mb).to_numpy(),
            "strategy": pd.array([strategy] * n, dtype="string"),
        }
    )


def ci_columns(confidence: float) -> tuple[str, str]:
    """Column names of an interval at ``confidence``: ``ci95_low``, ``ci95_high``."""
    if not isinstance(confidence, float | int) or not 0 < confidence < 1:
        raise ParameterError(f"confidence={confidence!r} must be a number between 0 and 1")
    pct = f"{round(confidence * 100, 6):g}".replace(".", "_")
    return f"ci{pct}_low", f"ci{pct}_high"


def _change_row(
    d: np.ndarray, *, n_boot: int, n_perm: int, rng: np.random.Generator, confidence: float
) -> dict[str, object]:
    res = signed_rank_test(d, n_perm=n_perm, rng=rng)
    r = res.rank_biserial
    if n_boot > 0 and not np.isnan(r):
        low, high = rank_biserial_ci(d, n_boot=n_boot, rng=rng, confidence=confidence)
        ci_method = f"BCa bootstrap of pairs ({n_boot} resamples)"
        if np.isnan(low):
            ci_method = "undefined (degenerate bootstrap distribution)"
    else:
        low, high = np.nan, np.nan
        if res.n == 0:
            ci_method = "no pairs"
        elif n_boot == 0:
            ci_method = "not computed (n_boot=0)"
        else:
            ci_method = "undefined (no pair changed)"
    return {
        "n_pairs": res.n,
        "n_improved": res.n_pos,
        "n_same": res.n_zero,
        "n_worse": res.n_neg,
        "median_change": float(np.median(d)) if len(d) else np.nan,
        "mean_change": float(np.mean(d)) if len(d) else np.nan,
        "statistic": res.t_plus if res.n else np.nan,
        "p_val": res.p_val,
        "p_method": res.p_method if res.n else "no pairs",
        "rank_biserial": r,
        "ci_low": low,
        "ci_high": high,
        "ci_method": ci_method,
    }


def paired_change(
    cohort: Cohort,
    baseline: WaveKey = None,
    follow_up: WaveKey = None,
    *,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
    seed: int | None = None,
    n_boot: int = 2000,
    n_perm: int = 100_000,
    p_adjust: PAdjust = "holm",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Did the businesses move up? Wilcoxon signed-rank test per stage and for the mean.

    Parameters
    ----------
    cohort : Cohort
        Two or more waves.
    baseline, follow_up : str or int, optional
        Wave labels (or codes); default the first and the last wave.
    strategy : str
        Missing-stage strategy applied within each wave first (default
        ``available_case``: a stage not assessed at either wave drops that pair for
        that stage only).
    min_stages : int, optional
        For ``strategy="min_stages"``.
    seed : int, optional
        Seeds the bootstrap and the Monte Carlo sign flips (``None`` means 0, so
        results are reproducible by default).
    n_boot : int
        Bootstrap resamples for the BCa interval of the rank-biserial correlation (0
        to skip).
    n_perm : int
        Monte Carlo sign flips when exact enumeration is too large.
    p_adjust : {"holm", "fdr_bh"}
        Adjustment across the stage rows (the mean-score row is one overall test and
        is not adjusted).
    confidence : float
        Level of the interval (names its columns: 0.9 gives ``ci90_low`` ...).

    Returns
    -------
    DataFrame
        One row per stage in instrument order, then ``stage == "mean"`` (the
        business's mean level over its assessed stages). Columns: ``stage``, ``name``,
        ``baseline``, ``follow_up`` (wave labels), ``n_pairs`` (businesses assessed on
        the stage at both waves), ``n_not_paired`` (businesses audited at both waves
        but not assessed on it at one of them), ``n_improved``, ``n_same``,
        ``n_worse``, ``median_change``, ``mean_change``, ``statistic`` (T+, the sum of
        the ranks of the improvements, R's V), ``p_val`` (two-sided), ``p_method``
        (method and zero handling: zero changes are dropped, as R's ``wilcox.test``),
        ``rank_biserial`` ((T+ - T-)/(T+ + T-), Kerby 2014), ``ci95_low``,
        ``ci95_high``, ``ci_method``, ``p_adj``, ``p_adj_method``, ``strategy``.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> two = synthetic_follow_up(customer_wise_2007(), seed=2008)  # the SYNTHETIC example
    >>> res = paired_change(two, n_boot=200)
    >>> res.loc[res.stage == "stage_1", ["n_pairs", "n_improved", "n_same"]].values.tolist()
    [[12, 3, 7]]

    R: ``wilcox.test(follow_up, baseline, paired = TRUE)``; with ties or zeros,
    ``coin::wilcoxsign_test(follow_up ~ baseline, distribution = "exact",
    zero.method = "Wilcoxon")``.
    """
    check_choice("p_adjust", p_adjust, ("holm", "fdr_bh"))
    n_boot = check_count("n_boot", n_boot)
    n_perm = check_count("n_perm", n_perm)
    low_col, high_col = ci_columns(confidence)
    base, follow, b, f = wave_scores(
        cohort, baseline, follow_up, strategy=strategy, min_stages=min_stages
    )
    rng = np.random.default_rng(0 if seed is None else seed)
    names = {s.id: s.name for s in cohort.instrument.stages}
    targets = [
        (sid, names[sid], base[sid].to_numpy(), follow[sid].to_numpy()) for sid in cohort.stage_ids
    ]
    targets.append(
        ("mean", "Mean score", base.mean(axis=1).to_numpy(), follow.mean(axis=1).to_numpy())
    )
    rows = []
    for sid, name, x, y in targets:
        ok = ~np.isnan(x) & ~np.isnan(y)
        d = y[ok] - x[ok]
        row = _change_row(d, n_boot=n_boot, n_perm=n_perm, rng=rng, confidence=confidence)
        rows.append({"stage": sid, "name": name, "n_not_paired": int((~ok).sum()), **row})
    out = pd.DataFrame(rows)
    out = out.rename(columns={"ci_low": low_col, "ci_high": high_col})
    stage_rows = out["stage"] != "mean"
    p_adj = np.full(len(out), np.nan)
    p_adj[stage_rows.to_numpy()] = adjust_p(out.loc[stage_rows, "p_val"].to_numpy(), p_adjust)
    p_adj[~stage_rows.to_numpy()] = out.loc[~stage_rows, "p_val"].to_numpy()
    n_tested = int(out.loc[stage_rows, "p_val"].notna().sum())
    out["p_adj"] = p_adj
    out["p_adj_method"] = [
        f"{p_adjust} across the {n_tested} tested {cohort.instrument.stage_noun}s"
        if s
        else "none (one overall test, not in the stage adjustment)"
        for s in stage_rows
    ]
    out.insert(2, "baseline", cohort.wave_label(b))
    out.insert(3, "follow_up", cohort.wave_label(f))
    out["strategy"] = strategy
    order = [
        "stage", "name", "baseline", "follow_up", "n_pairs", "n_not_paired", "n_improved",
        "n_same", "n_worse", "median_change", "mean_change", "statistic", "p_val", "p_method",
        "rank_biserial", low_col, high_col, "ci_method", "p_adj", "p_adj_method", "strategy",
    ]  # fmt: skip
    out = out[order]
    for col in ("stage", "name", "baseline", "follow_up", "p_method", "ci_method",
                "p_adj_method", "strategy"):  # fmt: skip
        out[col] = out[col].astype("string")
    return out

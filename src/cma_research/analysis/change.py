"""Change between two audit waves: paired tests per stage, transitions, marginal homogeneity.

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
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.instrument import normalise_label
from cma_research.missing.strategies import STRATEGIES, Strategy, clean
from cma_research.stats.multitest import adjust_p
from cma_research.stats.signed_rank import rank_biserial_ci, signed_rank_test
from cma_research.stats.square_table import bowker, stuart_maxwell, symmetry_permutation_p

__all__ = [
    "NOT_ASSESSED",
    "SPARSE_BELOW",
    "change_scores",
    "marginal_homogeneity",
    "paired_change",
    "resolve_waves",
    "transition_table",
    "wave_scores",
]

PAdjust = Literal["holm", "fdr_bh"]
#: Label of the not-assessed row and column of :func:`transition_table`.
NOT_ASSESSED = "not assessed"
#: A table is sparse when a non-empty pair of mirrored cells holds fewer pairs than this.
SPARSE_BELOW = 10
WaveKey = str | int | None


def resolve_waves(cohort: Cohort, baseline: WaveKey, follow_up: WaveKey) -> tuple[int, int]:
    """Wave codes of ``baseline`` (default: the first wave) and ``follow_up`` (the last).

    Raises
    ------
    ParameterError
        With one wave (nothing to compare), an unknown wave (listing the labels), or
        the same wave twice.
    """
    codes = [cohort.wave_rank(w) for w in cohort.waves]
    if len(codes) < 2:
        raise ParameterError(
            f"nothing to compare: the cohort has one wave ({cohort.waves[0]!r} if any); "
            "change needs returns from two waves of the same businesses"
            if codes
            else "nothing to compare: the cohort is empty"
        )
    b = codes[0] if baseline is None else cohort.wave_rank(baseline)
    f = codes[-1] if follow_up is None else cohort.wave_rank(follow_up)
    if b == f:
        raise ParameterError(
            f"baseline={baseline!r} and follow_up={follow_up!r} are the same wave "
            f"({cohort.wave_label(b)!r}); expected two different waves of "
            + ", ".join(repr(w) for w in cohort.waves)
        )
    return b, f


def apply_strategy(cohort: Cohort, strategy: str, min_stages: int | None) -> Cohort:
    check_choice("strategy", strategy, STRATEGIES)
    if strategy == "multiple":
        raise ParameterError(
            "strategy='multiple' gives m cohorts; compare waves under multiple imputation "
            "by running the analysis on each of clean(cohort, 'multiple', ...).cohorts"
        )
    return clean(cohort, strategy, min_stages=min_stages).cohort  # type: ignore[arg-type]


def wave_scores(
    cohort: Cohort,
    baseline: WaveKey = None,
    follow_up: WaveKey = None,
    *,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """Stage levels at the two waves for the businesses audited at both.

    The strategy is applied first (within each wave); a business whose return is
    dropped by it at either wave has no pair. Returns ``(base, follow, b, f)``: two
    float frames (NaN = not assessed) indexed by ``business_id`` in baseline file
    order, and the two wave codes.
    """
    b, f = resolve_waves(cohort, baseline, follow_up)
    c = apply_strategy(cohort, strategy, min_stages)
    waves = c.scores.index.get_level_values("wave")
    base = c.scores.loc[waves == b].droplevel("wave")
    follow = c.scores.loc[waves == f].droplevel("wave")
    where = pd.Index(follow.index.to_numpy(dtype=object)).get_indexer(
        base.index.to_numpy(dtype=object)
    )  # business ids are unique within a wave (the loader checks)
    in_both = where >= 0
    ids = base.index[in_both]
    base_f = pd.DataFrame(
        base.to_numpy(dtype=float, na_value=np.nan)[in_both], index=ids, columns=c.stage_ids
    )
    follow_f = pd.DataFrame(
        follow.to_numpy(dtype=float, na_value=np.nan)[where[in_both]],
        index=ids,
        columns=c.stage_ids,
    )
    return base_f, follow_f, b, f


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
    >>> from dataclasses import replace
    >>> import pandas as pd
    >>> from cma_research import load_returns
    >>> one = load_returns("data/raw/customer_wise_2007.csv")
    >>> up = (one.scores + 1).clip(upper=5).rename(index={1: 2}, level="wave")
    >>> two = replace(one, scores=pd.concat([one.scores, up]),
    ...               attributes=pd.concat([one.attributes,
    ...                   one.attributes.rename(index={1: 2}, level="wave")]))
    >>> change_scores(two)[["business_id", "mean_baseline", "change"]].head(2)
      business_id  mean_baseline  change
    0         B01            1.0     1.0
    1         B02            1.6     1.0
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


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ParameterError(f"{name}={value!r} must be a whole number >= 0")
    return int(value)


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
    >>> from dataclasses import replace
    >>> import pandas as pd
    >>> from cma_research import load_returns
    >>> one = load_returns("data/raw/customer_wise_2007.csv")
    >>> up = (one.scores + 1).clip(upper=5).rename(index={1: 2}, level="wave")
    >>> two = replace(one, scores=pd.concat([one.scores, up]),
    ...               attributes=pd.concat([one.attributes,
    ...                   one.attributes.rename(index={1: 2}, level="wave")]))
    >>> res = paired_change(two, n_boot=200)
    >>> res.loc[res.stage == "stage_1", ["n_pairs", "n_improved", "n_same"]].values.tolist()
    [[14, 13, 1]]

    R: ``wilcox.test(follow_up, baseline, paired = TRUE)``; with ties or zeros,
    ``coin::wilcoxsign_test(follow_up ~ baseline, distribution = "exact",
    zero.method = "Wilcoxon")``.
    """
    check_choice("p_adjust", p_adjust, ("holm", "fdr_bh"))
    n_boot = _check_count("n_boot", n_boot)
    n_perm = _check_count("n_perm", n_perm)
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


def _stage_id(cohort: Cohort, stage: str) -> str:
    lookup = cohort.instrument.stage_lookup()
    key = normalise_label(str(stage))
    if key not in lookup:
        raise ParameterError(
            f"stage={stage!r} is not a {cohort.instrument.stage_noun} of "
            f"{cohort.instrument.name}; expected one of {', '.join(cohort.stage_ids)}"
        )
    return lookup[key]


def _level_names(cohort: Cohort) -> list[str]:
    return [f"{lv.value} {lv.label}" for lv in cohort.instrument.levels]


def transition_table(
    cohort: Cohort,
    stage: str,
    baseline: WaveKey = None,
    follow_up: WaveKey = None,
) -> pd.DataFrame:
    """Counts of businesses by level at baseline (rows) and at follow-up (columns).

    Parameters
    ----------
    cohort : Cohort
        Two or more waves; only businesses audited at both waves are counted.
    stage : str
        A stage id, number or name.
    baseline, follow_up : str or int, optional
        Wave labels (or codes); default the first and the last wave.

    Returns
    -------
    DataFrame
        Square ``int64`` counts: one row and column per level of the instrument
        (``"0 Below level 1"`` ...; every level, even when nobody is at it), then
        ``"not assessed"``. The index is named with the baseline wave label, the
        columns with the follow-up label; ``attrs`` holds ``stage``, ``baseline``,
        ``follow_up``. The diagonal is "no change"; cells right of it moved up.

    Examples
    --------
    >>> from dataclasses import replace
    >>> import pandas as pd
    >>> from cma_research import load_returns
    >>> one = load_returns("data/raw/customer_wise_2007.csv")
    >>> two = replace(one, scores=pd.concat([one.scores,
    ...     one.scores.rename(index={1: 2}, level="wave")]),
    ...     attributes=pd.concat([one.attributes,
    ...     one.attributes.rename(index={1: 2}, level="wave")]))
    >>> t = transition_table(two, "stage_1")
    >>> int(t.to_numpy().trace()), t.shape
    (16, (7, 7))
    """
    sid = _stage_id(cohort, stage)
    base, follow, b, f = wave_scores(cohort, baseline, follow_up)
    levels = cohort.instrument.level_values
    k = len(levels)

    def code(values: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(values), k, values - levels[0]).astype(np.intp)

    counts = np.zeros((k + 1, k + 1), dtype=np.int64)
    np.add.at(counts, (code(base[sid].to_numpy()), code(follow[sid].to_numpy())), 1)
    labels = [*_level_names(cohort), NOT_ASSESSED]
    out = pd.DataFrame(
        counts,
        index=pd.Index(labels, name=cohort.wave_label(b), dtype="string"),
        columns=pd.Index(labels, name=cohort.wave_label(f), dtype="string"),
    )
    out.attrs = {
        "stage": sid,
        "baseline": cohort.wave_label(b),
        "follow_up": cohort.wave_label(f),
    }
    return out


def marginal_homogeneity(
    cohort: Cohort,
    stage: str | None = None,
    baseline: WaveKey = None,
    follow_up: WaveKey = None,
    *,
    n_perm: int = 100_000,
    seed: int | None = None,
    permutation: Literal["sparse", "always", "never"] = "sparse",
) -> pd.DataFrame:
    """Did the level distribution shift? Bowker's symmetry and Stuart-Maxwell tests.

    Each stage's table counts the businesses assessed on it at both waves (the
    not-assessed row and column of :func:`transition_table` are left out). Empty
    off-diagonal pairs are left out of Bowker's statistic and ``df``; levels with no
    off-diagonal count are dropped from Stuart-Maxwell (see
    :mod:`cma_research.stats.square_table`). The permutation p swaps the two waves
    within pairs at random: exact over all outcomes when there are at most 200,000,
    else ``n_perm`` Monte Carlo draws with p = (b + 1)/(m + 1). By default it is
    computed when the table is *sparse*: some non-empty pair of mirrored cells
    (``n_ij + n_ji``) holds fewer than :data:`SPARSE_BELOW` (10) pairs, where the
    chi-square approximation is doubtful.

    Parameters
    ----------
    cohort : Cohort
        Two or more waves.
    stage : str, optional
        One stage (id, number or name); default every stage.
    baseline, follow_up : str or int, optional
        Wave labels (or codes); default the first and the last wave.
    n_perm : int
        Monte Carlo draws when exact enumeration is too large (0: no permutation p).
    seed : int, optional
        Seeds the Monte Carlo draws (``None`` means 0).
    permutation : {"sparse", "always", "never"}
        When to compute ``p_perm`` (default: for sparse tables).

    Returns
    -------
    DataFrame
        Two rows per stage (``test`` = ``bowker``, ``stuart_maxwell``): ``stage``,
        ``name``, ``test``, ``baseline``, ``follow_up``, ``n_pairs``, ``n_changed``
        (pairs off the diagonal), ``statistic``, ``df``, ``p_val`` (chi-square),
        ``p_perm`` (NaN when not computed), ``p_method``. Statistic and p are NaN when
        no pair changed level.

    Examples
    --------
    >>> from dataclasses import replace
    >>> import pandas as pd
    >>> from cma_research import load_returns
    >>> one = load_returns("data/raw/customer_wise_2007.csv")
    >>> up = (one.scores + 1).clip(upper=5).rename(index={1: 2}, level="wave")
    >>> two = replace(one, scores=pd.concat([one.scores, up]),
    ...               attributes=pd.concat([one.attributes,
    ...                   one.attributes.rename(index={1: 2}, level="wave")]))
    >>> mh = marginal_homogeneity(two, "stage_1")
    >>> mh[["test", "n_pairs", "df"]].values.tolist()
    [['bowker', 14, 5], ['stuart_maxwell', 14, 5]]

    R: ``mcnemar.test(tab)`` (Bowker; NaN when a pair of cells is empty) and
    ``coin::mh_test(as.table(tab))`` (Stuart-Maxwell).
    """
    n_perm = _check_count("n_perm", n_perm)
    check_choice("permutation", permutation, ("sparse", "always", "never"))
    stages = cohort.stage_ids if stage is None else [_stage_id(cohort, stage)]
    base, follow, b, f = wave_scores(cohort, baseline, follow_up)
    rng = np.random.default_rng(0 if seed is None else seed)
    names = {s.id: s.name for s in cohort.instrument.stages}
    levels = cohort.instrument.level_values
    k = len(levels)
    rows = []
    for sid in stages:
        x, y = base[sid].to_numpy(), follow[sid].to_numpy()
        ok = ~np.isnan(x) & ~np.isnan(y)
        table = np.zeros((k, k))
        np.add.at(table, (x[ok].astype(int) - levels[0], y[ok].astype(int) - levels[0]), 1)
        n_pairs = int(ok.sum())
        n_changed = int(n_pairs - np.trace(table))
        mirrored = (table + table.T)[np.triu_indices(k, 1)]
        sparse = bool(((mirrored > 0) & (mirrored < SPARSE_BELOW)).any())
        if permutation == "always" or (permutation == "sparse" and sparse):
            p_b, p_s, perm_method = symmetry_permutation_p(table, n_perm=n_perm, rng=rng)
        elif n_changed == 0:
            p_b, p_s, perm_method = np.nan, np.nan, "no pair changed level"
        else:
            p_b, p_s = np.nan, np.nan
            perm_method = (
                "no permutation p (permutation='never')"
                if permutation == "never"
                else f"no permutation p needed (every non-empty pair of mirrored cells holds "
                f">= {SPARSE_BELOW} pairs)"
            )
        for test, res, p_perm, asym in (
            ("bowker", bowker(table), p_b, "chi-square, df = non-empty off-diagonal pairs"),
            (
                "stuart_maxwell",
                stuart_maxwell(table),
                p_s,
                "chi-square, df = rank of S over the levels that changed",
            ),
        ):
            rows.append(
                {
                    "stage": sid,
                    "name": names[sid],
                    "test": test,
                    "baseline": cohort.wave_label(b),
                    "follow_up": cohort.wave_label(f),
                    "n_pairs": n_pairs,
                    "n_changed": n_changed,
                    "statistic": res.statistic,
                    "df": res.df,
                    "p_val": res.p_val,
                    "p_perm": p_perm,
                    "p_method": f"{asym}; {perm_method}" if n_changed else perm_method,
                }
            )
    out = pd.DataFrame(rows)
    for col in ("stage", "name", "test", "baseline", "follow_up", "p_method"):
        out[col] = out[col].astype("string")
    return out

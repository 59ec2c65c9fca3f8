"""Change between two audit waves: the pairs, each business's change, paired tests, attrition.

Only businesses audited at both waves form pairs (see :meth:`Cohort.paired`); a stage
not assessed at either wave drops that business's pair for that stage only, so every
row reports its own ``n_pairs``. Differences are ``follow_up - baseline``: positive
means the business moved up.

* **Pairing two waves**: which waves (:func:`resolve_waves`, :func:`chosen_waves`), the
  missing-stage strategy within each (:func:`apply_strategy`, :func:`change_strategy`),
  the paired stage levels (:func:`wave_scores`), and for every pair a report compares
  (consecutive waves, and baseline to last with three or more) how many businesses were
  audited at both, how many were assessed on every stage at both, and the change in
  their mean score (:func:`wave_pairs`).
* **Change**: each business's mean score at both waves (:func:`change_scores`) and the
  Wilcoxon signed-rank test per stage and for the mean (:func:`paired_change`).
* **Each wave side by side**, for the figures of :mod:`cma_research.plotting.change`:
  the one-wave summaries of :mod:`cma_research.analysis.describe` and
  :mod:`cma_research.analysis.profiles` per wave, labelled with the waves' own labels
  (:func:`scores_by_wave`, :func:`level_distribution_by_wave`, :func:`wave_profiles`).
* **Attrition**: who was audited at baseline but not at follow-up, and did they differ
  (:func:`attrition`)?

Level transitions and marginal homogeneity are in
:mod:`cma_research.analysis.transitions`; the longitudinal models of the wave effect in
:mod:`cma_research.analysis.change_models`.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from cma_research.analysis.describe import SCORES, business_scores, level_distribution
from cma_research.analysis.prepare import ci_columns
from cma_research.analysis.profiles import stage_profile
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.params import STRATEGIES, Strategy, check_choice, check_int
from cma_research.missing.strategies import clean
from cma_research.stats.multitest import PAdjust, adjust_p
from cma_research.stats.signed_rank import rank_biserial_ci, signed_rank_test
from cma_research.stats.two_sample import mann_whitney, table_test

__all__ = [
    "STATUSES",
    "Attrition",
    "WaveKey",
    "apply_strategy",
    "attrition",
    "change_scores",
    "change_strategy",
    "chosen_waves",
    "level_distribution_by_wave",
    "paired_change",
    "resolve_waves",
    "scores_by_wave",
    "wave_pairs",
    "wave_profiles",
    "wave_scores",
]

WaveKey = str | int | None

#: ``status`` values of :func:`scores_by_wave`.
STATUSES: tuple[str, ...] = ("paired", "baseline_only", "follow_up_only")


# -- pairing two waves -----------------------------------------------------------------


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
    """``cohort`` (every wave) after the missing-stage ``strategy``, applied within each wave.

    Raises
    ------
    ParameterError
        For an unknown strategy, or ``multiple`` (m cohorts: run the analysis on each).
    """
    check_choice("strategy", strategy, STRATEGIES)
    if strategy == "multiple":
        raise ParameterError(
            "strategy='multiple' gives m cohorts; compare waves under multiple imputation "
            "by running the analysis on each of clean(cohort, 'multiple', ...).cohorts"
        )
    return clean(cohort, strategy, min_stages=min_stages).cohort  # type: ignore[arg-type]


def change_strategy(requested: str) -> str:
    """The strategy a change report uses for ``requested`` (the notebooks' parameter).

    Change is paired stage by stage: ``auto`` and ``multiple`` (whose m cohorts the
    paired tests do not pool) mean ``available_case``, where a stage blank at either
    wave drops that business's pair for that stage only; any other strategy is used as
    given.

    >>> change_strategy("auto"), change_strategy("multiple"), change_strategy("complete_case")
    ('available_case', 'available_case', 'complete_case')
    """
    check_choice("missing_strategy", requested, ("auto", *STRATEGIES))
    return "available_case" if requested in ("auto", "multiple") else requested


def _audited(cohort: Cohort, code: int) -> set[str]:
    waves = cohort.scores.index.get_level_values("wave")
    return {str(i) for i in cohort.scores.index.get_level_values("business_id")[waves == code]}


def _complete(cohort: Cohort, code: int) -> set[str]:
    waves = cohort.scores.index.get_level_values("wave")
    rows = cohort.scores.loc[waves == code]
    full = rows.notna().all(axis=1).to_numpy()
    return {str(i) for i in rows.index.get_level_values("business_id")[full]}


def wave_pairs(
    cohort: Cohort,
    *,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
    seed: int | None = None,
    n_boot: int = 2000,
    n_perm: int = 100_000,
) -> pd.DataFrame:
    """Every pair of waves a change report compares, its businesses and its change.

    The pairs are the consecutive waves (first to second, second to third, ...) and,
    with three or more waves, the first to the last. For each pair the businesses are
    counted from the returns (audited at both waves) and, separately, those assessed on
    every stage at both; the change in the mean score is the ``stage == "mean"`` row
    of :func:`paired_change` under ``strategy`` (no stage rows: see that function).

    Parameters
    ----------
    cohort : Cohort
        Two or more waves.
    strategy, min_stages, seed, n_boot, n_perm
        As :func:`paired_change`.

    Returns
    -------
    DataFrame
        One row per pair, consecutive pairs first: ``baseline``, ``follow_up`` (wave
        labels), ``pair`` (``consecutive`` or ``baseline_to_last``), ``n_baseline``,
        ``n_follow_up`` (businesses audited at each wave), ``n_audited_both`` (audited at
        both: the returns' pairs), ``n_complete_both`` (assessed on every stage at
        both), then the columns of :func:`paired_change`'s mean-score row from
        ``n_pairs`` (businesses with a mean score at both waves after ``strategy``) to
        ``ci_method``, and ``strategy`` (the same numbers as that row: each row of
        ``paired_change`` has its own generator spawned from ``seed``).

    Raises
    ------
    ParameterError
        With fewer than two waves.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> two = synthetic_follow_up(customer_wise_2007(), seed=2008)  # the SYNTHETIC example
    >>> t = wave_pairs(two, n_boot=0)
    >>> t[["pair", "n_audited_both", "n_complete_both", "n_pairs"]].values.tolist()
    [['consecutive', 13, 9, 13]]
    """
    codes = [cohort.wave_rank(w) for w in cohort.waves]
    if len(codes) < 2:
        resolve_waves(cohort, None, None)  # raises: nothing to compare
    pairs = [(a, b, "consecutive") for a, b in pairwise(codes)]
    if len(codes) >= 3:
        pairs.append((codes[0], codes[-1], "baseline_to_last"))
    n_boot = check_int("n_boot", n_boot, minimum=0)
    n_perm = check_int("n_perm", n_perm, minimum=0)
    rows = []
    for b, f, kind in pairs:
        base, follow, _, _ = wave_scores(cohort, b, f, strategy=strategy, min_stages=min_stages)
        # the generator of paired_change's mean row (its last): the same numbers there
        rng = _row_generators(seed, len(cohort.stage_ids) + 1)[-1]
        mean = _pair_row(
            base.mean(axis=1).to_numpy(), follow.mean(axis=1).to_numpy(),
            n_boot=n_boot, n_perm=n_perm, rng=rng, confidence=0.95,
        )  # fmt: skip
        audited_b, audited_f = _audited(cohort, b), _audited(cohort, f)
        rows.append(
            {
                "baseline": cohort.wave_label(b),
                "follow_up": cohort.wave_label(f),
                "pair": kind,
                "n_baseline": len(audited_b),
                "n_follow_up": len(audited_f),
                "n_audited_both": len(audited_b & audited_f),
                "n_complete_both": len(_complete(cohort, b) & _complete(cohort, f)),
                "n_pairs": mean.pop("n_pairs"),
                **mean,
                "strategy": strategy,
            }
        )
    out = pd.DataFrame(rows).rename(columns={"ci_low": "ci95_low", "ci_high": "ci95_high"})
    for col in ("baseline", "follow_up", "pair", "p_method", "ci_method", "strategy"):
        out[col] = out[col].astype("string")
    return out


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


def chosen_waves(
    cohort: Cohort,
    baseline_wave: str | int | None = None,
    follow_up_wave: str | int | None = None,
    *,
    wave: str | int | None = None,
) -> tuple[int, int] | None:
    """The wave codes a change report compares, or ``None`` when there is one wave.

    Checks the parameters ``baseline_wave`` / ``follow_up_wave`` (labels or codes; default
    the first and the last wave) before anything is computed, so a label the file lacks
    fails with one line naming the parameter and the waves the file has, even when the
    file has one wave only. ``wave`` is the build-wide parameter "the wave to analyse"
    of the other notebooks: when ``follow_up_wave`` is not given, it is the follow-up.

    Raises
    ------
    ParameterError
        For a wave the cohort lacks, or the same wave twice.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> chosen_waves(customer_wise_2007()) is None
    True
    >>> chosen_waves(synthetic_follow_up(customer_wise_2007(), seed=2008), "Baseline")
    (1, 2)
    """
    given = (("baseline_wave", baseline_wave), ("follow_up_wave", follow_up_wave), ("wave", wave))
    for name, value in given:
        if value is None:
            continue
        try:
            cohort.wave_rank(value)
        except ParameterError as exc:
            raise ParameterError(f"parameter {name}: {exc}") from None
    if len(cohort.waves) < 2:
        return None
    follow = follow_up_wave if follow_up_wave is not None else wave
    return resolve_waves(cohort, baseline_wave, follow)


# -- change: each business's change and the paired tests -------------------------------


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


def _row_generators(seed: int | None, n_rows: int) -> list[np.random.Generator]:
    """One generator per row of :func:`paired_change`, spawned from ``seed``: a row's
    bootstrap and sign flips do not depend on how many rows come before it."""
    children = np.random.SeedSequence(0 if seed is None else seed).spawn(n_rows)
    return [np.random.default_rng(c) for c in children]


def _pair_row(
    x: np.ndarray,
    y: np.ndarray,
    *,
    n_boot: int,
    n_perm: int,
    rng: np.random.Generator,
    confidence: float,
) -> dict[str, object]:
    """The change row of values ``x`` (baseline) and ``y`` (follow-up), NaN unpaired."""
    ok = ~np.isnan(x) & ~np.isnan(y)
    d = y[ok] - x[ok]
    row = _change_row(d, n_boot=n_boot, n_perm=n_perm, rng=rng, confidence=confidence)
    return {"n_not_paired": int((~ok).sum()), **row}


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
        results are reproducible by default); each row draws from its own generator
        spawned from it, so the mean-score row is the same here and in
        :func:`wave_pairs`.
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
        ``baseline``, ``follow_up`` (wave labels), ``n_audited_both`` (businesses
        audited at both waves: the returns' pairs, before the strategy), ``n_pairs``
        (businesses assessed on the stage at both waves, after the strategy; for the mean
        row, with a mean score at both), ``n_not_paired`` (businesses kept at both waves
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
    n_boot = check_int("n_boot", n_boot, minimum=0)
    n_perm = check_int("n_perm", n_perm, minimum=0)
    low_col, high_col = ci_columns(confidence)
    base, follow, b, f = wave_scores(
        cohort, baseline, follow_up, strategy=strategy, min_stages=min_stages
    )
    names = {s.id: s.name for s in cohort.instrument.stages}
    targets = [
        (sid, names[sid], base[sid].to_numpy(), follow[sid].to_numpy()) for sid in cohort.stage_ids
    ]
    targets.append(
        ("mean", "Mean score", base.mean(axis=1).to_numpy(), follow.mean(axis=1).to_numpy())
    )
    rngs = _row_generators(seed, len(targets))
    rows = []
    for (sid, name, x, y), rng in zip(targets, rngs, strict=True):
        row = _pair_row(x, y, n_boot=n_boot, n_perm=n_perm, rng=rng, confidence=confidence)
        rows.append({"stage": sid, "name": name, **row})
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
        else f"none (one overall test, not in the {cohort.instrument.stage_noun} adjustment)"
        for s in stage_rows
    ]
    out.insert(2, "baseline", cohort.wave_label(b))
    out.insert(3, "follow_up", cohort.wave_label(f))
    out["n_audited_both"] = len(_audited(cohort, b) & _audited(cohort, f))
    out["strategy"] = strategy
    order = [
        "stage", "name", "baseline", "follow_up", "n_audited_both", "n_pairs", "n_not_paired",
        "n_improved",
        "n_same", "n_worse", "median_change", "mean_change", "statistic", "p_val", "p_method",
        "rank_biserial", low_col, high_col, "ci_method", "p_adj", "p_adj_method", "strategy",
    ]  # fmt: skip
    out = out[order]
    for col in ("stage", "name", "baseline", "follow_up", "p_method", "ci_method",
                "p_adj_method", "strategy"):  # fmt: skip
        out[col] = out[col].astype("string")
    return out


# -- each wave side by side (for the figures) ------------------------------------------


def scores_by_wave(
    cohort: Cohort,
    baseline: str | int | None = None,
    follow_up: str | int | None = None,
    *,
    score: str = "mean",
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
) -> pd.DataFrame:
    """Each business's score at a baseline and a follow-up wave, side by side.

    The score is computed by :func:`~cma_research.business_scores` on each wave
    separately, with the same ``strategy``. Unlike :func:`change_scores` (the paired
    businesses only), the drop-outs and the businesses new at follow-up are kept, with
    their ``status``, so a figure can show who left.

    Parameters
    ----------
    cohort : Cohort
        At least two waves.
    baseline, follow_up : str or int, optional
        Waves by label or code; default the first and the last wave.
    score : str
        One of :data:`~cma_research.analysis.describe.SCORES` (default ``mean``, the
        mean level over the stages assessed).
    strategy : str
        Missing-stage strategy, applied to each wave (default ``available_case``).
    min_stages : int, optional
        For ``strategy="min_stages"``.

    Returns
    -------
    DataFrame
        One row per business audited at either wave, in order of first appearance
        (baseline file order, then businesses new at follow-up): ``business_id``,
        ``business_type`` (at the latest of the two waves it was audited),
        ``baseline`` and ``follow_up`` (wave labels), ``score`` (its name),
        ``score_baseline``, ``score_follow_up`` (``NaN`` when not audited at that wave,
        or dropped or unscored by the strategy), ``n_assessed_baseline``,
        ``n_assessed_follow_up`` (``<NA>`` when not audited), ``change``
        (follow-up minus baseline; ``NaN`` unless both scores exist), ``status``
        (``paired``: audited at both waves; ``baseline_only``: a drop-out;
        ``follow_up_only``), ``strategy``.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> two = synthetic_follow_up(customer_wise_2007(), seed=2008)  # the SYNTHETIC example
    >>> t = scores_by_wave(two)
    >>> t["status"].value_counts().to_dict()
    {'paired': 13, 'baseline_only': 3}
    >>> print(t[["business_id", "score_baseline", "score_follow_up", "change"]].head(3))
      business_id  score_baseline  score_follow_up  change
    0         B01             1.0              2.0     1.0
    1         B02             1.6              2.3     0.7
    2         B03             3.2              3.2     0.0
    """
    check_choice("score", score, SCORES)
    b, f = resolve_waves(cohort, baseline, follow_up)
    parts = {}
    for key, code in (("baseline", b), ("follow_up", f)):
        one = cohort.select_wave(code)
        table = business_scores(one, strategy=strategy, min_stages=min_stages)
        parts[key] = (one, table.set_index("business_id"))
    ids = list(
        dict.fromkeys(
            [
                *parts["baseline"][0].scores.index.get_level_values("business_id"),
                *parts["follow_up"][0].scores.index.get_level_values("business_id"),
            ]
        )
    )
    out = pd.DataFrame({"business_id": pd.array(ids, dtype="string")})
    present = {}
    types = pd.Series(pd.NA, index=ids, dtype="string")
    for key, (one, table) in parts.items():
        audited = set(one.scores.index.get_level_values("business_id"))
        present[key] = out["business_id"].isin(list(audited)).to_numpy()
        attrs = one.attributes.droplevel("wave")
        if "business_type" in attrs:
            got = attrs["business_type"].astype("string")
            types.loc[got.index] = got.to_numpy()
        values = table[score].reindex(ids) if score in table else pd.Series(np.nan, index=ids)
        out[f"score_{key}"] = values.to_numpy(dtype=float, na_value=np.nan)
        n_assessed = one.scores.notna().sum(axis=1).droplevel("wave")
        out[f"n_assessed_{key}"] = pd.array(n_assessed.reindex(ids).to_numpy(), dtype="Int64")
    out.insert(1, "business_type", types.reindex(ids).to_numpy())
    out.insert(2, "baseline", cohort.wave_label(b))
    out.insert(3, "follow_up", cohort.wave_label(f))
    out.insert(4, "score", score)
    out["change"] = out["score_follow_up"] - out["score_baseline"]
    both, base_only = present["baseline"] & present["follow_up"], present["baseline"]
    out["status"] = np.where(both, "paired", np.where(base_only, "baseline_only", "follow_up_only"))
    out["strategy"] = strategy
    for col in ("business_type", "baseline", "follow_up", "score", "status", "strategy"):
        out[col] = out[col].astype("string")
    return out


def level_distribution_by_wave(
    cohort: Cohort,
    waves: list[str | int] | None = None,
    *,
    paired_only: bool = False,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
) -> pd.DataFrame:
    """:func:`~cma_research.level_distribution` of each wave, stacked, labelled by wave.

    Parameters
    ----------
    cohort : Cohort
    waves : list of str or int, optional
        Waves by label or code, in the order to show them; default every wave.
    paired_only : bool
        Only the businesses audited at every one of ``waves`` (so the distributions
        compare the same businesses).
    strategy : str
        Missing-stage strategy, applied to each wave (default ``available_case``).
    min_stages : int, optional
        For ``strategy="min_stages"``.

    Returns
    -------
    DataFrame
        ``wave`` (label), ``wave_rank`` (position 1, 2 ... in ``waves``), ``n_businesses``
        (audited at the wave and kept), then the columns of
        :func:`~cma_research.level_distribution`, one block of rows per wave; its
        ``attrs["level_labels"]`` (the instrument's label of each level value) too.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> two = synthetic_follow_up(customer_wise_2007(), seed=2008)  # the SYNTHETIC example
    >>> t = level_distribution_by_wave(two, paired_only=True)
    >>> t.groupby("wave", sort=False)["n_businesses"].first().to_dict()
    {'Baseline': 13, 'Follow-up (SYNTHETIC)': 13}
    """
    codes = [cohort.wave_rank(w) for w in (waves if waves is not None else cohort.waves)]
    if len(set(codes)) != len(codes):
        raise ParameterError(f"waves={waves!r} names a wave twice")
    keep: set[str] | None = None
    if paired_only:
        sets = [
            set(cohort.select_wave(c).scores.index.get_level_values("business_id")) for c in codes
        ]
        keep = set.intersection(*sets) if sets else set()
    blocks = []
    for position, code in enumerate(codes, start=1):
        one = cohort.select_wave(code)
        if keep is not None:
            ids = one.scores.index.get_level_values("business_id")
            one = one.subset(ids.isin(list(keep)))
        table = level_distribution(one, strategy=strategy, min_stages=min_stages)
        table.insert(0, "wave", cohort.wave_label(code))
        table.insert(1, "wave_rank", position)
        table.insert(2, "n_businesses", len(one.scores))
        blocks.append(table)
    out = pd.concat(blocks, ignore_index=True)
    out["wave"] = out["wave"].astype("string")
    out.attrs = {"level_labels": cohort.instrument.level_labels}
    return out


def wave_profiles(
    cohort: Cohort,
    business_id: str,
    waves: list[str | int] | None = None,
    *,
    strategy: Strategy = "available_case",
) -> pd.DataFrame:
    """:func:`~cma_research.stage_profile` of one business at each wave it was audited.

    Parameters
    ----------
    cohort : Cohort
    business_id : str
    waves : list of str or int, optional
        Waves by label or code, in order; default every wave.
    strategy : str
        Missing-stage strategy for the peers (the business's own levels are never
        imputed).

    Returns
    -------
    DataFrame
        ``wave`` (label), ``wave_rank`` (position in ``waves``), then the columns of
        :func:`~cma_research.stage_profile` (peers = the rest of the wave), one block of
        rows per wave at which the business was audited.

    Raises
    ------
    ParameterError
        When the business was audited at none of the waves.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> two = synthetic_follow_up(customer_wise_2007(), seed=2008)  # the SYNTHETIC example
    >>> p = wave_profiles(two, "B01")
    >>> p.pivot(index="stage", columns="wave", values="level").loc[["stage_5", "stage_6"]]
    wave     Baseline  Follow-up (SYNTHETIC)
    stage
    stage_5       1.0                    3.0
    stage_6       NaN                    2.0
    """
    codes = [cohort.wave_rank(w) for w in (waves if waves is not None else cohort.waves)]
    blocks = []
    for position, code in enumerate(codes, start=1):
        one = cohort.select_wave(code)
        if business_id not in set(one.scores.index.get_level_values("business_id")):
            continue
        table = stage_profile(one, business_id, strategy=strategy)
        table.insert(0, "wave", cohort.wave_label(code))
        table.insert(1, "wave_rank", position)
        blocks.append(table)
    if not blocks:
        raise ParameterError(
            f"business_id={business_id!r} was audited at none of the waves "
            + ", ".join(repr(cohort.wave_label(c)) for c in codes)
        )
    out = pd.concat(blocks, ignore_index=True)
    out["wave"] = out["wave"].astype("string")
    return out


# -- attrition -------------------------------------------------------------------------


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
        Seeds the Monte Carlo permutations (``None`` means 0). Every row's test starts
        from this seed (common random numbers), so two variables holding equal data get
        equal p-values.

    Returns
    -------
    Attrition
        ``dropped_ids`` (audited at baseline only), ``completer_ids``, ``joined_ids``
        and ``tests``: one row per variable (``mean_score``, ``staff``,
        ``business_type``) with ``variable``, ``baseline``, ``follow_up``,
        ``n_dropped``, ``n_completers``, ``dropped_summary``, ``completer_summary``
        (median, or for business type the number of types), ``statistic`` (U of the
        drop-outs; chi-square for type), ``p_val``, ``p_method``,
        ``effect_size``, ``effect_size_name``, ``note`` (on the business type's row:
        what its summaries count). A variable no business has a value of (returns
        without staff numbers) has no row.

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
    seed_used = 0 if seed is None else seed  # the same for every row: common random numbers
    labels = {"b": cohort.wave_label(b), "f": cohort.wave_label(f)}
    rows = []
    for name, values in (("mean_score", mean_score), ("staff", staff)):
        ok = ~np.isnan(values)
        if not ok.any():  # the returns do not give it: nothing to compare, no row
            continue
        xd, xc = values[ok & is_dropped], values[ok & ~is_dropped]
        res = mann_whitney(xd, xc, n_perm=n_perm, rng=np.random.default_rng(seed_used))
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
    if known.any():  # as for staff: a variable the returns do not give has no row
        res = table_test(
            is_dropped[known], categories, n_perm=n_perm, rng=np.random.default_rng(seed_used)
        )
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
                "note": "The summaries are the number of business types in each group.",
            }
        )
    columns = [
        "variable", "n_dropped", "n_completers", "dropped_summary", "completer_summary",
        "statistic", "p_val", "p_method", "effect_size", "effect_size_name", "note",
    ]  # fmt: skip
    tests = pd.DataFrame(rows, columns=columns)
    tests.insert(1, "baseline", labels["b"])
    tests.insert(2, "follow_up", labels["f"])
    for col in ("variable", "baseline", "follow_up", "p_method", "effect_size_name", "note"):
        tests[col] = tests[col].astype("string")
    return Attrition(labels["b"], labels["f"], completers, dropped, joined, tests)

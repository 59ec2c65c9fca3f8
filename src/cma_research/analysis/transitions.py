"""Level transitions between two audit waves: transition tables, marginal homogeneity.

Only businesses audited at both waves are counted (see
:func:`~cma_research.analysis.change.wave_scores`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from cma_research.analysis.change import WaveKey, wave_scores
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.instrument import normalise_label
from cma_research.core.params import check_choice, check_int
from cma_research.stats.square_table import bowker, stuart_maxwell, symmetry_permutation_p

__all__ = ["NOT_ASSESSED", "SPARSE_BELOW", "marginal_homogeneity", "transition_table"]

#: Label of the not-assessed row and column of :func:`transition_table`.
NOT_ASSESSED = "not assessed"
#: A table is sparse when a non-empty pair of mirrored cells holds fewer pairs than this.
SPARSE_BELOW = 10


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
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> two = synthetic_follow_up(customer_wise_2007(), seed=2008)  # the SYNTHETIC example
    >>> t = transition_table(two, "stage_1")
    >>> int(t.to_numpy().trace()), t.shape
    (8, (7, 7))
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
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> two = synthetic_follow_up(customer_wise_2007(), seed=2008)  # the SYNTHETIC example
    >>> mh = marginal_homogeneity(two, "stage_1")
    >>> mh[["test", "n_pairs", "df"]].values.tolist()
    [['bowker', 12, 4], ['stuart_maxwell', 12, 4]]

    R: ``mcnemar.test(tab, correct = FALSE)`` (Bowker; R gives NaN when a pair of
    cells is empty, where this leaves the pair out) and ``coin::mh_test(as.table(tab))``
    (Stuart-Maxwell). No continuity correction is applied: for a 2 x 2 table (or one
    non-empty pair of mirrored cells) Bowker's statistic is McNemar's uncorrected
    ``(n_ij - n_ji)^2 / (n_ij + n_ji)``, whereas ``mcnemar.test`` corrects a 2 x 2 table
    by default.
    """
    n_perm = check_int("n_perm", n_perm, minimum=0)
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

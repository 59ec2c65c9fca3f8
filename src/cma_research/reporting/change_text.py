"""Prose about change between waves, its direction words decided by documented rules.

Nothing here types a qualitative word into a sentence: "improved", "declined" and "no
clear change" come from :func:`change_direction`, applied to the interval that
:func:`~cma_research.paired_change` computed.

**The rule** (one row of :func:`~cma_research.paired_change`, i.e. one stage or the
business mean score) is rule 2 of :mod:`cma_research.reporting.words` (direction of
a correlation) applied to the matched-pairs rank-biserial correlation:

- ``improved``: the rank-biserial correlation is positive and its 95% interval lies
  wholly above 0 (``ci95_low > 0``);
- ``declined``: it is negative and the interval lies wholly below 0
  (``ci95_high < 0``);
- ``no_clear_change``: the interval includes 0, or there was no change at all (r = 0);
- when the interval is undefined although r is not (the bootstrap distribution is
  degenerate, e.g. every business moved the same way, r = ±1), the two-sided
  signed-rank ``p_val`` decides instead: ``improved`` / ``declined`` by the sign of r
  when p < :data:`~cma_research.reporting.words.ALPHA` (.05), else
  ``no_clear_change``;
- ``not_estimable``: no pairs, r undefined, or neither interval nor p available.

One more rule, for :func:`wave_effect_sentence`: the mixed model's wave term is
*higher* / *lower* when its 95% Wald interval lies wholly above / below 0, else *not
clearly different*. The sentences on attrition (:func:`attrition_sentence`,
:func:`attrition_tests_sentence`, with their rule) are in
:mod:`cma_research.reporting.attrition_text` and stay importable from here.

The intervals of the stage rows are not adjusted for the number of stages; the
Holm/BH-adjusted p values in the table are, and the sentences say which they use.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pandas as pd

from cma_research.core.errors import ParameterError
from cma_research.core.text import format_number
from cma_research.reporting.attrition_text import attrition_sentence, attrition_tests_sentence
from cma_research.reporting.text import format_p
from cma_research.reporting.words import direction, join_words, row_number

__all__ = [
    "DIRECTION_WORDS",
    "Direction",
    "attrition_sentence",
    "attrition_tests_sentence",
    "change_direction",
    "change_summary",
    "nothing_to_compare",
    "wave_effect_sentence",
]

Direction = Literal["improved", "declined", "no_clear_change", "not_estimable"]

#: How each direction reads in a sentence ("the mean score ...").
DIRECTION_WORDS: dict[str, str] = {
    "improved": "improved",
    "declined": "declined",
    "no_clear_change": "showed no clear change",
    "not_estimable": "could not be assessed",
}


def change_direction(row: Mapping[str, Any] | pd.Series) -> Direction:
    """The direction of change of one row of :func:`~cma_research.paired_change`.

    See the module docstring for the rule (that of
    :func:`cma_research.reporting.words.direction`, on ``rank_biserial``).

    Parameters
    ----------
    row : Series or mapping
        Needs ``rank_biserial``, ``ci95_low``, ``ci95_high``; ``n_pairs`` and ``p_val``
        if present.

    Returns
    -------
    str
        ``"improved"``, ``"declined"``, ``"no_clear_change"`` or ``"not_estimable"``.

    Examples
    --------
    >>> change_direction({"n_pairs": 13, "rank_biserial": 0.8, "ci95_low": 0.3,
    ...                   "ci95_high": 0.97})
    'improved'
    >>> change_direction({"n_pairs": 13, "rank_biserial": 0.6, "ci95_low": -0.2,
    ...                   "ci95_high": 0.97})
    'no_clear_change'
    >>> change_direction({"n_pairs": 13, "rank_biserial": -0.7, "ci95_low": -0.95,
    ...                   "ci95_high": -0.1})
    'declined'
    >>> change_direction({"n_pairs": 13, "rank_biserial": 1.0, "ci95_low": float("nan"),
    ...                   "ci95_high": float("nan"), "p_val": 0.0002})
    'improved'
    """
    for key in ("rank_biserial", "ci95_low", "ci95_high"):
        if not hasattr(row, "get") or key not in row:
            raise ParameterError(f"the row lacks {key!r}; pass a row of paired_change()")
    n = row_number(row, "n_pairs")
    r = row_number(row, "rank_biserial")
    low, high = row_number(row, "ci95_low"), row_number(row, "ci95_high")
    p = row_number(row, "p_val")
    if n == 0 or math.isnan(r):
        return "not_estimable"
    if r != 0 and (math.isnan(low) or math.isnan(high)) and math.isnan(p):
        return "not_estimable"
    sign = direction({"r": r, "ci95_low": low, "ci95_high": high, "p_val": p})
    return "improved" if sign > 0 else "declined" if sign < 0 else "no_clear_change"


def change_summary(
    table: pd.DataFrame,
    *,
    stage_noun: str = "stage",
    synthetic: bool = False,
) -> str:
    """Two or three sentences on the change in mean score and per stage.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~cma_research.paired_change` (stage rows and ``stage ==
        "mean"``).
    stage_noun : str
        The instrument's word for a stage (``cohort.instrument.stage_noun``).
    synthetic : bool
        Start with "SYNTHETIC example data:" (the follow-up wave is made up).

    Returns
    -------
    str
        Plain text; every number and direction word comes from ``table`` through
        :func:`change_direction`.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({
    ...     "stage": ["stage_1", "stage_2", "mean"], "name": ["Contact", "ICT", "Mean score"],
    ...     "baseline": "Baseline", "follow_up": "Follow-up", "n_pairs": [12, 11, 13],
    ...     "median_change": [1.0, 0.0, 0.4], "rank_biserial": [0.9, 0.1, 0.8],
    ...     "ci95_low": [0.5, -0.5, 0.2], "ci95_high": [1.0, 0.6, 0.95],
    ...     "p_val": [0.002, 0.8, 0.01], "p_adj": [0.004, 0.8, 0.01]})
    >>> print(change_summary(t))
    Between Baseline and Follow-up, the mean score of the 13 businesses audited at both waves improved (median change 0.40 levels; matched-pairs rank-biserial r = .80, 95% CI [.20, .95], p = .010). By stage (95% intervals not adjusted for the 2 stages; Holm/BH-adjusted p in the table): 1 of 2 stages improved (Contact) and 1 showed no clear change (ICT).
    """  # noqa: E501
    needed = ["stage", "name", "baseline", "follow_up", "n_pairs", "rank_biserial"]
    missing = [c for c in (*needed, "ci95_low", "ci95_high") if c not in table.columns]
    if missing:
        raise ParameterError(
            f"the table lacks column(s) {', '.join(missing)}; pass the output of paired_change()"
        )
    prefix = "SYNTHETIC example data: " if synthetic else ""
    mean_rows = table[table["stage"] == "mean"]
    stages = table[table["stage"] != "mean"]
    baseline, follow_up = str(table["baseline"].iloc[0]), str(table["follow_up"].iloc[0])
    sentences = []
    if len(mean_rows):
        row = mean_rows.iloc[0]
        direction = change_direction(row)
        n = int(row["n_pairs"])
        stats = ""
        if direction != "not_estimable":
            med = row_number(row, "median_change")
            r = row_number(row, "rank_biserial")
            low, high = row_number(row, "ci95_low"), row_number(row, "ci95_high")
            stats = (
                f" (median change {format_number(med)} levels; matched-pairs rank-biserial "
                f"r = {format_number(r, bounded=True)}, 95% CI "
                f"[{format_number(low, bounded=True)}, {format_number(high, bounded=True)}], "
                f"{format_p(row_number(row, 'p_val'))})"
            )
        elif n > 0:
            stats = " (the rank-biserial correlation or its interval is undefined)"
        sentences.append(
            f"{prefix}Between {baseline} and {follow_up}, the mean score of the {n} "
            f"business{'es' if n != 1 else ''} audited at both waves "
            f"{DIRECTION_WORDS[direction]}{stats}."
        )
    if len(stages):
        groups: dict[str, list[str]] = {k: [] for k in DIRECTION_WORDS}
        for _, row in stages.iterrows():
            groups[change_direction(row)].append(str(row["name"]))
        k = len(stages)
        nouns = f"{stage_noun}s" if k != 1 else stage_noun
        parts = []
        first = True
        for key in ("improved", "declined", "no_clear_change", "not_estimable"):
            members = groups[key]
            if not members:
                continue
            count = f"{len(members)} of {k} {nouns}" if first else f"{len(members)}"
            parts.append(f"{count} {DIRECTION_WORDS[key]} ({join_words(members)})")
            first = False
        sentences.append(
            f"By {stage_noun} (95% intervals not adjusted for the {k} {nouns}; "
            f"Holm/BH-adjusted p in the table): {join_words(parts)}."
        )
    if not sentences:
        raise ParameterError("the table has no rows; pass the output of paired_change()")
    return " ".join(sentences)


def nothing_to_compare(waves: Sequence[str]) -> str:
    """The notebook's message for a file with fewer than two waves.

    >>> print(nothing_to_compare(["1"]))
    The returns have one audit wave ('1'), so there is nothing to compare: change needs a baseline and a follow-up audit of the same businesses. Load a file with a wave column holding two or more waves.
    """  # noqa: E501
    shown = ", ".join(repr(str(w)) for w in waves) or "none"
    count = "one audit wave" if len(waves) == 1 else f"{len(waves)} audit waves"
    return (
        f"The returns have {count} ({shown}), so there is nothing to compare: change needs "
        "a baseline and a follow-up audit of the same businesses. Load a file with a wave "
        "column holding two or more waves."
    )


def wave_effect_sentence(model: pd.DataFrame, baseline: str, *, synthetic: bool = False) -> str:
    """The mixed model's estimate of the change in mean score, in words.

    Parameters
    ----------
    model : DataFrame
        Output of :func:`~cma_research.fit_wave_model`; its first ``wave[<label>]``
        term is described.
    baseline : str
        Label of the reference wave (the model's intercept).
    synthetic : bool
        Start with "SYNTHETIC example data:".

    Returns
    -------
    str
        *higher* / *lower* when the 95% interval excludes 0, else *not clearly
        different* (module docstring).

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"term": ["Intercept", "wave[After]"], "estimate": [2.0, 0.5],
    ...     "ci95_low": [1.5, 0.2], "ci95_high": [2.5, 0.8], "p_val": [0.0, 0.001],
    ...     "n_obs": 29, "n_groups": 16, "n_both": 13, "converged": True})
    >>> print(wave_effect_sentence(m, "Before"))
    A linear mixed model of the mean score (random intercept per business; all 29 returns of 16 businesses, 13 of them audited at two or more waves) puts the mean score higher at After than at Before: difference 0.50 levels, 95% CI [0.20, 0.80], p = .001.
    """  # noqa: E501
    missing = [c for c in ("term", "estimate", "ci95_low", "ci95_high", "p_val") if c not in model]
    if missing:
        raise ParameterError(
            f"the table lacks column(s) {', '.join(missing)}; pass the output of fit_wave_model()"
        )
    terms = model[model["term"].astype(str).str.startswith("wave[")]
    if terms.empty:
        raise ParameterError("the model has no wave term; pass the output of fit_wave_model()")
    row = terms.iloc[0]
    label = str(row["term"])[len("wave[") : -1]
    est, low, high = (row_number(row, k) for k in ("estimate", "ci95_low", "ci95_high"))
    p = row_number(row, "p_val")
    prefix = "SYNTHETIC example data: " if synthetic else ""
    design = ""
    if {"n_obs", "n_groups", "n_both"} <= set(model.columns):
        design = (
            f"; all {int(row['n_obs'])} returns of {int(row['n_groups'])} businesses, "
            f"{int(row['n_both'])} of them audited at two or more waves"
        )
    lead = f"{prefix}A linear mixed model of the mean score (random intercept per business{design})"
    numbers = (
        f"difference {format_number(est)} levels, 95% CI [{format_number(low)}, "
        f"{format_number(high)}], {format_p(p)}"
    )
    if math.isnan(est) or math.isnan(low) or math.isnan(high):
        text = f"{lead} could not estimate the change from {baseline} to {label}."
    elif low > 0 or high < 0:
        word = "higher" if low > 0 else "lower"
        text = f"{lead} puts the mean score {word} at {label} than at {baseline}: {numbers}."
    else:
        text = (
            f"{lead} finds the mean score at {label} not clearly different from {baseline}: "
            f"{numbers}."
        )
    if "converged" in model.columns and not bool(row["converged"]):
        text += " The fit did not converge cleanly (see the model's method column)."
    return text

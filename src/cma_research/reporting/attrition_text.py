"""Prose about attrition between two waves: who was audited when, who dropped out.

Counts are stated as counted. One rule decides a word, for
:func:`attrition_tests_sentence`: drop-outs *differed* from completers on a baseline
variable when the test's p is below ``alpha`` (.05), else they *did not clearly differ*
(with few drop-outs a large difference can still have a large p; the effect size is
always given).
"""

from __future__ import annotations

import math

import pandas as pd

from cma_research.core.errors import ParameterError
from cma_research.core.text import format_number
from cma_research.reporting.text import format_p
from cma_research.reporting.words import join_words, row_number

__all__ = ["attrition_sentence", "attrition_tests_sentence"]


def attrition_sentence(table: pd.DataFrame, *, synthetic: bool = False) -> str:
    """How many businesses were audited at each wave, at both, and who dropped out.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~cma_research.analysis.change_scores.scores_by_wave`.
    synthetic : bool
        Start with "SYNTHETIC example data:".

    Returns
    -------
    str
        Counts only; the drop-outs are named by business id.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"business_id": ["A", "B", "C"], "baseline": "W1",
    ...                   "follow_up": "W2",
    ...                   "status": ["paired", "baseline_only", "paired"]})
    >>> print(attrition_sentence(t))
    3 businesses were audited at W1 and 2 at W2; 2 at both waves. 1 business was audited at W1 only (dropped out: B).
    """  # noqa: E501
    missing = [c for c in ("business_id", "baseline", "follow_up", "status") if c not in table]
    if missing:
        raise ParameterError(
            f"the table lacks column(s) {', '.join(missing)}; pass the output of scores_by_wave()"
        )
    status = table["status"].astype(str)
    baseline, follow_up = str(table["baseline"].iloc[0]), str(table["follow_up"].iloc[0])
    n_paired = int((status == "paired").sum())
    dropped = table.loc[status == "baseline_only", "business_id"].astype(str).tolist()
    joined = table.loc[status == "follow_up_only", "business_id"].astype(str).tolist()
    n_base, n_follow = n_paired + len(dropped), n_paired + len(joined)

    def businesses(n: int) -> str:
        return f"{n} business{'es' if n != 1 else ''}"

    prefix = "SYNTHETIC example data: " if synthetic else ""
    text = (
        f"{prefix}{businesses(n_base)} {'were' if n_base != 1 else 'was'} audited at "
        f"{baseline} and {n_follow} at {follow_up}; {n_paired} at both waves."
    )
    if dropped:
        text += (
            f" {businesses(len(dropped))} {'were' if len(dropped) != 1 else 'was'} audited at "
            f"{baseline} only (dropped out: {join_words(dropped)})."
        )
    else:
        text += f" No business audited at {baseline} is missing at {follow_up}."
    if joined:
        text += (
            f" {businesses(len(joined))} {'were' if len(joined) != 1 else 'was'} audited at "
            f"{follow_up} only ({join_words(joined)})."
        )
    return text


_VARIABLE_NAMES = {"mean_score": "mean score", "staff": "staff", "business_type": "business type"}


def attrition_tests_sentence(
    tests: pd.DataFrame, *, alpha: float = 0.05, synthetic: bool = False
) -> str:
    """Did the drop-outs differ from the completers at baseline? One sentence per variable.

    Parameters
    ----------
    tests : DataFrame
        ``attrition(...).tests`` (:func:`~cma_research.attrition`).
    alpha : float
        Level for the word *differed* (module docstring).
    synthetic : bool
        Start with "SYNTHETIC example data:".

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"variable": ["mean_score", "business_type"], "baseline": "W1",
    ...     "follow_up": "W2", "n_dropped": [3, 3], "n_completers": [13, 13],
    ...     "dropped_summary": [2.17, 3.0], "completer_summary": [2.2, 13.0],
    ...     "p_val": [0.9, 1.0], "effect_size": [-0.05, 0.0],
    ...     "effect_size_name": ["rank_biserial", "cramers_v"]})
    >>> print(attrition_tests_sentence(t))
    At W1, the 3 businesses not audited at W2 did not clearly differ from the 13 audited again in mean score (median 2.17 vs 2.20; rank-biserial r = −.05, p = .900) and did not clearly differ in business type (Cramér's V = .00, p = 1.000).
    """  # noqa: E501
    needed = ["variable", "baseline", "follow_up", "n_dropped", "n_completers", "p_val"]
    missing = [c for c in needed if c not in tests]
    if missing:
        raise ParameterError(
            f"the table lacks column(s) {', '.join(missing)}; pass attrition(...).tests"
        )
    prefix = "SYNTHETIC example data: " if synthetic else ""
    if tests.empty:
        raise ParameterError("the table has no rows; pass attrition(...).tests")
    first = tests.iloc[0]
    baseline, follow_up = str(first["baseline"]), str(first["follow_up"])
    n_dropped = int(tests["n_dropped"].max())
    n_completers = int(tests["n_completers"].max())
    if n_dropped == 0:
        return (
            f"{prefix}Every business audited at {baseline} was audited again at {follow_up}: "
            "there are no drop-outs to compare."
        )
    parts = []
    for i, (_, row) in enumerate(tests.iterrows()):
        var = _VARIABLE_NAMES.get(str(row["variable"]), str(row["variable"]))
        p = row_number(row, "p_val")
        if math.isnan(p):
            verb = "could not be compared"
        elif p < alpha:
            verb = "differed" if i else f"differed from the {n_completers} audited again"
        else:
            verb = (
                "did not clearly differ"
                if i
                else f"did not clearly differ from the {n_completers} audited again"
            )
        effect = row_number(row, "effect_size")
        kind = str(row.get("effect_size_name", ""))
        if kind == "cramers_v":
            detail = f"Cramér's V = {format_number(effect, bounded=True)}, {format_p(p)}"
        else:
            med_d, med_c = row_number(row, "dropped_summary"), row_number(row, "completer_summary")
            digits = 2 if var == "mean score" else 0
            detail = (
                f"median {format_number(med_d, digits)} vs {format_number(med_c, digits)}; "
                f"rank-biserial r = {format_number(effect, bounded=True)}, {format_p(p)}"
            )
        parts.append(f"{verb} in {var} ({detail})")
    return (
        f"{prefix}At {baseline}, the {n_dropped} business{'es' if n_dropped != 1 else ''} "
        f"not audited at {follow_up} {join_words(parts)}."
    )

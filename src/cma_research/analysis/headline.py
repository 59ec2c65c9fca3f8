"""The headline results of a cohort: under which strategy for blanks, on how many
businesses, and what the other strategies say.

A study's findings lead with a few results (maturity's association with size and with
each numeric covariate such as growth, and the reliability of the stages). Each is
computed under one missing-stage strategy, which can leave businesses out. This module
decides that strategy by a documented rule, states how many businesses it keeps, and
computes the same results under the alternative strategies so a report can say when
the conclusion depends on the choice.

**The headline strategy rule** (:func:`headline_strategy`, ``missing_strategy="auto"``):
complete cases (the businesses assessed on every stage) when they leave out at most
:data:`HEADLINE_MAX_LEFT_OUT` (a quarter) of the businesses audited; otherwise
available cases (every assessed stage, each business's score over the stages it was
assessed on; :data:`HEADLINE_FALLBACK`).

Why a quarter: complete cases give every business a score over the same stages (no
assumption that the assessed stages stand for the unseen ones), at the price of the
businesses with a blank. Keeping at least three quarters of the cohort costs a
correlation's interval at most about 15% of its width (its standard error grows as
``1/sqrt(n - 3)``, and ``sqrt(4/3) = 1.15``); losing more costs more (41% when half
are left out), and the businesses left out may differ from those kept. Available cases
then keep every business with an assessed stage. Multiple imputation is not the
fallback: as implemented it imputes the stages from each other only, without the
covariates a headline correlates them with, which pulls those correlations towards
zero (van Buuren, *Flexible Imputation of Missing Data*, 2nd ed., 2018, sect. 6.2); it
is one of the :data:`ALTERNATIVE_STRATEGIES` every disclosure compares.

A requested strategy other than ``auto`` is used as given; ``min_stages`` applies only
to ``missing_strategy="min_stages"`` and is ignored otherwise (so a parameter file can
keep ``min_stages`` for the sensitivity analysis whatever the headline strategy).

**Disclosure** (:attr:`HeadlineStrategy.discloses`): when the headline strategy leaves
out more than :data:`HEADLINE_MAX_LEFT_OUT` of the businesses, a report says so in its
first paragraph and gives each headline association under the
:data:`ALTERNATIVE_STRATEGIES` whenever the conclusion (rule 2 of
:mod:`cma_research.reporting.rules`) differs (:func:`associations` computes them).

**Reliability** (:func:`reliability_strategy`): Cronbach's alpha needs every stage of
every business; under a headline strategy that leaves blanks (``available_case``,
``min_stages``) it is computed on the multiply imputed cohorts (the imputation model
holds exactly the stages alpha uses), otherwise under the headline strategy itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cma_research.analysis.correlation import adjust, correlate
from cma_research.analysis.prepare import no_values, single_wave
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.params import HEADLINE_STRATEGIES, STRATEGIES, check_choice

__all__ = [
    "ALTERNATIVE_STRATEGIES",
    "HEADLINE_FALLBACK",
    "HEADLINE_MAX_LEFT_OUT",
    "HeadlineStrategy",
    "associations",
    "correlations",
    "headline_strategy",
    "numeric_covariates",
    "reliability_strategy",
    "result_or_note",
]

#: The largest share of the businesses a headline strategy may leave out before the
#: report must say so (and ``auto`` turns from complete cases to available cases).
HEADLINE_MAX_LEFT_OUT = 0.25
#: The strategy ``auto`` chooses when complete cases leave out too many businesses.
HEADLINE_FALLBACK = "available_case"
#: The strategies a disclosure compares: one that drops businesses, one that uses every
#: assessed stage, one that imputes.
ALTERNATIVE_STRATEGIES: tuple[str, ...] = ("complete_case", "available_case", "multiple")
#: Strategies whose cohort has no blank left (alpha can be computed under them).
_COMPLETE_DATA = ("complete_case", "stage_median", "business_mean", "multiple", "blank_as_zero")


@dataclass(frozen=True)
class HeadlineStrategy:
    """The strategy for blanks behind a cohort's headline results, and what it keeps.

    Attributes
    ----------
    requested : str
        The parameter as given (``"auto"`` or a strategy).
    strategy : str
        The strategy used.
    min_stages : int or None
        ``k`` when ``strategy`` is ``min_stages``, else None.
    n_businesses : int
        Businesses audited (in the wave analysed).
    n_used : int
        Businesses the strategy keeps with a score: assessed on every stage
        (``complete_case``), on at least ``k`` (``min_stages``), on at least one (the
        others).
    n_complete : int
        Businesses assessed on every stage.
    rule : str
        Why this strategy, in words.
    """

    requested: str
    strategy: str
    min_stages: int | None
    n_businesses: int
    n_used: int
    n_complete: int
    rule: str

    @property
    def n_left_out(self) -> int:
        """Businesses audited but left out of the headline results."""
        return self.n_businesses - self.n_used

    @property
    def share_left_out(self) -> float:
        """``n_left_out / n_businesses`` (NaN for an empty cohort)."""
        return self.n_left_out / self.n_businesses if self.n_businesses else float("nan")

    @property
    def discloses(self) -> bool:
        """Whether more than :data:`HEADLINE_MAX_LEFT_OUT` of the businesses are left out."""
        return bool(self.n_businesses) and self.share_left_out > HEADLINE_MAX_LEFT_OUT

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON (``study_summary.json``) and parameter tables."""
        return {
            "requested": self.requested,
            "strategy": self.strategy,
            "min_stages": self.min_stages,
            "n_businesses": self.n_businesses,
            "n_used": self.n_used,
            "n_left_out": self.n_left_out,
            "share_left_out": self.share_left_out,
            "discloses": self.discloses,
            "rule": self.rule,
        }


def _kept(n_assessed: np.ndarray, k: int, strategy: str, min_stages: int | None) -> int:
    if strategy == "complete_case":
        return int((n_assessed == k).sum())
    if strategy == "min_stages":
        return int((n_assessed >= int(min_stages or 1)).sum())
    return int((n_assessed > 0).sum())


def headline_strategy(
    cohort: Cohort, requested: str = "auto", *, min_stages: int | None = None
) -> HeadlineStrategy:
    """The strategy for blanks behind the headline results, by the module's rule.

    Parameters
    ----------
    cohort : Cohort
        One wave (the one the headline results describe).
    requested : str
        ``"auto"`` (the rule decides) or one of :data:`~cma_research.STRATEGIES`.
    min_stages : int, optional
        ``k`` for ``requested="min_stages"``; ignored for any other strategy.

    Returns
    -------
    HeadlineStrategy

    Raises
    ------
    ParameterError
        An unknown strategy, ``min_stages`` without ``k``, or a cohort of several waves.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> h = headline_strategy(customer_wise_2007())
    >>> h.strategy, h.n_used, h.n_businesses, h.discloses
    ('complete_case', 12, 16, False)
    >>> print(h.rule)
    auto: complete cases leave out 4 of the 16 businesses (25%), at most a quarter
    >>> headline_strategy(customer_wise_2007(), "complete_case", min_stages=8).min_stages
    """
    check_choice("missing_strategy", requested, HEADLINE_STRATEGIES)
    one = single_wave(cohort)
    k = len(one.stage_ids)
    n_assessed = one.scores.notna().sum(axis=1).to_numpy()
    n = len(n_assessed)
    n_complete = int((n_assessed == k).sum())
    if requested == "min_stages":
        if min_stages is None:
            raise ParameterError("missing_strategy='min_stages' needs min_stages (k)")
        if not 1 <= int(min_stages) <= k:
            raise ParameterError(f"min_stages={min_stages!r} must be a whole number from 1 to {k}")
    left = n - n_complete
    share = f"{100 * left / n:.0f}%" if n else "n/a"
    if requested == "auto":
        if n == 0 or left / n <= HEADLINE_MAX_LEFT_OUT:
            strategy = "complete_case"
            rule = (
                f"auto: complete cases leave out {left} of the {n} businesses ({share}), "
                "at most a quarter"
            )
        else:
            strategy = HEADLINE_FALLBACK
            rule = (
                f"auto: complete cases would leave out {left} of the {n} businesses "
                f"({share}), more than a quarter, so available cases are used"
            )
    else:
        strategy = requested
        rule = "as requested (missing_strategy)"
    k_used = int(min_stages) if strategy == "min_stages" and min_stages is not None else None
    return HeadlineStrategy(
        requested=requested,
        strategy=strategy,
        min_stages=k_used,
        n_businesses=n,
        n_used=_kept(n_assessed, k, strategy, k_used),
        n_complete=n_complete,
        rule=rule,
    )


def reliability_strategy(strategy: str) -> str:
    """The strategy alpha is computed under when the headline uses ``strategy``.

    The headline strategy itself when it leaves no blank; ``multiple`` when it does
    (``available_case``, ``min_stages``): see the module docstring.

    >>> reliability_strategy("complete_case"), reliability_strategy("available_case")
    ('complete_case', 'multiple')
    """
    check_choice("strategy", strategy, STRATEGIES)
    return strategy if strategy in _COMPLETE_DATA else "multiple"


def numeric_covariates(cohort: Cohort) -> list[str]:
    """The numeric covariate columns the cohort's covariate files added, in file order.

    >>> from cma_research.datasets import customer_wise_2007
    >>> numeric_covariates(customer_wise_2007())
    []
    """
    attrs = cohort.attributes
    return [
        c
        for src in cohort.covariate_sources
        for c in src.columns
        if c in attrs.columns and pd.api.types.is_numeric_dtype(attrs[c])
    ]


def result_or_note(
    analysis: Callable[..., pd.DataFrame], cohort: Cohort, /, **kwargs: Any
) -> pd.DataFrame:
    """``analysis(cohort, **kwargs)``, or one row saying why it could not be computed.

    For reports that must not stop on a valid file: a
    :class:`~cma_research.core.errors.ParameterError` (too few businesses, a stage
    never assessed, no staff numbers) becomes a row with ``strategy`` (when given),
    ``n`` (NA) and ``note`` (the reason, in words); any other error propagates.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research import cronbach_alpha
    >>> cohort = customer_wise_2007()
    >>> large = cohort.subset(cohort.attributes["staff"] >= 50)  # one business
    >>> print(result_or_note(cronbach_alpha, large, strategy="complete_case").loc[0, "note"])
    not computed: cronbach_alpha needs at least 3 complete businesses; 1 remain
    """
    try:
        return analysis(cohort, **kwargs)
    except ParameterError as exc:
        row: dict[str, Any] = {}
        if "strategy" in kwargs:
            row["strategy"] = kwargs["strategy"]
        row["n"] = pd.NA
        row["note"] = f"not computed: {exc}"
        out = pd.DataFrame([row])
        out["n"] = out["n"].astype("Int64")
        for col in ("strategy", "note"):
            if col in out:
                out[col] = out[col].astype("string")
        return out


def _note_rows(
    strategy: str, score: str, covariates: Sequence[str], reasons: Sequence[str]
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "strategy": [strategy] * len(covariates),
            "score": [score] * len(covariates),
            "covariate": list(covariates),
            "note": [f"not computed: {r}" for r in reasons],
        }
    )


def correlations(
    cohort: Cohort,
    covariates: Sequence[str],
    score: str = "mean",
    *,
    strategy: str = "complete_case",
    min_stages: int | None = None,
    seed: int = 0,
    n_boot: int = 2000,
    n_perm: int = 100_000,
    m: int = 20,
) -> pd.DataFrame:
    """:func:`~cma_research.correlate` over the covariates that have values, never raising.

    The covariates with values are correlated in one call (one multiple-testing family,
    as ``correlate`` adjusts it); a covariate without any value (no staff numbers in the
    returns) gets a row of its own whose ``note`` says so, and a call that cannot be
    computed (fewer than three businesses with both values) gives one such row per
    covariate. Arguments as :func:`~cma_research.correlate` (``score="stages"`` for
    every stage).

    Returns
    -------
    DataFrame
        ``correlate``'s rows, then the rows not computed (``strategy``, ``score``,
        ``covariate``, ``note``; the other columns NA).

    Examples
    --------
    >>> from dataclasses import replace
    >>> from cma_research.datasets import customer_wise_2007
    >>> cohort = customer_wise_2007()
    >>> no_staff = replace(cohort, attributes=cohort.attributes.assign(staff=pd.NA))
    >>> print(correlations(no_staff, ["staff"], n_boot=0).loc[0, "note"])
    not computed: the returns give no staff numbers
    """
    usable, frames = [], []
    for covariate in covariates:
        reason = no_values(cohort, covariate)
        if reason is None:
            usable.append(covariate)
        else:
            frames.append(_note_rows(strategy, score, [covariate], [reason]))
    if usable:
        out = result_or_note(
            correlate,
            cohort,
            covariate=usable,
            score=score,
            strategy=strategy,
            min_stages=min_stages if strategy == "min_stages" else None,
            seed=seed,
            n_boot=n_boot,
            n_perm=n_perm,
            m=m,
        )
        if "covariate" not in out:
            note = str(out["note"].iloc[0]).removeprefix("not computed: ")
            out = _note_rows(strategy, score, usable, [note] * len(usable))
        frames.insert(0, out)
    return _stacked(frames)


def _stacked(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Tables of ``correlate`` and note rows, one under the other, ``note`` last."""
    if not frames:
        return pd.DataFrame(columns=["strategy", "score", "covariate", "n", "note"])
    result = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    cols = ["strategy", *[c for c in result.columns if c not in ("strategy", "m", "note")]]
    cols += [c for c in ("m", "note") if c in result.columns]
    result = result[cols]
    for col in ("strategy", "score", "covariate", "note"):
        result[col] = result[col].astype("string")
    if "n" in result:
        result["n"] = pd.array(result["n"].tolist(), dtype="Int64")
    return result


def associations(
    cohort: Cohort,
    covariates: Sequence[str],
    strategies: Sequence[str],
    *,
    score: str = "mean",
    min_stages: int | None = None,
    seed: int = 0,
    n_boot: int = 2000,
    n_perm: int = 100_000,
    m: int = 20,
) -> pd.DataFrame:
    """Each covariate's correlation with the score under each strategy, never raising.

    Every (covariate, strategy) is one call of :func:`~cma_research.correlate` with
    that one covariate, so a covariate that cannot be computed does not stop the others;
    a pair that cannot be computed is a row with ``note`` saying why (no staff numbers,
    fewer than three businesses with both values, a strategy that cannot be applied).
    The covariates computed under one strategy are one multiple-testing family, as in
    :func:`correlations` and the size notebook: ``p_adj`` is Holm's adjustment across
    them (on ``p_perm`` when every row of the family has it, else ``p_val``;
    :func:`cma_research.analysis.correlation.adjust`), so a headline and the size
    notebook give the same adjusted p. Each test's ``p_perm`` is seeded on its own
    (see :func:`~cma_research.correlate`'s ``seed``): the same as in the size notebook.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    covariates : sequence of str
        ``"staff"`` and any numeric attribute (e.g. a growth column).
    strategies : sequence of str
        Strategies to compute under, in order (the headline strategy first, say).
    score, min_stages, seed, n_boot, n_perm, m
        As :func:`~cma_research.correlate` (``min_stages`` only for ``min_stages``).

    Returns
    -------
    DataFrame
        :func:`~cma_research.correlate`'s columns, one row per covariate and strategy
        (covariate-major, in the order given); for a pair not computed ``strategy``,
        ``score``, ``covariate`` and ``note`` (the other columns NA).

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> t = associations(customer_wise_2007(), ["staff"], ["complete_case", "available_case"],
    ...                  n_boot=0, n_perm=0)
    >>> t[["covariate", "strategy", "n"]].values.tolist()
    [['staff', 'complete_case', 12], ['staff', 'available_case', 16]]
    """
    frames = []
    for covariate in covariates:
        reason = no_values(cohort, covariate)
        for strategy in strategies:
            if reason is not None:
                out = pd.DataFrame({"strategy": [strategy], "note": [f"not computed: {reason}"]})
            else:
                out = result_or_note(
                    correlate,
                    cohort,
                    covariate=covariate,
                    score=score,
                    strategy=strategy,
                    min_stages=min_stages if strategy == "min_stages" else None,
                    seed=seed,
                    n_boot=n_boot,
                    n_perm=n_perm,
                    m=m,
                )
            if "covariate" not in out or out["covariate"].isna().all():
                out["score"] = score
                out["covariate"] = covariate
            frames.append(out)
    result = _stacked(frames)
    if "p_val" not in result:
        return result
    for strategy in strategies:  # one family per strategy, as correlate adjusts one call
        rows = (result["strategy"] == strategy).to_numpy(dtype=bool) & result[
            "p_val"
        ].notna().to_numpy(dtype=bool)
        if rows.any():
            family = adjust(result.loc[rows, ["p_val", "p_perm"]].reset_index(drop=True), "holm")
            result.loc[rows, "p_adj"] = family["p_adj"].to_numpy()
            result.loc[rows, "p_adj_method"] = family["p_adj_method"].to_numpy()
    return result

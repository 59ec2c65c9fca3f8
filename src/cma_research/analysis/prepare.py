"""Shared preparation for the statistics: one wave, one strategy, numeric covariates."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.params import STRATEGIES, check_choice
from cma_research.missing.strategies import clean

#: Columns that Rubin's rules add to a pooled result (``strategy="multiple"``).
POOLED_COLUMNS: tuple[str, ...] = ("df", "riv", "lambda_share", "fmi")


def ci_columns(confidence: float) -> tuple[str, str]:
    """Column names of an interval at ``confidence``: 0.95 -> ``ci95_low``, ``ci95_high``.

    >>> ci_columns(0.95), ci_columns(0.975)
    (('ci95_low', 'ci95_high'), ('ci97_5_low', 'ci97_5_high'))
    """
    if isinstance(confidence, bool) or not isinstance(confidence, float | int):
        raise ParameterError(f"confidence={confidence!r} must be a number between 0 and 1")
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence={confidence!r} must be between 0 and 1")
    label = f"{confidence * 100:.10g}".replace(".", "_")
    return f"ci{label}_low", f"ci{label}_high"


def single_wave(cohort: Cohort) -> Cohort:
    """The cohort itself when it has one wave; otherwise a clear error."""
    if len(cohort.waves) > 1:
        waves = ", ".join(repr(w) for w in cohort.waves)
        raise ParameterError(
            f"the cohort has {len(cohort.waves)} waves ({waves}); statistics need one return "
            f"per business: select one with cohort.select_wave(...), e.g. "
            f"cohort.select_wave({cohort.waves[-1]!r}), or compare waves with "
            "cma_research.paired_change"
        )
    return cohort


def prepared(
    cohort: Cohort,
    strategy: str,
    *,
    min_stages: int | None = None,
    allow_blanks: bool = True,
    what: str = "this analysis",
) -> Cohort:
    """Apply a single-result cleaning strategy to a one-wave cohort.

    ``multiple`` is refused here: its m cohorts (:func:`imputed`) are analysed and pooled
    with Rubin's rules by the functions that pool (``correlate``, ``cronbach_alpha``,
    ``fit_size_model``).
    """
    check_choice("strategy", strategy, STRATEGIES)
    if strategy == "multiple":
        raise ParameterError(
            f"strategy='multiple' gives m cohorts, and {what} does not pool them; "
            "correlate, cronbach_alpha and fit_size_model pool multiple imputations "
            "with Rubin's rules (strategy='multiple', m=..., seed=...), and "
            "cma_research.sensitivity compares them with the other strategies"
        )
    one = single_wave(cohort)
    result = clean(one, strategy, min_stages=min_stages).cohort  # type: ignore[arg-type]
    if not allow_blanks and result.scores.isna().to_numpy().any():
        raise ParameterError(
            f"{what} needs complete data, but strategy={strategy!r} leaves "
            f"{int(result.scores.isna().to_numpy().sum())} blank cells; use 'complete_case' "
            "or an imputing strategy ('stage_median', 'business_mean', 'multiple')"
        )
    return result


def imputed(cohort: Cohort, *, m: int, seed: int) -> tuple[Cohort, ...]:
    """The ``m`` completed copies of a one-wave cohort (strategy ``multiple``, seeded)."""
    return clean(single_wave(cohort), "multiple", m=m, seed=seed).cohorts


def strategy_layout(out: pd.DataFrame, strategy: str, m: int) -> pd.DataFrame:
    """A result laid out as the analyses that pool lay it out (and ``sensitivity`` stacks).

    ``strategy`` first, the result's own columns in order, then ``m`` (imputations; 1
    for a single-result strategy) and ``note`` (kept when the result has one, else
    empty).
    """
    note = out["note"] if "note" in out.columns else pd.Series([""] * len(out), index=out.index)
    own = [c for c in out.columns if c not in ("strategy", "m", "note")]
    result = out[own].copy()
    result.insert(0, "strategy", pd.Series([strategy] * len(out), index=out.index, dtype="string"))
    result["m"] = m
    result["note"] = note.astype("string")
    return result


def no_values(cohort: Cohort, covariate: str) -> str | None:
    """Why ``covariate`` cannot be related to maturity at all (no business has a value
    of it), in words; None when some business has one, or when it is not an attribute
    (:func:`covariate_values` names the allowed ones).

    >>> from dataclasses import replace
    >>> from cma_research.datasets import customer_wise_2007
    >>> cohort = customer_wise_2007()
    >>> no_values(cohort, "log_staff") is None
    True
    >>> no_values(replace(cohort, attributes=cohort.attributes.assign(staff=pd.NA)), "log_staff")
    'the returns give no staff numbers'
    """
    attrs = cohort.attributes
    name = "staff" if covariate == "log_staff" else covariate
    if name not in attrs.columns or attrs[name].notna().any():
        return None
    if name != "staff" and not pd.api.types.is_numeric_dtype(attrs[name]):
        return None  # not a numeric attribute: covariate_values says so
    return (
        "the returns give no staff numbers"
        if name == "staff"
        else f"no business has a value of {name}"
    )


def require_values(cohort: Cohort, covariates: Sequence[str]) -> None:
    """Raise :class:`ParameterError` with :func:`no_values`' reason when one of
    ``covariates`` has no value for any business (said plainly, not as "needs 3
    businesses with both values; 0 have them")."""
    for name in covariates:
        reason = no_values(cohort, name)
        if reason is not None:
            raise ParameterError(reason)


def covariate_values(cohort: Cohort, covariate: str) -> pd.Series:
    """A numeric covariate per row: ``staff``, ``log_staff`` or any numeric attribute."""
    attrs = cohort.attributes
    if covariate == "log_staff":
        staff = attrs["staff"].astype("Float64")
        if (staff.dropna() <= 0).any():
            raise ParameterError(
                "covariate='log_staff' needs staff > 0; some businesses have 0 staff "
                "(use covariate='staff' or a log(staff + 1) column of your own)"
            )
        return pd.Series(
            np.log(staff.to_numpy(dtype=float, na_value=np.nan)),
            index=attrs.index,
            name="log_staff",
        )
    numeric = ["staff", "log_staff"] + [
        c for c in attrs.columns if c != "staff" and pd.api.types.is_numeric_dtype(attrs[c])
    ]
    if covariate not in attrs.columns or not pd.api.types.is_numeric_dtype(attrs[covariate]):
        raise ParameterError(
            f"covariate={covariate!r} is not a numeric attribute of the cohort; expected one "
            f"of: {', '.join(repr(c) for c in numeric)} (add more with load_covariates)"
        )
    return pd.Series(
        attrs[covariate].to_numpy(dtype=float, na_value=np.nan), index=attrs.index, name=covariate
    )

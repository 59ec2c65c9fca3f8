"""Shared preparation for the statistics: one wave, one strategy, numeric covariates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.params import STRATEGIES, check_choice
from cma_research.missing.strategies import clean


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

    ``multiple`` is refused here: its m cohorts are analysed and pooled by
    :func:`cma_research.sensitivity` (or by the functions that pool themselves).
    """
    check_choice("strategy", strategy, STRATEGIES)
    if strategy == "multiple":
        raise ParameterError(
            f"strategy='multiple' gives m cohorts; run {what} under multiple imputation with "
            "cma_research.sensitivity(..., strategies=['multiple'], m=..., seed=...), "
            "which pools the results with Rubin's rules"
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

"""Missing stages: report them, and handle them with an explicit, named strategy.

A blank stage means *not assessed*. How a study treats those blanks can change its
conclusions, so the package never decides silently: :func:`missingness` reports what is
missing and :func:`clean` applies one named strategy and says what it dropped or filled.

Strategies and their assumptions
--------------------------------
``complete_case``
    Keep only businesses assessed on every stage. Unbiased only if a stage's being
    assessed is unrelated to the business's levels (missing completely at random);
    wastes every partly assessed business.
``available_case``
    Keep everything, fill nothing; each summary uses the stages that were assessed
    (its own ``n``). Assumes the assessed stages represent the business; different
    statistics rest on different subsets.
``min_stages``
    Keep businesses assessed on at least ``k`` stages, fill nothing (available-case
    within them). Assumes summaries over fewer than ``k`` stages are too unreliable and
    that the dropped businesses do not differ systematically.
``stage_median``
    Fill a blank with the (lower) median level of that stage among assessed businesses
    of the same wave, so a filled value is always a valid level. Assumes the business
    sits at the typical level for that stage; shrinks spread and pulls correlations
    towards zero, and every later ``n`` overstates the information.
``business_mean``
    Fill a blank with the mean of the business's own assessed stages, rounded to a
    level (halves rounded down: no credit for a process nobody saw). Assumes the
    business is as mature on the unseen stage as on average; inflates inter-stage
    agreement (e.g. Cronbach's alpha).
``multiple``
    Multiple imputation by chained equations with predictive mean matching, as R's
    ``mice`` does by default (see :mod:`cma_research.missing.mice`), within each wave
    (the wave enters the model as a stratum): ``m`` completed cohorts, each its own
    10-sweep chain from one seeded generator, to be analysed separately and pooled with
    Rubin's rules. The imputation model is *congenial* with the analyses (van Buuren,
    *Flexible Imputation of Missing Data*, 2nd ed., sect. 6.2; Moons et al. 2006): it
    holds the analysis variables too, size (log staff; log(staff + 1) when a business
    has 0 staff) and every numeric covariate merged in with
    :func:`~cma_research.load_covariates`, so a correlation of a stage with size is not
    pulled towards 0 by imputations that ignore size. With few businesses a regression
    on every other column has almost no residual degrees of freedom, so each incomplete
    stage is predicted only by the columns ``mice::quickpred`` would choose (a
    correlation above 0.1 with the stage or with its being assessed;
    :func:`cma_research.missing.mice.quickpred`), size always among them, and at most
    as many as leave the regression 5 residual degrees of freedom (the most correlated
    ones). Assumes blanks
    are missing at random given the stages and those variables; with a dozen
    businesses the imputation model is weak, which the between-imputation variance
    shows. :func:`imputation_model` describes the model of a cohort.

``blank_as_zero``
    A scenario, not an estimate: fill every blank with the instrument's lowest level
    (0, "below level 1"), as if a stage nobody assessed were a stage without any of its
    processes. The paper never says what a blank means, and a run of blanks (stages 7
    to 10 of one business) may be an audit abandoned, not a stage skipped; this worst
    case shows how far the findings move if blanks were absences. Compare it with the
    other strategies in :func:`cma_research.sensitivity`; the delta-adjusted imputations
    of :func:`cma_research.analysis.sensitivity.tipping_point` lie between
    ``multiple`` and this.

The imputing strategies (``stage_median``, ``business_mean``, ``multiple``,
``blank_as_zero``) drop businesses with no assessed stage at all (there is nothing to
impute from) and report them.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from cma_research.core.cohort import CleaningReport, Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.instrument import Instrument
from cma_research.core.memo import memoize
from cma_research.core.params import STRATEGIES, Strategy, check_choice, check_int
from cma_research.missing.mice import MIN_RESIDUAL_DF, mice_pmm, quickpred

__all__ = [
    "ASSUMPTIONS",
    "STRATEGIES",
    "Cleaned",
    "CleaningReport",
    "Strategy",
    "assumption",
    "auxiliary_columns",
    "clean",
    "imputation_model",
]

_IMPUTING = ("stage_median", "business_mean", "multiple", "blank_as_zero")

#: Each strategy's assumption in one line (the reports and `compare_strategies` show it).
ASSUMPTIONS = {
    "complete_case": "a stage's being assessed is unrelated to levels (MCAR)",
    "available_case": "assessed stages represent the business; each summary has its own n",
    "min_stages": "businesses with fewer than k assessed stages are dropped; MCAR among them",
    "stage_median": "a blank sits at the stage's lower-median level (shrinks spread)",
    "business_mean": "a blank sits at the business's own mean level, rounded half down",
    "multiple": "missing at random given the other stages, size and covariates (MICE with "
    "predictive mean matching)",
    "blank_as_zero": "a blank is an absence: the lowest level (a worst-case scenario)",
}


def assumption(strategy: str, instrument: Instrument | None = None) -> str:
    """A strategy's assumption (:data:`ASSUMPTIONS`) in the instrument's noun for a stage.

    >>> from cma_research.core.instrument import get_instrument
    >>> assumption("stage_median", get_instrument("managing_customers_framework"))
    "a blank sits at the dimension's lower-median level (shrinks spread)"
    >>> assumption("available_case")
    'assessed stages represent the business; each summary has its own n'
    """
    text = ASSUMPTIONS[strategy]
    return text if instrument is None else instrument.in_own_words(text)


# -- cleaning --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cleaned:
    """The result of :func:`clean`: one cleaned cohort, or ``m`` for ``multiple``.

    Every cohort carries the same :class:`CleaningReport` in its ``cleaning`` attribute.
    """

    cohorts: tuple[Cohort, ...]
    report: CleaningReport = field(repr=False)

    @property
    def cohort(self) -> Cohort:
        """The cleaned cohort (single-result strategies only)."""
        if len(self.cohorts) != 1:
            raise ParameterError(
                f"strategy {self.report.strategy!r} produced {len(self.cohorts)} cohorts; "
                "use .cohorts and pool the results"
            )
        return self.cohorts[0]

    @property
    def strategy(self) -> str:
        """The strategy's name."""
        return self.report.strategy

    def __repr__(self) -> str:
        return f"<Cleaned {self.report.summary()}>"


def clean(
    cohort: Cohort,
    strategy: Strategy = "available_case",
    *,
    min_stages: int | None = None,
    m: int = 20,
    seed: int | None = None,
) -> Cleaned:
    """Handle not-assessed stages with a named strategy and report what it did.

    Parameters
    ----------
    cohort : Cohort
        As returned by :func:`~cma_research.load_returns`.
    strategy : str
        One of :data:`STRATEGIES`; see the module documentation for each one's
        assumption.
    min_stages : int, optional
        ``k`` for ``min_stages`` (required there, refused elsewhere).
    m : int
        Number of imputations for ``multiple`` (default 20).
    seed : int, optional
        Seed for ``multiple`` (required there, so results are reproducible).

    Returns
    -------
    Cleaned
        ``.cohort`` (or ``.cohorts`` for ``multiple``) and ``.report``.

    Raises
    ------
    ParameterError
        Unknown strategy, or a parameter missing or out of range.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> cohort = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> print(clean(cohort, "complete_case").report.summary())
    complete_case: kept 12 of 16 returns, dropped 4 (B01, B04, B05, B06),
    filled 0 of 23 blank cells; 0 blank cells remain
    >>> clean(cohort, "min_stages", min_stages=5).report.n_dropped
    2
    """
    check_choice("strategy", strategy, STRATEGIES)
    if strategy == "min_stages":
        k = check_int("min_stages", min_stages, minimum=1)
        if k > len(cohort.stage_ids):
            raise ParameterError(
                f"min_stages={k} exceeds the {len(cohort.stage_ids)} stages of "
                f"{cohort.instrument.name}"
            )
    elif min_stages is not None:
        raise ParameterError(
            f"min_stages={min_stages!r} applies only to strategy='min_stages', not {strategy!r}"
        )
    params: dict[str, Any] = {}
    if strategy == "min_stages":
        params["min_stages"] = min_stages
    if strategy == "multiple":
        params["m"] = check_int("m", m, minimum=2)
        params["seed"] = check_int("seed", seed, minimum=0)

    scores = cohort.scores
    n_assessed = scores.notna().sum(axis=1)
    if strategy == "complete_case":
        keep = n_assessed == len(cohort.stage_ids)
    elif strategy == "min_stages":
        keep = n_assessed >= int(min_stages)  # type: ignore[arg-type]
    elif strategy in _IMPUTING:
        keep = n_assessed > 0
    else:
        keep = pd.Series(True, index=scores.index)
    kept = cohort.subset(keep)
    dropped = tuple((str(b), int(w)) for b, w in scores.index[~keep.to_numpy()])

    if strategy == "stage_median":
        filled = [_fill(kept, _stage_median_fill(kept.scores))]
    elif strategy == "business_mean":
        filled = [_fill(kept, _business_mean_fill(kept.scores))]
    elif strategy == "blank_as_zero":
        lowest = int(cohort.instrument.level_values[0])
        filled = [_fill(kept, kept.scores.fillna(lowest))]
    elif strategy == "multiple":
        aux = auxiliary_columns(kept)
        filled = [_fill(kept, s) for s in _mice(kept.scores, aux, params["m"], params["seed"])]
    else:
        filled = [kept]

    before = int(scores.isna().to_numpy().sum())
    after = int(filled[0].scores.isna().to_numpy().sum())
    blanks_kept = int(kept.scores.isna().to_numpy().sum())
    report = CleaningReport(
        strategy=strategy,
        assumption=assumption(strategy, cohort.instrument),
        params=params,
        n_rows_before=len(scores),
        n_rows_after=len(kept),
        dropped=dropped,
        cells_missing_before=before,
        cells_filled=blanks_kept - after,
        cells_missing_after=after,
        m=len(filled),
    )
    return Cleaned(cohorts=tuple(replace(c, cleaning=report) for c in filled), report=report)


def _fill(cohort: Cohort, scores: pd.DataFrame) -> Cohort:
    return replace(cohort, scores=scores.astype("Int64"))


def _per_wave(scores: pd.DataFrame) -> list[pd.DataFrame]:
    waves = scores.index.get_level_values("wave")
    return [scores.loc[waves == w] for w in sorted(set(waves))]


def _stage_median_fill(scores: pd.DataFrame) -> pd.DataFrame:
    if scores.empty:
        return scores
    parts = []
    for part in _per_wave(scores):
        values = {}
        for sid in part.columns:
            observed = np.sort(part[sid].dropna().to_numpy(dtype=float))
            if observed.size == 0:
                raise ParameterError(
                    f"stage_median cannot fill {sid}: no business in this wave was assessed "
                    "on it; use 'available_case' or 'min_stages'"
                )
            values[sid] = int(observed[(observed.size - 1) // 2])  # lower median
        parts.append(part.fillna(values))
    return pd.concat(parts).loc[scores.index]


def _business_mean_fill(scores: pd.DataFrame) -> pd.DataFrame:
    means = scores.astype("Float64").mean(axis=1).to_numpy(dtype=float)
    rounded = np.ceil(means - 0.5)  # nearest level, halves rounded down
    fill = pd.DataFrame(
        np.repeat(rounded[:, None], scores.shape[1], axis=1),
        index=scores.index,
        columns=scores.columns,
    )
    return scores.astype("Float64").fillna(fill).astype("Int64")


#: Imputations kept in this process: (content key, m, seed) -> completed copies.
_MICE_MEMO: OrderedDict[tuple[str, int, int], list[pd.DataFrame]] = OrderedDict()
_MICE_MEMO_SIZE = 8


def auxiliary_columns(cohort: Cohort) -> pd.DataFrame:
    """The analysis variables the imputation model holds beside the stages.

    ``log_staff`` (natural log of staff; ``log(staff + 1)`` when a business has 0 staff,
    named ``log1p_staff``) and every numeric covariate column merged in by
    :func:`~cma_research.load_covariates`, indexed as ``cohort.scores``; a column with
    no observed value, or without variation, is left out (it cannot predict).
    """
    attrs = cohort.attributes
    cols: dict[str, np.ndarray] = {}
    staff = attrs["staff"].to_numpy(dtype=float, na_value=np.nan)
    if (staff[~np.isnan(staff)] > 0).all():
        with np.errstate(divide="ignore", invalid="ignore"):
            cols["log_staff"] = np.log(staff)
    else:
        cols["log1p_staff"] = np.log1p(staff)
    for src in cohort.covariate_sources:
        for name in src.columns:
            if name in attrs.columns and pd.api.types.is_numeric_dtype(attrs[name]):
                cols[name] = attrs[name].to_numpy(dtype=float, na_value=np.nan)
    keep = {k: v for k, v in cols.items() if np.isfinite(v).sum() >= 2 and np.nanstd(v) > 0}
    return pd.DataFrame(keep, index=cohort.scores.index)


def imputation_model(cohort: Cohort) -> pd.DataFrame:
    """The predictor matrix of strategy ``multiple`` for a one-wave cohort, as a table.

    One row per incomplete stage: ``stage``, ``n_observed``, ``predictors`` (the
    columns that predict it, comma-separated: stages and analysis variables,
    :func:`auxiliary_columns`), ``n_predictors``, ``residual_df`` (observed rows minus
    predictors minus the intercept: the imputation regression's residual degrees of
    freedom).

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> model = imputation_model(customer_wise_2007())
    >>> "log_staff" in model.loc[0, "predictors"]
    True
    """
    kept = cohort.subset(cohort.scores.notna().sum(axis=1) > 0)
    aux = auxiliary_columns(kept)
    data = pd.concat([kept.scores.astype("Float64"), aux.astype("Float64")], axis=1)
    values = data.to_numpy(dtype=float, na_value=np.nan)
    pred = quickpred(
        values,
        include=tuple(range(kept.scores.shape[1], values.shape[1])),
        min_residual_df=MIN_RESIDUAL_DF,
    )
    rows = []
    for j, sid in enumerate(kept.scores.columns):
        if not np.isnan(values[:, j]).any():
            continue
        names = [str(c) for c, use in zip(data.columns, pred[j], strict=True) if use]
        n_obs = int((~np.isnan(values[:, j])).sum())
        rows.append(
            {
                "stage": sid,
                "n_observed": n_obs,
                "predictors": ", ".join(names),
                "n_predictors": len(names),
                "residual_df": n_obs - len(names) - 1,
            }
        )
    out = pd.DataFrame(
        rows, columns=["stage", "n_observed", "predictors", "n_predictors", "residual_df"]
    )
    for col in ("stage", "predictors"):
        out[col] = out[col].astype("string")
    return out


def _content_key(scores: pd.DataFrame, aux: pd.DataFrame) -> str:
    """A key of everything ``_mice`` reads: values (a blank as NaN), index, columns, dtypes."""
    digest = hashlib.sha256(scores.to_numpy(dtype=float, na_value=np.nan).tobytes())
    digest.update(aux.to_numpy(dtype=float, na_value=np.nan).tobytes())
    layout = (
        list(scores.columns),
        scores.index.to_list(),
        [str(d) for d in scores.dtypes],
        list(aux.columns),
    )
    digest.update(pickle.dumps(layout))
    return digest.hexdigest()


def _mice(scores: pd.DataFrame, aux: pd.DataFrame, m: int, seed: int) -> list[pd.DataFrame]:
    """m completed copies of ``scores`` by MICE with predictive mean matching.

    The same scores, auxiliary columns, ``m`` and ``seed`` give the same imputations, so
    they are computed once per process (a notebook's strategy comparison, sensitivity
    analyses and claims impute the same returns): later calls get copies of the first
    result.
    """
    key = (_content_key(scores, aux), m, seed)
    if key not in _MICE_MEMO:
        _MICE_MEMO[key] = _mice_pmm(scores, aux, m, seed)
        while len(_MICE_MEMO) > _MICE_MEMO_SIZE:
            _MICE_MEMO.popitem(last=False)
    _MICE_MEMO.move_to_end(key)
    return [d.copy() for d in _MICE_MEMO[key]]


@memoize  # and the build shares them between its kernels (CMA_RESULT_CACHE)
def _mice_pmm(scores: pd.DataFrame, aux: pd.DataFrame, m: int, seed: int) -> list[pd.DataFrame]:
    if scores.empty:
        return [scores] * m
    rng = np.random.default_rng(seed)
    outs: list[list[pd.DataFrame]] = [[] for _ in range(m)]
    k = scores.shape[1]
    waves = scores.index.get_level_values("wave")
    for w in sorted(set(waves)):
        part = scores.loc[waves == w]
        values = part.to_numpy(dtype=float, na_value=np.nan)
        empty = [
            sid for sid, col in zip(part.columns, values.T, strict=True) if np.isnan(col).all()
        ]
        if empty:
            raise ParameterError(
                f"multiple cannot impute {', '.join(empty)}: no business in this wave was "
                "assessed on it; use 'available_case' or 'min_stages'"
            )
        extra = aux.loc[waves == w].to_numpy(dtype=float, na_value=np.nan)
        usable = [i for i in range(extra.shape[1]) if np.isfinite(extra[:, i]).sum() >= 2]
        extra = extra[:, usable]
        data = np.hstack([values, extra])
        pred = quickpred(
            data, include=tuple(range(k, data.shape[1])), min_residual_df=MIN_RESIDUAL_DF
        )
        for j, done in enumerate(mice_pmm(data, m, rng, predictors=pred)):
            outs[j].append(pd.DataFrame(done[:, :k], index=part.index, columns=part.columns))
    return [pd.concat(o).loc[scores.index].round().astype("Int64") for o in outs]

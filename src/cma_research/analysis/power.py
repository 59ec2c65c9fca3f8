"""How many audits do we need? Power, sample size and detectable effects by simulation.

Simulated cohorts come from a latent-normal threshold (cumulative-probit) model
calibrated on a real cohort (:func:`calibrate`): per stage the observed level
distribution (thresholds) and the share of blanks, the inter-stage polychoric
correlations, the spread of log headcount and, for two waves, the attrition and the
between-wave correlation. Each simulated dataset is analysed with the package's own
test (vectorised kernels in :mod:`cma_research.stats.power_kernels`, proven equal to
the scipy functions the analyses call).

Designs (``effect`` in brackets):

``"size_correlation"``
    Spearman correlation of the mean level with staff, complete cases, t-based p (the
    ``p_val`` of :func:`~cma_research.correlate`). [latent correlation between size
    and general maturity, -1..1]
``"group_difference"``
    Kruskal-Wallis of the mean level across EU size bands (as
    :func:`~cma_research.compare_groups`). [the same latent correlation]
``"covariate_correlation"``
    Spearman correlation of the mean level with a numeric covariate such as growth
    (``covariate=``: a column of the calibrating cohort, or its values), complete cases,
    t-based p. The covariate keeps the calibrating cohort's own distribution (its
    values, ties included, and its share of businesses without a value, missing
    completely at random); its rank order follows a latent variable correlated with
    general maturity (a Gaussian copula). [latent correlation between the covariate and
    general maturity, -1..1]
``"paired_change"``
    Wilcoxon signed-rank of the change in mean level between two waves, zeros dropped,
    tie-corrected normal approximation. [latent shift of every stage in SD units]
``"bivariate_normal"``
    Reference design without calibration: Pearson test on bivariate normal data
    (checks the machinery against ``pwr::pwr.r.test``). [correlation]

:func:`calibrate` fits the model to a cohort of one wave (a cohort of several waves:
the wave named by ``wave=``, as :func:`~cma_research.correlate` asks for one; the change
design uses the first two waves), and every result names what it was calibrated on
(``calibrated_on``). The simulations run in chunks of 250
datasets (one task each, for :func:`cma_research.analysis.executor.run_tasks`), each
returning p-values, confidence-interval widths and unusable-reason codes.

The simulated p-values are the asymptotic ones. ``correlate`` also reports a
permutation p and ``paired_change`` uses an exact or sign-flip p below about 50
non-zero changes; at small n those can differ from the asymptotic p (the t
approximation of Spearman's rho holds its size well from about 10 pairs: see the
null-power rows, whose power should be close to alpha).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from cma_research.analysis.executor import run_tasks
from cma_research.analysis.groups import SIZE_BANDS
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.memo import memoize
from cma_research.core.params import check_choice
from cma_research.stats.polychoric import polychoric, polychoric_matrix, smooth_correlation
from cma_research.stats.power_kernels import (
    REASONS,
    KernelResult,
    OrdinalModel,
    kruskal_test,
    mean_score,
    pearson_test,
    signed_rank_test,
    spearman_test,
)

__all__ = [
    "DESIGNS",
    "calibrate",
    "calibrate_or_reason",
    "calibration_check",
    "observed_spearman",
    "power_uncertainty",
    "recruitment_plan",
    "sample_size",
    "simulate_power",
]

Design = Literal[
    "size_correlation",
    "group_difference",
    "covariate_correlation",
    "paired_change",
    "bivariate_normal",
]
#: Designs of :func:`simulate_power`.
DESIGNS: tuple[str, ...] = (
    "size_correlation",
    "group_difference",
    "covariate_correlation",
    "paired_change",
    "bivariate_normal",
)
#: Simulations per task: fixed, so results do not depend on ``jobs``.
CHUNK = 250
MIN_SIMS = 100


def _check_common(design: str, n: int, n_sims: int, alpha: float) -> None:
    check_choice("design", design, DESIGNS)
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 3:
        raise ParameterError(f"n={n!r} must be a whole number of businesses >= 3")
    if isinstance(n_sims, bool) or not isinstance(n_sims, int | np.integer) or n_sims < MIN_SIMS:
        raise ParameterError(
            f"n_sims={n_sims!r} is too few: use at least {MIN_SIMS} simulated datasets "
            "(the Monte-Carlo standard error of a power near 0.5 is 0.5/sqrt(n_sims))"
        )
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r} must be between 0 and 1")


def _check_effect(design: str, effect: float) -> None:
    if not np.isfinite(effect):
        raise ParameterError(f"effect={effect!r} must be a finite number")
    if design != "paired_change" and not -1 < effect < 1:
        raise ParameterError(
            f"effect={effect!r} is outside the possible range for design {design!r}: a "
            "correlation must lie strictly between -1 and 1"
        )
    if design == "paired_change" and abs(effect) > 5:
        raise ParameterError(
            f"effect={effect!r} is outside the range for 'paired_change': a latent shift "
            "in standard deviations between -5 and 5"
        )


def _calibrating_cohort(design: str, cohort: Cohort, wave: str | int | None) -> Cohort:
    """The cohort a design calibrates on: one wave (``wave``), or every wave for change."""
    if wave is not None:
        if design == "paired_change":
            raise ParameterError(
                "design 'paired_change' calibrates on the cohort's first two waves; wave= "
                "applies to the one-wave designs (select the waves with cohort.paired(...))"
            )
        return cohort.select_wave(wave)
    if len(cohort.waves) > 1 and design != "paired_change":
        waves = ", ".join(repr(w) for w in cohort.waves)
        raise ParameterError(
            f"the cohort has {len(cohort.waves)} waves ({waves}); design {design!r} "
            f"calibrates on one: pass wave=, e.g. wave={cohort.waves[-1]!r} (the latest), or "
            "calibrate on cohort.select_wave(...)"
        )
    return cohort


def _model_for(
    design: str,
    calibrate_on: Cohort | OrdinalModel | None,
    wave_correlation: float | None,
    attrition: float | None,
    wave: str | int | None = None,
) -> OrdinalModel | None:
    if design == "bivariate_normal":
        return None
    if calibrate_on is None:
        raise ParameterError(
            f"design {design!r} needs calibrate=<a cohort> (or a calibrated model)"
        )
    if isinstance(calibrate_on, OrdinalModel):
        if wave is not None:
            raise ParameterError("wave= needs calibrate=<a cohort>, not a calibrated model")
        model = calibrate_on
        if wave_correlation is not None:
            model = model.with_waves(wave_correlation, 0.0 if attrition is None else attrition)
    else:
        model = calibrate(
            _calibrating_cohort(design, calibrate_on, wave),
            wave_correlation=wave_correlation,
            attrition=attrition,
        )
    if design == "paired_change" and model.wave_correlation is None:
        raise ParameterError(
            "design 'paired_change' cannot be calibrated on a cohort with one wave: pass "
            "wave_correlation= (the latent correlation of a stage between the two waves) "
            "and optionally attrition="
        )
    return model


def _covariate_for(
    design: str,
    covariate: str | Sequence[float] | None,
    calibrate_on: Cohort | OrdinalModel | None,
    wave: str | int | None,
) -> tuple[np.ndarray | None, float]:
    """The covariate's observed values (sorted) and its share of missing values."""
    if design != "covariate_correlation":
        if covariate is not None:
            raise ParameterError(
                f"covariate= applies to design 'covariate_correlation', not {design!r}"
            )
        return None, 0.0
    if covariate is None:
        raise ParameterError(
            "design 'covariate_correlation' needs covariate=: a numeric column of the "
            "calibrating cohort (e.g. a growth column from load_covariates) or its values"
        )
    if isinstance(covariate, str):
        if not isinstance(calibrate_on, Cohort):
            raise ParameterError(
                f"covariate={covariate!r} names a column: pass calibrate=<the cohort> "
                "(a calibrated model holds no covariates), or pass the values themselves"
            )
        one = _calibrating_cohort(design, calibrate_on, wave)
        attrs = one.attributes
        if (
            covariate not in attrs.columns
            or covariate == "business_type"
            or not pd.api.types.is_numeric_dtype(attrs[covariate])
        ):
            numeric = [c for c in attrs.columns if pd.api.types.is_numeric_dtype(attrs[c])]
            raise ParameterError(
                f"covariate={covariate!r} is not a numeric attribute of the cohort; expected "
                f"one of: {', '.join(repr(c) for c in numeric)} (add more with load_covariates)"
            )
        values = attrs[covariate].to_numpy(dtype=float, na_value=np.nan)
    else:
        values = np.asarray(list(covariate), dtype=float)
    observed = np.sort(values[np.isfinite(values)])
    if observed.size < 2 or observed[0] == observed[-1]:
        raise ParameterError(
            f"covariate {covariate if isinstance(covariate, str) else 'values'!r} has "
            f"{observed.size} value(s) and {len(set(observed.tolist()))} distinct: the "
            "design needs at least two different values to calibrate on"
        )
    return observed, float(1 - observed.size / values.size)


@memoize  # a build's kernels share it (CMA_RESULT_CACHE): a rebuild after another change
def simulate_power(
    design: Design,
    n: int | Sequence[int],
    *,
    effect: float | Sequence[float],
    calibrate: Cohort | OrdinalModel | None = None,
    n_sims: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
    jobs: int = 1,
    scheduler: str | None = None,
    strategy: Literal["complete_case", "available_case"] = "complete_case",
    wave_correlation: float | None = None,
    attrition: float | None = None,
    covariate: str | Sequence[float] | None = None,
    wave: str | int | None = None,
    observed: bool = True,
) -> pd.DataFrame:
    """Power of a design at each sample size and effect, by simulation.

    Parameters
    ----------
    design : {"size_correlation", "group_difference", "covariate_correlation", \
"paired_change", "bivariate_normal"}
        See the module docstring for each design's test and effect.
    n : int or list of int
        Businesses recruited (at wave 1 for ``paired_change``); blanks and attrition
        reduce the ``n`` each test uses.
    effect : float or list of float
        The effect in the design's units (module docstring).
    calibrate : Cohort or OrdinalModel
        The cohort the simulated cohorts should resemble (or :func:`calibrate`'s result).
    n_sims : int
        Simulated datasets per (n, effect); at least 100.
    alpha : float
        Two-sided significance level.
    seed : int
        Seeds everything: per (n, effect) and per chunk of 250 simulations, seeds are
        spawned from ``numpy.random.SeedSequence(seed)``, so the table is identical for
        any ``jobs`` or ``scheduler``.
    jobs, scheduler
        Where to run the chunks (:func:`cma_research.analysis.executor.run_tasks`).
    strategy : {"complete_case", "available_case"}
        Mean level over all stages, the business dropped when any is blank (default, as
        ``correlate``), or over the stages assessed.
    wave_correlation, attrition : float, optional
        For ``paired_change`` (see :func:`calibrate`).
    covariate : str or sequence of float, optional
        For ``covariate_correlation``: a numeric column of ``calibrate`` (e.g. a growth
        column) or the covariate's values (NaN for businesses without one).
    wave : str or int, optional
        The wave to calibrate on when ``calibrate`` is a cohort of several waves (the
        one-wave designs refuse such a cohort without it, naming its waves).
    observed : bool
        For the size designs, add ``observed_spearman``: the Spearman correlation of
        staff with the mean level that each latent effect implies on the observed scale
        (:func:`observed_spearman`, 100,000 businesses; about a second per effect).

    Returns
    -------
    DataFrame
        One row per (n, effect), sorted: ``design``, ``n``, ``effect``,
        ``observed_spearman`` (size designs with ``observed``; the latent effect on the
        scale a study computes), ``power``
        (share of the ``n_sims`` datasets with p < alpha; an unusable dataset counts as
        no detection), ``mc_se`` (``sqrt(power (1 - power) / n_sims)``),
        ``median_ci_width`` (of the usable datasets: Fisher-z 95% CI of rho for the
        correlations, t interval of the mean change for ``paired_change``, NaN for
        Kruskal-Wallis, which has no interval), ``median_n_used`` (businesses the test
        used), ``n_sims``, ``n_unusable``, ``unusable_reasons`` (``"reason: count"``
        joined by ``"; "``, empty when none), ``alpha``, ``strategy``,
        ``calibrated_on`` (what the model was calibrated on, in words: the wave and its
        businesses; empty for ``bivariate_normal``).

    Raises
    ------
    ParameterError
        Unknown design, n < 3, n_sims < 100, an effect outside the possible range, a
        design the cohort cannot calibrate (``paired_change`` on one wave without
        ``wave_correlation``), a cohort of several waves without ``wave=`` for a one-wave
        design, or ``covariate_correlation`` without a usable covariate.

    Examples
    --------
    >>> res = simulate_power("bivariate_normal", 30, effect=0.5, n_sims=2000, seed=1)
    >>> res[["n", "effect", "n_sims"]].to_dict("records")
    [{'n': 30, 'effect': 0.5, 'n_sims': 2000}]
    >>> bool(abs(res.loc[0, "power"] - 0.825) < 4 * res.loc[0, "mc_se"])  # pwr.r.test
    True
    """
    ns = [n] if isinstance(n, int | np.integer) else list(n)
    effects = [effect] if isinstance(effect, int | float | np.number) else list(effect)
    for one in ns:
        _check_common(design, one, n_sims, alpha)
    check_choice("strategy", strategy, ("complete_case", "available_case"))
    for e in effects:
        _check_effect(design, float(e))
    model = _model_for(design, calibrate, wave_correlation, attrition, wave)
    cov_values, cov_missing = _covariate_for(design, covariate, calibrate, wave)
    combos = [(int(a), float(e)) for a in sorted(ns) for e in sorted(effects)]
    combo_seeds = np.random.SeedSequence(seed).spawn(len(combos))
    tasks: list[_Task] = []
    owners: list[int] = []
    for idx, ((nn, ee), ss) in enumerate(zip(combos, combo_seeds, strict=True)):
        sizes = [CHUNK] * (n_sims // CHUNK) + ([n_sims % CHUNK] if n_sims % CHUNK else [])
        for size, chunk_seed in zip(sizes, ss.spawn(len(sizes)), strict=True):
            tasks.append(
                _Task(
                    design,
                    model,
                    nn,
                    ee,
                    size,
                    chunk_seed,
                    strategy == "complete_case",
                    cov_values,
                    cov_missing,
                )
            )
            owners.append(idx)
    results = run_tasks(_simulate_chunk, tasks, jobs=jobs, scheduler=scheduler)
    rows = []
    for idx, (nn, ee) in enumerate(combos):
        mine = [r for r, o in zip(results, owners, strict=True) if o == idx]
        p = np.concatenate([m[0] for m in mine])
        width = np.concatenate([m[1] for m in mine])
        reason = np.concatenate([m[2] for m in mine])
        rows.append(_summary(design, nn, ee, p, width, reason, alpha, strategy, n_sims))
    out = pd.DataFrame(rows)
    out["calibrated_on"] = model.calibrated_on if model is not None else ""
    out = out.astype(
        {
            "design": "string",
            "unusable_reasons": "string",
            "strategy": "string",
            "calibrated_on": "string",
        }
    )
    if observed and model is not None and design in ("size_correlation", "group_difference"):
        implied = observed_spearman(model, sorted(effects), n_businesses=100_000, seed=seed)
        lookup = dict(zip(implied["effect"], implied["observed_spearman"], strict=True))
        out.insert(3, "observed_spearman", [lookup[float(e)] for e in out["effect"]])
    return out


def _summary(
    design: str,
    n: int,
    effect: float,
    p: np.ndarray,
    width: np.ndarray,
    reason: np.ndarray,
    alpha: float,
    strategy: str,
    n_sims: int,
) -> dict[str, object]:
    usable = reason == 0
    power = float(np.sum(usable & (p < alpha)) / n_sims)
    codes, counts = np.unique(reason[~usable], return_counts=True)
    reasons = "; ".join(f"{REASONS[int(c)]}: {int(k)}" for c, k in zip(codes, counts, strict=True))
    good = width[usable & np.isfinite(width)]
    return {
        "design": design,
        "n": n,
        "effect": effect,
        "power": power,
        "mc_se": float(np.sqrt(power * (1 - power) / n_sims)),
        "median_ci_width": float(np.median(good)) if good.size else np.nan,
        "n_sims": n_sims,
        "n_unusable": int((~usable).sum()),
        "unusable_reasons": reasons,
        "alpha": alpha,
        "strategy": strategy,
    }


def sample_size(
    design: Design,
    target_power: float = 0.8,
    *,
    effect: float | None = None,
    n: int | None = None,
    calibrate: Cohort | OrdinalModel | None = None,
    n_max: int = 2000,
    n_sims: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
    jobs: int = 1,
    scheduler: str | None = None,
    strategy: Literal["complete_case", "available_case"] = "complete_case",
    wave_correlation: float | None = None,
    attrition: float | None = None,
    covariate: str | Sequence[float] | None = None,
    wave: str | int | None = None,
) -> pd.DataFrame:
    """Smallest n reaching ``target_power`` for ``effect``, or the minimum detectable
    effect at ``n`` (give exactly one of ``effect`` and ``n``).

    The design, calibration, ``covariate`` and ``wave`` are as :func:`simulate_power`'s:
    on a cohort of several waves a one-wave design needs ``wave=`` (the error names the
    waves), and the result says what it was calibrated on.

    The search is a bisection on simulated power with common random numbers (the same
    ``seed`` for every candidate), so power is evaluated on one set of random draws
    and the answer is reproducible. ``n`` is searched over whole numbers 4..``n_max``;
    the effect over (0, 0.99) for correlations and (0, 5) for a latent shift, to 0.005.

    Returns
    -------
    DataFrame
        One row: ``design``, ``solved_for`` (``"n"`` or ``"effect"``), ``n``,
        ``effect``, ``target_power``, ``power`` (simulated at the answer), ``mc_se``,
        ``n_sims``, ``n_evaluations``, ``alpha``, ``strategy``, ``calibrated_on``.
        ``n`` is NaN-free; when even ``n_max`` (or the largest effect) falls short, the
        row holds that bound and ``power`` below target.

    Raises
    ------
    ParameterError
        Both or neither of ``effect`` and ``n``; ``target_power`` outside (0, 1); and the
        errors of :func:`simulate_power`.

    Examples
    --------
    >>> res = sample_size("bivariate_normal", 0.8, effect=0.5, n_sims=1000, seed=1)
    >>> 24 <= int(res.loc[0, "n"]) <= 33  # pwr.r.test: 28.2
    True
    """
    if (effect is None) == (n is None):
        raise ParameterError("give exactly one of effect= (to find n) and n= (to find the effect)")
    if not 0 < target_power < 1:
        raise ParameterError(f"target_power={target_power!r} must be between 0 and 1")
    model = _model_for(design, calibrate, wave_correlation, attrition, wave)
    cov_values, _ = _covariate_for(design, covariate, calibrate, wave)
    cov_arg: Sequence[float] | None = None
    if cov_values is not None:  # the observed values with the calibrating cohort's blanks
        cov_arg = _with_blanks(covariate, calibrate, wave)
    evaluations = 0

    def power_at(nn: int, ee: float) -> tuple[float, float]:
        nonlocal evaluations
        evaluations += 1
        row = simulate_power(
            design,
            nn,
            effect=ee,
            calibrate=model,
            n_sims=n_sims,
            alpha=alpha,
            seed=seed,
            jobs=jobs,
            scheduler=scheduler,
            strategy=strategy,
            covariate=cov_arg,
            observed=False,
        ).iloc[0]
        return float(row["power"]), float(row["mc_se"])

    if effect is not None:
        _check_effect(design, float(effect))
        lo, hi = 3, 4
        p_hi, se_hi = power_at(hi, effect)
        while p_hi < target_power and hi < n_max:
            lo, hi = hi, min(hi * 2, n_max)
            p_hi, se_hi = power_at(hi, effect)
        while p_hi >= target_power and hi - lo > 1:
            mid = (lo + hi) // 2
            p_mid, se_mid = power_at(mid, effect)
            if p_mid >= target_power:
                hi, p_hi, se_hi = mid, p_mid, se_mid
            else:
                lo = mid
        answer_n, answer_e = hi, float(effect)
        solved = "n"
    else:
        n = int(n)  # type: ignore[arg-type]  # not None: checked above
        _check_common(design, n, n_sims, alpha)
        top = 0.99 if design != "paired_change" else 5.0
        lo_e, hi_e = 0.0, top
        p_hi, se_hi = power_at(n, hi_e)
        while p_hi >= target_power and hi_e - lo_e > 0.005:
            mid_e = (lo_e + hi_e) / 2
            p_mid, se_mid = power_at(n, mid_e)
            if p_mid >= target_power:
                hi_e, p_hi, se_hi = mid_e, p_mid, se_mid
            else:
                lo_e = mid_e
        answer_n, answer_e = int(n), float(hi_e)
        solved = "effect"
    return pd.DataFrame(
        {
            "design": pd.array([design], dtype="string"),
            "solved_for": pd.array([solved], dtype="string"),
            "n": [answer_n],
            "effect": [answer_e],
            "target_power": [target_power],
            "power": [p_hi],
            "mc_se": [se_hi],
            "n_sims": [n_sims],
            "n_evaluations": [evaluations],
            "alpha": [alpha],
            "strategy": pd.array([strategy], dtype="string"),
            "calibrated_on": pd.array(
                [model.calibrated_on if model is not None else ""], dtype="string"
            ),
        }
    )


def _with_blanks(
    covariate: str | Sequence[float] | None,
    calibrate_on: Cohort | OrdinalModel | None,
    wave: str | int | None,
) -> list[float]:
    """The covariate's values, blanks included, for repeated simulate_power calls."""
    if isinstance(covariate, str) and isinstance(calibrate_on, Cohort):
        one = _calibrating_cohort("covariate_correlation", calibrate_on, wave)
        return list(one.attributes[covariate].to_numpy(dtype=float, na_value=np.nan))
    return [float(v) for v in (covariate or [])]


def observed_spearman(
    model: OrdinalModel,
    effect: float | Sequence[float],
    *,
    n_businesses: int = 200_000,
    seed: int = 0,
) -> pd.DataFrame:
    """The Spearman correlation on the observed scale implied by a latent effect.

    The size designs' ``effect`` is the correlation of log staff with the *latent*
    general maturity; what a study computes is Spearman's rho of whole-number staff
    with the mean of the observed levels over every stage. This simulates
    ``n_businesses`` complete businesses from ``model`` (no blanks: blanks are
    missing completely at random in the model, so they do not change the population
    value among complete cases) and returns their Spearman rho, close to the
    population value (its sampling SD is about ``(1 - rho^2) / sqrt(n)``, 0.002 at the
    default).

    Returns
    -------
    DataFrame
        One row per effect: ``effect`` (latent), ``observed_spearman``,
        ``n_businesses``, ``seed``.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> model = calibrate(customer_wise_2007())
    >>> res = observed_spearman(model, [0.0, 0.5], n_businesses=20_000, seed=1)
    >>> bool(abs(res.loc[0, "observed_spearman"]) < 0.03), bool(
    ...     0.3 < res.loc[1, "observed_spearman"] < 0.5)
    (True, True)
    """
    effects = [effect] if isinstance(effect, int | float | np.number) else list(effect)
    for e in effects:
        _check_effect("size_correlation", float(e))
    complete = replace(model, blank_patterns=np.zeros((1, model.k), dtype=bool))
    rows = []
    for i, e in enumerate(effects):
        rng = np.random.default_rng([seed, i])
        z = complete.latent(rng, (1, n_businesses))
        score = mean_score(complete.observe(z, rng), True)
        staff = complete.staff(complete.general(z), float(e), rng)
        rho = float(stats.spearmanr(score[0], staff[0]).statistic)
        rows.append({"effect": float(e), "observed_spearman": rho,
                     "n_businesses": n_businesses, "seed": seed})  # fmt: skip
    return pd.DataFrame(rows)


# -- the simulation model: calibration and one chunk of simulations ------------------------


_Q = float(stats.norm.ppf(0.975))


def _wave_codes(cohort: Cohort) -> list[int]:
    return sorted(int(w) for w in cohort.scores.index.get_level_values("wave").unique())


def _wave_frame(cohort: Cohort, code: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    mask = cohort.scores.index.get_level_values("wave") == code
    scores = cohort.scores[mask].droplevel("wave")
    return scores, cohort.attributes[mask].droplevel("wave")


def calibrate(
    cohort: Cohort,
    *,
    wave_correlation: float | None = None,
    attrition: float | None = None,
) -> OrdinalModel:
    """Fit the simulation model to a cohort (its first wave; two waves for change).

    Parameters
    ----------
    cohort : Cohort
        The calibrating cohort; blanks are kept as the blank share per stage.
    wave_correlation : float, optional
        Correlation of a stage's latent value between two waves. Default: estimated
        from the cohort's first two waves (mean polychoric correlation of each stage
        with itself over businesses audited in both); None when it has one wave.
    attrition : float, optional
        Share of businesses lost between the waves (default: from the cohort's waves,
        else 0).

    Returns
    -------
    OrdinalModel

    Raises
    ------
    ParameterError
        A stage with fewer than two observed levels, or values out of range.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> model = calibrate(load_returns(bundled_path("customer_wise_2007.csv")))
    >>> model.k, round(float(model.blank.mean()), 4), model.wave_correlation
    (10, 0.1437, None)
    """
    codes = _wave_codes(cohort)
    scores, attrs = _wave_frame(cohort, codes[0])
    values = scores.to_numpy(dtype=float, na_value=np.nan)
    ids = list(scores.columns)
    levels, cuts = [], []
    for j, sid in enumerate(ids):
        col = values[:, j][~np.isnan(values[:, j])]
        lv, counts = np.unique(col, return_counts=True)
        if lv.size < 2:
            raise ParameterError(
                f"cannot calibrate on this cohort: {sid} has {lv.size} observed level(s); "
                "the model needs two or more per stage"
            )
        levels.append(lv)
        cuts.append(stats.norm.ppf(np.cumsum(counts)[:-1] / counts.sum()))
    rho, *_ = polychoric_matrix(values, names=ids)
    rho = np.where(np.isnan(rho), 0.0, rho)
    rho, _ = smooth_correlation(rho)
    staff = attrs["staff"].to_numpy(dtype=float, na_value=np.nan)
    staff = staff[np.isfinite(staff) & (staff > 0)]
    log_staff = np.log(staff) if staff.size >= 2 else np.array([0.0, 0.0])
    model = OrdinalModel(
        levels=tuple(levels),
        cuts=tuple(cuts),
        correlation=rho,
        blank_patterns=np.isnan(values),
        log_staff_mean=float(log_staff.mean()),
        log_staff_sd=float(log_staff.std(ddof=1)),
        calibrated_on=f"wave {cohort.wave_label(codes[0])!r} ({len(scores)} businesses)",
    )
    wc, att = wave_correlation, attrition
    if len(codes) >= 2 and (wc is None or att is None):
        est_wc, est_att = _two_waves(cohort, codes[0], codes[1])
        wc = est_wc if wc is None else wc
        att = est_att if att is None else att
        first, second = cohort.wave_label(codes[0]), cohort.wave_label(codes[1])
        model = replace(
            model, calibrated_on=f"{model.calibrated_on}; change: {first!r} to {second!r}"
        )
    if wc is not None:
        if not -1 < wc < 1:
            raise ParameterError(f"wave_correlation={wc!r} must be between -1 and 1 (exclusive)")
        att = 0.0 if att is None else att
        if not 0 <= att < 1:
            raise ParameterError(f"attrition={att!r} must be in [0, 1)")
        model = model.with_waves(float(wc), float(att))
    return model


def calibrate_or_reason(
    cohort: Cohort,
    *,
    wave_correlation: float | None = None,
    attrition: float | None = None,
) -> tuple[OrdinalModel | None, str]:
    """:func:`calibrate`, or ``None`` and why the cohort cannot calibrate the model.

    For reports that must not stop on a valid file: a stage with fewer than two observed
    levels (every business at one level, a stage never assessed), or two waves without
    three businesses to estimate the between-wave correlation from, gives
    ``(None, reason)``; otherwise ``(model, "")``.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> cohort = customer_wise_2007()
    >>> model, why = calibrate_or_reason(cohort)
    >>> model.k, why
    (10, '')
    >>> _, why = calibrate_or_reason(cohort.subset(cohort.attributes["staff"] >= 50))
    >>> print(why)
    stage_1 has 1 observed level(s); the model needs two or more per stage
    """
    try:
        return calibrate(cohort, wave_correlation=wave_correlation, attrition=attrition), ""
    except ParameterError as exc:
        return None, str(exc).removeprefix("cannot calibrate on this cohort: ")


def _two_waves(cohort: Cohort, first: int, second: int) -> tuple[float, float]:
    s1, _ = _wave_frame(cohort, first)
    s2, _ = _wave_frame(cohort, second)
    both = s1.index.intersection(s2.index)
    attrition = 1 - len(both) / len(s1.index)
    a = s1.loc[both].to_numpy(dtype=float, na_value=np.nan)
    b = s2.loc[both].to_numpy(dtype=float, na_value=np.nan)
    rhos = []
    for j in range(a.shape[1]):
        ok = ~np.isnan(a[:, j]) & ~np.isnan(b[:, j])
        if ok.sum() >= 3 and np.ptp(a[ok, j]) > 0 and np.ptp(b[ok, j]) > 0:
            rhos.append(polychoric(a[ok, j], b[ok, j]).rho)
    if not rhos:
        raise ParameterError(
            "cannot estimate the between-wave correlation: no stage has 3 or more businesses "
            "with varying levels in both waves; pass wave_correlation= explicitly"
        )
    return float(np.clip(np.mean(rhos), -0.99, 0.99)), float(attrition)


@dataclass(frozen=True)
class _Task:
    design: str
    model: OrdinalModel | None
    n: int
    effect: float
    n_sims: int
    seed: np.random.SeedSequence
    complete_case: bool
    covariate: np.ndarray | None = None  # observed values, sorted
    covariate_missing: float = 0.0


def _band_codes(staff: np.ndarray) -> np.ndarray:
    edges = np.array([lo for _, lo, _ in SIZE_BANDS[1:]], dtype=float)
    return np.searchsorted(edges, staff, side="right")


def _simulate_chunk(task: _Task) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p-values, CI widths and unusable-reason codes of one chunk of simulations."""
    rng = np.random.default_rng(task.seed)
    s, n = task.n_sims, task.n
    width = np.full(s, np.nan)
    res: KernelResult
    if task.design == "bivariate_normal":
        x = rng.standard_normal((s, n))
        y = task.effect * x + np.sqrt(1 - task.effect**2) * rng.standard_normal((s, n))
        res = pearson_test(x, y)
        width = _fisher_width(res.statistic, res.n, spearman=False)
        return res.p, width, res.reason
    model = task.model
    if model is None:  # pragma: no cover - guarded by simulate_power
        raise ParameterError(f"design {task.design!r} needs a calibrated model")
    z = model.latent(rng, (s, n))
    observed = model.observe(z, rng)
    score = mean_score(observed, task.complete_case)
    if task.design == "covariate_correlation":
        values = task.covariate
        if values is None:  # pragma: no cover - guarded by simulate_power
            raise ParameterError("covariate_correlation needs the covariate's values")
        g = model.general(z)
        w = task.effect * g + np.sqrt(1 - task.effect**2) * rng.standard_normal(g.shape)
        # inverse empirical distribution function: the calibrating values, in w's order
        u = stats.norm.cdf(w)
        cov = values[np.minimum((u * values.size).astype(np.int64), values.size - 1)]
        cov = np.where(rng.random(cov.shape) < task.covariate_missing, np.nan, cov)
        res = spearman_test(score, cov)
        width = _fisher_width(res.statistic, res.n, spearman=True)
        return res.p, width, res.reason
    if task.design in ("size_correlation", "group_difference"):
        staff = model.staff(model.general(z), task.effect, rng)
        if task.design == "size_correlation":
            res = spearman_test(score, staff)
            width = _fisher_width(res.statistic, res.n, spearman=True)
        else:
            res = kruskal_test(score, _band_codes(staff), len(SIZE_BANDS))
        return res.p, width, res.reason
    wc = model.wave_correlation
    if wc is None:  # pragma: no cover - guarded by simulate_power
        raise ParameterError("paired_change needs a wave correlation")
    z2 = wc * z + np.sqrt(1 - wc**2) * model.latent(rng, (s, n)) + task.effect
    observed2 = model.observe(z2, rng)
    score2 = mean_score(observed2, task.complete_case)
    lost = rng.random((s, n)) < model.attrition
    change = np.where(lost, np.nan, score2 - score)
    res = signed_rank_test(change)
    width = _t_width(change)
    return res.p, width, res.reason


def _fisher_width(r: np.ndarray, n: np.ndarray, *, spearman: bool) -> np.ndarray:
    nf = n.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt((1 + r**2 / 2) / (nf - 3)) if spearman else 1 / np.sqrt(nf - 3)
        z = np.arctanh(np.clip(r, -0.9999999, 0.9999999))
        w = np.tanh(z + _Q * se) - np.tanh(z - _Q * se)
    return np.where(nf >= 4, w, np.nan)


def _t_width(d: np.ndarray) -> np.ndarray:
    ok = ~np.isnan(d)
    n = ok.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, d, 0.0).sum(axis=1) / n
        var = np.where(ok, (d - mean[:, None]) ** 2, 0.0).sum(axis=1) / (n - 1)
        w = 2 * stats.t.ppf(0.975, np.maximum(n - 1, 1)) * np.sqrt(var / n)
    return np.where(n >= 2, w, np.nan)


# -- checks of the model, its uncertainty and the recruitment it implies ------------------


def _cohort_statistics(levels: np.ndarray) -> dict[str, float]:
    """Statistics of one (simulated or real) cohort that the model is not fitted to."""
    complete = ~np.isnan(levels).any(axis=1)
    out = {"complete_cases": float(complete.sum())}
    x = levels[complete]
    k = levels.shape[1]
    if len(x) >= 3 and x.sum(axis=1).var(ddof=1) > 0:
        out["cronbach_alpha"] = float(
            k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
        )
    else:
        out["cronbach_alpha"] = np.nan
    count = (~np.isnan(levels)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(count > 0, np.nansum(levels, axis=1) / count, np.nan)
    means = means[np.isfinite(means)]
    out["sd_mean_level"] = float(means.std(ddof=1)) if len(means) >= 2 else np.nan
    return out


def calibration_check(
    cohort: Cohort, model: OrdinalModel | None = None, *, n_sims: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """Does the simulation model reproduce what it was *not* fitted to?

    The model is fitted to each stage's level shares, the pairwise polychoric
    correlations and the blank patterns, so reproducing those checks nothing. This
    compares statistics of the whole returns that the fit does not target, in cohorts
    of the calibrating cohort's size simulated from the model: Cronbach's alpha of the
    complete cases (depends on all correlations at once, on the observed scale), the SD
    of the businesses' mean levels, and the number of complete cases.

    Returns
    -------
    DataFrame
        One row per statistic: ``statistic``, ``observed``, ``simulated_median``,
        ``simulated_low`` and ``simulated_high`` (2.5% and 97.5% of the simulated
        cohorts), ``within`` (the observed value inside that range), ``n_sims``,
        ``n_businesses``.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> res = calibration_check(customer_wise_2007(), n_sims=200, seed=1)
    >>> res["statistic"].tolist()
    ['cronbach_alpha', 'sd_mean_level', 'complete_cases']
    """
    first = cohort.select_wave(cohort.waves[0]) if len(cohort.waves) > 1 else cohort
    model = calibrate(first) if model is None else model
    values = first.scores.to_numpy(dtype=float, na_value=np.nan)
    observed = _cohort_statistics(values)
    rng = np.random.default_rng(seed)
    n = values.shape[0]
    sims = model.observe(model.latent(rng, (n_sims, n)), rng)
    simulated = [_cohort_statistics(sims[i]) for i in range(n_sims)]
    rows = []
    for name in ("cronbach_alpha", "sd_mean_level", "complete_cases"):
        draws = np.array([s[name] for s in simulated], dtype=float)
        draws = draws[np.isfinite(draws)]
        low, mid, high = np.quantile(draws, [0.025, 0.5, 0.975]) if len(draws) else (np.nan,) * 3
        obs = observed[name]
        rows.append(
            {
                "statistic": name,
                "observed": obs,
                "simulated_median": float(mid),
                "simulated_low": float(low),
                "simulated_high": float(high),
                "within": bool(low <= obs <= high) if np.isfinite(obs) else False,
                "n_sims": n_sims,
                "n_businesses": n,
            }
        )
    out = pd.DataFrame(rows)
    out["statistic"] = out["statistic"].astype("string")
    return out


@memoize  # as simulate_power: 20 recalibrations are not redone when target_level changes
def power_uncertainty(
    cohort: Cohort,
    design: Design,
    n: int | Sequence[int],
    *,
    effect: float,
    n_boot: int = 20,
    n_sims: int = 200,
    alpha: float = 0.05,
    seed: int = 0,
) -> pd.DataFrame:
    """Power with the calibration's own uncertainty: recalibrated on business resamples.

    The polychoric correlations and level shares that calibrate the model come from a
    dozen businesses (pairwise n of 12 to 15), so the power curve itself is uncertain.
    This resamples the calibrating cohort's businesses ``n_boot`` times, recalibrates
    the model on each resample (skipping a resample where a stage shows one level
    only) and simulates the power of each; the spread of those powers carries the
    calibration's uncertainty, their mean is the power averaged over it.

    Returns
    -------
    DataFrame
        One row per n: ``design``, ``n``, ``effect``, ``power`` (with the full-cohort
        calibration, ``n_sims`` simulations), ``power_mean`` (mean over the resampled
        calibrations), ``power_low``, ``power_high`` (2.5% and 97.5% over them),
        ``n_boot_used``, ``n_sims``, ``alpha``.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> res = power_uncertainty(customer_wise_2007(), "size_correlation", 30, effect=0.5,
    ...                         n_boot=5, n_sims=100, seed=1)
    >>> bool(res.loc[0, "power_low"] <= res.loc[0, "power_high"]), int(res.loc[0, "n"])
    (True, 30)
    """
    ns = [n] if isinstance(n, int | np.integer) else list(n)
    check_choice("design", design, ("size_correlation", "group_difference"))
    base = simulate_power(
        design, ns, effect=effect, calibrate=cohort, n_sims=n_sims, alpha=alpha, seed=seed,
        observed=False,
    )  # fmt: skip
    first = cohort.select_wave(cohort.waves[0]) if len(cohort.waves) > 1 else cohort
    rng = np.random.default_rng(seed)
    per: list[np.ndarray] = []
    size = first.n_businesses
    ids = first.scores.index
    for _ in range(n_boot):
        pick = rng.integers(0, size, size)
        scores = first.scores.iloc[pick].copy()
        attrs = first.attributes.iloc[pick].copy()
        new_ids = [f"R{i:04d}" for i in range(size)]
        index = pd.MultiIndex.from_arrays(
            [new_ids, ids.get_level_values("wave")[pick]], names=ids.names
        )
        scores.index = index
        attrs.index = index
        resampled = replace(first, scores=scores, attributes=attrs)
        try:
            model = calibrate(resampled)
        except ParameterError:
            continue
        res = simulate_power(
            design, ns, effect=effect, calibrate=model, n_sims=n_sims, alpha=alpha,
            seed=int(rng.integers(0, 2**31 - 1)), observed=False,
        )  # fmt: skip
        per.append(res["power"].to_numpy(dtype=float))
    draws = np.array(per) if per else np.full((0, len(ns)), np.nan)
    out = base[["design", "n", "effect", "power"]].copy()
    if len(draws):
        out["power_mean"] = draws.mean(axis=0)
        out["power_low"] = np.quantile(draws, 0.025, axis=0)
        out["power_high"] = np.quantile(draws, 0.975, axis=0)
    else:
        out["power_mean"] = out["power_low"] = out["power_high"] = np.nan
    out["n_boot_used"] = len(per)
    out["n_sims"] = n_sims
    out["alpha"] = alpha
    return out


def recruitment_plan(funnel: pd.DataFrame, n_needed: int) -> pd.DataFrame:
    """Businesses needed at each step of a recruitment funnel to end with ``n_needed``.

    The conversion of each step (its count over the previous step's) gets an exact
    Clopper-Pearson interval, and the number needed at each step an interval from the
    exact interval of the conversion from that step to the last; a step whose need
    exceeds the size of the sampling frame (the first step's count) is flagged:
    the plan cannot be met from that frame.

    Parameters
    ----------
    funnel : DataFrame
        :func:`~cma_research.load_recruitment` (``step``, ``count``, first step the
        frame, last step the audits).
    n_needed : int
        Audits the study needs.

    Returns
    -------
    DataFrame
        One row per step: ``step``, ``count``, ``conversion`` (count over the previous
        step's; NaN for the frame), ``conversion_ci95_low``, ``conversion_ci95_high``,
        ``needed`` (``ceil(n_needed * count / last count)``), ``needed_low``,
        ``needed_high`` (from the exact interval of the conversion to the audits),
        ``frame_size``, ``exceeds_frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"step": ["frame", "contacted", "audited"],
    ...                   "count": [1000, 100, 10]})
    >>> plan = recruitment_plan(f, 200)
    >>> plan["needed"].tolist(), plan["exceeds_frame"].tolist()
    ([20000, 2000, 200], [True, True, False])
    """
    from scipy.stats import binomtest

    counts = funnel["count"].to_numpy(dtype=int)
    if len(counts) < 2 or counts[-1] <= 0:
        raise ParameterError("recruitment_plan needs a funnel of 2 or more steps ending above 0")
    last, frame = int(counts[-1]), int(counts[0])
    rows = []
    for i, (step, c) in enumerate(zip(funnel["step"], counts, strict=True)):
        conv = lo = hi = np.nan
        if i > 0 and counts[i - 1] > 0 and c <= counts[i - 1]:
            conv = c / counts[i - 1]
            ci = binomtest(int(c), int(counts[i - 1])).proportion_ci(method="exact")
            lo, hi = ci.low, ci.high
        needed = int(np.ceil(n_needed * c / last))
        need_lo: float
        need_hi: float
        # conversion from this step to the audits, last / c, with its exact interval
        if i == len(counts) - 1:
            need_lo = need_hi = needed
        elif c >= last and c > 0:
            ci_all = binomtest(last, int(c)).proportion_ci(method="exact")
            need_lo = int(np.ceil(n_needed / ci_all.high))
            need_hi = int(np.ceil(n_needed / ci_all.low)) if ci_all.low > 0 else np.nan
        else:
            need_lo = need_hi = np.nan
        rows.append(
            {
                "step": str(step),
                "count": int(c),
                "conversion": conv,
                "conversion_ci95_low": lo,
                "conversion_ci95_high": hi,
                "needed": needed,
                "needed_low": need_lo,
                "needed_high": need_hi,
                "frame_size": frame,
                "exceeds_frame": needed > frame,
            }
        )
    out = pd.DataFrame(rows)
    out["step"] = out["step"].astype("string")
    return out

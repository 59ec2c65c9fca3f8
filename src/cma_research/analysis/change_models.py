"""Longitudinal models of the wave effect that use every business, not only completers.

:func:`fit_wave_model` (linear mixed model of the mean score, random intercept per
business) and :func:`fit_ordinal_wave_model` (proportional odds on the stage levels,
business-clustered SEs), both on the long data of every return at every wave.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from cma_research.analysis.change import apply_strategy
from cma_research.analysis.models import ordinal_fit_table
from cma_research.analysis.prepare import ci_columns
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.params import Strategy
from cma_research.stats.mixed import random_intercept_reml

__all__ = [
    "MIXEDLM_MAX_GROUPS",
    "WAVE_MODEL_MIN_PAIRS",
    "WAVE_MODEL_MIN_RESIDUAL_SHARE",
    "fit_ordinal_wave_model",
    "fit_wave_model",
    "wave_model_data",
]

#: The fewest businesses scored at two or more waves for :func:`fit_wave_model`: with one,
#: the wave effect fits that business's change exactly, the residual variance is zero and
#: the interval has no width (a change "significant" from one pair).
WAVE_MODEL_MIN_PAIRS = 2

#: A residual variance below this share of the scores' variance is taken as zero: the
#: within-business changes are fitted exactly and the model cannot say how sure it is.
WAVE_MODEL_MIN_RESIDUAL_SHARE = 1e-6

#: Up to this many businesses the model is fitted with statsmodels' MixedLM; above it
#: with the closed-form REML of :mod:`cma_research.stats.mixed` (same criterion, same
#: optimum; MixedLM loops over the groups in Python and takes minutes at 50,000).
MIXEDLM_MAX_GROUPS = 2_000


def wave_model_data(
    cohort: Cohort, *, strategy: Strategy = "available_case", min_stages: int | None = None
) -> pd.DataFrame:
    """One row per return: ``business_id``, ``wave`` (code), ``wave_label``, ``score``.

    ``score`` is the mean level over the stages assessed in that return (after
    ``strategy``); returns with no assessed stage are left out.
    """
    c = apply_strategy(cohort, strategy, min_stages)
    values = c.scores.to_numpy(dtype=float, na_value=np.nan)
    counts = (~np.isnan(values)).sum(axis=1)
    score = np.where(counts > 0, np.nansum(values, axis=1) / np.maximum(counts, 1), np.nan)
    idx = c.scores.index
    out = pd.DataFrame(
        {
            "business_id": pd.array(
                [str(b) for b in idx.get_level_values("business_id")], dtype="string"
            ),
            "wave": idx.get_level_values("wave").to_numpy(dtype=np.int64),
            "score": score,
        }
    )
    out["wave_label"] = pd.array([c.wave_label(int(w)) for w in out["wave"]], dtype="string")
    return out[counts > 0].reset_index(drop=True)


def _fixed_cov(x: np.ndarray, groups: np.ndarray, var_b: float, var_e: float) -> np.ndarray:
    """(X' V^-1 X)^-1 for a random intercept: V_i = var_e I + var_b J (lme4's vcov)."""
    _, g = np.unique(groups, return_inverse=True)
    n_i = np.bincount(g)
    c = var_b / (var_e + n_i * var_b)
    sums = np.zeros((len(n_i), x.shape[1]))
    np.add.at(sums, g, x)
    info = (x.T @ x - (sums * c[:, None]).T @ sums) / var_e
    return np.asarray(np.linalg.inv(info))


def _within_rss(y: np.ndarray, waves: np.ndarray, groups: np.ndarray) -> float:
    """Residual sum of squares of ``y ~ waves + business`` (fixed effects, within form).

    Only businesses seen more than once contribute (Frisch-Waugh: demean ``y`` and the
    wave dummies within business, then least squares). Zero when the wave effects fit
    every business's repeat scores exactly.
    """
    _, g = np.unique(groups, return_inverse=True)
    n_i = np.bincount(g)
    keep = n_i[g] >= 2
    g, yk, wk = g[keep], y[keep], waves[keep]
    count = n_i[g][:, None].astype(float)
    y_mean = np.bincount(g, weights=yk, minlength=len(n_i))[g]
    w_mean = np.column_stack(
        [np.bincount(g, weights=wk[:, j], minlength=len(n_i))[g] for j in range(wk.shape[1])]
    )
    y_dev = yk - y_mean / count[:, 0]
    w_dev = wk - w_mean / count
    beta, *_ = np.linalg.lstsq(w_dev, y_dev, rcond=None)
    return float(np.sum((y_dev - w_dev @ beta) ** 2))


def fit_wave_model(
    cohort: Cohort,
    *,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Linear mixed model of the mean score on wave with a random intercept per business.

    ``score ~ wave + (1 | business)``, wave categorical with the first wave as the
    reference, fitted by REML with :class:`statsmodels.regression.mixed_linear_model.MixedLM`
    (BFGS to a gradient of 1e-10); above :data:`MIXEDLM_MAX_GROUPS` businesses with the
    closed-form random-intercept REML of :func:`cma_research.stats.mixed.random_intercept_reml`
    (the same criterion; both agree with ``lme4`` to 1e-6). Every return with an
    assessed stage is used, so a business audited once still informs the baseline mean
    and the variances (under missing at random given its earlier score, unlike a
    completers-only comparison).
    Standard errors are ``(X' V^-1 X)^-1`` at the REML variances, as ``lme4``'s
    ``vcov``; tests are Wald z, as ``summary(lmer)`` gives t without df.

    Parameters
    ----------
    cohort : Cohort
        Two or more waves.
    strategy : str
        Missing-stage strategy applied before scoring (default ``available_case``).
    min_stages : int, optional
        For ``strategy="min_stages"``.
    confidence : float
        Level of the Wald interval (names its columns).

    Returns
    -------
    DataFrame
        One row per fixed effect: ``term`` (``Intercept`` = mean at the first wave,
        then ``wave[<label>]`` = difference from it), ``estimate``, ``std_error``,
        ``statistic`` (z), ``p_val``, ``ci95_low``, ``ci95_high``, and on every row the
        model's ``var_business`` (random-intercept variance), ``var_residual``,
        ``reml_loglik``, ``n_obs``, ``n_groups``, ``n_both`` (businesses with returns at
        two or more waves), ``method``, ``converged``, ``strategy``.

    Raises
    ------
    ParameterError
        With fewer than two waves holding scores, fewer than
        :data:`WAVE_MODEL_MIN_PAIRS` businesses scored at two waves, no more
        within-business contrasts than wave effects, or a residual variance of
        (numerically) zero.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> two = synthetic_follow_up(customer_wise_2007(), seed=2008)  # the SYNTHETIC example
    >>> fit = fit_wave_model(two)
    >>> fit[["term", "n_obs", "n_groups"]].values.tolist()
    [['Intercept', 29, 16], ['wave[Follow-up (SYNTHETIC)]', 29, 16]]

    R: ``lme4::lmer(score ~ factor(wave) + (1 | business), REML = TRUE)``.
    """

    low_col, high_col = ci_columns(confidence)
    data = wave_model_data(cohort, strategy=strategy, min_stages=min_stages)
    codes = sorted(set(data["wave"]))
    if len(codes) < 2:
        raise ParameterError(
            f"fit_wave_model needs scores from two or more waves; the cohort has "
            f"{', '.join(repr(cohort.wave_label(c)) for c in codes) or 'none'}"
        )
    y = data["score"].to_numpy(dtype=float)
    groups = data["business_id"].to_numpy(dtype=object)
    w = data["wave"].to_numpy()
    x = np.column_stack([np.ones(len(y))] + [(w == c).astype(float) for c in codes[1:]])
    names = ["Intercept"] + [f"wave[{cohort.wave_label(c)}]" for c in codes[1:]]
    n_per = data.groupby("business_id")["wave"].nunique()
    n_both = int((n_per >= 2).sum())
    if n_both == 0:
        raise ParameterError(
            "fit_wave_model needs a business with scores at two or more waves: without one "
            "the variance between businesses cannot be told from the variance within them "
            f"(the {len(n_per)} businesses were each scored at one wave only)"
        )
    contrasts = int((n_per - 1).sum())
    if n_both < WAVE_MODEL_MIN_PAIRS or contrasts <= len(codes) - 1:
        raise ParameterError(
            f"fit_wave_model needs at least {WAVE_MODEL_MIN_PAIRS} businesses scored at "
            f"two or more waves and more repeat scores ({contrasts}) than wave effects "
            f"({len(codes) - 1}); {n_both} of the {len(n_per)} businesses "
            f"{'was' if n_both == 1 else 'were'} scored at two or more waves, so the "
            "change would fit their scores exactly and its uncertainty cannot be estimated"
        )
    if _within_rss(y, x[:, 1:], groups) <= WAVE_MODEL_MIN_RESIDUAL_SHARE * float(
        np.sum((y - y.mean()) ** 2)
    ):
        raise ParameterError(
            "fit_wave_model: the residual variance is estimated as zero: the wave effects "
            f"fit the repeat scores of the {n_both} businesses scored at two or more waves "
            "exactly, so the uncertainty of the change cannot be estimated"
        )
    conv_msgs: list[str] = []
    if len(n_per) <= MIXEDLM_MAX_GROUPS:
        model = MixedLM(y, x, groups=groups, missing="raise")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            res = model.fit(reml=True, method=["bfgs"], gtol=1e-10)
        conv_msgs = [str(m.message) for m in caught if issubclass(m.category, ConvergenceWarning)]
        var_b = float(np.asarray(res.cov_re)[0, 0])
        var_e = float(res.scale)
        beta = np.asarray(res.fe_params, dtype=float)
        loglik = float(res.llf)
        converged = bool(res.converged) and not conv_msgs
        method = "REML (statsmodels MixedLM, BFGS); SE (X'V^-1X)^-1 as lme4; Wald z"
    else:
        fit = random_intercept_reml(y, x, groups)
        var_b, var_e, beta, loglik = fit.var_b, fit.var_e, fit.beta, fit.reml_loglik
        converged = True
        method = "REML (closed-form random intercept, bounded Brent); SE as lme4; Wald z"
    if not var_e > WAVE_MODEL_MIN_RESIDUAL_SHARE * float(np.var(y)):
        raise ParameterError(
            "fit_wave_model: the residual variance is estimated as zero "
            f"({var_e:.2g}): the wave effects fit the {n_both} businesses scored at two "
            "or more waves exactly, so the uncertainty of the change cannot be estimated"
        )
    cov = _fixed_cov(x, groups, var_b, var_e)
    se = np.sqrt(np.diag(cov))
    z = beta / se
    q = stats.norm.ppf(0.5 + confidence / 2)
    if conv_msgs:
        method += "; warning: " + conv_msgs[0]
    out = pd.DataFrame(
        {
            "term": pd.array(names, dtype="string"),
            "estimate": beta,
            "std_error": se,
            "statistic": z,
            "p_val": 2 * stats.norm.sf(np.abs(z)),
            low_col: beta - q * se,
            high_col: beta + q * se,
            "var_business": var_b,
            "var_residual": var_e,
            "reml_loglik": loglik,
            "n_obs": len(y),
            "n_groups": len(n_per),
            "n_both": n_both,
            "method": pd.array([method] * len(names), dtype="string"),
            "converged": converged,
            "strategy": pd.array([strategy] * len(names), dtype="string"),
        }
    )
    return out


def fit_ordinal_wave_model(
    cohort: Cohort,
    *,
    strategy: Strategy = "available_case",
    min_stages: int | None = None,
    cluster: bool = True,
) -> pd.DataFrame:
    """Proportional-odds model of stage levels on wave, with business-clustered SEs.

    Every assessed stage of every return (all waves, all businesses) is one
    observation; the wave is categorical with the first wave as the reference:
    ``logit P(level <= j) = cut_j - beta_w`` (``MASS::polr``'s parametrisation, so a
    positive ``beta_w`` means higher levels at wave ``w``), fitted to the maximum of
    the likelihood by :func:`cma_research.stats.ordinal.fit_polr`. A business's stages
    and waves are correlated, so standard errors are cluster-robust by business
    (``sandwich::vcovCL(type = "HC1")``) with t tests on G - 1 df, as
    :func:`~cma_research.fit_ordinal_model`; ``cluster=False`` gives the naive ones.

    Parameters
    ----------
    cohort : Cohort
        Two or more waves.
    strategy : str
        Missing-stage strategy (default ``available_case``: the assessed stages).
    min_stages : int, optional
        For ``strategy="min_stages"``.
    cluster : bool
        Cluster-robust (default) or naive standard errors.

    Returns
    -------
    DataFrame
        One row per wave term (``wave[<label>]``, kind ``slope``), then one per
        threshold (``cut_0|1`` ...): ``term``, ``kind``, ``estimate``, ``std_error``,
        ``statistic``, ``df``, ``p_val``, ``ci95_low``, ``ci95_high``, ``p_method``,
        ``n_obs``, ``n_businesses``, ``cov_type``, ``strategy``.

    Examples
    --------
    >>> from cma_research.datasets import customer_wise_2007
    >>> from cma_research.datasets.synthetic import synthetic_follow_up
    >>> two = synthetic_follow_up(customer_wise_2007(), seed=2008)  # the SYNTHETIC example
    >>> fit = fit_ordinal_wave_model(two)
    >>> fit.loc[0, "term"], bool(fit.loc[0, "estimate"] > 0), int(fit.loc[0, "n_businesses"])
    ('wave[Follow-up (SYNTHETIC)]', True, 16)

    R: ``fit <- MASS::polr(factor(level) ~ factor(wave), Hess = TRUE)``;
    ``lmtest::coeftest(fit, vcov = sandwich::vcovCL(fit, cluster = ~ business,
    type = "HC1"), df = G - 1)``.
    """
    c = apply_strategy(cohort, strategy, min_stages)
    long = c.scores.reset_index().melt(
        id_vars=["business_id", "wave"], var_name="stage", value_name="level"
    )
    long = long.dropna(subset=["level"])
    codes_w = sorted(set(int(w) for w in long["wave"]))
    levels = sorted(int(v) for v in long["level"].unique())
    n_businesses = int(long["business_id"].nunique())
    if len(codes_w) < 2:
        raise ParameterError(
            "fit_ordinal_wave_model needs assessed stages at two or more waves; the cohort "
            f"has {', '.join(repr(c.wave_label(w)) for w in codes_w) or 'none'}"
        )
    if len(levels) < 2 or n_businesses < 3:
        raise ParameterError(
            "fit_ordinal_wave_model needs at least 2 observed levels and 3 businesses; "
            f"found levels {levels} and {n_businesses} businesses"
        )
    wave = long["wave"].to_numpy(dtype=np.int64)
    exog = np.column_stack([(wave == w).astype(float) for w in codes_w[1:]])
    y = np.searchsorted(levels, long["level"].astype(int).to_numpy())
    slopes = [f"wave[{c.wave_label(w)}]" for w in codes_w[1:]]
    cuts = [f"cut_{levels[j]}|{levels[j + 1]}" for j in range(len(levels) - 1)]
    return ordinal_fit_table(
        y, exog, long["business_id"], slopes=slopes, cuts=cuts, cluster=cluster, strategy=strategy
    )

"""Run one analysis under every missing-data strategy, pooling multiple imputations."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from cma_research.analysis.correlation import _adjust, correlate
from cma_research.analysis.models import fit_size_model
from cma_research.analysis.prepare import check_choice, single_wave
from cma_research.analysis.reliability import cronbach_alpha
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.missing.strategies import STRATEGIES, Strategy, clean
from cma_research.stats.correlation import fisher_ci

__all__ = ["ANALYSES", "RubinPooled", "pool_rubin", "sensitivity"]

Analysis = Literal["correlate", "cronbach_alpha", "fit_size_model"]
#: Analyses :func:`sensitivity` can run and pool.
ANALYSES: tuple[str, ...] = ("correlate", "cronbach_alpha", "fit_size_model")


@dataclass(frozen=True)
class RubinPooled:
    """Rubin's rules for m estimates of one quantity (the names are ``mice::pool``'s)."""

    estimate: float
    variance: float  # total variance T
    within: float  # mean within-imputation variance (mice: ubar)
    between: float  # between-imputation variance B (mice: b)
    df: float  # Barnard-Rubin degrees of freedom (mice: df)
    riv: float  # relative increase in variance due to nonresponse, (1 + 1/m) B / W
    lambda_share: float  # share of the total variance due to missingness, (1 + 1/m) B / T
    fmi: float  # fraction of missing information, (riv + 2/(df + 3)) / (riv + 1)

    def interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """t-based interval on the pooled scale."""
        q = stats.t.ppf(0.5 + confidence / 2, self.df)
        half = q * np.sqrt(self.variance)
        return (self.estimate - half, self.estimate + half)

    def p_value(self) -> float:
        """Two-sided p of estimate = 0, t with the pooled df."""
        if self.variance == 0:
            return 0.0 if self.estimate else 1.0
        return float(2 * stats.t.sf(abs(self.estimate) / np.sqrt(self.variance), self.df))


def pool_rubin(
    estimates: Sequence[float] | np.ndarray,
    variances: Sequence[float] | np.ndarray,
    df_complete: float = np.inf,
) -> RubinPooled:
    """Pool m estimates with Rubin's rules and Barnard & Rubin's (1999) df, as ``mice::pool``.

    Q = mean(q_j); W = mean(u_j); B = var(q_j, ddof=1); T = W + (1 + 1/m) B;
    riv = (1 + 1/m) B / W; lambda = (1 + 1/m) B / T, floored at 1e-4 for the df as
    mice's ``barnard.rubin`` does; nu_old = (m - 1) / lambda^2;
    nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * (1 - lambda);
    nu = nu_old nu_obs / (nu_old + nu_obs), and nu = nu_old when nu_com is infinite
    (the default, mice's ``dfcom = Inf``); fmi = (riv + 2 / (nu + 3)) / (riv + 1).

    By hand for the example: Q = 1, W = 0.04, B = 0.04, T = 0.04 + 4/3 * 0.04 = 0.0933,
    lambda = 0.571, nu_old = 2 / 0.571^2 = 6.125, nu_obs = 21/23 * 20 * 0.429 = 7.826,
    nu = 6.125 * 7.826 / 13.951 = 3.44.

    >>> p = pool_rubin([1.0, 1.2, 0.8], [0.04, 0.05, 0.03], df_complete=20)
    >>> round(p.estimate, 3), round(p.variance, 4), round(p.df, 2)
    (1.0, 0.0933, 3.44)
    >>> round(pool_rubin([1.0, 1.2, 0.8], [0.04, 0.05, 0.03]).df, 3)  # nu_com = inf: nu_old
    6.125
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    m = len(q)
    if m < 2:
        raise ParameterError("pool_rubin needs at least 2 imputations")
    if not df_complete > 0:
        raise ParameterError(f"df_complete={df_complete!r} must be > 0 (or inf)")
    qbar, w = float(q.mean()), float(u.mean())
    b = float(q.var(ddof=1))
    t = w + (1 + 1 / m) * b
    riv = (1 + 1 / m) * b / w if w > 0 else np.inf
    lam = (1 + 1 / m) * b / t if t > 0 else 0.0
    lam_df = max(lam, 1e-4)  # mice::barnard.rubin: lambda[lambda < 1e-04] <- 1e-04
    nu_old = (m - 1) / lam_df**2
    if np.isinf(df_complete):
        df = nu_old
    else:
        nu_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam_df)
        df = nu_old * nu_obs / (nu_old + nu_obs)
    fmi = (riv + 2 / (df + 3)) / (riv + 1) if np.isfinite(riv) else 1.0
    return RubinPooled(qbar, t, w, b, float(df), float(riv), float(lam), float(fmi))


def _run(analysis: str) -> Callable[..., pd.DataFrame]:
    runners: dict[str, Callable[..., pd.DataFrame]] = {
        "correlate": correlate,
        "cronbach_alpha": cronbach_alpha,
        "fit_size_model": fit_size_model,
    }
    return runners[analysis]


def _col(frames: list[pd.DataFrame], name: str) -> np.ndarray:
    """Column ``name`` of every imputation's result: shape (m, rows)."""
    return np.vstack([f[name].to_numpy(dtype=float) for f in frames])


def _pool_correlate(frames: list[pd.DataFrame]) -> pd.DataFrame:
    base = frames[0].copy()
    r_all = _col(frames, "r")
    ns = base["n"].to_numpy(dtype=int)
    methods = [str(v) for v in base["method"]]
    z = stats.norm.ppf(0.975)
    out = {
        k: np.full(len(base), np.nan)
        for k in ("r", "ci95_low", "ci95_high", "p_val", "df", "riv", "lambda_share", "fmi")
    }
    for i, (n, method) in enumerate(zip(ns, methods, strict=True)):
        rs = np.clip(r_all[:, i], -0.999999, 0.999999)
        # within variance of Fisher z: the method's SE (see _fisher_ci), at each r_j
        variances = []
        for r in rs:
            low, high = fisher_ci(method, float(r), int(n))
            variances.append(((np.arctanh(high) - np.arctanh(low)) / (2 * z)) ** 2)
        pooled = pool_rubin(np.arctanh(rs), variances, max(int(n) - 3, 1))
        low, high = pooled.interval()
        out["r"][i] = np.tanh(pooled.estimate)
        out["ci95_low"][i], out["ci95_high"][i] = np.tanh(low), np.tanh(high)
        out["p_val"][i] = pooled.p_value()
        out["df"][i], out["fmi"][i] = pooled.df, pooled.fmi
        out["riv"][i], out["lambda_share"][i] = pooled.riv, pooled.lambda_share
    for key, values in out.items():
        base[key] = values
    # p_adj must follow the pooled p-values, not stay the first imputation's; a
    # rank-equivalent covariate's rows (correlate counted them once) stay out of the family
    adjust = str(base["p_adj_method"].iloc[0]).split(" on ")[0]
    duplicate_of: list[tuple[int, str] | None] = []
    for method_text, score in zip(base["p_adj_method"], base["score"], strict=True):
        same = re.search(r"the same test as (.+) with (\S+) \(rank-equivalent\)", str(method_text))
        if same is None:
            duplicate_of.append(None)
            continue
        j = int(np.flatnonzero((base["score"] == score) & (base["covariate"] == same[2]))[0])
        duplicate_of.append((j, f"{score} with {same[2]}"))
    base["p_perm"] = np.nan
    base = _adjust(base.assign(p_val=out["p_val"]), adjust, duplicate_of)
    base["ci_method"] = "Rubin's rules on Fisher z"
    base["p_perm"] = np.nan
    base["p_method"] = "Rubin's rules, t with Barnard-Rubin df"
    return base


def _pool_alpha(frames: list[pd.DataFrame]) -> pd.DataFrame:
    base = frames[0].copy()
    n, k = int(base["n"].iloc[0]), int(base["k"].iloc[0])
    alphas = _col(frames, "alpha")[:, 0]
    # Bonett (2002): ln(1 - alpha) is near normal with variance 2k / ((k - 1)(n - 2)).
    var = 2 * k / ((k - 1) * (n - 2))
    pooled = pool_rubin(np.log1p(-alphas), [var] * len(alphas), max(n - 1, 1))
    # the interval at the level cronbach_alpha was asked for (its columns say which)
    low_name = next(c for c in base.columns if re.fullmatch(r"ci\d+(_\d+)?_low", str(c)))
    level = float(low_name[2:-4].replace("_", ".")) / 100
    low, high = pooled.interval(level)
    base["alpha"] = 1 - np.exp(pooled.estimate)
    base[low_name] = 1 - np.exp(high)
    base[low_name[: -len("low")] + "high"] = 1 - np.exp(low)
    base["std_alpha"] = float(_col(frames, "std_alpha").mean())
    base["average_r"] = float(_col(frames, "average_r").mean())
    base["df"] = pooled.df
    base["riv"], base["lambda_share"], base["fmi"] = pooled.riv, pooled.lambda_share, pooled.fmi
    base["ci_method"] = "Rubin's rules on ln(1 - alpha) (Bonett 2002)"
    return base


def _pool_ols(frames: list[pd.DataFrame]) -> pd.DataFrame:
    base = frames[0].copy()
    est, se = _col(frames, "estimate"), _col(frames, "std_error")
    df_resid = base["df_resid"].to_numpy(dtype=float)
    cols = {
        k: np.full(len(base), np.nan)
        for k in (
            "estimate",
            "std_error",
            "t",
            "p_val",
            "ci95_low",
            "ci95_high",
            "df_resid",
            "riv",
            "lambda_share",
            "fmi",
        )
    }
    for i in range(len(base)):
        pooled = pool_rubin(est[:, i], se[:, i] ** 2, float(df_resid[i]))
        cols["estimate"][i] = pooled.estimate
        cols["std_error"][i] = np.sqrt(pooled.variance)
        cols["t"][i] = pooled.estimate / np.sqrt(pooled.variance)
        cols["p_val"][i] = pooled.p_value()
        cols["ci95_low"][i], cols["ci95_high"][i] = pooled.interval()
        cols["df_resid"][i], cols["fmi"][i] = pooled.df, pooled.fmi
        cols["riv"][i], cols["lambda_share"][i] = pooled.riv, pooled.lambda_share
    for key, values in cols.items():
        base[key] = values
    base["r2"] = float(_col(frames, "r2").mean())
    base["cov_type"] = "HC3, Rubin's rules (t, Barnard-Rubin df)"
    return base


_POOL = {"correlate": _pool_correlate, "cronbach_alpha": _pool_alpha, "fit_size_model": _pool_ols}


def sensitivity(
    cohort: Cohort,
    analysis: Analysis = "correlate",
    strategies: Sequence[Strategy] | None = None,
    *,
    min_stages: int | None = None,
    m: int = 20,
    seed: int = 0,
    **kwargs: Any,
) -> pd.DataFrame:
    """The same analysis under each missing-data strategy, side by side.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    analysis : {"correlate", "cronbach_alpha", "fit_size_model"}
    strategies : sequence of str, optional
        Default: every strategy, ``min_stages`` only when ``min_stages`` is given.
    min_stages : int, optional
        k for ``min_stages``.
    m, seed : int
        Imputations and seed for ``multiple``; ``seed`` also seeds the bootstrap and
        permutations of ``correlate``.
    **kwargs
        Passed to the analysis (e.g. ``covariate``, ``score``, ``method``, ``n_boot``).

    Returns
    -------
    DataFrame
        The analysis' own columns for each strategy, with ``strategy`` first and
        ``m``, ``df``, ``riv`` (relative increase in variance), ``lambda_share`` (share
        of the variance due to missingness), ``fmi`` (fraction of missing information,
        as ``mice::pool``; all three only for ``multiple``) and ``note``. For
        ``multiple`` each imputed cohort is analysed and the results pooled with
        Rubin's rules (correlations on Fisher's z, alpha on ln(1 - alpha), OLS
        coefficients with their HC3 variances; t with Barnard-Rubin df). A strategy the
        analysis cannot use (e.g. alpha with blanks left) gives one row with ``note``
        saying why.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> cohort = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> res = sensitivity(cohort, "cronbach_alpha", m=5, seed=1)
    >>> res["strategy"].tolist()
    ['complete_case', 'available_case', 'stage_median', 'business_mean', 'multiple']
    >>> print(res["note"].tolist()[1])
    not applicable: cronbach_alpha needs complete data, but strategy='available_case'
    leaves 23 blank cells; use 'complete_case' or an imputing strategy ('stage_median',
    'business_mean', 'multiple')
    """
    check_choice("analysis", analysis, ANALYSES)
    one = single_wave(cohort)
    if strategies is None:
        strategies = [s for s in STRATEGIES if s != "min_stages" or min_stages is not None]  # type: ignore[misc]
    for s in strategies:
        check_choice("strategy", s, STRATEGIES)
    run = _run(analysis)
    extra = dict(kwargs)
    if analysis == "correlate":
        extra.setdefault("seed", seed)
    frames = []
    for s in strategies:
        k = min_stages if s == "min_stages" else None
        try:
            if s == "multiple":
                cleaned = clean(one, "multiple", m=m, seed=seed)
                per_imp = []
                for imp in cleaned.cohorts:
                    kw = dict(extra)
                    if analysis == "correlate":
                        kw.update(n_boot=0, n_perm=0)
                    per_imp.append(run(imp, strategy="available_case", **kw))
                out = _POOL[analysis](per_imp)
                out["m"] = m
            else:
                out = run(one, strategy=s, min_stages=k, **extra)
                out["m"] = 1
            out["note"] = out["note"] if "note" in out.columns else ""
        except ParameterError as exc:
            out = pd.DataFrame(
                {"m": [m if s == "multiple" else 1], "note": [f"not applicable: {exc}"]}
            )
        out["strategy"] = s
        frames.append(out)
    result = pd.concat(frames, ignore_index=True)
    cols = [
        "strategy",
        *[c for c in result.columns if c not in ("strategy", "m", "note")],
        "m",
        "note",
    ]
    result = result[cols]
    for col in ("strategy", "note"):
        result[col] = result[col].astype("string")
    return result

"""The statistics a claim may name, one function each, keyed by the claims file's names.

Every statistic is computed by the package's public functions
(:func:`~cma_research.level_distribution`, :func:`~cma_research.business_scores`,
:func:`~cma_research.correlate`, :func:`~cma_research.size_band`, the table of
:func:`~cma_research.load_recruitment`), so a claim and a table can never disagree. The
names and arguments are declared in :data:`cma_research.io.claim_terms.STATISTICS`;
:func:`~cma_research.analysis.claims.audit_claims` judges the results.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cma_research.analysis.correlation import correlate
from cma_research.analysis.describe import business_scores, level_distribution, proportion_ci
from cma_research.analysis.groups import size_band
from cma_research.analysis.prepare import prepared
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.instrument import normalise_label
from cma_research.core.text import correlation_symbol, format_number
from cma_research.io.claim_terms import STATISTICS
from cma_research.io.claims import Claim, Reading

__all__ = ["COMPUTE", "Context", "Result", "compute_reading"]

NAN = float("nan")


@dataclass(frozen=True)
class Result:
    """One reading's value, interval, p, ``n`` and text (or why it cannot be tested)."""

    value: float = NAN
    ci95_low: float = NAN
    ci95_high: float = NAN
    p_val: float = NAN
    n: int | None = None
    text: str = ""
    untestable: str | None = None


@dataclass
class Context:
    """What every statistic reads: the cohort, the funnel, seeds and a table cache."""

    cohort: Cohort
    recruitment: pd.DataFrame | None
    seed: int
    n_boot: int
    n_perm: int
    claim: Claim | None = None
    cache: dict[tuple[str, str | None, int | None], pd.DataFrame] = field(default_factory=dict)

    def table(self, what: str, r: Reading) -> pd.DataFrame:
        """level_distribution or business_scores under the reading's strategy, once each."""
        key = (what, r.strategy, r.min_stages)
        if key not in self.cache:
            fn = level_distribution if what == "level_distribution" else business_scores
            self.cache[key] = fn(self.cohort, **_strategy_kw(r))
        return self.cache[key]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _share(k: int, n: int, noun: str) -> Result:
    if n == 0:
        return Result(n=0, untestable=f"no businesses for the share (n = 0): {noun}")
    lo, hi = proportion_ci(k, n)
    return Result(
        value=k / n,
        ci95_low=lo,
        ci95_high=hi,
        n=n,
        text=f"{_pct(k / n)} {noun}, 95% CI {100 * lo:.1f}\u2013{_pct(hi)} ({k} of {n})",
    )


def _levels_text(levels: tuple[int, ...]) -> str:
    """``level 1``, ``level 0 or 1``, ``level 2, 3, 4 or 5``."""
    words = [str(v) for v in levels]
    return "level " + (words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1])


def _businesses(k: int) -> str:
    return f"{k} business" if k == 1 else f"{k} businesses"


def _stage_text(ctx: Context, stage: str) -> str:
    if stage == "all":
        return "all assessments"
    return ctx.cohort.instrument.stage(stage).name


def _strategy_kw(r: Reading) -> dict[str, Any]:
    return {"strategy": r.strategy, "min_stages": r.min_stages}


def _share_businesses_below(ctx: Context, r: Reading) -> Result:
    scores = ctx.table("business_scores", r)
    values = scores[r.args["score"]].to_numpy(dtype=float, na_value=np.nan)
    values = values[~np.isnan(values)]
    k = int((values < r.args["level"]).sum())
    return _share(k, len(values), "of businesses")


def _distribution_row(ctx: Context, r: Reading) -> pd.Series:
    dist = ctx.table("level_distribution", r)
    return dist[dist["stage"] == r.args["stage"]].iloc[0]


def _share_at_levels(ctx: Context, r: Reading) -> Result:
    row = _distribution_row(ctx, r)
    k = int(sum(row[f"n_level_{v}"] for v in r.args["levels"]))
    stage = r.args["stage"]
    noun = (
        "of assessments"
        if stage == "all"
        else f"of the businesses assessed on {_stage_text(ctx, stage)}"
    )
    return _share(k, int(row["n_assessed"]), f"{noun} at {_levels_text(r.args['levels'])}")


def _count_at_levels(ctx: Context, r: Reading) -> Result:
    row = _distribution_row(ctx, r)
    k = int(sum(row[f"n_level_{v}"] for v in r.args["levels"]))
    n = int(row["n_assessed"])
    stage = _stage_text(ctx, r.args["stage"])
    return Result(
        value=float(k),
        n=n,
        text=f"{_businesses(k)} at {_levels_text(r.args['levels'])} (of {n} assessed on {stage})",
    )


def _modal_level(ctx: Context, r: Reading) -> Result:
    row = _distribution_row(ctx, r)
    n = int(row["n_assessed"])
    if n == 0:
        return Result(n=0, untestable="no assessments to find a modal level in")
    counts = {v: int(row[f"n_level_{v}"]) for v in ctx.cohort.instrument.level_values}
    top = max(counts.values())
    modes = [v for v, c in counts.items() if c == top]
    where = _stage_text(ctx, r.args["stage"])
    if len(modes) > 1:
        return Result(
            n=n,
            text=f"no single modal level: {_levels_text(tuple(modes))} tie, {top} each "
            f"(of {n} on {where})",
        )
    return Result(
        value=float(modes[0]),
        n=n,
        text=f"modal level {modes[0]} ({top} of {n} on {where})",
    )


def _share_band_among_levels(ctx: Context, r: Reading) -> Result:
    c = prepared(ctx.cohort, str(r.strategy), min_stages=r.min_stages, what="audit_claims")
    stage, levels, band = r.args["stage"], r.args["levels"], r.args["band"]
    at = c.scores[stage].isin(list(levels)).fillna(False).to_numpy(dtype=bool)
    bands = size_band(c.attributes["staff"])
    known = bands.notna().to_numpy(dtype=bool)
    among = at & known
    k = int((bands[among] == band).sum())
    noun = f"{band} among the businesses at {_levels_text(levels)} on {_stage_text(ctx, stage)}"
    return _share(k, int(among.sum()), noun)


def _score_text(ctx: Context, score: str) -> str:
    ids = ctx.cohort.instrument.stage_ids
    return ctx.cohort.instrument.stage(score).name if score in ids else f"{score} level"


def _format_p(p: float) -> str:
    return "p < .001" if p < 0.001 else "p = " + format_number(p, 3, bounded=True)


def _correlation(ctx: Context, r: Reading) -> Result:
    a = r.args
    try:
        res = correlate(
            ctx.cohort,
            a["covariate"],
            a["score"],
            a["method"],
            **_strategy_kw(r),
            seed=ctx.seed if a["seed"] is None else a["seed"],
            n_boot=ctx.n_boot if a["n_boot"] is None else a["n_boot"],
            n_perm=ctx.n_perm if a["n_perm"] is None else a["n_perm"],
        )
    except ParameterError as exc:  # too few businesses, or a covariate the cohort lacks
        return Result(untestable=str(exc))
    row = res.iloc[0]
    perm = not pd.isna(row["p_perm"])
    p = float(row["p_perm"] if perm else row["p_val"])
    r_value = float(row["r"])
    n = int(row["n"])
    if math.isnan(r_value):
        return Result(n=n, untestable="the correlation is undefined (a constant variable)")
    lo, hi = float(row["ci95_low"]), float(row["ci95_high"])
    ci = (
        f", 95% CI [{format_number(lo, bounded=True)}, {format_number(hi, bounded=True)}]"
        if not (math.isnan(lo) or math.isnan(hi))
        else ""
    )
    text = (
        f"{correlation_symbol(a['method'])} = {format_number(r_value, bounded=True)}{ci}, "
        f"{_format_p(p)} ({'permutation' if perm else 'asymptotic'}, n = {n}; "
        f"{_score_text(ctx, a['score'])} with {a['covariate']})"
    )
    return Result(value=r_value, ci95_low=lo, ci95_high=hi, p_val=p, n=n, text=text)


def _n_businesses(ctx: Context, r: Reading) -> Result:
    n = prepared(ctx.cohort, str(r.strategy), min_stages=r.min_stages, what="audit_claims")
    k = n.n_businesses
    return Result(value=float(k), n=k, text=f"{_businesses(k)} in the returns")


def _funnel_count(ctx: Context, step: str) -> int:
    funnel = ctx.recruitment
    if funnel is None:  # compute_reading refuses funnel statistics without a funnel first
        raise ParameterError("a recruitment statistic needs the recruitment funnel")
    keys = [normalise_label(str(s)) for s in funnel["step"]]
    key = normalise_label(step)
    if key not in keys:
        cid = ctx.claim.id if ctx.claim is not None else "?"
        raise ParameterError(
            f"claim {cid!r}: step {step!r} is not a step of the recruitment funnel; expected "
            "one of: " + ", ".join(repr(str(s)) for s in funnel["step"])
        )
    return int(funnel["count"].iloc[keys.index(key)])


def _recruitment_count(ctx: Context, r: Reading) -> Result:
    k = _funnel_count(ctx, r.args["step"])
    return Result(value=float(k), n=k, text=f"{k} ({r.args['step']}, recruitment funnel)")


def _recruitment_share(ctx: Context, r: Reading) -> Result:
    k = _funnel_count(ctx, r.args["step"])
    n = _funnel_count(ctx, r.args["of"])
    if n == 0:
        return Result(n=0, untestable=f"the funnel step {r.args['of']!r} is 0")
    return Result(
        value=k / n,
        n=n,
        text=f"{_pct(k / n)} ({k} {r.args['step']} of {n} {r.args['of']}, recruitment funnel)",
    )


COMPUTE: dict[str, Callable[[Context, Reading], Result]] = {
    "share_businesses_below": _share_businesses_below,
    "share_at_levels": _share_at_levels,
    "count_at_levels": _count_at_levels,
    "modal_level": _modal_level,
    "share_band_among_levels": _share_band_among_levels,
    "correlation": _correlation,
    "n_businesses": _n_businesses,
    "recruitment_count": _recruitment_count,
    "recruitment_share": _recruitment_share,
}


def compute_reading(ctx: Context, r: Reading) -> Result:
    """The reading's statistic on the cohort (or why it cannot be tested)."""
    if r.statistic not in COMPUTE:  # the loader's table and this one must agree
        raise ParameterError(f"statistic {r.statistic!r} has no implementation in audit_claims")
    if STATISTICS[r.statistic].data == "recruitment" and ctx.recruitment is None:
        return Result(untestable="needs the recruitment funnel (recruitment=...)")
    return COMPUTE[r.statistic](ctx, r)

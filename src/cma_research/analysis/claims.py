"""Audit a paper's claims against its own data: each reading computed, compared, judged.

Every statistic a claim may name is computed by the package's public functions
(:func:`~cma_research.level_distribution`, :func:`~cma_research.business_scores`,
:func:`~cma_research.correlate`, :func:`~cma_research.size_band`, the table of
:func:`~cma_research.load_recruitment`), so a claim and a table can never disagree.

The statistics, their arguments and meaning are declared once, in
:data:`cma_research.io.claims.STATISTICS`. This module registers one function for each
of them by name (:data:`COMPUTE`, second half of the module); at import,
:func:`check_registry` refuses a statistic without a function or a function for no
statistic. To add a statistic: its :class:`~cma_research.io.claims.StatisticSpec` in
``STATISTICS``, then a ``@_computes("name")`` function here.

Readings of vague words (:data:`cma_research.io.claims.VAGUE_WORD_READINGS`); the claims
file states which one each reading uses:

=====================================  ==============================================
word                                   reading
=====================================  ==============================================
most, predominantly                    more than half (``> 0.5`` on a share)
many                                   at least a quarter (``>= 0.25``), or more than
                                       one business (``>= 2``)
few                                    less than a quarter (``< 0.25``)
only N                                 exactly N (``== N``)
some N, approximately N, about N       within 10% of N (``between 0.9N and 1.1N``);
                                       a second reading may take N exactly
about one third                        within 0.05 of 1/3 (``between 0.283 and 0.383``)
fail to reach / not up to level k      below level k
little or no / scant attention         at most level 1 (Initial): below level 2
=====================================  ==============================================

Verdicts. Each reading is ``supported`` (its comparison holds, and when the value has
a 95% interval the whole interval lies on the side where it holds), ``holds in the
sample only`` (the value satisfies the comparison but its interval reaches across the
threshold: a share of 57.6% with 95% CI 39.2-74.5% for "most", a correlation whose
interval includes 0 for "direction positive"; its text reads "holds in these N
businesses; not established beyond them (the 95% CI ...)"), ``not supported`` or
``cannot be tested`` (the data it needs are absent: no recruitment funnel, no business
left under the strategy, a covariate the cohort lacks, one wave for a statistic of
change). A claim (``claim_verdict``, on every row of the claim, and
:func:`claim_verdicts`) is ``supported`` when every reading is supported, ``holds in
the sample only`` when every reading holds and at least one only in the sample, ``not
supported`` when none holds, ``cannot be tested`` when no reading could be tested (or
the file marks it ``cannot_test``), and ``partly supported`` when its readings disagree
(including readings that hold beside untestable ones).

Waves. On a cohort of several waves, the one-wave statistics use the wave ``wave``
(default the latest) and the statistics of change (``share_improved``,
``median_change``, ``paired_test``) compare ``baseline_wave`` (default the first) with
that wave, over the businesses audited at both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cma_research.analysis.change import paired_change
from cma_research.analysis.correlation import correlate
from cma_research.analysis.describe import business_scores, level_distribution, proportion_ci
from cma_research.analysis.groups import size_band
from cma_research.analysis.prepare import check_choice, prepared
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.instrument import normalise_label
from cma_research.core.text import correlation_symbol, format_number
from cma_research.io.claims import CLAIM_STRATEGIES, STATISTICS, Claim, Claims, Reading
from cma_research.io.recruitment import load_recruitment
from cma_research.stats.clustered import DEFAULT_CLUSTER_BOOT, cluster_share

__all__ = [
    "AUDIT_COLUMNS",
    "COMPUTE",
    "HOLDS",
    "VERDICTS",
    "Context",
    "Result",
    "audit_claims",
    "audit_lines",
    "check_registry",
    "claim_verdicts",
    "claims_gate",
    "compute_reading",
    "summary_line",
]

#: The verdicts, in the order a summary reports them.
VERDICTS: tuple[str, ...] = (
    "supported",
    "holds in the sample only",
    "partly supported",
    "not supported",
    "cannot be tested",
)
#: The verdicts of a reading (or claim) that holds in the study's own data.
HOLDS: tuple[str, ...] = ("supported", "holds in the sample only")
#: Columns of :func:`audit_claims`, in order.
AUDIT_COLUMNS: tuple[str, ...] = (
    "claim_id",
    "quote",
    "source",
    "must_hold",
    "reading_no",
    "reading",
    "statistic",
    "arguments",
    "strategy",
    "value",
    "ci95_low",
    "ci95_high",
    "p_val",
    "n",
    "comparison",
    "verdict",
    "claim_verdict",
    "verdict_text",
)


def _claim_verdict(verdicts: list[str]) -> str:
    tested = [v for v in verdicts if v != "cannot be tested"]
    if not tested:
        return "cannot be tested"
    if all(v == "supported" for v in verdicts):
        return "supported"
    if all(v in HOLDS for v in verdicts):
        return "holds in the sample only"
    if all(v == "not supported" for v in verdicts):
        return "not supported"
    return "partly supported"


def audit_claims(
    cohort: Cohort,
    claims: Claims,
    *,
    recruitment: pd.DataFrame | str | Path | None = None,
    strategy: str | None = None,
    min_stages: int | None = None,
    seed: int = 0,
    n_boot: int = 2000,
    n_perm: int = 100_000,
    wave: str | int | None = None,
    baseline_wave: str | int | None = None,
) -> pd.DataFrame:
    """Compute every reading of every claim on the cohort and judge it.

    Parameters
    ----------
    cohort : Cohort
        The returns, on the instrument the claims were written for: one wave, or
        several (see ``wave`` and ``baseline_wave``).
    claims : Claims
        From :func:`~cma_research.load_claims`.
    recruitment : DataFrame, str or Path, optional
        The recruitment funnel (a :func:`~cma_research.load_recruitment` table or its
        file); without it, readings on the funnel cannot be tested.
    strategy : str, optional
        Override every cohort reading's strategy for blanks (a sensitivity check:
        do the verdicts depend on how blanks are handled?); default each reading's own.
    min_stages : int, optional
        For ``strategy="min_stages"``.
    seed, n_boot, n_perm : int
        For correlation and paired-test readings that do not set their own (bootstrap
        CI and permutation p, see :func:`~cma_research.correlate` and
        :func:`~cma_research.paired_change`).
    wave : str or int, optional
        The wave the one-wave statistics describe and the follow-up of the statistics of
        change (a label or code); default the latest.
    baseline_wave : str or int, optional
        The baseline of the statistics of change; default the first wave. With one wave
        (or the same wave twice) those readings cannot be tested, and say why.

    Returns
    -------
    DataFrame
        One row per reading (a ``cannot_test`` claim: one row, ``reading_no`` 0), in
        file order: ``claim_id``, ``quote``, ``source`` (section, page/line),
        ``must_hold``, ``reading_no`` (1, 2, ...), ``reading`` (the documented reading
        of the vague words), ``statistic``, ``arguments`` (``key=value`` text),
        ``strategy`` (for blanks; empty for funnel statistics), ``value``,
        ``ci95_low``, ``ci95_high`` (exact Clopper-Pearson for shares of the sample,
        BCa for correlations; NaN for counts and complete funnel counts), ``p_val``
        (correlations: permutation p when available, else asymptotic), ``n``
        (businesses, assessments or funnel count the value is computed on),
        ``comparison``, ``verdict`` (this reading: ``supported``, ``holds in the sample
        only``, ``not supported``, ``cannot be tested``), ``claim_verdict`` (the claim:
        also ``partly supported`` when its readings disagree; the same on each of its
        rows) and
        ``verdict_text`` (e.g. ``not supported: 12.5% of businesses, 95% CI
        1.6–38.3% (2 of 16)``). Nothing is rounded except in ``verdict_text``.

    Raises
    ------
    ParameterError
        The claims were written for another instrument, an unknown strategy or wave, or
        a funnel step the recruitment table does not have.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> import cma_research as cma
    >>> cohort = cma.load_returns(bundled_path("customer_wise_2007.csv"))
    >>> claims = cma.load_claims(bundled_path("customer_wise_2007_claims.yaml"))
    >>> audit = audit_claims(cohort, claims, n_boot=200, n_perm=2000)
    >>> row = audit[audit["claim_id"] == "abstract_most_below_level_1"].iloc[1]
    >>> print(row["verdict_text"])
    not supported: 12.5% of businesses, 95% CI 1.6–38.3% (2 of 16)
    >>> print(row["claim_verdict"])
    not supported
    """
    if claims.instrument != cohort.instrument.name:
        raise ParameterError(
            f"the claims in {claims.path} were written for instrument {claims.instrument!r}, "
            f"but the cohort uses {cohort.instrument.name!r}"
        )
    if strategy is not None:
        check_choice("strategy", strategy, CLAIM_STRATEGIES)
    funnel = load_recruitment(recruitment) if isinstance(recruitment, str | Path) else recruitment
    if funnel is not None and not {"step", "count"} <= set(funnel.columns):
        raise ParameterError(
            "recruitment must be a load_recruitment table (columns step, count) or its file"
        )
    one, pair = _waves(cohort, wave, baseline_wave)
    ctx = Context(one, funnel, seed, n_boot, n_perm, all_waves=cohort, pair=pair)
    rows: list[dict[str, Any]] = []
    for claim in claims:
        ctx.claim = claim
        rows.extend(_claim_rows(ctx, claim, strategy, min_stages))
    return _audit_table(rows)


def _waves(
    cohort: Cohort, wave: str | int | None, baseline_wave: str | int | None
) -> tuple[Cohort, tuple[int, int] | str]:
    """The one wave the one-wave statistics describe, and the (baseline, follow-up) codes
    of the statistics of change, or why there are none."""
    follow = cohort.wave_rank(wave if wave is not None else cohort.waves[-1])
    base = cohort.wave_rank(baseline_wave if baseline_wave is not None else cohort.waves[0])
    one = cohort.select_wave(follow) if len(cohort.waves) > 1 else cohort
    if len(cohort.waves) < 2:
        return one, "needs returns from two waves (the returns have one)"
    if base == follow:
        return one, (
            f"the baseline and the follow-up are the same wave ({cohort.wave_label(base)!r}); "
            "choose another baseline_wave or wave"
        )
    return one, (base, follow)


def _claim_rows(
    ctx: Context, claim: Claim, strategy: str | None, min_stages: int | None
) -> list[dict[str, Any]]:
    """The audit rows of one claim: one per reading, judged, each with the claim's verdict."""
    base = {
        "claim_id": claim.id,
        "quote": claim.quote,
        "source": claim.source,
        "must_hold": claim.must_hold,
    }
    if claim.cannot_test is not None:
        return [
            {
                **base,
                "reading_no": 0,
                "reading": "",
                "statistic": "",
                "arguments": "",
                "strategy": "",
                "n": None,
                "comparison": "",
                "verdict": "cannot be tested",
                "claim_verdict": "cannot be tested",
                "verdict_text": f"cannot be tested: needs {claim.cannot_test}",
            }
        ]
    claim_rows: list[dict[str, Any]] = []
    for i, reading in enumerate(_readings(claim, strategy, min_stages), 1):
        res = compute_reading(ctx, reading)
        verdict, detail = _judge(reading, res)
        claim_rows.append(
            {
                **base,
                "reading_no": i,
                "reading": reading.reading,
                "statistic": reading.statistic,
                "arguments": reading.args_text(),
                "strategy": reading.strategy or "",
                "value": res.value,
                "ci95_low": res.ci95_low,
                "ci95_high": res.ci95_high,
                "p_val": res.p_val,
                "n": res.n,
                "comparison": reading.comparison.text,
                "verdict": verdict,
                "verdict_text": f"{verdict}: {detail}",
            }
        )
    overall = _claim_verdict([str(r["verdict"]) for r in claim_rows])
    return [{**r, "claim_verdict": overall} for r in claim_rows]


def _judge(reading: Reading, res: Result) -> tuple[str, str]:
    """The reading's verdict and the text that explains it (see the module docstring)."""
    if res.untestable is not None:
        return "cannot be tested", res.untestable
    c = reading.comparison
    missing = math.isnan(res.p_val) if c.on_p else math.isnan(res.value)
    holds = not missing and c.holds(res.value, res.p_val)
    if not holds:
        return "not supported", res.text
    low, high = res.ci95_low, res.ci95_high
    if math.isnan(low) or math.isnan(high) or c.established(low, high):
        return "supported", res.text
    n = res.n_businesses if res.n_businesses is not None else res.n
    threshold = "0" if c.threshold is None else f"{c.threshold:g}"
    if c.op == "between":
        threshold = f"beyond {c.threshold:g} to {c.upper:g}"
    return "holds in the sample only", (
        f"holds in these {n} business{'es' if n != 1 else ''}; not established beyond them "
        f"(the 95% CI reaches {threshold}): {res.text}"
    )


def _audit_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The audit rows as a table of :data:`AUDIT_COLUMNS` with their dtypes."""
    out = pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
    for col in ("value", "ci95_low", "ci95_high", "p_val"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    out["n"] = pd.array(out["n"].tolist(), dtype="Int64")
    out["reading_no"] = out["reading_no"].astype("int64")
    out["must_hold"] = out["must_hold"].astype(bool)
    for col in AUDIT_COLUMNS:
        if out[col].dtype == object:
            out[col] = out[col].astype("string")
    return out


def _readings(claim: Claim, strategy: str | None, min_stages: int | None) -> list[Reading]:
    """The claim's readings, with the blanks strategy replaced when one is given."""
    if strategy is None:
        return list(claim.readings)
    if strategy == "min_stages" and min_stages is None:
        raise ParameterError("strategy='min_stages' needs min_stages=k")
    return [
        r
        if r.strategy is None
        else Reading(
            r.reading,
            r.statistic,
            r.args,
            r.comparison,
            strategy,
            min_stages if strategy == "min_stages" else None,
        )
        for r in claim.readings
    ]


def claim_verdicts(audit: pd.DataFrame) -> pd.DataFrame:
    """One row per claim of an :func:`audit_claims` table.

    Returns
    -------
    DataFrame
        ``claim_id``, ``quote``, ``source``, ``must_hold``, ``n_readings``,
        ``n_supported``, ``n_sample_only`` (holding in the sample only),
        ``n_not_supported``, ``n_cannot_test`` (readings; 0 readings for a
        ``cannot_test`` claim), ``verdict`` (the claim's verdict), in file order.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> import cma_research as cma
    >>> cohort = cma.load_returns(bundled_path("customer_wise_2007.csv"))
    >>> claims = cma.load_claims(bundled_path("customer_wise_2007_claims.yaml"))
    >>> table = claim_verdicts(audit_claims(cohort, claims, n_boot=200, n_perm=2000))
    >>> table.set_index("claim_id").loc["empowerment_only_two", "verdict"]
    'partly supported'
    """
    rows = []
    for cid, g in audit.groupby("claim_id", sort=False):
        readings = g[g["reading_no"] > 0]
        rows.append(
            {
                "claim_id": cid,
                "quote": g["quote"].iloc[0],
                "source": g["source"].iloc[0],
                "must_hold": bool(g["must_hold"].iloc[0]),
                "n_readings": len(readings),
                "n_supported": int((readings["verdict"] == "supported").sum()),
                "n_sample_only": int((readings["verdict"] == "holds in the sample only").sum()),
                "n_not_supported": int((readings["verdict"] == "not supported").sum()),
                "n_cannot_test": int((readings["verdict"] == "cannot be tested").sum()),
                "verdict": g["claim_verdict"].iloc[0],
            }
        )
    out = pd.DataFrame(rows)
    for col in ("claim_id", "quote", "source", "verdict"):
        out[col] = out[col].astype("string")
    return out


def claims_gate(audit_table: pd.DataFrame, claims: Claims) -> list[str]:
    """The ``must_hold: true`` claims that do not hold in the study's data, one line each.

    A must-hold claim passes only when every one of its readings holds in the returns
    (``claim_verdict`` is ``supported``, or ``holds in the sample only``: the gate asks
    whether the paper's own data still bear the claim out, not whether they establish
    it beyond the businesses audited); a claim missing from the table fails too. An
    empty list means the gate passes (``build --check-claims`` and ``cma-research
    claims --check`` exit non-zero otherwise).

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> import cma_research as cma
    >>> cohort = cma.load_returns(bundled_path("customer_wise_2007.csv"))
    >>> claims = cma.load_claims(bundled_path("customer_wise_2007_claims.yaml"))
    >>> recruitment = bundled_path("customer_wise_2007_recruitment.csv")
    >>> claims_gate(audit_claims(cohort, claims, recruitment=recruitment, n_boot=0), claims)
    []
    >>> smaller = cohort.subset(cohort.attributes["staff"] < 50)  # drop the Florists
    >>> for line in claims_gate(
    ...     audit_claims(smaller, claims, recruitment=recruitment, n_boot=0), claims
    ... ):
    ...     print(line.split(": ")[0])
    claim 'findings_16_radar_charts' must hold but is partly supported
    """
    lines = []
    for claim in claims:
        if not claim.must_hold:
            continue
        rows = audit_table[audit_table["claim_id"] == claim.id]
        if rows.empty:
            lines.append(f"claim {claim.id!r} must hold but is not in the audit table")
            continue
        verdict = str(rows["claim_verdict"].iloc[0])
        if verdict not in HOLDS:
            failing = rows[~rows["verdict"].isin(HOLDS)]["verdict_text"]
            lines.append(
                f"claim {claim.id!r} must hold but is {verdict}: " + "; ".join(map(str, failing))
            )
    return lines


def audit_lines(audit: pd.DataFrame) -> list[str]:
    """The audit as text: per claim a summary line, then one indented line per reading;
    last, the count of claims per verdict.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> import cma_research as cma
    >>> cohort = cma.load_returns(bundled_path("customer_wise_2007.csv"))
    >>> claims = cma.load_claims(bundled_path("customer_wise_2007_claims.yaml"))
    >>> funnel = bundled_path("customer_wise_2007_recruitment.csv")
    >>> audit = audit_claims(cohort, claims, recruitment=funnel, n_boot=0, n_perm=2000)
    >>> lines = audit_lines(audit)
    >>> print(lines[0])
    abstract_funnel: partly supported (3 of 5 readings supported) [Abstract, line 5]
    >>> print(lines[1].split(" | ")[0])
      [1] supported: 320 (Attended presentations, recruitment funnel)
    >>> print(lines[-1])  # doctest: +NORMALIZE_WHITESPACE
    23 testable claims: 5 supported, 1 holds in the sample only, 5 partly supported,
    12 not supported; 6 claims cannot be tested
    """
    lines: list[str] = []
    table = claim_verdicts(audit)
    for claim in table.to_dict("records"):
        gate = ", must hold" if claim["must_hold"] else ""
        n_readings, n_supported = int(claim["n_readings"]), int(claim["n_supported"])
        n_sample = int(claim["n_sample_only"])
        sample = f", {n_sample} holding in the sample only" if n_sample else ""
        if n_readings:
            count = f" ({n_supported} of {n_readings} readings supported{sample}{gate})"
        else:
            count = f" ({gate[2:]})" if gate else ""
        lines.append(f"{claim['claim_id']}: {claim['verdict']}{count} [{claim['source']}]")
        for r in audit[audit["claim_id"] == claim["claim_id"]].to_dict("records"):
            if int(r["reading_no"]) == 0:
                lines.append(f"  {r['verdict_text']}")
                continue
            blanks = f"; blanks: {r['strategy']}" if str(r["strategy"]) else ""
            lines.append(
                f"  [{r['reading_no']}] {r['verdict_text']} | "
                f"{r['statistic']}({r['arguments']}) {r['comparison']}{blanks}"
            )
    lines.append(summary_line(table))
    return lines


def summary_line(verdicts: pd.DataFrame) -> str:
    """The count of claims per verdict in one grammatical line (rule 15 of
    :mod:`cma_research.reporting.rules`: numerals, singular for 1; verdicts with no
    claim are left out).

    Parameters
    ----------
    verdicts : DataFrame
        :func:`claim_verdicts` of an audit.

    Examples
    --------
    >>> import pandas as pd
    >>> summary_line(pd.DataFrame({"verdict": ["supported"]}))
    '1 testable claim: 1 supported'
    >>> summary_line(pd.DataFrame({"verdict": ["supported", "not supported",
    ...                                         "cannot be tested"]}))
    '2 testable claims: 1 supported, 1 not supported; 1 claim cannot be tested'
    >>> summary_line(pd.DataFrame({"verdict": ["cannot be tested"] * 2}))
    '0 testable claims; 2 claims cannot be tested'
    """
    counts = verdicts["verdict"].astype(str).value_counts()
    untestable = int(counts.get("cannot be tested", 0))
    testable = len(verdicts) - untestable
    parts = [f"{int(counts[v])} {v}" for v in VERDICTS[:-1] if int(counts.get(v, 0))]
    line = f"{testable} testable claim{'' if testable == 1 else 's'}"
    if parts:
        line += ": " + ", ".join(parts)
    if untestable:
        line += f"; {untestable} claim{'' if untestable == 1 else 's'} cannot be tested"
    return line


# -- the statistics, one function each ---------------------------------------------


_NAN = float("nan")


@dataclass(frozen=True)
class Result:
    """One reading's value, interval, p, ``n`` and text (or why it cannot be tested)."""

    value: float = _NAN
    ci95_low: float = _NAN
    ci95_high: float = _NAN
    p_val: float = _NAN
    n: int | None = None
    text: str = ""
    untestable: str | None = None
    #: The businesses the value describes, when ``n`` counts something else (assessments).
    n_businesses: int | None = None


@dataclass
class Context:
    """What every statistic reads: the cohort, the funnel, seeds and a table cache."""

    cohort: Cohort
    recruitment: pd.DataFrame | None
    seed: int
    n_boot: int
    n_perm: int
    claim: Claim | None = None
    cache: dict[tuple[Any, ...], pd.DataFrame] = field(default_factory=dict)
    #: Every wave of the returns, and the (baseline, follow-up) codes of the statistics
    #: of change, or why there are none.
    all_waves: Cohort | None = None
    pair: tuple[int, int] | str = "needs returns from two waves (the returns have one)"

    def change(self, r: Reading, seed: int, n_boot: int, n_perm: int) -> pd.DataFrame:
        """paired_change between the pair of waves under the reading's strategy, once."""
        if isinstance(self.pair, str) or self.all_waves is None:
            raise ParameterError(str(self.pair))
        key = ("paired_change", r.strategy, r.min_stages, seed, n_boot, n_perm)
        if key not in self.cache:
            b, f = self.pair
            self.cache[key] = paired_change(
                self.all_waves, b, f, **_strategy_kw(r), seed=seed, n_boot=n_boot, n_perm=n_perm
            ).set_index("stage")
        return self.cache[key]

    def table(self, what: str, r: Reading) -> pd.DataFrame:
        """level_distribution or business_scores under the reading's strategy, once each."""
        key = (what, r.strategy, r.min_stages)
        if key not in self.cache:
            fn = level_distribution if what == "level_distribution" else business_scores
            self.cache[key] = fn(self.cohort, **_strategy_kw(r))
        return self.cache[key]


#: A statistic's computation: the reading's value, interval, p and text on the cohort.
Compute = Callable[[Context, Reading], Result]

#: The function computing each statistic of :data:`cma_research.io.claims.STATISTICS`,
#: by name (filled by ``@_computes``; checked by :func:`check_registry` at import).
COMPUTE: dict[str, Compute] = {}


def _computes(name: str) -> Callable[[Compute], Compute]:
    """Register the decorated function as the computation of statistic ``name``."""

    def register(fn: Compute) -> Compute:
        if name in COMPUTE:
            raise RuntimeError(f"statistic {name!r} has two computations")
        COMPUTE[name] = fn
        return fn

    return register


def check_registry(compute: Mapping[str, object]) -> None:
    """Check that ``compute`` has one function for each statistic a claims file may name.

    Run at import on :data:`COMPUTE`, so the vocabulary of
    :data:`cma_research.io.claims.STATISTICS` and the audit cannot drift apart.

    Raises
    ------
    RuntimeError
        Naming each statistic without a computation and each computation for a
        statistic the vocabulary does not declare.

    Examples
    --------
    >>> check_registry(COMPUTE)
    >>> check_registry({k: v for k, v in COMPUTE.items() if k != "modal_level"})
    Traceback (most recent call last):
    ...
    RuntimeError: audit_claims does not compute 'modal_level', which ... declares
    """
    missing = [name for name in STATISTICS if name not in compute]
    extra = [name for name in compute if name not in STATISTICS]
    problems = []
    if missing:
        problems.append(
            f"audit_claims does not compute {', '.join(map(repr, missing))}, which "
            "cma_research.io.claims.STATISTICS declares"
        )
    if extra:
        problems.append(
            f"audit_claims computes {', '.join(map(repr, extra))}, which "
            "cma_research.io.claims.STATISTICS does not declare"
        )
    if problems:
        raise RuntimeError("; ".join(problems))


def compute_reading(ctx: Context, r: Reading) -> Result:
    """The reading's statistic on the cohort (or why it cannot be tested)."""
    if r.statistic not in COMPUTE:  # a Reading built by hand may name anything
        raise ParameterError(f"statistic {r.statistic!r} has no implementation in audit_claims")
    if STATISTICS[r.statistic].data == "recruitment" and ctx.recruitment is None:
        return Result(untestable="needs the recruitment funnel (recruitment=...)")
    if STATISTICS[r.statistic].data == "change" and isinstance(ctx.pair, str):
        return Result(untestable=ctx.pair)
    return COMPUTE[r.statistic](ctx, r)


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


@_computes("share_businesses_below")
def _share_businesses_below(ctx: Context, r: Reading) -> Result:
    scores = ctx.table("business_scores", r)
    values = scores[r.args["score"]].to_numpy(dtype=float, na_value=np.nan)
    values = values[~np.isnan(values)]
    k = int((values < r.args["level"]).sum())
    return _share(k, len(values), "of businesses")


def _distribution_row(ctx: Context, r: Reading) -> pd.Series:
    dist = ctx.table("level_distribution", r)
    return dist[dist["stage"] == r.args["stage"]].iloc[0]


@_computes("share_at_levels")
def _share_at_levels(ctx: Context, r: Reading) -> Result:
    row = _distribution_row(ctx, r)
    k = int(sum(row[f"n_level_{v}"] for v in r.args["levels"]))
    stage = r.args["stage"]
    noun = (
        "of assessments"
        if stage == "all"
        else f"of the businesses assessed on {_stage_text(ctx, stage)}"
    )
    if stage == "all":
        return _pooled_share(ctx, r, noun)
    return _share(k, int(row["n_assessed"]), f"{noun} at {_levels_text(r.args['levels'])}")


def _pooled_share(ctx: Context, r: Reading, noun: str) -> Result:
    """A share of all assessments, its interval from the cluster bootstrap over
    businesses (:func:`~cma_research.stats.clustered.cluster_share`): the assessments of
    one business are not independent."""
    c = prepared(ctx.cohort, str(r.strategy), min_stages=r.min_stages, what="audit_claims")
    values = c.scores.to_numpy(dtype=float, na_value=np.nan)
    per_n = (~np.isnan(values)).sum(axis=1)
    per_k = np.isin(values, list(r.args["levels"])).sum(axis=1)
    n = int(per_n.sum())
    if n == 0:
        return Result(n=0, untestable=f"no assessments for the share (n = 0): {noun}")
    res = cluster_share(
        per_k, per_n, n_boot=DEFAULT_CLUSTER_BOOT, rng=np.random.default_rng(ctx.seed)
    )
    k, lo, hi, g = int(per_k.sum()), res["ci95_low"], res["ci95_high"], res["n_clusters"]
    return Result(
        value=k / n,
        ci95_low=lo,
        ci95_high=hi,
        n=n,
        n_businesses=int(g),
        text=f"{_pct(k / n)} {noun} at {_levels_text(r.args['levels'])}, 95% CI "
        f"{100 * lo:.1f}\u2013{_pct(hi)} ({k} of {n}; cluster bootstrap over {g} businesses)",
    )


@_computes("count_at_levels")
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


@_computes("modal_level")
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


@_computes("share_band_among_levels")
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


@_computes("correlation")
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


def _change_row(ctx: Context, r: Reading) -> tuple[pd.Series, str]:
    """The reading's row of paired_change and the pair of waves in words."""
    a = r.args
    table = ctx.change(
        r,
        seed=ctx.seed if a.get("seed") is None else a["seed"],
        n_boot=ctx.n_boot if a.get("n_boot") is None else a["n_boot"],
        n_perm=ctx.n_perm if a.get("n_perm") is None else a["n_perm"],
    )
    row = table.loc[a["score"]]
    what = "mean level" if a["score"] == "mean" else _stage_text(ctx, a["score"])
    return row, f"{what}, {row['baseline']} to {row['follow_up']}"


@_computes("share_improved")
def _share_improved(ctx: Context, r: Reading) -> Result:
    row, where = _change_row(ctx, r)
    n = int(row["n_pairs"])
    if n == 0:
        return Result(n=0, untestable=f"no business has the score at both waves ({where})")
    return _share(int(row["n_improved"]), n, f"of businesses improved ({where})")


@_computes("median_change")
def _median_change(ctx: Context, r: Reading) -> Result:
    row, where = _change_row(ctx, r)
    n = int(row["n_pairs"])
    if n == 0:
        return Result(n=0, untestable=f"no business has the score at both waves ({where})")
    value = float(row["median_change"])
    return Result(
        value=value,
        n=n,
        text=f"median change {format_number(value)} levels ({where}; n = {n})",
    )


@_computes("paired_test")
def _paired_test(ctx: Context, r: Reading) -> Result:
    row, where = _change_row(ctx, r)
    n = int(row["n_pairs"])
    r_value = float(row["rank_biserial"])
    if n == 0 or math.isnan(r_value):
        return Result(n=n, untestable=f"no change to test ({where}; n = {n})")
    lo, hi = float(row["ci95_low"]), float(row["ci95_high"])
    p = float(row["p_val"])
    ci = (
        f", 95% CI [{format_number(lo, bounded=True)}, {format_number(hi, bounded=True)}]"
        if not (math.isnan(lo) or math.isnan(hi))
        else ""
    )
    return Result(
        value=r_value,
        ci95_low=lo,
        ci95_high=hi,
        p_val=p,
        n=n,
        text=(
            f"matched-pairs rank-biserial r = {format_number(r_value, bounded=True)}{ci}, "
            f"{_format_p(p)} (Wilcoxon signed-rank; {where}; n = {n})"
        ),
    )


@_computes("n_businesses")
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


@_computes("recruitment_count")
def _recruitment_count(ctx: Context, r: Reading) -> Result:
    k = _funnel_count(ctx, r.args["step"])
    return Result(value=float(k), n=k, text=f"{k} ({r.args['step']}, recruitment funnel)")


@_computes("recruitment_share")
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


check_registry(COMPUTE)  # every statistic of the vocabulary has its function

"""Audit a paper's claims against its own data: each reading computed, compared, judged.

Every statistic a claim may name is computed by the package's public functions
(:func:`~cma_research.level_distribution`, :func:`~cma_research.business_scores`,
:func:`~cma_research.correlate`, :func:`~cma_research.size_band`, the table of
:func:`~cma_research.load_recruitment`), so a claim and a table can never disagree
(the registry: :mod:`cma_research.analysis.claim_statistics`).

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

Verdicts. Each reading is ``supported`` (its comparison holds), ``not supported`` or
``cannot be tested`` (the data it needs are absent: no recruitment funnel, no business
left under the strategy, a covariate the cohort lacks). A claim (``claim_verdict``, on
every row of the claim, and :func:`claim_verdicts`) is ``supported`` when every reading
is supported, ``not supported`` when none is, ``cannot be tested`` when no reading
could be tested (or the file marks it ``cannot_test``), and ``partly supported`` when
its readings disagree (including supported readings beside untestable ones).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from cma_research.analysis.claim_statistics import Context, compute_reading
from cma_research.analysis.prepare import check_choice
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.io.claim_terms import CLAIM_STRATEGIES
from cma_research.io.claims import Claim, Claims, Reading
from cma_research.io.recruitment import load_recruitment

__all__ = [
    "AUDIT_COLUMNS",
    "VERDICTS",
    "audit_claims",
    "audit_lines",
    "claim_verdicts",
    "claims_gate",
]

#: The four verdicts, in the order a summary reports them.
VERDICTS: tuple[str, ...] = ("supported", "partly supported", "not supported", "cannot be tested")
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
) -> pd.DataFrame:
    """Compute every reading of every claim on the cohort and judge it.

    Parameters
    ----------
    cohort : Cohort
        One wave of returns, on the instrument the claims were written for.
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
        For correlation readings that do not set their own (bootstrap CI and
        permutation p, see :func:`~cma_research.correlate`).

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
        ``comparison``, ``verdict`` (this reading: ``supported``, ``not supported``,
        ``cannot be tested``), ``claim_verdict`` (the claim: also ``partly
        supported`` when its readings disagree; the same on each of its rows) and
        ``verdict_text`` (e.g. ``not supported: 12.5% of businesses, 95% CI
        1.6–38.3% (2 of 16)``). Nothing is rounded except in ``verdict_text``.

    Raises
    ------
    ParameterError
        The claims were written for another instrument, an unknown strategy, or a
        funnel step the recruitment table does not have.

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
    ctx = Context(cohort, funnel, seed, n_boot, n_perm)
    rows: list[dict[str, Any]] = []
    for claim in claims:
        ctx.claim = claim
        base = {
            "claim_id": claim.id,
            "quote": claim.quote,
            "source": claim.source,
            "must_hold": claim.must_hold,
        }
        if claim.cannot_test is not None:
            rows.append(
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
            )
            continue
        claim_rows: list[dict[str, Any]] = []
        for i, reading in enumerate(_readings(claim, strategy, min_stages), 1):
            res = compute_reading(ctx, reading)
            if res.untestable is not None:
                verdict, detail = "cannot be tested", res.untestable
            else:
                c = reading.comparison
                missing = math.isnan(res.p_val) if c.on_p else math.isnan(res.value)
                holds = not missing and c.holds(res.value, res.p_val)
                verdict = "supported" if holds else "not supported"
                detail = res.text
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
        rows.extend({**r, "claim_verdict": overall} for r in claim_rows)
    out = pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
    for col in ("value", "ci95_low", "ci95_high", "p_val"):
        out[col] = out[col].astype(float)
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
        ``n_supported``, ``n_not_supported``, ``n_cannot_test`` (readings; 0 readings
        for a ``cannot_test`` claim), ``verdict`` (the claim's verdict), in file order.

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
    """The ``must_hold: true`` claims that are not supported, one line each.

    A must-hold claim passes only when every one of its readings is supported
    (``claim_verdict == "supported"``); a claim missing from the table fails too. An
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
        if verdict != "supported":
            failing = rows[rows["verdict"] != "supported"]["verdict_text"]
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
    >>> print(lines[-1])
    29 claims: 6 supported, 5 partly supported, 12 not supported, 6 cannot be tested
    """
    lines: list[str] = []
    table = claim_verdicts(audit)
    for claim in table.to_dict("records"):
        gate = ", must hold" if claim["must_hold"] else ""
        n_readings, n_supported = int(claim["n_readings"]), int(claim["n_supported"])
        if n_readings:
            count = f" ({n_supported} of {n_readings} readings supported{gate})"
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
    counts = table["verdict"].value_counts()
    lines.append(
        f"{len(table)} claims: " + ", ".join(f"{int(counts.get(v, 0))} {v}" for v in VERDICTS)
    )
    return lines

"""audit_claims: every reading of the founding paper's claims against a hand computation
from the CSV (plain Python, csv module), and verdicts that change when the data change."""

from __future__ import annotations

import csv
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import cma_research as cma
from cma_research.analysis.claims import (
    AUDIT_COLUMNS,
    COMPUTE,
    VERDICTS,
    audit_lines,
    check_registry,
    claim_verdicts,
    claims_gate,
)
from cma_research.io.claims import STATISTICS, Claims
from tests.paths import BUNDLED, ROOT

#: The statistics of change (two waves), not in the bundled claims file.
CHANGE = {"share_improved", "median_change", "paired_test"}

CLAIMS = ROOT / "data" / "raw" / "customer_wise_2007_claims.yaml"
FUNNEL = ROOT / "data" / "raw" / "customer_wise_2007_recruitment.csv"
FAST = {"n_boot": 0, "n_perm": 2000, "seed": 1}


# -- an independent reading of the files --------------------------------------------------


def read_table(path: Path = BUNDLED) -> list[dict[str, Any]]:
    """Rows of Table 4: staff (int) and levels per stage number (int or None = blank)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        {
            "staff": int(r["Staff No"]),
            "levels": {i: (int(r[str(i)]) if r[str(i)].strip() else None) for i in range(1, 11)},
        }
        for r in rows
    ]


def read_funnel() -> dict[str, int]:
    with FUNNEL.open(encoding="utf-8", newline="") as fh:
        return {r["step"]: int(r["count"]) for r in csv.DictReader(fh)}


def clopper_pearson(k: int, n: int) -> tuple[float, float]:
    # the exact interval from beta quantiles (not binomtest): R binom.test(k, n)$conf.int
    lo = 0.0 if k == 0 else stats.beta.ppf(0.025, k, n - k + 1)
    hi = 1.0 if k == n else stats.beta.ppf(0.975, k + 1, n - k)
    return float(lo), float(hi)


def stage_number(stage: str) -> int:
    return int(stage.removeprefix("stage_"))


def by_hand(statistic: str, args: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The reading's value computed from the CSV rows (available-case: blanks skipped)."""
    if statistic == "share_businesses_below":
        pick = {"mean": statistics.mean, "median": statistics.median, "min": min, "max": max}
        scores = [
            pick[args["score"]]([v for v in r["levels"].values() if v is not None]) for r in rows
        ]
        k = sum(s < args["level"] for s in scores)
        return {"value": k / len(scores), "n": len(scores), "ci": clopper_pearson(k, len(scores))}
    if statistic in ("share_at_levels", "count_at_levels", "modal_level"):
        stages = range(1, 11) if args["stage"] == "all" else [stage_number(args["stage"])]
        cells = [r["levels"][s] for r in rows for s in stages if r["levels"][s] is not None]
        if statistic == "modal_level":
            counts = Counter(cells).most_common()
            tie = len(counts) > 1 and counts[0][1] == counts[1][1]
            return {"value": np.nan if tie else counts[0][0], "n": len(cells)}
        k = sum(c in args["levels"] for c in cells)
        if statistic == "count_at_levels":
            return {"value": k, "n": len(cells)}
        return {"value": k / len(cells), "n": len(cells), "ci": clopper_pearson(k, len(cells))}
    if statistic == "share_band_among_levels":
        s = stage_number(args["stage"])
        at = [r for r in rows if r["levels"][s] in args["levels"]]
        assert args["band"] == "micro"
        k = sum(r["staff"] < 10 for r in at)
        return {"value": k / len(at), "n": len(at), "ci": clopper_pearson(k, len(at))}
    if statistic == "correlation":
        s = stage_number(args["score"])
        pairs = [(r["staff"], r["levels"][s]) for r in rows if r["levels"][s] is not None]
        res = stats.spearmanr(*zip(*pairs, strict=True))
        return {"value": res.statistic, "n": len(pairs)}
    if statistic == "n_businesses":
        return {"value": len(rows), "n": len(rows)}
    funnel = read_funnel()
    if statistic == "recruitment_count":
        return {"value": funnel[args["step"]], "n": funnel[args["step"]]}
    if statistic == "recruitment_share":
        return {"value": funnel[args["step"]] / funnel[args["of"]], "n": funnel[args["of"]]}
    raise AssertionError(f"no hand computation for {statistic}")


@pytest.fixture(scope="module")
def claims() -> Claims:
    return cma.load_claims(CLAIMS)


@pytest.fixture(scope="module")
def audit(claims: Any) -> pd.DataFrame:
    cohort = cma.load_returns(BUNDLED)
    return cma.audit_claims(cohort, claims, recruitment=FUNNEL, **FAST)


def write_table(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    path = tmp_path / "altered.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Staff No", "Type", *map(str, range(1, 11))])
        for i, r in enumerate(rows):
            levels = ["" if r["levels"][s] is None else r["levels"][s] for s in range(1, 11)]
            w.writerow([r["staff"], f"type {i}", *levels])
    return path


def audit_of(tmp_path: Path, rows: list[dict[str, Any]], claims: Any) -> pd.DataFrame:
    cohort = cma.load_returns(write_table(tmp_path, rows))
    return cma.audit_claims(cohort, claims, recruitment=FUNNEL, **FAST)


def row(audit: pd.DataFrame, cid: str, no: int = 1) -> pd.Series:
    return audit[(audit["claim_id"] == cid) & (audit["reading_no"] == no)].iloc[0]


# -- the table ------------------------------------------------------------------------------


def test_audit_table_shape(audit: pd.DataFrame, claims: Any) -> None:
    assert tuple(audit.columns) == AUDIT_COLUMNS
    # one row per reading, one per cannot_test claim, in file order
    assert len(audit) == sum(max(len(c.readings), 1) for c in claims) == 51
    assert list(dict.fromkeys(audit["claim_id"])) == claims.ids
    assert set(audit["verdict"]) <= set(VERDICTS) - {"partly supported"}
    assert audit["n"].dtype == "Int64" and audit["reading_no"].dtype == "int64"
    untestable = audit[audit["reading_no"] == 0]
    assert (untestable["verdict"] == "cannot be tested").all()
    assert untestable["verdict_text"].str.startswith("cannot be tested: needs ").all()


def test_every_reading_matches_a_hand_computation(audit: pd.DataFrame, claims: Any) -> None:
    rows = read_table()
    checked = Counter()
    for claim in claims:
        for i, reading in enumerate(claim.readings, start=1):
            got = row(audit, claim.id, i)
            want = by_hand(reading.statistic, dict(reading.args), rows)
            assert reading.strategy in (None, "available_case")  # by_hand skips blanks
            assert int(got["n"]) == want["n"], (claim.id, i)
            assert_allclose(got["value"], want["value"], rtol=1e-12, err_msg=claim.id)
            if (
                "ci" in want
                and dict(reading.args).get("stage", "all") == "all"
                and (reading.statistic == "share_at_levels")
            ):
                # a share of all assessments: the cluster bootstrap over businesses is
                # wider than the binomial interval over assessments (design effect > 1)
                assert got["ci95_low"] < want["ci"][0] and got["ci95_high"] > want["ci"][1]
            elif "ci" in want:
                assert_allclose(
                    [got["ci95_low"], got["ci95_high"]], want["ci"], rtol=1e-6, err_msg=claim.id
                )
            else:
                assert np.isnan(got["ci95_low"]) or reading.statistic == "correlation"
            holds = reading.comparison.holds(float(want["value"]), None)
            expected = "supported" if holds else "not supported"
            if holds and "ci" in want:  # the interval reaches across the threshold (by hand)
                c, (lo, hi) = reading.comparison, want["ci"]
                across = {">": lo <= c.threshold, "<": hi >= c.threshold}[c.op]
                expected = "holds in the sample only" if across else "supported"
            assert got["verdict"] == expected, (claim.id, i)
            checked[reading.statistic] += 1
    # every statistic of the registry is exercised: the bundled claims use every one of
    # one wave; those of change are checked on two waves in test_claims_about_change
    assert set(checked) | CHANGE == set(STATISTICS)


def test_issue_example_and_verdict_text(audit: pd.DataFrame) -> None:
    # Table 4: two of sixteen businesses have a mean level below 1 (Rugby Club 0.4,
    # Manufactures Equine Products 0.9); 21 of 137 assessments are 0 (15.3%)
    mean_below = row(audit, "abstract_most_below_level_1", 2)
    assert mean_below["verdict_text"] == (
        "not supported: 12.5% of businesses, 95% CI 1.6–38.3% (2 of 16)"
    )
    cells = row(audit, "abstract_most_below_level_1", 4)
    assert (cells["value"], cells["n"]) == (21 / 137, 137)
    assert mean_below["claim_verdict"] == "not supported"
    assert row(audit, "results_administered_15")["verdict_text"] == (
        "not supported: 16 businesses in the returns"
    )
    corr = row(audit, "new_products_level_1_micro", 3)
    assert corr["verdict_text"].startswith("not supported: ρ = −.02")
    assert "n = 13" in corr["verdict_text"]
    assert 0 <= corr["p_val"] <= 1


def test_claim_verdicts_follow_the_readings(audit: pd.DataFrame) -> None:
    table = claim_verdicts(audit).set_index("claim_id")
    for cid, g in audit.groupby("claim_id"):
        verdicts = set(g["verdict"])
        expected = (
            "cannot be tested"
            if verdicts == {"cannot be tested"}
            else verdicts.pop()
            if len(verdicts) == 1
            else "holds in the sample only"
            if verdicts == {"supported", "holds in the sample only"}
            else "partly supported"
        )
        assert table.loc[cid, "verdict"] == expected == g["claim_verdict"].iloc[0], cid
    # 75% (12 of 16) below level 3 by the median, 95% CI 47.6-92.7%: "most" holds in these
    # sixteen businesses but the interval reaches one half; by the mean 81% (54.4-96.0%)
    good = audit[audit["claim_id"] == "abstract_no_processes_for_good_service"]
    assert good["verdict"].tolist() == ["holds in the sample only", "supported"]
    assert good["verdict_text"].iloc[0] == (
        "holds in the sample only: holds in these 16 businesses; not established beyond them "
        "(the 95% CI reaches 0.5): 75.0% of businesses, 95% CI 47.6–92.7% (12 of 16)"
    )
    assert table.loc["abstract_no_processes_for_good_service", "verdict"] == (
        "holds in the sample only"
    )
    assert table.loc["empowerment_only_two", "verdict"] == "partly supported"  # 2 at 5, 4 at 4-5
    assert table.loc["findings_16_radar_charts", "verdict"] == "supported"
    assert table.loc["summary_highest_growing", "verdict"] == "cannot be tested"
    assert Counter(table["verdict"]) == {
        "not supported": 12,
        "supported": 5,
        "holds in the sample only": 1,
        "cannot be tested": 6,
        "partly supported": 5,
    }
    lines = audit_lines(audit)
    assert len(lines) == len(table) + (audit["reading_no"] > 0).sum() + 6 + 1
    assert lines[-1] == (
        "23 testable claims: 5 supported, 1 holds in the sample only, 5 partly supported, "
        "12 not supported; 6 claims cannot be tested"
    )


def test_gate_passes_on_the_papers_own_data(audit: pd.DataFrame, claims: Any) -> None:
    assert [c.id for c in claims if c.must_hold] == [
        "abstract_no_processes_for_good_service",
        "method_database",
        "findings_interest_eligible",
        "findings_16_radar_charts",
    ]
    assert claims_gate(audit, claims) == []
    assert claims_gate(audit[audit["claim_id"] != "method_database"], claims) == [
        "claim 'method_database' must hold but is not in the audit table"
    ]


# -- verdicts on altered data ---------------------------------------------------------------


def test_a_claim_that_holds_stops_holding_when_a_row_is_dropped(
    tmp_path: Path, claims: Any
) -> None:
    rows = read_table()[:-1]  # 15 businesses, as the abstract says
    audit = audit_of(tmp_path, rows, claims)
    assert row(audit, "findings_16_radar_charts")["verdict"] == "not supported"
    assert row(audit, "findings_16_radar_charts", 2)["verdict"] == "supported"  # the funnel
    assert row(audit, "results_administered_15")["verdict"] == "supported"
    gate = claims_gate(audit, claims)
    assert gate == [
        "claim 'findings_16_radar_charts' must hold but is partly supported: "
        "not supported: 15 businesses in the returns"
    ]


def test_shares_and_counts_follow_altered_levels(tmp_path: Path, claims: Any) -> None:
    rows = read_table()
    for r in rows:  # everyone at 0 on every assessed stage, except two stage-9 leaders
        r["levels"] = {s: (None if v is None else 0) for s, v in r["levels"].items()}
    rows[2]["levels"][9] = 5
    rows[8]["levels"][9] = 4
    audit = audit_of(tmp_path, rows, claims)
    # was not supported (12.5%), now every business fails to reach level 1
    assert row(audit, "abstract_most_below_level_1")["value"] == 1.0
    assert row(audit, "abstract_most_below_level_1")["claim_verdict"] == "supported"
    # was supported (75%), still supported
    assert row(audit, "abstract_no_processes_for_good_service")["verdict"] == "supported"
    # was: 2 at level 5 (supported), 4 at 4-5 (not); now 1 at 5 (not), 2 at 4-5 (supported)
    assert row(audit, "empowerment_only_two")["verdict"] == "not supported"
    assert row(audit, "empowerment_only_two", 2)["value"] == 2
    assert row(audit, "empowerment_only_two", 2)["verdict"] == "supported"
    assert row(audit, "empowerment_only_two")["claim_verdict"] == "partly supported"
    # the only modal level on customer knowledge is now 0
    assert row(audit, "knowledge_most_at_level_1", 3)["verdict_text"].startswith(
        "not supported: modal level 0"
    )
    # the correlation of a constant stage is undefined: cannot be tested, never guessed
    corr = row(audit, "new_products_level_1_micro", 3)
    assert corr["verdict"] == "cannot be tested"
    # nobody is at level 1 on new products any more: no share to compute
    assert row(audit, "new_products_level_1_micro")["verdict_text"] == (
        "cannot be tested: no businesses for the share (n = 0): "
        "micro among the businesses at level 1 on New Product Development"
    )
    # 8 of the 13 at level 0 or 1 are micro (62%, exact 95% CI 31.6-86.1%): holds here,
    # but the interval reaches one half
    micro = row(audit, "new_products_level_1_micro", 2)
    assert (micro["value"], int(micro["n"])) == (8 / 13, 13)
    assert_allclose([micro["ci95_low"], micro["ci95_high"]], clopper_pearson(8, 13))
    assert micro["verdict"] == "holds in the sample only"


def test_a_supported_claim_fails_when_everyone_reaches_level_5(tmp_path: Path, claims: Any) -> None:
    rows = read_table()
    for r in rows:
        r["levels"] = {s: (None if v is None else 5) for s, v in r["levels"].items()}
    audit = audit_of(tmp_path, rows, claims)
    good_service = audit[audit["claim_id"] == "abstract_no_processes_for_good_service"]
    assert (good_service["value"] == 0).all()
    assert set(good_service["verdict"]) == {"not supported"}
    assert any("abstract_no_processes_for_good_service" in g for g in claims_gate(audit, claims))


def test_modal_level_ties_are_not_a_mode(tmp_path: Path) -> None:
    rows = read_table()[:4]  # stage 7 assessed for rows 2 and 3 only: levels 1 and 3
    text = """\
claims:
  - id: mode
    quote: q
    source: {section: S, line: 1}
    readings:
      - {reading: r, statistic: modal_level, args: {stage: 7}, comparison: "== 1",
         strategy: available_case}
"""
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    cohort = cma.load_returns(write_table(tmp_path, rows))
    audit = cma.audit_claims(cohort, cma.load_claims(path))
    r = audit.iloc[0]
    assert np.isnan(r["value"]) and r["n"] == 2
    assert r["verdict_text"] == (
        "not supported: no single modal level: level 1 or 3 tie, 1 each "
        "(of 2 on Customer Knowledge)"
    )


# -- strategies, funnel and mixed verdicts ----------------------------------------------------


def write_claims(tmp_path: Path, readings: str, cid: str = "x") -> Any:
    path = tmp_path / f"{cid}.yaml"
    path.write_text(
        f"claims:\n  - id: {cid}\n    quote: q\n    source: {{section: S, line: 1}}\n"
        f"    readings:\n{readings}",
        encoding="utf-8",
    )
    return cma.load_claims(path)


def test_strategy_override_and_complete_cases(audit: pd.DataFrame, claims: Any) -> None:
    cohort = cma.load_returns(BUNDLED)
    cc = cma.audit_claims(cohort, claims, recruitment=FUNNEL, strategy="complete_case", **FAST)
    # 12 businesses have every stage assessed (hand count from the CSV)
    complete = [r for r in read_table() if None not in r["levels"].values()]
    assert len(complete) == 12
    assert row(cc, "findings_16_radar_charts")["value"] == 12
    assert row(cc, "findings_16_radar_charts")["strategy"] == "complete_case"
    assert row(cc, "findings_16_radar_charts", 2)["strategy"] == ""  # funnel: no strategy
    want = by_hand("share_businesses_below", {"score": "mean", "level": 1}, complete)
    assert_allclose(row(cc, "abstract_most_below_level_1", 2)["value"], want["value"], rtol=1e-12)
    with pytest.raises(cma.ParameterError, match="min_stages"):
        cma.audit_claims(cohort, claims, strategy="min_stages")
    with pytest.raises(cma.ParameterError, match="strategy='multiple'"):
        cma.audit_claims(cohort, claims, strategy="multiple")


def test_mixed_and_untestable_readings(tmp_path: Path) -> None:
    claims = write_claims(
        tmp_path,
        """\
      - {reading: a, statistic: n_businesses, comparison: "== 16", strategy: available_case}
      - {reading: b, statistic: recruitment_count, args: {step: Eligible}, comparison: "== 90"}
""",
    )
    cohort = cma.load_returns(BUNDLED)
    without = cma.audit_claims(cohort, claims)  # no funnel: the second reading is untestable
    assert list(without["verdict"]) == ["supported", "cannot be tested"]
    assert without["verdict_text"].iloc[1] == (
        "cannot be tested: needs the recruitment funnel (recruitment=...)"
    )
    assert set(without["claim_verdict"]) == {"partly supported"}
    with_funnel = cma.audit_claims(cohort, claims, recruitment=cma.load_recruitment(FUNNEL))
    assert set(with_funnel["claim_verdict"]) == {"supported"}


def test_p_value_comparison_and_missing_covariate(tmp_path: Path) -> None:
    claims = write_claims(
        tmp_path,
        """\
      - {reading: a, statistic: correlation, args: {score: mean, n_perm: 5000, seed: 3},
         comparison: "p < .05", strategy: complete_case}
      - {reading: b, statistic: correlation, args: {score: mean}, comparison: "direction positive",
         strategy: complete_case}
      - {reading: c, statistic: correlation, args: {covariate: growth}, comparison: "p < .05",
         strategy: complete_case}
""",
    )
    cohort = cma.load_returns(BUNDLED)
    audit = cma.audit_claims(cohort, claims, n_boot=0, n_perm=2000)
    # the same call to the package's correlate gives the same r and p (no second implementation)
    ref = cma.correlate(cohort, "staff", "mean", n_boot=0, n_perm=5000, seed=3).iloc[0]
    first = audit.iloc[0]
    assert first["value"] == ref["r"] and first["p_val"] == ref["p_perm"]
    assert first["verdict"] == ("supported" if ref["p_perm"] < 0.05 else "not supported")
    # and scipy agrees on r (complete cases: 12 businesses)
    complete = [r for r in read_table() if None not in r["levels"].values()]
    r_scipy = stats.spearmanr(
        [r["staff"] for r in complete], [statistics.mean(r["levels"].values()) for r in complete]
    ).statistic
    assert_allclose(first["value"], r_scipy, rtol=1e-12)
    # r = .52 > 0 in these 12 businesses, but its 95% interval (Fisher z, the default
    # whatever n_boot) reaches below 0: the direction holds in the sample only
    second = audit.iloc[1]
    assert second["value"] > 0 and second["ci95_low"] < 0 < second["ci95_high"]
    assert second["verdict"] == "holds in the sample only"
    assert audit.iloc[2]["verdict"] == "cannot be tested"
    assert "growth" in audit.iloc[2]["verdict_text"]


def test_bad_audit_arguments(tmp_path: Path, claims: Any) -> None:
    cohort = cma.load_returns(BUNDLED)
    bad_step = write_claims(
        tmp_path,
        "      - {reading: a, statistic: recruitment_count, args: {step: Visited},\n"
        '         comparison: "== 1"}\n',
    )
    with pytest.raises(cma.ParameterError, match="claim 'x': step 'Visited' is not a step"):
        cma.audit_claims(cohort, bad_step, recruitment=FUNNEL)
    other = cma.synthetic_cohort(n_businesses=5, seed=1, instrument="managing_customers_framework")
    with pytest.raises(cma.ParameterError, match="written for instrument 'customer_wise_2007'"):
        cma.audit_claims(other, claims)
    with pytest.raises(cma.ParameterError, match="load_recruitment table"):
        cma.audit_claims(cohort, claims, recruitment=pd.DataFrame({"x": [1]}))


# -- one registry: the vocabulary of io.claims, computed here --------------------------------


def test_every_statistic_of_the_vocabulary_has_one_computation() -> None:
    assert list(COMPUTE) == list(STATISTICS)  # same names, declared in the same order
    assert all(callable(fn) for fn in COMPUTE.values())
    check_registry(COMPUTE)


def test_a_missing_or_extra_computation_is_refused() -> None:
    def extra_fn(ctx: object, r: object) -> None:
        return None

    missing = {k: v for k, v in COMPUTE.items() if k not in ("correlation", "modal_level")}
    with pytest.raises(RuntimeError, match="does not compute 'modal_level', 'correlation', which"):
        check_registry(missing)
    with pytest.raises(RuntimeError, match=r"computes 'median_staff', which .* does not declare"):
        check_registry({**COMPUTE, "median_staff": extra_fn})


def test_a_statistic_without_a_computation_fails_at_import() -> None:
    # A statistic added to the vocabulary only: importing the audit module fails, naming it.
    code = (
        "from cma_research.io import claims\n"
        "claims.STATISTICS['median_staff'] = claims.StatisticSpec('median_staff', 'x', {})\n"
        "import cma_research.analysis.claims\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode != 0
    assert out.stderr.strip().splitlines()[-1] == (
        "RuntimeError: audit_claims does not compute 'median_staff', which "
        "cma_research.io.claims.STATISTICS declares"
    )


# -- against R (tests/analysis/results/make_results.R)-------------------------------------


def test_readings_match_r(audit: pd.DataFrame) -> None:
    from tests.analysis.results import results_claims as R

    compared = 0
    for r in audit[audit["reading_no"] > 0].itertuples(index=False):
        name = f"{r.claim_id}_{r.reading_no}"
        if not hasattr(R, f"{name}_value"):
            continue  # funnel counts and n_businesses: hand-checked above
        assert int(r.n) == getattr(R, f"{name}_n"), name
        want = np.atleast_1d(getattr(R, f"{name}_value")).astype(float)
        if np.isnan(r.value):  # a tied mode: R lists every modal level
            assert len(want) > 1, name
        else:
            assert_allclose(r.value, want, rtol=1e-12, err_msg=name)
        pooled = r.statistic == "share_at_levels" and "of assessments" in str(r.verdict_text)
        if pooled:  # cluster bootstrap over businesses: boot::boot.ci(type = "bca")
            from tests.stats.results import results_clustered as C

            key = "k0" if "at level 0," in str(r.verdict_text) else "k01"
            assert_allclose([r.ci95_low, r.ci95_high], getattr(C, f"{key}_boot_bca"), atol=0.01)
        elif hasattr(R, f"{name}_ci"):  # binom.test: exact Clopper-Pearson
            assert_allclose([r.ci95_low, r.ci95_high], getattr(R, f"{name}_ci"), rtol=1e-6)
        compared += 1
    assert compared == 28  # every R-computable reading (funnel and n_businesses are counts)


def test_size_correlation_matches_r() -> None:
    from tests.analysis.results import results_claims as R

    cohort = cma.load_returns(BUNDLED)
    res = cma.correlate(cohort, "staff", "mean", n_boot=0, n_perm=1000).iloc[0]
    assert res["n"] == R.n_complete
    assert_allclose(res["r"], R.mean_staff_complete_case_r, rtol=1e-12)
    assert_allclose(res["p_val"], R.mean_staff_complete_case_p, rtol=1e-10)


# -- the sample and the population ------------------------------------------------------------


def test_the_same_share_on_four_times_the_businesses_is_established(
    tmp_path: Path, claims: Any
) -> None:
    # Table 4 four times over (64 businesses, the same shares): 75% below level 3 by the
    # median now has the exact interval 62.6-85.0%, wholly above one half
    rows = read_table() * 4
    audit = audit_of(tmp_path, rows, claims)
    good = row(audit, "abstract_no_processes_for_good_service")
    assert good["value"] == 0.75 and int(good["n"]) == 64
    lo, hi = clopper_pearson(48, 64)
    assert lo > 0.5
    assert_allclose([good["ci95_low"], good["ci95_high"]], [lo, hi], rtol=1e-6)
    assert good["verdict"] == "supported" and good["claim_verdict"] == "supported"
    # and the opposite side: 4 of 16 (25%) "few" (< 0.25) is not supported, with 4 of 17
    # it holds but the interval reaches 0.25 (checked on the comparison itself)
    from cma_research.io.claims import parse_comparison

    few = parse_comparison("< 0.25")
    assert few.holds(4 / 17, None) and not few.established(*clopper_pearson(4, 17))
    assert few.established(*clopper_pearson(40, 400))


# -- claims about change (two waves) ----------------------------------------------------------


CHANGE_CLAIMS = """\
instrument: customer_wise_2007
claims:
  - id: feedback_most_improved
    quote: "Most businesses improved on Feedback between rounds"
    source: {section: Own, line: 1}
    readings:
      - reading: "most = more than half of those assessed on Feedback at both waves moved up"
        statistic: share_improved
        args: {score: feedback}
        comparison: "> 0.5"
        strategy: available_case
      - reading: "improved = the median business's mean level rose"
        statistic: median_change
        comparison: "> 0"
        strategy: available_case
      - reading: "improved = a positive paired change in the mean level"
        statistic: paired_test
        args: {n_boot: 500}
        comparison: "direction positive"
        strategy: available_case
"""
TWO_WAVES = ROOT / "data" / "raw" / "customer_wise_2007_two_waves_SYNTHETIC.csv"


def read_two_waves() -> dict[tuple[str, str], dict[int, int | None]]:
    """(business, wave) -> levels by stage number, from the SYNTHETIC two-wave CSV."""
    with TWO_WAVES.open(encoding="utf-8", newline="") as fh:
        return {
            (r["business_id"], r["wave"]): {
                i: (int(r[f"stage_{i}"]) if r[f"stage_{i}"].strip() else None) for i in range(1, 11)
            }
            for r in csv.DictReader(fh)
        }


def test_claims_about_change(tmp_path: Path) -> None:
    path = tmp_path / "change_claims.yaml"
    path.write_text(CHANGE_CLAIMS, encoding="utf-8")
    claims = cma.load_claims(path)
    two = cma.load_returns(TWO_WAVES)
    audit = cma.audit_claims(two, claims, **FAST)
    table = read_two_waves()
    base, follow = "Baseline", "Follow-up (SYNTHETIC)"
    ids = [b for (b, w) in table if w == base and (b, follow) in table]
    # share improved on Feedback (stage 4), by hand
    pairs = [(table[(b, base)][4], table[(b, follow)][4]) for b in ids]
    pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
    up = sum(y > x for x, y in pairs)
    share = row(audit, "feedback_most_improved", 1)
    assert int(share["n"]) == len(pairs) and share["value"] == up / len(pairs)
    assert_allclose([share["ci95_low"], share["ci95_high"]], clopper_pearson(up, len(pairs)))
    assert share["verdict"] == ("supported" if up / len(pairs) > 0.5 else "not supported")

    def mean(levels: dict[int, int | None]) -> float:
        return statistics.mean(v for v in levels.values() if v is not None)

    d = np.array([mean(table[(b, follow)]) - mean(table[(b, base)]) for b in ids])
    median = row(audit, "feedback_most_improved", 2)
    assert_allclose(median["value"], np.median(d), rtol=1e-12)
    assert median["verdict"] == "supported" and np.median(d) > 0
    test = row(audit, "feedback_most_improved", 3)
    nz = d[np.abs(d) > 1e-12]
    ranks = stats.rankdata(np.abs(nz))
    r_rb = (ranks[nz > 0].sum() - ranks[nz < 0].sum()) / ranks.sum()
    assert_allclose(test["value"], r_rb, rtol=1e-9)
    # exact sign-flip p over all 2^12 sign patterns of the non-zero changes (scipy)
    res = stats.wilcoxon(
        nz, zero_method="wilcox", method=stats.PermutationMethod(n_resamples=np.inf)
    )
    assert_allclose(test["p_val"], res.pvalue, rtol=1e-9)
    # r > 0 but its interval includes 0: it holds in these businesses only
    assert test["ci95_low"] < 0 < test["value"]
    assert test["verdict"] == "holds in the sample only"
    assert test["verdict_text"].startswith(
        f"holds in the sample only: holds in these {int(test['n'])} businesses; not "
        "established beyond them (the 95% CI reaches 0): matched-pairs rank-biserial r = "
    )
    # baseline = follow-up, or one wave: cannot be tested, and why
    same = cma.audit_claims(two, claims, baseline_wave=follow, **FAST)
    assert set(same["verdict"]) == {"cannot be tested"}
    assert "the same wave ('Follow-up (SYNTHETIC)')" in same["verdict_text"].iloc[0]
    one = cma.audit_claims(cma.load_returns(BUNDLED), claims, **FAST)
    assert one["verdict_text"].iloc[0] == (
        "cannot be tested: needs returns from two waves (the returns have one)"
    )
    with pytest.raises(cma.ParameterError, match="wave='Nope' is not in this cohort"):
        cma.audit_claims(two, claims, wave="Nope", **FAST)
    assert audit_lines(audit)[-1] == "1 testable claim: 1 partly supported"

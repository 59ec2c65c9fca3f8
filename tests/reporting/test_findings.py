"""The findings paragraphs: counts from a hand count of the CSV; the sensitivity verdict
rule on small tables built by hand."""

from __future__ import annotations

import csv
import math
import statistics
from pathlib import Path

import pandas as pd

import cma_research as cma
from cma_research.core.cohort import Cohort
from cma_research.reporting.findings import sample_paragraph, sensitivity_paragraph

NAN = math.nan
COLUMNS = ["strategy", "r", "ci95_low", "ci95_high", "p_val", "p_perm", "note"]


def test_sample_paragraph_counts_equal_a_hand_count(cohort: Cohort, bundled_path: Path) -> None:
    with bundled_path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))[1:]
    staff = [int(r[0]) for r in rows]
    cells = [v for r in rows for v in r[2:12]]
    blank = sum(1 for v in cells if not v.strip())
    complete = sum(1 for r in rows if all(v.strip() for v in r[2:12]))
    micro = sum(s < 10 for s in staff)
    small = sum(10 <= s < 50 for s in staff)
    medium = sum(50 <= s < 250 for s in staff)
    large = sum(s >= 250 for s in staff)
    assert (len(rows), blank, complete, micro, small, medium, large) == (16, 23, 12, 11, 4, 1, 0)
    median = statistics.median(staff)
    assert median == 4
    assert sample_paragraph(cohort) == (
        f"The cohort has **{len(rows)}** audited businesses (staff from {min(staff)} to "
        f"{max(staff)}, median {median:g}): {micro} micro (< 10 staff), {small} small (10-49), "
        f"{medium} medium (50-249), {large} large (250+). Of the {len(cells)} stage "
        f"assessments expected (10 stages per business), {blank} were left blank (not "
        f"assessed); {complete} businesses were assessed on every stage."
    )


def table(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def test_all_strategies_agree_does_not_hinge() -> None:
    t = table(
        [
            ("complete_case", 0.52, -0.15, 0.89, 0.085, 0.09, ""),
            ("available_case", 0.39, -0.12, 0.74, 0.136, 0.14, ""),
            ("min_stages", 0.45, -0.05, 0.80, 0.07, NAN, None),
        ]
    )
    text = sensitivity_paragraph(t)
    assert text == (
        "Across three strategies the size correlation ranged from .39 to .52; every one gives "
        "the same verdict (no clear association), so the conclusion does not hinge on how "
        "blanks were handled."
    )


def test_strategies_that_differ_depends_on() -> None:
    t = table(
        [
            ("complete_case", 0.52, -0.15, 0.89, 0.085, NAN, ""),
            ("available_case", 0.61, 0.20, 0.85, 0.01, NAN, ""),
            # no interval: the permutation p (.03 < .05) decides, by the sign of r
            ("stage_median", -0.55, NAN, NAN, 0.2, 0.03, ""),
        ]
    )
    text = sensitivity_paragraph(t)
    assert "depends on" in text and "does not hinge" not in text
    assert text == (
        "Across three strategies the size correlation ranged from \u2212.55 to .61, and the "
        "verdict depends on the strategy (negative: stage_median; no clear association: "
        "complete_case; positive: available_case)."
    )


def test_strategies_with_a_note_are_left_out() -> None:
    t = table(
        [
            ("complete_case", 0.70, 0.30, 0.90, 0.001, NAN, ""),
            ("min_stages", NAN, NAN, NAN, NAN, NAN, "needs min_stages"),
        ]
    )
    assert sensitivity_paragraph(t) == (
        "Only one strategy (complete_case) could be applied to these data (r = .70), so "
        "there is nothing to compare it with."
    )
    none = table([("min_stages", NAN, NAN, NAN, NAN, NAN, "needs min_stages")])
    assert sensitivity_paragraph(none) == "No strategy could be applied to these data."


def test_the_reliability_paragraph_states_alpha_once(cohort: cma.Cohort) -> None:
    from cma_research.reporting.findings import reliability_paragraph
    from cma_research.reporting.text import apa

    row = cma.cronbach_alpha(cohort).iloc[0]
    text = reliability_paragraph(row, cohort)
    assert text.count(apa(row)) == 1
    assert text.endswith(".") and not text.endswith("..")

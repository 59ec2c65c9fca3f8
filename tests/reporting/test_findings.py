"""The findings paragraphs (reporting/findings) say what the numbers say.

One wave: counts against a hand count of the CSV; the size paragraph on Table 4 with its
staff numbers re-ordered (so the true direction is known); the sensitivity verdict on
small tables built by hand; another instrument in its own words. Between waves: the
direction words follow the intervals paired_change computed on waves shifted by hand,
and the attrition and model sentences follow their rules.
"""

from __future__ import annotations

import csv
import json
import math
import re
import statistics
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cma_research as cma
from cma_research.analysis.change import scores_by_wave
from cma_research.core.cohort import Cohort, CovariateSource
from cma_research.core.errors import ParameterError
from cma_research.reporting.findings import (
    attrition_sentence,
    attrition_tests_sentence,
    change_summary,
    distributions_intro,
    findings_intro,
    maturity_paragraph,
    nothing_to_compare,
    nothing_to_impute,
    reliability_intro,
    reliability_paragraph,
    sample_paragraph,
    sensitivity_paragraph,
    size_paragraph,
    verdict_words,
    wave_effect_sentence,
)
from cma_research.reporting.rules import (
    change_direction,
    reliability_phrase,
    reliability_word,
    strength_word,
)
from cma_research.reporting.text import apa
from tests.paths import ROOT

NAN = math.nan
KW = {"n_boot": 2000, "n_perm": 2000, "seed": 11}
COLUMNS = ["strategy", "r", "ci95_low", "ci95_high", "p_val", "p_perm", "note"]
EXAMPLE = ROOT / "data" / "raw" / "customer_wise_2007_two_waves_SYNTHETIC.csv"


def with_staff(cohort: Cohort, staff: np.ndarray) -> Cohort:
    attrs = cohort.attributes.copy()
    attrs["staff"] = pd.array(staff.astype(int), dtype="Int64")
    return replace(cohort, attributes=attrs)


def ordered_staff(cohort: Cohort, reverse: bool) -> np.ndarray:
    """The cohort's own staff numbers re-assigned in the order of the mean level
    (largest business = highest mean), or in reverse (smallest = highest mean)."""
    mean = cohort.scores.astype(float).mean(axis=1).to_numpy()
    staff = np.sort(cohort.attributes["staff"].to_numpy(dtype=float))
    order = np.argsort(-mean if reverse else mean, kind="stable")
    out = np.empty_like(staff)
    out[order] = staff
    return out


def findings(cohort: Cohort, strategy: str = "complete_case") -> tuple[pd.Series, str]:
    row = cma.correlate(cohort, "staff", "mean", "spearman", strategy, **KW).iloc[0]
    alpha = cma.cronbach_alpha(cohort).iloc[0]
    return row, size_paragraph(row, alpha, cohort, strategy)


# -- one wave -----------------------------------------------------------------------------


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
        "verdict depends on the strategy (negative: stage-median imputation; no clear "
        "association: complete cases; positive: available cases)."
    )


def test_strategies_with_a_note_are_left_out() -> None:
    t = table(
        [
            ("complete_case", 0.70, 0.30, 0.90, 0.001, NAN, ""),
            ("min_stages", NAN, NAN, NAN, NAN, NAN, "needs min_stages"),
        ]
    )
    assert sensitivity_paragraph(t) == (
        "Only one strategy (complete cases) could be applied to these data (r = .70), so "
        "there is nothing to compare it with."
    )
    none = table([("min_stages", NAN, NAN, NAN, NAN, NAN, "needs min_stages")])
    assert sensitivity_paragraph(none) == (
        "The size correlation could not be computed under any strategy: needs min_stages."
    )


def test_the_reliability_paragraph_states_alpha_once(cohort: cma.Cohort) -> None:
    row = cma.cronbach_alpha(cohort).iloc[0]
    text = reliability_paragraph(row, cohort)
    assert text.count(apa(row)) == 1
    assert text.endswith(".") and not text.endswith("..")


# -- the findings on altered Table 4 ---------------------------------------------------


def test_bundled_data(cohort: Cohort) -> None:
    row, text = findings(cohort)
    # rho = .52 with an interval that includes 0: no direction is claimed
    assert row["ci95_low"] < 0 < row["ci95_high"]
    assert text.startswith("**No clear association** between size and maturity:")
    assert "Larger businesses tended to score higher" not in text
    assert "is wide and includes 0, so the direction is not established" in text
    assert "The estimate itself is strong and leans towards higher scores in larger" in text
    assert apa(row) in text and "strategy complete_case, n = 12 of 16 businesses" in text
    # alpha .85 (good) but its lower bound .69 is below .70; alpha says nothing of
    # dimensionality, which 12 businesses cannot show (rule 4)
    assert "The internal consistency of the 10 stages is good" in text
    assert "hang together" not in text and "as a scale" not in text
    assert "dimensionality cannot be assessed with 12 businesses" in text
    assert "the interval's lower bound, .69, is below .70" in text


def test_reversed_staff_says_smaller_businesses_score_higher(cohort: Cohort) -> None:
    reversed_ = with_staff(cohort, ordered_staff(cohort, reverse=True))
    row, text = findings(reversed_)
    assert row["r"] < -0.9 and row["ci95_high"] < 0
    assert text.startswith(
        "**Smaller businesses tended to score higher** (a strong negative association):"
    )
    assert "Larger businesses tended" not in text and "larger businesses tended" not in text
    assert "is narrow and excludes 0: a strong negative association." in text
    assert "wide" not in text and "leans" not in text


def test_strong_positive(cohort: Cohort) -> None:
    row, text = findings(with_staff(cohort, ordered_staff(cohort, reverse=False)))
    assert row["r"] > 0.9 and row["ci95_low"] > 0
    assert text.startswith(
        "**Larger businesses tended to score higher** (a strong positive association):"
    )
    assert "excludes 0" in text and "not established" not in text


def test_null_association(cohort: Cohort) -> None:
    staff = cohort.attributes["staff"].to_numpy(dtype=float)
    rng = np.random.default_rng(5)
    for _ in range(500):  # a permutation of the staff numbers with |rho| < .05
        permuted = rng.permutation(staff)
        r = cma.correlate(with_staff(cohort, permuted), n_boot=0, n_perm=0).iloc[0]["r"]
        if abs(r) < 0.05:
            break
    row, text = findings(with_staff(cohort, permuted))
    assert abs(row["r"]) < 0.05 and strength_word(row["r"]) == "negligible"
    assert text.startswith("**No clear association** between size and maturity:")
    assert "leans" not in text and "tended to score higher" not in text


def test_low_alpha_when_stages_are_shuffled(cohort: Cohort) -> None:
    rng = np.random.default_rng(2)
    complete = cohort.subset(cohort.scores.notna().all(axis=1))
    scores = complete.scores.copy()
    for col in scores.columns:  # each stage shuffled over businesses on its own
        scores[col] = rng.permutation(scores[col].to_numpy())
    shuffled = replace(complete, scores=scores.astype("Int64"))
    alpha = cma.cronbach_alpha(shuffled).iloc[0]
    assert alpha["alpha"] < 0.7
    text = reliability_phrase(alpha, shuffled.instrument)
    assert text.startswith(
        "The internal consistency of the 10 stages is too low for them to be read as one scale"
    )
    assert f"({reliability_word(alpha['alpha'])} by George & Mallery's bands)" in text
    _, paragraph = findings(shuffled)
    assert "too low for them to be read as one scale" in paragraph


def test_the_maturity_paragraph_names_every_tied_stage(cohort: Cohort) -> None:
    # Table 4 itself: Transaction Processing and Staff Empowerment are both below level 1
    # for 4 of 14 businesses (29%)
    dist = cma.level_distribution(cohort)
    text = maturity_paragraph(dist, cma.business_scores(cohort), 4, cohort)
    assert "The stages most often below level 1 were **Transaction Processing** and " in text
    assert "**Staff Empowerment** (both 29%)." in text


def test_maturity_paragraph_numbers(cohort: Cohort) -> None:
    dist = cma.level_distribution(cohort)
    scores = cma.business_scores(cohort)
    text = maturity_paragraph(dist, scores, 4, cohort)
    overall = dist[dist["stage"] == "all"].iloc[0]
    assert text.startswith("Across all assessed stages, **15%** of assessments were below")
    assert f"n = {int(overall['n_assessed'])} assessments" in text
    # the pooled share: assessments nest in businesses, so a cluster bootstrap interval
    assert "95% CI 7% to 29%, cluster bootstrap over the 16 businesses" in text
    below = int((scores["mean"] < 4).sum())
    assert f"{below} of 16 businesses were below the target level, Planned improvement (4)" in text


def test_strategies_are_named_when_they_differ(cohort: Cohort) -> None:
    row, text = findings(cohort, "available_case")
    assert "strategy available_case, n = 16 businesses" in text
    # alpha needs complete data: it is computed on complete cases and the text says so
    assert "computed under strategy complete_case: alpha needs every stage" in text
    mixed = size_paragraph(row, cma.cronbach_alpha(cohort).iloc[0], cohort, "stage_median")
    assert "strategy available_case, not the notebook's stage_median" in mixed


# -- another instrument, in its own words ----------------------------------------------


@pytest.fixture
def mcf_cohort(tmp_path: Path) -> Cohort:
    """A SYNTHETIC Managing Customers cohort written as a returns file and read back."""
    synthetic = cma.synthetic_cohort(40, seed=9, missing_rate=0.05,
                                     instrument="managing_customers_framework")  # fmt: skip
    path = tmp_path / "synthetic_managing_customers_returns.csv"
    synthetic.to_wide().to_csv(path, index=False)
    return cma.load_returns(path, "managing_customers_framework")


def test_findings_intro_names_only_what_the_study_has(cohort: Cohort, mcf_cohort: Cohort) -> None:
    # the bundled study (a funnel, staff numbers): the sentence 00 has always opened with
    bundled = findings_intro(cohort, recruitment=True)
    assert bundled.startswith(
        "The conference summary: sample, recruitment, maturity and its association with "
        "size. Every number and every qualitative word in the text below is computed"
    )
    assert "Missing stages are handled" in bundled
    # no funnel, no staff numbers, another instrument: none of them is named
    n = len(mcf_cohort.attributes)
    no_staff = mcf_cohort.attributes.assign(staff=pd.array([pd.NA] * n, dtype="Int64"))
    bare = replace(mcf_cohort, attributes=no_staff)
    text = findings_intro(bare, recruitment=False)
    assert text.startswith("The conference summary: sample and maturity. Every number")
    assert not re.search(r"recruitment|size|association|stage", text), text
    assert "Missing dimensions are handled" in text
    # a covariate file's numeric column is named, staff or not
    growth = no_staff.assign(growth=np.linspace(-2.0, 8.0, n))
    source = CovariateSource("growth_SYNTHETIC.csv", "0" * 64, ("growth",), {}, True)
    with_growth = replace(bare, attributes=growth, covariate_sources=(source,))
    assert findings_intro(with_growth, recruitment=False).startswith(
        "The conference summary: sample, maturity and its association with growth."
    )
    both = replace(with_growth, attributes=growth.assign(staff=mcf_cohort.attributes["staff"]))
    assert findings_intro(both, recruitment=True).startswith(
        "The conference summary: sample, recruitment, maturity and its association with size "
        "and growth."
    )


def test_openings_of_02_and_04_in_the_instruments_words(cohort: Cohort) -> None:
    # the bundled CMA: the sentences the notebooks have always opened with
    cma_inst, mcf = cohort.instrument, cma.get_instrument("managing_customers_framework")
    assert distributions_intro(cma_inst) == (
        "Levels per stage, the share below level 1, radar charts and the cohort heatmap."
    )
    assert reliability_intro(cma_inst).startswith("Do the stages measure one underlying")
    assert reliability_intro(cma_inst).endswith("and the inter-stage correlations.")
    # Managing Customers: dimensions, and its lowest level is Proto, not "below level 1"
    assert distributions_intro(mcf) == (
        "Levels per dimension, the share at level 0 (Proto), radar charts and the cohort heatmap."
    )
    assert not re.search(r"stage|level 1", reliability_intro(mcf) + distributions_intro(mcf))


def _notebook(stem: str) -> tuple[str, str]:
    """(markdown, code) of a bundled notebook, each cell's source joined."""
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))

    def joined(kind: str) -> str:
        return " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind)

    return joined("markdown"), joined("code")


def _first_cell(stem: str) -> str:
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    return "".join(nb["cells"][0]["source"])


def test_the_notebooks_openings_are_computed_not_fixed() -> None:
    # 00's opening once said "recruitment" for every study; 02 and 04 said "stage" and
    # "below level 1" for every instrument: their openings come from the study now
    prose, code = _notebook("00_findings")
    assert not re.search(r"recruitment|association with size", prose), prose
    assert "findings_intro(cohort, recruitment=study.recruitment_path is not None)" in code
    for stem, call in [
        ("02_distributions", "distributions_intro"),
        ("04_reliability", "reliability_intro"),
    ]:
        _, code = _notebook(stem)
        first = _first_cell(stem)  # the title, and once the fixed opening under it
        assert not re.search(r"stage|level 1", first), (stem, first)
        assert f"{call}(cohort.instrument)" in code


def test_managing_customers_framework_in_its_own_words(mcf_cohort: Cohort) -> None:
    inst = mcf_cohort.instrument
    assert inst.stage_noun == "dimension" and len(inst.stages) == 6
    _, text = findings(mcf_cohort)
    alpha = cma.cronbach_alpha(mcf_cohort).iloc[0]
    assert alpha["k"] == 6
    assert "six dimensions" in text and "mean dimension level" in text
    assert not re.search(r"\bten\b|\b10\b|stage", text, flags=re.IGNORECASE)
    dist = cma.level_distribution(mcf_cohort)
    maturity = maturity_paragraph(dist, cma.business_scores(mcf_cohort), 4, mcf_cohort)
    assert maturity.startswith("Across all assessed dimensions, **")
    assert "of assessments were at level 0 (Proto)" in maturity
    assert "most often at level 0 (Proto)" in maturity
    assert "below the target level, Run (4), on average" in maturity
    assert "stage" not in maturity and "below level 1" not in maturity


# -- between two waves ---------------------------------------------------------------------


def _two_waves(one: cma.Cohort, shift: np.ndarray) -> cma.Cohort:
    """Table 4 as wave 1 and Table 4 + ``shift`` per business (clipped) as wave 2."""
    values = one.scores.to_numpy(dtype=float, na_value=np.nan) + shift[:, None]
    follow = pd.DataFrame(
        np.clip(values, 0, 5), index=one.scores.index, columns=one.scores.columns
    ).astype("Int64")
    follow = follow.rename(index={1: 2}, level="wave")
    attrs = one.attributes.rename(index={1: 2}, level="wave")
    return replace(
        one,
        scores=pd.concat([one.scores, follow]),
        attributes=pd.concat([one.attributes, attrs]),
        wave_labels=("Before", "After"),
    )


@pytest.mark.parametrize(
    ("shift", "expected", "word"),
    [
        # most businesses up one level, two unchanged, one down: a defined interval
        (np.array([1] * 13 + [0, 0, -1], dtype=float), "improved", "improved"),
        (-np.array([1] * 13 + [0, 0, -1], dtype=float), "declined", "declined"),
        # every business up / down: r = +-1, the p fallback decides
        (np.ones(16), "improved", "improved"),
        (-np.ones(16), "declined", "declined"),
        (np.array([1, -1] * 8, dtype=float), "no_clear_change", "showed no clear change"),
    ],
)
def test_direction_from_paired_change(
    cohort: cma.Cohort, shift: np.ndarray, expected: str, word: str
) -> None:
    two = _two_waves(cohort, shift)
    table = cma.paired_change(two, n_boot=500, seed=1)
    mean = table[table["stage"] == "mean"].iloc[0]
    assert change_direction(mean) == expected
    # the rule, restated on the computed numbers
    r, low, high = mean["rank_biserial"], mean["ci95_low"], mean["ci95_high"]
    if np.isnan(low):
        assert abs(r) == 1 and mean["p_val"] < 0.05
    elif expected == "improved":
        assert r > 0 and low > 0
    elif expected == "declined":
        assert r < 0 and high < 0
    else:
        assert low <= 0 <= high
    text = change_summary(table, stage_noun=cohort.instrument.stage_noun)
    assert text.startswith(
        f"Between Before and After, the mean score of the {int(mean['n_pairs'])} businesses "
        f"audited at both waves {word} ("
    )
    assert "SYNTHETIC" not in text
    assert f"of {len(cohort.stage_ids)} stages" in text
    # every stage appears exactly once in the stage sentence
    for name in table.loc[table["stage"] != "mean", "name"]:
        assert text.count(str(name)) == 1


def test_change_summary_needs_a_paired_change_table() -> None:
    with pytest.raises(ParameterError, match="paired_change"):
        change_summary(pd.DataFrame({"stage": ["mean"]}))


def test_summary_of_the_synthetic_example_says_synthetic() -> None:
    two = cma.load_returns(EXAMPLE)
    table = cma.paired_change(two, n_boot=300, seed=2007)
    text = change_summary(table, synthetic=True)
    assert text.startswith("SYNTHETIC example data: Between Baseline and Follow-up (SYNTHETIC)")
    words = {change_direction(r) for _, r in table.iterrows()}
    assert words <= {"improved", "declined", "no_clear_change", "not_estimable"}


def test_attrition_sentence_counts() -> None:
    two = cma.load_returns(EXAMPLE)
    text = attrition_sentence(scores_by_wave(two), synthetic=True)
    assert text == (
        "SYNTHETIC example data: 16 businesses were audited at Baseline and 13 at Follow-up "
        "(SYNTHETIC); 13 at both waves. 3 businesses were audited at Baseline only "
        "(dropped out: B04, B06 and B13)."
    )
    t = pd.DataFrame(
        {"business_id": ["A", "B"], "baseline": "W1", "follow_up": "W2",
         "status": ["paired", "follow_up_only"]}
    )  # fmt: skip
    assert attrition_sentence(t) == (
        "1 business was audited at W1 and 2 at W2; 1 at both waves. No business audited at "
        "W1 is missing at W2. 1 business was audited at W2 only (B)."
    )


def test_nothing_to_compare_names_the_wave() -> None:
    assert "one audit wave ('Baseline')" in nothing_to_compare(["Baseline"])
    assert "nothing to compare" in nothing_to_compare([])


def _model(low: float, high: float, converged: bool = True) -> pd.DataFrame:
    return pd.DataFrame(
        {"term": ["Intercept", "wave[After]"], "estimate": [2.0, (low + high) / 2],
         "ci95_low": [1.0, low], "ci95_high": [3.0, high], "p_val": [0.0, 0.03],
         "n_obs": 20, "n_groups": 12, "n_both": 8, "converged": converged}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("low", "high", "phrase"),
    [
        (0.1, 0.5, "puts the mean score higher at After than at Before"),
        (-0.5, -0.1, "puts the mean score lower at After than at Before"),
        (-0.1, 0.5, "finds the mean score at After not clearly different from Before"),
        (0.0, 0.5, "not clearly different"),
    ],
)
def test_wave_effect_rule(low: float, high: float, phrase: str) -> None:
    text = wave_effect_sentence(_model(low, high), "Before")
    assert phrase in text
    assert "all 20 returns of 12 businesses, 8 of them" in text
    assert "did not converge" in wave_effect_sentence(_model(low, high, False), "Before")


def test_wave_effect_on_the_fitted_model() -> None:
    two = cma.load_returns(EXAMPLE)
    fit = cma.fit_wave_model(two)
    term = fit[fit["term"] == "wave[Follow-up (SYNTHETIC)]"].iloc[0]
    text = wave_effect_sentence(fit, "Baseline", synthetic=True)
    assert text.startswith("SYNTHETIC example data: ")
    excludes = term["ci95_low"] > 0 or term["ci95_high"] < 0
    assert ("not clearly different" in text) is (not excludes)
    assert f"all {int(term['n_obs'])} returns" in text
    with pytest.raises(ParameterError, match="wave term"):
        wave_effect_sentence(fit[fit["term"] == "Intercept"], "Baseline")


def test_attrition_tests_rule_and_real_tests() -> None:
    two = cma.load_returns(EXAMPLE)
    tests = cma.attrition(two, seed=1).tests
    text = attrition_tests_sentence(tests, synthetic=True)
    assert text.startswith(
        "SYNTHETIC example data: At Baseline, the 3 businesses not audited at Follow-up "
        "(SYNTHETIC) "
    )
    names = {"mean_score": "mean score", "business_type": "business type"}
    for var in tests["variable"]:
        assert f" in {names.get(var, var)} (" in text
    assert text.count("did not clearly differ") == int((tests["p_val"] >= 0.05).sum())
    low = tests.assign(p_val=[0.01, 0.5, 0.5])
    assert attrition_tests_sentence(low).count("differed") == 1
    none = tests.assign(n_dropped=0)
    assert "no drop-outs" in attrition_tests_sentence(none)


# -- the headline strategy, covariates and pairs, on altered data ------------------------------


def test_the_first_paragraph_discloses_what_the_headline_leaves_out(cohort: Cohort) -> None:
    from cma_research.analysis.headline import (
        ALTERNATIVE_STRATEGIES,
        associations,
        headline_strategy,
    )
    from cma_research.reporting.findings import strategy_disclosure
    from cma_research.reporting.rules import ASSOCIATION_WORDS, direction

    fast = {"n_boot": 300, "n_perm": 300, "seed": 2, "m": 3}
    # the bundled study: 4 of 16 left out, not more than a quarter: nothing added
    h = headline_strategy(cohort, "complete_case")
    table = associations(cohort, ["staff"], ["complete_case"], **fast)
    assert sample_paragraph(cohort, h, table) == sample_paragraph(cohort)
    # SYNTHETIC: 7 of 40 complete; complete cases asked for: disclosed, alternatives given
    c = cma.synthetic_cohort(40, seed=3, missing_rate=0.12)
    h = headline_strategy(c, "complete_case")
    table = associations(c, ["staff"], ALTERNATIVE_STRATEGIES, **fast)
    text = strategy_disclosure(h, table)
    assert text.startswith(
        "**The headline results leave out 33 of the 40 businesses (82%)**, more than a "
        "quarter: strategy complete_case (as requested) uses the 7 assessed on every stage."
    )
    verdicts = {str(r["strategy"]): direction(r) for _, r in table.iterrows()}
    if len(set(verdicts.values())) > 1:  # the rule restated: the differing ones are named
        assert "The conclusion on size depends on it: " in text
        for s, v in verdicts.items():
            if v != verdicts["complete_case"]:
                assert f"{ASSOCIATION_WORDS[v]} under {s} (" in text
    else:
        assert f"does not depend on it: {ASSOCIATION_WORDS[verdicts['complete_case']]}" in text
    assert sample_paragraph(c, h, table).endswith(text)
    # auto chooses available cases there, and the first paragraph says why
    auto = headline_strategy(c)
    said = strategy_disclosure(auto, table)
    assert said == (
        "Headline results use strategy available_case: complete cases would leave out 33 of "
        "the 40 businesses (82%), more than a quarter; available_case uses 40."
    )


def test_growth_is_worded_by_the_same_rules_as_size(cohort: Cohort) -> None:
    from cma_research.reporting.findings import association_paragraph

    for reverse, word in ((False, "higher"), (True, "lower")):
        growth = ordered_staff(cohort, reverse).astype(float)  # growth in the order of maturity
        c = replace(cohort, attributes=cohort.attributes.assign(turnover_growth=growth))
        row = cma.correlate(c, "turnover_growth", "mean", **KW).iloc[0]
        text = association_paragraph(row, c, "complete_case")
        assert text.startswith(
            f"**Businesses with {word} turnover growth tended to score higher** (a strong "
        )
        assert apa(row) in text and "n = 12 of 16 businesses" in text
        assert "correlation of turnover growth with the mean stage level" in text


def test_stages_that_improved_are_counted_on_holm_adjusted_p() -> None:
    from statsmodels.stats.multitest import multipletests

    # four stages whose unadjusted intervals exclude 0, six that do not (values made up)
    p = np.array([0.001, 0.004, 0.02, 0.03] + [0.5] * 6)
    stages = pd.DataFrame(
        {
            "stage": [f"stage_{i}" for i in range(1, 11)],
            "name": [f"S{i}" for i in range(1, 11)],
            "n_pairs": 20,
            "median_change": 1.0,
            "rank_biserial": [0.8, 0.7, 0.6, 0.5] + [0.1] * 6,
            "ci95_low": [0.4, 0.3, 0.1, 0.05] + [-0.3] * 6,
            "ci95_high": 0.95,
            "p_val": p,
            "p_adj": multipletests(p, method="holm")[1],
            "p_adj_method": "holm across the 10 tested stages",
        }
    )
    table = stages.assign(baseline="R1", follow_up="R2")
    assert sum(change_direction(r) == "improved" for _, r in table.iterrows()) == 4
    text = change_summary(table)
    # Holm: .01, .036, .16, .21: two survive
    assert text == (
        "By stage (each judged on its Holm-adjusted p across the 10 stages; the 95% intervals "
        "in the table are not adjusted): 2 of 10 stages improved (S1 and S2) and 8 showed no "
        "clear change (S3, S4, S5, S6, S7, S8, S9 and S10)."
    )


def test_pairs_from_the_returns_apart_from_the_complete_ones() -> None:
    from cma_research.analysis.change import wave_pairs

    two = cma.load_returns(EXAMPLE)
    table = cma.paired_change(two, strategy="complete_case", n_boot=0, n_perm=200)
    pairs = wave_pairs(two, n_boot=0)
    mean = table[table["stage"] == "mean"].iloc[0]
    # 13 audited at both waves, the 9 complete at both are those complete cases keep
    assert (int(mean["n_audited_both"]), int(mean["n_pairs"])) == (13, 9)
    assert int(pairs.loc[0, "n_complete_both"]) == 9
    assert change_summary(table).startswith(
        "Between Baseline and Follow-up (SYNTHETIC), the mean score of 9 of the 13 businesses "
        "audited at both waves (those assessed on every stage at both, strategy complete_case) "
    )


def test_one_business_is_counted_in_the_singular(cohort: Cohort) -> None:
    one = cohort.subset(cohort.attributes["staff"] >= 50)
    text = sample_paragraph(one)
    assert text.startswith("The cohort has **1** audited business (staff from 100 to 100")
    assert "1 business was assessed on every stage" in text
    maturity = maturity_paragraph(cma.level_distribution(one), cma.business_scores(one), 4, one)
    assert "mean level of 4.0, and 0 of 1 business was below the target level" in maturity


def test_year_waves_read_in_and_numbered_waves_at_wave() -> None:
    # rule 16: "audited in 2008" (a year is a time), "at wave 2" (a number), "at W1"
    t = pd.DataFrame(
        {"business_id": ["A", "B"], "baseline": "2008", "follow_up": "2009",
         "status": ["paired", "baseline_only"]}
    )  # fmt: skip
    assert attrition_sentence(t) == (
        "2 businesses were audited in 2008 and 1 in 2009; 1 at both waves. 1 business was "
        "audited in 2008 only (dropped out: B)."
    )
    numbered = t.assign(baseline="1", follow_up="2", status=["paired", "paired"])
    assert attrition_sentence(numbered) == (
        "2 businesses were audited at wave 1 and 2 at wave 2; 2 at both waves. No business "
        "audited at wave 1 is missing at wave 2."
    )


def test_verdict_words_of_a_row_that_was_not_computed() -> None:
    no_staff = {"strategy": "complete_case", "covariate": "staff", "note": "not computed: "
                "the returns give no staff numbers"}  # fmt: skip
    assert verdict_words(no_staff) == "not computed: the returns give no staff numbers"
    one = {"strategy": "complete_case", "n": pd.NA, "note": "not computed: cronbach_alpha "
           "needs at least 3 complete businesses; 1 remain"}  # fmt: skip
    assert verdict_words(one, "alpha") == (
        "not computed: cronbach_alpha needs at least 3 complete businesses; 1 remain"
    )
    # computed rows: rule 2 (interval above 0) and rule 4 (alpha .85: good)
    assert verdict_words({"r": 0.5, "ci95_low": 0.1, "ci95_high": 0.8, "note": ""}) == "positive"
    assert verdict_words({"alpha": 0.85, "note": ""}, "alpha") == "good"
    with pytest.raises(ParameterError, match="statistic must be 'r' or 'alpha'"):
        verdict_words(no_staff, "omega")


def test_nothing_to_impute_counts_the_businesses(cohort: Cohort) -> None:
    complete = cohort.subset(cohort.scores.notna().all(axis=1))
    assert complete.n_businesses == 12  # Table 4: 12 complete cases
    assert nothing_to_impute(complete) == (
        "No stage of the 12 businesses was left blank: strategy multiple has nothing to impute."
    )
    one = complete.subset(complete.scores.index.get_level_values("business_id") == "B16")
    assert nothing_to_impute(one).startswith("No stage of the business was left blank")

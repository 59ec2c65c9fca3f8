"""Claims files: the founding paper's claims (verbatim quotes) and refusal of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

import cma_research as cma
from cma_research.io.claims import (
    CLAIM_SCORES,
    CLAIM_STRATEGIES,
    CORRELATION_METHODS,
    MAX_CLAIMS_BYTES,
    SIZE_BAND_LABELS,
    STATISTICS,
    VAGUE_WORD_READINGS,
    parse_comparison,
)
from tests.paths import ROOT, SEEDS

CLAIMS = ROOT / "data" / "raw" / "customer_wise_2007_claims.yaml"
PAPER = SEEDS / "000_6f9f698c8e3f8422.txt"
needs_paper = pytest.mark.skipif(not PAPER.exists(), reason="paper text not present")

GOOD_READING = """\
      - reading: "most = more than half"
        statistic: share_businesses_below
        args: {score: median, level: 1}
        comparison: "> 0.5"
        strategy: available_case
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "claims.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def claim(cid: str = "c1", quote: str = '"Most fail."', readings: str = GOOD_READING) -> str:
    return (
        f"  - id: {cid}\n    quote: {quote}\n    source: {{section: Abstract, line: 9}}\n"
        f"    readings:\n{readings}"
    )


def problems(path: Path) -> list[str]:
    with pytest.raises(cma.DataValidationError) as info:
        cma.load_claims(path)
    lines = info.value.lines
    assert all(line.startswith(f"{path}: ") for line in lines)  # every line names the file
    return [line.removeprefix(f"{path}: ") for line in lines]


# -- the founding paper's claims -------------------------------------------------------


def test_bundled_claims_load() -> None:
    claims = cma.load_claims(CLAIMS)
    assert claims.instrument == "customer_wise_2007"
    assert len(claims) == len(set(claims.ids)) == 29
    testable = [c for c in claims if c.cannot_test is None]
    assert len(testable) == 23 and all(c.readings for c in testable)
    assert sum(len(c.readings) for c in claims) == 45
    # the example: the abstract's "Most businesses fail to reach the first level"
    most = next(c for c in claims if c.id == "abstract_most_below_level_1")
    assert most.source == "Abstract, line 9"
    assert [r.args["score"] for r in most.readings[:3]] == ["median", "mean", "min"]
    assert all(r.comparison.text == "> 0.5" for r in most.readings)
    # growth and profit claims are marked, with what would be needed, never guessed
    growth = next(c for c in claims if c.id == "summary_highest_growing")
    assert growth.readings == () and "growth" in str(growth.cannot_test)
    assert growth.source == "Summary of Research Findings, line 572"


@needs_paper
def test_every_quote_is_verbatim_on_its_line_of_the_paper() -> None:
    lines = PAPER.read_text(encoding="utf-8").split("\n")
    claims = cma.load_claims(CLAIMS)
    for c in claims:
        assert c.line is not None, c.id
        assert c.quote in lines[c.line - 1], c.id  # exact characters, not normalised
        section = c.section.split(":")[0]  # "Results from the Audit Tool: No 1 ..." -> title
        if section == "Abstract":  # untitled in the text: the paragraphs before the first heading
            first_heading = next(i for i, x in enumerate(lines) if "Current Literature" in x)
            assert c.line <= first_heading, c.id
        else:  # the section's heading stands above the quote
            assert any(section in line for line in lines[: c.line]), (c.id, section)


@needs_paper
def test_funnel_claims_quote_the_funnel_files_sentences() -> None:
    # every recruitment step a claim names exists in the funnel file, and the funnel
    # file's abstract and findings sentences are among the transcribed claims
    funnel = cma.load_recruitment(ROOT / "data" / "raw" / "customer_wise_2007_recruitment.csv")
    steps = set(funnel["step"])
    claims = cma.load_claims(CLAIMS)
    named = {
        v
        for c in claims
        for r in c.readings
        if STATISTICS[r.statistic].data == "recruitment"
        for k, v in r.args.items()
        if k in ("step", "of")
    }
    assert named <= steps
    quotes = " ".join(c.quote for c in claims)
    for q in funnel["quote"]:
        assert str(q).rstrip(".") in quotes, q


def test_registry_tables_match_the_packages_own() -> None:
    from cma_research.analysis.correlation import METHODS
    from cma_research.analysis.describe import SCORES
    from cma_research.analysis.groups import SIZE_BANDS
    from cma_research.missing.strategies import STRATEGIES

    assert tuple(s for s in STRATEGIES if s != "multiple") == CLAIM_STRATEGIES
    assert tuple(label for label, _, _ in SIZE_BANDS) == SIZE_BAND_LABELS
    assert CORRELATION_METHODS == METHODS
    assert set(CLAIM_SCORES) <= set(SCORES)
    assert VAGUE_WORD_READINGS["most"].startswith("more than half")


def test_readme_documents_the_reading_of_most() -> None:
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert '"most" = more than half' in readme


@pytest.mark.parametrize(
    ("text", "value", "p", "expected"),
    [
        ("> 0.5", 0.5, None, False),
        ("> 0.5", 0.5001, None, True),
        (">= 2", 2.0, None, True),
        ("< 0.25", 0.25, None, False),
        ("<= 1", 1.0, None, True),
        ("== 16", 16.0, None, True),
        ("== 15", 16.0, None, False),
        ("!= 0", 0.0, None, False),
        ("> 50%", 0.51, None, True),
        ("between 0.283 and 0.383", 16 / 46, None, True),
        ("between 0.283 and 0.383", 16 / 90, None, False),
        ("direction positive", 0.01, None, True),
        ("direction positive", -0.01, None, False),
        ("direction negative", -0.3, None, True),
        ("p < .05", 0.9, 0.049, True),
        ("p < .05", 0.9, 0.05, False),
        ("p <= 0.05", -0.9, 0.05, True),
    ],
)
def test_comparisons(text: str, value: float, p: float | None, expected: bool) -> None:
    assert parse_comparison(text).holds(value, p) is expected


@pytest.mark.parametrize("text", ["more than half", "> half", "=> 1", "p > .05", "between 3 and 1"])
def test_unknown_comparisons_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_comparison(text)


# -- bad input: one line each, naming the claim id and the field -------------------------


def test_each_problem_is_one_line_naming_claim_and_field(tmp_path: Path) -> None:
    bad_stat = GOOD_READING.replace("share_businesses_below", "share_below")
    bad_stage = """\
      - reading: "only one"
        statistic: count_at_levels
        args: {stage: marketing, levels: [4, 5]}
        comparison: "== 1"
        strategy: available_case
"""
    bad_comparison = GOOD_READING.replace('"> 0.5"', '"more than half"')
    text = "claims:\n" + "".join(
        [
            claim("c1", readings=bad_stat),
            claim("c2", readings=bad_stage),
            claim("c3", readings=bad_comparison),
            claim("c4", quote='"  "'),
            claim("c5"),
            claim("c5"),
        ]
    )
    lines = problems(write(tmp_path, text))
    assert lines == [
        "claim 'c1', field 'readings[1].statistic': unknown statistic (value 'share_below'); "
        "expected one of " + ", ".join(STATISTICS),
        "claim 'c2', field 'readings[1].args.stage': unknown stage (value 'marketing'); "
        "expected one of " + ", ".join(f"stage_{i}" for i in range(1, 11)),
        "claim 'c3', field 'readings[1].comparison': unknown comparison (value 'more than "
        "half'); expected one of the forms " + "; ".join(f"'{c}'" for c in _forms()),
        "claim 'c4', field 'quote': the quote is empty (value '  '); expected the claim's "
        "words, verbatim",
        "claim 'c5', field 'id': duplicate id (claims number 5 and 6) (value 'c5'); expected "
        "a unique id per claim",
    ]


def _forms() -> tuple[str, ...]:
    from cma_research.io.claims import COMPARISON_FORMS

    return COMPARISON_FORMS


@pytest.mark.parametrize(
    ("reading", "field", "message"),
    [
        (GOOD_READING.replace("level: 1", "level: 7"), "readings[1].args.level", "not a level"),
        (GOOD_READING.replace("score: median", "score: sum"), "readings[1].args.score", "score"),
        (
            GOOD_READING.replace("level: 1}", "level: 1, stage: ict}"),
            "readings[1].args.stage",
            "unknown argument of share_businesses_below",
        ),
        (GOOD_READING.replace("{score: median, ", "{"), "readings[1].args.score", "missing"),
        (
            GOOD_READING.replace("available_case", "listwise"),
            "readings[1].strategy",
            "unknown strategy",
        ),
        (
            GOOD_READING.replace("available_case", "multiple"),
            "readings[1].strategy",
            "cannot pool",
        ),
        (
            GOOD_READING.replace("available_case", "min_stages"),
            "readings[1].min_stages",
            "needed for strategy min_stages",
        ),
        (
            GOOD_READING.replace('"> 0.5"', '"p < .05"'),
            "readings[1].comparison",
            "has no p-value",
        ),
        (GOOD_READING.replace('"most = more than half"', '""'), "readings[1].reading", "empty"),
        (
            GOOD_READING.replace(
                "strategy: available_case", "strategy: available_case\n        weight: 2"
            ),
            "readings[1].weight",
            "unknown field",
        ),
        (
            """\
      - reading: "the funnel says 16"
        statistic: recruitment_count
        args: {step: Audited}
        comparison: "== 16"
        strategy: available_case
""",
            "readings[1].strategy",
            "takes no strategy",
        ),
        (
            """\
      - reading: "r"
        statistic: correlation
        args: {method: pearsonr, score: ict}
        comparison: "direction positive"
        strategy: complete_case
""",
            "readings[1].args.method",
            "unknown method",
        ),
    ],
)
def test_reading_problems(tmp_path: Path, reading: str, field: str, message: str) -> None:
    lines = problems(write(tmp_path, "claims:\n" + claim("x", readings=reading)))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"claim 'x', field '{field}': ")
    assert message in lines[0]


def test_claim_level_problems(tmp_path: Path) -> None:
    text = """\
claims:
  - id: no_source
    quote: q
    readings:
      - {reading: r, statistic: n_businesses, comparison: "== 16", strategy: available_case}
  - id: no_line
    quote: q
    source: {section: Abstract}
    cannot_test: growth figures
  - id: both
    quote: q
    source: {section: Abstract, page: 0}
    cannot_test: growth figures
    readings:
      - {reading: r, statistic: n_businesses, comparison: "== 16", strategy: available_case}
  - id: gated
    quote: q
    source: {section: Abstract, line: 3}
    must_hold: true
    cannot_test: growth figures
  - id: nothing
    quote: q
    source: {section: Abstract, line: 3}
    must_hold: yes please
  - id: "bad id!"
    quote: q
    source: {section: Abstract, line: 3}
    cannot_test: x
"""
    lines = problems(write(tmp_path, text))
    assert [line.split(":")[0] for line in lines] == [
        "claim 'no_source', field 'source'",
        "claim 'no_line', field 'source'",
        "claim 'both', field 'source.page'",
        "claim 'both', field 'readings'",
        "claim 'gated', field 'must_hold'",
        "claim 'nothing', field 'must_hold'",
        "claim 'nothing', field 'readings'",
        "claim 'bad id!', field 'id'",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("claims: [\n", "line 2"),
        ("- just a list\n", "not a YAML mapping"),
        ("claims: []\n", "field 'claims': missing or empty"),
        ("clams:\n" + claim(), "field 'clams': unknown field"),
        ("instrument: no_such\nclaims:\n" + claim(), "field 'instrument'"),
    ],
)
def test_file_problems(tmp_path: Path, text: str, message: str) -> None:
    lines = problems(write(tmp_path, text))
    assert any(message in line for line in lines), lines


def test_missing_and_oversized_files_are_refused(tmp_path: Path) -> None:
    assert problems(tmp_path / "none.yaml") == [
        "claims file not found; expected an existing YAML file"
    ]
    big = write(tmp_path, "claims:\n" + claim() + "#" * MAX_CLAIMS_BYTES + "\n")
    (line,) = problems(big)
    assert "larger than the 1,000,000-byte limit" in line


def test_stage_spellings_and_defaults_are_canonical(tmp_path: Path) -> None:
    text = "claims:\n" + claim(
        readings="""\
      - reading: "r"
        statistic: share_at_levels
        args: {levels: 1}
        comparison: "> 0.5"
        strategy: complete_case
      - reading: "r"
        statistic: count_at_levels
        args: {levels: [5, 4, 4], stage: Staff Empowerment}
        comparison: "== 2"
        strategy: min_stages
        min_stages: 5
"""
    )
    c = cma.load_claims(write(tmp_path, text)).claims[0]
    assert dict(c.readings[0].args) == {"levels": (1,), "stage": "all"}
    assert dict(c.readings[1].args) == {"levels": (4, 5), "stage": "stage_9"}
    assert c.readings[1].min_stages == 5 and c.readings[0].min_stages is None
    assert c.readings[1].args_text() == "levels=[4, 5], stage=stage_9"
    assert c.must_hold is False


def test_aliases_cannot_flood_the_report(tmp_path: Path) -> None:
    # YAML aliases make a tiny file describe 20 claims x 10 readings: the report stops at
    # 50 problems and says so
    text = """\
claims:
  - &c
    id: a
    quote: q
    source: {section: s, line: 1}
    readings: &l [&r {reading: x, statistic: nope, comparison: "> 1", strategy: available_case},
                  *r, *r, *r, *r, *r, *r, *r, *r, *r]
""" + "".join("  - *c\n" for _ in range(19))
    path = write(tmp_path, text)
    with pytest.raises(cma.DataValidationError) as info:
        cma.load_claims(path)
    assert len(info.value.problems) == 50 and info.value.truncated
    assert (
        info.value.lines[-1]
        == f"{path}: stopped after 50 problems; fix these and run again to see the rest"
    )
    many = write(tmp_path, "claims:\n" + claim(readings=GOOD_READING * 101))
    (line,) = problems(many)
    assert line == "claim 'c1', field 'readings': 101 readings; expected at most 100"

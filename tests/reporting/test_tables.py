"""Presentation tables: a tidy result rendered as a paper's table (HTML, LaTeX, Markdown, Word).

Expected cells are written by hand from the APA rules: two decimals, no leading zero for
bounded statistics, p to three decimals or ``< .001``, counts as integers, a true minus.
"""

from __future__ import annotations

import io
import math
import re

import pandas as pd
import pytest

from cma_research.core.errors import ParameterError
from cma_research.datasets import customer_wise_2007
from cma_research.reporting.claims import claims_html
from cma_research.reporting.tables import (
    FIGURE_SPACE,
    MINUS_SPACE,
    TableSpec,
    presentation_table,
)

INSTRUMENT = customer_wise_2007().instrument


def _stage_table() -> pd.DataFrame:
    """The shape of ``correlate(cohort, "staff", "stages")``: 16 columns, most constant."""
    k = 3
    return pd.DataFrame(
        {
            "strategy": ["complete_case"] * k,
            "score": ["stage_1", "stage_2", "stage_9"],
            "covariate": ["staff"] * k,
            "method": ["spearman"] * k,
            "n": [12] * k,
            "r": [0.055460, 0.501923, -0.196],
            "ci95_low": [-0.461025, -0.088398, -0.655],
            "ci95_high": [0.606215, 0.873687, 0.503],
            "ci_low_mc_se": [0.0054, 0.0075, 0.0112],
            "ci_high_mc_se": [0.0064, 0.0026, 0.0030],
            "ci_method": ["BCa bootstrap (20000 resamples)"] * k,
            "p_val": [0.864, 0.096, 0.541],
            "p_perm": [0.8626, 0.0971, 0.0004],
            "p_method": ["Monte Carlo permutation (100000 draws)"] * k,
            "p_adj": [1.0, 0.68, 0.0012],
            "p_adj_method": ["holm on p_perm"] * k,
            "m": [1] * k,
            "note": [""] * k,
        }
    )


def test_the_stage_correlation_table_reads_as_a_conference_table() -> None:
    table = presentation_table(_stage_table(), caption="Stages", instrument=INSTRUMENT)
    assert [c.label for c in table.columns] == ["Stage", "ρ [95% CI]", "*p*", "*p* (Holm)"]
    cells = [
        [v.replace(FIGURE_SPACE, "_").replace(MINUS_SPACE, "+") for v in row] for row in table.rows
    ]
    # padded so the decimals line up: + an invisible minus, _ a figure space
    assert cells == [
        ["Customer Contact", "+.06 [−.46, .61]", ".863", "1.000"],
        ["Employee Skills and Knowledge", "+.50 [−.09, .87]", ".097", "_.680"],
        ["Staff Empowerment", "−.20 [−.66, .50]", "< .001", "_.001"],
    ]
    assert table.note_text() == (
        "Spearman's ρ with staff; 95% CI by BCa bootstrap (20,000 resamples); "
        "*p* by Monte Carlo permutation (100,000 draws), Holm-adjusted across 3 tests; "
        "complete cases, *n* = 12. Monte Carlo SE of the interval bounds at most .011."
    )
    assert not table.wide


def test_a_one_row_table_keeps_its_numbers_and_moves_only_the_methods() -> None:
    one = _stage_table().iloc[[0]].assign(score="mean", p_adj=0.8626)
    table = presentation_table(one, instrument=INSTRUMENT)
    assert [c.key for c in table.columns] == ["covariate", "n", "r", "p_perm"]
    assert table.rows == (("staff", "12", ".06 [−.46, .61]", ".863"),)
    # the adjusted p equal to p is dropped, its method too; the methods are in the note
    assert "Holm" not in table.note_text()
    assert table.note_text().startswith("Spearman's ρ of the mean level; 95% CI by BCa")


def test_counts_are_integers_and_inapplicable_cells_empty() -> None:
    sens = pd.DataFrame(
        {
            "strategy": ["complete_case", "available_case", "multiple"],
            "n": [12.0, math.nan, 16.0],
            "alpha": [0.85315, math.nan, 0.8211],
            "ci95_low": [0.6878, math.nan, 0.5612],
            "ci95_high": [0.9503, math.nan, 0.9311],
            "df": [math.nan, math.nan, 12.38],
            "riv": [math.nan, math.nan, 0.0712],
            "fmi": [math.nan, math.nan, 0.19],
            "m": [1, 1, 20],
            "note": ["", "not applicable: needs complete data", ""],
        }
    )
    table = presentation_table(sens)
    cells = table.cells()
    assert cells["n"].tolist() == ["12", "", "16"]  # 12.0 is a count: "12", not "12.000"
    assert cells["alpha"].tolist() == [".85 [.69, .95]", "", ".82 [.56, .93]"]
    assert cells["riv"].tolist() == ["", "", "0.071"]  # not applicable: empty, no dash
    assert cells["strategy"].tolist() == [
        "complete cases",
        "available casesᵃ",
        "multiple imputation",
    ]
    assert table.footnotes == (("ᵃ", "not applicable: needs complete data"),)
    spanned = {c.key: c.spanner for c in table.columns}
    assert spanned["riv"] == spanned["fmi"] == "Multiple imputation (Rubin's rules)"
    assert spanned["n"] == ""


def test_unknown_columns_are_formatted_by_type_and_booleans_in_words() -> None:
    df = pd.DataFrame(
        {
            "step": ["Eligible", "Contacted"],
            "count": [54000, 1200],
            "approximate": [False, True],
            "growth_rate": [0.123456, -1.5],
            "blank_share_observed": [0.125, 0.1875],
            "blank_share_simulated": [0.129, 0.19],
        }
    )
    table = presentation_table(df)
    cells = table.cells()
    assert cells["count"].tolist() == ["54,000", FIGURE_SPACE + "1,200"]
    assert cells["approximate"].tolist() == ["no", "yes"]
    assert cells["growth_rate"].tolist() == [MINUS_SPACE + "0.12", "−1.50"]
    by_key = {c.key: c for c in table.columns}
    assert by_key["blank_share_observed"].spanner == "Blank share"
    assert by_key["blank_share_observed"].label == "Observed"
    assert by_key["count"].align == "right" and by_key["step"].align == "left"


def test_spec_labels_spanners_and_hidden_columns() -> None:
    df = pd.DataFrame({"a": ["x", "y"], "b": [1, 2], "c": [3, 4], "secret": ["s", "t"]})
    spec = TableSpec(labels={"b": "Before"}, spanners={"Counts": ["b", "c"]}, hide=["secret"])
    table = presentation_table(df, spec=spec)
    assert [(c.spanner, c.label) for c in table.columns] == [
        ("", "A"),
        ("Counts", "Before"),
        ("Counts", "C"),
    ]
    with pytest.raises(ParameterError, match=r"hidden column nope is not a column"):
        presentation_table(df, spec=TableSpec(hide=["nope"]))


def test_latex_has_booktabs_spanner_rules_and_the_note_under_the_table() -> None:
    df = pd.DataFrame({"a": ["R&D_1", "y"], "b": [1, 2], "c": [-0.5, 0.25], "k": [3, 3]})
    table = presentation_table(df, caption="A & B", spec=TableSpec(spanners={"Both": ["b", "c"]}))
    tex = table.to_latex("tab:x")
    lines = tex.splitlines()
    assert r"\caption{A \& B}" in lines and r"\label{tab:x}" in lines
    assert r" & \multicolumn{2}{c}{Both} \\" in lines
    assert r"\cmidrule(lr){2-3}" in lines
    assert r"R\&D\_1 & 1 & $-$0.50 \\" in lines
    assert r"y & 2 & \phantom{$-$}0.25 \\" in lines
    assert lines.index(r"\end{tabular}") < lines.index(r"\item \textit{Note.} \textit{k} = 3.")
    assert tex.count("{") == tex.count("}")
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert tex.count(rule) == 1


def test_html_is_escaped_deterministic_and_wide_tables_scroll() -> None:
    df = pd.DataFrame({"name": ["<b>Smith</b> & Sons"], **{f"v{i}": [i] for i in range(10)}})
    table = presentation_table(df, caption="Wide <table>")
    assert table.wide  # more than WIDE_COLUMNS columns
    html = table.to_html("t1")
    assert "&lt;b&gt;Smith&lt;/b&gt; &amp; Sons" in html and "<b>Smith" not in html
    assert 'class="cma-table wide"' in html
    assert html == presentation_table(df, caption="Wide <table>").to_html("t1")
    narrow = presentation_table(df[["name", "v1"]]).to_html("t2")
    assert 'class="cma-table"' in narrow


def test_html_hides_the_sign_pad_and_marks_footnotes() -> None:
    df = pd.DataFrame({"x": ["a", "b"], "r": [-0.5, 0.25], "note": ["", "careful"]})
    html = presentation_table(df).to_html("t")
    assert '<span class="pad" aria-hidden="true">\u2007</span>.25' in html
    assert 'aria-hidden="true">−' not in html  # never a hidden minus before a positive value
    assert "b<sup>a</sup>" in html and "<sup>a</sup> Careful." not in html
    assert "<sup>a</sup> careful." in html


def test_markdown_writes_spanners_and_notes() -> None:
    df = pd.DataFrame({"x": ["a", "b"], "n_a": [1, 2], "n_b": [3, 4], "k": [5, 5]})
    md = presentation_table(df, caption="C").to_markdown()
    assert md.splitlines()[2] == "| X | *n*: A | *n*: B |"
    assert md.splitlines()[-1] == "*Note.* *k* = 5."


def test_word_table_has_the_same_cells_merged_spanners_and_the_note() -> None:
    import docx

    df = pd.DataFrame({"x": ["a", "b"], "n_a": [1, 2], "n_b": [3, 4], "k": [5, 5]})
    table = presentation_table(df, caption="Counts")
    doc = table.to_docx()
    buffer = io.BytesIO()
    doc.save(buffer)
    back = docx.Document(io.BytesIO(buffer.getvalue()))
    [word] = back.tables
    rows = [[cell.text for cell in row.cells] for row in word.rows]
    assert rows[0] == ["", "n", "n"]  # the spanner: one merged cell over two columns
    assert word.rows[0].cells[1]._tc is word.rows[0].cells[2]._tc
    assert rows[1:] == [["X", "A", "B"], ["a", "1", "3"], ["b", "2", "4"]]
    texts = [p.text for p in back.paragraphs]
    assert texts[0] == "Counts" and texts[-1] == "Note. k = 5."


def test_claims_are_blocks_one_per_claim_with_each_reading() -> None:
    audit = pd.DataFrame(
        {
            "claim_id": ["c1", "c1", "c2"],
            "quote": ["Most firms lag.", "Most firms lag.", "Growth <rose>."],
            "source": ["Abstract, line 2"] * 2 + ["Findings, line 9"],
            "reading_no": [1, 2, 0],
            "reading": ["most = over half", "most = over 60%", ""],
            "verdict_text": [
                "supported: 70% of businesses",
                "not supported: 70% of businesses",
                "cannot be tested: needs growth",
            ],
            "claim_verdict": ["partly supported", "partly supported", "cannot be tested"],
            "comparison": ["> 0.5", "> 0.6", ""],
            "strategy": ["available_case", "available_case", ""],
        }
    )
    html = claims_html(audit)
    assert html.count('<section class="cma-claim') == 2
    assert html.count("Most firms lag.") == 1  # the quote once, not once per reading
    assert html.count("<li>") == 3
    assert "Growth &lt;rose&gt;." in html
    first = html[: html.index('id="claim-c2"')]
    assert re.search(r"most = over half .*supported.*70% of businesses; criterion &gt; 0.5", first)
    assert "available cases" in first
    assert 'Claim: <span class="cma-verdict partly">partly supported</span>' in first
    with pytest.raises(ParameterError, match="verdict_text"):
        claims_html(audit.drop(columns=["verdict_text"]))


def test_an_estimate_the_same_on_every_row_stays_beside_its_interval() -> None:
    # share below level 1 = 0 on every stage (no business below level 1), intervals differ
    # with n: the estimate is not moved to the note, so its interval is not attached to the
    # label column (02_distributions crashed: "could not convert string to float")
    dist = pd.DataFrame(
        {
            "stage": ["stage_1", "stage_2"],
            "n_assessed": [14, 10],
            "share_below_1": [0.0, 0.0],
            "ci95_low": [0.0, 0.0],
            "ci95_high": [0.2153, 0.2775],
        }
    )
    table = presentation_table(dist, instrument=INSTRUMENT)
    assert [c.key for c in table.columns] == ["stage", "n_assessed", "share_below_1"]
    assert table.cells()["share_below_1"].tolist() == [".00 [.00, .22]", ".00 [.00, .28]"]
    # alpha equal under every strategy (no blanks): two rows, each with its own interval
    alpha = pd.DataFrame(
        {
            "strategy": ["complete_case", "multiple"],
            "n": [14, 14],
            "alpha": [0.89802, 0.89802],
            "ci95_low": [0.794358, 0.738054],
            "ci95_high": [0.961671, 0.960297],
        }
    )
    table = presentation_table(alpha)
    assert table.cells()["alpha"].tolist() == [".90 [.79, .96]", ".90 [.74, .96]"]
    assert table.note_text() == "*n* = 14."


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ("bundled", ("Stage", "Share below level 1 [95% CI]", "All stages", "Weakest stage")),
        (
            "managing_customers",
            (
                "Dimension",
                "Share at level 0 (Proto) [95% CI]",
                "All dimensions",
                "Weakest dimension",
            ),
        ),
    ],
)
def test_headers_and_the_pooled_row_speak_the_instruments_words(
    example: str, expected: tuple[str, str, str, str]
) -> None:
    # found in review: on the Managing Customers framework (dimensions, lowest level Proto)
    # the distribution table read "Stage", "Share below level 1" and "All stages"
    import cma_research as cma
    from tests.paths import ROOT

    if example == "bundled":
        cohort = customer_wise_2007()
    else:
        path = ROOT / "data" / "raw" / "managing_customers_SYNTHETIC.csv"
        cohort = cma.load_returns(path, "managing_customers_framework")
    noun_label, share_label, pooled, weakest = expected
    dist = cma.level_distribution(cohort, strategy="available_case", n_boot=20)
    table = presentation_table(dist, instrument=cohort.instrument)
    labels = [c.label for c in table.columns]
    assert labels[0] == noun_label and share_label in labels, labels
    assert pooled in table.to_markdown()
    scores = presentation_table(cma.business_scores(cohort), instrument=cohort.instrument)
    assert weakest in [c.label for c in scores.columns]


def test_codes_and_notes_speak_the_noun_but_strategy_names_stay() -> None:
    # found in review: the note of a constant column and a bool column kept "stage", and
    # a strategy's name in a code column other than `strategy` was renamed with the noun
    from cma_research.core.instrument import get_instrument
    from cma_research.reporting.tables import value_words

    mc = get_instrument("managing_customers_framework")
    assert value_words("kind", "stage", mc) == "dimension"
    assert value_words("score", "stage_level", mc) == "dimension level"
    assert value_words("score", "all", mc) == "all dimensions"
    assert value_words("chosen_strategy", "stage_median", mc) == "stage median"
    assert value_words("strategy", "stage_median", mc) == "stage-median imputation"
    assert value_words("strategy", "min_stages", mc) == "businesses with enough dimensions assessed"
    assert value_words("score", "stage_level") == "stage level"  # no instrument: as given
    table = pd.DataFrame(
        {"business_id": ["B1", "B2"], "n_stages": [4, 6], "min_stages": [3, 3],
         "all_stages_assessed": [False, True]}
    )  # fmt: skip
    shown = presentation_table(table, instrument=mc)
    labels = [c.label for c in shown.columns]
    assert "*n* dimensions" in labels and "All dimensions assessed" in labels, labels
    assert "Min dimensions = 3" in shown.to_markdown()
    assert "stage" not in shown.to_markdown().lower()


def test_an_interval_or_p_that_could_not_be_had_reads_undefined_not_by_undefined() -> None:
    # found reading a report: "95% CI by undefined (degenerate bootstrap distribution)"
    table = pd.DataFrame(
        {"stage": ["stage_1", "stage_2"], "r": [1.0, 0.5], "ci95_low": [None, 0.1],
         "ci95_high": [None, 0.8], "p_val": [None, 0.04],
         "ci_method": ["undefined (degenerate bootstrap distribution)", "bca"],
         "p_method": ["undefined (one group or one category)", "permutation"]}
    )  # fmt: skip
    text = presentation_table(table, instrument=INSTRUMENT).to_markdown()
    assert "95% CI undefined (degenerate bootstrap distribution)" in text, text
    assert "*p* undefined (one group or one category)" in text
    assert "by undefined" not in text and "95% CI by" in text and "*p* by" in text


def test_a_stage_family_adjustment_with_an_unadjusted_mean_row_is_named_once() -> None:
    # found reading the change page: a column "P adj method" repeated "holm across the 10
    # tested stages" on every row, and the mean's row said "none (...)" in the same column
    table = pd.DataFrame(
        {"stage": ["stage_1", "stage_2", "mean"], "rank_biserial": [0.4, -0.2, 0.1],
         "p_val": [0.02, 0.5, 0.3], "p_adj": [0.04, 0.5, 0.3],
         "p_adj_method": ["holm across the 2 tested stages"] * 2
         + ["none (one overall test, not in the stage adjustment)"]}
    )  # fmt: skip
    shown = presentation_table(table, instrument=INSTRUMENT)
    labels = [c.label for c in shown.columns]
    assert labels[-1] == "*p* (Holm)" and "*p* adjustment" not in labels, labels
    assert shown.note_text() == "*p* Holm-adjusted across the 2 tested stages."
    assert shown.footnotes == (
        ("ᵃ", "*p* not adjusted (one overall test, not in the stage adjustment)"),
    )
    assert [row[0] for row in shown.rows][-1] == "mean levelᵃ"
    # a rank-biserial r is bounded: no leading zero (APA)
    assert labels[1] == "Rank-biserial *r*" and shown.rows[1][1] == "−.20", shown.rows


def test_adjustment_methods_read_as_words_whatever_they_count() -> None:
    # "holm on p_val over 2 distinct tests" used to reach the note whole, as
    # "holm on p_val over 2 distinct tests-adjusted across 3 tests"
    table = _stage_table().assign(p_adj_method="fdr_bh on p_perm over 2 distinct tests")
    note = presentation_table(table, instrument=INSTRUMENT).note_text()
    assert "Benjamini–Hochberg-adjusted across 2 distinct tests;" in note, note
    assert "fdr_bh" not in note and "over 2" not in note


def test_codes_of_change_tables_read_as_words() -> None:
    from cma_research.reporting.tables import value_words

    assert [value_words("status", s) for s in ("paired", "baseline_only", "follow_up_only")] == [
        "audited at both", "baseline only", "follow-up only",
    ]  # fmt: skip
    assert value_words("effect_size_name", "cramers_v") == "Cramér's V"
    assert value_words("test", "stuart_maxwell") == "Stuart–Maxwell"
    # an attrition table: its variables and effect-size measures in words, in the table
    attrition = pd.DataFrame(
        {"variable": ["mean_score", "business_type"], "dropped_summary": [2.1, 3.0],
         "completer_summary": [1.9, 13.0], "p_val": [0.9, 1.0],
         "effect_size_name": ["rank_biserial", "cramers_v"]}
    )  # fmt: skip
    shown = presentation_table(attrition, instrument=INSTRUMENT)
    assert [row[0] for row in shown.rows] == ["mean score", "business type"]
    assert [row[-1] for row in shown.rows] == ["rank-biserial r", "Cramér's V"]
    assert [c.label for c in shown.columns][1:3] == ["Drop-outs (median)", "Audited again (median)"]


def test_several_adjusted_families_keep_their_column_not_a_footnote_each() -> None:
    # found in review: two strategies stacked (p_perm and p_val families) gave every row
    # of one a footnote repeating the note, with the count of both families
    stacked = pd.DataFrame(
        {"strategy": ["complete_case"] * 2 + ["multiple"] * 2, "r": [0.5, 0.4, 0.45, 0.3],
         "p_val": [0.02, 0.04, 0.03, 0.05], "p_adj": [0.04, 0.04, 0.06, 0.06],
         "p_adj_method": ["holm on p_perm"] * 2 + ["holm on p_val"] * 2}
    )  # fmt: skip
    shown = presentation_table(stacked, instrument=INSTRUMENT)
    assert not any("adjusted" in text for _, text in shown.footnotes), shown.footnotes
    # one method for both strategies: the note counts each strategy's family, not all rows
    same = stacked.assign(p_adj_method="holm on p_val")
    note = presentation_table(same, instrument=INSTRUMENT).note_text()
    assert "Holm-adjusted across 2 tests per strategy" in note, note


def test_footnotes_are_lettered_in_reading_order() -> None:
    # found in review: a method exception on the last row took ᵃ before a note on the first
    table = pd.DataFrame(
        {"stage": ["stage_1", "stage_2", "stage_3"], "r": [0.5, 0.4, 0.3],
         "p_val": [0.02, 0.04, 0.03],
         "p_method": ["permutation", "permutation", "asymptotic t"],
         "note": ["one tie", "", ""]}
    )  # fmt: skip
    shown = presentation_table(table, instrument=INSTRUMENT)
    assert [row[0] for row in shown.rows] == [
        "Customer Contactᵃ", "Employee Skills and Knowledge", "ICT systems and softwareᵇ",
    ]  # fmt: skip
    assert shown.footnotes == (("ᵃ", "one tie"), ("ᵇ", "*p* by asymptotic t"))

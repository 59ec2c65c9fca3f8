"""The manuscript source: parsed with line numbers, every citation checked against a build."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cma_research.core.errors import ReportBuildError
from cma_research.reporting.manuscript import (
    FigureBlock,
    Heading,
    ListBlock,
    Paragraph,
    TableBlock,
    parse_manuscript,
    plain_text,
    resolve,
    write_starter_manuscript,
)
from cma_research.reporting.paper_tables import paper_table, read_tidy_csv
from cma_research.reporting.values import collect_values
from tests.reporting.conftest import MINI_PAPER, write_claims


def _resolve(paper_path: Path, build: Path):  # type: ignore[no-untyped-def]
    return resolve(parse_manuscript(paper_path), collect_values(build / "tables"), build)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_values_figures_tables_and_claims_are_resolved(mini_paper: Path, mini_build: Path) -> None:
    paper = _resolve(mini_paper, mini_build)
    assert paper.title == "A small study" and paper.authors == ["Ann Author", "Ben Author"]
    assert plain_text(paper.abstract) == "We audited 16 businesses; alpha was .85."
    first = next(b for b in paper.blocks if isinstance(b, Paragraph))
    assert plain_text(first.inlines) == "We audited 16 businesses (Figure 1). Most were small."
    shares = next(
        b for b in paper.blocks if isinstance(b, Paragraph) and "share" in plain_text(b.inlines)
    )
    # a quoted claim is the verbatim quote of the claims file (its CSV protection undone)
    assert "\u201c-Only two businesses operate here.\u201d" in plain_text(shares.inlines)
    assert "15% (Table 1)" in plain_text(shares.inlines)
    figure = paper.figures[0]
    assert figure.number == 1 and figure.width == "60%" and figure.pdf and figure.pdf.is_file()
    assert plain_text(figure.caption) == "Levels per stage"  # the notebook's caption
    table = paper.tables[0]
    assert table.table is not None
    assert [c.label for c in table.table.columns] == ["Stage", "*n*", "Share"]
    assert table.table.rows[1] == ("Skills_and *knowledge*", "12", "25%")
    assert table.table.rows[0][2] == "\u20078%"  # a figure space aligns the digits
    assert plain_text(table.caption) == "Shares per stage."
    claims = paper.tables[1]
    assert claims.id == "claims" and claims.table is not None and claims.number == 2
    assert claims.table.rows[1][:3] == ("only_two", "Findings, line 9", "partly supported")
    assert paper.used_values == ["n_businesses", "alpha", "share_below_1"]


def test_sections_are_numbered_and_the_appendix_lettered(
    mini_paper: Path, mini_build: Path
) -> None:
    paper = _resolve(mini_paper, mini_build)
    headings = [(b.number, plain_text(b.inlines)) for b in paper.blocks if isinstance(b, Heading)]
    assert headings == [("1", "Sample"), ("1.1", "Shares"), ("A", "Claims")]
    lists = [b for b in paper.blocks if isinstance(b, ListBlock)]
    assert [plain_text(i) for i in lists[0].items] == ["a list item with .85", "another"]


def test_sentences_trace_each_value(mini_paper: Path, mini_build: Path) -> None:
    paper = _resolve(mini_paper, mini_build)
    assert paper.sentences["n_businesses"] == [
        "We audited 16 businesses; alpha was .85.",
        "We audited 16 businesses (Figure 1).",
    ]
    assert paper.sentences["alpha"][-1] == "a list item with .85"


def test_an_unknown_value_names_the_line_and_the_closest_names(
    mini_paper: Path, mini_build: Path
) -> None:
    text = MINI_PAPER.replace("alpha was {alpha}", "alpha was {alhpa}")
    with pytest.raises(
        ReportBuildError,
        match=r"paper.md, line 1: no notebook recorded a value named 'alhpa'; closest: alpha",
    ):
        _resolve(_write(mini_paper, text), mini_build)
    text = MINI_PAPER.replace("share below level 1 was {share_below_1}", "share was {share_below}")
    with pytest.raises(ReportBuildError, match=r"line 13: .*'share_below'; closest: share_below_1"):
        _resolve(_write(mini_paper, text), mini_build)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "{figure}`02_levels`).",
            "{figure}`02_levelz`).",
            r"figure}`02_levelz` is cited but not placed",
        ),
        (
            "```{figure} 02_levels",
            "```{figure} 02_levelz",
            r"no notebook drew a figure '02_levelz'; closest: 02_levels",
        ),
        (
            "```{table} 02_shares",
            "```{table} 02_sharez",
            r"no notebook wrote a table '02_sharez'; closest: 02_shares",
        ),
        ("{claim}`most_small`", "{claim}`most_smal`", r"no claim 'most_smal'; closest: most_small"),
        ("{claim}`most_small`", "{cite}`most_small`", r"line 9: unknown role \{cite\}"),
        ("```{appendix}", "```{appendx}", r"unknown directive \{appendx\}"),
        (":width: 60%", ":height: 60%", r"\{figure\} has no option height; it takes width"),
        (
            ":columns: name, n, share",
            ":columns: name, nn",
            r"table 02_shares: column nn is not a column",
        ),
        (
            ":format: share=percent",
            ":format: share=percentage",
            r"format 'percentage' is not one of",
        ),
        ("# Sample", "![x](y.png)", r"images are placed with the \{figure\} directive"),
        ("title: A small study\n", "", r"the front matter needs a title"),
        ("abstract:", "date: 2007\nabstract:", r"unknown front matter key\(s\) date"),
    ],
)
def test_what_a_paper_cannot_hold_is_an_error_naming_where(
    mini_paper: Path, mini_build: Path, old: str, new: str, message: str
) -> None:
    assert old in MINI_PAPER
    with pytest.raises(ReportBuildError, match=message):
        _resolve(_write(mini_paper, MINI_PAPER.replace(old, new, 1)), mini_build)


def test_escaped_braces_stay_text(mini_paper: Path, mini_build: Path) -> None:
    text = MINI_PAPER.replace("Most were small.", r"A set \{alpha\} stays as written.")
    paper = _resolve(_write(mini_paper, text), mini_build)
    first = next(b for b in paper.blocks if isinstance(b, Paragraph))
    assert "A set {alpha} stays as written." in plain_text(first.inlines)


def test_claims_need_an_audit(mini_paper: Path, mini_build: Path) -> None:
    (mini_build / "tables" / "08_claims_verdicts.csv").unlink()
    with pytest.raises(ReportBuildError, match="the build audited no claims"):
        _resolve(mini_paper, mini_build)


def test_failing_must_hold_claims_are_listed(mini_paper: Path, mini_build: Path) -> None:
    assert _resolve(mini_paper, mini_build).failing_claims == []
    write_claims(mini_build / "tables", must_hold_fails=True)
    failing = _resolve(mini_paper, mini_build).failing_claims
    assert [c.id for c in failing] == ["only_two"]
    assert failing[0].note == (
        "Claim only_two (Findings, line 9): partly supported by the study's data "
        "(1 of 2 readings supported; marked must hold); see the claims audit."
    )


def test_paper_table_formats_from_the_tidy_csv(mini_build: Path) -> None:
    frame = read_tidy_csv(mini_build / "tables" / "02_shares.csv")
    table = paper_table(frame)
    # the presentation rules: stage names label the rows, shares two decimals without a
    # leading zero, APA p, a p that does not apply left empty
    assert [c.label for c in table.columns] == ["Stage", "*n*", "Share", "*p*"]
    assert table.rows[0] == ("Contact [web] #1", "12", ".08", "< .001")
    assert table.rows[2][3] == ""
    assert [c.align for c in table.columns] == ["left", "right", "right", "right"]


def _correlations() -> pd.DataFrame:
    """The shape of the sensitivity table: one strategy's interval and p by other methods."""
    k = 3
    return pd.DataFrame(
        {
            "strategy": ["complete_case", "available_case", "multiple"],
            "score": ["mean"] * k,
            "covariate": ["staff"] * k,
            "method": ["spearman"] * k,
            "n": [12, 16, 16],
            "r": [0.5167, 0.3896, 0.3815],
            "ci95_low": [-0.1231, -0.1513, -0.2386],
            "ci95_high": [0.8531, 0.7510, 0.7806],
            "ci_method": ["Fisher z", "Fisher z", "Rubin's rules on Fisher z"],
            "p_val": [0.0854, 0.1357, 0.1976],
            "p_perm": [0.0881, 0.1371, float("nan")],
            "p_method": ["Monte Carlo permutation (100000 draws)"] * 2 + ["Rubin's rules"],
            "m": [1, 1, 20],
        }
    )


def test_a_table_without_chosen_columns_joins_intervals_and_notes_constants() -> None:
    table = paper_table(_correlations())
    assert [c.label for c in table.columns] == ["Strategy", "*n*", "ρ [95% CI]", "*p*", "*m*"]
    assert table.rows[0][2] == ".52 [−.12, .85]"
    assert table.note_text().startswith("Spearman's ρ of the mean level with staff; 95% CI by")


def test_chosen_columns_are_kept_in_order_and_what_computed_them_is_noted() -> None:
    table = paper_table(
        _correlations(),
        columns=["strategy", "n", "r", "ci95_low", "ci95_high", "p_perm"],
        formats={"r": "coefficient", "ci95_low": "coefficient", "ci95_high": "coefficient"},
        labels={"strategy": "Missing-data strategy"},
    )
    assert [c.key for c in table.columns] == [
        "strategy",
        "n",
        "r",
        "ci95_low",
        "ci95_high",
        "p_perm",
    ]
    assert [c.label for c in table.columns] == [
        "Missing-data strategy", "*n*", "ρ", "95% CI low", "95% CI high", "*p*",
    ]  # fmt: skip
    # strategies in words; the row whose p is not a permutation p shows its own, lettered
    assert [r[0] for r in table.rows] == [
        "complete cases", "available cases", "multiple imputation\u1d43\u1d47",
    ]  # fmt: skip
    assert [r[5] for r in table.rows] == [".088", ".137", ".198"]
    assert table.rows[0][3] == "\u2212.12"
    assert table.note_text() == (
        "Spearman's ρ of the mean level with staff; 95% CI by Fisher z; "
        "*p* by Monte Carlo permutation (100,000 draws)."
    )
    assert table.footnote_lines() == [
        ("a", "95% CI by Rubin's rules on Fisher z."),
        ("b", "*p* by Rubin's rules."),
    ]
    # a column constant over the table stays where the author put it
    one = paper_table(_correlations(), columns=["covariate", "n"])
    assert [c.key for c in one.columns] == ["covariate", "n"] and one.rows[0][0] == "staff"


def test_named_formats_and_their_errors() -> None:
    frame = pd.DataFrame({"name": ["a", "b"], "share": [0.004, 0.5], "level": [2.0, 3.25]})
    table = paper_table(frame, formats={"share": "percent", "level": "level"})
    assert [r[1:] for r in table.rows] == [("< 1%", "2.0"), ("50%", "3.2")]
    with pytest.raises(ReportBuildError, match="format 'percentage' is not one of percent"):
        paper_table(frame, formats={"share": "percentage"})
    with pytest.raises(ReportBuildError, match="format 'percent' is for numbers"):
        paper_table(frame, formats={"name": "percent"})
    with pytest.raises(ReportBuildError, match="label nme is not a column of the table; it has"):
        paper_table(frame, labels={"nme": "Name"})


def test_the_starter_manuscript_parses_and_cites_only_generic_outputs(tmp_path: Path) -> None:
    path = write_starter_manuscript(tmp_path, "Audits {2026}", data="data/returns.csv", claims=True)
    assert path == tmp_path / "manuscript" / "paper.md"
    source = parse_manuscript(path)
    assert source.front["title"] == "Audits {2026}"
    placed = {b.id for b in source.blocks if isinstance(b, FigureBlock | TableBlock)}
    assert placed == {
        "01_missingness_map",
        "02_level_distribution",
        "02_share_below_level_1",
        "03_correlations_mean",
        "04_stage_correlations",
        "claims",
    }
    with pytest.raises(ReportBuildError, match="exists already"):
        write_starter_manuscript(tmp_path, "Again")
    without = write_starter_manuscript(tmp_path, "Again", overwrite=True)
    assert "{claims}" not in without.read_text()


def test_the_paper_and_the_claims_gate_agree_on_what_holds() -> None:
    from cma_research.analysis import claims as claims_mod
    from cma_research.reporting import manuscript

    assert manuscript.HOLDS == claims_mod.HOLDS
    info = manuscript.ClaimInfo("c", "q", "s", "holds in the sample only", 1, 1, True)
    assert not info.failing  # held in the returns: no "Draft:" box, as the gate passes
    assert manuscript.ClaimInfo("c", "q", "s", "partly supported", 2, 1, True).failing

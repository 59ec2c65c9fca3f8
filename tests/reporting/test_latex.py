"""The LaTeX sources: one macro per value, booktabs tables, figures by path."""

from __future__ import annotations

from pathlib import Path

import pytest

from cma_research.core.errors import ReportBuildError
from cma_research.reporting.latex import latex_files, latex_text, values_tex
from cma_research.reporting.manuscript import parse_manuscript, resolve
from cma_research.reporting.values import NamedValue, collect_values
from tests.reporting.conftest import write_noted_table


def test_values_tex_has_one_macro_per_value(mini_build: Path) -> None:
    text = values_tex(collect_values(mini_build / "tables"))
    lines = [ln for ln in text.splitlines() if ln.startswith("\\newcommand")]
    assert lines == [
        "\\newcommand{\\cmaAlpha}{.85}",
        "\\newcommand{\\cmaAlphaCiNineFiveLow}{.69}",
        "\\newcommand{\\cmaNBusinesses}{16}",
        "\\newcommand{\\cmaShareBelowOne}{15\\%}",
    ]


def test_two_names_giving_one_macro_are_an_error() -> None:
    values = {n: NamedValue(n, 1, "1") for n in ("a1", "a_1")}
    with pytest.raises(ReportBuildError, match=r"'a1' and 'a_1' give the same LaTeX macro"):
        values_tex(values)


def test_paper_tex_cites_macros_tables_and_figures(mini_paper: Path, mini_build: Path) -> None:
    paper = resolve(parse_manuscript(mini_paper), collect_values(mini_build / "tables"), mini_build)
    files = latex_files(paper)
    assert sorted(files) == ["paper.tex", "tables/02_shares.tex", "tables/claims.tex", "values.tex"]
    tex = files["paper.tex"].decode()
    assert "\\input{values.tex}" in tex
    assert "We audited \\cmaNBusinesses{} businesses (Figure~\\ref{fig:02_levels})." in tex
    assert "\\includegraphics[width=0.60\\linewidth]{../figures/02_levels.pdf}" in tex
    assert "\\input{tables/02_shares.tex}" in tex and "\\appendix" in tex
    assert "\\footnote{Claim most\\_small (Abstract, line 1): supported" in tex
    table = files["tables/02_shares.tex"].decode()
    assert "\\toprule" in table and "\\midrule" in table and "\\bottomrule" in table
    assert "\\begin{tabular}{lrr}" in table and "\\label{tab:02_shares}" in table
    assert "Contact [web] \\#1 & 12 & \\phantom{0}8\\% \\\\" in table
    assert "Skills\\_and *knowledge* & 12 & 25\\% \\\\" in table
    assert "\\textit{n} & Share \\\\" in table  # a label's italics, never asterisks
    assert "\\usepackage{threeparttable}" in tex


def test_a_table_note_and_its_lettered_rows_are_under_the_table(
    mini_paper: Path, mini_build: Path
) -> None:
    write_noted_table(mini_build, mini_paper)
    paper = resolve(parse_manuscript(mini_paper), collect_values(mini_build / "tables"), mini_build)
    lines = latex_files(paper)["tables/05_noted.tex"].decode().splitlines()
    assert (
        "multiple imputation\\textsuperscript{a} & 16 & $-$.38 [$-$.78, .24] & .198 \\\\" in lines
    )
    note = "\\item \\textit{Note.} Spearman's $\\rho$; \\textit{p} by Monte Carlo permutation."
    assert lines.index("\\end{tabular}") < lines.index(note)
    assert "\\item \\textsuperscript{a} \\textit{p} by Rubin's rules." in lines


def test_latex_text_spells_symbols_the_fonts_lack() -> None:
    assert latex_text("α = .85, ρ = −.52 – “x”") == (
        "$\\alpha$ = .85, $\\rho$ = \\textminus{}.52 -- ``x''"
    )

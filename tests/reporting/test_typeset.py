"""The PDF, checked as a reader sees it: pages rendered to PNG and text extracted (pdfium)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cma_research.reporting.files import save_table
from cma_research.reporting.manuscript import Paper, parse_manuscript, resolve
from cma_research.reporting.typeset import escape_typst, render_pdf
from cma_research.reporting.values import collect_values, record_value
from tests.reporting.conftest import MINI_PAPER, write_claims, write_noted_table

pdfium = pytest.importorskip("pypdfium2")


def _paper(path: Path, build: Path) -> Paper:
    return resolve(parse_manuscript(path), collect_values(build / "tables"), build)


def _pages(pdf: bytes) -> list[tuple[str, np.ndarray, tuple[float, float]]]:
    """Each page's text, its rendering (grey, 72 dpi) and its size in points."""
    doc = pdfium.PdfDocument(io.BytesIO(pdf))
    pages = []
    for i in range(len(doc)):
        page = doc[i]
        text = page.get_textpage().get_text_range()
        image = np.asarray(page.render(scale=1).to_pil().convert("L"))
        pages.append((" ".join(text.split()), image, page.get_size()))
    doc.close()
    return pages


def test_the_pdf_reads_as_the_paper(mini_paper: Path, mini_build: Path) -> None:
    source, pdf = render_pdf(_paper(mini_paper, mini_build), mini_build)
    pages = _pages(pdf)
    text, image, size = pages[0]
    assert size == pytest.approx((595.3, 841.9), abs=0.2)  # A4 in points
    assert text.startswith("A small study Ann Author, Ben Author Abstract. We audited 16")
    assert "1 Sample We audited 16 businesses (Figure 1). Most were small." in text
    assert "1.1 Shares The share below level 1 was 15% (Table 1)" in text
    assert "“-Only two businesses operate here.”" in text
    # the claims' verdicts are footnotes
    assert "Claim most_small (Abstract, line 1): supported by the study’s data" in text
    # the figure is on the page (the bar chart is drawn: dark pixels below the text)
    assert (image < 128).mean() > 0.01
    # the table: caption above, cells escaped as written, the pad before 8% hidden
    assert "Table 1: Shares per stage. Stage n Share Contact [web] #1 12 8%" in text
    assert "Skills_and *knowledge* 12 25%" in text
    # a label's italics (*n*) are italics, never asterisks
    assert "[#strong[#emph[n]]]" in source and "\\*n\\*" not in source
    appendix = " ".join(t for t, _, _ in pages[1:])
    assert "A Claims" in appendix and "only_two" in appendix
    # Typst embeds the fonts it uses
    assert b"/FontFile" in pdf
    assert "#set document(" in source and "date: none" in source


def test_the_pdf_is_byte_identical_across_renders(mini_paper: Path, mini_build: Path) -> None:
    paper = _paper(mini_paper, mini_build)
    first = render_pdf(paper, mini_build)[1]
    assert render_pdf(_paper(mini_paper, mini_build), mini_build)[1] == first


def test_failing_must_hold_claims_are_on_the_first_page(mini_paper: Path, mini_build: Path) -> None:
    write_claims(mini_build / "tables", must_hold_fails=True)
    text = _pages(render_pdf(_paper(mini_paper, mini_build), mini_build)[1])[0][0]
    assert "Draft: 1 claim marked must hold is not supported by the data." in text
    assert "only_two (Findings, line 9): partly supported" in text


def test_a_wide_table_is_scaled_to_the_text_width(mini_paper: Path, mini_build: Path) -> None:
    wide = pd.DataFrame({f"a_rather_long_column_{i}": [1000.5 + i, 2.25] for i in range(14)})
    save_table(wide, mini_build / "tables" / "02_wide")
    text = MINI_PAPER.replace("# Claims", "# Wide\n\n```{table} 02_wide\n```\n\n# Claims")
    mini_paper.write_text(text, encoding="utf-8")
    pages = _pages(render_pdf(_paper(mini_paper, mini_build), mini_build)[1])
    page_text, image, _ = next(p for p in pages if "A rather long column" in p[0])
    assert "1013.50" in page_text  # the last column is on the page
    # nothing is drawn in the right margin (the text ends 2.4 cm from the edge)
    margin = int((2.4 - 0.3) / 2.54 * 72)
    assert (image[:, -margin:] < 200).sum() == 0


def test_a_table_note_and_its_lettered_rows_are_under_the_table(
    mini_paper: Path, mini_build: Path
) -> None:
    write_noted_table(mini_build, mini_paper)
    source, pdf = render_pdf(_paper(mini_paper, mini_build), mini_build)
    text = " ".join(t for t, _, _ in _pages(pdf))
    assert (
        "Table 2: Noted Strategy n ρ [95% CI] p complete cases 12 .52 [−.12, .85] .088 "
        "multiple imputationa 16 −.38 [−.78, .24] .198 "
        "Note. Spearman’s ρ; p by Monte Carlo permutation. a p by Rubin’s rules."
    ) in text.replace("'", "’")
    assert "#super[a]" in source and "#emph[Note.]" in source


def test_typst_escaping_keeps_text_literal() -> None:
    assert escape_typst("a_b *c* #d [e] $f$ <g> @h // i = j - k") == (
        "a\\_b \\*c\\* \\#d \\[e\\] \\$f\\$ \\<g\\> \\@h \\/\\/ i \\= j \\- k"
    )


def test_a_paper_on_synthetic_data_says_so_first(mini_paper: Path, mini_build: Path) -> None:
    record_value(mini_build / "tables" / "00_values.json", "synthetic_data", 1, text="SYNTHETIC")
    text = _pages(render_pdf(_paper(mini_paper, mini_build), mini_build)[1])[0][0]
    assert text.startswith(
        "A small study Ann Author, Ben Author SYNTHETIC example data: part of these returns is "
        "generated by code; no number in this paper is a finding about real businesses."
    )

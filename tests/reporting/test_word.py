"""The Word file, opened with python-docx: headings, real tables, figures, comments."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from cma_research.reporting.manuscript import Paper, parse_manuscript, resolve
from cma_research.reporting.values import collect_values, record_value
from cma_research.reporting.word import render_docx
from tests.reporting.conftest import write_claims, write_noted_table

docx = pytest.importorskip("docx")


def _paper(path: Path, build: Path) -> Paper:
    return resolve(parse_manuscript(path), collect_values(build / "tables"), build)


def test_the_docx_has_styles_tables_figures_and_comments(
    mini_paper: Path, mini_build: Path
) -> None:
    data = render_docx(_paper(mini_paper, mini_build))
    doc = docx.Document(io.BytesIO(data))
    styled = [(p.style.name, p.text) for p in doc.paragraphs if p.text]
    assert styled[0] == ("Title", "A small study")
    headings = [t for s, t in styled if s.startswith("Heading")]
    assert headings == ["1 Sample", "1.1 Shares", "A Claims"]
    assert ("Normal", "Abstract. We audited 16 businesses; alpha was .85.") in styled
    assert ("List Bullet", "a list item with .85") in styled
    # captions in Word's Caption style, numbered by a SEQ field
    captions = [p for p in doc.paragraphs if p.style.name == "Caption"]
    assert [p.text for p in captions] == [
        "Figure : Levels per stage",
        "Table : Shares per stage.",
        "Table : The paper's claims tested against its own data",
    ]
    assert 'w:instr=" SEQ Figure \\* ARABIC "' in captions[0]._p.xml
    # real tables, heading row repeated on each page
    shares = doc.tables[0]
    assert [c.text for c in shares.rows[0].cells] == ["Stage", "n", "Share"]
    assert [r.italic for r in shares.rows[0].cells[1].paragraphs[0].runs] == [True]  # *n*
    assert [c.text for c in shares.rows[1].cells] == ["Contact [web] #1", "12", "\u20078%"]
    assert "w:tblHeader" in shares.rows[0]._tr.xml
    assert len(doc.tables) == 2
    # the figure: embedded at print resolution, 60% of the 160 mm text width
    assert len(doc.inline_shapes) == 1
    assert doc.inline_shapes[0].width.mm == pytest.approx(96, abs=0.1)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        png = next(n for n in z.namelist() if n.startswith("word/media/"))
        assert z.read(png) == (mini_build / "figures" / "02_levels.png").read_bytes()
    # each claim's verdict is a comment in the margin
    notes = [c.text for c in doc.comments]
    assert notes == [
        "Claim most_small (Abstract, line 1): supported by the study's data "
        "(1 of 1 readings supported); see the claims audit.",
        "Claim only_two (Findings, line 9): partly supported by the study's data "
        "(1 of 2 readings supported); see the claims audit.",
    ]
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_a_table_note_and_its_lettered_rows_are_under_the_table(
    mini_paper: Path, mini_build: Path
) -> None:
    write_noted_table(mini_build, mini_paper)
    doc = docx.Document(io.BytesIO(render_docx(_paper(mini_paper, mini_build))))
    noted = doc.tables[1]
    assert noted.rows[2].cells[0].text == "multiple imputationa"
    assert noted.rows[2].cells[0].paragraphs[0].runs[-1].font.superscript
    texts = [p.text for p in doc.paragraphs]
    at = texts.index("Note. Spearman's ρ; p by Monte Carlo permutation.")
    assert texts[at + 1] == "a p by Rubin's rules."
    note = doc.paragraphs[at]
    assert [(r.text, r.italic) for r in note.runs][:1] == [("Note.", True)]


def test_the_docx_is_byte_identical_across_renders(mini_paper: Path, mini_build: Path) -> None:
    first = render_docx(_paper(mini_paper, mini_build))
    assert render_docx(_paper(mini_paper, mini_build)) == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b"w:date=" not in z.read("word/comments.xml")


def test_failing_must_hold_claims_open_the_document(mini_paper: Path, mini_build: Path) -> None:
    write_claims(mini_build / "tables", must_hold_fails=True)
    doc = docx.Document(io.BytesIO(render_docx(_paper(mini_paper, mini_build))))
    first = [p.text for p in doc.paragraphs if p.text][2]
    assert first.startswith("Draft: 1 claim marked must hold is not supported by the data:")


def test_a_paper_on_synthetic_data_says_so_first(mini_paper: Path, mini_build: Path) -> None:
    record_value(mini_build / "tables" / "00_values.json", "synthetic_data", 1, text="SYNTHETIC")
    doc = docx.Document(io.BytesIO(render_docx(_paper(mini_paper, mini_build))))
    assert [p.text for p in doc.paragraphs if p.text][2].startswith("SYNTHETIC example data:")

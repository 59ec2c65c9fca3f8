"""The build's paper step: values.json, the bundled study's manuscript, what changed.

Most tests read the session's build of the bundled study (:func:`bundled_build`) or
re-run only the paper step on a copy of its output folder; one integration test builds
a tiny notebook twice, the returns file altered in between.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from cma_research.pipeline.build import BuildResult, build
from cma_research.pipeline.build.cache import BuildCache
from cma_research.pipeline.build.manuscript import render_paper
from cma_research.reporting.manuscript import parse_manuscript, plain_text, write_starter_manuscript
from cma_research.reporting.values import read_values, record_value
from tests.paths import ROOT

pdfium = pytest.importorskip("pypdfium2")
docx = pytest.importorskip("docx")

MANUSCRIPT = ROOT / "manuscript" / "paper.md"


def _pdf_pages(path: Path) -> list[str]:
    doc = pdfium.PdfDocument(path)
    pages = [" ".join(doc[i].get_textpage().get_text_range().split()) for i in range(len(doc))]
    doc.close()
    return pages


def _cited(path: Path) -> set[str]:
    return set(re.findall(r"(?<![\\`])\{([a-z][a-z0-9_]*)\}(?!`)", path.read_text()))


def _copy(bundled_build: BuildResult, tmp_path: Path) -> Path:
    out = tmp_path / "reports"
    shutil.copytree(bundled_build.output_dir, out, ignore=shutil.ignore_patterns(".*"))
    return out


def _render(out: Path, tmp_path: Path, **kwargs):  # type: ignore[no-untyped-def]
    lines: list[str] = []
    names = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
    cache = BuildCache(tmp_path / "cache", lines.append)
    run = render_paper(out, ROOT, [], {}, cache, lines.append, notebook_names=names, **kwargs)
    return run, lines


# -- the bundled study ---------------------------------------------------------------------


def test_values_json_holds_every_value_the_manuscript_cites(bundled_build: BuildResult) -> None:
    assert bundled_build.ok, bundled_build.summary()
    values = read_values(bundled_build.output_dir / "values.json")
    assert _cited(MANUSCRIPT) <= set(values)
    assert values["n_businesses"].value == 16 and values["n_businesses"].notebook == "00_findings"
    alpha = values["alpha"]
    assert (alpha.table, alpha.notebook, alpha.strategy) == (
        "04_cronbach_alpha",
        "04_reliability",
        "complete_case",
    )
    # the number at full precision is the table's; the text is the findings' (George &
    # Mallery's "good" for .80 <= alpha < .90)
    table = (bundled_build.output_dir / "tables" / "04_cronbach_alpha.csv").read_text()
    assert repr(alpha.value) in table and alpha.text == ".85" and alpha.n == 12
    assert values["alpha_word"].text == "good"
    assert values["claims_n"].value == 29 and values["claims_must_hold_failing"].value == 0
    assert bundled_build.paper == "paper: first build of this study, nothing to compare with"


def test_the_bundled_paper_reads_as_the_study(bundled_build: BuildResult) -> None:
    out = bundled_build.output_dir / "manuscript"
    pages = _pdf_pages(out / "paper.pdf")
    values = {k: v.text for k, v in read_values(bundled_build.output_dir / "values.json").items()}
    text = " ".join(pages)
    assert pages[0].startswith("Customer management in small businesses")
    # the 16-or-15 question, with both quotes from the claims file and their verdicts
    assert "2.2 How many businesses were audited?" in text
    assert "“By August 2007, only 16 Radar Charts had been completed.”" in text
    assert "“The Audit Tool has been administered with 15 companies.”" in text
    assert "Claim findings_16_radar_charts (Research Findings, line 235): supported" in text
    assert (
        "Claim results_administered_15 (Results from the Audit Tool, line 251): not supported"
        in text
    )
    assert f"Table 4 itself has {values['n_businesses']} rows" in text
    assert (
        f"Cronbach’s alpha of the {values['n_stages']} stages was {values['alpha']} (95% CI "
        f"{values['alpha_ci95_low']} to {values['alpha_ci95_high']}" in text
    )
    for heading in ("3 Sample", "4 Maturity by stage", "5 Size and maturity", "6 Reliability"):
        assert heading in text
    assert "A Claims audit" in pages[-1] and "results_15_returns" in pages[-1]
    assert "Draft:" not in pages[0]  # no must-hold claim fails on the bundled data
    # Word: the same sections, real tables and the figures
    document = docx.Document(out / "paper.docx")
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["1 Introduction", "2 Data and methods", "2.1 The returns"]
    source = parse_manuscript(MANUSCRIPT)
    n_figures = sum(1 for b in source.blocks if type(b).__name__ == "FigureBlock")
    assert len(document.inline_shapes) == n_figures == 6
    assert len(document.tables) == 3 and len(list(document.comments)) == 3
    # LaTeX: one macro per value, the paper citing them
    tex = (out / "paper.tex").read_text()
    assert "\\newcommand{\\cmaNBusinesses}{16}" in (out / "values.tex").read_text()
    assert "Table 4 itself has \\cmaNBusinesses{} rows" in tex
    # the index links the paper and what changed
    index = (bundled_build.output_dir / "index.html").read_text()
    assert 'href="manuscript/paper.pdf"' in index and 'href="changes.html"' in index


def test_a_rebuild_gives_a_byte_identical_paper(
    bundled_build: BuildResult, bundled_rebuild: BuildResult
) -> None:
    for name in ("paper.pdf", "paper.docx", "paper.tex", "values.tex", "paper.typ"):
        first = (bundled_build.output_dir / "manuscript" / name).read_bytes()
        assert (bundled_rebuild.output_dir / "manuscript" / name).read_bytes() == first, name
    assert (bundled_rebuild.output_dir / "values.json").read_bytes() == (
        bundled_build.output_dir / "values.json"
    ).read_bytes()


def test_the_paper_is_cached_and_rendered_again_byte_identical(
    bundled_build: BuildResult, tmp_path: Path
) -> None:
    out = _copy(bundled_build, tmp_path)
    forced, lines = _render(out, tmp_path, force=True)
    assert forced.ok and forced.decision == "re-render: --force", lines
    for name in ("paper.pdf", "paper.docx"):
        assert (out / "manuscript" / name).read_bytes() == (
            bundled_build.output_dir / "manuscript" / name
        ).read_bytes()
    again, _ = _render(out, tmp_path)
    assert again.decision == "cached"
    assert again.line == "paper: 0 numbers changed, 0 claim verdicts changed"


def test_changed_values_and_verdicts_are_reported_with_their_sentences(
    bundled_build: BuildResult, tmp_path: Path
) -> None:
    out = _copy(bundled_build, tmp_path)
    tables = out / "tables"
    record_value(tables / "04_values.json", "alpha", 0.5012, unit="coefficient", notebook="04")
    verdicts = pd.read_csv(tables / "08_claims_verdicts.csv")
    verdicts.loc[verdicts["claim_id"] == "findings_16_radar_charts", "verdict"] = "partly supported"
    verdicts.to_csv(tables / "08_claims_verdicts.csv", index=False)
    run, _ = _render(out, tmp_path)
    assert run.line == "paper: 1 number changed, 1 claim verdict changed"
    report = json.loads((out / "changes.json").read_text())
    (alpha,) = [c for c in report["value_changes"] if c["name"] == "alpha"]
    assert (alpha["old"], alpha["new"], alpha["kind"]) == (".85", ".50", "changed")
    assert alpha["sentences"][0].startswith("For size and maturity the verdict is")
    assert any(
        s.startswith("Cronbach's alpha of the 10 stages was .50") for s in alpha["sentences"]
    )
    (verdict,) = report["verdict_changes"]
    assert (verdict["claim_id"], verdict["old"], verdict["new"]) == (
        "findings_16_radar_charts",
        "supported",
        "partly supported",
    )
    html = (out / "changes.html").read_text()
    assert "<code>alpha</code>" in html and "<b>.50</b>" in html and "partly supported" in html
    # a must-hold claim now fails: the draft says so on its first page
    assert (
        "Draft: 1 claim marked must hold is not supported"
        in _pdf_pages(out / "manuscript" / "paper.pdf")[0]
    )


def test_an_unknown_value_fails_the_paper_naming_the_closest(
    bundled_build: BuildResult, tmp_path: Path
) -> None:
    out = _copy(bundled_build, tmp_path)
    bad = tmp_path / "paper.md"
    bad.write_text(MANUSCRIPT.read_text().replace("was {alpha} (95% CI", "was {alhpa} (95% CI"))
    run, lines = _render(out, tmp_path, manuscript=bad)
    assert not run.ok
    assert re.search(
        r"paper.md, line \d+: no notebook recorded a value named 'alhpa'; closest: alpha", run.error
    )
    assert not (out / "manuscript" / "paper.pdf").exists()  # no paper with stale numbers
    assert (out / "values.json").exists() and any("not rendered" in ln for ln in lines)


def test_a_paper_needs_every_notebook_outputs(bundled_build: BuildResult, tmp_path: Path) -> None:
    out = _copy(bundled_build, tmp_path)
    (out / "notebooks" / "05_sensitivity.ipynb").unlink()  # as after a first build with --only
    run, lines = _render(out, tmp_path)
    assert run.ok and not (out / "manuscript" / "paper.pdf").exists()
    assert lines == ["manuscript: not rendered: no outputs of 05_sensitivity in this folder yet"]


def test_a_paper_about_other_returns_is_not_rendered(
    bundled_build: BuildResult, tmp_path: Path
) -> None:
    out = _copy(bundled_build, tmp_path)
    other = ROOT / "data" / "raw" / "managing_customers_SYNTHETIC.csv"
    run, lines = _render(out, tmp_path, returns=other)
    assert run.ok and not (out / "manuscript" / "paper.pdf").exists()
    assert lines == [
        "manuscript: not rendered: paper.md is about data/raw/customer_wise_2007.csv, not this "
        "build's returns (managing_customers_SYNTHETIC.csv)"
    ]
    same, _ = _render(out, tmp_path, returns=ROOT / "data" / "raw" / "customer_wise_2007.csv")
    assert same.ok and (out / "manuscript" / "paper.pdf").exists()


def test_a_starter_manuscript_renders_on_the_bundled_build(
    bundled_build: BuildResult, tmp_path: Path
) -> None:
    out = _copy(bundled_build, tmp_path)
    path = write_starter_manuscript(
        tmp_path / "study", "Audits of 2026", data="data/returns.csv", claims=True
    )
    assert parse_manuscript(path).front["data"] == "data/returns.csv"
    run, lines = _render(out, tmp_path, manuscript=path)
    assert run.ok, (run.error, lines)
    text = " ".join(_pdf_pages(out / "manuscript" / "paper.pdf"))
    assert text.startswith("Audits of 2026") and "A Claims audit" in text
    cited = _cited(path)
    values = read_values(out / "values.json")
    assert cited <= set(values)
    paper_text = plain_text(parse_manuscript(path).abstract)
    assert "{n_businesses}" not in paper_text


# -- a tiny study built twice ----------------------------------------------------------------

RECORDS_A_VALUE = (
    "from pathlib import Path\n"
    "from cma_research.reporting.values import record_value\n"
    "rows = Path(returns_path).read_text().splitlines()[1:]\n"
    "total = sum(int(r) for r in rows)\n"
    "tables = Path(output_dir) / 'tables'\n"
    "tables.mkdir(parents=True, exist_ok=True)\n"
    "record_value(tables / '01_values.json', 'total', total, unit='count', notebook='01')\n"
)


@pytest.mark.integration
def test_an_altered_returns_file_is_named_in_changes_html(tmp_path: Path) -> None:
    root = tmp_path / "study"
    (root / "notebooks").mkdir(parents=True)
    (root / "data").mkdir()
    returns = root / "data" / "returns.csv"
    returns.write_text("a\n1\n2\n")
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'returns_path: str = "data/returns.csv"  # help: the returns\n'
        'output_dir: str = "reports"  # help: outputs'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny\n\nA value."), params]
    nb.cells.append(nbformat.v4.new_code_cell(RECORDS_A_VALUE))
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i}"
    nbformat.write(nb, root / "notebooks" / "01_total.ipynb")
    paper = root / "manuscript" / "paper.md"
    paper.parent.mkdir()
    paper.write_text("---\ntitle: Tiny\n---\n\n# Result\n\nThe total is {total}. It is cited.\n")

    def run() -> BuildResult:
        return build(
            notebooks_dir=root / "notebooks",
            output_dir=root / "reports",
            progress=lambda line: None,
            cache_dir=tmp_path / "cache",
        )

    first = run()
    assert first.ok, first.summary()
    assert "The total is 3." in " ".join(_pdf_pages(root / "reports" / "manuscript" / "paper.pdf"))
    returns.write_text("a\n1\n2\n4\n")
    second = run()
    assert second.ok and second.paper == "paper: 1 number changed, 0 claim verdicts changed"
    assert "paper: 1 number changed" in second.summary()
    html = (root / "reports" / "changes.html").read_text()
    row = re.search(r"<code>total</code>.*?</tr>", html, re.S)
    assert row is not None
    assert "3" in row.group() and "<b>7</b>" in row.group()
    assert "returns file changed" in row.group() and "The total is 7." in row.group()
    pdf = _pdf_pages(root / "reports" / "manuscript" / "paper.pdf")
    assert "The total is 7." in " ".join(pdf)
    # a misspelt value fails the build, naming the closest recorded name
    paper.write_text("---\ntitle: Tiny\n---\n\nThe total is {totl}.\n")
    third = run()
    assert not third.ok
    assert (
        "FAILED manuscript: paper.md, line 5: no notebook recorded a value named 'totl'; "
        "closest: total" in third.summary()
    )
    assert "build failed: manuscript" in third.summary()


def test_docx_and_pdf_bytes_do_not_embed_the_output_folder(bundled_build: BuildResult) -> None:
    out = bundled_build.output_dir
    for name in ("paper.pdf", "paper.docx", "paper.typ", "paper.tex"):
        data = (out / "manuscript" / name).read_bytes()
        assert str(out).encode() not in data and str(ROOT).encode() not in data, name

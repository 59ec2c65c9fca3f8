"""The shared reports read as reports: checked in headless Chromium at 1280 px, and as text.

Every code-free report and the landing page: no table wider than the text column unless
marked wide (then it scrolls inside its own box), every figure with alt text, the first
screen shows findings rather than machinery; no page shows an object's repr.
"""

from __future__ import annotations

import re
from pathlib import Path

from cma_research.pipeline.build import BuildResult
from tests.pipeline.clients import PageReport

REPRS = ("&lt;Cohort", "<Cohort", "&lt;cma_research.", "<cma_research.", " object at 0x")


def _pages(out: Path) -> list[Path]:
    return [out / "index.html", *sorted((out / "html").glob("*.nocode.html"))]


def test_reports_at_1280px_fit_the_column_have_alt_text_and_open_with_findings(
    bundled_build: BuildResult, bundled_pages: dict[str, PageReport]
) -> None:
    # the pages as Chromium loaded them once (tests/pipeline/conftest.py), measured by
    # LAYOUT_PROBE (tests/pipeline/clients.py)
    assert bundled_build.ok, bundled_build.summary()
    out = bundled_build.output_dir
    for page in _pages(out):
        probe = bundled_pages[page.relative_to(out).as_posix()].probe
        assert probe["width"] == 1280, page.name
        assert probe["problems"] == [], (page.name, probe["problems"])
        assert probe["noAlt"] == 0, page.name
        # the first screen (800 px) shows a finding, and nothing of the machinery
        # (parameters, provenance) comes before it
        finding, machinery = probe["firstFinding"], probe["firstMachinery"]
        assert finding is not None and finding < 800, (page.name, finding)
        assert machinery is None or machinery > finding, (page.name, finding, machinery)


def test_no_object_repr_in_any_shared_html(bundled_build: BuildResult) -> None:
    out = bundled_build.output_dir
    found = []
    for page in sorted(out.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        for needle in REPRS:
            if needle in text:
                found.append(f"{page.relative_to(out)}: {needle}")
    assert found == []


def test_tables_have_no_python_reprs_and_the_index_lists_them_by_caption(
    bundled_build: BuildResult,
) -> None:
    out = bundled_build.output_dir
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Spearman correlation of each stage with staff (Holm-adjusted)" in index
    assert re.search(r'href="tables/03_correlations_stages.tex">LaTeX</a>', index)
    assert ">03_ols_size<" not in index  # by caption, not by file stem
    report = (out / "html" / "03_size_and_growth.nocode.html").read_text(encoding="utf-8")
    assert "'data/raw/customer_wise_2007.csv'" not in report
    assert "<td>data/raw/customer_wise_2007.csv</td>" in report
    assert "<td>none (default)</td>" in report
    assert "stage_3" not in report.split("Parameters of this run")[0]  # stages by name
    funnel = (out / "html" / "00_findings.nocode.html").read_text(encoding="utf-8")
    assert ">True<" not in funnel and ">False<" not in funnel

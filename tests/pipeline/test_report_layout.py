"""The shared reports read as reports: checked in headless Chromium at 1280 px, and as text.

Every code-free report and the landing page: no table wider than the text column unless
marked wide (then it scrolls inside its own box), every figure with alt text, the first
screen shows findings rather than machinery; no page shows an object's repr.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cma_research.pipeline.build import BuildResult
from tests.pipeline.clients import Chromium, find_chromium

#: Measures, in the loaded page, what a reader at 1280 px sees.
LAYOUT_PROBE = r"""(() => {
  const column = document.querySelector('main') || document.body;
  const style = getComputedStyle(column);
  const box = column.getBoundingClientRect();
  const left = box.left + parseFloat(style.paddingLeft) - 1;
  const right = box.right - parseFloat(style.paddingRight) + 1;
  const problems = [];
  document.querySelectorAll('table').forEach((table, i) => {
    if (!table.offsetParent) return;  // not shown (a closed <details>)
    const wide = table.closest('.cma-table.wide');
    const shown = wide ? table.closest('.cma-scroll') : table;
    const r = shown.getBoundingClientRect();
    if (r.left < left || r.right > right) {
      problems.push(`table ${i} spans ${Math.round(r.left)}-${Math.round(r.right)}` +
                    ` outside the text column ${Math.round(left)}-${Math.round(right)}`);
    }
    if (wide && getComputedStyle(shown).overflowX !== 'auto') {
      problems.push(`wide table ${i} does not scroll in its box`);
    }
  });
  const noAlt = Array.from(document.images).filter(img => !img.alt.trim()).length;
  const top = el => el.getBoundingClientRect().top + window.scrollY;
  const findings = Array.from(document.querySelectorAll(
    'table.cma, img, .cma-claims, .jp-OutputArea-output p, .jp-OutputArea-output li, #key-findings'
  )).filter(el => el.getBoundingClientRect().height > 0).map(top).sort((a, b) => a - b);
  const machinery = Array.from(document.querySelectorAll('p, li, td, th, summary, pre'))
    .filter(el => /Parameters of this run|returns_path|Traceback|manifest\.json/.test(el.innerText))
    .map(top).sort((a, b) => a - b);
  return {problems, noAlt, width: window.innerWidth,
          firstFinding: findings.length ? findings[0] : null,
          firstMachinery: machinery.length ? machinery[0] : null};
})()"""

REPRS = ("&lt;Cohort", "<Cohort", "&lt;cma_research.", "<cma_research.", " object at 0x")


@pytest.fixture(scope="module")
def chromium() -> str:
    path, reason = find_chromium()
    if path is None:
        pytest.skip(reason)
    return path


def _pages(out: Path) -> list[Path]:
    return [out / "index.html", *sorted((out / "html").glob("*.nocode.html"))]


def test_reports_at_1280px_fit_the_column_have_alt_text_and_open_with_findings(
    bundled_build: BuildResult, chromium: str
) -> None:
    assert bundled_build.ok, bundled_build.summary()
    with Chromium(chromium) as browser:
        for page in _pages(bundled_build.output_dir):
            probe = browser.load(page.as_uri(), probe=LAYOUT_PROBE).probe
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

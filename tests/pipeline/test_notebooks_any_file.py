"""The real build (every notebook, papermill) on valid returns files unlike the bundled one.

Issue 20: a notebook never crashes on a valid file; it says in words what it could not
compute. Each case below is a SYNTHETIC file written by code; each is built once, with the
small parameters of :data:`tests.fast.FAST` in warm kernels, and every
notebook must succeed, say the sentence the case calls for (in its code-free page) and
show no traceback or error name. The same code paths on generated cohorts, without
figures, are in ``tests/reporting/test_any_cohort.py``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from cma_research.cli import main
from cma_research.pipeline.build import BuildResult, build
from tests.fast import FAST
from tests.studies import three_wave_dates

# warm kernels (the default): every notebook of three full builds runs, and forking the
# preloaded stack costs far less than importing it in each fresh kernel
pytestmark = [pytest.mark.integration]

NOTEBOOKS = [f"{n}" for n in (
    "00_findings", "01_data_quality", "02_distributions", "03_size_and_growth",
    "04_reliability", "05_sensitivity", "06_change", "07_planning", "08_claims",
)]  # fmt: skip
#: An exception's name as a traceback prints it (``KeyError``); the page's scripts have
#: names such as ``makeMermaidError``, which do not start a word.
ERROR_NAME = re.compile(r"\b[A-Z]\w*Error\b")


def _build(folder: Path, lines: list[str], monkeypatch: pytest.MonkeyPatch) -> BuildResult:
    """``init`` on the returns, the FAST parameters, then every notebook."""
    folder.mkdir()
    (folder / "returns_SYNTHETIC.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.chdir(folder)
    assert main(["init", "returns_SYNTHETIC.csv"]) == 0
    study = folder / "study.yaml"
    study.write_text(
        study.read_text(encoding="utf-8") + yaml.safe_dump({"parameters": FAST}),
        encoding="utf-8",
    )
    result = build(jobs=2, progress=lambda line: None, cache_dir=folder / "cache")
    failed = {r.name: r.error for r in result.runs if not r.ok}
    assert not failed, result.summary()
    assert sorted(r.name for r in result.runs) == NOTEBOOKS
    # and the starter manuscript init wrote renders: a table the notebook could not
    # compute shows its reason in the paper
    assert result.ok and not result.paper_error, result.summary()
    assert (result.output_dir / "manuscript" / "paper.pdf").is_file()
    return result


def _pages(result: BuildResult) -> dict[str, str]:
    """Each notebook's code-free page; no page shows a traceback or an error's name."""
    html = result.output_dir / "html"
    pages = {}
    for name in NOTEBOOKS:
        page = (html / f"{name}.nocode.html").read_text(encoding="utf-8")
        code = (html / f"{name}.html").read_text(encoding="utf-8")
        assert "Traceback" not in page and "Traceback" not in code, name
        assert not ERROR_NAME.search(page), (name, ERROR_NAME.search(page))
        pages[name] = page
    return pages


def test_three_waves_as_dates_without_staff_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # tests/studies.py::three_wave_dates with its Staff column removed: 15 businesses,
    # three yearly rounds of day-first dates, one business drops out between rounds
    source = three_wave_dates(tmp_path).read_text(encoding="utf-8").splitlines()
    lines = [",".join(cells[:2] + cells[3:]) for cells in (row.split(",") for row in source)]
    assert lines[0].startswith("Business ID,Audit date,1,2")
    result = _build(tmp_path / "study", lines, monkeypatch)
    pages = _pages(result)
    assert "the returns give no staff numbers" in pages["00_findings"]
    assert "the returns give no staff numbers" in pages["03_size_and_growth"]
    assert "fewer than two staff numbers" in pages["07_planning"]
    # 05 says once why size cannot be compared across strategies: no table of "not
    # applicable" rows, no footnote per strategy, no "needs 3 businesses; 0 have them"
    sensitivity = pages["05_sensitivity"]
    assert (
        "The size correlation could not be computed under any strategy: "
        "the returns give no staff numbers." in sensitivity
    )
    assert "The OLS size model could not be fitted under any strategy" in sensitivity
    assert "not applicable" not in sensitivity and "0 have them" not in sensitivity
    assert "reading blanks as the lowest level changes nothing" in sensitivity  # no blank
    shown = re.sub(r"<(style|script)\b.*?</\1>", "", sensitivity, flags=re.S)  # CSS says "paper"
    assert "paper" not in re.sub(r"<[^>]+>", "", shown.split("Parameters of this run")[0])
    # 06 in words: statuses and the adjustment, not codes
    change = pages["06_change"]
    assert "audited at both" in change and ">paired<" not in change
    assert "P adj method" not in change and "Holm-adjusted across the 10 tested stages" in change
    # rule 16: a year reads "in 2020"; tables hold the wave's label, never its code
    assert re.search(r"audited in 2019 and \d+ in 2021", pages["06_change"])
    with (result.output_dir / "tables" / "01_missing_by_business.csv").open() as fh:
        assert {row["wave"] for row in csv.DictReader(fh)} == {"2021"}


def test_one_business(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["Business ID,Staff,1,2,3,4,5,6,7,8,9,10", "B01,12,2,3,1,0,4,2,3,1,2,5"]
    pages = _pages(_build(tmp_path / "study", lines, monkeypatch))
    assert "Size could not be related to maturity" in pages["00_findings"]
    assert "could not be recomputed with each business left out" in pages["03_size_and_growth"]
    assert "alpha could not be computed: cronbach_alpha needs" in pages["04_reliability"]
    assert "strategy multiple has nothing to impute" in pages["05_sensitivity"]
    assert "nothing to compare" in pages["06_change"]
    assert "cannot be calibrated on these returns" in pages["07_planning"]


def test_a_latest_wave_of_one_business_all_at_one_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # six businesses in 2008; in 2009 only B01, at level 2 on every stage
    lines = ["Business ID,Wave,Staff,1,2,3,4,5,6,7,8,9,10"]
    lines += [
        f"B{i + 1:02d},2008,{5 + 3 * i}," + ",".join(str((i + k) % 5) for k in range(10))
        for i in range(6)
    ]
    lines.append("B01,2009,5," + ",".join(["2"] * 10))
    pages = _pages(_build(tmp_path / "study", lines, monkeypatch))
    assert "Size could not be related to maturity" in pages["00_findings"]
    assert "could not be recomputed with each business left out" in pages["03_size_and_growth"]
    assert "strategy multiple has nothing to impute" in pages["05_sensitivity"]
    assert "6 businesses were audited in 2008 and 1 in 2009" in pages["06_change"]
    assert "cannot be calibrated on these returns" in pages["07_planning"]

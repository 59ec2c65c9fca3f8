"""The batch build: parameters checked before kernels start, real papermill runs, HTML that
works offline in a real browser, a reproducible manifest, and a JupyterLab server."""

from __future__ import annotations

import gc
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml

import cma_research as cma
from cma_research.cli import main
from cma_research.core.files import sha256_file
from cma_research.pipeline import build as build_mod
from cma_research.pipeline.build import BuildResult, build, notebook_parameters, validate_parameters
from tests.paths import ROOT
from tests.pipeline.clients import JupyterServer, PageReport

# papermill runs kernels through nbclient, whose jupyter_core.utils.run_sync keeps one
# asyncio loop per worker thread and never closes it; the loop (and its self-pipe socket)
# is only reclaimed by the garbage collector, which warns. That is theirs, not ours.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

NOTEBOOKS = ROOT / "notebooks"


@pytest.fixture(autouse=True)
def _collect_leftovers() -> Iterator[None]:
    """Reclaim those loops and sockets here, under this module's filters, not in a later test."""
    yield
    gc.collect()


# what every notebook declares: the returns and how to load them, and where outputs go
# (each declares the statistics parameters it uses, and only those)
REQUIRED = {
    "returns_path",
    "instrument",
    "output_dir",
    "wave",
    "header_row",
    "sheet",
    "encoding",
    "na_values",
    "aliases",
    "wave_order",
}


def test_every_notebook_has_one_parameters_cell_of_literals_with_help() -> None:
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert [p.stem for p in paths][:6] == [
        "00_findings",
        "01_data_quality",
        "02_distributions",
        "03_size_and_growth",
        "04_reliability",
        "05_sensitivity",
    ]
    for path in paths:
        specs = notebook_parameters(path)
        assert set(specs) >= REQUIRED, path.name
        assert all(s.help for s in specs.values())
        nb = nbformat.read(path, as_version=4)
        # committed without outputs
        assert all(
            not c.get("outputs") and not c.get("execution_count")
            for c in nb.cells
            if c.cell_type == "code"
        ), path.name


def test_papermill_reads_the_same_parameters() -> None:
    import papermill as pm

    inferred = pm.inspect_notebook(str(NOTEBOOKS / "03_size_and_growth.ipynb"))
    ours = notebook_parameters(NOTEBOOKS / "03_size_and_growth.ipynb")
    assert set(inferred) == set(ours)
    assert inferred["covariates_path"]["inferred_type_name"] == "Optional[str]"


def _specs() -> dict[str, Any]:
    return {p.stem: notebook_parameters(p) for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))}


def test_validation_reports_every_problem_before_any_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import papermill as pm

    def no_kernel(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a kernel was started before the parameters were validated")

    monkeypatch.setattr(pm, "execute_notebook", no_kernel)
    params = tmp_path / "params.yaml"
    params.write_text(
        yaml.safe_dump(
            {
                "n_bot": 100,  # typo
                "seed": "2007",  # wrong type
                "returns_path": "missing.csv",  # no such file
                "missing_strategy": "listwise",  # not a strategy
                "target_level": 9,
            },
            sort_keys=False,
        )
    )
    with pytest.raises(cma.ParameterError) as info:
        build(params_file=params, output_dir=tmp_path / "out", notebooks_dir=NOTEBOOKS)
    lines = str(info.value).splitlines()
    assert len(lines) == 5, lines
    assert lines[0].startswith("unknown parameter 'n_bot'; did you mean 'n_boot'?")
    assert "parameter 'seed' must be int, got str '2007'" in lines[1]
    assert any("missing_strategy='listwise' is not allowed; expected one of" in x for x in lines)
    # the levels come from the instrument, named by their labels
    assert any("target_level=9 is not a level of customer_wise_2007" in x for x in lines)
    # file checks come last
    assert "parameter 'returns_path': file not found: missing.csv" in lines[4]
    assert not (tmp_path / "out").exists()


def test_cli_build_with_bad_parameters_exits_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params = tmp_path / "p.yaml"
    params.write_text("seed: [1, 2]\n")
    code = main(["build", "--params", str(params), "--output-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert err.strip() == (
        "error: parameter 'seed' must be int, got list [1, 2] "
        "(seed for bootstrap, permutations and multiple imputation)"
    )


def test_validate_parameters_resolves_paths(tmp_path: Path) -> None:
    data = tmp_path / "r.csv"
    data.write_bytes((ROOT / "data" / "raw" / "customer_wise_2007.csv").read_bytes())
    out = validate_parameters(
        {"returns_path": "r.csv", "covariates_path": None},
        _specs(),
        base_dir=tmp_path,
        notebooks_dir=NOTEBOOKS,
    )
    assert out["returns_path"] == str(data.resolve())
    assert out["covariates_path"] is None


def _tiny_notebook(path: Path, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell(
        'output_dir: str = "out"  # help: where outputs go\nvalue: int = 1  # help: a number'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(body),
        nbformat.v4.new_markdown_cell("Value: <b>&</b>"),
    ]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"
    nbformat.write(nb, path)


def test_a_failing_notebook_does_not_stop_the_others(tmp_path: Path) -> None:
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    _tiny_notebook(nbs / "01_ok.ipynb", "print(value * 2)")
    _tiny_notebook(nbs / "02_fails.ipynb", "raise ValueError('broken on purpose')")
    out = tmp_path / "reports"
    (out / "html").mkdir(parents=True)
    stale = out / "html" / "02_fails.html"
    stale.write_text("<p>an old success</p>")  # must not survive as a success
    result = build(
        notebooks_dir=nbs,
        output_dir=out,
        jobs=2,
        progress=lambda line: None,
        cache_dir=tmp_path / "c",
    )
    assert not result.ok
    runs = {r.name: r for r in result.runs}
    assert runs["01_ok"].ok
    # cell 2 of the notebook as committed (papermill's injected cell is not counted)
    assert runs["02_fails"].error == (
        "cell 2, line 1 (\"raise ValueError('broken on purpose')\") raised ValueError: "
        "broken on purpose"
    )
    assert "FAILED 02_fails" in result.summary() and "build failed: 02_fails" in result.summary()
    assert (out / "html" / "01_ok.html").exists() and (out / "html" / "01_ok.nocode.html").exists()
    assert not stale.exists() and not (out / "html" / "02_fails.nocode.html").exists()
    assert (out / "notebooks" / "02_fails.FAILED.ipynb").exists()
    assert not (out / "notebooks" / "02_fails.ipynb").exists()
    index = (out / "index.html").read_text()
    assert "FAILED" in index and "broken on purpose" in index
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["notebooks"]["02_fails"]["ok"] is False
    # no temporary files left behind (the lock file stays: it is how builds take turns)
    assert [p.name for p in out.rglob(".*")] == [".build.lock"]


def test_cli_build_exit_status_on_failure(tmp_path: Path) -> None:
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    _tiny_notebook(nbs / "01_fails.ipynb", "1 / 0")
    code = main(
        [
            "build",
            "--notebooks-dir",
            str(nbs),
            "--output-dir",
            str(tmp_path / "r"),
            "--cache-dir",
            str(tmp_path / "c"),
        ]
    )
    assert code == 1


# -- the real build -------------------------------------------------------------------------


def test_full_build_succeeds_and_writes_everything(bundled_build: BuildResult) -> None:
    assert bundled_build.ok, bundled_build.summary()
    out = bundled_build.output_dir
    for name in (
        "00_findings",
        "01_data_quality",
        "02_distributions",
        "03_size_and_growth",
        "04_reliability",
        "05_sensitivity",
    ):
        assert (out / "notebooks" / f"{name}.ipynb").exists()
        assert (out / "html" / f"{name}.html").exists()
        assert (out / "html" / f"{name}.nocode.html").exists()
    figures = {p.name for p in (out / "figures").iterdir()}
    for stem in (
        "00_level_distribution",
        "02_radar_cohort",
        "02_cohort_heatmap",
        "04_stage_correlations",
        "01_missingness_map",
        "00_recruitment_funnel",
    ):
        assert {f"{stem}.pdf", f"{stem}.svg", f"{stem}.png"} <= figures, stem
    tables = {p.name for p in (out / "tables").iterdir()}
    assert {
        "03_correlations_mean.csv",
        "03_correlations_mean.tex",
        "03_correlations_mean.md",
        "05_sensitivity_size_correlation.csv",
        "04_cronbach_alpha.csv",
    } <= tables


def test_manifest_records_provenance(bundled_build: BuildResult) -> None:
    manifest = json.loads((bundled_build.output_dir / "manifest.json").read_text())
    record = manifest["notebooks"]["00_findings"]
    assert record["inputs"]["returns_path"] == {
        "path": "data/raw/customer_wise_2007.csv",
        "sha256": "fc9e0d355305e3f9a42a97b9c684f1f5a4960430d2fb7011d9c6d0a745be5b2c",
    }
    assert record["this_run"] and not record["reused"] and len(record["key"]) == 64
    assert manifest["kernel"]["executable_in_build_environment"] == "yes"
    assert manifest["parameters"]["n_boot"] == 200
    for key in (
        "python",
        "pandas",
        "scipy",
        "statsmodels",
        "seaborn",
        "papermill",
        "nbconvert",
        "cma_research",
    ):
        assert key in manifest["versions"]
    assert "git_commit" in manifest
    assert set(manifest["notebooks"]) == {r.name for r in bundled_build.runs}
    assert all(v["seconds"] > 0 for v in manifest["notebooks"].values())
    outputs = manifest["outputs"]
    assert "tables/03_correlations_mean.csv" in outputs and "html/00_findings.html" in outputs
    path = bundled_build.output_dir / "tables" / "03_correlations_mean.csv"
    assert outputs["tables/03_correlations_mean.csv"] == sha256_file(path)


def test_rebuild_gives_identical_tables_and_figures(
    bundled_build: BuildResult, bundled_rebuild: BuildResult
) -> None:
    assert bundled_rebuild.ok, bundled_rebuild.summary()
    first = json.loads((bundled_build.output_dir / "manifest.json").read_text())["outputs"]
    second = json.loads((bundled_rebuild.output_dir / "manifest.json").read_text())["outputs"]
    keys = [k for k in first if k.startswith(("tables/", "figures/"))]
    assert len(keys) > 50
    different = [k for k in keys if first[k] != second.get(k)]
    assert different == []


def test_html_is_self_contained_and_shows_parameters(bundled_build: BuildResult) -> None:
    html_dir = bundled_build.output_dir / "html"
    for page in sorted(html_dir.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        external = re.findall(r"<(?:script|link|img)[^>]+(?:src|href)=\"(https?://[^\"]+)\"", text)
        assert external == [], (page.name, external[:3])
        assert "Parameters of this run" in text, page.name
    findings = (html_dir / "00_findings.nocode.html").read_text(encoding="utf-8")
    assert findings.count('src="data:image/png;base64,') == 3  # funnel, levels, scatter
    call = '<span class="n">setup</span><span class="p">(</span>'  # the highlighted call
    assert call not in findings  # code-free variant
    assert call in (html_dir / "00_findings.html").read_text(encoding="utf-8")
    # the report opens with the findings: the parameters come last
    assert findings.index("The cohort has") < findings.index("Parameters of this run")
    # numbers in the prose come from the computation
    assert "The cohort has <strong>16</strong> audited businesses" in findings
    # parameter values are shown in words, escaped and project-relative
    assert "<code>returns_path</code></td><td>data/raw/customer_wise_2007.csv</td>" in findings


def test_business_names_are_escaped_in_html(bundled_build: BuildResult) -> None:
    text = (bundled_build.output_dir / "html" / "02_distributions.nocode.html").read_text(
        encoding="utf-8"
    )
    assert "Courses, Home support to clients" in text


# -- real clients -----------------------------------------------------------------------------


def test_reports_render_in_headless_chromium(
    bundled_build: BuildResult, bundled_pages: dict[str, PageReport], tmp_path: Path
) -> None:
    # every page as Chromium loaded it once (tests/pipeline/conftest.py)
    out = bundled_build.output_dir
    pages = [out / "index.html", *sorted((out / "html").glob("*.html"))]
    assert sorted(bundled_pages) == sorted(p.relative_to(out).as_posix() for p in pages)
    for page in pages:
        report = bundled_pages[page.relative_to(out).as_posix()]
        (tmp_path / f"{page.stem}.png").write_bytes(report.screenshot)
        assert report.console_errors == [], (page.name, report.console_errors)
        assert report.screenshot[:8] == b"\x89PNG\r\n\x1a\n"
        assert report.text_length > 200, page.name
        assert report.images == report.images_rendered, page.name
        made = list((out / "figures").glob(f"{page.stem[:3]}*.png"))
        if page.parent.name == "html" and made:
            assert report.images >= 1, page.name  # its figures rendered


def test_jupyter_server_lists_and_runs_a_notebook(tmp_path: Path) -> None:
    with JupyterServer(ROOT, sys.executable) as server:
        listing = server.get("/api/contents/notebooks")
        names = sorted(item["name"] for item in listing["content"])
        assert names[:6] == [
            "00_findings.ipynb",
            "01_data_quality.ipynb",
            "02_distributions.ipynb",
            "03_size_and_growth.ipynb",
            "04_reliability.ipynb",
            "05_sensitivity.ipynb",
        ]
        # the quickest notebook (no resampling), as a user opens and runs it
        model = server.get("/api/contents/notebooks/01_data_quality.ipynb")
        cells = [c for c in model["content"]["cells"] if c["cell_type"] == "code"]
        assert "parameters" in cells[0]["metadata"]["tags"]
        session = server.post(
            "/api/sessions",
            {
                "path": "notebooks/01_data_quality.ipynb",
                "type": "notebook",
                "kernel": {"name": "python3"},
            },
        )
        kernel_id = session["kernel"]["id"]
        try:
            # the defaults as committed, except that outputs go to a temporary folder
            sources = [
                cells[0]["source"],
                f"output_dir = {str(tmp_path)!r}",
                *[c["source"] for c in cells[1:]],
            ]
            replies = server.execute(kernel_id, sources)
        finally:
            server.delete(f"/api/sessions/{session['id']}")
        assert [r["status"] for r in replies] == ["ok"] * len(sources), [
            r["errors"] for r in replies
        ]
    assert (tmp_path / "tables" / "01_missing_by_stage.csv").exists()


def test_build_module_has_no_side_effects_at_import() -> None:
    # importing the build module starts nothing and writes nothing
    assert callable(build_mod.build)


def test_html_conversion_failure_fails_only_that_notebook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    _tiny_notebook(nbs / "01_ok.ipynb", "print(value)")

    def broken(*args: Any, **kwargs: Any) -> dict[str, str]:
        raise RuntimeError("template missing")

    monkeypatch.setattr(build_mod.convert, "html_variants", broken)
    result = build(
        notebooks_dir=nbs,
        output_dir=tmp_path / "r",
        progress=lambda line: None,
        cache_dir=tmp_path / "c",
    )
    assert not result.ok
    assert result.runs[0].error == "HTML conversion failed: RuntimeError: template missing"
    assert not list((tmp_path / "r" / "html").glob("*.html"))
    assert (tmp_path / "r" / "notebooks" / "01_ok.FAILED.ipynb").exists()


def test_no_local_path_in_anything_shared(bundled_build: BuildResult) -> None:
    out = bundled_build.output_dir
    needles = {str(out), str(ROOT), str(Path.home()) + "/"}
    leaks = []
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.suffix not in (".html", ".ipynb", ".json", ".md", ".csv"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        leaks += [f"{path.relative_to(out)}: {n}" for n in needles if n != "/" and n in text]
    assert not leaks, leaks[:10]


def test_landing_page_states_facts_in_words_and_shows_thumbnails(
    bundled_build: BuildResult,
) -> None:
    index = (bundled_build.output_dir / "index.html").read_text(encoding="utf-8")
    share = re.search(
        r"Share of assessments below level 1</th><td>15% \(95% CI (\d+)%–(\d+)%\)", index
    )
    assert share is not None, index
    # the interval is the cluster bootstrap over businesses (issue 25): wider than the
    # Clopper-Pearson interval that takes the 140 assessments as independent (10%–22%)
    assert int(share.group(1)) < 10 and int(share.group(2)) > 22
    assert "Businesses audited</th><td>16" in index
    assert index.count("<figure>") == len(
        list((bundled_build.output_dir / "figures").glob("*.png"))
    )
    assert 'alt="Recruitment funnel reported in the paper"' in index
    assert "Reports from an earlier run" not in index

"""The build of a study: which study and notebooks, study_summary.json, the version, the
plan printed once, and a study unlike the bundled one built under pseudonyms with nothing
of the 2007 paper in its reports."""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from cma_research import ParameterError
from cma_research.cli import main
from cma_research.core.files import sha256_file
from cma_research.core.version import __version__
from cma_research.pipeline.build import BuildResult, build, resolve_sources
from cma_research.pipeline.build.parameters import packaged_notebooks
from cma_research.pipeline.summary import headline, wave_counts
from cma_research.reporting.confidential import pseudonym_map_path
from tests.fast import FAST
from tests.paths import ROOT
from tests.studies import programme_workbook

# Text only the 2007 paper's study can put in a report: its funnel and its claims (the
# funnel's 54,000 as a number of its own, not digits inside another number of a table).
PAPER_ONLY = re.compile(
    r"(?<![\d.])54,?000(?![\d])|Eligible businesses|15 or 16|completed the Audit"
)


# -- the bundled study's build (the session's build, read only) ------------------------------


def test_the_bundled_build_reads_its_study_and_records_it(bundled_build: BuildResult) -> None:
    manifest = json.loads((bundled_build.output_dir / "manifest.json").read_text())
    assert manifest["package"] == {"name": "cma_research", "version": __version__}
    assert manifest["study"]["path"] == "study.yaml"
    assert manifest["study"]["sha256"] == sha256_file(ROOT / "study.yaml")
    source = manifest["notebooks_from"]
    assert source["source"] == "study" and source["folder"] == "notebooks"
    assert source["sha256"] == {
        p.name: sha256_file(p) for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    }
    index = (bundled_build.output_dir / "index.html").read_text(encoding="utf-8")
    assert "<h1>Customer Wise 2007 (Table 4 of the ISBE paper): reports</h1>" in index


def test_every_report_names_the_package_version(bundled_build: BuildResult) -> None:
    out = bundled_build.output_dir
    pages = [out / "index.html", *sorted((out / "html").glob("*.html"))]
    assert len(pages) == 19
    for page in pages:
        assert f"Made with cma_research {__version__}</footer>" in page.read_text(
            encoding="utf-8"
        ), page.name


def test_study_summary_of_the_bundled_study(bundled_build: BuildResult) -> None:
    summary = json.loads((bundled_build.output_dir / "study_summary.json").read_text())
    assert set(summary) == {
        "businesses",
        "returns",
        "waves",
        "businesses_per_wave",
        "pairs",
        "dropouts",
        "joiners",
        "headline",
    }
    # Table 4: 16 businesses audited once; 12 complete cases (cma-research validate)
    assert (summary["businesses"], summary["returns"], summary["waves"]) == (16, 16, ["1"])
    assert summary["businesses_per_wave"] == [16]
    assert summary["pairs"] == summary["dropouts"] == summary["joiners"] == []
    head = summary["headline"]
    assert head["strategy"] == "complete_case" and head["n"] == 12 and head["from_this_run"]
    assert head["requested_strategy"] == "auto"  # the rule chose complete cases (12 of 16)
    (result,) = head["results"]
    with (bundled_build.output_dir / "tables" / "00_size_correlation.csv").open() as fh:
        row = next(csv.DictReader(fh))
    assert result["r"] == float(row["r"]) and result["n"] == 12
    assert result["method"] == "spearman" and isinstance(result["p_val"], float)


def test_wave_counts_by_hand() -> None:
    from cma_research import load_returns

    path = ROOT / "data" / "raw" / "customer_wise_2007_two_waves_SYNTHETIC.csv"
    cohort = load_returns(path)
    counts = wave_counts(cohort)
    ids = cohort.scores.index.get_level_values("business_id")
    waves = cohort.scores.index.get_level_values("wave")
    first, second = set(ids[waves == 1]), set(ids[waves == 2])
    assert counts["pairs"] == [len(first & second)]
    assert counts["dropouts"] == [len(first - second)] and counts["joiners"] == [
        len(second - first)
    ]
    assert counts["returns"] == len(first) + len(second)


def test_headline_without_the_findings_tables(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    assert headline(tmp_path, "available_case", ["01_data_quality"]) == {
        "strategy": "available_case",
        "requested_strategy": "available_case",
        "n": None,
        "results": [],
        "from_this_run": False,
    }


#: A fixed key for the tests (64 hex digits of a real random key; weak keys are refused).
KEY = "5f1e8c2a9b7d3046e1c8f2a7b9d4e6035a7c1e9b3f2d8064a9e7c5b1d3f2a806"


# -- which study, which notebooks ----------------------------------------------------------


def test_sources_of_a_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    here = resolve_sources()
    assert here.study is not None and here.study.path == ROOT / "study.yaml"
    assert (here.notebooks_dir, here.root, here.notebooks_from) == (
        ROOT / "notebooks",
        ROOT,
        "study",
    )
    # a returns file given by parameters is another study: no study file is read
    assert resolve_sources(params={"returns_path": "x.csv"}).study is None
    # a study folder without notebooks/ builds with the package's
    (tmp_path / "r.csv").write_bytes(
        (ROOT / "data" / "raw" / "customer_wise_2007.csv").read_bytes()
    )
    (tmp_path / "study.yaml").write_text("returns: {file: r.csv}\n", encoding="utf-8")
    other = resolve_sources(tmp_path / "study.yaml")
    assert other.notebooks_from == "package" and other.root == tmp_path.resolve()
    assert other.notebooks_dir == packaged_notebooks()
    assert packaged_notebooks().resolve() == (ROOT / "notebooks").resolve()  # one source


def test_a_study_parameter_no_notebook_has_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_bytes(
        (ROOT / "data" / "raw" / "customer_wise_2007.csv").read_bytes()
    )
    (tmp_path / "study.yaml").write_text(
        "returns: {file: r.csv}\nparameters: {n_bot: 10}\n", encoding="utf-8"
    )
    with pytest.raises(ParameterError, match=r"parameters.n_bot: no notebook has this parameter"):
        build(study=tmp_path / "study.yaml", only=["01_data_quality"], dry_run=True)


def test_a_key_inside_the_output_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_bytes(
        (ROOT / "data" / "raw" / "customer_wise_2007.csv").read_bytes()
    )
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "k.key").write_text("0123456789abcdef" * 4, encoding="utf-8")
    (tmp_path / "study.yaml").write_text(
        "returns: {file: r.csv}\npseudonymise: reports/k.key\n", encoding="utf-8"
    )
    with pytest.raises(ParameterError, match="inside the output folder reports/"):
        build(study=tmp_path / "study.yaml", dry_run=True)


def test_the_plan_prints_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["build", "--dry-run", "--cache-dir", str(tmp_path / "cache")]) == 0
    captured = capsys.readouterr()
    text = captured.out + captured.err
    for name in ("00_findings", "08_claims"):
        assert text.count(f"{name}: re-run: no previous result") == 1, text


# -- a study unlike the bundled one ---------------------------------------------------------

#: The xdist group of the tests that read the one build of the programme workbook.
PROGRAMME_GROUP = "programme_build"


@dataclass(frozen=True)
class ProgrammeBuild:
    """The build of issue 20's programme workbook as a new study (see its fixture)."""

    result: BuildResult
    tmp: Path  # holds data/ (the workbook), keys/ (the key), study/ and cache/
    key: Path

    @property
    def out(self) -> Path:
        return self.result.output_dir


@pytest.fixture(scope="module")
def programme_build(tmp_path_factory: pytest.TempPathFactory) -> ProgrammeBuild:
    """Issue 20's workbook (:func:`tests.studies.programme_workbook`, 40 businesses, two
    yearly rounds, a turnover sheet) set up by ``init --with-notebooks`` in a folder of
    its own, pseudonymised with a key kept outside it, and built once with :data:`FAST`:
    every notebook (the study's copies) and the starter manuscript ``init`` wrote.

    One build serves the tests of pseudonyms and of the starter manuscript (both read
    it; they share an xdist group so that it is built once).
    """
    tmp_path = tmp_path_factory.mktemp("programme")
    data = tmp_path / "data"
    data.mkdir()
    book = programme_workbook(data)
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "cma.key").write_text(KEY + "\n", encoding="utf-8")
    (keys / "cma.key").chmod(0o600)  # a key file only its owner reads
    folder = tmp_path / "study"
    folder.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        assert main(["init", str(book), "--with-notebooks"]) == 0
        study_file = folder / "study.yaml"
        text = study_file.read_text(encoding="utf-8")
        text = text.replace("pseudonymise: null", f"pseudonymise: {keys / 'cma.key'}")
        study_file.write_text(text + yaml.safe_dump({"parameters": FAST}), encoding="utf-8")
        result = build(jobs=2, progress=lambda line: None, cache_dir=tmp_path / "cache")
    return ProgrammeBuild(result, tmp_path, keys / "cma.key")


@pytest.mark.integration
@pytest.mark.xdist_group(PROGRAMME_GROUP)
def test_a_new_study_builds_from_its_own_notebooks_under_pseudonyms(
    programme_build: ProgrammeBuild,
) -> None:
    result, tmp_path, out = programme_build.result, programme_build.tmp, programme_build.out
    assert result.ok, result.summary()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["notebooks_from"]["source"] == "study"
    assert manifest["notebooks"]["00_findings"]["inputs"]["key_path"]["path"] == "cma.key"
    assert "sha256" not in manifest["notebooks"]["00_findings"]["inputs"]["key_path"]
    # nothing of the 2007 paper: no funnel, no claims
    assert not list(out.glob("*/00_recruitment_funnel*"))
    assert not list(out.glob("tables/08_claims_*"))
    claims_page = (out / "html" / "08_claims.nocode.html").read_text(encoding="utf-8")
    assert "No claims file was given" in claims_page
    # the business refs never appear: tables, pages (images aside), figures' text
    mapping = pseudonym_map_path(programme_build.key).read_text(encoding="utf-8").splitlines()
    assert len(mapping) == 41 and mapping[1].endswith(",CW-001")
    shared = [
        p
        for p in out.rglob("*")
        if p.is_file() and p.suffix in (".csv", ".md", ".tex", ".html", ".svg", ".ipynb", ".json")
    ]
    for path in shared:
        text = re.sub(r"data:[^\"')]+", "", path.read_text(encoding="utf-8"))
        assert "CW-0" not in text, path.name
        # the workbook lies outside the study folder: named, never by its local path
        assert str(tmp_path) not in text, path.name
        paper = PAPER_ONLY.search(text)
        assert paper is None, (path.name, paper)
    # no per-business output holds a staff number or a business's turnover: size bands
    per_business = 0
    for path in sorted((out / "tables").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh), [])
        if "business_id" in header:
            per_business += 1
            hidden = {"staff", "log_staff", "left_out_value"} | {
                h for h in header if h.startswith("turnover")
            }
            assert not hidden & set(header), (path.name, header)
    assert per_business >= 2  # business scores, leave-one-out
    scores = (out / "tables" / "02_business_scores.csv").read_text(encoding="utf-8")
    assert scores.splitlines()[0].split(",")[:3] == ["business_id", "wave", "size_band"]
    loo = (out / "tables" / "03_leave_one_out_size.csv").read_text(encoding="utf-8")
    assert "left_out_size_band" in loo.splitlines()[0]
    size_page = (out / "html" / "03_size_and_growth.nocode.html").read_text(encoding="utf-8")
    sentence = re.search(r"Leaving out one of the \d+ businesses[^<]*", size_page)
    assert sentence is not None and "staff" not in sentence.group(0), sentence
    assert re.search(r"without P-\w+, an? (micro|small|medium|large) business", sentence.group(0))
    # no figure places a business at its headcount, no sentence gives an extreme one
    assert not list(out.glob("figures/00_size_scatter.*"))
    assert not list(out.glob("figures/03_scatter_*"))
    assert "no scatter of staff numbers" in size_page
    findings_page = (out / "html" / "00_findings.nocode.html").read_text(encoding="utf-8")
    assert "by EU size band" in findings_page and "staff from" not in findings_page
    values = json.loads((out / "values.json").read_text(encoding="utf-8"))
    assert values["staff_max"]["text"] == "withheld (pseudonymised study)"
    summary = json.loads((out / "study_summary.json").read_text())
    assert (summary["businesses"], summary["waves"]) == (40, ["2008", "2009"])
    assert summary["pairs"][0] + summary["dropouts"][0] == summary["businesses_per_wave"][0]


def test_executed_notebooks_name_the_packaged_notebook_not_its_local_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reported in review: papermill's ``input_path`` held the absolute path of the
    installed notebook (site-packages, with the user's home) in every executed notebook.

    A real build of the example study from the packaged notebooks, outside any clone, is
    in ``tests/test_packaging.py`` (from an installed wheel): its executed notebook names
    ``cma_research/notebooks/08_claims.ipynb`` and no local path.
    """
    from cma_research.pipeline.build.execute import scrub_paths

    root, out = tmp_path / "study", tmp_path / "study" / "reports"
    text = json.dumps({"input_path": str(packaged_notebooks().resolve() / "00_findings.ipynb")})
    shown = json.loads(scrub_paths(text, root=root, out_dir=out, inputs={}))
    assert shown["input_path"] == "cma_research/notebooks/00_findings.ipynb"
    prefix = json.dumps({"f": f"{sys.prefix}{os.sep}lib{os.sep}x.py"})
    assert (
        json.loads(scrub_paths(prefix, root=root, out_dir=out, inputs={}))["f"]
        == "<python>/lib/x.py"
    )
    # the example study from the packaged notebooks: a parameter no notebook has is an
    # error before any kernel starts
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--example"]) == 0
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({"n_boots": 10}), encoding="utf-8")
    assert main(["build", "--only", "08_claims", "--params", "bad.yaml", "--dry-run"]) == 2


@pytest.mark.integration
@pytest.mark.xdist_group(PROGRAMME_GROUP)
def test_the_starter_manuscript_states_what_the_build_did(programme_build: ProgrammeBuild) -> None:
    # issue 20's workbook: 35 businesses in 2009, 10 assessed on every stage, a growth
    # covariate. The starter said "strategy auto", "n = 35 businesses assessed on every
    # stage" (alpha came from multiple imputation), nothing of growth, and its text gave
    # the permutation p (.062) beside a table of asymptotic p (.054).
    import pypdfium2

    assert programme_build.result.ok, programme_build.result.summary()
    out = programme_build.out
    values = json.loads((out / "values.json").read_text(encoding="utf-8"))
    pdf = pypdfium2.PdfDocument(out / "manuscript" / "paper.pdf")
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    flat = " ".join(text.split())
    chosen = values["headline_strategy"]["text"]
    assert values["missing_strategy"]["text"] == "auto" and chosen == "available_case"
    assert f"strategy {chosen}" in flat and "strategy auto" not in flat
    alpha = values["alpha_basis"]
    assert alpha["strategy"] == "multiple" and alpha["n"] == 35
    assert "pooled over 5 imputations of the 35 businesses" in flat
    assert "assessed on every stage)" not in flat
    assert values["covariates_summary"]["text"] and "turnover growth" in flat
    # the p of the text is the p in the table's row for staff
    p_text = re.search(r"p = (\.\d+)", values["size_apa"]["text"])
    assert p_text is not None
    staff_row = next(line for line in text.splitlines() if line.startswith("staff "))
    assert p_text.group(1) in staff_row.split(), (p_text.group(1), staff_row)


def test_a_study_summary_is_reused_only_when_its_stamp_is_signed(tmp_path: Path) -> None:
    """A rebuild that runs nothing reuses the summary from the build cache (no pandas);
    whoever can write the cache but lacks its key cannot plant one."""
    import hashlib
    import hmac

    from cma_research.pipeline.summary import SUMMARY_FILE, write_study_summary

    def sign(data: bytes) -> str:
        return hmac.new(b"k" * 32, data, hashlib.sha256).hexdigest()

    out = tmp_path / "reports"
    (out / "tables").mkdir(parents=True)
    params = {"returns_path": str(ROOT / "data" / "raw" / "customer_wise_2007.csv"),
              "instrument": "customer_wise_2007", "missing_strategy": "auto"}  # fmt: skip
    stamp = tmp_path / "cache" / "summaries" / "abc"
    write_study_summary(out, params, [], stamp=stamp, sign=sign)
    truth = (out / SUMMARY_FILE).read_bytes()
    assert stamp.read_bytes() == sign(truth).encode() + b"\n" + truth
    planted = b'{"businesses": 99}\n'
    for forged in (b"0" * 64 + b"\n" + planted, planted):  # another key's, or none
        stamp.write_bytes(forged)
        write_study_summary(out, params, [], stamp=stamp, sign=sign)
        assert (out / SUMMARY_FILE).read_bytes() == truth
    stamp.write_bytes(sign(planted).encode() + b"\n" + planted)  # signed: reused as is
    write_study_summary(out, params, [], stamp=stamp, sign=sign)
    assert (out / SUMMARY_FILE).read_bytes() == planted

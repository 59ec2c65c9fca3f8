"""``cma-research init`` and ``--study FILE`` on validate, claims and business-report.

Run in-process (``cli.main``) on generated SYNTHETIC files unlike the bundled one.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml

from cma_research.cli import main
from cma_research.datasets import example_study
from tests.paths import ROOT
from tests.studies import long_export, programme_workbook, three_wave_dates


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


def test_init_sets_up_an_empty_folder(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    book = programme_workbook(data)
    folder = tmp_path / "study"
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert main(["init", str(book), "--with-notebooks", "--title", "Second cohort"]) == 0
    out = capsys.readouterr().out
    assert "found:   the header is on row 3" in out
    assert "assumed: column 'Business ref' identifies the businesses" in out
    assert "study file: study.yaml (40 businesses, 61 returns, 2 wave(s): 2008, 2009)" in out
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "manuscript",
        "notebooks",
        "study.yaml",
    ]
    # a starter manuscript for this study's own data (issue 23), titled as the study
    assert "manuscript: manuscript/paper.md" in out
    paper = (folder / "manuscript" / "paper.md").read_text(encoding="utf-8")
    front = yaml.safe_load(paper.split("---")[1])
    assert front["title"] == "Second cohort" and "data" not in front  # returns outside
    assert len(list((folder / "notebooks").glob("[0-9][0-9]_*.ipynb"))) == 9
    text = (folder / "study.yaml").read_text(encoding="utf-8")
    assert all(line.startswith("#") or "  # " in line for line in text.splitlines())
    study = yaml.safe_load(text)
    assert study["title"] == "Second cohort"
    assert study["returns"]["file"] == str(book.resolve())  # outside the folder: absolute
    assert study["recruitment"] is None and study["claims"] is None
    assert study["waves"] == {"column": "Audit date", "rounds": "year"}
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Second cohort") and "notebooks/" in readme
    # validate --study reads it: the covariates and their formula, the rounds
    assert main(["validate", "--study", "study.yaml"]) == 0
    out = capsys.readouterr().out
    assert "study 'Second cohort'" in out
    assert "waves:            2008, 2009" in out
    assert "turnover_growth = (turnover_2009 - turnover_2008) / turnover_2008" in out
    # and validate alone, in the study folder, reads its study.yaml
    assert main(["validate"]) == 0
    assert "study 'Second cohort'" in capsys.readouterr().out


def test_init_never_overwrites_and_writes_relative_paths_inside_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = three_wave_dates(tmp_path)
    (tmp_path / "notes.txt").write_text("the user's own file\n", encoding="utf-8")
    assert main(["init", path.name]) == 0
    study = yaml.safe_load((tmp_path / "study.yaml").read_text(encoding="utf-8"))
    assert study["returns"]["file"] == path.name
    assert study["waves"] == {"column": "Audit date", "dates": "day-first", "rounds": "year"}
    assert not (tmp_path / "README.md").exists()  # the folder held more than the returns
    capsys.readouterr()
    assert main(["init", path.name]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: study.yaml exists; choose another --output, or delete it to start again"]


def test_init_stops_on_an_ambiguous_file_with_one_line_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "nk.csv"
    bad.write_text("ID,1,2,3,4,5,6,7,8,9,10\nA,1,2,3,n/k,1,2,3,4,5,0\n", encoding="utf-8")
    assert main(["init", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "add --na-value 'n/k'" in err[0]
    assert not (tmp_path / "study.yaml").exists()
    assert main(["init", str(bad), "--na-value", "n/k"]) == 0
    assert yaml.safe_load((tmp_path / "study.yaml").read_text())["returns"]["na_values"] == ["n/k"]


def test_init_a_long_export_notes_the_comments_kept_by_stage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", str(long_export(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "long form" in out
    assert "note:    assessor_comment differs between the rows" in out


def test_init_example_sets_up_the_bundled_study(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "example"
    assert main(["init", "--example", "--output", str(folder / "study.yaml")]) == 0
    assert (folder / "data" / "raw" / "customer_wise_2007.csv").is_file()
    assert "16 businesses" in capsys.readouterr().out
    assert (folder / "README.md").is_file()
    # the bundled study's own paper, not a starter (one source: manuscript/ of the project)
    assert (folder / "manuscript" / "paper.md").read_bytes() == (
        ROOT / "manuscript" / "paper.md"
    ).read_bytes()


def test_study_and_file_are_one_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = example_study(tmp_path)
    returns = tmp_path / "data" / "raw" / "customer_wise_2007.csv"
    assert main(["validate", str(returns), "--study", str(study)]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["validate", "--study", str(study), "--header-row", "3"]) == 2
    err = capsys.readouterr().err
    assert "--header-row: with --study the study file says how to read the returns" in err


def test_claims_take_the_study_s_claims_and_funnel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = example_study(tmp_path)
    args = ["claims", "--study", str(study), "--n-boot", "200", "--n-perm", "2000"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "claims file" in out or "supported" in out


def test_claims_of_a_study_without_claims_are_none(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # nothing of the 2007 paper is audited against another study
    monkeypatch.chdir(tmp_path)
    assert main(["init", str(three_wave_dates(data))]) == 0
    capsys.readouterr()
    assert main(["claims", "--study", "study.yaml"]) == 2
    assert "give a claims file (the study has none: claims: null)" in capsys.readouterr().err


def test_business_report_of_a_pseudonymised_study(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = three_wave_dates(data)
    assert main(["init", str(path)]) == 0
    keys = tmp_path / "keys"
    keys.mkdir()
    key = keys / "cma.key"
    key.write_text(os.urandom(32).hex() + "\n", encoding="utf-8")
    study_file = tmp_path / "study.yaml"
    text = study_file.read_text(encoding="utf-8")
    study_file.write_text(
        text.replace("pseudonymise: null", "pseudonymise: keys/cma.key"), encoding="utf-8"
    )
    capsys.readouterr()
    args = ["business-report", "--study", "study.yaml", "--business", "B01", "B02"]
    assert main([*args, "--disclosure-k", "3"]) == 0
    out_dir = tmp_path / "reports" / "businesses"  # in the study's output folder
    pages = sorted(out_dir.glob("P-*.html"))
    assert len(pages) == 2, sorted(p.name for p in out_dir.iterdir())
    (manifest_path,) = out_dir.glob("disclosure-*.json")
    assert json.loads(manifest_path.read_text(encoding="utf-8"))["k"] == 3
    for page in out_dir.glob("*.html"):
        text = re.sub(r"data:[^\"')]+", "", page.read_text(encoding="utf-8"))  # images
        assert not re.search(r"\bB\d\d\b", text), page.name


def test_init_beside_its_workbook_sets_up_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder holding only the workbook the user copied in is a new study folder: it
    gets its README, and the manuscript names the workbook as its data."""
    book = programme_workbook(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["init", book.name]) == 0
    assert "study file: study.yaml (40 businesses, 61 returns" in capsys.readouterr().out
    assert (tmp_path / "README.md").is_file()
    paper = (tmp_path / "manuscript" / "paper.md").read_text(encoding="utf-8")
    assert yaml.safe_load(paper.split("---")[1])["data"] == book.name

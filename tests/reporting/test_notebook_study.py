"""setup() knows its study: run by hand it reads the study.yaml of its folder and writes
into that study's output folder, never into another study's; a study's key pseudonymises
the cohort before anything is shown."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cma_research import ParameterError
from cma_research.datasets import example_study
from cma_research.reporting.confidential import pseudonym_map_path, pseudonymise_cohort
from cma_research.reporting.notebook import project_root, setup
from cma_research.reporting.pseudonym import pseudonymise
from tests.paths import ROOT
from tests.studies import three_wave_dates


def _study_folder(tmp_path: Path, extra: str = "") -> Path:
    folder = tmp_path / "study"
    (folder / "notebooks").mkdir(parents=True)
    three_wave_dates(folder)
    (folder / "study.yaml").write_text(
        "returns: {file: three_waves_SYNTHETIC.csv}\n"
        "waves: {column: Audit date, rounds: year, dates: day-first}\n"
        "output: out\n" + extra,
        encoding="utf-8",
    )
    return folder


def test_run_by_hand_a_notebook_reads_its_study_and_writes_into_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _study_folder(tmp_path)
    monkeypatch.chdir(folder / "notebooks")  # where JupyterLab runs a notebook
    assert project_root() == folder.resolve()
    study = setup("01")
    assert study.study_file == (folder / "study.yaml").resolve()
    assert study.all_waves.waves == ("2019", "2020", "2021") and study.wave == "2021"
    assert study.out.root == (folder / "out").resolve()
    assert (folder / "out" / "tables").is_dir()
    assert study.recruitment_path is None and study.claims_path is None  # none given
    assert not (ROOT / "reports" / "tables" / "01_rounds.csv").exists()


def test_the_bundled_study_is_found_from_its_notebooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "notebooks")
    study = setup("99", output_dir=str(ROOT / "reports"))  # no files are written by setup
    assert study.cohort.n_businesses == 16
    assert study.recruitment_path == ROOT / "data" / "raw" / "customer_wise_2007_recruitment.csv"
    assert study.claims_path == ROOT / "data" / "raw" / "customer_wise_2007_claims.yaml"


def test_given_returns_never_write_over_another_study_s_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example_study(tmp_path)  # reports/ belong to the bundled study
    other = three_wave_dates(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParameterError, match=r"holds the reports of study\.yaml"):
        setup("01", returns_path=str(other), aliases="Audit date=wave", wave_rounds="year")
    study = setup(
        "01",
        returns_path=str(other),
        aliases="Audit date=wave",
        wave_rounds="year",
        output_dir="elsewhere",
    )
    assert study.out.root == tmp_path / "elsewhere"


def test_no_returns_and_no_study_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        ParameterError, match=r"no study file \(study.yaml\) was found.*cma-research init FILE"
    ):
        setup("01")


def test_a_study_key_pseudonymises_the_cohort_and_keeps_the_map_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    key = os.urandom(32).hex().encode()
    (keys / "cma.key").write_bytes(key + b"\n")
    (keys / "cma.key").chmod(0o600)  # a key file only its owner reads
    folder = _study_folder(tmp_path, f"pseudonymise: {keys / 'cma.key'}\n")
    monkeypatch.chdir(folder / "notebooks")
    study = setup("02")
    ids = set(study.all_waves.scores.index.get_level_values("business_id"))
    assert all(b.startswith("P-") for b in ids) and len(ids) == 15
    assert pseudonymise("B01", key) in ids  # the same HMAC as the client pages
    assert any("keyed pseudonyms" in n for n in study.all_waves.source.notes)
    mapping = pseudonym_map_path(keys / "cma.key")
    lines = mapping.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "pseudonym,business_id" and len(lines) == 16
    assert f"{pseudonymise('B01', key)},B01" in lines
    assert mapping.stat().st_mode & 0o777 == 0o600
    assert "B01" not in study._repr_markdown_()


def test_pseudonymised_cohorts_leave_free_text_out(cohort: object) -> None:
    from cma_research.core.cohort import Cohort

    assert isinstance(cohort, Cohort)
    with_text = cohort.attributes.assign(assessor="Jo")
    from dataclasses import replace

    hidden = pseudonymise_cohort(replace(cohort, attributes=with_text), os.urandom(32))
    assert "assessor" not in hidden.attributes.columns
    assert "business_type" in hidden.attributes.columns and "staff" in hidden.attributes.columns
    assert hidden.scores.to_numpy().tolist() == cohort.scores.to_numpy().tolist()
    assert "free-text columns left out: assessor" in hidden.source.notes[-1]

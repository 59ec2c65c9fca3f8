"""Study files (io/study.py): read and checked, mapped onto build parameters, written back."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cma_research import ParameterError, load_returns
from cma_research.datasets import bundled_path, example_study
from cma_research.io.study import (
    cohort_from_parameters,
    find_study,
    load_study,
    study_yaml,
)
from tests.paths import ROOT
from tests.studies import programme_workbook


def _study(folder: Path, text: str) -> Path:
    path = folder / "study.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_study_is_a_study_file_shipped_with_the_package() -> None:
    assert (
        bundled_path("customer_wise_2007_study.yaml").read_bytes()
        == (ROOT / "study.yaml").read_bytes()
    )
    study = load_study(ROOT / "study.yaml")
    assert study.returns == ROOT / "data" / "raw" / "customer_wise_2007.csv"
    assert study.recruitment == ROOT / "data" / "raw" / "customer_wise_2007_recruitment.csv"
    assert study.claims == ROOT / "data" / "raw" / "customer_wise_2007_claims.yaml"
    assert study.output == ROOT / "reports"
    cohort = study.load_cohort()
    assert (
        cohort.n_businesses == 16
        and cohort.source.sha256 == load_returns(study.returns).source.sha256
    )
    # every line of the study file says what it means
    for line in (ROOT / "study.yaml").read_text(encoding="utf-8").splitlines():
        assert "#" in line, line


def test_example_study_sets_up_a_folder_and_refuses_a_second_time(tmp_path: Path) -> None:
    path = example_study(tmp_path)
    assert sorted(
        p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()
    ) == [
        "data/raw/customer_wise_2007.csv",
        "data/raw/customer_wise_2007_claims.yaml",
        "data/raw/customer_wise_2007_recruitment.csv",
        "manuscript/paper.md",  # the bundled study's paper (cma_research.manuscript)
        "study.yaml",
    ]
    assert load_study(path).output == tmp_path.resolve() / "reports"
    with pytest.raises(ParameterError, match=r"already holds study\.yaml"):
        example_study(tmp_path)


def test_a_study_without_funnel_or_claims_names_none(tmp_path: Path) -> None:
    # nothing of the 2007 paper can stand in for what a study does not give
    (tmp_path / "r.csv").write_bytes(
        (ROOT / "data" / "raw" / "customer_wise_2007.csv").read_bytes()
    )
    study = load_study(_study(tmp_path, "returns: {file: r.csv}\n"))
    params = study.parameters()
    assert params["recruitment_path"] is None and params["claims_path"] is None
    assert params["covariates_path"] is None and params["key_path"] is None
    assert params["returns_path"] == str((tmp_path / "r.csv").resolve())
    assert params["output_dir"] == str((tmp_path / "reports").resolve())
    assert params["instrument"] == "customer_wise_2007"
    assert study.recruitment is None and study.claims is None


def test_every_entry_maps_onto_a_build_parameter(tmp_path: Path) -> None:
    book = programme_workbook(tmp_path)
    key = tmp_path / "keys" / "cma.key"
    key.parent.mkdir()
    key.write_text("0123456789abcdef" * 4 + "\n", encoding="utf-8")
    path = _study(
        tmp_path,
        f"""title: Second cohort
returns:
  file: {book.name}
  sheet: Audits
  header_row: 3
  na_values: [n/a, "-"]
  aliases:
    Business ref: business_id
    Sector: business_type
    Employee Skills & Knowledge: stage_2
waves:
  column: Audit date
  dates: day-first
  rounds: year
covariates:
  sheet: Turnover
  id_column: Business ref
  derived:
    turnover_growth: (turnover_2009 - turnover_2008) / turnover_2008
output: out
disclosure_k: 5
pseudonymise: keys/cma.key
parameters: {{seed: 3, n_boot: 100}}
""",
    )
    study = load_study(path)
    params = study.parameters()
    assert params["header_row"] == 3 and params["sheet"] == "Audits"
    assert params["na_values"] == "n/a, -"
    assert params["aliases"] == (
        "Business ref=business_id; Sector=business_type; "
        "Employee Skills & Knowledge=stage_2; Audit date=wave"
    )
    assert params["wave_rounds"] == "year" and params["date_format"] == "day-first"
    assert params["covariates_path"] == str(book.resolve())
    assert params["covariates_sheet"] == "Turnover" and params["covariates_id"] == "Business ref"
    assert params["covariates_derived"] == (
        "turnover_growth = (turnover_2009 - turnover_2008) / turnover_2008"
    )
    assert params["key_path"] == str(key.resolve()) and params["disclosure_k"] == 5
    assert params["output_dir"] == str((tmp_path / "out").resolve())
    assert (params["seed"], params["n_boot"]) == (3, 100)
    cohort = study.load_cohort()
    assert cohort.waves == ("2008", "2009") and cohort.n_businesses == 40
    assert "turnover_growth" in cohort.attributes.columns
    # the same cohort from the flat parameters alone (what a notebook receives)
    again = cohort_from_parameters(params)
    assert again.scores.equals(cohort.scores)
    assert again.attributes.equals(cohort.attributes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("retruns: {file: r.csv}\n", "retruns: unknown entry (did you mean 'returns'?)"),
        ("returns: {file: r.csv, header_row: three}\n", "returns.header_row: 'three'; expected"),
        ("returns: {file: missing.csv}\n", "returns.file: file not found: missing.csv"),
        ("returns: {file: r.csv}\nwaves: {dates: us}\n", "waves.dates: 'us'; expected iso or"),
        ("returns: {file: r.csv}\nwaves: {rounds: weekly}\n", "waves.rounds:"),
        ("returns: {file: r.csv, instrument: nope}\n", "returns.instrument:"),
        ("returns: {file: r.csv}\nparameters: {returns_path: x.csv}\n", "is set by the study"),
        ("returns: {file: r.csv}\ncovariates: {id_column: Ref}\n", "neither file nor sheet"),
        ("returns: {file: r.csv}\nclaims: c.yaml\n", "claims: file not found: c.yaml"),
        ("[1, 2]\n", "a study file is a mapping"),
        ("title: no returns\n", "returns: missing"),
    ],
)
def test_a_bad_study_file_is_refused_naming_the_entry(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "r.csv").write_bytes(
        (ROOT / "data" / "raw" / "customer_wise_2007.csv").read_bytes()
    )
    with pytest.raises(ParameterError) as info:
        load_study(_study(tmp_path, text))
    assert message in str(info.value)
    assert str(info.value).startswith("study.yaml") or "study file is a mapping" in message


def test_study_yaml_reads_back_as_written_with_a_comment_on_each_line() -> None:
    entries = [
        (0, "title", "A: study # with marks", "the title"),
        (0, "returns", ..., "the returns"),
        (1, "file", "data/r e.xlsx", "relative to this file"),
        (1, "na_values", ["n/a", "-", "x: y"], "not assessed"),
        (1, "aliases", ..., "other spellings"),
        (2, "Sector", "business_type", "the type"),
        (0, "disclosure_k", 5, "k"),
        (0, "claims", None, "none"),
    ]
    text = study_yaml(entries)
    assert all("  # " in line for line in text.splitlines())
    assert yaml.safe_load(text) == {
        "title": "A: study # with marks",
        "returns": {
            "file": "data/r e.xlsx",
            "na_values": ["n/a", "-", "x: y"],
            "aliases": {"Sector": "business_type"},
        },
        "disclosure_k": 5,
        "claims": None,
    }


def test_find_study_stops_at_a_project_without_one(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    inner = tmp_path / "a" / "notebooks"
    inner.mkdir(parents=True)
    assert find_study(inner) is None
    _study(tmp_path / "a", "returns: {file: r.csv}\n")
    assert find_study(inner) == (tmp_path / "a" / "study.yaml").resolve()
    assert find_study(ROOT / "notebooks") == ROOT / "study.yaml"

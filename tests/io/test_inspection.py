"""Inspecting a returns file as a person would (io/inspection.py, behind ``init``).

Every file here is generated (SYNTHETIC, seeded) and unlike the bundled one: a workbook
with a notes sheet, title rows, stages in words, level words and markers; a long-form
export; dates written day first or month first; ambiguous files that must stop.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cma_research import ParameterError, inspect_returns, load_returns
from cma_research.io.study import study_yaml
from tests.studies import (
    STAGE_HEADERS,
    long_export,
    programme_workbook,
    three_wave_dates,
)

NUMBERS = ",".join(str(k) for k in range(1, 11))  # stage columns named by number
LEVELS = "1,2,3,0,1,2,3,4,5,1"  # a row of levels


def _csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_programme_workbook_is_read_as_a_person_would(tmp_path: Path) -> None:
    book = programme_workbook(tmp_path)
    proposal = inspect_returns(book)
    assert (proposal.sheet, proposal.header_row, proposal.form) == ("Audits", 3, "wide")
    assert proposal.aliases == {
        "Employee Skills & Knowledge": "stage_2",
        "Sector": "business_type",
        "Business ref": "business_id",
    }
    assert proposal.wave_column == "Audit date"
    assert proposal.rounds is not None and proposal.rounds.kind == "year"
    assert proposal.na_values is None  # the loader's own markers cover n/a and -
    cov = proposal.covariates
    assert cov is not None
    assert (cov.sheet, cov.header_row, cov.id_column) == ("Turnover", 1, "Business ref")
    assert cov.columns == ("turnover_2008", "turnover_2009")
    assert cov.derived == {"turnover_growth": "(turnover_2009 - turnover_2008) / turnover_2008"}
    found = "\n".join(proposal.found)
    assert "sheet 'Notes': no header naming the stages" in found
    assert "the header is on row 3, below 'Customer Management Audit returns" in found
    assert "some levels written as words: 'Defined' (3), 'Initial' (1)" in found
    assert "not assessed:" in found and "'n/a'" in found and "'-'" in found
    assumed = "\n".join(proposal.assumed)
    assert "column 'Sector' is the business type" in assumed
    assert "column 'Business ref' identifies the businesses" in assumed
    assert "rounds by calendar year (2 rounds)" in assumed
    # the proposal loads the file: 40 businesses, two rounds a year apart
    cohort = load_returns(book, **proposal.loader())
    assert cohort.n_businesses == 40 and cohort.waves == ("2008", "2009")
    assert cohort.attributes["business_type"].notna().all()
    text = study_yaml(proposal.study_entries(tmp_path))
    assert all("  # " in line for line in text.splitlines())
    assert "file: programme_SYNTHETIC.xlsx" in text and "rounds: year" in text


def test_dates_day_first_in_three_yearly_rounds(tmp_path: Path) -> None:
    proposal = inspect_returns(three_wave_dates(tmp_path))
    assert proposal.date_format == "day-first"
    assert proposal.rounds is not None and proposal.rounds.kind == "year"
    assert "written day first (as in the UK)" in "\n".join(proposal.found)
    cohort = load_returns(proposal.path, **proposal.loader())
    assert cohort.waves == ("2019", "2020", "2021")


def test_a_long_form_export(tmp_path: Path) -> None:
    proposal = inspect_returns(long_export(tmp_path))
    assert proposal.form == "long" and proposal.wave_column == "wave"
    assert proposal.aliases == {} and proposal.rounds is None
    assert load_returns(proposal.path, **proposal.loader()).n_businesses == 12


def test_dates_month_first_are_found_and_ambiguous_ones_assumed_day_first(
    tmp_path: Path,
) -> None:
    head = f"Business ID,Audit date,{NUMBERS}"
    us = _csv(tmp_path / "us.csv", [head, f"A,03/15/2008,{LEVELS}", f"B,04/02/2009,{LEVELS}"])
    proposal = inspect_returns(us)
    assert proposal.date_format == "month-first"
    assert "month first (as in the US)" in "\n".join(proposal.found)
    uk = _csv(tmp_path / "uk.csv", [head, f"A,03/04/2008,{LEVELS}", f"B,04/02/2009,{LEVELS}"])
    proposal = inspect_returns(uk)
    assert proposal.date_format == "day-first"
    assert "read day first (as in the UK); if they are American" in "\n".join(proposal.assumed)
    mixed = _csv(tmp_path / "mixed.csv", [head, f"A,03/15/2008,{LEVELS}", f"B,15/03/2009,{LEVELS}"])
    with pytest.raises(ParameterError, match=r"written day first .* and month first"):
        inspect_returns(mixed)


def test_rounds_by_gap_when_a_business_is_audited_twice_a_year(tmp_path: Path) -> None:
    lines = [f"Business ID,Audit date,{NUMBERS}"]
    for k, day in enumerate(("2008-03-03", "2008-03-20", "2008-09-01", "2008-09-15")):
        lines.append(f"B{k % 2},{day},{LEVELS}")
    proposal = inspect_returns(_csv(tmp_path / "twice.csv", lines))
    assert proposal.rounds is not None and proposal.rounds.kind == "gap"
    cohort = load_returns(proposal.path, **proposal.loader())
    assert cohort.waves == ("Round 1 (Mar 2008)", "Round 2 (Sep 2008)")


def test_numbered_rounds_out_of_order_are_put_in_order(tmp_path: Path) -> None:
    lines = [f"ID,Round,{NUMBERS}", f"A,Round 2,{LEVELS}", f"A,Round 1,{LEVELS}"]
    proposal = inspect_returns(_csv(tmp_path / "r.csv", lines))
    assert proposal.wave_order == ["Round 1", "Round 2"]
    assert load_returns(proposal.path, **proposal.loader()).waves == ("Round 1", "Round 2")


def test_a_semicolon_file_with_a_title_row(tmp_path: Path) -> None:
    body = NUMBERS.replace(",", ";")
    path = _csv(
        tmp_path / "eu.csv",
        [
            "Audit returns (SYNTHETIC)",
            f"Business ID;Staff No;{body}",
            f"A;4;{LEVELS.replace(',', ';')}",
        ],
    )
    proposal = inspect_returns(path)
    assert proposal.header_row == 2
    assert load_returns(path, **proposal.loader()).n_businesses == 1


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("two returns sheets", "two_sheets", "several sheets hold returns"),
        ("unknown text", "unknown_text", "add --na-value 'n/k'"),
        ("two date columns", "two_dates", "choose one with --wave-column NAME"),
        ("two id columns", "two_ids", "--alias 'Client code=business_id'"),
        ("a stage missing", "stage_missing", "no column for stage(s) 10 Business Reputation"),
        ("no header", "no_header", "no header naming the customer_wise_2007 stages"),
    ],
)
def test_an_ambiguous_file_stops_and_names_the_option(
    tmp_path: Path, name: str, make: str, message: str
) -> None:
    path = _AMBIGUOUS[make](tmp_path)
    with pytest.raises(ParameterError) as info:
        inspect_returns(path)
    assert message in str(info.value), name


def _two_sheets(tmp_path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    for k, title in enumerate(("2008", "2009")):
        ws = wb.active if k == 0 else wb.create_sheet()
        ws.title = title
        ws.append(["Business ID", *STAGE_HEADERS])
        ws.append(["A", *range(10)])
    path = tmp_path / "two_SYNTHETIC.xlsx"
    wb.save(path)
    return path


def _unknown_text(tmp_path: Path) -> Path:
    return _csv(
        tmp_path / "nk.csv", [f"ID,{NUMBERS}", "A,1,2,3,n/k,1,2,3,4,5,0", "B,n/k,1,1,1,1,1,1,1,1,1"]
    )


def _two_dates(tmp_path: Path) -> Path:
    return _csv(
        tmp_path / "dates.csv",
        [f"ID,Visit date,Report date,{NUMBERS}", f"A,2008-03-01,2008-04-01,{LEVELS}"],
    )


def _two_ids(tmp_path: Path) -> Path:
    return _csv(tmp_path / "ids.csv", [f"Client code,Company code,{NUMBERS}", f"A1,X1,{LEVELS}"])


def _stage_missing(tmp_path: Path) -> Path:
    return _csv(tmp_path / "nine.csv", ["ID," + ",".join(STAGE_HEADERS[:9]), "A,1,1,1,1,1,1,1,1,1"])


def _no_header(tmp_path: Path) -> Path:
    return _csv(tmp_path / "other.csv", ["name,colour", "a,red"])


_AMBIGUOUS = {
    "two_sheets": _two_sheets,
    "unknown_text": _unknown_text,
    "two_dates": _two_dates,
    "two_ids": _two_ids,
    "stage_missing": _stage_missing,
    "no_header": _no_header,
}


def test_the_options_settle_what_was_ambiguous(tmp_path: Path) -> None:
    assert inspect_returns(_two_sheets(tmp_path), sheet="2009").sheet == "2009"
    proposal = inspect_returns(_unknown_text(tmp_path), na_values=["n/k"])
    assert proposal.na_values == ["n/k"]
    assert load_returns(proposal.path, **proposal.loader()).scores.isna().sum().sum() == 2
    proposal = inspect_returns(_two_dates(tmp_path), wave_column="Visit date")
    assert proposal.loader()["aliases"] == {"Visit date": "wave"}
    proposal = inspect_returns(_two_ids(tmp_path), aliases={"Client code": "business_id"})
    assert load_returns(proposal.path, **proposal.loader()).scores.index[0] == ("A1", 1)


def test_rounds_given_are_kept(tmp_path: Path) -> None:
    proposal = inspect_returns(three_wave_dates(tmp_path), wave_rounds="gap 200")
    assert proposal.rounds is not None and proposal.rounds.text() == "gap 200"
    assert dt.date(2019, 1, 1) < dt.date(2021, 12, 31)  # the file spans three years
    assert len(load_returns(proposal.path, **proposal.loader()).waves) == 3

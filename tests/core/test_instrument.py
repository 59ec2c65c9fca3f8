"""Instruments: the bundled definitions match their sources; malformed files are refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cma_research as cma
from cma_research import InstrumentError, get_instrument
from tests.paths import SEEDS

CW_SHORT = [
    "contact",
    "employee_skills",
    "ict",
    "feedback",
    "service_delivery",
    "transactions",
    "customer_knowledge",
    "new_products",
    "staff_empowerment",
    "reputation",
]


def test_list_instruments() -> None:
    assert cma.list_instruments() == ["customer_wise_2007", "managing_customers_framework"]


def test_customer_wise_structure() -> None:
    cw = get_instrument("customer_wise_2007")
    assert cw.stage_ids == [f"stage_{i}" for i in range(1, 11)]
    assert [s.short_name for s in cw.stages] == CW_SHORT
    assert [s.number for s in cw.stages] == list(range(1, 11))
    assert cw.level_values == [0, 1, 2, 3, 4, 5]
    assert [lv.label for lv in cw.levels] == [
        "Below level 1",
        "Collect information",
        "Regular reporting",
        "Performance targets",
        "Planned improvement",
        "Continuous improvement",
    ]
    assert [lv.cmm_name for lv in cw.levels] == [
        None,
        "Initial",
        "Repeatable",
        "Defined",
        "Managed",
        "Optimised",
    ]
    # Table 2 has a criterion for every stage x level 1-5: 50 cells, none for level 0.
    assert sum(len(s.criteria) for s in cw.stages) == 50
    assert all(sorted(s.criteria) == [1, 2, 3, 4, 5] for s in cw.stages)
    assert all(
        s.expectation and s.expectation.startswith("The customer expects") for s in cw.stages
    )
    assert cw.target_level == 4
    assert len(cw.sha256) == 64


def _fold(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.skipif(
    not (SEEDS / "000_6f9f698c8e3f8422.txt").exists(), reason="paper text not present"
)
def test_customer_wise_criteria_are_verbatim_from_table_2() -> None:
    # Every criterion must appear word for word (white space folded) in the paper's
    # Table 2, in stage order, so a typo in the transcription fails here.
    paper = (SEEDS / "000_6f9f698c8e3f8422.txt").read_text(encoding="utf-8")
    table2 = _fold(paper[paper.index("TABLE 2") :])
    position = 0
    for stage in get_instrument("customer_wise_2007").stages:
        for level, text in stage.criteria.items():
            found = table2.find(_fold(text), position)
            assert found >= 0, f"{stage.id} level {level}: {text!r} not found in order"
            position = found
        assert stage.table_name is not None
        assert _fold(stage.table_name) in table2
        assert stage.expectation is not None
        assert _fold(stage.expectation) in _fold(paper)


def test_managing_customers_framework() -> None:
    mcf = get_instrument("managing_customers_framework")
    assert [s.name for s in mcf.stages] == [
        "Sales",
        "Service",
        "Operations",
        "People",
        "CRM",
        "Data and Insight",
    ]
    assert [lv.label for lv in mcf.levels] == ["Proto", "Crawl", "Walk", "Jog", "Run", "Fly"]
    assert mcf.level_values == [0, 1, 2, 3, 4, 5]
    assert mcf.target_level == 4
    assert mcf.stage_noun == "dimension"
    assert sum(len(s.criteria) for s in mcf.stages) == 36


@pytest.mark.skipif(not (SEEDS / "004_69462842be23528e.txt").exists(), reason="seed not present")
def test_managing_customers_criteria_come_from_the_seed() -> None:
    seed = _fold((SEEDS / "004_69462842be23528e.txt").read_text(encoding="utf-8"))
    for stage in get_instrument("managing_customers_framework").stages:
        for level, text in stage.criteria.items():
            for bullet in text.split("; "):
                assert _fold(bullet) in seed, f"{stage.id} level {level}: {bullet!r}"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("ict", "stage_3"),
        ("3", "stage_3"),
        ("Stage 3", "stage_3"),
        ("S10", "stage_10"),
        ("Customer Contact", "stage_1"),
        ("staff_empowerment", "stage_9"),
        ("Knowledge of Customers", "stage_7"),
    ],
)
def test_stage_lookup(key: str, expected: str) -> None:
    assert get_instrument("customer_wise_2007").stage(key).id == expected


def test_unknown_stage_and_unknown_instrument() -> None:
    with pytest.raises(InstrumentError, match=r"no stage 'stage_11'.*stage_1, stage_2"):
        get_instrument("customer_wise_2007").stage("stage_11")
    with pytest.raises(InstrumentError, match=r"unknown instrument 'cw2007'.*customer_wise_2007"):
        get_instrument("cw2007")


VALID = """\
name: tiny
title: Tiny instrument
source: test
levels:
  - {value: 0, label: none}
  - {value: 1, label: some}
  - {value: 2, label: all}
stages:
  - {id: a, number: 1, short_name: a, name: Alpha, criteria: {1: one, 2: two}}
  - {id: b, number: 2, short_name: b, name: Beta}
"""


def test_user_instrument_file_loads_and_is_usable(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(VALID, encoding="utf-8")
    tiny = get_instrument(path)
    assert tiny.stage_ids == ["a", "b"]
    assert tiny.stages[0].criteria == {1: "one", 2: "two"}
    returns = tmp_path / "r.csv"
    returns.write_text("id,Alpha,b\nx,2,\ny,0,1\n", encoding="utf-8")
    cohort = cma.load_returns(returns, instrument=str(path))
    assert cohort.scores["a"].tolist() == [2, 0]
    assert cohort.scores["b"].isna().tolist() == [True, False]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (VALID.replace("name: tiny\n", ""), "missing required key 'name'"),
        (
            VALID.replace("{value: 2, label: all}", "{value: 3, label: all}"),
            "ascending and contiguous",
        ),
        (VALID.replace("id: b, number: 2", "id: a, number: 2"), "duplicate id: a"),
        (VALID.replace("{1: one, 2: two}", "{1: one, 7: seven}"), "level 7 is not one of"),
        (VALID.replace("title:", "titel:"), "unknown key 'titel'"),
        (VALID.replace("id: a,", "id: Alpha Stage,"), "lower-case letters"),
        (VALID.replace("number: 2", "number: two"), "expected a whole number, got 'two'"),
        ("name: [unclosed", "cannot be parsed"),
        ("- just\n- a list\n", "expected a mapping"),
    ],
)
def test_malformed_instrument_names_file_and_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InstrumentError, match=re.escape(message)) as info:
        get_instrument(path)
    assert str(path) in str(info.value)


def test_missing_instrument_file(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match="instrument file not found"):
        get_instrument(tmp_path / "nope.yaml")


def test_instrument_error_is_a_cma_error() -> None:
    assert issubclass(InstrumentError, cma.CMAError)

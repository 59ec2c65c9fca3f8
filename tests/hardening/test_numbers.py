"""Class 10 of issue 10 (numbers and ids the loader must not accept) and issue 9's level
labels (the loader reads an instrument's own words for its levels).

Levels and staff are read from plain decimal text (digits 0-9, an optional sign and
decimal point); Python's ``float`` would also read ``0_3`` as 3, ``1e-400`` as 0 and
``inf``. Staff is at most :data:`~cma_research.io.returns.MAX_STAFF` (ten million).
Business ids hold no control character and at most 100 characters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cma_research import DataValidationError, load_returns
from cma_research.core.instrument import get_instrument
from cma_research.io.returns import MAX_ID_CHARS, MAX_STAFF

HEADER = "ID,Staff No,Type,1,2,3,4,5,6,7,8,9,10\n"


def _file(tmp_path: Path, text: str, name: str = "r.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def _row(bid: str = "B1", staff: str = "5", level: str = "2") -> str:
    return f"{bid},{staff},Florist,{level},1,1,1,1,1,1,1,1,1\n"


@pytest.mark.parametrize(
    "level",
    ["0_3", "1_0", "3e0", "1e-400", "0.3e1", "inf", "-inf", "0x3", "٣", "３", "1e308"],
)
def test_levels_python_would_read_are_refused(tmp_path: Path, level: str) -> None:
    path = _file(tmp_path, HEADER + _row(level=level))
    with pytest.raises(DataValidationError) as info:
        load_returns(path)
    (problem,) = info.value.problems
    assert problem.row == 2 and problem.column == "1" and problem.value == level
    assert problem.message.startswith(("level is not written as a plain", "level is not a number"))


@pytest.mark.parametrize(("text", "value"), [("3", 3), ("3.0", 3), ("+2", 2), ("0", 0), ("5.", 5)])
def test_plain_levels_are_read(tmp_path: Path, text: str, value: int) -> None:
    cohort = load_returns(_file(tmp_path, HEADER + _row(level=text)))
    assert int(cohort.scores.iloc[0]["stage_1"]) == value


@pytest.mark.parametrize("staff", ["1e18", "1e308", "1e-400", "1E3", "1_000", "inf", "12e2", "٥"])
def test_staff_exponents_and_separators_are_refused(tmp_path: Path, staff: str) -> None:
    with pytest.raises(DataValidationError) as info:
        load_returns(_file(tmp_path, HEADER + _row(staff=staff)))
    (problem,) = info.value.problems
    assert problem.column == "Staff No" and problem.value == staff
    assert "staff is not" in problem.message


@pytest.mark.parametrize(
    ("staff", "ok"),
    [
        (str(MAX_STAFF), True),
        (f'"{MAX_STAFF:,}"', True),
        (str(MAX_STAFF + 1), False),
        ("99999999999999999999", False),
        ('"1,250"', True),
    ],
)
def test_staff_has_a_documented_upper_bound(tmp_path: Path, staff: str, ok: bool) -> None:
    path = _file(tmp_path, HEADER + _row(staff=staff))
    if ok:
        assert int(load_returns(path).attributes["staff"].iloc[0]) == int(
            staff.strip('"').replace(",", "")
        )
    else:
        with pytest.raises(DataValidationError, match=r"staff is too large \(at most 10,000,000"):
            load_returns(path)


@pytest.mark.parametrize(
    "bid",
    ["B\x001", "B\t1", "B\x1f1", "B\x7f1", "a\u2028b", "B\x851", '"B\n1"', '"B\r1"'],
    ids=["nul", "tab", "unit_sep", "del", "line_sep", "nel", "newline", "cr"],
)
def test_ids_with_control_characters_are_refused(tmp_path: Path, bid: str) -> None:
    path = _file(tmp_path, HEADER + _row() + _row(bid=bid))
    with pytest.raises(DataValidationError) as info:
        load_returns(path)
    (problem,) = info.value.problems
    assert problem.row == 3 and problem.column == "ID"
    assert problem.message.startswith("business id holds a control character")
    assert "\n" not in str(info.value) and "\x00" not in str(info.value)


def test_id_length_limit(tmp_path: Path) -> None:
    ok = "B" * MAX_ID_CHARS
    cohort = load_returns(_file(tmp_path, HEADER + _row(bid=ok) + _row(bid="Café №7 – ŁÓDŹ")))
    assert cohort.scores.index.get_level_values("business_id").tolist() == [ok, "Café №7 – ŁÓDŹ"]
    with pytest.raises(DataValidationError, match="business id is 101 characters long"):
        load_returns(_file(tmp_path, HEADER + _row(bid=ok + "C")))
    with pytest.raises(DataValidationError, match="business id is 300 characters long") as info:
        load_returns(_file(tmp_path, HEADER + _row(bid="x" * 300)))
    # the id is shortened in the message (the file's own path, pytest's, is not counted)
    assert len(str(info.value).replace(str(tmp_path), "")) < 300


# -- level labels (issue 9) ------------------------------------------------------------


def _mcf_file(tmp_path: Path, cells: list[str]) -> Path:
    inst = get_instrument("managing_customers_framework")
    header = "Business ID," + ",".join(inst.stage_ids) + "\n"
    return _file(tmp_path, header + "M1," + ",".join(cells) + "\n", "mcf.csv")


def test_an_instruments_level_labels_are_read(tmp_path: Path) -> None:
    cells = ["Crawl", " walk ", "LEVEL 3", "run", "Fly", "proto"]
    cohort = load_returns(_mcf_file(tmp_path, cells), "managing_customers_framework")
    assert cohort.scores.iloc[0].tolist() == [1, 2, 3, 4, 5, 0]


def test_mixed_numbers_and_labels_and_spacing(tmp_path: Path) -> None:
    cells = ["1", "Level_2", "jog", "4", "", "Level  0"]
    cohort = load_returns(_mcf_file(tmp_path, cells), "managing_customers_framework")
    assert cohort.scores.iloc[0].tolist()[:4] == [1, 2, 3, 4]
    assert cohort.scores.iloc[0].isna().tolist() == [False, False, False, False, True, False]


def test_customer_wise_labels_and_cmm_names(tmp_path: Path) -> None:
    row = "B1,5,Florist,Below level 1,collect information,Repeatable,Defined,Managed,"
    row += "continuous improvement,Level 3,3,initial,OPTIMISED\n"
    cohort = load_returns(_file(tmp_path, HEADER + row))
    assert cohort.scores.iloc[0].tolist() == [0, 1, 2, 3, 4, 5, 3, 3, 1, 5]


@pytest.mark.parametrize("label", ["Sprint", "Level 6", "Level -1", "Crawling"])
def test_a_label_the_instrument_lacks_names_the_allowed_labels(tmp_path: Path, label: str) -> None:
    cells = [label, "1", "1", "1", "1", "1"]
    with pytest.raises(DataValidationError) as info:
        load_returns(_mcf_file(tmp_path, cells), "managing_customers_framework")
    (problem,) = info.value.problems
    assert problem.value == label and problem.column == "sales"
    assert problem.message == "level is not a number"
    assert problem.expected == (
        "a whole number from 0 to 5, or a blank cell for not assessed, or a level label of "
        "managing_customers_framework: 'Proto' (0), 'Crawl' (1), 'Walk' (2), 'Jog' (3), "
        "'Run' (4), 'Fly' (5)"
    )


def test_level_range_message_uses_the_instruments_levels(tmp_path: Path) -> None:
    inst = tmp_path / "seven.yaml"
    inst.write_text(
        "name: seven\ntitle: Seven levels\nsource: test\nlevels:\n"
        + "".join(f"  - value: {v}\n    label: L{v}\n" for v in range(1, 8))
        + "stages:\n"
        + "".join(
            f"  - id: s{i}\n    number: {i}\n    short_name: s{i}\n    name: Stage {i}\n"
            for i in (1, 2)
        ),
        encoding="utf-8",
    )
    path = _file(tmp_path, "ID,s1,s2\nA,7,L7\nB,0,8\n")
    with pytest.raises(DataValidationError) as info:
        load_returns(path, inst)
    messages = [(p.row, p.column, p.message, p.expected) for p in info.value.problems]
    expected = "a whole number from 1 to 7, or a blank cell for not assessed"
    assert messages == [
        (3, "s1", "level outside the levels 1-7", expected),
        (3, "s2", "level outside the levels 1-7", expected),
    ]
    ok = load_returns(_file(tmp_path, "ID,s1,s2\nA,7, l7 \n"), inst)
    assert ok.scores.iloc[0].tolist() == [7, 7]

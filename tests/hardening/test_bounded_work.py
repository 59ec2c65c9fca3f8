"""Class 2 of issue 10: a tiny or hostile file costs bounded work and gives a bounded message.

Members tried: a workbook whose only content sits at XFD200000 (blank or not), a
zip-bomb workbook, /dev/zero, a file larger than the cap (sparse), a CSV of a million
delimiters or blank lines, a 120,000-character cell, a long id quoted in a message,
YAML alias bombs (as a parameters file and as an instrument), a recursive alias, a
deeply nested and an oversized YAML file.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from cma_research import DataValidationError, ParameterError, load_returns
from cma_research.core.errors import MAX_QUOTED, InstrumentError, Problem, shorten
from cma_research.core.files import YAML_MAX_BYTES, safe_load_yaml
from cma_research.core.instrument import get_instrument
from cma_research.io import tables
from tests.hardening.conftest import write
from tests.paths import BUNDLED

HEADER = "Staff No,Type,1,2,3,4,5,6,7,8,9,10\n"
ROW = "1,Florist,1,2,3,4,5,0,1,2,3,4\n"


def _one_line(err: BaseException, limit: int = 400) -> str:
    text = str(err)
    assert "\n" not in text, text
    assert len(text) < limit, len(text)
    return text


def _workbook(path: Path, cells: dict[str, object], rows: list[list[object]] | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    for row in rows or []:
        ws.append(row)
    for ref, value in cells.items():
        ws[ref] = value
    wb.save(path)
    return path


@pytest.mark.parametrize("value", [" ", "x"])
def test_one_far_cell_in_an_empty_workbook(tmp_path: Path, value: str) -> None:
    path = _workbook(tmp_path / "far.xlsx", {"XFD200000": value})
    with pytest.raises(DataValidationError) as info:
        load_returns(path)
    text = _one_line(info.value)
    if value.strip():  # a real value: refused by the column cap, naming the row
        assert "row 200000" in text and "column XFD" in text
    else:  # only white space: the used range is empty
        assert "the file is empty" in text


def test_far_blank_cells_do_not_widen_a_real_table(tmp_path: Path, table4_text: str) -> None:
    rows = [
        [int(c) if c.isdigit() else (c or None) for c in r]
        for r in csv.reader(io.StringIO(table4_text))
    ]
    path = _workbook(tmp_path / "t4.xlsx", {"XFD5000": " ", "A300000": " "}, rows)
    cohort = load_returns(path)
    assert cohort.n_businesses == 16
    assert cohort.scores.equals(load_returns(BUNDLED).scores)


def test_zip_bomb_workbook_refused_by_unpacked_size(tmp_path: Path) -> None:
    source = _workbook(tmp_path / "small.xlsx", {"A1": "Staff No"})
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zin.infolist():
            zo.writestr(info, zin.read(info.filename))
        zo.writestr("xl/padding.xml", b" " * (tables.MAX_FILE_BYTES + 1))
    assert bomb.stat().st_size < 200_000  # tiny on disk
    with pytest.raises(DataValidationError, match=r"unpacks to .* bytes"):
        load_returns(bomb)


def test_devices_and_huge_files_refused_before_reading(tmp_path: Path) -> None:
    if os.path.exists("/dev/zero"):
        with pytest.raises(DataValidationError, match="not a regular file"):
            load_returns("/dev/zero")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # reading it would block for ever
    with pytest.raises(DataValidationError, match="not a regular file"):
        load_returns(fifo)
    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as fh:  # sparse: no disk space used
        fh.truncate(tables.MAX_FILE_BYTES + 1)
    with pytest.raises(DataValidationError, match="larger than 32 MiB") as info:
        load_returns(huge)
    _one_line(info.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("a" + "," * 1_000_000 + "\n", "the row has 1,000,001 cells"),
        (HEADER + ROW + "\n" * 1_000_000 + ROW, r"a value on row 1,000,003 \(only 200,000"),
        (HEADER + (ROW * 1_001).replace("\n", ",") + "\n", "the row has 12,013 cells"),
    ],
    ids=["million_delimiters", "row_after_million_blank_lines", "one_long_row"],
)
def test_delimited_text_expansion(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path / "x.csv", body)
    with pytest.raises(DataValidationError, match=message) as info:
        load_returns(path)
    _one_line(info.value)


def test_blank_lines_cost_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", HEADER + ROW + "\n" * 150_000 + ROW + "\n" * 10**6)
    cohort = load_returns(path)
    assert cohort.n_businesses == 2
    assert cohort.scores.index.get_level_values("business_id").tolist() == ["B01", "B02"]


def test_rows_and_cells_caps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The caps are module constants; smaller ones show each refusal on a small file.
    monkeypatch.setattr(tables, "MAX_ROWS", 5)
    path = write(tmp_path / "rows.csv", HEADER + ROW * 5)
    with pytest.raises(DataValidationError, match=r"row 6.*only 5 rows are read"):
        load_returns(path)
    monkeypatch.setattr(tables, "MAX_ROWS", 200_000)
    monkeypatch.setattr(tables, "MAX_CELLS", 40)
    with pytest.raises(DataValidationError, match="expands to more than 40 cells"):
        load_returns(path)


def test_a_120000_character_cell(tmp_path: Path) -> None:
    path = write(tmp_path / "long.csv", HEADER + ROW.replace("Florist", "x" * 120_000))
    with pytest.raises(DataValidationError) as info:
        load_returns(path)
    text = _one_line(info.value)
    assert "a cell of 120,000 characters" in text and "column 'B'" in text


def test_quoted_values_are_shortened_in_every_message() -> None:
    long = "B" + "9" * 5_000
    text = str(Problem("f.csv", "business id is too long", row=2, column="ID", value=long))
    assert len(text) < 200
    assert "… (5,001 characters)" in text
    assert shorten("x" * MAX_QUOTED) == "x" * MAX_QUOTED  # at the limit: unchanged
    assert len(shorten("x" * (MAX_QUOTED + 1)).split("…")[0]) == MAX_QUOTED - 1
    header = "H" * 1_000  # a long column name is shortened too
    assert len(str(Problem("f.csv", "m", column=header))) < 200


def test_a_long_id_is_refused_with_a_short_line(tmp_path: Path) -> None:
    path = write(tmp_path / "ids.csv", "ID," + HEADER + "B" * 30_000 + "," + ROW)
    with pytest.raises(DataValidationError, match=r"business id is 30,000 characters long"):
        load_returns(path)


# -- YAML --------------------------------------------------------------------------------

BOMB = "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)
BOMB = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + BOMB


@pytest.mark.parametrize(
    "text",
    [BOMB, "a: &a [*a]\n", "a: &a {k: *a}\n"],
    ids=["billion_laughs", "recursive_list", "recursive_mapping"],
)
def test_alias_bombs_are_refused(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "params.yaml", text)
    assert len(text.encode()) < 600  # a few hundred bytes
    with pytest.raises(ParameterError, match="expands to more than") as info:
        safe_load_yaml(path)
    _one_line(info.value)


def test_the_node_cap_counts_alias_copies(tmp_path: Path) -> None:
    # x: 3 nodes; y = 4 copies of x + 1 = 13; z = 8 copies of y + 1 = 105; the mapping
    # (1) + 3 keys + 3 + 13 + 105 = 125 nodes in all.
    text = "x: &x [1, 2]\ny: &y [*x, *x, *x, *x]\nz: [*y, *y, *y, *y, *y, *y, *y, *y]\n"
    path = write(tmp_path / "p.yaml", text)
    assert safe_load_yaml(path, max_nodes=125)["z"][7][3] == [1, 2]
    with pytest.raises(ParameterError, match="expands to more than 124 values"):
        safe_load_yaml(path, max_nodes=124)


def test_an_alias_bomb_as_an_instrument_file(tmp_path: Path) -> None:
    path = write(tmp_path / "inst.yaml", BOMB)
    with pytest.raises(InstrumentError, match="expands to more than"):
        get_instrument(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"seed: 1\n" + b"#" * (YAML_MAX_BYTES + 1), "bytes"),
        (b"seed: \xff\xfe 2007\n", "is not UTF-8 text .byte 0xFF on line 1"),
        (b"[" * 5_000 + b"]" * 5_000, "nested too deeply|expands to more than|cannot be parsed"),
        (b"a: [1, 2\nb: {", "cannot be parsed as YAML"),
        (b"---\na: 1\n---\nb: 2\n", "cannot be parsed as YAML"),
    ],
    ids=["too_big", "not_utf8", "deep", "broken", "two_documents"],
)
def test_bad_yaml_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(content)
    with pytest.raises(ParameterError, match=message) as info:
        safe_load_yaml(path)
    _one_line(info.value)


def test_yaml_devices_and_folders(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="not a regular file"):
        safe_load_yaml(tmp_path)
    if os.path.exists("/dev/zero"):
        with pytest.raises(ParameterError, match="not a regular file"):
            safe_load_yaml("/dev/zero")
    with pytest.raises(ParameterError, match="file not found"):
        safe_load_yaml(tmp_path / "missing.yaml")
    assert safe_load_yaml(write(tmp_path / "empty.yaml", "")) is None


def test_plain_yaml_with_a_few_aliases_still_loads(tmp_path: Path) -> None:
    path = write(tmp_path / "ok.yaml", "base: &b {seed: 1}\nrun: *b\nlist: [1, 2, 3]\n")
    assert safe_load_yaml(path) == {"base": {"seed": 1}, "run": {"seed": 1}, "list": [1, 2, 3]}


def test_header_text_in_messages_is_bounded(tmp_path: Path) -> None:
    long = "Q" * 30_000
    # two long headers that mean the same extra column, and 900 long unknown headers
    path = write(
        tmp_path / "dup.csv", HEADER.strip() + f",{long},{long}\n" + ROW.strip() + ",a,b\n"
    )
    with pytest.raises(DataValidationError, match="two columns mean") as info:
        load_returns(path)
    assert len(str(info.value)) < 600
    many = ",".join(f"{i}{'h' * 200}" for i in range(900))
    path = write(tmp_path / "many.csv", many + "\n" + ",".join(["x"] * 900) + "\n")
    with pytest.raises(DataValidationError, match="missing required column") as info:
        load_returns(path)
    assert all(len(line) < 2_500 for line in info.value.lines)
    assert "and 870 more" in str(info.value)

"""Property tests for load_returns: random valid cohorts round-trip; one bad cell, one problem.

Files are written to a fresh temporary folder per example (hypothesis and the
function-scoped ``tmp_path`` fixture do not mix).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cma_research as cma
from cma_research import DataValidationError, get_instrument, load_returns

INST = get_instrument("customer_wise_2007")
STAGES = INST.stage_ids
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text with commas, quotes, semicolons, tabs, line breaks and any printable unicode;
# the loader trims cells, so generated values carry no surrounding white space.
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(",;\"'\t\n £€é–—ß漢字")),
        # what UTF-8 encodes (no surrogates, Cs) but control characters (Cc); the same
        # set as codec="utf-8", which makes hypothesis try all 1.1 million code points
        # against the codec (about 1.2 s in each process, until .hypothesis/ caches it)
        st.characters(exclude_categories=("Cs", "Cc")),
    ),
    min_size=1,
    max_size=12,
).filter(lambda t: t == t.strip() and t != "")
# Business ids are refused when they hold control characters (tab, line break, NUL):
# see tests/hardening/test_numbers.py.
_ID = _TEXT.filter(lambda t: not any(c in t for c in "\t\n"))
LEVEL = st.one_of(st.none(), st.integers(0, 5))
STAFF = st.one_of(st.none(), st.integers(0, 10**6))
# built once: a strategy made inside a draw is built and validated again in every example
WAVES = st.sets(st.integers(1, 3), min_size=1)
TYPE = st.one_of(st.none(), _TEXT)


@dataclass(frozen=True)
class Row:
    business_id: str
    wave: int
    staff: int | None
    business_type: str | None
    levels: tuple[int | None, ...]


@dataclass(frozen=True)
class Generated:
    rows: tuple[Row, ...]
    with_id: bool
    with_wave: bool


@st.composite
def cohorts(draw: st.DrawFn) -> Generated:
    n = draw(st.integers(1, 30))
    with_wave = draw(st.booleans())
    with_id = with_wave or draw(st.booleans())  # several waves need an id column
    if with_id:
        ids = draw(st.lists(_ID, min_size=n, max_size=n, unique=True))
    else:
        width = max(2, len(str(n)))
        ids = [f"B{i:0{width}d}" for i in range(1, n + 1)]
    rows = []
    for business in ids:
        waves = draw(WAVES) if with_wave else {1}
        for wave in sorted(waves):
            staff, btype = draw(STAFF), draw(TYPE)
            levels = tuple(draw(LEVEL) for _ in STAGES)
            if not with_id and staff is None and btype is None and set(levels) == {None}:
                # Without an id column an all-blank row is a blank line, which is skipped.
                btype = draw(_TEXT)
            rows.append(Row(business, wave, staff, btype, levels))
    # The file order mixes waves: shuffle the rows.
    order = draw(st.permutations(range(len(rows))))
    rows = [rows[i] for i in order]
    if not with_id:  # the loader numbers the rows B01, B02 ... in file order
        rows = [Row(ids[k], *dataclasses.astuple(r)[1:]) for k, r in enumerate(rows)]
    return Generated(tuple(rows), with_id, with_wave)


def expected_cohort(gen: Generated) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scores and attributes the loader must produce, built from the generated rows."""
    idx = pd.MultiIndex.from_tuples(
        [(r.business_id, r.wave) for r in gen.rows], names=["business_id", "wave"]
    )
    scores = pd.DataFrame(
        {
            sid: pd.array([r.levels[k] for r in gen.rows], dtype="Int64")
            for k, sid in enumerate(STAGES)
        },
        index=idx,
    )
    attrs = pd.DataFrame(
        {
            "staff": pd.array([r.staff for r in gen.rows], dtype="Int64"),
            "business_type": pd.array([r.business_type for r in gen.rows], dtype="string"),
        },
        index=idx,
    )
    return scores, attrs


def _text(v: object) -> str:
    return "" if v is None else str(v)


# Header spellings the loader accepts for each role and stage.
ID_HEADERS = ["Business ID", "id", "Case ID", "business_id"]
WAVE_HEADERS = ["Wave", "Round", "audit wave"]
STAFF_HEADERS = ["Staff No", "Staff", "Employees", "Headcount", "no. of staff"]
TYPE_HEADERS = ["Type", "Business type", "business_type"]


def stage_headers(number: int) -> list[str]:
    s = INST.stages[number - 1]
    return [str(number), f"Stage {number}", f"stage_{number}", f"S{number}", s.short_name, s.name]


# built once, not in every example (see WAVES)
_LAYOUT = {
    "id": st.sampled_from(ID_HEADERS),
    "wave": st.sampled_from(WAVE_HEADERS),
    "staff": st.sampled_from(STAFF_HEADERS),
    "type": st.sampled_from(TYPE_HEADERS),
    "stages": [st.sampled_from(stage_headers(i)) for i in range(1, 11)],
    "perm": st.permutations(range(14)),
    "sep": st.sampled_from([",", ";", "\t"]),
    "eol": st.sampled_from(["\r\n", "\n"]),
    "bom": st.booleans(),
}


@st.composite
def layouts(draw: st.DrawFn) -> dict[str, object]:
    """How a wide file is written: header spellings, column order, delimiter, BOM."""
    return {
        key: [draw(s) for s in strategy] if isinstance(strategy, list) else draw(strategy)
        for key, strategy in _LAYOUT.items()
    }


def _csv_bytes(
    rows: list[list[str]], sep: str = ",", eol: str = "\r\n", bom: bool = False
) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=sep, lineterminator=eol).writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def wide_file(gen: Generated, layout: dict[str, object]) -> bytes:
    columns: list[tuple[str, object]] = []  # (header, key to read a Row)
    if gen.with_id:
        columns.append((str(layout["id"]), "business_id"))
    if gen.with_wave:
        columns.append((str(layout["wave"]), "wave"))
    columns.append((str(layout["staff"]), "staff"))
    columns.append((str(layout["type"]), "business_type"))
    columns += [(h, k) for k, h in enumerate(layout["stages"])]  # type: ignore[arg-type]
    perm = [p for p in layout["perm"] if p < len(columns)]  # type: ignore[attr-defined]
    columns = [columns[p] for p in perm]

    def cell(r: Row, key: object) -> str:
        return _text(r.levels[key] if isinstance(key, int) else getattr(r, str(key)))

    table = [[h for h, _ in columns]] + [[cell(r, k) for _, k in columns] for r in gen.rows]
    return _csv_bytes(table, str(layout["sep"]), str(layout["eol"]), bool(layout["bom"]))


def long_file(gen: Generated, stage_order: list[int], drop_blank: bool) -> bytes:
    """One row per business, wave and stage; optionally leave out not-assessed rows
    (a missing row means not assessed) as long as each business and wave keeps one."""
    table = [["Business ID", "Wave", "Staff No", "Type", "Stage", "Level"]]
    for r in gen.rows:
        keep = [k for k in stage_order if not (drop_blank and r.levels[k] is None)]
        for k in keep or stage_order[:1]:
            table.append(
                [
                    r.business_id,
                    str(r.wave),
                    _text(r.staff),
                    _text(r.business_type),
                    STAGES[k],
                    _text(r.levels[k]),
                ]
            )
    return _csv_bytes(table)


@contextmanager
def written(name: str, data: bytes) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path


def load_bytes(name: str, data: bytes, **kwargs: object) -> cma.Cohort:
    with written(name, data) as path:
        return load_returns(path, **kwargs)  # type: ignore[arg-type]


def assert_cohort(cohort: cma.Cohort, scores: pd.DataFrame, attrs: pd.DataFrame) -> None:
    assert all(str(t) == "Int64" for t in cohort.scores.dtypes)
    assert str(cohort.attributes["staff"].dtype) == "Int64"
    assert isinstance(cohort.attributes["business_type"].dtype, pd.StringDtype)
    pd.testing.assert_frame_equal(cohort.scores, scores, check_exact=True)
    pd.testing.assert_frame_equal(cohort.attributes, attrs, check_exact=True)


# -- (a) round trips -----------------------------------------------------------------


@SETTINGS
@given(gen=cohorts(), layout=layouts())
def test_wide_csv_round_trips(gen: Generated, layout: dict[str, object]) -> None:
    scores, attrs = expected_cohort(gen)
    cohort = load_bytes("wide.csv", wide_file(gen, layout))
    assert_cohort(cohort, scores, attrs)


@SETTINGS
@given(gen=cohorts(), order=st.permutations(range(10)), drop_blank=st.booleans())
def test_long_csv_round_trips(gen: Generated, order: list[int], drop_blank: bool) -> None:
    scores, attrs = expected_cohort(gen)
    cohort = load_bytes("long.csv", long_file(gen, list(order), drop_blank))
    assert cohort.source.form == "long"
    assert_cohort(cohort, scores, attrs)


@SETTINGS
@given(gen=cohorts())
def test_to_wide_and_to_long_read_back(gen: Generated) -> None:
    scores, attrs = expected_cohort(gen)
    cohort = load_bytes("wide.csv", wide_file(gen, _plain_layout()))
    # to_wide() holds ids, wave, attributes and scores: the whole cohort comes back.
    wide = cohort.to_wide().to_csv(index=False).encode("utf-8")
    assert_cohort(load_bytes("to_wide.csv", wide), scores, attrs)
    # to_long() holds ids, wave, stage and level only (no attributes, by design).
    long = cohort.to_long().to_csv(index=False).encode("utf-8")
    back = load_bytes("to_long.csv", long)
    pd.testing.assert_frame_equal(back.scores, scores, check_exact=True)
    assert back.attributes["staff"].isna().all()


def _plain_layout() -> dict[str, object]:
    return {
        "id": "business_id",
        "wave": "wave",
        "staff": "staff",
        "type": "business_type",
        "stages": STAGES,
        "perm": list(range(14)),
        "sep": ",",
        "eol": "\n",
        "bom": False,
    }


# -- (b) blank is never 0, 0 is never blank ------------------------------------------

BLANKISH = ["", " ", "  ", "-", "NA", "n/a", "."]
ZEROISH = ["0", "00", " 0 ", "0.0"]


@SETTINGS
@given(
    grid=st.lists(
        st.lists(st.sampled_from(BLANKISH + ZEROISH + ["3"]), min_size=10, max_size=10),
        min_size=1,
        max_size=8,
    ),
    custom_na=st.booleans(),
)
def test_blank_is_never_zero_and_zero_is_never_blank(
    grid: list[list[str]], custom_na: bool
) -> None:
    table = [["Staff No", "Type", *map(str, range(1, 11))]]
    table += [["1", "Florists", *cells] for cells in grid]
    na = ["-", "NA", "n/a", "."] if custom_na else None  # blank must count either way
    scores = load_bytes("grid.csv", _csv_bytes(table), na_values=na).scores
    for k, cells in enumerate(grid):
        for j, text in enumerate(cells):
            value = scores.iloc[k, j]
            if text in BLANKISH:
                assert pd.isna(value), (k, j, text)
            elif text in ZEROISH:
                assert not pd.isna(value) and value == 0, (k, j, text)
            else:
                assert value == 3


# -- (c) exactly one bad cell ---------------------------------------------------------


@SETTINGS
@given(
    gen=cohorts(),
    layout=layouts(),
    data=st.data(),
    bad=st.sampled_from(["6", "-1", "2.5", "three"]),
    blank_lines=st.lists(st.integers(0, 40), max_size=3),
)
def test_one_bad_cell_gives_one_located_problem(
    gen: Generated,
    layout: dict[str, object],
    data: st.DataObject,
    bad: str,
    blank_lines: list[int],
) -> None:
    k = data.draw(st.integers(0, len(gen.rows) - 1), label="row index")
    stage = data.draw(st.integers(0, 9), label="stage index")
    rows = list(gen.rows)
    levels = list(rows[k].levels)
    levels[stage] = bad  # type: ignore[call-overload]
    rows[k] = Row(
        rows[k].business_id, rows[k].wave, rows[k].staff, rows[k].business_type, tuple(levels)
    )
    layout = {**layout, "sep": ","}
    text = wide_file(Generated(tuple(rows), gen.with_id, gen.with_wave), layout)
    # Blank lines between data rows are skipped but still counted as spreadsheet rows.
    lines = _records(text)
    record = 1 + k  # 0-based position of the bad row among the records (header is 0)
    for at in sorted(blank_lines, reverse=True):
        pos = min(at, len(lines) - 1) + 1  # never above the header
        lines.insert(pos, [""])
        if pos <= record:
            record += 1
    with pytest.raises(DataValidationError) as info:
        load_bytes("one_bad.csv", _csv_bytes(lines, eol=str(layout["eol"])))
    problems = info.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    (p,) = problems
    assert p.row == record + 1  # spreadsheet rows count from 1 at the header
    assert p.column == layout["stages"][stage]  # type: ignore[index]
    assert p.value == bad
    assert f"row {record + 1}, column {p.column!r}" in str(info.value)


def _records(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]

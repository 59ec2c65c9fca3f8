"""Parse a returns file read as text, in wide or long form, into a Cohort.

Wide: one row per business (and wave), one column per stage. Long: one row per
business, wave and stage with ``stage`` and ``level`` columns. Every problem is recorded
on the :class:`~cma_research.core.errors.ProblemCollector`; the parsers return None when
any was found.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cma_research.core.cohort import INDEX_NAMES, Cohort, Source
from cma_research.core.errors import ProblemCollector, shorten
from cma_research.core.instrument import Instrument, normalise_label
from cma_research.io._waves import parse_waves
from cma_research.io.cells import _cell, _ids, _parse_level, _parse_staff
from cma_research.io.columns import _check_ragged, _header_of, _missing_columns
from cma_research.io.tables import RawTable


def _waves(
    raw: RawTable,
    idx: int | None,
    col: ProblemCollector,
    header: str,
    wave_order: Sequence[str] | None,
) -> tuple[list[int | None], tuple[str, ...]]:
    return parse_waves(raw, idx, header, col, wave_order)


def _check_duplicates(
    keys: list[tuple[object, ...]], rows: list[int], what: str, header: str, col: ProblemCollector
) -> None:
    first: dict[tuple[object, ...], int] = {}
    for key, number in zip(keys, rows, strict=True):
        if any(k is None for k in key):
            continue
        if key in first:
            col.add(
                f"duplicate {what}: also on row {first[key]}",
                row=number,
                column=header,
                value=str(key[0]),
                expected=f"each {what} once",
            )
        else:
            first[key] = number


def _build_cohort(
    raw: RawTable,
    inst: Instrument,
    form: str,
    index: list[tuple[str, int]],
    scores: dict[str, list[int | None]],
    staff: list[int | None],
    btype: list[str | None],
    extras: dict[str, list[str | None]],
    wave_labels: tuple[str, ...] = (),
) -> Cohort:
    idx = pd.MultiIndex.from_tuples(index, names=INDEX_NAMES)
    score_df = pd.DataFrame(
        {sid: pd.array(scores[sid], dtype="Int64") for sid in inst.stage_ids}, index=idx
    )
    attrs = pd.DataFrame(
        {
            "staff": pd.array(staff, dtype="Int64"),
            "business_type": pd.array(btype, dtype="string"),
            **{k: pd.array(v, dtype="string") for k, v in extras.items()},
        },
        index=idx,
    )
    source = Source(
        path=raw.path,
        sha256=raw.sha256,
        form=form,
        encoding=raw.encoding,
        sheet=raw.sheet,
        header_row=raw.header_row,
    )
    return Cohort(
        scores=score_df,
        attributes=attrs,
        instrument=inst,
        source=source,
        wave_labels=wave_labels,
    )


def _parse_wide(
    raw: RawTable,
    inst: Instrument,
    columns: dict[int, str],
    na: set[str],
    col: ProblemCollector,
    wave_order: Sequence[str] | None = None,
) -> Cohort | None:
    by_name = {n: i for i, n in columns.items()}
    _missing_columns(raw, inst.stage_ids, set(by_name), col, inst)
    if col.problems:
        return None
    if not raw.rows:
        col.add(
            "the file has a header but no data rows",
            row=raw.header_row,
            expected="one row per business below the header",
        )
        return None
    _check_ragged(raw, col)
    id_header = _header_of(raw, columns, "business_id")
    wave_header = _header_of(raw, columns, "wave")
    ids = _ids(raw, by_name.get("business_id"), col, id_header)
    waves, wave_labels = _waves(raw, by_name.get("wave"), col, wave_header, wave_order)
    if "business_id" not in by_name and len({w for w in waves if w is not None}) > 1:
        col.add(
            "the file has several waves but no business id column",
            row=raw.header_row,
            expected="a business_id column linking each business across waves",
        )
    numbers = [n for n, _ in raw.rows]
    _check_duplicates(
        list(zip(ids, waves, strict=True)), numbers, "business id within a wave", id_header, col
    )
    scores: dict[str, list[int | None]] = {sid: [] for sid in inst.stage_ids}
    for number, cells in raw.rows:
        for sid in inst.stage_ids:
            i = by_name[sid]
            scores[sid].append(_parse_level(_cell(cells, i), inst, na, number, raw.header[i], col))
    staff: list[int | None] = [None] * len(raw.rows)
    if "staff" in by_name:
        i = by_name["staff"]
        staff = [_parse_staff(_cell(c, i), na, n, raw.header[i], col) for n, c in raw.rows]
    btype: list[str | None] = [None] * len(raw.rows)
    if "business_type" in by_name:
        i = by_name["business_type"]
        btype = [_cell(c, i) or None for _, c in raw.rows]
    known = {"business_id", "wave", "staff", "business_type", *inst.stage_ids}
    extras = {
        name: [_cell(c, i) or None for _, c in raw.rows]
        for i, name in sorted(columns.items())
        if name not in known
    }
    if col.problems:
        return None
    index = [(str(b), int(w)) for b, w in zip(ids, waves, strict=True)]  # type: ignore[arg-type]
    return _build_cohort(raw, inst, "wide", index, scores, staff, btype, extras, wave_labels)


def _parse_long(
    raw: RawTable,
    inst: Instrument,
    columns: dict[int, str],
    na: set[str],
    col: ProblemCollector,
    wave_order: Sequence[str] | None = None,
) -> Cohort | None:
    by_name = {n: i for i, n in columns.items()}
    _missing_columns(raw, ["business_id", "stage", "level"], set(by_name), col, inst)
    stray = [raw.header[i] for i, n in columns.items() if n in inst.stage_ids]
    for header in stray:
        col.add(
            f"a long-form file has a {inst.stage_noun} column",
            row=raw.header_row,
            column=header,
            expected="either wide form (one column per stage) or long form "
            "(business_id, stage, level columns), not both",
        )
    if col.problems:
        return None
    if not raw.rows:
        col.add(
            "the file has a header but no data rows",
            row=raw.header_row,
            expected="one row per business and stage below the header",
        )
        return None
    _check_ragged(raw, col)
    lookup = inst.stage_lookup()
    id_header = _header_of(raw, columns, "business_id")
    stage_header = _header_of(raw, columns, "stage")
    level_header = _header_of(raw, columns, "level")
    ids = _ids(raw, by_name["business_id"], col, id_header)
    wave_header = _header_of(raw, columns, "wave")
    waves, wave_labels = _waves(raw, by_name.get("wave"), col, wave_header, wave_order)
    stages: list[str | None] = []
    for number, cells in raw.rows:
        text = _cell(cells, by_name["stage"])
        sid = lookup.get(normalise_label(text))
        if sid is None:
            col.add(
                f"unknown {inst.stage_noun}",
                row=number,
                column=stage_header,
                value=text,
                expected=f"one of {', '.join(inst.stage_ids)} (or their numbers or names)",
            )
        stages.append(sid)
    numbers = [n for n, _ in raw.rows]
    _check_duplicates(
        list(zip(ids, waves, stages, strict=True)),
        numbers,
        f"business id, wave and {inst.stage_noun}",
        id_header,
        col,
    )
    levels = [
        _parse_level(_cell(c, by_name["level"]), inst, na, n, level_header, col)
        for n, c in raw.rows
    ]
    attr_names = [
        (i, n)
        for i, n in sorted(columns.items())
        if n not in ("business_id", "wave", "stage", "level")
    ]
    order: list[tuple[str, int]] = []
    cells_by_key: dict[tuple[str, int], dict[str, int | None]] = {}
    attrs_by_key: dict[tuple[str, int], dict[str, tuple[int, str]]] = {}
    for k, (number, cells) in enumerate(raw.rows):
        b, w, s = ids[k], waves[k], stages[k]
        if b is None or w is None:
            continue
        key = (b, w)
        if key not in cells_by_key:
            order.append(key)
            cells_by_key[key] = {}
            attrs_by_key[key] = {}
        if s is not None:
            cells_by_key[key][s] = levels[k]
        for i, name in attr_names:
            value = _cell(cells, i)
            if not value:
                continue
            prev = attrs_by_key[key].get(name)
            if prev is None:
                attrs_by_key[key][name] = (number, value)
            elif prev[1] != value:
                col.add(
                    f"{name} differs between rows of the same business and wave "
                    f"(row {prev[0]} has {shorten(prev[1])!r})",
                    row=number,
                    column=raw.header[i],
                    value=value,
                    expected="the same value on every row of a business and wave",
                )
    if col.problems:
        return None
    scores = {sid: [cells_by_key[k].get(sid) for k in order] for sid in inst.stage_ids}

    def attr(name: str) -> list[tuple[int, str] | None]:
        return [attrs_by_key[k].get(name) for k in order]

    staff: list[int | None] = [
        None if a is None else _parse_staff(a[1], na, a[0], _header_of(raw, columns, "staff"), col)
        for a in attr("staff")
    ]
    btype = [None if a is None else a[1] for a in attr("business_type")]
    extras = {
        name: [None if a is None else a[1] for a in attr(name)]
        for _, name in attr_names
        if name not in ("staff", "business_type")
    }
    if col.problems:
        return None
    return _build_cohort(raw, inst, "long", order, scores, staff, btype, extras, wave_labels)

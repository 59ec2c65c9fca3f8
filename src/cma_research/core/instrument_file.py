"""Read and validate an instrument file (YAML or JSON) into an Instrument.

The file is read within bounds (size, alias expansion, UTF-8) and every problem of it
(a missing or unknown key, a level that is not a whole number, a duplicate stage id ...)
is collected and raised together in one :class:`~cma_research.core.errors.InstrumentError`
naming the file.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from cma_research.core.errors import InstrumentError
from cma_research.core.files import YAML_MAX_BYTES, safe_load_yaml
from cma_research.core.instrument_model import Instrument, Level, Stage

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _load_file(path: Path) -> Instrument:
    if not path.is_file():
        raise InstrumentError(f"{path}: instrument file not found")
    if path.suffix != ".json":
        # bounded size and alias expansion, UTF-8 (see safe_load_yaml)
        data = safe_load_yaml(path, error=InstrumentError)
        return _build(data, path, hashlib.sha256(path.read_bytes()).hexdigest())
    if path.stat().st_size > YAML_MAX_BYTES:
        raise InstrumentError(f"{path}: more than {YAML_MAX_BYTES:,} bytes")
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InstrumentError(f"{path}: cannot be parsed ({detail[:200]})") from None
    return _build(data, path, hashlib.sha256(raw).hexdigest())


class _Checker:
    """Collects the problems of one instrument file and raises them together."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.problems:
            raise InstrumentError(f"{self.path}: " + "; ".join(self.problems))


def _text(chk: _Checker, obj: dict[str, Any], key: str, where: str, required: bool = True) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            chk.fail(where, f"missing required key {key!r}")
        return ""
    if not isinstance(value, str) or not value.strip():
        chk.fail(where, f"{key!r} must be non-empty text, got {value!r}")
        return ""
    return " ".join(value.split())


def _int(chk: _Checker, value: Any, where: str) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        chk.fail(where, f"expected a whole number, got {value!r}")
        return None
    return value


def _build(data: Any, path: Path, sha256: str) -> Instrument:
    chk = _Checker(path)
    if not isinstance(data, dict):
        raise InstrumentError(f"{path}: expected a mapping with keys name, levels, stages")
    allowed = {"name", "title", "source", "stage_noun", "target_level", "levels", "stages"}
    allowed.add("box_scores")
    for key in sorted(set(data) - allowed):
        chk.fail("top level", f"unknown key {key!r}; expected {', '.join(sorted(allowed))}")
    name = _text(chk, data, "name", "top level")
    if name and not _ID_RE.match(name):
        chk.fail("name", f"{name!r} must be lower-case letters, digits and underscores")
    title = _text(chk, data, "title", "top level")
    source = _text(chk, data, "source", "top level")
    stage_noun = _text(chk, data, "stage_noun", "top level", required=False) or "stage"

    levels: list[Level] = []
    raw_levels = data.get("levels")
    if not isinstance(raw_levels, list) or not raw_levels:
        chk.fail("levels", "expected a non-empty list of levels")
        raw_levels = []
    for i, item in enumerate(raw_levels, start=1):
        where = f"levels[{i}]"
        if not isinstance(item, dict):
            chk.fail(where, "expected a mapping with value and label")
            continue
        value = _int(chk, item.get("value"), f"{where}.value")
        label = _text(chk, item, "label", where)
        if value is not None:
            levels.append(
                Level(
                    value=value,
                    label=label,
                    cmm_name=_text(chk, item, "cmm_name", where, required=False) or None,
                    description=_text(chk, item, "description", where, required=False) or None,
                )
            )
    values = [lv.value for lv in levels]
    if values and values != list(range(values[0], values[0] + len(values))):
        chk.fail("levels", f"values must be ascending and contiguous, got {values}")

    stages: list[Stage] = []
    raw_stages = data.get("stages")
    if not isinstance(raw_stages, list) or not raw_stages:
        chk.fail("stages", "expected a non-empty list of stages")
        raw_stages = []
    for i, item in enumerate(raw_stages, start=1):
        where = f"stages[{i}]"
        if not isinstance(item, dict):
            chk.fail(where, "expected a mapping with id, number, short_name, name")
            continue
        sid = _text(chk, item, "id", where)
        if sid and not _ID_RE.match(sid):
            chk.fail(f"{where}.id", f"{sid!r} must be lower-case letters, digits and underscores")
        number = _int(chk, item.get("number"), f"{where}.number")
        criteria: dict[int, str] = {}
        raw_criteria = item.get("criteria") or {}
        if not isinstance(raw_criteria, dict):
            chk.fail(f"{where}.criteria", "expected a mapping from level to text")
            raw_criteria = {}
        for lv, text in raw_criteria.items():
            lv_int = _int(chk, lv, f"{where}.criteria")
            if lv_int is None:
                continue
            if lv_int not in values:
                chk.fail(f"{where}.criteria", f"level {lv_int} is not one of the levels {values}")
            if not isinstance(text, str) or not text.strip():
                chk.fail(f"{where}.criteria[{lv_int}]", "criterion must be non-empty text")
                continue
            criteria[lv_int] = " ".join(text.split())
        stages.append(
            Stage(
                id=sid,
                number=number if number is not None else 0,
                short_name=_text(chk, item, "short_name", where),
                name=_text(chk, item, "name", where),
                expectation=_text(chk, item, "expectation", where, required=False) or None,
                table_name=_text(chk, item, "table_name", where, required=False) or None,
                criteria=dict(sorted(criteria.items())),
            )
        )
    for attr in ("id", "number", "short_name"):
        seen = [getattr(s, attr) for s in stages]
        dupes = sorted({str(v) for v in seen if seen.count(v) > 1})
        if dupes:
            chk.fail("stages", f"duplicate {attr}: {', '.join(dupes)}")

    target = data.get("target_level")
    if target is not None:
        target_int = _int(chk, target, "target_level")
        if target_int is not None and target_int not in values:
            chk.fail("target_level", f"{target_int} is not one of the levels {values}")
    box_scores: dict[int, float] = {}
    raw_boxes = data.get("box_scores") or {}
    if not isinstance(raw_boxes, dict):
        chk.fail("box_scores", "expected a mapping from level to a number")
        raw_boxes = {}
    for lv, score in raw_boxes.items():
        lv_int = _int(chk, lv, "box_scores")
        if lv_int is not None and lv_int not in values:
            chk.fail("box_scores", f"level {lv_int} is not one of the levels {values}")
        elif isinstance(score, bool) or not isinstance(score, int | float):
            chk.fail(f"box_scores[{lv}]", f"expected a number, got {score!r}")
        elif lv_int is not None:
            box_scores[lv_int] = float(score)
    chk.raise_if_any()
    return Instrument(
        name=name,
        title=title,
        source=source,
        stages=tuple(stages),
        levels=tuple(levels),
        stage_noun=stage_noun,
        target_level=target,
        path=str(path),
        sha256=sha256,
        box_scores=dict(sorted(box_scores.items())),
    )

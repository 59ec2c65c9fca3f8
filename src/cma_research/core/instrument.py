"""Audit instruments as data: stages, levels and criteria, read from a YAML or JSON file.

An instrument says what a return must contain: its stages (in journey order), the
levels a stage can score, and the criterion for each stage and level. Two instruments
ship with the package (see :func:`list_instruments`); a user adds one by writing a file
in the same format and passing its path wherever an instrument name is accepted.

The file is read within bounds (size, alias expansion, UTF-8) and every problem of it
(a missing or unknown key, a level that is not a whole number, a duplicate stage id ...)
is collected and raised together in one :class:`~cma_research.core.errors.InstrumentError`
naming the file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from cma_research.core.errors import InstrumentError
from cma_research.core.files import YAML_MAX_BYTES, safe_load_yaml

__all__ = ["Instrument", "Level", "Stage", "get_instrument", "list_instruments", "normalise_label"]


@dataclass(frozen=True)
class Level:
    """One level of an instrument's maturity scale."""

    value: int
    label: str
    cmm_name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Stage:
    """One stage (or dimension) of an instrument, with its criterion text per level."""

    id: str
    number: int
    short_name: str
    name: str
    expectation: str | None = None
    table_name: str | None = None
    criteria: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Instrument:
    """An audit instrument: ordered stages, a level scale and per-level criteria.

    Attributes
    ----------
    name : str
        Identifier used by :func:`get_instrument` and recorded in every output.
    title, source : str
        Human-readable title and bibliographic source.
    stages : tuple of Stage
        In the instrument's own order (for the CMA: journey order).
    levels : tuple of Level
        Ascending, contiguous integer values.
    stage_noun : str
        What the instrument calls a stage ("stage", "dimension").
    target_level : int or None
        The level the instrument recommends as a target, if it names one.
    box_scores : dict of int to float
        Optional: a score per level for reports that show one (for example a
        consultancy's 100/80/60/40/20/5 box scores); empty when the file defines none.
    path : str
        File the definition was read from; ``sha256`` is that file's checksum.
    """

    name: str
    title: str
    source: str
    stages: tuple[Stage, ...]
    levels: tuple[Level, ...]
    stage_noun: str = "stage"
    target_level: int | None = None
    path: str = ""
    sha256: str = ""
    box_scores: dict[int, float] = field(default_factory=dict)

    @property
    def stage_ids(self) -> list[str]:
        """Stage identifiers in instrument order (the cohort's score columns)."""
        return [s.id for s in self.stages]

    @property
    def level_values(self) -> list[int]:
        """Allowed level values, ascending."""
        return [lv.value for lv in self.levels]

    @property
    def stage_plural(self) -> str:
        """The plural of :attr:`stage_noun` (``"stages"``, ``"dimensions"``)."""
        return f"{self.stage_noun}s"

    def in_own_words(self, text: str) -> str:
        """``text`` with the words *stage* and *stages* in this instrument's noun.

        >>> get_instrument("managing_customers_framework").in_own_words("weakest stage")
        'weakest dimension'
        """
        nouns = {"stage": self.stage_noun, "stages": self.stage_plural}
        return re.sub(r"\bstages?\b", lambda m: nouns[m.group(0)], text)

    @property
    def level_labels(self) -> dict[int, str]:
        """The label of each level value (``{4: "Run", ...}``), ascending."""
        return {lv.value: lv.label for lv in self.levels}

    @property
    def min_level(self) -> int:
        """Lowest allowed level."""
        return self.levels[0].value

    @property
    def max_level(self) -> int:
        """Highest allowed level."""
        return self.levels[-1].value

    def stage(self, key: str | int) -> Stage:
        """Return the stage matching an id, number, short name or name.

        Examples
        --------
        >>> from cma_research.core.instrument import get_instrument
        >>> get_instrument("customer_wise_2007").stage("ict").id
        'stage_3'
        """
        lookup = self.stage_lookup()
        norm = normalise_label(str(key))
        if norm not in lookup:
            raise InstrumentError(
                f"instrument {self.name!r} has no {self.stage_noun} {key!r}; "
                f"expected one of {', '.join(self.stage_ids)}"
            )
        return self.stages[self.stage_ids.index(lookup[norm])]

    def stage_lookup(self) -> dict[str, str]:
        """Map every accepted spelling of a stage (normalised) to its id.

        Accepted: the id (``stage_3``), the number (``3``), ``stage 3``, ``s3``, the short
        name (``ict``) and the full and table names, compared case- and space-insensitively.
        """
        out: dict[str, str] = {}
        for s in self.stages:
            names = [s.id, str(s.number), f"stage {s.number}", f"s{s.number}", s.short_name, s.name]
            if s.table_name:
                names.append(s.table_name)
            for n in names:
                out[normalise_label(n)] = s.id
        return out

    def level_lookup(self) -> dict[str, int]:
        """Map every accepted spelling of a level (normalised) to its value.

        Accepted: the level's label (``Crawl``, ``Collect information``), its CMM name
        when it has one (``Initial``) and ``level N`` for each value N, compared case-
        and space-insensitively (:func:`normalise_label`). A spelling two levels share
        is left out, so it is never read as either.

        Examples
        --------
        >>> from cma_research.core.instrument import get_instrument
        >>> lookup = get_instrument("managing_customers_framework").level_lookup()
        >>> lookup["crawl"], lookup["level 3"]
        (1, 3)
        """
        out: dict[str, int] = {}
        clashes: set[str] = set()
        for lv in self.levels:
            names = {normalise_label(f"level {lv.value}"), normalise_label(lv.label)}
            if lv.cmm_name:
                names.add(normalise_label(lv.cmm_name))
            for n in names:
                if not n:
                    continue
                if n in out and out[n] != lv.value:
                    clashes.add(n)
                out[n] = lv.value
        return {k: v for k, v in out.items() if k not in clashes}

    def criteria_table(self) -> list[dict[str, Any]]:
        """The criteria as records (stage_id, stage_name, level, criterion), in order."""
        return [
            {"stage_id": s.id, "stage_name": s.name, "level": lv, "criterion": text}
            for s in self.stages
            for lv, text in sorted(s.criteria.items())
        ]


def normalise_label(text: str) -> str:
    """Fold a header or label for matching: case, underscores, dashes and spacing.

    >>> normalise_label("  Staff_No ")
    'staff no'
    """
    text = text.replace("\ufeff", "").strip().casefold()
    text = re.sub(r"[_\-\s]+", " ", text)
    return text.strip(" .:")


# Reading an instrument file

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


# Bundled instruments and lookup by name or path

_INSTRUMENT_SUFFIXES = (".yaml", ".yml", ".json")


def list_instruments() -> list[str]:
    """Names of the instruments that ship with the package.

    >>> list_instruments()
    ['customer_wise_2007', 'managing_customers_framework']
    """
    folder = resources.files("cma_research") / "instruments"
    return sorted(
        Path(p.name).stem for p in folder.iterdir() if p.name.endswith(_INSTRUMENT_SUFFIXES)
    )


def get_instrument(name: str | Path | Instrument) -> Instrument:
    """Load a bundled instrument by name, or any instrument file by path.

    Parameters
    ----------
    name : str, path or Instrument
        A bundled name (see :func:`list_instruments`) or the path of a ``.yaml``,
        ``.yml`` or ``.json`` file in the same format. An :class:`Instrument` is
        returned unchanged.

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentError
        When the name is unknown or the file is missing or malformed; the message names
        the file and the problem.

    Examples
    --------
    >>> cw = get_instrument("customer_wise_2007")
    >>> len(cw.stages), cw.level_values
    (10, [0, 1, 2, 3, 4, 5])
    >>> cw.stages[0].criteria[1]
    'Little or no information complied about customer contacts'
    """
    if isinstance(name, Instrument):
        return name
    text = str(name)
    if text.endswith(_INSTRUMENT_SUFFIXES) or Path(text).parent != Path("."):
        return _load_file(Path(text))
    folder = resources.files("cma_research") / "instruments"
    for suffix in _INSTRUMENT_SUFFIXES:
        candidate = folder / f"{text}{suffix}"
        if candidate.is_file():
            with resources.as_file(candidate) as path:
                return _load_file(Path(path))
    raise InstrumentError(
        f"unknown instrument {text!r}; expected one of {', '.join(list_instruments())} "
        "or the path of a .yaml/.json instrument file"
    )

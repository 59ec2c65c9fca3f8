"""Validating the claims of a claims file: one :class:`Claim` and its readings.

Each problem names the claim id and the field (see :class:`Checker`); the file-level
checks and the format are in :mod:`cma_research.io.claims`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cma_research.core.errors import InstrumentError, Problem
from cma_research.core.instrument import Instrument
from cma_research.io.claim_terms import (
    CLAIM_SCORES,
    CLAIM_STRATEGIES,
    COMPARISON_FORMS,
    CORRELATION_METHODS,
    SIZE_BAND_LABELS,
    STATISTICS,
    ArgKind,
    Comparison,
    parse_comparison,
)

__all__ = ["MAX_PROBLEMS", "MAX_READINGS", "Checker", "Claim", "Reading", "validate_claim"]

#: At most this many readings per claim (YAML aliases could otherwise make a small file
#: describe millions).
MAX_READINGS = 100
#: Problems reported at most; the rest are counted.
MAX_PROBLEMS = 50

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Reading:
    """One operationalisation of a claim: statistic, arguments, comparison, strategy.

    ``args`` holds every argument of the statistic (defaults filled in; stages as the
    instrument's ids). ``strategy`` is ``None`` for recruitment statistics.
    """

    reading: str
    statistic: str
    args: Mapping[str, Any]
    comparison: Comparison
    strategy: str | None
    min_stages: int | None = None

    def args_text(self) -> str:
        """The arguments as ``key=value`` text, e.g. ``score=median, level=1``."""

        def show(v: Any) -> str:
            return "[" + ", ".join(map(str, v)) + "]" if isinstance(v, tuple) else str(v)

        return ", ".join(f"{k}={show(v)}" for k, v in self.args.items() if v is not None)


@dataclass(frozen=True)
class Claim:
    """A claim of a paper: id, verbatim quote, where it stands, readings or why untestable."""

    id: str
    quote: str
    section: str
    page: int | None
    line: int | None
    must_hold: bool
    readings: tuple[Reading, ...]
    cannot_test: str | None = None

    @property
    def source(self) -> str:
        """Where the quote stands, e.g. ``Abstract, line 9``."""
        parts = [self.section]
        if self.page is not None:
            parts.append(f"page {self.page}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        return ", ".join(parts)


_CLAIM_KEYS = ("id", "quote", "source", "must_hold", "readings", "cannot_test", "note")
_READING_KEYS = ("reading", "statistic", "args", "comparison", "strategy", "min_stages")
_SOURCE_KEYS = ("section", "page", "line")


class Checker:
    """Collects problems (the first :data:`MAX_PROBLEMS`; ``count`` counts them all)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.count = 0

    def fail(
        self, claim: str | None, fld: str, message: str, value: Any = None, expected: str = ""
    ) -> None:
        self.count += 1
        if len(self.problems) >= MAX_PROBLEMS:
            return
        if value is not None and len(str(value)) > 80:
            value = str(value)[:77] + "..."
        where = f"claim {claim!r}, field {fld!r}: " if claim is not None else f"field {fld!r}: "
        self.problems.append(
            Problem(
                self.path,
                where + message,
                value=None if value is None else str(value),
                expected=expected or None,
            )
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _arg(chk: Checker, cid: str, fld: str, kind: ArgKind, value: Any, inst: Instrument) -> Any:
    """Validate one argument; return its canonical value (or None after a problem)."""
    levels = inst.level_values
    if kind == "score":
        if value not in CLAIM_SCORES:
            chk.fail(cid, fld, "unknown score", value, "one of " + ", ".join(CLAIM_SCORES))
            return None
        return value
    if kind == "score_or_stage":
        if value in CLAIM_SCORES:
            return value
        try:
            return inst.stage(str(value)).id
        except InstrumentError:
            chk.fail(
                cid,
                fld,
                f"unknown score or {inst.stage_noun}",
                value,
                "one of " + ", ".join([*CLAIM_SCORES, *inst.stage_ids]),
            )
            return None
    if kind == "level":
        if not _is_int(value) or value not in levels:
            chk.fail(cid, fld, "not a level of the instrument", value, f"one of {levels}")
            return None
        return value
    if kind == "levels":
        items = value if isinstance(value, list) else [value]
        bad = [v for v in items if not _is_int(v) or v not in levels]
        if bad or not items:
            chk.fail(cid, fld, "not levels of the instrument", value, f"a list from {levels}")
            return None
        return tuple(sorted(set(items)))
    if kind in ("stage", "stage_or_all"):
        if kind == "stage_or_all" and value == "all":
            return "all"
        try:
            return inst.stage(str(value)).id
        except InstrumentError:
            allowed = ", ".join(inst.stage_ids) + (", all" if kind == "stage_or_all" else "")
            chk.fail(cid, fld, f"unknown {inst.stage_noun}", value, f"one of {allowed}")
            return None
    if kind == "method":
        if value not in CORRELATION_METHODS:
            chk.fail(cid, fld, "unknown method", value, "one of " + ", ".join(CORRELATION_METHODS))
            return None
        return value
    if kind == "band":
        if value not in SIZE_BAND_LABELS:
            chk.fail(cid, fld, "unknown size band", value, "one of " + ", ".join(SIZE_BAND_LABELS))
            return None
        return value
    if kind == "int":
        if not _is_int(value) or value < 0:
            chk.fail(cid, fld, "not a whole number >= 0", value, "a whole number")
            return None
        return value
    if not isinstance(value, str) or not value.strip():
        chk.fail(cid, fld, "not a text", value, "a non-empty text")
        return None
    return value.strip()


def _reading(chk: Checker, cid: str, i: int, raw: Any, inst: Instrument) -> Reading | None:
    at = f"readings[{i}]"
    if not isinstance(raw, dict):
        chk.fail(
            cid, at, "a reading must be a mapping", type(raw).__name__, "reading, statistic, ..."
        )
        return None
    n_before = chk.count
    for key in raw:
        if key not in _READING_KEYS:
            chk.fail(cid, f"{at}.{key}", "unknown field", key, "one of " + ", ".join(_READING_KEYS))
    text = raw.get("reading")
    if not isinstance(text, str) or not text.strip():
        chk.fail(
            cid,
            f"{at}.reading",
            "missing or empty",
            text,
            "the documented reading of the claim's vague words",
        )
    name = raw.get("statistic")
    spec = STATISTICS.get(name) if isinstance(name, str) else None
    if spec is None:
        chk.fail(
            cid, f"{at}.statistic", "unknown statistic", name, "one of " + ", ".join(STATISTICS)
        )
    comparison: Comparison | None = None
    comp_text = raw.get("comparison")
    try:
        if not isinstance(comp_text, str):
            raise ValueError
        comparison = parse_comparison(comp_text)
    except ValueError as exc:
        msg = str(exc) if str(exc) and str(exc) != "unknown comparison" else "unknown comparison"
        chk.fail(
            cid,
            f"{at}.comparison",
            msg,
            comp_text,
            "one of the forms " + "; ".join(repr(c) for c in COMPARISON_FORMS),
        )
    args_raw = raw.get("args", {})
    if args_raw is None:
        args_raw = {}
    if not isinstance(args_raw, dict):
        chk.fail(cid, f"{at}.args", "args must be a mapping", args_raw, "e.g. {stage: ict}")
        args_raw = {}
    args: dict[str, Any] = {}
    strategy = raw.get("strategy")
    min_stages = raw.get("min_stages")
    if spec is not None:
        for key in args_raw:
            if key not in spec.args:
                chk.fail(
                    cid,
                    f"{at}.args.{key}",
                    f"unknown argument of {spec.name}",
                    key,
                    "one of " + (", ".join(spec.args) or "no arguments"),
                )
        for key, (kind, required, default) in spec.args.items():
            if key in args_raw:
                args[key] = _arg(chk, cid, f"{at}.args.{key}", kind, args_raw[key], inst)
            elif required:
                chk.fail(cid, f"{at}.args.{key}", f"missing argument of {spec.name}")
            else:
                args[key] = default
        if comparison is not None and comparison.on_p and not spec.has_p:
            chk.fail(
                cid,
                f"{at}.comparison",
                f"statistic {spec.name} has no p-value",
                comp_text,
                "a comparison on its value",
            )
        if spec.data == "cohort":
            if strategy not in CLAIM_STRATEGIES:
                chk.fail(
                    cid,
                    f"{at}.strategy",
                    "missing or unknown strategy for blanks"
                    if strategy != "multiple"
                    else "'multiple' gives m cohorts, which a single verdict cannot pool",
                    strategy,
                    "one of " + ", ".join(CLAIM_STRATEGIES),
                )
            if strategy == "min_stages" and not (isinstance(min_stages, int) and min_stages >= 1):
                chk.fail(
                    cid, f"{at}.min_stages", "needed for strategy min_stages", min_stages, "k >= 1"
                )
        elif strategy is not None:
            chk.fail(
                cid,
                f"{at}.strategy",
                f"{spec.name} reads the recruitment funnel, not the "
                "returns, so it takes no strategy",
                strategy,
                "no strategy field",
            )
    if chk.count > n_before or spec is None or comparison is None:
        return None
    return Reading(
        reading=" ".join(str(text).split()),
        statistic=spec.name,
        args=args,
        comparison=comparison,
        strategy=strategy,
        min_stages=min_stages if strategy == "min_stages" else None,
    )


def validate_claim(chk: Checker, i: int, raw: Any, inst: Instrument) -> Claim | None:
    """The ``i``-th claim of the file, or None after recording its problems in ``chk``."""
    if not isinstance(raw, dict):
        chk.fail(
            None, f"claims[{i}]", "a claim must be a mapping", type(raw).__name__, "id, quote, ..."
        )
        return None
    cid_raw = raw.get("id")
    cid = str(cid_raw) if cid_raw is not None else f"claims[{i}]"
    n_before = chk.count
    if not isinstance(cid_raw, str) or not _ID.match(cid_raw):
        chk.fail(cid, "id", "missing or malformed id", cid_raw, "letters, digits, _ and -")
    for key in raw:
        if key not in _CLAIM_KEYS:
            chk.fail(cid, str(key), "unknown field", key, "one of " + ", ".join(_CLAIM_KEYS))
    quote = raw.get("quote")
    if not isinstance(quote, str) or not quote.strip():
        chk.fail(cid, "quote", "the quote is empty", quote, "the claim's words, verbatim")
    source = raw.get("source")
    section, page, line = "", None, None
    if not isinstance(source, dict):
        chk.fail(cid, "source", "missing or not a mapping", source, "{section: ..., line: N}")
    else:
        for key in source:
            if key not in _SOURCE_KEYS:
                chk.fail(cid, f"source.{key}", "unknown field", key, "section, page, line")
        section = source.get("section") or ""
        if not isinstance(section, str) or not section.strip():
            chk.fail(cid, "source.section", "missing or empty", section, "the section's title")
        page, line = source.get("page"), source.get("line")
        for name, v in (("page", page), ("line", line)):
            if v is not None and not (_is_int(v) and v >= 1):
                chk.fail(cid, f"source.{name}", "not a whole number >= 1", v, "e.g. 9")
        if page is None and line is None:
            chk.fail(cid, "source", "neither page nor line given", None, "page: N and/or line: N")
    must_hold = raw.get("must_hold", False)
    if not isinstance(must_hold, bool):
        chk.fail(cid, "must_hold", "not true/false", must_hold, "true or false")
    cannot = raw.get("cannot_test")
    readings_raw = raw.get("readings")
    readings: list[Reading] = []
    if cannot is not None:
        if not isinstance(cannot, str) or not cannot.strip():
            chk.fail(cid, "cannot_test", "empty", cannot, "what data the test would need")
        if readings_raw is not None:
            chk.fail(cid, "readings", "a claim with cannot_test has no readings")
        if must_hold is True:
            chk.fail(cid, "must_hold", "a claim that cannot be tested cannot be gated")
    elif not isinstance(readings_raw, list) or not readings_raw:
        chk.fail(
            cid,
            "readings",
            "no readings",
            readings_raw,
            "a list of readings, or cannot_test: <what data would be needed>",
        )
    elif len(readings_raw) > MAX_READINGS:
        chk.fail(cid, "readings", f"{len(readings_raw)} readings", None, f"at most {MAX_READINGS}")
    else:
        for j, r in enumerate(readings_raw, start=1):
            reading = _reading(chk, cid, j, r, inst)
            if reading is not None:
                readings.append(reading)
    if chk.count > n_before:
        return None
    return Claim(
        id=cid,
        quote=str(quote),
        section=" ".join(str(section).split()),
        page=page,
        line=line,
        must_hold=bool(must_hold),
        readings=tuple(readings),
        cannot_test=" ".join(cannot.split()) if isinstance(cannot, str) else None,
    )

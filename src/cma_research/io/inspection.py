"""Look at a returns file as a person would and propose how to read it (``cma-research init``).

A programme manager's workbook is rarely the tidy table the loader expects: a notes
sheet comes first, two title rows sit above the header, stage columns are named in
words, some levels are written as words, ``n/a`` and ``-`` mean not assessed, the wave
is an audit date and turnover figures are on a second sheet. :func:`inspect_returns`
reads every sheet and finds, in this order:

* **the returns sheet and its header row**: the sheet and row (among the first 30) that
  name most of the instrument's stages, by id, number, name or short name, allowing a
  leading number (``1. Customer contact``) and small spelling differences, or that hold
  ``stage`` and ``level`` columns (long form);
* **the other columns**: the business id (a known spelling, else a column named like an
  id or reference whose values are unique), staff, business type (also under ``Sector``
  or ``Industry``) and the wave: a known spelling, else one column of dates or named
  like a round;
* **the cells**: levels as numbers or the instrument's words, the markers of a stage
  not assessed, and any other text (which stops the inspection: it names the cells and
  the option to set);
* **the waves**: numbers, labels (in natural order when they are numbered) or dates;
  dates in a text form are read day first unless the file shows otherwise, and many
  audit dates are grouped into rounds as a person would: by calendar year when every
  business is audited at most once a year, else by gaps;
* **covariates**: another sheet keyed by the same business ids with numeric columns; two
  columns of one measure in two years (``Turnover 2008``, ``Turnover 2009``) give an
  annual growth, written as a formula.

Each finding is reported as *found* (read from the file) or *assumed* (a choice the
study file records and the user can change). Where the file is ambiguous (two sheets of
returns, two candidate id or wave columns, unknown cell text) the inspection stops with
a :class:`~cma_research.ParameterError` naming the option that settles it. The proposal
is checked by loading the file with it before it is offered.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cma_research.core.errors import ParameterError
from cma_research.core.instrument import Instrument, get_instrument, normalise_label
from cma_research.core.text import snake_case
from cma_research.io.returns import DEFAULT_ALIASES, DEFAULT_NA_VALUES, normalise_na
from cma_research.io.tables import Sheet, read_sheets
from cma_research.io.waves import Rounds, parse_date, parse_rounds

__all__ = ["CovariateProposal", "Proposal", "inspect_returns"]

_SCAN_ROWS = 30  # a header is looked for among the first rows of a sheet
_STAGE_CUTOFF = 0.85  # difflib ratio for a stage name written slightly differently
_NUMBERED = re.compile(r"^(?:stage\s*|s)?(\d{1,2})\s*[.):\-–]\s*(.+)$", re.IGNORECASE)
_PLAIN_INT = re.compile(r"^[+-]?\d+(?:\.0*)?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)%?$")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_NUMBERED_LABEL = re.compile(r"^(.*?)(\d+)\s*$")

# Header words of a column that may identify the businesses, strongest first.
_ID_WORDS = (("id", "identifier"), ("ref", "reference", "code", "number", "no"), ("name",))
_ID_CONTEXT = ("business", "company", "client", "firm", "organisation", "organization", "sme")
_TYPE_HEADERS = {
    "sector",
    "industry",
    "business sector",
    "industry sector",
    "type of business",
    "trade",
    "business activity",
}
_STAFF_WORDS = ("staff", "employee", "headcount", "fte", "workforce")
_WAVE_WORDS = ("wave", "round", "visit", "audit date", "date of audit")
_GAPS = (180, 120, 90, 60, 30)  # days without an audit that start a new round, tried in turn


@dataclass(frozen=True)
class CovariateProposal:
    """Covariates found on another sheet: where, keyed by which column, and derived ones."""

    sheet: str
    header_row: int
    id_column: str | None  # None: a spelling the covariates reader knows
    columns: tuple[str, ...]  # the covariates' identifiers
    derived: dict[str, str] = field(default_factory=dict)
    derived_notes: dict[str, str] = field(default_factory=dict)


@dataclass
class Proposal:
    """How :func:`inspect_returns` proposes to read a returns file, and why.

    ``found`` and ``assumed`` are lines in words: what was read from the file and what
    was chosen (the study file records both, each with a comment).
    """

    path: Path
    instrument: Instrument
    sheet: str | None
    header_row: int
    form: str
    aliases: dict[str, str]
    na_values: list[str] | None
    wave_column: str | None
    date_format: str | None
    rounds: Rounds | None
    wave_order: list[str] | None
    covariates: CovariateProposal | None
    found: list[str] = field(default_factory=list)
    assumed: list[str] = field(default_factory=list)

    def loader(self) -> dict[str, Any]:
        """The keyword arguments of :func:`~cma_research.load_returns` it proposes."""
        out: dict[str, Any] = {}
        if self.sheet is not None:
            out["sheet"] = self.sheet
        if self.header_row != 1:
            out["header_row"] = self.header_row
        if self.na_values is not None:
            out["na_values"] = list(self.na_values)
        aliases = dict(self.aliases)
        if self.wave_column is not None and normalise_label(self.wave_column) not in _ROLE_OF:
            aliases[self.wave_column] = "wave"
        if aliases:
            out["aliases"] = aliases
        if self.wave_order is not None:
            out["wave_order"] = list(self.wave_order)
        if self.rounds is not None:
            out["wave_rounds"] = self.rounds.text()
        if self.date_format is not None:
            out["date_format"] = self.date_format
        return out

    def study_entries(
        self, folder: Path, *, title: str | None = None
    ) -> list[tuple[int, str, Any, str]]:
        """The study file's lines, ``(depth, key, value, comment)`` (for ``study_yaml``)."""
        inst = self.instrument
        rel = _relative(self.path, folder)
        e: list[tuple[int, str, Any, str]] = [
            (0, "title", title or self.path.stem, "shown on the reports' landing page; edit it"),
            (0, "returns", ..., "the audit returns and how to read them"),
            (1, "file", rel, "relative paths are taken from this file's folder"),
            (1, "instrument", inst.name, f"{inst.title}: {len(inst.stages)} {inst.stage_noun}s"),
        ]
        if self.sheet is not None:
            e.append((1, "sheet", self.sheet, "the sheet holding the returns"))
        if self.header_row != 1:
            e.append(
                (1, "header_row", self.header_row, "the row naming the columns (titles above)")
            )
        if self.na_values is not None:
            e.append(
                (1, "na_values", self.na_values, "cell texts meaning 'not assessed' (never 0)")
            )
        if self.aliases:
            e.append((1, "aliases", ..., "columns named otherwise than the loader expects"))
            for header, target in self.aliases.items():
                e.append((2, header, target, _alias_comment(target, inst)))
        e.append((0, "waves", ..., "the audit rounds"))
        if self.wave_column is None:
            e.append((1, "column", None, "no wave column: one round of audits"))
        else:
            e.append((1, "column", self.wave_column, "the column telling the rounds apart"))
        if self.date_format is not None:
            e.append((1, "dates", self.date_format, "how text dates are written"))
        if self.rounds is not None:
            e.append((1, "rounds", self.rounds.text(), self.rounds.describe()))
        if self.wave_order is not None:
            e.append((1, "order", self.wave_order, "the rounds in order"))
        cov = self.covariates
        if cov is None:
            e.append((0, "covariates", None, "business figures by id (file: or sheet:), or null"))
        else:
            e.append((0, "covariates", ..., "business figures (turnover, ...) by business id"))
            e.append((1, "sheet", cov.sheet, f"of {self.path.name}: {', '.join(cov.columns)}"))
            if cov.header_row != 1:
                e.append((1, "header_row", cov.header_row, "the row naming its columns"))
            if cov.id_column is not None:
                e.append((1, "id_column", cov.id_column, "the column holding the business ids"))
            if cov.derived:
                e.append((1, "derived", ..., "covariates computed from those columns"))
                for name, formula in cov.derived.items():
                    e.append((2, name, formula, cov.derived_notes.get(name, "a formula")))
        e += [
            (0, "recruitment", None, "a recruitment funnel file (stage, count), or null"),
            (0, "claims", None, "a claims file to audit against the returns, or null"),
            (0, "output", "reports", "where the reports go (relative to this file's folder)"),
            (0, "disclosure_k", 5, "smallest group behind any peer or group statistic"),
            (0, "pseudonymise", None, "a key file (cma-research key new): ids become pseudonyms"),
        ]
        return e


def _alias_comment(target: str, inst: Instrument) -> str:
    if target in inst.stage_ids:
        stage = inst.stage(target)
        return f"{inst.stage_noun} {stage.number}, {stage.name}"
    return {
        "business_id": "identifies the businesses",
        "business_type": "the business type",
        "staff": "the number of staff",
        "wave": "the audit round",
    }.get(target, target)


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


_ROLE_OF = {normalise_label(k): v for k, v in DEFAULT_ALIASES.items()}
_DEFAULT_NA = {normalise_na(v) for v in DEFAULT_NA_VALUES}


# -- the returns sheet and its header ------------------------------------------------


@dataclass
class _Header:
    """A candidate header row: which columns are stages (exactly or by a guess), roles."""

    sheet: Sheet
    row: int  # 1-based
    stages: dict[int, tuple[str, bool]]  # column -> (stage id, spelled as the loader reads it)
    roles: dict[int, str]  # column -> role of a known spelling

    @property
    def long(self) -> bool:
        return {"stage", "level"} <= set(self.roles.values())

    @property
    def score(self) -> int:
        """Distinct stages named, less the columns naming a stage twice (a row of levels
        1-5 names stages too, but each several times); a long-form header beats them."""
        if self.long:
            return len(self.roles) + 1000
        distinct = len({sid for sid, _ in self.stages.values()})
        return distinct - (len(self.stages) - distinct)

    def header(self) -> list[str]:
        return [c.strip() for c in self.sheet.records[self.row - 1]]


def _stage_names(inst: Instrument) -> dict[str, str]:
    names = {}
    for s in inst.stages:
        for n in (s.name, s.short_name, s.table_name, s.id):
            if n:
                names[normalise_label(n)] = s.id
    return names


def _stage_of(text: str, inst: Instrument) -> tuple[str, bool] | None:
    """The stage a header names: exactly (the loader reads it), or by a near spelling."""
    norm = normalise_label(text)
    if not norm:
        return None
    lookup = inst.stage_lookup()
    if norm in lookup:
        return lookup[norm], True
    names = _stage_names(inst)
    m = _NUMBERED.match(norm)
    if m:
        number, rest = int(m.group(1)), normalise_label(m.group(2))
        sid = lookup.get(rest) or next(iter(_close(rest, names)), None)
        if sid is not None and inst.stage(sid).number == number:
            return sid, False
        return None
    close = _close(norm, names)
    return (close[0], False) if len(close) == 1 else None


def _close(norm: str, names: Mapping[str, str]) -> list[str]:
    matches = difflib.get_close_matches(norm, list(names), n=3, cutoff=_STAGE_CUTOFF)
    return sorted({names[m] for m in matches})


def _headers(sheet: Sheet, inst: Instrument) -> _Header | None:
    """The sheet's best header row among its first rows, or None."""
    best: _Header | None = None
    for i, cells in enumerate(sheet.records[:_SCAN_ROWS]):
        stages: dict[int, tuple[str, bool]] = {}
        roles: dict[int, str] = {}
        for j, cell in enumerate(cells):
            norm = normalise_label(cell)
            if not norm:
                continue
            if norm in _ROLE_OF:
                roles[j] = _ROLE_OF[norm]
                continue
            found = _stage_of(cell, inst)
            if found is not None:
                stages[j] = found
        candidate = _Header(sheet, i + 1, stages, roles)
        if best is None or candidate.score > best.score:
            best = candidate
    if best is None:
        return None
    threshold = max(2, min(3, len(inst.stages)), len(inst.stages) // 2)
    if best.long or best.score >= threshold:
        return best
    return None


# -- the inspection -------------------------------------------------------------------


def inspect_returns(
    path: str | Path,
    instrument: str | Path | Instrument = "customer_wise_2007",
    *,
    sheet: str | None = None,
    header_row: int | None = None,
    na_values: Sequence[str] = (),
    aliases: Mapping[str, str] | None = None,
    wave_column: str | None = None,
    wave_rounds: str | None = None,
    date_format: str | None = None,
    encoding: str | None = None,
) -> Proposal:
    """Read a returns file as a person would and propose how to load it.

    Parameters
    ----------
    path : str or Path
        The returns (``.xlsx``, ``.csv``, ``.tsv``).
    instrument : str, Path or Instrument
        The instrument whose stages the columns name.
    sheet, header_row
        Settle an ambiguous sheet or header row (default: found).
    na_values : sequence of str
        More cell texts meaning not assessed, besides the usual ones.
    aliases : mapping, optional
        Columns named otherwise (``{"Ref": "business_id"}``); they win over guesses.
    wave_column : str, optional
        The column telling the rounds apart (default: found).
    wave_rounds, date_format : str, optional
        How audit dates are grouped into rounds and written (default: proposed).
    encoding : str, optional
        Of a text file.

    Returns
    -------
    Proposal

    Raises
    ------
    ParameterError
        Where the file is ambiguous, naming the option that settles it.
    DataValidationError
        When the file cannot be read, or does not load with the proposal.
    """
    inst = get_instrument(instrument)
    p = Path(path)
    sheets = read_sheets(p, encoding=encoding)
    found: list[str] = []
    assumed: list[str] = []
    head = _choose_header(sheets, inst, sheet, header_row, found)
    header = head.header()
    rows = [
        (head.row + 1 + k, r)
        for k, r in enumerate(head.sheet.records[head.row :])
        if any(c.strip() for c in r)
    ]
    if not rows:
        raise ParameterError(
            f"{p.name}: the header on row {head.row} has no rows of returns below it; "
            "expected one row per business (and round)"
        )
    given = {normalise_label(k): v for k, v in (aliases or {}).items()}
    proposal_aliases: dict[str, str] = {}
    claimed: dict[int, str] = {}
    for j, text in enumerate(header):
        norm = normalise_label(text)
        if norm in given:
            claimed[j] = given[norm]
            proposal_aliases[text] = given[norm]
        elif j in head.roles:
            claimed[j] = head.roles[j]
        elif j in head.stages:
            sid, exact = head.stages[j]
            claimed[j] = sid
            if not exact:
                proposal_aliases[text] = sid
                stage = inst.stage(sid)
                assumed.append(f"column {text!r} is {inst.stage_noun} {stage.number}, {stage.name}")
    form = "long" if {"stage", "level"} <= set(claimed.values()) else "wide"
    _check_stage_columns(p, header, claimed, inst, form, found)
    _roles(p, header, rows, claimed, proposal_aliases, found, assumed)
    wave = _wave(p, header, rows, claimed, wave_column, proposal_aliases, found)
    na = _cells(p, header, rows, claimed, inst, form, na_values, found)
    ids = _ids_by_row(header, rows, claimed)
    wave_info = _wave_reading(p, header, rows, wave, ids, wave_rounds, date_format, found, assumed)
    covariates = _covariates(sheets, head.sheet, header, rows, claimed, found, assumed)
    extras = [text for j, text in enumerate(header) if text and j not in claimed and j != wave]
    if extras and form == "wide":
        found.append(
            "other columns, kept as text attributes of each return: " + ", ".join(extras[:12])
        )
    return Proposal(
        path=p,
        instrument=inst,
        sheet=head.sheet.name,
        header_row=head.row,
        form=form,
        aliases=proposal_aliases,
        na_values=na,
        wave_column=header[wave] if wave is not None else None,
        date_format=wave_info[0],
        rounds=wave_info[1],
        wave_order=wave_info[2],
        covariates=covariates,
        found=found,
        assumed=assumed,
    )


def _choose_header(
    sheets: list[Sheet],
    inst: Instrument,
    sheet: str | None,
    header_row: int | None,
    found: list[str],
) -> _Header:
    """The returns sheet and header row: the one that names the instrument's stages."""
    if sheet is not None:
        named = [s for s in sheets if s.name == sheet]
        if not named:
            raise ParameterError(
                f"--sheet {sheet!r}: no such sheet; expected one of "
                + ", ".join(repr(s.name) for s in sheets)
            )
        sheets = named
    candidates: list[_Header] = []
    for s in sheets:
        if header_row is not None:
            row = Sheet(s.name, s.visible, s.records[header_row - 1 : header_row])
            at_row = _headers(row, inst)
            if at_row is not None:
                candidates.append(_Header(s, header_row, at_row.stages, at_row.roles))
            continue
        head_or_none = _headers(s, inst)
        if head_or_none is None:
            if s.name is not None and (sheet is None):
                what = (
                    "empty"
                    if not any(any(c.strip() for c in r) for r in s.records)
                    else (f"no header naming the {inst.stage_noun}s")
                )
                found.append(f"sheet {s.name!r}: {what} (not the returns)")
            continue
        candidates.append(head_or_none)
    visible = [c for c in candidates if c.sheet.visible] or candidates
    if not visible:
        where = f"row {header_row}" if header_row is not None else f"the first {_SCAN_ROWS} rows"
        sheet_text = f" of sheet {sheet!r}" if sheet else ""
        raise ParameterError(
            f"no header naming the {inst.name} {inst.stage_noun}s in {where}{sheet_text}; "
            f"expected columns such as {', '.join(s.name for s in inst.stages[:3])} ... "
            "(use --instrument for another instrument, --sheet and --header-row to point "
            "at the header, --alias 'Header=stage_1' for a column named otherwise)"
        )
    top = max(c.score for c in visible)
    best = [c for c in visible if c.score == top]
    if len(best) > 1 and len({c.sheet.name for c in best}) > 1:
        raise ParameterError(
            "several sheets hold returns ("
            + ", ".join(repr(c.sheet.name) for c in best)
            + "): choose one with --sheet NAME (one study reads one sheet of returns)"
        )
    head = best[0]
    if head.sheet.name is not None:
        found.append(f"the returns are on sheet {head.sheet.name!r}")
    if head.row > 1:
        titles = [
            " ".join(c.strip() for c in head.sheet.records[i] if c.strip())
            for i in range(head.row - 1)
        ]
        shown = "; ".join(repr(t[:60]) for t in titles if t) or "blank rows"
        found.append(f"the header is on row {head.row}, below {shown}")
    return head


def _check_stage_columns(
    path: Path,
    header: list[str],
    claimed: dict[int, str],
    inst: Instrument,
    form: str,
    found: list[str],
) -> None:
    """Each stage once; every stage present (wide form); say how they were named."""
    if form == "long":
        found.append("long form: one row per business, round and stage (stage and level columns)")
        return
    by_stage: dict[str, list[str]] = {}
    for j, target in claimed.items():
        if target in inst.stage_ids:
            by_stage.setdefault(target, []).append(header[j])
    twice = {s: h for s, h in by_stage.items() if len(h) > 1}
    if twice:
        sid, headers = next(iter(twice.items()))
        raise ParameterError(
            f"{path.name}: columns {' and '.join(repr(h) for h in headers)} both seem to be "
            f"{inst.stage_noun} {inst.stage(sid).number} ({inst.stage(sid).name}); name the "
            f"right one with --alias '{headers[0]}={sid}' and rename the other"
        )
    missing = [s for s in inst.stage_ids if s not in by_stage]
    if missing:
        names = ", ".join(f"{inst.stage(s).number} {inst.stage(s).name}" for s in missing)
        unclaimed = [h for j, h in enumerate(header) if h and j not in claimed]
        raise ParameterError(
            f"{path.name}: no column for {inst.stage_noun}(s) {names}; columns not "
            f"recognised: {', '.join(repr(h) for h in unclaimed[:10]) or 'none'}. Name "
            f"each with --alias 'HEADER={missing[0]}' (or choose another --instrument)"
        )
    kinds = Counter(
        "by number"
        if header[j].strip().isdigit()
        else "by id"
        if normalise_label(header[j]) == normalise_label(t)
        else "in words"
        for j, t in claimed.items()
        if t in inst.stage_ids
    )
    how = " and ".join(k for k, _ in kinds.most_common())
    found.append(f"{len(inst.stages)} {inst.stage_noun} columns, named {how}")


def _id_rank(norm: str) -> int | None:
    words = norm.replace("/", " ").split()
    for rank, group in enumerate(_ID_WORDS):
        if any(w in group for w in words):
            return rank
    if any(w in _ID_CONTEXT for w in words):
        return len(_ID_WORDS)
    return None


def _roles(
    path: Path,
    header: list[str],
    rows: list[tuple[int, list[str]]],
    claimed: dict[int, str],
    aliases: dict[str, str],
    found: list[str],
    assumed: list[str],
) -> None:
    """The business id, staff and business type columns (known spellings, else guesses)."""
    roles = set(claimed.values())
    free = [j for j, h in enumerate(header) if h and j not in claimed]
    if "business_type" not in roles:
        typed = [j for j in free if normalise_label(header[j]) in _TYPE_HEADERS]
        if len(typed) == 1:
            j = typed[0]
            claimed[j] = aliases[header[j]] = "business_type"
            assumed.append(f"column {header[j]!r} is the business type")
            free.remove(j)
    if "staff" not in roles:
        staffed = [
            j
            for j in free
            if any(w in normalise_label(header[j]) for w in _STAFF_WORDS)
            and _mostly(rows, j, lambda t: bool(_PLAIN_INT.match(t.replace(",", ""))))
        ]
        if len(staffed) == 1:
            j = staffed[0]
            claimed[j] = aliases[header[j]] = "staff"
            assumed.append(f"column {header[j]!r} is the number of staff")
            free.remove(j)
    if "business_id" in roles:
        j = next(k for k, v in claimed.items() if v == "business_id")
        found.append(f"business ids in column {header[j]!r}")
        return
    ranked = sorted(
        (rank, j)
        for j in free
        if (rank := _id_rank(normalise_label(header[j]))) is not None
        and _mostly(rows, j, lambda t: bool(t), share=0.95)
    )
    if not ranked:
        return
    top = [j for rank, j in ranked if rank == ranked[0][0]]
    if len(top) > 1:
        raise ParameterError(
            f"{path.name}: columns {', '.join(repr(header[j]) for j in top)} could each "
            f"identify the businesses; name the id column with --alias "
            f"'{header[top[0]]}=business_id'"
        )
    j = top[0]
    claimed[j] = aliases[header[j]] = "business_id"
    assumed.append(f"column {header[j]!r} identifies the businesses")


def _mostly(rows: list[tuple[int, list[str]]], j: int, test: Any, share: float = 0.8) -> bool:
    texts = [c[j].strip() for _, c in rows if j < len(c)]
    filled = [t for t in texts if t and normalise_na(t) not in _DEFAULT_NA]
    if share >= 0.95:  # a test of presence: blanks count against it
        return len(filled) >= share * max(len(rows), 1) and all(test(t) for t in filled)
    return bool(filled) and sum(bool(test(t)) for t in filled) >= share * len(filled)


def _wave(
    path: Path,
    header: list[str],
    rows: list[tuple[int, list[str]]],
    claimed: dict[int, str],
    wave_column: str | None,
    aliases: dict[str, str],
    found: list[str],
) -> int | None:
    """The column telling the rounds apart: named, a known spelling, dates or a round name."""
    if wave_column is not None:
        wanted = normalise_label(wave_column)
        named = [j for j, h in enumerate(header) if normalise_label(h) == wanted]
        if not named:
            raise ParameterError(
                f"--wave-column {wave_column!r}: no such column; expected one of "
                + ", ".join(repr(h) for h in header if h)
            )
        claimed.pop(named[0], None)
        for header_text in [h for h, t in aliases.items() if t == "wave"]:
            aliases.pop(header_text)
        found.append(f"the rounds are told apart by column {header[named[0]]!r} (--wave-column)")
        return named[0]
    known = [j for j, t in claimed.items() if t == "wave"]
    if known:
        claimed.pop(known[0])
        found.append(f"the rounds are told apart by column {header[known[0]]!r}")
        return known[0]
    free = [j for j, h in enumerate(header) if h and j not in claimed]
    dated = [j for j in free if _mostly(rows, j, lambda t: isinstance(parse_date(t), dt.date))]
    named_like = [j for j in free if any(w in normalise_label(header[j]) for w in _WAVE_WORDS)]
    candidates = sorted(set(dated) | set(named_like))
    if len(candidates) > 1:
        audit = [j for j in candidates if "audit" in normalise_label(header[j])]
        if len(audit) == 1:
            candidates = audit
    if len(candidates) > 1:
        raise ParameterError(
            f"{path.name}: columns {', '.join(repr(header[j]) for j in candidates)} could "
            "each tell the audit rounds apart; choose one with --wave-column NAME"
        )
    if not candidates:
        found.append("no wave column: one round of audits")
        return None
    j = candidates[0]
    found.append(f"the rounds are told apart by column {header[j]!r}")
    return j


def _cells(
    path: Path,
    header: list[str],
    rows: list[tuple[int, list[str]]],
    claimed: dict[int, str],
    inst: Instrument,
    form: str,
    extra_na: Sequence[str],
    found: list[str],
) -> list[str] | None:
    """How levels and not-assessed cells are written; stop on any other text."""
    if form == "long":
        columns = [j for j, t in claimed.items() if t == "level"]
    else:
        columns = [j for j, t in claimed.items() if t in inst.stage_ids]
    words = inst.level_lookup()
    extra = {normalise_na(v): v for v in extra_na}
    markers: Counter[str] = Counter()
    labels: Counter[str] = Counter()
    unknown: dict[str, list[tuple[int, str]]] = {}
    blank = 0
    for number, cells in rows:
        for j in columns:
            text = cells[j].strip() if j < len(cells) else ""
            if not text:
                blank += 1
                continue
            folded = normalise_na(text)
            if folded in _DEFAULT_NA or folded in extra:
                markers[text] += 1
            elif _PLAIN_INT.match(text):
                continue
            elif normalise_label(text) in words:
                labels[text] += 1
            elif not re.fullmatch(r"[+-]?[\d.eE_]+", text):
                unknown.setdefault(text, []).append((number, header[j]))
    if unknown:
        shown = "; ".join(
            f"{t[:30]!r} in {len(where)} cell(s) (first: row {where[0][0]}, column {where[0][1]!r})"
            for t, where in list(unknown.items())[:5]
        )
        first = next(iter(unknown))
        labels_text = ", ".join(lv.label for lv in inst.levels)
        raise ParameterError(
            f"{path.name}: level cells hold text that is neither a level of {inst.name} "
            f"({inst.min_level}-{inst.max_level}, {labels_text}) nor a usual mark of 'not "
            f"assessed': {shown}. If it means not assessed, add --na-value {first[:30]!r} "
            "(repeatable); otherwise correct the file"
        )
    if labels:
        found.append(
            "some levels written as words: "
            + ", ".join(f"{t!r} ({words[normalise_label(t)]})" for t in sorted(labels)[:6])
        )
    if markers or blank:
        parts = [f"{blank} blank cell(s)"] if blank else []
        parts += [f"{n} {m!r}" for m, n in sorted(markers.items())]
        found.append("not assessed: " + ", ".join(parts))
    if not extra:
        return None  # the loader's own markers cover the file
    used = {normalise_na(m) for m in markers}
    defaults = [v for v in DEFAULT_NA_VALUES if v and normalise_na(v) in used]
    return sorted({*defaults, *extra.values()}, key=str.casefold)


def _ids_by_row(
    header: list[str], rows: list[tuple[int, list[str]]], claimed: dict[int, str]
) -> list[str]:
    j = next((k for k, v in claimed.items() if v == "business_id"), None)
    if j is None:
        return [f"row {n}" for n, _ in rows]
    return [c[j].strip() if j < len(c) else "" for _, c in rows]


def _wave_reading(
    path: Path,
    header: list[str],
    rows: list[tuple[int, list[str]]],
    wave: int | None,
    ids: list[str],
    wave_rounds: str | None,
    date_format: str | None,
    found: list[str],
    assumed: list[str],
) -> tuple[str | None, Rounds | None, list[str] | None]:
    """How the wave column is read: date format, rounds of dates, order of numbered labels."""
    if wave is None:
        if wave_rounds is not None:
            raise ParameterError("--rounds groups audit dates, but the file has no wave column")
        return None, None, None
    texts = [c[wave].strip() if wave < len(c) else "" for _, c in rows]
    name = header[wave]
    nonblank = [t for t in texts if t]
    if not nonblank or any(parse_date(t) is None for t in nonblank):  # not all shaped as dates
        if wave_rounds is not None:
            raise ParameterError(
                f"--rounds groups audit dates, but column {name!r} does not hold dates"
            )
        return None, None, _label_order(texts, name, found, assumed)
    slashed = [t for t in texts if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", t)]
    fmt = date_format
    if slashed and fmt is None:
        day_first = any(int(t.split("/")[0]) > 12 for t in slashed)
        month_first = any(int(t.split("/")[1]) > 12 for t in slashed)
        if day_first and month_first:
            raise ParameterError(
                f"{path.name}: column {name!r} holds dates written day first (such as "
                f"{next(t for t in slashed if int(t.split('/')[0]) > 12)}) and month first "
                f"(such as {next(t for t in slashed if int(t.split('/')[1]) > 12)}); write "
                "them one way, or as ISO dates (YYYY-MM-DD)"
            )
        if month_first:
            fmt = "month-first"
            found.append(f"dates in {name!r} are written month first (as in the US)")
        elif day_first:
            fmt = "day-first"
            found.append(f"dates in {name!r} are written day first (as in the UK)")
        else:
            fmt = "day-first"
            assumed.append(
                f"dates in {name!r} such as {slashed[0]} are read day first (as in the UK); "
                "if they are American, set waves: dates: month-first"
            )
    # a date that is not valid is left to the loader, which names its row
    dates = [parse_date(t, fmt) if t else None for t in texts]
    days = [d for d in dates if isinstance(d, dt.date)]
    distinct = sorted(set(days))
    found.append(
        f"{len(distinct)} different audit date(s) in {name!r}, "
        f"{distinct[0].isoformat()} to {distinct[-1].isoformat()}"
    )
    if wave_rounds is not None:
        rounds = parse_rounds(wave_rounds)
        found.append(f"rounds as given: {rounds.describe() if rounds else 'none'}")
        return fmt, rounds, None
    rounds = _propose_rounds(days_by_row=dates, ids=ids)
    if rounds is not None and rounds.kind == "year":
        assumed.append(
            f"rounds by calendar year ({len({d.year for d in distinct})} rounds): each "
            "business is audited at most once a year (if not, set waves: rounds in the study "
            "file)"
        )
    elif rounds is not None:
        assumed.append(
            f"rounds separated by more than {rounds.gap_days} days without an audit "
            f"({len(rounds.group(distinct)[1])} rounds): no business is audited twice in one"
        )
    elif len(distinct) > 1:
        assumed.append("each audit date is its own round (no grouping keeps businesses apart)")
    return fmt, rounds, None


def _propose_rounds(days_by_row: Sequence[object], ids: Sequence[str]) -> Rounds | None:
    """Rounds a person would choose: by year if each business is audited once a year at
    most, else the widest gap that keeps each business to one audit per round."""
    pairs = [(b, d) for b, d in zip(ids, days_by_row, strict=True) if isinstance(d, dt.date)]
    distinct = sorted({d for _, d in pairs})
    if len(distinct) < 2:
        return None
    years = {d.year for d in distinct}
    if len(distinct) > len(years) and _one_per_round(pairs, Rounds("year"), distinct):
        return Rounds("year")
    for gap in _GAPS:
        rounds = Rounds("gap", gap_days=gap)
        n_rounds = len(rounds.group(distinct)[1])
        if 1 < n_rounds < len(distinct) and _one_per_round(pairs, rounds, distinct):
            return rounds
    return None


def _one_per_round(
    pairs: Sequence[tuple[str, dt.date]], rounds: Rounds, distinct: Sequence[dt.date]
) -> bool:
    codes, _ = rounds.group(distinct)
    seen = {(b, codes[d]) for b, d in pairs}
    return len(seen) == len(pairs)


def _label_order(
    texts: list[str], name: str, found: list[str], assumed: list[str]
) -> list[str] | None:
    """Labels numbered alike (``Round 2``, ``Round 1``) are put in their numbers' order."""
    labels: list[str] = []
    for t in texts:
        if t and t.casefold() not in {x.casefold() for x in labels}:
            labels.append(t)
    if all(re.fullmatch(r"\d+", t) for t in labels):
        found.append(f"rounds numbered {', '.join(sorted(labels, key=int))} in {name!r}")
        return None
    matches = [_NUMBERED_LABEL.match(t) for t in labels]
    found.append(f"rounds {', '.join(repr(t) for t in labels[:6])} in {name!r}")
    if len(labels) > 1 and all(matches) and len({m.group(1).casefold() for m in matches if m}) == 1:
        natural = sorted(labels, key=lambda t: int(_NUMBERED_LABEL.match(t).group(2)))  # type: ignore[union-attr]
        if natural != labels:
            assumed.append(f"the rounds in the order of their numbers: {', '.join(natural)}")
            return natural
    if len(labels) > 1:
        assumed.append(
            f"the rounds in the order they first appear: {', '.join(labels[:6])} "
            "(set waves: order otherwise)"
        )
    return None


# -- covariates on another sheet --------------------------------------------------------


def _covariates(
    sheets: list[Sheet],
    returns_sheet: Sheet,
    header: list[str],
    rows: list[tuple[int, list[str]]],
    claimed: dict[int, str],
    found: list[str],
    assumed: list[str],
) -> CovariateProposal | None:
    """A sheet of numeric figures keyed by the returns' business ids, if there is one."""
    id_j = next((k for k, v in claimed.items() if v == "business_id"), None)
    if id_j is None:
        return None
    ids = {c[id_j].strip() for _, c in rows if id_j < len(c) and c[id_j].strip()}
    id_header = normalise_label(header[id_j])
    proposals = []
    for s in sheets:
        if s is returns_sheet or s.name is None or not s.visible:
            continue
        proposal = _covariate_sheet(s, ids, id_header)
        if proposal is not None:
            proposals.append(proposal)
    if not proposals:
        return None
    chosen = max(proposals, key=lambda c: len(c.columns))
    for other in proposals:
        if other is not chosen:
            found.append(f"sheet {other.sheet!r} also holds figures by business (not used)")
    found.append(
        f"covariates on sheet {chosen.sheet!r}: {', '.join(chosen.columns)} by business id"
    )
    for name, formula in chosen.derived.items():
        assumed.append(f"{name} = {formula} ({chosen.derived_notes[name]})")
    return chosen


def _covariate_sheet(s: Sheet, ids: set[str], id_header: str) -> CovariateProposal | None:
    id_known = {normalise_label(k) for k, v in DEFAULT_ALIASES.items() if v == "business_id"}
    for i, cells in enumerate(s.records[:10]):
        heads = [c.strip() for c in cells]
        if sum(bool(h) for h in heads) < 2:
            continue
        body = [r for r in s.records[i + 1 :] if any(c.strip() for c in r)]
        for j, h in enumerate(heads):
            norm = normalise_label(h)
            if not h or not (norm == id_header or norm in id_known or _id_rank(norm) is not None):
                continue
            values = {r[j].strip() for r in body if j < len(r) and r[j].strip()}
            if not values or len(values & ids) < 0.5 * len(values):
                continue
            numeric = [
                k
                for k, hk in enumerate(heads)
                if hk and k != j and _mostly([(0, r) for r in body], k, _is_number)
            ]
            if not numeric:
                return None
            columns = tuple(snake_case(heads[k].replace("%", "")) for k in numeric)
            derived, notes = _growth([(heads[k], c) for k, c in zip(numeric, columns, strict=True)])
            return CovariateProposal(
                sheet=str(s.name),
                header_row=i + 1,
                id_column=None if norm in id_known else h,
                columns=columns,
                derived=derived,
                derived_notes=notes,
            )
        return None
    return None


def _is_number(text: str) -> bool:
    return bool(_NUMBER.match(text.replace(",", "")))


def _growth(columns: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    """Annual growth for each measure given in two or more years (``Turnover 2008`` ...)."""
    by_stem: dict[str, list[tuple[int, str]]] = {}
    for header, ident in columns:
        years = _YEAR.findall(header)
        if len(years) != 1:
            continue
        stem = snake_case(_YEAR.sub(" ", header).replace("%", ""))
        by_stem.setdefault(stem, []).append((int(years[0]), ident))
    derived: dict[str, str] = {}
    notes: dict[str, str] = {}
    for stem, found in sorted(by_stem.items()):
        found.sort()
        if len(found) < 2 or len({y for y, _ in found}) != len(found):
            continue
        (y1, a), (y2, b) = found[0], found[-1]
        name = f"{stem}_growth"
        if y2 - y1 == 1:
            derived[name] = f"({b} - {a}) / {a}"
            notes[name] = f"annual growth of {stem.replace('_', ' ')} from {y1} to {y2}"
        else:
            derived[name] = f"({b} / {a}) ** (1 / {y2 - y1}) - 1"
            notes[name] = (
                f"annual growth of {stem.replace('_', ' ')} from {y1} to {y2} (compound, "
                f"over {y2 - y1} years)"
            )
    return derived, notes

"""What the per-business reports show, as plain data: page contexts, the index and the
disclosure manifest of a batch.

:func:`business_pages` reads one audit wave of a cohort and returns, for each business,
the header, the stage levels and labels, the staged level and mean with their rule, the
position against a peer group of at least ``k`` other businesses, the road map and (with
earlier waves) the change since the previous audit, plus the batch's disclosure
manifest (k, what was hidden and why). It works in named steps: choose the wave and the
businesses, compute the peer groups and statistics once, then build each page from its
parts (:func:`_header_details`, :func:`_stage_rows`, :func:`_road_map_rows`,
:func:`_overall`, :func:`_peer_group`) and finally the manifest. :func:`index_context`
is the batch's index as data. Drawing and writing the pages is
:mod:`cma_research.reporting.business`.

**What a page identifies.** Staff numbers and audit dates together pick out a business
(in the trial of issue 21, every one of 16 pseudonymised pages matched exactly one row
of the returns by the two), so a page shows the EU size band and the month of the
audit unless ``show_identifying`` is given, and every page says what a reader could
still infer (:func:`inference_note`): the levels themselves, nearly unique, find the
business in the returns or in any published table of them; pages of two waves, or of
returns that differ by one business, can be set against each other.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from cma_research.analysis.disclosure import check_k
from cma_research.analysis.groups import SIZE_BANDS
from cma_research.analysis.peers import peer_groups, peer_statistics
from cma_research.analysis.road_map import (
    PRIORITY_RULE,
    check_target_level,
    plan_records,
    staged_level,
)
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.files import safe_filename
from cma_research.core.instrument import Instrument, normalise_label
from cma_research.core.text import MINUS
from cma_research.core.version import __version__
from cma_research.reporting.pseudonym import key_check, pseudonymise

__all__ = [
    "ASSESSOR_HEADERS",
    "DATE_HEADERS",
    "NAME_HEADERS",
    "RESERVED_NAMES",
    "audit_month",
    "business_pages",
    "index_context",
    "inference_note",
    "page_file_names",
    "percent_text",
    "size_text",
]

#: Attribute headers read as the audit date and the assessor (normalised spellings).
DATE_HEADERS = ("audit date", "date", "date of audit", "audited on", "assessment date")
NAME_HEADERS = ("name", "business name", "company", "company name", "organisation", "client")
ASSESSOR_HEADERS = ("assessor", "auditor", "assessed by", "audited by", "consultant")
#: File names of a batch that no business page may take.
RESERVED_NAMES = ("index", "disclosure")


@functools.lru_cache(maxsize=1 << 16)  # a batch's pages repeat their numbers
def _fmt(v: float, digits: int = 2) -> str:
    """A number for a page: at most ``digits`` decimals, trailing zeros after the decimal
    point dropped (never the zeros of a whole number), a true minus sign.

    >>> [_fmt(v) for v in (10, 2.5, 2.1666, 9.999, -0.001, 0.04)]
    ['10', '2.5', '2.17', '10', '0', '0.04']
    >>> [_fmt(v, 0) for v in (10.4, 99.96, 0.04, 20.0)]
    ['10', '100', '0', '20']
    """
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    text = f"{float(v):.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace("-", MINUS)


def percent_text(share: float) -> str:
    """A share (0 to 1) as a whole percentage for a page: ``0.1`` -> ``'10'``.

    Rounded half to even, as Python rounds (``0.125`` -> ``'12'``).

    >>> [percent_text(x) for x in (0, 0.1, 0.2, 0.9, 0.995, 1)]
    ['0', '10', '20', '90', '100', '100']
    """
    return _fmt(100 * float(share), 0)


def size_text(staff: int) -> str:
    """The EU size band of a headcount as a page shows it (not the headcount).

    >>> [size_text(n) for n in (1, 9, 10, 49, 100, 250)]  # doctest: +NORMALIZE_WHITESPACE
    ['micro business (fewer than 10 staff)', 'micro business (fewer than 10 staff)',
     'small business (10–49 staff)', 'small business (10–49 staff)',
     'medium business (50–249 staff)', 'large business (250 staff or more)']
    """
    for label, low, high in SIZE_BANDS:
        if staff >= low and (high is None or staff <= high):
            if high is None:
                return f"{label} business ({low} staff or more)"
            if low == 0:
                return f"{label} business (fewer than {high + 1} staff)"
            return f"{label} business ({low}–{high} staff)"
    return "size band unknown"


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def audit_month(value: object) -> str | None:
    """The month of an audit date as a page shows it (``March 2008``), or None.

    Reads dates (``datetime``, ``pandas.Timestamp``), ISO text (``2008-03-15``, with or
    without a time; ``2008-03``), day-first text as written in the UK (``15/03/2008``)
    and a month with its year (``Mar 2008``, ``March 2008``). Anything else gives None:
    the page then shows no date rather than a text that may identify the business.

    >>> [audit_month(v) for v in ("2008-03-15", "15/03/2008", "2008-03-15 00:00:00", "Mar 2008")]
    ['March 2008', 'March 2008', 'March 2008', 'March 2008']
    >>> audit_month("15/13/2008") is None and audit_month("last spring") is None
    True
    """
    if isinstance(value, dt.date):
        year, month = value.year, value.month
    else:
        text = str(value).strip()
        iso = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2})(?:[ T][\d:.]+)?)?", text)
        uk = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", text)
        named = re.fullmatch(r"([A-Za-z]{3,9})\.?,?\s+(\d{4})", text)
        if iso:
            year, month = int(iso.group(1)), int(iso.group(2))
        elif uk:
            year, month = int(uk.group(3)), int(uk.group(2))
        elif named:
            word = named.group(1).lower()
            found = [i for i, m in enumerate(_MONTHS, 1) if m.lower().startswith(word[:3])]
            if not found or not _MONTHS[found[0] - 1].lower().startswith(word):
                return None
            year, month = int(named.group(2)), found[0]
        else:
            return None
    if not (1 <= month <= 12 and 1900 <= year <= 2200):
        return None
    return f"{_MONTHS[month - 1]} {year}"


def _missing(value: object) -> bool:
    """None, pd.NA or NaN (a blank cell, whatever the column's dtype)."""
    try:
        return value is None or bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


# -- the batch: wave, businesses, file names --------------------------------------------------


def _select_wave(cohort: Cohort, wave: str | int | None) -> tuple[Cohort, int, str | None]:
    """The wave to report (default: the latest), its code and label (None if only one)."""
    waves = list(cohort.waves)
    label = waves[-1] if wave is None else wave
    one = cohort.select_wave(label)
    code = int(one.scores.index.get_level_values("wave")[0]) if len(one) else 0
    return one, code, (str(one.waves[0]) if len(waves) > 1 else None)


def _nearest(wanted: str, ids: Sequence[str]) -> str:
    close = difflib.get_close_matches(wanted, ids, n=5, cutoff=0.5)
    if close:
        return f"nearest ids: {', '.join(close)}"
    return f"ids: {', '.join(ids[:6])}{', ...' if len(ids) > 6 else ''}"


def _chosen_ids(
    cohort: Cohort,
    ids: Sequence[str],
    business_ids: Sequence[str] | None,
    wave: str | int | None,
    wave_label: str | None,
) -> list[str]:
    """The businesses to report (default: every one of the wave), each checked: in the
    wave, not given twice; an id audited only in another wave says which."""
    if not ids:
        raise ParameterError(f"wave {wave!r} has no businesses")
    chosen = list(ids) if business_ids is None else [str(b) for b in business_ids]
    if not chosen:
        raise ParameterError("business_ids is empty; give at least one id, or None for all")
    known = set(ids)
    for b in chosen:
        if b not in known:
            elsewhere = sorted(
                {cohort.wave_label(int(w)) for bb, w in cohort.scores.index if str(bb) == b}
            )
            if elsewhere:
                raise ParameterError(
                    f"business {b!r} was not audited in wave {wave_label}; it was in wave(s) "
                    f"{', '.join(elsewhere)} (choose one with --wave)"
                )
            raise ParameterError(f"business {b!r} is not in the returns ({_nearest(b, ids)})")
    if len(set(chosen)) != len(chosen):
        dupes = sorted({b for b in chosen if chosen.count(b) > 1})
        raise ParameterError(f"business id(s) given twice: {', '.join(dupes)}")
    return chosen


def page_file_names(shown_ids: Sequence[str]) -> list[str]:
    """The page file names (without ``.html``) of the ids a batch shows, in order.

    Safe, distinct names (also on case-insensitive file systems), none reserved
    (:data:`RESERVED_NAMES`).

    >>> page_file_names(["B04", "index", "../x"])
    ['B04', 'index-1bc04b5291c2', 'x-d6b96a97d1']
    """
    names = [safe_filename(b) for b in shown_ids]
    folded: dict[str, int] = {}
    for n in names:
        folded[n.casefold()] = folded.get(n.casefold(), 0) + 1
    out = []
    for b, n in zip(shown_ids, names, strict=True):
        if folded[n.casefold()] > 1 or n.casefold() in RESERVED_NAMES:
            n = f"{n[:80]}-{hashlib.sha256(b.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"
        out.append(n)
    if len({n.casefold() for n in out}) != len(out):  # pragma: no cover - needs a hash clash
        raise ParameterError("two business ids map to the same file name")
    return out


def _previous_levels(
    cohort: Cohort, code: int, chosen: Iterable[str]
) -> dict[str, tuple[str, np.ndarray]]:
    """Each business's levels at its latest audit before wave ``code``, with that wave."""
    waves = cohort.scores.index.get_level_values("wave").to_numpy(dtype=np.int64)
    if not (waves < code).any():
        return {}
    earlier = cohort.scores.loc[waves < code]
    want = set(chosen)
    out: dict[str, tuple[str, np.ndarray]] = {}
    values = earlier.to_numpy(dtype=float, na_value=np.nan)
    for (bid, w), row in zip(earlier.index, values, strict=True):
        b = str(bid)
        if b in want and (b not in out or int(w) > out[b][2]):  # type: ignore[misc]
            out[b] = (cohort.wave_label(int(w)), row, int(w))  # type: ignore[assignment]
    return {b: (v[0], v[1]) for b, v in out.items()}


def _disclosure_note(k: int, pseudonymised: bool) -> str:
    """What every page (and the index) says about disclosure control."""
    if k == 1:
        note = (
            "Not anonymised: peer statistics rest on groups of any size (k = 1), so a "
            "reader may recover another business's levels. Do not share this page."
        )
    else:
        note = (
            f"Disclosure control: peer statistics come from groups of at least {k} other "
            "businesses, and peer groups were chosen so that a hidden group's size cannot "
            "be worked out from the others."
        )
    if pseudonymised:
        note += " Business ids are replaced by keyed pseudonyms."
    return note


def _source_text(one: Cohort, pseudonymised: bool) -> str:
    """The returns a page was made from (no file name when ids are pseudonymised)."""
    source = f"returns SHA-256 {one.source.sha256[:16]}…"
    if not pseudonymised:
        source = f"{Path(one.source.path).name}, " + source
    return source


@dataclass(frozen=True)
class _Batch:
    """What every page of a batch shares."""

    instrument: Instrument
    k: int
    target: int
    wave_label: str | None
    stats: Mapping[str, np.ndarray]  # peer_statistics, column by column
    labels: Mapping[int, str]  # level value -> label
    note: str
    source: str
    inference: str = ""

    @property
    def n_stages(self) -> int:
        return len(self.instrument.stages)


# -- the parts of one page ------------------------------------------------------------------


def _attribute(attrs: Mapping[Any, Any], headers: Sequence[str]) -> str | None:
    for name, value in attrs.items():
        if normalise_label(str(name)) in headers and not _missing(value):
            text = str(value).strip()
            if text:
                return text
    return None


def _date_value(attrs: Mapping[Any, Any]) -> object | None:
    for name, value in attrs.items():
        present = not _missing(value) and (not isinstance(value, str) or value.strip())
        if normalise_label(str(name)) in DATE_HEADERS and present:
            return value
    return None


def _header_details(
    attrs: Mapping[Any, Any], show_names: bool, show_identifying: bool = False
) -> list[str]:
    """The header line: name, type and assessor (free text, only with ``show_names``),
    size and audit date (the size band and month unless ``show_identifying``)."""
    details = []
    name = _attribute(attrs, NAME_HEADERS) if show_names else None
    if name:
        details.append(name)
    btype = attrs.get("business_type")
    if show_names and not _missing(btype) and str(btype).strip():
        details.append(str(btype))
    staff = attrs.get("staff")
    if not _missing(staff):
        n = int(cast(int, staff))
        details.append(f"{n} staff" if show_identifying else size_text(n))
    date = _date_value(attrs)
    if date is not None:
        if show_identifying:
            details.append(f"audited {str(date).strip()}")
        elif (month := audit_month(date)) is not None:
            details.append(f"audited in {month}")
    assessor = _attribute(attrs, ASSESSOR_HEADERS) if show_names else None
    if assessor:
        details.append(f"assessor: {assessor}")
    return details


def inference_note(
    instrument: Instrument, k: int, *, pseudonymised: bool, show_identifying: bool
) -> str:
    """What a reader of a page could still infer about the business, in words.

    >>> from cma_research.core.instrument import get_instrument
    >>> note = inference_note(get_instrument("customer_wise_2007"), 5, pseudonymised=True,
    ...                       show_identifying=False)
    >>> note[:87]
    'What a reader could still infer: this page shows a size band and the month of the audit'
    >>> "Its 10 stage levels together are nearly unique" in note
    True
    """
    n, noun = len(instrument.stages), instrument.stage_noun
    if show_identifying:
        shown = (
            "this page shows the exact staff number and audit date, which together pick out "
            "the business among the programme's businesses"
        )
    else:
        shown = "this page shows a size band and the month of the audit, not the staff number "
        shown += "or the audit date"
    if pseudonymised:
        shown += ", and a pseudonym, not the business's id"
    levels = (
        f"Its {n} {noun} levels together are nearly unique, so whoever holds the returns, or "
        "a published table of them, can still find this business's row"
        + ("; the size band and month narrow the search." if not show_identifying else ".")
    )
    peers = (
        f" Peer statistics rest on at least {k} other businesses and are hidden where two "
        "pages of one batch could be set against each other; pages made from two waves, or "
        "from returns that differ by one business, can still reveal a business's levels by "
        "difference."
        if k > 1
        else ""
    )
    return (
        f"What a reader could still infer: {shown}. {levels}{peers} Share this page only "
        "with the business it describes."
    )


def _change_text(before: float, now: float) -> str:
    """Arrow and levels: ``▲ 2 → 3``, ``▼``, ``=``; a side not assessed is said so."""
    if np.isnan(before) and np.isnan(now):
        return "not assessed either time"
    if np.isnan(before):
        return f"newly assessed: {_fmt(now)}"
    if np.isnan(now):
        return f"not assessed now (was {_fmt(before)})"
    arrow = "▲" if now > before else "▼" if now < before else "="
    return f"{arrow} {_fmt(before)} → {_fmt(now)}"


def _stage_rows(
    batch: _Batch,
    i: int,
    levels: np.ndarray,
    boxes: Sequence[float],
    previous: np.ndarray | None,
    page_file: str,
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """One row per stage of business ``i`` (level, label, box score, peer position,
    change), and the peer cells suppressed on its page."""
    s = batch.stats
    rows: list[dict[str, Any]] = []
    suppressed: list[dict[str, str]] = []
    for j, stage in enumerate(batch.instrument.stages):
        r = i * batch.n_stages + j
        lv = levels[j]
        assessed = not np.isnan(lv)
        sup = bool(s["suppressed"][r])
        if sup:
            suppressed.append(
                {
                    "page": page_file,
                    "cell": f"peer statistics, {batch.instrument.stage_noun} {stage.number}",
                    "reason": str(s["reason"][r]),
                }
            )
        position = ""
        if not sup and assessed:
            position = (
                f"{_fmt(s['rank'][r])} of {int(s['n_ranked'][r])}; "
                f"above {percent_text(s['peer_share_below'][r])}% of "
                f"{int(s['n_assessed'][r])} peers"
            )
        elif not sup:
            position = f"{int(s['n_assessed'][r])} peers assessed"
        rows.append(
            {
                "number": stage.number,
                "name": stage.name,
                "short_name": stage.short_name,
                "assessed": assessed,
                "level": _fmt(lv),
                "level_label": batch.labels[int(lv)] if assessed else "",
                "box_score": _fmt(boxes[j]) if assessed else "",
                "peer_suppressed": sup,
                "peer_reason": str(s["reason"][r]),
                "peer_median": _fmt(s["median"][r]),
                "position": position,
                "change": _change_text(previous[j], lv) if previous is not None else "",
                "fig_level": float(lv),
                "fig_median": float(s["median"][r]),
                "fig_q1": float(s["q1"][r]),
                "fig_q3": float(s["q3"][r]),
            }
        )
    return rows, suppressed


def _road_map_rows(
    batch: _Batch, levels: np.ndarray, plan: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The road map: every stage in priority order, its level now and the next action."""
    priority = [int(r["priority"]) for r in plan]
    road = []
    for j in sorted(range(batch.n_stages), key=priority.__getitem__):
        lv = levels[j]
        road.append(
            {
                "priority": priority[j],
                "name": batch.instrument.stages[j].name,
                "assessed": not math.isnan(lv),
                "now": f"{_fmt(lv)} ({batch.labels[int(lv)]})"
                if not math.isnan(lv)
                else "not assessed",
                "action": str(plan[j]["action"]),
            }
        )
    return road


def _overall(batch: _Batch, levels: np.ndarray) -> dict[str, Any]:
    """Staged level and mean over the assessed stages, with the rule that defines them."""
    low, mean, n_done = staged_level(levels)
    noun = batch.instrument.stage_noun
    upper = ""
    if n_done < batch.n_stages:
        upper = (
            f" {batch.n_stages - n_done} {noun}(s) not assessed, so the staged level is an "
            "upper bound: it can only stay or fall once they are assessed."
        )
    rule = (
        f"Staged level: the lowest level among the assessed {noun}s (a business is at "
        f"a level only when every {noun} has reached it). Mean: the average level over "
        f"the assessed {noun}s.{upper}"
    )
    return {
        "n_assessed": n_done,
        "staged_level": _fmt(low),
        "staged_label": f"({batch.labels[int(low)]})" if n_done else "",
        "mean": _fmt(mean),
        "rule": rule,
        "staged_value": low,
        "mean_value": mean,
    }


def _peer_group(group: Mapping[Any, Any]) -> dict[str, str]:
    """The business's peer group as the page names it."""
    return {
        "kind": str(group["peer_kind"]),
        "text": (
            f"{group['peer_group']}, {int(group['n_peers'])} other businesses"
            if group["peer_kind"] != "none"
            else "none shown"
        ),
        "fallback": str(group["fallback"]),
        "group": str(group["peer_group"]),
    }


def _page(
    batch: _Batch,
    i: int,
    business_id: str,
    title_id: str,
    file_name: str,
    details: list[str],
    group: Mapping[Any, Any],
    previous: tuple[str, np.ndarray] | None,
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The context of one page (business ``i`` of the wave) and its suppressed cells."""
    inst = batch.instrument
    n = batch.n_stages
    levels = batch.stats["level"][i * n : (i + 1) * n].astype(float)
    plan = plan_records(inst, levels, batch.target)
    boxes = [float(r["box_score"]) for r in plan]
    stages, suppressed = _stage_rows(
        batch, i, levels, boxes, previous[1] if previous else None, f"{file_name}.html"
    )
    page = {
        "business_id": business_id,
        "file": f"{file_name}.html",
        "title_id": title_id,
        "details": details,
        "instrument_title": inst.title,
        "wave": batch.wave_label,
        "noun": inst.stage_noun,
        "n_stages": n,
        "min_level": inst.min_level,
        "max_level": inst.max_level,
        "target_level": batch.target,
        "target_label": batch.labels[batch.target],
        "k": batch.k,
        "overall": _overall(batch, levels),
        "peers": _peer_group(group),
        "stages": stages,
        "has_box_scores": bool(inst.box_scores),
        "has_change": previous is not None,
        "previous_wave": previous[0] if previous else None,
        "road_map": _road_map_rows(batch, levels, plan),
        "priority_rule": PRIORITY_RULE.format(noun=inst.stage_noun),
        "disclosure_note": batch.note,
        "inference_note": batch.inference,
        "source": batch.source,
        "version": __version__,
    }
    return page, suppressed


# -- the batch's disclosure manifest ----------------------------------------------------------


def _manifest(
    one: Cohort,
    groups: pd.DataFrame,
    k: int,
    key: bytes | None,
    show_names: bool,
    wave_label: str | None,
    pages: list[dict[str, Any]],
    suppressed_cells: list[dict[str, str]],
    show_identifying: bool = False,
) -> dict[str, Any]:
    """``disclosure.json``: k, the peer groups shown or hidden and why, every suppressed
    cell, whether ids were pseudonymised (with the key's check value) and the rules."""
    bands = []
    for band, sub in groups.groupby("size_band", sort=False, observed=True):
        used = bool((sub["peer_kind"] == "size_band").any())
        entry: dict[str, Any] = {"group": f"size band: {band}", "shown": used}
        if used:
            entry["n_businesses"] = len(sub)
        else:
            entry["reason"] = str(sub["fallback"].iloc[0])
            suppressed_cells.insert(
                0,
                {"page": "all", "cell": f"peer group: size band {band}", "reason": entry["reason"]},
            )
        bands.append(entry)
    return {
        "k": k,
        "anonymised": k > 1,
        "pseudonymised": key is not None,
        "key_check": key_check(key) if key else None,
        "free_text_shown": show_names,
        "identifying_shown": show_identifying,
        "instrument": one.instrument.name,
        "wave": wave_label,
        "returns_sha256": one.source.sha256,
        "n_pages": len(pages),
        "pages": sorted(str(p["file"]) for p in pages),
        "n_businesses_in_wave": len(groups),
        "peer_groups": bands,
        "suppressed": suppressed_cells,
        "rules": {
            "peer_group": (
                "the business's EU size band when it has at least k other businesses and is "
                "not hidden to protect a smaller band; else all audited businesses when they "
                "are at least k others; else no comparison"
            ),
            "per_stage": (
                "a peer statistic is shown only when at least k + 1 businesses of the peer "
                "group (the business itself included) were assessed on the stage"
            ),
            "across_pages": (
                "a size band is not used when the businesses outside the bands shown would "
                "be fewer than k + 1, and a statistic of all audited businesses is hidden on "
                "a stage where fewer than k + 1 of them were assessed, so that no two pages "
                "of the batch describe fewer than k + 1 businesses by difference"
            ),
            "identifying": (
                "staff numbers and audit dates appear as a size band and a month unless "
                "identifying_shown"
            ),
        },
    }


# -- public ------------------------------------------------------------------------------------


def business_pages(
    cohort: Cohort,
    business_ids: Sequence[str] | None = None,
    *,
    k: int = 5,
    target_level: int | None = None,
    wave: str | int | None = None,
    key: bytes | None = None,
    show_names: bool = False,
    show_identifying: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Everything the pages of a batch show, as plain data (no figures yet).

    Parameters
    ----------
    cohort : Cohort
        One or more waves; the report is of ``wave`` (default: the latest), and with
        an earlier wave the change since the business's previous audit is shown.
    business_ids : sequence of str, optional
        Default: every business of the wave.
    k : int
        Fewest other businesses a peer statistic may rest on (default 5; 1 = no
        disclosure control, which the pages then say).
    target_level : int, optional
        One of the instrument's levels; default its target level.
    wave : str or int, optional
        Wave label or code.
    key : bytes, optional
        Pseudonymisation key (:func:`cma_research.reporting.pseudonym.read_key`): pages
        then show ``P-…`` pseudonyms instead of ids.
    show_names : bool
        Show free-text fields (business name, type and assessor, from columns such as
        ``Name``, ``Type``, ``Assessor``); left out by default.
    show_identifying : bool
        Show the exact staff number and audit date (a column such as ``Audit date``);
        by default a page shows the EU size band and the month of the audit, which
        identify a business far less (see the module's *What a page identifies*).

    Returns
    -------
    tuple of (list of dict, dict)
        One context per page (in ``business_ids`` order) and the batch's disclosure
        manifest.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> cohort = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> pages, manifest = business_pages(cohort, ["B04"], k=4)
    >>> pages[0]["overall"]["staged_level"], pages[0]["peers"]["text"]
    ('2', 'micro businesses (size band), 10 other businesses')
    >>> pages[0]["details"]
    ['micro business (fewer than 10 staff)']
    >>> pages[0]["road_map"][0]["action"][:45]
    'Raise to level 3 (Performance targets): Targe'
    >>> manifest["k"], manifest["pseudonymised"]
    (4, False)
    """
    k = check_k(k, "k")
    inst = cohort.instrument
    target = check_target_level(inst, target_level)
    one, code, wave_label = _select_wave(cohort, wave)
    ids = [str(b) for b in one.scores.index.get_level_values("business_id")]
    chosen = _chosen_ids(cohort, ids, business_ids, wave, wave_label)
    groups = peer_groups(one, k)
    stats = peer_statistics(one, k, groups=groups)
    batch = _Batch(
        instrument=inst,
        k=k,
        target=target,
        wave_label=wave_label,
        stats={c: stats[c].to_numpy() for c in stats.columns},
        labels=inst.level_labels,
        note=_disclosure_note(k, key is not None),
        source=_source_text(one, key is not None),
        inference=inference_note(
            inst, k, pseudonymised=key is not None, show_identifying=show_identifying
        ),
    )
    previous = _previous_levels(cohort, code, chosen)
    title_ids = [pseudonymise(b, key) if key else b for b in chosen]
    position = {b: i for i, b in enumerate(ids)}
    attrs = one.attributes.reset_index(drop=True).to_dict("records")
    group_records = groups.to_dict("records")
    pages: list[dict[str, Any]] = []
    suppressed_cells: list[dict[str, str]] = []
    for bid, title_id, name in zip(chosen, title_ids, page_file_names(title_ids), strict=True):
        i = position[bid]
        page, suppressed = _page(
            batch,
            i,
            bid,
            title_id,
            name,
            _header_details(attrs[i], show_names, show_identifying),
            group_records[i],
            previous.get(bid),
        )
        pages.append(page)
        suppressed_cells += suppressed
    manifest = _manifest(
        one, groups, k, key, show_names, wave_label, pages, suppressed_cells, show_identifying
    )
    return pages, manifest


def index_context(pages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The batch's index page as data: one row per page, sorted by the id shown.

    Parameters
    ----------
    pages : sequence of dict
        The page contexts of :func:`business_pages` (at least one).

    Returns
    -------
    dict
        The instrument, wave, disclosure note and one row per page (staged level, mean,
        stages assessed, peer group, link), with sort keys for the table.
    """
    if not pages:
        raise ParameterError("pages is empty; an index needs at least one page")
    first = pages[0]
    rows = []
    for p in sorted(pages, key=lambda p: p["title_id"]):
        o = p["overall"]
        rows.append(
            {
                "title_id": p["title_id"],
                "staged": (f"{o['staged_level']} {o['staged_label']}" if o["n_assessed"] else "–"),
                "staged_sort": _fmt(o["staged_value"]) if o["n_assessed"] else "-1",
                "mean": o["mean"] or "–",
                "mean_sort": f"{o['mean_value']:.6f}" if o["n_assessed"] else "-1",
                "n_assessed": o["n_assessed"],
                "peer_group": p["peers"]["group"] or "none",
                "href": p["file"],
            }
        )
    return {
        "n": len(pages),
        "instrument_title": first["instrument_title"],
        "wave": first["wave"],
        "noun": first["noun"],
        "n_stages": first["n_stages"],
        "disclosure_note": first["disclosure_note"],
        "inference_note": first.get("inference_note", ""),
        "rows": rows,
    }

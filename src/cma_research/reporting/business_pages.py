"""The page contexts of the per-business reports: everything a page shows, as plain data.

:func:`business_pages` reads one audit wave of a cohort and returns, for each business,
the header, the stage levels and labels, the staged level and mean with their rule, the
position against a peer group of at least ``k`` other businesses, the road map and (with
earlier waves) the change since the previous audit, plus the batch's disclosure
manifest. Drawing and writing the pages is :mod:`cma_research.reporting.business`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from cma_research.analysis.disclosure import check_k
from cma_research.analysis.peers import peer_groups, peer_statistics
from cma_research.analysis.road_map import (
    PRIORITY_RULE,
    check_target_level,
    plan_records,
    staged_level,
)
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.instrument import normalise_label
from cma_research.core.pseudonym import pseudonymise
from cma_research.core.text import MINUS
from cma_research.reporting.business_batch import _file_names, _manifest

__all__ = ["ASSESSOR_HEADERS", "DATE_HEADERS", "NAME_HEADERS", "business_pages"]

#: Attribute headers read as the audit date and the assessor (normalised spellings).
DATE_HEADERS = ("audit date", "date", "date of audit", "audited on", "assessment date")
NAME_HEADERS = ("name", "business name", "company", "company name", "organisation", "client")
ASSESSOR_HEADERS = ("assessor", "auditor", "assessed by", "audited by", "consultant")


def _fmt(v: float, digits: int = 2) -> str:
    """A number for a page: whole numbers without decimals, a true minus sign."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    text = f"{v:.0f}" if float(v).is_integer() else f"{v:.{digits}f}".rstrip("0")
    return text.replace("-", MINUS)


def _missing(value: object) -> bool:
    """None, pd.NA or NaN (a blank cell, whatever the column's dtype)."""
    try:
        return value is None or bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _attribute(attrs: Mapping[Any, Any], headers: Sequence[str]) -> str | None:
    for name, value in attrs.items():
        if normalise_label(str(name)) in headers and not _missing(value):
            text = str(value).strip()
            if text:
                return text
    return None


def _nearest(wanted: str, ids: Sequence[str]) -> str:
    close = difflib.get_close_matches(wanted, ids, n=5, cutoff=0.5)
    if close:
        return f"nearest ids: {', '.join(close)}"
    return f"ids: {', '.join(ids[:6])}{', ...' if len(ids) > 6 else ''}"


def _select_wave(cohort: Cohort, wave: str | int | None) -> tuple[Cohort, int, str | None]:
    """The wave to report (default: the latest), its code and label (None if only one)."""
    waves = list(cohort.waves)
    label = waves[-1] if wave is None else wave
    one = cohort.select_wave(label)
    code = int(one.scores.index.get_level_values("wave")[0]) if len(one) else 0
    return one, code, (str(one.waves[0]) if len(waves) > 1 else None)


def business_pages(
    cohort: Cohort,
    business_ids: Sequence[str] | None = None,
    *,
    k: int = 5,
    target_level: int | None = None,
    wave: str | int | None = None,
    key: bytes | None = None,
    show_names: bool = False,
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
        Pseudonymisation key (:func:`cma_research.core.pseudonym.read_key`): pages
        then show ``P-…`` pseudonyms instead of ids.
    show_names : bool
        Show free-text fields (business name, type and assessor, from columns such as
        ``Name``, ``Type``, ``Assessor``); left out by default. The audit date (a column
        such as ``Audit date``) and staff are always shown.

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
    >>> pages, manifest = business_pages(cohort, ["B04"])
    >>> pages[0]["overall"]["staged_level"], pages[0]["peers"]["text"]
    ('2', 'micro businesses (size band), 10 other businesses')
    >>> pages[0]["road_map"][0]["action"][:45]
    'Raise to level 3 (Performance targets): Targe'
    >>> manifest["k"], manifest["pseudonymised"]
    (5, False)
    """
    k = check_k(k, "k")
    inst = cohort.instrument
    target = check_target_level(inst, target_level)
    one, code, wave_label = _select_wave(cohort, wave)
    ids = [str(b) for b in one.scores.index.get_level_values("business_id")]
    if not ids:
        raise ParameterError(f"wave {wave!r} has no businesses")
    chosen = list(ids) if business_ids is None else [str(b) for b in business_ids]
    if not chosen:
        raise ParameterError("business_ids is empty; give at least one id, or None for all")
    position = {b: i for i, b in enumerate(ids)}
    for b in chosen:
        if b not in position:
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
    groups = peer_groups(one, k)
    stats = peer_statistics(one, k, groups=groups)
    n_stages = len(inst.stages)
    stat_cols = {c: stats[c].to_numpy() for c in stats.columns}
    label_of = {lv.value: lv.label for lv in inst.levels}
    noun = inst.stage_noun
    previous = _previous_levels(cohort, code, chosen)
    names = _file_names([pseudonymise(b, key) if key else b for b in chosen])
    attr_records = one.attributes.reset_index(drop=True).to_dict("records")
    group_records = groups.to_dict("records")
    pages: list[dict[str, Any]] = []
    suppressed_cells: list[dict[str, str]] = []
    from cma_research.core.version import __version__

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
    if key is not None:
        note += " Business ids are replaced by keyed pseudonyms."
    source = f"returns SHA-256 {one.source.sha256[:16]}…"
    if key is None:
        source = f"{Path(one.source.path).name}, " + source
    for bid, fname in zip(chosen, names, strict=True):
        i = position[bid]
        rows = slice(i * n_stages, (i + 1) * n_stages)
        levels = stat_cols["level"][rows].astype(float)
        plan = plan_records(inst, levels, target)
        boxes = [float(r["box_score"]) for r in plan]
        actions = [str(r["action"]) for r in plan]
        j_priority = [int(r["priority"]) for r in plan]
        g = group_records[i]
        attrs = attr_records[i]
        title_id = pseudonymise(bid, key) if key else bid
        details = []
        name = _attribute(attrs, NAME_HEADERS) if show_names else None
        if name:
            details.append(name)
        btype = attrs.get("business_type")
        if show_names and not _missing(btype) and str(btype).strip():
            details.append(str(btype))
        staff = attrs.get("staff")
        if not _missing(staff):
            details.append(f"{int(cast(int, staff))} staff")
        date = _attribute(attrs, DATE_HEADERS)
        if date:
            details.append(f"audited {date}")
        assessor = _attribute(attrs, ASSESSOR_HEADERS) if show_names else None
        if assessor:
            details.append(f"assessor: {assessor}")
        low, mean, n_done = staged_level(levels)
        prev = previous.get(bid)
        stage_rows = []
        for j, stage in enumerate(inst.stages):
            r = i * n_stages + j
            lv = levels[j]
            assessed = not np.isnan(lv)
            sup = bool(stat_cols["suppressed"][r])
            if sup:
                suppressed_cells.append(
                    {
                        "page": f"{fname}.html",
                        "cell": f"peer statistics, {noun} {stage.number}",
                        "reason": str(stat_cols["reason"][r]),
                    }
                )
            position_text = ""
            if not sup and assessed:
                position_text = (
                    f"{_fmt(stat_cols['rank'][r])} of {int(stat_cols['n_ranked'][r])}; "
                    f"above {_fmt(100 * stat_cols['peer_share_below'][r], 0)}% of "
                    f"{int(stat_cols['n_assessed'][r])} peers"
                )
            elif not sup:
                position_text = f"{int(stat_cols['n_assessed'][r])} peers assessed"
            stage_rows.append(
                {
                    "number": stage.number,
                    "name": stage.name,
                    "short_name": stage.short_name,
                    "assessed": assessed,
                    "level": _fmt(lv),
                    "level_label": label_of[int(lv)] if assessed else "",
                    "box_score": _fmt(boxes[j]) if assessed else "",
                    "peer_suppressed": sup,
                    "peer_reason": str(stat_cols["reason"][r]),
                    "peer_median": _fmt(stat_cols["median"][r]),
                    "position": position_text,
                    "change": _change_text(prev[1][j], lv) if prev else "",
                    "fig_level": float(lv),
                    "fig_median": float(stat_cols["median"][r]),
                    "fig_q1": float(stat_cols["q1"][r]),
                    "fig_q3": float(stat_cols["q3"][r]),
                }
            )
        road = []
        for j in sorted(range(n_stages), key=j_priority.__getitem__):
            lv = levels[j]
            road.append(
                {
                    "priority": int(j_priority[j]),
                    "name": inst.stages[j].name,
                    "assessed": not math.isnan(lv),
                    "now": f"{_fmt(lv)} ({label_of[int(lv)]})"
                    if not math.isnan(lv)
                    else "not assessed",
                    "action": str(actions[j]),
                }
            )
        if n_done < n_stages:
            upper = (
                f" {n_stages - n_done} {noun}(s) not assessed, so the staged level is an "
                "upper bound: it can only stay or fall once they are assessed."
            )
        else:
            upper = ""
        rule = (
            f"Staged level: the lowest level among the assessed {noun}s (a business is at "
            f"a level only when every {noun} has reached it). Mean: the average level over "
            f"the assessed {noun}s.{upper}"
        )
        pages.append(
            {
                "business_id": bid,
                "file": f"{fname}.html",
                "title_id": title_id,
                "details": details,
                "instrument_title": inst.title,
                "wave": wave_label,
                "noun": noun,
                "n_stages": n_stages,
                "min_level": inst.min_level,
                "max_level": inst.max_level,
                "target_level": target,
                "target_label": label_of[target],
                "k": k,
                "overall": {
                    "n_assessed": n_done,
                    "staged_level": _fmt(low),
                    "staged_label": f"({label_of[int(low)]})" if n_done else "",
                    "mean": _fmt(mean),
                    "rule": rule,
                    "staged_value": low,
                    "mean_value": mean,
                },
                "peers": {
                    "kind": str(g["peer_kind"]),
                    "text": (
                        f"{g['peer_group']}, {int(g['n_peers'])} other businesses"
                        if g["peer_kind"] != "none"
                        else "none shown"
                    ),
                    "fallback": str(g["fallback"]),
                    "group": str(g["peer_group"]),
                },
                "stages": stage_rows,
                "has_box_scores": bool(inst.box_scores),
                "has_change": prev is not None,
                "previous_wave": prev[0] if prev else None,
                "road_map": road,
                "priority_rule": PRIORITY_RULE.format(noun=noun),
                "disclosure_note": note,
                "source": source,
                "version": __version__,
            }
        )
    manifest = _manifest(one, groups, k, key, show_names, wave_label, pages, suppressed_cells)
    return pages, manifest


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

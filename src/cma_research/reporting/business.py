"""Per-business audit reports for consultants, one page per business, for a programme.

For each business of one audit wave: a header (id or keyed pseudonym, type, staff,
audit date and assessor when the returns carry them, instrument), the level and label of
every stage (and the instrument's box score when it defines one), the staged level and
mean with their rule, the position against a peer group of at least ``k`` other
businesses (see :mod:`cma_research.analysis.peers`), a radar and a strip chart, the
road map in priority order (:mod:`cma_research.analysis.road_map`), and with earlier
waves the change since the previous audit. One self-contained HTML page each (figures
embedded, no network requests, a print stylesheet for A4), written atomically and
byte-identical for the same input.

A batch (:func:`write_business_reports`) also writes ``disclosure.json`` (k, the
cells suppressed and why, whether ids were pseudonymised) and, last, ``index.html``.
Everything is checked before the first file is written.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import hmac
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
from cma_research.core.executor import run_tasks
from cma_research.core.files import ensure_inside, guard_not_raw, safe_filename, write_atomic
from cma_research.core.instrument import normalise_label
from cma_research.core.pseudonym import pseudonymise
from cma_research.core.text import MINUS

__all__ = [
    "BatchResult",
    "business_pages",
    "page_figures",
    "render_business_page",
    "write_business_report",
    "write_business_reports",
]

#: File names of a batch that no business page may take.
RESERVED_NAMES = ("index", "disclosure")
#: Attribute headers read as the audit date and the assessor (normalised spellings).
DATE_HEADERS = ("audit date", "date", "date of audit", "audited on", "assessment date")
NAME_HEADERS = ("name", "business name", "company", "company name", "organisation", "client")
ASSESSOR_HEADERS = ("assessor", "auditor", "assessed by", "audited by", "consultant")
_DPI = 110


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


@dataclass(frozen=True)
class BatchResult:
    """What :func:`write_business_reports` wrote.

    Attributes
    ----------
    pages : dict of str to Path
        Business id (never the pseudonym) to its page.
    index : Path or None
        ``index.html`` (None when writing single pages).
    manifest : Path or None
        ``disclosure.json``.
    disclosure : dict
        The manifest's content.
    """

    pages: dict[str, Path]
    index: Path | None
    manifest: Path | None
    disclosure: dict[str, Any] = field(default_factory=dict)


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


def _file_names(shown_ids: Sequence[str]) -> list[str]:
    """Safe, distinct file names (also on case-insensitive file systems), none reserved."""
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


def _manifest(
    one: Cohort,
    groups: pd.DataFrame,
    k: int,
    key: bytes | None,
    show_names: bool,
    wave_label: str | None,
    pages: list[dict[str, Any]],
    suppressed_cells: list[dict[str, str]],
) -> dict[str, Any]:
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
    key_id = (
        hmac.new(key, b"cma_research pseudonym key check", hashlib.sha256).hexdigest()[:8]
        if key
        else None
    )
    return {
        "k": k,
        "anonymised": k > 1,
        "pseudonymised": key is not None,
        "key_check": key_id,
        "free_text_shown": show_names,
        "instrument": one.instrument.name,
        "wave": wave_label,
        "returns_sha256": one.source.sha256,
        "n_pages": len(pages),
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
        },
    }


# -- figures and HTML ----------------------------------------------------------------


def page_figures(page: dict[str, Any]) -> tuple[bytes, bytes]:
    """The radar and strip PNGs of one page context (the work a page cannot do without).

    Returns
    -------
    tuple of bytes
        The radar's and the strip's PNG files.
    """
    from cma_research.plotting.business import radar_figure, strip_figure
    from cma_research.plotting.style import cma_style
    from cma_research.reporting.files import FIGURE_METADATA

    table = pd.DataFrame(
        {
            "stage": [str(s["number"]) for s in page["stages"]],
            "short_name": [s["short_name"] for s in page["stages"]],
            "level": [s["fig_level"] for s in page["stages"]],
            "median": [s["fig_median"] for s in page["stages"]],
            "q1": [s["fig_q1"] for s in page["stages"]],
            "q3": [s["fig_q3"] for s in page["stages"]],
        }
    )
    with cma_style():
        radar = radar_figure(table, target_level=page["target_level"], max_level=page["max_level"])
        strip = strip_figure(
            table,
            min_level=page["min_level"],
            max_level=page["max_level"],
            target_level=page["target_level"],
        )
        return _png(radar, FIGURE_METADATA["png"]), _png(strip, FIGURE_METADATA["png"])


def _png(fig: Any, metadata: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata=metadata)
    return buf.getvalue()


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("cma_research.reporting", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_business_page(page: dict[str, Any], figures: tuple[bytes, bytes] | None = None) -> str:
    """The HTML of one page context from :func:`business_pages` (figures drawn if not given)."""
    radar, strip = page_figures(page) if figures is None else figures
    ctx = dict(page)
    ctx["radar_width"] = int(5.4 * 96)  # plotting.business.RADAR_SIZE (no matplotlib here)
    ctx["strip_width"] = int(4.4 * 96)  # plotting.business.STRIP_WIDTH
    return str(
        _environment()
        .get_template("business.html.j2")
        .render(
            page=ctx,
            radar_png=base64.b64encode(radar).decode("ascii"),
            strip_png=base64.b64encode(strip).decode("ascii"),
        )
    )


def _render_and_write(job: tuple[dict[str, Any], str]) -> int:
    page, target = job
    html = render_business_page(page).encode("utf-8")
    write_atomic(target, html)
    return len(html)


def _check_scheduler(address: str) -> None:
    if not isinstance(address, str) or not address.strip():
        raise ParameterError(f"scheduler={address!r} must be an address such as 'tcp://host:8786'")
    try:
        import dask.distributed  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        raise ParameterError(
            f"scheduler={address!r} needs dask.distributed, which is not installed; "
            "install it with: pip install 'dask[distributed]'"
        ) from None


def _index_html(pages: list[dict[str, Any]], manifest: dict[str, Any]) -> str:
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
    index = {
        "n": len(pages),
        "instrument_title": first["instrument_title"],
        "wave": first["wave"],
        "noun": first["noun"],
        "n_stages": first["n_stages"],
        "disclosure_note": first["disclosure_note"],
        "rows": rows,
    }
    return str(_environment().get_template("index.html.j2").render(index=index))


def write_business_reports(
    cohort: Cohort,
    output_dir: str | Path,
    business_ids: Sequence[str] | None = None,
    *,
    k: int = 5,
    target_level: int | None = None,
    wave: str | int | None = None,
    key: bytes | None = None,
    show_names: bool = False,
    jobs: int = 1,
    index: bool = True,
    manifest_name: str = "disclosure.json",
    scheduler: str | None = None,
) -> BatchResult:
    """Write the pages of a batch, its disclosure manifest and (last) its index.

    Parameters are those of :func:`business_pages`, and:

    output_dir : path
        Folder for the pages; every file is checked to lie inside it (no symbolic
        link out of it, no id used as a path).
    jobs : int
        Pages rendered at once (processes), through the build's executor
        (:func:`cma_research.core.executor.run_tasks`).
    scheduler : str, optional
        A Dask scheduler address: the pages are rendered on that cluster instead.
    index : bool
        Write ``index.html`` (after everything else, atomically).
    manifest_name : str
        File name of the disclosure manifest.

    Returns
    -------
    BatchResult

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> import tempfile
    >>> from cma_research import load_returns
    >>> cohort = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     result = write_business_reports(cohort, d, ["B04", "B16"], k=5)
    ...     sorted(p.name for p in Path(d).iterdir())
    ['B04.html', 'B16.html', 'disclosure.json', 'index.html']
    >>> [g["group"] for g in result.disclosure["peer_groups"] if not g["shown"]]
    ['size band: small', 'size band: medium']
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"jobs={jobs!r} must be a whole number >= 1")
    if scheduler is not None:  # fail before anything is written, not after the pages
        _check_scheduler(scheduler)
    root = guard_not_raw(output_dir)
    pages, manifest = business_pages(
        cohort,
        business_ids,
        k=k,
        target_level=target_level,
        wave=wave,
        key=key,
        show_names=show_names,
    )
    targets = [ensure_inside(root, root / p["file"]) for p in pages]
    manifest_path = ensure_inside(root, root / manifest_name)
    index_path = ensure_inside(root, root / "index.html")
    run_tasks(
        _render_and_write,
        [(p, str(t)) for p, t in zip(pages, targets, strict=True)],
        jobs=jobs,
        scheduler=scheduler,
    )
    write_atomic(
        manifest_path,
        (json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode(),
    )
    if index:
        write_atomic(index_path, _index_html(pages, manifest).encode("utf-8"))
    return BatchResult(
        pages={p["business_id"]: t for p, t in zip(pages, targets, strict=True)},
        index=index_path if index else None,
        manifest=manifest_path,
        disclosure=manifest,
    )


def write_business_report(
    cohort: Cohort,
    business_id: str,
    path: str | Path,
    *,
    target_level: int | None = None,
    k: int = 5,
    wave: str | int | None = None,
    key: bytes | None = None,
    show_names: bool = False,
) -> Path:
    """Write the self-contained HTML report of one business to ``path``.

    See :func:`business_pages` for the parameters. Free text (business type, assessor)
    is left out unless ``show_names``; with ``key`` the page shows a keyed pseudonym.
    Written atomically; byte-identical for the same input.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> import tempfile
    >>> from cma_research import load_returns
    >>> cohort = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     page = write_business_report(cohort, "B04", Path(d) / "B04.html")
    ...     "Road map" in page.read_text(encoding="utf-8")
    True
    """
    pages, _ = business_pages(
        cohort,
        [business_id],
        k=k,
        target_level=target_level,
        wave=wave,
        key=key,
        show_names=show_names,
    )
    target = Path(path)
    html = render_business_page(pages[0]).encode("utf-8")
    write_atomic(target, html)
    return target

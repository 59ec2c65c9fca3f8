"""Per-business audit reports for consultants, one page per business, for a programme:
drawing and writing the pages.

For each business of one audit wave: a header (id or keyed pseudonym, type, staff,
audit date and assessor when the returns carry them, instrument), the level and label of
every stage (and the instrument's box score when it defines one), the staged level and
mean with their rule, the position against a peer group of at least ``k`` other
businesses (see :mod:`cma_research.analysis.peers`), a radar and a strip chart, the
road map in priority order (:mod:`cma_research.analysis.road_map`), and with earlier
waves the change since the previous audit. What a page shows is computed as plain data
by :mod:`cma_research.reporting.business_pages`; this module draws the figures, renders
the templates and writes one self-contained HTML page each (figures embedded, no
network requests, a print stylesheet for A4), atomically and byte-identical for the
same input.

A batch (:func:`write_business_reports`) also writes ``disclosure.json`` (k, the
cells suppressed and why, whether ids were pseudonymised, the pages) and, last,
``index.html``. Everything is checked before the first file is written.

**One batch at a time, never a mixed folder.** A batch takes the output folder's lock
(the build's: a second writer refuses with one line), marks the folder in progress and
renders its pages into a hidden folder of its own inside it; only then are they moved
into place, the manifest written and the index last. Pages of earlier batches with
other settings (real ids beside pseudonyms, another key, k, wave or returns) are
removed first, and an ``--all`` batch replaces every earlier batch; a pseudonymised
batch also removes any page named after a real id of the cohort. A batch killed while
rendering leaves the folder as it was; one killed while moving its pages is detected by
the next batch, which removes every page no manifest lists.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from cma_research.analysis.executor import probe_scheduler, run_tasks
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.files import (
    ensure_inside,
    folder_lock,
    guard_not_raw,
    mark_in_progress,
    read_json,
    write_atomic,
)
from cma_research.reporting.business_pages import business_pages, index_context, page_file_names

__all__ = [
    "BATCH_IN_PROGRESS",
    "BatchResult",
    "page_figures",
    "page_svgs",
    "render_business_page",
    "write_business_report",
    "write_business_reports",
]

_DPI = 110


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
    removed : list of Path
        Files of earlier batches removed from the folder (other settings, real ids
        beside pseudonyms, or left by a batch that was killed).
    """

    pages: dict[str, Path]
    index: Path | None
    manifest: Path | None
    disclosure: dict[str, Any] = field(default_factory=dict)
    removed: list[Path] = field(default_factory=list)


# -- figures and HTML ----------------------------------------------------------------


def _figure_table(page: dict[str, Any]) -> dict[str, list[Any]]:
    """The numbers a page's figures draw: column name -> one value per stage."""
    stages = page["stages"]
    return {
        "stage": [str(s["number"]) for s in stages],
        "short_name": [s["short_name"] for s in stages],
        "level": [s["fig_level"] for s in stages],
        "median": [s["fig_median"] for s in stages],
        "q1": [s["fig_q1"] for s in stages],
        "q3": [s["fig_q3"] for s in stages],
    }


def page_figures(page: dict[str, Any]) -> tuple[bytes, bytes]:
    """The radar and strip of one page context as PNG files, drawn by matplotlib.

    For print or slides; the pages themselves draw the same figures as SVG
    (:func:`page_svgs`).

    Returns
    -------
    tuple of bytes
        The radar's and the strip's PNG files.
    """
    from cma_research.plotting.business import radar_figure, strip_figure
    from cma_research.plotting.style import cma_style
    from cma_research.reporting.files import FIGURE_METADATA

    table = pd.DataFrame(_figure_table(page))
    with cma_style():
        radar = radar_figure(table, target_level=page["target_level"], max_level=page["max_level"])
        strip = strip_figure(
            table,
            min_level=page["min_level"],
            max_level=page["max_level"],
            target_level=page["target_level"],
        )
        return _png(radar, FIGURE_METADATA["png"]), _png(strip, FIGURE_METADATA["png"])


def page_svgs(page: dict[str, Any]) -> tuple[str, str]:
    """The radar and strip of one page context as SVG text (what a page embeds).

    The marks, colours and layout of :func:`page_figures`' matplotlib figures, drawn
    from the numbers without matplotlib (:func:`~cma_research.plotting.business.radar_svg`,
    :func:`~cma_research.plotting.business.strip_svg`): a few kilobytes and a few
    milliseconds a page, sharp in print. Their legends are part of the page.
    """
    from cma_research.plotting.business import radar_svg, strip_svg

    table = _figure_table(page)
    noun = page["noun"]
    radar = radar_svg(
        table,
        target_level=page["target_level"],
        max_level=page["max_level"],
        label=f"radar chart: this business's level on each {noun} against its peers' "
        "median and interquartile range",
    )
    strip = strip_svg(
        table,
        min_level=page["min_level"],
        max_level=page["max_level"],
        target_level=page["target_level"],
        label=f"strip chart: this business's level on each {noun} with its peers' "
        "median and interquartile range",
    )
    return radar, strip


def _legends(page: dict[str, Any]) -> dict[str, list[tuple[Any, str]]]:
    from markupsafe import Markup

    from cma_research.plotting.business import svg_legend

    stages = page["stages"]
    peers = any(not math.isnan(s["fig_median"]) for s in stages)
    business = any(not math.isnan(s["fig_level"]) for s in stages)
    return {
        kind: [
            (Markup(swatch), text)  # fixed marks, no data
            for swatch, text in svg_legend(
                kind, peers=peers, business=business, target_level=page["target_level"]
            )
        ]
        for kind in ("radar", "strip")
    }


def _png(fig: Any, metadata: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata=metadata)
    return buf.getvalue()


@cache
def _environment() -> Any:
    """The pages' template environment (made once per process; templates compiled once)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("cma_research.reporting", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_business_page(page: dict[str, Any], figures: tuple[str, str] | None = None) -> str:
    """The HTML of one page context of
    :func:`~cma_research.reporting.business_pages.business_pages`.

    ``figures`` are its radar and strip as SVG (:func:`page_svgs`), drawn if not given.
    """
    from markupsafe import Markup

    radar, strip = page_svgs(page) if figures is None else figures
    legends = _legends(page)
    return str(
        _environment()
        .get_template("business.html.j2")
        .render(
            page=page,
            radar_svg=Markup(radar),  # every text in it is escaped (plotting.business)
            strip_svg=Markup(strip),
            radar_legend=legends["radar"],
            strip_legend=legends["strip"],
        )
    )


def _render_and_write(job: tuple[dict[str, Any], str]) -> int:
    page, target = job
    html = render_business_page(page).encode("utf-8")
    write_atomic(target, html)
    return len(html)


def _index_html(pages: list[dict[str, Any]]) -> str:
    return str(_environment().get_template("index.html.j2").render(index=index_context(pages)))


#: The marker of a folder a batch is writing (a killed batch leaves it; the next cleans up).
BATCH_IN_PROGRESS = ".batch-in-progress"
#: Prefix of a batch's own folder inside the output folder, where its pages are rendered.
_STAGING = ".batch-run-"
_PAGE = re.compile(r"[A-Za-z0-9_-]{1,120}\.html")
_SETTINGS = (
    "pseudonymised",
    "key_check",
    "k",
    "wave",
    "returns_sha256",
    "instrument",
    "free_text_shown",
    "identifying_shown",
)


def _earlier_manifests(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The disclosure manifests in ``root`` (an unusable one as an empty mapping)."""
    found = []
    for path in sorted(root.glob("disclosure*.json")):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            found.append((path, dict(read_json(path, expect=dict))))
        except (OSError, ValueError):
            found.append((path, {}))
    return found


def _listed_pages(root: Path, manifest: Mapping[str, Any]) -> list[Path]:
    """The pages a manifest lists that are plain page names in ``root``."""
    listed = manifest.get("pages")
    if not isinstance(listed, list):
        return []
    return [root / str(f) for f in listed if isinstance(f, str) and _PAGE.fullmatch(f)]


def _clean_interrupted(root: Path) -> list[Path]:
    """After a batch that was killed: remove its folder and every page no manifest lists."""
    removed: list[Path] = []
    for staging in root.glob(f"{_STAGING}*"):
        if staging.is_dir() and not staging.is_symlink():
            shutil.rmtree(staging, ignore_errors=True)
    marker = root / BATCH_IN_PROGRESS
    if not marker.exists():
        return removed
    manifests = _earlier_manifests(root)
    listed = {p for _, m in manifests for p in _listed_pages(root, m)}
    for page in sorted(root.glob("*.html")):
        if page.name != "index.html" and page not in listed and not page.is_dir():
            page.unlink()
            removed.append(page)
    batch = dict(manifests).get(root / "disclosure.json", {})
    index = root / "index.html"
    if index.exists() and (not batch or any(not p.is_file() for p in _listed_pages(root, batch))):
        index.unlink()
        removed.append(index)
    marker.unlink(missing_ok=True)
    return removed


def _stale(
    root: Path,
    manifest: Mapping[str, Any],
    manifest_path: Path,
    full_batch: bool,
    real_names: Sequence[str],
) -> list[Path]:
    """Files of earlier batches this batch must remove before its pages go in."""
    mine = tuple(manifest.get(k) for k in _SETTINGS)
    stale: list[Path] = []
    other_settings = False
    for path, old in _earlier_manifests(root):
        differs = tuple(old.get(k) for k in _SETTINGS) != mine
        other_settings |= differs
        if full_batch or differs or path == manifest_path:
            stale += [*_listed_pages(root, old), path]
    if manifest.get("pseudonymised"):  # never a real id's page beside pseudonyms
        stale += [root / f"{name}.html" for name in real_names]
    if full_batch or other_settings:
        stale.append(root / "index.html")
    return stale


def _manifest_file_name(pages: Sequence[Mapping[str, Any]], full_batch: bool) -> str:
    """``disclosure.json`` for a full batch; else a name from the ids the pages show
    (pseudonyms when pseudonymised: never derived from a real id)."""
    if full_batch:
        return "disclosure.json"
    shown = "\0".join(str(p["title_id"]) for p in pages)
    return (
        f"disclosure-{hashlib.sha256(shown.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}.json"
    )


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
    show_identifying: bool = False,
    jobs: int = 1,
    index: bool = True,
    manifest_name: str | None = None,
    scheduler: str | None = None,
) -> BatchResult:
    """Write the pages of a batch, its disclosure manifest and (last) its index.

    Parameters are those of
    :func:`~cma_research.reporting.business_pages.business_pages`, and:

    output_dir : path
        Folder for the pages; every file is checked to lie inside it (no symbolic
        link out of it, no id used as a path). One batch (or build) at a time writes
        to it; see the module's *One batch at a time*.
    jobs : int
        Pages rendered at once (processes), through the build's executor
        (:func:`cma_research.analysis.executor.run_tasks`).
    scheduler : str, optional
        A Dask scheduler address: the pages are rendered on that cluster instead (its
        workers must see the output folder). Checked before anything is written.
    index : bool
        A full batch: write ``index.html`` (after everything else, atomically), and
        replace every earlier batch in the folder.
    manifest_name : str, optional
        File name of the disclosure manifest (default ``disclosure.json`` with
        ``index``, else ``disclosure-<hash of the ids shown>.json``: pseudonyms when
        pseudonymised, never a real id).

    Returns
    -------
    BatchResult

    Raises
    ------
    ReportBuildError
        Another batch or build is writing to the folder.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> import tempfile
    >>> from cma_research import load_returns
    >>> cohort = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     result = write_business_reports(cohort, d, ["B04", "B16"], k=4)
    ...     sorted(p.name for p in Path(d).iterdir() if not p.name.startswith("."))
    ['B04.html', 'B16.html', 'disclosure.json', 'index.html']
    >>> [g["group"] for g in result.disclosure["peer_groups"] if not g["shown"]]
    ['size band: small', 'size band: medium']
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"jobs={jobs!r} must be a whole number >= 1")
    root = guard_not_raw(output_dir)
    pages, manifest = business_pages(
        cohort,
        business_ids,
        k=k,
        target_level=target_level,
        wave=wave,
        key=key,
        show_names=show_names,
        show_identifying=show_identifying,
    )
    names = [str(p["file"]) for p in pages]
    targets = [ensure_inside(root, root / n) for n in names]
    manifest_path = ensure_inside(root, root / (manifest_name or _manifest_file_name(pages, index)))
    index_path = ensure_inside(root, root / "index.html")
    if scheduler is not None:  # fail before anything is written, not after the pages
        probe_scheduler(scheduler, label="--scheduler")
    real_ids = sorted({str(b) for b in cohort.scores.index.get_level_values("business_id")})
    real_names = page_file_names(real_ids) if key else []
    root.mkdir(parents=True, exist_ok=True)
    with folder_lock(root, "batch of business reports (or a build)"):
        removed = _clean_interrupted(root)
        mark_in_progress(root, BATCH_IN_PROGRESS)
        staging = Path(tempfile.mkdtemp(prefix=_STAGING, dir=root))
        touched = False  # whether this batch changed the folder yet
        try:
            run_tasks(
                _render_and_write,
                [(p, str(staging / n)) for p, n in zip(pages, names, strict=True)],
                jobs=jobs,
                scheduler=scheduler,
            )
            # the index first, then every page and manifest of the batches replaced (those
            # of the same name too): a kill from here on leaves fewer pages, never a mix
            stale = _stale(root, manifest, manifest_path, index, real_names)
            for path in sorted(set(stale), key=lambda p: (p.name != "index.html", p.name)):
                if path.is_file() or path.is_symlink():
                    touched = True
                    path.unlink()
                    if path not in targets and path != manifest_path:
                        removed.append(path)
            touched = True
            for name, target in zip(names, targets, strict=True):
                os.replace(staging / name, target)
            text = json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
            write_atomic(manifest_path, text.encode())
            if index:
                write_atomic(index_path, _index_html(pages).encode("utf-8"))
        except BaseException:
            if not touched:  # the folder is as it was: no marker left behind
                (root / BATCH_IN_PROGRESS).unlink(missing_ok=True)
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        (root / BATCH_IN_PROGRESS).unlink(missing_ok=True)
    return BatchResult(
        pages={p["business_id"]: t for p, t in zip(pages, targets, strict=True)},
        index=index_path if index else None,
        manifest=manifest_path,
        disclosure=manifest,
        removed=sorted(set(removed)),
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
    show_identifying: bool = False,
) -> Path:
    """Write the self-contained HTML report of one business to ``path``.

    See :func:`~cma_research.reporting.business_pages.business_pages` for the
    parameters. Free text (business type, assessor) is left out unless ``show_names``;
    staff and audit date appear as a size band and a month unless ``show_identifying``;
    with ``key`` the page shows a keyed pseudonym.
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
        show_identifying=show_identifying,
    )
    target = Path(path)
    html = render_business_page(pages[0]).encode("utf-8")
    write_atomic(target, html)
    return target

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
cells suppressed and why, whether ids were pseudonymised) and, last, ``index.html``.
Everything is checked before the first file is written.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from cma_research.analysis.executor import run_tasks
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.core.files import ensure_inside, guard_not_raw, write_atomic
from cma_research.reporting.business_pages import business_pages, index_context

__all__ = [
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
    """

    pages: dict[str, Path]
    index: Path | None
    manifest: Path | None
    disclosure: dict[str, Any] = field(default_factory=dict)


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


def _check_scheduler(address: str) -> None:
    """Refuse a scheduler address that cannot work, before anything is written."""
    if not isinstance(address, str) or not address.strip():
        raise ParameterError(f"scheduler={address!r} must be an address such as 'tcp://host:8786'")
    try:
        import dask.distributed  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        raise ParameterError(
            f"scheduler={address!r} needs dask.distributed, which is not installed; "
            "install it with: pip install 'dask[distributed]'"
        ) from None


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

    Parameters are those of
    :func:`~cma_research.reporting.business_pages.business_pages`, and:

    output_dir : path
        Folder for the pages; every file is checked to lie inside it (no symbolic
        link out of it, no id used as a path).
    jobs : int
        Pages rendered at once (processes), through the build's executor
        (:func:`cma_research.analysis.executor.run_tasks`).
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
        write_atomic(index_path, _index_html(pages).encode("utf-8"))
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

    See :func:`~cma_research.reporting.business_pages.business_pages` for the
    parameters. Free text (business type, assessor) is left out unless ``show_names``;
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
    )
    target = Path(path)
    html = render_business_page(pages[0]).encode("utf-8")
    write_atomic(target, html)
    return target

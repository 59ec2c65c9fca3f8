"""Report figures: the radar's text never overlaps, the strip draws what it is given."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

import cma_research as cma
from cma_research.datasets.synthetic import synthetic_cohort
from cma_research.plotting.business import (
    plot_stage_strip,
    radar_figure,
    radar_svg,
    strip_figure,
    strip_svg,
)
from cma_research.plotting.style import cma_style


def boxes(fig: Figure, ax: object) -> dict[str, list[Bbox]]:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    out = {
        "stage labels": [
            t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()
        ],  # type: ignore[attr-defined]
        "ring numbers": [
            t.get_window_extent(renderer) for t in ax.get_yticklabels() if t.get_text()
        ],  # type: ignore[attr-defined]
        "legend": [ax.get_legend().get_window_extent(renderer)],  # type: ignore[attr-defined]
    }
    return out


@pytest.mark.parametrize(
    ("instrument", "business"),
    [
        ("customer_wise_2007", "B01"),
        ("customer_wise_2007", "B04"),
        ("managing_customers_framework", "S01"),
    ],
)
def test_radar_text_never_overlaps(instrument: str, business: str) -> None:
    if instrument == "customer_wise_2007":
        cohort = cma.load_returns("data/raw/customer_wise_2007.csv")
    else:
        cohort = synthetic_cohort(30, seed=2, instrument=instrument)
    profile = cma.stage_profile(cohort, business)
    with cma_style():
        fig = radar_figure(profile, target_level=4)
        ax = fig.axes[0]
        found = boxes(fig, ax)
    groups = list(found.items())
    for (name_a, a), (name_b, b) in itertools.combinations(groups, 2):
        for x, y in itertools.product(a, b):
            assert not x.overlaps(y), (name_a, name_b, x, y)
    labels = found["stage labels"]
    for x, y in itertools.combinations(labels, 2):
        assert not x.overlaps(y)
    # everything inside the figure
    whole = fig.bbox
    for _, items in groups:
        for bb in items:
            assert (
                whole.x0 <= bb.x0 and bb.x1 <= whole.x1 and whole.y0 <= bb.y0 and bb.y1 <= whole.y1
            )
    # the ring numbers sit on the ray halfway between the first two stages
    assert ax.get_rlabel_position() == pytest.approx(180 / len(profile))  # type: ignore[attr-defined]


def test_strip_draws_levels_peers_and_gaps() -> None:
    table = pd.DataFrame(
        {
            "short_name": ["a", "b", "c"],
            "level": [2.0, np.nan, 5.0],
            "median": [3.0, 1.0, np.nan],
            "q1": [2.0, 0.5, np.nan],
            "q3": [4.0, 2.0, np.nan],
        }
    )
    with cma_style():
        fig = Figure(figsize=(4.4, 2.2))
        ax = fig.add_subplot()
        plot_stage_strip(table, target_level=4, ax=ax)
    dots = next(c for c in ax.collections if c.get_gid() == "business")
    # two dots only: the stage not assessed is not drawn at 0
    np.testing.assert_allclose(dots.get_offsets(), [[2.0, 2.0], [5.0, 0.0]])
    med = next(c for c in ax.collections if c.get_gid() == "peer_median")
    np.testing.assert_allclose(med.get_offsets(), [[3.0, 2.0], [1.0, 1.0]])
    bars = [p for p in ax.patches if p.get_gid() == "peer_iqr"]
    assert len(bars) == 2  # no bar where peer statistics are not shown
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["a", "b\n(not assessed)", "c"]
    assert next(ln for ln in ax.lines if ln.get_gid() == "target").get_xdata()[0] == 4


# -- the same figures as SVG (what the pages embed) -----------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def svg_text_boxes(svg: str) -> list[tuple[str, Bbox]]:
    """Every text of an SVG with its box, measured with the page font's own metrics."""
    import xml.etree.ElementTree as ET

    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    measure = TextToPath()
    out = []
    for text in ET.fromstring(svg).iter(f"{SVG}text"):
        size = float(text.get("font-size", "10"))
        anchor = text.get("text-anchor", "start")
        style = "italic" if text.get("font-style") == "italic" else "normal"
        prop = FontProperties(family="DejaVu Sans", size=size, style=style)
        spans = list(text.iter(f"{SVG}tspan")) or [text]
        for span in spans:
            content = "".join(span.itertext())
            w, h, d = measure.get_text_width_height_descent(content, prop, ismath=False)
            x = float(span.get("x", text.get("x", "0")))
            y = float(span.get("y", text.get("y", "0")))
            x0 = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
            out.append((content, Bbox([[x0, y - (h - d)], [x0 + w, y + d]])))
    return out


def _view(svg: str) -> Bbox:
    import xml.etree.ElementTree as ET

    _, _, w, h = (float(v) for v in ET.fromstring(svg).get("viewBox", "").split())
    return Bbox([[0, 0], [w, h]])


@pytest.mark.parametrize(
    ("instrument", "business"),
    [
        ("customer_wise_2007", "B01"),
        ("customer_wise_2007", "B04"),
        ("managing_customers_framework", "S01"),
    ],
)
def test_svg_figures_text_never_overlaps_or_leaves_the_figure(
    instrument: str, business: str
) -> None:
    if instrument == "customer_wise_2007":
        cohort = cma.load_returns("data/raw/customer_wise_2007.csv")
    else:
        cohort = synthetic_cohort(30, seed=2, instrument=instrument)
    profile = cma.stage_profile(cohort, business)
    for svg in (radar_svg(profile, target_level=4), strip_svg(profile, target_level=4)):
        found = svg_text_boxes(svg)
        assert found
        view = _view(svg)
        for (a, x), (b, y) in itertools.combinations(found, 2):
            assert not x.overlaps(y), (a, b)
        for content, box in found:
            assert view.x0 <= box.x0 and box.x1 <= view.x1, content
            assert view.y0 <= box.y0 and box.y1 <= view.y1, content


def _marks(svg: str, kind: str, tag: str) -> list[dict[str, str]]:
    import xml.etree.ElementTree as ET

    return [e.attrib for e in ET.fromstring(svg).iter(f"{SVG}{tag}") if e.get("class") == kind]


STRIP_TABLE = {
    "short_name": ["a", "b", "c"],
    "level": [2.0, np.nan, 5.0],
    "median": [3.0, 1.0, np.nan],
    "q1": [2.0, 0.5, np.nan],
    "q3": [4.0, 2.0, np.nan],
}


def test_svg_strip_draws_levels_peers_and_gaps_where_matplotlib_does() -> None:
    svg = strip_svg(STRIP_TABLE, target_level=4)
    with cma_style():
        fig = strip_figure(pd.DataFrame(STRIP_TABLE), target_level=4)
    ax = fig.axes[0]
    # points per data unit, from the figure's own axes (the SVG's unit is the point)
    x0, x1 = ax.get_xlim()
    scale = ax.get_position().width * fig.get_figwidth() * 72 / (x1 - x0)
    left = ax.get_position().x0 * fig.get_figwidth() * 72
    dots = _marks(svg, "business", "circle")
    # two dots: the stage not assessed is not drawn at 0; where matplotlib draws them
    assert [float(d["cx"]) for d in dots] == pytest.approx(
        [left + (2.0 - x0) * scale, left + (5.0 - x0) * scale], abs=0.01
    )
    assert len(_marks(svg, "peer_iqr", "rect")) == 2  # no bar where peers are not shown
    assert len(_marks(svg, "peer_median", "path")) == 2
    (target,) = _marks(svg, "target", "path")
    assert target["d"].startswith(f"M{left + (4 - x0) * scale:.2f}".rstrip("0"))
    texts = [t for t, _ in svg_text_boxes(svg)]
    assert texts[:4] == ["a", "b", "(not assessed)", "c"]


def test_svg_radar_leaves_a_gap_where_a_stage_was_not_assessed() -> None:
    table = {
        "short_name": ["s1", "s2", "s3", "s4", "s5"],
        "level": [1.0, 2.0, np.nan, 3.0, 4.0],
        "median": [2.0, 2.0, 2.0, np.nan, 2.0],
        "q1": [1.0, 1.0, 1.0, np.nan, 1.0],
        "q3": [3.0, 3.0, 3.0, np.nan, 3.0],
    }
    svg = radar_svg(table, target_level=4, max_level=5)
    # the business, as matplotlib draws the closed line: s1 -> s2, then s4 -> s5 -> s1;
    # s3 is a gap (no segment reaches it) and has no dot
    lines = [m["d"] for m in _marks(svg, "business", "path")]
    assert [d.count("L") for d in lines] == [1, 2]
    assert len(_marks(svg, "business", "circle")) == 4
    # peers: s1 -> s2 -> s3, then s5 -> s1 around the gap at s4; the band likewise
    assert [m["d"].count("L") for m in _marks(svg, "peer_median", "path")] == [2, 1]
    assert len(_marks(svg, "peer_iqr", "path")) == 2
    assert "(not assessed)" in [t for t, _ in svg_text_boxes(svg)]
    # no peers at all: no band, no median line
    bare = radar_svg({**table, "median": [np.nan] * 5}, max_level=5)
    assert not _marks(bare, "peer_median", "path") and not _marks(bare, "peer_iqr", "path")


def test_svg_text_from_data_is_escaped() -> None:
    svg = strip_svg({**STRIP_TABLE, "short_name": ["<b>&", "$5_a", "c"]})
    assert "&lt;b&gt;&amp;" in svg and "<b>" not in svg
    assert next(t for t, _ in svg_text_boxes(svg)) == "<b>&"

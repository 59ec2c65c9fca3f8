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
from cma_research.plotting.business import plot_stage_strip, radar_figure
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

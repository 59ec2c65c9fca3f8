"""Class 9 of issue 10: data text drawn in a figure is drawn as written, never as maths.

Matplotlib parses text between two ``$`` as mathtext: ``$$ Cash $$`` fails to draw
(an empty ``ValueError``) and ``Pay $5_$10`` is typeset as a formula. Members tried in
the heatmap (business types and ids), the missingness plot (ids), the radar (stage
names from an instrument, the business label), the scatter (column names) and the
funnel (step names); every figure is drawn and saved, and the tick labels hold the
data text exactly.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import cma_research as cma
from cma_research.analysis.profiles import stage_profile
from cma_research.plotting.distributions import plot_funnel, plot_missingness
from cma_research.plotting.heatmaps import plot_cohort_heatmap
from cma_research.plotting.radar import plot_radar
from cma_research.plotting.scatter import plot_scatter
from cma_research.plotting.style import cma_style, escape_mathtext
from cma_research.reporting.files import save_figure

TEXTS = ["$$ Cash $$", "Pay $5_$10", "$x^2$", "100$", r"a \ b $", "$\\frac{1}{0}$"]


def _drawn(ax: plt.Axes, tmp_path: Path) -> None:
    """Draw and save: a mathtext error would surface here."""
    ax.figure.canvas.draw()
    save_figure(ax.figure, tmp_path / "fig", formats=["png", "svg"], dpi=50)


def _cohort_with(types: list[str], ids: list[str] | None = None) -> cma.Cohort:
    cohort = cma.load_returns("data/raw/customer_wise_2007.csv")
    attrs = cohort.attributes.copy()
    n = len(attrs)
    attrs["business_type"] = pd.array([types[i % len(types)] for i in range(n)], dtype="string")
    if ids is None:
        return dataclasses.replace(cohort, attributes=attrs)
    new_index = pd.MultiIndex.from_tuples(
        [(ids[i % len(ids)] + f"_{i}", w) for i, (_, w) in enumerate(attrs.index)],
        names=attrs.index.names,
    )
    attrs.index = new_index
    scores = cohort.scores.copy()
    scores.index = new_index
    return dataclasses.replace(cohort, attributes=attrs, scores=scores)


@pytest.fixture(autouse=True)
def _in_project_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[2])


@pytest.mark.parametrize("text", TEXTS)
def test_escape_mathtext_is_drawn_as_written(text: str, tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    label = ax.text(0.5, 0.5, escape_mathtext(text))
    fig.canvas.draw()
    assert label._preprocess_math(label.get_text()) == (text, False)  # plain text, as written


@pytest.mark.parametrize("text", TEXTS)
def test_escaping_twice_draws_the_same_text(text: str) -> None:
    # change.py escapes its labels before plot_radar escapes them again
    assert escape_mathtext(escape_mathtext(text)) == escape_mathtext(text)


def test_heatmap_business_types(tmp_path: Path) -> None:
    cohort = _cohort_with(TEXTS)
    with cma_style():
        ax = plot_cohort_heatmap(cohort, labels="business_type", order_by="file")
        _drawn(ax, tmp_path)
    shown = [t._preprocess_math(t.get_text())[0] for t in ax.get_yticklabels()]
    assert shown == [TEXTS[i % len(TEXTS)] for i in range(len(shown))]


def test_heatmap_and_missingness_ids(tmp_path: Path) -> None:
    cohort = _cohort_with(["Florist"], ids=["$B$", "Pay $5_$10"])
    with cma_style():
        ax = plot_cohort_heatmap(cohort, labels="business_id", order_by="file")
        _drawn(ax, tmp_path)
        assert ax.get_yticklabels()[0]._preprocess_math(ax.get_yticklabels()[0].get_text()) == (
            "$B$_0",
            False,
        )
        ax2 = plot_missingness(cohort)
        _drawn(ax2, tmp_path)
    first = ax2.get_yticklabels()[1]
    assert first._preprocess_math(first.get_text())[0] == "Pay $5_$10_1"


def test_radar_with_dollar_stage_names_and_label(tmp_path: Path) -> None:
    cohort = cma.load_returns("data/raw/customer_wise_2007.csv")
    profile = stage_profile(cohort, "B04")
    profile["name"] = [f"${n}$ {t}" for n, t in zip(profile["name"], TEXTS * 2, strict=False)]
    with cma_style():
        ax = plot_radar(profile, labels="name", business_label="$$ Cash $$", target_level=4)
        _drawn(ax, tmp_path)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert escape_mathtext("$$ Cash $$") in legend


def test_scatter_with_dollar_column_names(tmp_path: Path) -> None:
    table = pd.DataFrame({"turnover $m": [1.0, 2.0, 5.0, 9.0], "$mean$": [1.0, 2.0, 2.5, 4.0]})
    with cma_style():
        ax = plot_scatter(table, x="turnover $m", y="$mean$", fit="none")
        _drawn(ax, tmp_path)
    assert ax.xaxis.label._preprocess_math(ax.get_xlabel()) == ("turnover $m (log scale)", False)
    assert ax.yaxis.label._preprocess_math(ax.get_ylabel()) == ("$mean$ level", False)


def test_funnel_with_dollar_steps(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {"step": ["Mailed $$", "Replied $5_$10"], "count": [100, 10], "approximate": [True, False]}
    )
    with cma_style():
        ax = plot_funnel(table)
        _drawn(ax, tmp_path)
    shown = [t._preprocess_math(t.get_text())[0] for t in ax.get_yticklabels()]
    assert shown == ["Mailed $$", "Replied $5_$10"]

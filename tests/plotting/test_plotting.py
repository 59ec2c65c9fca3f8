"""Figures: inspect what was drawn, not just the return type."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import cma_research as cma
from cma_research import plotting as P
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError


def _by_gid(ax: plt.Axes, gid: str) -> list:
    return [a for a in ax.get_children() if a.get_gid() == gid]


def _lines(ax: plt.Axes, gid: str) -> list:
    return [ln for ln in ax.get_lines() if ln.get_gid() == gid]


def _legend_rows(ax: plt.Axes) -> int:
    """Rows of the legend as drawn: distinct heights of its entries' colour patches."""
    ax.figure.canvas.draw()
    return len({round(p.get_window_extent().y0) for p in ax.get_legend().get_patches()})


def test_radar_draws_gap_not_zero(cohort: Cohort) -> None:
    # B04 (Cottage letting agency): stages 1-6 = 2, 2, 2, 2, 2, 3; stages 7-10 not assessed.
    profile = cma.stage_profile(cohort, "B04")
    with P.cma_style():
        ax = P.plot_radar(profile, target_level=4)
    (line,) = _lines(ax, "business")
    y = np.asarray(line.get_ydata(), dtype=float)
    assert len(y) == 11  # 10 stages, closed back to stage 1
    assert y[:6].tolist() == [2, 2, 2, 2, 2, 3]
    assert np.isnan(y[6:10]).all()  # a gap, never 0
    assert not (y[~np.isnan(y)] == 0).any()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[6] == "7\n(not assessed)" and labels[0] == "1"
    (median,) = _lines(ax, "peer_median")
    np.testing.assert_allclose(median.get_ydata()[:10], profile["median"], rtol=0)
    (target,) = _lines(ax, "target")
    assert set(np.asarray(target.get_ydata()).tolist()) == {4}
    assert len(_by_gid(ax, "peer_iqr")) == 1
    assert ax.get_ylim() == (0, 5)


def test_radar_without_business_draws_only_peers(cohort: Cohort) -> None:
    ax = P.plot_radar(cma.stage_profile(cohort), show_peers=True)
    assert _lines(ax, "business") == []
    assert len(_lines(ax, "peer_median")) == 1


def test_radar_needs_polar_axes(cohort: Cohort) -> None:
    _, ax = plt.subplots()
    with pytest.raises(ParameterError, match="polar"):
        P.plot_radar(cma.stage_profile(cohort), ax=ax)


def test_level_distribution_bars(cohort: Cohort) -> None:
    table = cma.level_distribution(cohort)
    with P.cma_style():  # the legend's rows depend on its font, as in the reports
        ax = P.plot_level_distribution(table)
    bars = [
        p for p in ax.patches if p.get_gid() in {f"level_{v}" for v in range(6)} | {"not_assessed"}
    ]
    assert len(bars) == 7 * 10  # 6 levels + not assessed, for each of 10 stages
    # top bar is stage 1: 1 business at level 0 of 16 -> width 1/16; 2 not assessed -> 2/16
    level0 = [p for p in ax.patches if p.get_gid() == "level_0"]
    top = max(level0, key=lambda p: p.get_y())
    assert top.get_width() == pytest.approx(1 / 16, abs=1e-12)
    na = [p for p in ax.patches if p.get_gid() == "not_assessed"]
    assert max(na, key=lambda p: p.get_y()).get_width() == pytest.approx(2 / 16, abs=1e-12)
    # stage 4 has no business at level 5: a zero-width segment, not a missing one
    level5 = sorted((p for p in ax.patches if p.get_gid() == "level_5"), key=lambda p: -p.get_y())
    assert level5[3].get_width() == 0
    texts = [t.get_text() for t in ax.texts if t.get_gid() == "n_label"]
    assert texts[-1] == "n = 14" and len(texts) == 10
    # the CMA's own level labels (customer_wise_2007.yaml), by number as the transition
    # tables name them; long labels wrap the legend onto rows within the axes' width
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        "0 Below level 1",
        "1 Collect information",
        "2 Regular reporting",
        "3 Performance targets",
        "4 Planned improvement",
        "5 Continuous improvement",
        "not assessed",
    ]
    assert _legend_rows(ax) == 2
    assert legend.get_window_extent().width <= ax.get_window_extent().width


def test_level_distribution_legend_speaks_the_instruments_words() -> None:
    # Managing Customers: levels Proto ... Fly (managing_customers_framework.yaml)
    mcf = cma.synthetic_cohort(30, seed=5, instrument="managing_customers_framework")
    table = cma.level_distribution(mcf)
    with P.cma_style():
        ax = P.plot_level_distribution(table)
    legend = ax.get_legend()
    words = ["0 Proto", "1 Crawl", "2 Walk", "3 Jog", "4 Run", "5 Fly", "not assessed"]
    assert [t.get_text() for t in legend.get_texts()] == words
    assert _legend_rows(ax) == 1  # short labels: one row
    # the filtered table a user might pass keeps the labels
    ax = P.plot_level_distribution(table[table["stage"] != "all"].copy())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == words
    # labels given explicitly win; a table without any (built by hand) shows the numbers
    ax = P.plot_level_distribution(table, level_labels={0: "$x", 5: "Top"})
    assert [t.get_text() for t in ax.get_legend().get_texts()][::5] == [r"0 \$x", "5 Top"]
    table.attrs = {}
    ax = P.plot_level_distribution(table)
    assert [t.get_text() for t in ax.get_legend().get_texts()][:6] == [str(v) for v in range(6)]


def test_level_distribution_with_empty_level_and_tiny_stage() -> None:
    # R likert's known bug: a level nobody reached. Here also a stage with one assessment.
    table = pd.DataFrame(
        {
            "stage": ["a", "b"],
            "name": ["A", "B"],
            "n_assessed": [1, 0],
            "n_not_assessed": [4, 5],
            **{f"n_level_{v}": [1 if v == 2 else 0, 0] for v in range(6)},
        }
    )
    ax = P.plot_level_distribution(table)
    assert len([p for p in ax.patches if p.get_gid() == "level_3"]) == 2
    widths = {p.get_gid(): p.get_width() for p in ax.patches if p.get_y() > 0.5}
    assert widths["level_2"] == pytest.approx(0.2) and widths["not_assessed"] == pytest.approx(0.8)


def test_cohort_heatmap_not_assessed_hatched(cohort: Cohort) -> None:
    ax = P.plot_cohort_heatmap(cohort, order_by="mean", labels="business_type")
    hatched = _by_gid(ax, "not_assessed")
    assert len(hatched) == 23  # the 23 blank cells of Table 4
    (mesh,) = _by_gid(ax, "levels")
    data = mesh.get_array()
    assert int(np.ma.count_masked(data)) == 23
    assert int(np.ma.count(data)) == 137
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "Florists"  # highest mean (4.0)
    assert labels[1] == "ICT Broadband etc"  # 3.9


def test_cohort_heatmap_anonymous_and_by_staff(cohort: Cohort) -> None:
    ax = P.plot_cohort_heatmap(cohort, labels="hidden")
    assert list(ax.get_yticks()) == []
    ax2 = P.plot_cohort_heatmap(cohort, order_by="staff", labels="business_id")
    assert [t.get_text() for t in ax2.get_yticklabels()][:2] == ["B16", "B07"]  # 100, 18 staff
    with pytest.raises(ParameterError, match="order_by"):
        P.plot_cohort_heatmap(cohort, order_by="size")  # type: ignore[arg-type]


def test_stage_correlation_heatmap(cohort: Cohort) -> None:
    table = cma.stage_correlations(cohort)
    ax = P.plot_stage_correlations(table, annotate="both")
    (mesh,) = _by_gid(ax, "r")
    assert mesh.get_array().shape == (9, 9)
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "cell_label"]
    assert len(labels) == 45
    first = table.iloc[0]  # stage_1 x stage_2
    assert labels[0] == f"{first['r']:.2f}".replace("0.", ".", 1) + f"\nn={first['n']}"


def test_missingness_map(cohort: Cohort) -> None:
    ax = P.plot_missingness(cohort)
    (mesh,) = _by_gid(ax, "assessed")
    assert float(np.asarray(mesh.get_array()).sum()) == 137
    rows = [t.get_text() for t in ax.texts if t.get_gid() == "row_count"]
    assert rows[:6] == ["2", "10", "10", "6", "5", "4"]


def test_scatter_annotates_correlation(cohort: Cohort) -> None:
    cc = cma.clean(cohort, "complete_case").cohort
    scores = cma.business_scores(cc)
    result = cma.correlate(cohort, n_boot=200, n_perm=500).iloc[0]
    ax = P.plot_scatter(scores, result, fit="linear")
    (points,) = _by_gid(ax, "points")
    assert len(points.get_offsets()) == 12
    assert ax.get_xscale() == "log"
    (note,) = [t for t in ax.texts if t.get_gid() == "annotation"]
    assert note.get_text().startswith("\u03c1 = .52, 95% CI [") and note.get_text().endswith(
        "n = 12"
    )
    (fit,) = _lines(ax, "fit")
    assert fit.get_label() == "least-squares fit on log scale"
    ax2 = P.plot_scatter(scores, fit="monotone")
    (step,) = _lines(ax2, "fit")
    assert np.all(np.diff(np.asarray(step.get_ydata(), dtype=float)) >= 0)  # monotone


def test_plot_functions_do_not_change_global_style(cohort: Cohort) -> None:
    before = dict(plt.rcParams)
    with P.cma_style():
        assert plt.rcParams["pdf.fonttype"] == 42
        P.plot_missingness(cohort)
    assert dict(plt.rcParams) == before


def test_tables_from_the_wrong_function_are_refused(cohort: Cohort) -> None:
    with pytest.raises(ParameterError, match=r"level_distribution\(\)"):
        P.plot_level_distribution(cma.business_scores(cohort))

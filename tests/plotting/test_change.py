"""Change figures: inspect what was drawn (lines, points, NaN gaps, labels), not the type."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

import cma_research as cma
from cma_research import plotting as P
from cma_research.analysis.change import (
    level_distribution_by_wave,
    scores_by_wave,
    wave_profiles,
)
from cma_research.core.errors import ParameterError
from tests.paths import ROOT

EXAMPLE = ROOT / "data" / "raw" / "customer_wise_2007_two_waves_SYNTHETIC.csv"
FOLLOW = "Follow-up (SYNTHETIC)"


def _lines(ax: plt.Axes, gid: str) -> list:
    return [ln for ln in ax.get_lines() if ln.get_gid() == gid]


def _texts(ax: plt.Axes, gid: str) -> list[str]:
    return [t.get_text() for t in ax.texts if t.get_gid() == gid]


@pytest.fixture
def two() -> cma.Cohort:
    return cma.load_returns(EXAMPLE)


def _paired_change_table() -> pd.DataFrame:
    """A table with exactly the columns of cma.paired_change (values made up)."""
    rows = [
        ("stage_1", "Contact", 12, 0.5, 0.1, 0.8),
        ("stage_2", "Employee skills & $ pay", 11, -0.3, -0.7, 0.2),
        ("stage_3", "ICT", 2, np.nan, np.nan, np.nan),  # not estimable
        ("mean", "Mean level", 13, 0.4, 0.05, 0.75),
    ]
    out = pd.DataFrame(
        rows, columns=["stage", "name", "n_pairs", "rank_biserial", "ci95_low", "ci95_high"]
    )
    out["baseline"] = "Baseline"
    out["follow_up"] = FOLLOW
    for col in ("n_improved", "n_same", "n_worse"):
        out[col] = 1
    out["median_change"] = [1.0, -0.5, np.nan, 0.3]
    out["mean_change"] = out["median_change"]
    out["statistic"] = 1.0
    out["p_val"] = 0.5
    out["p_method"] = "exact"
    out["ci_method"] = "bca"
    out["p_adj"] = 0.5
    out["p_adj_method"] = "holm"
    out["strategy"] = "available_case"
    return out


# -- slopes ---------------------------------------------------------------------------------


def test_paired_slopes_lines_points_and_legend(two: cma.Cohort) -> None:
    table = scores_by_wave(two)
    ax = P.plot_paired_slopes(table, level_range=(0, 5), target_level=4, label_businesses=True)
    # example file: 7 improved, 3 no change, 3 declined, 3 drop-outs (B04, B06, B13)
    assert len(_lines(ax, "improved")) == 7
    assert len(_lines(ax, "no_change")) == 3
    assert len(_lines(ax, "declined")) == 3
    dropped = _lines(ax, "dropped_out")
    assert len(dropped) == 3
    assert all(ln.get_xdata()[0] == 0 and ln.get_marker() == "s" for ln in dropped)
    by = table.set_index("business_id")
    ys = sorted(float(ln.get_ydata()[0]) for ln in dropped)
    assert ys == pytest.approx(sorted(by.loc[["B04", "B06", "B13"], "score_baseline"]), rel=1e-12)
    # one improved line is B01: 1.0 -> 2.0
    assert any(list(ln.get_ydata()) == [1.0, 2.0] for ln in _lines(ax, "improved"))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Baseline", FOLLOW]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        f"higher at {FOLLOW} (n = 7)",
        "no change (n = 3)",
        f"lower at {FOLLOW} (n = 3)",
        "Baseline only (dropped out) (n = 3)",
        "target: level 4",
    ]
    (target,) = _lines(ax, "target")
    assert list(target.get_ydata()) == [4, 4]
    assert ax.get_ylim() == (0, 5)
    assert ax.get_ylabel() == "mean level"
    assert len(_texts(ax, "business_label")) == 16


def test_paired_slopes_unscored_follow_up_only_and_dollar() -> None:
    table = pd.DataFrame(
        {
            "business_id": ["A", "B", "C", "D"],
            "baseline": "$1 wave",
            "follow_up": "Wave 2",
            "score": "mean",
            "score_baseline": [1.0, np.nan, np.nan, 2.0],
            "score_follow_up": [1.5, 2.0, 3.0, 2.0],
            "status": ["paired", "paired", "follow_up_only", "paired"],
        }
    )
    ax = P.plot_paired_slopes(table, title="SYNTHETIC $x$")
    assert len(_lines(ax, "improved")) == 1 and len(_lines(ax, "no_change")) == 1
    (unscored,) = _lines(ax, "unscored")
    assert list(unscored.get_xdata()) == [1.0] and list(unscored.get_ydata()) == [2.0]
    (joined,) = _lines(ax, "follow_up_only")
    assert list(joined.get_xdata()) == [1.0]
    assert ax.get_xticklabels()[0].get_text() == r"\$1 wave"
    assert ax.get_title(loc="left") == r"SYNTHETIC \$x\$"
    ax.figure.canvas.draw()  # mathtext would fail or eat the dollars; escaped it draws
    bad = table.assign(status=["paired", "paired", "lost", "paired"])
    with pytest.raises(ParameterError, match="lost"):
        P.plot_paired_slopes(bad)
    with pytest.raises(ParameterError, match="scores_by_wave"):
        P.plot_paired_slopes(table.drop(columns=["status"]))


# -- forest ---------------------------------------------------------------------------------


def test_change_forest_points_intervals_and_gaps() -> None:
    table = _paired_change_table()
    ax = P.plot_change_forest(table, title="Change per stage (SYNTHETIC)")
    (est,) = _lines(ax, "estimate")
    x = np.asarray(est.get_xdata(), dtype=float)
    y = np.asarray(est.get_ydata(), dtype=float)
    assert y.tolist() == [3.0, 2.0, 1.0, 0.0]  # first row at the top
    assert x[:2].tolist() == [0.5, -0.3] and np.isnan(x[2]) and np.isnan(x[3])
    (mean,) = _lines(ax, "estimate_mean")
    assert np.asarray(mean.get_xdata(), dtype=float)[3] == 0.4 and mean.get_marker() == "D"
    (ci,) = [c for c in ax.collections if c.get_gid() == "ci"]
    segments = [s.tolist() for s in ci.get_segments()]
    assert segments == [
        [[0.1, 3.0], [0.8, 3.0]],
        [[-0.7, 2.0], [0.2, 2.0]],
        [[0.05, 0.0], [0.75, 0.0]],
    ]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Contact", r"Employee skills & \$ pay", "ICT", "Mean level"]
    assert ax.get_yticklabels()[3].get_fontweight() == "bold"
    assert _texts(ax, "n_label") == ["n = 12", "n = 11", "n = 2; not estimable", "n = 13"]
    degenerate = table.assign(ci95_low=[np.nan, -0.7, np.nan, 0.05])
    ax2 = P.plot_change_forest(degenerate)
    assert _texts(ax2, "n_label")[0] == "n = 12; CI undefined"
    assert ax.get_xlim() == (-1.05, 1.05)
    assert FOLLOW in ax.get_xlabel() and "Baseline" in ax.get_xlabel()
    assert len(_lines(ax, "zero")) == 1


def test_change_forest_median_change() -> None:
    ax = P.plot_change_forest(_paired_change_table(), effect="median_change")
    (est,) = _lines(ax, "estimate")
    assert np.asarray(est.get_xdata(), dtype=float)[:2].tolist() == [1.0, -0.5]
    assert not [c for c in ax.collections if c.get_gid() == "ci"]
    assert ax.get_xlabel().startswith("median change in level")
    with pytest.raises(ParameterError, match="effect"):
        P.plot_change_forest(_paired_change_table(), effect="mean")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="paired_change"):
        P.plot_change_forest(_paired_change_table().drop(columns=["ci95_low"]))


# -- transitions ----------------------------------------------------------------------------


def _transition_table() -> pd.DataFrame:
    states = [0, 1, 2, "not assessed"]
    counts = np.array([[1, 2, 0, 0], [0, 3, 1, 1], [0, 1, 4, 0], [0, 0, 2, 5]])
    table = pd.DataFrame(counts, index=pd.Index(states), columns=pd.Index(states))
    table.attrs = {"baseline": "Baseline", "follow_up": FOLLOW}
    return table


def test_transition_heatmap_counts_diagonal_labels() -> None:
    table = _transition_table()
    ax = P.plot_transition_heatmap(table, title="Contact (SYNTHETIC)")
    counts = _texts(ax, "count")
    assert counts == [str(v) for v in table.to_numpy().ravel()]
    diag = [p for p in ax.patches if p.get_gid() == "diagonal"]
    assert sorted(p.get_xy() for p in diag) == [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1", "2", "not assessed"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2", "not assessed"]
    assert ax.get_ylabel() == "level at Baseline" and ax.get_xlabel() == f"level at {FOLLOW}"
    assert ax.get_ylim() == (4, 0)  # first row on top
    (mesh,) = [c for c in ax.collections if c.get_gid() == "counts"]
    np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(4, 4), table.to_numpy())
    ax2 = P.plot_transition_heatmap(table, baseline_label="W1", follow_up_label="W2")
    assert ax2.get_ylabel() == "level at W1"
    plain = pd.DataFrame([[1]], index=pd.Index([0], name="t0"), columns=pd.Index([0]))
    ax3 = P.plot_transition_heatmap(plain)
    assert ax3.get_ylabel() == "level at t0" and ax3.get_xlabel() == "level at follow-up"
    with pytest.raises(ParameterError, match="empty"):
        P.plot_transition_heatmap(pd.DataFrame())


# -- level distributions by wave ------------------------------------------------------------


def test_level_distribution_by_wave_bars(two: cma.Cohort) -> None:
    table = level_distribution_by_wave(two)
    ax = P.plot_level_distribution_by_wave(table)
    gids = {f"level_{v}" for v in range(6)} | {"not_assessed"}
    bars = [p for p in ax.patches if p.get_gid() in gids]
    assert len(bars) == 7 * 10 * 2  # 6 levels + not assessed, 10 stages, 2 waves
    # top bar: stage 1 at Baseline, level 0 = 1 of 16 businesses (B15)
    level0 = sorted((p for p in ax.patches if p.get_gid() == "level_0"), key=lambda p: -p.get_y())
    assert level0[0].get_width() == pytest.approx(1 / 16, abs=1e-12)
    # second bar: stage 1 at follow-up, level 0 = B08, B14 of 13 businesses
    assert level0[1].get_width() == pytest.approx(2 / 13, abs=1e-12)
    labels = _texts(ax, "n_label")
    assert labels[:2] == ["Baseline: n = 14", f"{FOLLOW}: n = 12"]
    assert len(labels) == 20
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[0] == two.instrument.stages[0].name and len(ticks) == 10
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    names = [f"{lv.value} {lv.label}" for lv in two.instrument.levels]
    assert legend == [*names, "not assessed"] and names[1] == "1 Collect information"
    # the wrapped legend (long CMA labels) stays clear of the title above it
    with P.cma_style():
        ax = P.plot_level_distribution_by_wave(table, title="Levels")
    ax.figure.canvas.draw()
    (title,) = [t for t in ax.get_children() if isinstance(t, Text) and t.get_text() == "Levels"]
    assert title.get_window_extent().y0 >= ax.get_legend().get_window_extent().y1
    with pytest.raises(ParameterError, match="level_distribution_by_wave"):
        P.plot_level_distribution_by_wave(table.drop(columns=["wave_rank"]))


# -- radar ------------------------------------------------------------------------------------


def test_radar_waves_one_line_per_wave_with_gaps(two: cma.Cohort) -> None:
    table = wave_profiles(two, "B01")
    ax = P.plot_radar_waves(table, target_level=4)
    (w1,) = _lines(ax, "wave_1")
    (w2,) = _lines(ax, "wave_2")
    y1 = np.asarray(w1.get_ydata(), dtype=float)
    y2 = np.asarray(w2.get_ydata(), dtype=float)
    # B01 baseline: only stages 5 and 10 (= 1); follow-up: 5 = 3, 6 = 2, 10 = 1
    assert len(y1) == 11 and y1[4] == 1 and y1[9] == 1 and np.isnan(y1[[0, 1, 2, 3, 5]]).all()
    assert y2[4] == 3 and y2[5] == 2 and np.isnan(y2[0])
    assert w1.get_linestyle() != w2.get_linestyle()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Baseline" in legend and FOLLOW in legend and "target: level 4" in legend
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[5] == "6\n(not assessed: Baseline)"
    assert labels[0] == "1\n(not assessed)"  # at neither wave
    assert labels[4] == "5"
    assert ax.get_title(loc="left") == "B01"
    _, flat = plt.subplots()
    with pytest.raises(ParameterError, match="polar"):
        P.plot_radar_waves(table, ax=flat)


def test_change_figures_are_exported() -> None:
    for name in (
        "plot_paired_slopes",
        "plot_change_forest",
        "plot_transition_heatmap",
        "plot_level_distribution_by_wave",
        "plot_radar_waves",
    ):
        assert name in P.__all__ and callable(getattr(P, name))


def test_figures_draw_the_statistics_own_tables(two: cma.Cohort) -> None:
    from cma_research.analysis.change import paired_change
    from cma_research.analysis.transitions import transition_table

    pc = paired_change(two, n_boot=200, seed=1)
    ax = P.plot_change_forest(pc)
    (est,) = _lines(ax, "estimate")
    x = np.asarray(est.get_xdata(), dtype=float)
    np.testing.assert_allclose(x[:-1], pc["rank_biserial"].to_numpy()[:-1], rtol=0)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == pc["name"].tolist()
    t = transition_table(two, "stage_1")
    ax = P.plot_transition_heatmap(t)
    assert _texts(ax, "count") == [str(v) for v in t.to_numpy().ravel()]
    assert ax.get_ylabel() == "level at Baseline" and ax.get_xlabel() == f"level at {FOLLOW}"
    assert len([p for p in ax.patches if p.get_gid() == "diagonal"]) == len(t)

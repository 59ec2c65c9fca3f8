"""plot_power_curves draws the table it is given."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cma_research.analysis.power import simulate_power
from cma_research.core.errors import ParameterError
from cma_research.plotting import cma_style, plot_power_curves


def test_draws_one_line_per_effect_with_bands() -> None:
    table = simulate_power("bivariate_normal", [10, 20, 40], effect=[0.3, 0.5], n_sims=200, seed=1)
    with cma_style():
        ax = plot_power_curves(table, target_power=0.8)
    lines = [ln for ln in ax.get_lines() if ln.get_label().startswith("effect")]
    assert [ln.get_label() for ln in lines] == ["effect = 0.30", "effect = 0.50"]
    for line, (_, rows) in zip(lines, table.groupby("effect"), strict=True):
        assert_allclose(line.get_xdata(), rows["n"].to_numpy(dtype=float))
        assert_allclose(line.get_ydata(), rows["power"].to_numpy(dtype=float))
    assert len(ax.collections) == 2  # the Monte-Carlo bands
    target = [ln for ln in ax.get_lines() if ln.get_label().startswith("target")]
    assert np.allclose(target[0].get_ydata(), 0.8)
    assert "bivariate normal" in ax.get_title() and ax.get_ylim() == (0, 1)


def test_refuses_mixed_designs_and_missing_columns() -> None:
    a = simulate_power("bivariate_normal", 10, effect=0.3, n_sims=100, seed=1)
    b = a.assign(design="size_correlation")
    import pandas as pd

    with pytest.raises(ParameterError, match="one design"):
        plot_power_curves(pd.concat([a, b]))
    with pytest.raises(ParameterError, match="mc_se"):
        plot_power_curves(a.drop(columns="mc_se"))

"""Synthetic cohorts and growth: seeded, labelled synthetic, with the requested missingness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cma_research import InstrumentError, ParameterError, synthetic_cohort, synthetic_growth
from cma_research.core.cohort import Cohort


def test_reproducible_for_a_seed() -> None:
    a, b = synthetic_cohort(200, seed=4), synthetic_cohort(200, seed=4)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    pd.testing.assert_frame_equal(a.attributes, b.attributes)
    assert a.source == b.source
    c = synthetic_cohort(200, seed=5)
    assert not a.scores.equals(c.scores)


def test_labelled_synthetic() -> None:
    c = synthetic_cohort(12, seed=9, missing_rate=0.2)
    assert c.source.path == "synthetic:n=12,seed=9,missing_rate=0.2"
    assert c.source.form == "synthetic"
    assert (c.attributes["business_type"] == "synthetic").all()
    ids = c.scores.index.get_level_values("business_id").tolist()
    assert ids == [f"S{i:02d}" for i in range(1, 13)]
    assert c.waves == ("1",)
    assert "synthetic:" in repr(c)


def test_values_are_valid_levels() -> None:
    c = synthetic_cohort(500, seed=1)
    assert all(str(t) == "Int64" for t in c.scores.dtypes)
    values = c.scores.to_numpy(dtype=float, na_value=np.nan)
    observed = values[~np.isnan(values)]
    assert observed.min() >= 0 and observed.max() <= 5
    assert np.array_equal(observed, np.round(observed))
    staff = c.attributes["staff"].to_numpy(dtype=float)
    assert staff.min() >= 1 and staff.max() <= 5000
    # maturity rises with size by construction (0.35 per log unit of staff):
    mean = c.scores.astype("Float64").mean(axis=1).to_numpy(dtype=float, na_value=np.nan)
    ok = ~np.isnan(mean)
    assert np.corrcoef(np.log(staff[ok]), mean[ok])[0, 1] > 0.2


@pytest.mark.parametrize("rate", [0.0, 0.15, 0.4])
def test_missing_rate_as_requested(rate: float) -> None:
    c = synthetic_cohort(2000, seed=2, missing_rate=rate)
    share = float(c.scores.isna().to_numpy().mean())
    # cells blanked independently with probability rate: 20,000 cells, SE
    # sqrt(rate (1 - rate) / 20000) <= 0.0035; allow 4 SE
    se = np.sqrt(rate * (1 - rate) / 20_000)
    assert abs(share - rate) <= 4 * se
    if rate == 0:
        assert share == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_businesses": 0, "seed": 1}, "n_businesses=0 must be a whole number >= 1"),
        ({"n_businesses": 2.5, "seed": 1}, "n_businesses=2.5"),
        (
            {"n_businesses": 5, "seed": 1, "missing_rate": 1.0},
            r"missing_rate=1.0 must be in \[0, 1\)",
        ),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        synthetic_cohort(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(InstrumentError, match="unknown instrument 'nope'"):
        synthetic_cohort(5, seed=1, instrument="nope")


def test_synthetic_growth(cohort: Cohort) -> None:
    a, b = synthetic_growth(cohort, seed=1), synthetic_growth(cohort, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(synthetic_growth(cohort, seed=2))
    assert list(a.columns) == ["business_id", "synthetic_turnover_growth_pct"]
    assert a["business_id"].tolist() == [f"B{i:02d}" for i in range(1, 17)]
    values = a["synthetic_turnover_growth_pct"].to_numpy()
    np.testing.assert_array_equal(values, np.round(values, 1))  # one decimal
    # strength 1: no noise, 5 + 4 z(mean score), z with the population SD (ddof 0)
    exact = synthetic_growth(cohort, seed=1, strength=1.0)
    mean = cohort.scores.astype(float).mean(axis=1).to_numpy()
    z = (mean - mean.mean()) / mean.std()
    np.testing.assert_allclose(
        exact["synthetic_turnover_growth_pct"], np.round(5 + 4 * z, 1), atol=1e-12
    )
    with pytest.raises(ParameterError, match=r"seed=1\.5 must be a whole number"):
        synthetic_growth(cohort, seed=1.5)  # type: ignore[arg-type]

"""stage_profile: peer medians and quartiles per stage, by hand from the CSV.

The quartiles are recomputed with ``statistics.quantiles(method="inclusive")`` (linear
interpolation between order statistics, R type 7), independently of numpy.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

import numpy as np
import pytest

from cma_research import ParameterError, stage_profile
from cma_research.core.cohort import Cohort


def levels_by_business(path: Path) -> dict[str, list[float | None]]:
    """B01..B16 in file order -> the 10 levels, None where the cell is blank."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))[1:]
    return {
        f"B{i:02d}": [float(v) if v.strip() else None for v in r[2:12]]
        for i, r in enumerate(rows, start=1)
    }


def by_hand(column: list[float]) -> tuple[float, float, float]:
    q1, med, q3 = statistics.quantiles(column, n=4, method="inclusive")
    return q1, med, q3


@pytest.mark.parametrize("business", ["B03", "B01", "B16"])
def test_peer_medians_quartiles_and_share_below(
    cohort: Cohort, bundled_path: Path, business: str
) -> None:
    data = levels_by_business(bundled_path)
    prof = stage_profile(cohort, business)
    assert prof["stage"].tolist() == [f"stage_{k}" for k in range(1, 11)]
    for j, row in prof.iterrows():
        peers = [lv[j] for b, lv in data.items() if b != business and lv[j] is not None]
        q1, med, q3 = by_hand(peers)
        assert row["n_assessed"] == len(peers)
        np.testing.assert_allclose([row["q1"], row["median"], row["q3"]], [q1, med, q3], rtol=1e-12)
        own = data[business][j]
        if own is None:
            assert np.isnan(row["level"]) and np.isnan(row["peer_share_below"])
        else:
            assert row["level"] == own
            below = sum(p < own for p in peers) / len(peers)
            assert row["peer_share_below"] == pytest.approx(below, abs=1e-15)
    assert (prof["business_id"] == business).all()


def test_b03_stage_1_written_out(cohort: Cohort) -> None:
    # stage_1 of B03's peers (B01 and B06 blank, B03 itself at 3), sorted:
    # 0 1 1 2 2 2 2 3 3 4 4 4 5 (13 values); type 7 puts q1, median, q3 at the order
    # statistics 12 * (0.25, 0.5, 0.75) = 3, 6, 9 (0-based): 2, 2, 4; 7 of 13 are below 3
    row = stage_profile(cohort, "B03").iloc[0]
    assert (row["n_assessed"], row["median"], row["q1"], row["q3"]) == (13, 2.0, 2.0, 4.0)
    assert row["level"] == 3.0
    assert row["peer_share_below"] == pytest.approx(7 / 13, abs=1e-15)


def test_without_a_business_every_business_is_a_peer(cohort: Cohort, bundled_path: Path) -> None:
    data = levels_by_business(bundled_path)
    prof = stage_profile(cohort)
    for j, row in prof.iterrows():
        column = [lv[j] for lv in data.values() if lv[j] is not None]
        assert row["n_assessed"] == len(column)
        np.testing.assert_allclose(
            row[["q1", "median", "q3"]].to_numpy(float), by_hand(column), rtol=1e-12
        )
    assert prof["level"].isna().all() and prof["peer_share_below"].isna().all()


def test_explicit_peer_group(cohort: Cohort, bundled_path: Path) -> None:
    data = levels_by_business(bundled_path)
    peers = ["B02", "B03", "B07", "B08", "B09"]  # all assessed on every stage
    prof = stage_profile(cohort, "B03", peers=peers)
    for j, row in prof.iterrows():
        column = [data[b][j] for b in peers if b != "B03"]
        assert row["n_assessed"] == 4
        assert row["median"] == pytest.approx(statistics.median(column), abs=1e-15)


def test_unknown_business_is_an_error(cohort: Cohort) -> None:
    with pytest.raises(ParameterError, match=r"business_id='B99' is not in the cohort \(B01"):
        stage_profile(cohort, "B99")

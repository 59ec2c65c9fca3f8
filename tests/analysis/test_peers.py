"""Peer groups of at least k and peer statistics from level counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cma_research as cma
from cma_research.analysis.peers import (
    peer_groups,
    peer_statistics,
    quantile_from_counts,
)
from cma_research.analysis.profiles import stage_profile
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.datasets.synthetic import synthetic_cohort


def test_quantile_from_counts_equals_numpy(rng: np.random.Generator) -> None:
    values = np.arange(6)
    for _ in range(300):
        sample = rng.integers(0, 6, size=int(rng.integers(1, 30)))
        counts = np.bincount(sample, minlength=6)[None, :]
        for q in (0.25, 0.5, 0.75, 0.0, 1.0):
            got = quantile_from_counts(counts, values, q)[0]
            assert got == pytest.approx(np.quantile(sample, q), rel=1e-12)
    assert np.isnan(quantile_from_counts(np.zeros((1, 6), dtype=int), values, 0.5)[0])


def test_bundled_groups(cohort: Cohort) -> None:
    # Table 4: 11 micro (< 10 staff), 4 small (B03, B07, B08, B13), 1 medium (B16: 100 staff)
    g = peer_groups(cohort, k=5).set_index("business_id")
    assert (g["size_band"] == "micro").sum() == 11
    micro = g[g["size_band"] == "micro"]
    assert (micro["peer_kind"] == "size_band").all() and (micro["n_peers"] == 10).all()
    for bid in ("B03", "B07", "B08", "B13", "B16"):
        assert g.loc[bid, "peer_kind"] == "cohort" and g.loc[bid, "n_peers"] == 15
        assert "fewer than 5 other businesses" in g.loc[bid, "fallback"]
        assert "compared with all audited businesses instead" in g.loc[bid, "fallback"]
    # k = 10: micro (10 others) still qualifies; k = 11: nothing but the cohort (15 others)
    assert (peer_groups(cohort, k=10)["peer_kind"] == "size_band").sum() == 11
    assert (peer_groups(cohort, k=11)["peer_kind"] == "cohort").all()
    # k = 16: not even the cohort has 16 others
    none = peer_groups(cohort, k=16)
    assert (none["peer_kind"] == "none").all() and (none["n_peers"] == 0).all()
    # k = 1: every band with another business is used; the medium band has only B16
    one = peer_groups(cohort, k=1).set_index("business_id")
    assert one.loc["B03", "peer_kind"] == "size_band" and one.loc["B03", "n_peers"] == 3
    assert one.loc["B16", "peer_kind"] == "cohort"


def test_secondary_suppression_of_bands() -> None:
    # one band too small and the others large: hiding only it would let a reader get its
    # size from the cohort total minus the bands shown, so a second band is hidden too
    c = synthetic_cohort(40, seed=3)
    staff = [3] * 20 + [20] * 17 + [100] * 3  # micro 20, small 17, medium 3
    attrs = c.attributes.assign(staff=pd.array(staff, dtype="Int64"))
    c = Cohort(c.scores, attrs, c.instrument, c.source)
    g = peer_groups(c, k=5)
    kinds = g.groupby("size_band", observed=True)["peer_kind"].unique().to_dict()
    assert list(kinds["medium"]) == ["cohort"]
    assert list(kinds["small"]) == ["cohort"]  # the smaller of the two others
    assert list(kinds["micro"]) == ["size_band"]
    small = g[g["size_band"] == "small"]["fallback"].iloc[0]
    assert "not shown on its own" in small
    # what the pages publish: band sizes of bands used, and the cohort size
    published = {"micro": 20}
    assert sum(published.values()) < 40 - 3  # two unknowns, one equation: nothing recovered


def test_peer_statistics_equal_stage_profile(cohort: Cohort) -> None:
    # independent route: stage_profile restricted to each business's peer group
    for k in (1, 5, 10):
        g = peer_groups(cohort, k=k)
        stats = peer_statistics(cohort, k=k, groups=g)
        for row in g.itertuples():
            if row.peer_kind == "none":
                continue
            members = (
                g.loc[g["size_band"] == row.size_band, "business_id"].tolist()
                if row.peer_kind == "size_band"
                else g["business_id"].tolist()
            )
            prof = stage_profile(cohort, row.business_id, peers=members)
            mine = stats[stats["business_id"] == row.business_id].reset_index(drop=True)
            assert mine["n_assessed"].tolist() == prof["n_assessed"].tolist()
            shown = ~mine["suppressed"]
            # shown iff k + 1 businesses of the group (self included) were assessed
            group_n = prof["n_assessed"] + prof["level"].notna().astype(int)
            assert (shown == (group_n >= k + 1)).all()
            assert (mine.loc[shown, "n_assessed"] >= k).all()
            for col in ("median", "q1", "q3", "peer_share_below"):
                np.testing.assert_allclose(
                    mine.loc[shown, col], prof.loc[shown, col], rtol=1e-12, equal_nan=True
                )
            assert mine.loc[~shown, ["median", "q1", "q3", "rank"]].isna().all().all()


def test_rank_by_hand(cohort: Cohort) -> None:
    # B04, stage 1 = 2, micro peers (k=5) assessed on stage 1: B02 2, B03? no (small) ...
    g = peer_groups(cohort, k=5)
    micro = g.loc[g["size_band"] == "micro", "business_id"].tolist()
    lv = cohort.scores["stage_1"].droplevel("wave")
    peers = lv[[b for b in micro if b != "B04"]].dropna().astype(int).tolist()
    s = peer_statistics(cohort, k=5, groups=g)
    row = s[(s["business_id"] == "B04") & (s["stage"] == "stage_1")].iloc[0]
    assert row["n_assessed"] == len(peers)
    assert row["rank"] == 1 + sum(p > 2 for p in peers)
    assert row["peer_share_below"] == pytest.approx(sum(p < 2 for p in peers) / len(peers))
    assert row["median"] == pytest.approx(float(np.median(peers)))


def test_not_assessed_has_no_rank(cohort: Cohort) -> None:
    s = peer_statistics(cohort, k=5)
    b01 = s[s["business_id"] == "B01"]
    assert b01["rank"].isna().sum() == 8 and b01["peer_share_below"].isna().sum() == 8


def test_k_checked(cohort: Cohort) -> None:
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ParameterError, match="must be a whole number >= 1"):
            peer_groups(cohort, k=bad)  # type: ignore[arg-type]


def test_many_businesses_are_fast_enough_to_be_one_pass() -> None:
    c = synthetic_cohort(3000, seed=1)
    s = peer_statistics(c, k=5)
    assert len(s) == 3000 * len(c.stage_ids)
    assert cma.ParameterError is ParameterError

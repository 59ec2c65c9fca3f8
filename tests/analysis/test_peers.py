"""Peer groups of at least k and peer statistics from level counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cma_research as cma
from cma_research.analysis.peers import (
    NO_STAFF,
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
    g = peer_groups(cohort, k=4).set_index("business_id")
    assert (g["size_band"] == "micro").sum() == 11
    micro = g[g["size_band"] == "micro"]
    assert (micro["peer_kind"] == "size_band").all() and (micro["n_peers"] == 10).all()
    for bid in ("B03", "B07", "B08", "B13", "B16"):
        assert g.loc[bid, "peer_kind"] == "cohort" and g.loc[bid, "n_peers"] == 15
        assert "fewer than 4 other businesses" in g.loc[bid, "fallback"]
        assert "compared with all audited businesses instead" in g.loc[bid, "fallback"]
    # k = 5 (and 10): micro has enough others, but the 5 businesses outside it are fewer
    # than k + 1, so a micro page set against a cohort page would describe them: the micro
    # band is hidden too and every business is compared with all audited businesses
    for k in (5, 10):
        g = peer_groups(cohort, k=k).set_index("business_id")
        assert (g["peer_kind"] == "cohort").all() and (g["n_peers"] == 15).all()
        assert "set against a size band's page" in g.loc["B04", "fallback"]
    assert (peer_groups(cohort, k=11)["peer_kind"] == "cohort").all()
    # k = 16: not even the cohort has 16 others
    none = peer_groups(cohort, k=16)
    assert (none["peer_kind"] == "none").all() and (none["n_peers"] == 0).all()
    # k = 1: every band with another business is used; the medium band has only B16
    one = peer_groups(cohort, k=1).set_index("business_id")
    assert one.loc["B03", "peer_kind"] == "size_band" and one.loc["B03", "n_peers"] == 3
    assert one.loc["B16", "peer_kind"] == "cohort"


def _staffed(n: int, staff: list[int], seed: int, missing_rate: float = 0.15) -> Cohort:
    c = synthetic_cohort(n, seed=seed, missing_rate=missing_rate)
    attrs = c.attributes.assign(staff=pd.array(staff, dtype="Int64"))
    return Cohort(c.scores, attrs, c.instrument, c.source)


def _group_counts(cohort: Cohort, members: list[str], stage: str) -> np.ndarray:
    """Counts of levels 0..5 among ``members`` on ``stage`` (brute force, from the scores)."""
    lv = cohort.scores[stage].droplevel("wave")
    values = lv[members].dropna().astype(int).to_numpy()
    return np.bincount(values, minlength=6)


@pytest.mark.parametrize(
    ("staff", "k"),
    [
        ([3] * 11 + [20] * 4 + [100], 5),  # Table 4's bands: micro 11, small 4, medium 1
        ([3] * 11 + [20] * 4 + [100], 10),
        ([3] * 12 + [20] * 6 + [100] * 2, 6),  # 8 outside micro: enough at k = 6, not at 8
        ([3] * 12 + [20] * 6 + [100] * 2, 8),
        ([3] * 9 + [20] * 9 + [300] * 2, 4),  # two bands shown, 2 large outside
        ([3] * 20 + [20] * 3, 3),  # small: 2 others < 3, outside = 3 < 4
    ],
)
def test_no_two_pages_describe_fewer_than_k_plus_one_by_difference(
    staff: list[int], k: int
) -> None:
    # The attack of the issue: a size band's page (statistics of the band minus the
    # business) set against a page compared with all audited businesses (all minus that
    # business) gives, once each reader adds back the business it knows, the level counts
    # of everyone outside the band. For every pair of pages of one batch and every stage
    # where both show a statistic, that difference must rest on 0 or >= k + 1 businesses.
    cohort = _staffed(len(staff), staff, seed=len(staff) + k)
    g = peer_groups(cohort, k=k)
    s = peer_statistics(cohort, k=k, groups=g)
    ids = g["business_id"].tolist()
    band_of = dict(zip(ids, g["size_band"], strict=True))
    kind_of = dict(zip(ids, g["peer_kind"], strict=True))
    for stage in cohort.stage_ids:
        rows = s[(s["stage"] == stage) & ~s["suppressed"]]
        shown_ids = set(rows["business_id"])
        groups_shown = {
            ("cohort" if kind_of[b] == "cohort" else str(band_of[b]))
            for b in shown_ids
            if kind_of[b] != "none"
        }
        if "cohort" not in groups_shown:
            continue
        bands = groups_shown - {"cohort"}
        outside = [b for b in ids if kind_of[b] != "size_band" or str(band_of[b]) not in bands]
        n_outside = int(_group_counts(cohort, outside, stage).sum())
        assert n_outside == 0 or n_outside >= k + 1, (stage, n_outside, bands)
    # and what a page shows equals the statistics of its group (independent route)
    for row in g.itertuples():
        if row.peer_kind == "none":
            continue
        members = (
            g.loc[g["size_band"] == row.size_band, "business_id"].tolist()
            if row.peer_kind == "size_band"
            else ids
        )
        prof = stage_profile(cohort, row.business_id, peers=members)
        mine = s[s["business_id"] == row.business_id].reset_index(drop=True)
        shown = ~mine["suppressed"]
        np.testing.assert_allclose(
            mine.loc[shown, "median"], prof.loc[shown, "median"], rtol=1e-12, equal_nan=True
        )


def test_a_thin_stage_outside_the_bands_is_hidden_on_cohort_pages_only() -> None:
    # micro 12 and small 8 are shown at k = 5; 6 businesses without a staff number are
    # compared with all audited businesses. On stage 1 only 3 of the 6 were assessed:
    # 3 < k + 1, so the all-businesses statistic of stage 1 is hidden on their pages
    # (secondary), while the band pages keep it; on the other stages all 6 were assessed
    # and everything shows.
    c = _staffed(26, [3] * 12 + [20] * 8 + [0] * 6, seed=11, missing_rate=0.0)
    attrs = c.attributes.copy()
    attrs.iloc[20:, attrs.columns.get_loc("staff")] = pd.NA
    scores = c.scores.copy()
    scores.iloc[[20, 21, 22], 0] = pd.NA
    c = Cohort(scores, attrs, c.instrument, c.source)
    g = peer_groups(c, k=5)
    outside = g.loc[g["size_band"] == NO_STAFF, "business_id"]
    assert len(outside) == 6 and set(g.loc[outside.index, "peer_kind"]) == {"cohort"}
    assert set(g.drop(index=outside.index)["peer_kind"]) == {"size_band"}
    s = peer_statistics(c, k=5, groups=g)
    first = s[s["stage"] == "stage_1"].set_index("business_id")
    assert first.loc[outside, "suppressed"].all()
    assert first.loc[outside, "reason"].str.contains("outside the size bands shown").all()
    assert not first.drop(index=outside)["suppressed"].any()
    assert not s[(s["stage"] != "stage_1")]["suppressed"].any()


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
            # shown only when k + 1 businesses of the group (self included) were assessed,
            # and then hidden only across pages (a cohort page's thin stage outside the bands)
            group_n = prof["n_assessed"] + prof["level"].notna().astype(int)
            assert (~shown | (group_n >= k + 1)).all()
            across = (group_n >= k + 1) & ~shown
            assert mine.loc[across, "reason"].str.contains("outside the size bands").all()
            assert (mine.loc[shown, "n_assessed"] >= k).all()
            for col in ("median", "q1", "q3", "peer_share_below"):
                np.testing.assert_allclose(
                    mine.loc[shown, col], prof.loc[shown, col], rtol=1e-12, equal_nan=True
                )
            assert mine.loc[~shown, ["median", "q1", "q3", "rank"]].isna().all().all()


def test_rank_by_hand(cohort: Cohort) -> None:
    # B04, stage 1 = 2, micro peers (k=4) assessed on stage 1: B02 2, B03? no (small) ...
    g = peer_groups(cohort, k=4)
    micro = g.loc[g["size_band"] == "micro", "business_id"].tolist()
    lv = cohort.scores["stage_1"].droplevel("wave")
    peers = lv[[b for b in micro if b != "B04"]].dropna().astype(int).tolist()
    s = peer_statistics(cohort, k=4, groups=g)
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

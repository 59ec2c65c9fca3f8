"""Peer groups with a minimum size, and each business's position among its peers.

A business's report compares it with its *peer group*: the other businesses of its EU
size band when the band has at least ``k`` others, else the whole cohort when that has
at least ``k`` others, else no comparison at all. Band sizes are stated on the pages
and the cohort's size is known from the index, so a band too small to be shown on its
own could be recovered by subtraction when it is the only one hidden; bands are
therefore chosen with :func:`~cma_research.analysis.disclosure.suppress_small_cells`
(secondary suppression) before any page is written. Per stage, a peer statistic is
shown only when at least ``k + 1`` businesses of the group (the business itself
included) were assessed on it: then the pages of all members show or hide it alike,
each over at least ``k`` peers, and two members comparing their pages cannot obtain a
statistic of fewer than ``k`` businesses by difference.

**Across the pages of a batch.** A page compared with all audited businesses and a
page compared with a size band describe nested groups: set side by side, they describe
the businesses outside the size bands shown. So that this difference never rests on
fewer than ``k + 1`` businesses, a band is also hidden when the businesses outside the
bands shown would be fewer than ``k + 1`` (the smallest band first, until they are
not), and per stage, the statistic of all audited businesses is hidden on every page
that shows it when fewer than ``k + 1`` businesses outside the bands shown on that stage
were assessed on it (:data:`ACROSS_PAGES`). What remains inferable is stated in
:mod:`cma_research.reporting.business_pages`: pages of two waves, or of returns that
differ by one business, are not protected against each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cma_research.analysis.disclosure import PRIMARY, check_k, suppress_small_cells
from cma_research.analysis.groups import SIZE_BANDS, size_band
from cma_research.analysis.prepare import single_wave
from cma_research.core.cohort import Cohort

__all__ = ["ACROSS_PAGES", "NO_STAFF", "peer_groups", "peer_statistics", "quantile_from_counts"]

#: Size-band label of businesses without a staff number (never a peer group of its own).
NO_STAFF = "no staff number"
#: ``reason`` of a statistic of all audited businesses hidden on one stage so that a size
#: band's page set against it cannot describe fewer than k + 1 businesses.
ACROSS_PAGES = (
    "secondary: fewer than k + 1 businesses outside the size bands shown were assessed, "
    "so a size band's page set against this one would describe them"
)


def peer_groups(cohort: Cohort, k: int = 5) -> pd.DataFrame:
    """The peer group of every business of one wave, at least ``k`` others each.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    k : int
        Fewest other businesses a peer group may have (>= 1). ``k = 1`` means no
        disclosure control: every band with another business is used, and no band is
        hidden to protect another.

    Returns
    -------
    DataFrame
        One row per business in cohort order: ``business_id``, ``size_band`` (EU band,
        or ``"no staff number"``), ``peer_kind`` (``"size_band"``, ``"cohort"`` or
        ``"none"``), ``peer_group`` (text for the page, e.g. ``"micro businesses (size
        band)"``), ``n_peers`` (other businesses in the group; 0 for ``"none"``),
        ``fallback`` (why the size band was not used, empty when it was).

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> table4 = load_returns(bundled_path("customer_wise_2007.csv"))
    >>> g = peer_groups(table4, k=4)
    >>> g.groupby("peer_kind")["business_id"].count().to_dict()
    {'cohort': 5, 'size_band': 11}
    >>> peer_groups(table4, k=5)["peer_kind"].unique().tolist()  # 5 outside micro: < k + 1
    ['cohort']
    """
    k = check_k(k)
    one = single_wave(cohort)
    ids = [str(b) for b in one.scores.index.get_level_values("business_id")]
    bands = size_band(one.attributes["staff"]).astype(object).where(lambda s: s.notna(), NO_STAFF)
    band_list = [str(b) for b in bands]
    labels = [label for label, _, _ in SIZE_BANDS] + [NO_STAFF]
    counts = pd.Series([band_list.count(b) for b in labels], index=labels, name="n")
    counts = counts[counts > 0]
    # a band of n businesses gives each of them n - 1 peers: shown only when n - 1 >= k;
    # k = 1 means no disclosure control, so no secondary suppression either
    table = suppress_small_cells(counts, k + 1, margins=k > 1)
    inner = table[~table["is_margin"]]
    hidden = {str(b): bool(h) for b, h in zip(inner["row"], inner["suppressed"], strict=True)}
    reasons = {str(b): str(r) for b, r in zip(inner["row"], inner["reason"], strict=True)}
    if k > 1:  # across pages: the businesses outside the bands shown are >= k + 1 or none
        shown_bands = [b for b in counts.index if b != NO_STAFF and not hidden[b]]
        outside = int(counts.sum() - sum(counts[b] for b in shown_bands))
        while shown_bands and 0 < outside < k + 1:
            smallest = min(shown_bands, key=lambda b: (counts[b], labels.index(b)))
            hidden[smallest], reasons[smallest] = True, ACROSS_PAGES
            shown_bands.remove(smallest)
            outside += int(counts[smallest])
    n_total = len(ids)
    rows = []
    for bid, band in zip(ids, band_list, strict=True):
        if band == NO_STAFF:
            why = "no staff number, so no size band"
        elif hidden[band]:
            why = (
                f"the {band} size band has fewer than {k} other businesses"
                if reasons[band] == PRIMARY
                else f"the {band} size band is not shown on its own, so that the businesses "
                f"outside the size bands shown are at least {k + 1}: a page compared with "
                "all audited businesses set against a size band's page describes them"
                if reasons[band] == ACROSS_PAGES
                else f"the {band} size band is not shown on its own, so that a smaller band "
                "cannot be worked out from the totals"
            )
        else:
            why = ""
        if not why:
            kind, group, n = "size_band", f"{band} businesses (size band)", counts[band] - 1
        elif n_total - 1 >= k:
            kind, group, n = "cohort", "all audited businesses", n_total - 1
            why += "; compared with all audited businesses instead"
        else:
            kind, group, n = "none", "", 0
            why += f"; the whole cohort has fewer than {k} other businesses, so no comparison"
        rows.append(
            {
                "business_id": bid,
                "size_band": band,
                "peer_kind": kind,
                "peer_group": group,
                "n_peers": int(n),
                "fallback": why,
            }
        )
    out = pd.DataFrame(rows)
    for col in ("business_id", "size_band", "peer_kind", "peer_group", "fallback"):
        out[col] = out[col].astype("string")
    return out


def quantile_from_counts(counts: np.ndarray, values: np.ndarray, q: float) -> np.ndarray:
    """Quantile (linear interpolation, as :func:`numpy.quantile`) of a sample given by counts.

    ``counts[..., j]`` is how often ``values[j]`` (ascending) occurs; returns NaN where
    the count is 0.

    >>> quantile_from_counts(np.array([[1, 0, 2, 1]]), np.array([0, 1, 2, 3]), 0.5)
    array([2.])
    """
    n = counts.sum(axis=-1)
    cum = np.cumsum(counts, axis=-1)
    h = (np.maximum(n, 1) - 1) * q
    lo = np.floor(h)
    hi = np.ceil(h)

    def at(j: np.ndarray) -> np.ndarray:
        return values[np.argmax(cum > j[..., None], axis=-1)].astype(float)

    out = at(lo) + (h - lo) * (at(hi) - at(lo))
    return np.where(n > 0, out, np.nan)


def peer_statistics(cohort: Cohort, k: int = 5, groups: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each business's position among its peer group, stage by stage.

    Computed from level counts (one pass over the cohort), so a programme of 10,000
    businesses takes well under a second; equal to
    :func:`~cma_research.analysis.profiles.stage_profile` with the same ``peers``.

    Parameters
    ----------
    cohort : Cohort
        One wave.
    k : int
        Fewest peers a statistic may rest on (>= 1). Per stage, a statistic is shown
        only when at least ``k + 1`` businesses of the group (the business included)
        were assessed on it, so that the pages of all members of a group show or hide
        it alike.
    groups : DataFrame, optional
        Output of :func:`peer_groups` (computed when not given).

    Returns
    -------
    DataFrame
        One row per business and stage (cohort order, then stage order):
        ``business_id``, ``stage``, ``level`` (NaN = not assessed), ``peer_kind``,
        ``n_assessed`` (peers assessed on the stage), ``median``, ``q1``, ``q3``,
        ``peer_share_below`` (share of those peers strictly below the business),
        ``rank`` (1 + peers strictly above: 1 is best), ``n_ranked`` (peers + 1),
        ``suppressed`` (no peer statistic shown), ``reason``. Statistics are NaN where
        suppressed, and the share and rank also where the business was not assessed.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> from cma_research import load_returns
    >>> s = peer_statistics(load_returns(bundled_path("customer_wise_2007.csv")), k=4)
    >>> row = s.iloc[0]
    >>> str(row["business_id"]), str(row["stage"]), int(row["n_assessed"]), float(row["median"])
    ('B01', 'stage_1', 9, 2.0)
    """
    k = check_k(k)
    one = single_wave(cohort)
    groups = peer_groups(one, k) if groups is None else groups
    inst = one.instrument
    values = np.asarray(inst.level_values)
    levels = one.scores.to_numpy(dtype=float, na_value=np.nan)
    n_biz, n_stages = levels.shape
    onehot = (levels[..., None] == values).astype(np.int64)  # (business, stage, level)
    kinds = groups["peer_kind"].to_numpy(dtype=object)
    bands = groups["size_band"].to_numpy(dtype=object)
    key = np.where(kinds == "size_band", bands, np.where(kinds == "cohort", "\0all", "\0none"))
    peer_counts = np.zeros_like(onehot)
    all_counts = onehot.sum(axis=0)
    for g in np.unique(key):
        members = key == g
        if g == "\0none":
            continue
        total = all_counts if g == "\0all" else onehot[bands == g].sum(axis=0)
        peer_counts[members] = total - onehot[members]
    peer_counts[key == "\0none"] = 0
    n = peer_counts.sum(axis=-1)
    assessed = ~np.isnan(levels)
    # shown only when the group has at least k + 1 businesses assessed on the stage
    # (self included): then every member's page shows it, each over >= k peers, and no
    # member can difference another member's page against its own to get a statistic
    # of fewer than k businesses
    shown = (n + assessed) >= k + 1
    across = np.zeros_like(shown)
    if k > 1 and (key == "\0all").any():
        # a stage's statistic of all audited businesses, set against the size bands'
        # statistics shown on it, describes the businesses outside those bands: hidden on
        # every such page unless they number 0 or at least k + 1 on that stage
        in_shown_band = np.zeros_like(shown)
        for g in np.unique(key):
            if not str(g).startswith("\0"):
                members = key == g
                in_shown_band[members] = shown[members].any(axis=0)
        outside = (assessed & ~in_shown_band).sum(axis=0)
        thin = (outside > 0) & (outside < k + 1) & in_shown_band.any(axis=0)
        across = (key == "\0all")[:, None] & thin[None, :] & shown
        shown = shown & ~across
    med = quantile_from_counts(peer_counts, values, 0.5)
    q1 = quantile_from_counts(peer_counts, values, 0.25)
    q3 = quantile_from_counts(peer_counts, values, 0.75)
    below = (peer_counts * (values < np.nan_to_num(levels, nan=-np.inf)[..., None])).sum(-1)
    above = (peer_counts * (values > np.nan_to_num(levels, nan=np.inf)[..., None])).sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(shown & assessed, below / np.maximum(n, 1), np.nan)
    rank = np.where(shown & assessed, 1 + above, np.nan)
    none = (key == "\0none")[:, None] & np.ones(n_stages, dtype=bool)
    reason = np.where(
        shown,
        "",
        np.where(
            none,
            f"no peer group of at least {k} other businesses",
            np.where(
                across,
                f"fewer than {k + 1} businesses outside the size bands shown were assessed, "
                "so a size band's page set against this one would describe them",
                f"fewer than {k + 1} businesses of the peer group assessed",
            ),
        ),
    )
    data: dict[str, Any] = {
        "business_id": np.repeat(groups["business_id"].to_numpy(dtype=object), n_stages),
        "stage": np.tile(np.asarray(inst.stage_ids, dtype=object), n_biz),
        "level": levels.ravel(),
        "peer_kind": np.repeat(kinds, n_stages),
        "n_assessed": n.ravel().astype(np.int64),
        "median": np.where(shown, med, np.nan).ravel(),
        "q1": np.where(shown, q1, np.nan).ravel(),
        "q3": np.where(shown, q3, np.nan).ravel(),
        "peer_share_below": share.ravel(),
        "rank": rank.ravel(),
        "n_ranked": (n + 1).ravel().astype(np.int64),
        "suppressed": ~shown.ravel(),
        "reason": reason.ravel(),
    }
    out = pd.DataFrame(data)
    for col in ("business_id", "stage", "peer_kind", "reason"):
        out[col] = out[col].astype("string")
    return out

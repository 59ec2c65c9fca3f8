"""Disclosure control: suppress_small_cells (primary and secondary suppression, attacked by
linear programming) and suppress_groups (small groups of compare_groups hidden)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from cma_research import compare_groups
from cma_research.analysis.disclosure import (
    PRIMARY,
    SECONDARY,
    check_k,
    suppress_groups,
    suppress_small_cells,
)
from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError


def attack(
    table: pd.DataFrame, published: pd.DataFrame
) -> dict[tuple[str, str], tuple[float, float]]:
    """Feasible range of each suppressed cell, as an attacker computes it.

    The attacker knows every published cell and total, that rows and columns add up to
    their totals, and that counts are >= 0. Independent of the implementation (which uses
    a null-space test): a linear programme per cell, minimum and maximum. The constraint
    matrix of a two-way table with margins is totally unimodular, so both bounds are
    attained by whole numbers: max > min means at least two possible counts.
    """
    rows = [str(r) for r in table.index]
    cols = [str(c) for c in table.columns]
    with_totals = len(rows) > 1 and len(cols) > 1
    names = [(r, c) for r in rows for c in cols]
    if with_totals:
        names += [(r, "total") for r in rows] + [("total", c) for c in cols]
    names.append(("total", "total"))
    pos = {nm: i for i, nm in enumerate(names)}
    a_eq, b_eq = [], []

    def eq(parts: list[tuple[str, str]], total: tuple[str, str]) -> None:
        v = np.zeros(len(names))
        for p in parts:
            v[pos[p]] += 1
        v[pos[total]] -= 1
        a_eq.append(v)
        b_eq.append(0.0)

    if with_totals:
        for r in rows:
            eq([(r, c) for c in cols], (r, "total"))
        for c in cols:
            eq([(r, c) for r in rows], ("total", c))
        eq([(r, "total") for r in rows], ("total", "total"))
    else:
        eq([(r, c) for r in rows for c in cols], ("total", "total"))
    known = {(str(r.row), str(r.column)): r.n for r in published.itertuples() if not r.suppressed}
    for nm, value in known.items():
        v = np.zeros(len(names))
        v[pos[nm]] = 1
        a_eq.append(v)
        b_eq.append(float(value))
    ranges = {}
    for r in published.itertuples():
        if not r.suppressed:
            continue
        c = np.zeros(len(names))
        c[pos[(str(r.row), str(r.column))]] = 1
        lo = linprog(c, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        assert lo.status == 0 and hi.status in (0, 3)  # 3: unbounded above (total hidden)
        ranges[(str(r.row), str(r.column))] = (lo.fun, -hi.fun if hi.status == 0 else np.inf)
    return ranges


def test_hand_example_two_by_two() -> None:
    # small/retail = 2 < 5; with the margins published, any single partner is undone by
    # subtraction, so the whole 2 x 2 block is hidden and the totals stay visible
    t = pd.DataFrame({"retail": [6, 2], "services": [7, 9]}, index=["micro", "small"])
    out = suppress_small_cells(t, 5)
    inner = out[~out["is_margin"]]
    assert inner["suppressed"].all()
    assert (
        out.loc[(out["row"] == "small") & (out["column"] == "retail"), "reason"].item() == PRIMARY
    )
    assert (inner["reason"] == SECONDARY).sum() == 3
    assert not out.loc[out["is_margin"], "suppressed"].any()
    assert out.loc[out["is_margin"], "n"].tolist() == [13, 11, 8, 16, 24]
    for lo, hi in attack(t, out).values():
        assert hi - lo >= 1


def test_one_way_table() -> None:
    s = pd.Series([8, 2, 9, 12], index=["a", "b", "c", "d"], name="n")
    out = suppress_small_cells(s, 5)
    # b = 2 is primary; the total 31 is published, so one more cell goes: the smallest, a = 8
    assert out["suppressed"].tolist() == [True, True, False, False, False]
    assert out["reason"].tolist()[:2] == [SECONDARY, PRIMARY]
    assert out["row"].tolist() == ["a", "b", "c", "d", "total"]
    ranges = attack(s.to_frame(), out)
    assert ranges[("b", "n")] == pytest.approx((0.0, 10.0), abs=1e-9)  # 31 - 9 - 12 = a + b
    # without a published total, only the primary cell goes
    bare = suppress_small_cells(s, 5, margins=False)
    assert bare["suppressed"].tolist() == [False, True, False, False]


def test_k_one_suppresses_nothing_and_zero_cells_are_shown() -> None:
    t = pd.DataFrame([[0, 1], [2, 3]])
    assert not suppress_small_cells(t, 1)["suppressed"].any()
    out = suppress_small_cells(pd.DataFrame([[0, 9], [9, 9]]), 5)
    assert not out["suppressed"].any()


def test_small_total_is_itself_suppressed() -> None:
    out = suppress_small_cells(pd.DataFrame([[3]]), 5)
    assert out["suppressed"].all() and (out["reason"] == PRIMARY).all()


@pytest.mark.parametrize("seed", range(40))
def test_margin_differencing_recovers_nothing(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(1, 5)), int(rng.integers(1, 6)))
    counts = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 20], size=shape)
    t = pd.DataFrame(
        counts, index=[f"r{i}" for i in range(shape[0])], columns=[f"c{j}" for j in range(shape[1])]
    )
    k = int(rng.integers(2, 7))
    out = suppress_small_cells(t, k)
    # every small cell and total is hidden
    small = (out["n"] > 0) & (out["n"] < k)
    assert out.loc[small, "suppressed"].all()
    # and no hidden cell can be pinned down from the rest
    for cell, (lo, hi) in attack(t, out).items():
        assert hi - lo >= 1 - 1e-9, (seed, cell, lo, hi, t.to_dict())


def test_bad_input_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"k=0 must be a whole number >= 1"):
        suppress_small_cells(pd.DataFrame([[1]]), 0)
    for bad in (2.5, True, "5", None):
        with pytest.raises(ParameterError, match="must be a whole number >= 1"):
            check_k(bad)
    with pytest.raises(ParameterError, match=r"cell \('a', 'x'\) = -1"):
        suppress_small_cells(pd.DataFrame({"x": [-1]}, index=["a"]), 5)
    with pytest.raises(ParameterError, match="expected a count"):
        suppress_small_cells(pd.DataFrame({"x": [1.5]}), 5)
    with pytest.raises(ParameterError, match="expected a count"):
        suppress_small_cells(pd.DataFrame({"x": [np.nan]}), 5)
    with pytest.raises(ParameterError, match="at least one cell"):
        suppress_small_cells(pd.DataFrame(), 5)


# -- suppress_groups: group comparisons ----------------------------------------------------

HIDDEN = ["n_a", "n_b", "median_a", "statistic", "p_val", "p_adj", "effect_size"]


def test_k_1_marks_not_anonymised_and_changes_nothing(cohort: Cohort) -> None:
    groups = compare_groups(cohort, "size_band")
    out = suppress_groups(groups, 1)
    assert (out["disclosure"] == "not anonymised (disclosure_k = 1)").all()
    pd.testing.assert_frame_equal(out.drop(columns="disclosure"), groups)


def test_k_5_hides_small_and_medium_and_their_pairs(cohort: Cohort) -> None:
    # Table 4 size bands: micro 11, small 4, medium 1 (staff < 10, 10-49, 50-249)
    groups = compare_groups(cohort, "size_band")
    out = suppress_groups(groups, 5)
    sizes = out[out["test"] == "group"].set_index("group_a")
    assert sizes.loc["micro", "n_a"] == 11 and sizes.loc["micro", "median_a"] == 1.6
    for band in ("small", "medium"):
        assert pd.isna(sizes.loc[band, "n_a"]) and pd.isna(sizes.loc[band, "median_a"])
        assert sizes.loc[band, "disclosure"] == "suppressed: fewer than 5 businesses"
    pairs = out[out["test"] == "mann_whitney"]
    assert len(pairs) == 3  # every pair involves small or medium
    for _, row in pairs.iterrows():
        assert all(pd.isna(row[c]) for c in HIDDEN)
        assert row["disclosure"] == "suppressed: fewer than 5 businesses"
    assert (out["warning"] == "small groups suppressed (see disclosure)").all()


def shown_and_hidden(out: pd.DataFrame) -> tuple[int, list[str]]:
    rows = out[out["test"] == "group"]
    shown = int(rows["n_a"].dropna().sum())
    return shown, rows.loc[rows["n_a"].isna(), "group_a"].astype(str).tolist()


def test_total_minus_shown_never_reveals_one_hidden_group(cohort: Cohort) -> None:
    out = suppress_groups(compare_groups(cohort, "size_band"), 5)
    total = int(out["n"].iloc[0])
    shown, hidden = shown_and_hidden(out)
    assert (total, shown, hidden) == (16, 11, ["small", "medium"])
    assert total - shown == 4 + 1  # only the sum of two hidden groups


def test_secondary_suppression_when_one_group_would_be_revealed(cohort: Cohort) -> None:
    # without the one medium business: micro 11, small 4; hiding small alone would be
    # undone by 15 - 11 = 4, so micro is hidden too
    groups = compare_groups(cohort.subset(cohort.attributes["staff"] < 50), "size_band")
    out = suppress_groups(groups, 5)
    shown, hidden = shown_and_hidden(out)
    assert int(out["n"].iloc[0]) == 15 and shown == 0 and sorted(hidden) == ["micro", "small"]
    why = out[out["test"] == "group"].set_index("group_a")["disclosure"]
    assert why["small"] == "suppressed: fewer than 5 businesses"
    assert why["micro"] == "suppressed: would reveal a suppressed group"
    pair = out[out["test"] == "mann_whitney"].iloc[0]
    assert all(pd.isna(pair[c]) for c in HIDDEN)


def test_bad_k(cohort: Cohort) -> None:
    with pytest.raises(ParameterError, match="disclosure_k"):
        suppress_groups(compare_groups(cohort, "size_band"), 0)

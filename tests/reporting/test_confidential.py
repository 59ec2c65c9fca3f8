"""The rule for per-business outputs under pseudonyms: size bands, never staff numbers."""

from __future__ import annotations

import pandas as pd

import cma_research as cma
from cma_research.analysis.correlation import leave_one_out
from cma_research.datasets import customer_wise_2007
from cma_research.reporting.confidential import pseudonymise_cohort, shareable_business_table
from cma_research.reporting.findings import leave_one_out_sentence

KEY = bytes.fromhex("5f1e8c2a9b7d3046e1c8f2a7b9d4e6035a7c1e9b3f2d8064a9e7c5b1d3f2a806")


def test_business_scores_show_the_band_in_place_of_staff() -> None:
    hidden = pseudonymise_cohort(customer_wise_2007(), KEY)
    scores = cma.business_scores(hidden).assign(growth=1.5)
    shared = shareable_business_table(scores, ["growth"])
    assert "staff" not in shared and "growth" not in shared
    assert list(shared.columns[:3]) == ["business_id", "wave", "size_band"]
    # the bands by hand (EU: micro < 10, small 10-49, medium 50-249) from the staff numbers
    staff = scores["staff"].astype(float)
    expected = ["micro" if s < 10 else "small" if s < 50 else "medium" for s in staff]
    assert shared["size_band"].tolist() == expected
    assert shareable_business_table(shared, ["growth"]).equals(shared)  # idempotent
    summary = cma.compare_groups(hidden, by="size_band")  # not per business: unchanged
    assert shareable_business_table(summary) is summary


def test_leave_one_out_shows_the_band_of_the_business_left_out() -> None:
    hidden = pseudonymise_cohort(customer_wise_2007(), KEY)
    loo = leave_one_out(hidden)
    shared = shareable_business_table(loo)
    assert "left_out_value" not in shared
    first = loo.iloc[0]
    staff = float(first["left_out_value"])  # the business that moves r most: 100 staff
    assert staff == 100.0 and shared.loc[0, "left_out_size_band"] == "medium"
    sentence = leave_one_out_sentence(shared)
    assert "staff" not in sentence and "100" not in sentence
    assert f"without {first['business_id']}, a medium business" in sentence
    logged = shareable_business_table(leave_one_out(hidden, "log_staff"))
    assert logged["left_out_size_band"].tolist() == shared["left_out_size_band"].tolist()
    other = loo.assign(covariate=pd.array(["growth"] * len(loo), dtype="string"))
    assert "left_out_value" not in shareable_business_table(other)
    assert "left_out_size_band" not in shareable_business_table(other)

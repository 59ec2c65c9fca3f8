"""apa() finds an interval whatever its confidence level; lists are joined in words."""

from __future__ import annotations

import cma_research as cma
from cma_research.core.cohort import Cohort
from cma_research.reporting.text import apa, join_words
from tests.paths import ROOT


def test_apa_reads_the_interval_at_its_own_level(cohort: Cohort) -> None:
    row = cma.cronbach_alpha(cohort, confidence=0.8).iloc[0]
    text = apa(row)
    assert "80% CI [" in text and "95% CI" not in text
    # the numbers are the 80% bounds, rounded as APA prints them
    low = f"{row['ci80_low']:.2f}".lstrip("0")
    assert f"[{low}, " in text
    assert apa({"alpha": 0.8, "ci99_9_low": 0.5, "ci99_9_high": 0.9, "n": 9}) == (
        "\u03b1 = .80, 99.9% CI [.50, .90], n = 9"
    )
    # 95% is preferred when a row carries two levels; a NaN interval is left out
    both = {"alpha": 0.8, "ci80_low": 0.7, "ci80_high": 0.85, "ci95_low": 0.6, "ci95_high": 0.9}
    assert apa({**both, "n": 9}) == "\u03b1 = .80, 95% CI [.60, .90], n = 9"
    nan = float("nan")
    assert apa({"alpha": nan, "ci95_low": nan, "ci95_high": nan, "n": 4}) == (
        "\u03b1 undefined (see the note), n = 4"
    )
    model = {"estimate": 0.5, "ci90_low": 0.1, "ci90_high": 0.9, "z": 2.0, "p_val": 0.04}
    assert apa(model) == "b = 0.50, 90% CI [0.10, 0.90], z = 2.00, p = .040"


def test_apa_on_ordinal_model_rows(cohort: Cohort) -> None:
    fit = cma.fit_ordinal_model(cohort)
    assert ", t(15) = " in apa(fit.iloc[0])  # t with G - 1 df
    assert ", z = " in apa(cma.fit_ordinal_model(cohort, cluster=False).iloc[0])


def test_join_words() -> None:
    assert join_words([]) == ""
    assert join_words(["B04"]) == "B04"
    assert join_words(["B04", "B06"]) == "B04 and B06"
    assert join_words(["B04", "B06", "B13"]) == "B04, B06 and B13"


def test_apa_on_a_whole_table_formats_every_row(cohort: Cohort) -> None:
    import pandas as pd
    import pytest

    from cma_research.core.errors import ParameterError

    corr = cma.correlate(cohort, ["staff", "log_staff"], "mean", n_boot=0, n_perm=0)
    texts = apa(corr)
    assert texts.index.equals(corr.index) and texts.name == "apa"
    assert texts.tolist() == [apa(r) for _, r in corr.iterrows()]
    groups = cma.compare_groups(cohort, "size_band")
    got = apa(groups)
    assert len(got) == len(groups) and got.notna().all()
    assert got.tolist()[3] == "groups with fewer than 3 businesses: medium (n=1)"  # warning row
    assert got.tolist()[5].startswith("U = 11.0, p = .177, r_rb = −.50")
    alpha = cma.sensitivity(cohort, "cronbach_alpha", ["complete_case", "available_case"])
    notes = apa(alpha).tolist()
    assert notes[0].startswith("α = .85") and notes[1].startswith("not applicable: ")
    two = cma.load_returns(ROOT / "data" / "raw" / "customer_wise_2007_two_waves_SYNTHETIC.csv")
    change = cma.paired_change(two, n_boot=0, n_perm=200)
    mean = change[change["stage"] == "mean"].iloc[0]
    assert apa(change).iloc[-1] == (
        f"T = {mean['statistic']:.1f}, p = .104, r_rb = .60, n = {int(mean['n_pairs'])} pairs"
    )
    assert apa(cma.attrition(two, n_perm=200).tests).tolist()[0].startswith("U = ")
    assert apa(cma.fit_wave_model(two)).iloc[1].startswith("b = 0.28, 95% CI [")
    # a table apa() does not know: the rows named and what it expects
    with pytest.raises(ParameterError, match=r"row\(s\) 0, 1 of this table.*expected rows of"):
        apa(pd.DataFrame({"x": [1, 2]}))

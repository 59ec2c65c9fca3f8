"""Per-business road map and report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cma_research as cma
from cma_research.cli import main
from cma_research.core.cohort import Cohort
from tests.paths import BUNDLED


def test_road_map_known_values(cohort: Cohort) -> None:
    # B04 Cottage letting agency: stages 1-6 = 2, 2, 2, 2, 2, 3; 7-10 not assessed.
    plan = cma.road_map(cohort, "B04")
    assert plan["level"].tolist()[:6] == [2, 2, 2, 2, 2, 3]
    assert np.isnan(plan["level"].iloc[6:]).all()
    # next level's criterion, verbatim from Table 2
    assert plan.loc[5, "next_level"] == 4
    assert plan.loc[5, "next_criterion"] == (
        "Management align complexity of staff with tasks and resources for re-engineering "
        "job roles."
    )
    assert plan.loc[5, "gap"] == 1.0 and plan.loc[5, "status"] == "1 below target"
    assert plan.loc[6, "next_level"] == 1 and plan.loc[6, "status"].startswith("not assessed")
    assert np.isnan(plan.loc[6, "gap"])
    # peers: the 15 other businesses; stage 1 has 14 assessed, B04 among them -> 13 peers
    assert plan.loc[0, "n_peers"] == 13
    # peer median of stage 1 without B04: 0,1,1,2,2,2,3,3,3,4,4,4,5 -> 3
    assert plan.loc[0, "peer_median"] == 3.0


def test_road_map_top_level_and_target(cohort: Cohort) -> None:
    plan = cma.road_map(cohort, "B09", target_level=5)  # ICT Broadband: stage 1 = 5
    assert plan.loc[0, "status"] == "at the highest level: sustain it"
    assert plan.loc[0, "next_level"] is pd_na() and plan.loc[0, "next_criterion"] == ""
    with pytest.raises(cma.ParameterError, match="business_id='B99' is not in the cohort"):
        cma.road_map(cohort, "B99")


def pd_na() -> object:
    import pandas as pd

    return pd.NA


def test_business_report_is_escaped_self_contained_and_reproducible(tmp_path: Path) -> None:
    text = BUNDLED.read_text(encoding="utf-8").replace("Florists", "Flowers <b>&</b> Co")
    src = tmp_path / "r.csv"
    src.write_text(text, encoding="utf-8")
    cohort = cma.load_returns(src)
    a = cma.write_business_report(cohort, "B16", tmp_path / "a" / "B16.html")
    b = cma.write_business_report(cohort, "B16", tmp_path / "b" / "B16.html")
    assert a.read_bytes() == b.read_bytes()
    html = a.read_text(encoding="utf-8")
    assert "Flowers &lt;b&gt;&amp;&lt;/b&gt; Co, 100 staff" in html
    assert "<b>&</b>" not in html
    assert 'src="data:image/png;base64,' in html and 'src="http' not in html


def test_cli_business_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["business-report", str(BUNDLED), "--all", "--output-dir", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("B*.html"))) == 16
    assert (
        main(["business-report", str(BUNDLED), "--business", "X1", "--output-dir", str(tmp_path)])
        == 2
    )
    assert "--business X1: not in" in capsys.readouterr().err


def test_own_levels_are_never_imputed(cohort: Cohort) -> None:
    # B01 was assessed on stages 5 and 10 only; imputing the peers must not invent its levels
    for strategy in ("stage_median", "business_mean", "complete_case"):
        plan = cma.road_map(cohort, "B01", strategy=strategy)  # type: ignore[arg-type]
        assert np.isnan(plan["level"].iloc[:4]).all(), strategy
        assert plan["status"].iloc[0] == "not assessed: assess this stage first"
        assert plan["level"].iloc[4] == 1.0
    # complete_case drops B01 and the other incomplete businesses from the peers only
    assert cma.road_map(cohort, "B01", strategy="complete_case")["n_peers"].iloc[0] == 12

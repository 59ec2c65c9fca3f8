"""Per-business road map and report pages: content, disclosure control, safety."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

import cma_research as cma
from cma_research.analysis.road_map import plan_stages
from cma_research.core.cohort import Cohort
from cma_research.core.instrument import get_instrument
from cma_research.datasets.synthetic import synthetic_cohort
from cma_research.reporting.business import (
    render_business_page,
    write_business_report,
    write_business_reports,
)
from cma_research.reporting.business_pages import business_pages
from cma_research.reporting.pseudonym import key_check, pseudonymise
from tests.paths import BUNDLED

KEY = b"8f3a5c0e1b7d9264f0a1c3e5d7b98642"  # a fixed test key (random hex digits)


def text_of(html: str) -> str:
    """The visible text of a page (tags and embedded images removed, spaces folded)."""
    html = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def returns(tmp_path: Path, text: str, name: str = "r.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def two_waves(tmp_path: Path) -> Path:
    """Table 4 as wave 1 and a follow-up wave 2 (B04 improves on stage 1, falls on 6)."""
    lines = BUNDLED.read_text(encoding="utf-8").splitlines()
    out = ["business_id,wave," + lines[0]]
    for i, line in enumerate(lines[1:], start=1):
        out.append(f"B{i:02d},1,{line}")
    for i, line in enumerate(lines[1:], start=1):
        if i == 4:
            line = "3,Cottage letting agency,3,2,2,2,2,2,1,,,"
        out.append(f"B{i:02d},2,{line}")
    return returns(tmp_path, "\n".join(out) + "\n", "waves.csv")


# -- road map ------------------------------------------------------------------------


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
    # level labels from the instrument
    assert plan.loc[0, "level_label"] == "Regular reporting"
    assert plan.loc[0, "next_level_label"] == "Performance targets"


def test_road_map_top_level_and_target(cohort: Cohort) -> None:
    plan = cma.road_map(cohort, "B09", target_level=5)  # ICT Broadband: stage 1 = 5
    assert plan.loc[0, "status"] == "at the highest level: sustain it"
    assert plan.loc[0, "next_level"] is pd.NA and plan.loc[0, "next_criterion"] == ""
    assert plan.loc[0, "action"] == "At the highest level, 5 (Continuous improvement): sustain it."
    with pytest.raises(cma.ParameterError, match="business_id='B99' is not in the cohort"):
        cma.road_map(cohort, "B99")
    with pytest.raises(cma.ParameterError, match="target_level=6 is not a level"):
        cma.road_map(cohort, "B09", target_level=6)


def test_priority_order_by_hand() -> None:
    inst = get_instrument("customer_wise_2007")
    nan = float("nan")
    # target 4: gaps 3 (stage 2), 2 (stages 1 and 7), 1 (stage 4); not assessed 3, 9;
    # at/above target 5 (=4), 8 (=4), 10 (=4); top level stage 6
    levels = [2, 1, nan, 3, 4, 5, 2, 4, nan, 4]
    plan = plan_stages(inst, levels, 4)
    order = plan.sort_values("priority")["number"].tolist()
    assert order == [2, 1, 7, 4, 3, 9, 5, 8, 10, 6]
    # not assessed: ask for assessment, with the level-1 criterion as what to look for
    act = plan.loc[2, "action"]
    assert act.startswith("Not assessed: assess this stage first; level 1 (Collect information)")
    assert act.endswith(inst.stages[2].criteria[1])
    # below target: the next level's criterion
    assert (
        plan.loc[1, "action"]
        == f"Raise to level 2 (Regular reporting): {inst.stages[1].criteria[2]}"
    )
    assert "None" not in " ".join(plan["action"])


def test_own_levels_are_never_imputed(cohort: Cohort) -> None:
    # B01 was assessed on stages 5 and 10 only; imputing the peers must not invent its levels
    for strategy in ("stage_median", "business_mean", "complete_case"):
        plan = cma.road_map(cohort, "B01", strategy=strategy)  # type: ignore[arg-type]
        assert np.isnan(plan["level"].iloc[:4]).all(), strategy
        assert plan["status"].iloc[0] == "not assessed: assess this stage first"
        assert plan["level"].iloc[4] == 1.0
    # complete_case drops B01 and the other incomplete businesses from the peers only
    assert cma.road_map(cohort, "B01", strategy="complete_case")["n_peers"].iloc[0] == 12


# -- the page ------------------------------------------------------------------------


def test_page_is_escaped_self_contained_and_reproducible(tmp_path: Path) -> None:
    text = BUNDLED.read_text(encoding="utf-8").replace("Florists", "Flowers <b>&</b> Co")
    cohort = cma.load_returns(returns(tmp_path, text))
    a = write_business_report(cohort, "B16", tmp_path / "a" / "B16.html", show_names=True)
    b = write_business_report(cohort, "B16", tmp_path / "b" / "B16.html", show_names=True)
    assert a.read_bytes() == b.read_bytes()
    html = a.read_text(encoding="utf-8")
    assert "Flowers &lt;b&gt;&amp;&lt;/b&gt; Co · medium business (50–249 staff)" in html
    assert "100 staff" not in html
    assert "<b>&</b>" not in html
    assert html.count('role="img"') == 2  # the radar and the strip, inline SVG
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no network requests
    assert "@import" not in html and "url(" not in html
    assert len(a.read_bytes()) <= 250_000
    # free text is left out unless asked for
    plain = write_business_report(cohort, "B16", tmp_path / "c.html").read_text(encoding="utf-8")
    assert "Flowers" not in plain and "medium business (50–249 staff)" in plain


def test_header_without_type_has_no_leading_comma(tmp_path: Path) -> None:
    text = BUNDLED.read_text(encoding="utf-8").replace("Wholesale Distribution", "")
    cohort = cma.load_returns(returns(tmp_path, text))
    page = text_of(
        write_business_report(cohort, "B07", tmp_path / "p.html", show_names=True).read_text(
            encoding="utf-8"
        )
    )
    assert "Customer Management Audit: B07 small business (10–49 staff) Instrument" in page
    assert ", small business" not in page


def test_audit_date_and_assessor_columns(tmp_path: Path) -> None:
    lines = BUNDLED.read_text(encoding="utf-8").splitlines()
    rows = [lines[0] + ",Audit date,Assessor,Business name"]
    rows += [f"{line},2007-0{1 + i % 9}-15,Jo Smith,Firm {i}" for i, line in enumerate(lines[1:])]
    cohort = cma.load_returns(returns(tmp_path, "\n".join(rows) + "\n"))
    shown = text_of(
        write_business_report(cohort, "B04", tmp_path / "a.html", show_names=True).read_text(
            encoding="utf-8"
        )
    )
    assert "audited in April 2007" in shown and "assessor: Jo Smith" in shown
    assert "B04 Firm 3 · Cottage letting agency · micro business (fewer than 10 staff)" in shown
    assert "2007-04-15" not in shown and "3 staff" not in shown
    hidden = text_of(write_business_report(cohort, "B04", tmp_path / "b.html").read_text("utf-8"))
    assert "audited in April 2007" in hidden and "Jo Smith" not in hidden
    assert "Firm 3" not in hidden and "Cottage" not in hidden
    # the exact date and staff only when asked for
    exact = write_business_report(cohort, "B04", tmp_path / "c.html", show_identifying=True)
    exact_text = text_of(exact.read_text("utf-8"))
    assert "audited 2007-04-15" in exact_text and "3 staff" in exact_text
    assert "exact staff number and audit date" in exact_text


def test_stage_rows_levels_labels_and_not_assessed(cohort: Cohort) -> None:
    pages, _ = business_pages(cohort, ["B01", "B04"])
    b01 = pages[0]["stages"]
    assert [s["assessed"] for s in b01] == [False] * 4 + [True] + [False] * 4 + [True]
    assert b01[0]["level"] == "" and b01[4]["level"] == "1"
    assert b01[4]["level_label"] == "Collect information"
    html = text_of(render_business_page(pages[0]))
    # not assessed is written as such, and never as a level 0 box
    assert html.count("not assessed") >= 8
    # overall: staged level = lowest assessed (1), mean 1 over 2 of 10
    assert pages[0]["overall"]["staged_level"] == "1"
    assert "mean level 1 over 2 of 10 stages assessed" in html
    assert "the staged level is an upper bound" in html
    # B04: stages 1-6 = 2,2,2,2,2,3: staged 2 (Regular reporting), mean 13/6 = 2.17
    b04 = text_of(render_business_page(pages[1]))
    assert "Staged level: 2 (Regular reporting) · mean level 2.17 over 6 of 10" in b04
    assert "None" not in b04


def test_peer_position_on_the_page(cohort: Cohort) -> None:
    # B04 is micro; k = 4: its peers are the 10 other micro businesses
    pages, _ = business_pages(cohort, ["B04"], k=4)
    page = pages[0]
    assert page["peers"]["text"] == "micro businesses (size band), 10 other businesses"
    stats = cma.stage_profile(
        cohort,
        "B04",
        peers=[f"B{i:02d}" for i in (1, 2, 4, 5, 6, 9, 10, 11, 12, 14, 15)],
    )
    # stage 1: peers assessed 8 (micro, stage 1 not blank, without B04)
    s1 = page["stages"][0]
    assert s1["peer_median"] == f"{stats.loc[0, 'median']:g}"
    assert s1["position"].endswith(f"of {int(stats.loc[0, 'n_assessed'])} peers")
    # B16 (medium band alone) falls back to the whole cohort, and the page says so
    pages, _ = business_pages(cohort, ["B16"], k=4)
    assert pages[0]["peers"]["text"] == "all audited businesses, 15 other businesses"
    assert "fewer than 4 other businesses" in pages[0]["peers"]["fallback"]


def test_box_scores_only_when_the_instrument_defines_them(tmp_path: Path, cohort: Cohort) -> None:
    import yaml

    src = Path(get_instrument("customer_wise_2007").path)
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    # the consultancy template's box scores (seed 001, fig 9): 100 / 80 / 60 / 40 / 20 / 5
    data["box_scores"] = {5: 100, 4: 80, 3: 60, 2: 40, 1: 20, 0: 5}
    data["name"] = "cw_boxes"
    path = tmp_path / "cw_boxes.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    boxed = cma.load_returns(BUNDLED, instrument=str(path))
    assert boxed.instrument.box_scores == {0: 5.0, 1: 20.0, 2: 40.0, 3: 60.0, 4: 80.0, 5: 100.0}
    pages, _ = business_pages(boxed, ["B04"])
    assert [s["box_score"] for s in pages[0]["stages"]][:7] == ["40"] * 5 + ["60", ""]
    assert "Box score" in render_business_page(pages[0])
    plain, _ = business_pages(cohort, ["B04"])
    assert "Box score" not in render_business_page(plain[0])
    data["box_scores"] = {7: 1}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(cma.InstrumentError, match="box_scores: level 7 is not one of the levels"):
        get_instrument(str(path))


def test_other_instrument_names_and_labels() -> None:
    c = synthetic_cohort(30, seed=4, instrument="managing_customers_framework")
    pages, _ = business_pages(c, ["S01"], k=5)
    html = text_of(render_business_page(pages[0]))
    assert "Scores by dimension" in html and "Scores by stage" not in html
    inst = c.instrument
    assert len(pages[0]["stages"]) == 6
    labels = {lv.label for lv in inst.levels}
    shown = {s["level_label"] for s in pages[0]["stages"] if s["assessed"]}
    assert shown <= labels and shown
    assert "Regular reporting" not in html and "Continuous improvement" not in html
    assert "of 6 dimensions assessed" in html or "upper bound" in html


def test_waves_latest_by_default_and_change(tmp_path: Path) -> None:
    cohort = cma.load_returns(two_waves(tmp_path))
    assert cohort.waves == ("1", "2")
    pages, manifest = business_pages(cohort, ["B04"])
    page = pages[0]
    assert page["wave"] == "2" and page["has_change"] and page["previous_wave"] == "1"
    change = [s["change"] for s in page["stages"]]
    assert change[0] == "▲ 2 → 3" and change[1] == "= 2 → 2" and change[5] == "▼ 3 → 2"
    assert change[6] == "newly assessed: 1" and change[7] == "not assessed either time"
    html = render_business_page(page)
    assert "Change since wave 1" in html
    first, _ = business_pages(cohort, ["B04"], wave="1")
    assert not first[0]["has_change"] and first[0]["wave"] == "1"
    assert manifest["wave"] == "2"
    with pytest.raises(cma.ParameterError, match="wave"):
        business_pages(cohort, ["B04"], wave="7")


def test_jobs_two_gives_the_same_bytes(tmp_path: Path, cohort: Cohort) -> None:
    one = write_business_reports(cohort, tmp_path / "one", ["B01", "B04", "B16"], jobs=1)
    two = write_business_reports(cohort, tmp_path / "two", ["B01", "B04", "B16"], jobs=2)
    for bid, path in one.pages.items():
        assert path.read_bytes() == two.pages[bid].read_bytes()
    assert one.index is not None and two.index is not None
    assert one.index.read_bytes() == two.index.read_bytes()


def test_batch_index_and_manifest(tmp_path: Path, cohort: Cohort) -> None:
    result = write_business_reports(cohort, tmp_path)
    assert len(result.pages) == 16 and result.index is not None
    index = result.index.read_text(encoding="utf-8")
    for path in result.pages.values():
        assert f'href="{path.name}"' in index
        assert path.stat().st_mtime_ns <= result.index.stat().st_mtime_ns
    assert "<script>" in index and "sortable" in index and "http" not in index
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))  # type: ignore[union-attr]
    assert manifest["k"] == 5 and manifest["pseudonymised"] is False
    hidden = [g for g in manifest["peer_groups"] if not g["shown"]]
    # k = 5: small and medium too small, and micro hidden across pages (5 outside it < 6)
    assert {g["group"] for g in hidden} == {
        "size band: small",
        "size band: medium",
        "size band: micro",
    }
    assert all("n_businesses" not in g for g in hidden)
    assert any(c["cell"] == "peer group: size band small" for c in manifest["suppressed"])
    # reruns are byte-identical
    first = write_business_reports(cohort, tmp_path / "first", ["B16", "B01"])
    again = write_business_reports(cohort, tmp_path / "again", ["B16", "B01"])
    for a, b in ((first.index, again.index), (first.manifest, again.manifest)):
        assert a is not None and b is not None and a.read_bytes() == b.read_bytes()


def test_no_peer_group_at_all(cohort: Cohort) -> None:
    # k = 16: not even the whole cohort has 16 others; no peer figure, no peer number
    pages, manifest = business_pages(cohort, ["B04"], k=16)
    page = pages[0]
    assert page["peers"]["text"] == "none shown"
    assert all(s["peer_suppressed"] for s in page["stages"])
    assert all(s["peer_median"] == "" and s["position"] == "" for s in page["stages"])
    html = text_of(render_business_page(page))
    assert "not shown: no peer group of at least 16 other businesses" in html
    assert len(manifest["suppressed"]) >= 10
    with pytest.raises(cma.ParameterError, match="business_ids is empty"):
        business_pages(cohort, [])


def test_k_one_says_not_anonymised(cohort: Cohort) -> None:
    pages, manifest = business_pages(cohort, ["B03"], k=1)
    assert pages[0]["disclosure_note"].startswith("Not anonymised")
    assert manifest["anonymised"] is False
    assert pages[0]["peers"]["text"] == "small businesses (size band), 3 other businesses"


# -- pseudonyms and free text --------------------------------------------------------


def test_pseudonymised_batch_discloses_no_id_or_free_text(tmp_path: Path) -> None:
    path = two_waves(tmp_path)
    cohort = cma.load_returns(path)
    out = tmp_path / "out"
    result = write_business_reports(cohort, out, key=KEY)
    texts = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.name[0] != "."}
    assert len(texts) == 16 + 2
    for name, html in texts.items():
        html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
        assert not re.search(r"\bB\d\d\b", html), name
        assert "Florists" not in html and "Rugby" not in html, name
        assert "waves.csv" not in html, name
    assert all(re.fullmatch(r"P-[0-9a-f]{12}\.html", p.name) for p in result.pages.values())
    assert result.pages["B04"].name == pseudonymise("B04", KEY) + ".html"
    # stable across waves and runs: wave 1's batch gives B04 the same pseudonym
    w1 = write_business_reports(cohort, tmp_path / "w1", ["B04"], key=KEY, wave="1")
    assert w1.pages["B04"].name == result.pages["B04"].name
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))  # type: ignore[union-attr]
    assert manifest["pseudonymised"] is True and manifest["key_check"] == key_check(KEY)


# -- file safety ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id", ["../../x", "/tmp/cma_x", "../index", "a/b", "index", "A" * 300, "x\x00y", ".."]
)
def test_hostile_ids_stay_inside_the_output_folder(
    tmp_path: Path, cohort: Cohort, bad_id: str
) -> None:
    # built directly, not through the loader (which refuses some of these): the report
    # layer must be safe on its own
    index = cohort.scores.index.set_levels(
        [bad_id if b == "B01" else b for b in cohort.scores.index.levels[0]], level="business_id"
    )
    cohort = Cohort(
        cohort.scores.set_axis(index),
        cohort.attributes.set_axis(index),
        cohort.instrument,
        cohort.source,
    )
    out = tmp_path / "out" / "deep"
    result = write_business_reports(cohort, out, [bad_id, "B02"])
    written = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert len(written) == 2 + 2 and "index.html" in written and "B02.html" in written
    assert all(p.parent == out.resolve() for p in result.pages.values())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["deep"]
    assert not Path("/tmp/cma_x.html").exists()
    index = result.index.read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert "Customer Management Audit reports" in index  # not overwritten by a page


def test_symlink_out_of_the_output_folder_is_refused(tmp_path: Path, cohort: Cohort) -> None:
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.html"
    os.symlink(outside, out / "B04.html")
    with pytest.raises(cma.ParameterError, match="outside the output folder"):
        write_business_reports(cohort, out)
    assert not outside.exists()
    assert sorted(p.name for p in out.iterdir()) == ["B04.html"]  # nothing half-written


# -- differencing attacks --------------------------------------------------------------


def published_group_sizes(folder: Path) -> dict[str, int]:
    """Every peer-group size a reader of all pages, the index and the manifest learns."""
    sizes: dict[str, int] = {}
    for page in folder.glob("*.html"):
        for group, n in re.findall(
            r"Peers: ([a-z ]+?) (?:businesses \(size band\)|audited businesses), (\d+) other",
            text_of(page.read_text(encoding="utf-8")),
        ):
            sizes[group.strip()] = int(n) + 1
    manifest = json.loads((folder / "disclosure.json").read_text(encoding="utf-8"))
    for g in manifest["peer_groups"]:
        if "n_businesses" in g:
            sizes[g["group"].removeprefix("size band: ")] = g["n_businesses"]
    index = (folder / "index.html").read_text(encoding="utf-8")
    sizes["all"] = index.count("<tr><td>")
    return sizes


def test_differencing_group_sizes_recovers_nothing(tmp_path: Path) -> None:
    # 14 businesses, k = 4: micro 7, small 5, medium 2. Medium is too small (2 < k + 1);
    # hiding it alone would give it away as 14 - 7 - 5, so the small band is hidden too.
    base = synthetic_cohort(14, seed=3)
    staff = [3] * 7 + [20] * 5 + [100] * 2
    cohort = Cohort(
        base.scores,
        base.attributes.assign(staff=pd.array(staff, dtype="Int64")),
        base.instrument,
        base.source,
    )
    out = tmp_path / "out"
    write_business_reports(cohort, out, k=4)
    sizes = published_group_sizes(out)
    assert sizes == {"micro": 7, "all": 14}
    # the attacker: small + medium = 40 - 20, both >= 0; range of each by linear programming
    for target in (0, 1):
        c = np.zeros(2)
        c[target] = 1
        lo = linprog(c, A_eq=[[1, 1]], b_eq=[sizes["all"] - sizes["micro"]], bounds=(0, None))
        hi = linprog(-c, A_eq=[[1, 1]], b_eq=[sizes["all"] - sizes["micro"]], bounds=(0, None))
        assert -hi.fun - lo.fun >= 1  # more than one possible size: nothing recovered
    # and no statistic of the hidden bands appears: every medium business is compared
    # with the whole cohort, so its page's peer median equals the cohort's without it
    for bid in ("S13", "S14", "S08"):  # medium, medium, small
        pages, _ = business_pages(cohort, [bid], k=4)
        assert pages[0]["peers"]["kind"] == "cohort"
        prof = cma.stage_profile(cohort, bid)
        rows = zip(pages[0]["stages"], prof["median"], prof["n_assessed"], strict=True)
        for row, m, n in rows:  # shown: the cohort's; hidden: too few, or across pages
            if row["peer_suppressed"]:
                assert n < 4 or "outside the size bands shown" in row["peer_reason"]
            else:
                assert row["peer_median"] == f"{m:g}"


def test_two_reports_of_one_group_hide_the_same_cells(tmp_path: Path) -> None:
    # The attack: A (assessed on a stage) and C (not assessed) are in one group in which
    # exactly k businesses were assessed on it. A's page has only k - 1 peers there; C's
    # page has k. Had C's page shown its quartiles (over A and A's k - 1 peers: with 5
    # values, q1, median and q3 are the 2nd, 3rd and 4th values), A could take its own
    # level out and learn the levels of a group of k - 1 < k. So every page of a group
    # shows or hides a stage alike.
    base = synthetic_cohort(8, seed=5, missing_rate=0.0)
    scores = base.scores.copy()
    scores.iloc[5:, 0] = pd.NA  # stage 1: 5 of the 8 assessed
    cohort = Cohort(
        scores,
        base.attributes.assign(staff=pd.array([3] * 8, dtype="Int64")),
        base.instrument,
        base.source,
    )
    pages, manifest = business_pages(cohort, k=5)
    assert {p["peers"]["kind"] for p in pages} == {"size_band"}
    shown_by_page = {p["business_id"]: not p["stages"][0]["peer_suppressed"] for p in pages}
    assert set(shown_by_page.values()) == {False}  # 5 < k + 1 = 6: hidden on every page
    assert sum(1 for c in manifest["suppressed"] if c["cell"].endswith("stage 1")) == 8
    # with one more business assessed, every page shows it, each over >= k peers
    scores.iloc[5, 0] = 2
    cohort = Cohort(scores, cohort.attributes, cohort.instrument, cohort.source)
    pages, _ = business_pages(cohort, k=5)
    assert all(not p["stages"][0]["peer_suppressed"] for p in pages)
    stats = cma.stage_profile(cohort, pages[0]["business_id"])
    assert stats.loc[0, "n_assessed"] == 5
    # and across all pairs of pages of the group, nothing one hides is shown by another
    for j in range(len(cohort.stage_ids)):
        flags = {p["stages"][j]["peer_suppressed"] for p in pages}
        assert len(flags) == 1


@pytest.mark.integration
def test_batch_on_a_dask_cluster_gives_the_same_pages(tmp_path: Path, cohort: Cohort) -> None:
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cl:
        remote = write_business_reports(
            cohort, tmp_path / "dask", ["B04", "B16"], scheduler=cl.scheduler_address
        )
    local = write_business_reports(cohort, tmp_path / "local", ["B04", "B16"])
    for bid, path in local.pages.items():
        assert remote.pages[bid].read_bytes() == path.read_bytes()

"""The bundled data: pinned checksum and faithful transcription of the paper's Table 4."""

from __future__ import annotations

import csv

import pytest

from cma_research.core.files import sha256_file
from tests.paths import BUNDLED, SEEDS

TABLE4_SHA256 = "fc9e0d355305e3f9a42a97b9c684f1f5a4960430d2fb7011d9c6d0a745be5b2c"


def test_checksum_is_pinned() -> None:
    # data/raw/README.md records the same value; change both together, deliberately.
    assert sha256_file(BUNDLED) == TABLE4_SHA256
    assert TABLE4_SHA256 in (BUNDLED.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.skipif(
    not (SEEDS / "000_6f9f698c8e3f8422.txt").exists(), reason="paper text not present"
)
def test_csv_matches_table_4_of_the_paper() -> None:
    # In the paper's text rendering, each Table 4 cell is one tab-prefixed line and each
    # table row is a block of 12 such lines (staff, type, stages 1-10) between blank
    # lines; a blank cell is an empty line. Parse it independently and compare.
    text = (SEEDS / "000_6f9f698c8e3f8422.txt").read_text(encoding="utf-8")
    body = text[text.index("See table 3 for titles") :]
    body = body[: body.index("8 New Product and Service Development")]
    blocks = [b for b in body.split("\n\n")[1:] if b.strip()]
    paper = [
        [cell.removeprefix("\t").strip() for cell in b.strip("\n").split("\n")] for b in blocks
    ]
    with BUNDLED.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["Staff No", "Type", *map(str, range(1, 11))]
    assert len(paper) == len(rows) - 1 == 16
    assert rows[1:] == paper


def test_recruitment_funnel_and_its_bad_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import cma_research as cma

    funnel = cma.load_recruitment(BUNDLED.parent / "customer_wise_2007_recruitment.csv")
    assert funnel["count"].tolist() == [54000, 1200, 320, 120, 90, 46, 16]
    paper = SEEDS / "000_6f9f698c8e3f8422.txt"
    if paper.exists():  # every quote is verbatim from the paper
        text = " ".join(paper.read_text(encoding="utf-8").split())
        assert all(" ".join(q.split()) in text for q in funnel["quote"])
    bad = tmp_path / "f.csv"
    bad.write_text("step,count,approximate,section,quote\na,about 5,maybe,s,q\nb,3,yes,s,q\n")
    with pytest.raises(cma.DataValidationError) as info:
        cma.load_recruitment(bad)
    assert [str(p).split(": ", 1)[1] for p in info.value.problems] == [
        "count is not a whole number (value 'about 5'); "
        "expected a whole number of businesses, 0 or more",
        "approximate is not true/false (value 'yes'); expected true or false",
    ]
    assert "row 2, column 'count'" in str(info.value) and "row 3" in str(info.value)

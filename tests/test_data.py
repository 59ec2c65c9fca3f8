"""The bundled data: pinned checksum and faithful transcription of the paper's Table 4."""

from __future__ import annotations

import csv

import pytest

from cma_research.provenance import sha256_file
from tests.conftest import BUNDLED, SEEDS

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

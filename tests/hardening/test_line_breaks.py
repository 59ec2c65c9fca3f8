"""Class 14 of issue 10: a line break inside a text field never splits a table row.

Members tried: LF, CRLF, CR, a blank line (a LaTeX paragraph break), Unicode line and
paragraph separators, NEL, a vertical tab and a NUL, in cells, column names and
captions of the Markdown and LaTeX tables; each becomes one space.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cma_research.reporting.files import save_table, to_markdown
from cma_research.reporting.text import escape_latex, escape_markdown, one_line

BREAKS = ["\n", "\r\n", "\r", "\n\n", "\u2028", "\u2029", "\x85", "\x0b", "\x00", "\x0c"]


@pytest.mark.parametrize("brk", BREAKS, ids=[repr(b) for b in BREAKS])
def test_escapes_give_one_line(brk: str) -> None:
    text = f"Smith{brk}Sons"
    spaces = " " * (2 if brk == "\n\n" else 1)
    assert one_line(text) == f"Smith{spaces}Sons"
    assert escape_markdown(text) == f"Smith{spaces}Sons"
    assert escape_latex(text) == f"Smith{spaces}Sons"
    for out in (escape_markdown(text), escape_latex(text)):
        assert len(out.splitlines()) == 1


def test_markdown_table_rows_stay_whole() -> None:
    df = pd.DataFrame(
        {"type\nof business": ["Gift\nshop", "Cafe\r\n| Bar", "B&B\u2028ok"], "n": [1, 2, 3]}
    )
    md = to_markdown(df, caption="Types\nby size")
    lines = md.splitlines()
    assert lines[0] == "Table: Types by size"
    assert lines[2] == "| Type of business | *n* |"  # presentation header (issue 24)
    assert lines[4:] == ["| Gift shop | 1 |", "| Cafe \\| Bar | 2 |", "| B&B ok | 3 |"]
    assert len(lines) == 2 + 2 + 3


def test_latex_rows_stay_whole(tmp_path: Path) -> None:
    df = pd.DataFrame({"type": ["Gift\n\nshop", "Cafe\r\nBar"], "n": [1, 2]})
    out = save_table(df, tmp_path / "t", caption="Two\nlines", outputs=["tex", "md", "csv"])
    tex = out["tex"].read_text(encoding="utf-8")
    body = [ln for ln in tex.splitlines() if ln.endswith("\\\\")]
    assert body == ["Type & \\textit{n} \\\\", "Gift  shop & 1 \\\\", "Cafe Bar & 2 \\\\"]
    assert "\\caption{Two lines}" in tex
    assert "\n\n" not in tex  # no paragraph break anywhere
    # the CSV keeps the text as it is (quoted), line breaks included
    assert '"Gift\n\nshop"' in out["csv"].read_text(encoding="utf-8")

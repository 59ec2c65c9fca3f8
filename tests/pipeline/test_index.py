"""The landing page's parts that do not need a build: descriptions and the order of files."""

from __future__ import annotations

from pathlib import Path

import nbformat

from cma_research.pipeline.build.index import describe_notebook, index_html


def _notebook(path: Path, text: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(text)]
    nb.cells[0]["id"] = "c0"
    nbformat.write(nb, path)
    return path


def test_a_description_keeps_its_own_end_mark(tmp_path: Path) -> None:
    # found on a landing page: "Did maturity change between audits, and who dropped out?."
    question = _notebook(tmp_path / "a.ipynb", "# Change\n\nDid it change? Then more.")
    assert describe_notebook(question) == ("Change", "Did it change?")
    plain = _notebook(tmp_path / "b.ipynb", "# Data\n\nWhat was loaded. What is missing.")
    assert describe_notebook(plain) == ("Data", "What was loaded.")
    bare = _notebook(tmp_path / "c.ipynb", "# Data\n\nWhat was loaded")
    assert describe_notebook(bare) == ("Data", "What was loaded.")


def test_figures_and_tables_are_listed_with_numbers_in_their_order(tmp_path: Path) -> None:
    # found on a three-wave study's page: stage 10's transitions between stages 1 and 2
    for folder, suffix in (("figures", ".png"), ("tables", ".csv")):
        (tmp_path / folder).mkdir()
        for j in (1, 2, 9, 10):
            (tmp_path / folder / f"06_transitions_stage_{j}{suffix}").write_bytes(b"")
    page = index_html([], {}, tmp_path, {}, {}, {})
    for suffix in (".png", ".csv"):
        at = [page.index(f"06_transitions_stage_{j}{suffix}") for j in (1, 2, 9, 10)]
        assert at == sorted(at), suffix

"""A tiny notebook for tests of the build machinery (cache, hardening, plan)."""

from __future__ import annotations

from pathlib import Path


def tiny_notebook(path: Path, params: str, body: str) -> None:
    """A notebook with a ``parameters`` cell and one code cell (a real papermill run)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny\n\nA test notebook."), cell]
    nb.cells.append(nbformat.v4.new_code_cell(body))
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i}"
    nbformat.write(nb, path)

"""Notebooks in tests: a tiny one for the build machinery (cache, hardening, plan), and
one notebook executed with papermill in the build's kernel (:func:`execute`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


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


def execute(notebook: Path, out: Path, parameters: dict[str, Any]) -> None:
    """Execute ``notebook`` into ``out`` with papermill in the build's kernel: this
    interpreter, forked from the preload process when warm kernels are on
    (:mod:`cma_research.pipeline.build.warm`). Unlike a build it runs in the notebook's
    folder and keeps no kernel log: papermill's error names the failing cell.

    The tests of one notebook's text use it; plain papermill with a kernelspec, as the
    README shows it, is run by ``tests/pipeline/test_readme_commands.py``.
    """
    import papermill as pm

    from cma_research.pipeline.build.execute import kernel_manager_class

    pm.execute_notebook(
        str(notebook),
        str(out),
        parameters=parameters,
        cwd=str(notebook.parent),
        kernel_name="cma-research-build",
        language="python",
        kernel_manager_class=kernel_manager_class(),
        progress_bar=False,
        log_output=False,
    )

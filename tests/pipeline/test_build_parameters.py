"""Reading notebooks and their parameters without nbformat or papermill, the same as they do;
the returns file loaded once per set of inputs; a rebuild that runs nothing stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from papermill.translators import PythonTranslator

import cma_research as cma
from cma_research.io import returns as returns_mod
from cma_research.pipeline.build import BuildResult, notebook_parameters, validate_parameters
from cma_research.pipeline.build.parameters import (
    check_returns_load,
    parameter_cell_entries,
    read_notebook,
)
from tests.paths import BUNDLED, ROOT

NOTEBOOKS = ROOT / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_read_notebook_gives_the_cells_nbformat_reads(path: Path) -> None:
    theirs = nbformat.read(path, as_version=4)
    ours = read_notebook(path)
    assert [(c["cell_type"], c["source"], c["metadata"]) for c in ours["cells"]] == [
        (c.cell_type, c.source, dict(c.metadata)) for c in theirs.cells
    ]


def test_read_notebook_converts_an_older_format_with_nbformat(tmp_path: Path) -> None:
    from nbformat import v3

    old = v3.new_notebook(worksheets=[v3.new_worksheet(cells=[v3.new_code_cell("a = 1\nb = 2")])])
    path = tmp_path / "old.ipynb"
    path.write_text(v3.writes_json(old))
    cells = read_notebook(path)["cells"]
    assert [(c["cell_type"], c["source"]) for c in cells] == [("code", "a = 1\nb = 2")]


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"nbformat": 4, "cells": [1]}'])
def test_read_notebook_refuses_a_file_that_is_no_notebook(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_text(text)
    with pytest.raises(cma.ReportBuildError, match=r"^bad\.ipynb: "):
        read_notebook(path)


ODD_CELLS = [
    'seed: int = 2007  # help: random seed\nname: "Optional[str]" = None  # help: a name',
    "a = 1\nb: float = 2.5 # type: float\n\n# a comment line\nc = 'x'  #   help:  spaced  ",
    "d = {\n  'k': 1,  # inner comment\n  'j': 2,\n}  # help: a dict over lines",
    "x = y = 3  # two assignments\nz: int = 4  # help: after it",
    "f: str = 'a # not a comment'  # help: hash inside a string",
    "  indented = 1\nlist_value: 'List[int]' = [1, 2]",
    "",
    "# only a comment",
    "no_value_here\nw: bool = True",
]


@pytest.mark.parametrize("source", ODD_CELLS)
def test_parameter_cells_are_read_as_papermill_reads_them(source: str) -> None:
    cell = nbformat.v4.new_code_cell(source)
    expected = [p._asdict() for p in PythonTranslator.inspect(cell)]
    assert parameter_cell_entries(source) == expected


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_every_notebook_parameter_cell_is_read_as_papermill_reads_it(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert parameter_cell_entries(cell.source) == [
        p._asdict() for p in PythonTranslator.inspect(cell)
    ]
    assert set(notebook_parameters(path)) == {p.name for p in PythonTranslator.inspect(cell)}


def _specs() -> dict[str, Any]:
    return {p.stem: notebook_parameters(p) for p in PATHS}


def _counting_loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    loads: list[Path] = []
    real = returns_mod.load_returns

    def counted(path: Any, *args: Any, **kwargs: Any) -> Any:
        loads.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(returns_mod, "load_returns", counted)
    return loads


def test_a_passed_returns_check_is_stamped_and_not_repeated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = _counting_loads(monkeypatch)
    specs = _specs()
    resolved = validate_parameters(
        {"returns_path": str(BUNDLED)},  # the notebooks name no returns: a study gives them
        specs,
        base_dir=tmp_path,
        notebooks_dir=NOTEBOOKS,
        check_returns=False,
    )
    assert loads == []  # left to check_returns_load
    stamp = tmp_path / "checked" / "abc"
    check_returns_load(specs, resolved, NOTEBOOKS, stamp=stamp, remember=False)
    assert len(loads) == 1 and not stamp.exists()  # a dry run writes nothing
    check_returns_load(specs, resolved, NOTEBOOKS, stamp=stamp)
    assert len(loads) == 2 and stamp.is_file()
    check_returns_load(specs, resolved, NOTEBOOKS, stamp=stamp)
    assert len(loads) == 2  # the stamp says it loaded before
    check_returns_load(specs, resolved, NOTEBOOKS)
    assert len(loads) == 3 and loads[-1] == BUNDLED  # no stamp: always loaded


def test_a_failed_returns_check_raises_and_is_not_stamped(tmp_path: Path) -> None:
    specs = _specs()
    resolved = validate_parameters(
        {"wave": "Follow-up", "returns_path": str(BUNDLED)},
        specs,
        base_dir=tmp_path,
        notebooks_dir=NOTEBOOKS,
        check_returns=False,
    )
    stamp = tmp_path / "checked" / "abc"
    with pytest.raises(cma.ParameterError, match="parameter 'wave': 'Follow-up' is not a wave"):
        check_returns_load(specs, resolved, NOTEBOOKS, stamp=stamp)
    assert not stamp.exists()


@pytest.mark.integration
def test_a_rebuild_that_runs_nothing_imports_no_heavy_module(
    bundled_build: BuildResult, tmp_path: Path
) -> None:
    """From the session build's cache: every notebook restored, without pandas, nbformat,
    papermill or jupyter_client (nbformat's schema validator alone costs over a second)."""
    folder = bundled_build.output_dir.parent
    script = (
        "import sys\n"
        "from cma_research.pipeline.build import build\n"
        f"r = build(params_file={str(folder / 'fast.yaml')!r}, output_dir={str(tmp_path)!r},"
        f" notebooks_dir={str(NOTEBOOKS)!r}, cache_dir={str(folder / 'cache')!r},"
        " progress=lambda line: None)\n"
        "assert r.ok and all(x.reused for x in r.runs), r.summary()\n"
        "import cma_research.cli\n"  # the command users run loads nothing heavy either
        "heavy = ('pandas', 'nbformat', 'papermill', 'jupyter_client', 'matplotlib')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

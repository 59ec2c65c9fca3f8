"""Parameter sweeps: one folder per set, shared cache, a comparison index, every set
checked before anything runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

import cma_research as cma
from cma_research.cli import main
from cma_research.pipeline.build import build_sweep
from cma_research.pipeline.build.sweep import load_sweep

pytestmark = [
    pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

FACTS = (
    "import json\nfrom pathlib import Path\n"
    "t = Path(output_dir) / 'tables'\nt.mkdir(parents=True, exist_ok=True)\n"
    "(t / '01_key_facts.json').write_text(json.dumps({'seed times two': str(seed * 2),"
    " 'strategy': strategy}))"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cell = nbformat.v4.new_code_cell(
        'output_dir: str = "reports"  # help: outputs\n'
        "seed: int = 1  # help: a seed\n"
        'strategy: str = "a"  # help: a strategy'
    )
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(FACTS)]
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i}"
    nbformat.write(nb, nbs / "01_facts.ipynb")
    return tmp_path


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seed: [1]\n", "expected a mapping with 'grid'"),
        ("grid: {seed: []}\n", "needs a non-empty list"),
        ("grid: {seed: [1]}\nextra: 1\n", "unknown key"),
        ("grid: {a: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15],\n"
         "       b: [1,2,3,4,5,6,7,8,9,10,11,12,13,14]}\n", "more than 200"),
    ],
)  # fmt: skip
def test_bad_sweep_files_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(cma.ParameterError, match=message):
        load_sweep(_write(tmp_path / "s.yaml", text))


def test_a_bad_value_in_any_set_stops_the_sweep_before_it_runs(project: Path) -> None:
    spec = _write(project / "s.yaml", "grid: {seed: [1, -3]}\n")
    with pytest.raises(cma.ParameterError, match=r"seed=-3"):
        build_sweep(spec, output_dir=project / "sweep", notebooks_dir=project / "notebooks")
    assert not any((project / "sweep").glob("*/index.html"))


@pytest.mark.integration
def test_a_sweep_builds_every_set_and_compares_their_facts(project: Path) -> None:
    spec = _write(project / "s.yaml", "grid: {strategy: [a, b], seed: [1, 2]}\n")
    args: dict[str, Any] = {
        "output_dir": project / "sweep",
        "notebooks_dir": project / "notebooks",
        "cache_dir": project / "cache",
        "progress": lambda line: None,
    }
    sets = build_sweep(spec, **args)
    assert [c for c, _ in sets] == [
        {"strategy": "a", "seed": 1},
        {"strategy": "a", "seed": 2},
        {"strategy": "b", "seed": 1},
        {"strategy": "b", "seed": 2},
    ]
    assert all(r.ok for _, r in sets)
    index = (project / "sweep" / "index.html").read_text()
    records = json.loads((project / "sweep" / "sweep.json").read_text())
    folders = [r["folder"] for r in records]
    assert len(set(folders)) == 4 and all(f.startswith("strategy_") for f in folders)
    for folder in folders:  # file-safe names, each linked and holding its own reports
        assert f'href="{folder}/index.html"' in index
        assert (project / "sweep" / folder / "index.html").is_file()
    assert "<td>4</td>" in index  # seed 2, times two, from that set's own facts
    # the same cache: a second sweep runs nothing
    again = build_sweep(spec, **args)
    assert all(run.reused for _, r in again for run in r.runs)


@pytest.mark.integration
def test_the_cli_runs_a_sweep(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _write(project / "s.yaml", "grid: {seed: [5]}\n")
    code = main(
        [
            "build",
            "--sweep",
            str(spec),
            "--notebooks-dir",
            str(project / "notebooks"),
            "--output-dir",
            str(project / "sweep"),
            "--cache-dir",
            str(project / "cache"),
        ]
    )
    assert code == 0
    assert "sweep: 1 of 1 sets built" in capsys.readouterr().out

"""The incremental build: exactly the notebooks whose inputs changed re-run, and say why.

A mutation suite on two tiny notebooks (each a real papermill run): touching nothing
runs nothing; a parameter, the returns file, one notebook's code or the package's
source re-run the affected set; a deleted output is restored; a corrupt cache entry is
discarded; and after every mutation the outputs equal those of a ``--force`` build.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from cma_research.pipeline.build import build, cache
from cma_research.pipeline.build import plan as plan_steps
from cma_research.pipeline.build.cache import BuildCache
from tests.notebooks import tiny_notebook

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


READS_RETURNS = (
    "from pathlib import Path\n"
    "rows = Path(returns_path).read_text().splitlines()\n"
    "out = Path(output_dir) / 'tables'\n"
    "out.mkdir(parents=True, exist_ok=True)\n"
    "(out / '01_rows.csv').write_text(f'rows,seed\\n{len(rows)},{seed}\\n')\n"
    "print(len(rows))"
)
USES_VALUE = (
    "from pathlib import Path\n"
    "import sys\n"
    "out = Path(output_dir) / 'tables'\n"
    "out.mkdir(parents=True, exist_ok=True)\n"
    "if value == 99:\n"
    "    raise ValueError('value 99 is refused')\n"
    "(out / '02_value.csv').write_text(f'value\\n{value}\\n')\n"
    "import hashlib, os\n"
    "# the interpreter by a digest: shared outputs show no local path (it would be scrubbed)\n"
    "print(hashlib.sha256(os.path.realpath(sys.executable).encode()).hexdigest())"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "data" / "returns.csv").write_text("a\n1\n2\n")
    tiny_notebook(
        root / "notebooks" / "01_rows.ipynb",
        'returns_path: str = "data/returns.csv"  # help: the returns\n'
        "seed: int = 1  # help: a seed\n"
        'output_dir: str = "reports"  # help: outputs',
        READS_RETURNS,
    )
    tiny_notebook(
        root / "notebooks" / "02_value.ipynb",
        'value: int = 1  # help: a number\noutput_dir: str = "reports"  # help: outputs',
        USES_VALUE,
    )
    return root


def _build(root: Path, out: str = "reports", **kwargs: Any) -> Any:
    lines: list[str] = []
    result = build(
        notebooks_dir=root / "notebooks",
        output_dir=root / out,
        cache_dir=root / ".cache",
        progress=lines.append,
        **kwargs,
    )
    result.lines = lines
    return result


def _ran(result: Any) -> dict[str, str]:
    return {r.name: r.reason for r in result.runs if not r.reused}


def _hashes(result: Any) -> dict[str, str]:
    outputs = json.loads((result.output_dir / "manifest.json").read_text())["outputs"]
    return {k: v for k, v in outputs.items() if k != "index.html"}


def _same_as_forced(root: Path, result: Any, **kwargs: Any) -> None:
    forced = _build(root, "forced", force=True, **kwargs)
    assert forced.ok
    assert _hashes(result) == _hashes(forced)


def test_mutations_rerun_exactly_the_affected_notebooks(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _build(project)
    assert first.ok and _ran(first) == {
        "01_rows": "re-run: no previous result",
        "02_value": "re-run: no previous result",
    }
    # touching nothing: nothing runs, and the outputs stay what a forced build makes
    again = _build(project)
    assert again.ok and _ran(again) == {}
    assert all(r.reused and r.reason == "cached" for r in again.runs)
    _same_as_forced(project, again)
    # a parameter only one notebook declares
    changed = _build(project, params={"value": 7})
    assert _ran(changed) == {"02_value": "re-run: parameter value changed"}
    _same_as_forced(project, changed, params={"value": 7})
    # the returns file
    (project / "data" / "returns.csv").write_text("a\n1\n2\n3\n")
    changed = _build(project, params={"value": 7})
    assert _ran(changed) == {"01_rows": "re-run: returns file changed"}
    assert (project / "reports" / "tables" / "01_rows.csv").read_text() == "rows,seed\n4,1\n"
    # one notebook's code (outputs, ids and metadata do not count)
    nb = nbformat.read(project / "notebooks" / "02_value.ipynb", as_version=4)
    nb.cells[2].source += "\nprint('changed')"
    nbformat.write(nb, project / "notebooks" / "02_value.ipynb")
    changed = _build(project, params={"value": 7})
    assert _ran(changed) == {"02_value": "re-run: notebook code changed"}
    # the package's own source
    monkeypatch.setattr(cache, "package_source_hash", lambda: "another source")
    changed = _build(project, params={"value": 7})
    assert set(_ran(changed).values()) == {"re-run: cma_research source changed"}
    _same_as_forced(project, changed, params={"value": 7})


def test_a_deleted_output_is_restored_from_the_cache(project: Path) -> None:
    _build(project)
    target = project / "reports" / "tables" / "01_rows.csv"
    before = target.read_bytes()
    target.unlink()
    again = _build(project)
    assert _ran(again) == {}
    assert target.read_bytes() == before


def test_a_corrupt_cache_entry_is_discarded_and_rebuilt(project: Path) -> None:
    _build(project)
    stored = next((project / ".cache" / "01_rows").rglob("01_rows.csv"))
    stored.write_text("truncated")
    again = _build(project)
    assert _ran(again) == {"01_rows": "re-run: no cached result"}
    assert any("cache entry of 01_rows is corrupt" in line for line in again.lines)
    assert (project / "reports" / "tables" / "01_rows.csv").read_text().startswith("rows,seed")
    _same_as_forced(project, again)


def test_dry_run_prints_the_plan_and_writes_nothing(project: Path) -> None:
    plan = _build(project, dry_run=True)
    assert plan.plan == [
        "01_rows: re-run: no previous result",
        "02_value: re-run: no previous result",
    ]
    assert not (project / "reports").exists() and not (project / ".cache").exists()
    first = _build(project)
    assert first.ok, first.summary()
    plan = _build(project, dry_run=True, params={"seed": 3})
    assert plan.plan == ["01_rows: re-run: parameter seed changed", "02_value: cached"]


def test_a_failed_notebook_leaves_no_stale_output(project: Path) -> None:
    first = _build(project)
    assert (project / "reports" / "tables" / "02_value.csv").exists()
    failed = _build(project, params={"value": 99})
    assert not failed.ok
    assert not (project / "reports" / "tables" / "02_value.csv").exists()
    outputs = _hashes(failed)
    assert "tables/02_value.csv" not in outputs and "html/02_value.html" not in outputs
    index = (project / "reports" / "index.html").read_text()
    assert "02_value.csv" not in index and "FAILED" in index
    assert first.ok


def test_only_marks_other_notebooks_as_from_an_earlier_run(project: Path) -> None:
    _build(project)
    (project / "data" / "returns.csv").write_text("a\n9\n")
    partial = _build(project, only=["01_rows"])
    manifest = json.loads((project / "reports" / "manifest.json").read_text())
    assert manifest["notebooks"]["01_rows"]["this_run"] is True
    assert manifest["notebooks"]["02_value"]["this_run"] is False
    index = (project / "reports" / "index.html").read_text()
    assert "Reports from an earlier run" in index and "from an earlier run" in index
    assert [r.name for r in partial.runs] == ["01_rows"]


def test_notebooks_run_in_this_interpreter_not_a_kernelspec_named_python3(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_kernels: None
) -> None:
    # a user-level "python3" kernelspec pointing at another interpreter is ignored; fresh
    # kernels are the ones started from a command line (warm ones are forks of this
    # interpreter's preload process)
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps({"argv": ["/bin/false", "{connection_file}"], "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    result = _build(project)
    assert result.ok, result.summary()
    executed = nbformat.read(project / "reports" / "notebooks" / "02_value.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for o in executed.cells[-1].outputs)
    expected = hashlib.sha256(os.path.realpath(sys.executable).encode()).hexdigest()
    assert printed.strip() == expected  # the kernel ran this interpreter


def test_the_plan_steps_one_by_one(project: Path) -> None:
    # validate -> plan, without running anything: every notebook must run, and why
    request = plan_steps.validate_request(
        project / "notebooks", params={"seed": 4}, output_dir=project / "reports"
    )
    assert [p.stem for p in request.notebooks] == ["01_rows", "02_value"]
    assert request.params_for("01_rows")["seed"] == 4
    assert request.params_for("01_rows")["returns_path"] == str(project / "data" / "returns.csv")
    assert request.shown_params("01_rows")["returns_path"] == "data/returns.csv"
    cache = BuildCache(plan_steps.cache_folder(project / ".cache", request.root), print)
    first = plan_steps.make_plan(request, cache)
    assert first.lines == [
        "01_rows: re-run: no previous result",
        "02_value: re-run: no previous result",
    ]
    assert [p.stem for p in first.to_run] == ["01_rows", "02_value"]
    assert not (project / "reports").exists()  # planning writes nothing
    # after a build, the same request is planned from the cache, and restored without a run
    assert _build(project, params={"seed": 4}).ok
    again = plan_steps.make_plan(request, cache)
    assert again.decisions == {"01_rows": "cached", "02_value": "cached"} and again.to_run == []
    assert plan_steps.make_plan(request, cache, force=True).lines == [
        "01_rows: re-run: --force",
        "02_value: re-run: --force",
    ]
    table = project / "reports" / "tables" / "01_rows.csv"
    table.unlink()
    said: list[str] = []
    runs = plan_steps.restore_cached(again, said.append)
    assert said == ["01_rows: cached", "02_value: cached"]
    assert all(r.reused and r.reason == "cached" for r in runs.values())
    assert table.read_text() == "rows,seed\n3,4\n"  # 3 lines in returns.csv, seed 4

"""The README's plain-papermill command works as written, from the project root, and
writes nothing outside the folder it names."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

pytestmark = pytest.mark.integration


def _readme_papermill_line() -> list[str]:
    lines = [
        ln.split("#")[0].strip()
        for ln in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
        if ln.startswith(".venv/bin/papermill ")
    ]
    assert len(lines) == 1, lines
    return shlex.split(lines[0])


# what other processes may write while this test runs (tests on other xdist workers, a type
# check beside the tests): the caches of tools, never outputs of the command
NOT_OURS = frozenset(
    {".git", ".venv", ".cma-cache", "__pycache__", ".hypothesis", ".mypy_cache", ".pytest_cache",
     ".ruff_cache"}
)  # fmt: skip


def _project_files() -> set[Path]:
    found = set()
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in NOT_OURS]
        found |= {Path(folder) / name for name in files + dirs}
    return found


def test_the_readme_papermill_command_runs_from_the_project_root(tmp_path: Path) -> None:
    argv = _readme_papermill_line()
    out_dir = tmp_path / "out"
    argv = [str(tmp_path / "out.ipynb") if a == "/tmp/out.ipynb" else a for a in argv]
    argv = [str(out_dir) if a == "/tmp/out" else a for a in argv]
    argv[0] = str(Path(sys.executable).with_name("papermill"))
    before = _project_files()
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "out.ipynb").exists()
    assert any((out_dir / "tables").glob("03_*.csv"))
    new = sorted(str(p.relative_to(ROOT)) for p in _project_files() - before)
    assert new == [], new  # nothing written inside the project (data/raw included)

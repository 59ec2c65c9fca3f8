"""package_versions keys, and git_commit on a temporary repository and outside git."""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

from cma_research.pipeline.provenance import git_commit, package_versions


def test_package_versions_keys_and_values() -> None:
    got = package_versions()
    assert list(got) == [
        "python",
        "cma_research",
        "numpy",
        "pandas",
        "scipy",
        "statsmodels",
        "matplotlib",
        "seaborn",
        "pyarrow",
        "openpyxl",
        "papermill",
        "nbconvert",
    ]
    assert got["python"] == platform.python_version()
    assert got["numpy"] == metadata.version("numpy")
    assert got["pandas"] == metadata.version("pandas")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_commit_clean_then_dirty(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("one\n", encoding="utf-8")
    git(tmp_path, "add", "a.txt")
    git(tmp_path, "commit", "-q", "-m", "first")
    head = git(tmp_path, "rev-parse", "HEAD")
    assert re.fullmatch(r"[0-9a-f]{40}", head)
    assert git_commit(tmp_path) == head
    (tmp_path / "new.txt").write_text("untracked\n", encoding="utf-8")
    assert git_commit(tmp_path) == head  # untracked files do not make it dirty
    (tmp_path / "a.txt").write_text("two\n", encoding="utf-8")
    assert git_commit(tmp_path) == f"{head}-dirty"
    assert git_commit(str(tmp_path)) == f"{head}-dirty"


def test_git_commit_outside_git_is_none(tmp_path: Path) -> None:
    # tmp_path lies outside any repository (pytest's base temp is not in the project)
    assert git_commit(tmp_path) is None
    assert git_commit(tmp_path / "does_not_exist") is None

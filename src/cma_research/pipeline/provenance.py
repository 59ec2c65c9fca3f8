"""Provenance recorded in every output: versions, git commit, input checksums."""

from __future__ import annotations

import platform
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path

__all__ = ["git_commit", "package_versions"]

_PACKAGES = (
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
)


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages whose behaviour can change a result.

    Read once per process (each reading parses the packages' metadata files; a build
    asks once per notebook), as the package's own source hash is.
    """
    return dict(_versions())


@cache
def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit(path: str | Path = ".") -> str | None:
    """The commit checked out at ``path`` (with ``-dirty`` if changed), or None."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=path,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=path,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head

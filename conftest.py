"""Repository-wide pytest setup: tests and doctests run from the repository root."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Doctests use paths like data/raw/...; run every test from the repository root."""
    monkeypatch.chdir(ROOT)

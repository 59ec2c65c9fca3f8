"""Repository-wide pytest setup.

Doctests run in an empty temporary folder: the examples use the bundled data
(``cma_research.datasets``), so they work from any directory. Other tests run from the
repository root.
"""

from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _working_directory(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    if isinstance(request.node, DoctestItem):
        monkeypatch.chdir(tmp_path_factory.mktemp("doctest"))
    else:
        monkeypatch.chdir(ROOT)

"""Hardening tests (issue 10): whatever a test feeds the package, data/raw/ is unchanged."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.notebooks import tiny_notebook
from tests.paths import ROOT

RAW = ROOT / "data" / "raw"


def raw_digests() -> dict[str, str]:
    """SHA-256 of every file under data/raw/, by relative path."""
    return {
        str(p.relative_to(RAW)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(RAW.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session", autouse=True)
def _raw_baseline() -> Iterator[dict[str, str]]:
    """data/raw/ digests before the first hardening test; compared again after the last."""
    before = raw_digests()
    assert before, f"no files under {RAW}"
    yield before
    assert raw_digests() == before, "data/raw/ changed during the hardening tests"


@pytest.fixture(autouse=True)
def _raw_data_unchanged(_raw_baseline: dict[str, str]) -> Iterator[None]:
    """After every test, data/raw/ is byte-identical (no file added, changed or lost)."""
    yield
    assert raw_digests() == _raw_baseline, "data/raw/ changed during this test"


@pytest.fixture
def table4_text() -> str:
    """The bundled Table 4 as text (header + 16 rows)."""
    return (RAW / "customer_wise_2007.csv").read_text(encoding="utf-8")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


@pytest.fixture
def tiny_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project of one tiny notebook that writes a table."""
    monkeypatch.delenv("CMA_CACHE_DIR", raising=False)
    monkeypatch.delenv("CMA_CACHE_KEY", raising=False)
    monkeypatch.delenv("CMA_DASK_SCHEDULER", raising=False)
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "data" / "returns.csv").write_text("a\n1\n2\n")
    tiny_notebook(
        root / "notebooks" / "01_rows.ipynb",
        'returns_path: str = "data/returns.csv"  # help: the returns\n'
        "seed: int = 1  # help: a seed\n"
        'output_dir: str = "reports"  # help: outputs',
        "from pathlib import Path\n"
        "rows = Path(returns_path).read_text().splitlines()\n"
        "out = Path(output_dir) / 'tables'\n"
        "out.mkdir(parents=True, exist_ok=True)\n"
        "(out / '01_rows.csv').write_text(f'rows,seed\\n{len(rows)},{seed}\\n')\n",
    )
    return root


@pytest.fixture
def no_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any notebook run fails the test: a refusal must come before any kernel starts."""
    import papermill as pm

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(pm, "execute_notebook", refuse)

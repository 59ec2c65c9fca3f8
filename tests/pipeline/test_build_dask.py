"""The build on a Dask cluster: same outputs as a local build, and no half-written report
when a worker dies mid-notebook (the notebook is rescheduled, or named as failed)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

import cma_research as cma
from cma_research.pipeline.build import build, warm
from cma_research.pipeline.build import run as runner

distributed = pytest.importorskip("distributed", reason="pip install cma_research[dask]")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),
    pytest.mark.xdist_group("dask_cluster"),  # one LocalCluster, on one worker
    pytest.mark.usefixtures("fresh_kernels"),  # Dask workers: see tests/pipeline/conftest.py
]

KILL_ONCE = (
    "import os, signal\n"
    "from pathlib import Path\n"
    "marker = Path(output_dir).parent / 'killed-once'\n"
    "if kill and not marker.exists():\n"
    "    marker.write_text('x')\n"
    "    # the Dask worker that started this kernel (its parent, or the parent of the warm\n"
    "    # kernels' preload process: jupyter_client's JPY_PARENT_PID names it either way)\n"
    "    os.kill(int(os.environ['JPY_PARENT_PID']), signal.SIGKILL)\n"
    "(Path(output_dir) / 'tables').mkdir(parents=True, exist_ok=True)\n"
    "(Path(output_dir) / 'tables' / f'{prefix}_t.csv').write_text('a\\n1\\n')"
)


def _notebook(path: Path, prefix: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cell = nbformat.v4.new_code_cell(
        'output_dir: str = "reports"  # help: outputs\n'
        "kill: bool = False  # help: kill the worker once\n"
        f'prefix: str = "{prefix}"  # help: file prefix'
    )
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(KILL_ONCE)]
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i}"
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    # the workers start their kernels fresh, as the local builds here do (the notebooks
    # are tiny: a warm kernel's preload would import the whole stack on every worker)
    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as mp:
        warnings.simplefilter("ignore")
        mp.setenv(warm.WARM_ENV, "0")
        local = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
    try:
        yield local.scheduler_address
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            local.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    _notebook(nbs / "01_a.ipynb", "01")
    _notebook(nbs / "02_b.ipynb", "02")
    return tmp_path


def _hashes(out: Path) -> dict[str, str]:
    outputs = json.loads((out / "manifest.json").read_text())["outputs"]
    return {k: v for k, v in outputs.items() if k != "index.html"}


def test_a_cluster_build_equals_a_local_build(project: Path, cluster: str) -> None:
    on_cluster = build(
        notebooks_dir=project / "notebooks",
        output_dir=project / "dask",
        cache_dir=project / "c1",
        scheduler=cluster,
        progress=lambda line: None,
    )
    local = build(
        notebooks_dir=project / "notebooks",
        output_dir=project / "local",
        cache_dir=project / "c2",
        progress=lambda line: None,
    )
    assert on_cluster.ok and local.ok, on_cluster.summary()
    assert _hashes(project / "dask") == _hashes(project / "local")


def test_a_worker_killed_mid_notebook_is_retried(project: Path, cluster: str) -> None:
    result = build(
        notebooks_dir=project / "notebooks",
        output_dir=project / "r",
        cache_dir=project / "c",
        scheduler=cluster,
        params={"kill": True},
        only=["01_a"],
        progress=lambda line: None,
    )
    assert (project / "killed-once").exists()  # the first try really lost its worker
    assert result.ok, result.summary()
    assert (project / "r" / "tables" / "01_t.csv").read_text() == "a\n1\n"
    assert not list((project / "r").rglob(".*running*"))


def test_an_unreachable_scheduler_is_one_error_before_anything_runs(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT", "1s")  # refused at once; no need to wait 10 s
    with pytest.raises(cma.ParameterError, match="cannot reach the Dask scheduler"):
        build(
            notebooks_dir=project / "notebooks",
            output_dir=project / "r",
            cache_dir=project / "c",
            scheduler="tcp://127.0.0.1:9",
        )
    assert not (project / "r").exists()

"""run_tasks: order, in-process vs processes, and the Dask scheduler refusal."""

from __future__ import annotations

import importlib.util
import operator
import warnings

import pytest

from cma_research.analysis.executor import SCHEDULER_ENV, run_tasks
from cma_research.core.errors import ParameterError


def test_in_process_keeps_order() -> None:
    assert run_tasks(operator.neg, [3, 1, 2]) == [-3, -1, -2]
    assert run_tasks(operator.neg, []) == []


def test_processes_give_the_same_results_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    items = list(range(20))
    assert run_tasks(operator.neg, items, jobs=2) == [-i for i in items]


@pytest.mark.parametrize("jobs", [0, -1, 1.5, True])
def test_bad_jobs(jobs: object) -> None:
    with pytest.raises(ParameterError, match="jobs="):
        run_tasks(operator.neg, [1], jobs=jobs)  # type: ignore[arg-type]


@pytest.mark.skipif(importlib.util.find_spec("dask") is not None, reason="dask is installed")
def test_scheduler_without_dask(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ParameterError, match=r"pip install cma_research\[dask\]"):
        run_tasks(operator.neg, [1], scheduler="tcp://127.0.0.1:8786")
    monkeypatch.setenv(SCHEDULER_ENV, "tcp://127.0.0.1:8786")
    with pytest.raises(ParameterError, match=r"tcp://127\.0\.0\.1:8786"):
        run_tasks(operator.neg, [1])
    monkeypatch.setenv(SCHEDULER_ENV, "")  # empty means unset
    assert run_tasks(operator.neg, [1]) == [-1]


@pytest.mark.integration
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_dask_scheduler_gives_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed", reason="pip install cma_research[dask]")
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dask's own notes (ports, deprecations)
        cluster = distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
    try:
        items = list(range(7))
        got = run_tasks(operator.neg, items, scheduler=cluster.scheduler_address)
        assert got == [-i for i in items]
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cluster.close()

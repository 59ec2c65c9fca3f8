"""Where the notebooks run: threads of this process, or tasks on a Dask cluster.

Locally, ``workers`` threads each drive one kernel at a time (:func:`~.execute.execute_one`:
the kernel computes, the thread waits for it), and one more thread publishes each
executed notebook (:func:`~.execute.publish_one`: the shareable notebook and its two
HTML files). A kernel slot goes to the next notebook as soon as its kernel is done, so
the kernels keep the cores busy while this process converts HTML beside them; the
HTML exporters are made ready (templates compiled) while the first kernels start.
On a Dask cluster each task runs and publishes one notebook (:func:`~.execute.run_one`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from cma_research.analysis.executor import (
    SCHEDULER_ENV,
    check_scheduler_address,
    probe_scheduler,
)
from cma_research.analysis.executor import connect as connect_client
from cma_research.pipeline.build import convert, execute
from cma_research.pipeline.build.records import NotebookRun

__all__ = ["CONNECT_TIMEOUT", "connect", "execute_all", "probe", "scheduler_address", "source"]

#: How long :func:`connect` waits for a Dask scheduler to answer before giving up.
CONNECT_TIMEOUT = "10s"


def source(scheduler: str | None) -> str:
    """Where the scheduler address came from, as messages name it."""
    return "--scheduler" if scheduler is not None else f"${SCHEDULER_ENV}"


def scheduler_address(scheduler: str | None) -> str | None:
    """The scheduler to use (``scheduler``, else ``$CMA_DASK_SCHEDULER``), its form checked.

    None for a local build. A malformed address is one
    :class:`~cma_research.ParameterError` line (see
    :func:`cma_research.analysis.executor.check_scheduler_address`), before anything runs.
    """
    import os

    address = scheduler if scheduler is not None else os.environ.get(SCHEDULER_ENV) or None
    if address is None:
        return None
    return check_scheduler_address(address, source(scheduler))


def _seconds() -> float:
    text = str(CONNECT_TIMEOUT).strip().removesuffix("s")
    return float(text)


def probe(address: str, label: str = "--scheduler") -> None:
    """Check that a Dask scheduler answers at ``address`` within :data:`CONNECT_TIMEOUT`.

    A closed port, a listener that never answers or is not a Dask scheduler: one
    :class:`~cma_research.ParameterError` (see
    :func:`cma_research.analysis.executor.probe_scheduler`), nothing started or written.
    """
    probe_scheduler(address, timeout=_seconds(), label=label)


def connect(address: str, label: str = "--scheduler") -> Any:
    """A Dask client for ``address``, or one clear error line (before anything runs).

    A closed port, a listener that never answers or is not a Dask scheduler: one
    :class:`~cma_research.ParameterError` within :data:`CONNECT_TIMEOUT`.
    """
    return connect_client(address, timeout=_seconds(), label=label)


def execute_all(
    tasks: Sequence[tuple[Path, tuple[Any, ...]]], workers: int, client: Any
) -> Iterator[tuple[Path, NotebookRun]]:
    """Run the notebooks: in threads of this process, or as tasks on a Dask cluster.

    On a cluster a worker that dies mid-task has its notebook rescheduled on another
    worker (``retries``); when every try failed the notebook is a named failure, and
    its outputs were removed before it ran, so nothing half-written remains.
    """
    if not tasks:
        return
    if client is None:
        yield from _in_threads(tasks, workers)
        return
    from dask.distributed import as_completed as dask_completed

    futures = {
        client.submit(execute.run_one, *args, key=f"cma-build-{p.stem}", pure=False, retries=2): p
        for p, args in tasks
    }
    for fut in dask_completed(list(futures)):
        p = futures[fut]
        try:
            yield p, fut.result()
        except Exception as exc:  # a worker that died on every try, or a lost task
            error = f"failed on the Dask cluster: {type(exc).__name__}: {str(exc)[:200]}"
            yield p, NotebookRun(p.stem, False, 0.0, error)


def _in_threads(
    tasks: Sequence[tuple[Path, tuple[Any, ...]]], workers: int
) -> Iterator[tuple[Path, NotebookRun]]:
    """Kernels in ``workers`` threads, publishing in one more, as each notebook is done."""
    slots = max(1, min(workers, len(tasks)))
    convert.import_notebook_stack()  # before the threads (they import papermill)
    with (
        ThreadPoolExecutor(slots, thread_name_prefix="cma-kernel") as kernels,
        ThreadPoolExecutor(1, thread_name_prefix="cma-publish") as publisher,
    ):
        publisher.submit(convert.warm_up)  # templates compiled while the kernels start
        owner: dict[Future[Any], Path] = {
            kernels.submit(execute.execute_one, *a): p for p, a in tasks
        }
        pending = set(owner)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                p, result = owner.pop(fut), fut.result()
                if isinstance(result, execute.Executed):
                    published = publisher.submit(execute.publish_one, result)
                    owner[published] = p
                    pending.add(published)
                else:
                    yield p, result

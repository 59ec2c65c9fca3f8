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

from cma_research.core.errors import ParameterError
from cma_research.pipeline.build import convert, execute
from cma_research.pipeline.build.records import NotebookRun

__all__ = ["CONNECT_TIMEOUT", "connect", "execute_all"]

#: How long :func:`connect` tries to reach a Dask scheduler before giving up.
CONNECT_TIMEOUT = "10s"


def connect(address: str) -> Any:
    """A Dask client for ``address``, or one clear error line (before anything runs)."""
    try:
        from dask.distributed import Client  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ParameterError(
            f"--scheduler {address}: dask.distributed is not installed; "
            "pip install cma_research[dask]"
        ) from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise ParameterError(
            f"--scheduler {address}: cannot reach the Dask scheduler ({type(exc).__name__}); "
            "start it (dask scheduler) or check the address"
        ) from None


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

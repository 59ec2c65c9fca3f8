"""Where the notebooks run: threads of this process, or tasks on a Dask cluster."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from cma_research.core.errors import ParameterError
from cma_research.pipeline.build import execute
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
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(tasks)))) as pool:
            futures = {pool.submit(execute.run_one, *args): p for p, args in tasks}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
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

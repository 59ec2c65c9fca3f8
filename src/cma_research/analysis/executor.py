"""Run independent tasks in-process, in local processes, or on a Dask cluster.

One entry point, :func:`run_tasks`, so that simulations (and the build) choose where to
run with two arguments and get their results back in input order either way. Tasks
must not share state; seeds travel with the items (derive them with
``numpy.random.SeedSequence(seed).spawn(k)``), so the results do not depend on ``jobs``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from cma_research.core.errors import ParameterError

__all__ = ["SCHEDULER_ENV", "run_tasks"]

#: Environment variable naming a Dask scheduler address (``tcp://host:8786``).
SCHEDULER_ENV = "CMA_DASK_SCHEDULER"

T = TypeVar("T")
R = TypeVar("R")


def _dask_client(address: str) -> Any:
    try:
        from dask.distributed import Client  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ParameterError(
            f"scheduler={address!r} needs dask.distributed, which is not installed; "
            "install it with: pip install cma_research[dask] (or pip install 'dask[distributed]')"
        ) from None
    return Client(address)


def run_tasks(
    func: Callable[[T], R],
    items: Iterable[T],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
) -> list[R]:
    """Apply ``func`` to every item; the results come back in the order of ``items``.

    Parameters
    ----------
    func : callable
        A module-level function (it is pickled for processes and Dask workers).
    items : iterable
        One argument per task.
    jobs : int
        1 (default): run in this process, one after another. More than 1: a
        :class:`concurrent.futures.ProcessPoolExecutor` with that many workers.
    scheduler : str, optional
        A Dask scheduler address (``"tcp://host:8786"``); the tasks run on that cluster
        through :class:`dask.distributed.Client` (``pip install cma_research[dask]``).
        Default: the environment variable ``CMA_DASK_SCHEDULER`` when set. ``jobs`` is
        ignored when a scheduler is used.

    Returns
    -------
    list
        ``[func(item) for item in items]``, computed where asked.

    Raises
    ------
    ParameterError
        ``jobs`` below 1, or a scheduler without dask installed.

    Examples
    --------
    >>> run_tasks(abs, [-2, 3, -1])
    [2, 3, 1]
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"jobs={jobs!r} must be a whole number >= 1")
    work = list(items)
    address = scheduler if scheduler is not None else os.environ.get(SCHEDULER_ENV) or None
    if address is not None:
        if not isinstance(address, str) or not address.strip():
            raise ParameterError(
                f"scheduler={address!r} must be an address such as 'tcp://host:8786'"
            )
        client = _dask_client(address)
        try:
            futures = client.map(func, work, pure=False)
            return list(client.gather(futures))
        finally:
            client.close()
    if jobs == 1 or len(work) <= 1:
        return [func(item) for item in work]
    with ProcessPoolExecutor(max_workers=min(jobs, len(work))) as pool:
        return list(pool.map(func, work))

"""Run independent tasks in-process, in local processes, or on a Dask cluster.

One entry point, :func:`run_tasks`, so that simulations (and the build) choose where to
run with two arguments and get their results back in input order either way. Tasks
must not share state; seeds travel with the items (derive them with
``numpy.random.SeedSequence(seed).spawn(k)``), so the results do not depend on ``jobs``.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from cma_research.core.errors import ParameterError, shorten

__all__ = [
    "CONNECT_SECONDS",
    "SCHEDULER_ENV",
    "SCHEDULER_SCHEMES",
    "check_scheduler_address",
    "connect",
    "probe_scheduler",
    "run_tasks",
]

#: Environment variable naming a Dask scheduler address (``tcp://host:8786``).
SCHEDULER_ENV = "CMA_DASK_SCHEDULER"
#: Seconds :func:`connect` waits for a Dask scheduler to answer before giving up.
CONNECT_SECONDS = 10.0
#: The address schemes of a Dask scheduler (``inproc`` only within this process).
SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "inproc")

T = TypeVar("T")
R = TypeVar("R")

_EXAMPLE = "expected a Dask scheduler address such as tcp://host:8786"
_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})$")


def check_scheduler_address(address: object, label: str = "scheduler") -> str:
    """``address`` if it can be a Dask scheduler's address; else one ParameterError line.

    An address is ``tcp://HOST:PORT`` (or ``HOST:PORT``, which Dask reads as tcp),
    ``tls://``, ``ws://`` or ``wss://`` with a host and a port from 1 to 65535, or an
    in-process ``inproc://`` address. A web address (``http://``, the dashboard's) and
    ``tls://``/``wss://`` without TLS certificates in the Dask configuration are refused
    with what to do instead. ``label`` names the option in the message.

    Examples
    --------
    >>> check_scheduler_address("tcp://127.0.0.1:8786")
    'tcp://127.0.0.1:8786'
    >>> check_scheduler_address("http://localhost:8787/status", "--scheduler")
    Traceback (most recent call last):
    ...
    cma_research.core.errors.ParameterError: --scheduler 'http://localhost:8787/status': ...
    """
    if not isinstance(address, str) or not address.strip():
        raise ParameterError(f"{label} {address!r}: empty; {_EXAMPLE}")
    shown = f"{label} {shorten(address)!r}"
    if len(address) > 300 or not address.isprintable() or address != address.strip():
        raise ParameterError(
            f"{shown}: not an address (spaces, control characters or too long); {_EXAMPLE}"
        )
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    scheme = scheme.lower()
    if scheme in ("http", "https"):
        raise ParameterError(
            f"{shown}: a web address (the dashboard's?), not a scheduler's; {_EXAMPLE}"
        )
    if scheme not in SCHEDULER_SCHEMES:
        raise ParameterError(
            f"{shown}: unknown scheme {shorten(scheme)!r} (known: "
            f"{', '.join(SCHEDULER_SCHEMES)}); {_EXAMPLE}"
        )
    if scheme == "inproc":
        if not rest:
            raise ParameterError(f"{shown}: no in-process scheduler named; {_EXAMPLE}")
        return address
    match = _HOST_PORT.match(rest)
    if match is None:
        raise ParameterError(f"{shown}: no HOST:PORT after {scheme}://; {_EXAMPLE}")
    port = int(match.group(2))
    if not 1 <= port <= 65535:
        raise ParameterError(f"{shown}: port {port} is not from 1 to 65535; {_EXAMPLE}")
    if scheme in ("tls", "wss"):
        import dask

        tls = {
            k: dask.config.get(f"distributed.comm.tls.{k}", None)
            for k in ("ca-file", "client.cert")
        }
        missing = [k for k, v in tls.items() if not v]
        if missing:
            raise ParameterError(
                f"{shown}: a {scheme}:// scheduler needs TLS certificates, and the Dask "
                f"configuration sets no distributed.comm.tls.{' or '.join(missing)}; set "
                "them (or use tcp:// on a trusted network)"
            )
    return address


def _dask_distributed(label: str, address: str) -> Any:
    try:
        import dask.distributed  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ParameterError(
            f"{label} {shorten(address)!r} needs dask.distributed, which is not installed; "
            "install it with: pip install cma_research[dask] (or pip install 'dask[distributed]')"
        ) from None
    return dask.distributed


async def _identity(address: str, seconds: float) -> Any:
    from distributed.comm import connect as comm_connect

    comm = await asyncio.wait_for(comm_connect(address, timeout=seconds), seconds)
    try:
        await asyncio.wait_for(comm.write({"op": "identity"}), seconds)
        return await asyncio.wait_for(comm.read(), seconds)
    finally:
        comm.abort()


def probe_scheduler(
    address: object, *, timeout: float | None = None, label: str = "scheduler"
) -> str:
    """Check ``address`` and that a Dask scheduler answers there within ``timeout`` seconds.

    The address is checked (:func:`check_scheduler_address`), then asked who it is
    (Dask's ``identity`` message) in a thread of its own, so a notebook's event loop is
    never touched and the answer is awaited at most ``timeout`` seconds (default
    :data:`CONNECT_SECONDS`): a closed port,
    a listener that never answers and a listener that is not a Dask scheduler (a web
    server, an SSH daemon) are each one :class:`ParameterError` line, nothing written.

    Returns
    -------
    str
        The address.
    """
    address = check_scheduler_address(address, label)
    _dask_distributed(label, address)
    timeout = CONNECT_SECONDS if timeout is None else float(timeout)
    shown = f"{label} {shorten(address)!r}"
    _refused(address, timeout, shown)
    box: dict[str, Any] = {}

    def ask() -> None:
        try:
            box["answer"] = asyncio.run(_identity(address, timeout))
        except BaseException as exc:  # any failure is reported as one line
            box["error"] = exc

    thread = threading.Thread(target=ask, name="cma-scheduler-probe", daemon=True)
    thread.start()
    thread.join(timeout + 2.0)
    answer, error = box.get("answer"), box.get("error")
    if thread.is_alive() or isinstance(error, TimeoutError | asyncio.TimeoutError):
        raise ParameterError(
            f"{shown}: no answer within {timeout:g} s (a listener that is not a Dask "
            "scheduler, or an unreachable one); check the address"
        )
    if error is not None:
        if isinstance(error, OSError) and "Timed out" in str(error):
            why = f"cannot reach the Dask scheduler within {timeout:g} s"
        elif isinstance(error, OSError):
            why = f"cannot reach the Dask scheduler ({type(error).__name__})"
        else:
            why = f"what answers is not a Dask scheduler ({type(error).__name__})"
        raise ParameterError(f"{shown}: {why}; start it (dask scheduler) or check the address")
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        raise ParameterError(f"{shown}: what answers is not a Dask scheduler; check the address")
    return address


def _refused(address: str, timeout: float, shown: str) -> None:
    """One line at once when nothing listens at the address (a closed port).

    Dask's own connect retries a refused connection until its timeout, so a closed port
    would otherwise read as a silent listener on a busy machine.
    """
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address)
    if parts.scheme not in ("tcp", "tls") or parts.hostname is None or parts.port is None:
        return
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=timeout):
            return
    except ConnectionRefusedError:
        raise ParameterError(
            f"{shown}: cannot reach the Dask scheduler (ConnectionRefusedError: nothing "
            "listens there); start it (dask scheduler) or check the address"
        ) from None
    except OSError:
        return  # unreachable or slow: the probe below says so


def connect(address: object, *, timeout: float | None = None, label: str = "scheduler") -> Any:
    """A :class:`dask.distributed.Client` of the scheduler at ``address``, or one error line.

    The address is probed first (:func:`probe_scheduler`: bounded by ``timeout``); the
    client is made only when a Dask scheduler answered.
    """
    timeout = CONNECT_SECONDS if timeout is None else float(timeout)
    address = probe_scheduler(address, timeout=timeout, label=label)
    distributed = _dask_distributed(label, address)
    try:
        return distributed.Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError, ValueError, TypeError, MemoryError) as exc:
        raise ParameterError(
            f"{label} {shorten(address)!r}: cannot connect to the Dask scheduler "
            f"({type(exc).__name__}); check the address"
        ) from None


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
        ``jobs`` below 1, a malformed scheduler address, one where no Dask scheduler
        answers within :data:`CONNECT_SECONDS`, or a scheduler without dask installed.

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
        client = connect(address)
        try:
            futures = client.map(func, work, pure=False)
            return list(client.gather(futures))
        finally:
            client.close()
    if jobs == 1 or len(work) <= 1:
        return [func(item) for item in work]
    with ProcessPoolExecutor(max_workers=min(jobs, len(work))) as pool:
        return list(pool.map(func, work))

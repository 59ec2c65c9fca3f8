"""Run one notebook with papermill; a failure is recorded, never raised.

Each notebook runs in a kernel started with the build's own interpreter
(``sys.executable -m ipykernel_launcher``), never a kernelspec found by name, so a
user-level ``python3`` kernelspec pointing at another environment cannot run the study
with other packages. The kernel's own log lines (TCP warnings, shutdown noise) go to a
log file, not to the terminal; its tail is quoted when a notebook fails to start.

The executed notebook is then made shareable: absolute local paths are replaced by
paths relative to the project root, the output folder by ``<output_dir>``, and files
outside the project by their file name.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cma_research.core.files import ensure_inside, write_all_atomic
from cma_research.pipeline.build import convert, warm
from cma_research.pipeline.build.parameters import ParamSpec
from cma_research.pipeline.build.records import NotebookRun

__all__ = [
    "KEEP_RESULT_CACHES",
    "KERNEL_ARGV",
    "KERNEL_START_RETRIES",
    "Executed",
    "error_of",
    "execute_one",
    "kernel_manager_class",
    "owned_outputs",
    "publish_one",
    "result_cache_folder",
    "result_key",
    "run_one",
    "scrub_paths",
]

#: How every notebook kernel is started: this interpreter, quiet.
KERNEL_ARGV = [
    sys.executable,
    "-m",
    "ipykernel_launcher",
    "-f",
    "{connection_file}",
    "--IPKernelApp.log_level=ERROR",
]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@cache
def kernel_manager_class() -> type[Any]:
    """The build's kernel manager: its kernel is always this interpreter, stderr to a log.

    A subclass of jupyter_client's ``AsyncKernelManager``, made on first use (a build
    that runs no notebook does not import jupyter_client). Also ``BuildKernelManager``.
    """
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class BuildKernelClient(AsyncKernelClient):
        """jupyter_client's client, ready without draining IOPub for 0.2 s at the end."""

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            """jupyter_client's check (a ``kernel_info`` reply, then a message on IOPub),
            without its last step: reading IOPub until 0.2 s pass without a message, which
            every kernel start waited out. nbclient ignores messages that answer another
            request, so a status message left behind changes nothing."""
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    msg = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    msg = None
                if msg is not None and msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub is connected once it carries a message
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        return
                if not await self._async_is_alive():
                    raise RuntimeError(_DIED_AT_START)
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    class BuildKernelManager(AsyncKernelManager):
        """A kernel manager whose kernel is always this interpreter, its stderr to a log."""

        log_path: str | None = None
        started: str = ""  # "warm" or "fresh", once the kernel is up
        extra_env: Mapping[str, str] = {}  # added to the kernel's environment

        @property
        def kernel_spec(self) -> KernelSpec:
            return KernelSpec(
                argv=list(KERNEL_ARGV),
                display_name=f"cma_research build (Python {sys.version.split()[0]})",
                language="python",
                interrupt_mode="signal",
            )

        @default("client_factory")
        def _build_client(self) -> type[AsyncKernelClient]:
            return BuildKernelClient

        async def _async_wait(self, pollinterval: float = 0.1) -> None:
            # jupyter_client polls a stopping kernel every 0.1 s; a notebook's slot waits
            # for it, so poll every 0.01 s (about 0.1 s less per notebook)
            await super()._async_wait(pollinterval=min(pollinterval, 0.01))

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            log = self.log_path or os.devnull
            cwd = kw.get("cwd") or os.getcwd()
            zygote = warm.preloader(Path(cwd))
            kw["env"] = {**(kw.get("env") or os.environ), **self.extra_env}
            # as jupyter_client's launcher: the kernel's environment names this process
            env = {**kw["env"], "JPY_PARENT_PID": str(os.getpid())}
            forked = zygote.spawn(kernel_cmd, cwd=cwd, env=env, log=log) if zygote else None
            if forked is not None:
                provisioner: Any = self.provisioner
                provisioner.process = forked
                provisioner.pid = provisioner.pgid = forked.pid
                provisioner.cwd = cwd
                self._reconcile_connection_info(provisioner.connection_info)
                type(self).started = "warm"
                return
            type(self).started = "fresh"
            kw["stderr"] = open(log, "ab")  # noqa: SIM115 - the kernel process owns it
            try:
                await super()._async_launch_kernel(kernel_cmd, **kw)
            finally:
                kw["stderr"].close()

    return BuildKernelManager


def __getattr__(name: str) -> Any:
    if name == "BuildKernelManager":
        return kernel_manager_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Result caches kept in the build cache (one per version of the package and the stack).
KEEP_RESULT_CACHES = 4


def result_key(root: Path) -> str:
    """The key (hex) that signs the result cache's files: derived from the project's
    cache key (:func:`~cma_research.pipeline.build.cache.signing_key`), which never
    enters the cache, so whoever can write the cache cannot make a kernel unpickle."""
    import hashlib
    import hmac

    from cma_research.pipeline.build.cache import signing_key

    key, _ = signing_key(root, create=False)
    return hmac.new(key, b"cma_research result cache", hashlib.sha256).hexdigest()


def result_cache_folder(
    cache_folder: Path, parts: Mapping[str, str], *, fresh: bool
) -> Path | None:
    """The result cache the build's kernels share (:mod:`cma_research.core.memo`).

    One folder per version of the ``cma_research`` source and of the stack (``parts``:
    a notebook's cache key parts), under ``results/`` of the build cache, so a result
    is reused only by the code that computed it; the :data:`KEEP_RESULT_CACHES` most
    recently used are kept. ``fresh`` (``--force``) empties it first: the build's
    kernels then share only what they compute themselves. None when the folder cannot
    be made (a cache lost or replaced mid-build): the kernels then share nothing.
    """
    import hashlib
    import json
    import shutil

    version = {k: parts.get(k, "") for k in ("cma_research source", "stack versions")}
    digest = hashlib.sha256(json.dumps(version, sort_keys=True).encode()).hexdigest()
    root = cache_folder / "results"
    folder = root / digest[:32]
    try:
        if fresh:
            shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        os.utime(folder)  # in use: kept
        others = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    except OSError:
        return None
    for old in others[: max(len(others) - KEEP_RESULT_CACHES, 0)]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def kernel_description() -> dict[str, str]:
    """What the manifest records about the notebook kernels."""
    from importlib import metadata  # not ``import ipykernel``: that imports jupyter_client

    return {
        "argv": " ".join(Path(a).name if i == 0 else a for i, a in enumerate(KERNEL_ARGV)),
        "python": sys.version.split()[0],
        "ipykernel": metadata.version("ipykernel"),
        "executable_in_build_environment": "yes",
        "start": (
            "warm: forked from a process that imported the stack (cma_research.pipeline.build.warm)"
            if warm.enabled()
            else f"fresh ({warm.WARM_ENV}=0)"
        ),
    }


def error_of(exc: BaseException, executed: Path) -> str:
    """Name the failing cell and line as the user sees them in the original notebook."""
    from papermill.exceptions import PapermillExecutionError

    if not isinstance(exc, PapermillExecutionError):
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    where = f"execution {exc.exec_count}"
    try:
        import nbformat

        nb = nbformat.read(executed, as_version=4)
        added = {"injected-parameters", "papermill-error-cell-tag"}  # cells papermill adds
        original = [c for c in nb.cells if not added & set(c.get("metadata", {}).get("tags", []))]
        for number, cell in enumerate(original, start=1):
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if not errors:
                continue
            lines = cell.source.splitlines()
            line_no = _failing_line(errors[0].get("traceback", []), len(lines))
            text = lines[line_no - 1].strip() if line_no else (lines[0] if lines else "")
            at = f", line {line_no}" if line_no else ""
            where = f"cell {number}{at} ({text[:60]!r})"
            break
    except (OSError, ValueError):
        pass
    return f"{where} raised {exc.ename}: {str(exc.evalue)[:300]}"


def _failing_line(traceback: list[str], n_lines: int) -> int | None:
    """The cell's own line in an IPython traceback (``Cell In[3], line 5``), if shown."""
    text = _ANSI.sub("", "\n".join(traceback))
    found = re.findall(r"Cell In\s*\[\d*\],\s*line (\d+)", text)
    if not found:
        return None
    line = int(found[0])
    return line if 1 <= line <= n_lines else None


def scrub_paths(text: str, *, root: Path, out_dir: Path, inputs: Mapping[str, str]) -> str:
    """Replace local absolute paths in ``text`` (JSON of a notebook, HTML, ...).

    ``out_dir`` becomes ``<output_dir>``; inputs outside the project their file name;
    the installed package outside the project ``cma_research`` (its notebooks, named in
    papermill's ``input_path``, read ``cma_research/notebooks/...``) and the Python
    installation ``<python>``; anything under ``root`` becomes relative to it.
    JSON-escaped forms are handled.
    """
    replacements: list[tuple[str, str]] = [(str(out_dir), "<output_dir>")]
    for value in inputs.values():
        p = Path(value)
        if p.is_absolute() and not _is_under(p, root):
            replacements.append((str(p), p.name))
    # the installed package (its notebooks: papermill's input_path; a traceback's files)
    # and the Python installation, when they lie outside the project
    from cma_research.pipeline.build.parameters import packaged_notebooks

    package = Path(__file__).resolve().parents[2]
    try:
        shipped: Path | None = packaged_notebooks().resolve()  # mapped when editable
    except (ImportError, OSError, TypeError):  # an install without them: nothing to name
        shipped = None
    for folder, name in (
        *([(shipped, "cma_research/notebooks")] if shipped is not None else []),
        (package, "cma_research"),
        (Path(sys.prefix), "<python>"),
        (Path(sys.base_prefix), "<python>"),
    ):
        if not _is_under(folder, root) and str(folder) not in ("", os.sep):
            replacements.append((str(folder) + os.sep, name + "/"))
    replacements.append((str(root) + os.sep, ""))
    replacements.append((str(root), "."))
    for old, new in sorted(replacements, key=lambda kv: -len(kv[0])):
        text = text.replace(old, new)
        escaped = json.dumps(old)[1:-1]
        if escaped != old:
            text = text.replace(escaped, json.dumps(new)[1:-1])
    return text


def _is_under(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def owned_outputs(out_dir: Path, name: str) -> list[Path]:
    """Every file in ``out_dir`` that notebook ``name`` produced (by its ``NN_`` prefix)."""
    prefix = name[:3]
    found = [
        out_dir / "notebooks" / f"{name}.ipynb",
        out_dir / "notebooks" / f"{name}.FAILED.ipynb",
        out_dir / "html" / f"{name}.html",
        out_dir / "html" / f"{name}.nocode.html",
    ]
    for sub in ("figures", "tables"):
        folder = out_dir / sub
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if p.name.startswith(prefix))
    return [p for p in found if p.is_file()]


@dataclass(frozen=True)
class _Paths:
    """Where one notebook's run writes: the executed notebook, its HTML, a failed copy."""

    executed: Path
    html: tuple[Path, Path]  # with code, code-free
    failed: Path


def _clear_outputs(out_dir: Path, name: str) -> _Paths:
    """Remove the notebook's previous outputs (so a failure leaves none); its output paths."""
    for stale in owned_outputs(out_dir, name):
        stale.unlink()
    for leftover in out_dir.glob(f".{name}.*.running.ipynb"):  # a try whose worker died
        leftover.unlink(missing_ok=True)
    executed = ensure_inside(out_dir, out_dir / "notebooks" / f"{name}.ipynb")
    html = (
        ensure_inside(out_dir, out_dir / "html" / f"{name}.html"),
        ensure_inside(out_dir, out_dir / "html" / f"{name}.nocode.html"),
    )
    executed.parent.mkdir(parents=True, exist_ok=True)
    return _Paths(executed, html, executed.with_name(f"{name}.FAILED.ipynb"))


def _papermill(
    nb_path: Path, tmp: Path, params: dict[str, Any], root: Path, manager: type[Any]
) -> None:
    """Execute the notebook into ``tmp`` with papermill, in a kernel of this interpreter."""
    import papermill as pm

    pm.execute_notebook(
        str(nb_path),
        str(tmp),
        parameters=params,
        cwd=str(root),
        kernel_name="cma-research-build",
        language="python",
        kernel_manager_class=manager,
        progress_bar=False,
        log_output=False,
        request_save_on_cell_execute=False,
    )


def _publish(
    tmp: Path,
    paths: _Paths,
    root: Path,
    out_dir: Path,
    inputs: Mapping[str, str],
    shown_params: Mapping[str, Any],
    specs: Mapping[str, ParamSpec],
) -> float:
    """Write the shareable executed notebook and its two HTML files; the cells' seconds."""
    import nbformat

    text = scrub_paths(tmp.read_text(encoding="utf-8"), root=root, out_dir=out_dir, inputs=inputs)
    nb = nbformat.reads(text, as_version=4)
    cells = _cell_seconds(nb)
    _strip_timings(nb)
    _show_parameters(nb, shown_params)
    variants = convert.html_variants(nb, shown_params, specs)
    write_all_atomic(
        {
            paths.executed: (nbformat.writes(nb) + "\n").encode(),
            paths.html[0]: variants[""].encode(),
            paths.html[1]: variants[".nocode"].encode(),
        }
    )
    return cells


@dataclass
class Executed:
    """A notebook papermill has executed, waiting to be published (:func:`publish_one`)."""

    name: str
    paths: _Paths
    tmp: Path  # the executed notebook as papermill wrote it (removed when published)
    root: Path
    out_dir: Path
    inputs: dict[str, str]
    shown_params: Mapping[str, Any]
    specs: Mapping[str, ParamSpec]
    kernel_start: str
    seconds: float  # from clearing the old outputs to the end of execution
    kernel_and_papermill: float  # of which not in the cells (cells: from the notebook)


#: A kernel that dies before it answers has run nothing (typically another process took
#: one of its ports between jupyter_client choosing them and the kernel binding them:
#: "Address already in use" in its log); it is started again, at most this many times.
KERNEL_START_RETRIES = 2
_DIED_AT_START = "Kernel died before replying to kernel_info"


def execute_one(
    nb_path: Path,
    params: dict[str, Any],
    out_dir: Path,
    specs: Mapping[str, ParamSpec],
    root: Path,
    shown_params: Mapping[str, Any],
    figure_cache: str | None = None,
    result_cache: str | None = None,
) -> Executed | NotebookRun:
    """Execute one notebook with papermill: :class:`Executed`, or the failure's record.

    The first half of :func:`run_one`; the build publishes the executed notebook in
    another thread, so a kernel slot never waits for HTML.
    """
    name = nb_path.stem
    start = time.perf_counter()
    paths = _clear_outputs(out_dir, name)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".running.ipynb", dir=out_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    log_fd, log_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".kernel.log")
    os.close(log_fd)
    from cma_research.core.memo import RESULT_CACHE_ENV, RESULT_KEY_ENV
    from cma_research.reporting.figure_cache import FIGURE_CACHE_ENV

    extra_env = {FIGURE_CACHE_ENV: figure_cache} if figure_cache else {}
    if result_cache:
        extra_env[RESULT_CACHE_ENV] = result_cache
        extra_env[RESULT_KEY_ENV] = result_key(root)
    manager: type[Any] = type(
        "RunKernelManager",
        (kernel_manager_class(),),
        {"log_path": log_name, "extra_env": extra_env},
    )
    inputs = {k: str(v) for k, v in params.items() if k.endswith("_path") and v}
    inputs["output_dir"] = str(out_dir)
    executed = False
    try:
        for attempt in range(KERNEL_START_RETRIES + 1):
            started_at = time.perf_counter()
            try:
                _papermill(nb_path, tmp, params, root, manager)
                executed = True
                break
            except RuntimeError as exc:
                if attempt == KERNEL_START_RETRIES or str(exc) != _DIED_AT_START:
                    raise
    except Exception as exc:  # any failure of one notebook is reported, not raised
        _finish_scrubbed(tmp, paths.failed, root, out_dir, inputs)
        error = error_of(exc, paths.failed)
        if "Kernel died" in error or "kernel" in type(exc).__name__.lower():
            error += _log_tail(log_name)
        return NotebookRun(name, False, time.perf_counter() - start, error, [paths.failed])
    finally:
        _close_thread_loop()
        Path(log_name).unlink(missing_ok=True)
        if not executed:
            tmp.unlink(missing_ok=True)
    done = time.perf_counter()
    return Executed(
        name,
        paths,
        tmp,
        root,
        out_dir,
        inputs,
        shown_params,
        specs,
        manager.started,
        done - start,
        done - started_at,
    )


def publish_one(executed: Executed) -> NotebookRun:
    """Write an executed notebook, shareable, and its two HTML files: the run's record.

    The second half of :func:`run_one`. A conversion failure fails this notebook (its
    outputs removed, the executed notebook kept as ``NN_name.FAILED.ipynb``), not the build.
    """
    e, paths = executed, executed.paths
    start = time.perf_counter()
    try:
        try:
            cells = _publish(e.tmp, paths, e.root, e.out_dir, e.inputs, e.shown_params, e.specs)
        except Exception as exc:  # a conversion failure fails this notebook, not the build
            for stale in [*paths.html, paths.executed]:
                stale.unlink(missing_ok=True)
            _finish_scrubbed(e.tmp, paths.failed, e.root, e.out_dir, e.inputs)
            error = f"HTML conversion failed: {type(exc).__name__}: {str(exc)[:300]}"
            seconds = e.seconds + time.perf_counter() - start
            return NotebookRun(e.name, False, seconds, error, [paths.failed])
    finally:
        e.tmp.unlink(missing_ok=True)
    html = time.perf_counter() - start
    run = NotebookRun(e.name, True, e.seconds + html, "", [paths.executed, *paths.html])
    run.kernel_start = e.kernel_start
    run.phases = {
        "cells": cells,
        "kernel_and_papermill": max(e.kernel_and_papermill - cells, 0.0),
        "html_and_writing": html,
    }
    return run


def run_one(
    nb_path: Path,
    params: dict[str, Any],
    out_dir: Path,
    specs: Mapping[str, ParamSpec],
    root: Path,
    shown_params: Mapping[str, Any],
    figure_cache: str | None = None,
    result_cache: str | None = None,
) -> NotebookRun:
    """Execute one notebook into ``out_dir`` and write its two HTML renderings.

    ``params`` are injected as given (absolute input paths, so the kernel finds them);
    the executed notebook and HTML show ``shown_params`` and scrubbed paths. The
    notebook's previous outputs are removed first, so a failure leaves none behind.
    ``figure_cache`` is the kernel's figure cache folder (``CMA_FIGURE_CACHE``),
    ``result_cache`` its result cache (``CMA_RESULT_CACHE``, :mod:`cma_research.core.memo`).
    :func:`execute_one` then :func:`publish_one`.
    """
    convert.import_notebook_stack()  # on a Dask worker: the first task imports
    executed = execute_one(
        nb_path, params, out_dir, specs, root, shown_params, figure_cache, result_cache
    )
    return publish_one(executed) if isinstance(executed, Executed) else executed


_TIMINGS = ("start_time", "end_time", "duration", "output_path")  # and the temp file name


def _cell_seconds(nb: Any) -> float:
    """Seconds the kernel spent in the cells, as papermill recorded them."""
    total = 0.0
    for cell in nb.cells:
        duration = cell.metadata.get("papermill", {}).get("duration")
        if isinstance(duration, int | float):
            total += float(duration)
    return total


def _strip_timings(nb: Any) -> None:
    """Drop run times from the executed notebook, so equal inputs give equal bytes."""
    for key in _TIMINGS:
        nb.metadata.get("papermill", {}).pop(key, None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for key in _TIMINGS:
            cell.metadata.get("papermill", {}).pop(key, None)


def _show_parameters(nb: Any, shown_params: Mapping[str, Any]) -> None:
    """Rewrite papermill's injected cell with the shareable (relative) values."""
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            lines = ["# Parameters (as injected by the build; paths relative to the project)"]
            lines += [f"{k} = {v!r}" for k, v in shown_params.items()]
            cell.source = "\n".join(lines) + "\n"
            cell["id"] = "injected-parameters"  # papermill's id is random
            break


def _finish_scrubbed(
    tmp: Path, failed: Path, root: Path, out_dir: Path, inputs: Mapping[str, str]
) -> None:
    if not tmp.exists() or tmp.stat().st_size == 0:
        return
    text = scrub_paths(tmp.read_text(encoding="utf-8"), root=root, out_dir=out_dir, inputs=inputs)
    write_all_atomic({failed: text.encode()})


def _log_tail(log_name: str) -> str:
    try:
        tail = Path(log_name).read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return f" (kernel log: {tail[-1][:200]})" if tail else ""


def _close_thread_loop() -> None:
    """Close the asyncio loop nbclient left for this worker thread (else it leaks)."""
    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop()
    if not loop.is_running():
        loop.close()

"""Warm notebook kernels: forked from a process that has already imported the stack.

A cold notebook kernel spends most of its life importing (IPython, ipykernel, pandas,
scipy, statsmodels, matplotlib, ``cma_research``: about 3 s of a 4 s floor). The build
therefore starts, as soon as it begins (while parameters are validated), one *preload
process* per worker process (``python -c "...warm import main; main()"``). It imports
the stack once and then waits. Each notebook kernel is a ``fork()`` of it that starts an
ordinary ``IPKernelApp`` with the connection file jupyter_client wrote, so

- every notebook still gets a kernel of its own: a new process, a new IPython shell, an
  empty namespace, execution counts from 1, its own event loop and sockets (nothing is
  shared between notebooks; nothing has to be reset);
- only module imports are shared, done before any notebook code ran. Nothing that would
  make a kernel differ from a fresh one is preloaded: no IPython shell, no matplotlib
  backend (the inline backend registers itself with the kernel's shell on the first
  figure, as in a fresh kernel), no sockets, no threads.

``tests/pipeline/test_build_warm.py`` builds the bundled study with warm and with
fresh kernels (``CMA_BUILD_WARM_KERNELS=0``) and compares every output byte for byte.
Without ``fork`` (Windows), or when the preload process fails, kernels start fresh.

The kernel's parent, as ipykernel sees it, is the preload process: the kernel exits when
it does, and the preload process exits when the process that started it (its stdin)
goes away. It serves every build of that process, so a Python session that builds
several times (a sweep, JupyterLab, a test session) imports the stack once, as a Dask
worker does. It is replaced when what it imported could differ (:func:`fingerprint`):
another interpreter, a changed source file of ``cma_research``, a package installed or
removed on the import path, or another environment. The preload process never runs
notebook code, so nothing of one build reaches the next.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib
import json
import os
import pkgutil
import select
import signal
import site
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

__all__ = [
    "WARM_ENV",
    "ForkedKernel",
    "Preloader",
    "enabled",
    "fingerprint",
    "preloader",
    "shutdown",
]

#: ``CMA_BUILD_WARM_KERNELS=0`` starts every kernel fresh (``python -m ipykernel_launcher``).
WARM_ENV = "CMA_BUILD_WARM_KERNELS"

#: Imported once by the preload process (besides the ``cma_research`` modules notebooks use).
PRELOAD = (
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",  # debugpy: imported by every kernel at start
    "IPython.core.debugger",
    "IPython.core.completerlib",
    "IPython.extensions.storemagic",
    "psutil",
    "sqlite3",
    "tornado.queues",
    "numpy",
    "pandas",
    "scipy.stats",
    "scipy.optimize",
    "statsmodels.miscmodels.ordinal_model",
    "pyarrow.pandas_compat",
    "matplotlib.pyplot",
    "matplotlib.backends.backend_agg",
    "matplotlib.backends.backend_pdf",
    "matplotlib.backends.backend_svg",
    "PIL.Image",
    "pandas.io.formats.style",  # tables' LaTeX (pandas' Styler, with jinja2)
    "openpyxl",  # every notebook of a study whose returns are a workbook (about 0.3 s each)
)

#: Never imported by the preload process: they bind to the kernel's IPython shell.
_NOT_PRELOADED = ("matplotlib_inline.backend_inline",)

#: The build's and the command line's own modules: no notebook needs them, and they
#: import papermill, nbconvert and nbformat (whose schema validator alone costs about a
#: second), which would delay every kernel of the build.
_BUILD_SIDE = ("cma_research.pipeline.build", "cma_research.cli")

_INLINE = "module://matplotlib_inline.backend_inline"


def enabled() -> bool:
    """Whether kernels are forked warm (``fork`` available, not switched off)."""
    return hasattr(os, "fork") and os.environ.get(WARM_ENV, "1").strip() not in {"0", "no"}


class ForkedKernel:
    """The ``subprocess.Popen`` surface jupyter_client uses, for a forked kernel.

    The kernel is a child of the preload process, not of this one, so it is watched
    through a pid file descriptor (Linux) or ``kill(pid, 0)``; the preload process reaps
    it. Its exit status is not known here: ``returncode`` is 0 once it has gone.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._fd: int | None = None
        with contextlib.suppress(AttributeError, OSError):
            self._fd = os.pidfd_open(pid)

    def poll(self) -> int | None:
        if self.returncode is None and not self._alive():
            self.returncode = 0
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        return self.returncode

    def _alive(self) -> bool:
        if self._fd is not None:
            return not select.select([self._fd], [], [], 0)[0]
        return _exists(self.pid)

    def wait(self, timeout: float | None = None) -> int:
        waited = 0.0
        while self.poll() is None:
            if timeout is not None and waited >= timeout:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            if self._fd is not None:
                select.select([self._fd], [], [], 0.05)
            else:
                threading.Event().wait(0.05)
            waited += 0.05
        return 0

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Preloader:
    """Client of one preload process: started at once, asked for kernels later.

    ``key`` is the :func:`fingerprint` it was started under.
    """

    def __init__(self, cwd: Path, key: str = "") -> None:
        self.cwd = cwd
        self.key = key
        self.kernels: list[ForkedKernel] = []  # forked for this process, perhaps gone
        self._lock = threading.Lock()
        self._ready: bool | None = None
        self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-c", "from cma_research.pipeline.build.warm import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            env={**os.environ, "MPLBACKEND": os.environ.get("MPLBACKEND") or _INLINE},
        )

    def _line(self) -> dict[str, Any] | None:
        assert self.proc is not None and self.proc.stdout is not None
        raw = self.proc.stdout.readline()
        return json.loads(raw) if raw else None

    def _wait_ready(self) -> bool:
        """Whether the preload process is ready (waits for it; call with the lock held)."""
        if self.proc is None or self.proc.poll() is not None:
            return False
        if self._ready is None:
            try:
                self._ready = (self._line() or {}).get("ready") is True
            except (OSError, ValueError):
                self._ready = False
        return self._ready

    def wait_ready(self) -> bool:
        """Wait until the preload process has imported the stack; False if it failed."""
        with self._lock:
            return self._wait_ready()

    def spawn(
        self, argv: Sequence[str], *, cwd: str | Path, env: Mapping[str, str], log: str
    ) -> ForkedKernel | None:
        """A kernel forked from the preload process, or None (start it fresh instead)."""
        with self._lock:
            if not self._wait_ready():
                return None
            assert self.proc is not None
            try:
                assert self.proc.stdin is not None
                request = {"argv": list(argv), "cwd": str(cwd), "env": dict(env), "log": log}
                self.proc.stdin.write((json.dumps(request) + "\n").encode())
                self.proc.stdin.flush()
                reply = self._line() or {}
            except (OSError, ValueError):
                return None
            pid = reply.get("pid")
            if not isinstance(pid, int):
                return None
            kernel = ForkedKernel(pid)
            self.kernels = [k for k in self.kernels if _exists(k.pid)] + [kernel]
            return kernel

    def busy(self) -> bool:
        """Whether a kernel it forked is still running (stopping it would stop them).

        Asked with ``kill(pid, 0)``: the kernel's :class:`ForkedKernel` belongs to the
        thread that manages the kernel.
        """
        with self._lock:
            return any(_exists(k.pid) for k in self.kernels)

    def close(self) -> None:
        with self._lock:
            proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.kill()  # idle or still importing; its kernels have been shut down
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: Environment variables that change while a process runs without changing what an
#: import does (pytest names the running test in one).
_VOLATILE_ENV = frozenset({"PYTEST_CURRENT_TEST"})

_PRELOADERS: list[Preloader] = []  # at most one: the current preload process
_RETIRED: list[Preloader] = []  # replaced while their kernels ran: stopped once idle
_PRELOADERS_LOCK = threading.Lock()
_SHUTDOWN_REGISTERED: list[bool] = []  # shutdown() runs at exit once registered


def fingerprint() -> str:
    """What the preload process's imports depend on, as a hex digest.

    The interpreter, each folder packages are installed in with its modification time
    (a package installed, upgraded or removed changes it), every source file of
    ``cma_research`` (path, size, modification time) and the environment (except
    :data:`_VOLATILE_ENV`). A preload process started under another fingerprint is not
    used: its modules could differ from what a fresh kernel would import.
    """
    import cma_research

    rows: list[Any] = [sys.executable, sys.version, sys.path]
    for folder in sorted({*site.getsitepackages(), site.getusersitepackages()}):
        with contextlib.suppress(OSError):
            rows.append([folder, os.stat(folder).st_mtime_ns])
    for package_dir in cma_research.__path__:
        for folder, dirs, files in os.walk(package_dir):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".pyi", ".json", ".yaml")):
                    with contextlib.suppress(OSError):
                        st = os.stat(os.path.join(folder, name))
                        rows.append([folder, name, st.st_size, st.st_mtime_ns])
    rows.append(sorted((k, v) for k, v in os.environ.items() if k not in _VOLATILE_ENV))
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def preloader(cwd: Path) -> Preloader | None:
    """This process's preload process (started on first use, kept for later builds).

    One that was started under another :func:`fingerprint`, or has stopped, is replaced.
    ``cwd`` is where a new one starts; imports never come from it.
    """
    if not enabled():
        return None
    key = fingerprint()
    with _PRELOADERS_LOCK:
        found = _PRELOADERS[0] if _PRELOADERS else None
        alive = found is not None and found.proc is not None and found.proc.poll() is None
        if found is not None and alive and found.key == key:
            return found
        _RETIRED.extend(_PRELOADERS)
        _PRELOADERS[:] = [Preloader(cwd, key)]
        if not _SHUTDOWN_REGISTERED:
            atexit.register(shutdown)
            _SHUTDOWN_REGISTERED.append(True)
        current = _PRELOADERS[0]
        idle = [p for p in _RETIRED if not p.busy()]
        _RETIRED[:] = [p for p in _RETIRED if p not in idle]
    for p in idle:
        p.close()
    return current


def shutdown() -> None:
    """Stop this process's preload processes (their kernels have been shut down)."""
    with _PRELOADERS_LOCK:
        found = _PRELOADERS + _RETIRED
        _PRELOADERS.clear()
        _RETIRED.clear()
    for p in found:
        p.close()


# ---- the preload process ------------------------------------------------------------------


def _modules(package: Any) -> list[str]:
    """Every module of ``package`` except the build's and the command line's own."""
    names = []
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if info.name.startswith(_BUILD_SIDE) or info.name.endswith("__main__"):
            continue
        names.append(info.name)
        if info.ispkg:
            with contextlib.suppress(Exception):
                names += _modules(importlib.import_module(info.name))
    return names


def _preload() -> None:
    names = list(PRELOAD)
    import cma_research

    names += sorted(_modules(cma_research))
    for name in names:
        if name.startswith(_NOT_PRELOADED) or name.endswith("__main__"):
            continue
        with contextlib.suppress(Exception):  # a module that fails fails in the notebook
            importlib.import_module(name)
    with contextlib.suppress(Exception):
        _warm_up()
    for name in _NOT_PRELOADED:
        if name in sys.modules:  # would tie the kernels to a shell they do not have
            raise RuntimeError(f"{name} was imported by the preload")


def _warm_up() -> None:
    """Draw and save one throw-away figure (no pyplot, no backend): fonts, PDF subsetting.

    What stays behind is what any figure leaves in a fresh kernel: loaded font files and
    matplotlib's caches of text metrics, which give the same results however filled
    (the bundled study's outputs are compared with fresh kernels' in the tests).
    """
    import io

    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with mpl.rc_context({"pdf.fonttype": 42, "svg.fonttype": "none"}):
        fig = Figure(figsize=(2, 1.5))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], label="a")
        ax.set_title("Level 0.5 %", fontweight="bold")
        ax.legend()
        for fmt in ("png", "pdf", "svg"):
            fig.savefig(io.BytesIO(), format=fmt, dpi=300, bbox_inches="tight")


def _reap(signum: int, frame: object) -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _kernel(request: Mapping[str, Any], preload_pid: int) -> None:
    """In the forked child: become an ordinary ipykernel process; never returns."""
    code = 1
    try:
        os.setsid()  # its own process group, as jupyter_client starts kernels
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDWR)
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.dup2(log, 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        argv = list(request["argv"])
        args = argv[argv.index("ipykernel_launcher") + 1 :] if "ipykernel_launcher" in argv else []
        sys.argv = [str(Path(sys.executable).parent / "ipykernel_launcher"), *args]
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        app.initialize([*args, f"--IPKernelApp.parent_handle={preload_pid}"])
        app.start()
        code = 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os._exit(code)


def main(stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None) -> None:
    """The preload process: import, say ready, fork one kernel per request line."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    if sys.path and sys.path[0] == "":
        # as ipykernel_launcher does: nothing is imported from the working directory (a
        # study's own files); a kernel's IPython puts it back on the path
        del sys.path[0]
    try:
        _preload()
        ready: dict[str, Any] = {"ready": True}
    except Exception as exc:
        ready = {"ready": False, "error": f"{type(exc).__name__}: {exc}"}
    stdout.write((json.dumps(ready) + "\n").encode())
    stdout.flush()
    if not ready["ready"]:
        return
    signal.signal(signal.SIGCHLD, _reap)
    for raw in iter(stdin.readline, b""):
        try:
            request = json.loads(raw)
        except ValueError:
            continue
        pid = os.fork()
        if pid == 0:
            _kernel(request, os.getppid())
        stdout.write((json.dumps({"pid": pid}) + "\n").encode())
        stdout.flush()


if __name__ == "__main__":
    main()

"""Warm kernels (forked from a preload process) give the same reports as fresh kernels.

The claim of :mod:`cma_research.pipeline.build.warm`: a notebook run in a kernel forked
from a process that has imported the stack produces byte-identical outputs to a run in a
fresh ``python -m ipykernel_launcher`` kernel. Checked on a probe notebook that prints
what a kernel could leak (namespace, execution counts, backend, ``sys.path``,
working directory) and on the bundled study's notebooks, every output file compared.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from cma_research.pipeline.build import BuildResult, build, warm
from tests.paths import ROOT

pytestmark = [
    pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

PROBE = (
    "import os, sys\n"
    "import matplotlib\n"
    "import matplotlib.pyplot as plt\n"
    "print(sorted(k for k in globals() if not k.startswith('_')))\n"
    "print(get_ipython().execution_count, len(get_ipython().user_ns['In']))\n"
    "print(matplotlib.get_backend(), sys.path[0] == '', os.getcwd() == str(Path_root))\n"
    "print(sorted(k for k in os.environ if k.startswith('CMA_PROBE')))\n"
    "fig, ax = plt.subplots(figsize=(1, 1))\n"
    "_ = ax.plot([0, 1], [0, 1])  # the figure is shown by the inline backend\n"
)


def _probe_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell('output_dir: str = "reports"  # help: outputs')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(f"Path_root = {str(root)!r}\n" + PROBE),
        nbformat.v4.new_code_cell("print(get_ipython().execution_count)"),
    ]
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i}"
    for name in ("01_probe", "02_probe"):
        nbformat.write(nb, root / "notebooks" / f"{name}.ipynb")
    return root


def _build(root: Path, out: str, **kwargs: Any) -> Any:
    result = build(
        notebooks_dir=root / "notebooks",
        output_dir=root / out,
        cache_dir=root / f".cache-{out}",
        progress=lambda line: None,
        **kwargs,
    )
    assert result.ok, result.summary()
    return result


def _outputs(result: Any) -> dict[str, str]:
    outputs = json.loads((result.output_dir / "manifest.json").read_text())["outputs"]
    return {k: v for k, v in outputs.items() if k != "index.html"}


@pytest.mark.integration
def test_a_warm_kernel_is_a_fresh_kernel_to_the_notebook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _probe_project(tmp_path)
    warm_run = _build(root, "warm")
    assert [r.kernel_start for r in warm_run.runs] == ["warm", "warm"]
    monkeypatch.setenv(warm.WARM_ENV, "0")
    fresh_run = _build(root, "fresh")
    assert [r.kernel_start for r in fresh_run.runs] == ["fresh", "fresh"]
    assert _outputs(warm_run) == _outputs(fresh_run)
    executed = nbformat.read(warm_run.output_dir / "notebooks" / "02_probe.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    namespace = text.splitlines()[0]
    assert "cma_research" not in namespace and "pandas" not in namespace  # nothing preloaded
    assert text.splitlines()[-1] == "5"  # execution counts as in a fresh kernel
    manifest = json.loads((warm_run.output_dir / "manifest.json").read_text())
    assert manifest["notebooks"]["01_probe"]["kernel_start"] == "warm"


@pytest.mark.integration
def test_kernels_start_fresh_when_the_preload_process_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Unavailable:
        """A preload process that never gives a kernel (it failed to import, say)."""

        proc = None

        def __init__(self, cwd: Path, key: str) -> None:
            self.key = key

        def spawn(self, *args: Any, **kwargs: Any) -> None:
            return None

        def busy(self) -> bool:
            return False

        def close(self) -> None:
            pass

    root = _probe_project(tmp_path)
    warm.shutdown()  # this process's preload process, if an earlier build started one
    monkeypatch.setattr(warm, "Preloader", Unavailable)
    result = _build(root, "fallback", only=["01_probe"])
    assert [r.kernel_start for r in result.runs] == ["fresh"]


@pytest.mark.integration
def test_the_bundled_study_is_byte_identical_with_warm_and_fresh_kernels(
    bundled_build: BuildResult, bundled_rebuild: BuildResult
) -> None:
    # the session's two builds of the bundled study (tests/pipeline/conftest.py): warm
    # kernels, then fresh ones (CMA_BUILD_WARM_KERNELS=0), each with its own empty cache
    assert bundled_build.ok, bundled_build.summary()
    assert {r.kernel_start for r in bundled_build.runs} == {"warm"}
    assert bundled_rebuild.ok, bundled_rebuild.summary()
    assert {r.kernel_start for r in bundled_rebuild.runs} == {"fresh"}
    warm_files, fresh_files = _outputs(bundled_build), _outputs(bundled_rebuild)
    assert len(warm_files) > 100  # every figure, table, executed notebook and HTML page
    assert warm_files == fresh_files


def test_the_preload_process_holds_no_shell_backend_or_thread() -> None:
    code = (
        "import sys, threading\n"
        "from cma_research.pipeline.build.warm import _preload\n"
        "_preload()\n"
        "import IPython\n"
        "print(threading.active_count(), 'matplotlib_inline.backend_inline' in sys.modules,\n"
        "      IPython.get_ipython() is None, 'pandas' in sys.modules,\n"
        "      'scipy.stats' in sys.modules)"
    )
    env = {**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.split() == ["1", "False", "True", "True", "True"]


def test_warm_kernels_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(warm.WARM_ENV, "0")
    assert not warm.enabled()
    assert warm.preloader(ROOT) is None
    monkeypatch.setenv(warm.WARM_ENV, "1")
    assert warm.enabled() == hasattr(os, "fork")


def test_a_forked_kernel_is_watched_signalled_and_waited_for() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        kernel = warm.ForkedKernel(proc.pid)
        assert kernel.poll() is None
        with pytest.raises(subprocess.TimeoutExpired):
            kernel.wait(timeout=0.1)
        kernel.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)  # reaped by its parent, as the preload process reaps kernels
        deadline = time.monotonic() + 10
        while kernel.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert kernel.poll() == 0 and kernel.wait(timeout=1) == 0
        kernel.kill()  # a signal to a kernel that has gone is ignored
    finally:
        proc.kill()
        proc.wait()


def test_the_preload_process_forks_one_process_per_request(tmp_path: Path) -> None:
    log = tmp_path / "kernel.log"
    preloader = warm.Preloader(tmp_path)
    try:
        # a working directory that does not exist: the child logs why and exits
        missing = tmp_path / "missing"
        kernel = preloader.spawn(["python"], cwd=missing, env={"PATH": "/usr/bin"}, log=str(log))
        assert kernel is not None and kernel.pid != preloader.proc.pid  # type: ignore[union-attr]
        assert kernel.wait(timeout=60) == 0
        assert "missing" in log.read_text()  # the child's stderr went to the kernel log
    finally:
        preloader.close()
    assert preloader.spawn(["x"], cwd=tmp_path, env={}, log=str(log)) is None  # closed


def test_the_build_kernel_client_is_ready_and_answers_its_own_requests(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # BuildKernelClient skips jupyter_client's final 0.2 s drain of IOPub: the status
    # messages left there must not reach the answer to the next request; a kernel that
    # has gone is an error, not a wait
    import asyncio

    from cma_research.pipeline.build.execute import kernel_manager_class

    monkeypatch.setenv(warm.WARM_ENV, "0")
    manager = type("M", (kernel_manager_class(),), {"log_path": str(tmp_path / "k.log")})()
    out: list[str] = []

    def seen(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])

    async def run() -> tuple[str, str, str]:
        await manager.start_kernel(cwd=str(tmp_path))
        client = manager.client()
        assert type(client).__name__ == "BuildKernelClient"
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            reply = await client.execute_interactive("print(6 * 7)", timeout=60, output_hook=seen)
            await manager.shutdown_kernel(now=True)
            try:
                await client.wait_for_ready(timeout=30)
            except RuntimeError as exc:
                gone = str(exc)
            return reply["content"]["status"], "".join(out), gone
        finally:
            client.stop_channels()

    assert asyncio.run(run()) == ("ok", "42\n", "Kernel died before replying to kernel_info")


def test_one_preload_process_serves_later_builds_until_the_environment_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warm.shutdown()
    try:
        first = warm.preloader(tmp_path)
        assert first is not None and first.proc is not None
        assert warm.preloader(tmp_path / "elsewhere") is first  # imports never come from cwd
        monkeypatch.setenv("PYTEST_CURRENT_TEST", "another test")  # names the test only
        assert warm.preloader(tmp_path) is first
        monkeypatch.setenv("CMA_SOMETHING_NEW", "1")  # an import could read it
        second = warm.preloader(tmp_path)
        assert second is not None and second is not first
        assert first.proc is None  # it had no kernel running: stopped at once
        assert second.proc is not None
        second.proc.kill()  # a preload process that has died is replaced
        second.proc.wait()
        third = warm.preloader(tmp_path)
        assert third is not None and third is not second and third.proc is not None
    finally:
        warm.shutdown()
    assert second.proc is None and third.proc is None


def test_a_build_with_nothing_to_run_keeps_the_preload_process(tmp_path: Path) -> None:
    # found in review: a build whose notebooks all came from the cache stopped the
    # preload process an earlier build had left for later ones, so the next build that
    # ran a notebook imported the stack again
    root = _probe_project(tmp_path)
    first = _build(root, "out", only=["01_probe"])
    assert [r.kernel_start for r in first.runs] == ["warm"]
    kept = warm.preloader(root)
    assert kept is not None and kept.proc is not None
    cached = _build(root, "out", only=["01_probe"])
    assert [r.reused for r in cached.runs] == [True], cached.summary()
    assert warm.preloader(root) is kept and kept.proc is not None and kept.proc.poll() is None
    again = _build(root, "out", only=["02_probe"])
    assert [r.kernel_start for r in again.runs if not r.reused] == ["warm"]
    assert warm.preloader(root) is kept


def test_the_fingerprint_follows_the_package_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cma_research

    package = tmp_path / "cma_research"
    (package / "sub").mkdir(parents=True)
    source = package / "sub" / "module.py"
    source.write_text("x = 1\n")
    monkeypatch.setattr(cma_research, "__path__", [str(package)])
    before = warm.fingerprint()
    assert warm.fingerprint() == before
    (package / "sub" / "__pycache__").mkdir()  # bytecode is not source
    (package / "sub" / "__pycache__" / "module.cpython-311.pyc").write_bytes(b"")
    assert warm.fingerprint() == before
    os.utime(source, ns=(0, 10**18))  # an edited file
    assert warm.fingerprint() != before


def test_a_replaced_preload_process_stops_once_its_kernels_have_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[str] = []

    class Running:
        def poll(self) -> None:
            return None

    class Fake:
        proc = Running()
        running = True

        def __init__(self, cwd: Path, key: str) -> None:
            self.key = key

        def busy(self) -> bool:
            return self.running

        def close(self) -> None:
            closed.append(self.key)

    warm.shutdown()
    monkeypatch.setattr(warm, "Preloader", Fake)
    monkeypatch.setenv("CMA_SOMETHING_NEW", "a")
    old = warm.preloader(tmp_path)
    monkeypatch.setenv("CMA_SOMETHING_NEW", "b")  # replaced while its kernel runs
    new = warm.preloader(tmp_path)
    assert new is not old and closed == []  # stopping it would stop the kernel
    old.running = False  # type: ignore[union-attr]
    monkeypatch.setenv("CMA_SOMETHING_NEW", "c")
    warm.preloader(tmp_path)
    assert closed == [old.key]  # type: ignore[union-attr]
    new.running = False  # type: ignore[union-attr]
    warm.shutdown()
    assert sorted(closed) == sorted([old.key, new.key, warm.fingerprint()])  # type: ignore[union-attr]


def test_the_preload_process_stops_when_its_python_process_exits() -> None:
    code = (
        "from pathlib import Path\n"
        "from cma_research.pipeline.build import warm\n"
        "print(warm.preloader(Path('.')).proc.pid)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != warm.WARM_ENV}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    pid = int(done.stdout)
    with pytest.raises(ProcessLookupError):  # stopped and reaped before the exit
        os.kill(pid, 0)


@pytest.mark.integration
def test_a_kernel_that_dies_before_answering_is_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # e.g. another process took one of its ports before it bound them ("Address already
    # in use" in its log): it ran nothing, so the notebook is not a failure
    from cma_research.pipeline.build import execute

    launched: list[list[str]] = []

    class DiesOnce(execute.kernel_manager_class()):  # type: ignore[misc]
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            launched.append(kernel_cmd)
            if len(launched) == 1:
                kernel_cmd = [sys.executable, "-c", "raise SystemExit(1)"]
            await super()._async_launch_kernel(kernel_cmd, **kw)

    monkeypatch.setattr(execute, "kernel_manager_class", lambda: DiesOnce)
    monkeypatch.setenv(warm.WARM_ENV, "0")  # a fresh kernel runs the command it is given
    result = _build(_probe_project(tmp_path), "retried", only=["01_probe"])
    assert [r.name for r in result.runs] == ["01_probe"] and len(launched) == 2

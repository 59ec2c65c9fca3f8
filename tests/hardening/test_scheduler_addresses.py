"""Class 2 of issue 21: every Dask address that cannot work is one line, exit 2, within
the configured timeout, before anything is written.

Members tried: malformed addresses (``not a url``, ``http://`` and ``https://`` (the
dashboard), ``tls://`` without certificates, an empty ``tcp://``, no port, port 0 and
99999, an unknown scheme, spaces, control characters, 10,000 characters, an empty
``CMA_DASK_SCHEDULER=tcp://``), and listeners that are not a Dask scheduler: one that
answers like a web server, one that sends garbage, one that accepts and never answers,
and a closed port; through ``build --scheduler``, ``$CMA_DASK_SCHEDULER``,
``business-report --scheduler`` and ``run_tasks``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import cma_research as cma
from cma_research.analysis import executor
from cma_research.analysis.executor import check_scheduler_address, probe_scheduler, run_tasks
from cma_research.cli import main
from cma_research.pipeline.build import run as runner
from tests.paths import BUNDLED

pytest.importorskip("dask.distributed")

MALFORMED = [
    ("not a url", "no HOST:PORT"),
    ("http://localhost:8787/status", "a web address"),
    ("https://dask.example.org", "a web address"),
    ("tls://127.0.0.1:8786", "needs TLS certificates"),
    ("wss://127.0.0.1:8786", "needs TLS certificates"),
    ("tcp://", "no HOST:PORT"),
    ("tcp://localhost", "no HOST:PORT"),
    ("tcp://localhost:0", "is not from 1 to 65535"),
    ("tcp://localhost:99999", "is not from 1 to 65535"),
    ("ftp://localhost:21", "unknown scheme"),
    ("tcp://local host:8786", "no HOST:PORT"),
    ("tcp://localhost:8786\x1b[2J", "not an address"),
    ("tcp://" + "a" * 10_000 + ":1", "not an address"),
    ("   ", "empty"),
]


@pytest.mark.parametrize(("address", "message"), MALFORMED)
def test_malformed_addresses_are_one_line(address: str, message: str) -> None:
    with pytest.raises(cma.ParameterError, match=message) as info:
        check_scheduler_address(address, "--scheduler")
    text = str(info.value)
    assert "\n" not in text and len(text) < 400 and "\x1b" not in text


@pytest.mark.parametrize(("address", "message"), MALFORMED[:6])
def test_the_build_refuses_them_before_anything_is_written(
    tiny_project: Path, capsys: pytest.CaptureFixture[str], address: str, message: str
) -> None:
    out = tiny_project / "reports"
    args = ["build", "--notebooks-dir", str(tiny_project / "notebooks"), "--output-dir", str(out)]
    assert main([*args, "--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not out.exists() and not (tiny_project / ".cma-cache").exists()


def test_an_empty_environment_address_is_refused(
    tiny_project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(executor.SCHEDULER_ENV, "tcp://")
    out = tiny_project / "reports"
    args = ["build", "--notebooks-dir", str(tiny_project / "notebooks"), "--output-dir", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: $CMA_DASK_SCHEDULER 'tcp://': no HOST:PORT")
    assert not out.exists()
    with pytest.raises(cma.ParameterError, match="no HOST:PORT"):
        run_tasks(abs, [1, -2])


# -- listeners that are not a Dask scheduler -------------------------------------------


def _serve(mode: str) -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    stop = threading.Event()
    held: list[socket.socket] = []

    def loop() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)
            if mode == "http":
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" + b"x" * 64)
            elif mode == "garbage":
                conn.sendall(b"\xff" * 64)
            # "silent": accept and never answer

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        server.close()


@pytest.fixture(params=["http", "garbage", "silent"])
def listener(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    mode = str(request.param)
    yield from ((mode, port) for port in _serve(mode))


def test_a_listener_that_is_not_dask_is_one_line_within_the_timeout(
    listener: tuple[str, int],
) -> None:
    mode, port = listener
    start = time.perf_counter()
    with pytest.raises(cma.ParameterError) as info:
        probe_scheduler(f"tcp://127.0.0.1:{port}", timeout=1.0, label="--scheduler")
    elapsed = time.perf_counter() - start
    text = str(info.value)
    assert "\n" not in text
    assert elapsed < 1.0 + 2.5, f"{mode}: {elapsed:.1f} s for a 1 s timeout"
    expected = "no answer within 1 s" if mode == "silent" else "not a Dask scheduler"
    assert expected in text, text


@pytest.mark.integration
def test_the_build_and_a_batch_refuse_a_listener_before_writing(
    tiny_project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    listener: tuple[str, int],
) -> None:
    _, port = listener
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT", "1s")
    out = tiny_project / "reports"
    start = time.perf_counter()
    code = main(
        [
            "build",
            "--notebooks-dir",
            str(tiny_project / "notebooks"),
            "--output-dir",
            str(out),
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
        ]
    )
    assert code == 2 and time.perf_counter() - start < 10
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "EiB" not in err, err
    assert not out.exists()
    monkeypatch.setattr(executor, "CONNECT_SECONDS", 1.0)
    pages = tiny_project / "pages"
    code = main(
        [
            "business-report",
            str(BUNDLED),
            "--all",
            "--output-dir",
            str(pages),
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert not pages.exists()


def test_a_closed_port_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(cma.ParameterError, match="cannot reach the Dask scheduler"):
        probe_scheduler(f"tcp://127.0.0.1:{port}", timeout=1.0)

"""Real clients for the tests: headless Chromium over the DevTools protocol, and Jupyter.

Both speak WebSocket through tornado (already installed with Jupyter), so no extra
dependency is needed. Everything talks to 127.0.0.1 only, with bounded timeouts.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


#: Measures, in the loaded page, what a reader at 1280 px sees (the layout rules of
#: ``tests/pipeline/test_report_layout.py``; pass it as ``Chromium.load(..., probe=)``).
LAYOUT_PROBE = r"""(() => {
  const column = document.querySelector('main') || document.body;
  const style = getComputedStyle(column);
  const box = column.getBoundingClientRect();
  const left = box.left + parseFloat(style.paddingLeft) - 1;
  const right = box.right - parseFloat(style.paddingRight) + 1;
  const problems = [];
  document.querySelectorAll('table').forEach((table, i) => {
    if (!table.offsetParent) return;  // not shown (a closed <details>)
    const wide = table.closest('.cma-table.wide');
    const shown = wide ? table.closest('.cma-scroll') : table;
    const r = shown.getBoundingClientRect();
    if (r.left < left || r.right > right) {
      problems.push(`table ${i} spans ${Math.round(r.left)}-${Math.round(r.right)}` +
                    ` outside the text column ${Math.round(left)}-${Math.round(right)}`);
    }
    if (wide && getComputedStyle(shown).overflowX !== 'auto') {
      problems.push(`wide table ${i} does not scroll in its box`);
    }
  });
  const noAlt = Array.from(document.images).filter(img => !img.alt.trim()).length;
  const top = el => el.getBoundingClientRect().top + window.scrollY;
  const findings = Array.from(document.querySelectorAll(
    'table.cma, img, .cma-claims, .jp-OutputArea-output p, .jp-OutputArea-output li, #key-findings'
  )).filter(el => el.getBoundingClientRect().height > 0).map(top).sort((a, b) => a - b);
  const machinery = Array.from(document.querySelectorAll('p, li, td, th, summary, pre'))
    .filter(el => /Parameters of this run|returns_path|Traceback|manifest\.json/.test(el.innerText))
    .map(top).sort((a, b) => a - b);
  return {problems, noAlt, width: window.innerWidth,
          firstFinding: findings.length ? findings[0] : null,
          firstMachinery: machinery.length ? machinery[0] : null};
})()"""

#: A promise that settles when every image of the page has loaded and been decoded, or
#: failed to (lazy images are loaded now, as scrolling to them would).
IMAGES_SETTLED = """Promise.all(Array.from(document.images).map(img => {
  img.loading = 'eager';
  return img.decode().catch(() => null);
}))"""


def find_chromium() -> tuple[str | None, str]:
    """Path of Chromium, or None and the exact command that installs it.

    A test run never installs anything: ``make test`` (the README's command) installs
    Debian's ``chromium`` first when it can (as root with apt-get); elsewhere the browser
    test is skipped with the command to run.
    """
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found, ""
    return None, "Chromium is not installed; run: sudo apt-get install chromium (or make browser)"


@dataclass
class PageReport:
    """What a page did when loaded in Chromium."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    images: int = 0
    images_rendered: int = 0
    title: str = ""
    text_length: int = 0
    screenshot: bytes = b""
    probe: Any = None  # what the load's ``probe`` script returned (JSON)


class Chromium:
    """A headless Chromium on a loopback DevTools port; use as a context manager."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.profile = tempfile.mkdtemp(prefix="cma-chromium-")
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def __enter__(self) -> Chromium:
        self.proc = subprocess.Popen(
            [
                self.binary,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={self.profile}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--window-size=1280,2000",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        marker = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if marker.exists() and marker.read_text().strip():
                self.port = int(marker.read_text().splitlines()[0])
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError("Chromium did not open its DevTools port within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    def load(self, url: str, timeout: float = 60, probe: str | None = None) -> PageReport:
        """Open ``url`` in a new tab, wait for load, collect errors, images, a screenshot;
        ``probe``: a JavaScript expression whose value (JSON) is kept as ``report.probe``."""
        return self.load_many([url], timeout, probe)[0]

    def load_many(
        self, urls: list[str], timeout: float = 60, probe: str | None = None, tabs: int = 4
    ) -> list[PageReport]:
        """:meth:`load` each of ``urls``, up to ``tabs`` at a time (each in its own tab,
        with its own wait for late console errors); the reports in the order of ``urls``.
        ``timeout`` bounds each page."""

        async def drive_all() -> list[PageReport]:
            slots = asyncio.Semaphore(tabs)

            async def one(url: str) -> PageReport:
                async with slots:
                    target = await asyncio.to_thread(self.devtools, "new?about:blank", "PUT")
                    try:
                        return await asyncio.wait_for(self._drive(target, url, probe), timeout)
                    finally:
                        await asyncio.to_thread(self.devtools, f"close/{target['id']}")

            return await asyncio.gather(*map(one, urls))

        return asyncio.run(drive_all())

    def devtools(self, path: str, method: str = "GET") -> Any:
        """Call the DevTools HTTP endpoint ``/json/<path>``; its JSON answer (or text)."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/{path}", method=method)
        with urllib.request.urlopen(request, timeout=10) as resp:
            raw = resp.read()
        with contextlib.suppress(ValueError):
            return json.loads(raw)
        return raw.decode()

    async def _drive(self, target: dict[str, Any], url: str, probe: str | None) -> PageReport:
        from tornado.websocket import websocket_connect

        ws = await websocket_connect(target["webSocketDebuggerUrl"], max_message_size=256 << 20)
        report = PageReport(url)
        counter = 0
        pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        loaded = asyncio.get_running_loop().create_future()

        async def reader() -> None:
            while True:
                raw = await ws.read_message()
                if raw is None:
                    return
                msg = json.loads(raw)
                if "id" in msg and msg["id"] in pending:
                    pending.pop(msg["id"]).set_result(msg)
                    continue
                method = msg.get("method")
                params = msg.get("params", {})
                if method == "Runtime.consoleAPICalled" and params.get("type") in (
                    "error",
                    "assert",
                ):
                    report.console_errors.append(
                        " ".join(
                            str(a.get("value", a.get("description", ""))) for a in params["args"]
                        )
                    )
                elif method == "Runtime.exceptionThrown":
                    report.console_errors.append(
                        params["exceptionDetails"].get("text", "exception")
                    )
                elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                    entry = params["entry"]
                    report.console_errors.append(
                        f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}"
                    )
                elif method == "Page.loadEventFired" and not loaded.done():
                    loaded.set_result(True)

        async def call(method: str, **params: Any) -> dict[str, Any]:
            nonlocal counter
            counter += 1
            fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            pending[counter] = fut
            await ws.write_message(json.dumps({"id": counter, "method": method, "params": params}))
            return await fut

        task = asyncio.create_task(reader())
        try:
            for domain in ("Page", "Runtime", "Log"):
                await call(f"{domain}.enable")
            await call("Page.navigate", url=url)
            await loaded
            await asyncio.sleep(0.5)  # let late console errors arrive
            # images load after the load event (loading="lazy", or a busy machine): wait
            # for each to be decoded (or to fail: a broken image stays unrendered)
            await call("Runtime.evaluate", expression=IMAGES_SETTLED, awaitPromise=True)
            js = (
                "JSON.stringify({title: document.title, text: document.body.innerText.length,"
                " images: document.images.length,"
                " rendered: Array.from(document.images)"
                ".filter(i => i.complete && i.naturalWidth > 0).length})"
            )
            result = await call("Runtime.evaluate", expression=js, returnByValue=True)
            info = json.loads(result["result"]["result"]["value"])
            report.title, report.text_length = info["title"], info["text"]
            report.images, report.images_rendered = info["images"], info["rendered"]
            if probe is not None:
                found = await call(
                    "Runtime.evaluate", expression=f"JSON.stringify({probe})", returnByValue=True
                )
                report.probe = json.loads(found["result"]["result"]["value"])
            shot = await call("Page.captureScreenshot", format="png")
            report.screenshot = base64.b64decode(shot["result"]["data"])
        finally:
            # close, then let the reader see the close so the socket is released now
            # (not at garbage collection, where it would raise a ResourceWarning)
            ws.close()
            try:
                await asyncio.wait_for(task, 5)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
        return report


async def _drain(ws: Any) -> None:
    """Read a closing WebSocket until tornado reports it closed (``None``)."""
    while await ws.read_message() is not None:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class JupyterServer:
    """``jupyter server`` on a loopback port with a token; use as a context manager."""

    def __init__(self, root: Path, python: str) -> None:
        self.root = root
        self.python = python
        self.port = free_port()
        self.token = uuid.uuid4().hex
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> JupyterServer:
        self.proc = subprocess.Popen(
            [
                self.python,
                "-m",
                "jupyter",
                "server",
                "--no-browser",
                f"--port={self.port}",
                "--ip=127.0.0.1",
                f"--IdentityProvider.token={self.token}",
                "--allow-root",
                f"--ServerApp.root_dir={self.root}",
                "--ServerApp.port_retries=0",
            ],
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                self.get("/api/status")
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.3)
        self.log.seek(0)
        tail = self.log.read()[-2000:]
        self.__exit__(None, None, None)
        raise RuntimeError(f"jupyter server did not start: {tail!r}")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.base}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def get(self, path: str) -> Any:
        return self._request("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self._request("POST", path, body)

    def delete(self, path: str) -> Any:
        return self._request("DELETE", path)

    def execute(
        self, kernel_id: str, sources: list[str], timeout: float = 300
    ) -> list[dict[str, Any]]:
        """Run each source in the kernel over its WebSocket channel; return the replies."""
        return asyncio.run(asyncio.wait_for(self._execute(kernel_id, sources), timeout))

    async def _execute(self, kernel_id: str, sources: list[str]) -> list[dict[str, Any]]:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        url = f"ws://127.0.0.1:{self.port}/api/kernels/{kernel_id}/channels"
        ws = await websocket_connect(
            HTTPRequest(url, headers={"Authorization": f"token {self.token}"}),
            max_message_size=256 << 20,
        )
        session = uuid.uuid4().hex
        replies = []
        try:
            for code in sources:
                msg_id = uuid.uuid4().hex
                await ws.write_message(
                    json.dumps(
                        {
                            "header": {
                                "msg_id": msg_id,
                                "username": "test",
                                "session": session,
                                "msg_type": "execute_request",
                                "version": "5.3",
                            },
                            "parent_header": {},
                            "metadata": {},
                            "channel": "shell",
                            "content": {
                                "code": code,
                                "silent": False,
                                "store_history": True,
                                "user_expressions": {},
                                "allow_stdin": False,
                                "stop_on_error": True,
                            },
                        }
                    )
                )
                errors: list[str] = []
                while True:
                    raw = await ws.read_message()
                    if raw is None:
                        raise RuntimeError("kernel channel closed")
                    msg = json.loads(raw)
                    if msg.get("parent_header", {}).get("msg_id") != msg_id:
                        continue
                    if msg["msg_type"] == "error":
                        errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
                    if msg["msg_type"] == "execute_reply":
                        replies.append({**msg["content"], "errors": errors})
                        break
        finally:
            # close, then read until the close is seen, so the socket is released now
            # (not at garbage collection, where it would raise a ResourceWarning)
            ws.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(_drain(ws), 5)
        return replies

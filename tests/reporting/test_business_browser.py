"""Business pages in headless Chromium: no network request, figures drawn, index sorts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

import cma_research as cma
from cma_research.reporting.business import write_business_reports
from tests.paths import BUNDLED
from tests.pipeline.clients import Chromium

pytestmark = pytest.mark.integration


async def _session(ws_url: str, url: str, script: str) -> tuple[list[str], Any]:
    from tornado.websocket import websocket_connect

    ws = await websocket_connect(ws_url, max_message_size=64 << 20)
    requests: list[str] = []
    pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
    loaded = asyncio.get_running_loop().create_future()
    counter = 0

    async def reader() -> None:
        while True:
            raw = await ws.read_message()
            if raw is None:
                return
            msg = json.loads(raw)
            if "id" in msg and msg["id"] in pending:
                pending.pop(msg["id"]).set_result(msg)
            elif msg.get("method") == "Network.requestWillBeSent":
                requests.append(msg["params"]["request"]["url"])
            elif msg.get("method") == "Page.loadEventFired" and not loaded.done():
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
        await call("Network.enable")
        await call("Page.enable")
        await call("Page.navigate", url=url)
        await loaded
        await asyncio.sleep(0.3)
        result = await call("Runtime.evaluate", expression=script, returnByValue=True)
        return requests, json.loads(result["result"]["result"]["value"])
    finally:
        ws.close()  # the reader returns once the connection is closed
        try:
            await asyncio.wait_for(task, 5)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()


def visit(browser: Chromium, url: str, script: str) -> tuple[list[str], Any]:
    target = browser.devtools("new?about:blank", "PUT")
    try:
        return asyncio.run(
            asyncio.wait_for(_session(target["webSocketDebuggerUrl"], url, script), 60)
        )
    finally:
        browser.devtools(f"close/{target['id']}")


def test_pages_make_no_network_request_and_index_sorts(chromium: str, tmp_path: Path) -> None:
    cohort = cma.load_returns(BUNDLED)
    result = write_business_reports(cohort, tmp_path, ["B04", "B16", "B01"])
    figures = (  # the radar and the strip: inline SVG, drawn with a size
        "JSON.stringify(Array.from(document.querySelectorAll('figure > svg'))"
        ".map(s => s.getBoundingClientRect().width > 100 && s.getBBox().height > 100))"
    )
    sort_by_staged = (
        "(() => { const th = document.querySelectorAll('#reports th')[1]; th.click();"
        " const a = Array.from(document.querySelectorAll('#reports tbody tr'))"
        ".map(r => r.cells[0].textContent); th.click();"
        " const d = Array.from(document.querySelectorAll('#reports tbody tr'))"
        ".map(r => r.cells[0].textContent); return JSON.stringify([a, d]); })()"
    )
    with Chromium(chromium) as browser:
        for page in result.pages.values():
            requests, drawn = visit(browser, page.as_uri(), figures)
            # the page itself, then at most embedded data: nothing leaves the machine
            assert requests[0] == page.as_uri()
            assert all(u.startswith("data:") for u in requests[1:]), requests
            assert drawn == [True, True]
        assert result.index is not None
        requests, (ascending, descending) = visit(browser, result.index.as_uri(), sort_by_staged)
        assert requests == [result.index.as_uri()]
    # staged levels: B01 1, B04 2, B16 2 (ties keep their order)
    assert ascending == ["B01", "B04", "B16"]
    assert descending[0] in ("B04", "B16") and descending[-1] == "B01"

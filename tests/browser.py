"""Headless Chromium for tests, driven over the DevTools protocol with aiohttp's websocket client.

    with Browser(tmp_path) as browser:       # skips without Chromium (fails under CI=true)
        page = browser.open(url, wait_for="document.querySelector('svg')")   # AssertionError on timeout
        page.evaluate("fetch('/x.json').then(r => r.json())")   # JSON value; JavaScriptError if it throws
        page.errors                          # console errors, uncaught exceptions, failed requests
        page.navigate(other_url); page.wait_for("expression"); page.screenshot(tmp_path / "page.png")

The protocol is asynchronous; its loop runs in a thread of its own so that tests stay plain functions.
Every call has a timeout (TimeoutError), and Chromium's whole process group is killed on exit.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import pytest

T = TypeVar("T")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
         "--no-proxy-server", "--hide-scrollbars", "--mute-audio", "--window-size=1400,1000",
         "--remote-debugging-port=0"]  # fmt: skip


def chromium_path() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


def require_chromium() -> str:
    """Chromium's path; the test is skipped without it, except under CI=true where that is a failure."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI needs Chromium for the browser tests (.ci/run installs it)", pytrace=False)
        pytest.skip("no Chromium here (apt-get install chromium)")
    return path


class JavaScriptError(Exception):
    """An expression given to Page.evaluate threw."""


class DevToolsError(RuntimeError):
    """Chromium refused a command (e.g. no page to evaluate in while one replaces another)."""


class Browser:
    """A headless Chromium with a throwaway profile under tmp_path, killed and removed on exit."""

    def __init__(self, tmp_path: Path, *, start_timeout: float = 30) -> None:
        self.tmp_path, self.start_timeout = Path(tmp_path), start_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task[None] | None = None
        self.ids, self.gone = itertools.count(1), "Chromium closed the DevTools connection"
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.listeners: dict[str, Callable[[str, dict[str, Any]], None]] = {}

    def __enter__(self) -> Browser:
        executable = require_chromium()
        self.profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=self.tmp_path))
        self.log = self.profile.with_suffix(".log")
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="cdp", daemon=True)
        self.thread.start()
        try:
            with self.log.open("wb") as log:  # the child keeps its own handle
                self.proc = subprocess.Popen(
                    [executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                )  # fmt: skip
            self.run(self._connect(), self.start_timeout)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.session is not None:
            with contextlib.suppress(Exception):  # a dead or stuck Chromium is killed below all the same
                self.run(self._close(), 10)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError):  # renderers and zygote share the browser's group
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run a coroutine on the protocol's loop; give up (and cancel it) after timeout seconds."""
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout), self.loop)
        try:
            return future.result(timeout + 5)
        except TimeoutError:
            future.cancel()
            raise TimeoutError(f"no answer from Chromium within {timeout:g} s") from None

    def _log_tail(self) -> str:
        text = self.log.read_text(errors="replace")[-1500:] if self.log.exists() else ""
        return f"; its log ends:\n{text}" if text.strip() else ""

    async def _connect(self) -> None:
        port_file = self.profile / "DevToolsActivePort"
        while not port_file.exists() or len(port_file.read_text().split()) < 2:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"Chromium exited with {self.proc.returncode}{self._log_tail()}")
            await asyncio.sleep(0.05)
        port, path = port_file.read_text().split()[:2]
        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(f"ws://127.0.0.1:{port}{path}", max_msg_size=0)
        self.reader = asyncio.ensure_future(self._read())

    async def _close(self) -> None:
        assert self.session is not None
        try:
            await asyncio.wait_for(self.send("Browser.close"), 5)
        finally:
            if self.ws is not None and self.reader is not None:
                await self.ws.close()
                self.reader.cancel()
                await asyncio.wait([self.reader], timeout=5)
            await self.session.close()

    async def send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        """A DevTools command's result (to the browser, or to the tab of a session)."""
        if self.ws is None or self.reader is None or self.reader.done():
            raise RuntimeError(self.gone)
        ident = next(self.ids)
        reply = self.pending[ident] = asyncio.get_running_loop().create_future()
        message = {"id": ident, "method": method, "params": params or {}}
        try:
            await self.ws.send_str(json.dumps({**message, "sessionId": session} if session else message))
        except (aiohttp.ClientError, ConnectionError) as lost:  # it went while the reader had not seen it yet
            self.pending.pop(ident, None)
            raise RuntimeError(self.gone) from lost
        return await reply

    async def _read(self) -> None:
        """Hand each reply to its command and each event to the listener of its tab."""
        assert self.ws is not None
        try:
            async for message in self.ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                data = json.loads(message.data)
                if "id" in data:  # a late reply (its command timed out) finds no one waiting
                    reply = self.pending.pop(data["id"], None)
                    if reply is None or reply.done():
                        continue
                    if "error" in data:
                        reply.set_exception(DevToolsError(f"{data['error'].get('message')}"))
                    else:
                        reply.set_result(data.get("result", {}))
                elif (listener := self.listeners.get(data.get("sessionId", ""))) is not None:
                    listener(data["method"], data.get("params", {}))
        except Exception as bug:  # a broken harness must fail the waiting test, not leave it hanging
            self.gone = f"the DevTools reader failed: {bug!r}"
        finally:
            for reply in self.pending.values():
                if not reply.done():
                    reply.set_exception(RuntimeError(self.gone))

    def open(self, url: str, wait_for: str | None = None, timeout: float = 60) -> Page:
        """A new tab at url once loaded and, if given, once the JavaScript expression wait_for is truthy."""
        started = time.monotonic()
        page = Page(self, *self.run(self._new_tab(), timeout))
        try:
            page.navigate(url, max(timeout - (time.monotonic() - started), 1))
            if wait_for is not None:
                page.wait_for(wait_for, max(timeout - (time.monotonic() - started), 1))
        except BaseException:
            with contextlib.suppress(Exception):
                page.close()
            raise
        return page

    async def _new_tab(self) -> tuple[str, str]:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        params = {"targetId": target["targetId"], "flatten": True}  # one websocket for all tabs
        attached = await self.send("Target.attachToTarget", params)
        return target["targetId"], attached["sessionId"]


class Page:
    """One tab. errors lists what went wrong in it: console errors, exceptions and failed requests."""

    def __init__(self, browser: Browser, target: str, session: str) -> None:
        self.browser, self.target, self.session = browser, target, session
        self._errors: list[str] = []
        self._urls: dict[str, str] = {}
        self._loaded = asyncio.Event()
        browser.listeners[self.session] = self._on_event
        browser.run(self._enable(), 30)

    @property
    def errors(self) -> list[str]:
        return list(self._errors)

    async def _send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        if self.session not in self.browser.listeners:
            raise RuntimeError("this tab was closed")
        return await self.browser.send(method, params, self.session)

    async def _enable(self) -> None:
        for domain in ("Runtime", "Page", "Network", "Log"):
            await self._send(f"{domain}.enable")

    def _on_event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Page.loadEventFired":
            self._loaded.set()
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            words = (a.get("value", a.get("description", a.get("type"))) for a in params["args"])
            self._errors.append("console.error: " + " ".join(map(str, words)))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = (details.get("exception", {}).get("description") or details["text"]).splitlines()[0]
            where = f"{details.get('url', '?')}:{details.get('lineNumber', 0) + 1}"
            self._errors.append(f"uncaught {text} ({where})")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            if params["entry"]["source"] != "network":  # the Network domain reports those, with their URL
                self._errors.append(f"log: {params['entry']['text']} ({params['entry'].get('url', '')})")
        elif method == "Network.requestWillBeSent":
            self._urls[params["requestId"]] = params["request"]["url"]
        elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
            if urlsplit(params["response"]["url"]).path == "/favicon.ico":
                return  # Chromium asks for it on its own; a page without one is not broken
            self._errors.append(f"HTTP {params['response']['status']} {params['response']['url']}")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            self._errors.append(f"failed {self._urls.get(params['requestId'], '?')}: {params['errorText']}")

    def navigate(self, url: str, timeout: float = 60) -> None:
        """Go to url and wait for its load event."""

        async def go() -> None:
            self._loaded.clear()
            answer = await self._send("Page.navigate", {"url": url})
            if answer.get("errorText"):
                raise AssertionError(f"could not open {url}: {answer['errorText']}")
            if "loaderId" in answer:  # none when only the #fragment changed: no load event then
                await self._loaded.wait()

        try:
            self.browser.run(go(), timeout)
        except TimeoutError:
            raise AssertionError(f"{url} did not load within {timeout:g} s; errors: {self._errors}") from None

    def evaluate(self, expression: str, timeout: float = 30) -> Any:
        """The JSON value of a JavaScript expression, once the promise it gives (if any) settles."""
        return self.browser.run(self._evaluate(expression), timeout)

    async def _evaluate(self, expression: str) -> Any:
        params = {"expression": expression, "returnByValue": True, "awaitPromise": True}
        answer = await self._send("Runtime.evaluate", params)
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            thrown = details.get("exception", {}).get("description") or details["text"]
            raise JavaScriptError(f"{expression!r} threw {thrown}")
        return answer["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60) -> Any:
        """Poll a JavaScript expression until it is truthy; its value, or AssertionError with the errors."""

        async def poll() -> Any:
            while True:
                try:
                    if value := await self._evaluate(expression):
                        return value
                except (JavaScriptError, DevToolsError) as why:  # not yet defined, or between two pages
                    self._last_miss = str(why)
                await asyncio.sleep(0.1)

        self._last_miss = ""
        try:
            return self.browser.run(poll(), timeout)
        except TimeoutError:
            last = f" (last: {self._last_miss})" if self._last_miss else ""
            raise AssertionError(
                f"{expression!r} was not true within {timeout:g} s{last}; errors: {self._errors}"
            ) from None

    def screenshot(self, path: Path | str, width: int = 1400, timeout: float = 30) -> Path:
        """A PNG of the whole page at this width, written to path."""
        png = self.browser.run(self._screenshot(width), timeout)
        Path(path).write_bytes(png)
        return Path(path)

    async def _screenshot(self, width: int) -> bytes:
        metrics = {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": False}
        await self._send("Emulation.setDeviceMetricsOverride", metrics)
        layout = await self._send("Page.getLayoutMetrics")
        height = (layout.get("cssContentSize") or layout["contentSize"])["height"]
        metrics["height"] = min(int(height + 0.99), 16384)
        await self._send("Emulation.setDeviceMetricsOverride", metrics)
        await self._evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        shot = await self._send("Page.captureScreenshot", {"format": "png"})
        await self._send("Emulation.clearDeviceMetricsOverride")
        return base64.b64decode(shot["data"])

    def close(self) -> None:
        """Close the tab (a long-lived browser need not keep every page it opened)."""
        if self.browser.listeners.pop(self.session, None) is not None:
            self.browser.run(self.browser.send("Target.closeTarget", {"targetId": self.target}), 30)

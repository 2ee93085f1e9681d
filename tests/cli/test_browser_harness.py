"""tests/browser.py, the headless-Chromium harness, against a small page served by aiohttp on 127.0.0.1."""

from __future__ import annotations

import asyncio
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.browser import Browser, JavaScriptError, chromium_path, require_chromium

PAGE = """<!doctype html>
<title>harness</title>
<img src="/missing.png" alt="not there">
<div id="answer"></div>
<div style="height: 2400px">a tall page</div>
<script>
  console.error("the page says", 42);
  fetch("/answer.json").then(reply => reply.json()).then(data => {
    document.getElementById("answer").textContent = data.answer;
  });
</script>
<script>notDefinedAnywhere();</script>
"""
UNREACHABLE = '<!doctype html><title>unreachable</title><script src="http://127.0.0.1:9/app.js"></script>'


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The page, its JSON and nothing else (so /missing.png is a 404), served from a thread."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def unreachable(request: web.Request) -> web.Response:
        return web.Response(text=UNREACHABLE, content_type="text/html")

    async def answer(request: web.Request) -> web.Response:
        await asyncio.sleep(0.3)  # the value arrives after the load event
        return web.json_response({"answer": 6 * 7})

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/answer.json", answer)
    app.router.add_get("/unreachable", unreachable)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(tcp.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.run_until_complete(runner.cleanup())
        loop.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with Browser(tmp_path_factory.mktemp("chromium")) as browser:
        yield browser


def test_a_page_is_waited_for_evaluated_and_its_errors_collected(site, browser):
    page = browser.open(site + "/", wait_for="document.getElementById('answer').textContent")
    assert page.evaluate("document.getElementById('answer').textContent") == "42"
    assert page.evaluate("fetch('/answer.json').then(r => r.json())") == {"answer": 42}
    assert page.evaluate("[1, 'two', null, {three: 3.5}]") == [1, "two", None, {"three": 3.5}]
    assert page.evaluate("undefined") is None
    errors = page.errors
    assert "console.error: the page says 42" in errors
    uncaught = "uncaught ReferenceError: notDefinedAnywhere is not defined"
    assert any(e.startswith(uncaught) for e in errors), errors
    assert f"HTTP 404 {site}/missing.png" in errors
    assert len(errors) == 3, errors


def test_a_javascript_exception_is_raised_with_its_text(site, browser):
    page = browser.open(site + "/")
    with pytest.raises(JavaScriptError, match="TypeError: Cannot read properties of null"):
        page.evaluate("null.x")
    with pytest.raises(JavaScriptError, match="no such value"):
        page.evaluate("Promise.reject(new Error('no such value'))")


def test_a_wait_that_never_comes_true_fails_with_the_page_errors(site, browser):
    with pytest.raises(AssertionError) as failed:
        browser.open(site + "/", wait_for="window.neverSet", timeout=3)
    message = str(failed.value)
    assert message.startswith("'window.neverSet' was not true within")
    assert "console.error: the page says 42" in message


def test_a_request_that_fails_is_an_error_and_a_page_that_cannot_load_a_failure(site, browser):
    page = browser.open(site + "/unreachable")
    assert any(e.startswith("failed http://127.0.0.1:9/app.js: net::ERR_") for e in page.errors), page.errors
    with pytest.raises(AssertionError, match=r"could not open http://127\.0\.0\.1:9/: net::ERR_"):
        browser.open("http://127.0.0.1:9/")


def test_a_screenshot_is_a_png_of_the_whole_page(site, browser, tmp_path):
    page = browser.open(site + "/", wait_for="document.getElementById('answer').textContent")
    shot = page.screenshot(tmp_path / "page.png", width=900)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    assert (width, height >= 2400) == (900, True)
    assert len(data) > 5000


def test_chromium_is_gone_and_its_profile_removed_after_an_error(tmp_path):
    browsers: list[Browser] = []

    def fail_with_a_page_open() -> None:
        with Browser(tmp_path) as browser:
            browsers.append(browser)
            browser.open("about:blank")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail_with_a_page_open()
    [browser] = browsers
    assert browser.proc is not None
    assert browser.proc.returncode is not None, "reaped"
    assert not browser.profile.exists()
    for _ in range(100):  # SIGKILL takes effect soon, not at once; zombies are init's to reap
        if not _running_in_group(browser.proc.pid):
            break
        time.sleep(0.1)
    assert _running_in_group(browser.proc.pid) == []


def _running_in_group(group: int) -> list[str]:
    """Processes of a process group that have not exited (zombies excluded)."""
    running = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().rsplit(")", 1)
        except OSError:
            continue  # gone while we looked
        state, _, pgrp = fields.split()[:3]
        if int(pgrp) == group and state != "Z":
            running.append(name.split("(", 1)[1])
    return running


def test_without_chromium_a_test_is_skipped_except_under_ci(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert chromium_path() is None
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI needs Chromium"):
        require_chromium()

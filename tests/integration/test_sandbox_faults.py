"""Faults, latency, the rate limit, the request log, and the server run in a thread."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from typing import Any

import aiohttp
import pytest

from cfsync.sandbox import Fault, Sandbox, SandboxConfig, SandboxServer, serve_forever, serve_in_thread


async def test_queued_status_faults_then_recovery(sandbox: Sandbox, sandbox_api: Any):
    sandbox.faults.fail_next(429)
    sandbox.faults.fail_next("500")
    sandbox.faults.fail_next("503")
    assert sandbox.faults.pending == 3
    statuses = []
    for _ in range(4):
        reply = await sandbox_api.get("/teams")
        statuses.append(reply.status)
        if reply.status == 429:
            assert "Retry-After" not in reply.headers
            assert not any(h.lower().startswith("ratelimit") for h in reply.headers)
    assert statuses == [429, 500, 503, 200]
    assert sandbox.faults.pending == 0


async def test_502_has_an_html_body(sandbox: Sandbox, sandbox_api: Any):
    sandbox.faults.fail_next("502", times=2)
    for _ in range(2):
        reply = await sandbox_api.get("/teams")
        assert reply.status == 502
        assert reply.headers["Content-Type"].startswith("text/html")
        assert reply.text.lstrip().startswith("<html>")
    assert (await sandbox_api.get("/teams")).status == 200


async def test_faults_match_method_and_path(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    sandbox.faults.fail_next("503", method="GET", path=r"/contacts$")
    assert (await sandbox_api.get("/teams")).status == 200
    assert (await sandbox_api.get(f"/workspaces/{ws}/contacts/tags")).status == 200
    assert (await sandbox_api.get(f"/workspaces/{ws}/contacts")).status == 503
    assert (await sandbox_api.get(f"/workspaces/{ws}/contacts")).status == 200


async def test_connection_reset(sandbox: Sandbox, sandbox_server: SandboxServer):
    # aiohttp itself retries an idempotent request once when its connection drops: two resets get through.
    sandbox.faults.fail_next("reset", times=2)
    headers = {"Authorization": f"Bearer {sandbox.api_token()}"}
    async with aiohttp.ClientSession() as s:
        with pytest.raises((aiohttp.ClientOSError, aiohttp.ServerDisconnectedError)):
            async with s.get(f"{sandbox_server.url}/api/v2/teams", headers=headers) as r:
                await r.read()
        async with s.get(f"{sandbox_server.url}/api/v2/teams", headers=headers) as r:
            assert r.status == 200
    assert [r.status for r in sandbox.requests] == [0, 0, 200]


async def test_stall_outlasts_the_client_timeout(sandbox: Sandbox, sandbox_server: SandboxServer):
    sandbox.faults.fail_next("stall", stall_seconds=30)
    headers = {"Authorization": f"Bearer {sandbox.api_token()}"}
    async with aiohttp.ClientSession() as s:
        started = time.perf_counter()
        with pytest.raises(asyncio.TimeoutError):
            async with s.get(
                f"{sandbox_server.url}/api/v2/teams",
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=0.3),
            ):
                pass
        assert time.perf_counter() - started < 5
        async with s.get(f"{sandbox_server.url}/api/v2/teams", headers=headers) as r:
            assert r.status == 200


async def test_latency_and_config_faults():
    sb = Sandbox(SandboxConfig(latency=0.2, faults=(Fault("429", times=2, path="/teams"),)))
    async with SandboxServer(sb) as server, aiohttp.ClientSession() as s:
        headers = {"Authorization": f"Bearer {sb.api_token()}"}
        statuses = []
        started = time.perf_counter()
        for _ in range(3):
            async with s.get(f"{server.url}/api/v2/teams", headers=headers) as r:
                statuses.append(r.status)
        assert time.perf_counter() - started >= 0.6
    assert statuses == [429, 429, 200]


async def test_rate_limit_per_client_ip(sandbox: Sandbox, sandbox_api: Any):
    sandbox.faults.rate_limit(0.001, burst=3)
    statuses = [(await sandbox_api.get("/teams")).status for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    limited = await sandbox_api.get("/teams")
    assert "Retry-After" not in limited.headers
    sandbox.faults.rate_limit(None)
    assert (await sandbox_api.get("/teams")).status == 200


async def test_an_endpoint_outside_the_plan_is_403_for_one_account(
    sandbox: Sandbox, api_for: Any, sandbox_server: SandboxServer
):
    sandbox.faults.forbid(r"/orders", account=1)
    mine = api_for(sandbox_server.url, sandbox.api_token(0))
    theirs = api_for(sandbox_server.url, sandbox.api_token(1))
    assert (await mine.get(f"/workspaces/{sandbox.workspace_ids(0)[0]}/orders")).status == 200
    denied = await theirs.get(f"/workspaces/{sandbox.workspace_ids(1)[0]}/orders")
    assert denied.status == 403
    assert "error" in denied.body
    assert (await theirs.get(f"/workspaces/{sandbox.workspace_ids(1)[0]}/contacts")).status == 200
    sandbox.faults.clear()
    assert (await theirs.get(f"/workspaces/{sandbox.workspace_ids(1)[0]}/orders")).status == 200


async def test_request_log(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    sandbox.requests.clear()
    await sandbox_api.get(f"/workspaces/{ws}/contacts", params={"sort_order": "desc", "filter[id]": "1"})
    await sandbox_api.get("/nowhere")
    await sandbox_api.post(f"/workspaces/{ws}/contacts", {"contact": {"email_address": "log@example.com"}})
    log = list(sandbox.requests)
    assert [(r.method, r.api_path, r.status) for r in log] == [
        ("GET", f"/workspaces/{ws}/contacts", 200),
        ("GET", "/nowhere", 404),
        ("POST", f"/workspaces/{ws}/contacts", 201),
    ]
    assert log[0].query == {"sort_order": "desc", "filter[id]": "1"}
    assert log[0].path == f"/api/v2/workspaces/{ws}/contacts"
    assert log[0].account == 0
    assert log[0].mode == "direct"
    assert log[0].client == "127.0.0.1"
    sandbox.requests.clear()
    assert len(sandbox.requests) == 0
    assert sandbox.requests.maxlen == 1_000_000


def test_serve_in_thread_for_synchronous_callers():
    sb = Sandbox(SandboxConfig(seed=4, counts={"contacts": 5}))
    ws = sb.workspace_ids()[0]
    with serve_in_thread(sb) as url:
        request = urllib.request.Request(
            f"{url}/api/v2/workspaces/{ws}/contacts",
            headers={"Authorization": f"Bearer {sb.api_token()}", "User-Agent": "cfsync-tests"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            assert b'"email_address"' in response.read()
        sb.faults.fail_next("503")
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(request, timeout=10)
        assert failed.value.code == 503
        failed.value.close()
    assert [r.status for r in sb.requests] == [200, 503]
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(request, timeout=2)


async def test_serve_forever_reports_its_url_and_stops_when_cancelled():
    sb = Sandbox(SandboxConfig(seed=4))
    ready: asyncio.Queue[str] = asyncio.Queue()
    task = asyncio.create_task(serve_forever(sb, "127.0.0.1", 0, ready.put_nowait))
    url = await asyncio.wait_for(ready.get(), 10)
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{url}/api/v2/teams", headers={"Authorization": f"Bearer {sb.api_token()}"}) as r:
            assert r.status == 200
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(aiohttp.ClientConnectionError):
            async with s.get(f"{url}/api/v2/teams"):
                pass

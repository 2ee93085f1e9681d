"""The aiohttp application: the edge (CDN, gateway, auth, faults) in front of the API routes."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from cfsync.sandbox import control
from cfsync.sandbox.config import Fault
from cfsync.sandbox.connections import APP
from cfsync.sandbox.routes import Call, dispatch, json_body, json_response
from cfsync.sandbox.sandbox import RequestRecord, Sandbox
from cfsync.sandbox.state import SandboxError

__all__ = ["CONTROL_ROUTES", "SANDBOX_KEY", "make_app"]

SANDBOX_KEY = web.AppKey("sandbox", Sandbox)

DIRECT_PREFIX = "/api/v2"
MATON_PREFIX = "/clickfunnels/api/v2"
CONNECTIONS = "/connections"  # the Maton gateway's connection registry (Maton key)
_BAD_GATEWAY = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    "</center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)
_BLOCKED = (
    "<html><head><title>Attention Required! | Cloudflare</title></head><body>Sorry, you have been "
    "blocked</body></html>"
)


def make_app(sandbox: Sandbox) -> web.Application:
    app = web.Application()
    app[SANDBOX_KEY] = sandbox
    app.router.add_route("*", "/{tail:.*}", _handle)
    return app


def _split(path: str) -> tuple[str, str]:
    """(mode, API path) of a request path."""
    for mode, prefix in (("maton", MATON_PREFIX), ("direct", DIRECT_PREFIX)):
        if path == prefix or path.startswith(prefix + "/"):
            return mode, path[len(prefix) :] or "/"
    if path == CONNECTIONS or path.startswith(CONNECTIONS + "/"):
        return "control", path
    return "", path


async def _handle(request: web.Request) -> web.StreamResponse:
    sb = request.app[SANDBOX_KEY]
    if control.is_control(request.path):
        # Before the log and the edge: steering the sandbox must not show up in what tests assert on.
        return await control.handle(sb, request)
    mode, api_path = _split(request.path)
    rec = RequestRecord(
        request.method, request.path, dict(request.query.items()), api_path, mode, client=request.remote
    )
    sb.requests.append(rec)
    response = await _edge(sb, request, rec)
    rec.status = response.status
    return response


async def _edge(sb: Sandbox, request: web.Request, rec: RequestRecord) -> web.StreamResponse:
    delay = sb.faults.delay()
    if delay > 0:
        await asyncio.sleep(delay)
    # The CDN answers before anything behind it: no User-Agent, no API.
    if not request.headers.get("User-Agent", "").strip():
        return web.Response(status=403, text=_BLOCKED, content_type="text/html")
    burst = sb.faults.burst()
    if burst is not None:
        rec.fault = burst.kind
        return _status_fault(burst.kind)
    if not sb.faults.allow(request.remote or ""):
        return json_response(429, {"error": "Too Many Requests"})
    fault = sb.faults.take(request.method, rec.api_path) or sb.faults.chance()
    if fault is not None:
        rec.fault = fault.kind
        response = await _fault(fault, request, rec)
        if response is not None:
            return response
    if not rec.mode:
        return json_response(404, {"error": "Not found"})
    account = _authenticate(sb, request, rec)
    if isinstance(account, web.Response):
        return account
    rec.account = account
    if rec.mode == "control":
        return await _control(sb, request)
    if sb.faults.forbidden(rec.api_path, account):
        return json_response(403, {"error": "Your plan does not include access to this endpoint"})
    match = sb.catalog.match(request.method, rec.api_path)
    if match is None:
        return json_response(404, {"error": "Not found"})
    route, params = match
    body = await request.read() if route.kind in ("create", "update", "action", "one") else b""
    call = Call(sb, route, params, account, request.query, request.url, body)
    with sb.state.lock:
        return dispatch(call)


def _authenticate(sb: Sandbox, request: web.Request, rec: RequestRecord) -> int | web.Response:
    auth = request.headers.get("Authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    invalid = json_response(401, {"error": "API key missing or invalid"})
    if rec.mode == "direct":
        account = sb.account_for_token(token)
        return invalid if account is None else account
    if token != sb.maton_key:
        return invalid
    if rec.mode == "control":
        return 0
    connection = request.headers.get("Maton-Connection", "").strip()
    if not connection:
        # Without a choice the gateway takes the oldest active connection.
        oldest = sb.oldest_active_connection()
        if oldest is None:
            return json_response(400, {"error": f"No active connection found for app {APP}"})
        connection = oldest
    account = sb.account_for_connection(connection)
    if account is None:
        return json_response(400, {"error": f"Connection {connection} not found or not active"})
    rec.connection_id = connection
    return account


async def _control(sb: Sandbox, request: web.Request) -> web.Response:
    """The gateway's connection registry: list, create, show and delete connections."""
    tail = request.path.removeprefix(CONNECTIONS).strip("/")
    if "/" in tail:
        return json_response(404, {"error": "Not found"})
    template = f"{CONNECTIONS}/{{connection_id}}" if tail else CONNECTIONS
    for method, path, handler in _CONNECTION_ROUTES:
        if path == template and method == request.method:
            try:
                return await handler(sb, request, tail)
            except SandboxError as e:
                return json_response(e.status, {"error": e.message})
    return json_response(405, {"error": "Method not allowed"})


async def _list_connections(sb: Sandbox, request: web.Request, _: str) -> web.Response:
    app, status = request.query.get("app"), request.query.get("status")
    chosen = [c for c in sb.connections(status) if app is None or c["app"] == app]
    return json_response(200, {"connections": chosen})


async def _create_connection(sb: Sandbox, request: web.Request, _: str) -> web.Response:
    _check_app(await request.read())
    return json_response(201, {"connection": sb.create_connection()})


async def _show_connection(sb: Sandbox, _: web.Request, connection_id: str) -> web.Response:
    return json_response(200, {"connection": sb.connection(connection_id)})


async def _delete_connection(sb: Sandbox, _: web.Request, connection_id: str) -> web.Response:
    sb.delete_connection(connection_id)
    return web.Response(status=204)


_CONNECTION_ROUTES: tuple[
    tuple[str, str, Callable[[Sandbox, web.Request, str], Awaitable[web.Response]]], ...
] = (
    ("GET", CONNECTIONS, _list_connections),
    ("POST", CONNECTIONS, _create_connection),
    ("GET", CONNECTIONS + "/{connection_id}", _show_connection),
    ("DELETE", CONNECTIONS + "/{connection_id}", _delete_connection),
)
# Every route that is not the ClickFunnels API, as (method, path template): the sandbox's control API and
# the Maton gateway's connection registry. docs/sandbox.md documents each (a test holds it to that).
CONTROL_ROUTES: tuple[tuple[str, str], ...] = (
    *control.ROUTES,
    *((method, path) for method, path, _ in _CONNECTION_ROUTES),
)


def _check_app(raw: bytes) -> None:
    body = json_body(raw)
    app = body.get("app") if isinstance(body, dict) else None
    if not app:
        raise SandboxError(400, "app is required")
    if app != APP:
        # The sandbox stands in for the ClickFunnels app only.
        raise SandboxError(400, f"Unsupported app {app!r}: this gateway knows only {APP!r}")


async def _fault(fault: Fault, request: web.Request, rec: RequestRecord) -> web.StreamResponse | None:
    """The response a queued fault gives instead of the real one (None: carry on after a stall)."""
    if fault.kind == "stall":
        await asyncio.sleep(fault.stall_seconds)
        return None
    if fault.kind == "reset":
        rec.status = 0
        transport = request.transport
        if transport is not None:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                # Linger 0: close() sends RST, so the client sees a reset rather than a clean EOF.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        # The lost connection cancels this handler; the answer below is never written.
        await asyncio.sleep(3600)
        return json_response(500, {"error": "reset"})
    return _status_fault(fault.kind)


def _status_fault(kind: str) -> web.Response:
    """The answer of a fault that is a status: 429, 500, 502 (an HTML page from the proxy) or 503."""
    if kind == "502":
        return web.Response(status=502, text=_BAD_GATEWAY, content_type="text/html")
    messages: dict[str, tuple[int, Any]] = {
        "429": (429, {"error": "Too Many Requests"}),
        "500": (500, {"error": "Internal Server Error"}),
        "503": (503, {"error": "Service Unavailable"}),
    }
    status, body = messages[kind]
    return json_response(status, body)

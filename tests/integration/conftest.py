"""Shared fixtures: a small sandbox, the same sandbox served on 127.0.0.1, and a thin client for it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa

from cfsync.config import Config
from cfsync.sandbox import Sandbox, SandboxConfig, SandboxServer
from cfsync.store import Store

from .helpers import config_for


@pytest.fixture
async def sandbox() -> Sandbox:
    """Two accounts of two workspaces each; contacts fill three pages, everything else at its default."""
    return Sandbox(SandboxConfig(seed=7, accounts=2, workspaces=2, counts={"contacts": 45}))


@pytest.fixture
async def sandbox_server(sandbox: Sandbox) -> AsyncIterator[SandboxServer]:
    async with SandboxServer(sandbox, host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def store(db_url) -> Iterator[Store]:
    """A migrated Store on each database."""
    store = Store.open(db_url)
    store.migrate()
    yield store
    store.close()


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]
    text: str

    @property
    def body(self) -> Any:
        return json.loads(self.text)


@dataclass
class SandboxApi:
    """Raw HTTP against the sandbox: no retries, no interpretation, so tests see exactly what it answers."""

    session: aiohttp.ClientSession
    base: str  # e.g. http://127.0.0.1:PORT/api/v2
    headers: dict[str, str] = field(default_factory=dict)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json_body: Any = None,
        data: str | None = None,
        headers: Mapping[str, str] | None = None,
        url: str | None = None,
    ) -> Reply:
        async with self.session.request(
            method,
            url or self.base + path,
            params=params,
            json=json_body,
            data=data,
            headers={**self.headers, **(headers or {})},
        ) as r:
            return Reply(r.status, r.headers, await r.text())

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return await self.request("POST", path, json_body=body, **kwargs)

    async def put(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return await self.request("PUT", path, json_body=body, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> Reply:
        return await self.request("DELETE", path, **kwargs)

    async def walk(self, path: str, params: Mapping[str, str] | None = None) -> list[list[dict[str, Any]]]:
        """Every page of a list, following `after=Pagination-Next` until the header is missing."""
        pages: list[list[dict[str, Any]]] = []
        query = dict(params or {})
        seen: set[str] = set()
        while True:
            reply = await self.get(path, params=query)
            assert reply.status == 200, reply.text
            pages.append(reply.body)
            cursor = reply.headers.get("Pagination-Next")
            if not cursor:
                return pages
            assert cursor not in seen, f"cursor {cursor} repeated"
            seen.add(cursor)
            query["after"] = cursor


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


ApiFactory = Callable[..., SandboxApi]


@pytest.fixture
def api_for(http_session: aiohttp.ClientSession) -> ApiFactory:
    """`api_for(server_url, token, prefix="/api/v2", **headers)`: a client for any sandbox server."""

    def make(url: str, token: str, prefix: str = "/api/v2", **headers: str) -> SandboxApi:
        return SandboxApi(http_session, url + prefix, {"Authorization": f"Bearer {token}", **headers})

    return make


@pytest.fixture
def sandbox_api(sandbox: Sandbox, sandbox_server: SandboxServer, api_for: ApiFactory) -> SandboxApi:
    """Direct mode, account 0."""
    return api_for(sandbox_server.url, sandbox.api_token(0))


# For sync tests: a module defines `sb` (its sandbox); these serve it and point a config and an engine at
# the test's database (SQLite and PostgreSQL, through `db_url`).


@pytest.fixture
async def server(sb: Sandbox) -> AsyncIterator[SandboxServer]:
    async with SandboxServer(sb, host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def config(sb: Sandbox, server: SandboxServer, db_url: str) -> Config:
    return config_for(server.url, sb.api_token(0), db_url)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = Store.open(db_url).engine
    yield engine
    engine.dispose()

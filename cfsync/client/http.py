"""The HTTP client: one aiohttp session per account, a shared rate limit and in-flight cap, retries.

Direct and Maton modes differ only in base URL, key and the optional `Maton-Connection` header; both send
`{base_url}/api/v2/{path}`.
"""

from __future__ import annotations

import asyncio
import json
import platform
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from multidict import MultiDict

from .. import __version__
from ..config import AccountConfig
from ..errors import ApiProtocolError
from .attempts import Answer, RequestStats, send_with_retries
from .budget import Budget
from .waiting import CONNECT_TIMEOUT

__all__ = ["USER_AGENT", "ApiClient", "Page", "RequestStats", "Response"]

USER_AGENT = f"cfsync/{__version__} aiohttp/{aiohttp.__version__} python/{platform.python_version()}"


@dataclass(frozen=True)
class Response:
    """One successful answer: its status (201 created vs 200 updated matters to writes), the parsed JSON
    body (None when empty, as a 204 is) and the headers."""

    status: int
    data: Any
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Page:
    items: list[Any]
    pagination_next: str | None


class ApiClient:
    """Talks to one ClickFunnels account. Use as `async with ApiClient(account) as client:`.

    `api_root` replaces `{base_url}/api/v2` (the Maton control host); `budget` is shared with the other
    clients of the same host and key.
    """

    def __init__(
        self,
        account: AccountConfig,
        *,
        budget: Budget | None = None,
        api_root: str | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.account = account
        self.stats = RequestStats()
        self._base = api_root or f"{account.base_url}/api/v2"
        parts = urlsplit(self._base)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        self._where = f"{parts.hostname}:{port}"  # for messages
        setting = "control_url" if api_root else "base_url"
        self._setting = f"{setting} of account {account.name!r}"
        self._headers = {
            "Authorization": f"Bearer {account.require_key().value}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        if account.mode == "maton" and account.connection and api_root is None:
            self._headers["Maton-Connection"] = account.connection
        self.budget = budget or Budget.for_account(account)
        self._sleep = sleep
        self._rand = rand
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"ApiClient(account={self.account.name!r}, base_url={self.account.base_url!r})"

    async def __aenter__(self) -> ApiClient:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(
                total=self.account.timeout_seconds,
                sock_connect=min(CONNECT_TIMEOUT, self.account.timeout_seconds),
            ),
            connector=aiohttp.TCPConnector(limit=self.account.max_in_flight),
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, body: Any = None
    ) -> tuple[Any, Mapping[str, str]]:
        """Send one API call with retries; the parsed JSON answer (None when empty) and its headers."""
        response = await self.call(method, path, params=params, body=body)
        return response.data, response.headers

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        repeatable: bool = True,
    ) -> Response:
        """Send one API call with retries; its status, parsed JSON answer and headers.

        `repeatable=False` is for writes that would happen twice if resent (a create: the API has no
        idempotency keys). Those are retried only when the API cannot have acted: a 429, or a connection
        that never opened. Anything else (a timeout, a reset, a 5xx) ends the call at once.
        """
        status, headers, raw = await self._send_with_retries(method, path, params, body, repeatable)
        if not raw.strip():
            return Response(status, None, headers)
        try:
            return Response(status, json.loads(raw), headers)
        except ValueError:
            raise ApiProtocolError(
                f"the answer is not JSON: {raw[:80]!r}", status=status, method=method, url=path
            ) from None

    async def list_page(
        self, path: str, *, after: str | None = None, params: Mapping[str, str] | None = None
    ) -> Page:
        query: MultiDict[str] = MultiDict(params or {})  # expand[] may repeat
        if after is not None:
            query["after"] = after
        items, headers = await self.request("GET", path, params=query)
        if not isinstance(items, list):
            raise ApiProtocolError(
                f"a list endpoint answered {type(items).__name__}, not a JSON array", method="GET", url=path
            )
        return Page(items=items, pagination_next=headers.get("Pagination-Next"))

    async def _send_with_retries(
        self, method: str, path: str, params: Mapping[str, str] | None, body: Any, repeatable: bool = True
    ) -> tuple[int, Mapping[str, str], bytes]:
        session = self._session
        if session is None:
            raise RuntimeError("ApiClient used outside `async with`")
        url = self._base + path

        async def send() -> Answer:
            async with session.request(method, url, params=params, json=body, headers=self._headers) as r:
                return Answer(r.status, r.headers, await r.read(), r.reason)

        answer = await send_with_retries(
            self.budget,
            send,
            method=method,
            path=path,
            max_retries=self.account.max_retries,
            timeout_seconds=self.account.timeout_seconds,
            repeatable=repeatable,
            stats=self.stats,
            sleep=self._sleep,
            rand=self._rand,
            where=self._where,
            setting=self._setting,
        )
        return answer.status, answer.headers, answer.body

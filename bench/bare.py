"""The ceiling: a bare aiohttp loop that fetches the pages a cfsync contacts sync fetches and discards them.

It walks what `cfsync sync --resource contacts` walks (teams, each team's workspaces, each workspace's
contacts by id, 20 a page) with `max_in_flight` requests open at once, and does nothing with a page but
read its body and follow `Pagination-Next`. Several workspaces are walked side by side. A single big list
is split into `max_in_flight` id ranges walked side by side: the first page ascending and one page
descending give the lowest and highest id, and each range starts `after` its lower bound and stops at the
first page that reaches its upper one. That costs one page more than a single cursor, plus at most one page
per range boundary that the next range fetches again.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import aiohttp

__all__ = ["BareResult", "bare_fetch"]


@dataclass(frozen=True)
class BareResult:
    pages: int
    wall: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.wall


class _Walker:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base
        self.pages = 0

    async def get(self, path: str, params: dict[str, str] | None = None) -> tuple[bytes, str | None]:
        async with self.session.get(self.base + path, params=params) as r:
            body = await r.read()
            if r.status != 200:
                raise RuntimeError(f"GET {path} {params}: HTTP {r.status}")
            self.pages += 1
            return body, (r.headers.get("Pagination-Next") or "").strip() or None

    async def walk(self, path: str, after: str | None = None, stop_at: int | None = None) -> None:
        """Follow the list from `after` until it ends, or until a page reaches id `stop_at`."""
        while True:
            _, after = await self.get(path, {"after": after} if after else None)
            if after is None or (stop_at is not None and int(after) >= stop_at):
                return

    async def ids(self, path: str) -> list[int]:
        body, _ = await self.get(path)
        return [int(item["id"]) for item in json.loads(body)]


async def _run(url: str, token: str, max_in_flight: int, split: bool) -> BareResult:
    headers = {
        "Authorization": f"Bearer {token}",
        "User-Agent": "cfsync-bench-bare",
        "Accept": "application/json",
    }
    connector = aiohttp.TCPConnector(limit=max_in_flight)
    started = time.perf_counter()
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        w = _Walker(session, f"{url}/api/v2")
        teams = await w.ids("/teams")
        workspaces = [ws for team in teams for ws in await w.ids(f"/teams/{team}/workspaces")]
        lists = [f"/workspaces/{ws}/contacts" for ws in workspaces]
        if split and len(lists) == 1:
            await _split_walk(w, lists[0], max_in_flight)
        else:
            gate = asyncio.Semaphore(max_in_flight)

            async def one(path: str) -> None:
                async with gate:
                    await w.walk(path)

            await asyncio.gather(*(one(path) for path in lists))
    return BareResult(w.pages, time.perf_counter() - started)


async def _split_walk(w: _Walker, path: str, parts: int) -> None:
    first_page, first_next = await w.get(path)
    if first_next is None:
        return
    low = int(json.loads(first_page)[-1]["id"])
    high = int(json.loads((await w.get(path, {"sort_order": "desc"}))[0])[0]["id"])
    bounds = [low + (high - low) * i // parts for i in range(parts)] + [high]
    # Range 0 continues after the first page; range i > 0 starts after bounds[i].
    await asyncio.gather(
        *(
            w.walk(path, after=str(bounds[i]), stop_at=bounds[i + 1] if i + 1 < parts else None)
            for i in range(parts)
        )
    )


def bare_fetch(url: str, token: str, max_in_flight: int, *, split: bool = True) -> BareResult:
    """Walk the sandbox at `url` as a contacts sync would, `max_in_flight` requests at once."""
    return asyncio.run(_run(url, token, max_in_flight, split))

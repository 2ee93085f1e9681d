"""Pages waiting to be written go to the database together: one transaction for all that are waiting.

Each walker (a partition, or a segment of one) hands in one page and waits for it before fetching the next,
so what waits is bounded by the number of walkers, however big the account, and a crash costs each walker at
most one page. While a transaction runs, the pages handed in meanwhile gather for the next one: under load
the batches grow (fewer statements, fewer commits), and a lone page never waits for company. Every page
keeps its own cursor in the transaction that stores its rows. If a batch fails, its pages are written one
by one, so one bad page fails only its own partition (unless the database itself failed: then every page
gets that error).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import DatabaseError, RecordError
from ..resources.catalog import resource_for_event
from ..resources.transform import RecordRows, to_rows
from .ports import PageWrite, Reject, StorePort, WriteResult

__all__ = ["PageWriter", "build_page"]

_EVENTS = "webhooks_outgoing_events"
MAX_PAGES = 64


class PageWriter:
    def __init__(self, store: StorePort, db: Callable[..., Awaitable[Any]], max_pages: int = MAX_PAGES):
        self.store = store
        self.db = db
        self.max_pages = max_pages
        self._waiting: list[tuple[tuple[Any, ...], asyncio.Future[WriteResult]]] = []
        self._draining: asyncio.Task[None] | None = None

    def submit(self, *page: Any) -> asyncio.Future[WriteResult]:
        """`page` is build_page's arguments; the future resolves once the page is committed."""
        future: asyncio.Future[WriteResult] = asyncio.get_running_loop().create_future()
        self._waiting.append((page, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.ensure_future(self._drain())
        return future

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self.max_pages], self._waiting[self.max_pages :]
            pages = [args for args, _ in batch]
            try:
                results = await self.db(_write_batch, self.store, pages)
            except DatabaseError as exc:
                results = [exc] * len(pages)  # the database's fault, not a page's: no use trying each
            except Exception:
                results = [await self._alone(args) for args in pages]
            for (_, future), result in zip(batch, results, strict=True):
                if future.cancelled():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def _alone(self, page: tuple[Any, ...]) -> WriteResult | BaseException:
        try:
            [result] = await self.db(_write_batch, self.store, [page])
            return result
        except Exception as exc:  # handed to the page's walker, which fails its partition
            return exc


def _write_batch(store: StorePort, pages: list[tuple[Any, ...]]) -> list[WriteResult]:
    """On the writer thread: transform every page, then one transaction in the store."""
    return store.write_pages([build_page(*page) for page in pages])


def build_page(
    part: Any,
    items: list[Any],
    cursor: str | None,
    run_id: int,
    now: Any,
    sweep_range: tuple[int | None, int | None] | None,
    segment: Any,
) -> PageWrite:
    records: dict[int, RecordRows] = {}
    rejects = []
    for item in items:
        try:
            rows = to_rows(part.resource, item, part.scope, now)
        except RecordError as exc:
            raw_id = item.get("id") if isinstance(item, dict) else None
            rejects.append(Reject(None if raw_id is None else str(raw_id), str(exc), item))
            continue
        records[rows.row["id"]] = rows  # a repeated id in one page: the later copy wins
    deletions = _deletions(items) if part.resource.name == _EVENTS else ()
    return PageWrite(
        part, list(records.values()), rejects, cursor, run_id, now, sweep_range, deletions, segment
    )


def _deletions(events: list[Any]) -> tuple[Any, ...]:
    """`*.deleted` entries of the outgoing event log: (resource, id) of records gone from the API."""
    found = []
    for event in events:
        if not isinstance(event, dict):
            continue
        kind = event.get("event_type_id") or event.get("event_type")
        subject = event.get("subject_id")
        if isinstance(kind, str) and kind.endswith(".deleted") and isinstance(subject, int):
            resource = resource_for_event(kind)
            if resource is not None:
                found.append((resource, subject))
    return tuple(found)

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
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ..dbthread import together_or_alone
from ..errors import DatabaseError, RecordError
from ..resources.catalog import Resource, resource_for_event
from ..resources.transform import RecordRows, note_column, to_rows
from .ports import PageWrite, Partition, Reject, StorePort, WriteResult
from .segments import Segment

__all__ = ["PageRequest", "PageWriter", "build_page"]

_EVENTS = "webhooks_outgoing_events"
MAX_PAGES = 64


@dataclass(frozen=True)
class PageRequest:
    """A page as a walker hands it in: the items the API listed and where the walk stands after them."""

    partition: Partition
    items: list[Any]
    cursor: str | None  # the partition's cursor after this page (None: it does not move)
    run_id: int
    now: datetime
    sweep_range: tuple[int | None, int | None] | None = None
    segment: Segment | None = None


class PageWriter:
    """Writes pages for the walkers of a run; `accounts` are the run's config accounts."""

    def __init__(
        self,
        store: StorePort,
        db: Callable[..., Awaitable[Any]],
        accounts: Collection[str] = (),
        max_pages: int = MAX_PAGES,
    ):
        self.store = store
        self.db = db
        self.accounts = frozenset(accounts)
        self.max_pages = max_pages
        self._waiting: list[tuple[PageRequest, asyncio.Future[WriteResult]]] = []
        self._draining: asyncio.Task[None] | None = None

    def submit(self, page: PageRequest) -> asyncio.Future[WriteResult]:
        """A future that resolves once the page is committed with its cursor."""
        future: asyncio.Future[WriteResult] = asyncio.get_running_loop().create_future()
        self._waiting.append((page, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.ensure_future(self._drain())
        return future

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self.max_pages], self._waiting[self.max_pages :]
            pages = [page for page, _ in batch]
            results: list[WriteResult | BaseException]
            try:
                results = await self.db(_write_batch, self.store, pages, self.accounts)
            except Exception as exc:  # the database's fault, not a page's: every page gets it
                results = [exc] * len(pages)
            for (_, future), result in zip(batch, results, strict=True):
                if future.cancelled():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)


def _write_batch(
    store: StorePort, pages: list[PageRequest], accounts: frozenset[str]
) -> list[WriteResult | BaseException]:
    """On the writer thread: every page transformed, then one transaction in the store (a page that fails
    it alone gets its error, handed to its walker, which fails its partition)."""
    # Fields the API started sending become columns first, each in a transaction of its own that commits
    # before the pages' (failing to evolve fails that page alone). Every page of a resource is then built
    # with the resource as the last call left it: columns are only ever added.
    latest: dict[str, Resource] = {}
    failed: dict[int, BaseException] = {}
    for index, page in enumerate(pages):
        try:
            latest[page.partition.resource.name], _ = store.evolve(
                page.partition.resource, page.items, page.run_id
            )
        except DatabaseError:
            raise
        except Exception as exc:
            failed[index] = exc
    ready = [i for i in range(len(pages)) if i not in failed]
    built = {i: build_page(pages[i], accounts, latest[pages[i].partition.resource.name]) for i in ready}
    outcomes: dict[int, WriteResult | BaseException] = dict(failed)
    for some, outcome in together_or_alone(
        ready, lambda some: store.write_pages([built[i] for i in some]), fatal=(DatabaseError,)
    ):
        written = [outcome] * len(some) if isinstance(outcome, Exception) else outcome
        outcomes.update(zip(some, written, strict=True))
    return [outcomes[i] for i in range(len(pages))]


def build_page(
    page: PageRequest, accounts: frozenset[str] = frozenset(), resource: Resource | None = None
) -> PageWrite:
    """The page's rows (records that do not fit their table become rejects; values that do not fit an
    evolved column, notes) ready for the store. `resource`: the partition's, with its evolved columns."""
    part, now = page.partition, page.now
    resource = resource or part.resource
    records: dict[int, RecordRows] = {}
    rejects = []
    for item in page.items:
        try:
            rows = to_rows(resource, item, part.scope, now)
        except RecordError as exc:
            raw_id = item.get("id") if isinstance(item, dict) else None
            rejects.append(Reject(None if raw_id is None else str(raw_id), str(exc), item))
            continue
        rejects += [
            Reject(str(rows.row["id"]), reason, item, column=note_column(resource.name, where))
            for where, reason in rows.notes
        ]
        records[rows.row["id"]] = rows  # a repeated id in one page: the later copy wins
    deletions = _deletions(page.items) if part.resource.name == _EVENTS else ()
    if resource is not part.resource:
        part = replace(part, resource=resource)
    return PageWrite(
        part,
        list(records.values()),
        rejects,
        page.cursor,
        page.run_id,
        now,
        page.sweep_range,
        deletions,
        page.segment,
        accounts,
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

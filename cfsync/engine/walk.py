"""One partition's pass: new records by id, changed records by updated_at, and, when due, a full sweep.

1. The id walk continues after the saved cursor (a full sweep starts over from the first id). Each page is
   upserted with its cursor in one transaction; during a sweep, each page also stages the stored rows of
   its id range that it did not list, and a sweep that reaches the end removes them. A sweep cut short
   removes nothing: the next run continues it from its cursor.
2. The updated_at sweep reads `sort_property=updated_at&sort_order=desc` until records are older than the
   watermark minus the overlap window, upserting what changed (repeats and ties are harmless: an identical
   record is not rewritten).
3. The new watermark is the pass's start, or the newest `updated_at` seen if that is older (a server clock
   behind ours), never lower than before: every update before it is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..client.http import ApiClient, Page
from ..client.paginate import Paginator
from ..errors import RecordError
from ..resources.catalog import resource_for_event
from ..resources.transform import RecordRows, coerce, to_rows
from .ports import PageWrite, Partition, PartitionState, Reject, Reporter, RunSummary, StorePort, WriteResult

__all__ = ["PassPolicy", "walk_partition"]

_EVENTS = "webhooks_outgoing_events"
_BY_UPDATED = {"sort_property": "updated_at", "sort_order": "desc"}

DB = Callable[..., "asyncio.Future[Any]"]


@dataclass(frozen=True)
class PassPolicy:
    full_refresh: bool = False
    full_refresh_every: timedelta | None = None
    overlap: timedelta = timedelta(minutes=10)

    def sweep_due(self, state: PartitionState, now: datetime) -> bool:
        if self.full_refresh or state.cursor is None:
            return True  # asked for, or the first walk of this partition: it reads the whole list anyway
        if self.full_refresh_every is None:
            return False
        return state.last_full_sweep_at is None or now - state.last_full_sweep_at >= self.full_refresh_every


@dataclass
class _Pass:
    part: Partition
    client: ApiClient
    store: StorePort
    db: DB
    clock: Callable[[], datetime]
    run_id: int
    summary: RunSummary
    reporter: Reporter
    newest: datetime | None = None  # newest updated_at seen in this pass

    def count(self, result: WriteResult) -> None:
        self.summary.rows[self.part.resource.name].add(result)
        for name, gone in result.removed.items():
            self.summary.rows.setdefault(name, WriteResult()).deleted += gone
        self.reporter.page_written(self.part, result)

    def see(self, items: list[Any]) -> datetime | None:
        """Track the newest updated_at; return the oldest on this page (None if none parse)."""
        stamps = [_updated_at(item) for item in items]
        known = [s for s in stamps if s is not None]
        if not known:
            return None
        if self.newest is None or max(known) > self.newest:
            self.newest = max(known)
        return min(known)

    def write(
        self, items: list[Any], cursor: str | None, sweep_range: tuple[int | None, int | None] | None
    ) -> asyncio.Future[WriteResult]:
        now = self.clock()
        return self.db(_write_page, self.store, self.part, items, cursor, self.run_id, now, sweep_range)


async def walk_partition(
    part: Partition,
    client: ApiClient,
    store: StorePort,
    db: DB,
    *,
    policy: PassPolicy,
    clock: Callable[[], datetime],
    run_id: int,
    summary: RunSummary,
    reporter: Reporter,
) -> datetime | None:
    """One pass over a partition; returns the watermark to save when it succeeds."""
    run = _Pass(part, client, store, db, clock, run_id, summary, reporter)
    state: PartitionState = await db(store.partition_state, part.key)
    started = clock()
    sweeping = state.sweep_started_at is not None
    cursor = state.cursor
    if not sweeping and policy.sweep_due(state, started):
        await db(store.begin_sweep, part.key, run_id, started)
        sweeping, cursor = True, None
    fresh_sweep = sweeping and cursor is None  # this pass reads the whole list from its first id
    await _walk_ids(run, cursor, sweeping)
    if sweeping:
        gone = await db(store.finish_sweep, part, run_id, clock())
        run.count(WriteResult(deleted=gone))
    # A sweep that read the whole list in this pass saw every update made before `started`. A pass that
    # continued a cursor (a sweep cut short in an earlier run included) must look for updates behind it.
    resource = part.resource
    has_updates = not resource.append_only and "updated_at" in resource.column_names
    if state.watermark is not None and has_updates and not fresh_sweep:
        await _sweep_updates(run, state.watermark - policy.overlap)
    if run.newest is None:
        return state.watermark
    candidate = min(started, run.newest)
    return candidate if state.watermark is None else max(state.watermark, candidate)


async def _walk_ids(run: _Pass, after: str | None, sweeping: bool) -> None:
    paginator = Paginator(after)
    writing: asyncio.Future[WriteResult] | None = None
    try:
        while True:
            page = await run.client.list_page(run.part.path, after=after)
            following = paginator.advance(len(page.items), page.pagination_next)
            if writing is not None:
                run.count(await writing)
                writing = None
            run.see(page.items)
            cursor = _cursor(page, after)
            sweep_range = None
            start, end = _int(after), _int(cursor)
            # A cursor that is not an id cannot vouch for a range: such a page stages nothing.
            if sweeping and (after is None or start is not None) and (following is None or end is not None):
                sweep_range = (start, None if following is None else end)
            if page.items or sweep_range is not None:
                # The next request goes out while this page is written.
                writing = run.write(page.items, cursor, sweep_range)
            if following is None:
                break
            after = following
    finally:
        if writing is not None:
            run.count(await writing)


async def _sweep_updates(run: _Pass, threshold: datetime) -> None:
    paginator = Paginator()
    after: str | None = None
    while True:
        page = await run.client.list_page(run.part.path, after=after, params=_BY_UPDATED)
        following = paginator.advance(len(page.items), page.pagination_next)
        oldest = run.see(page.items)
        if page.items:
            run.count(await run.write(page.items, None, None))
        if following is None or oldest is None or oldest < threshold:
            return
        after = following


def _write_page(
    store: StorePort,
    part: Partition,
    items: list[Any],
    cursor: str | None,
    run_id: int,
    now: datetime,
    sweep_range: tuple[int | None, int | None] | None,
) -> WriteResult:
    """Runs on the writer thread: transform the page, then one transaction in the store."""
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
    page = PageWrite(part, list(records.values()), rejects, cursor, run_id, now, sweep_range, deletions)
    return store.write_page(page)


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


def _cursor(page: Page, previous: str | None) -> str | None:
    """Where the next run continues: the API's cursor, else the last id on the page."""
    if page.pagination_next and page.pagination_next.strip():
        return page.pagination_next.strip()
    for item in reversed(page.items):
        if isinstance(item, dict) and isinstance(item.get("id"), int) and not isinstance(item["id"], bool):
            return str(item["id"])
    return previous


def _int(cursor: str | None) -> int | None:
    try:
        return int(cursor) if cursor is not None else None
    except ValueError:
        return None


def _updated_at(item: Any) -> datetime | None:
    if not isinstance(item, dict):
        return None
    try:
        value: datetime | None = coerce("timestamp", item.get("updated_at"), "updated_at")
    except RecordError:
        return None
    return value

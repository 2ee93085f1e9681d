"""One pass over a partition: what its id walk, its segments and its sweeps share (PassContext), and the
helpers they read pages with."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..client.paginate import ListPage
from ..errors import RecordError
from ..resources.transform import coerce
from .ports import ListSource, Partition, PartitionKey, Reporter, RunSummary, StorePort, WriteResult
from .segments import Segment
from .writer import PageRequest, PageWriter

__all__ = ["DB", "PassContext", "item_id", "page_cursor", "parse_int"]

DB = Callable[..., Awaitable[Any]]


@dataclass
class PassContext:
    part: Partition
    source: ListSource
    max_segments: int  # a long list is walked by this many cursors at most (the account's max_in_flight)
    store: StorePort
    db: DB
    writer: PageWriter
    clock: Callable[[], datetime]
    run_id: int
    summary: RunSummary
    reporter: Reporter
    newest: datetime | None = None  # newest updated_at seen in this pass
    # Pages left to read, by partition, where the walk can tell (a list cut into segments): for an ETA.
    pages_left: dict[PartitionKey, Callable[[], float]] = field(default_factory=dict)

    def count(self, result: WriteResult) -> None:
        self.summary.rows[self.part.resource.name].add(result)
        for name, gone in result.removed.items():
            self.summary.rows.setdefault(name, WriteResult()).deleted += gone
        self.reporter.page_written(self.part, result)

    def see(self, items: Sequence[Any]) -> datetime | None:
        """Track the newest updated_at; return the oldest on this page (None if none parse)."""
        stamps = [updated_at(item) for item in items]
        known = [s for s in stamps if s is not None]
        if not known:
            return None
        if self.newest is None or max(known) > self.newest:
            self.newest = max(known)
        return min(known)

    def write(
        self,
        items: list[Any],
        cursor: str | None,
        sweep_range: tuple[int | None, int | None] | None,
        segment: Segment | None = None,
    ) -> asyncio.Future[WriteResult]:
        """Hand a page to the writer; the future is its result, once committed with its cursor."""
        request = PageRequest(self.part, items, cursor, self.run_id, self.clock(), sweep_range, segment)
        return self.writer.submit(request)


def page_cursor(page: ListPage, previous: str | None) -> str | None:
    """Where the next run continues: the API's cursor, else the last id on the page."""
    if page.pagination_next and page.pagination_next.strip():
        return page.pagination_next.strip()
    for item in reversed(page.items):
        if (found := item_id(item)) is not None:
            return str(found)
    return previous


def item_id(item: Any) -> int | None:
    """The record's integer id, when it has one (a record without cannot be placed in a range)."""
    value = item.get("id") if isinstance(item, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_int(cursor: str | None) -> int | None:
    try:
        return int(cursor) if cursor is not None else None
    except ValueError:
        return None


def updated_at(item: Any) -> datetime | None:
    if not isinstance(item, dict):
        return None
    try:
        value: datetime | None = coerce("timestamp", item.get("updated_at"), "updated_at")
    except RecordError:
        return None
    return value

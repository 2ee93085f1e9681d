"""One partition's pass: new records by id, changed records by updated_at, and, when due, a full sweep.

1. The id walk continues after the saved cursor (a full sweep starts over from the first id); once a list
   has a watermark and updated_at, an incremental pass skips it (step 2 finds new records too). Each page is
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

from collections.abc import Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from ..client.paginate import ListPage, pages
from ..resources.catalog import Resource
from .context import DB, PassContext, item_id, page_cursor, parse_int
from .ports import (
    ListSource,
    Partition,
    PartitionKey,
    PartitionState,
    Reporter,
    RunSummary,
    StorePort,
    WriteResult,
)
from .segments import PAGE, Segment, estimate_pages, plan
from .segwalk import walk_segments
from .source import ResourceSource, fixed_query
from .writer import PageWriter

__all__ = ["PassPolicy", "walk_partition"]

_BY_UPDATED = {"sort_property": "updated_at", "sort_order": "desc"}
_NEWEST_FIRST = {"sort_order": "desc"}


@dataclass(frozen=True)
class PassPolicy:
    full_refresh: bool = False
    full_refresh_every: timedelta | None = None
    overlap: timedelta = timedelta(minutes=10)
    revisit_every: timedelta | None = None  # nested lists: unchanged parents at least this often (None: all)
    expand: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # resource -> expand[] names

    def query(self, resource: Resource) -> tuple[tuple[str, str], ...]:
        return fixed_query(resource, self.expand.get(resource.name, ()))

    def sweep_due(self, state: PartitionState, now: datetime, resource: Resource | None = None) -> bool:
        if self.full_refresh or state.cursor is None:
            return True  # asked for, or the first walk of this partition: it reads the whole list anyway
        changed = state.schema_changed_at
        if changed is not None and (state.last_full_sweep_at is None or changed > state.last_full_sweep_at):
            # Columns were added since the last sweep began: rows stored before the API sent the field are
            # read again (the API adds a field without touching any record's updated_at).
            return True
        if resource is not None:
            if not resource.by_updates and not resource.append_only:
                return True  # nothing says what changed (no updated_at order): read it whole every time
            if (state.query or "") != urlencode(self.query(resource)):
                return True  # asked for other fields (expand[]) than its rows hold: every row again
        if self.full_refresh_every is None:
            return False
        return state.last_full_sweep_at is None or now - state.last_full_sweep_at >= self.full_refresh_every


async def walk_partition(
    part: Partition,
    source: ListSource,
    store: StorePort,
    db: DB,
    writer: PageWriter,
    *,
    policy: PassPolicy,
    clock: Callable[[], datetime],
    run_id: int,
    summary: RunSummary,
    reporter: Reporter,
    max_segments: int = 1,
    pages_left: dict[PartitionKey, Callable[[], float]] | None = None,
    state: PartitionState | None = None,
) -> datetime | None:
    """One pass over a partition, its pages read from `source` (the API); returns the watermark to save
    when it succeeds. A long list is cut into `max_segments` at most, walked side by side; while it is,
    `pages_left[part.key]` estimates what it has left to read. `state`: the partition's, when the caller
    has just read it (no other pass can move it meanwhile)."""
    query = policy.query(part.resource)
    source = ResourceSource(source, part.resource, part.key.parent_id or None, query)
    run = PassContext(part, source, max_segments, store, db, writer, clock, run_id, summary, reporter)
    if pages_left is not None:
        run.pages_left = pages_left
    if state is None:
        state = await db(store.partition_state, part.key)
    started = clock()
    sweeping = state.sweep_started_at is not None
    cursor = state.cursor
    if not sweeping and policy.sweep_due(state, started, part.resource):
        await db(store.begin_sweep, part.key, run_id, started)
        sweeping, cursor = True, None
    fresh_sweep = sweeping and cursor is None  # this pass reads the whole list from its first id
    has_updates = part.resource.by_updates
    # A record's updated_at is no older than its creation, so once a list has a watermark the updated_at
    # sweep finds new records as well as changed ones: a quiet list costs one page. The id walk (and its
    # cursor) stays for first walks, full sweeps, lists without updated_at and segments cut short.
    by_updates = state.watermark is not None and has_updates and not sweeping
    if not by_updates or state.segments:
        await _walk_ids(run, cursor, sweeping, state.segments)
    if sweeping:
        gone = await db(store.finish_sweep, part, run_id, clock(), urlencode(query))
        run.count(WriteResult(deleted=gone))
    # A sweep that read the whole list in this pass saw every update made before `started`. A pass that
    # continued a cursor (a sweep cut short in an earlier run included) must look for updates behind it.
    if state.watermark is not None and has_updates and not fresh_sweep:
        await _sweep_updates(run, state.watermark - policy.overlap)
    if run.newest is None:
        return state.watermark
    candidate = min(started, run.newest)
    return candidate if state.watermark is None else max(state.watermark, candidate)


async def _walk_ids(run: PassContext, after: str | None, sweeping: bool, resume: bool) -> None:
    """Pages by id from `after`. A long list is split into segments after its first page (see segments.py);
    segments saved by a run that was cut short (`resume`) are resumed."""
    saved = await run.db(run.store.segments, run.part.key) if resume else []
    if saved:
        await walk_segments(run, saved, sweeping, density=None)
        return
    first = True
    async with aclosing(pages(run.source, run.part.path, after=after)) as walk:
        async for page, following in walk:
            run.see(page.items)
            cursor = page_cursor(page, after)
            sweep_range = None
            start, end = parse_int(after), parse_int(cursor)
            # A cursor that is not an id cannot vouch for a range: such a page stages nothing.
            if sweeping and (after is None or start is not None) and (following is None or end is not None):
                sweep_range = (start, None if following is None else end)
            if page.items or sweep_range is not None:
                # Written before the next request: a crash then costs at most this one page, fetched again.
                run.count(await run.write(list(page.items), cursor, sweep_range))
            if following is not None and first:
                first = False
                segments = await _plan_segments(run, page, following)
                if segments is not None:
                    await run.db(run.store.save_segments, run.part.key, segments[0])
                    await walk_segments(run, segments[0], sweeping, density=segments[1])
                    return
            after = following


async def _plan_segments(
    run: PassContext, first: ListPage, following: str
) -> tuple[list[Segment], float] | None:
    """After a full first page: ask for the newest id, and if the list is long, cut it into segments."""
    lo = parse_int(following)
    ids = [i for i in map(item_id, first.items) if i is not None]
    paged = run.part.resource.paged
    if not paged or lo is None or len(first.items) < PAGE or run.max_segments < 2 or len(ids) < 2:
        return None
    newest = await run.source.list_page(run.part.path, params=_NEWEST_FIRST)
    hi = item_id(newest.items[0]) if newest.items else None
    if hi is None or hi <= lo:
        return None
    density, _pages = estimate_pages(ids, lo, hi)
    segments = plan(lo, hi, density, run.max_segments)
    return (segments, density) if len(segments) > 1 else None


async def _sweep_updates(run: PassContext, threshold: datetime) -> None:
    async with aclosing(pages(run.source, run.part.path, params=_BY_UPDATED)) as walk:
        async for page, _ in walk:
            oldest = run.see(page.items)
            if page.items:
                run.count(await run.write(list(page.items), None, None))
            if oldest is None or oldest < threshold:
                return

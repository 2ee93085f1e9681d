"""A partition's pass (walk.py, segwalk.py) against in-memory fakes: a list that pages like the API and a
store that keeps rows, cursors, segments and sweeps as the real one does. No HTTP, no database."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cfsync.engine.ports import PageWrite, Partition, PartitionKey, PartitionState, RunSummary, WriteResult
from cfsync.engine.segments import Segment
from cfsync.engine.sync import NullReporter
from cfsync.engine.walk import PassPolicy, walk_partition
from cfsync.engine.writer import PageWriter
from cfsync.errors import ApiProtocolError, RetriableApiError
from cfsync.resources.catalog import CATALOG

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PART = Partition(PartitionKey("default", "contacts", 7, 7), CATALOG["contacts"])


def stamp(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def contact(i: int, at: datetime = T0) -> dict[str, Any]:
    return {"id": i, "workspace_id": 7, "email_address": f"c{i}@x.io", "updated_at": stamp(at), "tags": []}


@dataclass
class Page:
    items: list[Any]
    pagination_next: str | None


@dataclass
class FakeList:
    """A list endpoint: 20 a page, by id (asc, or desc with sort_order=desc), or by updated_at desc."""

    records: dict[int, dict[str, Any]]
    requests: int = 0
    fail_at: int | None = None  # this request (1-based) raises, as retries spent would
    asked: list[tuple[str | None, list[tuple[str, str]]]] = field(default_factory=list)  # (after, query)

    async def list_page(self, path: str, *, after: str | None = None, params: Any = None) -> Page:
        self.requests += 1
        self.asked.append((after, list((params or {}).items())))
        if self.fail_at is not None and self.requests == self.fail_at:
            raise RetriableApiError("gave up after 9 attempts, last: HTTP 502")
        params = dict(params or {})
        rows = sorted(self.records.values(), key=lambda r: r["id"])
        if params.get("sort_property") == "updated_at":
            rows = sorted(rows, key=lambda r: (r["updated_at"], r["id"]), reverse=True)
        elif params.get("sort_order") == "desc":
            rows.reverse()
        start = 0
        if after is not None:
            start = next(i for i, r in enumerate(rows) if str(r["id"]) == after) + 1
        page = rows[start : start + 20]
        more = start + 20 < len(rows)
        return Page(copy.deepcopy(page), str(page[-1]["id"]) if page and more else None)


@dataclass
class FakeStore:
    """The StorePort the walk uses, kept in dicts."""

    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    state: PartitionState = field(default_factory=PartitionState)
    saved_segments: list[Segment] = field(default_factory=list)
    misses: set[int] = field(default_factory=set)
    pages: int = 0

    def partition_state(self, key: PartitionKey) -> PartitionState:
        return replace(self.state, segments=bool(self.saved_segments))

    def evolve(self, resource: Any, records: Any, run_id: int | None = None) -> tuple[Any, list[str]]:
        return resource, []

    def segments(self, key: PartitionKey) -> list[Segment]:
        return [replace(s) for s in self.saved_segments]

    def save_segments(self, key: PartitionKey, segments: list[Segment]) -> None:
        self.saved_segments = [replace(s) for s in segments]

    def split_segment(self, key: PartitionKey, busy_start: int, fresh: Segment) -> None:
        busy = next(s for s in self.saved_segments if s.start == busy_start)
        busy.end = fresh.start
        self.saved_segments.append(replace(fresh))

    def finish_segments(self, key: PartitionKey, cursor: str | None, run_id: int, now: datetime) -> None:
        self.saved_segments = []
        self.state = replace(self.state, cursor=cursor)

    def begin_sweep(self, key: PartitionKey, run_id: int, now: datetime) -> None:
        self.state = replace(self.state, sweep_started_at=now, cursor=None)
        self.misses.clear()

    def finish_sweep(self, partition: Partition, run_id: int, now: datetime, query: str = "") -> int:
        gone = len(self.misses)
        for i in self.misses:
            self.rows.pop(i, None)
        self.misses.clear()
        self.state = replace(self.state, sweep_started_at=None, last_full_sweep_at=now, query=query or None)
        return gone

    def write_pages(self, pages: list[PageWrite]) -> list[WriteResult]:
        results = []
        for page in pages:
            self.pages += 1
            result = WriteResult()
            seen = set()
            for record in page.records:
                row_id = record.row["id"]
                seen.add(row_id)
                if row_id not in self.rows:
                    result.inserted += 1
                elif self.rows[row_id] != record.row["_raw"]:
                    result.updated += 1
                else:
                    result.unchanged += 1
                self.rows[row_id] = record.row["_raw"]
                self.misses.discard(row_id)
            if page.sweep_range is not None:
                low, high = page.sweep_range
                self.misses |= {
                    i
                    for i in self.rows
                    if (low is None or i > low) and (high is None or i <= high) and i not in seen
                }
            if page.segment is not None:
                saved = next(s for s in self.saved_segments if s.start == page.segment.start)
                saved.cursor, saved.done = page.segment.cursor, page.segment.done
            elif page.cursor is not None:
                self.state = replace(self.state, cursor=page.cursor)
            results.append(result)
        return results


async def db(fn: Any, *args: Any) -> Any:
    return fn(*args)


async def walk(
    api: Any,
    store: FakeStore,
    *,
    segments: int = 1,
    policy: PassPolicy | None = None,
    now: datetime = T0,
    part: Partition = PART,
) -> RunSummary:
    summary = RunSummary(run_id=1, rows={part.resource.name: WriteResult()})
    watermark = await walk_partition(
        part,
        api,
        store,
        db,
        PageWriter(store, db),
        policy=policy or PassPolicy(),
        clock=lambda: now,
        run_id=1,
        summary=summary,
        reporter=NullReporter(),
        max_segments=segments,
    )
    store.state = replace(store.state, watermark=watermark, last_success_at=now)
    return summary


def listed(api: FakeList) -> dict[int, dict[str, Any]]:
    return {i: r for i, r in api.records.items()}


async def test_a_first_walk_reads_the_list_once_and_keeps_the_last_id_as_cursor():
    api = FakeList({i: contact(i) for i in range(1, 96)})
    store = FakeStore()
    summary = await walk(api, store)
    assert store.rows == listed(api)
    assert summary.rows["contacts"].inserted == 95
    assert store.state.cursor == "95"
    assert api.requests == 5, "95 records: 5 pages, nothing read twice"
    assert store.state.last_full_sweep_at == T0, "a first walk is a full sweep"


@pytest.mark.parametrize("segments", [2, 4, 8])
async def test_a_long_list_is_cut_into_segments_walked_side_by_side(segments):
    api = FakeList({i: contact(i) for i in range(1, 1001)})
    store = FakeStore()
    await walk(api, store, segments=segments)
    assert store.rows == listed(api)
    assert store.saved_segments == [], "finished segments are folded into the partition's cursor"
    assert store.state.cursor == "1000"
    pages = 50
    assert api.requests <= pages + 2 * segments + 1, "each segment reads its own range (+1 to find the end)"


@pytest.mark.parametrize(("segments", "fail_at"), [(1, 3), (4, 3), (4, 9), (8, 20)])
async def test_a_walk_cut_short_resumes_from_its_cursors_without_reading_everything_again(segments, fail_at):
    api = FakeList({i: contact(i) for i in range(1, 401)}, fail_at=fail_at)
    store = FakeStore()
    with pytest.raises(RetriableApiError):
        await walk(api, store, segments=segments)
    kept, first = len(store.rows), api.requests
    assert 0 < kept < 400
    api.fail_at = None
    await walk(api, store, segments=segments)
    assert store.rows == listed(api)
    assert store.state.cursor == "400"
    assert api.requests - first <= 20 - kept // 20 + 3 * segments + 2, "the rerun reads what was left"


async def test_an_incremental_walk_finds_new_records_by_cursor_and_changed_ones_by_updated_at():
    api = FakeList({i: contact(i, T0 - timedelta(days=61 - i)) for i in range(1, 61)})
    store = FakeStore()
    await walk(api, store)
    assert store.state.watermark == T0 - timedelta(days=1), "the newest updated_at seen, older than the pass"
    later = T0 + timedelta(hours=1)
    for i in (3, 17, 44):
        api.records[i] = {**contact(i, later), "first_name": "Changed"}
    for i in range(61, 66):
        api.records[i] = contact(i, later)
    before = api.requests
    summary = await walk(api, store, now=later + timedelta(minutes=1))
    assert store.rows == listed(api)
    assert (summary.rows["contacts"].inserted, summary.rows["contacts"].updated) == (5, 3)
    assert api.requests - before <= 3, "one id page from the cursor, one updated_at page (no full read)"
    assert store.state.watermark == later


async def test_a_full_sweep_removes_what_the_list_no_longer_has():
    api = FakeList({i: contact(i) for i in range(1, 101)})
    store = FakeStore()
    await walk(api, store, segments=4)
    for gone in (1, 50, 77, 100):
        del api.records[gone]
    summary = await walk(api, store, segments=4, policy=PassPolicy(full_refresh=True))
    assert store.rows == listed(api)
    assert summary.rows["contacts"].deleted == 4


async def test_a_sweep_cut_short_removes_nothing_and_the_next_run_finishes_it():
    api = FakeList({i: contact(i) for i in range(1, 101)})
    store = FakeStore()
    await walk(api, store)
    del api.records[90]
    api.fail_at = api.requests + 3
    with pytest.raises(RetriableApiError):
        await walk(api, store, policy=PassPolicy(full_refresh=True))
    assert 90 in store.rows, "not removed before the sweep saw the whole list"
    await walk(api, store)
    assert store.rows == listed(api)


async def test_asking_for_other_fields_with_expand_reads_every_row_again_once():
    api = FakeList({i: contact(i, T0 - timedelta(days=61 - i)) for i in range(1, 61)})
    store = FakeStore()
    await walk(api, store)
    assert all(query == [] for _, query in api.asked), "nothing asked for: no expand[]"
    expand = PassPolicy(expand={"contacts": ("email_engagement",)})
    before = api.requests
    await walk(api, store, policy=expand, now=T0 + timedelta(hours=1))
    assert api.requests - before == 3, "every page again, each asking for the field"
    assert all(("expand[]", "email_engagement") in query for _, query in api.asked[before:])
    assert store.state.query == "expand%5B%5D=email_engagement"
    before = api.requests
    await walk(api, store, policy=expand, now=T0 + timedelta(hours=2))
    assert api.requests - before == 1, "the same fields again: back to one updated_at page"


UNPAGED = Partition(PartitionKey("default", "refine_filters", 7, 7), CATALOG["refine_filters"])


def refine_filter(i: int) -> dict[str, Any]:
    return {"id": i, "workspace_id": 7, "name": f"filter {i}", "updated_at": stamp(T0), "criteria": []}


@dataclass
class WholeList:
    """A list that answers every record at once and knows no `after` (refine filters)."""

    records: dict[int, dict[str, Any]]
    asked: list[str | None] = field(default_factory=list)

    async def list_page(self, path: str, *, after: str | None = None, params: Any = None) -> Page:
        self.asked.append(after)
        return Page(copy.deepcopy(list(self.records.values())), None)


async def test_a_list_nothing_says_the_changes_of_is_read_whole_every_pass_and_deletes_show():
    api = WholeList({i: refine_filter(i) for i in range(1, 31)})
    store = FakeStore()
    await walk(api, store, part=UNPAGED)
    assert len(store.rows) == 30
    assert api.asked == [None]
    del api.records[7]
    api.records[9] = {**refine_filter(9), "name": "renamed"}
    summary = await walk(api, store, part=UNPAGED, now=T0 + timedelta(hours=1))
    assert api.asked == [None, None], "never an `after` it does not take, never an updated_at page"
    assert store.rows == api.records, "the change is seen and the deleted record removed, every pass"
    assert (summary.rows["refine_filters"].updated, summary.rows["refine_filters"].deleted) == (1, 1)


OPTIONS = Partition(
    PartitionKey("default", "products_prices_change_options", 7, 555),
    CATALOG["products_prices_change_options"],
)


@dataclass
class OneObject:
    """A list that answers one object per parent (a price's change options)."""

    answer: Any
    asked: list[str] = field(default_factory=list)

    async def request(self, method: str, path: str, *, params: Any = None) -> tuple[Any, dict[str, str]]:
        self.asked.append(f"{method} {path}")
        return copy.deepcopy(self.answer), {}


async def test_an_object_answer_is_one_record_identified_by_its_parent():
    options = {"downgrade": [{"products_variant": {"id": 3, "name": "Lite"}}], "upgrade": []}
    api = OneObject({"products_prices_change_options": options})
    store = FakeStore()
    await walk(api, store, part=OPTIONS)
    assert api.asked == ["GET /products/prices/555/change_options"]
    assert store.rows == {555: {**options, "id": 555}}


async def test_an_object_answer_of_another_shape_is_an_error_naming_the_list():
    store = FakeStore()
    with pytest.raises(ApiProtocolError, match="products_prices_change_options answered list"):
        await walk(OneObject([1, 2]), store, part=OPTIONS)
    assert store.rows == {}

"""What the engine hands the store and gets back: plain data and one small Protocol.

The engine never sees SQL; tests can give it any object with these methods.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from ..client.paginate import Lister as ListSource
from ..client.shared import Ask as BudgetAsk
from ..client.shared import Grant as BudgetGrant
from ..client.shared import Learned as BudgetLearned
from ..resources.catalog import Resource
from ..resources.stats import DailyStats, StatsRows
from ..resources.transform import RecordRows, Scope
from ..tally import Tally
from .segments import Segment

__all__ = [
    "BudgetAsk",
    "BudgetGrant",
    "BudgetLearned",
    "Claims",
    "ListSource",
    "PageWrite",
    "Partition",
    "PartitionKey",
    "PartitionState",
    "Reject",
    "Reporter",
    "RunProgress",
    "RunSummary",
    "StorePort",
    "WriteResult",
]


@dataclass(frozen=True, order=True)
class PartitionKey:
    """(account, resource, workspace, parent): the unit of work and of checkpointing. 0 means none."""

    account: str
    resource: str
    workspace_id: int = 0
    parent_id: int = 0

    def __str__(self) -> str:
        text = f"{self.account}/{self.resource}"
        if self.workspace_id:
            text += f" workspace={self.workspace_id}"
        if self.parent_id and self.parent_id != self.workspace_id:
            text += f" parent={self.parent_id}"
        return text


@dataclass(frozen=True)
class Partition:
    key: PartitionKey
    resource: Resource

    @property
    def path(self) -> str:
        return self.resource.list_path(self.key.parent_id or None)

    @property
    def scope(self) -> Scope:
        return Scope(self.key.account, self.key.workspace_id or None, self.key.parent_id or None)


@dataclass(frozen=True)
class Reject:
    """A record set aside (`column` None), or one value of an evolved column that did not fit its type:
    the row was written with `column` NULL and the value stays in its `_raw`."""

    record_id: str | None
    reason: str
    raw: Any
    column: str | None = None


@dataclass(frozen=True)
class PartitionState:
    cursor: str | None = None
    watermark: datetime | None = None
    sweep_started_at: datetime | None = None
    last_full_sweep_at: datetime | None = None
    last_success_at: datetime | None = None
    query: str | None = None  # the fixed query (expand[]...) its last full sweep read the list with
    segments: bool = False  # a walk cut into segments was cut short: its segments are saved
    # When the newest column or child table was added to the list's tables on their own (_schema_changes):
    # a list whose last full sweep began before then is swept again, to fill the rows stored before.
    schema_changed_at: datetime | None = None


@dataclass(frozen=True)
class PageWrite:
    """One page's rows and the cursor that follows them: written in one transaction.

    `sweep_range` (after, through): during a full sweep, the ids this page covers (through None: to the
    end); stored rows in the range it did not list are staged as gone. `deletions`: records the event log
    says were deleted, removed in the same transaction that stores the events.
    """

    partition: Partition
    records: list[RecordRows]
    rejects: list[Reject]
    cursor: str | None
    run_id: int
    written_at: datetime
    sweep_range: tuple[int | None, int | None] | None = None
    deletions: tuple[tuple[Resource, int], ...] = ()
    segment: Segment | None = None  # the page belongs to this segment: its cursor moves, not the partition's
    # The config accounts of the run: a top-level row (a team) owned by an account none of them is (it left
    # the config) passes to the account listing it now.
    accounts: frozenset[str] = frozenset()


@dataclass
class WriteResult(Tally):
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    deleted: int = 0
    # Rows of other resources removed by this write (the event log's `*.deleted`), by resource name.
    removed: dict[str, int] = field(default_factory=dict)


@dataclass
class RunSummary:
    run_id: int
    status: str = "running"  # running, succeeded, partial, failed
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    partitions: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (partition, error)
    rows: dict[str, WriteResult] = field(default_factory=dict)
    error: str | None = None  # why the whole run stopped or failed, if it did
    causes: dict[str, int] = field(default_factory=dict)  # failed partitions by what went wrong
    not_started: int = 0  # partitions left alone because their account's API was down
    stats_requests: int = 0  # of the requests: daily statistics fetched (one per parent and day)
    # Columns and child tables this run added for fields the API started sending: "contacts.score integer"
    schema_changes: list[str] = field(default_factory=list)

    def rows_written(self) -> int:
        return sum(r.inserted + r.updated for r in self.rows.values())

    def to_dict(self) -> dict[str, Any]:
        """The run as plain data, the one rendering of it: what `sync --json` prints, what the summary log
        line shows and what sync_runs keeps. `totals` adds up `rows` (counts per resource)."""
        rows = {name: result.counts() for name, result in sorted(self.rows.items())}
        totals = {k: sum(r[k] for r in rows.values()) for k in WriteResult().counts()}
        return {
            "run_id": self.run_id,
            "status": self.status,
            "partitions": self.partitions,
            "not_started": self.not_started,
            "requests": self.requests,
            "retries": self.retries,
            "rate_limited": self.rate_limited,
            "stats_requests": self.stats_requests,
            "schema_changes": list(self.schema_changes),
            "failures": [{"partition": p, "error": e} for p, e in self.failures],
            "error": self.error,
            "totals": totals,
            "rows": rows,
        }


@dataclass(frozen=True)
class RunProgress:
    """What a run is doing now: for a progress line every minute, or a status line on a terminal."""

    partitions_done: int
    partitions_started: int
    rows: int
    requests: int
    retries: int
    rate_limited: int
    pace: float  # requests per second the budgets let out now
    open: int  # requests sent and not answered yet
    waiting: int  # requests waiting for their turn
    oldest_open: float | None  # seconds the oldest open request has waited for its answer
    held_for: float  # seconds every request of some budget is still held back
    pages_left: float | None = None  # of the lists being walked in segments (whose size is known)

    @property
    def eta(self) -> float | None:
        """Seconds until the lists of known size are read, at the current pace; None when unknown."""
        if self.pages_left is None or self.pace <= 0:
            return None
        return self.pages_left / self.pace


class StorePort(Protocol):
    def partition_state(self, key: PartitionKey) -> PartitionState: ...

    def segments(self, key: PartitionKey) -> list[Segment]: ...

    def save_segments(self, key: PartitionKey, segments: list[Segment]) -> None:
        """Replace the partition's segments (a new plan, or a split)."""
        ...

    def split_segment(self, key: PartitionKey, busy_start: int, fresh: Segment) -> None: ...

    def finish_segments(self, key: PartitionKey, cursor: str | None, run_id: int, now: datetime) -> None:
        """Every segment is done: the partition's cursor moves to the end, the segments go."""
        ...

    def begin_sweeps(self, accounts: Sequence[str], resources: Sequence[str], now: datetime) -> None:
        """Mark every known partition of these resources for a sweep (`--full`)."""
        ...

    def begin_sweep(self, key: PartitionKey, run_id: int, now: datetime) -> None:
        """Start a full sweep: the walk starts over from the first id and stages what it does not see."""
        ...

    def finish_sweep(self, partition: Partition, run_id: int, now: datetime, query: str = "") -> int:
        """The sweep saw the whole list (asking it with `query`): remove what it staged; returns rows
        removed."""
        ...

    def write_pages(self, pages: list[PageWrite]) -> list[WriteResult]:
        """Several pages, each with its cursor, in one transaction."""
        ...

    def upsert(self, resource: Resource, records: list[RecordRows], account: str = "") -> WriteResult:
        """Rows not from a list walk; values left NULL in evolved columns go to _rejects (no run)."""
        ...

    def evolve(
        self, resource: Resource, records: Sequence[Any], run_id: int | None = None
    ) -> tuple[Resource, list[str]]:
        """The resource to transform `records` with (with its evolved columns and child tables), after
        adding what their new fields need (each change committed on its own); the labels of those added."""
        ...

    def schema_changes(self, run_id: int | None = None) -> list[dict[str, Any]]:
        """Rows of _schema_changes, oldest first (all, or one run's)."""
        ...

    def mark_deleted(self, resource: Resource, ids: list[int], at: datetime) -> int: ...

    def workspace_of(self, resource: Resource, record_id: int) -> int | None: ...

    def retire_partition(self, partition: Partition, parent: Resource, run_id: int, now: datetime) -> int:
        """The partition's parent is gone: remove its row and the partition's rows; walk it no more."""
        ...

    def finish_partition(
        self,
        key: PartitionKey,
        run_id: int,
        error: str | None,
        watermark: datetime | None = None,
        started: datetime | None = None,
    ) -> None:
        """How a pass ended; a success is dated when it `started`."""
        ...

    def parent_ids(
        self,
        parent: Partition,
        child: str | None = None,
        revisit: timedelta | None = None,
        now: datetime | None = None,
        named: dict[int | None, datetime] | None = None,
    ) -> list[int]:
        """Ids of the live rows that `parent`'s walk fills (the parents of the next level's lists); with
        `child`, only those due for that nested list (new, changed, named by an event, or not walked for
        a share of `revisit`)."""
        ...

    def named_parents(
        self, account: str, workspace_id: int, skew: timedelta = ...
    ) -> dict[str, dict[int | None, datetime]]:
        """Per nested list, the parents that events in the workspace named since its lists' oldest walk
        (None: an event that could not be placed, naming them all), with the newest such event's time."""
        ...

    def stats_parents(self, parent: Partition) -> list[tuple[int, datetime | None]]:
        """The live, unarchived rows of `parent`'s walk (a workspace's funnels) with their created_at."""
        ...

    def stats_fetched(self, stats: DailyStats, parent_id: int, since: date) -> dict[date, datetime]:
        """The days since `since` stored for the parent, each with when it was fetched."""
        ...

    def write_stats_day(self, stats: DailyStats, rows: StatsRows) -> tuple[WriteResult, WriteResult]:
        """One day's summary and steps, replacing the day's rows, in one transaction."""
        ...

    def start_run(
        self, resources: Sequence[str], full_refresh: bool, accounts: Sequence[str] = ()
    ) -> int: ...

    def finish_run(self, summary: RunSummary) -> None: ...


class Claims(Protocol):
    """Who walks a partition when several workers share one sync (PostgreSQL advisory locks)."""

    def try_claim(self, key: PartitionKey) -> concurrent.futures.Future[bool]: ...

    def release(self, key: PartitionKey) -> concurrent.futures.Future[None]: ...

    def join(self, run_id: int) -> concurrent.futures.Future[datetime | None]:
        """Announce this run to peers; when did the earliest peer run still going start?"""
        ...


class Reporter(Protocol):
    def run_started(self, run_id: int, resources: Sequence[str]) -> None: ...

    def tick(self, progress: RunProgress) -> None:
        """Called every second while the run goes on, whether anything moved or not."""
        ...

    def partition_started(self, partition: Partition) -> None: ...

    def page_written(self, partition: Partition, result: WriteResult) -> None: ...

    def partition_finished(self, partition: Partition, error: str | None) -> None: ...

    def run_finished(self, summary: RunSummary) -> None: ...

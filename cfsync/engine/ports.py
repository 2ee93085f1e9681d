"""What the engine hands the store and gets back: plain data and one small Protocol.

The engine never sees SQL; tests can give it any object with these methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ..resources.catalog import Resource
from ..resources.transform import RecordRows, Scope

__all__ = [
    "PageWrite",
    "Partition",
    "PartitionKey",
    "Reject",
    "Reporter",
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
    record_id: str | None
    reason: str
    raw: Any


@dataclass(frozen=True)
class PageWrite:
    """One page's rows and the cursor that follows them: written in one transaction."""

    partition: Partition
    records: list[RecordRows]
    rejects: list[Reject]
    cursor: str | None
    run_id: int
    written_at: datetime


@dataclass
class WriteResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def add(self, other: WriteResult) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected


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
    error: str | None = None  # why the whole run stopped, if it did

    def rows_json(self) -> dict[str, dict[str, int]]:
        return {name: vars(result).copy() for name, result in sorted(self.rows.items())}


class StorePort(Protocol):
    def cursor(self, key: PartitionKey) -> str | None: ...

    def reset_cursors(self, account: str, resources: Sequence[str]) -> None: ...

    def write_page(self, page: PageWrite) -> WriteResult: ...

    def upsert(self, resource: Resource, records: list[RecordRows]) -> WriteResult: ...

    def mark_deleted(self, resource: Resource, ids: list[int], at: datetime) -> int: ...

    def workspace_of(self, resource: Resource, record_id: int) -> int | None: ...

    def finish_partition(self, key: PartitionKey, run_id: int, error: str | None) -> None: ...

    def parent_ids(self, parent: Partition, changed_for: str | None = None) -> list[int]:
        """Ids of the live rows that `parent`'s walk fills (the parents of the next level's lists); with
        `changed_for`, only those changed since that child list last succeeded under them."""
        ...

    def start_run(
        self, resources: Sequence[str], full_refresh: bool, accounts: Sequence[str] = ()
    ) -> int: ...

    def finish_run(self, summary: RunSummary) -> None: ...


class Reporter(Protocol):
    def run_started(self, run_id: int, resources: Sequence[str]) -> None: ...

    def partition_started(self, partition: Partition) -> None: ...

    def page_written(self, partition: Partition, result: WriteResult) -> None: ...

    def partition_finished(self, partition: Partition, error: str | None) -> None: ...

    def run_finished(self, summary: RunSummary) -> None: ...

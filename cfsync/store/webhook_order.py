"""Which webhook events change which rows: deliveries arrive out of order and more than once.

An event changes a row only when it is not older than what the row already shows: its record's
`updated_at` (the event's `created_at` when the record has none) must be at least the stored row's; equal
applies again, harmlessly. Deletes are final in ClickFunnels (no undelete, ids are never reused): a
`*.deleted` event always applies, and no event from before a deletion brings the row back, whoever saw the
deletion: an applied `*.deleted` webhook, the workspace's event log as the sync stored it, or `_deleted_at`
(a sweep, a soft delete). The one question left is clock skew between the event log and record timestamps,
which could only matter within the skew; a full sweep settles it either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import RecordError
from ..resources.catalog import Resource
from ..resources.transform import RecordRows, Scope, to_rows
from .rows import remove_rows, upsert_noted
from .schema import metadata, webhook_events

__all__ = ["APPLIED", "FAILED", "IGNORED", "PENDING", "STALE", "Gate", "PendingEvent"]

PENDING, APPLIED, STALE, IGNORED, FAILED = "pending", "applied", "stale", "ignored", "failed"
_BATCH = 500  # ids per IN (...) list


@dataclass
class PendingEvent:
    """A stored event waiting to be applied."""

    seq: int
    event_id: str
    event_type: str
    action: str
    resource: str | None
    record_id: int | None
    workspace_id: int
    created_at: datetime
    received_at: datetime
    payload: Any


@dataclass
class _Row:
    """What decides whether an event may change a record: its stored state, kept current in the batch."""

    exists: bool = False
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    deleted_by_event: datetime | None = None  # latest `*.deleted` event seen for it (the API's clock)
    parent_id: int | None = None


class Gate:
    """One resource's events of a batch, in order of arrival: each is compared with the record as the
    events before it left it, then the survivors are written (the latest copy of each record, then the
    deletes)."""

    def __init__(
        self,
        conn: Connection,
        resource: Resource,
        events: list[PendingEvent],
        now: datetime,
        account: str,
        deletes: str,
    ) -> None:
        self.account = account
        self.deletes = deletes
        self.conn = conn
        self.resource = resource
        self.events = events
        self.now = now
        self.table = metadata.tables[resource.name]
        ids = sorted({e.record_id for e in events if e.record_id is not None})
        self.rows: dict[int, _Row] = {i: _Row() for i in ids}
        self._load(ids, {e.event_type.rpartition(".")[0] for e in events})

    def _load(self, ids: list[int], subjects: set[str]) -> None:
        t, parent = self.table, self.resource.parent_param
        columns = [t.c.id, t.c._deleted_at]
        columns += [t.c[name] for name in ("updated_at", parent) if name and name in t.c]
        applied_deletes = webhook_events
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            for row in self.conn.execute(sa.select(*columns).where(t.c.id.in_(chunk))):
                m = row._mapping
                state = self.rows[m["id"]]
                state.exists, state.deleted_at = True, m["_deleted_at"]
                state.updated_at = m.get("updated_at")
                state.parent_id = m.get(parent) if parent else None
            deleted = (
                sa.select(applied_deletes.c.record_id, sa.func.max(applied_deletes.c.created_at))
                .where(
                    applied_deletes.c.resource == self.resource.name,
                    applied_deletes.c.record_id.in_(chunk),
                    applied_deletes.c.action == "deleted",
                    applied_deletes.c.status == APPLIED,
                )
                .group_by(applied_deletes.c.record_id)
            )
            self._tombstones(self.conn.execute(deleted))
            # The event log a sync stores says the same about deletes it saw.
            log = metadata.tables["webhooks_outgoing_events"]
            logged = (
                sa.select(log.c.subject_id, sa.func.max(log.c.created_at))
                .where(
                    log.c.event_type_id.in_(sorted(f"{s}.deleted" for s in subjects)),
                    log.c.subject_id.in_(chunk),
                )
                .group_by(log.c.subject_id)
            )
            self._tombstones(self.conn.execute(logged))

    def _tombstones(self, found: Any) -> None:
        for record_id, at in found:
            state = self.rows.get(record_id)
            if state is not None and at is not None:
                state.deleted_by_event = max(filter(None, (state.deleted_by_event, at)))

    def run(self) -> dict[int, tuple[str, str | None]]:
        decisions: dict[int, tuple[str, str | None]] = {}
        latest: dict[int, RecordRows] = {}
        deletes: dict[int, datetime] = {}
        for event in self.events:
            assert event.record_id is not None
            state = self.rows[event.record_id]
            if event.action == "deleted":
                decisions[event.seq] = (APPLIED, None if state.exists else "no stored row to delete")
                deletes[event.record_id] = event.received_at
                state.deleted_by_event = max(filter(None, (state.deleted_by_event, event.created_at)))
                state.deleted_at = state.deleted_at or event.received_at
                continue
            try:
                rows = self._rows(event, state)
            except RecordError as exc:
                decisions[event.seq] = (FAILED, str(exc))
                continue
            version = rows.row.get("updated_at") or event.created_at
            stale = self._stale(state, version)
            if stale is not None:
                decisions[event.seq] = (STALE, stale)
                continue
            decisions[event.seq] = (APPLIED, None)
            latest[event.record_id] = rows
            deletes.pop(event.record_id, None)
            state.exists, state.updated_at, state.deleted_at = True, version, None
        if latest:
            upsert_noted(self.conn, self.resource, list(latest.values()), self.account, self.now)
        for record_id, at in deletes.items():
            remove_rows(self.conn, self.resource, [record_id], at, self.deletes)
        return decisions

    @staticmethod
    def _stale(state: _Row, version: datetime) -> str | None:
        if state.deleted_by_event is not None and version <= state.deleted_by_event:
            return f"the record was deleted at {state.deleted_by_event.isoformat()}"
        if state.deleted_at is not None and version <= state.deleted_at:
            return f"the row was marked deleted at {state.deleted_at.isoformat()}"
        if state.updated_at is not None and version < state.updated_at:
            return f"the stored row is newer (updated_at {state.updated_at.isoformat()})"
        return None

    def _rows(self, event: PendingEvent, state: _Row) -> RecordRows:
        """The record's rows as a sync would write them: the workspace from the delivery, the parent from the
        record, else from the stored row (some objects do not carry their parent's id)."""
        data = event.payload.get("data") if isinstance(event.payload, dict) else None
        if not isinstance(data, dict):
            raise RecordError(f"{self.resource.name}: data must be an object")
        param = self.resource.parent_param
        parent = data.get(param) if param else None
        if not isinstance(parent, int) or isinstance(parent, bool):
            parent = event.workspace_id if param == "workspace_id" else state.parent_id
        scope = Scope(self.account, event.workspace_id, parent)
        return to_rows(self.resource, data, scope, self.now)

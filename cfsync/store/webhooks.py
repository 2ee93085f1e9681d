"""`webhook_events`: deliveries stored once per event_id, then applied to the resource tables.

Storing and applying are separate transactions on purpose. A delivery is answered only once its row is
committed, so what was answered survives any crash; applying can then fail, wait for a lock or be repaired
after a restart without the sender ever noticing. Events are applied in order of arrival, a batch per
transaction, and each event's status is written in the transaction that carries its effect.
Which events change which rows is webhook_order.py's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..dbthread import together_or_alone
from ..errors import DatabaseError
from ..resources.catalog import CATALOG, resource_for_event
from ..tally import Tally
from .schema import webhook_events
from .store import Store
from .webhook_order import APPLIED, FAILED, IGNORED, PENDING, STALE, Gate, PendingEvent

__all__ = [
    "APPLIED",
    "FAILED",
    "IGNORED",
    "PENDING",
    "STALE",
    "ApplyPolicy",
    "ApplyStats",
    "IncomingEvent",
    "WebhookEvents",
    "prune_events",
]

# Any constant: the PostgreSQL advisory lock that lets one applier at a time work on a database.
_APPLY_LOCK = 0x0CF5_0002
# The database is away, busy, full or read-only (failures.py turns most driver errors into DatabaseError):
# nothing is decided, the batch is tried again later.
TRANSIENT = (DatabaseError, sa.exc.OperationalError, sa.exc.InterfaceError)


@dataclass(frozen=True)
class IncomingEvent:
    """A verified delivery, as the receiver hands it in."""

    event_id: str
    event_type: str
    workspace_id: int
    subject_type: str | None
    subject_id: int | None
    endpoint_id: int | None
    created_at: datetime
    payload: dict[str, Any]  # the whole body; payload["data"] is the record

    def row(self, received_at: datetime) -> dict[str, Any]:
        resource = resource_for_event(self.event_type)
        data = self.payload.get("data")
        record_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(record_id, int) or isinstance(record_id, bool) or not 0 < record_id < 2**63:
            record_id = self.subject_id
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "action": self.event_type.rpartition(".")[2],
            "resource": resource.name if resource is not None else None,
            "record_id": record_id,
            "workspace_id": self.workspace_id,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "endpoint_id": self.endpoint_id,
            "created_at": self.created_at,
            "received_at": received_at,
            "payload": self.payload,
            "status": PENDING,
        }


@dataclass(frozen=True)
class ApplyPolicy:
    """What the receiver may change: the tables the sync fills, in the workspaces it syncs."""

    account: str  # `_account` of top-level rows (events are per workspace, so in practice unused)
    resources: frozenset[str]
    workspaces: frozenset[int] = frozenset()  # empty: every workspace


@dataclass
class ApplyStats(Tally):
    applied: int = 0
    stale: int = 0
    ignored: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)  # "event_id: reason", for the log

    @property
    def total(self) -> int:
        return self.applied + self.stale + self.ignored + self.failed


class WebhookEvents:
    """The receiver's side of the store. Methods are synchronous: call them from one writer thread."""

    def __init__(self, store: Store, policy: ApplyPolicy) -> None:
        self.store = store
        self.engine = store.engine
        self.policy = policy
        self._postgres = self.engine.dialect.name == "postgresql"
        self._insert_new = (
            store._insert(webhook_events)
            .on_conflict_do_nothing(index_elements=[webhook_events.c.event_id])
            .returning(webhook_events.c.event_id)
        )

    # -- storing ---------------------------------------------------------------------------------------

    def insert(self, events: Sequence[IncomingEvent], received_at: datetime | None = None) -> list[bool]:
        """Commit every event not stored yet, in one transaction; per event, True when it is new (False: a
        redelivery, or an earlier copy in the same batch)."""
        received_at = received_at or datetime.now(UTC)
        first: dict[str, int] = {}
        for index, event in enumerate(events):
            first.setdefault(event.event_id, index)
        rows = [events[i].row(received_at) for i in first.values()]
        if not rows:
            return []
        with self.engine.begin() as conn:
            stored = set(conn.scalars(self._insert_new, rows))
        return [first[e.event_id] == i and e.event_id in stored for i, e in enumerate(events)]

    # -- applying --------------------------------------------------------------------------------------

    def apply_pending(self, limit: int = 500, now: datetime | None = None) -> ApplyStats | None:
        """Apply up to `limit` pending events, oldest first, in one transaction. None when another process
        holds the applier lock (PostgreSQL). If the batch fails for a reason other than the database being
        away, its events are applied one by one and the one that fails alone is marked `failed`."""
        now = now or datetime.now(UTC)
        t = webhook_events
        with self.engine.connect() as conn:
            query = sa.select(t.c.seq).where(t.c.status == PENDING).order_by(t.c.seq).limit(limit)
            seqs = list(conn.scalars(query))
        stats = ApplyStats()
        if not seqs:
            return stats
        self._evolve(seqs)
        for some, outcome in together_or_alone(
            seqs, lambda some: self._apply_seqs(some, now), fatal=TRANSIENT
        ):
            if outcome is None:
                return stats if stats.total else None
            if isinstance(outcome, Exception):
                reason = f"{type(outcome).__name__}: {outcome}".splitlines()[0][:500]
                with self.engine.begin() as conn:
                    self._decide(conn, {seq: (FAILED, reason) for seq in some}, now)
                stats.failed += len(some)
                stats.failures += [f"seq {seq}: {reason}" for seq in some]
            else:
                stats.add(outcome)
        return stats

    def _evolve(self, seqs: Sequence[int]) -> None:
        """Fields the deliveries' records bring that their tables lack become columns first, each change in
        a transaction of its own before the apply's (as a sync's pages do)."""
        data: dict[str, list[Any]] = {}
        with self.engine.connect() as conn:
            for event in self._pending(conn, seqs):
                body = event.payload.get("data") if isinstance(event.payload, dict) else None
                if event.action != "deleted" and isinstance(body, dict) and self._refusal(event) is None:
                    data.setdefault(event.resource or "", []).append(body)
        for name, records in data.items():
            if name in CATALOG:
                self.store.evolve(CATALOG[name], records)

    def _apply_seqs(self, seqs: Sequence[int], now: datetime) -> ApplyStats | None:
        with self.engine.begin() as conn:
            if not self._lock(conn):
                return None
            return self._apply(conn, self._pending(conn, seqs), now)

    def apply_all(self, batch: int = 500) -> ApplyStats:
        """Apply until nothing is pending (the repair after a crash, before the receiver listens)."""
        total = ApplyStats()
        while True:
            stats = self.apply_pending(batch)
            if stats is None or stats.total == 0:
                return total
            total.add(stats)

    def counts(self) -> dict[str, int]:
        """Events per status."""
        query = sa.select(webhook_events.c.status, sa.func.count()).group_by(webhook_events.c.status)
        with self.engine.connect() as conn:
            found = {status: int(n) for status, n in conn.execute(query)}
        return {s: found.get(s, 0) for s in (PENDING, APPLIED, STALE, IGNORED, FAILED)}

    def _lock(self, conn: Connection) -> bool:
        if not self._postgres:
            return True  # SQLite: the write transaction itself is the lock
        got = conn.scalar(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _APPLY_LOCK})
        return bool(got)

    def _pending(self, conn: Connection, seqs: Sequence[int]) -> list[PendingEvent]:
        """The events of `seqs` (ascending) still pending: all pending ones between the first and last, as
        `seqs` were the oldest pending when read (another process may have applied some since)."""
        t = webhook_events
        query = sa.select(
            t.c.seq,
            t.c.event_id,
            t.c.event_type,
            t.c.action,
            t.c.resource,
            t.c.record_id,
            t.c.workspace_id,
            t.c.created_at,
            t.c.received_at,
            t.c.payload,
        ).where(t.c.status == PENDING, t.c.seq.between(seqs[0], seqs[-1]))
        rows = conn.execute(query.order_by(t.c.seq))
        return [PendingEvent(**row._mapping) for row in rows]

    def _apply(self, conn: Connection, events: list[PendingEvent], now: datetime) -> ApplyStats:
        stats = ApplyStats()
        decisions: dict[int, tuple[str, str | None]] = {}
        by_resource: dict[str, list[PendingEvent]] = {}
        for event in events:
            refusal = self._refusal(event)
            if refusal is not None:
                decisions[event.seq] = (IGNORED, refusal)
            elif event.record_id is None:
                decisions[event.seq] = (FAILED, "the event names no record id (data.id or subject_id)")
            else:
                by_resource.setdefault(event.resource or "", []).append(event)
        for name, group in by_resource.items():
            decisions.update(
                Gate(
                    conn,
                    self.store.evolution.resource(CATALOG[name]),
                    group,
                    now,
                    self.policy.account,
                    self.store.deletes,
                ).run()
            )
        self._decide(conn, decisions, now)
        for seq, (status, reason) in decisions.items():
            setattr(stats, status, getattr(stats, status) + 1)
            if status == FAILED:
                stats.failures.append(f"seq {seq}: {reason}")
        return stats

    def _refusal(self, event: PendingEvent) -> str | None:
        if event.resource is None:
            return f"no table holds {event.event_type} subjects"
        if event.resource not in self.policy.resources:
            return f"{event.resource} is not synced ([sync].resources / exclude)"
        if self.policy.workspaces and event.workspace_id not in self.policy.workspaces:
            return f"workspace {event.workspace_id} is not synced ([sync].workspaces)"
        return None

    def _decide(self, conn: Connection, decisions: dict[int, tuple[str, str | None]], now: datetime) -> None:
        if not decisions:
            return
        t = webhook_events
        stmt = (
            sa.update(t)
            .where(t.c.seq == sa.bindparam("b_seq"), t.c.status == PENDING)
            .values(status=sa.bindparam("b_status"), reason=sa.bindparam("b_reason"), applied_at=now)
        )
        conn.execute(
            stmt,
            [
                {"b_seq": s, "b_status": status, "b_reason": reason}
                for s, (status, reason) in decisions.items()
            ],
        )


def prune_events(store: Store, before: datetime, chunk: int = 10_000) -> dict[str, int]:
    """Delete the events received before `before` whose fate is decided: applied, stale, ignored and
    failed. Pending events stay (the applier has yet to see them), and so do applied `*.deleted` events:
    they are the tombstones that keep an older event from bringing a deleted row back. A redelivery of a
    pruned event is stored and judged again (by `updated_at`, so it changes nothing). Works through the
    table in `seq` ranges, a transaction each, so a receiver writing meanwhile is never held up for long.
    Returns how many events went, per status."""
    t = webhook_events
    removable = sa.and_(
        t.c.received_at < before,
        t.c.status != PENDING,
        sa.not_(sa.and_(t.c.action == "deleted", t.c.status == APPLIED)),
    )
    gone = dict.fromkeys((APPLIED, STALE, IGNORED, FAILED), 0)
    with store.engine.connect() as conn:
        low, high = conn.execute(sa.select(sa.func.min(t.c.seq), sa.func.max(t.c.seq)).where(removable)).one()
    if low is None:
        return gone
    for start in range(low, high + 1, chunk):
        in_range = sa.and_(removable, t.c.seq >= start, t.c.seq < start + chunk)
        with store.engine.begin() as conn:
            counts = sa.select(t.c.status, sa.func.count()).where(in_range).group_by(t.c.status)
            for status, n in conn.execute(counts):
                gone[status] += int(n)
            conn.execute(sa.delete(t).where(in_range))
    return gone

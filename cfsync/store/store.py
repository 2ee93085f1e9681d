"""The store: upserts pages with their cursor in one transaction, keeps sync state and run history."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from ..engine.ports import PageWrite, Partition, PartitionKey, PartitionState, RunSummary, WriteResult
from ..engine.segments import Segment
from ..errors import StoreError
from ..resources.catalog import CATALOG, Resource, resource_for_event
from ..resources.evolve import infer, new_keys
from ..resources.transform import RecordRows
from . import migrate
from .db import create_engine
from .evolve import Evolution, make_changes
from .rows import (
    apply_misses,
    clear_misses,
    key_values,
    key_where,
    reject_row,
    remove_rows,
    scope_filter,
    stage_misses,
    upsert_noted,
    upsert_outcomes,
)
from .schema import metadata, rejects, schema_changes, segments, sweep_misses, sync_runs, sync_state
from .stats import StatsStore

__all__ = ["Store"]


def _now() -> datetime:
    return datetime.now(UTC)


class Store(StatsStore):
    """One database. Methods are synchronous; the engine calls them from its writer thread."""

    def __init__(
        self, engine: Engine, *, deletes: str = "soft", schema: Callable[[str], str] | None = None
    ) -> None:
        self.engine = engine
        self.deletes = deletes  # "soft": rows gone from the API get _deleted_at; "hard": they are deleted
        dialect = {"sqlite": sqlite, "postgresql": postgresql}[engine.dialect.name]
        self._insert = dialect.insert
        # Per resource name: "evolve" (new fields become columns) or "freeze" (they stay in _raw only).
        self.schema_policy: Callable[[str], str] = schema or (lambda _name: "evolve")
        self.evolution = Evolution(engine)
        self._evolving = threading.Lock()

    @classmethod
    def open(cls, url: str, *, deletes: str = "soft", schema: Callable[[str], str] | None = None) -> Store:
        return cls(create_engine(url), deletes=deletes, schema=schema)

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self) -> None:
        migrate.upgrade(self.engine)

    def check_migrated(self) -> None:
        try:
            current = migrate.current_revision(self.engine)
        except sa.exc.OperationalError as exc:
            raise StoreError(f"cannot open the database: {exc.orig}") from None
        if current != migrate.head_revision():
            raise StoreError(
                f"the database schema is at {current or 'nothing'}, not {migrate.head_revision()}: "
                "run `cfsync db upgrade`"
            )

    # -- schema evolution ------------------------------------------------------------------------------

    def evolve(
        self, resource: Resource, records: Sequence[Any], run_id: int | None = None
    ) -> tuple[Resource, list[str]]:
        """The resource to transform `records` with: the catalog's plus the columns and child tables added
        for fields the API started sending. New fields the records show are added first (unless the
        resource's policy is "freeze"), each committed on its own; returns the labels of those this call
        added ("contacts.score integer"). Cheap when nothing is new: a set difference per record."""
        current = self.evolution.resource(resource)
        if self.schema_policy(resource.name) == "freeze" or not new_keys(current, records):
            return current, []
        with self._evolving:
            current = self.evolution.resource(resource)  # another thread may have just added them
            wanted = infer(current, list(records))
            if not wanted:
                return current, []
            try:
                made = make_changes(self.engine, current, wanted, run_id)
            finally:
                self.evolution.load()  # a peer's earlier change (perhaps another type) wins
        return self.evolution.resource(resource), made

    def schema_changes(self, run_id: int | None = None, resource: str | None = None) -> list[dict[str, Any]]:
        """The columns and child tables added on their own, oldest first: all, one run's, or those of the
        tables one list fills (contacts: contacts and contacts__badges)."""
        query = sa.select(schema_changes).order_by(schema_changes.c.id)
        if run_id is not None:
            query = query.where(schema_changes.c.run_id == run_id)
        if resource is not None:
            query = query.where(schema_changes.c.resource == resource)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def _schema_changed_at(self, conn: Connection, resource: str) -> datetime | None:
        found: datetime | None = conn.scalar(
            sa.select(sa.func.max(schema_changes.c.first_seen_at)).where(
                schema_changes.c.resource == resource
            )
        )
        return found

    # -- pages -----------------------------------------------------------------------------------------

    def write_page(self, page: PageWrite) -> WriteResult:
        [result] = self.write_pages([page])
        return result

    def write_pages(self, pages: list[PageWrite]) -> list[WriteResult]:
        """Pages (of any partitions) in one transaction: each page's rows with its cursor. Rows of one
        resource go in one statement; a record in two pages keeps the later copy and counts once."""
        results = [WriteResult() for _ in pages]
        with self.engine.begin() as conn:
            written = self._upsert_pages(conn, pages, results)
            # A value left NULL is noted when its row is written, not again each time an unchanged copy
            # of the record is listed (a sweep).
            rows = [
                reject_row(page, r)
                for page in pages
                for r in page.rejects
                if r.column is None or (page.partition.resource.name, r.record_id) in written
            ]
            if rows:
                conn.execute(sa.insert(rejects), rows)
            progress: dict[PartitionKey, tuple[PageWrite, str | None, int]] = {}
            for page, result in zip(pages, results, strict=True):
                # Only whole records set aside: a value left NULL in an evolved column wrote its row.
                result.rejected = sum(1 for r in page.rejects if r.column is None)
                key, resource = page.partition.key, page.partition.resource
                if page.sweep_range is not None:
                    seen = [r.row["id"] for r in page.records]
                    stage_misses(conn, self._insert, resource, key, seen, *page.sweep_range)
                deleted: dict[str, tuple[Resource, list[int]]] = {}
                for target, record_id in page.deletions:
                    target = self.evolution.resource(target)  # with its evolved child tables
                    deleted.setdefault(target.name, (target, []))[1].append(record_id)
                for target, ids in deleted.values():
                    gone = remove_rows(conn, target, ids, page.written_at, self.deletes)
                    if gone:
                        result.removed[target.name] = result.removed.get(target.name, 0) + gone
                if page.segment is not None:
                    self._save_segment(conn, key, page.segment)
                _, cursor, inserted = progress.get(key, (page, None, 0))
                own = None if page.segment is not None else page.cursor
                progress[key] = (page, own if own is not None else cursor, inserted + result.inserted)
            for key, (page, cursor, inserted) in progress.items():
                self._save_state(conn, key, page.run_id, page.written_at, cursor=cursor, inserted=inserted)
        return results

    def _upsert_pages(
        self, conn: Connection, pages: list[PageWrite], results: list[WriteResult]
    ) -> set[tuple[str, str]]:
        """Upsert the pages' records; (resource, id) of those inserted or rewritten."""
        written: set[tuple[str, str]] = set()
        by_resource: dict[str, list[int]] = {}
        for index, page in enumerate(pages):
            by_resource.setdefault(page.partition.resource.name, []).append(index)
        for indexes in by_resource.values():
            resource = pages[indexes[0]].partition.resource
            records = [r for i in indexes for r in pages[i].records]
            outcomes = upsert_outcomes(conn, resource, records, pages[indexes[0]].accounts)
            last = {r.row["id"]: i for i in indexes for r in pages[i].records}
            for record_id, outcome in outcomes.items():
                result = results[last[record_id]]
                setattr(result, outcome, getattr(result, outcome) + 1)
                if outcome != "unchanged":
                    written.add((resource.name, str(record_id)))
            for i in indexes:  # earlier copies of a record written by a later page in the batch
                results[i].unchanged += sum(1 for r in pages[i].records if last[r.row["id"]] != i)
        return written

    def upsert(self, resource: Resource, records: list[RecordRows], account: str = "") -> WriteResult:
        """Rows that did not come from a list walk (a write's answer, a webhook): no cursor moves. Values
        left NULL in evolved columns (`notes`) are recorded in _rejects with no run."""
        result = WriteResult()
        with self.engine.begin() as conn:
            for outcome in upsert_noted(conn, resource, records, account, _now()).values():
                setattr(result, outcome, getattr(result, outcome) + 1)
        return result

    def mark_deleted(self, resource: Resource, ids: list[int], at: datetime) -> int:
        """Rows the API no longer has (and their child rows), removed the configured way."""
        resource = self.evolution.resource(resource)
        with self.engine.begin() as conn:
            return remove_rows(conn, resource, ids, at, self.deletes)

    def retire_partition(self, partition: Partition, parent: Resource, run_id: int, now: datetime) -> int:
        """The partition's parent is gone from the API: remove the parent's row and the partition's rows,
        and mark the partition `gone` so it is not walked again. Returns the partition's rows removed."""
        key = partition.key
        table = metadata.tables[partition.resource.name]
        resource, parent = self.evolution.resource(partition.resource), self.evolution.resource(parent)
        with self.engine.begin() as conn:
            rows = sa.select(table.c.id).where(scope_filter(table, resource, key))
            ids = list(conn.scalars(rows))
            gone = remove_rows(conn, resource, ids, now, self.deletes)
            remove_rows(conn, parent, [key.parent_id], now, self.deletes)
            self._save_state(conn, key, run_id, now, status="gone", last_error=None)
        return gone

    def workspace_of(self, resource: Resource, record_id: int) -> int | None:
        """The workspace a stored row belongs to (to place a child written through the API)."""
        table = metadata.tables[resource.name]
        if "workspace_id" not in table.c:
            return None
        with self.engine.connect() as conn:
            value: int | None = conn.scalar(sa.select(table.c.workspace_id).where(table.c.id == record_id))
            return value

    # -- partitions ------------------------------------------------------------------------------------

    def _state_where(self, key: PartitionKey) -> sa.ColumnElement[bool]:
        return key_where(sync_state, key)

    def _save_state(
        self, conn: Connection, key: PartitionKey, run_id: int, now: datetime, **values: Any
    ) -> None:
        inserted = values.pop("inserted", 0)
        if "cursor" in values and values["cursor"] is None:
            del values["cursor"]
        stmt = self._insert(sync_state).values(
            {
                **key_values(key),
                "rows": inserted,
                "status": "running",
                "run_id": run_id,
                "updated_at": now,
                **values,
            }
        )
        updates: dict[str, Any] = {"run_id": run_id, "updated_at": now, **values}
        if inserted:
            updates["rows"] = sync_state.c.rows + inserted
        conn.execute(stmt.on_conflict_do_update(index_elements=list(key_values(key)), set_=updates))

    def partition_state(self, key: PartitionKey) -> PartitionState:
        saved = sa.exists().where(self._segment_where(key)).label("segments")
        columns = [sync_state.c[name] for name in PartitionState.__dataclass_fields__ if name in sync_state.c]
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*columns, saved).where(self._state_where(key))).first()
            changed = self._schema_changed_at(conn, key.resource)
            if row is None:  # no state yet: segments come with it, so there are none
                return PartitionState(schema_changed_at=changed)
        return PartitionState(**row._mapping, schema_changed_at=changed)

    # -- segments --------------------------------------------------------------------------------------

    def _segment_where(self, key: PartitionKey) -> sa.ColumnElement[bool]:
        return key_where(segments, key)

    def segments(self, key: PartitionKey) -> list[Segment]:
        query = sa.select(segments).where(self._segment_where(key)).order_by(segments.c.after_id)
        with self.engine.connect() as conn:
            return [Segment(r.after_id, r.through_id, r.cursor, r.done) for r in conn.execute(query)]

    def save_segments(self, key: PartitionKey, plan: list[Segment]) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(segments).where(self._segment_where(key)))
            conn.execute(
                sa.insert(segments),
                [
                    {
                        **key_values(key),
                        "after_id": s.start,
                        "through_id": s.end,
                        "cursor": s.cursor,
                        "done": s.done,
                    }
                    for s in plan
                ],
            )

    def _save_segment(self, conn: Connection, key: PartitionKey, segment: Segment) -> None:
        conn.execute(
            sa.update(segments)
            .where(self._segment_where(key), segments.c.after_id == segment.start)
            .values(cursor=segment.cursor, done=segment.done)
        )

    def split_segment(self, key: PartitionKey, busy_start: int, fresh: Segment) -> None:
        """The busy segment now ends where the fresh one starts. Only the boundary moves: cursors are saved
        with their pages, never from memory, so a crash cannot skip a page."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(segments)
                .where(self._segment_where(key), segments.c.after_id == busy_start)
                .values(through_id=fresh.start)
            )
            values = {"after_id": fresh.start, "through_id": fresh.end, "cursor": fresh.cursor, "done": False}
            conn.execute(sa.insert(segments).values(**key_values(key), **values))

    def finish_segments(self, key: PartitionKey, cursor: str | None, run_id: int, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(segments).where(self._segment_where(key)))
            self._save_state(conn, key, run_id, now, cursor=cursor)

    def begin_sweeps(self, accounts: Sequence[str], resources: Sequence[str], now: datetime) -> None:
        """`--full`: every known partition of these resources starts a sweep, so that a run killed half
        way still sweeps the partitions it never reached when the next run comes."""
        where = sa.and_(sync_state.c.account.in_(list(accounts)), sync_state.c.resource.in_(list(resources)))
        with self.engine.begin() as conn:
            conn.execute(
                sa.delete(sweep_misses).where(
                    sweep_misses.c.account.in_(list(accounts)), sweep_misses.c.resource.in_(list(resources))
                )
            )
            conn.execute(
                sa.update(sync_state).where(where).values(cursor=None, sweep_started_at=now, updated_at=now)
            )

    def begin_sweep(self, key: PartitionKey, run_id: int, now: datetime) -> None:
        with self.engine.begin() as conn:
            clear_misses(conn, key)
            self._save_state(conn, key, run_id, now, sweep_started_at=now)
            conn.execute(sa.update(sync_state).where(self._state_where(key)).values(cursor=None))

    def finish_sweep(self, partition: Partition, run_id: int, now: datetime, query: str = "") -> int:
        """The sweep is dated when it began: a column added while it ran (for rows it had passed) makes the
        list due again."""
        resource = self.evolution.resource(partition.resource)
        with self.engine.begin() as conn:
            began = conn.scalar(
                sa.select(sync_state.c.sweep_started_at).where(self._state_where(partition.key))
            )
            gone = apply_misses(conn, resource, partition.key, now, self.deletes)
            done = {"sweep_started_at": None, "last_full_sweep_at": began or now, "query": query or None}
            self._save_state(conn, partition.key, run_id, now, **done)
            if gone:
                conn.execute(
                    sa.update(sync_state)
                    .where(self._state_where(partition.key))
                    .values(deleted=sync_state.c.deleted + gone)
                )
        return gone

    def finish_partition(
        self,
        key: PartitionKey,
        run_id: int,
        error: str | None,
        watermark: datetime | None = None,
        started: datetime | None = None,
    ) -> None:
        """Record how a pass ended; a success is dated when the pass `started` (else now): every change
        made before then is in the database."""
        now = _now()
        values: dict[str, Any] = {"status": "failed" if error else "ok", "last_error": error}
        if error is None:
            values["last_success_at"] = started or now
        if watermark is not None:
            values["watermark"] = watermark
        with self.engine.begin() as conn:
            self._save_state(conn, key, run_id, now, **values)

    def parent_ids(
        self,
        parent: Partition,
        child: str | None = None,
        revisit: timedelta | None = None,
        now: datetime | None = None,
        named: dict[int | None, datetime] | None = None,
    ) -> list[int]:
        """Ids of the live rows `parent`'s walk fills. With `child` (a nested list), only the parents due
        for it: new ones (never walked for it), ones whose last walk of it failed or was cut short, changed
        ones (their row changed since the list's last successful walk under them began), ones an event
        named since (`named`, from `named_parents`; its None key names every parent), and, with `revisit`,
        the others whose last walk is older than a share of it (half to all of it, spread by the parent's
        id, so they come due a few at a time). For a list whose records show their parent's siblings (a
        price's change options list the product's other prices), one parent due makes all of them due."""
        resource = parent.resource
        table = metadata.tables[resource.name]
        live = sa.and_(table.c._deleted_at.is_(None), scope_filter(table, resource, parent.key))
        if child is None:
            with self.engine.connect() as conn:
                return list(conn.scalars(sa.select(table.c.id).where(live).order_by(table.c.id)))
        state = sync_state
        walks = table.outerjoin(
            state,
            sa.and_(
                state.c.account == parent.key.account,
                state.c.resource == child,
                state.c.parent_id == table.c.id,
            ),
        )
        query = (
            sa.select(
                table.c.id,
                table.c._synced_at,
                state.c.last_success_at,
                state.c.status,
                state.c.last_full_sweep_at,
            )
            .select_from(walks)
            .where(live)
            .order_by(table.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            # A column or child table added to the list since a parent's last full walk of it: that walk
            # wrote rows without it, so the parent is due (its rows are read again).
            changed_at = self._schema_changed_at(conn, child)
        now = now or datetime.now(UTC)
        named = named or {}
        anyone = named.get(None)
        due, any_fresh = [], False
        for parent_id, changed, last, status, swept in rows:  # UtcDateTime columns: aware, in UTC
            events = [at for at in (named.get(parent_id), anyone) if at is not None]
            fresh = (
                last is None
                or status != "ok"  # its last pass failed or was cut short
                or (changed is not None and changed > last)
                or any(at > last for at in events)
                or (changed_at is not None and (swept is None or swept < changed_at))
            )
            stale = (
                last is not None
                and revisit is not None
                and now - last >= revisit * (0.5 + _spread(parent_id) / 2)
            )
            any_fresh |= fresh
            if fresh or stale:
                due.append(parent_id)
        if any_fresh and CATALOG[child].siblings:
            return [parent_id for parent_id, *_ in rows]  # each one's records show the others
        return due

    def named_parents(
        self, account: str, workspace_id: int, skew: timedelta = timedelta(0)
    ) -> dict[str, dict[int | None, datetime]]:
        """The parents that events named through one of their nested records, since the oldest walk of a
        nested list in the workspace: per nested list, each parent id with its newest such event. Events
        are the workspace's event log as synced (their times, the API's clock, moved `skew` later) and the
        webhooks received. A record's parent comes from the event's data, else from its stored row; an
        event that names no parent either way names them all (key None)."""
        since = self._oldest_nested_walk(account, workspace_id)
        if since is None:
            return {}  # nothing nested walked yet: every parent is new
        events, hooks = metadata.tables["webhooks_outgoing_events"], metadata.tables["webhook_events"]
        with self.engine.connect() as conn:
            logged = conn.execute(
                sa.select(
                    events.c.event_type_id, events.c.subject_id, events.c.data, events.c.created_at
                ).where(events.c.workspace_id == workspace_id, events.c.created_at > since - skew)
            ).all()
            received = conn.execute(
                sa.select(hooks.c.event_type, hooks.c.record_id, hooks.c.payload, hooks.c.received_at).where(
                    hooks.c.workspace_id == workspace_id, hooks.c.received_at > since
                )
            ).all()
            found = [(kind, subject, data, at, skew) for kind, subject, data, at in logged]
            found += [
                (kind, subject, (body or {}).get("data"), at, timedelta(0))
                for kind, subject, body, at in received
            ]
            named: dict[str, dict[int | None, datetime]] = {}
            unplaced: dict[str, dict[int | None, datetime]] = {}
            for event_type, subject, data, at, late in found:
                if at is None:
                    continue
                when = at + late
                target = resource_for_event(str(event_type or ""))
                if target is None or not target.nested or target.parent_param is None:
                    continue
                parent_id = data.get(target.parent_param) if isinstance(data, dict) else None
                if isinstance(parent_id, int) and not isinstance(parent_id, bool):
                    _newest(named.setdefault(target.name, {}), parent_id, when)
                else:  # placed below by the stored record (a subject that is no id: by none)
                    _newest(unplaced.setdefault(target.name, {}), subject, when)
            for name, records in unplaced.items():
                table, param = metadata.tables[name], CATALOG[name].parent_param
                assert param is not None
                ids = [i for i in records if i is not None][:5000]  # more: they name every parent
                placed = dict(
                    conn.execute(sa.select(table.c.id, table.c[param]).where(table.c.id.in_(ids))).all()
                )
                parents = named.setdefault(name, {})
                for record_id, when in records.items():
                    _newest(parents, placed.get(record_id) if record_id is not None else None, when)
        return named

    def _oldest_nested_walk(self, account: str, workspace_id: int) -> datetime | None:
        state = sync_state
        with self.engine.connect() as conn:
            oldest = conn.scalar(
                sa.select(sa.func.min(state.c.last_success_at)).where(
                    state.c.account == account,
                    state.c.workspace_id == workspace_id,
                    state.c.resource.in_([r.name for r in CATALOG.values() if r.nested]),
                )
            )
        return oldest

    # -- runs ------------------------------------------------------------------------------------------

    def start_run(self, resources: Sequence[str], full_refresh: bool, accounts: Sequence[str] = ()) -> int:
        with self.engine.begin() as conn:
            run_id: int = conn.execute(
                sa.insert(sync_runs)
                .values(
                    started_at=_now(),
                    status="running",
                    full_refresh=full_refresh,
                    resources=list(resources),
                    accounts=list(accounts),
                    rows={},
                    errors=[],
                    pid=os.getpid(),
                    host=socket.gethostname(),
                )
                .returning(sync_runs.c.id)
            ).scalar_one()
        return run_id

    def finish_run(self, summary: RunSummary) -> None:
        run = summary.to_dict()
        errors: list[dict[str, str | None]] = run["failures"]
        if run["error"]:
            errors.append({"partition": None, "error": run["error"]})
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(sync_runs)
                .where(sync_runs.c.id == summary.run_id)
                .values(
                    finished_at=_now(),
                    status=run["status"],
                    requests=run["requests"],
                    retries=run["retries"],
                    rate_limited=run["rate_limited"],
                    partitions=run["partitions"],
                    failed_partitions=len(run["failures"]),
                    rows=run["rows"],
                    errors=errors,
                )
            )
            # Partitions this run left in the middle (stopped, or the run failed under them).
            left = "failed" if summary.status == "failed" else "interrupted"
            conn.execute(
                sa.update(sync_state)
                .where(sync_state.c.run_id == summary.run_id, sync_state.c.status == "running")
                .values(status=left)
            )

    def abandon_dead_runs(self, alive: Callable[[int, int | None, str | None], bool]) -> list[int]:
        """Runs recorded as running whose process is gone (`alive(run_id, pid, host)` says no: killed,
        crashed, the power went): marked abandoned, and their partitions with them. Their ids."""
        with self.engine.begin() as conn:
            running = conn.execute(
                sa.select(sync_runs.c.id, sync_runs.c.pid, sync_runs.c.host).where(
                    sync_runs.c.status == "running"
                )
            ).all()
            dead = [run.id for run in running if not alive(run.id, run.pid, run.host)]
            if dead:
                reason = "the process ended without finishing the run (killed, crashed or lost power)"
                conn.execute(
                    sa.update(sync_runs)
                    .where(sync_runs.c.id.in_(dead))
                    .values(status="abandoned", errors=[{"partition": None, "error": reason}])
                )
                conn.execute(
                    sa.update(sync_state)
                    .where(sync_state.c.run_id.in_(dead), sync_state.c.status == "running")
                    .values(status="abandoned")
                )
        return dead


def _spread(key: int) -> float:
    """A fraction in [0, 1) fixed per id: where in the revisit period a parent comes due."""
    return ((key * 0x9E3779B97F4A7C15) % 2**64) / 2**64


def _newest(found: dict[int | None, datetime], key: Any, when: datetime) -> None:
    """Keep the newest time per key; a key that is not an id counts for every parent (None)."""
    if not isinstance(key, int) or isinstance(key, bool):
        key = None
    found[key] = max(found.get(key, when), when)

"""The store: upserts pages with their cursor in one transaction, keeps sync state and run history."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from ..engine.ports import PageWrite, Partition, PartitionKey, RunSummary, WriteResult
from ..errors import StoreError
from ..resources.catalog import Resource
from ..resources.transform import RecordRows
from . import migrate
from .db import create_engine
from .schema import metadata, rejects, sync_runs, sync_state

__all__ = ["Store"]


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    """One database. Methods are synchronous; the engine calls them from its writer thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = {"sqlite": sqlite, "postgresql": postgresql}[engine.dialect.name]
        self._insert = dialect.insert

    @classmethod
    def open(cls, url: str) -> Store:
        return cls(create_engine(url))

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

    # -- pages -----------------------------------------------------------------------------------------

    def write_page(self, page: PageWrite) -> WriteResult:
        resource = page.partition.resource
        with self.engine.begin() as conn:
            result = self._upsert(conn, resource, page.records)
            if page.rejects:
                conn.execute(
                    sa.insert(rejects),
                    [
                        {
                            "run_id": page.run_id,
                            "account": page.partition.key.account,
                            "resource": resource.name,
                            "workspace_id": page.partition.key.workspace_id or None,
                            "record_id": r.record_id,
                            "reason": r.reason,
                            "raw": r.raw,
                            "rejected_at": page.written_at,
                        }
                        for r in page.rejects
                    ],
                )
                result.rejected = len(page.rejects)
            self._save_state(
                conn,
                page.partition.key,
                page.run_id,
                page.written_at,
                cursor=page.cursor,
                inserted=result.inserted,
            )
        return result

    def upsert(self, resource: Resource, records: list[RecordRows]) -> WriteResult:
        """Rows that did not come from a list walk (a write's answer, a webhook): no cursor moves."""
        with self.engine.begin() as conn:
            return self._upsert(conn, resource, records)

    def _upsert(self, conn: Connection, resource: Resource, records: list[RecordRows]) -> WriteResult:
        table = metadata.tables[resource.name]
        result = WriteResult()
        if not records:
            return result
        ids = [r.row["id"] for r in records]
        existing = {
            row.id: (row._raw, row._deleted_at)
            for row in conn.execute(
                sa.select(table.c.id, table.c._raw, table.c._deleted_at).where(table.c.id.in_(ids))
            )
        }
        changed = []
        for record in records:
            before = existing.get(record.row["id"])
            if before is None:
                result.inserted += 1
            elif before[0] != record.row["_raw"] or before[1] is not None:
                result.updated += 1
            else:
                result.unchanged += 1
                continue
            changed.append(record)
        if not changed:
            return result
        stmt = self._insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.id],
            set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name != "id"},
        )
        conn.execute(stmt, [r.row for r in changed])
        changed_ids = [r.row["id"] for r in changed]
        for child in resource.children:
            child_table = metadata.tables[child.name]
            conn.execute(sa.delete(child_table).where(child_table.c[child.parent_key].in_(changed_ids)))
            rows = [row for r in changed for row in r.children[child.name]]
            if rows:
                conn.execute(sa.insert(child_table), rows)
        return result

    def mark_deleted(self, resource: Resource, ids: list[int], at: datetime) -> int:
        """Soft-delete rows (and their child rows) that the API no longer has; returns rows marked."""
        table = metadata.tables[resource.name]
        with self.engine.begin() as conn:
            marked = conn.execute(
                sa.update(table)
                .where(table.c.id.in_(ids), table.c._deleted_at.is_(None))
                .values(_deleted_at=at)
            ).rowcount
            for child in resource.children:
                child_table = metadata.tables[child.name]
                conn.execute(
                    sa.update(child_table)
                    .where(child_table.c[child.parent_key].in_(ids), child_table.c._deleted_at.is_(None))
                    .values(_deleted_at=at)
                )
        return int(marked or 0)

    def workspace_of(self, resource: Resource, record_id: int) -> int | None:
        """The workspace a stored row belongs to (to place a child written through the API)."""
        table = metadata.tables[resource.name]
        if "workspace_id" not in table.c:
            return None
        with self.engine.connect() as conn:
            value: int | None = conn.scalar(sa.select(table.c.workspace_id).where(table.c.id == record_id))
            return value

    # -- partitions ------------------------------------------------------------------------------------

    @staticmethod
    def _key(key: PartitionKey) -> dict[str, Any]:
        return {
            "account": key.account,
            "resource": key.resource,
            "workspace_id": key.workspace_id,
            "parent_id": key.parent_id,
        }

    def _state_where(self, key: PartitionKey) -> sa.ColumnElement[bool]:
        return sa.and_(*(sync_state.c[name] == value for name, value in self._key(key).items()))

    def _save_state(
        self, conn: Connection, key: PartitionKey, run_id: int, now: datetime, **values: Any
    ) -> None:
        inserted = values.pop("inserted", 0)
        if "cursor" in values and values["cursor"] is None:
            del values["cursor"]
        stmt = self._insert(sync_state).values(
            {
                **self._key(key),
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
        conn.execute(stmt.on_conflict_do_update(index_elements=list(self._key(key)), set_=updates))

    def cursor(self, key: PartitionKey) -> str | None:
        with self.engine.connect() as conn:
            value: str | None = conn.scalar(sa.select(sync_state.c.cursor).where(self._state_where(key)))
            return value

    def reset_cursors(self, account: str, resources: Sequence[str]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(sync_state)
                .where(sync_state.c.account == account, sync_state.c.resource.in_(list(resources)))
                .values(cursor=None, updated_at=_now())
            )

    def finish_partition(self, key: PartitionKey, run_id: int, error: str | None) -> None:
        now = _now()
        values: dict[str, Any] = {"status": "failed" if error else "ok", "last_error": error}
        if error is None:
            values["last_success_at"] = now
        with self.engine.begin() as conn:
            self._save_state(conn, key, run_id, now, **values)

    def parent_ids(self, parent: Partition, changed_for: str | None = None) -> list[int]:
        """Ids of the live rows `parent`'s walk fills. With `changed_for` (a child resource), only those
        whose row changed since that child's list last succeeded for them (or never did)."""
        resource = parent.resource
        table = metadata.tables[resource.name]
        query = sa.select(table.c.id).where(table.c._deleted_at.is_(None)).order_by(table.c.id)
        if resource.parent_param is None:
            query = query.where(table.c._account == parent.key.account)
        else:
            query = query.where(table.c[resource.parent_param] == parent.key.parent_id)
        if changed_for is not None:
            state = sync_state
            last_success = (
                sa.select(state.c.last_success_at)
                .where(
                    state.c.account == parent.key.account,
                    state.c.resource == changed_for,
                    state.c.parent_id == table.c.id,
                )
                .scalar_subquery()
            )
            query = query.where(sa.or_(last_success.is_(None), table.c._synced_at > last_success))
        with self.engine.connect() as conn:
            return list(conn.scalars(query))

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
        errors: list[dict[str, str | None]] = [{"partition": p, "error": e} for p, e in summary.failures]
        if summary.error:
            errors.append({"partition": None, "error": summary.error})
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(sync_runs)
                .where(sync_runs.c.id == summary.run_id)
                .values(
                    finished_at=_now(),
                    status=summary.status,
                    requests=summary.requests,
                    retries=summary.retries,
                    rate_limited=summary.rate_limited,
                    partitions=summary.partitions,
                    failed_partitions=len(summary.failures),
                    rows=summary.rows_json(),
                    errors=errors,
                )
            )

"""Row-level work inside one transaction: idempotent upserts, removals, and a full sweep's misses."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..engine.ports import PageWrite, PartitionKey, Reject
from ..resources.catalog import Resource
from ..resources.transform import RecordRows, note_column
from .schema import metadata, rejects, sweep_misses
from .sqlitebulk import bulk_insert
from .tables import child_table_of, table_of

__all__ = [
    "apply_misses",
    "clear_misses",
    "key_values",
    "key_where",
    "loader",
    "reject_row",
    "remove_rows",
    "scope_filter",
    "stage_misses",
    "upsert_noted",
    "upsert_outcomes",
]

Insert = Callable[[sa.Table], Any]  # the dialect's insert(), which knows ON CONFLICT
_BATCH = 500  # ids per IN (...) list


def upsert_outcomes(
    conn: Connection, resource: Resource, records: list[RecordRows], owners: Collection[str] = ()
) -> dict[int, str]:
    """Upsert, and say per id what happened: "inserted", "updated" or "unchanged".

    "Identical" compares the stored `_raw` with the incoming record, so an unchanged record keeps its
    `_synced_at` and costs no write; a row marked deleted that is listed again comes back to life. A copy
    older than the stored row (its `updated_at` is earlier: a webhook wrote a newer one while this page
    was in flight) is stale and left out, like a copy fetched before the row was found deleted.

    Top-level rows (teams) belong to the config account that first listed them, and their children are
    synced under it. `owners` are the accounts of the run: a row whose account is none of them (it left
    the config) goes to the account listing it now, so its children are synced again.
    """
    table = table_of(resource)
    outcomes: dict[int, str] = {}
    if not records:
        return outcomes
    latest = {r.row["id"]: r for r in records}  # the same id twice in a batch: the later copy wins
    optional = [
        (table.c[name] if name in table.c else sa.null()).label(name) for name in ("updated_at", "_account")
    ]
    existing: dict[int, Any] = {}
    ids = list(latest)
    for start in range(0, len(ids), _BATCH):
        query = sa.select(table.c.id, table.c._raw, table.c._deleted_at, *optional).where(
            table.c.id.in_(ids[start : start + _BATCH])
        )
        existing.update((row.id, row) for row in conn.execute(query))
    changed = []
    for record_id, record in latest.items():
        before = existing.get(record_id)
        if before is None:
            outcomes[record_id] = "inserted"
        elif _stale(record, before._deleted_at, before.updated_at):
            # Found gone after this copy was fetched (an event log page written first), or a newer copy
            # is stored already: this one is stale.
            outcomes[record_id] = "unchanged"
            continue
        elif (
            before._raw != record.row["_raw"]
            or before._deleted_at is not None
            or (before._account not in (None, record.row.get("_account")) and before._account not in owners)
        ):
            outcomes[record_id] = "updated"
        else:
            outcomes[record_id] = "unchanged"
            continue
        changed.append(record)
    if not changed:
        return outcomes
    load = loader(conn)
    load(conn, table, [r.row for r in changed], upsert_on="id")
    replaced = [r.row["id"] for r in changed if outcomes[r.row["id"]] == "updated"]
    for child in resource.children:
        child_table = child_table_of(resource, child)
        for start in range(0, len(replaced), _BATCH):
            owned = child_table.c[child.parent_key].in_(replaced[start : start + _BATCH])
            conn.execute(sa.delete(child_table).where(owned))
        load(conn, child_table, [row for r in changed for row in r.children[child.name]], upsert_on=None)
    return outcomes


def loader(conn: Connection) -> Callable[..., None]:
    """The dialect's fastest way to load many rows: COPY and a merge on PostgreSQL (psycopg is imported
    only then), tuples for one compiled statement on SQLite."""
    if conn.dialect.name == "postgresql":
        from .pgcopy import copy_insert

        return copy_insert
    return bulk_insert


def _stale(record: RecordRows, deleted_at: datetime | None, updated_at: datetime | None) -> bool:
    if deleted_at is not None and deleted_at >= record.row["_synced_at"]:
        return True
    incoming = record.row.get("updated_at")
    return updated_at is not None and incoming is not None and incoming < updated_at


def reject_row(page: PageWrite, reject: Reject) -> dict[str, Any]:
    key = page.partition.key
    return {
        "run_id": page.run_id,
        "account": key.account,
        "resource": page.partition.resource.name,
        "workspace_id": key.workspace_id or None,
        "record_id": reject.record_id,
        "reason": reject.reason,
        "column_name": reject.column,
        "raw": reject.raw,
        "rejected_at": page.written_at,
    }


def upsert_noted(
    conn: Connection, resource: Resource, records: list[RecordRows], account: str, at: datetime
) -> dict[int, str]:
    """`upsert_outcomes` for records that did not come from a list walk (a write's answer, a webhook), and
    in _rejects (no run) the values of evolved columns left NULL in the rows it wrote (an unchanged copy
    was noted when first written)."""
    outcomes = upsert_outcomes(conn, resource, records)
    written = [r for r in records if outcomes.get(r.row["id"], "unchanged") != "unchanged"]
    notes = _note_rows(resource.name, account, written, None, at)
    if notes:
        conn.execute(sa.insert(rejects), notes)
    return outcomes


def _note_rows(
    resource: str, account: str, records: Sequence[RecordRows], run_id: int | None, at: datetime
) -> list[dict[str, Any]]:
    """_rejects rows for the values of evolved columns left NULL in `records` (their rows are written)."""
    return [
        {
            "run_id": run_id,
            "account": account,
            "resource": resource,
            "workspace_id": r.row.get("workspace_id"),
            "record_id": str(r.row["id"]),
            "reason": reason,
            "column_name": note_column(resource, where),
            "raw": r.row["_raw"],
            "rejected_at": at,
        }
        for r in records
        for where, reason in r.notes
    ]


def remove_rows(
    conn: Connection, resource: Resource, ids: Sequence[int], at: datetime, mode: str = "soft"
) -> int:
    """Rows (and their child rows) the API no longer has: marked `_deleted_at` ("soft") or deleted
    ("hard"). Returns how many live rows went."""
    table = metadata.tables[resource.name]
    gone = 0
    for start in range(0, len(ids), _BATCH):
        batch = list(ids[start : start + _BATCH])
        live = sa.and_(table.c.id.in_(batch), table.c._deleted_at.is_(None))
        if mode == "hard":
            gone += conn.execute(sa.delete(table).where(table.c.id.in_(batch))).rowcount or 0
        else:
            gone += conn.execute(sa.update(table).where(live).values(_deleted_at=at)).rowcount or 0
        for child in resource.children:
            child_table = child_table_of(resource, child)
            owned = child_table.c[child.parent_key].in_(batch)
            if mode == "hard":
                conn.execute(sa.delete(child_table).where(owned))
            else:
                conn.execute(
                    sa.update(child_table)
                    .where(owned, child_table.c._deleted_at.is_(None))
                    .values(_deleted_at=at)
                )
    return gone


def scope_filter(table: sa.Table, resource: Resource, key: PartitionKey) -> sa.ColumnElement[bool]:
    """The rows one partition's walk fills: its account's, its parent's."""
    if resource.parent_param is None:
        return table.c._account == key.account
    return table.c[resource.parent_param] == key.parent_id


def key_values(key: PartitionKey) -> dict[str, Any]:
    """A partition's key as the columns of the sync tables (sync_state, sync_segments, sweep misses)."""
    return {
        "account": key.account,
        "resource": key.resource,
        "workspace_id": key.workspace_id,
        "parent_id": key.parent_id,
    }


def key_where(table: sa.Table, key: PartitionKey) -> sa.ColumnElement[bool]:
    """The rows of one of those tables that belong to the partition."""
    return sa.and_(*(table.c[name] == value for name, value in key_values(key).items()))


def stage_misses(
    conn: Connection,
    insert: Insert,
    resource: Resource,
    key: PartitionKey,
    seen: Sequence[int],
    after: int | None,
    through: int | None,
) -> None:
    """A sweep page listed every record with `after < id <= through` (through None: to the end): stored
    rows of the partition in that range it did not list are gone, if the sweep completes."""
    table = metadata.tables[resource.name]
    query = sa.select(table.c.id).where(scope_filter(table, resource, key), table.c._deleted_at.is_(None))
    if after is not None:
        query = query.where(table.c.id > after)
    if through is not None:
        query = query.where(table.c.id <= through)
    if seen:
        query = query.where(table.c.id.not_in(list(seen)))
    missing = list(conn.scalars(query))
    if missing:
        rows = [{**key_values(key), "record_id": record_id} for record_id in missing]
        conn.execute(insert(sweep_misses).on_conflict_do_nothing(), rows)


def apply_misses(conn: Connection, resource: Resource, key: PartitionKey, at: datetime, mode: str) -> int:
    """The sweep completed: remove what it staged. Returns rows removed."""
    ids = list(conn.scalars(sa.select(sweep_misses.c.record_id).where(key_where(sweep_misses, key))))
    gone = remove_rows(conn, resource, ids, at, mode) if ids else 0
    clear_misses(conn, key)
    return gone


def clear_misses(conn: Connection, key: PartitionKey) -> None:
    conn.execute(sa.delete(sweep_misses).where(key_where(sweep_misses, key)))

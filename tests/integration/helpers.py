"""Helpers for sync tests: a config pointing at a sandbox, and both sides' data as comparable snapshots."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa

from cfsync.config import Config, parse_config
from cfsync.resources.catalog import CATALOG, Resource, ordered, resolve
from cfsync.sandbox import Sandbox
from cfsync.store.schema import metadata

TOKEN_ENV = "CFSYNC_TEST_TOKEN"

# The 13 lists the API has had since 2025 (api_facts_2026.json).
LISTS_OF_2026 = tuple(r.name for r in CATALOG.values() if r.since == 2026)


def config_for(url: str, token: str, db_url: str, **api: Any) -> Config:
    settings = {
        "mode": "direct",
        "base_url": url,
        "api_key_env": TOKEN_ENV,
        "requests_per_second": 1000,
        **api,
    }
    # Funnel statistics (30 requests per funnel on a first sync) have their own tests (test_stats_sync.py):
    # the lists' tests leave them off, so that their request counts are the lists' and they stay quick.
    sync = {"stats_days": 0}
    return parse_config({"api": settings, "database": {"url": db_url}, "sync": sync}, {TOKEN_ENV: token})


def sandbox_partitions(
    sb: Sandbox, account: int = 0, names: tuple[str, ...] = ("all",)
) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Every list the sync walks, keyed (resource, parent id), with the records it serves: computed from the
    sandbox's own state, the way a reader of the API docs would, not from cfsync's engine."""
    out: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for resource in resolve(names):
        if resource.parent is None:
            out[(resource.name, 0)] = sb.records(resource.name, account=account)
            continue
        parents = [r["id"] for (name, _), records in out.items() if name == resource.parent for r in records]
        for parent_id in parents:
            where = {"workspace_id" if resource.parent == "workspaces" else "parent_id": parent_id}
            out[(resource.name, parent_id)] = sb.records(resource.name, **where)
    return out


def sandbox_snapshot(
    sb: Sandbox, account: int = 0, names: tuple[str, ...] = ("all",), *, children: bool = True
) -> dict[str, dict[Any, Any]]:
    """{table: {id: record}} of what the sandbox serves; with `children`, also {child table: {(parent id,
    position): item}} for every embedded array a child table holds."""
    snapshot: dict[str, dict[Any, Any]] = {r.name: {} for r in ordered()}
    if children:
        snapshot.update({c.name: {} for r in ordered() for c in r.children})
    for (name, _), records in sandbox_partitions(sb, account, names).items():
        for record in records:
            snapshot[name][record["id"]] = record
            if not children:
                continue
            for child in CATALOG[name].children:
                for position, item in child_items(record, child.field):
                    snapshot[child.name][(record["id"], position)] = item
    return snapshot


# A visit's row number, by kind, in contacts__visits and orders__visits (the contract of issue 20).
VISIT_POSITIONS = {"first_visit": 0, "last_visit": 1, "last_visit_with_utm": 2}


def child_items(record: dict[str, Any], field: str) -> list[tuple[int, dict[str, Any]]]:
    """(position, item) of a record's embedded array, or of its visits by kind: a last_visit the API
    leaves null ("identical to first_visit") is the first visit; a visit that is not there, no row."""
    value = record.get(field)
    if field != "visits":
        return list(enumerate(value or []))
    value = dict(value or {})
    if "first_visit" in value and value.get("last_visit") is None:
        value["last_visit"] = value["first_visit"]
    return [(VISIT_POSITIONS[kind], item) for kind, item in value.items() if item is not None]


def db_snapshot(
    engine: sa.Engine, *, live_only: bool = True, children: bool = True
) -> dict[str, dict[Any, Any]]:
    """{table: {id: _raw}} for every resource table; with `children`, also {child table: {(parent id,
    position): _raw}}: one contact's tags soft-deleted with another's shows here."""
    snapshot: dict[str, dict[Any, Any]] = {}
    with engine.connect() as conn:
        for resource in ordered():
            table = metadata.tables[resource.name]
            query = sa.select(table.c.id, table.c._raw)
            if live_only:
                query = query.where(table.c._deleted_at.is_(None))
            snapshot[resource.name] = {row.id: row._raw for row in conn.execute(query)}
            if not children:
                continue
            for child in resource.children:
                t = metadata.tables[child.name]
                rows = sa.select(t.c[child.parent_key], t.c._position, t.c._raw)
                if live_only:
                    rows = rows.where(t.c._deleted_at.is_(None))
                snapshot[child.name] = {(r[0], r[1]): r[2] for r in conn.execute(rows)}
    return snapshot


def dump_tables(engine: sa.Engine, resources: tuple[Resource, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every resource and child table, every column included, in key order."""
    out = {}
    with engine.connect() as conn:
        for resource in resources or ordered():
            for name in (resource.name, *(c.name for c in resource.children)):
                table = metadata.tables[name]
                rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns))
                out[name] = [tuple(r) for r in rows]
    return out


def copy_as_revision(source: sa.Engine, target: sa.Engine, skip_resources: Collection[str] = ()) -> None:
    """Copy every row of `source` (a database at the head) into `target` (migrated to an older revision),
    cut to the tables and columns `target` has: what the older release would have stored. `sync_state`
    rows of `skip_resources` (lists the older release did not know) are left out."""
    with source.connect() as conn, target.begin() as into:
        inspector = sa.inspect(into)
        kept = set(inspector.get_table_names())
        for name, table in metadata.tables.items():
            if name not in kept or name in ("alembic_version", "_models", "sync_runs"):
                continue
            columns = {c["name"] for c in inspector.get_columns(name)}
            found = conn.execute(sa.select(table))
            rows = [{k: v for k, v in r._mapping.items() if k in columns} for r in found]
            if name == "sync_state":
                rows = [r for r in rows if r["resource"] not in skip_resources]
            if rows:
                into.execute(table.insert(), rows)

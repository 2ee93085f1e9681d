"""Read-only views for `cfsync status` and the demo: partitions, recent runs, row counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..resources.catalog import CATALOG
from .schema import STATS_TABLES, metadata, rejects, sync_runs, sync_state

__all__ = ["newest_changes", "partitions", "recent_runs", "reject_count", "report", "row_counts"]


def _plain(row: sa.Row[Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row._mapping.items()}


def partitions(engine: Engine) -> list[dict[str, Any]]:
    query = sa.select(sync_state).order_by(
        sync_state.c.account, sync_state.c.resource, sync_state.c.workspace_id, sync_state.c.parent_id
    )
    with engine.connect() as conn:
        return [_plain(row) for row in conn.execute(query)]


def recent_runs(engine: Engine, limit: int = 10) -> list[dict[str, Any]]:
    query = sa.select(sync_runs).order_by(sync_runs.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [_plain(row) for row in conn.execute(query)]


def row_counts(engine: Engine) -> dict[str, int]:
    """Live rows per resource table and per child table, in catalog order, then the statistics' rows."""
    counts = {}
    with engine.connect() as conn:
        for resource in CATALOG.values():
            for name in (resource.name, *(c.name for c in resource.children)):
                table = metadata.tables[name]
                query = sa.select(sa.func.count()).select_from(table).where(table.c._deleted_at.is_(None))
                counts[name] = conn.scalar(query) or 0
        for name in STATS_TABLES:  # a daily series: its rows stay when their funnel goes
            counts[name] = conn.scalar(sa.select(sa.func.count()).select_from(metadata.tables[name])) or 0
    return counts


def reject_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(rejects)) or 0


def newest_changes(engine: Engine) -> dict[str, datetime]:
    """Per resource with updated_at, the newest `updated_at` among its live rows: how fresh the data is
    (whether a sync or a webhook applied it). Resources with no rows are left out."""
    out: dict[str, datetime] = {}
    with engine.connect() as conn:
        for resource in CATALOG.values():
            table = metadata.tables[resource.name]
            if "updated_at" not in table.c:
                continue
            newest = conn.scalar(
                sa.select(sa.func.max(table.c.updated_at)).where(table.c._deleted_at.is_(None))
            )
            if newest is not None:
                out[resource.name] = newest  # max() keeps the column's type: aware, in UTC
    return out


def report(engine: Engine, runs: int = 5) -> dict[str, Any]:
    """Where the database stands, as plain data: what `cfsync status --json` prints and `cfsync run`
    serves at /status (every partition, the recent runs, live rows per table, rejects, and per resource
    the newest change it holds)."""
    return {
        "partitions": partitions(engine),
        "runs": recent_runs(engine, runs),
        "rows": row_counts(engine),
        "rejects": reject_count(engine),
        "newest_change": {name: at.isoformat() for name, at in newest_changes(engine).items()},
    }

"""Daily statistics in the store: which parents are fetched, which days are stored, and one day written
(its summary and steps replaced in one transaction)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..engine.ports import Partition, WriteResult
from ..resources.stats import DailyStats, StatsRows
from .rows import scope_filter
from .schema import metadata

__all__ = ["StatsStore"]


class StatsStore:
    """Mixed into Store: the methods the engine's statistics pass calls (engine/stats.py)."""

    engine: Engine

    def stats_parents(self, parent: Partition) -> list[tuple[int, datetime | None]]:
        """The live, unarchived rows `parent`'s walk fills (funnels of a workspace), with their
        created_at: the parents whose statistics are fetched. A deleted or archived one keeps its rows."""
        table = metadata.tables[parent.resource.name]
        query = sa.select(table.c.id, table.c.created_at).where(
            table.c._deleted_at.is_(None), scope_filter(table, parent.resource, parent.key)
        )
        if "archived" in table.c:
            query = query.where(sa.or_(table.c.archived.is_(None), table.c.archived.is_(False)))
        with self.engine.connect() as conn:
            return [(row.id, row.created_at) for row in conn.execute(query.order_by(table.c.id))]

    def stats_fetched(self, stats: DailyStats, parent_id: int, since: date) -> dict[date, datetime]:
        """The days from `since` stored for the parent, each with when it was fetched."""
        table = metadata.tables[stats.name]
        query = sa.select(table.c.day, table.c.fetched_at).where(
            table.c[stats.parent_key] == parent_id, table.c.day >= since
        )
        with self.engine.connect() as conn:
            return {row.day: row.fetched_at for row in conn.execute(query)}

    def write_stats_day(self, stats: DailyStats, rows: StatsRows) -> tuple[WriteResult, WriteResult]:
        """One parent's day: its summary row and its step rows replace what was stored for that day, in
        one transaction. (summary, steps) counts: a day stored before counts as updated."""
        summary, steps = metadata.tables[stats.name], metadata.tables[stats.steps_name]
        parent_id, day = rows.summary[stats.parent_key], rows.summary["day"]
        with self.engine.begin() as conn:
            before = []
            for table in (summary, steps):
                where = sa.and_(table.c[stats.parent_key] == parent_id, table.c.day == day)
                before.append(conn.execute(sa.delete(table).where(where)).rowcount or 0)
            conn.execute(sa.insert(summary), [rows.summary])
            if rows.steps:
                conn.execute(sa.insert(steps), rows.steps)
        kept = min(before[1], len(rows.steps))
        return (
            WriteResult(inserted=0 if before[0] else 1, updated=1 if before[0] else 0),
            WriteResult(inserted=len(rows.steps) - kept, updated=kept, deleted=before[1] - kept),
        )

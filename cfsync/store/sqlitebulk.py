"""SQLite's fast path for a batch of rows: the statement compiled once per table, the rows bound as tuples.

SQLAlchemy's executemany builds a parameter dictionary per row and looks up each value's bind processor
again; for a sync's upserts that bookkeeping costs more than SQLite's own work. Here the INSERT (or
INSERT ... ON CONFLICT DO UPDATE) is compiled once, each column's bind processor is taken from its type
once, and the driver gets plain tuples. Values are converted exactly as SQLAlchemy would convert them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Dialect

__all__ = ["bulk_insert"]


class _Plan:
    """One table's statement for the driver, and how to turn a row into its parameters."""

    def __init__(self, dialect: Dialect, table: sa.Table, upsert_on: str | None) -> None:
        stmt = sqlite.insert(table)
        if upsert_on is not None:
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c[upsert_on]],
                set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name != upsert_on},
            )
        compiled = stmt.compile(dialect=dialect)
        if compiled.positiontup is None or len(compiled.positiontup) != len(table.columns):
            raise RuntimeError(f"unexpected INSERT for {table.name}: {compiled.string}")
        self.sql = compiled.string
        self.columns: list[tuple[str, Callable[[Any], Any] | None]] = [
            (name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup
        ]

    def parameters(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(row[name] if bind is None else bind(row[name]) for name, bind in self.columns)


# Per table name and columns: a table that gained columns (evolved) gets a plan of its own.
_PLANS: dict[tuple[str, tuple[str, ...], str | None], _Plan] = {}


def bulk_insert(
    conn: Connection, table: sa.Table, rows: list[dict[str, Any]], *, upsert_on: str | None
) -> None:
    """Insert `rows` (each with a value for every column) into `table`; with `upsert_on` (a key column),
    existing rows are rewritten instead."""
    if not rows:
        return
    key = (table.name, tuple(table.c.keys()), upsert_on)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _Plan(conn.dialect, table, upsert_on)
    conn.exec_driver_sql(plan.sql, [plan.parameters(row) for row in rows])

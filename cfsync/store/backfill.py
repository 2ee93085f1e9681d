"""Columns a migration added, filled from each stored row's `_raw`, a chunk per transaction.

A migration that adds columns records them in `_backfills` in its own transaction; the rows are filled
after it commits, here: in key order, each chunk with its progress in one transaction, so a kill loses at
most one chunk and the next run (any command that migrates) goes on from there. Values come from the row's
own `_raw` through the same transform a sync uses, so a filled row is what a sync of that record writes; a
row a sync rewrites meanwhile waits for its chunk (or was rewritten first and is read as rewritten), and a
value that does not fit its column stays NULL (and in `_raw`). On a big database this takes a while: it
says what it is doing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..logfmt import logfmt
from ..resources.catalog import CATALOG, Column
from ..resources.transform import fill_values
from .schema import backfills, metadata

__all__ = ["CHUNK", "fill_pending", "pending"]

log = logging.getLogger("cfsync.migrate")

CHUNK = 2000  # rows per transaction
_SAY_EVERY = 5.0  # seconds between progress lines


@dataclass(frozen=True)
class _Target:
    table: sa.Table
    key: str  # "id", or a child table's parent key (its rows are filled a parent at a time)
    columns: tuple[Column, ...]


def _target(table_name: str, names: list[str]) -> _Target:
    for resource in CATALOG.values():
        if resource.name == table_name:
            key, columns = "id", resource.columns
        else:
            child = next((c for c in resource.children if c.name == table_name), None)
            if child is None:
                continue
            key, columns = child.parent_key, child.columns
        chosen = tuple(c for c in columns if c.name in names)
        return _Target(metadata.tables[table_name], key, chosen)
    raise ValueError(f"_backfills names {table_name!r}, which the catalog does not have")


def pending(conn: Connection) -> list[tuple[str, list[str]]]:
    """(table, columns) still to fill, or [] (also before the revision that made `_backfills`)."""
    if not sa.inspect(conn).has_table(backfills.name):
        return []
    query = sa.select(backfills.c.table_name, backfills.c.columns).order_by(backfills.c.table_name)
    rows = conn.execute(query)
    return [(r.table_name, list(r.columns)) for r in rows]


def fill_pending(engine: Engine, *, chunk: int = CHUNK, clock: Callable[[], float] = time.monotonic) -> int:
    """Fill every recorded backfill to its end; returns the rows filled by this call."""
    with engine.connect() as conn:
        todo = pending(conn)
    filled = 0
    for table_name, names in todo:
        filled += _fill(engine, _target(table_name, names), chunk, clock)
    return filled


def _fill(engine: Engine, target: _Target, chunk: int, clock: Callable[[], float]) -> int:
    table, key = target.table, target.table.c[target.key]
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    what = {"table": table.name, "columns": ",".join(c.name for c in target.columns)}
    if total:
        log.info(logfmt(event="backfill_started", **what, rows=total, detail="filling new columns from _raw"))
    filled, said = 0, clock()
    while True:
        with engine.begin() as conn:
            # The first write takes the database's (SQLite) or this row's (PostgreSQL) write lock, so two
            # processes filling at once take turns, each reading the progress the other committed.
            claimed = conn.execute(
                sa.update(backfills)
                .where(backfills.c.table_name == table.name)
                .values(rows_done=backfills.c.rows_done)
                .returning(backfills.c.after_key, backfills.c.rows_done)
            ).first()
            if claimed is None:
                break  # another process finished it
            after, done = claimed
            keys = _next_keys(conn, key, after, chunk)
            if not keys:
                conn.execute(sa.delete(backfills).where(backfills.c.table_name == table.name))
                break
            count = _fill_rows(conn, target, keys)
            conn.execute(
                sa.update(backfills)
                .where(backfills.c.table_name == table.name)
                .values(after_key=keys[-1], rows_done=done + count)
            )
        filled += count
        if clock() - said >= _SAY_EVERY:
            said = clock()
            log.info(logfmt(event="backfill_progress", **what, done=done + count, rows=total))
    if total:
        log.info(logfmt(event="backfill_finished", **what, filled=filled))
    return filled


def _next_keys(conn: Connection, key: sa.Column[Any], after: int | None, n: int) -> list[int]:
    query = sa.select(key).distinct().order_by(key).limit(n)
    if after is not None:
        query = query.where(key > after)
    return [row[0] for row in conn.execute(query)]


def _fill_rows(conn: Connection, target: _Target, keys: list[int]) -> int:
    table = target.table
    pk = [c for c in table.primary_key.columns]
    # Locked until the chunk commits (PostgreSQL; SQLite's whole database is, by the write above): a sync
    # rewriting one of these rows waits, then writes its own values, consistent with its own _raw.
    # _raw as text, parsed here by orjson: several times faster than the JSON type's own parsing.
    raw_text = sa.cast(table.c._raw, sa.Text).label("raw")
    query = sa.select(*pk, raw_text).where(table.c[target.key].in_(keys)).with_for_update()
    updates = []
    for row in conn.execute(query):
        raw = orjson.loads(row.raw) if row.raw else None
        values = fill_values(target.columns, raw if isinstance(raw, dict) else {})
        updates.append(
            {**{f"v_{n}": v for n, v in values.items()}, **{f"k_{c.name}": row._mapping[c] for c in pk}}
        )
    if not updates:
        return 0
    statement = (
        sa.update(table)
        .where(*(c == sa.bindparam(f"k_{c.name}") for c in pk))
        .values({c.name: sa.bindparam(f"v_{c.name}") for c in target.columns})
    )
    conn.execute(statement, updates)
    return len(updates)

"""Columns a migration added, filled from each stored row's `_raw`, a chunk per transaction.

A migration that adds columns records them in `_backfills` in its own transaction; the rows are filled
after it commits, here: in key order, each chunk with its progress in one transaction, so a kill loses at
most one chunk and the next run (any command that migrates) goes on from there. Values come from the row's
own `_raw` through the same transform a sync uses, so a filled row is what a sync of that record writes; a
row a sync rewrites meanwhile waits for its chunk (or was rewritten first and is read as rewritten), and a
value that does not fit its column stays NULL (and in `_raw`). On a big database this takes a while: it
says what it is doing.

A child table a migration adds (contacts__visits) is recorded with the columns `["*"]`: its rows are made
from each parent row's `_raw`, a chunk of parents per transaction, replacing any the parent has (a sync
that wrote them first wrote the same, from the same `_raw`). Its progress counts parents.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..errors import RecordError
from ..logfmt import logfmt
from ..resources.catalog import CATALOG, ChildTable, Column
from ..resources.transform import child_rows, fill_values
from .rows import loader
from .schema import backfills, metadata

__all__ = ["CHUNK", "EVERY_ROW", "fill_pending", "parents_query", "pending", "rows_from_parents"]

log = logging.getLogger("cfsync.migrate")

CHUNK = 2000  # rows per transaction
_SAY_EVERY = 5.0  # seconds between progress lines


# Ids a child row takes from its parent's row.
_PLACED = ("workspace_id",)

# `_backfills.columns` of a child table whose rows are all made from their parents' `_raw`.
EVERY_ROW = "*"


@dataclass(frozen=True)
class _Target:
    table: sa.Table
    key: str  # "id", or a child table's parent key (its rows are filled a parent at a time)
    columns: tuple[Column, ...]
    child: ChildTable | None = None  # the rows of this child table are made from the parents (`source`)
    source: sa.Table | None = None  # the parent table

    @property
    def read(self) -> sa.Table:
        """The table whose rows are walked in key order."""
        return self.source if self.source is not None else self.table


def _target(table_name: str, names: list[str]) -> _Target:
    for resource in CATALOG.values():
        if resource.name == table_name:
            key, columns = "id", resource.columns
        else:
            child = next((c for c in resource.children if c.name == table_name), None)
            if child is None:
                continue
            if names == [EVERY_ROW]:
                parent = metadata.tables[resource.name]
                return _Target(metadata.tables[table_name], "id", child.columns, child, parent)
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
    table, key = target.table, target.read.c[target.key]
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(target.read)).scalar_one()
    if target.child is None:
        what = {"table": table.name, "columns": ",".join(c.name for c in target.columns)}
        detail = "filling new columns from _raw"
    else:
        what = {"table": table.name, "from": target.read.name}
        detail = f"making its rows from each {target.read.name} row's _raw"
    if total:
        log.info(logfmt(event="backfill_started", **what, rows=total, detail=detail))
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
            count = _fill_rows(conn, target, keys) if target.child is None else _make_rows(conn, target, keys)
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


def _make_rows(conn: Connection, target: _Target, keys: list[int]) -> int:
    """A child table's rows for these parents, made from the parents' `_raw` as a sync makes them; the
    parents are locked until the chunk commits, so a sync rewriting one waits and then writes its own."""
    child, parent, table = target.child, target.read, target.table
    assert child is not None
    query = parents_query(parent, table).where(parent.c.id.in_(keys)).with_for_update()
    found = conn.execute(query).all()
    rows = rows_from_parents(found, child, parent.name)
    conn.execute(sa.delete(table).where(table.c[child.parent_key].in_(keys)))
    if rows:
        loader(conn)(conn, table, rows, upsert_on=None)
    return len(found)


def parents_query(parent: sa.Table, table: sa.Table) -> sa.Select[Any]:
    """The parent rows' columns that a child table's rows are made from: id, `_raw` as text (parsed by
    orjson: several times faster than the JSON type's own parsing), times, and the ids that place them."""
    placed = [parent.c[c] for c in _PLACED if c in parent.c and c in table.c]
    raw_text = sa.cast(parent.c._raw, sa.Text).label("raw")
    return sa.select(parent.c.id, raw_text, parent.c._synced_at, parent.c._deleted_at, *placed)


def rows_from_parents(found: Sequence[Any], child: ChildTable, where: str) -> list[dict[str, Any]]:
    """A child table's rows for parent rows read with `parents_query`, as a sync makes them. A parent
    whose items do not fit keeps none (a sync would have set it aside); its _raw has them."""
    rows: list[dict[str, Any]] = []
    for parent in found:
        raw = orjson.loads(parent.raw) if parent.raw else None
        value = raw.get(child.field) if isinstance(raw, dict) else None
        placed = {c: parent._mapping[c] for c in _PLACED if c in parent._mapping}
        try:
            made = child_rows(child, value, parent.id, placed, parent._synced_at, where)
        except RecordError:
            continue
        rows += [{**r, "_deleted_at": parent._deleted_at} for r in made]
    return rows

"""PostgreSQL's fastest safe load: COPY a batch into a temporary table, then one INSERT ... ON CONFLICT (a
few rows: one INSERT ... VALUES ... ON CONFLICT).

COPY skips per-row statements and parameter parsing; the merge keeps the upsert's semantics. Both run in
the caller's transaction, so rows and cursors still commit together.
"""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from .types import json_text

__all__ = ["copy_insert"]


# Below this many rows one INSERT ... VALUES (...), (...) is one round trip where COPY and its temporary
# table take four (most pages of nested lists hold a few records). Measured: a first sync of 300 small
# partitions writes in 2.6 s instead of 4.8; at 50 rows a page of contacts and its tags took 10 % longer
# than COPY (SQLAlchemy compiling a statement of that many rows each time).
SMALL = 10


def copy_insert(
    conn: Connection, table: sa.Table, rows: list[dict[str, Any]], *, upsert_on: str | None
) -> None:
    """Insert `rows` into `table`; with `upsert_on` (a key column), existing rows are rewritten instead."""
    if not rows:
        return
    if len(rows) < SMALL:
        stmt = postgresql.insert(table).values(rows)
        if upsert_on is not None:
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c[upsert_on]],
                set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name != upsert_on},
            )
        conn.execute(stmt)
        return
    try:
        _load(conn.connection.driver_connection, table, rows, upsert_on)
    except psycopg.Error as exc:
        # The same exceptions SQLAlchemy raises for its own statements (IntegrityError, ...).
        raise sa.exc.DBAPIError.instance(f"COPY into {table.name}", None, exc, psycopg.Error) from None


def _load(raw: Any, table: sa.Table, rows: list[dict[str, Any]], upsert_on: str | None) -> None:
    columns = [c.name for c in table.columns]
    json_columns = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    names = ", ".join(f'"{c}"' for c in columns)
    # Named for the columns too: a table that gained columns (evolved) needs a temporary table like it now.
    digest = hashlib.sha1(",".join(columns).encode()).hexdigest()[:10]
    temp = f"_cfsync_load_{digest}_{table.name}"[:63]
    with raw.cursor() as cursor:
        # One temporary table per table and session, emptied at each commit and after each merge. Asked
        # for every time: a rolled-back transaction takes a table it created with it.
        cursor.execute(
            f'CREATE TEMP TABLE IF NOT EXISTS "{temp}" (LIKE "{table.name}") ON COMMIT DELETE ROWS'
        )
        with cursor.copy(f'COPY "{temp}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([_jsonb(row[c]) if c in json_columns else row[c] for c in columns])
        merge = f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{temp}"'
        if upsert_on is not None:
            updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in columns if c != upsert_on)
            merge += f' ON CONFLICT ("{upsert_on}") DO UPDATE SET {updates}'
        cursor.execute(merge)
        cursor.execute(f'DELETE FROM "{temp}"')


def _jsonb(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value, json_text)

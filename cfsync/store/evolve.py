"""Columns and child tables added for fields the API started sending ([sync].schema = "evolve").

`Evolution` is one store's registry of them, read from `_schema_changes`: the catalog resource extended
with its evolved columns and child tables, and their tables. `make_changes` adds what a page needs, each
field in a transaction of its own that commits before the page's: on PostgreSQL under an advisory lock
(workers meeting the same field at once take turns, and the later one finds the column there), on SQLite
under the database's write lock (BEGIN IMMEDIATE). In that transaction the table's real columns are read
again, the column is added, the rows stored before are filled from their `_raw` (one UPDATE per column,
with the database's JSON functions, writing only values that fit, stored as the Python transform stores
them), and the change is recorded. A new child table is created and its rows made from the parents' `_raw`
in the same transaction: a kill leaves either all of it or nothing, and the next page does it again.
Afterwards the registry is read again, so a peer's earlier change (perhaps of another type) wins.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from ..resources.catalog import CATALOG, CENTS, ChildTable, Column, Resource
from ..resources.evolve import CHILD_TABLE, Evolved, change_label, parent_key
from .backfill import parents_query, rows_from_parents
from .db import sqlite_migration_engine
from .rows import loader
from .schema import column_type, metadata, schema_changes
from .tables import child_table_of, table_of

__all__ = ["SCHEMA_LOCK", "Evolution", "fill_expression", "make_changes", "present_sql"]

# pg_advisory_xact_lock key of schema changes: one at a time in the whole database.
SCHEMA_LOCK = 0x6366_7363_6865_6D61  # "cfschema"
_CHUNK = 2000  # parents read per statement when making an evolved child table's rows


class Evolution:
    """The evolved columns and child tables of one database, read from `_schema_changes` at first use and
    again after each change."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._rows: list[Any] | None = None
        self._resources: dict[str, Resource] = {}
        self._lock = threading.RLock()

    def load(self) -> None:
        with self.engine.connect() as conn:
            rows = list(conn.execute(sa.select(schema_changes).order_by(schema_changes.c.id)))
        with self._lock:
            self._rows, self._resources = rows, {}

    def rows(self) -> list[Any]:
        with self._lock:
            if self._rows is None:
                self.load()
            assert self._rows is not None
            return self._rows

    def resource(self, resource: Resource) -> Resource:
        """The resource with its evolved columns and child tables (itself when it has none)."""
        with self._lock:
            rows = self.rows()
            found = self._resources.get(resource.name)
            if found is None or found.columns[: len(resource.columns)] != resource.columns:
                found = self._resources[resource.name] = _extended(resource, rows)
            return found

    def table(self, name: str) -> sa.Table:
        """A table by name: the static one, its copy with evolved columns, or an evolved child table."""
        for resource_name in sorted({r.resource for r in self.rows()}):
            if resource_name not in CATALOG:
                continue
            resource = self.resource(CATALOG[resource_name])
            if resource.name == name:
                return table_of(resource)
            for child in resource.children:
                if child.name == name:
                    return child_table_of(resource, child)
        return metadata.tables[name]

    def changed_at(self, resource: str) -> datetime | None:
        """When the newest column or child table filled by `resource`'s walk was added (this registry)."""
        times = [r.first_seen_at for r in self.rows() if r.resource == resource]
        return max(times) if times else None


def _column(row: Any) -> Column:
    return Column(row.column_name, row.kind, row.source, f"{row.kind} (evolved)", evolved=True)


def _extended(resource: Resource, rows: list[Any]) -> Resource:
    mine = [r for r in rows if r.resource == resource.name]
    if not mine:
        return resource

    def columns_of(table: str, have: Sequence[Column]) -> tuple[Column, ...]:
        names = {c.name for c in have}
        return tuple(
            _column(r)
            for r in mine
            if r.table_name == table and r.kind != CHILD_TABLE and r.column_name not in names
        )

    columns = resource.columns + columns_of(resource.name, resource.columns)
    children = [replace(c, columns=c.columns + columns_of(c.name, c.columns)) for c in resource.children]
    fields = {c.field for c in children} | {c.name for c in columns}
    key = parent_key(resource)
    for row in mine:
        if row.kind == CHILD_TABLE and row.table_name == resource.name and row.column_name not in fields:
            name = f"{resource.name}__{row.column_name}"
            children.append(ChildTable(name, row.column_name, key, columns_of(name, ())))
    return replace(resource, columns=columns, children=tuple(children))


# -- making a change -------------------------------------------------------------------------------------


def make_changes(
    engine: Engine, resource: Resource, evolved: Evolved, run_id: int | None, now: datetime | None = None
) -> list[str]:
    """Make the changes `evolved` names for `resource` (the evolved one the page was checked against), each
    field in its own committed transaction; the labels of those this call made ("contacts.score integer")."""
    now = now or datetime.now(UTC)
    made: list[str] = []
    with _changing(engine) as changing:
        for table_name, columns in _fields(evolved):
            made += changing(
                lambda conn, t=table_name, cs=columns: _add_columns(conn, resource, t, cs, run_id, now)
            )
        for child in evolved.children:
            made += changing(lambda conn, c=child: _add_child(conn, resource, c, run_id, now))
    return made


def _fields(evolved: Evolved) -> Iterator[tuple[str, list[Column]]]:
    """Columns grouped per field: a money column with its cents twin (added together, or a kill between
    them would leave the decimal without its twin for good)."""
    group: list[Column] = []
    table = ""
    for table_name, column in evolved.columns:
        if column.kind == CENTS and group and table_name == table:
            group.append(column)
            continue
        if group:
            yield table, group
        table, group = table_name, [column]
    if group:
        yield table, group


class _changing:
    """Runs each change in a transaction of its own that holds the database's schema lock."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        # SQLite: a transaction that holds DDL and takes the write lock first (BEGIN IMMEDIATE).
        self.ddl = sqlite_migration_engine(engine.url) if self.sqlite else engine

    def __enter__(self) -> Any:
        return self.run

    def __exit__(self, *exc: object) -> None:
        if self.sqlite:
            self.ddl.dispose()

    def run(self, change: Any) -> list[str]:
        with self.ddl.begin() as conn:
            if not self.sqlite:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _signed(SCHEMA_LOCK)})
            made: list[str] = change(conn)
        return made


def _signed(key: int) -> int:
    return key - 2**64 if key >= 2**63 else key


def _real_columns(conn: Connection, table: str) -> set[str] | None:
    """The table's columns as the database has them now (None: no such table)."""
    if conn.dialect.name == "sqlite":
        found = {row[1] for row in conn.exec_driver_sql(f'PRAGMA table_info("{table}")')}
        return found or None
    query = sa.text(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = :t"
    )
    found = set(conn.scalars(query, {"t": table}))
    return found or None


def _record(conn: Connection, rows: list[dict[str, Any]]) -> list[str]:
    """Insert the change rows not recorded yet; the labels of those inserted."""
    insert = sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert
    made = []
    for row in rows:
        stmt = insert(schema_changes).values(row).on_conflict_do_nothing()
        if conn.execute(stmt).rowcount:
            made.append(change_label(row["table_name"], row["column_name"], row["kind"]))
    return made


def _change_row(
    table: str, column: str, resource: Resource, kind: str, source: str, run_id: int | None, now: datetime
) -> dict[str, Any]:
    return {
        "table_name": table,
        "column_name": column,
        "resource": resource.name,
        "kind": kind,
        "source": source,
        "first_seen_at": now,
        "run_id": run_id,
    }


def _add_columns(
    conn: Connection, resource: Resource, table: str, columns: list[Column], run_id: int | None, now: datetime
) -> list[str]:
    real = _real_columns(conn, table)
    if real is None:
        return []  # an evolved child table a peer has not made: its own change comes first
    missing = [c for c in columns if c.name not in real]
    if not missing:
        return []  # a peer added it (perhaps with another type): the registry, read again, says which
    postgres = conn.dialect.name == "postgresql"
    for col in missing:
        sql_type = column_type(col.kind).compile(dialect=conn.dialect)
        exists = " IF NOT EXISTS" if postgres else ""
        conn.exec_driver_sql(f'ALTER TABLE "{table}" ADD COLUMN{exists} "{col.name}" {sql_type}')
        field = col.source.rpartition(".")[2] if "." in col.source else col.source
        value = fill_expression(conn.dialect.name, col.kind, field)
        present = present_sql(conn.dialect.name, field)
        conn.exec_driver_sql(f'UPDATE "{table}" SET "{col.name}" = {value} WHERE {present}')
    rows = [_change_row(table, c.name, resource, c.kind, c.source, run_id, now) for c in missing]
    return _record(conn, rows)


def _add_child(
    conn: Connection, resource: Resource, child: ChildTable, run_id: int | None, now: datetime
) -> list[str]:
    if _real_columns(conn, child.name) is not None:
        return []  # a peer made it
    table = child_table_of(resource, child)
    table.create(conn, checkfirst=True)
    _make_child_rows(conn, resource, child, table)
    rows = [_change_row(resource.name, child.field, resource, CHILD_TABLE, f"{child.field}[]", run_id, now)]
    rows += [_change_row(child.name, c.name, resource, c.kind, c.source, run_id, now) for c in child.columns]
    return _record(conn, rows)[:1]  # its columns come with it


def _make_child_rows(conn: Connection, resource: Resource, child: ChildTable, table: sa.Table) -> None:
    """The rows of a new child table for the stored parents whose `_raw` has the array, as a sync (and a
    migration's backfill) makes them, a chunk of parents per statement."""
    parent = metadata.tables[resource.name]
    present = sa.text(present_sql(conn.dialect.name, child.field, f'"{parent.name}"._raw', array=True))
    after: int | None = None
    load = loader(conn)
    while True:
        query = parents_query(parent, table).where(present).order_by(parent.c.id).limit(_CHUNK)
        if after is not None:
            query = query.where(parent.c.id > after)
        found = conn.execute(query).all()
        if not found:
            return
        load(conn, table, rows_from_parents(found, child, resource.name), upsert_on=None)
        after = found[-1].id


# -- filling a column from _raw ----------------------------------------------------------------------------


def present_sql(dialect: str, field: str, raw: str = "_raw", *, array: bool = False) -> str:
    """SQL: the stored record has the field (not null; with `array`, an array)."""
    if dialect == "sqlite":
        wanted = "= 'array'" if array else "NOT IN ('null')"
        return f"json_type({raw}, '$.{field}') {wanted}"
    wanted = "= 'array'" if array else "<> 'null'"
    return f"jsonb_typeof({raw} -> '{field}') {wanted}"


def fill_expression(dialect: str, kind: str, field: str) -> str:
    """SQL: a column's value from a row's `_raw`, NULL when it does not fit, stored as the Python transform
    stores it (on SQLite a timestamp is text 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, a decimal a number). The
    guards are narrower than the transform where SQL cannot match it exactly (a timestamp with 1, 2, 4 or 5
    digits of fraction, a cents value of an amount with more than two decimals): those stay NULL."""
    return (_sqlite_fill if dialect == "sqlite" else _postgres_fill)(kind, field)


def _sqlite_fill(kind: str, field: str) -> str:
    v = f"json_extract(_raw, '$.{field}')"
    t = f"json_type(_raw, '$.{field}')"
    s = f"trim({v})"
    unsigned = f"ltrim({s}, '-')"
    digits = (
        f"({unsigned} <> '' AND {unsigned} NOT GLOB '*[^0-9]*' AND length({s}) - length({unsigned}) <= 1)"
    )
    decimal_text = _decimal_glob(s)
    if kind in ("integer", "id"):
        return (
            f"CASE WHEN {t} = 'integer' THEN {v} "
            f"WHEN {t} = 'real' AND {v} = CAST({v} AS INTEGER) AND abs({v}) < 1e15 THEN CAST({v} AS INTEGER) "
            f"WHEN {t} = 'text' AND {digits} AND length({unsigned}) <= 18 THEN CAST({s} AS INTEGER) END"
        )
    if kind == "decimal":
        return (
            f"CASE WHEN {t} IN ('integer', 'real') THEN {v} "
            f"WHEN {t} = 'text' AND {decimal_text} THEN CAST({s} AS REAL) END"
        )
    if kind == "cents":
        text = f"(CASE WHEN {t} = 'text' THEN {s} WHEN {t} IN ('integer', 'real') THEN CAST({v} AS TEXT) END)"
        exact = f"({_decimal_glob(text)} AND {text} NOT GLOB '*.[0-9][0-9][0-9]*' AND length({text}) <= 16)"
        return f"CASE WHEN {exact} THEN CAST(round(CAST({text} AS REAL) * 100) AS INTEGER) END"
    if kind == "boolean":
        return f"CASE {t} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END"
    if kind == "text":
        return (
            f"CASE {t} WHEN 'text' THEN {v} WHEN 'integer' THEN CAST({v} AS TEXT) "
            "WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' END"
        )
    if kind == "timestamp":
        base = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][T ][0-2][0-9]:[0-5][0-9]:[0-5][0-9]"
        fractions = ("", ".[0-9][0-9][0-9]", ".[0-9][0-9][0-9][0-9][0-9][0-9]")
        zones = ("", "Z", "[+-][0-9][0-9]:[0-9][0-9]")
        shapes = " OR ".join(f"{s} GLOB '{base}{f}{z}'" for f in fractions for z in zones)
        micro = (
            f"CASE WHEN substr({s}, 20, 1) <> '.' THEN '000000' "
            f"WHEN substr({s}, 24, 1) GLOB '[0-9]' THEN substr({s}, 21, 6) "
            f"ELSE substr({s}, 21, 3) || '000' END"
        )
        return (
            f"CASE WHEN {t} = 'text' AND ({shapes}) AND date(substr({s}, 1, 10)) = substr({s}, 1, 10) "
            f"THEN strftime('%Y-%m-%d %H:%M:%S', {s}) || '.' || {micro} END"
        )
    # json: the value's JSON text, as the transform's rows store it (null: NULL)
    return f"CASE WHEN {t} <> 'null' THEN _raw -> '$.{field}' END"


def _decimal_glob(text: str) -> str:
    """SQLite: `text` is digits with at most one inner point, after at most one minus sign."""
    plain = f"ltrim({text}, '-')"
    return (
        f"({plain} <> '' AND {plain} NOT GLOB '*[^0-9.]*' AND {plain} NOT GLOB '*.*.*' "
        f"AND {plain} NOT GLOB '.*' AND {plain} NOT GLOB '*.' AND length({text}) - length({plain}) <= 1)"
    )


def _postgres_fill(kind: str, field: str) -> str:
    v = f"(_raw ->> '{field}')"
    t = f"jsonb_typeof(_raw -> '{field}')"
    s = f"btrim({v})"
    if kind in ("integer", "id"):
        return (
            f"CASE WHEN {t} = 'number' AND {v} ~ '^-?[0-9]{{1,18}}$' THEN {v}::bigint "
            f"WHEN {t} = 'number' AND {v} ~ '^-?[0-9]{{1,15}}\\.0+$' THEN {v}::numeric::bigint "
            f"WHEN {t} = 'string' AND {s} ~ '^-?[0-9]{{1,18}}$' THEN {s}::bigint END"
        )
    number = (
        f"(CASE WHEN {t} = 'number' AND {v} ~ '^-?[0-9]{{1,30}}(\\.[0-9]{{1,30}})?$' THEN {v}::numeric "
        f"WHEN {t} = 'string' AND {s} ~ '^-?[0-9]{{1,30}}(\\.[0-9]{{1,30}})?$' THEN {s}::numeric END)"
    )
    if kind == "decimal":
        return number
    if kind == "cents":
        return (
            f"CASE WHEN abs({number}) < 1e16 AND {number} * 100 = trunc({number} * 100) "
            f"THEN ({number} * 100)::bigint END"
        )
    if kind == "boolean":
        return f"CASE WHEN {t} = 'boolean' THEN {v}::boolean END"
    if kind == "text":
        return (
            f"CASE WHEN {t} IN ('string', 'boolean') THEN {v} "
            f"WHEN {t} = 'number' AND {v} ~ '^-?[0-9]+$' THEN {v} END"
        )
    if kind == "timestamp":
        day = (
            "([0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
            "|02-(0[1-9]|1[0-9]|2[0-8]))"
            "|([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29)"
        )
        time = "[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?"
        return (
            f"CASE WHEN {t} = 'string' AND {s} ~ '^{day}{time}(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$' "
            f"THEN {s}::timestamptz "
            f"WHEN {t} = 'string' AND {s} ~ '^{day}{time}$' THEN {s}::timestamp AT TIME ZONE 'UTC' END"
        )
    return f"CASE WHEN {t} <> 'null' THEN _raw -> '{field}' END"

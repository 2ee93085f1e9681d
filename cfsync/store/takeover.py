"""A release whose catalog has a column (or a child table) that evolution added earlier takes it over.

Evolution adds columns a cfsync release does not know yet. A later release may know the field, and its
migration then adds it as a catalog column, perhaps with another type than the one the values suggested.
So `cfsync db upgrade`, in the migration's transaction, first drops the evolved column (or child table)
the head's catalog defines and forgets its change, lets the migration add it, and then fills it from the
rows' `_raw` with the catalog's type (a child table: its rows made again from the parents, through
`_backfills`). Nothing is lost: every value is in `_raw`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..resources.catalog import CATALOG, Column
from ..resources.evolve import CHILD_TABLE
from .evolve import fill_expression, present_sql
from .schema import backfills, schema_changes

__all__ = ["Taken", "catalog_columns", "refill", "release"]


@dataclass(frozen=True)
class Taken:
    table: str
    column: str  # a child table's field when `child`
    kind: str  # the catalog's kind, for the refill
    field: str  # the API field in `_raw`
    child: bool = False


def catalog_columns() -> dict[tuple[str, str], Column]:
    """(table, column) -> Column of every catalog table and child table of this release."""
    found: dict[tuple[str, str], Column] = {}
    for resource in CATALOG.values():
        found.update(((resource.name, c.name), c) for c in resource.columns)
        for child in resource.children:
            field = Column(child.field, CHILD_TABLE, f"{child.field}[]", "array")
            found[(resource.name, child.field)] = field
            found.update(((child.name, c.name), c) for c in child.columns)
    return found


def release(conn: Connection, catalog: dict[tuple[str, str], Column] | None = None) -> list[Taken]:
    """Before the migrations run: drop what evolution added that the catalog now has, and forget it."""
    if not sa.inspect(conn).has_table(schema_changes.name):
        return []
    known = catalog_columns() if catalog is None else catalog
    rows = [r for r in conn.execute(sa.select(schema_changes)) if (r.table_name, r.column_name) in known]
    q = conn.dialect.identifier_preparer.quote
    children = {f"{r.table_name}__{r.column_name}": r for r in rows if r.kind == CHILD_TABLE}
    taken: list[Taken] = []
    for name, row in children.items():
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {q(name)}")
        conn.execute(sa.delete(schema_changes).where(schema_changes.c.table_name == name))
        conn.execute(sa.delete(schema_changes).where(schema_changes.c.id == row.id))
        taken.append(Taken(name, row.column_name, CHILD_TABLE, row.column_name, child=True))
    for row in rows:
        if row.kind == CHILD_TABLE or row.table_name in children:
            continue
        conn.exec_driver_sql(f"ALTER TABLE {q(row.table_name)} DROP COLUMN {q(row.column_name)}")
        conn.execute(sa.delete(schema_changes).where(schema_changes.c.id == row.id))
        column = known[(row.table_name, row.column_name)]
        taken.append(Taken(row.table_name, row.column_name, column.kind, column.source.rpartition(".")[2]))
    return taken


def refill(conn: Connection, taken: list[Taken], revision: str) -> None:
    """After the migrations added them back as catalog columns: their values from `_raw`, with the
    catalog's type; a child table's rows are made again by the backfill that follows the upgrade."""
    q = conn.dialect.identifier_preparer.quote
    dialect = conn.dialect.name
    for t in taken:
        if t.child:
            exists = sa.select(backfills.c.table_name).where(backfills.c.table_name == t.table)
            if conn.scalar(exists) is None:
                row = {"table_name": t.table, "columns": ["*"], "revision": revision}
                conn.execute(sa.insert(backfills).values(row))
            continue
        value = fill_expression(dialect, t.kind, t.field)
        conn.exec_driver_sql(
            f"UPDATE {q(t.table)} SET {q(t.column)} = {value} WHERE {present_sql(dialect, t.field)}"
        )

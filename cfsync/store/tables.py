"""The table a resource's rows go to: the static one of the catalog, or, once columns were added for fields
the API started sending, a copy of it with them (and the tables of evolved child arrays).

Derived from the (evolved) Resource itself, so every writer that holds the resource writes every column it
knows; copies live on their own MetaData, cached per shape, never in the migrations' metadata.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa

from ..resources.catalog import ID, ChildTable, Resource
from .schema import child_table, column_comment, column_type, metadata

__all__ = ["child_table_of", "table_of"]

_cache: dict[tuple[str, tuple[object, ...]], sa.Table] = {}
_lock = threading.Lock()


def table_of(resource: Resource) -> sa.Table:
    """The resource's own table with its evolved columns."""
    static = metadata.tables[resource.name]
    extra = tuple(c for c in resource.columns if c.evolved and c.name not in static.c)
    if not extra:
        return static
    key = (resource.name, extra)
    with _lock:
        table = _cache.get(key)
        if table is None:
            meta = sa.MetaData()
            table = static.to_metadata(meta)
            for col in extra:
                kind = "integer" if col.kind == ID else col.kind
                table.append_column(sa.Column(col.name, column_type(kind), comment=column_comment(col)))
            _cache[key] = table
        return table


def child_table_of(resource: Resource, child: ChildTable) -> sa.Table:
    """A child table with its evolved columns, or an evolved child table."""
    static = metadata.tables.get(child.name)
    if static is not None and all(c.name in static.c for c in child.columns):
        return static
    key = (child.name, (resource.workspace_scoped, child))
    with _lock:
        table = _cache.get(key)
        if table is None:
            table = _cache[key] = child_table(resource, child, sa.MetaData())
        return table

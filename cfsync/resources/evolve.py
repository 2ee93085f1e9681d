"""Fields the API started sending: which of a page's keys are new, and the columns (or child table) each one
gets, typed from the values seen. Pure functions; the store makes the changes (store/evolve.py).

A field is new when a record (or an item of a child array) has a key its table has no column for, that is
not a child table's field and not one of cfsync's own columns. Its kind is the most specific one every
non-null value of the page fits; a field seen only null or `[]` waits until a value shows its type.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .catalog import (
    BOOLEAN,
    CENTS,
    CENTS_SUFFIX,
    DECIMAL,
    INTEGER,
    JSON,
    KIND,
    TEXT,
    TIMESTAMP,
    ChildTable,
    Column,
    Resource,
    is_money,
)
from .facts import object_name

__all__ = [
    "CHILD_TABLE",
    "OWN_COLUMNS",
    "Evolved",
    "change_label",
    "infer",
    "known_fields",
    "new_keys",
    "parent_key",
    "valid_name",
]

log = logging.getLogger("cfsync.schema")

# cfsync's own column names: never an API field's column.
OWN_COLUMNS = frozenset({"_raw", "_synced_at", "_deleted_at", "_account", "_position", KIND})
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,58}$")
_TABLE_NAME_MAX = 63  # PostgreSQL cuts longer identifiers
# A date and a time, `T` or a space between: what the transform reads as a timestamp.
_DATE_TIME = re.compile(r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_DECIMAL_TEXT = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")
_warned: set[str] = set()

# `_schema_changes.kind` of a field whose items became a child table (the others are column kinds).
CHILD_TABLE = "table"


def change_label(table: str, column: str, kind: str) -> str:
    """A schema change as summaries, logs and metrics name it: "contacts.score integer", or for a child
    table "contacts__badges table"."""
    return f"{table}__{column} {kind}" if kind == CHILD_TABLE else f"{table}.{column} {kind}"


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


@dataclass(frozen=True)
class Evolved:
    """What a page needs: columns to add to existing tables ((table, column), a money column before its
    cents twin) and new child tables (their columns inferred from every item seen)."""

    columns: tuple[tuple[str, Column], ...] = ()
    children: tuple[ChildTable, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.columns or self.children)


def parent_key(resource: Resource) -> str:
    """The column of a child row holding its parent's id, as the catalog names it."""
    if resource.children:
        return resource.children[0].parent_key
    if resource.envelope is not None and resource.parent_param:
        return resource.parent_param
    base = object_name(resource.schema) if resource.schema != "inline" else resource.name.removesuffix("s")
    return base + "_id"


def known_fields(resource: Resource) -> frozenset[str]:
    """Keys of a record that are not new: its columns, its child tables' fields, cfsync's own names."""
    return frozenset(
        (*resource.column_names, *(c.field for c in resource.children), *resource.extra_columns, *OWN_COLUMNS)
    )


def _child_known(child: ChildTable, scoped: bool) -> frozenset[str]:
    own = {child.parent_key, *OWN_COLUMNS, *(("workspace_id",) if scoped else ())}
    return frozenset((*(c.name for c in child.columns), *own))


def new_keys(resource: Resource, records: Iterable[Any]) -> bool:
    """Whether any record (or child item) has a key its table does not know: the cheap test run per page."""
    known = known_fields(resource)
    children = [(c, _child_known(c, resource.workspace_scoped)) for c in resource.children]
    for record in records:
        if not isinstance(record, Mapping):
            continue
        if not known.issuperset(record):
            return True
        for child, child_known in children:
            for item in _child_items(child, record.get(child.field)):
                if not child_known.issuperset(item):
                    return True
    return False


def infer(resource: Resource, records: Sequence[Any]) -> Evolved:
    """The columns and child tables `records` need that `resource` lacks."""
    records = [r for r in records if isinstance(r, Mapping)]
    columns: list[tuple[str, Column]] = []
    children: list[ChildTable] = []
    known = known_fields(resource)
    taken = set(known)
    key = parent_key(resource)
    for name, values in _new_values(records, known).items():
        if not _usable(f"{resource.name}.{name}"):
            continue
        if _objects(values):
            child_name = f"{resource.name}__{name}"
            if len(child_name) > _TABLE_NAME_MAX:
                _warn(child_name, "a table name longer than 63 characters")
                continue
            items = [item for v in values for item in v]
            own = frozenset({key, *OWN_COLUMNS, *(("workspace_id",) if resource.workspace_scoped else ())})
            child_columns = _columns_for(child_name, items, own, prefix=f"{name}[].")
            children.append(ChildTable(child_name, name, key, tuple(child_columns)))
            continue
        siblings = {k for r in records for k in r}
        columns += [(resource.name, c) for c in _column(name, values, name, siblings, taken)]
        taken |= {c.name for _, c in columns}
    for child in resource.children:
        items = [i for r in records for i in _child_items(child, r.get(child.field))]
        if not items:
            continue
        child_known = _child_known(child, resource.workspace_scoped)
        shape = f"{child.field}.*." if child.keyed else f"{child.field}[]."
        for column in _columns_for(child.name, items, child_known, prefix=shape):
            columns.append((child.name, column))
    return Evolved(tuple(columns), tuple(children))


def _child_items(child: ChildTable, value: Any) -> list[Mapping[str, Any]]:
    members: Iterable[Any] = ()
    if child.keyed and isinstance(value, Mapping):
        members = value.values()
    elif not child.keyed and isinstance(value, list):
        members = value
    return [m for m in members if isinstance(m, Mapping)]


def _new_values(records: Sequence[Mapping[str, Any]], known: frozenset[str]) -> dict[str, list[Any]]:
    """Per new key (in the order first met), its values that show a type (not null, not [])."""
    found: dict[str, list[Any]] = {}
    for record in records:
        for name, value in record.items():
            if name in known:
                continue
            values = found.setdefault(name, [])
            if value is not None and value != []:
                values.append(value)
    return {name: values for name, values in found.items() if values}


def _columns_for(
    table: str, items: Sequence[Mapping[str, Any]], known: frozenset[str], prefix: str
) -> list[Column]:
    columns: list[Column] = []
    taken = set(known)
    siblings = {k for item in items for k in item}
    for name, values in _new_values(items, known).items():
        if not _usable(f"{table}.{name}"):
            continue
        made = _column(name, values, prefix + name, siblings, taken)
        columns += made
        taken |= {c.name for c in made}
    return columns


def _objects(values: list[Any]) -> bool:
    """An array whose items are all objects (some array has one): a child table."""
    return all(isinstance(v, list) for v in values) and all(isinstance(i, Mapping) for v in values for i in v)


def _column(name: str, values: list[Any], source: str, siblings: set[str], taken: set[str]) -> list[Column]:
    """The column (a money column: and its cents twin) for a new field's values."""
    kind = _kind(values)
    money = is_money(Column(name, DECIMAL, source, "")) or name + "_currency" in siblings
    numeric = kind in (INTEGER, DECIMAL) or (kind == TEXT and all(map(_decimal_text, values)))
    if money and numeric:
        kind = DECIMAL
    column = Column(name, kind, source, f"{kind} (evolved)", evolved=True)
    twin = name + CENTS_SUFFIX
    if kind == DECIMAL and money and valid_name(twin) and twin not in taken | siblings:
        return [column, Column(twin, CENTS, source, f"{CENTS} (evolved)", evolved=True)]
    return [column]


def _kind(values: list[Any]) -> str:
    """The most specific kind every value fits."""
    if any(isinstance(v, Mapping | list) for v in values):
        return JSON
    if all(isinstance(v, bool) for v in values):
        return BOOLEAN
    if any(isinstance(v, bool) for v in values):
        return TEXT
    if all(isinstance(v, int) for v in values):
        return INTEGER
    if all(isinstance(v, int | float) for v in values):
        return DECIMAL
    if all(isinstance(v, str) and _timestamp_text(v) for v in values):
        return TIMESTAMP
    return TEXT


def _timestamp_text(value: str) -> bool:
    if not _DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


def _decimal_text(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or (isinstance(value, str) and bool(_DECIMAL_TEXT.match(value)))


def _usable(where: str) -> bool:
    name = where.rpartition(".")[2]
    if valid_name(name):
        return True
    _warn(where, "a name that is not lower-case letters, digits and _ (at most 59)")
    return False


def _warn(where: str, why: str) -> None:
    if where not in _warned:  # once per process
        _warned.add(where)
        # logfmt by hand: resources/ imports nothing else from cfsync
        log.warning(f'event=field_not_evolved field={where} detail="kept in _raw only: {why}"')

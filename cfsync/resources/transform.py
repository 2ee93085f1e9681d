"""Turn one API record into typed rows: its own row and the rows of its embedded arrays.

Pure functions over the catalog; the sync and the webhook receiver share them. A value that does not fit its
column raises RecordError naming the field, and the caller keeps the record aside instead of guessing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from ..errors import RecordError
from .catalog import (
    BOOLEAN,
    CENTS,
    CENTS_SUFFIX,
    DECIMAL,
    ID,
    INTEGER,
    JSON,
    KIND,
    TEXT,
    TIMESTAMP,
    ChildTable,
    Column,
    Resource,
)

__all__ = [
    "SECRET_FIELDS",
    "RecordRows",
    "Scope",
    "cents",
    "child_rows",
    "coerce",
    "fill_values",
    "note_column",
    "storable",
    "to_rows",
]

# Fields an answer shows once and that must never land in `_raw`: the database is read by analysts.
SECRET_FIELDS = frozenset({"webhook_secret"})


def storable(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record without the fields that must not be stored (the one-time webhook secret)."""
    return {k: v for k, v in record.items() if k not in SECRET_FIELDS}


@dataclass(frozen=True)
class Scope:
    """Where a record was listed: ids the API object may lack but its row must carry."""

    account: str
    workspace_id: int | None
    parent_id: int | None


@dataclass(frozen=True)
class RecordRows:
    row: dict[str, Any]
    children: dict[str, list[dict[str, Any]]]  # child table name -> rows
    # Values of evolved columns that did not fit: (table.column, reason); the rows hold NULL there.
    notes: tuple[tuple[str, str], ...] = ()


def note_column(resource: str, where: str) -> str:
    """A note's "table.column" as `_rejects.column_name`: the column of the resource's own table, or
    "child_table.column"."""
    table, _, column = where.rpartition(".")
    return column if table == resource else where


def to_rows(resource: Resource, record: Any, scope: Scope, synced_at: datetime) -> RecordRows:
    if not isinstance(record, Mapping):
        raise RecordError(f"{resource.name}: expected an object, got {type(record).__name__}")
    record_id = coerce(ID, record.get("id"), "id")
    if record_id is None:
        raise RecordError(f"{resource.name}: record has no id")
    notes: list[tuple[str, str]] = []
    row = _typed(resource.columns, record, resource.name, notes=notes)
    row.update(_scope_columns(resource, record, scope, row))
    row.update(_raw=dict(record), _synced_at=synced_at, _deleted_at=None)
    placed = {"workspace_id": row["workspace_id"]} if "workspace_id" in row else {}
    children = {
        child.name: child_rows(
            child, record.get(child.field), record_id, placed, synced_at, resource.name, notes
        )
        for child in resource.children
    }
    return RecordRows(row=row, children=children, notes=tuple(notes))


def child_rows(
    child: ChildTable,
    value: Any,
    record_id: int,
    placed: Mapping[str, Any],
    synced_at: datetime,
    where: str,
    notes: list[tuple[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """The rows of one child table for a record's `value` of its field; `placed` holds the ids the parent's
    row gives them (its workspace_id). Values of evolved columns that do not fit go to `notes`."""
    rows = []
    for position, key, item in _items(child, value, f"{where} {record_id}"):
        child_row = _typed(child.columns, item, child.name, ids_are_keys=False, notes=notes)
        child_row[child.parent_key] = record_id
        child_row["_position"] = position
        if key is not None:
            child_row[KIND] = key
        child_row.update(placed)
        child_row.update(_raw=dict(item), _synced_at=synced_at, _deleted_at=None)
        rows.append(child_row)
    return rows


def _items(child: ChildTable, value: Any, where: str) -> list[tuple[int, str | None, Mapping[str, Any]]]:
    """(_position, key or None, item) of each row: an array's items in order; a keyed object's members that
    are not null (one the API leaves null when it equals another, `same_as`, has that one's value)."""
    if value is None:
        return []
    if child.keyed:
        if not isinstance(value, Mapping):
            raise RecordError(f"{where}: {child.field} must be an object")
        same_as = dict(child.same_as)
        items: list[tuple[int, str | None, Any]] = []
        for position, key in child.keys:
            item = value.get(key)
            if item is None and key in same_as:
                item = value.get(same_as[key])
            if item is not None:
                items.append((position, key, item))
    elif isinstance(value, list):
        items = [(p, None, item) for p, item in enumerate(value)]
    else:
        raise RecordError(f"{where}: {child.field} must be a list")
    for position, name, item in items:
        if not isinstance(item, Mapping):
            raise RecordError(f"{where}: {child.field}[{name or position}] must be an object")
    return items


def _scope_columns(resource: Resource, record: Mapping[str, Any], scope: Scope, row: dict[str, Any]) -> dict:
    """Fill the ids that place the row where the API object lacks them (or leaves them null)."""
    out: dict[str, Any] = {"_account": scope.account} if "_account" in resource.extra_columns else {}
    if resource.parent_param and row.get(resource.parent_param) is None:
        out[resource.parent_param] = scope.parent_id
    if resource.workspace_scoped and row.get("workspace_id") is None:
        out["workspace_id"] = scope.workspace_id
    return out


def _typed(
    columns: tuple[Column, ...],
    record: Mapping[str, Any],
    where: str,
    *,
    ids_are_keys: bool = True,
    notes: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """A catalog column's value that does not fit raises RecordError (the record is set aside); an evolved
    column's is left None, with a note (the type was guessed from the values of one page)."""
    row: dict[str, Any] = {}
    for col in columns:
        try:
            if col.kind == CENTS:  # follows its decimal column
                row[col.name] = cents(row[col.name.removesuffix(CENTS_SUFFIX)], f"{where}.{col.name}")
                continue
            kind = col.kind if ids_are_keys or col.kind != ID else INTEGER
            row[col.name] = coerce(kind, record.get(col.name), f"{where}.{col.name}")
        except RecordError as exc:
            if not col.evolved:
                raise
            row[col.name] = None
            if notes is not None:
                notes.append((f"{where}.{col.name}", str(exc)))
    return row


def fill_values(columns: Sequence[Column], record: Mapping[str, Any]) -> dict[str, Any]:
    """Some columns' values from a stored record (a migration filling columns it added). A value that does
    not fit its column is left NULL: it stays in `_raw`, and the row stays as it was synced."""
    row: dict[str, Any] = {}
    for col in columns:
        try:
            if col.kind == CENTS:
                base = col.name.removesuffix(CENTS_SUFFIX)
                row[col.name] = cents(coerce(DECIMAL, record.get(base), base))
            else:
                kind = INTEGER if col.kind == ID else col.kind
                row[col.name] = coerce(kind, record.get(col.name), col.name)
        except RecordError:
            row[col.name] = None
    return row


def cents(amount: Decimal | None, field: str = "amount") -> int | None:
    """An amount in hundredths, exactly (a third decimal, which no two-decimal currency has, rounds half
    to even); RecordError when it does not fit a 64-bit integer."""
    if amount is None:
        return None
    hundredths = int((amount * 100).to_integral_value(ROUND_HALF_EVEN))
    if not -(2**63) <= hundredths < 2**63:
        raise RecordError(f"{field}: {amount} is too large for a 64-bit count of cents")
    return hundredths


def coerce(kind: str, value: Any, field: str) -> Any:
    """The column value for an API value, or RecordError."""
    if value is None or kind == JSON:
        return value
    try:
        return _COERCE[kind](value)
    except (TypeError, ValueError, InvalidOperation, ArithmeticError):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise RecordError(f"{field}: {shown} is not {_KIND_NAMES[kind]}") from None


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ValueError


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        raise TypeError
    return value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        raise TypeError
    if not value.strip():
        return None
    parsed = datetime.fromisoformat(value.strip())
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError
    if isinstance(value, str) and not value.strip():
        return None
    result = Decimal(str(value).strip())
    if not result.is_finite():
        raise ValueError
    return result


_COERCE = {
    ID: _integer,
    INTEGER: _integer,
    BOOLEAN: _boolean,
    TEXT: _text,
    TIMESTAMP: _timestamp,
    DECIMAL: _decimal,
}
_KIND_NAMES = {
    ID: "an integer id",
    INTEGER: "an integer",
    BOOLEAN: "a boolean",
    TEXT: "text",
    TIMESTAMP: "an ISO-8601 timestamp",
    DECIMAL: "a decimal number",
}

"""Records that arrive outside a list walk (a write's answer, a webhook) go to their table the same way."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..resources.catalog import CATALOG, Resource
from ..resources.transform import Scope, to_rows
from .ports import StorePort, WriteResult

__all__ = ["apply_record", "scope_of"]


def scope_of(
    store: StorePort,
    account: str,
    resource: Resource,
    record: Mapping[str, Any],
    parent_id: int | None = None,
) -> Scope:
    """Where the record would have been listed: its parent's id and its workspace.

    `parent_id` is the id the write's path named (`/courses/{course_id}/enrollments`), for objects that do
    not carry it themselves.
    """
    if resource.parent_param and parent_id is None:
        value = record.get(resource.parent_param)
        parent_id = value if isinstance(value, int) else None
    workspace_id = record.get("workspace_id") if isinstance(record.get("workspace_id"), int) else None
    if workspace_id is None and resource.workspace_scoped and parent_id is not None:
        parent = CATALOG[resource.parent] if resource.parent else None
        if parent is not None and parent.name == "workspaces":
            workspace_id = parent_id
        elif parent is not None:
            workspace_id = store.workspace_of(parent, parent_id)
    return Scope(account, workspace_id, parent_id)


def apply_record(
    store: StorePort,
    account: str,
    resource: Resource,
    record: Mapping[str, Any],
    *,
    parent_id: int | None = None,
    now: datetime | None = None,
) -> WriteResult:
    """Upsert one API record (and its child rows) as a sync would have; RecordError if it does not fit.
    New fields evolve the table first, as a sync's would."""
    scope = scope_of(store, account, resource, record, parent_id)
    resource, _ = store.evolve(resource, [record])
    rows = to_rows(resource, record, scope, now or datetime.now(UTC))
    return store.upsert(resource, [rows], account)

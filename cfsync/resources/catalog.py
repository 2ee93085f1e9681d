"""The API as data: one entry per synced list endpoint.

An entry names its table, its list path and the resource whose ids fill the path's placeholder. Everything
else (object schema, typed columns, embedded child tables, filter keys) is read from the API facts, so a new
endpoint is one line here. Parents are always synced before their children; that order is computed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from .facts import list_operations, object_name, schema

__all__ = [
    "CATALOG",
    "ChildTable",
    "Column",
    "Resource",
    "UnknownResourceError",
    "ordered",
    "resolve",
]

# Column kinds; the store maps each to a SQL type.
ID, INTEGER, BOOLEAN, TEXT, TIMESTAMP, DECIMAL, JSON = (
    "id", "integer", "boolean", "text", "timestamp", "decimal", "json",
)  # fmt: skip

# String fields that carry money as decimal strings ("123.00").
_MONEY_NAMES = {"amount", "cost", "price"}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    source: str  # the API field it comes from, as a path: "tags[].name"
    api_type: str


@dataclass(frozen=True)
class ChildTable:
    """An embedded array of objects (`contacts.tags`) stored as `<parent>__<field>` rows."""

    name: str
    field: str
    parent_key: str  # column holding the parent's id: "contact_id"
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Resource:
    name: str
    path: str
    schema: str
    parent: str | None  # resource whose ids fill the path's placeholder
    parent_param: str | None
    filters: tuple[str, ...]
    default: bool
    columns: tuple[Column, ...]
    children: tuple[ChildTable, ...]
    workspace_scoped: bool  # listed inside one workspace, directly or through a parent
    extra_columns: tuple[str, ...]  # columns the sync adds where the API object lacks them

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def list_path(self, parent_id: int | None) -> str:
        if self.parent_param is None:
            return self.path
        if parent_id is None:
            raise ValueError(f"{self.name} needs a {self.parent_param}")
        return self.path.replace("{" + self.parent_param + "}", str(parent_id))


class UnknownResourceError(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown resource {self.name!r}"


def _kind(name: str, api_type: Any) -> str:
    if not isinstance(api_type, str) or api_type.endswith("[]") or api_type.startswith("object"):
        return JSON
    base = api_type.split("|")[0].split(" ")[0].split("(")[0]
    if name == "id" and base == "integer":
        return ID
    if base == "integer":
        return INTEGER
    if base == "boolean":
        return BOOLEAN
    if base == "number":
        return DECIMAL
    if "(date-time)" in api_type or name.endswith("_at"):
        return TIMESTAMP
    if name in _MONEY_NAMES or name.endswith("_amount"):
        return DECIMAL
    return TEXT


def _columns(fields: dict[str, Any], prefix: str = "") -> tuple[Column, ...]:
    return tuple(
        Column(name, _kind(name, t), prefix + name, t if isinstance(t, str) else "object")
        for name, t in fields.items()
        if not isinstance(t, list)
    )


def _entry(
    name: str, path: str, parent: str | None = None, *, default: bool = True, scoped: tuple[str, ...] = ()
) -> Resource:
    op = next((o for o in list_operations() if o.path == path), None)
    if op is None or op.response_schema is None:
        raise ValueError(f"no list operation {path} with a named schema in the facts")
    fields = schema(op.response_schema)
    params = re.findall(r"{(\w+)}", path)
    if len(params) > 1 or bool(params) != bool(parent):
        raise ValueError(f"{name}: a parent is needed exactly when the path has a placeholder")
    parent_key = object_name(op.response_schema) + "_id"
    children = tuple(
        ChildTable(
            name=f"{name}__{field}",
            field=field,
            parent_key=parent_key,
            columns=_columns(items[0], prefix=f"{field}[]."),
        )
        for field, items in fields.items()
        if isinstance(items, list)
    )
    return Resource(
        name=name,
        path=path,
        schema=op.response_schema,
        parent=parent,
        parent_param=params[0] if params else None,
        filters=op.filters,
        default=default,
        columns=_columns(fields),
        children=children,
        workspace_scoped=parent in scoped,
        extra_columns=_extra_columns(fields, params, parent in scoped),
    )


def _extra_columns(fields: dict[str, Any], params: list[str], workspace_scoped: bool) -> tuple[str, ...]:
    """`_account` on top-level tables, and the ids that place a row (its parent's, its workspace's)."""
    if not params:
        return ("_account",)
    wanted = [params[0]] + (["workspace_id"] if workspace_scoped else [])
    return tuple(dict.fromkeys(c for c in wanted if c not in fields))


def _catalog(*specs: tuple[str, str, str | None, bool]) -> dict[str, Resource]:
    """Entries in parent-first order; a resource is workspace-scoped when its parent is `workspaces` or is
    itself workspace-scoped."""
    catalog: dict[str, Resource] = {}
    scoped = {"workspaces"}
    for name, path, parent, default in specs:
        entry = _entry(name, path, parent, default=default, scoped=tuple(scoped))
        if entry.workspace_scoped:
            scoped.add(name)
        catalog[name] = entry
    return catalog


CATALOG: dict[str, Resource] = _catalog(
    ("teams", "/teams", None, True),
    ("workspaces", "/teams/{team_id}/workspaces", "teams", True),
    ("contacts", "/workspaces/{workspace_id}/contacts", "workspaces", True),
    ("products", "/workspaces/{workspace_id}/products", "workspaces", True),
    ("orders", "/workspaces/{workspace_id}/orders", "workspaces", True),
    ("fulfillments", "/workspaces/{workspace_id}/fulfillments", "workspaces", True),
    ("courses", "/workspaces/{workspace_id}/courses", "workspaces", True),
    ("courses_enrollments", "/courses/{course_id}/enrollments", "courses", True),
    ("forms", "/workspaces/{workspace_id}/forms", "workspaces", True),
    ("forms_submissions", "/forms/{form_id}/submissions", "forms", True),
    ("images", "/workspaces/{workspace_id}/images", "workspaces", True),
    (
        "webhooks_outgoing_endpoints",
        "/workspaces/{workspace_id}/webhooks/outgoing/endpoints",
        "workspaces",
        True,
    ),
)


@cache
def ordered() -> tuple[Resource, ...]:
    """Every resource, each after its parent (a stable topological order of the catalog)."""
    done: list[Resource] = []
    pending = list(CATALOG.values())
    while pending:
        ready = [r for r in pending if r.parent is None or r.parent in {d.name for d in done}]
        if not ready:
            raise ValueError(f"catalog parents form a cycle or miss: {[r.name for r in pending]}")
        done.extend(ready)
        pending = [r for r in pending if r not in ready]
    return tuple(done)


def resolve(names: tuple[str, ...] | list[str]) -> tuple[Resource, ...]:
    """The resources a sync asks for ("all" = those on by default), plus the parents they need, in order."""
    wanted: set[str] = set()
    for name in names:
        if name == "all":
            wanted |= {r.name for r in CATALOG.values() if r.default}
        elif name in CATALOG:
            wanted.add(name)
        else:
            raise UnknownResourceError(name)
    for name in list(wanted):
        parent = CATALOG[name].parent
        while parent is not None:
            wanted.add(parent)
            parent = CATALOG[parent].parent
    return tuple(r for r in ordered() if r.name in wanted)

"""The sandbox's view of the API, derived from the facts: resources, their parents and every route.

Nothing here is hand-listed per resource: a resource is whatever a list or member route answers, its
parent is the resource whose member route prefixes the list path, and every write operation in the facts
becomes a route by matching its path against the list and member paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from cfsync.resources.facts import (
    Operation,
    list_operations,
    load_facts,
    operations,
    resource_name,
    schema,
)

__all__ = [
    "ACCOUNT",
    "FALLBACK_SCHEMAS",
    "Catalog",
    "ListView",
    "ResourceSpec",
    "Route",
    "catalog",
    "singular",
]

# The root of every ownership chain: one account is one team's token (and one Maton connection).
ACCOUNT = "_accounts"

# Lists whose records the facts do not describe (`inline` answers): the smallest shape that still has
# what a sync needs (an id, a partition, timestamps).
FALLBACK_SCHEMAS: dict[str, dict[str, Any]] = {
    "orders_invoices_restocks": {
        "id": "integer",
        "public_id": "string|null",
        "workspace_id": "integer",
        "created_at": "string|null(date-time)",
        "updated_at": "string|null(date-time)",
    },
}

_PARAM = re.compile(r"\{(\w+)\}")


def singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") else word


def _literal_name(path: str) -> str:
    """`/orders/invoices/restocks/{id}` -> `orders_invoices_restocks` (the facts' own naming)."""
    return "_".join(s for s in path.strip("/").split("/") if not s.startswith("{"))


@dataclass(frozen=True)
class ListView:
    """One list route: which records it shows (all `resource` records under one `scope` record)."""

    path: str
    resource: str
    scope: str  # resource name of the path parameter's record, or ACCOUNT
    param: str | None
    filters: tuple[str, ...]


@dataclass
class ResourceSpec:
    name: str
    fields: dict[str, Any]
    parent: str = ACCOUNT
    member_path: str | None = None
    views: list[ListView] = field(default_factory=list)
    wrapper: str | None = None  # the body key of its writes: `contact`, `courses_enrollment`...
    number: int = 0  # stable small number, folded into public ids

    @property
    def event_name(self) -> str:
        """`contact`, `courses/enrollment`, `form_submission`: the prefix of its webhook event types."""
        parts = (self.member_path or "/" + self.name).strip("/").split("/")
        parts = [p for p in parts if not p.startswith("{")]
        return "/".join([*parts[:-1], singular(parts[-1])])

    @property
    def subject_type(self) -> str:
        """The Rails class name webhook events carry: `Contact`, `Courses::Enrollment`."""
        parts = self.event_name.split("/")
        return "::".join("".join(w.capitalize() for w in p.split("_")) for p in parts)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    kind: str  # list | get | create | update | delete | action
    resource: str
    param: str | None = None  # name of the path parameter
    action: str | None = None  # upsert, gdpr_destroy, archive, unarchive, cancel, reorder
    view: ListView | None = None
    specificity: tuple[int, ...] = ()
    wrapper: str | None = None  # the body's single key: `contact`
    body: dict[str, Any] | None = None  # the fields the body may carry inside it


@dataclass
class Catalog:
    resources: dict[str, ResourceSpec]
    routes: list[Route]

    def spec(self, name: str) -> ResourceSpec:
        try:
            return self.resources[name]
        except KeyError:
            raise KeyError(f"unknown sandbox resource {name!r}; known: {sorted(self.resources)}") from None

    def chain_types(self, name: str) -> list[str]:
        """Ancestor resource names from the parent up to ACCOUNT."""
        out: list[str] = []
        while name != ACCOUNT:
            name = self.resources[name].parent
            out.append(name)
        return out

    def order(self) -> list[str]:
        """Resources with every parent before its children."""
        return sorted(self.resources, key=lambda n: (len(self.chain_types(n)), n))

    def children(self, name: str) -> list[str]:
        return [r.name for r in self.resources.values() if r.parent == name]

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method != method:
                continue
            m = route.pattern.fullmatch(path)
            if m:
                return route, m.groupdict()
        return None


def _compile(path: str) -> re.Pattern[str]:
    parts = []
    for segment in path.strip("/").split("/"):
        m = _PARAM.fullmatch(segment)
        parts.append(f"(?P<{m.group(1)}>[^/]+)" if m else re.escape(segment))
    return re.compile("/" + "/".join(parts))


def _specificity(path: str) -> tuple[int, ...]:
    """Literal segments beat parameters, earliest first: `/orders/invoices/{id}` is tried before
    `/orders/{order_id}/invoices`, so `/orders/invoices/5` is an invoice."""
    return tuple(1 if s.startswith("{") else 0 for s in path.strip("/").split("/"))


def _member_resource(op: Operation) -> str:
    return resource_name(op.response_schema) if op.response_schema else _literal_name(op.path)


@cache
def catalog() -> Catalog:
    ops = operations()
    members = {o.path: _member_resource(o) for o in ops if o.method == "GET" and o.path.endswith("/{id}")}
    resources: dict[str, ResourceSpec] = {}
    for path, name in members.items():
        resources.setdefault(name, ResourceSpec(name, {})).member_path = path
    candidates: dict[str, list[tuple[str, Operation]]] = {}
    for op in list_operations():
        name = (
            resource_name(op.response_schema)
            if op.response_schema
            else _literal_name(re.sub(r".*\}", "", op.path))
        )
        params = _PARAM.findall(op.path)
        scope = ACCOUNT
        if params:
            prefix = op.path[: op.path.index("{" + params[0] + "}")]
            scope = members[prefix + "{id}"]
        candidates.setdefault(name, []).append((scope, op))
        resources.setdefault(name, ResourceSpec(name, {}))
    for name, spec in resources.items():
        spec.fields = dict(FALLBACK_SCHEMAS.get(name) or schema(_schema_name(name)))
    # A resource listed under two scopes (order invoices: per order and per workspace) belongs to the
    # deeper one; the other list is a view over a whole subtree.
    pending = dict(candidates)
    while pending:
        for name, cands in list(pending.items()):
            scopes = {s for s, _ in cands}
            if any(s != ACCOUNT and s in pending for s in scopes):
                continue
            resources[name].parent = max(scopes, key=lambda s: len(_chain(resources, s)))
            del pending[name]
    for name, cands in candidates.items():
        for scope, op in cands:
            params = _PARAM.findall(op.path)
            resources[name].views.append(
                ListView(op.path, name, scope, params[0] if params else None, op.filters)
            )
    for number, name in enumerate(sorted(resources), start=1):
        resources[name].number = number
    routes = _routes(ops, resources)
    return Catalog(resources, routes)


def _schema_name(name: str) -> str:
    for schema_name in load_facts()["schemas"]:
        if resource_name(schema_name) == name:
            return str(schema_name)
    raise KeyError(name)


def _chain(resources: dict[str, ResourceSpec], name: str) -> list[str]:
    out = []
    while name != ACCOUNT:
        out.append(name)
        name = resources[name].parent
    return out


def _routes(ops: tuple[Operation, ...], resources: dict[str, ResourceSpec]) -> list[Route]:
    views = {v.path: v for r in resources.values() for v in r.views}
    members = {r.member_path: r.name for r in resources.values() if r.member_path}
    routes: list[Route] = []
    for op in ops:
        params = _PARAM.findall(op.path)
        param = params[-1] if params else None
        kind: str | None = None
        resource = action = None
        view = None
        if op.method == "GET" and op.path in views:
            kind, view = "list", views[op.path]
            resource = view.resource
        elif op.path in members:
            resource = members[op.path]
            kind = {"GET": "get", "PUT": "update", "PATCH": "update", "DELETE": "delete"}.get(op.method)
        elif op.method == "POST" and op.path in views:
            kind, view = "create", views[op.path]
            resource = view.resource
        else:
            head, _, tail = op.path.rpartition("/")
            if head in members:
                kind, resource, action = "action", members[head], tail
            elif head in views:
                kind, view, action = "action", views[head], tail
                resource = view.resource
        if kind is None or resource is None:
            raise ValueError(f"sandbox cannot place operation {op.method} {op.path}")
        spec = resources[resource]
        wrapper, body_fields = None, None
        if isinstance(op.body, dict):
            for wrapper, wrapped in op.body.items():
                spec.wrapper, body_fields = wrapper, dict(wrapped)
        routes.append(
            Route(
                op.method,
                _compile(op.path),
                kind,
                resource,
                param,
                action,
                view,
                _specificity(op.path),
                wrapper,
                body_fields,
            )
        )
    routes.sort(key=lambda r: r.specificity)
    return routes

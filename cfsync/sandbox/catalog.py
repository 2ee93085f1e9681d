"""The sandbox's view of the API, derived from the facts: resources, their parents and every route.

Nothing here is hand-listed per resource: a resource is whatever a list or member route answers, its
parent is the resource whose member route prefixes the list path, and every write operation in the facts
becomes a route by matching its path against the list and member paths. Two short tables are the
exceptions, each with its reasons: the operations that answer one object that is no list's record
(`SINGLETONS`) and those the sandbox does not serve (`NOT_SERVED`, repeated in docs/sandbox.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from cfsync.resources.facts import (
    FACT_FILES,
    Operation,
    description,
    item_schema,
    list_operations,
    load_facts,
    object_name,
    operations,
    resource_name,
    schema,
)

__all__ = [
    "ACCOUNT",
    "FALLBACK_SCHEMAS",
    "NOT_SERVED",
    "SINGLETONS",
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

# Operations that answer one object which is no list's record, and what answers them: a resource with one
# record per parent (a workspace's site: GET and PUT), or an object computed from other records (computed.py).
SINGLETONS: dict[str, str] = {
    "/me": "users",  # the token's user: its account's first user
    "/workspaces/{workspace_id}/site": "sites",  # the workspace's one site, a record of its own
    "/workspaces/{workspace_id}/emails/settings": "emails_settings",  # from the workspace's email addresses
}

# Operations the sandbox does not serve, and why: they answer 404 like an unknown route.
NOT_SERVED: dict[str, str] = {
    "POST /orders/line_items/{line_item_id}/changes": (
        "previews a subscription's change of price: the facts give no body (what to change to), line items "
        "live inside orders with no record of their own, and the commerce story has no proration"
    ),
    "POST /orders/line_items/{line_item_id}/changes/perform": "performs that change: likewise",
}

_PARAM = re.compile(r"\{(\w+)\}")


def singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]  # addresses
    return word[:-1] if word.endswith("s") else word


def _literal_name(path: str) -> str:
    """`/orders/invoices/restocks/{id}` -> `orders_invoices_restocks` (the facts' own naming)."""
    return "_".join(s for s in path.strip("/").split("/") if not s.startswith("{"))


def _key(op: Operation) -> str:
    return f"{op.method} {op.path}"


@dataclass(frozen=True)
class ListView:
    """One list route: which records it shows (all `resource` records under one `scope` record)."""

    path: str
    resource: str
    scope: str  # resource name of the path parameter's record, or ACCOUNT
    param: str | None
    filters: tuple[str, ...]
    paged: bool = True  # pages of 20 with `after`; else every record at once, no Pagination-Next
    sorts: tuple[str, ...] = ("id", "updated_at")  # what `sort_property` may be; () when it takes none
    expand: tuple[str, ...] | None = None  # what `expand[]` may name (() any name), None: no expand[]
    include_archived: bool = False  # hides archived records unless `include_archived=true`


@dataclass
class ResourceSpec:
    name: str
    fields: dict[str, Any]
    parent: str = ACCOUNT
    member_path: str | None = None
    views: list[ListView] = field(default_factory=list)
    wrapper: str | None = None  # the body key of its writes: `contact`, `courses_enrollment`...
    number: int = 0  # stable small number, folded into public ids
    schema_name: str | None = None  # `ContactAttributes`
    # An object answer (products' price change options): the key it comes under. Its one record per parent
    # carries the parent's id, which the answer leaves out.
    envelope: str | None = None
    computed: bool = False  # worked out from other records on every read (computed.py): none of its own
    singleton: bool = False  # exactly one record per parent (a workspace's site)
    # Fields sent only when `expand[]` names them: name -> where it sits (`("condition", "filter")`).
    expandable: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def event_name(self) -> str:
        """`contact`, `courses/enrollment`, `form_submission`: the prefix of its webhook event types. The
        literal segments after the last placeholder that names a parent: a split test step of a funnel
        (`/funnels/{funnel_id}/split_test_steps/{id}`) is a `split_test_step`."""
        path = self.member_path or (self.views[0].path if self.views else "/" + self.name)
        path = path.removesuffix("/{id}")
        parts = [p for p in re.sub(r".*\}", "", path).strip("/").split("/") if p]
        return "/".join([*parts[:-1], singular(parts[-1])]) if parts else singular(self.name)

    @property
    def subject_type(self) -> str:
        """The Rails class name webhook events carry: `Contact`, `Courses::Enrollment`."""
        parts = self.event_name.split("/")
        return "::".join("".join(w.capitalize() for w in p.split("_")) for p in parts)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    kind: str  # list | get | create | update | delete | action | one
    resource: str
    param: str | None = None  # name of the path parameter
    action: str | None = None  # upsert, gdpr_destroy, archive, unarchive, cancel, reorder, products...
    view: ListView | None = None
    specificity: tuple[int, ...] = ()
    wrapper: str | None = None  # the body's single key: `contact`
    body: dict[str, Any] | None = None  # the fields the body may carry inside it (None: the facts say not)
    through: str | None = None  # a create under another record (a price under its variant): its resource
    expand: tuple[str, ...] | None = None  # what `expand[]` may name (() any name), None: no expand[]
    # The facts say which body fields may be null (2025's document does; 2026's generator dropped every null
    # union), so a reference typed without one is required.
    nulls: bool = True


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


def _as_member(path: str) -> str:
    """`/products/variants/{variant_id}` -> `/products/variants/{id}`: the member route it names."""
    return re.sub(r"\{\w+\}$", "{id}", path)


def _list_schema(op: Operation) -> str | None:
    return item_schema(op) or op.object_answer


def _list_resource(op: Operation) -> str:
    found = item_schema(op)
    if found:
        return resource_name(found)
    if op.object_answer:
        return _literal_name(op.path)  # products_prices_change_options, as the sync's catalog names it
    return _literal_name(re.sub(r".*\}", "", op.path))


def _member_resource(op: Operation) -> str:
    return resource_name(op.response_schema) if op.response_schema else _literal_name(op.path)


@cache
def catalog() -> Catalog:
    ops = tuple(o for o in operations() if _key(o) not in NOT_SERVED)
    members = {o.path: _member_resource(o) for o in ops if o.method == "GET" and o.path.endswith("/{id}")}
    resources: dict[str, ResourceSpec] = {}
    schemas: dict[str, str | None] = {}
    for o in ops:
        if o.path in members and o.method == "GET":
            resources.setdefault(members[o.path], ResourceSpec(members[o.path], {})).member_path = o.path
            schemas[members[o.path]] = o.response_schema
    candidates: dict[str, list[tuple[str, Operation]]] = {}
    for op in list_operations():
        name = _list_resource(op)
        params = _PARAM.findall(op.path)
        scope = members[_as_member(op.path[: op.path.index("}") + 1])] if params else ACCOUNT
        candidates.setdefault(name, []).append((scope, op))
        resources.setdefault(name, ResourceSpec(name, {}))
        schemas[name] = schemas.get(name) or _list_schema(op)
    for op in ops:
        made, answer = SINGLETONS.get(op.path), op.response_schema
        # A singleton whose schema has an id is a record of its own (a site), one per parent.
        if made is not None and made not in resources and answer and "id" in schema(answer):
            resources[made] = ResourceSpec(made, {}, singleton=True)
            schemas[made] = answer
            candidates[made] = [(_scope_of(op.path, members), op)]
    for name, spec in resources.items():
        spec.schema_name = schemas.get(name)
        spec.fields, spec.envelope = _fields(name, spec.schema_name)
        spec.computed = spec.envelope is not None
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
            if op.is_list:
                resources[name].views.append(_view(op, name, scope))
    for number, name in enumerate(sorted(resources), start=1):
        resources[name].number = number
    routes = _routes(ops, resources, members)
    for spec in resources.values():
        spec.expandable = _expandable(spec, [r for r in routes if r.resource == spec.name])
        if spec.wrapper is None and spec.schema_name and not spec.computed:
            # Writes the facts give no body for (split test steps, refine filters): the usual wrapper.
            spec.wrapper = object_name(spec.schema_name)
    return Catalog(resources, routes)


@cache
def _documented_2025() -> frozenset[str]:
    """The operations of the 2025 document, the one that spells out which fields may be null."""
    text = resources.files("cfsync.resources").joinpath(FACT_FILES[0]).read_text("utf-8")
    return frozenset(f"{o['method']} {o['path']}" for o in json.loads(text)["operations"])


def _scope_of(path: str, members: dict[str, str]) -> str:
    params = _PARAM.findall(path)
    return members[_as_member(path[: path.index("}") + 1])] if params else ACCOUNT


def _view(op: Operation, name: str, scope: str) -> ListView:
    params = _PARAM.findall(op.path)
    return ListView(
        op.path,
        name,
        scope,
        params[0] if params else None,
        op.filters,
        paged="after" in op.query or "Pagination-Next" in op.answer,
        sorts=op.sort_properties,
        expand=op.expand_values,
        include_archived="include_archived" in op.query,
    )


def _fields(name: str, schema_name: str | None) -> tuple[dict[str, Any], str | None]:
    """A resource's record fields, and the key its object answer comes under (None: it answers records).
    An object answer per parent (`{"products_prices_change_options": {...}}`) is one record carrying its
    parent's id, as the sync's catalog reads it."""
    if name in FALLBACK_SCHEMAS:
        return dict(FALLBACK_SCHEMAS[name]), None
    found = schema(schema_name or _schema_name(name))
    if schema_name and not schema_name.endswith("Attributes"):
        envelope, inner = next(iter(found.items()))
        return {"id": "integer", **inner}, envelope
    return dict(found), None


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


def _expandable(spec: ResourceSpec, routes: list[Route]) -> dict[str, tuple[str, ...]]:
    """Fields ClickFunnels describes as **Expandable**, and the names an operation's `expand[]` enumerates
    (a conditional split step's `filter`, inside its `condition`)."""
    out: dict[str, tuple[str, ...]] = {}
    if spec.schema_name:
        for name in spec.fields:
            if "**Expandable**" in (description(spec.schema_name, name) or ""):
                out[name] = (name,)
    for route in routes:
        for name in route.expand or ():
            if name in spec.fields:
                out[name] = (name,)
                continue
            for outer, typ in spec.fields.items():
                if isinstance(typ, dict) and name in typ:
                    out[name] = (outer, name)
    return out


def _routes(
    ops: tuple[Operation, ...], resources: dict[str, ResourceSpec], members: dict[str, str]
) -> list[Route]:
    views = {v.path: v for r in resources.values() for v in r.views}
    routes: list[Route] = []
    for op in ops:
        params = _PARAM.findall(op.path)
        param = params[-1] if params else None
        kind: str | None = None
        resource = action = through = None
        view = None
        if op.path in SINGLETONS:
            resource = SINGLETONS[op.path]
            scope = _scope_of(op.path, members)
            kind, view = "one", ListView(op.path, resource, scope, param, ())
        elif op.method == "GET" and op.path in views:
            kind, view = "list", views[op.path]
            resource = view.resource
        elif op.path in members:
            resource = members[op.path]
            kind = {"GET": "get", "PUT": "update", "PATCH": "update", "DELETE": "delete"}.get(op.method)
            if kind == "delete" and op.operation_id.startswith("archive"):
                action = "archive"  # `archiveEmailsTopic`: hidden from the list, not deleted
        elif op.method == "POST" and op.path in views:
            kind, view = "create", views[op.path]
            resource = view.resource
        else:
            head, _, tail = op.path.rpartition("/")
            made = resource_name(op.response_schema) if op.response_schema else None
            if _as_member(head) in members:
                owner = members[_as_member(head)]
                if op.method == "POST" and made in resources and made != owner:
                    # A record made under another (a price under its variant): created in its own parent.
                    kind, resource, through = "create", made, owner
                else:
                    kind, resource, action = "action", owner, tail
            elif head in views:
                kind, view, action = "action", views[head], tail
                resource = view.resource
        if kind is None or resource is None:
            raise ValueError(
                f"sandbox cannot place operation {op.method} {op.path}: serve it, or list it in NOT_SERVED"
            )
        wrapper, body_fields = None, None
        if isinstance(op.body, dict) and resource in resources:
            spec = resources[resource]
            for wrapper, wrapped in op.body.items():
                if isinstance(wrapped, dict):
                    spec.wrapper, body_fields = wrapper, dict(wrapped)
                else:  # a bare body (`{"product_ids": [...]}`)
                    wrapper, body_fields = None, dict(op.body)
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
                through,
                op.expand_values,
                _key(op) in _documented_2025(),
            )
        )
    routes.sort(key=lambda r: r.specificity)
    return routes

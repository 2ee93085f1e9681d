"""The API as data: one entry per synced list endpoint.

An entry names its table, its list path and the resource whose ids fill the path's placeholder. Everything
else (object schema, typed columns, embedded child tables, filter keys) is read from the API facts, so a new
endpoint is one line here. Parents are always synced before their children; that order is computed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from .facts import (
    Operation,
    description,
    item_schema,
    list_operations,
    load_facts,
    new_in_2026,
    object_name,
    plural,
    schema,
)

__all__ = [
    "ALL_PARENTS",
    "CATALOG",
    "CENTS",
    "CENTS_SUFFIX",
    "CHANGED_PARENTS",
    "KIND",
    "ChildTable",
    "Column",
    "Resource",
    "UnknownResourceError",
    "is_money",
    "ordered",
    "resolve",
    "resource_for_event",
]

# Column kinds; the store maps each to a SQL type. CENTS is cfsync's own: a money column's amount in
# hundredths, an exact integer beside the decimal (SQLite has no exact decimal type: sums of its REALs drift).
ID, INTEGER, BOOLEAN, TEXT, TIMESTAMP, DECIMAL, JSON, CENTS = (
    "id", "integer", "boolean", "text", "timestamp", "decimal", "json", "cents",
)  # fmt: skip

# The column of a keyed child table's rows that names their key (a visit's kind: first_visit, ...).
KIND = "kind"

# Which parents a nested list is walked for on an incremental run: every parent, or only the parents whose
# own row changed since this list last succeeded for them (expensive fan-outs over big parent lists).
ALL_PARENTS, CHANGED_PARENTS = "all", "changed"

# A list whose answer the facts do not name (restocks): the fields every record has; the rest stays in _raw.
_FALLBACK_FIELDS = {
    "id": "integer",
    "public_id": "string|null",
    "created_at": "string|null(date-time)",
    "updated_at": "string|null(date-time)",
}

# String fields that carry money as decimal strings ("123.00").
_MONEY_NAMES = {"amount", "cost", "price"}
# Decimal fields that are money (they get a `<name>_cents` column): these names, or ending in _<name>. Rates,
# probabilities, weights and sizes are decimals too, and stay decimals only.
_MONEY_DECIMALS = ("amount", "cost", "price", "value")
CENTS_SUFFIX = "_cents"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    source: str  # the API field it comes from, as a path: "tags[].name"
    api_type: str
    # Added on its own for a field the API started sending (_schema_changes): a value that does not fit
    # leaves it NULL (noted in _rejects) instead of setting the record aside.
    evolved: bool = False


@dataclass(frozen=True)
class ChildTable:
    """An embedded array of objects (`contacts.tags`) stored as `<parent>__<field>` rows, one per item; or
    an object whose fields are all objects of one shape (`contacts.visits`: first_visit, last_visit,
    last_visit_with_utm), one row per field ("keyed": its name in the `kind` column)."""

    name: str
    field: str
    parent_key: str  # column holding the parent's id: "contact_id"
    columns: tuple[Column, ...]
    # Keyed: (_position, key) per key, the position fixed by the key in every table of that shape (orders'
    # last_visit is 1, as contacts'); () for an array, whose rows are numbered by their place in it.
    keys: tuple[tuple[int, str], ...] = ()
    # Keys the API sends null when they equal another (last_visit, "identical to first_visit"): (key, the
    # key whose value it then has). Their row is written with that value.
    same_as: tuple[tuple[str, str], ...] = ()

    @property
    def keyed(self) -> bool:
        return bool(self.keys)


@dataclass(frozen=True)
class Resource:
    name: str
    path: str
    schema: str
    parent: str | None  # resource whose ids fill the path's placeholder
    parent_param: str | None
    filters: tuple[str, ...]
    default: bool  # synced by `resources = ["all"]`
    fanout: str  # nested lists: ALL_PARENTS or CHANGED_PARENTS on incremental runs
    append_only: bool  # records never change once listed (the event log): no updated_at sweep
    columns: tuple[Column, ...]
    children: tuple[ChildTable, ...]
    workspace_scoped: bool  # listed inside one workspace, directly or through a parent
    extra_columns: tuple[str, ...]  # columns the sync adds where the API object lacks them
    paged: bool = True  # takes `after` (a walk can resume, or be cut into segments); else read whole
    sorts: tuple[str, ...] = ("id", "updated_at")  # what `sort_property` may be; () when it takes none
    params: tuple[tuple[str, str], ...] = ()  # sent on every request (`include_archived=true`)
    envelope: str | None = None  # answers one object (under this key, if any), not an array: one record
    expand: tuple[str, ...] | None = None  # what `expand[]` may name (() any name); None: no expand[]
    expandable: tuple[str, ...] = ()  # fields sent only when asked for with expand[] (they have columns)
    # Its records show their parent's siblings (a price's change options, the product's other prices): a
    # change to one parent changes the list under the others, so one due makes all of them due.
    siblings: bool = False
    since: int = 2025  # the first API document that lists it (2026: one of the 13 lists added since)

    @property
    def by_updates(self) -> bool:
        """Changed records can be found newest-updated first (a watermark works for this list)."""
        return not self.append_only and "updated_at" in self.sorts and "updated_at" in self.column_names

    @property
    def object_answer(self) -> bool:
        return self.envelope is not None

    @property
    def nested(self) -> bool:
        """Listed once per parent record (not per workspace or account): costs a request per parent."""
        return self.parent is not None and self.parent not in ("teams", "workspaces")

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


def is_money(column: Column) -> bool:
    """A decimal column holding an amount of money (not a rate, a probability or a size)."""
    name = column.name
    return column.kind == DECIMAL and (
        name in _MONEY_DECIMALS or name.endswith(tuple("_" + m for m in _MONEY_DECIMALS))
    )


def _columns(fields: dict[str, Any], prefix: str = "") -> tuple[Column, ...]:
    columns: list[Column] = []
    for name, t in fields.items():
        if isinstance(t, list):
            continue
        column = Column(name, _kind(name, t), prefix + name, t if isinstance(t, str) else "object")
        columns.append(column)
        if is_money(column) and name + CENTS_SUFFIX not in fields:
            columns.append(Column(name + CENTS_SUFFIX, CENTS, column.source, column.api_type))
    return tuple(columns)


def _entry(
    name: str,
    path: str,
    parent: str | None,
    *,
    default: bool = True,
    fanout: str = ALL_PARENTS,
    append_only: bool = False,
    params: dict[str, str] | None = None,
    siblings: bool = False,
    scoped: tuple[str, ...] = (),
    inline: tuple[str, ...] = (),
) -> Resource:
    op = next((o for o in list_operations() if o.path == path), None)
    if op is None:
        raise ValueError(f"no list operation {path} in the facts")
    params_in_path = re.findall(r"{(\w+)}", path)
    if len(params_in_path) > 1 or bool(params_in_path) != bool(parent):
        raise ValueError(f"{name}: a parent is needed exactly when the path has a placeholder")
    schema_name, fields, envelope = _record_shape(name, op, params_in_path)
    parent_key = (
        params_in_path[0]
        if envelope is not None
        else (object_name(schema_name) if schema_name else name.removesuffix("s")) + "_id"
    )
    children = tuple(
        ChildTable(
            name=f"{name}__{field}",
            field=field,
            parent_key=parent_key,
            columns=_columns(items[0], prefix=f"{field}[]."),
        )
        if isinstance(items, list)
        else _keyed_child(f"{name}__{field}", field, parent_key, items)
        for field, items in fields.items()
        if isinstance(items, list) or (field not in inline and _keyed_shape(items) is not None)
    )
    unknown = set(params or {}) - set(op.query)
    if unknown:
        raise ValueError(f"{name}: the list takes no {sorted(unknown)}")
    return Resource(
        name=name,
        path=path,
        schema=schema_name or "inline",
        parent=parent,
        parent_param=params_in_path[0] if params_in_path else None,
        filters=op.filters,
        default=default,
        fanout=fanout,
        append_only=append_only,
        columns=_columns(fields),
        children=children,
        workspace_scoped=parent in scoped,
        extra_columns=_extra_columns(fields, params_in_path, parent in scoped),
        paged=envelope is None and ("after" in op.query or "Pagination-Next" in op.answer),
        sorts=op.sort_properties,
        params=tuple(sorted((params or {}).items())),
        envelope=envelope,
        expand=op.expand_values,
        expandable=_expandable(schema_name, fields) if op.expand_values is not None else (),
        siblings=siblings,
        since=2026 if new_in_2026(op) else 2025,
    )


def _keyed_shape(value: Any) -> dict[str, Any] | None:
    """The shape of the members of an object whose fields (two or more) are all objects of one shape, or
    None for any other value."""
    if not isinstance(value, dict) or len(value) < 2:
        return None
    members = list(value.values())
    first = members[0]
    return first if isinstance(first, dict) and first and all(m == first for m in members) else None


def _keyed_objects() -> list[dict[str, Any]]:
    """Every object of objects in the facts: named (VisitsAttributes) or a field (a contact's visits)."""
    found = []
    for fields in load_facts()["schemas"].values():
        if isinstance(fields, dict):
            found += [f for f in (fields, *fields.values()) if _keyed_shape(f) is not None]
    return found


def _keyed_child(name: str, field: str, parent_key: str, value: dict[str, Any]) -> ChildTable:
    """A keyed child table. Every object of the same member shape in the facts (a contact's visits, an
    order's, VisitsAttributes...) is read for its keys: numbered in the order of the one naming most, a key
    has one position in every table. A key is `same_as` another where ClickFunnels' description of it
    (under the named schema of that shape) says it "may be null if it is identical to" the other."""
    member = _keyed_shape(value)
    positions: dict[str, int] = {}
    for keys in sorted((f for f in _keyed_objects() if _keyed_shape(f) == member), key=len, reverse=True):
        for key in keys:
            positions.setdefault(key, len(positions))
    same_as = set()
    for named, fields in load_facts()["schemas"].items():
        for key in value if fields == value else ():
            said = re.search(r"null if it is identical to (\w+)", description(named, key) or "")
            if said and said.group(1) in value:
                same_as.add((key, said.group(1)))
    return ChildTable(
        name=name,
        field=field,
        parent_key=parent_key,
        columns=_columns(member or {}, prefix=f"{field}.*."),
        keys=tuple(sorted((positions[k], k) for k in value)),
        same_as=tuple(sorted(same_as)),
    )


def _record_shape(
    name: str, op: Operation, params: list[str]
) -> tuple[str | None, dict[str, Any], str | None]:
    """(schema name, fields, envelope) of a list's records. A list that answers one object per parent
    (`{"products_prices_change_options": {...}}`) is one record, its id its parent's: envelope is the
    answer's single key ("" when the object is not wrapped)."""
    if op.object_answer:
        answer = schema(op.object_answer)
        envelope = ""
        if len(answer) == 1 and isinstance(next(iter(answer.values())), dict):
            envelope, answer = next(iter(answer.items()))
        if not params or "id" in answer:
            raise ValueError(f"{name}: an object answer is one record per parent, identified by it")
        return op.object_answer, {"id": "integer", **answer}, envelope
    found = item_schema(op)
    return found, (schema(found) if found else _FALLBACK_FIELDS), None


def _expandable(schema_name: str | None, fields: dict[str, Any]) -> tuple[str, ...]:
    """Fields ClickFunnels sends only when expand[] names them (its descriptions say **Expandable**)."""
    if schema_name is None:
        return ()
    return tuple(f for f in fields if "**Expandable**" in (description(schema_name, f) or ""))


def _extra_columns(fields: dict[str, Any], params: list[str], workspace_scoped: bool) -> tuple[str, ...]:
    """`_account` on top-level tables, and the ids that place a row (its parent's, its workspace's)."""
    if not params:
        return ("_account",)
    wanted = [params[0]] + (["workspace_id"] if workspace_scoped else [])
    return tuple(dict.fromkeys(c for c in wanted if c not in fields))


def _catalog(*entries: tuple[Any, ...]) -> dict[str, Resource]:
    """Entries in parent-first order: (name, path, parent[, options]). A resource is workspace-scoped when
    its parent is `workspaces` or is itself workspace-scoped."""
    catalog: dict[str, Resource] = {}
    scoped = {"workspaces"}
    for name, path, parent, *options in entries:
        entry = _entry(name, path, parent, scoped=tuple(scoped), **(options[0] if options else {}))
        if entry.workspace_scoped:
            scoped.add(name)
        catalog[name] = entry
    return catalog


# Fan-outs over parents counted in the hundreds of thousands: off unless asked for, and on incremental
# runs walked only under parents that changed (a contact's new tag changes the contact's own record).
_EXPENSIVE = {"default": False, "fanout": CHANGED_PARENTS}
WS = "/workspaces/{workspace_id}"

CATALOG: dict[str, Resource] = _catalog(
    ("teams", "/teams", None),
    ("users", "/users", None),
    ("workspaces", "/teams/{team_id}/workspaces", "teams"),
    ("contacts", f"{WS}/contacts", "workspaces"),
    ("appointments_scheduled_events", f"{WS}/appointments/scheduled_events", "workspaces"),
    ("blogs", f"{WS}/blogs", "workspaces"),
    ("blogs_posts", "/blogs/{blog_id}/posts", "blogs"),
    ("blogs_tags", "/blogs/{blog_id}/tags", "blogs"),
    ("contacts_applied_tags", "/contacts/{contact_id}/applied_tags", "contacts", _EXPENSIVE),
    ("contacts_tags", f"{WS}/contacts/tags", "workspaces"),
    ("courses", f"{WS}/courses", "workspaces"),
    ("courses_enrollments", "/courses/{course_id}/enrollments", "courses"),
    ("courses_sections", "/courses/{course_id}/sections", "courses"),
    ("courses_lessons", "/courses/sections/{section_id}/lessons", "courses_sections"),
    ("courses_lesson_completions", "/courses/{course_id}/lesson_completions", "courses"),
    ("domains", f"{WS}/domains", "workspaces"),
    ("emails_addresses", f"{WS}/emails/addresses", "workspaces"),
    ("emails_broadcasts", f"{WS}/emails/broadcasts", "workspaces"),
    ("emails_templates", f"{WS}/emails/templates", "workspaces"),
    # Without include_archived the list hides archived topics, which broadcasts still name.
    ("emails_topics", f"{WS}/emails/topics", "workspaces", {"params": {"include_archived": "true"}}),
    ("forms", f"{WS}/forms", "workspaces"),
    ("forms_field_sets", "/forms/{form_id}/field_sets", "forms"),
    ("forms_fields", "/forms/field_sets/{field_set_id}/fields", "forms_field_sets"),
    ("forms_fields_options", "/forms/fields/{field_id}/options", "forms_fields"),
    ("forms_submissions", "/forms/{form_id}/submissions", "forms"),
    (
        "forms_submissions_answers",
        "/forms/submissions/{submission_id}/answers",
        "forms_submissions",
        _EXPENSIVE,
    ),
    ("form_submissions", f"{WS}/form_submissions", "workspaces"),
    ("fulfillments", f"{WS}/fulfillments", "workspaces"),
    ("fulfillments_locations", f"{WS}/fulfillments/locations", "workspaces"),
    ("funnels", f"{WS}/funnels", "workspaces"),
    ("funnels_tags", f"{WS}/funnels/tags", "workspaces"),
    ("split_test_steps", "/funnels/{funnel_id}/split_test_steps", "funnels"),
    ("conditional_split_steps", "/funnels/{funnel_id}/conditional_split_steps", "funnels"),
    ("images", f"{WS}/images", "workspaces"),
    ("orders", f"{WS}/orders", "workspaces"),
    ("orders_applied_tags", "/orders/{order_id}/applied_tags", "orders", _EXPENSIVE),
    # Invoices are listed per workspace and per order: the workspace list costs one walk, not one per order.
    # Their visits are their order's ("from the parent order", say the facts): orders__visits holds them.
    ("orders_invoices", f"{WS}/orders/invoices", "workspaces", {"inline": ("visits",)}),
    ("orders_invoices_restocks", f"{WS}/orders/invoices/restocks", "workspaces"),
    ("orders_transactions", "/orders/{order_id}/transactions", "orders", _EXPENSIVE),
    ("orders_tags", f"{WS}/orders/tags", "workspaces"),
    ("pages", f"{WS}/pages", "workspaces"),
    ("products", f"{WS}/products", "workspaces"),
    ("products_collections", f"{WS}/products/collections", "workspaces"),
    ("products_prices", "/products/{product_id}/prices", "products"),
    (
        "products_prices_change_options",
        "/products/prices/{price_id}/change_options",
        "products_prices",
        {"siblings": True},
    ),
    ("products_variants", "/products/{product_id}/variants", "products"),
    ("products_tags", f"{WS}/products/tags", "workspaces"),
    ("refine_filters", f"{WS}/refine_filters", "workspaces"),
    ("sales_pipelines", f"{WS}/sales/pipelines", "workspaces"),
    ("sales_pipelines_stages", "/sales/pipelines/{pipeline_id}/stages", "sales_pipelines"),
    ("sales_opportunities", f"{WS}/sales/opportunities", "workspaces"),
    (
        "sales_opportunities_notes",
        "/sales/opportunities/{opportunity_id}/notes",
        "sales_opportunities",
        _EXPENSIVE,
    ),
    ("shipping_packages", f"{WS}/shipping/packages", "workspaces"),
    ("shipping_profiles", f"{WS}/shipping/profiles", "workspaces"),
    ("shipping_location_groups", "/shipping/profiles/{profile_id}/location_groups", "shipping_profiles"),
    ("shipping_zones", "/shipping/location_groups/{location_group_id}/zones", "shipping_location_groups"),
    ("shipping_rates", "/shipping/zones/{zone_id}/rates", "shipping_zones"),
    ("shipping_rates_names", f"{WS}/shipping/rates/names", "workspaces"),
    ("stores", f"{WS}/stores", "workspaces"),
    ("styles", f"{WS}/styles", "workspaces"),
    ("themes", f"{WS}/themes", "workspaces"),
    ("webhooks_outgoing_endpoints", f"{WS}/webhooks/outgoing/endpoints", "workspaces"),
    ("webhooks_outgoing_events", f"{WS}/webhooks/outgoing/events", "workspaces", {"append_only": True}),
)


def resource_for_event(event_type: str) -> Resource | None:
    """`courses/enrollment.deleted` -> courses_enrollments, `funnels/split_test_step.updated` ->
    split_test_steps (a table named after its last part): the table an event's subject lives in."""
    subject = event_type.rpartition(".")[0]
    return CATALOG.get(plural(subject.replace("/", "_"))) or CATALOG.get(plural(subject.rpartition("/")[2]))


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


def resolve(names: Sequence[str], exclude: Sequence[str] = ()) -> tuple[Resource, ...]:
    """The resources a sync asks for ("all" = those on by default), plus the parents they need, in order.

    An excluded resource goes with everything listed under it (its parents' ids would be missing).
    """
    for name in (*names, *exclude):
        if name != "all" and name not in CATALOG:
            raise UnknownResourceError(name)
    wanted: set[str] = set()
    for name in names:
        wanted |= {r.name for r in CATALOG.values() if r.default} if name == "all" else {name}
    for name in list(wanted):
        parent = CATALOG[name].parent
        while parent is not None:
            wanted.add(parent)
            parent = CATALOG[parent].parent
    dropped = set(exclude)
    for resource in ordered():
        if resource.parent in dropped:
            dropped.add(resource.name)
    return tuple(r for r in ordered() if r.name in wanted - dropped)

import json
from pathlib import Path

import pytest

from cfsync.resources.catalog import (
    CATALOG,
    CENTS,
    CHANGED_PARENTS,
    UnknownResourceError,
    is_money,
    ordered,
    resolve,
)
from cfsync.resources.facts import list_operations, resource_name, schema

SEED_TABLES = {
    "teams",
    "workspaces",
    "contacts",
    "products",
    "orders",
    "fulfillments",
    "courses",
    "courses_enrollments",
    "forms",
    "forms_submissions",
    "images",
    "webhooks_outgoing_endpoints",
}


def test_the_seed_resources_are_in_the_catalog():  # issue 2's dozen
    assert set(CATALOG) >= SEED_TABLES


# Listed per workspace and per order: the catalog syncs the workspace list (one walk, not one per order).
COVERED_ELSEWHERE = {"/orders/{order_id}/invoices": "/workspaces/{workspace_id}/orders/invoices"}


def test_every_list_endpoint_of_the_facts_is_synced():
    facts = json.loads((Path(__file__).parents[2] / "cfsync/resources/api_facts.json").read_text())
    list_paths = {
        op["path"]
        for op in facts["operations"]
        if op["method"] == "GET" and "Pagination-Next" in op["responses"].get("200", "")
    }
    assert len(list_paths) == 51
    catalog_paths = {r.path for r in CATALOG.values()}
    assert len(CATALOG) == 50
    assert {COVERED_ELSEWHERE.get(p, p) for p in list_paths} == catalog_paths


def test_every_entry_takes_its_columns_from_the_facts():
    paths = {op.path: op for op in list_operations()}
    for resource in CATALOG.values():
        op = paths[resource.path]
        if op.response_schema is None:  # restocks: the facts do not describe the object
            assert resource.column_names == ("id", "public_id", "created_at", "updated_at")
            continue
        assert op.response_schema == resource.schema
        fields = schema(resource.schema)
        api_columns = {c.name for c in resource.columns if c.kind != CENTS}
        assert api_columns == {k for k, v in fields.items() if not isinstance(v, list)}
        twins = {c.name for c in resource.columns if c.kind == CENTS}
        assert twins == {c.name + "_cents" for c in resource.columns if is_money(c)}
        assert {c.field for c in resource.children} == {k for k, v in fields.items() if isinstance(v, list)}


def test_table_names_follow_the_objects():
    for resource in CATALOG.values():
        if resource.schema != "inline":
            assert resource.name == resource_name(resource.schema)


def test_parent_is_the_resource_whose_member_route_prefixes_the_list():
    for resource in CATALOG.values():
        if resource.parent in (None, "teams", "workspaces"):
            continue
        parent_member = CATALOG[resource.parent].path.rsplit("/", 1)[-1]
        prefix = resource.path.split("/{")[0]
        assert prefix.endswith(parent_member), (resource.name, resource.parent)


def test_expensive_fan_outs_are_off_by_default():
    off = {r.name for r in CATALOG.values() if not r.default}
    assert off == {
        "contacts_applied_tags",
        "orders_applied_tags",
        "orders_transactions",
        "forms_submissions_answers",
        "sales_opportunities_notes",
    }
    assert all(CATALOG[name].fanout == CHANGED_PARENTS for name in off)
    assert all(r.nested for r in CATALOG.values() if r.fanout == CHANGED_PARENTS)


def test_parents_come_first():
    seen = set()
    for resource in ordered():
        assert resource.parent is None or resource.parent in seen
        seen.add(resource.name)
    assert len(seen) == len(CATALOG)


def test_child_tables_are_named_after_parent_and_field():
    names = {c.name for r in CATALOG.values() for c in r.children}
    assert {"contacts__tags", "orders__line_items"} <= names
    assert CATALOG["orders"].children[-1].parent_key == "order_id"


def test_column_kinds():
    kinds = {c.name: c.kind for c in CATALOG["orders"].columns}
    assert kinds["id"] == "id"
    assert kinds["total_amount"] == "decimal"
    assert kinds["created_at"] == "timestamp"
    assert kinds["next_charge_at"] == "timestamp"  # `string|null` in the facts, but named *_at
    assert kinds["live_mode"] == "boolean"
    assert kinds["contact"] == "json"
    assert kinds["tag_ids"] == "json"
    assert kinds["currency"] == "text"


def test_resolve_adds_parents_in_order():
    names = [r.name for r in resolve(["courses_enrollments"])]
    assert names == ["teams", "workspaces", "courses", "courses_enrollments"]


def test_resolve_all_and_unknown():
    assert {r.name for r in resolve(["all"])} == {r.name for r in CATALOG.values() if r.default}
    with pytest.raises(UnknownResourceError):
        resolve(["contact"])
    with pytest.raises(UnknownResourceError):
        resolve(["all"], exclude=["contact"])


def test_exclude_takes_the_children_along():
    names = {r.name for r in resolve(["all", "orders_transactions"], exclude=["courses", "orders"])}
    assert "courses" not in names
    assert "courses_enrollments" not in names
    assert "courses_lessons" not in names
    assert "orders_transactions" not in names
    assert {"contacts", "forms_submissions"} <= names


def test_list_path():
    assert CATALOG["courses_enrollments"].list_path(9) == "/courses/9/enrollments"
    assert CATALOG["teams"].list_path(None) == "/teams"


def test_the_sandbox_serves_every_catalog_list():
    from cfsync.sandbox.catalog import catalog as sandbox_catalog

    routes = sandbox_catalog()
    for resource in CATALOG.values():
        found = routes.match("GET", resource.list_path(123 if resource.parent_param else None))
        assert found is not None, f"the sandbox has no route for {resource.path}"
        route, _params = found
        assert (route.kind, route.resource) == ("list", resource.name), resource.path

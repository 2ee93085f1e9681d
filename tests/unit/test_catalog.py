import pytest

from cfsync.resources.catalog import CATALOG, UnknownResourceError, ordered, resolve
from cfsync.resources.facts import list_operations, schema

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


def test_the_seed_resources_are_in_the_catalog():
    assert set(CATALOG) >= SEED_TABLES


def test_every_entry_is_a_list_endpoint_of_the_facts():
    paths = {op.path: op for op in list_operations()}
    for resource in CATALOG.values():
        op = paths[resource.path]
        assert op.response_schema == resource.schema
        assert set(resource.column_names) == {
            k for k, v in schema(resource.schema).items() if not isinstance(v, list)
        }


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


def test_list_path():
    assert CATALOG["courses_enrollments"].list_path(9) == "/courses/9/enrollments"
    assert CATALOG["teams"].list_path(None) == "/teams"

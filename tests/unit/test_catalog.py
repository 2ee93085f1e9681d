import hashlib
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
from cfsync.resources.facts import item_schema, list_operations, resource_name, schema
from tests.integration.helpers import LISTS_OF_2026

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
    list_paths = {op.path for op in list_operations()}
    assert len(list_paths) == 64  # 2026: 13 more than 2025's 51
    catalog_paths = {r.path for r in CATALOG.values()}
    assert len(CATALOG) == 63
    assert {COVERED_ELSEWHERE.get(p, p) for p in list_paths} == catalog_paths


def test_the_2026_lists_are_synced_by_all():
    assert set(LISTS_OF_2026) == {
        "appointments_scheduled_events", "blogs", "blogs_posts", "blogs_tags", "domains", "emails_addresses",
        "emails_broadcasts", "emails_templates", "emails_topics", "refine_filters", "split_test_steps",
        "conditional_split_steps", "products_prices_change_options",
    }  # fmt: skip
    assert {r.name for r in resolve(["all"])} >= set(LISTS_OF_2026)


# sha256 of shared/clickfunnels-v2/api-facts.json and api-facts-2026.json as published: the vendored copies
# are those files byte for byte (what they lack or get wrong is handled in facts.py, in code).
PUBLISHED = {
    "api_facts_2025.json": "1522861e34c20d7a7c7897ddb363a52b1444d551636644b304cf8c9fb7108b84",
    "api_facts_2026.json": "4b213958e590304ef33a61bb31042d2fe6c85c2a960ec078061b2a4e199b69cf",
}


def test_the_facts_are_both_files_vendored_unchanged():
    ours = Path(__file__).parents[2] / "cfsync/resources"
    for name, digest in PUBLISHED.items():
        assert hashlib.sha256((ours / name).read_bytes()).hexdigest() == digest, name


def test_nothing_of_2025_is_lost_and_no_column_changes_type():
    old = json.loads((Path(__file__).parents[2] / "cfsync/resources/api_facts_2025.json").read_text())
    for name, fields in old["schemas"].items():
        merged = schema(name)
        assert set(fields) <= set(merged), name
        for field, spec in fields.items():
            if isinstance(spec, str) and isinstance(merged[field], str):
                assert merged[field].split("|")[0].split(" ")[0] == spec.split("|")[0].split(" ")[0], field
    assert schema("PageAttributes")["theme_id"].startswith("string")  # 2026 says integer: stays text
    assert "avatar_image" in schema("ContactAttributes")  # gone from 2026's schema: the column stays
    assert {"is_active", "email_suppression_reason"} <= set(schema("ContactAttributes"))
    assert "utm_source" in schema("ContactAttributes")["visits"]["last_visit_with_utm"]


def test_every_entry_takes_its_columns_from_the_facts():
    paths = {op.path: op for op in list_operations()}
    for resource in CATALOG.values():
        op = paths[resource.path]
        if resource.schema == "inline":  # restocks: the facts do not describe the object
            assert resource.column_names == ("id", "public_id", "created_at", "updated_at")
            continue
        assert resource.schema in (op.response_schema, item_schema(op), op.object_answer)
        fields = schema(resource.schema)
        if resource.object_answer:  # one record per parent: the answer's object, its id the parent's
            (fields,) = fields.values()
            fields = {"id": "integer", **fields}
        api_columns = {c.name for c in resource.columns if c.kind != CENTS}
        assert api_columns == {k for k, v in fields.items() if not isinstance(v, list)}
        twins = {c.name for c in resource.columns if c.kind == CENTS}
        assert twins == {c.name + "_cents" for c in resource.columns if is_money(c)}
        arrays = {c.field for c in resource.children if not c.keyed}
        assert arrays == {k for k, v in fields.items() if isinstance(v, list)}


def test_how_each_list_is_read_comes_from_the_facts():
    assert CATALOG["contacts"].by_updates
    assert CATALOG["contacts"].paged
    assert not CATALOG["domains"].by_updates
    assert CATALOG["domains"].paged
    for name in ("refine_filters", "split_test_steps", "conditional_split_steps"):
        assert not CATALOG[name].paged
        assert CATALOG[name].sorts == ()
    options = CATALOG["products_prices_change_options"]
    assert options.envelope == "products_prices_change_options"
    assert not options.paged  # one object: nothing to page through, whatever its headers say
    assert options.parent_param == "price_id"
    assert [c.parent_key for c in options.children] == ["price_id", "price_id"]
    assert CATALOG["emails_topics"].params == (("include_archived", "true"),)
    assert not CATALOG["webhooks_outgoing_events"].by_updates  # append-only
    assert CATALOG["pages"].expandable == ("footer_code", "head_code", "markup")
    assert CATALOG["contacts"].expandable == ("email_engagement",)
    assert CATALOG["conditional_split_steps"].expand == ("filter",)
    assert CATALOG["orders"].expand is None


def test_table_names_follow_the_objects():
    for resource in CATALOG.values():
        if resource.schema != "inline" and not resource.object_answer:
            assert resource.name == resource_name(resource.schema)
    assert resource_name("EmailsAddressAttributes") == "emails_addresses"


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


VISIT = schema("VisitAttributes")


def test_an_object_of_same_shaped_objects_is_a_keyed_child_table_with_one_position_per_key():
    keyed = {c.name: c for r in CATALOG.values() for c in r.children if c.keyed}
    # Invoices carry their order's visits ("from the parent order"): kept as JSON only.
    assert set(keyed) == {"contacts__visits", "orders__visits"}
    contacts, orders = keyed["contacts__visits"], keyed["orders__visits"]
    assert contacts.keys == ((0, "first_visit"), (1, "last_visit"), (2, "last_visit_with_utm"))
    assert orders.keys == ((1, "last_visit"), (2, "last_visit_with_utm")), "a kind's position is everywhere"
    assert contacts.same_as == (("last_visit", "first_visit"),), "from the description: null when identical"
    assert orders.same_as == ()
    for child in (contacts, orders):
        assert child.field == "visits"
        assert {c.name: c.kind for c in child.columns} == {
            name: "timestamp" if "date-time" in spec else "text" for name, spec in VISIT.items()
        }
    assert (contacts.parent_key, orders.parent_key) == ("contact_id", "order_id")
    for name in ("contacts", "orders", "orders_invoices"):
        assert "visits" in CATALOG[name].column_names, "the JSON column stays"


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

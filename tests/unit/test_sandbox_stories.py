"""The data of the 2026 lists holds together: visits and UTMs, funnels and their pages, split tests, emails,
blogs, appointments, subscriptions paid up to a date, a price's change options."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from cfsync.resources.facts import operations
from cfsync.sandbox import Sandbox, SandboxConfig
from cfsync.sandbox.audience import is_active
from cfsync.sandbox.catalog import NOT_SERVED, catalog, singular


@pytest.fixture(scope="module")
def sb() -> Sandbox:
    """Read-only: tests that write make their own."""
    return Sandbox(SandboxConfig(seed=7))


def by_id(records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {r["id"]: r for r in records}


def test_every_operation_is_routed_or_not_served_with_its_reason():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "sandbox.md").read_text()
    cat = catalog()
    for op in operations():
        path = re.sub(r"\{\w+\}", "1", op.path)
        key = f"{op.method} {op.path}"
        if key in NOT_SERVED:
            assert cat.match(op.method, path) is None, key  # a 404 like any unknown route
            assert f"| `{key}` | {NOT_SERVED[key]} |" in docs
        else:
            assert cat.match(op.method, path) is not None, key
    assert cat.match("GET", "/funnels/1/stats") is not None  # statistics are served (stats.py)


def test_expandable_fields_come_from_the_facts():
    cat = catalog()
    assert cat.spec("contacts").expandable == {"email_engagement": ("email_engagement",)}
    assert set(cat.spec("funnels").expandable) == {"head_code", "footer_code"}
    assert set(cat.spec("pages").expandable) == {"head_code", "footer_code", "markup"}
    assert cat.spec("blogs_posts").expandable == {"markup": ("markup",)}
    assert cat.spec("conditional_split_steps").expandable == {"filter": ("condition", "filter")}
    assert singular("addresses") == "address"
    assert cat.spec("emails_addresses").event_name == "emails/address"
    assert cat.spec("split_test_steps").event_name == "split_test_step"


def test_contacts_came_through_channels_and_are_active_by_the_rule(sb: Sandbox):
    contacts = [c for ws in sb.workspace_ids() for c in sb.records("contacts", workspace_id=ws)]
    firsts = [c["visits"]["first_visit"] for c in contacts]
    sources = Counter(v["utm_source"] for v in firsts if v)
    assert {"facebook", "google", "newsletter"} <= set(sources)
    assert len({v["utm_medium"] for v in firsts if v and v["utm_source"]}) >= 4
    assert len({v["utm_campaign"] for v in firsts if v and v["utm_source"]}) >= 5
    assert sources[None] > 0  # organic and direct visits
    assert any(c["visits"]["first_visit"] is None for c in contacts)  # imported, never visited
    for c in contacts:
        visits = c["visits"]
        carried = [v for v in (visits["last_visit"], visits["first_visit"]) if v and v["utm_source"]]
        assert visits["last_visit_with_utm"] == (carried[0] if carried else None)
        if visits["last_visit"]:
            assert visits["last_visit"]["started_at"] > visits["first_visit"]["started_at"]
        for v in (visits["first_visit"], visits["last_visit"]):
            if v and v["utm_source"]:
                assert f"utm_source={v['utm_source']}" in v["landing_page"]
        inactive = not c["email_address"] or c["unsubscribed_at"] or c["email_suppression_reason"]
        assert c["is_active"] is (not inactive)
    assert Counter(c["is_active"] for c in contacts)[False] > 0
    assert any(c["email_suppression_reason"] for c in contacts)


def test_is_active_follows_writes():
    sb = Sandbox(SandboxConfig(seed=3, workspaces=1, counts={"contacts": 20}))
    contact = next(c for c in sb.records("contacts", workspace_id=sb.workspace_ids()[0]) if c["is_active"])
    assert (
        sb.update("contacts", contact["id"], {"email_suppression_reason": "hard_bounce"})["is_active"]
        is False
    )
    assert sb.update("contacts", contact["id"], {"email_suppression_reason": None})["is_active"] is True
    assert sb.update("contacts", contact["id"], {"email_address": None})["is_active"] is False
    assert is_active({"email_address": "a@b.c", "unsubscribed_at": "2024-01-01T00:00:00.000Z"}) is False


def unlanded(visit: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if visit is None else {k: v for k, v in visit.items() if k != "landing_page"}


def test_orders_carry_their_contacts_visits_and_their_subscription_story(sb: Sandbox):
    ws = sb.workspace_ids()[0]
    orders = sb.records("orders", workspace_id=ws)
    invoices = sb.records("orders_invoices", workspace_id=ws)
    landed = 0
    for order in orders:
        visits = sb.get("contacts", order["contact_id"])["visits"]  # type: ignore[index]
        expected = {
            "last_visit": visits["last_visit"] or visits["first_visit"],
            "last_visit_with_utm": visits["last_visit_with_utm"],
        }
        page = sb.get("pages", order["page_id"]) if order["page_id"] else None
        utm = order["visits"]["last_visit_with_utm"]
        if utm and page:
            # The same visits, but the one with UTMs landed on the order's page, its UTMs in the URL.
            query = urlsplit(expected["last_visit_with_utm"]["landing_page"]).query
            assert utm["landing_page"] == f"{page['url']}?{query}"
            landed += 1
            assert {k: unlanded(v) for k, v in order["visits"].items()} == {
                k: unlanded(v) for k, v in expected.items()
            }
            last = order["visits"]["last_visit"]
            assert last == utm if last["uuid"] == utm["uuid"] else last == expected["last_visit"]
        else:
            assert order["visits"] == expected
        if order["order_type"] == "one-time-order":
            assert (order["recurring_invoices_paid_count"], order["paid_until"]) == (0, None)
            continue
        assert order["recurring_invoices_paid_count"] >= 1
        if order["service_status"] == "active":
            assert order["paid_until"] < order["next_charge_at"]
        elif order["churned_at"] and order["billing_status"] != "refunded":
            assert order["paid_until"] == order["churned_at"]
        renewals = [i for i in invoices if i["order_id"] == order["id"] and i["invoice_type"] == "renewal"]
        for renewal in renewals:  # the latest renewal is the last paid charge
            assert renewal["line_items"][0]["period_number"] == str(order["recurring_invoices_paid_count"])
            assert renewal["line_items"][0]["period_end_at"] <= order["paid_until"]
        if order["origination_channel_type"] == "Funnel":
            funnel = sb.get("funnels", order["origination_channel_id"])
            assert funnel is not None
            assert order["origination_channel_public_id"] == funnel["public_id"]
    assert landed > 0
    assert {o["recurring_invoices_paid_count"] > 1 for o in orders} == {True, False}
    revenue = Counter()
    for order in orders:
        source = (order["visits"]["last_visit_with_utm"] or {}).get("utm_source")
        revenue[source] += Decimal(order["total_amount"] or 0)
    assert len(revenue) >= 4  # revenue by last-touch source: something to group


def test_pages_belong_to_their_funnels_and_split_steps_name_them(sb: Sandbox):
    steps = conditionals = 0
    for ws in sb.workspace_ids():
        domains = by_id(sb.records("domains", workspace_id=ws))
        funnels = by_id(sb.records("funnels", workspace_id=ws, expand=True))
        pages = by_id(sb.records("pages", workspace_id=ws))
        filters = by_id(sb.records("refine_filters", workspace_id=ws))
        assert sum(d["connected"] for d in domains.values()) >= 1
        assert all(d["connected"] is (d["status"] == "secured") for d in domains.values())
        for funnel in funnels.values():
            assert funnel["domain_id"] in domains
            assert funnel["head_code"].startswith("<script>")
        in_funnel: dict[int, list[int]] = {}
        for page in pages.values():
            if page["funnel"] is None:
                assert page["type"] in ("landing_page", "site_page")
                assert page["show_page_step"] is None
                continue
            funnel = funnels[page["funnel"]["id"]]
            assert page["type"] == "funnel_page"
            assert page["funnel"] == {k: funnel[k] for k in ("id", "name", "public_id")}
            host = domains[funnel["domain_id"]]["name"]
            assert page["url"] == f"https://{host}{page['show_page_step']['current_path']}"
            assert page["show_page_step"]["current_path"].startswith(funnel["current_path"] + "/")
            in_funnel.setdefault(funnel["id"], []).append(page["id"])
        assert any(p["type"] != "funnel_page" for p in pages.values()) or len(pages) < 5
        for funnel_id in funnels:
            mine = in_funnel.get(funnel_id, [])
            split = sb.records("split_test_steps", parent_id=funnel_id)
            conditional = sb.records("conditional_split_steps", parent_id=funnel_id, expand=True)
            assert bool(split) == bool(conditional) == (len(mine) >= 2)
            for step in split:
                steps += 1
                assert step["funnel"]["id"] == funnel_id
                assert sum(v["weight"] for v in step["variants"]) == 100
                for variant in step["variants"]:
                    page = pages[variant["page"]["id"]]
                    assert page["id"] in mine
                    assert variant["show_page_step"] == {
                        k: page["show_page_step"][k] for k in ("current_path", "id", "name", "public_id")
                    }
            for step in conditional:
                conditionals += 1
                assert [b["page"]["id"] for b in step["branches"]] == mine[:2]
                condition = step["condition"]
                assert condition["filter"] == filters[int(condition["filter_id"])]
                assert step["funnel_public_id"] == funnels[funnel_id]["public_id"]
    assert steps
    assert conditionals


def test_email_marketing_holds_together(sb: Sandbox):
    for ws in sb.workspace_ids():
        addresses = sb.records("emails_addresses", workspace_id=ws)
        topics = by_id(sb.records("emails_topics", workspace_id=ws))
        shown = by_id(sb.records("emails_topics", workspace_id=ws, include_archived=False))
        filters = by_id(sb.records("refine_filters", workspace_id=ws))
        assert [a["is_workspace_default"] for a in addresses].count(True) == 1
        assert 0 < len(shown) < len(topics)  # every third topic is archived
        for broadcast in sb.records("emails_broadcasts", workspace_id=ws):
            assert broadcast["topic_ids"]
            assert set(broadcast["topic_ids"]) <= set(topics)
            assert broadcast["filter_id"] in filters
            assert broadcast["from_email"] in {a["email_address"] for a in addresses}
            status = broadcast["status"]
            assert (broadcast["send_at"] is None) == (status == "draft")
            assert (broadcast["complete_at"] is not None) == (status == "complete")
            if broadcast["complete_at"]:
                assert broadcast["sending_at"] < broadcast["complete_at"]
        tags = {t["id"] for t in sb.records("contacts_tags", workspace_id=ws)}
        for refine in filters.values():
            for criterion in refine["criteria"]:
                assert set(criterion["value"].get("ids", ())) <= tags


def test_blogs_and_appointments_hold_together(sb: Sandbox):
    users = {u["email"]: u for u in sb.records("users")}
    for ws in sb.workspace_ids():
        images = by_id(sb.records("images", workspace_id=ws))
        listed = by_id(sb.records("contacts", workspace_id=ws))
        orders = by_id(sb.records("orders", workspace_id=ws))
        for blog in sb.records("blogs", workspace_id=ws):
            assert blog["site_id"] == sb.records("sites", workspace_id=ws)[0]["id"]
            tags = {t["name"] for t in sb.records("blogs_tags", parent_id=blog["id"])}
            for post in sb.records("blogs_posts", parent_id=blog["id"], expand=True):
                assert post["blog_id"] == blog["id"]
                assert {t["name"] for t in post["tags"]} <= tags
                assert post["url"].startswith(blog["url"] + "/")
                assert post["image_url"] == (images[post["image_id"]]["url"] if post["image_id"] else None)
                assert all(a["email_address"] in users for a in post["authors"])
                assert (post["published_at"] is None) == (post["visibility"] == "draft")
                assert post["markup"].startswith("<post>")
        appointments = sb.records("appointments_scheduled_events", workspace_id=ws)
        assert appointments
        for appointment in appointments:
            contact = listed[appointment["primary_contact"]["id"]]
            assert appointment["primary_contact"] == {
                k: contact[k]
                for k in ("email_address", "first_name", "id", "last_name", "phone_number", "public_id")
            }
            if appointment["order_id"] is not None:
                assert orders[int(appointment["order_id"])]["contact_id"] == contact["id"]
            assert appointment["start_on"] < appointment["end_on"]


def test_embedded_copies_follow_later_writes():
    sb = Sandbox(SandboxConfig(seed=5, workspaces=1, counts={"contacts": 20}))
    ws = sb.workspace_ids()[0]
    appointment = sb.records("appointments_scheduled_events", workspace_id=ws)[0]
    sb.update("contacts", appointment["primary_contact"]["id"], {"first_name": "Renamed"})
    again = sb.get("appointments_scheduled_events", appointment["id"])
    assert again["primary_contact"]["first_name"] == "Renamed"  # type: ignore[index]
    page = next(p for p in sb.records("pages", workspace_id=ws) if p["funnel"])
    sb.update("funnels", page["funnel"]["id"], {"name": "Renamed funnel"})
    assert sb.get("pages", page["id"])["funnel"]["name"] == "Renamed funnel"  # type: ignore[index]
    step = next(
        s
        for f in sb.records("funnels", workspace_id=ws)
        for s in sb.records("split_test_steps", parent_id=f["id"])
    )
    first = step["variants"][0]["page"]["id"]
    sb.update("pages", first, {"name": "Renamed page"})
    assert sb.get("split_test_steps", step["id"])["variants"][0]["page"]["name"] == "Renamed page"  # type: ignore[index]
    sb.delete("pages", first)
    assert sb.get("split_test_steps", step["id"])["variants"][0]["page"] is None  # type: ignore[index]


def test_change_options_are_the_products_other_prices_by_variant():
    sb = Sandbox(SandboxConfig(seed=7, workspaces=1, counts={"products": 4, "products_prices": 3}))
    ws = sb.workspace_ids()[0]
    found = 0
    for product in sb.records("products", workspace_id=ws):
        prices = by_id(sb.records("products_prices", parent_id=product["id"]))
        variants = by_id(sb.records("products_variants", parent_id=product["id"]))
        for price in prices.values():
            (options,) = sb.records("products_prices_change_options", parent_id=price["id"])
            assert options["id"] == price["id"]
            for way, dearer in (("upgrade", True), ("downgrade", False)):
                for option in options[way]:
                    variant = option["products_variant"]
                    assert variants[variant["id"]]["name"] == variant["name"]
                    assert variant["product_id"] == product["id"]
                    for listed in variant["prices"]:
                        found += 1
                        other = prices[listed["id"]]
                        assert other["id"] != price["id"]
                        assert other["variant_id"] == variant["id"]
                        assert (Decimal(other["amount"]) > Decimal(price["amount"])) is dearer
    assert found
    product = sb.records("products", workspace_id=ws)[0]
    price = sb.records("products_prices", parent_id=product["id"])[0]
    variant = sb.records("products_variants", parent_id=product["id"])[0]
    cheaper = sb.create(
        "products_prices", {"amount": "0.50", "variant_id": variant["id"]}, parent_id=product["id"]
    )
    (options,) = sb.records("products_prices_change_options", parent_id=price["id"])
    assert cheaper["id"] in {p["id"] for o in options["downgrade"] for p in o["products_variant"]["prices"]}
    with pytest.raises(ValueError, match="worked out"):
        sb.create("products_prices_change_options", {}, parent_id=price["id"])

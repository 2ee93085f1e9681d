"""The sandbox's id arithmetic: offsets, ancestors, subtree enumeration, public ids, timestamps."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from cfsync.sandbox.catalog import ACCOUNT, catalog
from cfsync.sandbox.config import SandboxConfig
from cfsync.sandbox.ids import SPAN_MS, IdSpace, iso_ms, world_end_ms

END = world_end_ms(datetime(2026, 12, 3, 15, 30, tzinfo=UTC))


@pytest.fixture
def ids() -> IdSpace:
    return IdSpace(catalog(), SandboxConfig(seed=3, accounts=2, workspaces=3), END)


def test_every_resource_has_a_parent_chain_ending_at_an_account():
    cat = catalog()
    assert len(cat.resources) == 64  # a resource per list, and each workspace's site
    for name in cat.resources:
        assert cat.chain_types(name)[-1] == ACCOUNT
    assert cat.spec("courses_enrollments").parent == "courses"
    assert cat.spec("orders_invoices").parent == "orders"  # listed per order and per workspace
    assert {v.scope for v in cat.spec("orders_invoices").views} == {"orders", "workspaces"}
    assert cat.spec("workspaces").parent == "teams"


def test_literal_segments_win_over_parameters():
    cat = catalog()
    route, params = cat.match("GET", "/orders/invoices/5") or (None, None)
    assert route is not None
    assert (route.kind, route.resource, params) == ("get", "orders_invoices", {"id": "5"})
    route, params = cat.match("GET", "/orders/5/invoices") or (None, None)
    assert route is not None
    assert (route.kind, params) == ("list", {"order_id": "5"})
    assert cat.match("GET", "/workspaces/1/contacts/2") is None


def test_subtree_enumeration_matches_a_brute_force_scan(ids: IdSpace):
    ws_offset = 4
    ws_id = ids.id_at("workspaces", ws_offset)
    n = ids.count_under("orders_invoices", "workspaces")
    fast = [ids.offset_under("orders_invoices", "workspaces", ws_offset, p) for p in range(n)]
    slow = [
        o
        for o in range(ids.total("orders_invoices"))
        if ("workspaces", ws_id) in ids.ancestry("orders_invoices", o)
    ]
    assert fast == slow
    assert n == ids.count("orders") * ids.count("orders_invoices")


def test_ids_rise_with_the_index_and_know_their_parent(ids: IdSpace):
    course_offset = 7
    course_id = ids.id_at("courses", course_offset)
    children = [
        ids.id_at("courses_enrollments", ids.offset_under("courses_enrollments", "courses", course_offset, p))
        for p in range(ids.count("courses_enrollments"))
    ]
    assert children == sorted(children)
    for child in children:
        offset = ids.offset_of("courses_enrollments", child)
        assert offset is not None
        assert ids.ancestry("courses_enrollments", offset)[0] == ("courses", course_id)
    assert ids.offset_of("courses_enrollments", course_id) is None or course_id not in children
    assert ids.first_created_id("contacts") > ids.id_at("contacts", ids.total("contacts") - 1)


def test_public_ids_round_trip_and_never_look_numeric(ids: IdSpace):
    seen = set()
    for name in ("contacts", "orders", "products"):
        for id_ in (ids.base(name), ids.base(name) + 1, 10**9):
            public = ids.public_id(name, id_)
            assert len(public) == 7
            assert not public.isdigit()
            assert ids.parse_public_id(public) == (name, id_)
            seen.add(public)
    assert len(seen) == 9
    assert ids.parse_public_id("1234567") is None
    assert ids.parse_public_id("short") is None


def test_the_world_ends_at_the_start_of_the_clocks_day():
    assert iso_ms(world_end_ms(datetime(2026, 12, 3, 23, 59, tzinfo=UTC))) == "2026-12-03T00:00:00.000Z"
    assert world_end_ms(datetime(2026, 12, 3, tzinfo=UTC)) == END


def test_generated_times_rise_strictly_and_stay_before_the_worlds_end(ids: IdSpace):
    total = ids.total("contacts")
    created = [ids.created_ms("contacts", o) for o in range(total)]
    updated = [ids.updated_ms("contacts", o) for o in range(total)]
    assert all(a < b for a, b in itertools.pairwise(updated))
    assert all(u >= c for u, c in zip(updated, created, strict=True))
    assert max(updated) < END
    assert created[0] == END - SPAN_MS
    assert END - created[-1] < SPAN_MS // total + 3 * 3_600_000  # created up to (nearly) the end


def test_a_million_records_cost_nothing_up_front():
    ids = IdSpace(catalog(), SandboxConfig(counts={"contacts": 1_000_000, "contacts_applied_tags": 3}), END)
    assert ids.total("contacts") == 2_000_000
    assert ids.total("contacts_applied_tags") == 6_000_000
    last = ids.total("contacts_applied_tags") - 1
    assert ids.ancestry("contacts_applied_tags", last)[0] == ("contacts", ids.id_at("contacts", 1_999_999))

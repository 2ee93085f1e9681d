"""List queries straight on the state: keyset pages in both sorts, merging generated and changed records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cfsync.sandbox import Sandbox, SandboxConfig, SandboxError
from cfsync.sandbox.query import ListQuery, page


def _walk(sb: Sandbox, ws: int, **q: Any) -> list[int]:
    out: list[int] = []
    after = None
    while True:
        got = page(sb.state, "contacts", "workspaces", ws, ListQuery(after=after, **q))
        out += [r["id"] for r in got]
        if len(got) < 20:
            return out
        after = got[-1]["id"]


def test_updated_at_keyset_pages_merge_generated_and_touched_records():
    ticks = iter(range(10**6))
    sb = Sandbox(
        SandboxConfig(counts={"contacts": 70}),
        clock=lambda: datetime.fromtimestamp(2_000_000_000 + next(ticks), tz=UTC),
    )
    ws = sb.workspace_ids()[0]
    everything = sb.records("contacts", workspace_id=ws)
    sb.update("contacts", everything[50]["id"], {"first_name": "x"})
    sb.update("contacts", everything[2]["id"], {"first_name": "y"})
    created = sb.create("contacts", {"email_address": "late@example.com"}, workspace_id=ws)
    sb.delete("contacts", everything[10]["id"])
    current = sb.records("contacts", workspace_id=ws)
    by_key = sorted(current, key=lambda r: (r["updated_at"], r["id"]))
    assert _walk(sb, ws, by_updated=True) == [r["id"] for r in by_key]
    assert _walk(sb, ws, by_updated=True, desc=True) == [r["id"] for r in reversed(by_key)]
    assert _walk(sb, ws) == [r["id"] for r in current]
    assert _walk(sb, ws)[-1] == created["id"]
    last_three = (everything[50]["id"], everything[2]["id"], created["id"])
    assert by_key[-3:] == [sb.get("contacts", i) for i in last_three]


def test_a_cursor_on_a_deleted_record_still_continues_in_place():
    sb = Sandbox(SandboxConfig(counts={"contacts": 70}))
    ws = sb.workspace_ids()[0]
    everything = [r["id"] for r in sb.records("contacts", workspace_id=ws)]
    for by_updated in (False, True):
        first = page(sb.state, "contacts", "workspaces", ws, ListQuery(by_updated=by_updated))
        cursor = first[-1]["id"]
        if cursor in everything:
            sb.delete("contacts", cursor)
            everything.remove(cursor)
        rest = page(sb.state, "contacts", "workspaces", ws, ListQuery(after=cursor, by_updated=by_updated))
        start = everything.index(first[-2]["id"]) + 1
        assert [r["id"] for r in rest] == everything[start : start + 20]


def test_filters_scan_lazily_and_combine():
    sb = Sandbox(SandboxConfig(counts={"orders": 90}))
    ws = sb.workspace_ids()[0]
    orders = sb.records("orders", workspace_id=ws)
    wanted = {o["id"] for o in orders if o["order_type"] == "one-time-order"}
    got: list[int] = []
    after = None
    while True:
        chunk = page(
            sb.state,
            "orders",
            "workspaces",
            ws,
            ListQuery(after=after, filters={"order_type": ("one-time-order", "nothing")}),
        )
        got += [r["id"] for r in chunk]
        if len(chunk) < 20:
            break
        after = chunk[-1]["id"]
    assert got == sorted(wanted)


def test_refused_writes_leave_the_order_alone():
    sb = Sandbox(SandboxConfig(counts={"contacts": 30, "products": 30}))
    ws = sb.workspace_ids()[0]
    contacts = sb.records("contacts", workspace_id=ws)
    with pytest.raises(SandboxError):
        sb.update("contacts", contacts[3]["id"], {"email_address": contacts[4]["email_address"]})
    products = sb.records("products", workspace_id=ws)
    archived = next(p for p in products if p["archived"])
    with pytest.raises(SandboxError):
        sb.actions.set_archived(archived["id"], True)
    assert sb.records("contacts", workspace_id=ws) == contacts
    assert _walk(sb, ws, by_updated=True) == [c["id"] for c in contacts]
    newest_first = ListQuery(by_updated=True, desc=True)
    by_updated = page(sb.state, "products", "workspaces", ws, newest_first, limit=None)
    assert [p["id"] for p in by_updated] == [p["id"] for p in reversed(products)]

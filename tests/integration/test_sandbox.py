"""The sandbox's read side over real sockets: auth, routing, pagination, sorting, filters, schemas."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import aiohttp
import pytest

from cfsync.resources.facts import item_schema, list_operations, operations, schema
from cfsync.sandbox import Sandbox, SandboxConfig, SandboxServer
from cfsync.sandbox.catalog import ACCOUNT, FALLBACK_SCHEMAS

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TYPE = re.compile(r"^([a-z]+(?:\[\])?)\??(\|null)?(?:\(([\w-]+)\))?(?: enum\[([^\]]*)\])?$")


def problems(value: Any, shape: Any, where: str = "") -> list[str]:
    """How a served value strays from a facts schema (keys exactly, types, enums, timestamp shape)."""
    if value is None:
        return [] if where.rsplit(".", 1)[-1] != "id" else [f"{where} is null"]
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f"{where} is not a list"]
        return [p for i, v in enumerate(value) for p in problems(v, shape[0], f"{where}[{i}]")]
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return [f"{where} is not an object"]
        if not shape:
            return []
        differ = sorted(set(value) ^ set(shape))
        out = [f"{where}: keys differ by {differ}"] if differ else []
        return out + [p for k in shape if k in value for p in problems(value[k], shape[k], f"{where}.{k}")]
    m = TYPE.match(shape)
    assert m, shape
    base, _, fmt, enum = m.groups()
    checks = {
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "object": lambda v: isinstance(v, dict),
    }
    ok = checks[base](value) if base in checks else isinstance(value, list)
    if not ok:
        return [f"{where}: {value!r} is not {shape}"]
    if enum and value not in enum.split(","):
        return [f"{where}: {value!r} not in {enum}"]
    if fmt == "date-time" and not ISO_MS.match(value):
        return [f"{where}: {value!r} is not ISO-8601 with milliseconds"]
    return []


def shape_of(path: str) -> dict[str, Any]:
    op = next(o for o in list_operations() if o.path == path)
    found = item_schema(op) or op.object_answer
    if found:
        return schema(found)
    return next(v for k, v in FALLBACK_SCHEMAS.items() if path.endswith(k.replace("_", "/")))


def parent_id(sandbox: Sandbox, resource: str) -> int:
    """Some live record the list of `resource` hangs from, in account 0's first workspace: the first whose
    list is not empty (a funnel of one page has no split test)."""
    parent = sandbox.catalog.spec(resource).parent
    if parent == ACCOUNT:
        return 0
    if parent == "teams":
        return sandbox.team_ids(0)[0]
    if parent == "workspaces":
        return sandbox.workspace_ids(0)[0]
    parents = [r["id"] for r in sandbox.records(parent, workspace_id=sandbox.workspace_ids(0)[0])]
    return next((p for p in parents if sandbox.records(resource, parent_id=p)), parents[0])


def expanding(sandbox: Sandbox, resource: str) -> list[tuple[str, str]]:
    """Query parameters asking for every expandable field of a resource (`expand[]=a&expand[]=b`)."""
    return [("expand[]", name) for name in sandbox.catalog.spec(resource).expandable]


async def test_every_list_route_answers_schema_conformant_records(sandbox: Sandbox, sandbox_api: Any):
    ops = list_operations()
    assert len(ops) == 64
    for op in ops:
        view = next(v for r in sandbox.catalog.resources.values() for v in r.views if v.path == op.path)
        name, scope = view.resource, view.scope
        scope_id = {"teams": sandbox.team_ids(0)[0], "workspaces": sandbox.workspace_ids(0)[0]}.get(scope)
        path = re.sub(r"\{\w+\}", str(scope_id or parent_id(sandbox, name)), op.path)
        reply = await sandbox_api.get(path, params=expanding(sandbox, name))
        assert reply.status == 200, (op.path, reply.text)
        assert reply.headers["Content-Type"].startswith("application/json")
        shape = shape_of(op.path)
        if op.object_answer:  # a price's change options: one object
            assert problems(reply.body, shape, op.path) == []
            assert "Pagination-Next" not in reply.headers
            continue
        records = reply.body
        assert isinstance(records, list)
        assert 0 < len(records) <= 20, op.path
        for rec in records:
            assert problems(rec, shape, op.path) == []
        assert [r["id"] for r in records] == sorted(r["id"] for r in records)


async def test_every_member_route_serves_what_the_list_shows(sandbox: Sandbox, sandbox_api: Any):
    members = [o for o in operations() if o.method == "GET" and o.path.endswith("/{id}")]
    assert len(members) >= 58
    for op in members:
        name = next(r.name for r in sandbox.catalog.resources.values() if r.member_path == op.path)
        scope_id = parent_id(sandbox, name) if sandbox.catalog.spec(name).parent != ACCOUNT else None
        listed = sandbox.records(name, parent_id=scope_id, expand=True)
        rec = listed[-1]
        # A nested member route (a funnel's split test step) names the parent too.
        path = re.sub(r"\{(?!id\})\w+\}", str(scope_id), op.path)
        by_id = await sandbox_api.get(path.replace("{id}", str(rec["id"])), params=expanding(sandbox, name))
        by_public_id = await sandbox_api.get(
            path.replace("{id}", rec["public_id"]), params=expanding(sandbox, name)
        )
        assert by_id.status == 200, (op.path, by_id.text)
        assert by_id.body == rec
        assert by_public_id.body == rec
        if path != op.path:
            other_parent = re.sub(r"/\d+/", "/1/", path, count=1)
            elsewhere = await sandbox_api.get(other_parent.replace("{id}", str(rec["id"])))
            assert elsewhere.status == 404, op.path


async def test_pagination_walks_in_pages_of_20_with_headers(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    expected = sandbox.records("contacts", workspace_id=ws)
    assert 40 < len(expected) <= 45  # a few anonymous contacts are hidden
    first = await sandbox_api.get(f"/workspaces/{ws}/contacts", params={"sort_order": "asc"})
    assert len(first.body) == 20
    assert first.headers["Pagination-Next"] == str(first.body[-1]["id"])
    link = first.headers["Link"]
    m = re.fullmatch(r'<(http://127\.0\.0\.1:\d+/api/v2/workspaces/\d+/contacts\?[^>]+)>; rel="next"', link)
    assert m, link
    assert "sort_order=asc" in m.group(1)
    assert f"after={first.body[-1]['id']}" in m.group(1)
    second = await sandbox_api.get("", url=m.group(1))
    assert [r["id"] for r in second.body] == [r["id"] for r in expected[20:40]]
    pages = await sandbox_api.walk(f"/workspaces/{ws}/contacts")
    assert [len(p) for p in pages] == [20, 20, len(expected) - 40]
    assert [r for p in pages for r in p] == expected
    last = await sandbox_api.get(f"/workspaces/{ws}/contacts", params={"after": str(expected[-1]["id"])})
    assert last.body == []
    assert "Pagination-Next" not in last.headers
    assert "Link" not in last.headers


async def test_a_full_last_page_says_more_may_follow_then_an_empty_page_ends(api_for: Any):
    sb = Sandbox(SandboxConfig(seed=3, counts={"products": 40}))
    async with SandboxServer(sb) as server:
        api = api_for(server.url, sb.api_token())
        pages = await api.walk(f"/workspaces/{sb.workspace_ids()[0]}/products")
    assert [len(p) for p in pages] == [20, 20, 0]


async def test_desc_order_and_after_walk_backwards(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[1]
    expected = sandbox.records("orders", workspace_id=ws)
    pages = await sandbox_api.walk(f"/workspaces/{ws}/orders", {"sort_order": "desc"})
    ids = [r["id"] for p in pages for r in p]
    assert ids == [r["id"] for r in reversed(expected)]
    middle = await sandbox_api.get(
        f"/workspaces/{ws}/orders", params={"sort_order": "desc", "after": str(expected[30]["id"])}
    )
    assert [r["id"] for r in middle.body] == [r["id"] for r in reversed(expected[10:30])]


async def test_updated_at_sort_moves_changed_records_to_the_end(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    before = sandbox.records("contacts", workspace_id=ws)
    changed = sandbox.update("contacts", before[3]["id"], {"first_name": "Changed"})
    assert changed["updated_at"] > max(r["updated_at"] for r in before)
    pages = await sandbox_api.walk(f"/workspaces/{ws}/contacts", {"sort_property": "updated_at"})
    asc = [r for p in pages for r in p]
    keys = [(r["updated_at"], r["id"]) for r in asc]
    assert keys == sorted(keys)
    assert asc[-1]["id"] == changed["id"]
    assert len(asc) == len(before)
    desc_pages = await sandbox_api.walk(
        f"/workspaces/{ws}/contacts", {"sort_property": "updated_at", "sort_order": "desc"}
    )
    desc = [r for p in desc_pages for r in p]
    assert desc[0]["first_name"] == "Changed"
    assert [r["id"] for r in desc] == [r["id"] for r in reversed(asc)]


async def test_invalid_sort_values_are_400(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    for params in ({"sort_order": "up"}, {"sort_property": "name"}, {"after": "abc"}):
        reply = await sandbox_api.get(f"/workspaces/{ws}/contacts", params=params)
        assert reply.status == 400, params
        assert "error" in reply.body


async def test_filters_or_within_a_key_and_across_keys(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    contacts = sandbox.records("contacts", workspace_id=ws)
    a, b = contacts[2]["email_address"], contacts[9]["email_address"]
    reply = await sandbox_api.get(
        f"/workspaces/{ws}/contacts", params={"filter[email_address]": f"{a},{b.upper()}"}
    )
    assert [r["email_address"] for r in reply.body] == [a, b]
    orders = sandbox.records("orders", workspace_id=ws)
    contact_id = orders[0]["contact_id"]
    subs = {r["id"] for r in orders if r["order_type"] == "subscription-order"}
    mine = {r["id"] for r in orders if r["contact_id"] == contact_id}
    both = await sandbox_api.get(
        f"/workspaces/{ws}/orders",
        params={"filter[order_type]": "subscription-order", "filter[contact_id]": str(contact_id)},
    )
    assert {r["id"] for r in both.body} == subs & mine
    ids = f"{orders[1]['id']},{orders[4]['id']},999"
    by_id = await sandbox_api.get(f"/workspaces/{ws}/orders", params={"filter[id]": ids})
    assert [r["id"] for r in by_id.body] == [orders[1]["id"], orders[4]["id"]]


async def test_unknown_filter_key_is_400_but_unknown_params_are_ignored(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    bad = await sandbox_api.get(f"/workspaces/{ws}/contacts", params={"filter[first_name]": "Ada"})
    assert bad.status == 400
    assert "first_name" in bad.body["error"]
    plain = await sandbox_api.get(f"/workspaces/{ws}/contacts")
    typo = await sandbox_api.get(f"/workspaces/{ws}/contacts", params={"per_page": "100", "limit": "5"})
    assert typo.status == 200
    assert typo.body == plain.body
    assert len(typo.body) == 20


async def test_auth_and_the_cdn(sandbox: Sandbox, sandbox_server: SandboxServer):
    ws = sandbox.workspace_ids(0)[0]
    url = f"{sandbox_server.url}/api/v2/workspaces/{ws}/contacts"
    async with aiohttp.ClientSession() as s:
        async with s.get(url) as r:
            assert r.status == 401
            assert await r.json() == {"error": "API key missing or invalid"}
        async with s.get(url, headers={"Authorization": "Bearer nope"}) as r:
            assert r.status == 401
        async with s.get(url, headers={"Authorization": f"Bearer {sandbox.maton_key}"}) as r:
            assert r.status == 401  # a Maton key is not a ClickFunnels token
        headers = {"Authorization": f"Bearer {sandbox.api_token(0)}"}
        async with s.get(url, headers=headers, skip_auto_headers=["User-Agent"]) as r:
            assert r.status == 403
        async with s.get(url, headers={**headers, "User-Agent": "  "}) as r:
            assert r.status == 403
        async with s.get(url, headers=headers) as r:
            assert r.status == 200


async def test_a_token_reaches_only_its_own_team(sandbox: Sandbox, sandbox_api: Any):
    other_ws = sandbox.workspace_ids(1)[0]
    other_contact = sandbox.records("contacts", workspace_id=other_ws)[0]
    for path in (
        f"/workspaces/{other_ws}/contacts",
        f"/contacts/{other_contact['id']}",
        f"/workspaces/{other_ws}",
        f"/teams/{sandbox.team_ids(1)[0]}/workspaces",
    ):
        reply = await sandbox_api.get(path)
        assert reply.status == 404, path
        assert reply.body == {"error": "Not found: Record missing"}
    teams = await sandbox_api.get("/teams")
    assert [t["id"] for t in teams.body] == sandbox.team_ids(0)


async def test_maton_prefix_and_connection_choice(sandbox: Sandbox, sandbox_server: SandboxServer):
    base = f"{sandbox_server.url}/clickfunnels/api/v2"
    key = {"Authorization": f"Bearer {sandbox.maton_key}"}
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{base}/teams", headers=key) as r:
            assert r.status == 200
            assert [t["id"] for t in await r.json()] == sandbox.team_ids(0)  # the oldest connection
        second = {**key, "Maton-Connection": sandbox.connection_ids[1]}
        async with s.get(f"{base}/teams", headers=second) as r:
            assert [t["id"] for t in await r.json()] == sandbox.team_ids(1)
        async with s.get(f"{base}/teams", headers={**key, "Maton-Connection": "no-such-connection"}) as r:
            assert r.status == 400
            assert "error" in await r.json()
        async with s.get(f"{base}/teams", headers={"Authorization": f"Bearer {sandbox.api_token(0)}"}) as r:
            assert r.status == 401
        ws = sandbox.workspace_ids(1)[0]
        async with s.get(f"{base}/workspaces/{ws}/contacts", headers=second) as r:
            assert r.status == 200
            link = r.headers["Link"]
            assert link.startswith(f"<{base}/workspaces/{ws}/contacts?after=")
        connections = f"{sandbox_server.url}/connections"
        async with s.get(connections, params={"app": "clickfunnels"}, headers=key) as r:
            listed = await r.json()
            assert [c["connection_id"] for c in listed["connections"]] == sandbox.connection_ids
    assert sandbox.requests[-2].mode == "maton"
    assert sandbox.requests[-2].account == 1
    assert sandbox.requests[-2].api_path == f"/workspaces/{ws}/contacts"


async def test_unknown_routes_and_workspace_prefixed_members_are_404(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    contact = sandbox.records("contacts", workspace_id=ws)[0]
    for path in (f"/workspaces/{ws}/contacts/{contact['id']}", "/nothing/here", f"/workspaces/{ws}/widgets"):
        reply = await sandbox_api.get(path)
        assert reply.status == 404, path
        assert reply.body == {"error": "Not found"}
    for path in (
        "/contacts/999999999",
        "/contacts/abcdefg",
        f"/orders/{contact['public_id']}",
        f"/workspaces/{contact['id']}/contacts",
    ):
        reply = await sandbox_api.get(path)
        assert reply.status == 404, path
        assert reply.body == {"error": "Not found: Record missing"}


async def test_anonymous_contacts_are_reachable_but_not_listed(api_for: Any):
    sb = Sandbox(SandboxConfig(seed=11, counts={"contacts": 200}))
    ws = sb.workspace_ids()[0]
    offsets = range(sb.ids.count_under("contacts", "workspaces"))
    ws_offset = sb.ids.offset_of("workspaces", ws)
    assert ws_offset is not None
    ids = [
        sb.ids.id_at("contacts", sb.ids.offset_under("contacts", "workspaces", ws_offset, p)) for p in offsets
    ]
    every = [sb.get("contacts", i) for i in ids]
    anonymous = [r for r in every if r and r["anonymous"] is not None]
    assert anonymous, "some generated contacts are anonymous"
    listed = {r["id"] for r in sb.records("contacts", workspace_id=ws)}
    assert not listed & {r["id"] for r in anonymous}
    assert len(listed) == 200 - len(anonymous)
    async with SandboxServer(sb) as server:
        api = api_for(server.url, sb.api_token())
        reply = await api.get(f"/contacts/{anonymous[0]['id']}")
        assert reply.status == 200
        assert reply.body["anonymous"] == anonymous[0]["anonymous"]


async def test_orders_embed_their_real_contact_and_line_items(sandbox: Sandbox):
    ws = sandbox.workspace_ids(0)[0]
    for order in sandbox.records("orders", workspace_id=ws)[:10]:
        contact = sandbox.get("contacts", order["contact_id"])
        assert contact is not None
        assert contact["workspace_id"] == ws
        assert order["contact"] == contact
        assert order["line_items"]
        assert all(li["order_id"] == order["id"] for li in order["line_items"])
    types = {o["order_type"] for o in sandbox.records("orders", workspace_id=ws)}
    assert types == {"subscription-order", "one-time-order"}
    courses = sandbox.records("courses", workspace_id=ws)
    assert "workspace_id" not in courses[0]
    enrollment = sandbox.records("courses_enrollments", parent_id=courses[0]["id"])[0]
    assert enrollment["course_id"] == courses[0]["id"]
    assert sandbox.get("contacts", enrollment["contact_id"])["workspace_id"] == ws  # type: ignore[index]


def test_same_seed_same_bytes_and_another_seed_differs():
    def dump(seed: int) -> str:
        sb = Sandbox(SandboxConfig(seed=seed, counts={"contacts": 30}))
        ws = sb.workspace_ids()[0]
        names = ("contacts", "orders", "products", "webhooks_outgoing_events")
        data = {n: sb.records(n, workspace_id=ws) for n in names}
        return json.dumps([sb.api_token(), sb.maton_key, sb.connection_ids, data], sort_keys=True)

    assert dump(5) == dump(5)
    assert dump(5) != dump(6)


async def test_a_million_contacts_start_instantly_and_page_quickly(api_for: Any):
    started = time.perf_counter()
    sb = Sandbox(SandboxConfig(counts={"contacts": 1_000_000}))
    assert time.perf_counter() - started < 0.5
    async with SandboxServer(sb) as server:
        api = api_for(server.url, sb.api_token())
        ws = sb.workspace_ids()[0]
        middle = sb.ids.id_at("contacts", 1_000_000)  # the middle of the workspace's contacts (2 workspaces)
        for params in (
            {},
            {"after": str(middle)},
            {"after": str(middle), "sort_property": "updated_at"},
            {"after": str(middle), "sort_order": "desc"},
        ):
            started = time.perf_counter()
            reply = await api.get(f"/workspaces/{ws}/contacts", params=params)
            assert time.perf_counter() - started < 1.0, params
            assert len(reply.body) == 20
            assert reply.headers["Pagination-Next"] == str(reply.body[-1]["id"])
        email = reply.body[5]["email_address"]
        started = time.perf_counter()
        found = await api.get(f"/workspaces/{ws}/contacts", params={"filter[email_address]": email})
        assert time.perf_counter() - started < 1.0
        assert [r["email_address"] for r in found.body] == [email]


@pytest.mark.parametrize("resource", ["contacts", "orders", "courses_enrollments", "orders_invoices"])
def test_ids_rise_and_are_unique_across_accounts(resource: str):
    sb = Sandbox(SandboxConfig(seed=2, accounts=3, workspaces=2))
    ids: list[int] = []
    for account in range(3):
        for ws in sb.workspace_ids(account):
            chunk = [r["id"] for r in sb.records(resource, workspace_id=ws)]
            assert chunk == sorted(chunk)
            assert all(i > 0 for i in chunk)
            ids += chunk
    assert len(ids) == len(set(ids))
    public = [
        r["public_id"]
        for a in range(3)
        for ws in sb.workspace_ids(a)
        for r in sb.records(resource, workspace_id=ws)
    ]
    assert len(public) == len(set(public))

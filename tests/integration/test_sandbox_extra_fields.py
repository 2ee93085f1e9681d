"""Extra fields (fields the facts do not have) over real sockets: the control routes, what lists, member GETs
and webhook deliveries show, `from_id`, a kind that changes halfway, and `Sandbox.add_extra_field`."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from aiohttp import web

from cfsync.sandbox import Sandbox, SandboxConfig, SandboxServer

MONEY = re.compile(r"^\d+\.\d{2}$")


@pytest.fixture
def control(sandbox: Sandbox, sandbox_server: SandboxServer, api_for: Any) -> Any:
    return api_for(sandbox_server.url, sandbox.control_token, prefix="/_sandbox")


@pytest.fixture
def ws(sandbox: Sandbox) -> int:
    return sandbox.workspace_ids(0)[0]


async def contacts(sandbox_api: Any, ws: int) -> list[dict[str, Any]]:
    return [r for page in await sandbox_api.walk(f"/workspaces/{ws}/contacts") for r in page]


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def fits(kind: str, value: Any, record: dict[str, Any]) -> bool:
    """Whether a non-null value is of `kind` as extras.py promises it."""
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, float) and value != int(value)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "timestamp":
        return (
            isinstance(value, str)
            and value.endswith(("Z", "+00:00"))
            and when(record["created_at"]) <= when(value) <= when(record["updated_at"])
        )
    if kind == "money":
        return isinstance(value, str) and MONEY.match(value) is not None
    if kind == "text":
        return isinstance(value, str) and value != ""
    if kind == "object":
        return isinstance(value, dict) and bool(value)
    assert kind == "array"
    return isinstance(value, list) and len(value) <= 3


# -- what the API answers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["integer", "number", "boolean", "timestamp", "money", "text", "object", "array"]
)
async def test_a_list_page_and_a_single_get_show_the_field_in_its_kind(
    control: Any, sandbox_api: Any, sandbox: Sandbox, ws: int, kind: str
):
    switch = {"resource": "contacts", "field": "loyalty_points", "kind": kind}
    reply = await control.post("/extra_fields", switch)
    assert reply.status == 200, reply.text
    assert reply.body == [{**switch, "from_id": None, "change": None}]
    listed = await contacts(sandbox_api, ws)
    assert len(listed) > 30
    values = [r["loyalty_points"] for r in listed]
    nulls = sum(v is None for v in values)
    assert 0 < nulls < len(values) / 3  # about one in 7
    assert all(fits(kind, r["loyalty_points"], r) for r in listed if r["loyalty_points"] is not None)
    for record in listed[:3] + listed[-3:]:
        one = await sandbox_api.get(f"/contacts/{record['id']}")
        assert one.status == 200
        assert one.body["loyalty_points"] == record["loyalty_points"]
        assert sandbox.get("contacts", record["id"])["loyalty_points"] == record["loyalty_points"]
    # The same values on every read: nothing drawn at random per request.
    assert [r["loyalty_points"] for r in await contacts(sandbox_api, ws)] == values


async def test_array_items_are_small_objects_with_unique_ids(control: Any, sandbox_api: Any, ws: int):
    reply = await control.post("/extra_fields", {"resource": "contacts", "field": "badges", "kind": "array"})
    assert reply.status == 200, reply.text
    listed = await contacts(sandbox_api, ws)
    sizes = {len(r["badges"]) for r in listed if r["badges"] is not None}
    assert sizes == {0, 1, 2, 3}
    items = [item for r in listed for item in r["badges"] or []]
    assert all(set(item) == {"id", "name", "awarded_at"} for item in items)
    assert all(isinstance(item["id"], int) and isinstance(item["name"], str) for item in items)
    assert len({item["id"] for item in items}) == len(items)
    for r in listed:
        for item in r["badges"] or []:
            assert when(r["created_at"]) <= when(item["awarded_at"]) <= when(r["updated_at"])


async def test_from_id_limits_the_field_to_newer_records(control: Any, sandbox_api: Any, ws: int):
    ids = [r["id"] for r in await contacts(sandbox_api, ws)]
    cut = ids[len(ids) // 3]
    switch = {"resource": "contacts", "field": "score", "kind": "number", "from_id": cut}
    assert (await control.post("/extra_fields", switch)).status == 200
    listed = await contacts(sandbox_api, ws)
    assert all("score" not in r for r in listed if r["id"] < cut)
    assert all("score" in r for r in listed if r["id"] >= cut)
    assert (await sandbox_api.get(f"/contacts/{ids[0]}")).body.keys().isdisjoint({"score"})


async def test_a_kind_that_changes_halfway(control: Any, sandbox_api: Any, sandbox: Sandbox, ws: int):
    switch = {
        "resource": "contacts",
        "field": "loyalty_points",
        "kind": "integer",
        "change": {"kind": "text", "from_id": None},
    }
    reply = await control.post("/extra_fields", switch)
    assert reply.status == 200, reply.text
    median = reply.body[0]["change"]["from_id"]
    assert isinstance(median, int)
    # The median of the resource's ids: of every workspace and account, not only this list.
    every = sorted(
        r["id"]
        for a in range(sandbox.accounts)
        for w in sandbox.workspace_ids(a)
        for r in sandbox.records("contacts", workspace_id=w)
    )
    assert every[0] < median <= every[-1]
    listed = await contacts(sandbox_api, ws)
    below = [r["loyalty_points"] for r in listed if r["id"] < median]
    above = [r["loyalty_points"] for r in listed if r["id"] >= median]
    assert below
    assert above
    assert all(fits("integer", v, {}) for v in below if v is not None)
    assert all(isinstance(v, str) and not v.lstrip("-").isdigit() for v in above if v is not None)
    assert any(v is not None for v in below)
    assert any(v is not None for v in above)
    # A given change point is kept as given.
    switch["change"] = {"kind": "boolean", "from_id": 5}
    assert (await control.post("/extra_fields", switch)).body[0]["change"] == {
        "kind": "boolean",
        "from_id": 5,
    }


async def test_get_lists_and_delete_clears_the_switches(
    control: Any, sandbox_api: Any, sandbox: Sandbox, ws: int
):
    plain = await contacts(sandbox_api, ws)
    orders_before = sandbox.records("orders", workspace_id=ws)
    assert (await control.get("/extra_fields")).body == []
    await control.post("/extra_fields", {"resource": "contacts", "field": "badges", "kind": "array"})
    await control.post("/extra_fields", {"resource": "orders", "field": "risk_score", "kind": "integer"})
    listed = await control.get("/extra_fields")
    assert listed.status == 200
    assert {(s["resource"], s["field"]) for s in listed.body} == {
        ("contacts", "badges"),
        ("orders", "risk_score"),
    }
    assert all("risk_score" in o for o in sandbox.records("orders", workspace_id=ws))
    one = await control.delete("/extra_fields", params={"resource": "orders"})
    assert one.status == 200
    assert [s["field"] for s in one.body] == ["badges"]
    assert sandbox.records("orders", workspace_id=ws) == orders_before
    assert all("badges" in r for r in await contacts(sandbox_api, ws))
    cleared = await control.delete("/extra_fields")
    assert cleared.status == 200
    assert cleared.body == []
    # Without a switch every answer is what it was before: the same values, nothing added.
    assert await contacts(sandbox_api, ws) == plain


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"resource": "contact", "field": "x", "kind": "integer"}, "did you mean contacts"),
        (
            {"resource": "nothing_here", "field": "x", "kind": "integer"},
            "known: the list names, e.g. contacts",
        ),
        ({"resource": "contacts", "field": "x", "kind": "float"}, "unknown kind 'float'"),
        ({"resource": "contacts", "field": "email_address", "kind": "text"}, "already have a field"),
        ({"resource": "contacts", "field": "tags", "kind": "array"}, "already have a field"),
        ({"resource": "contacts", "field": "", "kind": "text"}, "field must be a non-empty string"),
        ({"resource": "contacts", "kind": "text"}, "Missing keys ['field']"),
        ({"resource": "contacts", "field": "x", "kind": "text", "colour": 1}, "Unknown keys ['colour']"),
        (
            {"resource": "contacts", "field": "x", "kind": "text", "from_id": "7"},
            "from_id must be an integer",
        ),
        (
            {"resource": "contacts", "field": "x", "kind": "integer", "change": {"kind": "word"}},
            "unknown change.kind 'word'",
        ),
        ({"resource": "contacts", "field": "x", "kind": "integer", "change": [1]}, "change must be"),
        ([1, 2], "Expected a JSON object"),
    ],
)
async def test_bad_switches_are_400_with_one_line(control: Any, body: Any, says: str):
    reply = await control.post("/extra_fields", body)
    assert reply.status == 400, reply.text
    assert says in reply.body["error"]
    assert "\n" not in reply.body["error"]
    assert (await control.get("/extra_fields")).body == []


async def test_delete_of_an_unknown_resource_is_400(control: Any):
    reply = await control.delete("/extra_fields", params={"resource": "nope"})
    assert reply.status == 400
    assert "unknown resource 'nope'" in reply.body["error"]


async def test_the_control_routes_need_the_control_token(
    sandbox: Sandbox, sandbox_server: SandboxServer, api_for: Any
):
    other = api_for(sandbox_server.url, sandbox.api_token(0), prefix="/_sandbox")
    for method in ("GET", "POST", "DELETE"):
        body = {"resource": "contacts", "field": "x", "kind": "text"}
        assert (await other.request(method, "/extra_fields", json_body=body)).status == 401
    assert sandbox.extra_fields() == []


# -- webhook deliveries --------------------------------------------------------------------------------------


@pytest.fixture
async def hook() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A receiver on 127.0.0.1 keeping the bodies posted to it."""
    received: list[dict[str, Any]] = []

    async def take(request: web.Request) -> web.Response:
        received.append(json.loads(await request.read()))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", take)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/hook", received
    finally:
        await runner.cleanup()


async def test_webhook_deliveries_carry_the_field(
    sandbox: Sandbox, sandbox_api: Any, ws: int, hook: tuple[str, list[dict[str, Any]]]
):
    url, received = hook
    endpoint = {"url": url, "name": "extra", "event_type_ids": ["contact.updated", "contact.created"]}
    made = await sandbox_api.post(
        f"/workspaces/{ws}/webhooks/outgoing/endpoints", {"webhooks_outgoing_endpoint": endpoint}
    )
    assert made.status == 201, made.text
    sandbox.add_extra_field("contacts", "loyalty_points", "integer")
    sandbox.add_extra_field("contacts", "badges", "array")
    contact = sandbox.records("contacts", workspace_id=ws)[1]
    updated = await sandbox_api.put(f"/contacts/{contact['id']}", {"contact": {"first_name": "Renamed"}})
    assert updated.status == 200, updated.text
    created = sandbox.create("contacts", {"email_address": "new.extra@example.com"}, parent_id=ws)
    assert await sandbox.deliveries.drained(10)
    for _ in range(100):
        if len(received) >= 2:
            break
        await asyncio.sleep(0.01)
    by_subject = {body["subject_id"]: body["data"] for body in received}
    for id_ in (contact["id"], created["id"]):
        fetched = (await sandbox_api.get(f"/contacts/{id_}")).body
        for field in ("loyalty_points", "badges"):
            assert field in by_subject[id_]
            assert by_subject[id_][field] == fetched[field]
    assert updated.body["loyalty_points"] == contact["loyalty_points"]


# -- from Python ---------------------------------------------------------------------------------------------


def test_values_follow_the_seed_and_nothing_else():
    def served(seed: int, accounts: int = 1) -> list[Any]:
        sb = Sandbox(SandboxConfig(seed=seed, accounts=accounts, workspaces=1, counts={"contacts": 30}))
        sb.add_extra_field("contacts", "perks", "object", change="money")
        return [(r["id"], r["perks"]) for r in sb.records("contacts", workspace_id=sb.workspace_ids(0)[0])]

    again = served(3)
    assert served(3) == again
    assert served(3, accounts=2) != again  # other ids, other median
    assert [v for _, v in served(4)] != [v for _, v in again]


def test_add_extra_field_replaces_the_switch_of_the_same_field():
    sb = Sandbox(SandboxConfig(seed=2, workspaces=1, counts={"contacts": 10}))
    sb.add_extra_field("contacts", "level", "integer")
    answer = sb.add_extra_field("contacts", "level", "boolean", from_id=0)
    assert answer == {
        "resource": "contacts",
        "field": "level",
        "kind": "boolean",
        "from_id": 0,
        "change": None,
    }
    assert sb.extra_fields() == [answer]
    values = [r["level"] for r in sb.records("contacts", workspace_id=sb.workspace_ids(0)[0])]
    assert {type(v) for v in values} <= {bool, type(None)}
    sb.clear_extra_fields()
    assert sb.extra_fields() == []
    with pytest.raises(ValueError, match="unknown resource"):
        sb.add_extra_field("contactz", "level", "integer")

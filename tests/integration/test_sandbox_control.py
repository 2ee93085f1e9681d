"""The control API (/_sandbox/) over real sockets, `skip` for queued faults, and `Sandbox.corrupt`."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import pytest

from cfsync.sandbox import PAGE_SIZE, Fault, Faults, Sandbox, SandboxConfig, SandboxError, SandboxServer

ROUTES = [
    ("GET", "/records/contacts"),
    ("POST", "/records/contacts"),
    ("GET", "/records/contacts/1"),
    ("PATCH", "/records/contacts/1"),
    ("DELETE", "/records/contacts/1"),
    ("POST", "/corrupt/contacts/1"),
    ("DELETE", "/corrupt/contacts/1"),
    ("GET", "/events/1"),
    ("GET", "/requests"),
    ("DELETE", "/requests"),
    ("POST", "/faults"),
    ("DELETE", "/faults"),
    ("POST", "/latency"),
    ("POST", "/rate_limit"),
    ("POST", "/forbid"),
    ("POST", "/stats/pages/1/days/2024-10-01"),
    ("GET", "/nowhere"),
]


@pytest.fixture
def control(sandbox: Sandbox, sandbox_server: SandboxServer, api_for: Any) -> Any:
    return api_for(sandbox_server.url, sandbox.control_token, prefix="/_sandbox")


@pytest.fixture
def ws(sandbox: Sandbox) -> int:
    return sandbox.workspace_ids(0)[0]


async def patch(control: Any, path: str, body: Any) -> Any:
    return await control.request("PATCH", path, json_body=body)


# -- the token ---------------------------------------------------------------------------------------------


def test_the_control_token_is_deterministic_and_unlike_the_api_keys():
    one, again, other = (Sandbox(SandboxConfig(seed=s)) for s in (3, 3, 4))
    assert one.control_token == again.control_token != other.control_token
    assert one.control_token not in (one.maton_key, one.api_token(0))


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_control_route_needs_the_control_token(
    sandbox: Sandbox, sandbox_server: SandboxServer, api_for: Any, method: str, path: str
):
    faults_before = sandbox.faults.pending
    for token in ("", "wrong", sandbox.api_token(0), sandbox.maton_key):
        reply = await api_for(sandbox_server.url, token, prefix="/_sandbox").request(
            method, path, json_body={}
        )
        assert reply.status == 401, (token, reply.text)
        assert "error" in reply.body
    assert sandbox.faults.pending == faults_before
    assert sandbox.records("contacts", workspace_id=sandbox.workspace_ids(0)[0])  # nothing was deleted


async def test_unknown_routes_are_404_and_wrong_methods_405(control: Any):
    for path in ("", "/", "/nowhere", "/records", "/records/contacts/1/extra"):
        reply = await control.get(path)
        assert reply.status == 404, path
        assert "error" in reply.body
    wrong = await control.request("PUT", "/records/contacts/1", json_body={"fields": {}})
    assert wrong.status == 405
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "PATCH", "DELETE"}
    assert (await control.get("/faults")).status == 405


async def test_control_requests_skip_the_cdn_the_log_faults_latency_and_the_rate_limit(
    sandbox: Sandbox, sandbox_server: SandboxServer, sandbox_api: Any, control: Any, ws: int
):
    sandbox.requests.clear()
    sandbox.faults.fail_next("503", times=2)  # any path, any method
    sandbox.faults.rate_limit(0.001, burst=2)
    sandbox.faults.latency = 0.3
    started = time.perf_counter()
    for _ in range(6):
        assert (await control.get(f"/records/contacts?workspace_id={ws}")).status == 200
    assert (await control.get("/requests")).body == []
    assert time.perf_counter() - started < 1.0
    async with aiohttp.ClientSession(skip_auto_headers=["User-Agent"]) as bare:
        headers = {"Authorization": f"Bearer {sandbox.control_token}"}
        async with bare.get(f"{sandbox_server.url}/_sandbox/requests", headers=headers) as r:
            assert r.status == 200
    assert sandbox.faults.pending == 2
    assert len(sandbox.requests) == 0
    assert [(await sandbox_api.get("/teams")).status for _ in range(3)] == [503, 503, 429]
    assert [r.status for r in sandbox.requests] == [503, 503, 429]


# -- records -----------------------------------------------------------------------------------------------


async def test_list_records_as_served(sandbox: Sandbox, control: Any, ws: int):
    reply = await control.get("/records/contacts", params={"workspace_id": ws})
    assert reply.status == 200
    assert reply.body == sandbox.records("contacts", workspace_id=ws)
    assert len(reply.body) == 44  # one of the 45 is anonymous
    course = sandbox.records("courses", workspace_id=ws)[0]["id"]
    sections = await control.get("/records/courses_sections", params={"parent_id": course})
    assert sections.body == sandbox.records("courses_sections", parent_id=course)
    teams = await control.get("/records/teams", params={"account": 1})
    assert [t["id"] for t in teams.body] == sandbox.team_ids(1)
    assert (await control.get("/records/teams")).body == sandbox.records("teams")


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/records/nonsense", {"workspace_id": "1"}, 404),
        ("/records/contacts", {"workspace_id": "12345"}, 404),
        ("/records/teams", {"account": "7"}, 404),
        ("/records/contacts", {"workspace_id": "x"}, 400),
        ("/records/contacts", {}, 400),
        ("/records/teams", {"workspace_id": "1"}, 400),
        ("/records/contacts", {"sort": "id"}, 400),
    ],
)
async def test_list_records_errors(control: Any, path: str, params: dict[str, str], status: int):
    reply = await control.get(path, params=params)
    assert reply.status == status, reply.text
    assert "error" in reply.body


async def test_create_through_the_control_api(sandbox: Sandbox, sandbox_api: Any, control: Any, ws: int):
    reply = await control.post(
        "/records/contacts", {"fields": {"email_address": "made@example.com"}, "workspace_id": ws}
    )
    assert reply.status == 201, reply.text
    made = reply.body
    assert made["email_address"] == "made@example.com"
    assert (await sandbox_api.get(f"/contacts/{made['id']}")).body == made
    assert sandbox.events(ws)[-1]["event_type_id"] == "contact.created"
    assert sandbox.events(ws)[-1]["subject_id"] == made["id"]
    course = sandbox.records("courses", workspace_id=ws)[0]["id"]
    section = await control.post(
        "/records/courses_sections", {"fields": {"title": "New"}, "parent_id": course}
    )
    assert section.status == 201
    assert section.body in sandbox.records("courses_sections", parent_id=course)
    team = await control.post("/records/teams", {"fields": {"name": "Another"}, "account": 1})
    assert team.status == 201
    assert team.body["id"] in sandbox.team_ids(1)


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/records/nonsense", {"fields": {}, "workspace_id": 1}, 404),
        ("/records/contacts", "not an object", 400),
        ("/records/contacts", {"workspace_id": "WS"}, 400),
        ("/records/contacts", {"fields": [], "workspace_id": "WS"}, 400),
        ("/records/contacts", {"fields": {}, "workspace_id": "WS", "colour": 1}, 400),
        ("/records/contacts", {"fields": {}, "workspace_id": True}, 400),
        ("/records/contacts", {"fields": {}}, 400),  # contacts live under a workspace
        ("/records/courses_sections", {"fields": {}, "workspace_id": "WS"}, 400),  # under a course
        ("/records/contacts", {"fields": {}, "workspace_id": 99}, 404),
        ("/records/contacts", {"fields": {"first_name": {"no": 1}}, "workspace_id": "WS"}, 422),
        ("/records/contacts", {"fields": {"email_address": "TAKEN"}, "workspace_id": "WS"}, 422),
    ],
)
async def test_create_errors(sandbox: Sandbox, control: Any, ws: int, path: str, body: Any, status: int):
    taken = sandbox.records("contacts", workspace_id=ws)[0]["email_address"]
    if isinstance(body, dict):
        body = {k: ws if v == "WS" else v for k, v in body.items()}
        if body.get("fields", {}) and body["fields"].get("email_address") == "TAKEN":
            body["fields"] = {"email_address": taken}
    before = len(sandbox.events(ws))
    reply = await control.post(path, body)
    assert reply.status == status, reply.text
    assert "error" in reply.body
    assert len(sandbox.events(ws)) == before


async def test_record_schema_oddities_are_answered_not_crashed_on(
    sandbox: Sandbox, sandbox_api: Any, control: Any, ws: int
):
    # An array-of-objects field given a scalar: 422 as any wrong type, not a 500.
    wrong = await control.post("/records/orders", {"fields": {"line_items": 1}, "workspace_id": ws})
    assert wrong.status == 422, wrong.text
    right = await control.post("/records/orders", {"fields": {"line_items": []}, "workspace_id": ws})
    assert right.status == 201, right.text
    # The helpers may apply no tag at all; the contact is still served.
    contact = sandbox.records("contacts", workspace_id=ws)[0]
    empty = await control.post("/records/contacts_applied_tags", {"fields": {}, "parent_id": contact["id"]})
    assert empty.status == 201, empty.text
    assert (await sandbox_api.get(f"/contacts/{contact['id']}")).body["tags"] == contact["tags"]


async def test_invalid_json_is_400(control: Any):
    reply = await control.request("POST", "/faults", data="{not json")
    assert reply.status == 400
    assert reply.body == {"error": "Invalid JSON in request body"}


async def test_update_through_the_control_api(sandbox: Sandbox, sandbox_api: Any, control: Any, ws: int):
    contact = sandbox.records("contacts", workspace_id=ws)[3]
    before = sandbox.now()
    reply = await patch(control, f"/records/contacts/{contact['id']}", {"fields": {"first_name": "Renamed"}})
    assert reply.status == 200, reply.text
    assert reply.body["first_name"] == "Renamed"
    assert reply.body["updated_at"] > contact["updated_at"]
    assert reply.body["updated_at"] >= before.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert (await sandbox_api.get(f"/contacts/{contact['id']}")).body == reply.body
    assert sandbox.events(ws)[-1]["event_type_id"] == "contact.updated"
    missing = await patch(control, "/records/contacts/1", {"fields": {"first_name": "x"}})
    assert missing.status == 404
    assert (await patch(control, "/records/contacts/abc", {"fields": {}})).status == 404
    assert (await patch(control, f"/records/contacts/{contact['id']}", {})).status == 400
    bad = await patch(control, f"/records/contacts/{contact['id']}", {"fields": {"first_name": []}})
    assert bad.status == 422


async def test_get_and_delete_through_the_control_api(
    sandbox: Sandbox, sandbox_api: Any, control: Any, ws: int
):
    contact = sandbox.records("contacts", workspace_id=ws)[5]
    assert (await control.get(f"/records/contacts/{contact['id']}")).body == contact
    reply = await control.delete(f"/records/contacts/{contact['id']}")
    assert reply.status == 204
    assert reply.text == ""
    assert (await sandbox_api.get(f"/contacts/{contact['id']}")).status == 404
    assert contact["id"] not in [c["id"] for c in sandbox.records("contacts", workspace_id=ws)]
    event = sandbox.events(ws)[-1]
    assert (event["event_type_id"], event["subject_id"]) == ("contact.deleted", contact["id"])
    assert (await control.delete(f"/records/contacts/{contact['id']}")).status == 404
    assert (await control.get(f"/records/contacts/{contact['id']}")).status == 404
    assert (await control.delete("/records/nonsense/1")).status == 404


async def test_events(sandbox: Sandbox, control: Any, ws: int):
    sandbox.update("contacts", sandbox.records("contacts", workspace_id=ws)[0]["id"], {"first_name": "E"})
    reply = await control.get(f"/events/{ws}")
    assert reply.status == 200
    assert reply.body == sandbox.events(ws)
    assert reply.body[-1]["event_type_id"] == "contact.updated"
    assert (await control.get("/events/99")).status == 404
    assert (await control.get("/events/x")).status == 404


# -- the request log ---------------------------------------------------------------------------------------


async def test_the_request_log_since_and_clear(sandbox: Sandbox, sandbox_api: Any, control: Any, ws: int):
    sandbox.requests.clear()
    await sandbox_api.get("/teams")
    await sandbox_api.get(f"/workspaces/{ws}/contacts", params={"sort_order": "desc"})
    await sandbox_api.get("/nowhere")
    log = (await control.get("/requests")).body
    assert [(r["method"], r["api_path"], r["status"]) for r in log] == [
        ("GET", "/teams", 200),
        ("GET", f"/workspaces/{ws}/contacts", 200),
        ("GET", "/nowhere", 404),
    ]
    assert log[1]["query"] == {"sort_order": "desc"}
    assert log[1]["path"] == f"/api/v2/workspaces/{ws}/contacts"
    assert (log[1]["mode"], log[1]["account"], log[1]["client"]) == ("direct", 0, "127.0.0.1")
    assert isinstance(log[1]["at"], float)
    assert (await control.get("/requests", params={"since": 2})).body == log[2:]
    assert (await control.get("/requests", params={"since": 9})).body == []
    assert (await control.get("/requests", params={"since": -1})).status == 400
    assert (await control.get("/requests", params={"since": "x"})).status == 400
    assert (await control.delete("/requests")).status == 204
    assert len(sandbox.requests) == 0
    assert (await control.get("/requests")).body == []


# -- faults ------------------------------------------------------------------------------------------------


async def test_faults_through_the_control_api(sandbox: Sandbox, sandbox_api: Any, control: Any, ws: int):
    reply = await control.post(
        "/faults", {"kind": "502", "times": 2, "path": "/contacts$", "method": "get", "skip": 1}
    )
    assert reply.status == 201, reply.text
    assert reply.body == {
        "kind": "502",
        "times": 2,
        "method": "GET",
        "path": "/contacts$",
        "skip": 1,
        "stall_seconds": 30.0,
        "pending": 2,
    }
    contacts = f"/workspaces/{ws}/contacts"
    statuses = [(await sandbox_api.get(contacts)).status for _ in range(4)]
    assert statuses == [200, 502, 502, 200]
    assert (await control.post("/faults", {"kind": 429})).body["kind"] == "429"
    assert (await sandbox_api.get("/teams")).status == 429
    assert (await control.post("/faults", {"kind": "500", "times": 5})).status == 201
    assert (await control.delete("/faults")).status == 204
    assert sandbox.faults.pending == 0
    assert (await sandbox_api.get("/teams")).status == 200


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "418"},
        {"kind": True},
        {},
        {"kind": "502", "times": 0},
        {"kind": "502", "skip": -1},
        {"kind": "502", "path": "("},
        {"kind": "502", "method": 3},
        {"kind": "502", "stall_seconds": "long"},
        {"kind": "502", "colour": "red"},
        ["502"],
    ],
)
async def test_bad_faults_are_400(sandbox: Sandbox, control: Any, body: Any):
    reply = await control.post("/faults", body)
    assert reply.status == 400, reply.text
    assert "error" in reply.body
    assert sandbox.faults.pending == 0


async def test_latency_through_the_control_api(sandbox: Sandbox, sandbox_api: Any, control: Any):
    reply = await control.post("/latency", {"seconds": 0.3})
    assert (reply.status, reply.body) == (200, {"seconds": 0.3})
    started = time.perf_counter()
    assert (await sandbox_api.get("/teams")).status == 200
    assert time.perf_counter() - started >= 0.3
    assert (await control.post("/latency", {"seconds": -1})).status == 400
    assert (await control.post("/latency", {})).status == 400
    assert (await control.post("/latency", {"seconds": 0})).status == 200
    assert sandbox.faults.latency == 0


async def test_rate_limit_through_the_control_api(sandbox: Sandbox, sandbox_api: Any, control: Any):
    reply = await control.post("/rate_limit", {"per_second": 0.001, "burst": 2})
    assert (reply.status, reply.body) == (200, {"per_second": 0.001, "burst": 2})
    assert [(await sandbox_api.get("/teams")).status for _ in range(3)] == [200, 200, 429]
    assert (await control.post("/rate_limit", {"per_second": None})).status == 200
    assert (await sandbox_api.get("/teams")).status == 200
    for bad in ({}, {"per_second": -1}, {"per_second": 5, "burst": 0}, {"per_second": "fast"}):
        assert (await control.post("/rate_limit", bad)).status == 400, bad


async def test_forbid_through_the_control_api(
    sandbox: Sandbox, sandbox_server: SandboxServer, api_for: Any, control: Any
):
    reply = await control.post("/forbid", {"path": "/orders", "account": 1})
    assert (reply.status, reply.body) == (201, {"path": "/orders", "account": 1})
    mine = api_for(sandbox_server.url, sandbox.api_token(0))
    theirs = api_for(sandbox_server.url, sandbox.api_token(1))
    assert (await mine.get(f"/workspaces/{sandbox.workspace_ids(0)[0]}/orders")).status == 200
    assert (await theirs.get(f"/workspaces/{sandbox.workspace_ids(1)[0]}/orders")).status == 403
    assert (await control.post("/forbid", {"path": "/teams"})).status == 201
    assert (await mine.get("/teams")).status == 403
    for bad in ({}, {"path": None}, {"path": "("}, {"path": "/x", "account": "a"}):
        assert (await control.post("/forbid", bad)).status == 400, bad
    assert (await control.post("/forbid", {"path": "/x", "account": 9})).status == 404  # no such account
    assert (await control.delete("/faults")).status == 204
    assert (await mine.get("/teams")).status == 200


# -- skip --------------------------------------------------------------------------------------------------


def test_skip_lets_matching_requests_through_first():
    faults = Faults()
    faults.fail_next("502", path="/contacts$", skip=2, times=2)
    assert faults.take("GET", "/teams") is None  # does not match: not counted
    assert faults.take("GET", "/workspaces/1/contacts") is None
    assert faults.take("GET", "/workspaces/1/contacts") is None
    assert [faults.take("GET", "/workspaces/1/contacts") is not None for _ in range(3)] == [True, True, False]


def test_a_skipping_fault_stands_aside_and_counts_what_others_take():
    faults = Faults()
    faults.fail_next("500", skip=1)
    faults.fail_next("503")
    first = faults.take("GET", "/teams")
    assert first is not None
    assert first.kind == "503"  # the skipping fault let it by; the next one took it
    second = faults.take("GET", "/teams")
    assert second is not None
    assert second.kind == "500"
    assert faults.take("GET", "/teams") is None
    # Its count is of matching requests, even those an earlier fault answers.
    faults.fail_next("500")
    faults.fail_next("503", skip=1)
    assert [f.kind if (f := faults.take("GET", "/x")) else None for _ in range(3)] == ["500", "503", None]


def test_the_fault_dataclass_keeps_its_positional_api():
    assert Fault("502", 2, "GET", "/x", 5.0) == Fault(
        "502", times=2, method="GET", path="/x", stall_seconds=5.0
    )
    assert Fault("502").skip == 0
    with pytest.raises(ValueError, match="negative"):
        Fault("502", skip=-1)
    faults = Faults(SandboxConfig(faults=(Fault("429", path="/teams", skip=1),)))
    assert faults.take("GET", "/teams") is None
    assert faults.take("GET", "/teams") is not None


async def test_skip_fails_only_the_second_page_of_a_walk(sandbox: Sandbox, sandbox_api: Any, ws: int):
    sandbox.faults.fail_next("502", method="GET", path=r"/contacts$", skip=1)
    first = await sandbox_api.get(f"/workspaces/{ws}/contacts")
    assert first.status == 200
    after = first.headers["Pagination-Next"]
    assert (await sandbox_api.get(f"/workspaces/{ws}/contacts", params={"after": after})).status == 502
    assert (await sandbox_api.get(f"/workspaces/{ws}/contacts", params={"after": after})).status == 200
    pages = await sandbox_api.walk(f"/workspaces/{ws}/contacts")
    assert [len(p) for p in pages] == [20, 20, 4]


# -- corrupt -----------------------------------------------------------------------------------------------


async def test_a_corrupted_record_is_served_wrong_in_lists_and_member_gets(
    sandbox: Sandbox, sandbox_api: Any, ws: int
):
    contacts = sandbox.records("contacts", workspace_id=ws)
    target = contacts[3]
    events = len(sandbox.events(ws))
    bad = {"created_at": "not a time", "first_name": 42, "brand_new_field": 1}
    sandbox.corrupt("contacts", target["id"], bad)
    served = (await sandbox_api.get(f"/contacts/{target['id']}")).body
    assert served == {**target, **bad}
    assert list(served)[-1] == "brand_new_field"  # known keys keep their place
    listed = (await sandbox_api.get(f"/workspaces/{ws}/contacts")).body
    assert listed[3] == served
    assert listed[:3] + listed[4:] == contacts[:3] + contacts[4:PAGE_SIZE]
    assert sandbox.get("contacts", target["id"]) == served
    assert sandbox.records("contacts", workspace_id=ws)[3] == served
    # Nothing else changed: no event, no updated_at, same real record underneath.
    assert len(sandbox.events(ws)) == events
    assert sandbox.state.base("contacts", target["id"])["updated_at"] == target["updated_at"]
    sandbox.corrupt("contacts", target["id"], None)
    assert (await sandbox_api.get(f"/contacts/{target['id']}")).body == target
    assert sandbox.records("contacts", workspace_id=ws) == contacts
    sandbox.corrupt("contacts", target["id"], None)  # undoing twice is harmless


async def test_paging_and_sorting_use_the_real_id_and_updated_at(sandbox: Sandbox, sandbox_api: Any, ws: int):
    path = f"/workspaces/{ws}/contacts"
    ids = [c["id"] for c in sandbox.records("contacts", workspace_id=ws)]
    # Two changed contacts move to the end of the updated_at order, so the two orders differ.
    for i in (2, 10):
        sandbox.update("contacts", ids[i], {"first_name": f"Changed {i}"})
    by_updated = ids[:2] + ids[3:10] + ids[11:] + [ids[2], ids[10]]
    # Corruptions where they would hurt most: on both page boundaries, and timestamps that lie.
    sandbox.corrupt("contacts", ids[PAGE_SIZE - 1], {"id": None, "updated_at": "2999-01-01T00:00:00.000Z"})
    sandbox.corrupt("contacts", by_updated[PAGE_SIZE - 1], {"id": "x"})
    sandbox.corrupt("contacts", ids[2], {"updated_at": "1999-01-01T00:00:00.000Z"})
    sandbox.corrupt("contacts", ids[0], {}, drop=["id", "email_address"])
    shown = {ids[PAGE_SIZE - 1]: None, by_updated[PAGE_SIZE - 1]: "x", ids[0]: "missing"}

    pages = await sandbox_api.walk(path)
    assert [len(p) for p in pages] == [20, 20, 4]
    assert [r.get("id", "missing") for p in pages for r in p] == [shown.get(i, i) for i in ids]
    assert "email_address" not in pages[0][0]
    first = await sandbox_api.get(path)
    assert first.headers["Pagination-Next"] == str(ids[PAGE_SIZE - 1])
    assert str(ids[PAGE_SIZE - 1]) in first.headers["Link"]

    walked = await sandbox_api.walk(path, {"sort_property": "updated_at"})
    assert [r.get("id", "missing") for p in walked for r in p] == [shown.get(i, i) for i in by_updated]
    newest = await sandbox_api.get(path, params={"sort_property": "updated_at", "sort_order": "desc"})
    assert newest.body[1]["updated_at"] == "1999-01-01T00:00:00.000Z"  # ids[2], second newest for real
    # Filters see the real record too.
    found = await sandbox_api.get(path, params={"filter[id]": str(ids[PAGE_SIZE - 1])})
    assert [r["id"] for r in found.body] == [None]


async def test_writes_and_events_see_the_real_record(sandbox: Sandbox, sandbox_api: Any, ws: int):
    target = sandbox.records("contacts", workspace_id=ws)[1]
    sandbox.corrupt("contacts", target["id"], {"last_name": 7})
    updated = await sandbox_api.put(f"/contacts/{target['id']}", {"contact": {"first_name": "Real"}})
    assert updated.status == 200
    assert updated.body["last_name"] == target["last_name"]
    assert sandbox.events(ws)[-1]["data"]["last_name"] == target["last_name"]
    served = (await sandbox_api.get(f"/contacts/{target['id']}")).body
    assert (served["first_name"], served["last_name"]) == ("Real", 7)  # the corruption outlives writes
    assert served["updated_at"] > target["updated_at"]
    sandbox.corrupt("contacts", target["id"], {"phone_number": False})  # replaces, does not add up
    assert sandbox.get("contacts", target["id"])["last_name"] == target["last_name"]


def test_corrupt_refuses_what_it_cannot_do():
    sb = Sandbox(SandboxConfig(seed=2, counts={"contacts": 3}))
    contact = sb.records("contacts", workspace_id=sb.workspace_ids()[0])[0]["id"]
    with pytest.raises(SandboxError) as missing:
        sb.corrupt("contacts", 1, {"id": "x"})
    assert missing.value.status == 404
    with pytest.raises(KeyError, match="nonsense"):
        sb.corrupt("nonsense", contact, {})
    with pytest.raises(ValueError, match="JSON"):
        sb.corrupt("contacts", contact, {"created_at": object()})
    with pytest.raises(ValueError, match="undoes"):
        sb.corrupt("contacts", contact, None, drop=["id"])
    sb.corrupt("contacts", contact, {}, drop="id")  # one key, not its letters
    assert "id" not in (sb.get("contacts", contact) or {})
    assert sb.get("contacts", contact) is not None
    sb.delete("contacts", contact)
    assert sb.get("contacts", contact) is None
    sb.corrupt("contacts", contact, None)


async def test_corrupt_through_the_control_api(sandbox: Sandbox, sandbox_api: Any, control: Any, ws: int):
    target = sandbox.records("contacts", workspace_id=ws)[2]
    reply = await control.post(f"/corrupt/contacts/{target['id']}", {"fields": {"id": "x", "extra": [1]}})
    assert reply.status == 200, reply.text
    assert reply.body == {**target, "id": "x", "extra": [1]}
    assert (await sandbox_api.get(f"/contacts/{target['id']}")).body == reply.body
    dropped = await control.post(f"/corrupt/contacts/{target['id']}", {"fields": {}, "drop": ["uuid"]})
    assert dropped.body == {k: v for k, v in target.items() if k != "uuid"}
    undone = await control.post(f"/corrupt/contacts/{target['id']}", {"fields": None})
    assert (undone.status, undone.body) == (200, target)
    await control.post(f"/corrupt/contacts/{target['id']}", {"fields": {"id": None}})
    assert (await control.delete(f"/corrupt/contacts/{target['id']}")).status == 204
    assert (await sandbox_api.get(f"/contacts/{target['id']}")).body == target
    for path, body, status in [
        (f"/corrupt/contacts/{target['id']}", {}, 400),
        (f"/corrupt/contacts/{target['id']}", {"fields": [1]}, 400),
        (f"/corrupt/contacts/{target['id']}", {"fields": {}, "drop": "uuid"}, 400),
        (f"/corrupt/contacts/{target['id']}", {"fields": None, "drop": ["uuid"]}, 400),
        ("/corrupt/contacts/1", {"fields": {"a": 1}}, 404),
        ("/corrupt/contacts/x", {"fields": {"a": 1}}, 404),
        ("/corrupt/nonsense/1", {"fields": {"a": 1}}, 404),
    ]:
        got = await control.post(path, body)
        assert got.status == status, (path, body, got.text)
        assert "error" in got.body
    assert (await sandbox_api.get(f"/contacts/{target['id']}")).body == target

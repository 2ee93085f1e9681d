"""The sandbox's Maton control API (`/connections` on the server root) and the gateway behind it."""

from __future__ import annotations

from typing import Any

import pytest

from cfsync.client.maton import MatonControl
from cfsync.config import parse_config
from cfsync.errors import AuthError, NotFoundError
from cfsync.sandbox import Sandbox, SandboxConfig, SandboxError, SandboxServer

FIELDS = {"connection_id", "status", "creation_time", "last_updated_time", "url", "app", "metadata"}


@pytest.fixture
def control(sandbox: Sandbox, sandbox_server: SandboxServer, api_for: Any) -> Any:
    """The control host, with the sandbox's Maton key."""
    return api_for(sandbox_server.url, sandbox.maton_key, prefix="")


@pytest.fixture
def gateway(sandbox: Sandbox, sandbox_server: SandboxServer, api_for: Any) -> Any:
    """The gateway's ClickFunnels routes, with the sandbox's Maton key (Maton-Connection per request)."""
    return api_for(sandbox_server.url, sandbox.maton_key, prefix="/clickfunnels/api/v2")


def via(connection_id: str) -> dict[str, str]:
    return {"headers": {"Maton-Connection": connection_id}}


def test_initial_connections_are_deterministic():
    one, two = (Sandbox(SandboxConfig(seed=3, accounts=3)) for _ in range(2))
    assert one.connections() == two.connections()
    assert len(set(one.connection_ids)) == 3
    assert [c["status"] for c in one.connections()] == ["ACTIVE"] * 3
    assert [one.account_for_connection(c) for c in one.connection_ids] == [0, 1, 2]
    assert one.connections()[0].keys() == FIELDS
    # Created connections are reproducible too: the same seed hands out the same ids in the same order.
    assert one.create_connection()["connection_id"] == two.create_connection()["connection_id"]
    assert Sandbox(SandboxConfig(seed=4)).connection_ids[0] not in one.connection_ids


async def test_list_and_show(sandbox: Sandbox, control: Any):
    listed = await control.get("/connections", params={"app": "clickfunnels", "status": "ACTIVE"})
    assert listed.status == 200
    connections = listed.body["connections"]
    assert [c["connection_id"] for c in connections] == sandbox.connection_ids
    assert connections == sandbox.connections()
    for c in connections:
        assert c["url"] == f"https://connect.maton.ai/?connection_id={c['connection_id']}"
        one = await control.get(f"/connections/{c['connection_id']}")
        assert one.status == 200
        assert one.body == {"connection": c}
    other_app = await control.get("/connections", params={"app": "hubspot"})
    assert other_app.body == {"connections": []}
    missing = await control.get("/connections/no-such-connection")
    assert missing.status == 404
    assert missing.body == {"error": "Connection not found"}
    assert (await control.get("/connections/a/b")).status == 404
    assert sandbox.requests[-1].mode == "control"


async def test_create_is_pending_until_completed_on_a_new_account(
    sandbox: Sandbox, control: Any, gateway: Any, api_for: Any, sandbox_server: SandboxServer
):
    created = await control.post("/connections", {"app": "clickfunnels"})
    assert created.status == 201
    connection = created.body["connection"]
    cid = connection["connection_id"]
    assert connection.keys() == FIELDS
    assert connection["status"] == "PENDING"
    assert connection["app"] == "clickfunnels"
    assert connection["url"] == f"https://connect.maton.ai/?connection_id={cid}"
    assert connection["creation_time"] > max(c["creation_time"] for c in sandbox.connections("ACTIVE"))
    assert (await control.get(f"/connections/{cid}")).body == {"connection": connection}

    async def ids(**params: str) -> list[str]:
        reply = await control.get("/connections", params=params)
        return [c["connection_id"] for c in reply.body["connections"]]

    initial = sandbox.connection_ids[:2]
    assert await ids() == [*initial, cid]
    assert await ids(app="clickfunnels", status="ACTIVE") == initial
    assert await ids(status="PENDING") == [cid]
    assert await ids(status="FAILED") == []
    refused = await gateway.get("/teams", **via(cid))
    assert refused.status == 400
    assert cid in refused.body["error"]

    done = sandbox.complete_connection(cid)
    assert done["status"] == "ACTIVE"
    assert done["creation_time"] == connection["creation_time"]
    assert done["last_updated_time"] >= connection["last_updated_time"]
    assert sandbox.accounts == 3
    new = sandbox.account_for_connection(cid)
    assert new == 2
    assert await ids(status="ACTIVE") == [*initial, cid]

    teams = await gateway.get("/teams", **via(cid))
    assert teams.status == 200
    assert [t["id"] for t in teams.body] == sandbox.team_ids(new)
    assert set(sandbox.team_ids(new)).isdisjoint(sandbox.team_ids(0) + sandbox.team_ids(1))
    workspaces = await gateway.get(f"/teams/{sandbox.team_ids(new)[0]}/workspaces", **via(cid))
    assert [w["id"] for w in workspaces.body] == sandbox.workspace_ids(new)
    assert len(sandbox.workspace_ids(new)) == sandbox.config.workspaces
    ws = sandbox.workspace_ids(new)[0]
    contacts = await gateway.get(f"/workspaces/{ws}/contacts", **via(cid))
    assert contacts.body == sandbox.records("contacts", workspace_id=ws)
    assert len(contacts.body) == 3
    assert sandbox.requests[-1].account == new
    assert sandbox.requests[-1].connection_id == cid
    # The new account is a team of its own: the old connections do not reach it, its token does.
    assert (await gateway.get(f"/workspaces/{ws}/contacts", **via(initial[0]))).status == 404
    direct = api_for(sandbox_server.url, sandbox.api_token(new))
    assert [t["id"] for t in (await direct.get("/teams")).body] == sandbox.team_ids(new)
    # The oldest connection is still the default one.
    assert [t["id"] for t in (await gateway.get("/teams")).body] == sandbox.team_ids(0)


async def test_complete_on_an_existing_account(sandbox: Sandbox, gateway: Any):
    cid = sandbox.create_connection()["connection_id"]
    sandbox.complete_connection(cid, account=1)
    assert sandbox.accounts == 2
    teams = await gateway.get("/teams", **via(cid))
    assert [t["id"] for t in teams.body] == sandbox.team_ids(1)


def test_complete_connection_refusals(sandbox: Sandbox):
    with pytest.raises(SandboxError) as unknown:
        sandbox.complete_connection("nope")
    assert unknown.value.status == 404
    with pytest.raises(SandboxError) as active:
        sandbox.complete_connection(sandbox.connection_ids[0])
    assert active.value.status == 409
    cid = sandbox.create_connection()["connection_id"]
    with pytest.raises(ValueError, match="no account 5"):
        sandbox.complete_connection(cid, account=5)
    assert sandbox.accounts == 2
    assert sandbox.connection(cid)["status"] == "PENDING"


async def test_delete(sandbox: Sandbox, control: Any, gateway: Any):
    first, second = sandbox.connection_ids
    pending = sandbox.create_connection()["connection_id"]
    assert (await gateway.get("/teams", **via(first))).status == 200

    deleted = await control.delete(f"/connections/{first}")
    assert deleted.status == 204
    assert (await control.get(f"/connections/{first}")).status == 404
    again = await control.delete(f"/connections/{first}")
    assert again.status == 404
    assert again.body == {"error": "Connection not found"}
    listed = await control.get("/connections")
    assert [c["connection_id"] for c in listed.body["connections"]] == [second, pending]
    refused = await gateway.get("/teams", **via(first))
    assert refused.status == 400
    assert refused.body == {"error": f"Connection {first} not found or not active"}
    # Without a header the gateway now takes the oldest connection left that is active.
    assert [t["id"] for t in (await gateway.get("/teams")).body] == sandbox.team_ids(1)

    assert (await control.delete(f"/connections/{pending}")).status == 204
    assert (await control.delete(f"/connections/{second}")).status == 204
    assert (await control.get("/connections")).body == {"connections": []}
    nothing = await gateway.get("/teams")
    assert nothing.status == 400
    assert nothing.body == {"error": "No active connection found for app clickfunnels"}
    # Accounts outlive their connections: the direct token still works.
    assert sandbox.account_for_token(sandbox.api_token(0)) == 0


async def test_control_needs_the_maton_key(sandbox: Sandbox, sandbox_server: SandboxServer, api_for: Any):
    cid = sandbox.connection_ids[0]
    for token in ("wrong", sandbox.api_token(0)):
        bad = api_for(sandbox_server.url, token, prefix="")
        for reply in (
            await bad.get("/connections"),
            await bad.get(f"/connections/{cid}"),
            await bad.post("/connections", {"app": "clickfunnels"}),
            await bad.delete(f"/connections/{cid}"),
        ):
            assert reply.status == 401
            assert reply.body == {"error": "API key missing or invalid"}
    assert len(sandbox.connections()) == 2  # nothing created, nothing deleted


async def test_create_refuses_bad_bodies(sandbox: Sandbox, control: Any):
    for body, error in (
        ({}, "app is required"),
        ({"app": ""}, "app is required"),
        (["clickfunnels"], "app is required"),
        ({"app": "hubspot"}, "Unsupported app 'hubspot': this gateway knows only 'clickfunnels'"),
    ):
        reply = await control.post("/connections", body)
        assert reply.status == 400, body
        assert reply.body == {"error": error}
    not_json = await control.request("POST", "/connections", data="{app", headers={"Content-Type": "x"})
    assert not_json.status == 400
    assert not_json.body == {"error": "Invalid JSON in request body"}
    for method, path in (("PUT", "/connections"), ("POST", f"/connections/{sandbox.connection_ids[0]}")):
        reply = await control.request(method, path)
        assert reply.status == 405
    assert len(sandbox.connections()) == 2


async def test_cfsync_maton_control_against_the_sandbox(sandbox: Sandbox, sandbox_server: SandboxServer):
    """cfsync's own control client, end to end: what `cfsync connections` and `connection = "all"` use."""
    config = parse_config(
        {"api": {"mode": "maton", "base_url": f"{sandbox_server.url}/clickfunnels", "api_key_env": "K",
                 "control_url": sandbox_server.url}},
        {"K": sandbox.maton_key},
    )  # fmt: skip
    async with MatonControl(config.api) as maton:
        assert await maton.list() == sandbox.connections("ACTIVE")
        made = await maton.create()
        assert made["status"] == "PENDING"
        assert await maton.get(made["connection_id"]) == made
        assert [c["connection_id"] for c in await maton.list(status=None)][-1] == made["connection_id"]
        sandbox.complete_connection(made["connection_id"])
        assert (await maton.get(made["connection_id"]))["status"] == "ACTIVE"
        await maton.delete(made["connection_id"])
        with pytest.raises(NotFoundError, match="HTTP 404: Connection not found"):
            await maton.get(made["connection_id"])
    wrong = parse_config({"api": {"control_url": sandbox_server.url}}, {"MATON_API_KEY": "wrong"})
    async with MatonControl(wrong.api) as maton:
        with pytest.raises(AuthError):
            await maton.list()

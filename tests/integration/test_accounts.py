"""Several accounts in one config, end to end: direct and Maton side by side, `connection = "all"`, a
connection completed between two runs, and a Maton key with nothing connected.

Every assertion is against the sandbox's own data (records, team and workspace ids, the request log),
never only against what cfsync reports about itself.
"""

from __future__ import annotations

import asyncio
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cfsync.app import sync
from cfsync.cli import cli
from cfsync.config import Config, parse_config
from cfsync.errors import ConfigError
from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread
from cfsync.store.db import create_engine

# Resources whose data the tests compare; fewer than "all" keeps a run to a few dozen requests.
RESOURCES = ["contacts"]


@pytest.fixture
def sb() -> Sandbox:
    """Two accounts of two workspaces; contacts fill two pages."""
    return Sandbox(SandboxConfig(seed=21, accounts=2, workspaces=2, counts={"contacts": 25}))


@pytest.fixture
def url(sb: Sandbox) -> Iterator[str]:
    with serve_in_thread(sb) as served:
        yield served


def config_text(db_url: str, accounts: list[dict[str, Any]]) -> str:
    """The TOML a user would write: a shared [api], one [[accounts]] table each."""

    def lines(table: dict[str, Any]) -> str:
        return "".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items())

    text = "[api]\nrequests_per_second = 1000\nmax_retries = 1\n"
    text += "".join(f"[[accounts]]\n{lines(a)}" for a in accounts)
    return text + f"[database]\nurl = {json.dumps(db_url)}\n[sync]\nresources = {json.dumps(RESOURCES)}\n"


def direct(name: str, url: str) -> dict[str, Any]:
    return {"name": name, "mode": "direct", "base_url": url, "api_key_env": "CF_TOKEN"}


def maton(name: str, url: str, connection: str) -> dict[str, Any]:
    return {
        "name": name,
        "mode": "maton",
        "base_url": f"{url}/clickfunnels",
        "control_url": url,
        "api_key_env": "MATON_KEY",
        "connection": connection,
    }


def keys(sb: Sandbox) -> dict[str, str]:
    return {"CF_TOKEN": sb.api_token(0), "MATON_KEY": sb.maton_key}


def load(text: str, sb: Sandbox) -> Config:
    return parse_config(tomllib.loads(text), keys(sb))


def db_rows(db_url: str, query: str) -> list[Any]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(query)))
    finally:
        engine.dispose()


def assert_synced(sb: Sandbox, db_url: str, owners: dict[str, int]) -> None:
    """The database holds exactly the sandbox's teams, workspaces and contacts of the accounts in
    `owners` (config account name -> sandbox account), each attributed to the account that reached it."""
    teams = {tid: name for name, a in owners.items() for tid in sb.team_ids(a)}
    assert dict(db_rows(db_url, "SELECT id, _account FROM teams")) == teams

    workspaces = {r["id"]: r for a in owners.values() for t in sb.team_ids(a)
                  for r in sb.records("workspaces", parent_id=t)}  # fmt: skip
    stored = {row.id: row for row in db_rows(db_url, "SELECT id, team_id, _raw FROM workspaces")}
    assert stored.keys() == workspaces.keys()
    for wid, row in stored.items():
        assert row.team_id == workspaces[wid]["team_id"]
        assert _json(row._raw) == workspaces[wid]

    contacts = {r["id"]: r for a in owners.values() for w in sb.workspace_ids(a)
                for r in sb.records("contacts", workspace_id=w)}  # fmt: skip
    stored_contacts = {row.id: _json(row._raw) for row in db_rows(db_url, "SELECT id, _raw FROM contacts")}
    assert stored_contacts == contacts
    assert contacts  # every account brought some

    # Every partition names the account whose own team, workspace or contacts it walked.
    partitions = db_rows(db_url, "SELECT account, resource, workspace_id, parent_id, status FROM sync_state")
    assert {p.status for p in partitions} == {"ok"}
    seen: dict[str, set[tuple[str, int]]] = {name: set() for name in owners}
    for p in partitions:
        a = owners[p.account]
        if p.resource == "teams":
            seen[p.account].add(("teams", 0))
        elif p.resource == "workspaces":
            assert p.parent_id in sb.team_ids(a), p
            seen[p.account].add(("workspaces", p.parent_id))
        else:
            assert p.resource == "contacts"
            assert p.workspace_id in sb.workspace_ids(a), p
            seen[p.account].add(("contacts", p.workspace_id))
    for name, a in owners.items():
        assert seen[name] == {("teams", 0)} | {("workspaces", t) for t in sb.team_ids(a)} | {
            ("contacts", w) for w in sb.workspace_ids(a)
        }


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def api_requests(sb: Sandbox) -> set[tuple[str, int | None, str | None]]:
    """(mode, sandbox account, connection) of every ClickFunnels request, control requests left out."""
    return {(r.mode, r.account, r.connection_id) for r in sb.requests if r.mode in ("direct", "maton")}


def test_direct_and_maton_accounts_in_one_database(sb: Sandbox, url: str, db_url: str, tmp_path: Path):
    text = config_text(db_url, [direct("shop", url), maton("agency", url, sb.connection_ids[1])])
    summary = asyncio.run(sync(load(text, sb)))
    assert summary.status == "succeeded", summary.failures

    assert_synced(sb, db_url, {"shop": 0, "agency": 1})
    assert api_requests(sb) == {("direct", 0, None), ("maton", 1, sb.connection_ids[1])}
    assert set(sb.team_ids(0)).isdisjoint(sb.team_ids(1))

    # `cfsync status --json` sees both accounts' partitions.
    path = tmp_path / "cfsync.toml"
    path.write_text(text)
    status = CliRunner().invoke(cli, ["--config", str(path), "status", "--json"], env=keys(sb))
    assert status.exit_code == 0, status.output
    listed = json.loads(status.stdout)["partitions"]
    assert {p["account"] for p in listed} == {"shop", "agency"}
    for name in ("shop", "agency"):
        assert {p["resource"] for p in listed if p["account"] == name} == {"teams", "workspaces", "contacts"}
    contact_parts = {(p["account"], p["workspace_id"]) for p in listed if p["resource"] == "contacts"}
    assert contact_parts == {("shop", w) for w in sb.workspace_ids(0)} | {
        ("agency", w) for w in sb.workspace_ids(1)
    }


def test_connection_all_syncs_one_account_per_connection(sb: Sandbox, url: str, db_url: str):
    text = config_text(db_url, [maton("agency", url, "all")])
    summary = asyncio.run(sync(load(text, sb)))
    assert summary.status == "succeeded", summary.failures

    owners = {f"agency:{cid}": a for a, cid in enumerate(sb.connection_ids)}
    assert [sb.account_for_connection(cid) for cid in sb.connection_ids] == [0, 1]
    assert_synced(sb, db_url, owners)
    assert api_requests(sb) == {("maton", a, cid) for cid, a in zip(sb.connection_ids, (0, 1), strict=True)}
    listing = [r for r in sb.requests if r.mode == "control"]
    assert [(r.method, r.path, r.query.get("status")) for r in listing] == [("GET", "/connections", "ACTIVE")]


def test_a_completed_connection_is_picked_up_by_the_next_sync(sb: Sandbox, url: str, db_url: str):
    config = load(config_text(db_url, [maton("agency", url, "all")]), sb)
    first, second = sb.connection_ids
    asyncio.run(sync(config))
    before = {f"agency:{first}": 0, f"agency:{second}": 1}
    assert_synced(sb, db_url, before)

    # Pending (the browser step not done yet): not a connection the sync can use.
    cid = sb.create_connection()["connection_id"]
    assert asyncio.run(sync(config)).status == "succeeded"
    assert_synced(sb, db_url, before)
    assert cid not in {r.connection_id for r in sb.requests}

    sb.complete_connection(cid)
    new = sb.account_for_connection(cid)
    assert new == 2
    sb.requests.clear()
    summary = asyncio.run(sync(config))
    assert summary.status == "succeeded", summary.failures
    assert_synced(sb, db_url, {**before, f"agency:{cid}": new})
    assert len(sb.team_ids(new)) == 1
    assert len(sb.workspace_ids(new)) == 2
    assert api_requests(sb) == {("maton", 0, first), ("maton", 1, second), ("maton", new, cid)}

    # A deleted connection drops out of the next run; what it synced stays in the database.
    sb.delete_connection(first)
    sb.requests.clear()
    assert asyncio.run(sync(config)).status == "succeeded"
    assert api_requests(sb) == {("maton", 1, second), ("maton", new, cid)}
    assert_synced(sb, db_url, {**before, f"agency:{cid}": new})


def test_two_connections_to_one_account_sync_it_once_and_hand_it_over(sb: Sandbox, url: str, db_url: str):
    """A ClickFunnels account connected twice (a re-authorisation, say) is walked once, under the
    connection that listed its teams first; when that connection goes, the other takes the account over."""
    config = load(config_text(db_url, [maton("agency", url, "all")]), sb)
    first, other = sb.connection_ids
    twin = sb.create_connection()["connection_id"]
    sb.complete_connection(twin, account=0)
    assert asyncio.run(sync(config)).status == "succeeded"

    owners = dict(db_rows(db_url, "SELECT id, _account FROM teams"))
    [owner] = {owners[t] for t in sb.team_ids(0)}
    assert owner in (f"agency:{first}", f"agency:{twin}")
    walked = db_rows(db_url, "SELECT account, workspace_id FROM sync_state WHERE resource = 'contacts'")
    assert sorted(walked) == sorted(
        [(owner, w) for w in sb.workspace_ids(0)] + [(f"agency:{other}", w) for w in sb.workspace_ids(1)]
    )

    sb.delete_connection(owner.split(":", 1)[1])
    heir = f"agency:{first}" if owner == f"agency:{twin}" else f"agency:{twin}"
    new = sb.create("contacts", {"email_address": "late@example.com"}, workspace_id=sb.workspace_ids(0)[0])
    assert asyncio.run(sync(config)).status == "succeeded"
    owners = dict(db_rows(db_url, "SELECT id, _account FROM teams"))
    assert {owners[t] for t in sb.team_ids(0)} == {heir}
    walked = db_rows(
        db_url, "SELECT account, workspace_id, status FROM sync_state WHERE resource = 'contacts'"
    )
    assert sorted((w, s) for a, w, s in walked if a == heir) == [
        (w, "ok") for w in sorted(sb.workspace_ids(0))
    ]
    contacts = {
        r["id"]: r
        for a in (0, 1)
        for w in sb.workspace_ids(a)
        for r in sb.records("contacts", workspace_id=w)
    }
    assert {row.id: _json(row._raw) for row in db_rows(db_url, "SELECT id, _raw FROM contacts")} == contacts
    assert new["id"] in contacts


def test_maton_key_without_active_connection_is_one_line(sb: Sandbox, url: str, tmp_path: Path):
    for cid in sb.connection_ids:
        sb.delete_connection(cid)
    sb.create_connection()  # a pending one does not count
    text = config_text(f"sqlite:///{tmp_path}/cfsync.db", [maton("agency", url, "all")])
    with pytest.raises(ConfigError, match="no active ClickFunnels connection"):
        asyncio.run(sync(load(text, sb)))

    path = tmp_path / "cfsync.toml"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["--config", str(path), "sync", "--no-progress"], env=keys(sb))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "cfsync: error: account 'agency': the Maton key has no active ClickFunnels connection"
    ]
    assert api_requests(sb) == set()  # nothing reached the gateway


def test_default_connection_without_active_connection_is_one_line(sb: Sandbox, url: str, tmp_path: Path):
    for cid in sb.connection_ids:
        sb.delete_connection(cid)
    path = tmp_path / "cfsync.toml"
    path.write_text(config_text(f"sqlite:///{tmp_path}/cfsync.db", [maton("agency", url, "")]))
    result = CliRunner().invoke(cli, ["--config", str(path), "sync", "--no-progress"], env=keys(sb))
    assert result.exit_code != 0
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("cfsync: error: ")

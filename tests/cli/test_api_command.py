"""`cfsync api`: any endpoint with the config's auth and retries; prints JSON, never touches the database."""

from __future__ import annotations

import json

import pytest

from cfsync.sandbox import Sandbox, SandboxConfig

from .cli_helpers import Cli, one_error_line, write_config


@pytest.fixture
def sb():
    return Sandbox(SandboxConfig(seed=3, workspaces=1, counts={"contacts": 47}))


@pytest.fixture
def cf(sb, url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path / "cfsync.toml", url)
    runner = Cli(sb, tmp_path, sb.api_token(0), [])
    yield runner
    assert all(sb.api_token(0) not in out for out in runner.outputs)
    assert not (tmp_path / "local.db").exists()  # the api command never opens the database


def test_get_in_every_path_shape(cf, sb, ws):
    teams = cf.json("api", "/teams")
    assert teams == sb.records("teams")
    assert cf.json("api", "teams") == teams
    assert cf.json("api", "GET", "/api/v2/teams") == teams
    first_page = cf.json("api", f"workspaces/{ws}/contacts?sort_order=desc")
    assert first_page == sb.records("contacts", workspace_id=ws)[::-1][:20]
    one = sb.records("contacts", workspace_id=ws)[5]
    assert cf.json("api", f"/contacts/{one['public_id']}") == one


def test_fields_are_query_parameters_for_get(cf, sb, ws):
    target = sb.records("contacts", workspace_id=ws)[7]
    found = cf.json(
        "api", "GET", f"/workspaces/{ws}/contacts", "-f", f"filter[email_address]={target['email_address']}"
    )
    assert found == [target]
    assert sb.requests[-1].query == {"filter[email_address]": target["email_address"]}
    bad = cf("api", "GET", f"/workspaces/{ws}/contacts", "-f", "filter[nope]=1")
    assert bad.exit_code == 1
    assert "HTTP 400: Unknown filter 'filter[nope]'" in one_error_line(bad)


def test_paginate_returns_every_record(cf, sb, ws):
    everything = cf.json("api", f"/workspaces/{ws}/contacts", "--paginate")
    assert everything == sb.records("contacts", workspace_id=ws)
    assert len(everything) == 46
    pages = [r for r in sb.requests if r.api_path == f"/workspaces/{ws}/contacts"]
    assert [r.query.get("after") for r in pages] == [
        None,
        str(everything[19]["id"]),
        str(everything[39]["id"]),
    ]
    newest = cf.json("api", f"/workspaces/{ws}/contacts", "--paginate", "-f", "sort_order=desc")
    assert newest == everything[::-1]


def test_writes_with_fields_and_input(cf, sb, ws, tmp_path):
    created = cf.json(
        "api", f"/workspaces/{ws}/contacts", "-f", 'contact={"email_address": "api@example.com"}'
    )
    assert sb.get("contacts", created["id"])["email_address"] == "api@example.com"
    assert sb.requests[-1].method == "POST"  # fields given, no method: POST
    (tmp_path / "body.json").write_text(json.dumps({"contact": {"first_name": "Put"}}))
    updated = cf.json("api", "PUT", f"/contacts/{created['id']}", "--input", "body.json")
    assert updated["first_name"] == "Put"
    piped = cf.json(
        "api", "PUT", f"/contacts/{created['id']}", "--input", "-", input='{"contact": {"last_name": "P"}}'
    )
    assert piped["last_name"] == "P"
    deleted = cf("api", "DELETE", f"/contacts/{created['id']}")
    assert (deleted.exit_code, deleted.stdout) == (0, "")
    assert sb.get("contacts", created["id"]) is None


def test_api_errors_are_one_line(cf, sb, ws):
    missing = cf("api", "/contacts/999999999")
    assert missing.exit_code == 1
    assert (
        one_error_line(missing)
        == "cfsync: error: HTTP 404: Not found: Record missing (GET /contacts/999999999)"
    )
    unwrapped = cf("api", f"/workspaces/{ws}/contacts", "-f", "email_address=x@example.com")
    assert unwrapped.exit_code == 1
    assert "HTTP 400: param is missing or the value is empty: contact" in one_error_line(unwrapped)
    taken = sb.records("contacts", workspace_id=ws)[0]["email_address"]
    dup = cf("api", "POST", f"/workspaces/{ws}/contacts", "-f", f'contact={{"email_address": "{taken}"}}')
    assert "HTTP 422: Email address has already been taken" in one_error_line(dup)
    denied = cf("api", "/teams", token="sneaky-token-789")
    assert denied.exit_code == 3
    assert "sneaky-token-789" not in denied.output


def test_api_usage_errors(cf, sb):
    requests = len(sb.requests)
    assert cf("api", "FETCH", "/teams").exit_code == 2
    assert cf("api", "GET", "/teams", "extra").exit_code == 2
    assert cf("api", "https://evil.example.com/teams").exit_code == 2
    assert cf("api", "POST", "/teams", "--paginate").exit_code == 2
    assert cf("api", "GET", "/teams", "--input", "-", input="{}").exit_code == 2
    assert cf("api", "GET", "/teams", "-f", "novalue").exit_code == 2
    assert cf("api").exit_code == 2
    assert len(sb.requests) == requests


def test_retries_reads_but_not_creates(cf, sb, ws):
    sb.faults.fail_next("503", path="^/teams$")
    assert cf.json("api", "/teams") == sb.records("teams")
    sb.faults.fail_next("502", path="/contacts$", method="POST")
    once = cf("api", f"/workspaces/{ws}/contacts", "-f", 'contact={"email_address": "once@example.com"}')
    assert once.exit_code == 1
    assert "not retried, because the API may have done it" in one_error_line(once)
    assert len([r for r in sb.requests if r.method == "POST"]) == 1

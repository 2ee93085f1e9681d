"""`cfsync webhooks register` and `serve` from the command line, against the sandbox on a real socket."""

from __future__ import annotations

import json

import pytest

from cfsync.sandbox import Sandbox, SandboxConfig
from cfsync.webhooks import load_secrets

from .cli_helpers import Cli, one_error_line, write_config


@pytest.fixture
def sb():
    return Sandbox(SandboxConfig(seed=6, workspaces=2, counts={"contacts": 5}))


def endpoints(sb: Sandbox, ws: int) -> list[dict]:
    return sb.records("webhooks_outgoing_endpoints", workspace_id=ws)


def test_webhooks_group_has_every_command(cf):
    result = cf("webhooks", "--help")
    assert result.exit_code == 0
    for name in ("endpoints", "register", "serve", "prune"):
        assert name in result.stdout
    serve = cf("webhooks", "serve", "--help")
    assert "--host" in serve.stdout
    assert "--port" in serve.stdout
    assert "--webhooks [loopback|any|off]" in cf("sandbox", "serve", "--help").stdout


def test_register_keeps_the_secret_and_never_prints_it(cf, sb, ws, tmp_path):
    result = cf("webhooks", "register", "--url", "https://hooks.example.com/webhooks")
    assert result.exit_code == 0, result.stderr
    endpoint = json.loads(result.stdout)
    secret = sb.webhook_secret(endpoint["id"])
    assert secret
    assert "webhook_secret" not in endpoint
    assert all(secret not in out for out in cf.outputs)
    assert f"its secret is in {tmp_path / 'cfsync-webhook-secrets.json'}" in result.stderr
    [kept] = load_secrets(tmp_path / "cfsync-webhook-secrets.json")
    assert (kept.endpoint_id, kept.workspace_id, kept.secret.value) == (endpoint["id"], ws, secret)
    assert (tmp_path / "cfsync-webhook-secrets.json").stat().st_mode & 0o777 == 0o600
    local = cf.row("webhooks_outgoing_endpoints", endpoint["id"])
    assert local["url"] == "https://hooks.example.com/webhooks"
    assert "webhook_secret" not in local["_raw"]
    assert "contact.deleted" in local["event_type_ids"]


def test_register_with_events_name_and_show_secret(cf, sb, ws):
    result = cf(
        "webhooks",
        "register",
        "--url",
        "http://127.0.0.1:9/webhooks",
        "--events",
        "contact.updated",
        "--events",
        "order.completed",
        "--name",
        "crm",
        "--show-secret",
    )
    assert result.exit_code == 0, result.stderr
    endpoint = json.loads(result.stdout)
    assert endpoint["webhook_secret"] == sb.webhook_secret(endpoint["id"])
    assert (endpoint["name"], endpoint["event_type_ids"]) == ("crm", ["contact.updated", "order.completed"])


def test_register_needs_a_workspace_and_a_url(sb, url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path / "cfsync.toml", url)  # no [sync].workspaces
    cf = Cli(sb, tmp_path, sb.api_token(0), [])
    before = len(endpoints(sb, sb.workspace_ids(0)[0]))
    result = cf("webhooks", "register", "--url", "https://hooks.example.com/x")
    assert result.exit_code == 2
    assert "--workspace ID" in one_error_line(result)
    bad = cf("webhooks", "register", "--url", "hooks.example.com", "--workspace", "1")
    assert bad.exit_code == 2
    assert "must be an http(s) URL" in one_error_line(bad)
    assert len(endpoints(sb, sb.workspace_ids(0)[0])) == before


def test_nothing_is_created_when_the_secret_has_nowhere_to_go(cf, sb, ws, tmp_path):
    config = tmp_path / "cfsync.toml"
    config.write_text(config.read_text() + '[webhooks]\nsecrets_file = "missing/dir/secrets.json"\n')
    before = len(endpoints(sb, ws))
    result = cf("webhooks", "register", "--url", "https://hooks.example.com/x")
    assert result.exit_code == 2
    assert "does not exist" in one_error_line(result)
    assert len(endpoints(sb, ws)) == before


def test_serve_names_a_missing_secret_variable(cf, tmp_path):
    config = tmp_path / "cfsync.toml"
    config.write_text(config.read_text() + '[webhooks.workspace_secrets]\n"7" = "CF_HOOK_SECRET_UNSET"\n')
    result = cf("webhooks", "serve", "--port", "0")
    assert result.exit_code == 2
    assert "CF_HOOK_SECRET_UNSET" in one_error_line(result)


def test_prune_deletes_decided_events_and_says_how_many(cf, tmp_path):
    from datetime import UTC, datetime, timedelta

    from cfsync.store import Store
    from cfsync.store.webhooks import ApplyPolicy, IncomingEvent, WebhookEvents

    assert cf("db", "upgrade").exit_code == 0
    store = Store.open(f"sqlite:///{tmp_path / 'local.db'}")
    w = WebhookEvents(store, ApplyPolicy("default", frozenset()))
    at = datetime(2026, 1, 1, tzinfo=UTC)
    old = [IncomingEvent(f"e{i}", "widget.created", 7, "Widget", i, None, at, {"data": {}}) for i in range(3)]
    w.insert(old, received_at=datetime.now(UTC) - timedelta(days=40))
    w.insert([IncomingEvent("new", "widget.created", 7, "Widget", 9, None, at, {"data": {}})])
    w.apply_pending()
    store.close()

    bad = cf("webhooks", "prune", "--older-than", "soon")
    assert bad.exit_code == 2
    assert "is not a duration" in bad.stderr
    result = cf("webhooks", "prune", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["pruned"] == {"applied": 0, "stale": 0, "ignored": 3, "failed": 0}
    assert "pruned 3 webhook events received before" in result.stderr
    assert cf.count("webhook_events") == 1
    assert cf("webhooks", "prune", "--older-than", "0s").exit_code == 0
    assert cf.count("webhook_events") == 0

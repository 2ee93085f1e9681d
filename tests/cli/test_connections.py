"""`cfsync connections`: the Maton control API from the command line, against the sandbox on a socket."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cfsync.cli import cli
from cfsync.cli import connections as connections_cli
from cfsync.sandbox import Sandbox, SandboxConfig


@pytest.fixture
def sb():
    return Sandbox(SandboxConfig(seed=9, accounts=2, workspaces=1, counts={"contacts": 5}))


def write_config(path: Path, url: str, accounts: str = "") -> Path:
    """A Maton `[api]` pointing both the gateway and the control host at the sandbox, plus `accounts`."""
    path.write_text(
        f'[api]\nmode = "maton"\nbase_url = "{url}/clickfunnels"\ncontrol_url = "{url}"\n'
        f'api_key_env = "MATON_KEY"\nrequests_per_second = 500\nmax_retries = 1\n{accounts}'
    )
    return path


@pytest.fixture
def env(workdir, url, sb):
    write_config(workdir / "cfsync.toml", url)
    return {"MATON_KEY": sb.maton_key}


def run(*args: str, env: dict[str, str] | None = None, input: str | None = None):
    return CliRunner().invoke(cli, ["connections", *args], env=env, input=input, catch_exceptions=False)


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cfsync: error: ")
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("args", [[], ["list"], ["create"], ["show"], ["delete"]])
def test_help(args):
    result = run(*args, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output


def test_list_table_and_json(env, sb):
    result = run("list", env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["connection_id", "status", "created", "app"]
    rows = [line.split() for line in lines[1:]]
    assert rows == [
        [c["connection_id"], "ACTIVE", c["creation_time"], "clickfunnels"] for c in sb.connections()
    ]
    as_json = run("list", "--json", env=env)
    assert json.loads(as_json.stdout) == sb.connections("ACTIVE")
    request = sb.requests[-1]
    assert (request.method, request.path, request.query) == (
        "GET",
        "/connections",
        {"app": "clickfunnels", "status": "ACTIVE"},
    )


def test_list_all_includes_pending(env, sb):
    pending = sb.create_connection()["connection_id"]
    active_only = run("list", env=env)
    assert pending not in active_only.stdout
    everything = run("list", "--all", env=env)
    assert f"{pending} PENDING" in " ".join(everything.stdout.split())
    assert "status" not in sb.requests[-1].query
    for cid in sb.connection_ids:
        sb.delete_connection(cid)
    empty = run("list", env=env)
    assert empty.exit_code == 0
    assert empty.stdout.startswith("no active connections")
    assert json.loads(run("list", "--all", "--json", env=env).stdout) == []


def test_create_prints_the_url_then_show(env, sb):
    result = run("create", env=env)
    assert result.exit_code == 0, result.output
    [made] = sb.connections("PENDING")
    cid = made["connection_id"]
    assert f"created connection {cid} (PENDING)" in result.stdout
    assert f"  {made['url']}\n" in result.stdout
    assert made["url"] == f"https://connect.maton.ai/?connection_id={cid}"
    assert sb.requests[-1].method == "POST"

    shown = run("show", cid, env=env)
    assert shown.exit_code == 0
    assert "status:" in shown.stdout
    assert shown.stdout.split("status:")[1].split()[0] == "PENDING"
    sb.complete_connection(cid)
    assert json.loads(run("show", cid, "--json", env=env).stdout) == sb.connection(cid)
    assert sb.connection(cid)["status"] == "ACTIVE"

    second = run("create", "--json", env=env)
    made_json = json.loads(second.stdout)
    assert made_json == sb.connection(made_json["connection_id"])
    assert made_json["status"] == "PENDING"


def test_show_unknown_is_the_gateways_message(env):
    result = run("show", "no-such-id", env=env)
    assert result.exit_code == 1
    assert one_error_line(result) == (
        "cfsync: error: HTTP 404: Connection not found (GET /connections/no-such-id)"
    )


def test_delete(env, sb, monkeypatch):
    first, second = sb.connection_ids
    result = run("delete", first, "--yes", env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"deleted connection {first}\n"
    assert sb.connection_ids == [second]
    assert sb.account_for_connection(first) is None
    gone = run("delete", first, "--yes", env=env)
    assert gone.exit_code == 1
    assert "HTTP 404: Connection not found" in one_error_line(gone)

    # Without --yes: refused when nobody can answer, asked on a terminal.
    refused = run("delete", second, env=env)
    assert refused.exit_code == 2
    assert "needs --yes" in one_error_line(refused)
    monkeypatch.setattr(connections_cli, "_is_terminal", lambda: True)
    kept = run("delete", second, env=env, input="n\n")
    assert kept.exit_code == 1
    assert f"Delete connection {second}?" in kept.stdout
    assert sb.connection_ids == [second]
    removed = run("delete", second, env=env, input="y\n")
    assert removed.exit_code == 0
    assert sb.connection_ids == []


def test_wrong_key_exits_3(env, sb):
    for args in (["list"], ["create"], ["show", sb.connection_ids[0]], ["delete", "x", "--yes"]):
        result = run(*args, env={"MATON_KEY": "not-the-key"})
        assert result.exit_code == 3, args
        assert "HTTP 401: API key missing or invalid" in one_error_line(result)
        assert "not-the-key" not in result.output
    assert sb.connections("PENDING") == []


def test_missing_key_is_a_config_error(env):
    result = run("list")
    assert result.exit_code == 2
    assert "MATON_KEY" in one_error_line(result)


def test_account_choice(workdir, url, sb):
    """--account picks the account whose Maton key is used; the default is the first in maton mode."""
    accounts = (
        '[[accounts]]\nname = "shop"\nmode = "direct"\nbase_url = "https://x.myclickfunnels.com"\n'
        'api_key_env = "CF_TOKEN"\n'
        '[[accounts]]\nname = "agency"\n'
        '[[accounts]]\nname = "other"\napi_key_env = "OTHER_KEY"\n'
    )
    write_config(workdir / "cfsync.toml", url, accounts)
    env = {"MATON_KEY": sb.maton_key, "OTHER_KEY": "wrong-key", "CF_TOKEN": "t"}

    default = run("list", "--json", env=env)  # "agency": "shop" is direct
    assert default.exit_code == 0, default.output
    assert json.loads(default.stdout) == sb.connections("ACTIVE")
    assert run("list", "--account", "agency", env=env).exit_code == 0
    assert run("list", "--account", "other", env=env).exit_code == 3  # its own key is used

    direct = run("list", "--account", "shop", env=env)
    assert direct.exit_code == 2
    assert "account 'shop' is in direct mode" in one_error_line(direct)
    direct_delete = run("delete", "x", "--account", "shop", env=env)
    assert direct_delete.exit_code == 2
    assert "direct mode" in one_error_line(direct_delete)
    unknown = run("create", "--account", "nope", env=env)
    assert unknown.exit_code == 2
    assert one_error_line(unknown) == (
        "cfsync: error: no account 'nope' in the config (accounts: shop, agency, other)"
    )
    assert sb.connections("PENDING") == []


def test_no_maton_account(workdir):
    (workdir / "cfsync.toml").write_text(
        '[api]\nmode = "direct"\nbase_url = "https://x.myclickfunnels.com"\n'
    )
    result = run("list", env={"CLICKFUNNELS_API_TOKEN": "t"})
    assert result.exit_code == 2
    assert "no account of the config is in maton mode" in one_error_line(result)


@pytest.mark.parametrize("command", [["list"], ["create"]])
def test_a_control_host_without_connections_names_the_host_and_the_setting(workdir, url, sb, command):
    (workdir / "cfsync.toml").write_text(
        f'[api]\nmode = "maton"\nbase_url = "{url}/clickfunnels"\ncontrol_url = "{url}/elsewhere"\n'
        'api_key_env = "MATON_KEY"\nmax_retries = 1\n'
    )
    result = run(*command, env={"MATON_KEY": sb.maton_key})
    assert result.exit_code == 2
    line = one_error_line(result)
    assert f"the Maton control host {url}/elsewhere has no /connections (HTTP 404)" in line
    assert "set control_url of account 'default'" in line


def test_the_default_control_host_is_the_documented_one():
    from cfsync.config import parse_config

    assert parse_config({}, {}).api.control_url == "https://api.maton.ai"

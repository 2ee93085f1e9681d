"""`cfsync sync` against an API that is gone or never answers: a progress line that says what the run
waits for, one line per failed partition, the run `failed` with its cause said once, exit 1, nothing
synced lost, and a rerun that converges."""

from __future__ import annotations

import json
import socket

import pytest
import sqlalchemy as sa

from cfsync.sandbox import Sandbox, SandboxConfig
from cfsync.store.schema import sync_runs, sync_state

from .cli_helpers import write_config


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(SandboxConfig(seed=3, workspaces=2, counts={"contacts": 60}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def runs(cf) -> list[tuple[str, list]]:
    engine = sa.create_engine(f"sqlite:///{cf.workdir / 'local.db'}")
    try:
        with engine.connect() as conn:
            return [(r.status, r.errors) for r in conn.execute(sa.select(sync_runs).order_by(sync_runs.c.id))]
    finally:
        engine.dispose()


def running_partitions(cf) -> int:
    engine = sa.create_engine(f"sqlite:///{cf.workdir / 'local.db'}")
    try:
        with engine.connect() as conn:
            query = sa.select(sa.func.count()).where(sync_state.c.status == "running")
            return int(conn.scalar(query) or 0)
    finally:
        engine.dispose()


def test_an_unreachable_api_fails_the_run_once_and_a_rerun_converges(cf, url, ws):
    assert cf("sync", "--resource", "contacts").exit_code == 0
    contacts = cf.count("contacts")
    port = free_port()
    write_config(cf.workdir / "cfsync.toml", f"http://127.0.0.1:{port}", workspaces=[ws])
    result = cf("sync", "--resource", "contacts")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    cause = f"connection refused by 127.0.0.1:{port}"
    assert lines[-1].startswith(f"cfsync: error: sync failed: {cause} ("), lines[-1]
    failed = [line for line in lines if "event=partition_failed" in line]
    assert failed, "one line per failed partition"
    assert all(cause in line for line in failed)
    assert "Traceback" not in result.output
    status, errors = runs(cf)[-1]
    assert status == "failed"
    assert errors[-1]["error"].startswith(cause)
    assert running_partitions(cf) == 0
    assert cf.count("contacts") == contacts, "nothing synced is lost"

    write_config(cf.workdir / "cfsync.toml", url, workspaces=[ws])
    again = cf("sync", "--resource", "contacts", "--json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "succeeded"
    assert cf.count("contacts") == len(cf.sb.records("contacts", workspace_id=ws))


def test_a_stalled_api_says_what_it_waits_for_then_fails_by_the_timeout(cf, sb, ws, url):
    sb.faults.set_rates({"stall": 1.0}, stall_seconds=4)
    api = "timeout_seconds = 2.5\n"
    write_config(cf.workdir / "cfsync.toml", url, workspaces=[ws], api=api)
    result = cf("sync", "--resource", "contacts", "--progress-every", "1")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    progress = [line for line in lines if "event=progress" in line]
    assert progress, result.stderr
    assert all(f in progress[0] for f in ("open=", "requests=", "rate_limited=", "pace=", "partitions="))
    assert any("oldest_open=" in line for line in progress)
    assert lines[-1].startswith("cfsync: error: sync failed: no answer after 2.5 s (timeout_seconds) (")
    assert runs(cf)[-1][0] == "failed"
    assert running_partitions(cf) == 0


@pytest.mark.parametrize("where", ["flag", "config"])
def test_a_workspace_no_team_lists_is_an_error_naming_it(cf, sb, url, where):
    if where == "config":
        write_config(cf.workdir / "cfsync.toml", url, workspaces=[123])
        result = cf("sync", "--resource", "contacts")
        missing = "123"
    else:
        result = cf("sync", "--resource", "contacts", "--workspace", "999")
        missing = "999"
    assert result.exit_code == 2
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"cfsync: error: workspace {missing} not found: no team of the configured")
    assert str(sb.workspace_ids(0)[0]) in line, "it says which workspaces there are"
    assert runs(cf)[-1][0] == "failed"

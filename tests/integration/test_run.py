"""`cfsync run` as a real process against the sandbox on a socket: webhooks applied at once, changes the
webhooks miss caught by the next scheduled run, /healthz, /metrics (parsed by the Prometheus client's own
parser) and /status, SIGTERM mid-run, one process per SQLite database, and two sharing PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread

TOKEN_ENV = "CF_RUN_TOKEN"
COUNTS = {"contacts": 40, "orders": 10, "products": 4, "courses": 2}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def write_config(path: Path, url: str, db: str, webhook_port: int, extra: str = "") -> Path:
    path.write_text(
        f'[api]\nmode = "direct"\nbase_url = "{url}"\napi_key_env = "{TOKEN_ENV}"\n'
        f'requests_per_second = 500\nmax_retries = 1\n[database]\nurl = "{db}"\n'
        f"[webhooks]\nport = {webhook_port}\n{extra}"
    )
    return path


def cfsync(workdir: Path, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, TOKEN_ENV: token}
    return subprocess.run(
        [sys.executable, "-m", "cfsync", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


class Running:
    """A `cfsync run` process and its operations URL."""

    def __init__(self, workdir: Path, token: str, *args: str) -> None:
        env = {**os.environ, TOKEN_ENV: token}
        command = [sys.executable, "-m", "cfsync", "run", "--port", "0", *args]
        self.proc = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("run: http://127.0.0.1:"), line + (
            self.proc.stderr.read() if self.proc.stderr else ""
        )
        self.url = line.split()[1].removesuffix("/healthz")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as refused:
            body = refused.read().decode()
            refused.close()
            return refused.code, body

    def runs(self) -> int:
        status, body = self.get("/healthz")
        return json.loads(body).get("runs", 0) if status == 200 else 0

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        self.proc.send_signal(sig)
        _, err = self.proc.communicate(timeout=60)
        return self.proc.returncode, err


def until(check: Callable[[], Any], within: float = 30.0, what: str = "") -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {within} s: {what}")


def first_name(db: str, contact_id: int) -> str | None:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text("SELECT first_name FROM contacts WHERE id = :i"), {"i": contact_id})
    finally:
        engine.dispose()


def api_update(url: str, token: str, contact_id: int, name: str) -> None:
    """A change made through the sandbox's API, as any client of it would."""
    body = json.dumps({"contact": {"first_name": name}}).encode()
    request = urllib.request.Request(
        f"{url}/api/v2/contacts/{contact_id}",
        data=body,
        method="PUT",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "User-Agent": "test",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 200


def test_webhooks_at_once_scheduled_runs_for_what_they_miss_metrics_status_and_sigterm(tmp_path):
    sb = Sandbox(SandboxConfig(seed=12, workspaces=1, counts=COUNTS))
    ws = sb.workspace_ids(0)[0]
    token = sb.api_token(0)
    db = f"sqlite:///{tmp_path}/run.db"
    hooks = free_port()
    with serve_in_thread(sb) as url:
        write_config(tmp_path / "cfsync.toml", url, db, hooks)
        registered = cfsync(tmp_path, token, "webhooks", "register", "--url", f"http://127.0.0.1:{hooks}/webhooks",
                            "--workspace", str(ws))  # fmt: skip
        assert registered.returncode == 0, registered.stderr
        contacts = sb.records("contacts", workspace_id=ws)

        # Scheduled runs an hour apart: a change that arrives before the next one came by webhook.
        run = Running(tmp_path, token, "--interval", "1h")
        until(lambda: run.runs() >= 1, what="the first run")
        api_update(url, token, contacts[0]["id"], "Hooked")
        until(lambda: first_name(db, contacts[0]["id"]) == "Hooked", within=15, what="the webhook applied")
        assert run.runs() == 1, "no scheduled run meanwhile"
        status, text = run.get("/metrics")
        assert status == 200
        families = {f.name: f for f in text_string_to_metric_families(text)}
        for name in (
            "cfsync_runs",
            "cfsync_requests",
            "cfsync_rate_limited",
            "cfsync_retries",
            "cfsync_rows",
            "cfsync_pace_requests_per_second",
            "cfsync_webhook_deliveries",
            "cfsync_newest_change_age_seconds",
            "cfsync_last_success_timestamp_seconds",
            "cfsync_ready",
        ):
            assert name in families, name  # fmt: skip
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples
        }
        assert samples[("cfsync_runs_total", (("status", "succeeded"),))] == 1
        assert samples[("cfsync_requests_total", ())] > 10
        assert samples[("cfsync_webhook_deliveries_total", (("outcome", "applied"),))] >= 1
        assert samples[("cfsync_rows_total", (("change", "inserted"), ("resource", "contacts")))] == len(
            contacts
        )
        assert 0 <= samples[("cfsync_newest_change_age_seconds", (("resource", "contacts"),))] < 3600
        assert samples[("cfsync_ready", ())] == 1
        status, body = run.get("/status")
        assert status == 200
        report = json.loads(body)
        assert report["runs"][0]["status"] == "succeeded"
        assert report["rows"]["contacts"] == len(contacts)
        assert set(report["newest_change"]) >= {"contacts", "orders"}

        # One process per SQLite database: a second one says who holds it and exits with the lock's code.
        second = cfsync(tmp_path, token, "run", "--port", "0")
        assert second.returncode == 4
        assert second.stderr.strip().startswith(
            "cfsync: error: another cfsync sync is running on this database"
        )

        code, err = run.stop()
        assert code == 143
        assert err.strip().splitlines()[-1] == "cfsync: error: interrupted by SIGTERM"

        # Deliveries off: the change waits for the next scheduled run (every 2 s here).
        sb.deliveries.mode = "off"
        run = Running(tmp_path, token, "--interval", "2s", "--no-webhooks")
        until(lambda: run.runs() >= 1, what="the first run")
        api_update(url, token, contacts[1]["id"], "Scheduled")
        before = run.runs()
        until(lambda: first_name(db, contacts[1]["id"]) == "Scheduled", within=20, what="the next run")
        assert run.runs() > before or first_name(db, contacts[1]["id"]) == "Scheduled"

        # SIGTERM in the middle of a scheduled run: it stops within seconds, the run recorded interrupted.
        sb.faults.latency = 0.5
        until(lambda: _running(run), within=20, what="a run in progress")
        started = time.monotonic()
        code, err = run.stop()
        assert time.monotonic() - started < 10
        assert code == 143
        assert "Traceback" not in err
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        statuses = [s for (s,) in conn.execute(sa.text("SELECT status FROM sync_runs ORDER BY id"))]
        running = conn.scalar(sa.text("SELECT COUNT(*) FROM sync_state WHERE status = 'running'"))
    engine.dispose()
    assert statuses[-1] == "interrupted"
    assert "running" not in statuses
    assert running == 0


def _running(run: Running) -> bool:
    status, text = run.get("/metrics")
    return status == 200 and "cfsync_sync_running 1.0" in text


@pytest.mark.postgres
def test_two_run_processes_on_postgresql_share_each_round(tmp_path, postgres_url):
    sb = Sandbox(SandboxConfig(seed=13, workspaces=2, counts=COUNTS, latency=0.05))
    token = sb.api_token(0)
    with serve_in_thread(sb) as url:
        write_config(tmp_path / "cfsync.toml", url, postgres_url, free_port())
        upgraded = cfsync(tmp_path, token, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        runs = [Running(tmp_path, token, "--interval", "1h", "--no-webhooks") for _ in range(2)]
        try:
            until(lambda: all(r.runs() >= 1 for r in runs), within=90, what="both first runs")
        finally:
            for r in runs:
                r.stop()
    first_pages = Counter(
        r.api_path for r in sb.requests if r.method == "GET" and not r.query and r.status == 200
    )
    assert first_pages, "the runs read the lists"
    twice = {path: n for path, n in first_pages.items() if n > 1}
    assert twice == {}, "a partition walked by both processes"


def test_healthz_is_not_ready_until_the_database_is_migrated(tmp_path):
    """What /healthz answers, asked directly: a database behind the head revision, or gone, is not ready."""
    import asyncio

    from cfsync.config import parse_config
    from cfsync.service import Service, ServiceSettings
    from cfsync.store.db import create_engine
    from cfsync.store.migrate import upgrade

    db = f"sqlite:///{tmp_path}/old.db"
    config = parse_config({"database": {"url": db}}, {})
    service = Service(config, ServiceSettings(interval=60))
    service.engine = create_engine(db)
    upgrade(service.engine, "0005")
    service.ready = True
    assert service._database_problem() == "the database is not at the schema's head revision"
    upgrade(service.engine)
    assert service._database_problem() is None
    service.engine.dispose()
    (tmp_path / "old.db").write_bytes(b"not a database at all, just bytes" * 100)
    service.engine = create_engine(db)
    assert service._database_problem().startswith("the database is unreachable: ")
    service.engine.dispose()
    service.ready = False
    answer = asyncio.run(service._healthz(None))  # type: ignore[arg-type]
    assert answer.status == 503


def test_metrics_count_schema_changes_by_table_and_the_evolved_columns_in_the_database(tmp_path):
    """/metrics asked directly: a scheduled run's schema changes count by table; the gauge is the rows of
    _schema_changes, whichever process (a webhook, a write, another worker) added them."""
    import asyncio
    from datetime import UTC, datetime

    from cfsync.config import parse_config
    from cfsync.engine.ports import RunSummary
    from cfsync.service import Service, ServiceSettings, _Reporter
    from cfsync.store.db import create_engine
    from cfsync.store.migrate import upgrade
    from cfsync.store.schema import schema_changes

    db = f"sqlite:///{tmp_path}/evolved.db"
    service = Service(parse_config({"database": {"url": db}}, {}), ServiceSettings(interval=60))
    service.engine = create_engine(db)
    upgrade(service.engine)
    row = {"resource": "contacts", "source": "score", "first_seen_at": datetime.now(UTC), "run_id": 1}
    with service.engine.begin() as conn:
        conn.execute(
            schema_changes.insert(),
            [
                {**row, "table_name": "contacts", "column_name": "score", "kind": "integer"},
                {**row, "table_name": "contacts", "column_name": "badges", "kind": "table"},
                {**row, "table_name": "contacts__badges", "column_name": "name", "kind": "text"},
            ],
        )
    reporter = _Reporter(service.metrics)
    reporter.run_finished(RunSummary(run_id=1, status="succeeded", schema_changes=["contacts.score integer",
                          "contacts__badges table", "contacts__badges.name text"]))  # fmt: skip
    reporter.run_finished(RunSummary(run_id=2, status="succeeded"))

    answer = asyncio.run(service._metrics(None))  # type: ignore[arg-type]
    service.engine.dispose()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(answer.text or "")
        for s in f.samples
    }
    assert samples[("cfsync_schema_changes_total", (("table", "contacts"),))] == 1
    assert samples[("cfsync_schema_changes_total", (("table", "contacts__badges"),))] == 2
    assert samples[("cfsync_evolved_columns", ())] == 3


def test_metrics_show_a_field_the_api_started_sending(tmp_path):
    """End to end: the sandbox sends a new field, a scheduled run adds its column, /metrics counts it."""
    sb = Sandbox(SandboxConfig(seed=16, workspaces=1, counts=COUNTS))
    if not hasattr(sb, "add_extra_field"):
        pytest.skip("the sandbox serves no extra fields yet")
    sb.add_extra_field("contacts", "loyalty_points", "integer")
    db = f"sqlite:///{tmp_path}/run.db"
    with serve_in_thread(sb) as url:
        write_config(tmp_path / "cfsync.toml", url, db, free_port())
        run = Running(tmp_path, sb.api_token(0), "--interval", "1h", "--no-webhooks")
        until(lambda: run.runs() >= 1, what="the first run")
        status, text = run.get("/metrics")
        code, err = run.stop()
    assert status == 200
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }
    assert samples[("cfsync_schema_changes_total", (("table", "contacts"),))] >= 1
    assert samples[("cfsync_evolved_columns", ())] >= 1
    assert code == 143, err
    assert "loyalty_points integer" in err  # the run's summary line names it


def test_run_outlives_an_api_outage_and_stops_on_a_refused_key(tmp_path):
    """Unattended: scheduled runs that fail (every request 503) leave the process up and ready, counted as
    failed; once the API answers again the next run catches up. A refused key needs a person: exit 3."""
    sb = Sandbox(SandboxConfig(seed=14, workspaces=1, counts=COUNTS))
    ws = sb.workspace_ids(0)[0]
    token = sb.api_token(0)
    db = f"sqlite:///{tmp_path}/run.db"
    with serve_in_thread(sb) as url:
        write_config(tmp_path / "cfsync.toml", url, db, free_port())
        contact = sb.records("contacts", workspace_id=ws)[0]
        run = Running(tmp_path, token, "--interval", "1s", "--no-webhooks")
        until(lambda: run.runs() >= 1, what="the first run")
        sb.faults.set_rates({"503": 1.0})
        api_down = run.runs()

        def failed_runs() -> float:
            status, text = run.get("/metrics")
            samples = [
                s.value
                for f in text_string_to_metric_families(text)
                for s in f.samples
                if s.name == "cfsync_runs_total" and s.labels.get("status") in ("failed", "partial")
            ]
            return sum(samples) if status == 200 else 0.0

        until(lambda: failed_runs() >= 2, within=60, what="two runs failing against the outage")
        assert run.runs() >= api_down + 2
        assert run.get("/healthz")[0] == 200, "the database is fine: still ready"
        assert run.proc.poll() is None
        sb.update("contacts", contact["id"], {"first_name": "AfterOutage"})
        sb.faults.set_rates({})
        until(lambda: first_name(db, contact["id"]) == "AfterOutage", within=30, what="the catch-up run")
        code, err = run.stop()
        assert code == 143
        assert "Traceback" not in err

        refused = cfsync(tmp_path, "not-the-token", "run", "--port", "0", "--no-webhooks")
        assert refused.returncode == 3
        assert refused.stderr.strip().splitlines()[-1].startswith("cfsync: error: ")
        assert "not-the-token" not in refused.stderr + refused.stdout
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        running = conn.scalar(sa.text("SELECT COUNT(*) FROM sync_runs WHERE status = 'running'"))
    engine.dispose()
    assert running == 0


def test_run_stops_with_the_database_code_when_the_file_turns_corrupt(tmp_path):
    """A person has to act on a corrupt database: the next scheduled run finds it, and the process exits 5
    with one line saying so (no traceback) instead of failing every interval forever."""
    sb = Sandbox(SandboxConfig(seed=15, workspaces=1, counts=COUNTS))
    token = sb.api_token(0)
    path = tmp_path / "run.db"
    with serve_in_thread(sb) as url:
        write_config(tmp_path / "cfsync.toml", url, f"sqlite:///{path}", free_port())
        run = Running(tmp_path, token, "--interval", "1s", "--no-webhooks")
        until(lambda: run.runs() >= 1, what="the first run")
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.write_bytes(b"this is not a database any more " * 512)
        _, err = run.proc.communicate(timeout=60)
    assert run.proc.returncode == 5, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("cfsync: error: database ")
    assert "corrupt" in last

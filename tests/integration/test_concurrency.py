"""Concurrent syncs: SQLite lets one run at a time; PostgreSQL workers share one sync by partition."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from cfsync import app
from cfsync.cli import cli
from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread
from cfsync.store import Store
from cfsync.store.locks import RunLock

from .helpers import config_for, db_snapshot, sandbox_snapshot

CFSYNC = str(Path(sys.executable).with_name("cfsync"))
COUNTS = {"contacts": 70, "orders": 30, "courses": 3, "courses_enrollments": 5}


def write_config(path: Path, url: str, db: str, **api: object) -> Path:
    extra = "".join(f"{k} = {json.dumps(v)}\n" for k, v in api.items())
    path.write_text(
        f'[api]\nmode = "direct"\nbase_url = "{url}"\napi_key_env = "CF_TOKEN"\nrequests_per_second = 1000\n'
        f'{extra}[database]\nurl = "{db}"\n'
        # Statistics are the lists' business here (their sharing by workers: test_stats_sync.py).
        "[sync]\nstats_days = 0\n"
    )
    return path


def test_a_second_sqlite_sync_exits_4_or_waits(tmp_path, monkeypatch):
    sb = Sandbox(SandboxConfig(seed=2, workspaces=1, counts={"contacts": 5}))
    monkeypatch.chdir(tmp_path)
    held = RunLock(tmp_path / "synced.db.lock")
    held.acquire()
    with serve_in_thread(sb) as url:
        write_config(tmp_path / "cfsync.toml", url, "sqlite:///synced.db")
        env = {"CF_TOKEN": sb.api_token(0)}
        busy = CliRunner().invoke(cli, ["sync", "--no-progress"], env=env)
        assert busy.exit_code == 4
        assert (
            busy.stderr.strip()
            .splitlines()[-1]
            .startswith(f"cfsync: error: another cfsync sync is running on this database (pid {os.getpid()})")
        )
        assert not sb.requests, "it stopped before asking the API anything"
        threading.Timer(0.5, held.release).start()
        waited = CliRunner().invoke(cli, ["sync", "--no-progress", "--wait", "10"], env=env)
        assert waited.exit_code == 0, waited.output


def test_two_real_processes_on_one_sqlite_file(tmp_path):
    sb = Sandbox(SandboxConfig(seed=2, workspaces=1, counts={"contacts": 60}, latency=0.05))
    with serve_in_thread(sb) as url:
        write_config(tmp_path / "cfsync.toml", url, "sqlite:///synced.db")
        env = {**os.environ, "CF_TOKEN": sb.api_token(0)}
        with subprocess.Popen(
            [CFSYNC, "sync"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
        ) as first:
            while not sb.requests:  # the first one holds the lock once it talks to the API
                threading.Event().wait(0.02)
            second = subprocess.run([CFSYNC, "sync"], cwd=tmp_path, env=env, capture_output=True, text=True)
            first.communicate(timeout=60)
        assert second.returncode == 4
        assert "another cfsync sync is running on this database" in second.stderr
        assert first.returncode == 0


@pytest.mark.postgres
def test_three_workers_share_one_postgresql_sync(tmp_path, postgres_url):
    twin = Sandbox(SandboxConfig(seed=8, workspaces=3, counts=COUNTS))
    sb = Sandbox(SandboxConfig(seed=8, workspaces=3, counts=COUNTS, latency=0.01))
    with serve_in_thread(twin) as twin_url:
        alone = config_for(twin_url, twin.api_token(0), f"sqlite:///{tmp_path}/alone.db")
        import asyncio

        single = asyncio.run(app.sync(alone))
    with serve_in_thread(sb) as url:
        write_config(tmp_path / "cfsync.toml", url, postgres_url, max_in_flight=2)
        env = {**os.environ, "CF_TOKEN": sb.api_token(0)}
        # Migrate first, so the three start on the same schema at the same moment.
        subprocess.run([CFSYNC, "db", "upgrade"], cwd=tmp_path, env=env, check=True, capture_output=True)
        workers = [
            subprocess.Popen(
                [CFSYNC, "sync", "--json"],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
            results.append(json.loads(out))
    engine = Store.open(postgres_url).engine
    try:
        assert db_snapshot(engine) == sandbox_snapshot(sb)
    finally:
        engine.dispose()
    assert sum(r["partitions"] for r in results) == single.partitions
    assert sum(r["requests"] for r in results) == single.requests
    assert sum(1 for r in results if r["partitions"]) >= 2, "the work was shared"
    pages = Counter((r.api_path, tuple(sorted(r.query.items()))) for r in sb.requests)
    assert max(pages.values()) == 1, "no page fetched twice"

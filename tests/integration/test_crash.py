"""kill -9 at several moments, then rerun: the database ends as an uninterrupted sync leaves it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from cfsync.resources.catalog import CATALOG, ordered
from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread
from cfsync.store import Store
from cfsync.store.schema import metadata, sync_state

from .helpers import db_snapshot, sandbox_partitions, sandbox_snapshot

CFSYNC = str(Path(sys.executable).with_name("cfsync"))
COUNTS = {"contacts": 130, "orders": 50, "courses": 3, "courses_enrollments": 25}


def write_config(path: Path, url: str, db: str) -> None:
    path.write_text(
        f'[api]\nmode = "direct"\nbase_url = "{url}"\napi_key_env = "CF_TOKEN"\nrequests_per_second = 1000\n'
        f'max_in_flight = 4\n[database]\nurl = "{db}"\n'
        "[sync]\nstats_days = 0\n"  # a killed backfill of statistics: test_stats_sync.py
    )


def sync(
    workdir: Path, env: dict[str, str], *args: str, kill_after: int | None = None, sb=None
) -> int | None:
    """Run `cfsync sync`; with kill_after, SIGKILL it once the sandbox has seen that many more requests."""
    with subprocess.Popen(
        [CFSYNC, "sync", *args], cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as proc:
        if kill_after is None:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode()
            return proc.returncode
        start = len(sb.requests)
        deadline = time.monotonic() + 60
        while len(sb.requests) - start < kill_after and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        return proc.returncode


def comparable(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Every row of every table but the moment it was written, and the partitions' cursors."""
    out = {}
    with engine.connect() as conn:
        for resource in ordered():
            for name in (resource.name, *(c.name for c in resource.children)):
                table = metadata.tables[name]
                columns = [c for c in table.columns if c.name not in ("_synced_at", "_deleted_at")]
                out[name] = [tuple(r) for r in conn.execute(sa.select(*columns).order_by(*table.primary_key))]
        state = conn.execute(
            sa.select(
                sync_state.c.account,
                sync_state.c.resource,
                sync_state.c.workspace_id,
                sync_state.c.parent_id,
                sync_state.c.cursor,
                sync_state.c.status,
            ).order_by(sync_state.c.resource, sync_state.c.workspace_id, sync_state.c.parent_id)
        )
        out["sync_state"] = [tuple(r) for r in state]
    return out


def id_pages(requests) -> Counter:
    return Counter(
        (r.api_path, r.query.get("after"))
        for r in requests
        if "sort_property" not in r.query and r.status == 200
    )


def test_kill_9_at_several_points_then_rerun(tmp_path, db_url):
    sb = Sandbox(SandboxConfig(seed=4, workspaces=2, counts=COUNTS, latency=0.004))
    reference_db = f"sqlite:///{tmp_path}/reference.db"
    with serve_in_thread(sb) as url:
        env = {**os.environ, "CF_TOKEN": sb.api_token(0)}
        (tmp_path / "ref").mkdir()
        write_config(tmp_path / "ref" / "cfsync.toml", url, reference_db)
        sync(tmp_path / "ref", env)
        sb.requests.clear()

        write_config(tmp_path / "cfsync.toml", url, db_url)
        kills = [5, 60, 140]
        codes = [sync(tmp_path, env, kill_after=k, sb=sb) for k in kills]
        assert codes == [-signal.SIGKILL] * len(kills), "each run was killed before it finished"
        sync(tmp_path, env)

    crashed, reference = Store.open(db_url).engine, Store.open(reference_db).engine
    try:
        assert comparable(crashed) == comparable(reference)
        assert db_snapshot(crashed) == sandbox_snapshot(sb)
    finally:
        crashed.dispose()
        reference.dispose()
    # Resuming redid at most the page in flight at each kill, per partition. (Asking past the last id, as
    # every run does for a partition an earlier run finished, is the incremental check, not a repeat.)
    ends = {
        (CATALOG[name].list_path(parent or None), str(records[-1]["id"]))
        for (name, parent), records in sandbox_partitions(sb).items()
        if records
    }
    again = Counter()
    for (path, after), n in id_pages(sb.requests).items():
        if n > 1 and (path, after) not in ends:
            again[path] += n - 1
    assert all(n <= len(kills) for n in again.values()), again


def test_kill_9_during_a_full_sweep_then_rerun(tmp_path, db_url):
    sb = Sandbox(SandboxConfig(seed=5, workspaces=2, counts=COUNTS, latency=0.004))
    with serve_in_thread(sb) as url:
        env = {**os.environ, "CF_TOKEN": sb.api_token(0)}
        write_config(tmp_path / "cfsync.toml", url, db_url)
        sync(tmp_path, env, "--resource", "contacts", "--resource", "orders")
        for ws in sb.workspace_ids(0):
            for contact in sb.records("contacts", workspace_id=ws)[::9]:
                sb.delete("contacts", contact["id"])
        assert (
            sync(
                tmp_path, env, "--full", "--resource", "contacts", "--resource", "orders", kill_after=8, sb=sb
            )
            == -signal.SIGKILL
        )
        sync(tmp_path, env, "--resource", "contacts", "--resource", "orders")
    engine = Store.open(db_url).engine
    try:
        snapshot = db_snapshot(engine)
        expected = sandbox_snapshot(sb, names=("contacts", "orders"))
        assert snapshot["contacts"] == expected["contacts"]
        assert snapshot["orders"] == expected["orders"]
        with engine.connect() as conn:
            assert (
                conn.scalar(sa.select(sa.func.count()).where(sync_state.c.sweep_started_at.is_not(None))) == 0
            )
    finally:
        engine.dispose()

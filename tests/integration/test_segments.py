"""A big list walked by several cursors at once, on SQLite and PostgreSQL, through crashes and sweeps."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from cfsync import app
from cfsync.sandbox import Sandbox, SandboxConfig, SandboxServer, serve_in_thread
from cfsync.store import Store
from cfsync.store.schema import segments, sync_state

from .helpers import config_for, db_snapshot, sandbox_snapshot

CFSYNC = str(Path(sys.executable).with_name("cfsync"))
BIG = {"contacts": 1500}


def contact_pages(sb: Sandbox) -> list[tuple[str | None, str | None]]:
    return [
        (r.query.get("after"), r.query.get("sort_order"))
        for r in sb.requests
        if r.api_path.endswith("/contacts") and "sort_property" not in r.query
    ]


async def test_a_big_list_is_walked_by_several_cursors(db_url):
    sb = Sandbox(SandboxConfig(seed=40, workspaces=1, counts=BIG))
    async with SandboxServer(sb) as server:
        config = config_for(server.url, sb.api_token(0), db_url, max_in_flight=4)
        summary = await app.sync(config, ["contacts"])
    assert summary.status == "succeeded"
    engine = Store.open(db_url).engine
    try:
        assert db_snapshot(engine)["contacts"] == sandbox_snapshot(sb, names=("contacts",))["contacts"]
        with engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count()).select_from(segments)) == 0, "segments go when done"
            cursor = conn.scalar(sa.select(sync_state.c.cursor).where(sync_state.c.resource == "contacts"))
    finally:
        engine.dispose()
    records = sb.records("contacts", workspace_id=sb.workspace_ids(0)[0])
    assert cursor == str(records[-1]["id"]), "the partition's cursor is the last id"
    pages = contact_pages(sb)
    assert (None, "desc") in pages, "one request for the newest id"
    walk = [after for after, order in pages if order is None]
    assert Counter(walk).most_common(1)[0][1] == 1, "no page fetched twice"
    # Several cursors at once: in the order the requests came, the walk jumps back and forth in the ids.
    afters = [int(a) for a in walk if a is not None]
    assert afters != sorted(afters)
    assert len(walk) <= len(records) // 20 + 1 + 4, "at most one extra page per segment"
    assert summary.requests == len(pages) + 2  # the walk, the probe, then teams and workspaces


async def test_a_full_sweep_over_segments_finds_deletes_in_every_segment(db_url):
    sb = Sandbox(SandboxConfig(seed=41, workspaces=1, counts=BIG))
    async with SandboxServer(sb) as server:
        config = config_for(server.url, sb.api_token(0), db_url, max_in_flight=4)
        await app.sync(config, ["contacts"])
        records = sb.records("contacts", workspace_id=sb.workspace_ids(0)[0])
        gone = [r["id"] for r in records[::97]]  # spread over every segment, first record included
        for record_id in gone:
            sb.delete("contacts", record_id)
        summary = await app.sync(config, ["contacts"], full_refresh=True)
    assert summary.rows["contacts"].deleted == len(gone)
    engine = Store.open(db_url).engine
    try:
        assert db_snapshot(engine)["contacts"] == sandbox_snapshot(sb, names=("contacts",))["contacts"]
    finally:
        engine.dispose()


def test_kill_9_in_the_middle_of_segments_then_rerun(tmp_path, db_url):
    sb = Sandbox(SandboxConfig(seed=42, workspaces=1, counts={"contacts": 3000}, latency=0.01))
    with serve_in_thread(sb) as url:
        (tmp_path / "cfsync.toml").write_text(
            f'[api]\nmode = "direct"\nbase_url = "{url}"\napi_key_env = "CF_TOKEN"\n'
            f'requests_per_second = 1000\nmax_in_flight = 4\n[database]\nurl = "{db_url}"\n'
        )
        env = {**os.environ, "CF_TOKEN": sb.api_token(0)}
        with subprocess.Popen(
            [CFSYNC, "sync", "--resource", "contacts"], cwd=tmp_path, env=env, stderr=subprocess.DEVNULL
        ) as proc:
            deadline = time.monotonic() + 60
            while len(contact_pages(sb)) < 40 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            proc.send_signal(signal.SIGKILL)
        assert proc.returncode == -signal.SIGKILL
        engine = Store.open(db_url).engine
        try:
            with engine.connect() as conn:
                saved = conn.execute(sa.select(segments)).all()
            assert len(saved) >= 2, "the kill came while several segments were walking"
            assert any(s.cursor > s.after_id for s in saved), "their progress was saved with their pages"
            before = len(sb.requests)
            done = subprocess.run(
                [CFSYNC, "sync", "--resource", "contacts"],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr
            assert db_snapshot(engine)["contacts"] == sandbox_snapshot(sb, names=("contacts",))["contacts"]
            with engine.connect() as conn:
                assert conn.scalar(sa.select(sa.func.count()).select_from(segments)) == 0
        finally:
            engine.dispose()
    walk = [a for a, order in contact_pages(sb) if order is None]
    refetched = sum(n - 1 for n in Counter(walk).values() if n > 1)
    assert refetched <= len(saved), "at most the page in flight of each segment was fetched again"
    resumed = [r.query.get("after") for r in list(sb.requests)[before:] if r.api_path.endswith("/contacts")]
    assert None not in resumed, "the rerun resumed the segments, it did not start over"

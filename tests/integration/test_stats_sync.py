"""Funnel statistics as daily series, against the sandbox on a socket, its clock and the sync's injected:
which days each run fetches (read from the sandbox's request log), what the rows hold (what the sandbox
answers for that day), funnels deleted or archived, statistics off, and a backfill killed with SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cfsync import app
from cfsync.client.http import ApiClient
from cfsync.config import Config, parse_config
from cfsync.engine.ports import RunSummary
from cfsync.engine.sync import Syncer
from cfsync.sandbox import Sandbox, SandboxConfig, SandboxServer, serve_in_thread
from cfsync.store.locks import AdvisoryClaims
from cfsync.store.schema import metadata

TOKEN_ENV = "CF_STATS_TOKEN"
CFSYNC = str(Path(sys.executable).with_name("cfsync"))
COUNTS = {"funnels": 4, "pages": 12, "contacts": 8, "orders": 30}
DAYS = 10  # [sync].stats_days of the first test: a few funnels' backfill, quickly
STATS, STEPS = metadata.tables["funnel_stats_daily"], metadata.tables["funnel_step_stats_daily"]


class Clock:
    """What now is for the sandbox and the sync alike; a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def config_for(url: str, token: str, db_url: str, **sync: Any) -> Config:
    api = {"mode": "direct", "base_url": url, "api_key_env": TOKEN_ENV, "requests_per_second": 1000}
    sync = {"resources": ["funnels", "webhooks_outgoing_events"], **sync}
    return parse_config({"api": api, "database": {"url": db_url}, "sync": sync}, {TOKEN_ENV: token})


async def sync(config: Config, clock: Clock, *, claims: bool = False) -> RunSummary:
    """One run of the engine with the test's clock (what `app.sync` wires, but for the clock); with
    `claims`, as one of several PostgreSQL workers."""
    store = app.open_store(config)
    shared = AdvisoryClaims(store.engine) if claims else None
    try:
        async with ApiClient(config.api) as client:
            syncer = Syncer(store, {config.api.name: client}, clock=clock, claims=shared)
            return await syncer.run(app.plan(config))
    finally:
        if shared is not None:
            shared.close()
        store.close()


def fetched(sb: Sandbox) -> dict[int, list[date]]:
    """Per funnel, the days its statistics were asked for (in the order asked), from the request log."""
    found: dict[int, list[date]] = defaultdict(list)
    for r in sb.requests:
        parts = r.api_path.strip("/").split("/")
        if r.method == "GET" and len(parts) == 3 and parts[0] == "funnels" and parts[2] == "stats":
            start = datetime.fromisoformat(r.query["timerange_start"])
            end = datetime.fromisoformat(r.query["timerange_end"])
            assert end - start == timedelta(days=1)
            assert start.time() == datetime.min.time()
            assert r.query["expand[]"] == "steps"
            found[int(parts[1])].append(start.date())
    return dict(found)


def window(sb: Sandbox, funnel: dict[str, Any], today: date, days: int) -> list[date]:
    """The days of the window from the funnel's creation on: what a first run fetches."""
    born = datetime.fromisoformat(funnel["created_at"]).astimezone(UTC).date()
    return [today - timedelta(days=k) for k in range(days) if today - timedelta(days=k) >= born]


def answer(sb: Sandbox, funnel_id: int, day: date) -> dict[str, Any]:
    """What the sandbox answers for the funnel's day now (as the sync asks it)."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    query = {
        "timerange_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timerange_end": (start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return sb.stats.funnel(funnel_id, query, True)


def stored(engine: sa.Engine) -> dict[tuple[int, date], Any]:
    with engine.connect() as conn:
        return {(r.funnel_id, r.day): r for r in conn.execute(sa.select(STATS))}


def stored_steps(engine: sa.Engine) -> dict[tuple[int, date], list[Any]]:
    out: dict[tuple[int, date], list[Any]] = defaultdict(list)
    with engine.connect() as conn:
        for r in conn.execute(sa.select(STEPS).order_by(STEPS.c.funnel_id, STEPS.c.day, STEPS.c._position)):
            out[(r.funnel_id, r.day)].append(r)
    return out


def assert_rows_are_the_answers(sb: Sandbox, engine: sa.Engine, days: dict[int, list[date]]) -> None:
    rows, steps = stored(engine), stored_steps(engine)
    for funnel_id, dates in days.items():
        for day in dates:
            expected = answer(sb, funnel_id, day)
            row = rows[(funnel_id, day)]
            assert row._raw == expected
            assert row.pageviews == expected["summary"]["pageviews"]
            assert row.upfront_sales_count == expected["summary"]["upfront_sales_count"]
            assert row.upfront_sales_cents == round(float(expected["summary"]["upfront_sales"]) * 100)
            assert row.currency == expected["currency"]
            mine = steps[(funnel_id, day)]
            assert [s._raw for s in mine] == expected["steps"]
            assert [s.views_all for s in mine] == [s["views_all"] for s in expected["steps"]]


async def test_a_first_run_backfills_and_the_next_day_fetches_only_the_days_it_must(db_url):
    clock = Clock(datetime(2026, 11, 20, 15, 30, tzinfo=UTC))
    sb = Sandbox(SandboxConfig(seed=5, workspaces=1, counts=COUNTS), clock=clock)
    today = clock.now.date()
    async with SandboxServer(sb) as server:
        config = config_for(server.url, sb.api_token(0), db_url, stats_days=DAYS)
        engine = sa.create_engine(db_url)
        try:
            summary = await sync(config, clock)
            assert summary.status == "succeeded"
            funnels = {f["id"]: f for f in sb.records("funnels", workspace_id=sb.workspace_ids(0)[0])}
            live = {i: f for i, f in funnels.items() if not f.get("archived")}
            first = fetched(sb)
            # Exactly the window's days (from each funnel's creation), each once, newest first.
            assert first == {i: window(sb, f, today, DAYS) for i, f in live.items()}
            assert any(len(d) == DAYS for d in first.values())
            assert summary.stats_requests == sum(map(len, first.values()))
            assert summary.rows["funnel_stats_daily"].inserted == summary.stats_requests
            assert_rows_are_the_answers(sb, engine, first)
            rows = stored(engine)
            assert {day for (_, day), r in rows.items() if r.partial} == {today}
            assert all(r.fetched_at == clock.now for r in rows.values())

            # The next day: one funnel archived, one deleted, and views counted late on yesterday (partial
            # when fetched: its own views grew too) and on the day before (complete when fetched).
            keep, archived, deleted, *_ = sorted(live)
            sb.update("funnels", archived, {"archived": True})
            sb.delete("funnels", deleted)
            page = answer(sb, keep, today)["steps"][0]["page_id"]
            clock.now += timedelta(days=1)
            before = today - timedelta(days=1)
            for day in (today, before):
                sb.add_stats(page, day.isoformat(), views_all=250)
            sb.requests.clear()
            summary = await sync(config, clock)
            assert summary.status == "succeeded"
            second = fetched(sb)
            tomorrow = today + timedelta(days=1)
            going = set(live) - {archived, deleted}
            assert second == {i: [tomorrow, today, today - timedelta(days=1)] for i in going}
            assert stored(engine)[(keep, before)].pageviews == rows[(keep, before)].pageviews + 250
            assert stored(engine)[(keep, today)].pageviews >= rows[(keep, today)].pageviews + 250
            assert_rows_are_the_answers(sb, engine, second)
            after = stored(engine)
            # The gone funnels' rows stay as they were; the others' settled days were not fetched again.
            for funnel_id in (archived, deleted):
                assert {k: r._raw for k, r in after.items() if k[0] == funnel_id} == {
                    k: r._raw for k, r in rows.items() if k[0] == funnel_id
                }
            assert after[(keep, today - timedelta(days=2))].fetched_at == clock.now - timedelta(days=1)
            assert after[(keep, today)].partial is False
            assert after[(keep, tomorrow)].partial is True
        finally:
            engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_workers_sharing_a_sync_fetch_each_funnels_day_once(db_url):
    clock = Clock(datetime(2026, 11, 20, 15, 30, tzinfo=UTC))
    sb = Sandbox(SandboxConfig(seed=8, workspaces=1, counts=COUNTS), clock=clock)
    async with SandboxServer(sb) as server:
        config = config_for(server.url, sb.api_token(0), db_url, stats_days=DAYS)
        app.open_store(config).close()  # migrated once, before the workers start
        runs = await asyncio.gather(*(sync(config, clock, claims=True) for _ in range(3)))
        assert [r.status for r in runs] == ["succeeded"] * 3
        asked = [
            (r.api_path, r.query["timerange_start"]) for r in sb.requests if r.api_path.endswith("/stats")
        ]
        assert len(asked) == len(set(asked))  # no day twice
        funnels = sb.records("funnels", workspace_id=sb.workspace_ids(0)[0])
        expected = {f["id"]: window(sb, f, clock.now.date(), DAYS) for f in funnels if not f.get("archived")}
        assert {i: sorted(d) for i, d in fetched(sb).items()} == {i: sorted(d) for i, d in expected.items()}
        assert sum(r.stats_requests for r in runs) == len(asked)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_funnel_deleted_since_its_list_was_read_is_no_failure_and_zero_days_fetch_nothing(db_url):
    clock = Clock(datetime(2026, 11, 20, 9, tzinfo=UTC))
    sb = Sandbox(SandboxConfig(seed=6, workspaces=1, counts=COUNTS), clock=clock)
    async with SandboxServer(sb) as server:
        # Without the event log, the deleted funnel is still live in the database when its days are due.
        config = config_for(server.url, sb.api_token(0), db_url, resources=["funnels"], stats_days=2)
        assert (await sync(config, clock)).status == "succeeded"
        engine = sa.create_engine(db_url)
        try:
            before = stored(engine)
            gone = min(funnel_id for funnel_id, _ in before)
            sb.delete("funnels", gone)
            sb.requests.clear()
            clock.now += timedelta(hours=1)
            summary = await sync(config, clock)
            assert summary.status == "succeeded"
            assert summary.rows["funnels"].deleted == 1
            assert fetched(sb)[gone] == [clock.now.date()]  # asked once: 404, and the funnel's route too
            with engine.connect() as conn:
                funnels = metadata.tables["funnels"]
                assert conn.scalar(sa.select(funnels.c._deleted_at).where(funnels.c.id == gone)) is not None
            assert {k for k in stored(engine) if k[0] == gone} == {k for k in before if k[0] == gone}

            sb.requests.clear()
            off = config_for(server.url, sb.api_token(0), db_url, resources=["funnels"], stats_days=0)
            summary = await sync(off, clock)
            assert summary.status == "succeeded"
            assert fetched(sb) == {}
            assert summary.stats_requests == 0
            assert "funnel_stats_daily" not in summary.rows
        finally:
            engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_backfill_killed_with_sigkill_resumes_without_fetching_a_finished_day_again(db_url, tmp_path):
    sb = Sandbox(SandboxConfig(seed=7, workspaces=1, counts=COUNTS))
    env = {**os.environ, TOKEN_ENV: sb.api_token(0)}
    with serve_in_thread(sb) as url:
        # Slow enough (25 requests a second) to be killed in the middle of the backfill.
        (tmp_path / "cfsync.toml").write_text(
            f'[api]\nmode = "direct"\nbase_url = "{url}"\napi_key_env = "{TOKEN_ENV}"\n'
            f'requests_per_second = 25\nmax_in_flight = 2\n[database]\nurl = "{db_url}"\n'
            '[sync]\nresources = ["funnels"]\nstats_days = 30\n'
        )
        with subprocess.Popen(
            [CFSYNC, "sync", "--no-progress"], cwd=tmp_path, env=env, stderr=subprocess.PIPE
        ) as proc:
            deadline = time.monotonic() + 30
            while sum(map(len, fetched(sb).values())) < 25 and time.monotonic() < deadline:
                time.sleep(0.01)
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
        asked = sum(map(len, fetched(sb).values()))
        config = (tmp_path / "cfsync.toml").read_text()
        (tmp_path / "cfsync.toml").write_text(
            config.replace("requests_per_second = 25", "requests_per_second = 1000")
        )
        engine = sa.create_engine(db_url)
        try:
            done = set(stored(engine))
            # Every day answered was committed, but those in flight at the kill (4 walkers at most).
            assert asked - 4 <= len(done) <= asked
            sb.requests.clear()
            result = subprocess.run(
                [CFSYNC, "sync", "--no-progress"], cwd=tmp_path, env=env, capture_output=True, timeout=60
            )
            assert result.returncode == 0, result.stderr.decode()
            today = datetime.now(UTC).date()
            again = {(i, d) for i, days in fetched(sb).items() for d in days} & done
            assert {d for _, d in again} <= {today - timedelta(days=k) for k in range(3)}
            funnels = sb.records("funnels", workspace_id=sb.workspace_ids(0)[0])
            assert set(stored(engine)) == {
                (f["id"], d) for f in funnels if not f.get("archived") for d in window(sb, f, today, 30)
            }
        finally:
            engine.dispose()

"""PostgreSQL workers on one API key share one budget: one pace, one learned limit, through the database.

Worker processes (tests/integration/budget_worker.py) against the sandbox's rate limit (a token bucket per
client IP: every worker here is 127.0.0.1, as every worker behind one gateway key is one key), and
budgets in this process on boards of their own (a board is one database session, as a process has).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from cfsync.client.adaptive import AdaptiveRate
from cfsync.client.budget import Budget, Budgets
from cfsync.client.shared import SharedPacer, key_id
from cfsync.config import parse_config
from cfsync.store import Store
from cfsync.store.budgets import PostgresBoard
from cfsync.store.db import create_engine
from tests.postgres import fresh_database

from .budget_worker import budget_for, hammer

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def budget_url(postgres_server):
    """One migrated database for the module: each test's keys are its own (its own sandbox port or key)."""
    with fresh_database(postgres_server) as url:
        store = Store.open(url)
        store.migrate()
        store.close()
        yield url


@pytest.fixture
def budget_db(budget_url):
    engine = create_engine(budget_url)
    yield engine
    engine.dispose()


def start_worker(server_url: str, token: str, db_url: str, seconds: float, ceiling: float, *extra: str):
    return asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.integration.budget_worker",
        server_url,
        db_url,
        str(seconds),
        str(ceiling),
        *extra,
        cwd=ROOT,
        env={**os.environ, "BUDGET_WORKER_KEY": token},
        stdout=asyncio.subprocess.PIPE,
    )


async def run_workers(sandbox, server, db_url: str, n: int, seconds: float, ceiling: float, *extra: str):
    """N workers started together, for `seconds` of traffic each: their reports, in order."""
    token = sandbox.api_token(0)
    procs = [await start_worker(server.url, token, db_url, seconds, ceiling, *extra) for _ in range(n)]
    outs = await asyncio.gather(*(p.communicate() for p in procs))
    assert [p.returncode for p in procs] == [0] * n
    return [json.loads(out.decode().splitlines()[-1]) for out, _ in outs]


def share_429(reports) -> float:
    return sum(r["rate_limited"] for r in reports) / sum(r["requests"] for r in reports)


def account(url: str, key: str, **api):
    settings = {"base_url": url, "api_key_env": "K", "requests_per_second": 20, **api}
    return parse_config({"api": settings}, {"K": key}).api


async def test_workers_on_one_key_share_its_limit_where_alone_they_overrun_it(
    sandbox, sandbox_server, budget_url, budget_db
):
    # Three workers each configured at the key's limit: alone, they send three times it until each learns
    # it apart; sharing, they send it once between them.
    url, token = sandbox_server.url, sandbox.api_token(0)
    sandbox.faults.rate_limit(20, burst=10)
    alone = await hammer(url, token, [budget_for(url, token, 20, None) for _ in range(3)], 2.0)
    sandbox.faults.rate_limit(20, burst=10)  # a full bucket again
    shared = await run_workers(sandbox, sandbox_server, budget_url, 3, 2.5, 20)
    assert share_429(alone) > 0.15
    assert share_429(shared) < 0.05
    assert share_429(shared) < share_429(alone) / 4
    assert sum(r["learner"] for r in shared) <= 1  # one learner at a time (none once its lease lapsed)
    assert sum(r["ok"] for r in shared) >= 0.5 * 20 * 2.5  # they did not merely stop sending


async def test_one_workers_learned_cut_reaches_the_others(sandbox, sandbox_server, budget_db):
    # Configured at 60 against a limit of 12: the pace must come down, and every worker ends on it.
    url, token = sandbox_server.url, sandbox.api_token(0)
    sandbox.faults.rate_limit(12, burst=5)
    boards = [PostgresBoard(budget_db) for _ in range(3)]
    try:
        reports = await hammer(url, token, [budget_for(url, token, 60, b) for b in boards], 4.0)
    finally:
        for board in boards:
            board.close()
    paces = [r["pace"] for r in reports]
    assert max(paces) < 40, reports
    assert sum(r["learner"] for r in reports) <= 1, reports
    assert sum(r["cuts"] > 0 for r in reports) < 3, reports  # not each its own cuts: the key's learner's
    with budget_db.connect() as conn:
        pace = conn.execute(
            sa.text("SELECT pace FROM _rate_budgets WHERE key = :k"), {"k": key_id(url, token)}
        ).scalar_one()
    assert pace < 40
    # Every worker is on a pace the key's learner published (the last cut or the one before, when the
    # last came just before the end): none kept the 60 it was configured with, and none cut on its own.
    assert min(paces) <= pace * 1.5, reports  # the key's pace is a worker's, not a row of its own


async def test_a_cut_one_budget_publishes_is_the_pace_of_the_next_slots_of_another(budget_db, sandbox_server):
    key = key_id(sandbox_server.url, "k")
    boards = [PostgresBoard(budget_db), PostgresBoard(budget_db)]
    try:
        rates = [AdaptiveRate(ceiling=50.0) for _ in boards]
        first, second = (SharedPacer(r, b, key) for r, b in zip(rates, boards, strict=True))
        await first.acquire(asyncio.sleep)
        await second.acquire(asyncio.sleep)
        assert first.learner
        assert not second.learner
        rates[0].rate = 5.0  # what a trial would do
        first._slots.clear()
        await first.acquire(asyncio.sleep)  # publishes it with its reservation
        second._slots.clear()
        await second.acquire(asyncio.sleep)
        assert rates[1].rate == 5.0
        started = time.monotonic()
        await second.acquire(asyncio.sleep)
        await second.acquire(asyncio.sleep)
        assert time.monotonic() - started >= 0.15  # the slots are 1/5 s apart, after the first's
    finally:
        for board in boards:
            board.close()


async def test_a_killed_worker_leaves_its_budget_within_seconds(
    sandbox, sandbox_server, budget_url, budget_db
):
    sandbox.faults.rate_limit(None)
    proc = await start_worker(sandbox_server.url, sandbox.api_token(0), budget_url, 60, 20)
    assert proc.stdout is not None
    await proc.stdout.readline()  # it has started sending
    await asyncio.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    killed = time.monotonic()
    board = PostgresBoard(budget_db)
    try:
        rate = AdaptiveRate(ceiling=20.0)
        pacer = SharedPacer(rate, board, key_id(sandbox_server.url, sandbox.api_token(0)))
        await pacer.acquire(asyncio.sleep)
        assert time.monotonic() - killed < 0.6  # its reserved slots: a quarter second of pace at most
        assert not pacer.learner  # its lease outlives it a little ...
        while not pacer.learner:
            await asyncio.sleep(0.1)
            await pacer.acquire(asyncio.sleep)
        assert time.monotonic() - killed < 3.0  # ... and no more
    finally:
        board.close()


async def test_keys_share_by_host_and_key_whatever_the_connection_and_the_key_is_not_stored(budget_db):
    key, other = "maton-key-0123456789", "another-key-9876543210"
    gateway = "https://gateway.maton.ai/clickfunnels"
    accounts = [
        account(gateway, key, mode="maton", connection="c1"),
        account(gateway, key, mode="maton", connection="c2"),
        account(gateway, other, mode="maton", connection="c1"),
    ]
    boards = [PostgresBoard(budget_db) for _ in accounts]
    try:
        budgets = [Budgets(b).for_account(a) for a, b in zip(accounts, boards, strict=True)]
        for budget in budgets:
            await budget.acquire()
        assert [b.shared.learner for b in budgets if b.shared] == [True, False, True]
        with budget_db.connect() as conn:
            rows = conn.execute(sa.text("SELECT * FROM _rate_budgets")).all()
        rows = [r for r in rows if r.key in {key_id(gateway, key), key_id(gateway, other)}]
        assert len(rows) == 2
        assert {r.ok_total for r in rows} == {0}
        stored = repr(rows)
        assert key not in stored
        assert other not in stored
        assert key[:8] not in stored
    finally:
        for board in boards:
            board.close()
    with budget_db.connect() as conn:  # the boards' short statement timeout stayed in their own sessions
        assert conn.scalar(sa.text("SHOW statement_timeout")) == "0"


async def test_without_its_database_a_worker_paces_itself_alone(budget_db):
    board = PostgresBoard(budget_db)
    board.close()  # every reservation fails now
    rate = AdaptiveRate(ceiling=10.0)
    budget = Budget(rate, 4, SharedPacer(rate, board, "k", patience=0.5))
    started = time.monotonic()
    for _ in range(4):
        await budget.acquire()
    assert budget.shared is not None
    assert budget.shared.offline
    assert 0.25 <= time.monotonic() - started < 1.5  # at its pace (10/s), without waiting on the board

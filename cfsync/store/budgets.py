"""The board where PostgreSQL workers on one API key share their request budget (client/shared.py).

One row of `_rate_budgets` per key, changed by one statement per reservation (autocommit: no transaction
stays open across a round trip, and a worker that dies holds nothing but the slots it reserved). Times
are the database's own clock (`clock_timestamp()`, epoch seconds) and go back to the worker relative to
it. A row nobody asked about for `forget` seconds starts afresh at the asker's ceiling, as a new process
does.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..dbthread import DbThread
from ..engine.ports import BudgetAsk, BudgetGrant, BudgetLearned

__all__ = ["PostgresBoard"]

_CREATE = sa.text(
    "INSERT INTO _rate_budgets (key, next_slot, pace, limit_found, noise, held_until, learner, "
    "learner_until, ok_total, throttled_total, updated_at) "
    "VALUES (:key, 0, :ceiling, NULL, 0, 0, NULL, 0, 0, 0, 0) ON CONFLICT (key) DO NOTHING"
)

# `mine`: this worker holds the lease, or may take it (nobody renewed it in time). `fresh`: nobody asked
# lately, so what the row learned is stale. A learner's news counts only while it holds the lease.
_RESERVE = sa.text("""
WITH c AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now),
old AS (
    SELECT b.*, c.now,
           (b.learner = :worker OR b.learner IS NULL OR b.learner_until < c.now) AS mine,
           b.updated_at < c.now - :forget AS fresh
    FROM _rate_budgets AS b, c WHERE b.key = :key FOR UPDATE OF b
),
new AS (
    SELECT key, now, mine,
           CASE WHEN mine AND :publish THEN CAST(:pace AS float8)
                WHEN fresh THEN CAST(:ceiling AS float8) ELSE pace END AS pace,
           CASE WHEN mine AND :publish THEN CAST(:limit AS float8)
                WHEN fresh THEN NULL ELSE limit_found END AS limit_found,
           CASE WHEN mine AND :publish THEN CAST(:noise AS float8)
                WHEN fresh THEN 0 ELSE noise END AS noise,
           GREATEST(held_until, now + :hold) AS held_until,
           GREATEST(next_slot, now, held_until, now + :hold) AS start
    FROM old
)
UPDATE _rate_budgets AS b SET
    pace = new.pace, limit_found = new.limit_found, noise = new.noise, held_until = new.held_until,
    next_slot = new.start + :slots / new.pace,
    learner = CASE WHEN new.mine THEN :worker ELSE b.learner END,
    learner_until = CASE WHEN new.mine THEN new.now + :lease ELSE b.learner_until END,
    ok_total = b.ok_total + :ok, throttled_total = b.throttled_total + :throttled,
    updated_at = new.now
FROM new WHERE b.key = new.key
RETURNING new.start - new.now, b.pace, b.limit_found, b.noise, b.held_until - new.now, new.mine,
          b.ok_total
""")


class PostgresBoard:
    """client.shared.Board on a PostgreSQL database: its own connection, on its own thread, so that a
    reservation never waits behind the sync's writes. Every failure reaches the worker, which paces itself
    alone meanwhile; the next call opens a new connection."""

    def __init__(self, engine: Engine, *, forget: float = 60.0, timeout_ms: int = 1000) -> None:
        self._engine = engine
        self._forget = forget
        self._timeout_ms = timeout_ms
        self._thread = DbThread("cfsync-budget")
        self._conn: Connection | None = None
        self._known: set[str] = set()  # keys whose row exists

    def reserve(self, ask: BudgetAsk) -> concurrent.futures.Future[BudgetGrant]:
        return self._thread.submit(self._reserve, ask)

    def _connection(self) -> Connection:
        if self._conn is None:
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            conn.detach()  # its own session, never back in the pool with the timeout below
            # A row another worker holds locked (a process stopped mid-statement) must not stall this one.
            conn.execute(sa.text(f"SET statement_timeout = {int(self._timeout_ms)}"))
            self._conn = conn
        return self._conn

    def _reserve(self, ask: BudgetAsk) -> BudgetGrant:
        try:
            conn = self._connection()
            if ask.key not in self._known:
                conn.execute(_CREATE, {"key": ask.key, "ceiling": ask.ceiling})
                self._known.add(ask.key)
            row = conn.execute(_RESERVE, self._params(ask)).one()
        except Exception:
            self._drop()
            raise
        starts_in, pace, limit, noise, held_for, mine, ok_total = row
        return BudgetGrant(
            starts_in=starts_in,
            learned=BudgetLearned(pace, limit, noise),
            held_for=held_for,
            learner=mine,
            ok_total=ok_total,
        )

    def _params(self, ask: BudgetAsk) -> dict[str, Any]:
        learned = ask.learned
        return {
            "key": ask.key,
            "worker": ask.worker,
            "forget": self._forget,
            "publish": learned is not None,
            "pace": learned.pace if learned else None,
            "limit": learned.limit if learned else None,
            "noise": learned.noise if learned else None,
            "ceiling": ask.ceiling,
            "hold": ask.hold,
            "slots": ask.slots,
            "lease": ask.lease,
            "ok": ask.ok,
            "throttled": ask.throttled,
        }

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.invalidate()
            self._conn = None
        self._known.clear()

    def close(self) -> None:
        self._thread.submit(self._drop_and_close).result()
        self._thread.close()

    def _drop_and_close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

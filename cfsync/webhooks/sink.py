"""The receiver's one writer: deliveries committed in groups, then applied, on one database thread.

Handlers hand in verified events and wait for their commit. While a transaction runs, the deliveries that
arrive meanwhile gather for the next one, so under load each commit carries many of them (SQLite takes one
writer at a time; a commit per delivery would cap the receiver at the disk's fsync rate), and a lone
delivery never waits for company. Each is answered only after the transaction holding it committed.

The same thread applies pending events in big batches: when deliveries pause for a moment, when a full
batch is pending, or at least every `apply_every` seconds under a steady stream. Applying a handful of
events per transaction would cost as much as storing them; waiting for a pause costs no answer any time.
On start every event left pending (a crash between storing and applying) is applied before the first
delivery is taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import TypeVar

from ..dbthread import DbThread, together_or_alone
from ..logfmt import logfmt
from ..store.webhooks import TRANSIENT, ApplyStats, IncomingEvent, WebhookEvents

__all__ = ["EventSink", "Overloaded"]

log = logging.getLogger("cfsync.webhooks")
T = TypeVar("T")


class Overloaded(Exception):
    """More deliveries wait for the database than the sink takes: answer 503, the sender retries."""


class EventSink:
    def __init__(
        self,
        events: WebhookEvents,
        *,
        max_batch: int = 500,
        max_waiting: int = 20_000,
        idle_poll: float = 5.0,
        retry_delay: float = 1.0,
        settle: float = 0.005,
        apply_every: float = 0.25,
    ) -> None:
        self.events = events
        self.max_batch = max_batch
        self.max_waiting = max_waiting
        self.idle_poll = idle_poll
        self.retry_delay = retry_delay
        self.settle = settle
        self.apply_every = apply_every
        self.totals = ApplyStats()
        self.received = 0
        self.duplicates = 0
        self._db = DbThread("cfsync-webhooks-db")
        self._waiting: list[tuple[IncomingEvent, asyncio.Future[bool]]] = []
        self._wake = asyncio.Event()
        self._dirty = True  # pending events may exist in the database
        self._apply_after = 0.0  # loop time before which applying is not tried again (busy or failing)
        self._busy = False  # a batch is on its way to the database
        self._backlog = 0  # events committed since the last apply, roughly: what waits to be applied
        self._last_apply = 0.0
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> ApplyStats:
        """Apply what a previous run left pending, then start taking deliveries."""
        repaired = await self._db.call(self.events.apply_all, self.max_batch)
        self._tally(repaired)
        self._dirty = False
        self._task = asyncio.create_task(self._run(), name="cfsync-webhooks-sink")
        return repaired

    def _tally(self, stats: ApplyStats) -> None:
        """Log an apply's failures and add its counts to the totals (which keep no failure texts)."""
        for failure in stats.failures:
            log.warning(logfmt(event="webhook_apply_failed", detail=failure))
        self.totals.add(ApplyStats(stats.applied, stats.stale, stats.ignored, stats.failed))

    def submit(self, event: IncomingEvent) -> asyncio.Future[bool]:
        """A future that resolves once the event is committed: True when new, False for a redelivery."""
        if self._closing or self._task is None:
            raise Overloaded("the receiver is shutting down")
        if len(self._waiting) >= self.max_waiting:
            raise Overloaded(f"{len(self._waiting)} deliveries wait for the database")
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((event, future))
        self._wake.set()
        return future

    async def close(self, grace: float = 10.0) -> None:
        """Commit what waits, apply what is pending (for up to `grace` seconds), stop the thread."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            # What is still pending then is applied on the next start.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._task, grace)
        self._db.close()

    async def drained(self, within: float = 30.0) -> bool:
        """Wait until every delivery handed in is committed and nothing is left pending (for tests and
        benchmarks). False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            if not self._waiting and not self._busy and not self._dirty:
                counts = await self._db.call(self.events.counts)
                if counts["pending"] == 0:
                    return True
                self._dirty = True
                self._wake.set()
            await asyncio.sleep(0.02)
        return False

    async def _run(self) -> None:
        """Commit whatever waits; apply once deliveries pause for `settle` seconds, or when a full batch is
        pending, or `apply_every` seconds after the last apply (so a steady stream is applied too)."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            applicable = self._dirty and now >= self._apply_after
            pressing = applicable and (
                self._backlog >= self.max_batch or now - self._last_apply >= self.apply_every
            )
            if self._waiting and not pressing:
                await self._commit()
                continue
            if applicable:
                if pressing or await self._quiet():
                    await self._apply()
                continue
            if self._closing and not self._waiting:
                return
            self._wake.clear()
            wait = self.idle_poll if not self._dirty else max(0.01, self._apply_after - loop.time())
            try:
                await asyncio.wait_for(self._wake.wait(), wait)
            except TimeoutError:
                self._dirty = True  # another process, or a failed batch, may have left events pending

    async def _quiet(self) -> bool:
        """No delivery arrives for `settle` seconds: a moment to apply without delaying any answer."""
        if self._waiting:
            return False
        if self._closing:
            return True
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.settle)
        return not self._waiting

    async def _commit(self) -> None:
        batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
        self._busy = True
        try:
            results = await self._stored([e for e, _ in batch])
        finally:
            self._busy = False
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
                self.received += 1
                self.duplicates += not result
                self._backlog += result
        self._dirty = True

    async def _stored(self, events: list[IncomingEvent]) -> list[bool | BaseException]:
        try:
            return await self._db.call(_insert, self.events, events)
        except Exception as exc:  # the thread is gone (closing): nothing was stored
            return [exc] * len(events)

    async def _apply(self) -> None:
        loop = asyncio.get_running_loop()
        self._last_apply = loop.time()
        try:
            stats = await self._db.call(self.events.apply_pending, self.max_batch)
        except TRANSIENT as exc:
            log.warning(logfmt(event="webhook_apply_deferred", error=_oneline(exc)))
            self._apply_after = loop.time() + self.retry_delay
            return
        except Exception as exc:  # a bug: keep the events pending and the receiver answering
            log.exception(logfmt(event="webhook_apply_error", error=_oneline(exc)))
            self._apply_after = loop.time() + self.retry_delay
            return
        if stats is None:  # another receiver is applying (PostgreSQL): it will take ours too, or we retry
            self._apply_after = loop.time() + 0.2
            return
        self._tally(stats)
        self._backlog = max(0, self._backlog - stats.total)
        if stats.total < self.max_batch:
            self._dirty = False
            self._backlog = 0


def _insert(store: WebhookEvents, events: list[IncomingEvent]) -> list[bool | BaseException]:
    """On the database thread: the batch in one transaction; if that fails, each event alone, so one bad
    event costs only its own answer."""
    out: list[bool | BaseException] = []
    for some, outcome in together_or_alone(events, lambda some: store.insert(some, datetime.now(UTC))):
        if isinstance(outcome, Exception):
            log.error(logfmt(event="webhook_store_failed", error=_oneline(outcome)))
            out += [outcome] * len(some)
        else:
            out += outcome
    return out


def _oneline(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]

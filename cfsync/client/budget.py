"""The request budget an account spends: a learned pace, a hard ceiling and a cap on requests in flight.

Accounts that reach the API through the same host with the same key (several Maton connections behind one
Maton key) spend one budget, because the limits they run into are that host's limits for that key. Given a
board (shared.py), so do the workers of other processes on the same key.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiolimiter import AsyncLimiter

from ..config import AccountConfig
from ..errors import ApiUnavailableError
from .adaptive import AdaptiveRate
from .shared import Board, SharedPacer, key_id
from .waiting import Waiting

__all__ = ["Budget", "BudgetView", "Budgets", "Pacer"]


class Pacer:
    """Lets requests out one at a time, at least 1/rate seconds apart and not during a hold. A waiter
    re-reads the rate and the hold at least every second, so a change (up or down) applies at once."""

    def __init__(self, rate: AdaptiveRate) -> None:
        self.rate = rate
        self._last = float("-inf")
        self._turn: asyncio.Lock | None = None

    async def acquire(self, sleep: Callable[[float], Awaitable[None]], waiting: int = 1) -> None:
        if self._turn is None:
            self._turn = asyncio.Lock()  # FIFO: requests leave in the order they asked
        async with self._turn:
            while True:
                now = self.rate.clock()
                due = max(self._last + 1 / self.rate.rate, self.rate.paused_until)
                if due <= now:
                    break
                await sleep(min(due - now, 1.0))
            self._last = now


@dataclass(frozen=True)
class BudgetView:
    """What a budget is doing right now, for a progress line."""

    pace: float  # requests per second it lets out now
    open: int  # requests sent and not answered yet
    waiting: int  # requests waiting for their turn (the pace or a hold)
    oldest_open: float | None  # seconds the oldest open request has waited for its answer
    held_for: float  # seconds every request is still held back (a burst of 429s, Retry-After)
    background_429: float  # share of 429s that slowing down did not cure


class Budget:
    """Requests wait for a free slot (`max_in_flight`), any hold, the learned pace and the ceiling.

    The ceiling (`requests_per_second`, aiolimiter) is a hard bound that holds whatever the learned pace
    does; the pace (adaptive.py) stays under it. Once one request has given up on an API that answered
    nothing else for its whole retry schedule (`fail`), every request of the budget fails at once with
    the same cause instead of spending its own retries on it.
    """

    def __init__(
        self,
        rate: AdaptiveRate,
        in_flight: int,
        shared: SharedPacer | None = None,
        notice_every: float = 15.0,
    ) -> None:
        self.rate = rate
        self.shared = shared
        self.waiting = Waiting(notice_every)  # says so while the host cannot be reached
        self.pacer: Pacer | SharedPacer = shared or Pacer(rate)
        ceiling = rate.ceiling
        self.ceiling = AsyncLimiter(ceiling, 1.0) if ceiling >= 1 else AsyncLimiter(1, 1 / ceiling)
        self.in_flight = asyncio.Semaphore(in_flight)
        self.last_success: float | None = None
        self.failing_since: float | None = None  # the first failure since the last success
        self._failures = 0  # failed answers (429s included) since the last success
        self._failing_calls: set[int] = set()  # the calls they were answers to
        self._calls = itertools.count()
        self.outage: ApiUnavailableError | None = None
        self._open: dict[int, float] = {}
        self._waiting = 0
        self._tickets = itertools.count()

    @classmethod
    def for_account(cls, account: AccountConfig, board: Board | None = None) -> Budget:
        rate = AdaptiveRate(ceiling=account.requests_per_second)
        shared = None
        if board is not None:
            shared = SharedPacer(rate, board, key_id(account.base_url, account.require_key().value))
        return cls(rate, account.max_in_flight, shared, account.notice_seconds)

    def now(self) -> float:
        return self.rate.clock()

    async def acquire(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        """Wait for this request's turn (call inside `in_flight`)."""
        self.check()
        self._waiting += 1
        try:
            await self.pacer.acquire(sleep, self._waiting)
            await self.ceiling.acquire()
        finally:
            self._waiting -= 1
        self.check()

    def check(self) -> None:
        """Raise the outage that ended this budget, if one did."""
        if self.outage is not None:
            raise self.outage

    def sent(self) -> int:
        """A request goes out now: its ticket for `answered`."""
        ticket = next(self._tickets)
        self._open[ticket] = self.now()
        return ticket

    def answered(self, ticket: int) -> float:
        """The request of `ticket` has its answer (or failed): when it was sent."""
        return self._open.pop(ticket)

    def on_success(self, sent_at: float) -> None:
        """The API took the request (any answer but a 429 or a 5xx, a refusal included)."""
        self.last_success = self.now()
        self.failing_since = None
        self._failures = 0
        self._failing_calls.clear()
        if self.shared is not None:
            self.shared.answered(throttled=False)
            if not self.shared.learning:
                return  # the key's learner learns
        self.rate.on_success(sent_at)

    def call(self) -> int:
        """An id for one call (all its attempts)."""
        return next(self._calls)

    def on_failure(self, call: int) -> None:
        """A 429, a 5xx, a timeout or a connection failure, for the call `call`."""
        if self.failing_since is None:
            self.failing_since = self.now()
        self._failures += 1
        self._failing_calls.add(call)

    def outage_since(self, since: float, min_failures: int) -> float | None:
        """Seconds the API has answered nothing but failures, if nothing succeeded since `since`, at least
        `min_failures` answers failed and they were answers to two calls or more (one call failing alone
        may be that call's own trouble); else None."""
        if self.failing_since is None or self._failures < min_failures or len(self._failing_calls) < 2:
            return None
        if self.last_success is not None and self.last_success >= since:
            return None
        return self.now() - self.failing_since

    def on_throttle(self, sent_at: float, retry_after: float | None) -> None:
        if self.shared is not None:
            self.shared.answered(throttled=True)
            if not self.shared.learning:
                self.rate.throttled += 1
                if retry_after:
                    self.rate.hold(retry_after)  # the key's, with the next reservation
                return
        self.rate.on_throttle(sent_at, retry_after)

    def advise(self, retry_after: float | None) -> None:
        """A 503 with Retry-After: hold every request back that long, without changing the pace."""
        if retry_after:
            self.rate.hold(retry_after)

    def fail(self, outage: ApiUnavailableError) -> None:
        self.outage = outage

    def view(self) -> BudgetView:
        now = self.now()
        oldest = min(self._open.values(), default=None)
        return BudgetView(
            pace=self.rate.rate,
            open=len(self._open),
            waiting=self._waiting,
            oldest_open=None if oldest is None else now - oldest,
            held_for=self.rate.pause(),
            background_429=self.rate.noise,
        )


class Budgets:
    """Hands out one Budget per (host, key); the first account seen sets its rate and cap. With a `board`,
    each budget shares its pace with the other processes on the same key."""

    def __init__(self, board: Board | None = None) -> None:
        self._budgets: dict[tuple[str, str], Budget] = {}
        self.board = board

    def for_account(self, account: AccountConfig) -> Budget:
        key = (urlsplit(account.base_url).netloc, account.require_key().value)
        if key not in self._budgets:
            self._budgets[key] = Budget.for_account(account, self.board)
        return self._budgets[key]

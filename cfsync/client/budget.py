"""The request budget an account spends: a rate limit and a cap on requests in flight.

Accounts that reach the API through the same host with the same key (several Maton connections behind one
Maton key) spend one budget, because the limits they run into are that host's limits for that key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..config import AccountConfig
from .adaptive import AdaptiveRate, PacingLimiter

__all__ = ["Budget", "Budgets"]


@dataclass
class Budget:
    """Requests wait for any pause a 429 imposed, then for the pacing limiter, at the learned rate."""

    rate: AdaptiveRate
    limiter: PacingLimiter
    in_flight: asyncio.Semaphore

    @classmethod
    def for_account(cls, account: AccountConfig) -> Budget:
        # Paced, never a burst: ClickFunnels asks for about 100 ms between requests.
        rps = account.requests_per_second
        return cls(AdaptiveRate(ceiling=rps), PacingLimiter(rps), asyncio.Semaphore(account.max_in_flight))

    async def acquire(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        while (wait := self.rate.pause()) > 0:
            await sleep(wait)
        await self.limiter.acquire()

    def on_success(self) -> None:
        self._follow(self.rate.on_success)

    def now(self) -> float:
        return self.rate.clock()

    def on_throttle(self, retry_after: float | None, sent_at: float | None = None) -> None:
        self._follow(lambda: self.rate.on_throttle(retry_after, sent_at))

    def advise(self, retry_after: float | None) -> None:
        """A 503 with Retry-After: hold every request back that long, without changing the rate."""
        if retry_after:
            self.rate.hold(retry_after)

    def _follow(self, event: Callable[[], None]) -> None:
        before = self.rate.rate
        event()
        if self.rate.rate != before:
            self.limiter.set_rate(self.rate.rate)


class Budgets:
    """Hands out one Budget per (host, key); the first account seen sets its rate and cap."""

    def __init__(self) -> None:
        self._budgets: dict[tuple[str, str], Budget] = {}

    def for_account(self, account: AccountConfig) -> Budget:
        key = (urlsplit(account.base_url).netloc, account.require_key().value)
        if key not in self._budgets:
            self._budgets[key] = Budget.for_account(account)
        return self._budgets[key]

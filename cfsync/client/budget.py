"""The request budget an account spends: a rate limit and a cap on requests in flight.

Accounts that reach the API through the same host with the same key (several Maton connections behind one
Maton key) spend one budget, because the limits they run into are that host's limits for that key.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiolimiter import AsyncLimiter

from ..config import AccountConfig

__all__ = ["Budget", "Budgets"]


@dataclass
class Budget:
    limiter: AsyncLimiter
    in_flight: asyncio.Semaphore

    @classmethod
    def for_account(cls, account: AccountConfig) -> Budget:
        # One request per 1/rps seconds, never a burst: ClickFunnels asks for ~100 ms between requests.
        return cls(AsyncLimiter(1, 1 / account.requests_per_second), asyncio.Semaphore(account.max_in_flight))


class Budgets:
    """Hands out one Budget per (host, key); the first account seen sets its rate and cap."""

    def __init__(self) -> None:
        self._budgets: dict[tuple[str, str], Budget] = {}

    def for_account(self, account: AccountConfig) -> Budget:
        key = (urlsplit(account.base_url).netloc, account.require_key().value)
        if key not in self._budgets:
            self._budgets[key] = Budget.for_account(account)
        return self._budgets[key]

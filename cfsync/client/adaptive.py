"""The request rate an account may use, learned from the API's answers.

ClickFunnels does not publish its limit: it is "dynamic, per IP", and a 429 carries no Retry-After. So the
rate starts at the configured `requests_per_second` (the ceiling) and follows the answers:

- a 429 cuts the rate by `decrease` (multiplicative decrease) and pauses every request of the budget for a
  jittered backoff, or for Retry-After when a gateway sends one. The many 429s that arrive together when
  the limit is hit (every request in flight gets one) count once: after a cut, further 429s only extend the
  pause until `cooldown` has passed. A Retry-After of 0 is treated as "no advice", never as "retry now".
- each run of `window` successes without a 429 raises the rate by `step` (additive increase), back toward
  the ceiling.

The limiter pacing the requests is aiolimiter's leaky bucket with a rate that can change.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from aiolimiter import AsyncLimiter

__all__ = ["AdaptiveRate", "PacingLimiter", "parse_retry_after"]


class PacingLimiter(AsyncLimiter):
    """One request per 1/rate seconds, never a burst, at a rate that can be changed while in use."""

    def __init__(self, rate: float) -> None:
        super().__init__(1, 1 / rate)

    @property
    def rate(self) -> float:
        return 1 / self.time_period

    def set_rate(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.time_period = 1 / rate
        self._rate_per_sec = rate
        self._wake_next()  # waiters re-time themselves at the new rate


@dataclass
class AdaptiveRate:
    ceiling: float
    floor: float = 0.2
    decrease: float = 0.7
    step_fraction: float = 0.02  # of the ceiling, per window
    window: int = 10
    cooldown: float = 2.0  # seconds after a cut during which 429s do not cut again
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    clock: Callable[[], float] = time.monotonic
    rand: Callable[[], float] = random.random
    rate: float = field(init=False)
    paused_until: float = field(default=0.0, init=False)
    throttled: int = field(default=0, init=False)  # 429s seen
    cuts: int = field(default=0, init=False)
    _streak: int = field(default=0, init=False)  # 429 cuts in a row without a success between them
    _successes: int = field(default=0, init=False)
    _no_cut_before: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.rate = self.ceiling
        self.floor = min(self.floor, self.ceiling)

    def pause(self) -> float:
        """Seconds every request must still wait before going out."""
        return max(0.0, self.paused_until - self.clock())

    def on_success(self) -> None:
        self._streak = 0
        self._successes += 1
        if self._successes >= self.window and self.rate < self.ceiling:
            self._successes = 0
            self.rate = min(self.ceiling, self.rate + self.step_fraction * self.ceiling)

    def on_throttle(self, retry_after: float | None = None) -> None:
        now = self.clock()
        self.throttled += 1
        self._successes = 0
        if now >= self._no_cut_before:
            self.cuts += 1
            self._streak += 1
            self.rate = max(self.floor, self.rate * self.decrease)
            self._no_cut_before = now + self.cooldown
        if retry_after is not None and retry_after > 0:
            wait = retry_after
        else:
            ceiling = min(self.backoff_cap, self.backoff_base * 2 ** max(0, self._streak - 1))
            wait = ceiling * (0.5 + 0.5 * self.rand())  # jittered, never near zero: no retry storm
        self.paused_until = max(self.paused_until, now + wait)


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - now())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None

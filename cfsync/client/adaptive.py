"""The request rate an account may use, learned from the API's answers.

ClickFunnels does not publish its limit: it is "dynamic, per IP", and a 429 carries no Retry-After. So the
rate starts at the configured `requests_per_second` (the ceiling) and follows the answers:

- a 429 cuts the rate to `decrease` times itself, or to what the API actually accepted over the last
  seconds if that is lower (the limit just found), and pauses every request of the budget for a jittered
  backoff, or for Retry-After when a gateway sends one. The many 429s that arrive together when the limit
  is hit (every request in flight gets one) count once: a 429 cuts only if its request left after the
  last cut (without a send time: once `cooldown` has passed); the others only extend the pause. A 429 for
  a request sent after the cut is news: still too fast. A Retry-After of 0 is treated as "no advice",
  never as "retry now".
- each run of `window` successes without a 429 raises the rate by `growth` (2 %), back toward the ceiling:
  slow enough that probing the limit again costs about one 429 per hundred requests.

The limiter pacing the requests is aiolimiter's leaky bucket with a rate that can change.
"""

from __future__ import annotations

import random
import time
from collections import deque
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
    growth: float = 0.02  # of the current rate, per window of successes
    window: int = 10
    measure_seconds: float = 2.0  # how far back accepted requests count toward "what the API accepts"
    cooldown: float = 1.0  # without send times: seconds after a cut during which 429s do not cut again
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
    _last_cut: float = field(default=float("-inf"), init=False)
    _accepted: deque[float] = field(default_factory=deque, init=False)

    def __post_init__(self) -> None:
        self.rate = self.ceiling
        self.floor = min(self.floor, self.ceiling)

    def pause(self) -> float:
        """Seconds every request must still wait before going out."""
        return max(0.0, self.paused_until - self.clock())

    def hold(self, seconds: float, now: float | None = None) -> None:
        """Hold every request back at least `seconds` from now (a pause already longer stays)."""
        self.paused_until = max(self.paused_until, (self.clock() if now is None else now) + seconds)

    def accepted_rate(self) -> float | None:
        """Requests per second the API accepted lately; None until there are enough to tell."""
        now = self.clock()
        while self._accepted and self._accepted[0] < now - self.measure_seconds:
            self._accepted.popleft()
        if len(self._accepted) < 5:
            return None
        # Over the time the samples span (a run that just started has less than measure_seconds of them).
        return len(self._accepted) / max(now - self._accepted[0], self.measure_seconds / 4)

    def on_success(self) -> None:
        self._accepted.append(self.clock())
        self._streak = 0
        self._successes += 1
        if self._successes >= self.window and self.rate < self.ceiling:
            self._successes = 0
            self.rate = min(self.ceiling, self.rate * (1 + self.growth))

    def on_throttle(self, retry_after: float | None = None, sent_at: float | None = None) -> None:
        """A 429. `sent_at` (this clock) tells a request sent after the last cut from one in flight then."""
        now = self.clock()
        self.throttled += 1
        self._successes = 0
        news = sent_at >= self._last_cut if sent_at is not None else now >= self._no_cut_before
        if news:
            self.cuts += 1
            self._streak += 1
            accepted = self.accepted_rate()
            target = (
                self.rate * self.decrease if accepted is None else min(self.rate * self.decrease, accepted)
            )
            self.rate = max(self.floor, target)
            self._no_cut_before = now + self.cooldown
            self._last_cut = now
        if retry_after is not None and retry_after > 0:
            wait = retry_after
        else:
            ceiling = min(self.backoff_cap, self.backoff_base * 2 ** max(0, self._streak - 1))
            wait = ceiling * (0.5 + 0.5 * self.rand())  # jittered, never near zero: no retry storm
        self.hold(wait, now)


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

"""A budget's real pacing and retry code against a fake API, in virtual time.

`simulate` runs `in_flight` workers that each send one request after another through `send_with_retries`
(the code ApiClient uses), on an event loop whose clock jumps to the next timer: a minute of traffic
takes a fraction of a second and comes out the same every time.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from cfsync.client.adaptive import AdaptiveRate
from cfsync.client.attempts import Answer, RequestStats, send_with_retries
from cfsync.client.budget import Budget
from cfsync.errors import RetriableApiError


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock jumps to the next timer instead of waiting for it."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        select = self._selector.select  # type: ignore[attr-defined]

        def jump(timeout=None):
            # At least a microsecond a turn, as a real clock would.
            self.now += max(timeout or 0.0, 1e-6)
            return select(0)

        self._selector.select = jump  # type: ignore[attr-defined]

    def time(self) -> float:
        return self.now


def run_virtual(coro_fn):
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(coro_fn(loop))
    finally:
        loop.close()


# -- the API's behaviour: each takes (arrival time) and answers a status or None (no opinion) ----------


class TokenBucket:
    """A real limit: `rate` requests per second, bursts of `burst`."""

    def __init__(self, rate: float, burst: int = 10) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.last = float(burst), 0.0

    def __call__(self, now: float) -> int | None:
        self.tokens = min(float(self.burst), self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return 429


class Share:
    """`status` on this share of requests, whatever the pace."""

    def __init__(self, share: float, status: int = 429, seed: int = 7) -> None:
        self.share, self.status, self.rng = share, status, random.Random(seed)

    def __call__(self, now: float) -> int | None:
        return self.status if self.rng.random() < self.share else None


class Bursts:
    """Every request answered `status` for `length` seconds every `every` seconds (from `first`)."""

    def __init__(self, every: float, length: float, status: int = 429, first: float | None = None) -> None:
        self.every, self.length, self.status = every, length, status
        self.first = every if first is None else first

    def __call__(self, now: float) -> int | None:
        if now >= self.first and (now - self.first) % self.every < self.length:
            return self.status
        return None


@dataclass
class Outcome:
    seconds: float
    accepted: list[float] = field(default_factory=list)  # arrival times of 200s
    sent: list[float] = field(default_factory=list)  # arrival times of every request
    throttled: int = 0
    failed: list[str] = field(default_factory=list)  # calls that gave up
    pace: list[tuple[float, float]] = field(default_factory=list)  # (time, pace) twice a second
    rate: AdaptiveRate | None = None

    def accepted_rate(self, start: float = 0.0, end: float | None = None) -> float:
        end = self.seconds if end is None else end
        return sum(start <= t < end for t in self.accepted) / (end - start)

    def sent_rate(self, start: float = 0.0, end: float | None = None) -> float:
        end = self.seconds if end is None else end
        return sum(start <= t < end for t in self.sent) / (end - start)

    def pace_at(self, t: float) -> float:
        return min(self.pace, key=lambda p: abs(p[0] - t))[1]

    def min_pace(self, start: float, end: float) -> float:
        return min(p for t, p in self.pace if start <= t < end)


def simulate(
    api: Callable[[float], int | None] | list[Callable[[float], int | None]],
    *,
    ceiling: float = 50.0,
    seconds: float = 60.0,
    latency: float = 0.05,
    in_flight: int = 8,
    max_retries: int = 8,
    seed: int = 1,
) -> Outcome:
    """Workers keep `in_flight` calls going for `seconds` against `api` (several: the first that answers
    decides; none: 200) with `latency` per request."""
    rules = api if isinstance(api, list) else [api]
    out = Outcome(seconds)

    async def main(loop: VirtualTimeLoop) -> Outcome:
        rand = random.Random(seed).random
        rate = AdaptiveRate(ceiling=ceiling, clock=loop.time, rand=rand)
        budget = Budget(rate, in_flight)
        stats = RequestStats()
        out.rate = rate

        async def send() -> Answer:
            await asyncio.sleep(latency / 2)
            now = loop.time()
            out.sent.append(now)
            status = next((s for s in (rule(now) for rule in rules) if s is not None), 200)
            await asyncio.sleep(latency / 2)
            if status == 200:
                out.accepted.append(now)
            elif status == 429:
                out.throttled += 1
            return Answer(status, {}, b"[]")

        async def worker() -> None:
            while loop.time() < seconds:
                try:
                    await send_with_retries(
                        budget,
                        send,
                        method="GET",
                        path="/x",
                        max_retries=max_retries,
                        stats=stats,
                        sleep=asyncio.sleep,
                        rand=rand,
                    )
                except RetriableApiError as exc:
                    out.failed.append(str(exc))

        async def sample() -> None:
            while loop.time() < seconds:
                out.pace.append((loop.time(), rate.rate))
                await asyncio.sleep(0.5)

        await asyncio.gather(sample(), *(worker() for _ in range(in_flight)))
        return out

    return run_virtual(main)

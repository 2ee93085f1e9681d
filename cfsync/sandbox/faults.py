"""Misbehaviour on demand: queued and random failures, latency and a per-IP rate limit."""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cfsync.sandbox.config import (
    FAULT_KINDS,
    Burst,
    Fault,
    Latency,
    SandboxConfig,
    check_fault_rates,
    check_latency,
)

__all__ = ["Faults"]


@dataclass
class _Queued:
    fault: Fault
    remaining: int
    pattern: re.Pattern[str] | None
    skipping: int = 0


class Faults:
    """Set from the config, changed at any time from tests (thread-safe).

    `latency` delays every request: fixed seconds, or (low, high) drawn per request (`delay()`). Queued
    faults fire in the order they were added, each on the next requests it matches. A fault still skipping
    (`skip`) counts every request it matches, whatever another fault does to it, and stands aside
    meanwhile: `skip=N` fires on the (N+1)th matching request after it was queued unless an earlier fault
    takes that one. Random faults (`set_rates`) strike requests no queued fault took, each kind with its
    rate, from one seeded draw per request. The rate limit is a token bucket per client IP. Bursts
    (`set_bursts`) answer every request with one status at set times, before anything else: a gateway or a
    proxy in front of the API.
    """

    def __init__(self, config: SandboxConfig | None = None, monotonic: Callable[[], float] = time.monotonic):
        config = config or SandboxConfig()
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._latency: Latency = 0.0
        self._rates: dict[str, float] = {}
        self.stall_seconds = config.stall_seconds
        seed = config.seed if config.fault_seed is None else config.fault_seed
        # Two streams, so that drawing latencies never shifts which requests fail.
        self._fault_rng = random.Random(f"faults:{seed}")
        self._latency_rng = random.Random(f"latency:{seed}")
        self.latency = config.latency
        self.set_rates(config.fault_rates)
        self._queue: list[_Queued] = []
        self._rate: float | None = None
        self._burst = 1
        self._buckets: dict[str, tuple[float, float]] = {}
        self._forbidden: list[tuple[re.Pattern[str], int | None]] = []
        self.rate_limit(config.rate_limit, config.rate_limit_burst)
        for fault in config.faults:
            self.add(fault)
        self._bursts: tuple[Burst, ...] = ()
        self._bursts_set = 0.0
        self.set_bursts(config.bursts)

    def set_bursts(self, bursts: tuple[Burst, ...]) -> None:
        """Answer every request with a burst's status while one is on (timed from now; () stops them)."""
        with self._lock:
            self._bursts = tuple(bursts)
            self._bursts_set = self._monotonic()

    @property
    def bursts(self) -> tuple[Burst, ...]:
        return self._bursts

    def burst(self) -> Fault | None:
        """The burst this request falls in, if one is on."""
        with self._lock:
            elapsed = self._monotonic() - self._bursts_set
            for burst in self._bursts:
                if burst.active(elapsed):
                    return Fault(burst.kind)
            return None

    def add(self, fault: Fault) -> None:
        with self._lock:
            pattern = re.compile(fault.path) if fault.path is not None else None
            self._queue.append(_Queued(fault, fault.times, pattern, fault.skip))

    def fail_next(
        self,
        kind: str | int,
        times: int = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        stall_seconds: float = 30.0,
        skip: int = 0,
    ) -> None:
        """Queue `times` failures of `kind` ("429", "500", "502", "503", "reset", "stall"; 429 works too)
        for the next requests whose method and API path (a regex, searched) match, after letting the
        first `skip` of them through."""
        self.add(Fault(str(kind), times, method.upper() if method else None, path, stall_seconds, skip))

    def take(self, method: str, path: str) -> Fault | None:
        """The fault the request `method path` must suffer, if one is queued for it (consumed)."""
        chosen: _Queued | None = None
        with self._lock:
            # Every skipping fault sees the request, even after an earlier one fired: its count is of
            # matching requests, so `skip` means the same whatever else is queued.
            for queued in self._queue:
                f = queued.fault
                if (f.method is not None and f.method != method) or (
                    queued.pattern is not None and not queued.pattern.search(path)
                ):
                    continue
                if queued.skipping > 0:
                    queued.skipping -= 1
                elif chosen is None:
                    chosen = queued
            if chosen is None:
                return None
            chosen.remaining -= 1
            if chosen.remaining <= 0:
                self._queue.remove(chosen)
            return chosen.fault

    def set_rates(
        self, rates: Mapping[str, float], *, seed: int | None = None, stall_seconds: float | None = None
    ) -> None:
        """Fail this share of API requests with each kind, e.g. {"502": 0.01, "reset": 0.005} (rates add
        up to at most 1; {} stops random faults). `seed` restarts the draws (and the latency draws) from
        that seed; a random `stall` waits `stall_seconds`, by default the config's."""
        checked = check_fault_rates(rates)
        if stall_seconds is not None and not stall_seconds >= 0:
            raise ValueError(f"stall_seconds must be >= 0, not {stall_seconds!r}")
        with self._lock:
            self._rates = {k: checked[k] for k in FAULT_KINDS if checked.get(k, 0.0) > 0.0}
            if seed is not None:
                self._fault_rng.seed(f"faults:{seed}")
                self._latency_rng.seed(f"latency:{seed}")
            if stall_seconds is not None:
                self.stall_seconds = stall_seconds

    @property
    def rates(self) -> dict[str, float]:
        with self._lock:
            return dict(self._rates)

    def chance(self) -> Fault | None:
        """The random fault this request meets, if any: one draw, its kind chosen by the rates."""
        with self._lock:
            if not self._rates:
                return None
            draw = self._fault_rng.random()
            for kind, rate in self._rates.items():
                if draw < rate:
                    return Fault(kind, stall_seconds=self.stall_seconds)
                draw -= rate
            return None

    @property
    def latency(self) -> Latency:
        """Seconds added to each request, or the (low, high) range they are drawn from."""
        return self._latency

    @latency.setter
    def latency(self, value: Latency) -> None:
        self._latency = check_latency(value)

    def delay(self) -> float:
        """Seconds to hold the next request."""
        latency = self._latency
        if not isinstance(latency, tuple):
            return latency
        with self._lock:
            return self._latency_rng.uniform(*latency)

    @property
    def pending(self) -> int:
        """How many queued failures have not fired yet."""
        with self._lock:
            return sum(q.remaining for q in self._queue)

    def forbid(self, path: str, account: int | None = None) -> None:
        """Answer 403 to every request whose API path matches `path` (a regex, searched), for one account
        or all: an endpoint the account's plan does not include. Lasts until `clear()`."""
        with self._lock:
            self._forbidden.append((re.compile(path), account))

    def forbidden(self, path: str, account: int) -> bool:
        with self._lock:
            return any(p.search(path) and a in (None, account) for p, a in self._forbidden)

    def clear(self) -> None:
        """Drop queued and random failures, bursts, plan gates, latency and the rate limit."""
        with self._lock:
            self._queue.clear()
            self._forbidden.clear()
            self._rates = {}
            self._bursts = ()
        self.latency = 0.0
        self.rate_limit(None)

    def rate_limit(self, per_second: float | None, burst: int = 10) -> None:
        """Allow `per_second` requests per client IP, in bursts of up to `burst`; None lifts the limit."""
        with self._lock:
            self._rate = per_second
            self._burst = max(burst, 1)
            self._buckets.clear()

    def allow(self, client: str) -> bool:
        """Take a token for `client`; False means answer 429."""
        with self._lock:
            if self._rate is None:
                return True
            now = self._monotonic()
            tokens, last = self._buckets.get(client, (float(self._burst), now))
            tokens = min(float(self._burst), tokens + (now - last) * self._rate)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            return allowed

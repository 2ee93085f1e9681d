"""The adaptive rate and the pacing limiter, on a fake clock: no real sleeps."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from cfsync.client.adaptive import AdaptiveRate, PacingLimiter, parse_retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock jumps to the next timer instead of waiting for it."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        select = self._selector.select  # type: ignore[attr-defined]

        def jump(timeout=None):
            # At least a microsecond a turn, as a real clock would: aiolimiter's float arithmetic can
            # leave a waiter due a hair after "now", which a clock that never moves would never reach.
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


def rate(clock=None, **kw) -> AdaptiveRate:
    return AdaptiveRate(ceiling=10.0, clock=clock or Clock(), rand=lambda: 1.0, **kw)


def test_starts_at_the_ceiling_and_never_exceeds_it():
    r = rate()
    assert r.rate == 10.0
    for _ in range(100):
        r.on_success()
    assert r.rate == 10.0


def test_a_429_cuts_the_rate_and_pauses_everyone():
    clock = Clock()
    r = rate(clock)
    r.on_throttle()
    assert r.rate == pytest.approx(7.0)
    assert r.pause() == pytest.approx(1.0)  # backoff base, jittered up to its full value here
    clock.now += 0.4
    assert r.pause() == pytest.approx(0.6)


def test_a_burst_of_429s_cuts_once():
    clock = Clock()
    r = rate(clock)
    for _ in range(8):  # every request in flight comes back 429 at once
        r.on_throttle()
    assert r.cuts == 1
    assert r.throttled == 8
    assert r.rate == pytest.approx(7.0)
    clock.now += 2.5  # after the cooldown a new 429 is news again
    r.on_throttle()
    assert r.cuts == 2
    assert r.rate == pytest.approx(4.9)


def test_repeated_cuts_back_off_exponentially_with_jitter_and_a_cap():
    clock = Clock()
    r = AdaptiveRate(ceiling=10.0, clock=clock, rand=lambda: 0.0)
    pauses = []
    for _ in range(8):
        r.on_throttle()
        pauses.append(round(r.pause(), 3))
        clock.now += r.pause() + r.cooldown
    assert pauses == [0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0]  # half of 1, 2, 4 ... capped at 30
    r.on_success()
    r.on_throttle()
    assert r.pause() == pytest.approx(0.5), "a success ends the streak"


def test_the_rate_never_falls_below_the_floor():
    clock = Clock()
    r = rate(clock, floor=0.5)
    for _ in range(50):
        r.on_throttle()
        clock.now += 10
    assert r.rate == 0.5


def test_successes_raise_the_rate_step_by_step():
    clock = Clock()
    r = rate(clock)
    r.on_throttle()
    assert r.rate == pytest.approx(7.0)
    for _ in range(9):
        r.on_success()
    assert r.rate == pytest.approx(7.0)
    r.on_success()
    assert r.rate == pytest.approx(7.14)  # +2 % per 10 successes
    for _ in range(1000):
        r.on_success()
    assert r.rate == 10.0


def test_a_cut_goes_straight_to_what_the_api_accepted():
    clock = Clock()
    r = AdaptiveRate(ceiling=50.0, clock=clock, rand=lambda: 1.0)
    for _ in range(16):  # 8 accepted a second, while asking for 50
        clock.now += 0.125
        r.on_success()
    r.on_throttle()
    assert r.rate == pytest.approx(16 / 1.875)  # 16 accepted over the 1.875 s they span
    assert r.cuts == 1


def test_too_few_successes_to_measure_fall_back_to_the_factor():
    clock = Clock()
    r = AdaptiveRate(ceiling=50.0, clock=clock, rand=lambda: 1.0)
    r.on_success()
    r.on_throttle()
    assert r.rate == pytest.approx(35.0)


def test_a_429_resets_the_success_run():
    r = rate()
    r.on_throttle()
    for _ in range(9):
        r.on_success()
    r.on_throttle()  # inside the cooldown: no new cut, but the run starts over
    r.on_success()
    assert r.rate == pytest.approx(7.0)


def test_retry_after_is_honoured_but_zero_is_not_a_storm():
    clock = Clock()
    r = rate(clock)
    r.on_throttle(retry_after=12)
    assert r.pause() == pytest.approx(12)
    clock.now += 20
    r.on_throttle(retry_after=0)
    assert r.pause() >= 0.5, "Retry-After: 0 still waits a backoff"


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        ("0", 0.0),
        ("2.5", 2.5),
        (" 3 ", 3.0),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
        ("soon", None),
        (None, None),
        ("", None),
        ("-4", 0.0),
    ],
)
def test_parse_retry_after(header, seconds):
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after(header, now=lambda: now) == seconds


def test_pacing_limiter_spaces_requests_and_follows_a_new_rate():
    async def main(loop):
        limiter = PacingLimiter(10.0)
        stamps = []
        for _ in range(5):
            await limiter.acquire()
            stamps.append(loop.time())
        limiter.set_rate(2.0)
        for _ in range(3):
            await limiter.acquire()
            stamps.append(loop.time())
        return stamps

    stamps = run_virtual(main)
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(stamps)]
    assert gaps[:4] == [0.1, 0.1, 0.1, 0.1]
    assert gaps[5:] == [0.5, 0.5]
    assert stamps[0] < 0.001, "the first request does not wait"


def test_pacing_limiter_wakes_waiters_at_the_new_rate():
    async def main(loop):
        limiter = PacingLimiter(1.0)
        await limiter.acquire()
        waiter = asyncio.ensure_future(limiter.acquire())
        await asyncio.sleep(0.1)
        limiter.set_rate(10.0)  # a waiter due at t=1 s under the old rate goes at t=0.1 s
        await waiter
        return loop.time()

    assert run_virtual(main) == pytest.approx(0.1, abs=0.01)


def test_429s_for_requests_in_flight_at_the_cut_count_once_but_a_later_one_cuts_again():
    clock = Clock()
    r = rate(clock)
    sent = clock.now
    clock.now += 0.05
    r.on_throttle(sent_at=sent)  # the limit is hit: cut
    for _ in range(6):  # the others that were in flight come back 429 too
        r.on_throttle(sent_at=sent)
    assert r.cuts == 1
    clock.now += 0.3  # well inside the cooldown, but this request left after the cut: still too fast
    r.on_throttle(sent_at=clock.now - 0.01)
    assert r.cuts == 2
    assert r.rate == pytest.approx(4.9)

"""The learned pace, on a fake clock: single answers, then whole minutes of traffic against API patterns
(ratesim.py runs the budget's real pacing and retry code in virtual time)."""

from __future__ import annotations

import asyncio
import itertools
import statistics

import pytest

from cfsync.client.adaptive import AdaptiveRate
from cfsync.client.budget import Budget, Pacer

from .ratesim import Bursts, Share, TokenBucket, run_virtual, simulate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def rate(clock: Clock | None = None, **kw) -> AdaptiveRate:
    return AdaptiveRate(ceiling=10.0, clock=clock or Clock(), rand=lambda: 1.0, **kw)


def answer(r: AdaptiveRate, clock: Clock, pattern: str, gap: float = 0.1) -> None:
    """One answer per character: "." a success, "x" a 429, each to a request sent just before."""
    for c in pattern:
        sent = clock.now
        clock.now += gap
        if c == "x":
            r.on_throttle(sent)
        else:
            r.on_success(sent)


# -- single answers ------------------------------------------------------------------------------------


def test_starts_at_the_ceiling_and_never_exceeds_it():
    clock = Clock()
    r = rate(clock)
    assert r.rate == 10.0
    answer(r, clock, "." * 500)
    assert r.rate == 10.0


@pytest.mark.parametrize("ceiling", [0.0, -1.0, float("nan"), float("inf")])
def test_a_ceiling_that_makes_no_sense_is_refused(ceiling):
    with pytest.raises(ValueError, match="ceiling"):
        AdaptiveRate(ceiling=ceiling)


def test_while_no_background_is_known_two_429s_cut_at_once_without_holding_anyone():
    clock = Clock()
    r = rate(clock)
    answer(r, clock, "....x")
    assert (r.cuts, r.rate) == (0, 10.0), "one 429 alone is not enough"
    answer(r, clock, "x")
    assert r.cuts == 1
    assert 5.0 <= r.rate <= 8.0, "a fifth at least, half at most"
    assert r.pause() == 0.0, "a cut slows the pace; it does not stop every request"


def test_429s_for_requests_sent_before_a_cut_say_nothing_about_the_new_pace():
    clock = Clock()
    r = rate(clock)
    sent_before = clock.now
    answer(r, clock, "..xx")
    cut_to = r.rate
    for _ in range(3):  # the rest of what was in flight comes back 429 too
        r.on_throttle(sent_before)
    assert (r.cuts, r.rate) == (1, cut_to)


def test_retry_after_holds_everyone_and_zero_is_no_advice():
    clock = Clock()
    r = rate(clock)
    r.on_throttle(clock.now, retry_after=12)
    assert r.pause() == pytest.approx(12)
    clock.now += 20
    r.on_throttle(clock.now, retry_after=0)
    assert r.pause() == 0.0, "Retry-After: 0 neither holds nor means 'retry now'"


def test_a_burst_holds_everyone_with_growing_jittered_pauses_and_keeps_the_pace():
    clock = Clock()
    r = AdaptiveRate(ceiling=10.0, clock=clock, rand=lambda: 0.0)
    answer(r, clock, "." * 30)
    clock.now += 5  # nothing succeeded for a while: the API accepts nothing
    pauses = []
    for _ in range(4):
        for _ in range(4):
            r.on_throttle(clock.now)
        pauses.append(round(r.pause(), 3))
        clock.now += r.pause()
    assert pauses == [0.5, 1.0, 2.0, 4.0]  # half of 1, 2, 4, 8 s: rand 0 is the low end of the jitter
    assert r.rate == 10.0, "a burst is held out, not learned as a pace"
    answer(r, clock, ".")
    for _ in range(4):
        r.on_throttle(clock.now)
    assert r.pause() == pytest.approx(0.5), "a success ends the run of holds"


def test_the_pace_never_falls_below_the_floor():
    clock = Clock()
    r = rate(clock, floor=0.5)
    for _ in range(200):
        answer(r, clock, "x.x.xx", gap=2.0)
    assert r.rate >= 0.5


# -- whole minutes against patterns (virtual time) -----------------------------------------------------


def test_no_429s_keeps_the_ceiling():
    out = simulate([], seconds=20)
    assert out.accepted_rate() == pytest.approx(50, rel=0.01)
    assert out.rate is not None
    assert out.rate.cuts == 0


@pytest.mark.parametrize("share", [0.05, 0.10, 0.20])
def test_429s_at_a_share_slowing_down_does_not_cure_are_noise(share):
    """A gateway shedding a fixed share whatever the pace: at most a couple of trials, then the ceiling."""
    out = simulate(Share(share), ceiling=50, latency=0.05, seconds=90)
    assert out.rate is not None
    assert out.accepted_rate() >= 0.8 * 50 * (1 - share)
    assert out.rate.noise == pytest.approx(share, abs=0.04), "its share is learned as the background"
    assert out.min_pace(20, 90) >= 45, "and after the first seconds the pace stays at the ceiling"
    assert not out.failed, "every 429'd request was retried to success"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_noise_verdicts_hold_whatever_the_draws(seed):
    out = simulate(Share(0.10, seed=seed), ceiling=50, seconds=90, seed=seed)
    assert out.accepted_rate() >= 0.8 * 50 * 0.9


def test_a_real_limit_is_found_quickly_with_few_429s():
    """Limit 8 req/s (token bucket, bursts of 10), configured at 50: bench case 3's shape."""
    out = simulate(TokenBucket(8), ceiling=50, latency=0.005, seconds=60)
    assert out.accepted_rate() >= 0.8 * 8
    assert out.throttled <= 0.03 * len(out.sent)
    assert max(p for t, p in out.pace if t >= 3) <= 1.5 * 8, "down to the limit within 3 s, and it stays"


def test_a_known_limit_is_used_in_full():
    out = simulate(TokenBucket(10), ceiling=10, latency=0.25, seconds=60)
    assert out.accepted_rate() >= 0.95 * 10
    assert out.throttled == 0


def test_bursts_of_429s_are_held_out_and_the_pace_resumes():
    """Every request 429 for 3 s every 30 s: holds, not cuts, and the full pace in between."""
    out = simulate(Bursts(every=30, length=3), ceiling=50, seconds=120)
    assert out.accepted_rate() >= 0.7 * 50 * 27 / 30
    assert out.accepted_rate(34, 59) >= 45, "between bursts, the full pace"
    assert out.throttled <= 0.03 * len(out.sent), "during a burst, little more than probes"


def test_a_real_limit_and_random_429s_together():
    """Limit 8 plus 3 % random 429s, configured at 50: bench case 8's shape, over five draws (its targets
    are medians: accepted >= 0.75 of the limit, 429s beyond the random ones <= 5 % of requests)."""
    accepted, beyond = [], []
    for seed in range(1, 6):
        random_429s = Share(0.03, seed=seed)
        out = simulate([TokenBucket(8), random_429s], ceiling=50, latency=0.005, seconds=120, seed=seed)
        accepted.append(out.accepted_rate() / 8)
        beyond.append((out.throttled - 0.03 * len(out.sent)) / len(out.sent))
    assert min(accepted) >= 0.75
    assert statistics.median(beyond) <= 0.05
    # An unlucky draw (4 random 429s in 30 answers at 3 %) can set the background too high for a while;
    # bounded, not avoided.
    assert max(beyond) <= 0.12


def test_a_limit_that_drops_is_followed():
    class Drop:
        def __init__(self) -> None:
            self.before, self.after = TokenBucket(16), TokenBucket(4)

        def __call__(self, now: float) -> int | None:
            return (self.before if now < 40 else self.after)(now)

    out = simulate(Drop(), ceiling=50, latency=0.005, seconds=100)
    assert out.accepted_rate(50, 100) >= 0.85 * 4
    assert max(p for t, p in out.pace if t >= 55) <= 2 * 4


def test_a_minute_of_502s_is_ridden_out_without_slowing_down_or_a_storm_after():
    out = simulate(Bursts(every=1000, length=60, status=502, first=20), ceiling=50, seconds=110)
    assert not out.failed, "8 retries over about 90 s outlast a minute of 502s"
    assert out.min_pace(0, 110) == 50, "5xx never touch the pace"
    during = out.sent_rate(25, 75)
    assert during < 2, "during the outage each request retries on its own growing backoff"
    assert max(sum(1 for t in out.sent if s <= t < s + 1) for s in range(80, 110)) <= 51, "no storm after"
    assert out.accepted_rate(90, 110) >= 45


def test_the_background_fades_when_the_noise_stops():
    class Stops:
        def __init__(self) -> None:
            self.share = Share(0.1)

        def __call__(self, now: float) -> int | None:
            return self.share(now) if now < 30 else None

    out = simulate(Stops(), ceiling=50, seconds=150)
    assert out.rate is not None
    assert out.rate.noise < 0.02


# -- the pacer -----------------------------------------------------------------------------------------


def test_pacer_spaces_requests_and_follows_a_new_rate():
    async def main(loop):
        r = AdaptiveRate(ceiling=10.0, clock=loop.time)
        pacer = Pacer(r)
        stamps = []
        for _ in range(5):
            await pacer.acquire(asyncio.sleep)
            stamps.append(loop.time())
        r.rate = 2.0
        for _ in range(3):
            await pacer.acquire(asyncio.sleep)
            stamps.append(loop.time())
        return stamps

    stamps = run_virtual(main)
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(stamps)]
    assert gaps[:4] == [0.1, 0.1, 0.1, 0.1]
    assert gaps[5:] == [0.5, 0.5]
    assert stamps[0] < 0.001, "the first request does not wait"


def test_pacer_waiters_follow_a_rate_raised_while_they_wait():
    async def main(loop):
        r = AdaptiveRate(ceiling=10.0, clock=loop.time)
        r.rate = 0.2  # one request every 5 s
        pacer = Pacer(r)
        await pacer.acquire(asyncio.sleep)
        waiter = asyncio.ensure_future(pacer.acquire(asyncio.sleep))
        await asyncio.sleep(0.1)
        r.rate = 10.0  # due at t=5 s under the old rate; within a second under the new one
        await waiter
        return loop.time()

    assert run_virtual(main) <= 1.01


def test_budget_waits_for_a_hold():
    async def main(loop):
        budget = Budget(AdaptiveRate(ceiling=100.0, clock=loop.time), in_flight=4)
        budget.advise(7.0)  # a 503 with Retry-After: 7
        await budget.acquire()
        return loop.time()

    assert run_virtual(main) == pytest.approx(7.0, abs=0.02)


def test_what_got_through_is_measured_for_the_key_when_this_budget_sends_a_part_of_it():
    clock = Clock()
    r = rate(clock)
    answer(r, clock, "." * 10, gap=0.2)  # five successes a second seen here ...
    assert r.accepted_rate() == pytest.approx(5.0, rel=0.15)
    r.share = lambda: 0.25  # ... a quarter of what the key's workers got through
    assert r.accepted_rate() == pytest.approx(20.0, rel=0.15)


def test_following_another_budgets_pace_voids_what_this_one_was_judging():
    clock = Clock()
    r = rate(clock)
    answer(r, clock, "xx")  # two 429s close together: a cut, on trial
    assert r.rate < 10.0
    r.follow(6.0, 5.5, 0.01, paused_until=1003.0)
    assert (r.rate, r.limit, r.noise, r.paused_until) == (6.0, 5.5, 0.01, 1003.0)
    answer(r, clock, "." * 30)  # judged afresh: quiet rounds, no verdict on the cut that was
    assert (r.kept, r.undone) == (0, 0)
    r.follow(80.0, None, 0.0, paused_until=1001.0)
    assert (r.rate, r.paused_until) == (10.0, 1003.0)  # never above its own ceiling; a hold only grows

"""The pace a budget may send at, learned from what happens when it slows down.

ClickFunnels does not publish its limit ("dynamic, per IP"), a 429 carries no Retry-After, and not every
429 means "too fast": a limit per IP is shared with other clients, and a gateway sheds load of its own, so
429s can keep coming at the same share however slowly one client goes. The pace starts at the configured
`requests_per_second` (the ceiling) and learns from outcomes, not from each 429:

- An alarm: more 429s than the background share explains (a CUSUM test; the background is the share of
  429s that slowing down did not cure, none at first, so at first two 429s close together are enough).
  Once a background is known, the share is measured afresh at the same pace (the 429s that set the alarm
  off are a chosen sample) and a false alarm ends there.
- A cut is a trial: the pace drops to just under what got through (by a fifth at least, by half at
  most), and the share of 429s after the cut is compared with the share before it. It fell to the
  background: a real limit, the cut stands. It did not change: noise; the pace goes back to where it was
  and the share becomes the background. It rose, or fell but not to the background: cut again.
- Every 429'd request is retried on its own jittered backoff (attempts.py); nothing else waits for it.
  Only when the API accepts nothing (four 429s in a row and no success for two seconds, as in a burst) is
  every request held back, for a jittered 1, 2, 4 ... 30 s, and the pace stays where it was. A gateway's
  Retry-After holds every request that long.
- Quiet rounds (a second and ten answers without an alarm) raise the pace: back to just under a limit
  found in the last minute quickly, then 2 % a round (1 % above it); elsewhere 10 %, 20 %, 40 % ... a
  round, so a pace that was cut wrongly is back within seconds.

Several workers on one key (shared.py) share one pace; one of them learns it, from its own answers, a
random sample of the key's. `share` tells it which part of the key's successes its own are, so that what
got through is measured for the key, not for this worker alone (1 when it is alone).
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .trial import Sample, Trial, fall, merged

__all__ = ["AdaptiveRate"]

log = logging.getLogger("cfsync.rate")

# Standard errors by which a share must fall for a trial to keep a cut (kept wrongly, a cut costs pace
# until it is probed away), and rise for it to cut again (wrongly, one more trial).
_SURE = 3.0
_ROSE = 2.0
_ALARM = 5.0  # CUSUM threshold: log-likelihood ratio of "too many 429s" over "the background"


@dataclass
class AdaptiveRate:
    """The pace of one budget. Tell it every answer with the time its request was sent, on the same clock
    (`on_success`, `on_throttle`); read `rate` and `pause()`."""

    ceiling: float
    floor: float = 0.2
    clock: Callable[[], float] = time.monotonic
    rand: Callable[[], float] = random.random
    round_seconds: float = 1.0  # a quiet round lasts at least this long ...
    round_answers: int = 10  # ... and holds this many answers (or lasts five times as long)
    measure_seconds: float = 2.0  # how far back successes count toward "what the API accepts"
    slow_growth: float = 0.02  # a quiet round's raise just under a limit found lately
    quick_growth: float = 0.1  # the first quiet round's raise elsewhere; it doubles each quiet round
    hold_after: int = 4  # 429s in a row that hold every request back
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    share: Callable[[], float] = lambda: 1.0  # this budget's part of its key's successes lately
    rate: float = field(init=False)
    noise: float = field(default=0.0, init=False)  # the background share of 429s
    limit: float | None = field(default=None, init=False)  # a real limit found lately, req/s
    paused_until: float = field(default=0.0, init=False)
    throttled: int = field(default=0, init=False)  # 429s seen
    cuts: int = field(default=0, init=False)
    kept: int = field(default=0, init=False)  # trials that found a real limit
    undone: int = field(default=0, init=False)  # trials that found noise or a burst
    holds: int = field(default=0, init=False)  # budget-wide holds (bursts, Retry-After)
    _seen: Sample = field(default_factory=Sample, init=False)  # since the last trial: the alarm's sample
    _round: Sample = field(default_factory=Sample, init=False)  # since the pace last grew
    _evidence: float = field(default=0.0, init=False)
    _quiet: int = field(default=0, init=False)  # quiet rounds in a row
    _confirm: Sample | None = field(default=None, init=False)
    _trial: Trial | None = field(default=None, init=False)
    _in_a_row: int = field(default=0, init=False)  # 429s since the last success
    _holds_in_a_row: int = field(default=0, init=False)
    _burst: bool = field(default=False, init=False)  # no trial until something succeeds
    _ok_times: deque[float] = field(default_factory=deque, init=False)  # the last minute's successes
    _throttle_times: deque[float] = field(default_factory=deque, init=False)  # and 429s

    def __post_init__(self) -> None:
        if not (math.isfinite(self.ceiling) and self.ceiling > 0):
            raise ValueError(
                f"the ceiling must be a positive number of requests a second, not {self.ceiling}"
            )
        self.rate = self.ceiling
        self.floor = min(self.floor, self.ceiling)
        self._restart()

    def pause(self) -> float:
        """Seconds every request must still wait before going out."""
        return max(0.0, self.paused_until - self.clock())

    def hold(self, seconds: float, now: float | None = None) -> None:
        """Hold every request back at least `seconds` from now (a pause already longer stays)."""
        self.paused_until = max(self.paused_until, (self.clock() if now is None else now) + seconds)

    def accepted_rate(self) -> float | None:
        """Requests per second the API accepted over the last `measure_seconds`; None until there are
        enough to tell."""
        now = self.clock()
        recent = [t for t in self._ok_times if t >= now - self.measure_seconds]
        if len(recent) < 5:
            return None
        # Over the time the samples span (a run that just started has less than measure_seconds of them).
        return len(recent) / max(now - recent[0], self.measure_seconds / 4) / self.share()

    # -- what the answers say --------------------------------------------------------------------------

    def on_success(self, sent_at: float) -> None:
        self._remember(self._ok_times)
        self._in_a_row = self._holds_in_a_row = 0
        if self._burst:
            self._burst = False
            self._restart()
        self._answer(sent_at, throttled=False)

    def on_throttle(self, sent_at: float, retry_after: float | None = None) -> None:
        """A 429 for a request sent at `sent_at`; `retry_after` is the gateway's advice in seconds, if any
        (0 is no advice: never "retry now")."""
        now = self.clock()
        self.throttled += 1
        self._remember(self._throttle_times)
        self._in_a_row += 1
        if retry_after is not None and retry_after > 0:
            self.holds += 1
            self.hold(retry_after, now)
        elif self._in_a_row >= self.hold_after and sent_at >= self.paused_until:
            # Only 429s for requests sent after the last hold count toward the next one.
            self._in_a_row = 0
            self.holds += 1
            ceiling = min(self.backoff_cap, self.backoff_base * 2**self._holds_in_a_row)
            self._holds_in_a_row += 1
            self.hold(ceiling * (0.5 + 0.5 * self.rand()), now)
            trial = self._trial
            if trial is None and (not self._ok_times or self._ok_times[-1] < now - self.measure_seconds):
                self._burst_found()
                return
        self._answer(sent_at, throttled=True)

    def _answer(self, sent_at: float, *, throttled: bool) -> None:
        if self._trial is not None:
            if sent_at >= self._trial.after.started:
                self._judge(self._trial, throttled)
        elif self._confirm is not None:
            if sent_at >= self._confirm.started:
                self._confirming(self._confirm, throttled)
        elif sent_at >= self._seen.started and not self._burst:
            self._seen.add(throttled, self.clock())
            if self._alarm(throttled):
                if self.cuts == 0:
                    # The first 429s of a run (a pace far above a limit, most often): cut at once. A first
                    # cut is never called noise on so small a sample (see _judge).
                    self._cut(self._seen)
                else:
                    self._confirm = Sample(self.clock())
            elif sent_at >= self._round.started:
                self._round.add(throttled, self.clock())
                if self._round_done():
                    self._quiet_round()

    def _alarm(self, throttled: bool) -> bool:
        background = max(self.noise, 0.002)
        alarm = min(0.95, background + max(background, 0.05))
        step = math.log(alarm / background) if throttled else math.log((1 - alarm) / (1 - background))
        self._evidence = max(0.0, self._evidence + step)
        return self._evidence >= _ALARM

    def _confirming(self, sample: Sample, throttled: bool) -> None:
        """The share at this pace, measured afresh after an alarm: cut, or call it a false alarm."""
        sample.add(throttled, self.clock())
        n = sample.answers
        background = max(self.noise, 0.01)
        excess = (sample.share - background) / math.sqrt(background * (1 - background) / n)
        if (n >= 10 and excess >= 4) or (n >= 30 and excess >= 2) or (n >= 100 and excess >= 1.5):
            self._cut(sample)
        elif (n >= 30 and excess <= 0.5) or n >= 100:
            log.debug(
                "event=pace_false_alarm pace=%.3g share_429=%.3f answers=%d", self.rate, sample.share, n
            )
            self._restart()

    # -- quiet rounds ----------------------------------------------------------------------------------

    def _round_done(self) -> bool:
        elapsed = self.clock() - self._round.started
        enough = self._round.answers >= self.round_answers or elapsed >= 5 * self.round_seconds
        return elapsed >= self.round_seconds and enough

    def _quiet_round(self) -> None:
        # Only trials raise the background; the last minute's share lowers it, so it fades when the noise
        # stops. (Raised by quiet rounds, a pace creeping past a limit would learn its 429s are noise.)
        answers = len(self._ok_times) + len(self._throttle_times)
        if answers >= 100:
            lately = len(self._throttle_times) / answers
            if lately < self.noise:
                self.noise += (lately - self.noise) * 0.1
        self._quiet += 1
        if self.limit is not None and self.rate > 1.5 * self.limit:
            self.limit = None  # crept well past it without an alarm: it has moved
        if self._evidence >= 1.0:
            growth = 0.0  # a sign of too many 429s: hold the pace until it clears or sets off an alarm
        elif self.limit is not None and self.rate >= 0.95 * self.limit:
            # Creep past a limit found lately: it may have moved, but each step above it costs 429s.
            growth = self.slow_growth if self.rate < self.limit else self.slow_growth / 2
        else:
            growth = min(1.0, self.quick_growth * 2 ** (self._quiet - 1))
        rate = self.rate * (1 + growth)
        if self.limit is not None and self.rate < 0.95 * self.limit:
            rate = min(rate, 0.95 * self.limit)
        self.rate = min(self.ceiling, rate)
        self._round = Sample(self.clock())

    # -- trials ----------------------------------------------------------------------------------------

    def _cut(self, sample: Sample, trial: Trial | None = None) -> None:
        """Start a trial (or deepen `trial`) after `sample`: cut to just under what got through, by a
        fifth at least (a limit just under the pace is passed) and by half at most (three quarters once a
        trial has measured the share)."""
        target = self.rate * (1 - max(0.0, sample.share - self.noise))
        accepted = self.accepted_rate()
        if accepted is not None:
            target = min(target, accepted)
        before = self.rate
        deepest = 0.5 if trial is None else 0.25
        self.rate = max(self.floor, deepest * before, min(0.8 * before, 0.9 * target))
        self.cuts += 1
        self._confirm = None
        log.debug(
            "event=pace_cut pace=%.3g from=%.3g share_429=%.3f answers=%d background=%.3f",
            self.rate,
            before,
            sample.share,
            sample.answers,
            self.noise,
        )
        now = self.clock()
        if trial is None:
            chosen = sample is self._seen
            self._trial = Trial(before, sample, before, sample, target, Sample(now), chosen=chosen)
        else:
            self._trial = trial.deeper(before, target, now)

    def _judge(self, trial: Trial, throttled: bool) -> None:
        after = trial.after
        after.add(throttled, self.clock())
        if after.ok == 0 and after.throttled >= self.hold_after:
            self._burst_found()
            return
        if after.answers < 5:
            return
        fell = fall(trial.before, after)
        timed_out = after.answers >= 400 or self.clock() - after.started >= 30.0
        big_enough = min(after.answers, trial.before.answers) >= 5
        if big_enough and (fell >= _SURE or (timed_out and fell >= 2)):
            if self._background(after):
                self._limit_found(trial, trial.limit)
            else:
                self._cut(after, trial)  # fell, but not to the background: a limit still below this pace
            return
        measured = after.answers >= 30 and (after.throttled >= 4 or after.answers >= 100)
        rose = fell <= -_ROSE and (after.answers >= 10 or after.throttled >= 5)
        # A quarter of all requests or more is never taken for noise before four cuts: shedding that much
        # whatever the pace is rare, and taking a limit for it would flood the API with 429s.
        still_high = measured and (after.share >= 0.25 or (fell >= 1 and self._excess(after) >= 3))
        remeasure = measured and trial.chosen and trial.before.answers < 100
        if rose or still_high or remeasure:
            # More 429s at the lower pace (the sample that set the trial off was small and chosen), far
            # more than the background still, or a first sample too small to call the share unchanged:
            # cut again, judged against this one.
            if trial.depth < 3:
                self._cut(after, trial)
            else:
                self._noise_found(trial)  # four cuts and the 429s go on: whatever they are, not the pace
        elif measured and after.answers >= 50 and abs(fell) < 1.5:
            if self._as_a_limit_would(trial):
                # The share fell as a limit at what got through before would make it: still above it.
                self._cut(after, trial) if trial.depth < 3 else self._noise_found(trial)
            else:
                self._noise_found(trial)
        elif timed_out:
            self._noise_found(trial)  # undecided for long: whatever the difference is, it is small

    def _as_a_limit_would(self, trial: Trial) -> bool:
        """Is the share since the cut nearer what a limit at the rate the API accepted before the cut
        would give at this pace than the share before it?"""
        accepted = trial.before.accepted_rate()
        if accepted is not None:
            accepted /= self.share()
        if accepted is None or accepted >= 0.9 * self.rate:
            return False  # the cut went under what got through: a limit would have shown as a fall
        if_limit = max(self.noise, 1 - accepted / self.rate)
        share = trial.after.share
        return abs(share - if_limit) < abs(share - trial.before.share)

    def _excess(self, sample: Sample) -> float:
        """By how many standard errors the share in `sample` exceeds the background (at least 1 %)."""
        background = max(self.noise, 0.01)
        return (sample.share - background) / math.sqrt(background * (1 - background) / sample.answers)

    def _background(self, sample: Sample) -> bool:
        """Is the share in `sample` no more than the background?"""
        return self._excess(sample) < 2

    def _limit_found(self, trial: Trial, limit: float) -> None:
        """A real limit, between this pace and the one before it."""
        self.limit = max(limit, self.rate)
        self.kept += 1
        log.debug(
            "event=pace_limit_found pace=%.3g limit=%.3g background=%.3f", self.rate, self.limit, self.noise
        )
        self._restart()

    def _noise_found(self, trial: Trial) -> None:
        """The share did not change between the last two paces: it is the background from now on. Back to
        the pace before the first cut if the share there was the same too. If it was clearly higher, the
        first cut found a limit: the pace stays at the last one above the background. In between (or on
        too small a first sample), it stays there too, but grows back quickly, as after any noise."""
        since = merged(trial.before, trial.after)
        if since.share < 0.9:
            self.noise = min(0.5, max(self.noise, since.share))
        back = trial.origin
        if trial.depth > 0:
            first_fall = fall(trial.first, since) if trial.first.answers >= 10 else 1.0
            if first_fall >= 1.5:
                self.rate = trial.pace_before
                self._limit_found(trial, trial.limit)
                return
            if first_fall >= 1.0:
                back = trial.pace_before
        self.rate = max(self.rate, back)
        self.undone += 1
        log.debug("event=pace_noise_found pace=%.3g background=%.3f", self.rate, self.noise)
        self._restart()

    def _burst_found(self) -> None:
        """Nothing gets through at any pace: a burst, not a pace to learn. Holds ride it out; the pace
        stays where it was before any trial, and until something succeeds no trial starts."""
        if self._trial is not None:
            self.rate = max(self.rate, self._trial.origin)
            self.undone += 1
        self._restart()
        self._burst = True
        log.debug("event=pace_burst pace=%.3g held=%.3gs", self.rate, self.pause())

    def follow(self, pace: float, limit: float | None, noise: float, paused_until: float) -> None:
        """Take the pace another budget of the same key learned; what this one was judging is void."""
        changed = (pace, limit, noise) != (self.rate, self.limit, self.noise)
        self.rate, self.limit, self.noise = min(pace, self.ceiling), limit, noise
        self.paused_until = max(self.paused_until, paused_until)
        if changed:
            self._restart()

    def _restart(self) -> None:
        """Forget the alarm, trial and round under way: what follows is judged afresh."""
        now = self.clock()
        self._trial = self._confirm = None
        self._evidence = 0.0
        self._quiet = 0
        self._seen, self._round = Sample(now), Sample(now)

    def _remember(self, times: deque[float]) -> None:
        now = self.clock()
        times.append(now)
        for kept in (self._ok_times, self._throttle_times):
            while kept and kept[0] < now - 60.0:
                kept.popleft()

"""Samples of answers and the comparison a cut on trial makes: did the share of 429s fall?"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Sample", "Trial", "fall", "merged"]


@dataclass
class Sample:
    """Answers (successes and 429s) to requests sent from `started` on."""

    started: float = float("-inf")
    ok: int = 0
    throttled: int = 0
    last: float = float("-inf")  # when the last answer came

    def add(self, throttled: bool, now: float) -> None:
        if throttled:
            self.throttled += 1
        else:
            self.ok += 1
        self.last = now

    def accepted_rate(self) -> float | None:
        """Successes per second over the time the sample spans (None without a span to measure)."""
        span = self.last - self.started
        return self.ok / span if self.ok >= 3 and span > 0 else None

    @property
    def answers(self) -> int:
        return self.ok + self.throttled

    @property
    def share(self) -> float:
        """The share of 429s (0 when there is no answer yet)."""
        return self.throttled / max(1, self.answers)


def fall(before: Sample, after: Sample) -> float:
    """By how many standard errors the share of 429s fell from `before` to `after` (negative: it rose)."""
    answers = before.answers + after.answers
    if not before.answers or not after.answers:
        return 0.0
    pooled = (before.throttled + after.throttled) / answers
    spread = math.sqrt(max(pooled * (1 - pooled), 1e-9) * (1 / before.answers + 1 / after.answers))
    return (before.share - after.share) / spread


@dataclass
class Trial:
    """A cut on trial: was the pace before it too fast (a limit), or are the 429s noise?

    Under a limit the API accepts about the same whatever the pace, so a lower pace meets a smaller share
    of 429s (none beyond the background once under the limit); under noise the share stays what it was.
    A trial may cut several times (`depth`); `first` is the sample at `origin` that set the first cut off.
    """

    origin: float  # the pace before the first cut
    first: Sample
    pace_before: float  # the pace `before` was measured at
    before: Sample
    limit: float  # the limit, if it is one: what got through at `pace_before`
    after: Sample  # since this cut (`after.started` is when it was made)
    depth: int = 0
    chosen: bool = False  # `before` is the sample that set the alarm off, not one measured afresh

    def deeper(self, pace: float, limit: float, now: float) -> Trial:
        """The next cut of this trial, from `pace`, judged against what this one measured."""
        return Trial(self.origin, self.first, pace, self.after, limit, Sample(now), self.depth + 1)


def merged(*samples: Sample) -> Sample:
    """One sample of all their answers."""
    return Sample(ok=sum(s.ok for s in samples), throttled=sum(s.throttled for s in samples))

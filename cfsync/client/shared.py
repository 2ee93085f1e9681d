"""One pace for every worker on one key: slots reserved from a board all the workers see (PostgreSQL).

The API's limit belongs to the key, so workers (processes, machines) that reach the same host with the
same key spend one budget. The board keeps, per key, the next free slot, the pace, what was learned about
the limit and any hold, and a lease saying which worker learns:

- A worker reserves its next few slots (a quarter second of pace, no more than it has requests waiting)
  with one call, and lets its requests out at those times. A worker that dies held only those.
- One worker at a time (the lease holder, `lease` seconds, renewed by each reservation) learns the pace
  from its answers, a random sample of the key's, with `share` measuring what got through for the key
  (adaptive.py); it publishes what it learns with its next reservation and the others follow it. A worker
  that stops asking loses the lease, and the next one that asks takes it from where the key is.
- A hold (Retry-After, a burst) that any worker sees is the key's: every reservation starts after it.
- The board answers with times relative to its own clock, so workers' clocks never need to agree.
- When the board does not answer (the database is down), the worker paces itself alone at its recent
  part of the key's pace for a few seconds, then asks again: a sync never waits on the board.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import math
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from .adaptive import AdaptiveRate

__all__ = ["Ask", "Board", "Grant", "Learned", "SharedPacer", "key_id"]

log = logging.getLogger("cfsync.rate")


def key_id(base_url: str, key: str) -> str:
    """What the board knows a key by: a hash of the host and the key, never the key itself."""
    text = f"{urlsplit(base_url).netloc}\n{key}".encode()
    return hashlib.blake2b(text, digest_size=16, person=b"cfsync-budget").hexdigest()


@dataclass(frozen=True)
class Learned:
    """What the key's learner found: the pace (req/s), a limit found lately and the background 429s."""

    pace: float
    limit: float | None
    noise: float


@dataclass(frozen=True)
class Ask:
    key: str  # key_id
    worker: str  # this worker's own id (for the lease)
    slots: int  # slots wanted, from the key's next free one
    ceiling: float  # the pace of a key the board has not heard of lately
    lease: float  # seconds the learner's lease lasts from now
    learned: Learned | None  # to publish, if this worker holds the lease (ignored if not)
    hold: float  # hold every worker of the key this many seconds from now (0: no news)
    ok: int  # successes since the last ask
    throttled: int  # 429s since the last ask


@dataclass(frozen=True)
class Grant:
    starts_in: float  # seconds from the board's now to the first slot; the next ones 1/pace apart
    learned: Learned  # the key's, after this ask
    held_for: float  # seconds every request of the key is still held back (<= 0: none)
    learner: bool  # this worker holds the lease now
    ok_total: int  # successes the key's workers reported so far


class Board(Protocol):
    """Where the workers of one key meet (the store implements it on PostgreSQL)."""

    def reserve(self, ask: Ask) -> concurrent.futures.Future[Grant]: ...


class SharedPacer:
    """A Pacer whose slots come from the board. Tell it every answer (`answered`): a follower's answers
    go to the board's counts only, a learner's also to its AdaptiveRate (`learning`)."""

    def __init__(
        self,
        rate: AdaptiveRate,
        board: Board,
        key: str,
        *,
        batch_seconds: float = 0.25,
        lease: float = 2.0,
        patience: float = 2.0,
        offline_seconds: float = 5.0,
    ) -> None:
        self.rate = rate
        self.board = board
        self.key = key
        self.worker = uuid.uuid4().hex
        self.batch_seconds = batch_seconds
        self.lease = lease
        self.patience = patience  # seconds to wait for the board before pacing alone
        self.offline_seconds = offline_seconds  # pacing alone that long before asking again
        self.learner = False
        self._slots: deque[float] = deque()
        self._used: deque[float] = deque()  # when this worker's requests went out, the last second
        self._turn: asyncio.Lock | None = None
        self._ok = self._throttled = 0  # not reported yet
        self._reported = 0  # successes this worker reported so far
        self._seen: deque[tuple[float, int, int]] = deque()  # (when, key's successes, mine) per grant
        self._board_hold = float("-inf")  # the key's hold as the board last said, on this clock
        self._offline_until = float("-inf")
        self._alone_share = 1.0
        self._alone_last = float("-inf")
        rate.share = self.share

    @property
    def learning(self) -> bool:
        """Does this worker's AdaptiveRate learn from its answers (the lease holder, or alone)?"""
        return self.learner or self.offline

    @property
    def offline(self) -> bool:
        return self.rate.clock() < self._offline_until

    def answered(self, throttled: bool) -> None:
        if throttled:
            self._throttled += 1
        else:
            self._ok += 1

    def share(self) -> float:
        """This worker's part of the key's successes over the last `measure_seconds` (1 without enough to
        tell)."""
        if len(self._seen) < 2:
            return 1.0
        _, key_then, mine_then = self._seen[0]
        _, key_now, mine_now = self._seen[-1]
        if key_now - key_then < 5:
            return 1.0
        return min(1.0, max(0.02, (mine_now - mine_then) / (key_now - key_then)))

    async def acquire(self, sleep: Callable[[float], Awaitable[None]], waiting: int = 1) -> None:
        if self._turn is None:
            self._turn = asyncio.Lock()  # FIFO, as Pacer
        async with self._turn:
            while True:
                now = self.rate.clock()
                interval = 1 / self.rate.rate
                while self._slots and self._slots[0] < now - max(1.0, interval):
                    # Long missed (a hold, an idle worker): sent now, the batch would go out at once. A slot
                    # missed by less (a busy event loop, a slow reservation) is used: dropped, it is lost.
                    self._slots.popleft()
                if not self._slots and not self.offline:
                    await self._reserve(waiting)
                    continue
                if self._slots:
                    due = max(self._slots[0], self.rate.paused_until)
                else:
                    due = max(self._alone_last + interval / self._alone_share, self.rate.paused_until)
                if due <= now:
                    self._used.append(now)
                    while self._used[0] < now - 1.0:
                        self._used.popleft()
                    if self._slots:
                        self._slots.popleft()
                    else:
                        self._alone_last = now
                    return
                await sleep(min(due - now, 1.0))

    async def _reserve(self, waiting: int) -> None:
        rate = self.rate
        now = rate.clock()
        hold = rate.paused_until - now if rate.paused_until > self._board_hold + 0.01 else 0.0
        # As many slots as requests wait, or as this worker sent lately, up to a batch: unused, they are lost.
        demand = max(waiting, math.ceil(len(self._used) * self.batch_seconds))
        ask = Ask(
            key=self.key,
            worker=self.worker,
            slots=max(1, min(demand, math.ceil(rate.rate * self.batch_seconds))),
            ceiling=rate.ceiling,
            lease=self.lease,
            learned=Learned(rate.rate, rate.limit, rate.noise) if self.learner else None,
            hold=max(0.0, hold),
            ok=self._ok,
            throttled=self._throttled,
        )
        try:
            grant = await asyncio.wait_for(asyncio.wrap_future(self.board.reserve(ask)), self.patience)
        except Exception as exc:  # whatever the board's trouble, the sync goes on without it
            self._alone(exc)
            return
        mid = (now + rate.clock()) / 2  # when the board read its clock, on ours (within half a round trip)
        self._ok = self._throttled = 0
        self._reported += ask.ok
        self._seen.append((mid, grant.ok_total, self._reported))
        while len(self._seen) > 2 and self._seen[1][0] <= mid - rate.measure_seconds:
            self._seen.popleft()
        self._board_hold = mid + grant.held_for
        learned = grant.learned
        if not (grant.learner and self.learner):
            # A follower, or the learner from now on: take the key's state (a new learner goes on from it).
            rate.follow(learned.pace, learned.limit, learned.noise, self._board_hold)
        else:
            rate.paused_until = max(rate.paused_until, self._board_hold)
        if grant.learner != self.learner:
            log.debug("event=pace_learner learner=%s pace=%.3g", grant.learner, learned.pace)
        self.learner = grant.learner
        first = mid + grant.starts_in
        self._slots.extend(first + i / learned.pace for i in range(ask.slots))

    def _alone(self, exc: BaseException) -> None:
        if not self.offline:
            log.warning(
                "event=budget_board_unavailable error=%s pacing_alone=%gs",
                type(exc).__name__,
                self.offline_seconds,
            )
        self._alone_share = self.share()
        self._offline_until = self.rate.clock() + self.offline_seconds

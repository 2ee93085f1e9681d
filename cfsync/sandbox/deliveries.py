"""Outgoing webhooks: every change is POSTed, signed, to the endpoints of its workspace that want it.

What ClickFunnels does, at sandbox scale: an endpoint created through the API (the only kind whose secret
exists) gets each event whose type its `event_type_ids` list (empty: every type) as JSON with
`X-Webhook-ClickFunnels-Signature` (hex HMAC-SHA256 of `"{timestamp}.{body}"` keyed with its
`webhook_secret`) and `X-Webhook-ClickFunnels-Timestamp`. A non-2xx answer or a connection error is retried
after 1 s, 15 s, 1 m, 5 m, 15 m, 1 h, 12 h and 24 h, times `retry_scale` (tests shrink it), then given up.

Deliveries go out from a task of the running sandbox server. By default only to loopback URLs (`mode`
"loopback"; "any" reaches anywhere, "off" sends nothing), so a sandbox never posts to the example hosts its
generated endpoints name. Test switches: `shuffle_seconds` holds each first attempt a random time up to
that long (out of order), `duplicates` is the share of deliveries sent a second time (redelivery).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import hmac
import ipaddress
import itertools
import json
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from cfsync.sandbox.ids import stable_int
from cfsync.sandbox.state import State

__all__ = ["RETRY_SCHEDULE", "Attempt", "Deliveries"]

RETRY_SCHEDULE = (1.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 43200.0, 86400.0)
_ENDPOINTS = "webhooks_outgoing_endpoints"


@dataclass(frozen=True)
class Attempt:
    """One POST as the sandbox sent it."""

    endpoint_id: int
    event_id: str
    event_type: str
    attempt: int  # 1 for the first try
    status: int | None  # None: no answer (connection error, timeout)
    error: str | None
    duplicate: bool
    at: float


@dataclass
class _Job:
    endpoint_id: int
    url: str
    secret: str
    body: bytes
    event_id: str
    event_type: str
    attempt: int = 0
    duplicate: bool = False


class Deliveries:
    def __init__(
        self,
        state: State,
        secrets: dict[int, str],
        *,
        seed: int = 1,
        mode: str = "loopback",
        retry_scale: float = 1.0,
        shuffle_seconds: float = 0.0,
        duplicates: float = 0.0,
    ) -> None:
        self.state = state
        self.secrets = secrets  # endpoint id -> webhook_secret, as the create answered it
        self.mode = mode
        self.retry_scale = retry_scale
        self.shuffle_seconds = shuffle_seconds
        self.duplicates = duplicates
        self.concurrency = 16
        self.timeout = 10.0
        self.attempts: deque[Attempt] = deque(maxlen=200_000)
        self.delivered = 0
        self.failed = 0
        self.skipped = 0  # events not sent: the endpoint's URL is outside `mode`
        self._rng = random.Random(stable_int(seed, "webhook-deliveries"))
        self._lock = threading.Lock()
        self._queue: list[tuple[float, int, _Job]] = []  # (due, order, job), a heap
        self._order = itertools.count()
        self._in_flight = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    # -- what changes are sent --------------------------------------------------------------------------

    def event(self, workspace_id: int, event: dict[str, Any]) -> None:
        """Queue an event of the outgoing log for every endpoint that wants it (called under the state
        lock, from any thread)."""
        if self.mode == "off" or not self.secrets:
            return
        event_type = str(event.get("event_type_id"))
        body = json.dumps(
            {
                "event_id": event.get("uuid"),
                "event_type": event_type,
                "subject_id": event.get("subject_id"),
                "subject_type": event.get("subject_type"),
                "data": event.get("data"),
                "created_at": event.get("created_at"),
                "api_version": event.get("api_version") or 2,
                "workspace_id": workspace_id,
            },
            separators=(",", ":"),
        ).encode()
        for endpoint_id, secret in list(self.secrets.items()):
            endpoint = self.state.base(_ENDPOINTS, endpoint_id)
            if endpoint is None or self.state.workspace_of(_ENDPOINTS, endpoint_id) != workspace_id:
                continue
            wanted = endpoint.get("event_type_ids") or []
            if wanted and event_type not in wanted:
                continue
            url = str(endpoint.get("url") or "")
            if not self._reachable(url):
                self.skipped += 1
                continue
            job = _Job(endpoint_id, url, secret, body, str(event.get("uuid")), event_type)
            self._push(job, self._hold())

    def _reachable(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        if self.mode == "any":
            return True
        if parts.hostname == "localhost":
            return True
        try:
            return ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            return False

    def _hold(self) -> float:
        return self._rng.uniform(0, self.shuffle_seconds) if self.shuffle_seconds > 0 else 0.0

    def _push(self, job: _Job, delay: float) -> None:
        with self._lock:
            heapq.heappush(self._queue, (time.monotonic() + delay, next(self._order), job))
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    # -- progress ---------------------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Deliveries queued (waiting for their time or a retry) or being sent."""
        with self._lock:
            return len(self._queue) + self._in_flight

    def idle(self) -> bool:
        return self.pending == 0

    async def drained(self, within: float = 30.0) -> bool:
        """Wait until nothing is queued or in flight (retries included). False on timeout."""
        deadline = time.monotonic() + within
        while not self.idle():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def summary(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "pending": self.pending,
            "delivered": self.delivered,
            "failed": self.failed,
            "skipped": self.skipped,
            "retry_scale": self.retry_scale,
            "shuffle_seconds": self.shuffle_seconds,
            "duplicates": self.duplicates,
        }

    # -- sending ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start sending from the running loop (the sandbox server's)."""
        if self._task is not None and not self._task.done():
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = self._loop.create_task(self._run(), name="cfsync-sandbox-webhooks")

    async def stop(self) -> None:
        """Stop sending; what was queued or in flight stays queued for a later start."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loop = self._wake = None

    async def _run(self) -> None:
        assert self._wake is not None
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        sending: set[asyncio.Task[None]] = set()
        gate = asyncio.Semaphore(self.concurrency)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            try:
                while True:
                    self._wake.clear()
                    due, wait = self._take_due()
                    for job in due:
                        task = asyncio.create_task(self._send(session, gate, job))
                        sending.add(task)
                        task.add_done_callback(sending.discard)
                    if due:
                        continue
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), wait)
            finally:
                for task in list(sending):
                    task.cancel()
                await asyncio.gather(*sending, return_exceptions=True)

    def _take_due(self) -> tuple[list[_Job], float | None]:
        now = time.monotonic()
        due: list[_Job] = []
        with self._lock:
            while self._queue and self._queue[0][0] <= now:
                due.append(heapq.heappop(self._queue)[2])
            self._in_flight += len(due)
            wait = self._queue[0][0] - now if self._queue else None
        return due, wait

    async def _send(self, session: aiohttp.ClientSession, gate: asyncio.Semaphore, job: _Job) -> None:
        status: int | None = None
        error: str | None = None
        try:
            async with gate:
                timestamp = str(int(time.time()))
                signed = f"{timestamp}.".encode() + job.body
                signature = hmac.new(job.secret.encode(), signed, hashlib.sha256).hexdigest()
                headers = {
                    "Content-Type": "application/json",
                    "User-Agent": "ClickFunnels-Webhooks (cfsync sandbox)",
                    "X-Webhook-ClickFunnels-Signature": signature,
                    "X-Webhook-ClickFunnels-Timestamp": timestamp,
                }
                try:
                    async with session.post(job.url, data=job.body, headers=headers) as response:
                        status = response.status
                        await response.read()
                except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                    error = type(exc).__name__
        except asyncio.CancelledError:
            with self._lock:
                self._in_flight -= 1
                heapq.heappush(self._queue, (time.monotonic(), next(self._order), job))
            raise
        self._done(job, status, error)

    def _done(self, job: _Job, status: int | None, error: str | None) -> None:
        job.attempt += 1
        ok = status is not None and 200 <= status < 300
        self.attempts.append(
            Attempt(job.endpoint_id, job.event_id, job.event_type, job.attempt, status, error, job.duplicate,
                    time.time())
        )  # fmt: skip
        again: tuple[_Job, float] | None = None
        if ok:
            self.delivered += 1
            if not job.duplicate and self.duplicates > 0 and self._rng.random() < self.duplicates:
                copy = _Job(job.endpoint_id, job.url, job.secret, job.body, job.event_id, job.event_type)
                copy.duplicate = True
                again = (copy, self._hold())
        elif job.attempt <= len(RETRY_SCHEDULE):
            again = (job, RETRY_SCHEDULE[job.attempt - 1] * self.retry_scale)
        else:
            self.failed += 1
        if again is not None:
            self._push(*again)
        with self._lock:
            self._in_flight -= 1

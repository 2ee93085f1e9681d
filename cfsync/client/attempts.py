"""One API call's attempts: its turn in the budget, the answer, retries with backoff, giving up.

Kept apart from the HTTP session so that the pacing and retry logic runs on a fake clock in unit tests:
`send` is any coroutine that makes one attempt.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from ..errors import ApiUnavailableError, RetriableApiError
from ..logfmt import logfmt
from ..tally import Tally
from .budget import Budget
from .retry import (
    Outcome,
    backoff_delay,
    classify,
    describe_failure,
    failure_delay,
    fatal_error,
    parse_retry_after,
)
from .waiting import CONNECT_TIMEOUT, connect_failure, unknown_host

__all__ = ["Answer", "RequestStats", "Send", "send_with_retries"]

# `cfsync -v` shows retries and 429s; `-vv` every request too. Neither ever shows a header or a body.
retry_log = logging.getLogger("cfsync.retry")
request_log = logging.getLogger("cfsync.http")


@dataclass(frozen=True)
class Answer:
    """One attempt's HTTP answer: status, headers, raw body and reason phrase."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    reason: str | None = None


Send = Callable[[], Awaitable[Answer]]


@dataclass
class RequestStats(Tally):
    requests: int = 0  # HTTP attempts sent, retries included
    retries: int = 0
    rate_limited: int = 0  # 429 answers


async def send_with_retries(
    budget: Budget,
    send: Send,
    *,
    method: str,
    path: str,
    max_retries: int,
    timeout_seconds: float | None = None,
    repeatable: bool = True,
    stats: RequestStats | None = None,
    sleep: Callable[[float], Awaitable[None]],
    rand: Callable[[], float] = random.random,
    where: str = "",
    setting: str = "base_url",
) -> Answer:
    """The first 2xx answer. 429s are told to the budget (which learns its pace from them) and retried
    on their own jittered backoff, up to four times as often as other failures; 5xx, timeouts and
    connection failures are retried `max_retries` times on `failure_delay`.

    `repeatable=False` is for writes that would happen twice if resent (a create: the API has no
    idempotency keys). Those are retried only when the API cannot have acted: a 429, or a connection
    that never opened. Anything else (a timeout, a reset, a 5xx) ends the call at once.

    Raises FatalApiError subclasses for refusals, RetriableApiError once the retries are spent, and
    ApiUnavailableError when nothing in the whole budget succeeded meanwhile (then every other request
    of the budget raises it too).

    Until something has succeeded on the budget's host (`where`, "host:port"), failing to connect is said
    in log lines (waiting.py), and a name the DNS does not know raises UnknownHostError (naming `setting`)
    at once.
    """
    stats = stats if stats is not None else RequestStats()
    attempts = max_retries + 1
    throttle_attempts = 4 * attempts
    call = budget.call()
    failures = throttles = 0
    first_failure: float | None = None
    delay = 0.0
    reason = ""
    unreachable: BaseException | None = None  # this attempt's failure to connect, before any success
    while True:
        if delay and unreachable is not None:
            await budget.waiting.sleep(delay, budget.now, sleep, where, reason)
        elif delay:
            await sleep(delay)
        async with budget.in_flight:
            await budget.acquire(sleep)
            ticket = budget.sent()
            stats.requests += 1
            started = time.monotonic()
            try:
                answer = await send()
            except Exception as exc:
                if classify(exc=exc) is Outcome.FATAL:
                    raise
                reason = describe_failure(exc, timeout_seconds)
                unreachable = exc if connect_failure(exc) and budget.last_success is None else None
                unknown = unknown_host(exc, where, setting) if unreachable is not None else None
                if unknown is not None:
                    raise unknown from None
                if not repeatable and not connect_failure(exc):  # a connection never opened: not sent
                    raise _maybe_done(reason, method, path) from None
                answer = Answer(0, {}, b"")
            finally:
                sent_at = budget.answered(ticket)
        status = answer.status
        if request_log.isEnabledFor(logging.DEBUG):
            request_log.debug(
                logfmt(
                    event="request",
                    method=method,
                    path=path,
                    status=status or reason,
                    ms=round(1000 * (time.monotonic() - started)),
                )
            )
        outcome = classify(status) if status else Outcome.RETRY
        if status:
            unreachable = None
            budget.waiting.reached(budget.now(), where)
        if outcome is Outcome.OK:
            budget.on_success(sent_at)
            return answer
        if outcome is Outcome.FATAL:
            budget.on_success(sent_at)  # the API is up and answering: a refusal is not an outage
            raise fatal_error(status, _error_text(answer), method=method, url=path)
        budget.on_failure(call)
        if first_failure is None:
            first_failure = budget.now()
        if status == 429:
            stats.rate_limited += 1
            throttles += 1
            budget.on_throttle(sent_at, parse_retry_after(answer.headers.get("Retry-After")))
            reason = "HTTP 429"
            if throttles >= throttle_attempts:
                break
            delay = backoff_delay(throttles - 1, rand=rand)
        else:
            if status and not repeatable:
                raise _maybe_done(f"HTTP {status}", method, path)
            if status:
                # 5xx bodies are often HTML from a proxy: retry on the status alone, never parse them.
                reason = f"HTTP {status}"
                if status == 503:
                    budget.advise(parse_retry_after(answer.headers.get("Retry-After")))
            failures += 1
            if failures >= attempts:
                break
            delay = failure_delay(failures - 1, rand=rand)
            if unreachable is not None:
                left = delay + _schedule_left(failures, attempts, unreachable, timeout_seconds)
                budget.waiting.failed(budget.now(), where, reason, budget.now() + left)
        stats.retries += 1
        retry_log.debug(
            logfmt(
                event="rate_limited" if status == 429 else "retry",
                method=method,
                path=path,
                reason=reason,
                attempt=failures + throttles,
                wait=f"{delay:.1f}s",
            )
        )
    tries = failures + throttles
    outage = budget.outage_since(first_failure or budget.now(), max(3, attempts))
    if outage is not None:
        text = f"{reason}: nothing has succeeded for {outage:.0f} s (gave up after {tries} attempts)"
        error = ApiUnavailableError(text, cause=reason)
        budget.fail(error)
        raise error
    raise RetriableApiError(
        f"gave up after {tries} attempts, last: {reason}", method=method, url=path, cause=reason
    )


def _schedule_left(failures: int, attempts: int, exc: BaseException, timeout: float | None) -> float:
    """At most how long the attempts left after `failures` take: the waits between them at their longest,
    and each attempt's connect timeout when connecting timed out."""
    waits = sum(failure_delay(n, rand=lambda: 1.0) for n in range(failures, attempts - 1))
    connect = min(CONNECT_TIMEOUT, timeout or CONNECT_TIMEOUT) if isinstance(exc, TimeoutError) else 0.0
    return waits + (attempts - failures) * connect


def _maybe_done(reason: str, method: str, path: str) -> RetriableApiError:
    return RetriableApiError(
        f"{reason}; not retried, because the API may have done it: check before repeating",
        method=method,
        url=path,
    )


def _error_text(answer: Answer) -> str:
    """The API's own `error` (or 422 `errors`) text, else the HTTP reason phrase."""
    try:
        data = json.loads(answer.body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        if isinstance(data.get("error"), str):
            return str(data["error"])[:300]
        if data.get("errors") is not None:
            return json.dumps(data["errors"], separators=(",", ":"))[:300]
    return answer.reason or "no reason given"

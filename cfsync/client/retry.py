"""What to do with an answer or a failure: the one place that classifies HTTP statuses and exceptions."""

from __future__ import annotations

import asyncio
import errno
import math
import random
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from enum import Enum

import aiohttp

from ..errors import (
    ApiError,
    AuthError,
    BadRequestError,
    ConflictError,
    FatalApiError,
    ForbiddenError,
    NotFoundError,
    ValidationError,
)

__all__ = [
    "RETRY_STATUSES",
    "Outcome",
    "backoff_delay",
    "classify",
    "describe_failure",
    "failure_delay",
    "fatal_error",
    "parse_retry_after",
]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

_FATAL: dict[int, type[FatalApiError]] = {
    400: BadRequestError,
    401: AuthError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
}


class Outcome(Enum):
    OK = "ok"
    RETRY = "retry"
    FATAL = "fatal"


def classify(status: int | None = None, exc: BaseException | None = None) -> Outcome:
    """An HTTP status, or the exception raised instead of one, to OK / RETRY / FATAL."""
    if exc is not None:
        # Timeouts, resets, refused connections, truncated bodies: the network, not the request.
        if isinstance(exc, asyncio.TimeoutError | aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
            return Outcome.RETRY
        return Outcome.FATAL
    if status is None:
        raise ValueError("classify needs a status or an exception")
    if 200 <= status < 300:
        return Outcome.OK
    if status in RETRY_STATUSES:
        return Outcome.RETRY
    return Outcome.FATAL


def fatal_error(status: int, message: str, *, method: str, url: str) -> ApiError:
    cls = _FATAL.get(status, FatalApiError)
    return cls(message, status=status, method=method, url=url)


def backoff_delay(
    attempt: int, *, base: float = 0.5, cap: float = 30.0, rand: Callable[[], float] = random.random
) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt)] (attempt from 0).

    Full jitter spreads the retries of many concurrent partitions instead of sending them back together.
    """
    return rand() * min(cap, base * 2**attempt)


def failure_delay(
    attempt: int, *, base: float = 1.0, cap: float = 30.0, rand: Callable[[], float] = random.random
) -> float:
    """The wait before retrying a 5xx, a timeout or a connection failure: exponential (1, 2, 4 ... 30 s)
    with equal jitter, uniform in [half, all] of that.

    Unlike a 429's full jitter, half of it is fixed, so a request's retries span a known time: with the
    default 8 retries at least a minute (about 90 s on average), long enough to ride out a proxy answering
    502 for a minute, and the retries of many requests still spread out instead of coming back together.
    """
    ceiling = min(cap, base * 2**attempt)
    return ceiling * (0.5 + 0.5 * rand())


def describe_failure(exc: BaseException, timeout_seconds: float | None = None) -> str:
    """A short cause for a failed attempt: "timed out after 60 s", "connection refused by host:port"."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        where = f"{exc.host}:{exc.port}"
        os_error = exc.os_error
        if isinstance(os_error, ConnectionRefusedError) or os_error.errno == errno.ECONNREFUSED:
            return f"connection refused by {where}"
        if isinstance(os_error, asyncio.TimeoutError):
            return f"no connection to {where} within the timeout"
        reason = os_error.strerror or str(os_error) or type(os_error).__name__
        return f"cannot connect to {where}: {reason}"
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return "no connection within the connect timeout"
    if isinstance(exc, asyncio.TimeoutError):
        after = f" after {timeout_seconds:g} s" if timeout_seconds else ""
        return f"no answer{after} (timeout_seconds)"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection without an answer"
    if isinstance(exc, ConnectionResetError | aiohttp.ClientConnectionResetError):
        return "the connection was reset"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "the answer was cut off"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - now())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None

"""What to do with an answer or a failure: the one place that classifies HTTP statuses and exceptions."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
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

__all__ = ["RETRY_STATUSES", "Outcome", "backoff_delay", "classify", "fatal_error"]

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

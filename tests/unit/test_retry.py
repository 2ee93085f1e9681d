import aiohttp
import pytest

from cfsync.client.retry import (
    Outcome,
    backoff_delay,
    classify,
    describe_failure,
    failure_delay,
    fatal_error,
    parse_retry_after,
)
from cfsync.errors import (
    AuthError,
    BadRequestError,
    ConflictError,
    FatalApiError,
    ForbiddenError,
    NotFoundError,
    ValidationError,
)


@pytest.mark.parametrize("status", [200, 201, 204])
def test_success(status):
    assert classify(status) is Outcome.OK


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retried_statuses(status):
    assert classify(status) is Outcome.RETRY


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501])
def test_fatal_statuses(status):
    assert classify(status) is Outcome.FATAL


@pytest.mark.parametrize(
    "exc",
    [TimeoutError(), aiohttp.ServerDisconnectedError(), aiohttp.ClientPayloadError("cut")],
)
def test_network_failures_are_retried(exc):
    assert classify(exc=exc) is Outcome.RETRY


def test_other_exceptions_are_fatal():
    assert classify(exc=ValueError("bug")) is Outcome.FATAL


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, ValidationError),
        (418, FatalApiError),
    ],
)
def test_fatal_error_types(status, cls):
    err = fatal_error(status, "Not found: Record missing", method="GET", url="/contacts/1")
    assert type(err) is cls
    assert err.status == status
    assert str(err) == f"HTTP {status}: Not found: Record missing (GET /contacts/1)"


def test_backoff_grows_exponentially_up_to_the_cap():
    top = [backoff_delay(a, base=0.5, cap=30, rand=lambda: 1.0) for a in range(8)]
    assert top == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_backoff_is_full_jitter():
    assert backoff_delay(3, rand=lambda: 0.0) == 0.0
    assert backoff_delay(3, base=0.5, rand=lambda: 0.25) == 1.0


def test_failure_delay_doubles_to_a_cap_with_equal_jitter():
    top = [failure_delay(a, rand=lambda: 1.0) for a in range(8)]
    assert top == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    low = [failure_delay(a, rand=lambda: 0.0) for a in range(8)]
    assert low == [t / 2 for t in top], "half of each wait is fixed"
    assert sum(low) >= 60, "the default 8 retries outlast a minute of 502s"


@pytest.mark.parametrize(
    ("exc", "cause"),
    [
        (TimeoutError(), "no answer after 60 s (timeout_seconds)"),
        (aiohttp.ServerDisconnectedError(), "the server closed the connection without an answer"),
        (aiohttp.ClientPayloadError("cut"), "the answer was cut off"),
        (ConnectionResetError(), "the connection was reset"),
    ],
)
def test_describe_failure(exc, cause):
    assert describe_failure(exc, 60) == cause


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
        ("inf", None),
        ("nan", None),
    ],
)
def test_parse_retry_after(header, seconds):
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after(header, now=lambda: now) == seconds

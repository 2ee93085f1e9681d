"""Every error cfsync raises on purpose, named for what the caller does next.

The CLI turns a CfsyncError into one line and `exit_code`; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import signal

__all__ = [
    "ApiError",
    "ApiProtocolError",
    "ApiUnavailableError",
    "AuthError",
    "BadRequestError",
    "CfsyncError",
    "ConfigError",
    "ConflictError",
    "DatabaseCorruptError",
    "DatabaseError",
    "DatabaseFullError",
    "DatabaseReadOnlyError",
    "DatabaseUnavailableError",
    "FatalApiError",
    "FieldError",
    "ForbiddenError",
    "Interrupted",
    "LockedError",
    "NotFoundError",
    "PaginationError",
    "RecordError",
    "RetriableApiError",
    "StoreError",
    "UnknownHostError",
    "ValidationError",
]


class CfsyncError(Exception):
    """Root of every expected failure. `exit_code` is what the CLI exits with; `option` names the setting
    that would fix it ("workspace", "account", ...), which the CLI shows as its flag."""

    exit_code = 1

    def __init__(self, *args: object, option: str | None = None) -> None:
        super().__init__(*args)
        self.option = option


class ConfigError(CfsyncError):
    """Bad or missing configuration: a file, a key, a flag or an environment variable."""

    exit_code = 2


class FieldError(ConfigError):
    """A body field the operation does not take, or a value of the wrong type: refused before sending."""


class StoreError(CfsyncError):
    """The database cannot be opened, migrated or written."""


class DatabaseError(StoreError):
    """The database failed: the same on every retry until someone acts (exit code 5). The message names
    the database (password hidden) and what to do."""

    exit_code = 5


class DatabaseUnavailableError(DatabaseError):
    """The server refused or dropped the connection, is starting or stopping, or the database stayed
    locked past the timeout. Worth retrying later; a sync that meets it mid-run retries it for up to
    `[database].retry_seconds` first."""


class DatabaseCorruptError(DatabaseError):
    """The file is not a database, or its pages are damaged."""


class DatabaseReadOnlyError(DatabaseError):
    """The database (or its file, its directory, the server) takes no writes."""


class DatabaseFullError(DatabaseError):
    """The disk (or the server's) is full."""


class Interrupted(CfsyncError):
    """Stopped by a signal (SIGINT, SIGTERM, SIGHUP): exit code 128 + the signal's number."""

    def __init__(self, signal_name: str, detail: str = "") -> None:
        super().__init__(f"interrupted by {signal_name}" + (f": {detail}" if detail else ""))
        self.signal_name = signal_name
        try:
            self.exit_code = 128 + signal.Signals[signal_name].value
        except KeyError:
            self.exit_code = 130


class LockedError(StoreError):
    """Another sync holds the database (SQLite takes one writer)."""

    exit_code = 4


class RecordError(CfsyncError):
    """A record from the API does not fit its table (no id, a value of the wrong type)."""


class ApiError(CfsyncError):
    """An answer from the API that is not what was asked for.

    `message` is the API's own `error` text when it gave one; the request's URL is kept without its
    query-string secrets (there are none: keys travel in headers only).
    """

    def __init__(
        self, message: str, *, status: int | None = None, method: str = "", url: str = "", cause: str = ""
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.url = url
        # What went wrong, short and the same for every request it struck ("HTTP 502", "connection
        # refused by host:port"): failures are grouped by it.
        self.cause = cause or message
        where = f" ({method} {url})" if method else ""
        code = f"HTTP {status}: " if status else ""
        super().__init__(f"{code}{message}{where}")


class RetriableApiError(ApiError):
    """429, 5xx, timeouts and connection failures: worth another try after a pause.

    Raised to the caller only once the retries are spent.
    """


class ApiUnavailableError(RetriableApiError):
    """The API answered nothing but failures (the same 5xx, timeouts, refused connections) for a whole
    retry schedule: every request of the account ends with this one cause instead of retrying on its own."""


class ApiProtocolError(ApiError):
    """A 2xx answer whose body or headers do not make sense (not JSON, not a list...)."""


class PaginationError(ApiProtocolError):
    """The API handed back a cursor it had already given: following it would loop forever."""


class FatalApiError(ApiError):
    """A refusal that another try will not change."""


class BadRequestError(FatalApiError):
    """400: malformed request or unknown filter key."""


class AuthError(FatalApiError):
    """401: the key is missing or invalid."""

    exit_code = 3


class ForbiddenError(FatalApiError):
    """403: not in this account's plan, or blocked in front of the API."""


class UnknownHostError(FatalApiError):
    """The DNS says the API's host does not exist (a typo in the URL, most likely): nothing to wait for."""

    exit_code = 2


class NotFoundError(FatalApiError):
    """404: the record or its parent is gone."""


class ConflictError(FatalApiError):
    """409: the record is already in the asked-for state."""


class ValidationError(FatalApiError):
    """422: the API refused the values."""

"""Opening a database: URL normalisation and per-dialect connection settings."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import NullPool

from ..errors import ConfigError
from . import failures
from .types import json_text

__all__ = ["create_engine", "redacted", "sqlite_migration_engine"]


def create_engine(url: str) -> Engine:
    """An Engine for a SQLAlchemy URL. `postgresql://` means psycopg 3; SQLite runs in WAL mode so analysts
    can read while a sync writes."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        # Not echoed: an unreadable URL may still hold a password.
        raise ConfigError(
            "config: database.url is not a database URL (sqlite:///FILE or postgresql://USER@HOST/DB)"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"config: database.url {redacted(url)}: {backend} is not supported (use sqlite:///FILE or "
            "postgresql://...)"
        )
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise ConfigError(
            f"config: database.url {url!r} is an in-memory SQLite database, gone when cfsync exits: give a "
            "file, e.g. sqlite:///cfsync.db"
        )
    try:
        engine = sa.create_engine(parsed, pool_pre_ping=backend != "sqlite", json_serializer=json_text)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise ConfigError(f"config: cannot use database {redacted(url)}: {exc}") from None
    if backend == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    failures.install(engine, f"database {redacted(url)}")
    return engine


def sqlite_migration_engine(url: URL) -> Engine:
    """An engine on the SQLite file at `url` whose transactions hold DDL too: for migrating, one connection
    at a time (closed when its transaction ends).

    Python's sqlite3 driver, in its default (legacy) transaction control, BEGINs only before INSERT,
    UPDATE, DELETE and REPLACE, so each CREATE, ALTER or DROP ahead of those commits on its own, and a kill
    in the middle of a migration leaves some of its tables. Here the driver's transaction handling is off
    (isolation_level None) and SQLAlchemy's begin sends BEGIN IMMEDIATE itself (the recipe of SQLAlchemy's
    "Transactions with SQLite and the sqlite3 driver"); COMMIT and ROLLBACK stay the driver's. IMMEDIATE
    takes the write lock before the first read, so a second process migrating the same file waits
    (busy_timeout) for the first to commit and then finds the work done, where a deferred BEGIN would read
    the old revision and then fail to upgrade its read lock. The connection pragmas (WAL, busy_timeout) are
    the normal engine's, run before any transaction as `journal_mode` must be."""
    engine = sa.create_engine(url, poolclass=NullPool, json_serializer=json_text)
    sa.event.listen(engine, "connect", _no_driver_transactions)
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    sa.event.listen(engine, "begin", _begin_immediate)
    failures.install(engine, f"database {url.render_as_string(hide_password=True)}")
    return engine


def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer; NORMAL sync is durable across process crashes in WAL mode.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def redacted(url: str) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<invalid url>"

"""Opening a database: URL normalisation and per-dialect connection settings."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from ..errors import ConfigError
from . import failures
from .types import json_text

__all__ = ["create_engine", "redacted"]


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

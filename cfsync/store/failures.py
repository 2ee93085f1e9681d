"""What a database failure means: the one place that turns a driver's exception into a cfsync error.

Installed on every engine (`handle_error`), so whatever touches the database (a sync, a migration,
`status`, the webhook receiver) raises the same errors: unavailable (refused, restarting, locked past the
timeout), corrupt, read-only, full, or misconfigured (a ConfigError: the database does not exist, the
password is wrong). Each message names the database, password hidden, and what to do.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..errors import (
    CfsyncError,
    ConfigError,
    DatabaseCorruptError,
    DatabaseError,
    DatabaseFullError,
    DatabaseReadOnlyError,
    DatabaseUnavailableError,
)

__all__ = ["install", "translate"]

# SQLSTATE classes and codes (PostgreSQL) by what they mean for cfsync.
_PG_UNAVAILABLE = ("08", "57P01", "57P02", "57P03", "53300", "58P01")
_PG_CONFIG = {"3D000": "does not exist", "28P01": "refused the password", "28000": "refused the login"}
_PG_CORRUPT = ("XX001", "XX002")


def install(engine: Engine, where: str) -> None:
    """Translate every driver error this engine meets (but not those a pre-ping handles itself); `where`
    names the database in messages ("database sqlite:///cfsync.db")."""

    def handle_error(context: Any) -> None:
        if getattr(context, "is_pre_ping", False):
            return
        error = translate(context.original_exception, where, disconnect=context.is_disconnect)
        if error is not None:
            raise error

    sa.event.listen(engine, "handle_error", handle_error)


def translate(exc: BaseException, where: str, *, disconnect: bool = False) -> CfsyncError | None:
    """The cfsync error for a driver's exception, or None when it is not the database's fault (a bug)."""
    detail = _first_line(exc)
    if isinstance(exc, sqlite3.Error):
        return _sqlite(exc, where, detail)
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate is not None or type(exc).__module__.startswith("psycopg"):
        return _postgres(sqlstate, where, detail, disconnect)
    return None


def _sqlite(exc: sqlite3.Error, where: str, detail: str) -> CfsyncError | None:
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return DatabaseCorruptError(
            f"{where} is corrupt ({detail}): run `cfsync db rebuild` to move it aside and sync a fresh one, "
            "or restore it from a backup"
        )
    if name.startswith(("SQLITE_READONLY", "SQLITE_PERM")):
        return DatabaseReadOnlyError(
            f"{where} is read-only ({detail}): cfsync writes the file and, beside it, its -wal, -shm and "
            ".lock files; let it write the file and its directory"
        )
    if name == "SQLITE_FULL" or "database or disk is full" in detail:
        return DatabaseFullError(
            f"the disk of {where} is full ({detail}): free space, then run again; what was synced is kept"
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return DatabaseUnavailableError(
            f"{where} stayed locked by another process ({detail}): a reader holding it for long, or another "
            "writer; try again"
        )
    if name.startswith("SQLITE_CANTOPEN"):
        return DatabaseError(
            f"cannot open {where} ({detail}): does its directory exist, and may cfsync write there?"
        )
    if name.startswith("SQLITE_IOERR"):
        return DatabaseError(f"{where} failed to read or write its file ({detail}): check the disk")
    if name and name != "SQLITE_ERROR" and not isinstance(exc, sqlite3.IntegrityError):
        return DatabaseError(f"{where} failed ({detail})")
    return None  # SQLITE_ERROR: a statement cfsync got wrong, a bug to see with its traceback


def _postgres(sqlstate: str | None, where: str, detail: str, disconnect: bool) -> CfsyncError | None:
    if sqlstate in _PG_CONFIG:
        return ConfigError(f"{where} {_PG_CONFIG[sqlstate]} ({detail}): check database.url")
    if sqlstate is None or disconnect or sqlstate.startswith(_PG_UNAVAILABLE):
        if sqlstate is None and not disconnect and "connect" not in detail.lower():
            return DatabaseError(f"{where} failed: {detail}")
        return DatabaseUnavailableError(f"{where} is unavailable ({detail}): is the server up and reachable?")
    if sqlstate == "53100":
        return DatabaseFullError(
            f"the disk of {where} is full ({detail}): free space on the server, then run again"
        )
    if sqlstate == "25006":
        return DatabaseReadOnlyError(f"{where} takes no writes ({detail}): point database.url at the primary")
    if sqlstate == "42501":
        return DatabaseReadOnlyError(
            f"{where} refused a write ({detail}): grant the user rights on the schema"
        )
    if sqlstate in _PG_CORRUPT:
        return DatabaseCorruptError(f"{where} reports damaged data ({detail}): see the server's log")
    if sqlstate.startswith(("53", "54", "58", "XX")):
        return DatabaseError(f"{where} failed ({detail})")
    return None


def _first_line(exc: BaseException) -> str:
    text = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
    return text[:300] or type(exc).__name__

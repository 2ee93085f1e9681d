"""Is the database sound? SQLite's own checks of its file, and on PostgreSQL what the schema should hold.

SQLite: `PRAGMA quick_check` reads every page of the file and checks each b-tree (pages, cells, order,
the free list), in time proportional to the file's size; `PRAGMA quick_check(table)` does the same for
one table and its indexes. `integrity_check` also compares every index with its table (an index out of
step returns wrong rows), which cost little more at 1,000,000 contacts (bench/integrity.py). After each
run, the sync's own tables are checked, and the whole file when it is small, when the last sound full
check recorded in `_checks` is older than `[database].check_every`, or when the caller asks (the first run
of `cfsync run`, `cfsync db rebuild`); `cfsync db check` runs integrity_check whenever asked.

PostgreSQL keeps its own pages (checksums, WAL): here the revision must be the head and every table and
view the head expects must exist with its columns.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..errors import DatabaseCorruptError, DatabaseReadOnlyError
from ..logfmt import logfmt
from . import migrate
from .db import redacted
from .locks import sqlite_file
from .models import MODELS
from .schema import checks, metadata

__all__ = [
    "BOOKKEEPING",
    "FULL_BELOW_BYTES",
    "Check",
    "after_run",
    "check_database",
    "damaged",
    "full_check_due",
    "quick_check",
    "record_full_check",
]

log = logging.getLogger("cfsync.sync")

# A file smaller than this is checked whole after every run: quick_check read 142-282 MiB/s here (1-2 s for
# 256 MiB; bench/integrity.py); past it the whole file is checked on the `check_every` schedule.
FULL_BELOW_BYTES = 256 * 2**20
_MAX_PROBLEMS = 5  # what a message quotes; the first says where to look
_BEHIND = "the schema is at revision"
# The sync's own tables, what the next run starts from: checked after every run (about 20 ms at 1,000,000
# contacts), where checking a big table the run wrote costs as much as the whole file.
BOOKKEEPING = ("sync_state", "sync_runs", "sync_segments", "sync_sweep_misses", "_rejects", "_checks")


@dataclass
class Check:
    """What a check found: `problems` empty when sound."""

    check: str  # what ran: quick_check, integrity_check (SQLite), schema (PostgreSQL)
    scope: str  # "whole file", "tables: contacts, sync_state", "revision, tables, columns, views"
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def sound(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {"sound": self.sound, "check": self.check, "scope": self.scope,
                "seconds": round(self.seconds, 3), "problems": self.problems}  # fmt: skip


def quick_check(
    engine: Engine,
    tables: Iterable[str] | None = None,
    pragma: str = "quick_check",
    stop: threading.Event | None = None,
) -> Check:
    """SQLite's quick_check (or `pragma` integrity_check) of the whole file (`tables` None) or of these
    tables and their indexes; abandoned (SQLITE_INTERRUPT, a DatabaseError) once `stop` is set."""
    names = None if tables is None else sorted(set(tables))
    found = Check(pragma, "whole file" if names is None else f"tables: {', '.join(names)}")
    began = time.perf_counter()
    try:
        with engine.connect() as conn, _stoppable(conn, stop):
            existing = set(sa.inspect(conn).get_table_names()) if names is not None else set()
            for name in [None] if names is None else [n for n in names if n in existing]:
                found.problems += _pragma(conn, pragma, name)
                if len(found.problems) >= _MAX_PROBLEMS:
                    break
    except DatabaseCorruptError as exc:  # too damaged to open, or to read its schema
        found.problems.append(_detail(exc))
    found.seconds = time.perf_counter() - began
    found.problems = found.problems[:_MAX_PROBLEMS]
    return found


@contextlib.contextmanager
def _stoppable(conn: Connection, stop: threading.Event | None) -> Iterator[None]:
    """SQLite asks, every few thousand steps, whether to go on: not once `stop` is set."""
    if stop is None:
        yield
        return
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.set_progress_handler(stop.is_set, 10_000)
    try:
        yield
    finally:
        driver.set_progress_handler(None, 0)


def _pragma(conn: Connection, pragma: str, table: str | None) -> list[str]:
    """quick_check's complaints, one line each (SQLite may put several in one row); a table SQLite cannot
    even walk raises SQLITE_CORRUPT instead, said here as a complaint about that table."""
    argument = f'"{table}"' if table is not None else str(_MAX_PROBLEMS)
    where = f"{table}: " if table is not None else ""
    try:
        rows = [str(r[0]) for r in conn.exec_driver_sql(f"PRAGMA {pragma}({argument})")]
    except DatabaseCorruptError as exc:
        return [where + _detail(exc)]
    lines = [line.strip() for row in rows for line in row.splitlines()]
    return [
        where + line for line in lines if line and line != "ok" and not line.startswith("*** in database")
    ]


def _detail(exc: DatabaseCorruptError) -> str:
    """SQLite's own words (the driver's exception), not the message made for a failing command."""
    cause = exc.__cause__ or exc.__context__
    return str(cause or exc).splitlines()[0]


def after_run(
    engine: Engine,
    *,
    every: timedelta,
    full: bool = False,
    whole_below: int = FULL_BELOW_BYTES,
    stop: threading.Event | None = None,
) -> None:
    """A run's check on SQLite, before the run is recorded: the whole file when `full`, when it is smaller
    than `whole_below` bytes, or when its last sound full check is older than `every`; else the sync's own
    tables (BOOKKEEPING: what the next run starts from). DatabaseCorruptError when it is damaged; once
    `stop` is set, SQLite abandons the check (DatabaseError). Nothing on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    try:
        full = full or full_check_due(engine, every, whole_below)
    except DatabaseCorruptError:  # `_checks` itself unreadable: the full check says where else
        full = True
    if full:
        began = datetime.now(UTC)
        found = quick_check(engine, stop=stop)
        if found.sound:
            record_full_check(engine, found, began)
        log.info(logfmt(event="integrity_checked", scope="whole file", sound=found.sound,
                        seconds=f"{found.seconds:.2f}"))  # fmt: skip
    else:
        found = quick_check(engine, BOOKKEEPING, stop=stop)
    if not found.sound:
        raise DatabaseCorruptError(damaged(redacted(engine.url.render_as_string(hide_password=False)), found))


def damaged(where: str, found: Check) -> str:
    """The one line a failed check gets: the database (`where`, password hidden), the first problem, and
    what to do."""
    first = found.problems[0] + (f" and {len(found.problems) - 1} more" if len(found.problems) > 1 else "")
    if first.startswith(_BEHIND):
        return f"database {where} is not ready ({first}): run `cfsync db upgrade`"
    if found.check != "schema":
        return (
            f"database {where} is damaged ({found.check}: {first}): run `cfsync db rebuild` to move it aside "
            "and sync a fresh one, or restore it from a backup"
        )
    return (
        f"database {where} lacks what its revision should hold ({first}): restore it from the server's "
        "backups, or sync into an empty database"
    )


def full_check_due(engine: Engine, every: timedelta, whole_below: int = FULL_BELOW_BYTES) -> bool:
    """Whether a run should check the whole SQLite file: it is smaller than `whole_below` bytes, no full
    check has been recorded as sound, or the last one is older than `every`."""
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    if path is not None and _size(path) < whole_below:
        return True
    with engine.connect() as conn:
        last = conn.scalar(sa.select(checks.c.checked_at).where(checks.c.scope == "full"))
    return last is None or datetime.now(UTC) - last >= every


def record_full_check(engine: Engine, check: Check, began: datetime) -> None:
    """Remember a sound full check (when it began, how long it took): the schedule counts from it. A file
    cfsync may only read keeps its schedule."""
    try:
        with engine.begin() as conn:
            conn.execute(sa.delete(checks).where(checks.c.scope == "full"))
            conn.execute(sa.insert(checks).values(scope="full", checked_at=began, seconds=check.seconds))
    except DatabaseReadOnlyError:
        pass


def check_database(engine: Engine) -> Check:
    """`cfsync db check`: SQLite's integrity_check of the whole file (quick_check's checks, plus every index
    against its table: an index out of step with its table makes queries return wrong rows, which a page
    check cannot see), or the PostgreSQL schema against the head revision. A sound SQLite file resets the
    runs' schedule of full checks."""
    if engine.dialect.name == "sqlite":
        began = datetime.now(UTC)
        found = quick_check(engine, pragma="integrity_check")
        if found.sound:
            found.problems += _behind(engine)  # sound pages, but a schema the next sync would migrate
        if found.sound:
            record_full_check(engine, found, began)
        return found
    return _postgres_schema(engine)


def _behind(engine: Engine) -> list[str]:
    current, head = migrate.current_revision(engine), migrate.head_revision()
    return [] if current == head else [f"{_BEHIND} {current or 'nothing'}, not {head}"]


def _postgres_schema(engine: Engine) -> Check:
    found = Check("schema", "revision, tables, columns, views")
    began = time.perf_counter()
    found.problems += _behind(engine)
    if found.sound:
        inspector = sa.inspect(engine)
        tables = set(inspector.get_table_names())
        views = set(inspector.get_view_names())
        for table in metadata.sorted_tables:
            if table.name not in tables:
                found.problems.append(f"table {table.name} is missing")
                continue
            have = {c["name"] for c in inspector.get_columns(table.name)}
            missing = [c.name for c in table.columns if c.name not in have]
            if missing:
                found.problems.append(f"table {table.name} lacks column {', '.join(missing)}")
        found.problems += [f"view {m.name} is missing" for m in MODELS if m.name not in views]
    found.seconds = time.perf_counter() - began
    found.problems = found.problems[:_MAX_PROBLEMS]
    return found


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0

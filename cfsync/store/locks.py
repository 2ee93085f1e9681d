"""Keeping two syncs off the same data.

SQLite has one writer: a second `cfsync sync` on the same file waits for the first (`--wait`) or stops
with exit code 4. PostgreSQL takes several workers: each partition is claimed with a session advisory lock,
so workers on several machines share one sync and never walk the same partition at once. Both kinds of
lock die with their process, so a killed sync never leaves one behind.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import socket
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

from ..dbthread import DbThread
from ..engine.ports import PartitionKey
from ..errors import DatabaseError, DatabaseReadOnlyError, DatabaseUnavailableError, LockedError
from .schema import sync_runs

__all__ = ["AdvisoryClaims", "RunLock", "run_alive", "run_lock_path", "sqlite_file"]

Alive = Callable[[int, int | None, str | None], bool]


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database; None for PostgreSQL (or a URL that is not one: create_engine says
    what is wrong with it)."""
    try:
        parsed = make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def run_lock_path(url: str) -> Path | None:
    """The lock file beside a SQLite database file; None for PostgreSQL."""
    path = sqlite_file(url)
    return None if path is None else Path(f"{path}.lock")


class RunLock:
    """An exclusive lock on a file, held for a whole run (flock: released when the process dies)."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._clock = clock
        self._file: IO[str] | None = None

    def acquire(self, wait: float = 0.0, poll: float = 0.2) -> None:
        handle = _open_lock(self.path)
        deadline = self._clock() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if self._clock() >= deadline:
                    holder = self._holder(handle)
                    handle.close()
                    raise LockedError(
                        f"another cfsync sync is running on this database{holder}; wait for it",
                        option="wait",
                    ) from None
                time.sleep(poll)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        self._file = handle

    @staticmethod
    def _holder(handle: IO[str]) -> str:
        handle.seek(0)
        text = handle.read().strip()
        return f" ({text})" if text else ""

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _open_lock(path: Path) -> IO[str]:
    try:
        return path.open("a+")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise DatabaseReadOnlyError(
                f"cannot create the lock file {path} ({reason}): cfsync writes beside the database (its "
                "-wal, -shm and .lock files); let it write that directory"
            ) from None
        raise DatabaseError(
            f"cannot create the lock file {path} ({reason}): does the directory exist?"
        ) from None


@contextlib.contextmanager
def _connection(engine: Engine) -> Any:
    with engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


def run_alive(engine: Engine, lock_path: Path | None, *, holding: bool = False) -> Alive:
    """Who still runs a run recorded as running: `alive(run_id, pid, host)`.

    SQLite: the run lock's holder (`holding`: this process holds it, so no recorded run is alive). A
    lock nobody holds means no sync runs at all. PostgreSQL: a run's own advisory lock, held by its
    process's session for as long as it lives (AdvisoryClaims.join).
    """
    if lock_path is not None:
        if holding or not lock_path.exists():
            return lambda *_: False
        with _open_lock(lock_path) as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = RunLock._holder(handle).strip(" ()")
                pid = int(holder.split()[-1]) if holder.startswith("pid ") else None
                host = socket.gethostname()
                return lambda _run, run_pid, run_host: run_pid == pid and run_host in (host, None)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return lambda *_: False

    def alive(run_id: int, _pid: int | None, _host: str | None) -> bool:
        with _connection(engine) as conn:
            free = conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": _lock_id(run_id)})
            if free:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_id(run_id)})
        return not free

    return alive


def _lock_id(what: PartitionKey | int) -> int:
    """A stable signed 64-bit number per partition or run (advisory locks take a bigint)."""
    name = repr(what) if isinstance(what, PartitionKey) else f"run {what}"
    digest = hashlib.blake2b(name.encode(), digest_size=8, person=b"cfsync").digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryClaims:
    """Partition claims as PostgreSQL session advisory locks, all held on one connection of this process.

    The connection is used from one thread only; try-locks never block, so a busy partition is reported at
    once and the engine decides whether to wait.
    """

    def __init__(self, engine: Engine, *, patience: float = 90.0) -> None:
        self._engine = engine
        self._thread = DbThread("cfsync-locks")
        self._conn: Connection | None = None
        self._patience = patience
        self._run_id: int | None = None
        self._held: set[int] = set()  # advisory lock ids this session holds

    def _connection(self) -> Connection:
        if self._conn is None:
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            # A new session after the server restarted: the old one's locks went with it. Take them again
            # (one a peer took meanwhile stays theirs; both walks write the same rows, idempotently).
            for lock in sorted(self._held):
                self._conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": lock})
        return self._conn

    def _retrying(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(*args)`, again on a new session while the server is unavailable (a restart)."""
        delay, waited = 1.0, 0.0
        while True:
            try:
                return fn(*args)
            except DatabaseUnavailableError:
                if self._conn is not None:
                    with contextlib.suppress(Exception):
                        self._conn.invalidate()
                    self._conn = None
                if waited >= self._patience:
                    raise
                time.sleep(delay)
                waited += delay
                delay = min(2 * delay, 15.0)

    def _try(self, key: PartitionKey) -> bool:
        lock = _lock_id(key)
        got = bool(self._connection().scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": lock}))
        if got:
            self._held.add(lock)
        return got

    def _release(self, key: PartitionKey) -> None:
        lock = _lock_id(key)
        self._held.discard(lock)
        self._connection().execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": lock})

    def _join(self, run_id: int) -> datetime | None:
        """Hold this run's own lock (it says "alive" to peers), and return when the earliest live peer run
        started: partitions finished since then were synced by this generation of workers."""
        conn = self._connection()
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _lock_id(run_id)})
        self._held.add(_lock_id(run_id))
        running = conn.execute(
            sa.select(sync_runs.c.id, sync_runs.c.started_at).where(
                sync_runs.c.status == "running", sync_runs.c.id != run_id
            )
        ).all()
        earliest: datetime | None = None
        for peer, started in running:
            if conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": _lock_id(peer)}):
                # Nobody holds it: that run died without finishing. Not a peer.
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_id(peer)})
            elif earliest is None or started < earliest:
                earliest = started
        return earliest

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()  # ends the session: every lock it held goes with it
            self._conn = None

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self._thread.submit(self._retrying, fn, *args)

    def try_claim(self, key: PartitionKey) -> Any:
        """A concurrent.futures.Future[bool]."""
        return self.run(self._try, key)

    def release(self, key: PartitionKey) -> Any:
        return self.run(self._release, key)

    def join(self, run_id: int) -> Any:
        """A concurrent.futures.Future[datetime | None]: see _join."""
        return self.run(self._join, run_id)

    def close(self) -> None:
        self.run(self._close).result()
        self._thread.close()

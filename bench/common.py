"""What every case shares: the options of a benchmark run, fresh databases, counting rows, the request log."""

from __future__ import annotations

import itertools
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

__all__ = ["Options", "contacts_requests", "count_rows", "fresh_postgres", "postgres_server", "span"]

ROOT = Path(__file__).resolve().parents[1]

_serial = itertools.count()


@dataclass
class Options:
    runs: int
    quick: bool
    max_in_flight: int
    workdir: Path
    postgres_admin_url: str | None  # None: no PostgreSQL here
    postgres_missing: str = ""  # why not

    def scratch(self, name: str) -> Path:
        """A new empty directory for one run."""
        return Path(tempfile.mkdtemp(prefix=f"{name}-{next(_serial)}-", dir=self.workdir))

    def sqlite_url(self, name: str) -> tuple[str, Path]:
        path = self.scratch(name) / "cfsync.db"
        return f"sqlite:///{path}", path


@contextmanager
def postgres_server(url: str | None = None) -> Iterator[tuple[str | None, str]]:
    """(admin URL, "") of a PostgreSQL server: `url` when given, else a throwaway one started from initdb
    as the tests do (tests/postgres.py); (None, why not) when there is none."""
    if url:
        yield url, ""
        return
    sys.path.insert(0, str(ROOT))
    from tests.postgres import find_bin_dir, throwaway_server

    bin_dir = find_bin_dir()
    if bin_dir is None:
        yield None, "no initdb on PATH or in /usr/lib/postgresql/*/bin"
        return
    try:
        server = throwaway_server(bin_dir)
        admin = server.__enter__()
    except RuntimeError as exc:
        yield None, str(exc)
        return
    try:
        yield admin, ""
    finally:
        server.__exit__(None, None, None)


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """A new database on the benchmark's PostgreSQL server, dropped afterwards."""
    name = f"bench_{next(_serial)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def count_rows(db_file: Path, table: str = "contacts") -> tuple[int, int]:
    """(rows, distinct ids) of a table in a SQLite file; (0, 0) when the table is not there."""
    if not db_file.exists():
        return 0, 0
    with sqlite3.connect(db_file) as conn:
        try:
            rows, ids = conn.execute(f"SELECT COUNT(*), COUNT(DISTINCT id) FROM {table}").fetchone()
        except sqlite3.OperationalError:
            return 0, 0
    return int(rows), int(ids)


def contacts_requests(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The requests of workspace contacts lists (`/workspaces/{id}/contacts`), in arrival order."""
    return [
        r for r in log if r["api_path"].startswith("/workspaces/") and r["api_path"].endswith("/contacts")
    ]


def span(log: list[dict[str, Any]]) -> float:
    """Seconds between the first and the last request's arrival."""
    return log[-1]["at"] - log[0]["at"] if len(log) > 1 else 0.0

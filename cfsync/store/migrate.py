"""Schema migrations with alembic, run from inside cfsync (`cfsync db upgrade`, and before every sync).

A database already at the head is checked in the migration transaction with one SELECT, without loading
alembic (a quarter of a quiet sync's start-up): revision ids are the files' numbers, 0001, 0002, ...
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..errors import StoreError
from . import backfill, models, takeover
from .db import sqlite_migration_engine

__all__ = [
    "current_revision",
    "head_revision",
    "migrations_dir",
    "new_revision",
    "newest_revision",
    "upgrade",
]

if TYPE_CHECKING:
    from alembic.config import Config

# Any constant: PostgreSQL advisory lock key that serialises concurrent `db upgrade`s.
_MIGRATION_LOCK = 0x0CF5_0001


def migrations_dir() -> Path:
    """`cfsync/migrations` inside an installed wheel, `migrations/` beside the package in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "migrations", package.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise StoreError("cfsync is installed without its migrations directory")


def _config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head", *, views: bool = True) -> None:
    """Migrate to `revision`; at the head, also (re)create the models' views that are out of date.

    All of it (every revision on the way, the views, alembic_version) is one transaction on both databases:
    a kill at any moment leaves the database at the revision it had or at the new one, never in between,
    and the next run goes on from there. Two processes migrating at once take turns; the second finds the
    work done."""
    try:
        with _schema_transaction(engine) as connection:
            if revision != "head" or _stored_revisions(connection) != [newest_revision()]:
                from alembic import command

                # Evolved columns the head's catalog defines: dropped here, added by the revisions, refilled.
                taken = takeover.release(connection) if revision == "head" else []
                command.upgrade(_config(connection), revision)
                takeover.refill(connection, taken, newest_revision())
            if revision == "head" and views:
                models.refresh(connection)
    except sa.exc.OperationalError as exc:
        raise StoreError(f"cannot migrate the database: {exc.orig}") from None
    # Work too long for one transaction goes here, after the schema has committed: columns the revisions
    # added, filled from the stored rows' _raw in chunks that each commit, resumed by every later upgrade().
    backfill.fill_pending(engine)


@contextmanager
def _schema_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that DDL joins, holding the database's migration lock."""
    if engine.dialect.name == "sqlite":
        # The pysqlite driver would commit each CREATE/ALTER/DROP on its own: migrate on a connection
        # where BEGIN IMMEDIATE holds them all (and the write lock).
        migrating = sqlite_migration_engine(engine.url)
        try:
            with migrating.begin() as connection:
                yield connection
        finally:
            migrating.dispose()
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        yield connection


def _stored_revisions(connection: Connection) -> list[str]:
    """What alembic_version holds (nothing on a new database), read inside the migration's transaction."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return []
    return list(connection.scalars(sa.text("SELECT version_num FROM alembic_version")))


@cache
def newest_revision() -> str:
    """The head, from the revision files' names (`0008_the_2026_surface.py`: 0008) without alembic;
    tests/integration check it is alembic's head."""
    return max(path.name[:4] for path in (migrations_dir() / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return ScriptDirectory.from_config(config).get_current_head()


def new_revision(message: str) -> None:
    """Developer tool: autogenerate a revision from the schema against a scratch SQLite at head."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = sa.create_engine(f"sqlite:///{tmp}/scratch.db")
        upgrade(engine, views=False)  # the revision being written may be what the views need
        number = len(list((migrations_dir() / "versions").glob("[0-9]*.py"))) + 1
        from alembic import command

        with engine.begin() as connection:
            command.revision(_config(connection), message=message, autogenerate=True, rev_id=f"{number:04d}")

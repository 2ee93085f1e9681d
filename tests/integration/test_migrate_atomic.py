"""Migrations are all-or-nothing on SQLite as on PostgreSQL. Killed with SIGKILL at many moments, in real
processes, they leave the database at the revision it had or at the new one, never in between, and the next
run goes on; a reader never sees a part of a schema; two processes migrating at once both end well.

A kill is timed from the moment the process opens the SQLite file to migrate (its `-wal` file appears), by a
fraction of how long a migration was measured to take, so that it lands while the schema is being made.
After each kill the file holds exactly the schema of a known revision (every table, index and view, compared
with a reference migrated in this process) and passes `PRAGMA integrity_check`.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from cfsync import app
from cfsync.resources.catalog import CATALOG
from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread
from cfsync.store import Store, current_revision, head_revision, upgrade
from cfsync.store.db import sqlite_migration_engine
from cfsync.store.migrate import _MIGRATION_LOCK
from cfsync.store.models import MODELS, refresh

from .helpers import config_for, copy_as_revision
from .test_night_shift import RESOURCES, Cfsync, config_text, converges

HEAD = head_revision()
NO_API = "http://127.0.0.1:9"  # `db upgrade` never calls the API
# When to kill: fractions of a measured migration, counted from when the process opened the file.
FRACTIONS = (0.1, 0.3, 0.5, 0.75)
FEWER = (0.15, 0.45, 0.75)


@dataclass(frozen=True)
class Schema:
    revision: str | None
    objects: frozenset[tuple[str, str, str | None]]  # (type, name, sql) of every table, index and view


EMPTY = Schema(None, frozenset())


def open_file(db: Path) -> sqlite3.Connection:
    """A connection to an existing file (never created here: `mode=rw`); transactions are ours to BEGIN."""
    return sqlite3.connect(f"file:{db}?mode=rw", uri=True, isolation_level=None)


def schema_of(conn: sqlite3.Connection) -> Schema:
    """What the file holds, read in one snapshot."""
    conn.execute("BEGIN")
    try:
        objects = frozenset(conn.execute("SELECT type, name, sql FROM sqlite_master"))
        revision = None
        if ("table", "alembic_version") in {(kind, name) for kind, name, _ in objects}:
            revision = conn.execute("SELECT max(version_num) FROM alembic_version").fetchone()[0]
        return Schema(revision, objects)
    finally:
        conn.execute("COMMIT")


def read_schema(db: Path) -> Schema:
    conn = open_file(db)
    try:
        return schema_of(conn)
    finally:
        conn.close()  # the last connection: SQLite checkpoints and removes the -wal file


def assert_intact(db: Path) -> None:
    conn = open_file(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


def remove(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def migrated(path: Path, revision: str = "head") -> Path:
    engine = Store.open(f"sqlite:///{path}").engine
    upgrade(engine, revision)
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Schema]:
    """The schema of revision 0001 and of the head, migrated in this process."""
    where = tmp_path_factory.mktemp("references")
    return {rev: read_schema(migrated(where / f"{rev}.db", rev)) for rev in ("0001", "head")}


@dataclass
class Measured:
    seconds: float  # from opening the file to migrate until the new schema was visible
    seen: list[Schema]  # every state a reader saw meanwhile, polling every millisecond


def measure(cf: Cfsync, db: Path, *args: str) -> Measured:
    """One run to the end, watched: how long its migration takes, and what a reader sees of it."""
    wal = Path(f"{db}-wal")
    assert not wal.exists()
    proc = cf.start(*args)
    opened = committed = None
    seen = []
    reader = None  # one connection throughout: it parses the schema only when it changes
    try:
        while proc.poll() is None:
            now = time.monotonic()
            if opened is None and wal.exists():
                opened = now
            if reader is None and opened is not None:  # not before: opening a WAL file makes its -wal
                reader = open_file(db)
            if reader is not None:
                seen.append(schema_of(reader))
                if committed is None and seen[-1].revision == HEAD:
                    committed = now
            time.sleep(0.001)
    finally:
        if reader is not None:
            reader.close()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert opened is not None, "the migration opened the file"
    assert committed is not None, "the reader saw the head"
    return Measured(committed - opened, seen)


@dataclass
class Kill:
    opened: bool  # the process had opened the file to migrate
    killed: bool  # SIGKILL ended it (it had not finished)


def kill_while_migrating(cf: Cfsync, db: Path, delay: float, *args: str) -> Kill:
    """Start `cfsync args`; SIGKILL it `delay` seconds after it opened the SQLite file to migrate."""
    wal = Path(f"{db}-wal")
    assert not wal.exists(), "a -wal file left from before would start the clock early"
    proc = cf.start(*args)
    deadline = time.monotonic() + 30
    while not wal.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    opened = wal.exists()
    time.sleep(delay)
    proc.kill()
    proc.communicate(timeout=30)
    return Kill(opened, proc.returncode == -signal.SIGKILL)


def config(workdir: Path, db_url: str, api: str = NO_API, token: str = "unused") -> Cfsync:
    (workdir / "cfsync.toml").write_text(config_text(api, db_url))
    return Cfsync(workdir, token)


@pytest.fixture(scope="module")
def first_migration(tmp_path_factory: pytest.TempPathFactory) -> Measured:
    """`cfsync db upgrade` of an empty file, watched to the end."""
    workdir = tmp_path_factory.mktemp("first")
    db = workdir / "empty.db"
    db.touch()
    return measure(config(workdir, f"sqlite:///{db}"), db, "db", "upgrade")


def test_a_reader_sees_no_schema_or_all_of_it_never_a_part(first_migration, references):
    assert set(first_migration.seen) == {EMPTY, references["head"]}, "nothing, then the whole schema"


def test_db_upgrade_of_an_empty_file_killed_at_many_moments(tmp_path, first_migration, references):
    db = tmp_path / "empty.db"
    cf = config(tmp_path, f"sqlite:///{db}")
    mid_migration = 0
    for fraction in FRACTIONS:
        remove(db)
        db.touch()
        kill = kill_while_migrating(cf, db, fraction * first_migration.seconds, "db", "upgrade")
        left = read_schema(db)
        assert left in (EMPTY, references["head"]), f"killed at {fraction}: a part of the schema was left"
        assert_intact(db)
        mid_migration += kill.opened and kill.killed and left == EMPTY
        code, out, err = cf.run("db", "upgrade")
        assert code == 0, err
        assert f"is at revision {HEAD}" in out
        assert read_schema(db) == references["head"]
    assert mid_migration >= 2, "kills landed while the schema was being made"


def rows_of(db: Path) -> dict[str, list[tuple]]:
    conn = open_file(db)
    try:
        return {
            "contacts": conn.execute("SELECT id, email_address, _raw FROM contacts ORDER BY id").fetchall(),
            "orders": conn.execute("SELECT id, total_amount, currency FROM orders ORDER BY id").fetchall(),
        }
    finally:
        conn.close()


@pytest.fixture
def at_0001(tmp_path: Path) -> Path:
    """A file at revision 0001 with contacts and orders in it, written with plain SQL as 0001 had them."""
    db = migrated(tmp_path / "old.db", "0001")
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "INSERT INTO contacts (id, workspace_id, email_address, _raw, _synced_at) VALUES (?, 5, ?, ?, "
            "'2026-01-01 00:00:00.000000')",
            [(i, f"c{i}@example.com", f'{{"id": {i}}}') for i in range(1, 41)],
        )
        conn.executemany(
            "INSERT INTO orders (id, workspace_id, contact_id, total_amount, currency, _raw, _synced_at) "
            "VALUES (?, 5, ?, ?, 'USD', '{}', '2026-01-01 00:00:00.000000')",
            [(i, i, f"{i}.25") for i in range(1, 11)],
        )
    conn.close()
    assert not Path(f"{db}-wal").exists()
    return db


def test_db_upgrade_from_0001_with_rows_killed_at_many_moments(tmp_path, at_0001, references):
    pristine = tmp_path / "pristine.db"
    shutil.copy(at_0001, pristine)
    rows = rows_of(at_0001)
    assert len(rows["contacts"]) == 40
    cf = config(tmp_path, f"sqlite:///{at_0001}")
    measured = measure(cf, at_0001, "db", "upgrade")
    assert set(measured.seen) == {references["0001"], references["head"]}, "0001, then the head"
    mid_migration = 0
    for fraction in FEWER:
        remove(at_0001)
        shutil.copy(pristine, at_0001)
        kill = kill_while_migrating(cf, at_0001, fraction * measured.seconds, "db", "upgrade")
        left = read_schema(at_0001)
        assert left in (references["0001"], references["head"]), f"killed at {fraction}: between revisions"
        assert_intact(at_0001)
        assert rows_of(at_0001) == rows
        mid_migration += kill.opened and kill.killed and left == references["0001"]
        code, _, err = cf.run("db", "upgrade")
        assert code == 0, err
        assert read_schema(at_0001) == references["head"]
        assert rows_of(at_0001) == rows, "every row is still there"
    assert mid_migration >= 1, "a kill landed while the revisions were being applied"
    conn = sqlite3.connect(at_0001)
    cents = conn.execute("SELECT id, total_amount_cents FROM orders ORDER BY id").fetchall()
    conn.close()
    assert cents == [(i, i * 100 + 25) for i in range(1, 11)], "0006 filled the cents of old rows once"


def test_two_processes_migrating_one_new_file_both_end_at_the_head(tmp_path, references):
    db = tmp_path / "both.db"
    cf = config(tmp_path, f"sqlite:///{db}")
    procs = [cf.start("db", "upgrade") for _ in range(2)]
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert f"is at revision {HEAD}" in out
    assert read_schema(db) == references["head"]
    assert_intact(db)


@pytest.mark.parametrize("start", ["empty", "0001"])
def test_a_first_sync_killed_while_it_makes_the_schema_then_syncs_like_the_sandbox(
    tmp_path, first_migration, references, start
):
    """From an empty file, and from one at 0001 holding the sandbox's rows as that revision stored them."""
    sb = Sandbox(SandboxConfig(seed=18, workspaces=1, counts={"contacts": 30, "orders": 12}))
    db, pristine = tmp_path / "first.db", tmp_path / "pristine.db"
    before = EMPTY if start == "empty" else references["0001"]
    with serve_in_thread(sb) as url:
        if start == "0001":
            reference = Store.open(f"sqlite:///{tmp_path}/reference.db")
            asyncio.run(app.sync(config_for(url, sb.api_token(0), str(reference.engine.url)), RESOURCES))
            old = Store.open(f"sqlite:///{migrated(pristine, '0001')}").engine
            copy_as_revision(reference.engine, old, skip_resources=CATALOG)  # rows, no walk state
            old.dispose()
            reference.close()
            assert read_schema(pristine) == references["0001"]
        cf = config(tmp_path, f"sqlite:///{db}", api=url, token=sb.api_token(0))
        mid_migration = 0
        for fraction in FEWER:
            remove(db)
            if start == "0001":
                shutil.copy(pristine, db)
            kill = kill_while_migrating(cf, db, fraction * first_migration.seconds, "sync")
            left = read_schema(db)
            assert left in (before, references["head"]), (
                f"killed at {fraction}: a part of the schema was left"
            )
            assert_intact(db)
            mid_migration += kill.opened and kill.killed and left == before
            converges(cf, sb, f"sqlite:///{db}")  # the next sync exits 0 and equals the sandbox
            assert read_schema(db) == references["head"]
    assert mid_migration >= 1, "a kill landed while the schema was being made"


def migration_lock_held(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        held = conn.scalar(
            sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = :k"),
            {"k": _MIGRATION_LOCK},
        )
    return bool(held)


@pytest.mark.postgres
def test_a_kill_during_db_upgrade_on_postgresql_leaves_nothing_and_the_next_run_migrates(
    tmp_path, postgres_url
):
    cf = config(tmp_path, postgres_url)
    engine = sa.create_engine(postgres_url)
    try:
        proc = cf.start("db", "upgrade")
        deadline = time.monotonic() + 30
        while not migration_lock_held(engine) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(0.05)  # into the migration, which takes several times as long
        assert migration_lock_held(engine), "killed while migrating"
        proc.kill()
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        assert sa.inspect(engine).get_table_names() == [], "nothing of the schema was left"
        code, out, err = cf.run("db", "upgrade")
        assert code == 0, err
        assert f"is at revision {HEAD}" in out
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()


def test_a_batch_table_copy_in_the_migration_transaction_is_undone_whole(tmp_path, references):
    """What a revision with `batch_alter_table(recreate=...)` does on SQLite (create a copy, fill it, drop the
    table, rename the copy) happens inside the one transaction too: an error after it undoes all of it."""
    db = migrated(tmp_path / "copy.db")
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO contacts (id, email_address, _raw, _synced_at) VALUES (1, 'a@example.com', '{}', "
            "'2026-01-01 00:00:00.000000')"
        )
    conn.close()
    engine = sqlite_migration_engine(sa.make_url(f"sqlite:///{db}"))

    def copy_contacts(conn: sa.Connection) -> None:
        ops = Operations(MigrationContext.configure(conn, opts={"render_as_batch": True}))
        for model in MODELS:  # SQLite refuses to rename a table over the views that read it
            ops.execute(f"DROP VIEW {model.name}")
        ops.execute("DELETE FROM _models")
        with ops.batch_alter_table("contacts", recreate="always") as batch:
            batch.add_column(sa.Column("extra", sa.Text()))

    def copy_then_fail() -> None:
        with engine.begin() as conn:
            copy_contacts(conn)
            raise RuntimeError("a later step fails")

    try:
        with pytest.raises(RuntimeError, match="a later step fails"):
            copy_then_fail()
        assert read_schema(db) == references["head"]
        assert rows_of(db)["contacts"] == [(1, "a@example.com", "{}")]
        with engine.begin() as conn:
            copy_contacts(conn)
            assert refresh(conn) == [m.name for m in MODELS]
    finally:
        engine.dispose()
    after = read_schema(db)
    assert {name for kind, name, _ in after.objects if kind == "view"} == {m.name for m in MODELS}
    assert "extra TEXT" in next(sql for _, name, sql in after.objects if name == "contacts")
    assert rows_of(db)["contacts"] == [(1, "a@example.com", "{}")]

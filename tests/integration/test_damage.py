"""A damaged SQLite file is found before success is reported, and `cfsync db rebuild` is the way back.

Pages of a synced file are overwritten with garbage, the way a bad disk or a copy taken mid-write leaves
it: damage the sync's own reads and writes do not meet (their line would say "is corrupt"), so only the
check after the run finds it. Real `cfsync` processes: what the user sees is the exit code and one line.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from cfsync.errors import DatabaseCorruptError, DatabaseError
from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread
from cfsync.store.db import create_engine
from cfsync.store.integrity import after_run
from cfsync.store.locks import RunLock
from cfsync.store.migrate import head_revision
from cfsync.store.schema import checks, sync_runs

from .helpers import db_snapshot, sandbox_snapshot

TOKEN_ENV = "CF_DAMAGE_TOKEN"
RESOURCES = ("contacts", "orders")
PAGE = 4096
HEAD = head_revision()


@pytest.fixture(scope="module")
def sb() -> Sandbox:
    return Sandbox(SandboxConfig(seed=19, workspaces=1, counts={"contacts": 400, "orders": 120}))


@pytest.fixture(scope="module")
def url(sb: Sandbox) -> Iterator[str]:
    with serve_in_thread(sb) as served:
        yield served


def config(workdir: Path, url: str, db_url: str) -> None:
    (workdir / "cfsync.toml").write_text(
        f'[api]\nmode = "direct"\nbase_url = "{url}"\napi_key_env = "{TOKEN_ENV}"\n'
        f'requests_per_second = 1000\nmax_retries = 1\n[database]\nurl = "{db_url}"\n'
        f"[sync]\nresources = {json.dumps(list(RESOURCES))}\n"
    )


def cfsync(workdir: Path, token: str, *args: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "cfsync", "--config", str(workdir / "cfsync.toml"), *args],
        cwd=workdir,
        env={**os.environ, TOKEN_ENV: token},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


def one_line(stderr: str) -> str:
    """stderr's last line, `cfsync: error: ...`; no traceback anywhere."""
    assert "Traceback" not in stderr, stderr
    line = stderr.strip().splitlines()[-1]
    assert line.startswith("cfsync: error: "), stderr
    return line


@pytest.fixture(scope="module")
def synced(sb: Sandbox, url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file synced from the sandbox once, by a real process: each test damages a copy of it."""
    workdir = tmp_path_factory.mktemp("synced")
    db = workdir / "cfsync.db"
    config(workdir, url, f"sqlite:///{db}")
    code, _, err = cfsync(workdir, sb.api_token(0), "sync")
    assert code == 0, err
    assert not Path(f"{db}-wal").exists(), "the last connection checkpointed: the file holds everything"
    return db


@pytest.fixture
def work(synced: Path, url: str, tmp_path: Path) -> Path:
    """A copy of the synced file in a work directory configured for it."""
    shutil.copyfile(synced, tmp_path / "cfsync.db")
    config(tmp_path, url, f"sqlite:///{tmp_path / 'cfsync.db'}")
    return tmp_path / "cfsync.db"


def pages_of(db: Path, table: str) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [
            n for (n,) in conn.execute("SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno", (table,))
        ]


def damage(db: Path, first: int, count: int = 1, seed: int = 0) -> None:
    """Overwrite `count` pages from page `first` (1-based, as SQLite numbers them) with garbage."""
    garbage = random.Random(seed).randbytes(count * PAGE)
    with db.open("r+b") as f:
        f.seek((first - 1) * PAGE)
        f.write(garbage)
    with sqlite3.connect(db) as conn:
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as exc:
            verdict = [(str(exc),)]
    assert verdict != [("ok",)], "the damage is real: SQLite's own check finds it"


def statuses(db: Path) -> list[str]:
    """The runs recorded in the file, oldest first (read past any damage elsewhere)."""
    with sqlite3.connect(db) as conn:
        return [s for (s,) in conn.execute(f"SELECT status FROM {sync_runs.name} ORDER BY id")]


@pytest.mark.parametrize(
    ("where", "count"),
    [
        ("middle", 30),  # a burst in the middle of the file, as the report had it
        ("contacts", 1),  # one page of a table the run writes
        ("orders", 1),  # one page of a table this run (contacts only) does not write
    ],
)
def test_sync_on_a_damaged_file_exits_5_with_one_line_and_records_no_success(sb, work, where, count):
    if where == "middle":
        with sqlite3.connect(work) as conn:
            total = conn.execute("PRAGMA page_count").fetchone()[0]
        first = total // 2 - count // 2
    else:
        pages = pages_of(work, where)
        first = pages[len(pages) // 2]
    damage(work, first, count)
    contact = sb.records("contacts", workspace_id=sb.workspace_ids(0)[0])[3]
    sb.update("contacts", contact["id"], {"first_name": f"Changed{where}"})

    code, out, err = cfsync(work.parent, sb.api_token(0), "-q", "sync", "--resource", "contacts")

    assert code == 5, err
    line = one_line(err)
    if where == "middle":
        # The middle of the file holds the contacts' visit rows, which this run writes: a write may meet
        # the damage before the check does, and its line says so with SQLite's own complaint.
        assert re.search(rf"database sqlite:///{re.escape(str(work))} is (damaged|corrupt) \(", line), line
    else:
        assert f"database sqlite:///{work} is damaged (quick_check: " in line, "found by the check"
    assert "run `cfsync db rebuild`" in line
    assert out == ""
    if where != "middle":  # sync_runs readable: the run says why it failed
        assert statuses(work)[-1] == "failed"
    assert "succeeded" not in statuses_after_first(work)


def statuses_after_first(db: Path) -> list[str]:
    try:
        return statuses(db)[1:]
    except sqlite3.DatabaseError:  # sync_runs itself damaged: nothing in it claims anything
        return []


def test_db_check_finds_damage_and_passes_a_sound_file(sb, work):
    code, out, err = cfsync(work.parent, sb.api_token(0), "db", "check")
    assert (code, err) == (0, "")
    assert out.strip().splitlines() == [out.strip()]
    assert out.startswith(f"database sqlite:///{work} is sound (whole file, ")

    damage(work, pages_of(work, "orders")[0], 2)
    code, out, err = cfsync(work.parent, sb.api_token(0), "db", "check", "--json")
    assert code == 5
    assert "is damaged (integrity_check: " in one_line(err)
    found = json.loads(out)
    assert found["sound"] is False
    assert found["check"] == "integrity_check"
    assert 1 <= len(found["problems"]) <= 5

    work.write_bytes(b"")  # SQLite's empty database: sound pages, no schema
    code, _, err = cfsync(work.parent, sb.api_token(0), "db", "check")
    assert code == 5
    line = one_line(err)
    assert f"is not ready (the schema is at revision nothing, not {HEAD}): run `cfsync db upgrade`" in line


def test_db_rebuild_moves_the_damaged_file_aside_and_syncs_a_fresh_one(sb, work):
    token = sb.api_token(0)
    damage(work, pages_of(work, "contacts")[2], 3, seed=1)
    damaged = work.read_bytes()

    code, out, err = cfsync(work.parent, token, "db", "rebuild")

    assert code == 0, err
    assert "Traceback" not in err
    kept = [p for p in work.parent.iterdir() if p.name.startswith("cfsync.db.damaged-")]
    assert len(kept) == 1
    assert kept[0].read_bytes() == damaged, "the old file is kept byte for byte"
    assert f"moved {work} aside to {kept[0]}" in out
    engine = sa.create_engine(f"sqlite:///{work}")
    try:
        assert db_snapshot(engine) == sandbox_snapshot(sb, names=RESOURCES)
        with engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count()).select_from(checks)) == 1, "checked whole, recorded"
    finally:
        engine.dispose()
    assert cfsync(work.parent, token, "db", "check")[0] == 0

    # A sound file is left alone unless asked; --force moves it aside too, under another name.
    inode = work.stat().st_ino
    code, _, err = cfsync(work.parent, token, "db", "rebuild")
    assert code == 2
    assert "is sound" in one_line(err)
    assert "--force" in one_line(err)
    assert work.stat().st_ino == inode, "not moved"
    assert len([p for p in work.parent.iterdir() if p.name.startswith("cfsync.db.damaged-")]) == 1
    code, out, err = cfsync(work.parent, token, "-q", "db", "rebuild", "--force")
    assert (code, out) == (0, ""), err
    assert len([p for p in work.parent.iterdir() if p.name.startswith("cfsync.db.damaged-")]) == 2


def test_db_rebuild_refuses_a_missing_file_and_a_file_another_sync_holds(sb, work):
    token = sb.api_token(0)
    with RunLock(Path(f"{work}.lock")) as lock:
        lock.acquire()
        code, _, err = cfsync(work.parent, token, "db", "rebuild", "--force")
    assert code == 4
    assert "another cfsync sync is running" in one_line(err)
    assert work.exists()
    assert not [p for p in work.parent.iterdir() if ".damaged-" in p.name]

    work.unlink()
    code, _, err = cfsync(work.parent, token, "db", "rebuild")
    assert code == 1
    assert "no database at" in one_line(err)
    assert not work.exists()


def test_a_big_file_checks_the_syncs_tables_every_run_and_the_whole_file_when_due(work):
    """The schedule, asked directly: past the size below which every run checks the whole file
    (whole_below=0 here), a run checks the sync's own tables, and the whole file when no sound full check
    is recorded, when the last is older than check_every, or when the caller asks."""
    engine = create_engine(f"sqlite:///{work}")
    day = timedelta(days=1)
    try:
        after_run(engine, every=day, whole_below=0)  # none recorded yet: the whole file, sound, recorded
        with engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count()).select_from(checks)) == 1
        engine.dispose()
        damage(work, pages_of(work, "orders")[1])

        after_run(engine, every=day, whole_below=0)  # orders is left to the next full check
        for asked in ({"every": timedelta(0)}, {"every": day, "full": True}):
            with pytest.raises(DatabaseCorruptError, match=r"is damaged \(quick_check: .*cfsync db rebuild"):
                after_run(engine, whole_below=0, **asked)  # type: ignore[arg-type]
        stop = threading.Event()
        stop.set()  # a signal came: SQLite gives the check up rather than hold the process's exit back
        with pytest.raises(DatabaseError, match=r"failed \(interrupted\)"):
            after_run(engine, every=day, full=True, stop=stop)
        engine.dispose()
        damage(work, pages_of(work, "sync_state")[0], seed=2)
        with pytest.raises(DatabaseCorruptError, match="sync_state: "):
            after_run(engine, every=day, whole_below=0)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_db_check_on_postgresql_checks_the_revision_and_the_schema(sb, url, tmp_path, postgres_url):
    token = sb.api_token(0)
    config(tmp_path, url, postgres_url)
    assert cfsync(tmp_path, token, "db", "upgrade")[0] == 0
    code, out, err = cfsync(tmp_path, token, "db", "check", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) | {"seconds": 0} == {
        "database": json.loads(out)["database"],
        "sound": True,
        "check": "schema",
        "scope": "revision, tables, columns, views",
        "seconds": 0,
        "problems": [],
    }
    assert "rebuild" in one_line(cfsync(tmp_path, token, "db", "rebuild")[2])
    assert cfsync(tmp_path, token, "db", "rebuild")[0] == 2

    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP VIEW revenue_daily CASCADE")
            conn.exec_driver_sql("ALTER TABLE orders DROP COLUMN total_amount CASCADE")
        code, _, err = cfsync(tmp_path, token, "db", "check")
        assert code == 5
        line = one_line(err)
        assert "lacks what its revision should hold (table orders lacks column total_amount" in line
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
        code, _, err = cfsync(tmp_path, token, "db", "check")
        assert code == 5
        assert f"(the schema is at revision 0001, not {HEAD}): run `cfsync db upgrade`" in one_line(err)
    finally:
        engine.dispose()


def test_cfsync_run_stops_with_exit_5_on_a_damaged_file(sb, work):
    """`cfsync run` checks the whole file at its first run: damage stops the process, as a corrupt file
    does, instead of failing every interval."""
    pages = pages_of(work, "contacts")
    damage(work, pages[len(pages) // 2], 2, seed=3)
    code, _, err = cfsync(
        work.parent, sb.api_token(0), "run", "--port", "0", "--no-webhooks", "--interval", "1h"
    )
    assert code == 5, err
    line = one_line(err)
    assert f"database sqlite:///{work} is damaged (quick_check: " in line
    assert "cfsync db rebuild" in line
    assert statuses(work)[-1] == "failed"

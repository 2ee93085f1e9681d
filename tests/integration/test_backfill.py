"""Migration 0008's data step: columns it adds to tables that had rows are filled from each row's `_raw`, a
chunk per transaction, on SQLite and PostgreSQL, with what a sync of the record would write."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from cfsync import app
from cfsync.resources.catalog import CATALOG
from cfsync.resources.transform import Scope, to_rows
from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread
from cfsync.store import backfill
from cfsync.store.db import create_engine
from cfsync.store.migrate import head_revision, upgrade
from cfsync.store.schema import metadata

from .helpers import LISTS_OF_2026, config_for, copy_as_revision, db_snapshot, sandbox_snapshot
from .test_night_shift import TOKEN_ENV, Cfsync

OLD_LISTS = set(CATALOG) - set(LISTS_OF_2026)


def config_text(url: str, db_url: str) -> str:
    return (
        f'[api]\nmode = "direct"\nbase_url = "{url}"\napi_key_env = "{TOKEN_ENV}"\n'
        f'requests_per_second = 1000\n[database]\nurl = "{db_url}"\n'
        "[sync]\nstats_days = 0\n"  # funnel statistics are no migration's: test_stats_sync.py
    )


SYNCED = "2026-01-01 00:00:00"


def contact(i: int) -> dict:
    return {
        "id": i,
        "workspace_id": 5,
        "email_address": f"c{i}@example.com",
        "is_active": i % 2 == 0,
        "email_suppression_reason": "bounced" if i % 3 == 0 else None,
        "visits": {"last_visit_with_utm": {"utm_source": "newsletter" if i % 2 else "facebook"}},
        "updated_at": "2026-01-01T00:00:00.000Z",
    }


def page(i: int) -> dict:
    return {
        "id": i,
        "workspace_id": 5,
        "name": f"Page {i}",
        "theme_id": "12",
        "url": f"https://shop.example.com/p{i}",
        "type": "funnel_page",
        "seo_index": True,
        "funnel": {"id": 70, "name": "Main", "public_id": "fun1"},
        "updated_at": "2026-01-01T00:00:00.000Z",
    }


def insert(conn: sa.Connection, table: str, records: list[dict]) -> None:
    conn.execute(
        sa.text(f"INSERT INTO {table} (id, workspace_id, _raw, _synced_at) VALUES (:id, 5, :raw, :at)"),
        [{"id": r["id"], "raw": json.dumps(r), "at": SYNCED} for r in records],
    )


def columns_of(engine: sa.Engine, table: str, names: tuple[str, ...]) -> dict[int, tuple]:
    """The columns as cfsync reads them (typed: booleans, JSON, UTC timestamps)."""
    t = metadata.tables[table]
    with engine.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(sa.select(t.c.id, *(t.c[n] for n in names)))}


def as_synced(resource: str, record: dict, names: tuple[str, ...]) -> tuple:
    """What a sync writes into those columns for the record (the transform, not the backfill)."""
    row = to_rows(CATALOG[resource], record, Scope("default", 5, 5), datetime.now(UTC)).row
    return tuple(row[n] for n in names)


@pytest.mark.empty_db  # migrated here from an old revision
def test_rows_stored_before_0008_get_the_new_columns_from_their_raw(db_url, caplog):
    engine = create_engine(db_url)
    upgrade(engine, "0007")
    contacts = [contact(i) for i in range(1, 5001)]  # more than one chunk
    contacts[6]["is_active"] = "yes"  # does not fit a boolean: the column stays NULL, the value in _raw
    del contacts[7]["is_active"]  # a row stored before the API sent the field: nothing to fill it with
    pages = [page(i) for i in range(1, 4)]
    with engine.begin() as conn:
        insert(conn, "contacts", contacts)
        insert(conn, "pages", pages)
    with caplog.at_level(logging.INFO, logger="cfsync.migrate"):
        upgrade(engine)
    filled = ("is_active", "email_suppression_reason")
    got = columns_of(engine, "contacts", filled)
    assert got == {
        c["id"]: (None, None) if c["id"] == 7 else as_synced("contacts", c, filled) for c in contacts
    }
    assert got[1] == (False, None)
    assert got[3] == (False, "bounced")
    assert got[8][0] is None
    page_columns = ("url", "type", "seo_index", "funnel")
    assert columns_of(engine, "pages", page_columns) == {
        p["id"]: as_synced("pages", p, page_columns) for p in pages
    }
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT COUNT(*) FROM _backfills")) == 0, "done: nothing left to fill"
        raw = conn.scalar(sa.text("SELECT _raw FROM contacts WHERE id = 7"))
    assert (json.loads(raw) if isinstance(raw, str) else raw)["is_active"] == "yes"
    said = [r.getMessage() for r in caplog.records if r.name == "cfsync.migrate"]
    assert any("event=backfill_started table=contacts" in m and "rows=5000" in m for m in said)
    assert any("event=backfill_finished table=contacts" in m and "filled=5000" in m for m in said)
    engine.dispose()


@pytest.mark.empty_db  # migrated here from an old revision
def test_a_fill_left_half_way_goes_on_from_its_progress(db_url):
    engine = create_engine(db_url)
    upgrade(engine, "0007")
    contacts = [contact(i) for i in range(1, 101)]
    with engine.begin() as conn:
        insert(conn, "contacts", contacts)
    upgrade(engine, "0008", views=False)  # the schema and what is to fill, committed; the fill ran too
    with engine.begin() as conn:
        # As a kill after the first chunks would leave it: progress at id 40, the rows after it unfilled.
        conn.execute(sa.text("UPDATE contacts SET is_active = NULL WHERE id > 40"))
        conn.execute(
            sa.text(
                "INSERT INTO _backfills (table_name, columns, after_key, rows_done, revision) "
                "VALUES ('contacts', :columns, 40, 40, '0008')"
            ),
            {"columns": json.dumps(["is_active", "email_suppression_reason"])},
        )
    assert backfill.fill_pending(engine, chunk=7) == 60, "only what was left"
    assert columns_of(engine, "contacts", ("is_active",)) == {c["id"]: (c["is_active"],) for c in contacts}
    with engine.connect() as conn:
        assert backfill.pending(conn) == []
    engine.dispose()


BIG = 60_000  # 30 chunks of the fill: enough for three kills mid-fill
ELSEWHERE = 990_001  # a workspace the sandbox does not have: rows a sync leaves alone


BIG_IDS = range(10_000_001, 10_000_001 + BIG)


def insert_big(engine: sa.Engine, template: dict) -> None:
    """BIG contacts in ELSEWHERE, stored as revision 0007 stores them: the template's columns (what 0007
    has), its _raw with the id, email and 2026 fields of each (is_active, email_suppression_reason)."""
    table = metadata.tables["contacts"]
    with engine.connect() as conn:
        kept = [c["name"] for c in sa.inspect(conn).get_columns("contacts")]
    scope = Scope("default", ELSEWHERE, ELSEWHERE)
    row = to_rows(CATALOG["contacts"], template, scope, datetime.now(UTC)).row
    fixed = [c for c in kept if c not in ("id", "email_address", "workspace_id", "_raw")]
    raw = (
        "json_set(:raw, '$.id', i, '$.workspace_id', :ws, '$.email_address', 'c' || i || '@big.example', "
        "'$.is_active', json(CASE WHEN i % 2 = 0 THEN 'true' ELSE 'false' END), "
        "'$.email_suppression_reason', CASE WHEN i % 5 = 0 THEN 'bounced' END)"
    )
    sql = sa.text(
        f"WITH RECURSIVE n(i) AS (SELECT {BIG_IDS[0]} UNION ALL SELECT i + 1 FROM n WHERE i < {BIG_IDS[-1]}) "
        f"INSERT INTO contacts (id, workspace_id, email_address, _raw, {', '.join(fixed)}) "
        f"SELECT i, :ws, 'c' || i || '@big.example', {raw}, {', '.join(':' + c for c in fixed)} FROM n"
    ).bindparams(
        sa.bindparam("raw", json.dumps(template)),
        sa.bindparam("ws", ELSEWHERE),
        *(sa.bindparam(c, row[c], type_=table.c[c].type) for c in fixed),
    )
    with engine.begin() as conn:
        conn.execute(sql)


def kill_when_filled(cf: Cfsync, db: Path, rows: int) -> int | None:
    """`cfsync db upgrade`, SIGKILLed once its fill of contacts has committed `rows` rows or more (polled
    from another connection); the progress the database then holds."""
    proc = cf.start("db", "upgrade")
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(sqlite3.OperationalError):  # before 0008 has made _backfills
            done = fill_progress(db)
            if done is not None and done >= rows:
                break
        time.sleep(0.002)
    proc.kill()
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "killed while it was filling"
    return fill_progress(db)


def fill_progress(db: Path) -> int | None:
    """Rows of contacts filled so far; None once the fill is done (its _backfills row is gone)."""
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT rows_done FROM _backfills WHERE table_name = 'contacts'").fetchone()
    return None if row is None else row[0]


def test_db_upgrade_killed_while_filling_60k_rows_goes_on_each_time_and_ends_like_the_sandbox(tmp_path):
    sb = Sandbox(SandboxConfig(seed=31, workspaces=1, counts={"contacts": 20, "orders": 10}))
    db = tmp_path / "cfsync.db"
    with serve_in_thread(sb) as url:
        # The previous release's database: the sandbox synced, plus 60k contacts of another workspace, every
        # one with 2026 fields in its _raw and, in its columns, only what revision 0007 has.
        reference = create_engine(f"sqlite:///{tmp_path}/reference.db")
        asyncio.run(app.sync(config_for(url, sb.api_token(0), str(reference.url))))
        engine = create_engine(f"sqlite:///{db}")
        upgrade(engine, "0007")
        copy_as_revision(reference, engine, skip_resources=CATALOG.keys() - OLD_LISTS)
        # Without visits: their rows (contacts__visits, 0011) are made from _raw too, tested in test_visits.
        template = {**sb.records("contacts", workspace_id=sb.workspace_ids(0)[0])[0], "visits": None}
        insert_big(engine, template)
        engine.dispose()

        workdir = tmp_path / "work"
        workdir.mkdir()
        (workdir / "cfsync.toml").write_text(config_text(url, f"sqlite:///{db}"))
        cf = Cfsync(workdir, sb.api_token(0))
        progress = []
        for share in (0.1, 0.4, 0.7):  # of the rows: each kill lands mid-fill, after the one before
            progress.append(kill_when_filled(cf, db, int(share * BIG)))
            with sqlite3.connect(db) as conn:
                # Every revision committed (0008 and any after it); its fill goes on after them.
                assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
                    head_revision(),
                )
                assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert all(p is not None and 0 < p < BIG for p in progress), progress
        assert progress == sorted(progress), f"each run went on from the last one's progress: {progress}"
        assert progress[0] < int(0.4 * BIG) <= progress[1], "the second run did not start over"

        code, _out, err = cf.run("db", "upgrade")
        assert code == 0, err
        assert fill_progress(db) is None
        assert "event=backfill_finished table=contacts" in err
        code, _out, err = cf.run("sync")
        assert code == 0, err

    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        got = conn.execute(
            sa.text(
                "SELECT id, is_active, email_suppression_reason FROM contacts WHERE workspace_id = :ws "
                "ORDER BY id"
            ),
            {"ws": ELSEWHERE},
        ).all()
        want = [(i, int(i % 2 == 0), "bounced" if i % 5 == 0 else None) for i in BIG_IDS]
        assert [tuple(r) for r in got] == want, "every row filled from its own _raw"
        conn.execute(sa.text("DELETE FROM contacts WHERE workspace_id = :ws"), {"ws": ELSEWHERE})
    live = db_snapshot(engine)
    assert live == sandbox_snapshot(sb)
    engine.dispose()
    reference.dispose()

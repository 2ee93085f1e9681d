"""The store on SQLite and PostgreSQL: migrations, idempotent upserts, page + cursor atomicity."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cfsync.engine.ports import PageWrite, Partition, PartitionKey, Reject, RunSummary, WriteResult
from cfsync.resources.catalog import CATALOG
from cfsync.resources.transform import to_rows
from cfsync.store import Store, current_revision, head_revision, metadata
from cfsync.store.locks import AdvisoryClaims, RunLock, run_alive, run_lock_path
from cfsync.store.migrate import newest_revision
from cfsync.store.schema import sync_runs

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CONTACTS = Partition(PartitionKey("default", "contacts", 5, 5), CATALOG["contacts"])


def contact(i: int, name: str = "Ann", tags: int = 1) -> dict:
    return {
        "id": i,
        "workspace_id": 5,
        "first_name": name,
        "email_address": f"c{i}@example.com",
        "updated_at": "2024-01-01T00:00:00.000Z",
        "tags": [{"id": 100 + t, "name": f"t{t}", "color": "red"} for t in range(tags)],
    }


def page(records: list[dict], cursor: str | None, at: datetime = T0, rejects=()) -> PageWrite:
    rows = [to_rows(CONTACTS.resource, r, CONTACTS.scope, at) for r in records]
    return PageWrite(CONTACTS, rows, list(rejects), cursor, run_id=1, written_at=at)


def table_rows(store: Store, name: str) -> list[dict]:
    table = metadata.tables[name]
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(*table.primary_key.columns))]


def test_migrations_at_head_equal_the_models(store):
    assert current_revision(store.engine) == head_revision()
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, metadata) == []


def test_upgrade_twice_is_harmless(store):
    store.migrate()
    assert current_revision(store.engine) == head_revision()


def test_the_head_named_by_the_revision_files_is_alembics():
    assert newest_revision() == head_revision()


def test_upgrade_at_the_head_still_recreates_a_stale_model(store):
    """The at-head path skips alembic, not the models: a view out of date is created again."""
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE _models SET digest = 'stale' WHERE name = 'subscriptions'"))
        conn.execute(sa.text("DROP VIEW mrr_monthly"))
    store.migrate()
    with store.engine.connect() as conn:
        digests = dict(conn.execute(sa.text("SELECT name, digest FROM _models")).all())
        assert conn.scalar(sa.text("SELECT count(*) FROM mrr_monthly")) == 0
    assert "stale" not in digests.values()
    assert current_revision(store.engine) == head_revision()


def test_same_page_twice_changes_nothing(store):
    first = store.write_page(page([contact(1), contact(2, tags=2)], "2"))
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    before = table_rows(store, "contacts"), table_rows(store, "contacts__tags")
    second = store.write_page(page([contact(1), contact(2, tags=2)], "2", at=T0 + timedelta(hours=1)))
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 2)
    assert (table_rows(store, "contacts"), table_rows(store, "contacts__tags")) == before
    assert before[0][0]["_synced_at"] == T0
    assert len(before[1]) == 3


def test_changed_record_is_updated_and_its_children_replaced(store):
    store.write_page(page([contact(1, tags=3)], "1"))
    result = store.write_page(page([contact(1, name="Bea", tags=1)], "1", at=T0 + timedelta(minutes=5)))
    assert (result.inserted, result.updated) == (0, 1)
    [row] = table_rows(store, "contacts")
    assert row["first_name"] == "Bea"
    assert row["_synced_at"] == T0 + timedelta(minutes=5)
    assert [t["name"] for t in table_rows(store, "contacts__tags")] == ["t0"]


def test_a_deleted_record_takes_only_its_own_child_rows_with_it(store):
    store.write_page(page([contact(1, tags=2), contact(2, tags=3)], "2"))
    assert store.mark_deleted(CONTACTS.resource, [1], T0 + timedelta(hours=1)) == 1
    tags = table_rows(store, "contacts__tags")
    live = sorted((t["contact_id"], t["_position"]) for t in tags if t["_deleted_at"] is None)
    gone = sorted((t["contact_id"], t["_position"]) for t in tags if t["_deleted_at"] is not None)
    assert live == [(2, 0), (2, 1), (2, 2)], "another contact's tags stay live"
    assert gone == [(1, 0), (1, 1)]


def test_an_older_copy_never_replaces_a_newer_row(store):
    """A page fetched before a webhook wrote a newer copy of a record commits after it: the page's copy is
    stale and left out; a later copy replaces the row as usual."""
    newer = {**contact(1, name="Webhook"), "updated_at": "2024-01-02T00:00:00.000Z"}
    store.upsert(CONTACTS.resource, [to_rows(CONTACTS.resource, newer, CONTACTS.scope, T0)])
    stale = store.write_page(page([contact(1, name="Page")], "1", at=T0 + timedelta(minutes=1)))
    assert (stale.inserted, stale.updated, stale.unchanged) == (0, 0, 1)
    [row] = table_rows(store, "contacts")
    assert (row["first_name"], row["_synced_at"]) == ("Webhook", T0)
    later = {**contact(1, name="Later"), "updated_at": "2024-01-03T00:00:00.000Z"}
    result = store.write_page(page([later], "1", at=T0 + timedelta(minutes=2)))
    assert result.updated == 1
    assert table_rows(store, "contacts")[0]["first_name"] == "Later"


def test_raw_keeps_what_orjson_cannot_write(store):
    """`_raw` is written by orjson, and by the standard library where orjson refuses (beyond 64 bits)."""
    huge = {**contact(1), "lifetime_points": 2**70, "note": "caf\u00e9"}
    store.write_page(page([huge, contact(2)], "2"))
    raws = [row["_raw"] for row in table_rows(store, "contacts")]
    assert raws[0] == huge
    assert raws[1] == contact(2)


def test_page_and_cursor_commit_together(store):
    store.write_page(page([contact(1)], "1"))
    assert store.partition_state(CONTACTS.key).cursor == "1"
    broken = page([contact(2), contact(3)], "3")
    broken.records[1].row["_raw"] = None  # NOT NULL: the database refuses the second row
    with pytest.raises(sa.exc.IntegrityError):
        store.write_page(broken)
    assert store.partition_state(CONTACTS.key).cursor == "1"
    assert [r["id"] for r in table_rows(store, "contacts")] == [1]


def test_a_statement_failing_after_the_rows_leaves_neither_rows_nor_cursor(store):
    """The rows, the rejects, the sweep staging, the segments and the cursor are one transaction: a
    failure after the rows are written (here the reject's insert) takes the rows back too."""
    store.write_page(page([contact(1)], "1"))
    bad_reject = Reject("9", None, {"id": 9})  # type: ignore[arg-type]  # reason is NOT NULL
    with pytest.raises(sa.exc.IntegrityError):
        store.write_page(page([contact(2), contact(3, tags=2)], "3", rejects=[bad_reject]))
    assert store.partition_state(CONTACTS.key).cursor == "1"
    assert [r["id"] for r in table_rows(store, "contacts")] == [1]
    assert [r["contact_id"] for r in table_rows(store, "contacts__tags")] == [1]
    assert table_rows(store, "_rejects") == []


def test_rejects_are_kept_with_their_reason(store):
    bad = {"id": "oops", "first_name": "X"}
    result = store.write_page(
        page([contact(1)], "1", rejects=[Reject("oops", "id: 'oops' is not an integer", bad)])
    )
    assert result.rejected == 1
    [row] = table_rows(store, "_rejects")
    assert row["raw"] == bad
    assert row["resource"] == "contacts"
    assert row["reason"].startswith("id:")


def test_partition_state_and_parent_ids(store):
    courses = Partition(PartitionKey("default", "courses", 5, 5), CATALOG["courses"])
    rows = [to_rows(courses.resource, {"id": i, "title": "c"}, courses.scope, T0) for i in (30, 31)]
    store.write_page(PageWrite(courses, rows, [], "31", 1, T0))
    other = Partition(PartitionKey("default", "courses", 6, 6), CATALOG["courses"])
    store.write_page(
        PageWrite(other, [to_rows(other.resource, {"id": 40}, other.scope, T0)], [], "40", 1, T0)
    )
    assert store.parent_ids(courses) == [30, 31]
    store.finish_partition(courses.key, 1, None)
    store.finish_partition(other.key, 1, "HTTP 403: plan")
    states = {
        (r["workspace_id"], r["status"], r["rows"], r["cursor"]) for r in table_rows(store, "sync_state")
    }
    assert states == {(5, "ok", 2, "31"), (6, "failed", 1, "40")}
    store.begin_sweep(courses.key, 2, T0)
    state = store.partition_state(courses.key)
    assert (state.cursor, state.sweep_started_at) == (None, T0)


def test_runs_are_recorded(store):
    run_id = store.start_run(["contacts"], full_refresh=False)
    summary = RunSummary(
        run_id=run_id,
        status="partial",
        requests=7,
        partitions=2,
        failures=[("default/contacts workspace=5", "HTTP 403: no")],
        rows={"contacts": WriteResult(inserted=3)},
    )
    store.finish_run(summary)
    [run] = table_rows(store, "sync_runs")
    assert run["status"] == "partial"
    assert run["requests"] == 7
    assert run["failed_partitions"] == 1
    assert run["rows"]["contacts"]["inserted"] == 3
    assert run["finished_at"] is not None


def test_sqlite_runs_in_wal_mode(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path}/w.db")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.close()


def test_a_killed_run_is_abandoned_while_another_live_process_holds_the_lock(store, db_url):
    """Judged while a live run holds the lock (SQLite: the run lock file, held by this process; PostgreSQL:
    the live run's own advisory lock), a run whose process was killed is abandoned, the live one is not."""
    with subprocess.Popen(["true"]) as gone:
        gone.wait()  # its pid: a process that has ended, as a killed run's has
    killed = store.start_run(["contacts"], False)
    with store.engine.begin() as conn:
        conn.execute(sa.update(sync_runs).where(sync_runs.c.id == killed).values(pid=gone.pid))
    live = store.start_run(["contacts"], False)  # recorded with this process's pid
    lock_path = run_lock_path(db_url)
    holder = RunLock(lock_path) if lock_path is not None else None
    claims = AdvisoryClaims(store.engine) if lock_path is None else None
    if holder is not None:
        holder.acquire()
    if claims is not None:
        claims.join(live)
    try:
        assert store.abandon_dead_runs(run_alive(store.engine, lock_path)) == [killed]
    finally:
        if holder is not None:
            holder.release()
        if claims is not None:
            claims.close()
    with store.engine.connect() as conn:
        found = dict(conn.execute(sa.select(sync_runs.c.id, sync_runs.c.status)).all())
    assert found == {killed: "abandoned", live: "running"}

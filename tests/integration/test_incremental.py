"""Incremental runs on SQLite and PostgreSQL: updates, deletes (event log, full sweeps), schedules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from cfsync import app
from cfsync.sandbox import Sandbox, SandboxConfig
from cfsync.store.schema import metadata, rejects, sweep_misses, sync_state

from .helpers import db_snapshot, sandbox_snapshot

COUNTS = {"contacts": 45, "orders": 12, "products": 5, "courses": 2, "courses_enrollments": 6}
SMALL = ("contacts", "products", "courses_enrollments", "webhooks_outgoing_events")
NO_EVENTS = ("contacts", "products", "courses_enrollments")


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(SandboxConfig(seed=21, workspaces=2, counts=COUNTS))


def with_sync(config, **changes):
    return replace(config, sync=replace(config.sync, **changes))


def live(engine, name):
    return db_snapshot(engine)[name]


def all_rows(engine, name):
    table = metadata.tables[name]
    with engine.connect() as conn:
        return {r.id: r for r in conn.execute(sa.select(table))}


async def test_updates_are_found_by_the_updated_at_sweep(sb, config, engine):
    await app.sync(config, SMALL)
    ws = sb.workspace_ids(0)[0]
    contacts = sb.records("contacts", workspace_id=ws)
    for contact in (contacts[0], contacts[21], contacts[-1]):  # first, middle and last pages
        sb.update("contacts", contact["id"], {"first_name": "Changed"})
    product = sb.records("products", workspace_id=ws)[2]
    sb.update("products", product["id"], {"name": "Renamed product"})
    enrollment = sb.records("courses_enrollments", workspace_id=ws)[0]
    sb.update("courses_enrollments", enrollment["id"], {"suspended": True})

    summary = await app.sync(config, SMALL)

    assert summary.rows["contacts"].updated == 3
    assert summary.rows["products"].updated == 1
    # The changed enrollment, and those of its course (walked: an event named it) whose embedded contact
    # (2026) is one of the changed contacts: the API shows the contact as it is now.
    changed = {contacts[i]["id"] for i in (0, 21, -1)}
    course = sb.records("courses_enrollments", parent_id=enrollment["course_id"])
    embeds = [e for e in course if e["id"] != enrollment["id"] and e["contact_id"] in changed]
    assert summary.rows["courses_enrollments"].updated == 1 + len(embeds)
    expected = sandbox_snapshot(sb, names=SMALL)
    snapshot = db_snapshot(engine)
    for name in SMALL:
        assert snapshot[name] == expected[name], name
    assert all_rows(engine, "products")[product["id"]].name == "Renamed product"
    with engine.connect() as conn:
        watermarks = conn.execute(
            sa.select(sync_state.c.watermark).where(sync_state.c.resource == "contacts")
        )
        assert all(w is not None for (w,) in watermarks)


async def test_deletes_from_the_event_log_on_every_run(sb, config, engine):
    await app.sync(config, SMALL)
    ws = sb.workspace_ids(0)[0]
    contact = sb.records("contacts", workspace_id=ws)[3]
    enrollment = sb.records("courses_enrollments", workspace_id=ws)[1]
    sb.delete("contacts", contact["id"])
    sb.delete("courses_enrollments", enrollment["id"])

    summary = await app.sync(config, SMALL)

    assert summary.rows["contacts"].deleted == 1
    assert summary.rows["courses_enrollments"].deleted == 1
    rows = all_rows(engine, "contacts")
    assert rows[contact["id"]]._deleted_at is not None
    with engine.connect() as conn:
        tags = metadata.tables["contacts__tags"]
        left = conn.scalars(sa.select(tags.c._deleted_at).where(tags.c.contact_id == contact["id"])).all()
    assert left
    assert all(t is not None for t in left)
    assert live(engine, "contacts") == sandbox_snapshot(sb, names=SMALL)["contacts"]
    assert enrollment["id"] not in live(engine, "courses_enrollments")


async def test_hard_deletes_remove_the_rows(sb, config, engine):
    config = with_sync(config, deletes="hard")
    await app.sync(config, SMALL)
    contact = sb.records("contacts", workspace_id=sb.workspace_ids(0)[0])[0]
    sb.delete("contacts", contact["id"])
    await app.sync(config, SMALL)
    assert contact["id"] not in all_rows(engine, "contacts")
    with engine.connect() as conn:
        tags = metadata.tables["contacts__tags"]
        assert conn.scalar(sa.select(sa.func.count()).where(tags.c.contact_id == contact["id"])) == 0


async def test_a_full_sweep_finds_deletes_the_event_log_does_not_show(sb, config, engine):
    await app.sync(config, NO_EVENTS)
    ws = sb.workspace_ids(0)[0]
    contacts = sb.records("contacts", workspace_id=ws)
    gone = [contacts[0]["id"], contacts[20]["id"], contacts[-1]["id"]]  # first, middle, last id of the list
    for contact_id in gone:
        sb.delete("contacts", contact_id)

    incremental = await app.sync(config, NO_EVENTS)
    assert incremental.rows["contacts"].deleted == 0  # lists never show hard deletes

    full = await app.sync(config, NO_EVENTS, full_refresh=True)
    assert full.rows["contacts"].deleted == 3
    rows = all_rows(engine, "contacts")
    assert all(rows[i]._deleted_at is not None for i in gone)
    assert live(engine, "contacts") == sandbox_snapshot(sb, names=NO_EVENTS)["contacts"]
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(sweep_misses)) == 0
        deleted = conn.execute(
            sa.select(sync_state.c.deleted).where(
                sync_state.c.resource == "contacts", sync_state.c.workspace_id == ws
            )
        ).scalar()
    assert deleted == 3


async def test_a_sweep_that_fails_part_way_marks_nothing_and_resumes(sb, config, engine):
    await app.sync(config, ("contacts",))
    ws = sb.workspace_ids(0)[0]
    contacts = sb.records("contacts", workspace_id=ws)
    sb.delete("contacts", contacts[2]["id"])
    sb.delete("contacts", contacts[-1]["id"])
    # The sweep's first page goes through; the second fails for good.
    sb.faults.fail_next("500", times=50, method="GET", path=f"^/workspaces/{ws}/contacts$", skip=1)
    no_retries = replace(config, accounts=(replace(config.api, max_retries=0),))

    summary = await app.sync(no_retries, ("contacts",), full_refresh=True)

    assert summary.status == "partial"
    assert all(r._deleted_at is None for r in all_rows(engine, "contacts").values()), (
        "a cut sweep removes nothing"
    )
    with engine.connect() as conn:
        state = conn.execute(
            sa.select(sync_state).where(sync_state.c.resource == "contacts", sync_state.c.workspace_id == ws)
        ).one()
        staged = conn.scalar(sa.select(sa.func.count()).select_from(sweep_misses))
    assert state.sweep_started_at is not None
    assert staged == 1  # contacts[2] was in the first page's range

    sb.faults.clear()
    resumed = await app.sync(config, ("contacts",))  # not --full: the sweep under way continues
    assert resumed.rows["contacts"].deleted == 2
    assert live(engine, "contacts") == sandbox_snapshot(sb, names=("contacts",))["contacts"]


async def test_full_refresh_every_schedules_sweeps(sb, config, engine):
    config = with_sync(config, full_refresh_every=timedelta(days=7))
    await app.sync(config, NO_EVENTS)
    sb.delete("contacts", sb.records("contacts", workspace_id=sb.workspace_ids(0)[0])[5]["id"])
    assert (await app.sync(config, NO_EVENTS)).rows["contacts"].deleted == 0  # swept less than 7 days ago
    with engine.begin() as conn:
        conn.execute(sa.update(sync_state).values(last_full_sweep_at=datetime.now(UTC) - timedelta(days=8)))
    assert (await app.sync(config, NO_EVENTS)).rows["contacts"].deleted == 1


async def test_a_record_that_does_not_fit_goes_to_rejects(sb, config, engine):
    ws = sb.workspace_ids(0)[0]
    contacts = sb.records("contacts", workspace_id=ws)
    sb.corrupt("contacts", contacts[4]["id"], {"created_at": "not a time"})
    sb.corrupt("contacts", contacts[5]["id"], {"brand_new_field": {"x": 1}})
    summary = await app.sync(config, ("contacts",))
    assert summary.status == "succeeded"
    assert summary.rows["contacts"].rejected == 1
    with engine.connect() as conn:
        [row] = conn.execute(sa.select(rejects)).all()
    assert row.record_id == str(contacts[4]["id"])
    assert "created_at" in row.reason
    assert row.raw["created_at"] == "not a time"
    rows = all_rows(engine, "contacts")
    assert contacts[4]["id"] not in rows
    assert rows[contacts[5]["id"]]._raw["brand_new_field"] == {"x": 1}, "unknown fields are kept in _raw"
    in_workspace = [r for r in live(engine, "contacts").values() if r["workspace_id"] == ws]
    assert len(in_workspace) == len(sb.records("contacts", workspace_id=ws)) - 1

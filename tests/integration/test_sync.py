"""End to end on SQLite and PostgreSQL: the sandbox over a real socket, the sync, the database."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from cfsync import app
from cfsync.resources.catalog import CATALOG
from cfsync.sandbox import Sandbox, SandboxConfig
from cfsync.store.schema import metadata, sync_runs, sync_state

from .helpers import child_items, db_snapshot, dump_tables, sandbox_partitions, sandbox_snapshot

EVERY_RESOURCE = tuple(CATALOG)
COUNTS = {
    "contacts": 45,
    "orders": 25,
    "courses": 3,
    "courses_enrollments": 21,
    "forms": 2,
    "forms_submissions": 4,
}


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(SandboxConfig(seed=11, workspaces=2, counts=COUNTS))


def list_requests(sb: Sandbox) -> list[str]:
    return [r.api_path for r in sb.requests if r.method == "GET"]


async def test_full_sync_equals_the_sandbox_row_for_row(sb, config, engine):
    summary = await app.sync(config, EVERY_RESOURCE)
    assert summary.status == "succeeded", summary.failures
    expected = sandbox_snapshot(sb, names=EVERY_RESOURCE)
    assert all(expected[name] for name in CATALOG), "every resource has data in the sandbox"
    assert db_snapshot(engine) == expected
    with engine.connect() as conn:
        for resource in CATALOG.values():
            for child in resource.children:
                count = conn.scalar(sa.select(sa.func.count()).select_from(metadata.tables[child.name]))
                assert count == sum(
                    len(child_items(r, child.field)) for r in expected[resource.name].values()
                )
                assert count, f"{child.name} is empty"

    # Typed columns, checked against the records themselves (not against cfsync's transform).
    contacts, orders, line_items, tags = (
        metadata.tables[n] for n in ("contacts", "orders", "orders__line_items", "contacts__tags")
    )
    with engine.connect() as conn:
        for record in expected["orders"].values():
            row = conn.execute(sa.select(orders).where(orders.c.id == record["id"])).one()
            assert row.total_amount == (Decimal(record["total_amount"]) if record["total_amount"] else None)
            assert row.contact_id == record["contact_id"]
            assert row.created_at == datetime.fromisoformat(record["created_at"])
            assert row.created_at.utcoffset().total_seconds() == 0
            assert row.contact == record["contact"]
            items = conn.execute(
                sa.select(line_items.c.id, line_items.c.quantity)
                .where(line_items.c.order_id == record["id"])
                .order_by(line_items.c._position)
            ).all()
            assert [tuple(i) for i in items] == [(li["id"], li["quantity"]) for li in record["line_items"]]
        tag_rows = conn.execute(sa.select(sa.func.count()).select_from(tags)).scalar()
        assert tag_rows == sum(len(c["tags"]) for c in expected["contacts"].values())
        emails = dict(conn.execute(sa.select(contacts.c.id, contacts.c.email_address)).all())
        assert emails == {i: c["email_address"] for i, c in expected["contacts"].items()}
        # Courses carry no workspace_id in the API: the sync adds it from the list they came from.
        courses = metadata.tables["courses"]
        by_workspace = Counter(conn.execute(sa.select(courses.c.workspace_id)).scalars())
        assert by_workspace == {ws: COUNTS["courses"] for ws in sb.workspace_ids(0)}
        enrollments = metadata.tables["courses_enrollments"]
        assert (
            conn.execute(sa.select(sa.func.count()).where(enrollments.c.workspace_id.is_(None))).scalar() == 0
        )


async def test_rerun_with_nothing_new_costs_one_page_per_list_and_nothing_under_quiet_parents(
    sb, config, engine
):
    first = await app.sync(config)
    before = dump_tables(engine)
    with engine.connect() as conn:
        states = {(r.resource, r.parent_id): r.cursor for r in conn.execute(sa.select(sync_state))}
    sb.requests.clear()

    second = await app.sync(config)

    assert second.status == "succeeded"
    partitions = sandbox_partitions(sb)
    assert first.partitions == len(partitions) == len(states)
    # Nested lists (prices under products, enrollments under courses...) are walked again only under
    # parents that changed, are new, or an event named; here none did.
    walked = [(n, p) for n, p in partitions if not CATALOG[n].nested]
    assert second.partitions == len(walked) < len(partitions)
    by_id = [r for r in sb.requests if r.query.get("sort_property") != "updated_at"]
    by_updated = [r for r in sb.requests if r.query.get("sort_property") == "updated_at"]
    # A list with updated_at costs its first updated_at page (a new record's updated_at is no older than
    # its creation, so that page finds new records too); the event log, one id page after the saved cursor;
    # a list with no updated_at order (domains, refine filters), its one page read whole from the start.
    swept = [(n, p) for n, p in walked if CATALOG[n].by_updates]
    whole = [(n, p) for n, p in walked if not CATALOG[n].by_updates and not CATALOG[n].append_only]
    assert {n for n, _ in whole} == {"domains", "refine_filters"}
    assert Counter(r.api_path for r in by_updated) == Counter(
        CATALOG[n].list_path(p or None) for n, p in swept
    )
    assert all(r.query.get("sort_order") == "desc" and "after" not in r.query for r in by_updated)
    assert Counter(r.api_path for r in by_id) == Counter(
        CATALOG[n].list_path(p or None) for n, p in walked if (n, p) not in swept
    )
    read_whole = {CATALOG[n].list_path(p or None) for n, p in whole}
    for r in by_id:
        after = None if r.api_path in read_whole else states[_state_key(r.api_path, partitions)]
        assert r.query.get("after") == after, r.api_path
    assert all(r.status == 200 for r in sb.requests)
    assert dump_tables(engine) == before
    assert sum(r.inserted + r.updated + r.deleted for r in second.rows.values()) == 0


def _state_key(path: str, partitions) -> tuple[str, int]:
    return next((n, p) for n, p in partitions if CATALOG[n].list_path(p or None) == path)


async def test_records_created_between_runs_appear(sb, config, engine):
    await app.sync(config)
    ws = sb.workspace_ids(0)[1]
    new_contact = sb.create(
        "contacts", {"email_address": "new.person@example.com", "first_name": "New"}, workspace_id=ws
    )
    course_id = sb.records("courses", workspace_id=ws)[0]["id"]
    new_enrollment = sb.create("courses_enrollments", {"contact_id": new_contact["id"]}, parent_id=course_id)
    new_course = sb.create("courses", {"title": "Brand new course"}, workspace_id=ws)
    first_enrollment = sb.create(
        "courses_enrollments", {"contact_id": new_contact["id"]}, parent_id=new_course["id"]
    )

    summary = await app.sync(config)

    assert summary.status == "succeeded"
    assert summary.rows["contacts"].inserted == 1
    assert summary.rows["courses_enrollments"].inserted == 2
    snapshot = db_snapshot(engine)
    assert snapshot == sandbox_snapshot(sb)
    assert snapshot["contacts"][new_contact["id"]]["first_name"] == "New"
    assert {new_enrollment["id"], first_enrollment["id"]} <= set(snapshot["courses_enrollments"])


async def test_full_refresh_walks_everything_again(sb, config, engine):
    first = await app.sync(config)
    sb.requests.clear()
    again = await app.sync(config, full_refresh=True)
    assert again.requests == first.requests
    assert not any(r.query.get("after") for r in list(sb.requests)[:1])
    assert sum(r.unchanged for r in again.rows.values()) == sum(r.inserted for r in first.rows.values())
    assert db_snapshot(engine) == sandbox_snapshot(sb)


async def test_resource_and_workspace_selection(sb, config, engine):
    ws = sb.workspace_ids(0)[0]
    summary = await app.sync(config, ["courses_enrollments"], [ws])
    assert set(summary.rows) == {"teams", "workspaces", "courses", "courses_enrollments"}
    snapshot = db_snapshot(engine)
    assert snapshot["contacts"] == {}
    expected = sandbox_snapshot(sb)
    assert set(snapshot["courses"]) == {
        i
        for i, c in expected["courses"].items()
        if c["id"] in {r["id"] for r in sb.records("courses", workspace_id=ws)}
    }


async def test_a_failing_partition_does_not_stop_the_others(sb, config, engine):
    sb.faults.forbid(r"/images$")
    summary = await app.sync(config)
    assert summary.status == "partial"
    assert len(summary.failures) == 2  # one images partition per workspace
    assert all("HTTP 403" in error for _, error in summary.failures)
    snapshot = db_snapshot(engine)
    assert snapshot["images"] == {}
    assert snapshot["contacts"] == sandbox_snapshot(sb)["contacts"]
    with engine.connect() as conn:
        run = conn.execute(sa.select(sync_runs)).one()
        failed = conn.execute(sa.select(sync_state).where(sync_state.c.status == "failed")).all()
    assert (run.status, run.failed_partitions) == ("partial", 2)
    assert {f.resource for f in failed} == {"images"}
    assert all("403" in f.last_error for f in failed)

    sb.faults.clear()
    assert (await app.sync(config)).status == "succeeded"
    assert db_snapshot(engine) == sandbox_snapshot(sb)


async def test_transient_errors_are_retried(sb, config, engine):
    sb.faults.fail_next("502", times=2, path="/contacts")
    sb.faults.fail_next("429", times=1, path="/orders")
    sb.faults.fail_next("reset", times=1, path="/products")
    summary = await app.sync(config)
    assert summary.status == "succeeded"
    assert sorted(r.status for r in sb.requests if r.status != 200) == [0, 429, 502, 502]
    # aiohttp itself resends an idempotent request once when a reused connection was reset.
    assert summary.retries in (3, 4)
    assert summary.rate_limited == 1
    assert db_snapshot(engine) == sandbox_snapshot(sb)


async def test_expensive_fan_outs_walk_only_changed_parents(sb, config, engine):
    names = ["contacts_applied_tags"]
    first = await app.sync(config, names)
    assert first.rows["contacts_applied_tags"].inserted == len(
        sandbox_snapshot(sb, names=("contacts_applied_tags",))["contacts_applied_tags"]
    )
    sb.requests.clear()
    second = await app.sync(config, names)
    assert not any("/applied_tags" in path for path in list_requests(sb)), "no contact changed: no walk"
    assert second.partitions == 1 + 1 + 2  # teams, workspaces, contacts x2 workspaces

    ws = sb.workspace_ids(0)[0]
    tag = sb.records("contacts_tags", workspace_id=ws)[0]
    contact = sb.create("contacts", {"email_address": "fan@example.com"}, workspace_id=ws)
    sb.create("contacts_applied_tags", {"tag_id": tag["id"]}, parent_id=contact["id"])
    sb.requests.clear()
    third = await app.sync(config, names)
    assert [p for p in list_requests(sb) if "/applied_tags" in p] == [
        f"/contacts/{contact['id']}/applied_tags"
    ]
    assert third.rows["contacts_applied_tags"].inserted == 1
    assert (
        db_snapshot(engine)["contacts_applied_tags"]
        == sandbox_snapshot(sb, names=tuple(names))["contacts_applied_tags"]
    )
    # --full walks every parent again.
    sb.requests.clear()
    await app.sync(config, names, full_refresh=True)
    walked = {p for p in list_requests(sb) if "/applied_tags" in p}
    assert len(walked) == len(sandbox_snapshot(sb, names=("contacts",))["contacts"])

"""Incremental runs walk a nested list (prices per product, lessons per section...) only under the parents
with evidence of change: new, changed, named by the workspace's event log or a webhook (an event that names
no parent names them all), and the others once per [sync].revisit_every, a few at a time. On SQLite and
PostgreSQL, against the sandbox on a socket; what was walked is read from the sandbox's request log."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cfsync import app
from cfsync.config import Config, parse_config
from cfsync.engine.ports import Partition, PartitionKey
from cfsync.engine.sync import NullReporter
from cfsync.resources.catalog import CATALOG
from cfsync.sandbox import Sandbox, SandboxConfig, SandboxServer
from cfsync.store import Store
from cfsync.store.schema import metadata, sync_state

from .helpers import db_snapshot, sandbox_snapshot

TOKEN_ENV = "CF_DUE_TOKEN"
COUNTS = {"contacts": 10, "orders": 5, "products": 5, "courses": 6, "courses_enrollments": 4, "forms": 3}


def config_for(url: str, token: str, db_url: str, **sync: Any) -> Config:
    api = {"mode": "direct", "base_url": url, "api_key_env": TOKEN_ENV, "requests_per_second": 1000}
    sync = {"stats_days": 0, **sync}  # statistics cost requests of their own (test_stats_sync.py)
    return parse_config({"api": api, "database": {"url": db_url}, "sync": sync}, {TOKEN_ENV: token})


def walked(sb: Sandbox, resource: str) -> Counter[int]:
    """The parents `resource` was listed under, from the sandbox's request log (each list's pages)."""
    prefix, _, suffix = CATALOG[resource].list_path(0).partition("/0/")
    found: Counter[int] = Counter()
    for r in sb.requests:
        path = r.api_path
        if r.method == "GET" and path.startswith(prefix + "/") and path.endswith("/" + suffix):
            middle = path[len(prefix) + 1 : -len(suffix) - 1]
            if middle.isdigit():
                found[int(middle)] += 1
    return found


async def test_changes_are_looked_for_under_the_parents_events_name(db_url):
    sb = Sandbox(SandboxConfig(seed=21, workspaces=2, counts=COUNTS))
    ws, other = sb.workspace_ids(0)
    async with SandboxServer(sb) as server:
        # No overlap: an event counts for a parent's list only if it came after the list's last walk began
        # (the default, 10 minutes, allows for the API's clock and its replicas: a change made a moment
        # before a walk is looked for again in the next run).
        config = config_for(server.url, sb.api_token(0), db_url, overlap_minutes=0)
        assert (await app.sync(config)).status == "succeeded"
        engine = sa.create_engine(db_url)
        try:
            # A price (its record does not carry product_id: placed by its stored row), a form field two
            # levels below its form, and a lesson completion the database has never seen (placed nowhere:
            # every course of its workspace is looked at).
            product = sb.records("products", workspace_id=ws)[1]
            price = sb.records("products_prices", parent_id=product["id"])[0]
            sb.update("products_prices", price["id"], {"amount": "123.45"})
            form = sb.records("forms", workspace_id=ws)[0]
            field_set = sb.records("forms_field_sets", parent_id=form["id"])[0]
            field = sb.records("forms_fields", parent_id=field_set["id"])[0]
            sb.update("forms_fields", field["id"], {"label": "Changed label"})
            course = sb.records("courses", workspace_id=ws)[2]
            enrollment = sb.records("courses_enrollments", parent_id=course["id"])[0]
            section = sb.records("courses_sections", parent_id=course["id"])[0]
            lesson = sb.records("courses_lessons", parent_id=section["id"])[0]
            sb.create(
                "courses_lesson_completions",
                {"enrollment_id": enrollment["id"], "lesson_id": lesson["id"], "completed_at": "2026-11-01"},
                parent_id=course["id"],
            )  # fmt: skip
            sb.requests.clear()

            second = await app.sync(config)

            assert second.status == "succeeded"
            assert db_snapshot(engine) == sandbox_snapshot(sb)
            assert set(walked(sb, "products_prices")) == {product["id"]}
            assert set(walked(sb, "forms_fields")) == {field_set["id"]}
            assert walked(sb, "forms_field_sets") == Counter(), "looked into, not walked"
            assert set(walked(sb, "courses_lesson_completions")) == {
                c["id"] for c in sb.records("courses", workspace_id=ws)
            }
            assert walked(sb, "courses_enrollments") == Counter()
            assert walked(sb, "courses_sections") == Counter()

            # Nothing new since: the next run walks no nested list at all.
            sb.requests.clear()
            third = await app.sync(config)
            nested = [name for name, r in CATALOG.items() if r.nested]
            assert {name: walked(sb, name) for name in nested if walked(sb, name)} == {}
            assert sum(r.inserted + r.updated + r.deleted for r in third.rows.values()) == 0
            assert other  # the second workspace was synced all along
        finally:
            engine.dispose()


async def test_without_events_a_change_waits_for_its_parents_revisit(db_url):
    """With the event log left out and no webhooks, a change under an unchanged parent is seen when the
    parent's turn comes: the documented staleness, at most revisit_every."""
    sb = Sandbox(SandboxConfig(seed=22, workspaces=1, counts=COUNTS))
    (ws,) = sb.workspace_ids(0)
    async with SandboxServer(sb) as server:
        quiet = {"exclude": ["webhooks_outgoing_events"]}
        config = config_for(server.url, sb.api_token(0), db_url, revisit_every="1h", **quiet)
        assert (await app.sync(config)).status == "succeeded"
        course = sb.records("courses", workspace_id=ws)[0]
        section = sb.records("courses_sections", parent_id=course["id"])[0]
        sb.update("courses_sections", section["id"], {"title": "Renamed quietly"})
        sb.requests.clear()
        await app.sync(config)
        assert walked(sb, "courses_sections") == Counter()
        engine = sa.create_engine(db_url)
        try:
            title = sa.text("SELECT title FROM courses_sections WHERE id = :i")
            with engine.connect() as conn:
                assert conn.scalar(title, {"i": section["id"]}) != "Renamed quietly"
            # Every parent whose last walk is a period old (here: a second) comes due.
            await asyncio.sleep(1.1)
            sb.requests.clear()
            await app.sync(config_for(server.url, sb.api_token(0), db_url, revisit_every="1s", **quiet))
            courses = {c["id"] for c in sb.records("courses", workspace_id=ws)}
            assert set(walked(sb, "courses_sections")) == courses
            with engine.connect() as conn:
                assert conn.scalar(title, {"i": section["id"]}) == "Renamed quietly"
        finally:
            engine.dispose()


async def test_unchanged_parents_come_due_a_few_at_a_time_and_webhooks_name_parents(db_url):
    sb = Sandbox(SandboxConfig(seed=23, workspaces=1, counts={**COUNTS, "courses": 40}))
    (ws,) = sb.workspace_ids(0)
    async with SandboxServer(sb) as server:
        config = config_for(server.url, sb.api_token(0), db_url)
        assert (await app.sync(config)).status == "succeeded"
    store = Store.open(db_url)
    try:
        courses = Partition(PartitionKey("default", "courses", ws, ws), CATALOG["courses"])
        with store.engine.connect() as conn:
            walks = conn.scalars(
                sa.select(sync_state.c.last_success_at).where(sync_state.c.resource == "courses_sections")
            ).all()
        last = max(w if w.tzinfo else w.replace(tzinfo=UTC) for w in walks)
        day = timedelta(days=1)

        def due(after: timedelta, named: dict[int | None, datetime] | None = None) -> list[int]:
            return store.parent_ids(courses, "courses_sections", day, last + after, named)

        every = store.parent_ids(courses)
        assert len(every) == 40
        assert due(timedelta(hours=1)) == []
        halfway = due(day * 0.75)
        assert 10 <= len(halfway) <= 30, "about half the parents come due halfway through the period"
        assert set(due(day * 0.9)) > set(halfway)
        assert due(day) == every
        # A webhook for a section names its course; one that names no course names them all.
        assert due(timedelta(hours=1), {every[3]: last + timedelta(minutes=1)}) == [every[3]]
        assert due(timedelta(hours=1), {every[3]: last - timedelta(minutes=1)}) == []
        assert due(timedelta(hours=1), {None: last + timedelta(minutes=1)}) == every
        section = sb.records("courses_sections", parent_id=every[5])[0]
        hooks = metadata.tables["webhook_events"]
        with store.engine.begin() as conn:
            conn.execute(
                hooks.insert(),
                [
                    _hook(1, "courses/section.updated", ws, section, last + timedelta(minutes=2)),
                    _hook(2, "courses/section.deleted", ws, {"id": 999_999_999}, last + timedelta(minutes=3)),
                ],
            )
        named = store.named_parents("default", ws)["courses_sections"]
        assert named == {every[5]: last + timedelta(minutes=2), None: last + timedelta(minutes=3)}
    finally:
        store.close()


def _hook(n: int, kind: str, ws: int, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {
        "event_id": f"e-{n}",
        "event_type": kind,
        "action": kind.rpartition(".")[2],
        "resource": "courses_sections",
        "record_id": data["id"],
        "workspace_id": ws,
        "created_at": at,
        "received_at": at,
        "payload": {"event_type": kind, "data": data},
    }


async def test_a_nested_list_that_failed_is_walked_again_next_run(db_url):
    sb = Sandbox(SandboxConfig(seed=24, workspaces=1, counts=COUNTS))
    (ws,) = sb.workspace_ids(0)
    async with SandboxServer(sb) as server:
        config = config_for(server.url, sb.api_token(0), db_url, overlap_minutes=0)
        config = replace(config, accounts=(replace(config.accounts[0], max_retries=0),))
        assert (await app.sync(config)).status == "succeeded"
        course = sb.records("courses", workspace_id=ws)[1]
        section = sb.records("courses_sections", parent_id=course["id"])[0]
        sb.update("courses_sections", section["id"], {"title": "Changed while the API failed"})
        sb.faults.fail_next("500", path=f"/courses/{course['id']}/sections$")
        failed = await app.sync(config)
        assert failed.status == "partial"
        assert [where for where, _ in failed.failures] == [
            f"default/courses_sections workspace={ws} parent={course['id']}"
        ]
        sb.requests.clear()
        again = await app.sync(config)
        assert again.status == "succeeded"
        assert set(walked(sb, "courses_sections")) == {course["id"]}
    engine = sa.create_engine(db_url)
    try:
        assert db_snapshot(engine) == sandbox_snapshot(sb)
    finally:
        engine.dispose()


async def test_a_change_made_while_its_list_is_walked_is_due_next_run(db_url):
    """A price changed after the walk of its product's prices read it, before the walk ended: the walk's
    start, not its end, is what its success is dated by, so the event that names the product is after it
    and the next run walks the product's prices again."""
    sb = Sandbox(SandboxConfig(seed=23, workspaces=1, counts=COUNTS))
    (ws,) = sb.workspace_ids(0)
    product = sb.records("products", workspace_id=ws)[0]
    price = sb.records("products_prices", parent_id=product["id"])[0]

    class ChangeDuringTheWalk(NullReporter):
        def page_written(self, partition: Partition, result: Any) -> None:
            if partition.key.resource == "products_prices" and partition.key.parent_id == product["id"]:
                sb.update("products_prices", price["id"], {"amount": "321.00"})

    resources = ["products_prices", "webhooks_outgoing_events"]
    async with SandboxServer(sb) as server:
        config = config_for(server.url, sb.api_token(0), db_url, overlap_minutes=0)
        assert (await app.sync(config, resources, reporter=ChangeDuringTheWalk())).status == "succeeded"
        engine = sa.create_engine(db_url)
        try:
            prices = metadata.tables["products_prices"]
            amount = sa.select(prices.c.amount_cents).where(prices.c.id == price["id"])
            with engine.connect() as conn:
                assert conn.scalar(amount) != 32100, "the walk read the price before it changed"
            sb.requests.clear()
            assert (await app.sync(config, resources)).status == "succeeded"
            assert set(walked(sb, "products_prices")) == {product["id"]}
            with engine.connect() as conn:
                assert conn.scalar(amount) == 32100
        finally:
            engine.dispose()

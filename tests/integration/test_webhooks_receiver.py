"""The receiver over real sockets, on SQLite and PostgreSQL: what it accepts, what it refuses, and that
what it answered 2xx is stored once and applied once."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import sqlalchemy as sa

from cfsync.config import Secret, parse_config
from cfsync.resources.catalog import CATALOG
from cfsync.store import Store
from cfsync.store.webhooks import ApplyPolicy, WebhookEvents
from cfsync.webhooks import Receiver, StoredSecret, save_secret

from .test_webhooks_store import incoming
from .webhook_helpers import (
    SECRET,
    WS,
    contact_event,
    deliver,
    encode,
    events_table,
    receiver_config,
    row,
    signed,
)

# Refusals never reach the database: one database is enough for them.
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def engine(db_url) -> Iterator[sa.Engine]:
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
async def receiver(db_url, tmp_path) -> AsyncIterator[Receiver]:
    async with Receiver(receiver_config(db_url, tmp_path, max_body_bytes=4096), port=0) as rx:
        yield rx


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    handler, logger = Lines(), logging.getLogger("cfsync.webhooks")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(level)


async def test_a_valid_delivery_is_committed_then_applied(receiver, session, engine):
    event = contact_event(1, 1, first_name="Ann")
    answer = await deliver(session, receiver.endpoint_url(), event)
    assert answer.status == 200
    assert answer.body == {"status": "accepted", "event_id": event["event_id"]}
    # Committed before the answer: the row is there whatever the applier has done yet.
    assert [e["event_id"] for e in events_table(engine)] == [event["event_id"]]
    assert await receiver.drained(10)
    assert row(engine, "contacts", 1)["first_name"] == "Ann"
    assert events_table(engine)[0]["status"] == "applied"


@sqlite_only
async def test_forged_deliveries_are_refused_and_never_stored(receiver, session, engine, log_lines):
    url = receiver.endpoint_url()
    event = encode(contact_event(1))
    wrong_secret = await deliver(session, url, event, secret="not-the-secret")
    tampered_headers = signed(event)
    async with session.post(url, data=event.replace(b'"v1"', b'"v9"'), headers=tampered_headers) as r:
        tampered = r.status
    assert (wrong_secret.status, tampered) == (401, 401)
    assert wrong_secret.body == {"error": "signature does not match"}
    assert events_table(engine) == []
    assert receiver.counters()["rejected"] == 2
    assert sum("reason=bad_signature" in line for line in log_lines) == 2
    assert not any(SECRET in line for line in log_lines)


@sqlite_only
@pytest.mark.parametrize(
    ("offset", "status", "reason"),
    [(-601, 401, "stale_timestamp"), (601, 401, "future_timestamp"), (-590, 200, None), (590, 200, None)],
)
async def test_timestamps_far_from_now_are_refused(
    receiver, session, engine, offset, status, reason, log_lines
):
    answer = await deliver(
        session, receiver.endpoint_url(), contact_event(1), timestamp=int(time.time()) + offset
    )
    assert answer.status == status
    assert len(events_table(engine)) == (status == 200)
    if reason:
        assert any(f"reason={reason}" in line for line in log_lines)


@sqlite_only
async def test_the_tolerance_is_configurable(db_url, tmp_path, session):
    async with Receiver(receiver_config(db_url, tmp_path, tolerance_seconds=30), port=0) as rx:
        old = int(time.time()) - 60
        assert (await deliver(session, rx.endpoint_url(), contact_event(1), timestamp=old)).status == 401


@sqlite_only
@pytest.mark.parametrize("missing", ["X-Webhook-ClickFunnels-Signature", "X-Webhook-ClickFunnels-Timestamp"])
async def test_unsigned_deliveries_are_refused(receiver, session, engine, missing):
    body = encode(contact_event(1))
    headers = {k: v for k, v in signed(body).items() if k != missing}
    async with session.post(receiver.endpoint_url(), data=body, headers=headers) as r:
        assert r.status == 401
    bad_ts = {**signed(body), "X-Webhook-ClickFunnels-Timestamp": "yesterday"}
    async with session.post(receiver.endpoint_url(), data=body, headers=bad_ts) as r:
        assert r.status == 401
    assert events_table(engine) == []


@sqlite_only
async def test_bodies_over_the_limit_are_refused_unread(receiver, session, engine):
    big = contact_event(1)
    big["data"]["notes"] = "x" * 5000
    body = encode(big)
    answer = await deliver(session, receiver.endpoint_url(), body)
    assert answer.status == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: refused while reading
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    async with session.post(receiver.endpoint_url(), data=chunks(), headers=signed(body)) as r:
        assert r.status == 413
    assert events_table(engine) == []


@sqlite_only
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: b"{not json", "the body is not JSON"),
        (lambda e: b"[1, 2]", "the body is not a JSON object"),
        (lambda e: {k: v for k, v in e.items() if k != "event_id"}, "missing field(s): event_id"),
        (
            lambda e: {k: v for k, v in e.items() if k not in ("data", "created_at")},
            "missing field(s): data, created_at",
        ),
        (lambda e: {**e, "workspace_id": "7"}, "workspace_id must be a 64-bit integer"),
        (lambda e: {**e, "data": [1]}, "data must be an object"),
        (lambda e: {**e, "created_at": "soon"}, "created_at must be an ISO-8601 timestamp"),
        (lambda e: {**e, "event_type": ""}, "event_type must be a non-empty string"),
    ],
)
async def test_malformed_deliveries_are_400(receiver, session, engine, change, message):
    body = change(contact_event(1))
    answer = await deliver(
        session, receiver.endpoint_url(), body if isinstance(body, bytes) else encode(body)
    )
    assert (answer.status, answer.body) == (400, {"error": message})
    assert events_table(engine) == []


async def test_a_replayed_delivery_is_a_no_op(receiver, session, engine):
    event = contact_event(1, 1, first_name="once")
    first = await deliver(session, receiver.endpoint_url(), event)
    assert await receiver.drained(10)
    applied_at = events_table(engine)[0]["applied_at"]
    again = [await deliver(session, receiver.endpoint_url(), event) for _ in range(3)]
    assert first.body["status"] == "accepted"
    assert [a.body["status"] for a in again] == ["duplicate"] * 3
    assert await receiver.drained(10)
    [stored] = events_table(engine)
    assert stored["applied_at"] == applied_at
    assert receiver.counters()["applied"] == 1


async def test_out_of_order_deliveries_keep_the_newest(receiver, session, engine):
    url = receiver.endpoint_url()
    for version in (3, 1, 2):
        assert (
            await deliver(session, url, contact_event(1, version, first_name=f"v{version}"))
        ).status == 200
    assert await receiver.drained(10)
    assert row(engine, "contacts", 1)["first_name"] == "v3"
    assert [e["status"] for e in events_table(engine)] == ["applied", "stale", "stale"]


async def test_deleted_and_unknown_events(receiver, session, engine):
    url = receiver.endpoint_url()
    await deliver(session, url, contact_event(1, 1))
    await deliver(session, url, contact_event(1, 1, action="deleted", created=2))
    unknown = {**contact_event(2), "event_type": "one-time-order.completed", "subject_type": "OneTimeOrder"}
    assert (await deliver(session, url, unknown)).status == 200
    assert await receiver.drained(10)
    assert row(engine, "contacts", 1)["_deleted_at"] is not None
    assert [e["status"] for e in events_table(engine)] == ["applied", "applied", "ignored"]
    assert row(engine, "contacts", 2) is None


@sqlite_only
async def test_a_key_of_another_workspace_is_refused(receiver, session, engine):
    answer = await deliver(session, receiver.endpoint_url(), contact_event(1, workspace_id=8))
    assert answer.status == 403
    assert events_table(engine) == []


@sqlite_only
async def test_endpoint_keys_from_the_secrets_file_are_read_while_running(
    receiver, session, engine, tmp_path
):
    path = receiver.config.webhooks.secrets_file
    event = contact_event(1)
    assert (await deliver(session, receiver.endpoint_url(42), event, secret="endpoint-42")).status == 401
    save_secret(path, StoredSecret(42, WS, Secret("endpoint-42")))
    assert path.stat().st_mode & 0o777 == 0o600
    answer = await deliver(session, receiver.endpoint_url(42), event, secret="endpoint-42")
    assert answer.status == 200
    assert events_table(engine)[0]["endpoint_id"] == 42
    # Another endpoint's path: only its own keys (and the workspace's) are tried.
    other = contact_event(2)
    assert (await deliver(session, receiver.endpoint_url(43), other, secret="endpoint-42")).status == 401
    assert (await deliver(session, receiver.endpoint_url(43), other)).status == 200  # the workspace key
    # Narrowed by workspace: a key of workspace 7 does not verify for ?workspace_id=8.
    third = contact_event(3)
    assert (
        await deliver(session, receiver.endpoint_url() + "?workspace_id=8", third, secret="endpoint-42")
    ).status == 401


@sqlite_only
async def test_secrets_rotate_through_a_list_of_variables(db_url, tmp_path, session):
    config = parse_config(
        {"database": {"url": db_url}, "webhooks": {"workspace_secrets": {str(WS): ["NEW", "OLD"]}}},
        {"NEW": "new-secret", "OLD": "old-secret"},
    )
    async with Receiver(config, port=0) as rx:
        for secret in ("new-secret", "old-secret"):
            assert (await deliver(session, rx.endpoint_url(), contact_event(1), secret=secret)).status == 200
        assert (await deliver(session, rx.endpoint_url(), contact_event(1), secret="older")).status == 401


async def test_unapplied_events_are_repaired_before_listening(db_url, tmp_path, session, engine):
    """As a crash between storing and applying leaves them: stored, pending."""
    store = Store.open(db_url)
    store.migrate()
    hooks = WebhookEvents(store, ApplyPolicy("default", frozenset(CATALOG)))
    hooks.insert([incoming(contact_event(i, 1, first_name="repaired")) for i in range(1, 31)])
    store.close()
    assert {e["status"] for e in events_table(engine)} == {"pending"}
    async with Receiver(receiver_config(db_url, tmp_path), port=0) as rx:
        # Before the first request is taken.
        assert {e["status"] for e in events_table(engine)} == {"applied"}
        assert rx.counters()["applied"] == 30
    assert row(engine, "contacts", 30)["first_name"] == "repaired"


@sqlite_only
async def test_health(receiver, session):
    async with session.get(receiver.url + "/healthz") as r:
        assert r.status == 200
        body = await r.json()
    assert body["status"] == "ok"
    assert "applied" in body


async def test_a_burst_from_concurrent_senders_loses_nothing_and_applies_nothing_twice(receiver, engine):
    """5,000 deliveries (500 contacts, 10 versions each, shuffled) from 8 senders, plus 500 redeliveries."""
    rng = random.Random(5)
    events = [contact_event(1000 + c, v, first_name=f"{c}-v{v}") for c in range(500) for v in range(1, 11)]
    rng.shuffle(events)
    sends = events + rng.sample(events, 500)
    answers: Counter[str] = Counter()
    queue = list(reversed(sends))

    async def sender() -> None:
        async with aiohttp.ClientSession() as session:
            while queue:
                answer = await deliver(session, receiver.endpoint_url(), queue.pop())
                assert answer.status == 200, answer.body
                answers[answer.body["status"]] += 1

    await asyncio.gather(*(sender() for _ in range(8)))
    assert answers == {"accepted": 5000, "duplicate": 500}
    assert await receiver.drained(60)
    stored = events_table(engine)
    assert len(stored) == 5000
    assert {e["event_id"] for e in stored} == {e["event_id"] for e in events}
    statuses = Counter(e["status"] for e in stored)
    assert set(statuses) <= {"applied", "stale"}
    # Every contact shows its newest version, whatever order the versions came in.
    with engine.connect() as conn:
        names = dict(conn.execute(sa.text("SELECT id, first_name FROM contacts")).all())
    assert names == {1000 + c: f"{c}-v10" for c in range(500)}
    # Applied exactly the events that were newer than everything before them, in arrival order.
    newest: dict[int, float] = {}
    expected = 0
    for e in sorted(stored, key=lambda e: e["seq"]):
        version = e["payload"]["data"]["updated_at"]
        if version >= newest.get(e["record_id"], ""):
            expected += 1
            newest[e["record_id"]] = version
    assert statuses["applied"] == expected
    counters = receiver.counters()
    assert (counters["received"], counters["duplicates"]) == (5500, 500)
    assert counters["applied"] + counters["stale"] == 5000

"""The whole loop: an endpoint registered in the sandbox through the API, records changed there, signed
deliveries posted to the receiver (retried, shuffled, repeated), rows updated in the database."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa

from cfsync.app import sync
from cfsync.config import Config, parse_config
from cfsync.manage import write
from cfsync.sandbox import Sandbox, SandboxConfig, SandboxServer
from cfsync.webhooks import Receiver, load_secrets, register

from .webhook_helpers import events_table, row

TOKEN_ENV = "CF_SANDBOX_TOKEN"
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def ticking_clock() -> Any:
    """Each reading one second after the last: every change gets its own updated_at."""
    start, ticks = datetime.now(UTC), count()
    return lambda: start + timedelta(seconds=next(ticks))


@pytest.fixture
def sb() -> Sandbox:
    config = SandboxConfig(
        seed=11, workspaces=1, counts={"contacts": 6, "orders": 3}, webhook_retry_scale=0.001
    )
    return Sandbox(config, clock=ticking_clock())


@pytest.fixture
async def server(sb: Sandbox) -> AsyncIterator[SandboxServer]:
    async with SandboxServer(sb) as server:
        yield server


@pytest.fixture
def config(sb: Sandbox, server: SandboxServer, db_url: str, tmp_path) -> Config:
    return parse_config(
        {
            "api": {
                "mode": "direct",
                "base_url": server.url,
                "api_key_env": TOKEN_ENV,
                "requests_per_second": 1000,
            },
            "database": {"url": db_url},
            "sync": {"workspaces": sb.workspace_ids(0)},
            "webhooks": {"secrets_file": str(tmp_path / "secrets.json")},
        },
        {TOKEN_ENV: sb.api_token(0)},
    )


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_changes_in_the_sandbox_reach_the_database(sb, config, engine):
    ws = sb.workspace_ids(0)[0]
    await sync(config, ["contacts", "orders"])
    async with Receiver(config, port=0) as rx:
        registered = await register(config, rx.endpoint_url(), name="loop")
        endpoint_id = registered.endpoint["id"]
        [kept] = load_secrets(config.webhooks.secrets_file)
        assert (kept.endpoint_id, kept.workspace_id) == (endpoint_id, ws)
        assert kept.secret.value == sb.webhook_secret(endpoint_id)
        local = row(engine, "webhooks_outgoing_endpoints", endpoint_id)
        assert "webhook_secret" not in local["_raw"]
        assert "contact.updated" in local["event_type_ids"]

        first, second, third = sb.records("contacts", workspace_id=ws)[:3]
        sb.update("contacts", first["id"], {"first_name": "Hooked"})
        created = sb.create("contacts", {"email_address": "new@example.com"}, workspace_id=ws)
        sb.delete("contacts", second["id"])
        # A write through the API (cfsync's own write path) is delivered too.
        await write(config, "contacts.update", {"last_name": "ViaApi"}, record_id=third["id"])
        order = sb.records("orders", workspace_id=ws)[0]
        sb.update("orders", order["id"], {"notes": "packed"})
        sb.update("funnels", sb.records("funnels", workspace_id=ws)[0]["id"], {"name": "not subscribed"})

        assert await sb.deliveries.drained(20)
        assert await rx.drained(20)
    assert row(engine, "contacts", first["id"])["first_name"] == "Hooked"
    assert row(engine, "contacts", created["id"])["email_address"] == "new@example.com"
    assert row(engine, "contacts", second["id"])["_deleted_at"] is not None
    assert row(engine, "contacts", third["id"])["last_name"] == "ViaApi"
    assert row(engine, "orders", order["id"])["notes"] == "packed"
    types = [e["event_type"] for e in events_table(engine)]
    assert sorted(types) == sorted(
        ["contact.updated", "contact.created", "contact.deleted", "contact.updated", "order.updated"]
    )
    assert {e["status"] for e in events_table(engine)} == {"applied"}
    assert {e["endpoint_id"] for e in events_table(engine)} == {endpoint_id}
    sent = list(sb.deliveries.attempts)
    assert all(a.status == 200 and a.endpoint_id == endpoint_id for a in sent)
    assert not any(a.event_type.startswith("funnel") for a in sent)


@sqlite_only
async def test_failed_deliveries_are_retried_until_the_receiver_is_back(sb, config, engine):
    port = free_port()
    await register(config, f"http://127.0.0.1:{port}/webhooks", event_types=["contact.updated"])
    contact = sb.records("contacts", workspace_id=sb.workspace_ids(0)[0])[0]
    sb.update("contacts", contact["id"], {"first_name": "Later"})
    for _ in range(1000):  # the first try meets a closed port
        if any(a.error for a in sb.deliveries.attempts):
            break
        await asyncio.sleep(0.01)
    async with Receiver(config, port=port) as rx:
        assert await sb.deliveries.drained(20)
        assert await rx.drained(10)
    assert row(engine, "contacts", contact["id"])["first_name"] == "Later"
    attempts = [a for a in sb.deliveries.attempts if a.event_type == "contact.updated"]
    assert attempts[0].status is None
    assert attempts[-1].status == 200
    assert attempts[-1].attempt >= 2


@sqlite_only
async def test_deliveries_nobody_accepts_are_given_up(sb, config, tmp_path):
    sb.deliveries.retry_scale = 1e-5  # the whole day-long schedule in about a second
    other = parse_config({"database": {"url": config.database.url}}, {})  # knows no secret: every answer 401
    async with Receiver(other, port=0) as rx:
        await register(config, rx.endpoint_url(), event_types=["contact.updated"])
        contact = sb.records("contacts", workspace_id=sb.workspace_ids(0)[0])[0]
        sb.update("contacts", contact["id"], {"first_name": "Nobody"})
        assert await sb.deliveries.drained(20)
        assert rx.counters()["rejected"] == 9
    assert (sb.deliveries.delivered, sb.deliveries.failed) == (0, 1)
    assert [a.status for a in sb.deliveries.attempts] == [401] * 9


@sqlite_only
async def test_shuffled_and_repeated_deliveries_end_in_the_newest_state(sb, config, engine):
    sb.deliveries.shuffle_seconds = 0.3
    sb.deliveries.duplicates = 0.5
    contact = sb.records("contacts", workspace_id=sb.workspace_ids(0)[0])[0]
    async with Receiver(config, port=0) as rx:
        await register(config, rx.endpoint_url(), event_types=["contact.updated"])
        for n in range(30):
            sb.update("contacts", contact["id"], {"first_name": f"n{n}"})
        assert await sb.deliveries.drained(20)
        assert await rx.drained(10)
    attempts = list(sb.deliveries.attempts)
    assert sum(a.duplicate for a in attempts) > 5
    stored = events_table(engine)
    assert len(stored) == 30  # each event once, however often it came
    assert row(engine, "contacts", contact["id"])["first_name"] == "n29"
    assert {e["status"] for e in stored} <= {"applied", "stale"}
    assert sum(e["status"] == "stale" for e in stored) > 0  # some came after a newer one


@sqlite_only
async def test_only_loopback_endpoints_are_posted_to_by_default(sb, server, config):
    await register(config, "https://hooks.example.com/in", event_types=["contact.updated"])
    contact = sb.records("contacts", workspace_id=sb.workspace_ids(0)[0])[0]
    sb.update("contacts", contact["id"], {"first_name": "Nowhere"})
    assert sb.deliveries.idle()
    assert (sb.deliveries.skipped, len(sb.deliveries.attempts)) == (1, 0)
    headers = {"Authorization": f"Bearer {sb.control_token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(
            f"{server.url}/_sandbox/deliveries", json={"mode": "off", "duplicates": 0.1}
        ) as r:
            assert r.status == 200
            assert (await r.json())["mode"] == "off"
        async with session.get(f"{server.url}/_sandbox/deliveries") as r:
            summary = await r.json()
        async with session.post(f"{server.url}/_sandbox/deliveries", json={"mode": "everywhere"}) as r:
            assert r.status == 400
    assert (summary["skipped"], summary["attempts"], summary["duplicates"]) == (1, [], 0.1)

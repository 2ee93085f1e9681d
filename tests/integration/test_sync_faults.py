"""Syncs against an API that misbehaves in ways slowing down does not cure: 429s at a share whatever the
pace, 502s, a burst of 429s, a real limit under random 429s. The database must still equal the sandbox."""

from __future__ import annotations

import pytest

from cfsync import app
from cfsync.sandbox import Burst, Sandbox, SandboxConfig

from .helpers import config_for, db_snapshot, sandbox_snapshot

RESOURCES = ("contacts", "orders", "products", "courses_enrollments")
COUNTS = {"contacts": 400, "orders": 160, "products": 6, "courses": 3, "courses_enrollments": 45}


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(SandboxConfig(seed=5, workspaces=2, counts=COUNTS))


def expected(sb: Sandbox) -> dict:
    return sandbox_snapshot(sb, names=RESOURCES)


async def test_random_429s_and_502s_still_sync_everything(sb, server, db_url, engine):
    """10 % of requests answer 429 and 3 % an HTML 502, whatever the pace (the issue's pattern)."""
    sb.faults.set_rates({"429": 0.10, "502": 0.03}, seed=9)
    config = config_for(server.url, sb.api_token(0), db_url, requests_per_second=100)
    summary = await app.sync(config, RESOURCES)
    assert summary.status == "succeeded", summary.failures
    assert db_snapshot(engine) == expected(sb)
    faults = [r.fault for r in sb.requests if r.fault]
    assert len(sb.requests) >= 100
    assert faults.count("429") >= 0.05 * len(sb.requests), "the 429s did strike"
    assert summary.rate_limited == faults.count("429")
    assert summary.retries >= len(faults)
    # A rerun with nothing changed converges: same rows, nothing inserted or updated.
    sb.faults.set_rates({})
    again = await app.sync(config, RESOURCES)
    assert again.status == "succeeded"
    assert sum(r.inserted + r.updated for r in again.rows.values()) == 0
    assert db_snapshot(engine) == expected(sb)


async def test_a_burst_of_429s_and_a_limit_under_random_429s(sb, server, db_url, engine):
    sb.faults.rate_limit(40, burst=5)
    sb.faults.set_rates({"429": 0.03}, seed=2)
    sb.faults.set_bursts((Burst("429", 1.0, 1000, offset=0.3),))
    config = config_for(server.url, sb.api_token(0), db_url, requests_per_second=200)
    summary = await app.sync(config, RESOURCES)
    assert summary.status == "succeeded", summary.failures
    assert db_snapshot(engine) == expected(sb)
    assert summary.rate_limited > 0

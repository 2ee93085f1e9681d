"""The sandbox's funnel and page statistics over real sockets: the facts' answer shape, the window rules, and
one story with its orders (a step's sales are the orders placed on its page)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from cfsync.resources.facts import schema
from cfsync.sandbox import Sandbox, SandboxConfig, SandboxServer

from .conftest import ApiFactory, SandboxApi

NOW = datetime(2024, 10, 15, 13, 30, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def sb() -> Sandbox:
    # Enough orders that most days of a month have some on a funnel's pages.
    return Sandbox(SandboxConfig(seed=7, workspaces=1, counts={"orders": 4000}), clock=Clock(NOW))


@pytest.fixture
async def api(sb: Sandbox, api_for: ApiFactory) -> AsyncIterator[SandboxApi]:
    async with SandboxServer(sb, host="127.0.0.1", port=0) as server:
        yield api_for(server.url, sb.api_token(0))


def keys_of(shape: Any) -> Any:
    """A schema's (or an answer's) nested key structure, types left out."""
    if isinstance(shape, dict):
        return {k: keys_of(v) for k, v in shape.items()}
    if isinstance(shape, list) and shape and isinstance(shape[0], dict):
        return [keys_of(shape[0])]
    return None


def funnel_id(sb: Sandbox) -> int:
    ws = sb.workspace_ids()[0]
    return next(f["id"] for f in sb.records("funnels", workspace_id=ws) if len(sb.stats.steps(f["id"])) >= 2)


async def test_answers_in_the_facts_shape(sb: Sandbox, api: SandboxApi):
    fid = funnel_id(sb)
    expanded = await api.get(f"/funnels/{fid}/stats", params={"expand[]": "steps"})
    assert expanded.status == 200, expanded.text
    facts = keys_of(schema("FunnelStatsAttributes"))
    assert keys_of(expanded.body) == {k: v for k, v in facts.items() if k != "page_public_ids"}
    plain = await api.get(f"/funnels/{fid}/stats")
    assert keys_of(plain.body) == {k: v for k, v in facts.items() if k != "steps"}
    pages = sb.stats.steps(fid)
    assert plain.body["page_public_ids"] == [sb.get("pages", p)["public_id"] for p in pages]
    assert [s["page_id"] for s in expanded.body["steps"]] == pages
    page = await api.get(f"/pages/{pages[0]}/stats")
    assert page.status == 200, page.text
    assert keys_of(page.body) == keys_of(schema("PageStatsAttributes"))
    assert page.body["step"] == expanded.body["steps"][0]
    assert page.body["funnel"]["id"] == fid


async def test_an_unknown_or_deleted_funnel_is_a_404(sb: Sandbox, api: SandboxApi):
    fid = funnel_id(sb)
    page = sb.stats.steps(fid)[0]
    assert (await api.get("/funnels/999/stats")).status == 404
    sb.delete("funnels", fid)
    assert (await api.get(f"/funnels/{fid}/stats")).status == 404
    sb.delete("pages", page)
    assert (await api.get(f"/pages/{page}/stats")).status == 404

"""The sandbox's funnel and page statistics over real sockets: the facts' answer shape, the window rules, and
one story with its orders (a step's sales are the orders placed on its page)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
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


def day_window(day: datetime) -> dict[str, str]:
    return {"timerange_start": iso(day), "timerange_end": iso(day + timedelta(days=1)), "expand[]": "steps"}


def orders_created(sb: Sandbox, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The workspace's generated orders created in [start, end), read one by one as the API serves them (the
    ids are picked by the generator's arithmetic, a day wider; the record's own created_at decides)."""
    ids, ws = sb.ids, sb.workspace_ids()[0]
    ws_offset = ids.offset_of("workspaces", ws)
    assert ws_offset is not None
    lo, hi = (int(at.timestamp() * 1000) for at in (start - timedelta(days=1), end + timedelta(days=1)))
    found = []
    for p in range(ids.count("orders")):
        offset = ids.offset_under("orders", "workspaces", ws_offset, p)
        if lo <= ids.created_ms("orders", offset) < hi:
            order = sb.get("orders", ids.id_at("orders", offset))
            assert order is not None
            at = datetime.fromisoformat(order["created_at"])
            if start <= at < end:
                found.append(order)
    return found


async def test_the_window_defaults_clamps_and_refuses_bad_timestamps(sb: Sandbox, api: SandboxApi):
    fid = funnel_id(sb)
    default = await api.get(f"/funnels/{fid}/stats")
    month = {"from": "2024-09-15T13:30:00.000Z", "to": "2024-10-15T13:30:00.000Z"}
    assert default.body["timerange"] == month  # the last 30 days before the clock
    long = await api.get(
        f"/funnels/{fid}/stats",
        params={"timerange_start": "2024-01-01T00:00:00Z", "timerange_end": "2024-10-01"},
    )
    assert long.status == 200, long.text
    assert long.body["timerange"] == {"from": "2024-07-03T00:00:00.000Z", "to": "2024-10-01T00:00:00.000Z"}
    offset = await api.get(
        f"/funnels/{fid}/stats",
        params={"timerange_start": "2024-10-01T02:00:00+02:00", "timerange_end": "2024-10-02T00:00:00Z"},
    )
    assert offset.body["timerange"]["from"] == "2024-10-01T00:00:00.000Z"
    for params in (
        {"timerange_start": "yesterday"},
        {"timerange_end": "2024-13-01T00:00:00Z"},
        {"timerange_start": "2024-10-02T00:00:00Z", "timerange_end": "2024-10-01T00:00:00Z"},
    ):
        for path in (f"/funnels/{fid}/stats", f"/pages/{sb.stats.steps(fid)[0]}/stats"):
            bad = await api.get(path, params=params)
            assert bad.status == 400, (path, params)
            assert "error" in bad.body


async def test_every_day_of_a_month_keeps_the_invariants_and_counts_the_orders(sb: Sandbox, api: SandboxApi):
    fid = funnel_id(sb)
    pages = sb.stats.steps(fid)
    start = datetime(2024, 9, 1, tzinfo=UTC)
    orders = orders_created(sb, start, start + timedelta(days=30))
    funnel = sb.get("funnels", fid)
    assert funnel is not None
    sums = {p: [0, 0, Decimal(0), 0, Decimal(0)] for p in pages}
    currency = None
    for d in range(30):
        day = start + timedelta(days=d)
        reply = await api.get(f"/funnels/{fid}/stats", params=day_window(day))
        assert reply.status == 200, reply.text
        body = reply.body
        currency = body["currency"]
        for step in body["steps"]:
            assert step["views_all"] >= step["views_unique"] >= step["optins"] >= step["sales_count"] >= 0, (
                step
            )
            assert step["recurring_sales_count"] <= step["sales_count"]
            assert step["optin_rate"] == round(step["optins"] / step["views_unique"], 4)
            mine = [
                o
                for o in orders
                if o["page_id"] == step["page_id"] and o["created_at"].startswith(iso(day)[:10])
            ]
            assert step["sales_count"] == len(mine), (day, step)
            assert Decimal(step["sales_value"]) == sum((Decimal(o["total_amount"]) for o in mine), Decimal(0))
            subs = [o for o in mine if o["order_type"] == "subscription-order"]
            assert step["recurring_sales_count"] == len(subs)
            total = sums[step["page_id"]]
            total[0] += step["views_all"]
            total[1] += step["sales_count"]
            total[2] += Decimal(step["sales_value"])
            total[3] += step["recurring_sales_count"]
            total[4] += Decimal(step["recurring_sales_value"])
        summary = body["summary"]
        assert summary["pageviews"] == sum(s["views_all"] for s in body["steps"])
        assert summary["upfront_sales_count"] == sum(s["sales_count"] for s in body["steps"])
    on_funnel = [o for o in orders if o["page_id"] in pages]
    assert len(on_funnel) >= 5, "the test needs orders on the funnel's pages"
    # The funnel's orders say so, in the funnel's currency: revenue by funnel and the stats agree.
    for order in on_funnel:
        assert (order["origination_channel_id"], order["funnel_name"]) == (fid, funnel["name"])
        assert order["origination_channel_type"] == "Funnel"
        assert order["currency"] == currency
    whole = await api.get(
        f"/funnels/{fid}/stats",
        params={
            "timerange_start": iso(start),
            "timerange_end": iso(start + timedelta(days=30)),
            "expand[]": "steps",
        },
    )
    for step in whole.body["steps"]:
        got = [
            step["views_all"], step["sales_count"], Decimal(step["sales_value"]),
            step["recurring_sales_count"], Decimal(step["recurring_sales_value"]),
        ]  # fmt: skip
        assert got == sums[step["page_id"]]  # a month is the sum of its days
    summary = whole.body["summary"]
    assert summary["upfront_sales_count"] == len(on_funnel)
    assert Decimal(summary["upfront_sales"]) == sum(
        (Decimal(o["total_amount"]) for o in on_funnel), Decimal(0)
    )


async def test_today_counts_up_to_the_clock_and_later_days_are_zeros(sb: Sandbox, api: SandboxApi):
    fid = funnel_id(sb)
    midnight = NOW.replace(hour=0, minute=0)
    partial = (await api.get(f"/funnels/{fid}/stats", params=day_window(midnight))).body
    so_far = orders_created(sb, midnight, NOW)
    for step in partial["steps"]:
        assert step["sales_count"] == len([o for o in so_far if o["page_id"] == step["page_id"]])
    later = (await api.get(f"/funnels/{fid}/stats", params=day_window(midnight + timedelta(days=1)))).body
    for step in later["steps"]:
        assert {k: v for k, v in step.items() if k not in ("page_id", "name", "current_path")} == {
            "views_all": 0, "views_unique": 0, "optins": 0, "optin_rate": 0.0, "sales_count": 0,
            "sales_rate": 0.0, "sales_value": "0.00", "recurring_sales_count": 0,
            "recurring_sales_value": "0.00", "earnings_per_view": "0.00", "earnings_per_unique_view": "0.00",
        }  # fmt: skip
    assert isinstance(sb.state.clock, Clock)
    sb.state.clock.at = midnight + timedelta(days=1, hours=1)  # the day is over: it counts whole
    whole = (await api.get(f"/funnels/{fid}/stats", params=day_window(midnight))).body
    grew = False
    for before, after in zip(partial["steps"], whole["steps"], strict=True):
        assert after["views_all"] >= before["views_all"]
        assert after["sales_count"] >= before["sales_count"]
        grew = grew or after["views_all"] > before["views_all"]
    assert grew
    everything = orders_created(sb, midnight, midnight + timedelta(days=1))
    for step in whole["steps"]:
        assert step["sales_count"] == len([o for o in everything if o["page_id"] == step["page_id"]])


async def test_the_control_api_counts_a_past_day_again_and_deleting_the_funnel_404s(
    sb: Sandbox, api: SandboxApi, api_for: ApiFactory
):
    fid = funnel_id(sb)
    page = sb.stats.steps(fid)[1]
    control = api_for(api.base.removesuffix("/api/v2"), sb.control_token, prefix="/_sandbox")
    day = datetime(2024, 10, 10, tzinfo=UTC)
    before = (await api.get(f"/funnels/{fid}/stats", params=day_window(day))).body["steps"][1]
    added = {"views_all": 9000, "views_unique": 5000, "optins": 1000}
    reply = await control.post(f"/stats/pages/{page}/days/2024-10-10", added)
    assert reply.status == 200, reply.text
    after = (await api.get(f"/funnels/{fid}/stats", params=day_window(day))).body["steps"][1]
    assert reply.body == {"page_id": page, "day": "2024-10-10", "step": after}
    for key, more in added.items():
        assert after[key] == before[key] + more, key
    assert after["optin_rate"] == round(after["optins"] / after["views_unique"], 4)
    assert after["sales_count"] == before["sales_count"]
    # Only that day changed.
    other = day_window(day - timedelta(days=1))
    assert (await api.get(f"/pages/{page}/stats", params=other)).body["step"]["views_all"] < 9000
    assert (await control.post(f"/stats/pages/{page}/days/10-10-2024", added)).status == 400
    assert (await control.post(f"/stats/pages/{page}/days/2024-10-10", {"views_all": -1})).status == 400
    assert (await control.post(f"/stats/pages/{page}/days/2024-10-10", {"views": 1})).status == 400
    assert (await control.post("/stats/pages/999/days/2024-10-10", added)).status == 404
    assert (await control.delete(f"/records/funnels/{fid}")).status == 204
    gone = await api.get(f"/funnels/{fid}/stats", params=day_window(day))
    assert (gone.status, gone.body) == (404, {"error": "Not found: Record missing"})


async def test_orders_written_on_a_page_count_where_they_are(api_for: ApiFactory):
    clock = Clock(datetime(2025, 3, 10, 12, 0, tzinfo=UTC))  # after the floor of the sandbox's write clock
    sb = Sandbox(SandboxConfig(seed=7, workspaces=1), clock=clock)
    fid = funnel_id(sb)
    first, second = sb.stats.steps(fid)[:2]
    ws = sb.workspace_ids()[0]
    today = day_window(datetime(2025, 3, 10, tzinfo=UTC))
    async with SandboxServer(sb, host="127.0.0.1", port=0) as server:
        api = api_for(server.url, sb.api_token(0))
        control = api_for(server.url, sb.control_token, prefix="/_sandbox")
        fields = {
            "page_id": first,
            "total_amount": "49.00",
            "order_type": "subscription-order",
            "currency": "XYZ",
        }
        made = await control.post("/records/orders", {"workspace_id": ws, "fields": fields})
        assert made.status == 201, made.text
        order = made.body
        stats = (await api.get(f"/funnels/{fid}/stats", params=today)).body
        assert order["currency"] == stats["currency"]  # a funnel page's order is in its workspace's currency
        assert (order["origination_channel_id"], order["origination_channel_type"]) == (fid, "Funnel")
        step = stats["steps"][0]
        assert (step["sales_count"], step["sales_value"], step["recurring_sales_value"]) == (
            1,
            "49.00",
            "49.00",
        )
        assert stats["summary"]["average_cart_value"] == "49.00"
        moved = await control.request(
            "PATCH", f"/records/orders/{order['id']}", json_body={"fields": {"page_id": second}}
        )
        assert moved.status == 200, moved.text
        steps = (await api.get(f"/funnels/{fid}/stats", params=today)).body["steps"]
        assert [s["sales_count"] for s in steps[:2]] == [0, 1]
        assert (await control.delete(f"/records/orders/{order['id']}")).status == 204
        steps = (await api.get(f"/funnels/{fid}/stats", params=today)).body["steps"]
        assert [s["sales_count"] for s in steps[:2]] == [0, 0]

"""The sandbox's story reaches its clock: orders, renewals, cancellations and churn run up to the start of the
day it was built; every record's updated_at is at or after its past events; a canceled subscription churns
at the end of its paid period; and this month's MRR in `mrr_monthly` after a sync is what the subscriptions
the sandbox serves add up to, computed here without cfsync's model code."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from cfsync import app
from cfsync.sandbox import Sandbox, SandboxConfig, serve_in_thread
from cfsync.sandbox.query import ListQuery, page
from tests.postgres import fresh_database

from .helpers import config_for, sandbox_partitions

COUNTS = {"orders": 150, "contacts": 40, "products": 8}
# Fields that name what is still to come, not what happened: the next charge, a blog post's scheduled
# publication, a broadcast's scheduled send.
FUTURE = {"next_charge_at", "published_at", "send_at"}


def ms(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp() * 1000)


@pytest.fixture(scope="module")
def sb() -> Sandbox:
    # The real clock: its world ends at the start of today (UTC), the month `mrr_monthly` calls this one.
    return Sandbox(SandboxConfig(seed=33, workspaces=2, counts=COUNTS))


@pytest.fixture(scope="module")
def served(sb: Sandbox) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Every list a sync walks, as the sandbox serves it."""
    return sandbox_partitions(sb, names=("all", "orders_transactions"))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def synced(
    request: pytest.FixtureRequest, sb: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """One sync of the sandbox's subscriptions (orders, prices, products, contacts) into SQLite, and into
    PostgreSQL."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('story') / 'story.db'}"
        else:
            url = stack.enter_context(fresh_database(request.getfixturevalue("postgres_server")))
        with serve_in_thread(sb) as served_at:
            config = config_for(served_at, sb.api_token(0), url)
            summary = asyncio.run(app.sync(config, ["orders", "products_prices", "contacts"]))
            assert summary.status == "succeeded"
        engine = sa.create_engine(url)
        stack.callback(engine.dispose)
        yield engine


def records(served: dict[tuple[str, int], list[dict[str, Any]]], name: str) -> list[dict[str, Any]]:
    return [r for (n, _), found in served.items() if n == name for r in found]


def timestamps(rec: dict[str, Any]) -> dict[str, int]:
    return {k: ms(v) for k, v in rec.items() if k.endswith("_at") and isinstance(v, str)}


def test_every_record_was_updated_at_or_after_each_of_its_past_events(sb: Sandbox, served):
    end = sb.ids.end_ms
    checked: set[str] = set()
    for (name, _), found in served.items():
        for rec in found:
            times = timestamps(rec)
            if "updated_at" not in times:
                continue
            checked.add(name)
            past = {k: t for k, t in times.items() if t < end and k != "updated_at"}
            late = {k: rec[k] for k, t in past.items() if t > times["updated_at"]}
            assert not late, (name, rec["id"], rec["updated_at"], late)
    assert {"orders", "orders_invoices", "orders_transactions", "contacts", "emails_broadcasts"} <= checked
    # The invariant is not empty: orders changed long after they were created (renewed, canceled, churned).
    orders = records(served, "orders")
    assert any(ms(o["updated_at"]) - ms(o["created_at"]) > 365 * 86_400_000 for o in orders)


def test_nothing_happened_after_the_clock_and_the_story_runs_up_to_it(sb: Sandbox, served):
    now, end = sb.now().timestamp() * 1000, sb.ids.end_ms
    assert end <= now < end + 86_400_000 * 2
    for (name, _), found in served.items():
        for rec in found:
            after = {k: rec[k] for k, t in timestamps(rec).items() if t >= end and k not in FUTURE}
            assert not after, (name, rec["id"], after)
    orders = records(served, "orders")
    # Orders were placed up to the world's end (150 a workspace over ~46 months: one every ~9 days)...
    assert end - max(ms(o["created_at"]) for o in orders) < 10 * 86_400_000
    # ...and every subscription still running was charged within its interval before it.
    running = [
        o for o in orders if o["order_type"] == "subscription-order" and o["service_status"] == "active"
    ]
    assert running
    for order in running:
        assert ms(order["next_charge_at"]) >= end
        assert ms(order["paid_until"]) >= end
        invoices = sb.records("orders_invoices", parent_id=order["id"])
        latest = max(ms(i["paid_at"]) for i in invoices)
        assert end - latest <= 366 * 86_400_000
        assert latest <= ms(order["updated_at"])


def test_a_canceled_subscription_churns_at_the_end_of_its_paid_period(sb: Sandbox, served):
    end = sb.ids.end_ms
    subscriptions = [o for o in records(served, "orders") if o["order_type"] == "subscription-order"]
    canceled = [o for o in subscriptions if o["canceled_at"]]
    churned_by_now = [o for o in canceled if ms(o["paid_until"]) < end]
    assert churned_by_now
    for order in canceled:
        paid_until = ms(order["paid_until"])
        assert ms(order["canceled_at"]) <= paid_until
        if paid_until < end:  # its paid period is over: it churned then
            assert order["churned_at"] == order["paid_until"], order["id"]
            assert order["service_status"] == "churned"
        else:  # it runs to the end of the period paid for
            assert order["churned_at"] is None
            assert order["service_status"] == "canceled"
        if order["billing_status"] == "refunded":
            continue
        # The last paid period was charged: the order's latest invoice covers it, up to its churn.
        periods = [
            ms(line["period_end_at"])
            for invoice in sb.records("orders_invoices", parent_id=order["id"])
            for line in invoice["line_items"]
            if line.get("period_end_at")
        ]
        assert max(periods) == paid_until, order["id"]
    assert not [o for o in subscriptions if not o["canceled_at"] and o["churned_at"]]


def test_the_list_in_updated_at_order_is_the_records_in_updated_at_order(sb: Sandbox, served):
    for ws in sb.workspace_ids():
        for desc in (False, True):
            with sb.state.lock:
                listed = page(
                    sb.state, "orders", "workspaces", ws, ListQuery(by_updated=True, desc=desc), None
                )
            keys = [(r["updated_at"], r["id"]) for r in listed]
            assert keys == sorted(keys, reverse=desc)
            assert {r["id"] for r in listed} == {r["id"] for r in sb.records("orders", workspace_id=ws)}


def _cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def mrr_now(served: dict[tuple[str, int], list[dict[str, Any]]], now_ms: int) -> dict[tuple[int, str], int]:
    """This month's MRR in cents by (workspace, currency), from the records as served: every subscription
    order paid for up to now (`paid_until`, whatever it says of churn), its first subscription line's price
    per month (a year's price / 12, to the cent)."""
    prices = {p["id"]: p for p in records(served, "products_prices")}
    out: dict[tuple[int, str], int] = defaultdict(int)
    for order in records(served, "orders"):
        if order["order_type"] != "subscription-order" or ms(order["paid_until"]) < now_ms:
            continue
        lines = [
            line
            for line in order["line_items"]
            if prices.get((line.get("products_price") or {}).get("id"), {}).get("payment_type")
            == "subscription"
        ]
        if not lines:
            continue
        price = prices[lines[0]["products_price"]["id"]]
        months = {"month": 1, "year": 12}[price["interval"]] * int(price["interval_count"] or 1)
        amount = Decimal(_cents(price["amount"]) * (lines[0]["quantity"] or 1)) / months
        out[(order["workspace_id"], order["currency"])] += int(amount.quantize(Decimal(1), ROUND_HALF_UP))
    return dict(out)


def test_this_months_mrr_is_the_subscriptions_running_now(sb: Sandbox, served, synced: sa.Engine):
    # The month the world ends in: this one (or, just past a month's last midnight, the one before, whose
    # end the model counts the same subscriptions at: none of them is dated after the world's end).
    month = datetime.fromtimestamp(sb.ids.end_ms / 1000, UTC).strftime("%Y-%m")
    with synced.connect() as conn:
        found = conn.execute(
            sa.text("SELECT month, workspace_id, currency, mrr_cents FROM mrr_monthly")
        ).all()
        churned = conn.execute(sa.text("SELECT SUM(churned_mrr_cents) FROM mrr_monthly")).scalar()
    # 'YYYY-MM' on SQLite; on PostgreSQL the first of the month, as text or as a date.
    rows = [(w, c, int(m)) for at, w, c, m in found if str(at)[:7] == month]
    expected = mrr_now(served, sb.ids.end_ms)
    assert sum(expected.values()) > 0
    assert {(w, c): m for w, c, m in rows if m} == {k: v for k, v in expected.items() if v}
    assert churned  # subscriptions churned over the years, and their MRR left with them


def test_a_fixed_clock_gives_the_same_world_twice_and_another_day_another():
    at = datetime(2025, 6, 15, 9, 30, tzinfo=UTC)
    config = SandboxConfig(seed=4, workspaces=1, counts={"orders": 30})
    first, second = Sandbox(config, clock=lambda: at), Sandbox(config, clock=lambda: at + timedelta(hours=5))
    ws = first.workspace_ids()[0]
    for name in ("orders", "contacts", "products"):
        assert first.records(name, workspace_id=ws) == second.records(name, workspace_id=ws)
    assert datetime.fromtimestamp(first.ids.end_ms / 1000, UTC) == datetime(2025, 6, 15, tzinfo=UTC)
    assert max(o["updated_at"] for o in first.records("orders", workspace_id=ws)) < "2025-06-15"
    later = Sandbox(config, clock=lambda: at + timedelta(days=40))
    assert later.records("orders", workspace_id=ws) != first.records("orders", workspace_id=ws)

"""The models (views) against rows computed independently in Python from the sandbox's own records
(model_reference.py, traffic_reference.py), on SQLite and PostgreSQL, after a first sync and after changes
an incremental sync picks up: a subscription canceled, an order refunded, lessons completed, a price raised,
an appointment canceled, a contact arriving through a new campaign."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from cfsync import app
from cfsync.engine.ports import PageWrite, Partition, PartitionKey
from cfsync.resources.catalog import CATALOG
from cfsync.resources.transform import to_rows
from cfsync.sandbox import Sandbox, SandboxConfig, SandboxServer
from cfsync.store import Store
from cfsync.store.models import MODELS

from . import model_reference as ref
from . import traffic_reference as traffic
from .helpers import config_for

COUNTS = {
    "contacts": 50,
    "orders": 48,  # enough that one subscription is canceled but not yet churned
    "products": 6,
    "courses": 2,
    "courses_enrollments": 5,
    "forms": 2,
    "forms_submissions": 6,
    "appointments_scheduled_events": 12,
}
_TIME = re.compile(r"_at$")


DAY = timedelta(days=1)
STATS_DAYS = 4  # the funnel statistics' window: a first sync fetches 4 days per funnel, the next 3


class Clock:
    """The sandbox's clock, moved by the test only: the statistics of today count up to it, so the
    reference reads them as the sync did."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> None:
        self.now += timedelta(minutes=1)


def sandbox(clock: Clock | None = None) -> Sandbox:
    return Sandbox(SandboxConfig(seed=21, workspaces=2, counts=COUNTS), clock=clock)


def normal(column: str, value: Any) -> Any:
    """One value as the reference writes it, whichever database and driver answered."""
    if value is None:
        return None
    if _TIME.search(column):
        return ref.ts(value)
    if isinstance(value, date):  # PostgreSQL's days and months; SQLite gives their ISO text
        return f"{value:%Y-%m}" if column == "month" else value.isoformat()
    if isinstance(value, bool):
        return int(value)  # a boolean is 0/1 on SQLite
    if column.endswith(("rate", "per_view")):
        return Decimal(str(value)).quantize(Decimal("0.0001"))
    if isinstance(value, Decimal | float) and Decimal(str(value)) == int(value):
        return int(value)
    return value


def view(engine: sa.Engine, name: str, columns: list[str]) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT {', '.join(columns)} FROM {name}")).all()
    return sorted((tuple(normal(c, v) for c, v in zip(columns, row, strict=True)) for row in rows), key=repr)


def expected(rows: list[dict[str, Any]], columns: list[str]) -> list[tuple]:
    return sorted((tuple(normal(c, r[c]) for c in columns) for r in rows), key=repr)


def reference(world: ref.World, today: date) -> dict[str, list[dict[str, Any]]]:
    """`today`: the UTC day of the sync that just ran (its statistics window ends there)."""
    days = [today - n * DAY for n in range(STATS_DAYS)]
    return {
        "revenue_daily": ref.revenue_daily(world),
        "transactions_daily": ref.transactions_daily(world),
        "revenue_by_product": ref.revenue_by_product(world),
        "revenue_by_page": ref.revenue_by_page(world),
        "revenue_by_funnel": ref.revenue_by_funnel(world),
        "subscriptions": ref.subscriptions(world),
        "mrr_monthly": ref.mrr_monthly(world, datetime.now(UTC)),
        "contact_lifetime_value": ref.contact_lifetime_value(world),
        "course_progress": ref.course_progress(world),
        "form_conversion": ref.form_conversion(world),
        "revenue_by_utm": traffic.revenue_by_utm(world),
        "contacts_by_utm": traffic.contacts_by_utm(world),
        "appointments_daily": traffic.appointments_daily(world),
        "funnel_conversion_daily": traffic.funnel_conversion_daily(world, days, today),
    }


def check_models(engine: sa.Engine, sb: Sandbox) -> dict[str, list[dict[str, Any]]]:
    world = ref.World.of(sb)
    wanted = reference(world, datetime.now(UTC).date())
    assert set(wanted) == {m.name for m in MODELS}
    for model in MODELS:  # the columns docs/schema.md documents, in order, on either database
        with engine.connect() as conn:
            found = list(conn.execute(sa.text(f"SELECT * FROM {model.name} LIMIT 0")).keys())
        assert found == [column for column, _ in model.columns], model.name
    for name, rows in wanted.items():
        assert rows, f"{name}: the sandbox gives this model nothing to show"
        columns = list(rows[0])
        got, want = view(engine, name, columns), expected(rows, columns)
        assert got == want, f"{name}: {len(got)} rows, {len(want)} expected; first differences: " + repr(
            [r for r in got if r not in want][:2] + [r for r in want if r not in got][:2]
        )
        # The unit columns are the cents / 100, exactly as printed.
        money = [m for m in ("gross", "net", "mrr", "amount", "sales_value") if f"{m}_cents" in columns]
        for m in money:
            with engine.connect() as conn:
                pairs = conn.execute(sa.text(f"SELECT {m}_cents, {m} FROM {name}")).all()
            assert all(c is None or Decimal(str(u)) * 100 == Decimal(c) for c, u in pairs), (name, m)
    reconcile_revenue_by_utm(engine)
    one_source_of_money_per_view(engine, world)
    return wanted


def net_per_month(engine: sa.Engine, model: str) -> dict[tuple[str | None, str], int]:
    """SUM(net_cents) per currency and month, as an analyst sums a model: no filter, nothing but GROUP BY."""
    month = "to_char(day, 'YYYY-MM')" if engine.dialect.name == "postgresql" else "substr(day, 1, 7)"
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(f"SELECT currency, {month}, SUM(net_cents) FROM {model} GROUP BY currency, {month}")
        ).all()
    return {(currency, m): int(net) for currency, m, net in rows}


def one_source_of_money_per_view(engine: sa.Engine, world: ref.World) -> None:
    """With transactions synced beside the invoices, a plain SUM(net_cents) of revenue_daily per currency and
    month is the paid invoices net of refunds (not twice the money), and transactions_daily's is the
    successful transactions', each computed from the sandbox's own records."""
    invoices, transactions = ref.invoice_net_per_month(world), ref.transaction_net_per_month(world)
    assert net_per_month(engine, "revenue_daily") == invoices
    assert net_per_month(engine, "transactions_daily") == transactions
    # The two record the same sales: a view that added them up would fail the first assertion.
    both = [k for k in invoices if invoices[k] and transactions.get(k)]
    assert len(both) >= 2, (invoices, transactions)


def reconcile_revenue_by_utm(engine: sa.Engine) -> None:
    """revenue_by_utm counts revenue_daily's invoices, each once: the same sums per workspace, currency and
    day (orders too: an order's visits put all its invoices under one pair of touches)."""
    sums = (
        "SELECT day, workspace_id, currency, SUM(orders), SUM(gross_cents), SUM(refunds_cents), "
        "SUM(net_cents) FROM {} GROUP BY day, workspace_id, currency"
    )
    with engine.connect() as conn:
        by_utm = conn.execute(sa.text(sums.format("revenue_by_utm"))).all()
        daily = conn.execute(sa.text(sums.format("revenue_daily"))).all()
    assert len(by_utm) > 1
    assert sorted(map(tuple, by_utm), key=repr) == sorted(map(tuple, daily), key=repr)


def assert_utm_says_something(models: dict[str, list[dict[str, Any]]]) -> None:
    """Both touches name several sources, and some money and contacts have no UTM known."""
    for touch in ("first", "last"):
        sources = {r[f"{touch}_utm_source"] for r in models["revenue_by_utm"] if r["net_cents"]}
        assert len(sources - {None}) >= 2, (touch, sources)
        assert None in sources, touch
    sources = {r["utm_source"] for r in models["contacts_by_utm"]}
    assert len(sources - {None}) >= 3, sources
    assert None in sources


async def test_every_model_equals_its_independent_computation_before_and_after_changes(db_url):
    # The syncs read the real clock for their "today": never straddle a UTC midnight (the test takes < 1 min).
    now = datetime.now(UTC)
    to_midnight = (datetime.combine(now.date() + DAY, datetime.min.time(), UTC) - now).total_seconds()
    if to_midnight < 90:
        await asyncio.sleep(to_midnight + 1)
    clock = Clock()
    sb = sandbox(clock)
    resources = ["all", "orders_transactions"]
    async with SandboxServer(sb) as server:
        config = config_for(server.url, sb.api_token(0), db_url)
        config = dataclasses.replace(config, sync=dataclasses.replace(config.sync, stats_days=STATS_DAYS))
        await app.sync(config, resources)
        engine = sa.create_engine(db_url)
        try:
            before = check_models(engine, sb)
            # The sandbox's data makes every model say something: several currencies, refunds, churn,
            # renewals, completed courses, conversions.
            daily = before["revenue_daily"]
            assert len({r["currency"] for r in daily}) >= 2
            assert any(r["refunds_cents"] for r in daily)
            assert any(r["refunds_cents"] for r in before["transactions_daily"])
            assert {s["status"] for s in before["subscriptions"]} == {"active", "canceled", "churned"}
            assert any(r["churned_mrr_cents"] for r in before["mrr_monthly"])
            assert any(r["enrollments_completed"] for r in before["course_progress"])
            assert any(r["contacts_ordered_after"] for r in before["form_conversion"])
            assert_utm_says_something(before)
            assert any(r["canceled"] for r in before["appointments_daily"])
            steps = before["funnel_conversion_daily"]
            assert any(r["optins"] for r in steps)
            assert {r["partial"] for r in steps} == {0, 1}

            clock.tick()
            changed = change_the_business(sb)
            clock.tick()  # the order placed is before the clock: today's statistics count it
            await app.sync(config, resources)
            after = check_models(engine, sb)
        finally:
            engine.dispose()
    for model in changed:
        assert after[model] != before[model], f"{model} did not move"
    assert any(r["sales"] and r["partial"] for r in after["funnel_conversion_daily"])


def change_the_business(sb: Sandbox) -> tuple[str, ...]:
    """What a day of business changes, through the sandbox as the API would; returns the models moved."""
    ws = sb.workspace_ids(0)[0]
    now = sb.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")
    orders = sb.records("orders", workspace_id=ws)
    active = next(o for o in orders if o["order_type"] == "subscription-order" and not o["canceled_at"])
    sb.update("orders", active["id"], {"canceled_at": now, "churned_at": now, "service_status": "churned"})
    one_time = next(
        o for o in orders if o["order_type"] == "one-time-order" and o["billing_status"] == "paid"
    )
    sb.create(
        "orders_invoices",
        {"order_id": one_time["id"], "invoice_type": "refund", "status": "paid", "total_amount": "12.34",
         "currency": one_time["currency"], "paid_at": now, "line_items": []},
        parent_id=one_time["id"],
    )  # fmt: skip
    course = sb.records("courses", workspace_id=ws)[0]
    lessons = [
        lesson["id"]
        for section in sb.records("courses_sections", parent_id=course["id"])
        for lesson in sb.records("courses_lessons", parent_id=section["id"])
    ]
    done = {c["enrollment_id"] for c in sb.records("courses_lesson_completions", parent_id=course["id"])}
    newcomer = next(
        e for e in sb.records("courses_enrollments", parent_id=course["id"]) if e["id"] not in done
    )
    for lesson in lessons:
        sb.create(
            "courses_lesson_completions",
            {"enrollment_id": newcomer["id"], "lesson_id": lesson, "completed_at": now},
            parent_id=course["id"],
        )
    price = next(
        p
        for product in sb.records("products", workspace_id=ws)
        for p in sb.records("products_prices", parent_id=product["id"])
        if p["payment_type"] == "subscription"
    )
    sb.update("products_prices", price["id"], {"amount": str(Decimal(price["amount"]) + 5)})
    booked = next(
        a for a in sb.records("appointments_scheduled_events", workspace_id=ws) if a["status"] != "canceled"
    )
    # Spelt as ClickFunnels spells a canceled fulfillment: the model counts either spelling.
    sb.update("appointments_scheduled_events", booked["id"], {"status": "cancelled"})
    today = sb.now().replace(hour=0, minute=0, second=0, microsecond=0)
    window = {
        "timerange_start": f"{today:%Y-%m-%dT%H:%M:%SZ}",
        "timerange_end": f"{today + DAY:%Y-%m-%dT%H:%M:%SZ}",
    }
    stats = next(
        answer
        for funnel in sb.records("funnels", workspace_id=ws)
        if not funnel.get("archived")
        for answer in [sb.stats.funnel(funnel["id"], window, True)]
        if answer["steps"]
    )
    # A sale on the funnel's last step today.
    sb.create(
        "orders",
        {"page_id": stats["steps"][-1]["page_id"], "contact_id": one_time["contact_id"],
         "order_type": "one-time-order", "billing_status": "paid", "total_amount": "49.00",
         "currency": stats["currency"]},
        workspace_id=ws,
    )  # fmt: skip
    visit = {"uuid": "d3b07384-d9a0-4c3b-9f1e-000000000001", "started_at": now, "created_at": now,
             "updated_at": now, "utm_source": "tiktok", "utm_medium": "social", "utm_campaign": "launch-day",
             "landing_page": "https://example.com/optin"}  # fmt: skip
    sb.create(
        "contacts",
        {"email_address": "from.tiktok@example.com", "first_name": "Tik",
         "visits": {"first_visit": visit, "last_visit": None, "last_visit_with_utm": visit}},
        workspace_id=ws,
    )  # fmt: skip
    return (
        "revenue_daily", "contact_lifetime_value", "subscriptions", "mrr_monthly", "course_progress",
        "revenue_by_utm", "appointments_daily", "contacts_by_utm", "funnel_conversion_daily",
    )  # fmt: skip


# UTC days whatever the server's or the session's TimeZone: payments near midnight UTC, which are the day
# before in New York (UTC-5) and the day after on Kiritimati (UTC+14).
PAID = {  # table: (its model, the time field, the time, its UTC day)
    "orders_invoices": ("revenue_daily", "paid_at", "2024-12-01T03:30:00Z", date(2024, 12, 1)),  # Nov 30 NY
    "orders_transactions": ("transactions_daily", "created_at", "2024-11-30T20:00:00Z", date(2024, 11, 30)),
}


@pytest.mark.postgres
def test_revenue_days_are_utc_days_whatever_the_servers_or_sessions_time_zone(postgres_url):
    database = sa.make_url(postgres_url).database
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # the database's default: what every session gets (and the migration)
        conn.execute(sa.text(f"ALTER DATABASE \"{database}\" SET timezone = 'America/New_York'"))
    admin.dispose()
    store = Store.open(postgres_url)
    store.migrate()
    now = datetime(2025, 1, 1, tzinfo=UTC)
    for name, (_, field, at, _) in PAID.items():
        record = {"id": 1, "workspace_id": 5, "order_id": 9, "currency": "USD", field: at, "updated_at": at,
                  "result": "success", "total_amount": "10.00", "amount": "10.00"}  # fmt: skip
        parent = 9 if CATALOG[name].parent == "orders" else 5
        part = Partition(PartitionKey("default", name, 5, parent), CATALOG[name])
        rows = [to_rows(part.resource, record, part.scope, now)]
        store.write_pages([PageWrite(part, rows, [], None, run_id=1, written_at=now)])
    store.close()
    for zone, options in (
        ("America/New_York", {}),
        ("Pacific/Kiritimati", {"options": "-c timezone=Pacific/Kiritimati"}),
    ):
        engine = sa.create_engine(postgres_url, connect_args=options)
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SHOW timezone")) == zone
            for model, _, _, day in PAID.values():
                found = conn.execute(sa.text(f"SELECT day, net_cents, net FROM {model}")).all()
                assert [tuple(r) for r in found] == [(day, 1000, Decimal("10.00"))], (zone, model)
        engine.dispose()

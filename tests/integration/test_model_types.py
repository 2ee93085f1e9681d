"""What a client reads from the models: on PostgreSQL days and months as dates and money in units as NUMERIC
with two decimals (1605.36); on SQLite, which has no date type, ISO text and REAL. And a database whose views
an older cfsync created (revenue_daily with a `source` column, text days and months) gets the current ones
on its next upgrade."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from cfsync.engine.ports import PageWrite, Partition, PartitionKey
from cfsync.resources.catalog import CATALOG
from cfsync.resources.transform import to_rows
from cfsync.store import Store
from cfsync.store.models import MODELS, _digest

WS, ORDER = 5, 9
NOW = datetime(2026, 1, 10, tzinfo=UTC)
# Paid on 2026-01-02: 1610.72 charged, 5.36 refunded (net 1605.36); a failed transaction counts nowhere.
INVOICES = [
    {"id": 1, "invoice_type": "initial", "total_amount": "1610.72", "paid_at": "2026-01-02T10:00:00Z"},
    {"id": 2, "invoice_type": "refund", "total_amount": "5.36", "paid_at": "2026-01-02T12:00:00Z"},
]
TRANSACTIONS = [
    {"id": 1, "result": "success", "amount": "1610.72", "created_at": "2026-01-02T10:00:00Z"},
    {"id": 2, "result": "success", "external_type": "refund", "amount": "5.36",
     "created_at": "2026-01-02T12:00:00Z"},
    {"id": 3, "result": "failed", "amount": "99.00", "created_at": "2026-01-02T11:00:00Z"},
]  # fmt: skip
COLUMNS = "day, orders, gross_cents, refunds_cents, net_cents, net"
WANT = ("2026-01-02", 1, 161072, 536, 160536, Decimal("1605.36"))


def write(store: Store, name: str, records: list[dict[str, Any]]) -> None:
    parent = ORDER if CATALOG[name].parent == "orders" else WS
    part = Partition(PartitionKey("default", name, WS, parent), CATALOG[name])
    common = {"workspace_id": WS, "order_id": ORDER, "currency": "USD", "updated_at": "2026-01-03T00:00:00Z"}
    rows = [to_rows(part.resource, {**common, **r}, part.scope, NOW) for r in records]
    store.write_pages([PageWrite(part, rows, [], None, run_id=1, written_at=NOW)])


def read(engine: sa.Engine, model: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(f"SELECT {COLUMNS} FROM {model}"))]


def assert_client_sees_dates_and_two_decimals(engine: sa.Engine) -> None:
    for model in ("revenue_daily", "transactions_daily"):
        [row] = read(engine, model)
        day, net = row[0], row[-1]
        if engine.dialect.name == "postgresql":
            assert type(day) is date, (model, row)
            assert type(net) is Decimal, (model, row)
            assert str(net) == "1605.36"
            assert (day.isoformat(), *row[1:]) == WANT, model
        else:  # ISO text and REAL: the float prints as the amount
            assert type(day) is str, (model, row)
            assert type(net) is float, (model, row)
            assert (*row[:-1], Decimal(repr(net))) == WANT, model
        assert all(type(v) is int for v in row[1:-1]), (model, row)  # counts and cents: integers


def test_days_are_dates_and_money_has_two_decimals_as_a_client_reads_them(store):
    write(store, "orders_invoices", INVOICES)
    write(store, "orders_transactions", TRANSACTIONS)
    assert_client_sees_dates_and_two_decimals(store.engine)


def test_every_models_days_months_and_money_have_their_types(store):
    """information_schema on PostgreSQL, each column's values' types on SQLite (its views have none)."""
    if store.engine.dialect.name != "postgresql":
        write(store, "orders_invoices", INVOICES)
        with store.engine.connect() as conn:
            [(day, net, net_cents)] = conn.execute(
                sa.text("SELECT typeof(day), typeof(net), typeof(net_cents) FROM revenue_daily")
            ).all()
        assert (day, net, net_cents) == ("text", "real", "integer")
        return
    with store.engine.connect() as conn:
        types = {
            (r.table_name, r.column_name): (r.data_type, r.numeric_scale)
            for r in conn.execute(
                sa.text(
                    "SELECT table_name, column_name, data_type, numeric_scale "
                    "FROM information_schema.columns WHERE table_schema = current_schema()"
                )
            )
        }
    checked = 0
    for model in MODELS:
        names = [c for c, _ in model.columns]
        for column in names:
            found = types[(model.name, column)]
            if column in ("day", "month"):
                assert found == ("date", None), (model.name, column, found)
            elif f"{column}_cents" in names:
                assert found == ("numeric", 2), (model.name, column, found)
            elif column.endswith("_cents"):
                assert found[0] == "bigint", (model.name, column, found)
            else:
                continue
            checked += 1
    assert types[("mrr_monthly", "month")] == ("date", None)
    assert checked > 60  # every model's money and day columns, not a few


# Views as cfsync created them before (the shape that matters: revenue_daily with a `source` column and
# a text day, mrr_monthly with a text month over subscriptions) and no transactions_daily.
def _old_views(pg: bool) -> dict[str, str]:
    day = "to_char(paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')" if pg else "date(paid_at)"
    month = "to_char(started_at, 'YYYY-MM')" if pg else "strftime('%Y-%m', started_at)"
    return {
        "revenue_daily": f"SELECT {day} AS day, workspace_id, currency, 'invoices' AS source, "
        "COUNT(DISTINCT order_id) AS orders, SUM(total_amount_cents) AS net_cents, "
        f"SUM(total_amount_cents) / 100.0 AS net FROM orders_invoices GROUP BY {day}, workspace_id, currency",
        "mrr_monthly": f"SELECT {month} AS month, workspace_id, currency, SUM(mrr_cents) AS mrr_cents "
        f"FROM subscriptions GROUP BY {month}, workspace_id, currency",
    }


def test_an_upgrade_replaces_the_views_an_older_cfsync_created(store):
    write(store, "orders_invoices", INVOICES)
    write(store, "orders_transactions", TRANSACTIONS)
    engine, pg = store.engine, store.engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        for name in ("transactions_daily", "mrr_monthly", "revenue_daily"):
            conn.execute(sa.text(f"DROP VIEW {name}"))
        for name, sql in _old_views(pg).items():
            conn.execute(sa.text(f"CREATE VIEW {name} AS {sql}"))
        old = "name IN ('revenue_daily', 'mrr_monthly')"
        conn.execute(sa.text(f"UPDATE _models SET digest = 'old' WHERE {old}"))
        conn.execute(sa.text("DELETE FROM _models WHERE name = 'transactions_daily'"))
        assert "source" in list(conn.execute(sa.text("SELECT * FROM revenue_daily LIMIT 0")).keys())
    store.migrate()
    with engine.connect() as conn:
        digests = dict(conn.execute(sa.text("SELECT name, digest FROM _models")).all())
        for model in MODELS:
            found = list(conn.execute(sa.text(f"SELECT * FROM {model.name} LIMIT 0")).keys())
            assert found == [c for c, _ in model.columns], model.name
    assert digests == {m.name: _digest(m, engine.dialect.name) for m in MODELS}
    assert_client_sees_dates_and_two_decimals(engine)

"""Money sums exactly to the cent in plain SQL, on SQLite (through the `_cents` twins) and on PostgreSQL."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from cfsync import app
from cfsync.engine.ports import PageWrite, Partition, PartitionKey
from cfsync.resources.catalog import CATALOG
from cfsync.resources.transform import cents, to_rows
from cfsync.sandbox import Sandbox, SandboxConfig
from cfsync.store import Store
from cfsync.store.migrate import upgrade
from cfsync.store.schema import metadata

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ORDERS = Partition(PartitionKey("default", "orders", 5, 5), CATALOG["orders"])


def order(i: int, total: str | None, tax: str | None = "0.00") -> dict:
    return {"id": i, "workspace_id": 5, "contact_id": 1, "currency": "USD", "total_amount": total,
            "tax_amount": tax, "updated_at": "2024-01-01T00:00:00.000Z", "line_items": []}  # fmt: skip


def write_orders(store: Store, records: list[dict]) -> None:
    for start in range(0, len(records), 500):
        rows = [to_rows(ORDERS.resource, r, ORDERS.scope, T0) for r in records[start : start + 500]]
        store.write_pages([PageWrite(ORDERS, rows, [], None, run_id=1, written_at=T0)])


def random_amounts(count: int, seed: int) -> list[Decimal]:
    rng = random.Random(seed)
    # Cents that floats cannot hold (0.10, 0.29, 1.13 ...), large and small, some negative (refunds).
    return [Decimal(rng.randint(-50_000, 10_000_000)) / 100 for _ in range(count)]


def test_ten_thousand_amounts_sum_to_the_cent_in_plain_sql_on_sqlite(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path}/money.db")
    store.migrate()
    amounts = random_amounts(10_000, seed=13)
    write_orders(store, [order(i + 1, f"{amount:.2f}") for i, amount in enumerate(amounts)])
    store.close()
    exact = sum(amounts, Decimal(0))
    with sqlite3.connect(tmp_path / "money.db") as shell:  # as the sqlite3 shell or any tool reads it
        total_cents, total_text = shell.execute(
            "SELECT SUM(total_amount_cents), printf('%.2f', SUM(total_amount_cents) / 100.0) FROM orders"
        ).fetchone()
    assert total_cents == int(exact * 100)
    assert Decimal(total_text) == exact


def test_amounts_are_exact_on_both_databases(store):
    amounts = random_amounts(1_000, seed=14)
    write_orders(store, [order(i + 1, f"{amount:.2f}", tax=None) for i, amount in enumerate(amounts)])
    exact = sum(amounts, Decimal(0))
    with store.engine.connect() as conn:
        total_cents = conn.scalar(sa.text("SELECT SUM(total_amount_cents) FROM orders"))
        missing = conn.scalar(sa.text("SELECT COUNT(*) FROM orders WHERE tax_amount_cents IS NOT NULL"))
        if store.engine.dialect.name == "postgresql":
            assert conn.scalar(sa.text("SELECT SUM(total_amount) FROM orders")) == exact
    assert total_cents == int(exact * 100)
    assert missing == 0, "no amount, no cents"


def test_cents_round_a_third_decimal_half_to_even_and_refuse_what_does_not_fit():
    assert [cents(Decimal(v)) for v in ("12.34", "-0.10", "0.125", "0.135", "7")] == [1234, -10, 12, 14, 700]
    with pytest.raises(Exception, match="too large for a 64-bit count of cents"):
        cents(Decimal("1e20"), "orders.total_amount")


def test_every_money_column_has_a_cents_twin_and_nothing_else_does():
    money = {(r.name, c.name) for r in CATALOG.values() for c in r.columns if c.name.endswith("_cents")}
    assert ("orders", "total_amount_cents") in money
    assert ("products_prices", "amount_cents") in money
    assert not any("rate" in c or "probability" in c or c == "weight_cents" for _, c in money)


@pytest.mark.empty_db  # migrated here from an old revision
def test_the_migration_fills_the_cents_of_rows_synced_before_it(db_url):
    engine = sa.create_engine(db_url)
    upgrade(engine, "0005")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO orders (id, workspace_id, total_amount, tax_amount, _raw, _synced_at) "
                "VALUES (1, 5, 12.34, 0.1, '{}', '2026-01-01 00:00:00'), (2, 5, NULL, 1999999.99, '{}', "
                "'2026-01-01 00:00:00')"
            )
        )
    upgrade(engine)
    with engine.connect() as conn:
        found = conn.execute(
            sa.text("SELECT id, total_amount_cents, tax_amount_cents FROM orders ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in found] == [(1, 1234, 10), (2, None, 199999999)]


@pytest.fixture
def sb():
    return Sandbox(SandboxConfig(seed=21, workspaces=1, counts={"orders": 3}))


BIG = "12345678901234567.89"
# Amounts whose cents a binary float gets wrong: as doubles 1.015 is 1.01499... and 0.545 is 0.54500...04
# (half to even: 102 and 54 cents, where a float gives 101 and 55), and BIG has more digits than a double
# holds. Served as JSON numbers and as strings: {served fields}, (total, tax), (their cents).
SERVED = [
    ({"total_amount": 1.015, "tax_amount": "0.545"}, ("1.015", "0.545"), (102, 54)),
    ({"total_amount": 0.545, "tax_amount": "1.015"}, ("0.545", "1.015"), (54, 102)),
    ({"total_amount": BIG, "tax_amount": "-0.005"}, (BIG, "-0.005"), (1234567890123456789, 0)),
]


async def test_amounts_a_float_gets_wrong_are_exact_after_a_real_sync(sb, config, engine):
    ids = [o["id"] for o in sb.records("orders", workspace_id=sb.workspace_ids(0)[0])][: len(SERVED)]
    for id_, (fields, _, _) in zip(ids, SERVED, strict=True):
        sb.corrupt("orders", id_, fields)  # served as given, bypassing the sandbox's own checks
    summary = await app.sync(config, ["orders"])
    assert summary.status == "succeeded", summary.failures
    orders = metadata.tables["orders"]
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(sa.select(orders).where(orders.c.id.in_(ids)))}
    for id_, (_, (total, tax), amount_cents) in zip(ids, SERVED, strict=True):
        row = rows[id_]
        assert (row.total_amount_cents, row.tax_amount_cents) == amount_cents, id_
        assert row.tax_amount == Decimal(tax), id_
        # SQLite keeps decimals as REAL (analysis.md): exact as far as a double's shortest form goes.
        if engine.dialect.name == "postgresql" or total != BIG:
            assert row.total_amount == Decimal(total), id_

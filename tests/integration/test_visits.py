"""contacts__visits and orders__visits on SQLite and PostgreSQL: a row per record and kind of visit, equal to
what the sandbox serves, grouped by source with the SQL of docs/analysis.md, rewritten by a webhook."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cfsync import app
from cfsync.resources.catalog import CATALOG
from cfsync.sandbox import Sandbox, SandboxConfig
from cfsync.store import backfill
from cfsync.store.db import create_engine
from cfsync.store.migrate import upgrade
from cfsync.store.schema import backfills, metadata
from cfsync.store.webhooks import ApplyPolicy, WebhookEvents

from .helpers import VISIT_POSITIONS, config_for, copy_as_revision, dump_tables, sandbox_snapshot
from .test_webhooks_store import incoming
from .webhook_helpers import contact_event

ANALYSIS = Path(__file__).parents[2] / "docs" / "analysis.md"
FIELDS = ("uuid", "utm_source", "utm_medium", "utm_campaign", "landing_page", "device_type", "started_at")


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(SandboxConfig(seed=23, workspaces=2, counts={"contacts": 40, "orders": 30}))


def expected_rows(records: dict[int, dict], kinds: tuple[str, ...]) -> dict[tuple[int, str], tuple]:
    """(record id, kind) -> the visit's fields, read from the records as the API docs describe them: a
    contact's null last_visit is its first visit ("may be null if it is identical to first_visit")."""
    out = {}
    for record_id, record in records.items():
        visits = record.get("visits") or {}
        for kind in kinds:
            visit = visits.get(kind)
            if visit is None and kind == "last_visit":
                visit = visits.get("first_visit")
            if visit is not None:
                out[(record_id, kind)] = tuple(
                    datetime.fromisoformat(visit[f]) if f.endswith("_at") and visit[f] else visit[f]
                    for f in FIELDS
                )
    return out


def stored_rows(engine: sa.Engine, name: str, parent_key: str) -> dict[tuple[int, str], tuple]:
    table = metadata.tables[name]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table.c[parent_key], table.c.kind, table.c._position, *table.c[FIELDS]))
        out = {}
        for record_id, kind, position, *values in rows:
            assert position == VISIT_POSITIONS[kind], (name, kind, position)
            out[(record_id, kind)] = tuple(values)
    return out


def analysis_queries() -> list[str]:
    """The SQL of analysis.md's section on visits, statement by statement."""
    section = ANALYSIS.read_text().split("## Where contacts and customers came from", 1)[1].split("\n## ")[0]
    [block] = re.findall(r"```sql\n(.*?)```", section, re.S)
    return [s.strip() for s in block.split(";") if s.strip()]


async def test_visit_rows_are_the_sandboxs_visits_and_group_by_source_in_plain_sql(sb, config, engine):
    summary = await app.sync(config, ("contacts", "orders"))
    assert summary.status == "succeeded", summary.failures
    served = sandbox_snapshot(sb, names=("contacts", "orders"), children=False)
    contacts, orders = served["contacts"], served["orders"]
    want_contacts = expected_rows(contacts, ("first_visit", "last_visit", "last_visit_with_utm"))
    assert stored_rows(engine, "contacts__visits", "contact_id") == want_contacts
    assert stored_rows(engine, "orders__visits", "order_id") == expected_rows(
        orders, ("last_visit", "last_visit_with_utm")
    )
    # The sandbox has each case the rows must handle.
    visits = [c.get("visits") or {} for c in contacts.values()]
    assert any(v.get("first_visit") and v.get("last_visit") is None for v in visits), "a null last_visit"
    assert any(v.get("first_visit") is None for v in visits), "a contact never visited"
    assert any(v.get("first_visit") and v.get("last_visit_with_utm") is None for v in visits), "no UTM"

    first_touch, last_touch = analysis_queries()
    with engine.connect() as conn:
        by_source = {r.utm_source: r.contacts for r in conn.execute(sa.text(first_touch))}
        orders_by_source = {
            (r.utm_source, r.currency): (r.orders, r.total) for r in conn.execute(sa.text(last_touch))
        }
    first_sources = Counter((v.get("first_visit") or {}).get("utm_source") for v in visits)
    assert by_source == first_sources
    assert len(by_source) > 2, "several sources"
    want: dict[tuple[Any, Any], list] = {}
    for order in orders.values():
        source = ((order.get("visits") or {}).get("last_visit_with_utm") or {}).get("utm_source")
        counted = want.setdefault((source, order["currency"]), [0, 0])
        counted[0] += 1
        counted[1] += round(float(order["total_amount"] or 0) * 100)
    assert {k: (n, round(float(total) * 100)) for k, (n, total) in orders_by_source.items()} == {
        k: tuple(v) for k, v in want.items()
    }


def visit(source: str, minute: int) -> dict[str, Any]:
    return {
        "uuid": f"{source}-{minute}",
        "utm_source": source,
        "started_at": f"2025-01-01T00:{minute:02d}:00Z",
    }


def test_a_webhook_delivery_of_a_contact_rewrites_its_visit_rows(store):
    hooks = WebhookEvents(store, ApplyPolicy("default", frozenset(CATALOG)))
    first = contact_event(9, 1)
    first["data"]["visits"] = {
        "first_visit": visit("facebook", 1),
        "last_visit": visit("google", 5),
        "last_visit_with_utm": visit("google", 5),
    }
    later = contact_event(9, 2)
    # Came back through no campaign: the last visit is gone (null: "identical to first_visit" per the API).
    later["data"]["visits"] = {
        "first_visit": visit("facebook", 1),
        "last_visit": None,
        "last_visit_with_utm": visit("newsletter", 30),
    }
    table = metadata.tables["contacts__visits"]
    query = sa.select(table.c._position, table.c.kind, table.c.uuid, table.c.utm_source, table.c.workspace_id)

    def delivered(event: dict) -> list[tuple]:
        hooks.insert([incoming(event)])
        assert hooks.apply_pending().applied == 1
        with store.engine.connect() as conn:
            rows = conn.execute(query.where(table.c.contact_id == 9).order_by(table.c._position)).all()
        assert {r.workspace_id for r in rows} == {event["workspace_id"]}
        return [tuple(r)[:4] for r in rows]

    assert delivered(first) == [
        (0, "first_visit", "facebook-1", "facebook"),
        (1, "last_visit", "google-5", "google"),
        (2, "last_visit_with_utm", "google-5", "google"),
    ]
    assert delivered(later) == [
        (0, "first_visit", "facebook-1", "facebook"),
        (1, "last_visit", "facebook-1", "facebook"),
        (2, "last_visit_with_utm", "newsletter-30", "newsletter"),
    ]


@pytest.mark.empty_db
async def test_an_older_database_gets_its_visit_rows_from_the_parents_raw_and_resumes_a_fill(
    sb, server, db_url, tmp_path
):
    """Contacts and orders stored by revision 0010 have their visits in `_raw` only: 0011 makes their rows
    after it commits, a chunk of parents at a time, going on from its progress after a kill."""
    reference = create_engine(f"sqlite:///{tmp_path}/reference.db")
    summary = await app.sync(
        config_for(server.url, sb.api_token(0), str(reference.url)), ("contacts", "orders")
    )
    assert summary.status == "succeeded", summary.failures
    engine = create_engine(db_url)
    upgrade(engine, "0010")
    copy_as_revision(reference, engine)
    visit_tables = tuple(CATALOG[name] for name in ("contacts", "orders"))
    want = dump_tables(reference, visit_tables)
    assert want["contacts__visits"], "contacts with visits"
    assert want["orders__visits"], "orders with visits"

    upgrade(engine)
    assert dump_tables(engine, visit_tables) == want, "every column of every row, as the sync wrote them"

    # As a kill after a few chunks leaves it: the rows of contacts after the progress not made yet.
    contact_ids = sorted({row[0] for row in want["contacts__visits"]})
    progress = contact_ids[len(contact_ids) // 3]
    table = metadata.tables["contacts__visits"]
    with engine.begin() as conn:
        conn.execute(sa.delete(table).where(table.c.contact_id > progress))
        # A row made before the kill: left as it is (the fill does not start over).
        conn.execute(sa.update(table).where(table.c.contact_id == contact_ids[0]).values(utm_medium="before"))
        conn.execute(
            backfills.insert().values(
                table_name="contacts__visits", columns=["*"], after_key=progress, rows_done=7, revision="0011"
            )
        )
    with engine.connect() as conn:
        after = conn.scalar(sa.select(sa.func.count()).where(metadata.tables["contacts"].c.id > progress))
    assert backfill.fill_pending(engine, chunk=7) == after, "only the contacts after the progress"
    got = dump_tables(engine, visit_tables)
    medium = list(table.c.keys()).index("utm_medium")
    assert {r[medium] for r in got["contacts__visits"] if r[0] == contact_ids[0]} == {"before"}
    assert [r for r in got["contacts__visits"] if r[0] != contact_ids[0]] == [
        r for r in want["contacts__visits"] if r[0] != contact_ids[0]
    ]
    with engine.connect() as conn:
        assert backfill.pending(conn) == []
    engine.dispose()
    reference.dispose()

"""Migration 0008's data step: columns it adds to tables that had rows are filled from each row's `_raw`, a
chunk per transaction, on SQLite and PostgreSQL, with what a sync of the record would write."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import sqlalchemy as sa

from cfsync.resources.catalog import CATALOG
from cfsync.resources.transform import Scope, to_rows
from cfsync.store import backfill
from cfsync.store.db import create_engine
from cfsync.store.migrate import upgrade
from cfsync.store.schema import metadata

SYNCED = "2026-01-01 00:00:00"


def contact(i: int) -> dict:
    return {
        "id": i,
        "workspace_id": 5,
        "email_address": f"c{i}@example.com",
        "is_active": i % 2 == 0,
        "email_suppression_reason": "bounced" if i % 3 == 0 else None,
        "visits": {"last_visit_with_utm": {"utm_source": "newsletter" if i % 2 else "facebook"}},
        "updated_at": "2026-01-01T00:00:00.000Z",
    }


def page(i: int) -> dict:
    return {
        "id": i,
        "workspace_id": 5,
        "name": f"Page {i}",
        "theme_id": "12",
        "url": f"https://shop.example.com/p{i}",
        "type": "funnel_page",
        "seo_index": True,
        "funnel": {"id": 70, "name": "Main", "public_id": "fun1"},
        "updated_at": "2026-01-01T00:00:00.000Z",
    }


def insert(conn: sa.Connection, table: str, records: list[dict]) -> None:
    conn.execute(
        sa.text(f"INSERT INTO {table} (id, workspace_id, _raw, _synced_at) VALUES (:id, 5, :raw, :at)"),
        [{"id": r["id"], "raw": json.dumps(r), "at": SYNCED} for r in records],
    )


def columns_of(engine: sa.Engine, table: str, names: tuple[str, ...]) -> dict[int, tuple]:
    """The columns as cfsync reads them (typed: booleans, JSON, UTC timestamps)."""
    t = metadata.tables[table]
    with engine.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(sa.select(t.c.id, *(t.c[n] for n in names)))}


def as_synced(resource: str, record: dict, names: tuple[str, ...]) -> tuple:
    """What a sync writes into those columns for the record (the transform, not the backfill)."""
    row = to_rows(CATALOG[resource], record, Scope("default", 5, 5), datetime.now(UTC)).row
    return tuple(row[n] for n in names)


def test_rows_stored_before_0008_get_the_new_columns_from_their_raw(db_url, caplog):
    engine = create_engine(db_url)
    upgrade(engine, "0007")
    contacts = [contact(i) for i in range(1, 5001)]  # more than one chunk
    contacts[6]["is_active"] = "yes"  # does not fit a boolean: the column stays NULL, the value in _raw
    del contacts[7]["is_active"]  # a row stored before the API sent the field: nothing to fill it with
    pages = [page(i) for i in range(1, 4)]
    with engine.begin() as conn:
        insert(conn, "contacts", contacts)
        insert(conn, "pages", pages)
    with caplog.at_level(logging.INFO, logger="cfsync.migrate"):
        upgrade(engine)
    filled = ("is_active", "email_suppression_reason")
    got = columns_of(engine, "contacts", filled)
    assert got == {
        c["id"]: (None, None) if c["id"] == 7 else as_synced("contacts", c, filled) for c in contacts
    }
    assert got[1] == (False, None)
    assert got[3] == (False, "bounced")
    assert got[8][0] is None
    page_columns = ("url", "type", "seo_index", "funnel")
    assert columns_of(engine, "pages", page_columns) == {
        p["id"]: as_synced("pages", p, page_columns) for p in pages
    }
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT COUNT(*) FROM _backfills")) == 0, "done: nothing left to fill"
        raw = conn.scalar(sa.text("SELECT _raw FROM contacts WHERE id = 7"))
    assert (json.loads(raw) if isinstance(raw, str) else raw)["is_active"] == "yes"
    said = [r.getMessage() for r in caplog.records if r.name == "cfsync.migrate"]
    assert any("event=backfill_started table=contacts" in m and "rows=5000" in m for m in said)
    assert any("event=backfill_finished table=contacts" in m and "filled=5000" in m for m in said)
    engine.dispose()


def test_a_fill_left_half_way_goes_on_from_its_progress(db_url):
    engine = create_engine(db_url)
    upgrade(engine, "0007")
    contacts = [contact(i) for i in range(1, 101)]
    with engine.begin() as conn:
        insert(conn, "contacts", contacts)
    upgrade(engine, "0008", views=False)  # the schema and what is to fill, committed; the fill ran too
    with engine.begin() as conn:
        # As a kill after the first chunks would leave it: progress at id 40, the rows after it unfilled.
        conn.execute(sa.text("UPDATE contacts SET is_active = NULL WHERE id > 40"))
        conn.execute(
            sa.text(
                "INSERT INTO _backfills (table_name, columns, after_key, rows_done, revision) "
                "VALUES ('contacts', :columns, 40, 40, '0008')"
            ),
            {"columns": json.dumps(["is_active", "email_suppression_reason"])},
        )
    assert backfill.fill_pending(engine, chunk=7) == 60, "only what was left"
    assert columns_of(engine, "contacts", ("is_active",)) == {c["id"]: (c["is_active"],) for c in contacts}
    with engine.connect() as conn:
        assert backfill.pending(conn) == []
    engine.dispose()

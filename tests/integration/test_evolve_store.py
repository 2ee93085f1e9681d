"""Schema evolution in the store, on SQLite and PostgreSQL: a page with a field the table lacks adds its
column (filled from the rows' `_raw`), a child table for a new array of objects, a type clash leaves NULL
and a note, freeze adds nothing, concurrent workers add a column once, and the list comes due for a sweep."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from cfsync.engine.ports import Partition, PartitionKey
from cfsync.engine.walk import PassPolicy
from cfsync.engine.writer import PageRequest, _write_batch
from cfsync.resources.catalog import CATALOG
from cfsync.store import Store
from cfsync.store.schema import rejects, schema_changes

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CONTACTS = Partition(PartitionKey("default", "contacts", 5, 5), CATALOG["contacts"])


def contact(i: int, **extra: object) -> dict:
    return {
        "id": i,
        "workspace_id": 5,
        "first_name": "Ann",
        "email_address": f"c{i}@example.com",
        "updated_at": "2024-01-01T00:00:00.000Z",
        "tags": [],
        **extra,
    }


def write(store: Store, records: list[dict], cursor: str | None = None, run_id: int = 1):
    [result] = _write_batch(store, [PageRequest(CONTACTS, records, cursor, run_id, T0)], frozenset())
    assert not isinstance(result, BaseException), result
    return result


@pytest.fixture
def frozen(db_url):
    store = Store.open(db_url, schema=lambda _name: "freeze")
    yield store
    store.close()


def column_values(store: Store, table: str, column: str, key: str = "id") -> dict:
    with store.engine.connect() as conn:
        return dict(conn.execute(sa.text(f'SELECT {key}, "{column}" FROM "{table}" ORDER BY 1')).all())


def stored_text(store: Store, table: str, column: str) -> dict:
    """The values as the database holds them, as text (what a query in SQL compares)."""
    with store.engine.connect() as conn:
        query = f'SELECT id, CAST("{column}" AS TEXT) FROM "{table}" ORDER BY 1'
        return dict(conn.execute(sa.text(query)).all())


def changes(store: Store) -> list[tuple]:
    with store.engine.connect() as conn:
        query = sa.select(schema_changes.c.table_name, schema_changes.c.column_name, schema_changes.c.kind)
        return [tuple(r) for r in conn.execute(query.order_by(schema_changes.c.id))]


def real_columns(store: Store, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(store.engine).get_columns(table)}


def test_a_new_integer_field_adds_its_column_filled_from_raw(store, frozen):
    write(frozen, [contact(1, score=7), contact(2, score="8"), contact(3)], "3")  # before: _raw only
    assert "score" not in real_columns(store, "contacts")
    result = write(store, [contact(4, score=9)], "4", run_id=2)
    assert result.inserted == 1
    assert column_values(store, "contacts", "score") == {1: 7, 2: 8, 3: None, 4: 9}
    assert changes(store) == [("contacts", "score", "integer")]
    assert [c["run_id"] for c in store.schema_changes(2)] == [2]
    assert store.schema_changes(1) == []
    # The next page knows it: nothing more is added, and the value is written.
    write(store, [contact(5, score=1)], "5")
    assert changes(store) == [("contacts", "score", "integer")]
    assert column_values(store, "contacts", "score")[5] == 1


def test_evolve_returns_the_labels_it_made_and_then_none(store):
    resource, made = store.evolve(CATALOG["contacts"], [contact(1, loyalty_points=3)], run_id=None)
    assert made == ["contacts.loyalty_points integer"]
    assert next(c for c in resource.columns if c.name == "loyalty_points").evolved
    again, made = store.evolve(CATALOG["contacts"], [contact(2, loyalty_points=4)])
    assert made == []
    assert again.column_names == resource.column_names


def test_money_gets_its_cents_twin_equal_to_the_written_values(store, frozen):
    values = ["12.34", "0.10", "-5", "7.125", 3, 2.5, "n/a"]
    write(frozen, [contact(i, bonus_amount=v) for i, v in enumerate(values, 1)], "9")
    write(store, [contact(100 + i, bonus_amount=v) for i, v in enumerate(values[:-1], 1)], "200")
    assert changes(store) == [
        ("contacts", "bonus_amount", "decimal"),
        ("contacts", "bonus_amount_cents", "cents"),
    ]
    amounts = column_values(store, "contacts", "bonus_amount")
    cents = column_values(store, "contacts", "bonus_amount_cents")
    assert Decimal(str(amounts[1])) == Decimal("12.34")
    assert cents[1] == 1234
    assert cents[2] == 10
    assert cents[3] == -500
    assert cents[5] == 300
    assert cents[6] == 250
    assert amounts[7] is None
    assert cents[7] is None
    # A filled row holds what the transform writes for the same value (three decimals: cents left NULL).
    text = stored_text(store, "contacts", "bonus_amount")
    for i in range(1, 7):
        assert text[i] == text[100 + i], (values[i - 1], text[i], text[100 + i])
        assert cents[i] == cents[100 + i] or (i == 4 and cents[i] is None)


def test_timestamps_fill_as_the_transform_writes_them(store, frozen):
    values = [
        "2024-05-06T07:08:09.123Z",
        "2024-05-06T07:08:09Z",
        "2024-05-06T23:30:00+02:00",
        "2024-05-06 07:08:09.123456",
        "2024-02-29T00:00:00-05:00",
    ]
    write(frozen, [contact(i, verified_at=v) for i, v in enumerate(values, 1)], "9")
    write(store, [contact(100 + i, verified_at=v) for i, v in enumerate(values, 1)], "200")
    assert changes(store) == [("contacts", "verified_at", "timestamp")]
    text = stored_text(store, "contacts", "verified_at")
    read = column_values(store, "contacts", "verified_at")
    for i in range(1, len(values) + 1):
        assert text[i] is not None, values[i - 1]
        assert text[i] == text[100 + i], (values[i - 1], text[i], text[100 + i])
    with store.engine.connect() as conn:
        later = conn.scalar(sa.text("SELECT count(*) FROM contacts WHERE verified_at > updated_at"))
    assert later == 10
    assert read[1] is not None


def test_an_object_becomes_a_json_column(store, frozen):
    write(frozen, [contact(1, prefs={"a": 1, "b": [1, 2]})], "1")
    write(store, [contact(2, prefs={"a": 2})], "2")
    assert changes(store) == [("contacts", "prefs", "json")]
    resource = store.evolution.resource(CATALOG["contacts"])
    table = store.evolution.table("contacts")
    assert "prefs" in table.c
    assert "prefs" in resource.column_names
    with store.engine.connect() as conn:
        found = dict(conn.execute(sa.select(table.c.id, table.c.prefs).order_by(table.c.id)).all())
    assert found == {1: {"a": 1, "b": [1, 2]}, 2: {"a": 2}}


def test_an_array_of_objects_becomes_a_child_table(store, frozen):
    badge = {"id": 1, "name": "gold", "awarded_at": "2024-01-02T03:04:05Z"}
    write(frozen, [contact(1, badges=[badge, {**badge, "id": 2}]), contact(2, badges=[])], "2")
    write(store, [contact(3, badges=[{**badge, "id": 3}]), contact(4, badges=None)], "4")
    assert ("contacts", "badges", "table") in changes(store)
    assert ("contacts__badges", "awarded_at", "timestamp") in changes(store)
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT contact_id, _position, id, name, workspace_id FROM contacts__badges ORDER BY 1, 2"
            )
        ).all()
    assert [tuple(r) for r in rows] == [(1, 0, 1, "gold", 5), (1, 1, 2, "gold", 5), (3, 0, 3, "gold", 5)]
    # A changed parent replaces its rows; a deleted one takes them with it.
    write(store, [contact(3, badges=[{**badge, "id": 9, "name": "silver", "extra": True}])], "4")
    assert ("contacts__badges", "extra", "boolean") in changes(store)
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, name, extra FROM contacts__badges WHERE contact_id = 3")
        ).all()
    assert [tuple(r) for r in rows] == [(9, "silver", True)]
    store.mark_deleted(CATALOG["contacts"], [1], T0 + timedelta(days=1))
    with store.engine.connect() as conn:
        gone = conn.scalar(sa.text("SELECT count(*) FROM contacts__badges WHERE _deleted_at IS NOT NULL"))
    assert gone == 2


def test_a_type_clash_leaves_null_and_a_reject_and_writes_the_page(store):
    write(store, [contact(1, score=1)], "1")
    result = write(store, [contact(2, score="n/a"), contact(3, score=3)], "3")
    assert (result.inserted, result.rejected) == (2, 0)
    assert column_values(store, "contacts", "score") == {1: 1, 2: None, 3: 3}
    with store.engine.connect() as conn:
        found = conn.execute(sa.select(rejects.c.record_id, rejects.c.column_name, rejects.c.reason)).all()
    assert len(found) == 1
    record_id, column, reason = found[0]
    assert (record_id, column) == ("2", "score")
    assert "score" in reason
    assert "'n/a'" in reason
    assert "integer" in reason
    assert changes(store) == [("contacts", "score", "integer")]  # no type change
    again = write(store, [contact(2, score="n/a"), contact(3, score=3)], "3")  # a sweep lists them again
    assert again.unchanged == 2
    with store.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(rejects)) == 1  # noted when written


def test_a_write_outside_a_walk_evolves_and_notes_to_rejects(store):
    from cfsync.engine.apply import apply_record

    apply_record(store, "default", CATALOG["contacts"], contact(1, score=5))
    assert column_values(store, "contacts", "score") == {1: 5}
    apply_record(store, "default", CATALOG["contacts"], contact(2, score="x"))
    again = apply_record(store, "default", CATALOG["contacts"], contact(2, score="x"))  # delivered twice
    assert again.unchanged == 1
    with store.engine.connect() as conn:
        found = conn.execute(sa.select(rejects.c.run_id, rejects.c.column_name, rejects.c.account)).all()
    assert [tuple(r) for r in found] == [(None, "score", "default")]


def test_freeze_adds_nothing(frozen):
    before = real_columns(frozen, "contacts")
    result = write(frozen, [contact(1, score=7, badges=[{"id": 1}])], "1")
    assert result.inserted == 1
    assert real_columns(frozen, "contacts") == before
    assert changes(frozen) == []
    assert not sa.inspect(frozen.engine).has_table("contacts__badges")


def test_workers_meeting_the_same_field_at_once_add_it_once(db_url):
    stores = [Store.open(db_url) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def work(store: Store, i: int) -> None:
        try:
            barrier.wait()
            # Different types for the same field: the first change wins, the others use it.
            value = i if i % 2 else f"v{i}"
            resource, _ = store.evolve(CATALOG["contacts"], [contact(i, shared=value)])
            assert "shared" in resource.column_names
            write(store, [contact(i, shared=value)], None)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s, i)) for i, s in enumerate(stores, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert [c[:2] for c in changes(stores[0])] == [("contacts", "shared")]
        assert "shared" in real_columns(stores[0], "contacts")
        with stores[0].engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM contacts")) == 4
    finally:
        for s in stores:
            s.close()


def test_a_change_makes_the_list_due_for_a_sweep(store):
    policy = PassPolicy(full_refresh_every=timedelta(days=30))
    resource = CATALOG["contacts"]
    store.begin_sweep(CONTACTS.key, 1, T0)
    write(store, [contact(1)], "1")
    store.finish_sweep(CONTACTS, 1, T0 + timedelta(minutes=5))
    state = store.partition_state(CONTACTS.key)
    assert state.last_full_sweep_at == T0  # when the sweep began
    assert state.schema_changed_at is None
    assert not policy.sweep_due(state, T0 + timedelta(hours=1), resource)
    write(store, [contact(2, score=2)], "2")
    state = store.partition_state(CONTACTS.key)
    assert state.schema_changed_at is not None
    assert state.schema_changed_at > T0
    assert policy.sweep_due(state, T0 + timedelta(hours=1), resource)
    # A sweep that began after the change settles it.
    began = datetime.now(UTC) + timedelta(seconds=1)
    store.begin_sweep(CONTACTS.key, 2, began)
    write(store, [contact(1), contact(2, score=2)], "2")
    store.finish_sweep(CONTACTS, 2, began + timedelta(minutes=1))
    assert not policy.sweep_due(store.partition_state(CONTACTS.key), began + timedelta(hours=1), resource)


def test_a_change_to_a_nested_list_makes_its_parents_due(store):
    from cfsync.engine.writer import PageRequest as Req

    courses = Partition(PartitionKey("default", "courses", 5, 5), CATALOG["courses"])
    course = {"id": 1, "workspace_id": 5, "title": "c", "updated_at": "2024-01-01T00:00:00Z"}
    [r] = _write_batch(store, [Req(courses, [course], "1", 1, T0)], frozenset())
    assert not isinstance(r, BaseException)
    sections = Partition(PartitionKey("default", "courses_sections", 5, 1), CATALOG["courses_sections"])
    store.begin_sweep(sections.key, 1, T0)
    [r] = _write_batch(store, [Req(sections, [{"id": 10, "course_id": 1}], "10", 1, T0)], frozenset())
    store.finish_sweep(sections, 1, T0)
    store.finish_partition(sections.key, 1, None, started=T0 + timedelta(days=400))
    later = T0 + timedelta(days=400)
    assert store.parent_ids(courses, "courses_sections", now=later) == []
    store.evolve(CATALOG["courses_sections"], [{"id": 11, "course_id": 1, "extra_note": "x"}])
    assert store.parent_ids(courses, "courses_sections", now=later) == [1]


def test_a_webhook_delivery_with_a_new_field_evolves_the_table(store):
    from cfsync.store.webhooks import ApplyPolicy, IncomingEvent, WebhookEvents

    from .webhook_helpers import contact_event

    event = contact_event(1, 1)
    event["data"]["loyalty_points"] = 12
    created = datetime.fromisoformat(event["created_at"].replace("Z", "+00:00"))
    incoming = IncomingEvent(
        event["event_id"], event["event_type"], event["workspace_id"], "Contact", 1, None, created, event
    )
    hooks = WebhookEvents(store, ApplyPolicy("default", frozenset(CATALOG)))
    hooks.insert([incoming])
    stats = hooks.apply_pending()
    assert stats is not None
    assert stats.applied == 1
    assert changes(store) == [("contacts", "loyalty_points", "integer")]
    assert column_values(store, "contacts", "loyalty_points") == {1: 12}


def test_a_release_whose_catalog_has_an_evolved_column_takes_it_over(store):
    """A later catalog types `score` as text and knows `badges` as a child table: the upgrade's take-over
    drops what evolution made, the migration adds the catalog's (here by hand), and the values and child
    rows come back from `_raw` with the catalog's types."""
    from cfsync.resources.catalog import Column
    from cfsync.store import takeover
    from cfsync.store.schema import backfills

    badges = [{"id": 1, "name": "gold"}]
    write(store, [contact(1, score=7, badges=badges), contact(2, score=8), contact(3)], "3")
    assert "score" in real_columns(store, "contacts")
    assert "contacts__badges" in sa.inspect(store.engine).get_table_names()
    later = {
        ("contacts", "score"): Column("score", "text", "score", "string"),
        ("contacts", "badges"): Column("badges", "table", "badges[]", "array"),
    }
    with store.engine.begin() as conn:
        taken = takeover.release(conn, later)
        assert "score" not in {c["name"] for c in sa.inspect(conn).get_columns("contacts")}
        assert not sa.inspect(conn).has_table("contacts__badges")
        conn.exec_driver_sql('ALTER TABLE contacts ADD COLUMN "score" TEXT')  # what the migration does
        takeover.refill(conn, taken, "9999")
        assert conn.scalar(sa.select(backfills.c.columns).where(backfills.c.table_name == "contacts__badges"))
        conn.execute(sa.delete(backfills))  # the real backfill needs the catalog to know the table
    assert column_values(store, "contacts", "score") == {1: "7", 2: "8", 3: None}
    assert changes(store) == []
    assert {t.table for t in taken} == {"contacts", "contacts__badges"}

"""webhook_events on SQLite and PostgreSQL: stored once, applied in order, older events never win."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from cfsync.engine.apply import apply_record
from cfsync.engine.ports import Partition, PartitionKey
from cfsync.resources.catalog import CATALOG
from cfsync.resources.transform import Scope, to_rows
from cfsync.store import Store
from cfsync.store.webhooks import ApplyPolicy, IncomingEvent, WebhookEvents, prune_events

from .webhook_helpers import WS, contact_event, events_table, row

ALL = ApplyPolicy("default", frozenset(CATALOG))


def incoming(event: dict, endpoint_id: int | None = None) -> IncomingEvent:
    created = datetime.fromisoformat(event["created_at"].replace("Z", "+00:00"))
    return IncomingEvent(
        event["event_id"],
        event["event_type"],
        event["workspace_id"],
        event["subject_type"],
        event["subject_id"],
        endpoint_id,
        created,
        event,
    )


def hooks(store: Store, policy: ApplyPolicy = ALL) -> WebhookEvents:
    return WebhookEvents(store, policy)


def statuses(store: Store) -> list[tuple[str, str]]:
    return [(e["event_type"], e["status"]) for e in events_table(store.engine)]


def test_an_event_is_stored_once_and_applied_once(store):
    w = hooks(store)
    event = contact_event(1, 1, first_name="Ann")
    assert w.insert([incoming(event), incoming(event)]) == [True, False]
    assert w.insert([incoming(event)]) == [False]
    stats = w.apply_pending()
    assert (stats.applied, stats.total) == (1, 1)
    assert w.apply_pending().total == 0  # nothing left: a redelivery changed nothing
    [stored] = events_table(store.engine)
    assert (stored["status"], stored["resource"], stored["record_id"]) == ("applied", "contacts", 1)
    assert stored["applied_at"] is not None
    assert stored["payload"] == event
    contact = row(store.engine, "contacts", 1)
    assert contact["first_name"] == "Ann"
    assert contact["workspace_id"] == WS
    assert contact["_raw"] == event["data"]
    tags = sa.select(sa.func.count()).select_from(sa.table("contacts__tags"))
    with store.engine.connect() as conn:
        assert conn.scalar(tags) == 1


def test_rows_look_exactly_like_synced_rows(store):
    """The same record through a webhook and through a sync's transform: the same row."""
    event = contact_event(5, 2)
    w = hooks(store)
    w.insert([incoming(event)])
    w.apply_pending()
    via_hook = row(store.engine, "contacts", 5)
    resource = CATALOG["contacts"]
    part = Partition(PartitionKey("default", "contacts", WS, WS), resource)
    expected = to_rows(resource, event["data"], part.scope, via_hook["_synced_at"]).row
    assert {k: via_hook[k] for k in expected} == expected


def test_older_events_never_overwrite_newer_rows(store):
    w = hooks(store)
    w.insert([incoming(contact_event(1, 3, first_name="newest"))])
    w.apply_pending()
    older = [incoming(contact_event(1, 2, first_name="older")), incoming(contact_event(1, 1))]
    w.insert(older)
    stats = w.apply_pending()
    assert (stats.applied, stats.stale) == (0, 2)
    assert row(store.engine, "contacts", 1)["first_name"] == "newest"
    reasons = [e["reason"] for e in events_table(store.engine)[1:]]
    assert all("stored row is newer" in r for r in reasons)
    # The same version again applies (idempotent), and a newer one wins.
    w.insert(
        [incoming(contact_event(1, 3, first_name="newest")), incoming(contact_event(1, 4, first_name="4"))]
    )
    assert w.apply_pending().applied == 2
    assert row(store.engine, "contacts", 1)["first_name"] == "4"


def test_the_records_own_updated_at_decides_not_when_the_event_was_made(store):
    """A late delivery made after the row was stored but carrying an older copy of the record loses; an
    event made long ago whose record copy is newer wins."""
    w = hooks(store)
    w.insert([incoming(contact_event(1, 3, first_name="stored"))])
    w.apply_pending()
    w.insert([incoming(contact_event(1, 2, first_name="late copy", created=9))])
    assert (w.apply_pending().stale, row(store.engine, "contacts", 1)["first_name"]) == (1, "stored")
    w.insert([incoming(contact_event(1, 4, first_name="newer copy", created=1))])
    assert (w.apply_pending().applied, row(store.engine, "contacts", 1)["first_name"]) == (1, "newer copy")


def test_out_of_order_within_one_batch(store):
    w = hooks(store)
    w.insert([incoming(contact_event(1, v, first_name=f"v{v}")) for v in (2, 5, 1, 4, 3)])
    stats = w.apply_pending()
    assert (stats.applied, stats.stale) == (2, 3)
    assert row(store.engine, "contacts", 1)["first_name"] == "v5"


@pytest.mark.parametrize("deletes", ["soft", "hard"])
def test_deletes_are_final(db_url, deletes):
    store = Store.open(db_url, deletes=deletes)
    store.migrate()
    try:
        w = hooks(store)
        w.insert([incoming(contact_event(1, 1)), incoming(contact_event(1, 2, action="deleted", created=3))])
        stats = w.apply_pending()
        assert stats.applied == 2
        gone = row(store.engine, "contacts", 1)
        assert gone is None if deletes == "hard" else gone["_deleted_at"] is not None
        # A late update from before the deletion does not bring it back, in either mode.
        w.insert([incoming(contact_event(1, 2.5, first_name="late"))])
        stats = w.apply_pending()
        assert stats.stale == 1
        late = row(store.engine, "contacts", 1)
        assert late is None if deletes == "hard" else late["_deleted_at"] is not None
        # A delete for a record never stored is applied (and remembered), not an error.
        w.insert([incoming(contact_event(9, 1, action="deleted"))])
        assert w.apply_pending().applied == 1
        w.insert([incoming(contact_event(9, 0.5))])
        assert w.apply_pending().stale == 1
        assert row(store.engine, "contacts", 9) is None
    finally:
        store.close()


def test_a_delete_the_sync_saw_in_the_event_log_counts_too(store):
    """The sync stores the workspace's event log; its `*.deleted` entries stop late updates as well."""
    log = CATALOG["webhooks_outgoing_events"]
    apply_record(
        store,
        "default",
        log,
        {
            "id": 50,
            "workspace_id": WS,
            "event_type_id": "contact.deleted",
            "subject_id": 3,
            "subject_type": "Contact",
            "data": {},
            "created_at": "2025-01-01T00:10:00.000Z",
        },
    )
    w = hooks(store)
    w.insert([incoming(contact_event(3, 9)), incoming(contact_event(3, 11, first_name="after"))])
    stats = w.apply_pending()
    assert (stats.stale, stats.applied) == (1, 1)
    assert row(store.engine, "contacts", 3)["first_name"] == "after"


def test_unknown_types_and_unsynced_tables_are_stored_not_applied(store):
    policy = ApplyPolicy("default", frozenset({"contacts"}), frozenset({WS}))
    w = hooks(store, policy)
    unknown = {**contact_event(1), "event_type": "subscription.activated", "subject_type": "Subscription"}
    product = {**contact_event(2), "event_type": "product.updated", "subject_type": "Product"}
    other_ws = contact_event(3, workspace_id=99)
    w.insert([incoming(e) for e in (unknown, product, other_ws)])
    stats = w.apply_pending()
    assert (stats.ignored, stats.applied) == (3, 0)
    reasons = [e["reason"] for e in events_table(store.engine)]
    assert reasons == [
        "no table holds subscription.activated subjects",
        "products is not synced ([sync].resources / exclude)",
        "workspace 99 is not synced ([sync].workspaces)",
    ]
    assert row(store.engine, "contacts", 3) is None
    assert row(store.engine, "products", 2) is None


def test_a_record_that_does_not_fit_fails_alone(store):
    w = hooks(store)
    bad = contact_event(1)
    bad["data"]["updated_at"] = "yesterday"
    w.insert([incoming(bad), incoming(contact_event(2))])
    stats = w.apply_pending()
    assert (stats.failed, stats.applied) == (1, 1)
    failed = events_table(store.engine)[0]
    assert failed["status"] == "failed"
    assert "updated_at" in failed["reason"]


def test_a_database_error_in_a_batch_fails_only_its_event(store):
    """A record whose value the database refuses (an id beyond 64 bits, in a child row): the batch is
    redone one event at a time and only that event is marked failed."""
    w = hooks(store)
    bad = contact_event(1)
    bad["data"]["tags"] = [{"id": 2**70, "name": "x"}]
    w.insert([incoming(contact_event(2)), incoming(bad), incoming(contact_event(3))])
    stats = w.apply_pending()
    if stats.failed == 0:  # SQLite keeps big integers as text or real: nothing to refuse
        assert stats.applied == 3
        return
    assert (stats.failed, stats.applied) == (1, 2)
    assert [e["status"] for e in events_table(store.engine)] == ["applied", "failed", "applied"]


def test_pending_events_are_applied_by_the_repair(store):
    w = hooks(store)
    w.insert([incoming(contact_event(i, 1)) for i in range(1, 1201)])
    assert w.counts()["pending"] == 1200
    total = w.apply_all(batch=500)
    assert total.applied == 1200
    assert w.counts()["pending"] == 0
    with store.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT COUNT(*) FROM contacts")) == 1200


def test_nested_records_get_their_parent_and_workspace(store):
    """An enrollment carries its course_id; a product price does not, so it keeps the stored one."""
    w = hooks(store)
    enrollment = {
        "event_id": "e-1",
        "event_type": "courses/enrollment.created",
        "subject_id": 70,
        "subject_type": "Courses::Enrollment",
        "data": {"id": 70, "course_id": 12, "contact_id": 1, "updated_at": "2025-01-01T00:00:00Z"},
        "created_at": "2025-01-01T00:00:00Z",
        "api_version": 2,
        "workspace_id": WS,
    }
    w.insert([incoming(enrollment)])
    assert w.apply_pending().applied == 1
    stored = row(store.engine, "courses_enrollments", 70)
    assert (stored["course_id"], stored["workspace_id"]) == (12, WS)
    resource = CATALOG["products_prices"]
    price_rows = to_rows(resource, {"id": 5, "amount": "1.00"}, Scope("default", WS, 44), datetime.now(UTC))
    store.upsert(resource, [price_rows])
    price = {**enrollment, "event_id": "e-2", "event_type": "products/price.updated", "subject_id": 5}
    price["data"] = {"id": 5, "amount": "2.00", "updated_at": "2025-01-02T00:00:00Z"}
    w.insert([incoming(price)])
    assert w.apply_pending().applied == 1
    stored = row(store.engine, "products_prices", 5)
    assert (stored["product_id"], stored["amount"], stored["workspace_id"]) == (44, Decimal("2.00"), WS)


def test_prune_keeps_pending_events_tombstones_and_recent_ones(store):
    w = hooks(store)
    old, now = datetime(2026, 1, 1, tzinfo=UTC), datetime.now(UTC)
    stale = contact_event(1, 1)
    w.insert([incoming(contact_event(1, 2)), incoming(stale)], received_at=old)  # applied, then stale
    w.insert([incoming(contact_event(2, 1, action="deleted"))], received_at=old)  # a tombstone
    w.insert([incoming({**contact_event(3, 1), "event_type": "widget.created"})], received_at=old)
    w.apply_pending()
    w.insert([incoming(contact_event(4, 1))], received_at=old)  # still pending
    w.insert([incoming(contact_event(5, 1))], received_at=now)  # recent
    w.apply_pending(limit=0)

    gone = prune_events(store, now - timedelta(days=1), chunk=2)

    assert gone == {"applied": 1, "stale": 1, "ignored": 1, "failed": 0}
    kept = sorted((e["record_id"], e["event_type"], e["status"]) for e in events_table(store.engine))
    assert kept == [
        (2, "contact.deleted", "applied"),
        (4, "contact.updated", "pending"),
        (5, "contact.updated", "pending"),
    ]
    # A redelivery of a pruned event is taken again and changes nothing: the stored row is newer.
    assert w.insert([incoming(stale)]) == [True]
    w.apply_pending()
    assert row(store.engine, "contacts", 1)["first_name"] == "v2"
    assert ("contact.updated", "stale") in statuses(store)
    # Now applied, the old pending event goes too; the recent ones stay.
    assert prune_events(store, now - timedelta(days=1)) == {**dict.fromkeys(gone, 0), "applied": 1}
    assert len(events_table(store.engine)) == 3

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cfsync.errors import RecordError
from cfsync.resources.catalog import CATALOG
from cfsync.resources.transform import Scope, coerce, to_rows

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SCOPE = Scope("default", workspace_id=5, parent_id=5)


def contact(**extra):
    record = {
        "id": 11,
        "public_id": "abc",
        "workspace_id": 5,
        "email_address": "a@example.com",
        "created_at": "2024-03-01T12:00:00.000Z",
        "updated_at": "2024-03-02T12:00:00.123Z",
        "tags": [{"id": 1, "public_id": "t1", "name": "vip", "color": "red", "applied_at": None}],
        "custom_attributes": {"plan": "gold"},
    }
    record.update(extra)
    return record


def visit(source: str | None, at: str = "2024-02-01T10:00:00.000Z") -> dict:
    return {"uuid": f"v-{source}", "utm_source": source, "started_at": at, "ip": "198.51.100.7"}


def test_a_contact_has_a_row_per_visit_and_its_null_last_visit_is_its_first():
    first, with_utm = visit("facebook"), visit("newsletter", "2024-03-01T09:00:00Z")
    visits = {"first_visit": first, "last_visit": None, "last_visit_with_utm": with_utm}
    rows = to_rows(CATALOG["contacts"], contact(visits=visits), SCOPE, NOW)
    got = {(r["_position"], r["kind"]): r for r in rows.children["contacts__visits"]}
    assert list(got) == [(0, "first_visit"), (1, "last_visit"), (2, "last_visit_with_utm")]
    assert got[(1, "last_visit")]["_raw"] == first == got[(0, "first_visit")]["_raw"]
    assert got[(1, "last_visit")]["utm_source"] == "facebook"
    assert got[(2, "last_visit_with_utm")]["started_at"] == datetime(2024, 3, 1, 9, tzinfo=UTC)
    assert got[(0, "first_visit")]["ip"] == "198.51.100.7"
    assert all(r["contact_id"] == 11 and r["workspace_id"] == 5 for r in got.values())
    assert rows.row["visits"] == visits, "the JSON column keeps what the API sent"
    # Never visited (imported), or no visit with UTM: no row for what is not there.
    assert to_rows(CATALOG["contacts"], contact(visits=None), SCOPE, NOW).children["contacts__visits"] == []
    only_first = {"first_visit": first, "last_visit": None, "last_visit_with_utm": None}
    kinds = [
        r["kind"]
        for r in to_rows(CATALOG["contacts"], contact(visits=only_first), SCOPE, NOW).children[
            "contacts__visits"
        ]
    ]
    assert kinds == ["first_visit", "last_visit"]


def test_an_order_has_its_last_visits_at_the_contacts_positions():
    order = {
        "id": 3,
        "workspace_id": 5,
        "visits": {"last_visit": visit(None), "last_visit_with_utm": visit("x")},
    }
    rows = to_rows(CATALOG["orders"], order, SCOPE, NOW).children["orders__visits"]
    assert [(r["order_id"], r["_position"], r["kind"], r["utm_source"]) for r in rows] == [
        (3, 1, "last_visit", None),
        (3, 2, "last_visit_with_utm", "x"),
    ]


@pytest.mark.parametrize(
    ("visits", "says"),
    [
        ([visit("x")], "visits must be an object"),
        ({"first_visit": "x"}, r"visits\[first_visit\] must be an object"),
    ],
)
def test_visits_of_the_wrong_shape_set_the_record_aside(visits, says):
    with pytest.raises(RecordError, match=says):
        to_rows(CATALOG["contacts"], contact(visits=visits), SCOPE, NOW)


def test_contact_row_and_tags():
    rows = to_rows(CATALOG["contacts"], contact(), SCOPE, NOW)
    assert rows.row["id"] == 11
    assert rows.row["updated_at"] == datetime(2024, 3, 2, 12, 0, 0, 123000, tzinfo=UTC)
    assert rows.row["custom_attributes"] == {"plan": "gold"}
    assert rows.row["_raw"] == contact()
    assert rows.row["_synced_at"] == NOW
    assert rows.row["_deleted_at"] is None
    assert rows.row["first_name"] is None  # missing fields are null, never an error
    [tag] = rows.children["contacts__tags"]
    assert tag["contact_id"] == 11
    assert tag["_position"] == 0
    assert tag["name"] == "vip"
    assert tag["workspace_id"] == 5


def test_courses_get_their_workspace_from_the_partition():
    rows = to_rows(CATALOG["courses"], {"id": 3, "title": "T"}, SCOPE, NOW)
    assert rows.row["workspace_id"] == 5


def test_enrollments_get_course_and_workspace():
    scope = Scope("default", workspace_id=5, parent_id=77)
    rows = to_rows(CATALOG["courses_enrollments"], {"id": 1, "contact_id": 2}, scope, NOW)
    assert rows.row["course_id"] == 77
    assert rows.row["workspace_id"] == 5


def test_teams_carry_the_account():
    rows = to_rows(CATALOG["teams"], {"id": 1, "name": "Acme"}, Scope("agency", None, None), NOW)
    assert rows.row["_account"] == "agency"


def test_order_money_is_decimal():
    record = {"id": 1, "total_amount": "123.40", "line_items": [{"id": 9, "quantity": 2}]}
    rows = to_rows(CATALOG["orders"], record, SCOPE, NOW)
    assert rows.row["total_amount"] == Decimal("123.40")
    assert rows.children["orders__line_items"][0]["order_id"] == 1
    assert rows.children["orders__segments"] == []


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"name": "no id"}, "record has no id"),
        ({"id": "x1"}, "id: 'x1' is not an integer id"),
        ({"id": True}, "is not an integer id"),
        ({"id": 1, "created_at": "yesterday"}, "created_at: 'yesterday' is not an ISO-8601 timestamp"),
        ({"id": 1, "tags": "vip"}, "tags must be a list"),
        ({"id": 1, "tags": ["vip"]}, r"tags\[0\] must be an object"),
        ({"id": 1, "first_name": {"a": 1}}, "first_name"),
    ],
)
def test_records_that_do_not_fit(record, message):
    with pytest.raises(RecordError, match=message):
        to_rows(CATALOG["contacts"], record, SCOPE, NOW)


def test_not_an_object():
    with pytest.raises(RecordError, match="expected an object"):
        to_rows(CATALOG["contacts"], [1, 2], SCOPE, NOW)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("integer", "42", 42),
        ("integer", 42.0, 42),
        ("boolean", False, False),
        ("text", 12, "12"),
        ("decimal", 0.1, Decimal("0.1")),
        ("decimal", "", None),
        ("timestamp", "2024-01-01T00:00:00", datetime(2024, 1, 1, tzinfo=UTC)),
        ("timestamp", "2024-01-01T02:00:00+02:00", datetime(2024, 1, 1, tzinfo=UTC)),
        ("json", {"a": [1]}, {"a": [1]}),
    ],
)
def test_coerce(kind, value, expected):
    assert coerce(kind, value, "f") == expected


@pytest.mark.parametrize(("kind", "value"), [("boolean", "yes"), ("decimal", "NaN"), ("integer", 1.5)])
def test_coerce_refuses(kind, value):
    with pytest.raises(RecordError):
        coerce(kind, value, "f")

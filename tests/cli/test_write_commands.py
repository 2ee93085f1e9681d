"""Every write command against the sandbox on a real socket: output, exit codes, the local database."""

from __future__ import annotations

import json

import pytest

from cfsync.sandbox import Sandbox, SandboxConfig

from .cli_helpers import one_error_line

COMMANDS = [
    ["contacts"],
    ["contacts", "create"],
    ["contacts", "update"],
    ["contacts", "delete"],
    ["contacts", "upsert"],
    ["contacts", "gdpr-destroy"],
    ["products", "create"],
    ["products", "update"],
    ["products", "archive"],
    ["products", "unarchive"],
    ["orders", "update"],
    ["fulfillments", "create"],
    ["fulfillments", "cancel"],
    ["enrollments", "create"],
    ["enrollments", "update"],
    ["images", "create"],
    ["webhooks", "endpoints", "list"],
    ["webhooks", "endpoints", "create"],
    ["webhooks", "endpoints", "update"],
    ["webhooks", "endpoints", "delete"],
]


@pytest.fixture
def sb():
    return Sandbox(SandboxConfig(seed=5, accounts=2, workspaces=1, counts={"contacts": 30}))


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_help(args):
    from click.testing import CliRunner

    from cfsync.cli import cli

    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.output


def test_contacts_create_update_upsert(cf, sb, ws):
    created = cf.json(
        "contacts", "create", "-f", "email_address=ann@example.com", "-f", "phone_number=0044123"
    )
    cid = created["id"]
    assert created["phone_number"] == "0044123"  # a text field keeps its text, leading zeros and all
    assert cf.row("contacts", cid)["email_address"] == "ann@example.com"
    assert cf.row("contacts", cid)["workspace_id"] == ws

    updated = cf.json(
        "contacts", "update", str(cid), "-f", "first_name=Ann", "-f", 'custom_attributes={"plan": "gold"}'
    )
    assert updated["custom_attributes"] == {"plan": "gold"}
    assert cf.row("contacts", cid)["first_name"] == "Ann"

    again = cf("contacts", "upsert", "-f", "email_address=ANN@example.com", "-f", "last_name=Lee")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["id"] == cid
    assert again.stderr.strip() == f"cfsync: updated contact {cid}"
    new = cf("contacts", "upsert", "--workspace", str(ws), "-f", "email_address=new@example.com")
    assert new.stderr.strip() == f"cfsync: created contact {json.loads(new.stdout)['id']}"
    assert cf.row("contacts", cid)["last_name"] == "Lee"


def test_fields_from_input_file_and_stdin(cf, sb, tmp_path):
    (tmp_path / "body.json").write_text(
        json.dumps({"contact": {"email_address": "in@example.com", "first_name": "F"}})
    )
    from_file = cf.json("contacts", "create", "--input", "body.json", "-f", "first_name=Override")
    assert (from_file["email_address"], from_file["first_name"]) == ("in@example.com", "Override")
    from_stdin = cf.json(
        "contacts", "update", str(from_file["id"]), "--input", "-", input='{"last_name": "Stdin"}'
    )
    assert from_stdin["last_name"] == "Stdin"
    assert cf.row("contacts", from_file["id"])["last_name"] == "Stdin"


def test_write_errors(cf, sb, ws):
    existing = sb.records("contacts", workspace_id=ws)[0]
    rows = cf.count("contacts")

    taken = cf("contacts", "create", "-f", f"email_address={existing['email_address']}")
    assert taken.exit_code == 1
    assert "HTTP 422: Email address has already been taken" in one_error_line(taken)
    assert taken.stdout == ""
    missing = cf("contacts", "update", "999999999", "-f", "first_name=X")
    assert missing.exit_code == 1
    assert "HTTP 404: Not found: Record missing (PUT /contacts/999999999)" in one_error_line(missing)
    assert cf.count("contacts") == rows  # refusals leave the database as it was

    requests = len(sb.requests)
    unknown = cf("contacts", "update", str(existing["id"]), "-f", "frist_name=Ann")
    assert unknown.exit_code == 2
    assert "contacts update takes no field 'frist_name'" in one_error_line(unknown)
    wrong_type = cf("contacts", "create", "-f", "email_address=x@example.com", "-f", "tag_ids=vip")
    assert wrong_type.exit_code == 2
    assert 'tag_ids must be a JSON array of integers, not "vip"' in one_error_line(wrong_type)
    assert cf("contacts", "update", str(existing["id"]), "-f", "novalue").exit_code == 2
    assert cf("contacts", "update", str(existing["id"])).exit_code == 2  # nothing to change
    assert cf("contacts", "update", "../teams", "-f", "first_name=X").exit_code == 2
    assert cf("contacts", "create", "--input", "-", input="[1, 2]").exit_code == 2
    assert len(sb.requests) == requests  # none of them reached the API


def test_delete_and_gdpr_destroy_need_yes(cf, sb, ws):
    victim = cf.json("contacts", "create", "-f", "email_address=victim@example.com")
    erased = cf.json("contacts", "create", "-f", "email_address=erased@example.com")
    requests = len(sb.requests)
    refused = cf("contacts", "delete", str(victim["id"]))
    assert refused.exit_code == 2
    assert "--yes" in refused.stderr
    assert cf("contacts", "gdpr-destroy", str(erased["id"])).exit_code == 2
    assert len(sb.requests) == requests

    deleted = cf("contacts", "delete", str(victim["id"]), "--yes")
    assert (deleted.exit_code, deleted.stdout) == (0, "")
    assert sb.get("contacts", victim["id"]) is None
    assert cf.row("contacts", victim["id"])["_deleted_at"] is not None
    gone = cf("contacts", "delete", str(victim["id"]), "--yes")
    assert gone.exit_code == 1
    assert "HTTP 404" in one_error_line(gone)

    destroyed = cf("contacts", "gdpr-destroy", erased["public_id"], "--yes")
    assert (destroyed.exit_code, destroyed.stdout) == (0, "")
    stored = cf.row("contacts", erased["id"])
    assert stored["email_address"] is None
    assert stored["_deleted_at"] is None
    assert "gdpr_destroy" in sb.requests[-2].api_path
    assert sb.requests[-1].api_path == f"/contacts/{erased['public_id']}"


def test_products(cf, sb, ws):
    product = cf.json("products", "create", "-f", "name=Widget", "-f", "visible_in_store=true")
    pid = str(product["id"])
    assert product["visible_in_store"] is True
    assert cf.json("products", "update", pid, "-f", "name=Widget 2")["name"] == "Widget 2"
    assert cf.row("products", product["id"])["name"] == "Widget 2"
    assert cf.json("products", "archive", pid)["archived"] is True
    assert cf.row("products", product["id"])["archived"] is True
    twice = cf("products", "archive", pid)
    assert twice.exit_code == 1
    assert "HTTP 409: Product is already archived" in one_error_line(twice)
    assert cf.row("products", product["id"])["archived"] is True
    assert cf.json("products", "unarchive", pid)["archived"] is False
    assert cf("products", "unarchive", pid).exit_code == 1
    no_name = cf("products", "create", "-f", "seo_title=x")
    assert "HTTP 422: Name can't be blank" in one_error_line(no_name)
    assert cf("products", "archive", "999999999").exit_code == 1


def test_orders_fulfillments_enrollments_images(cf, sb, ws):
    order = sb.records("orders", workspace_id=ws)[0]
    assert cf.json("orders", "update", str(order["id"]), "-f", "notes=call first")["notes"] == "call first"
    assert cf.row("orders", order["id"])["notes"] == "call first"
    assert "HTTP 404" in one_error_line(cf("orders", "update", "999999999", "-f", "notes=x"))

    contact = sb.records("contacts", workspace_id=ws)[0]
    location = sb.records("fulfillments_locations", workspace_id=ws)[0]
    made = cf.json(
        "fulfillments", "create", "-f", f"contact_id={contact['id']}", "-f", f"location_id={location['id']}"
    )
    assert made["status"] == "fulfilled"
    assert cf.json("fulfillments", "cancel", str(made["id"]))["status"] == "cancelled"
    assert cf.row("fulfillments", made["id"])["status"] == "cancelled"
    twice = cf("fulfillments", "cancel", str(made["id"]))
    assert twice.exit_code == 1
    assert "HTTP 409: Fulfillment is already cancelled" in one_error_line(twice)

    course = sb.records("courses", workspace_id=ws)[0]
    enrolled = cf.json("enrollments", "create", str(course["id"]), "-f", f"contact_id={contact['id']}")
    assert cf.row("courses_enrollments", enrolled["id"])["course_id"] == course["id"]
    suspended = cf.json("enrollments", "update", str(enrolled["id"]), "-f", "suspended=true")
    assert suspended["suspended"] is True
    assert cf.row("courses_enrollments", enrolled["id"])["suspended"] is True
    assert cf("enrollments", "create", "999999999", "-f", f"contact_id={contact['id']}").exit_code == 1

    image = cf.json("images", "create", "https://example.com/pics/cat.png", "-f", "alt_text=A cat")
    assert (image["name"], image["alt_text"]) == ("cat.png", "A cat")
    assert cf.row("images", image["id"])["url"] == image["url"]


def test_webhook_endpoints_and_the_secret(cf, sb, ws):
    before = cf.json("webhooks", "endpoints", "list")
    assert [e["id"] for e in before] == [
        e["id"] for e in sb.records("webhooks_outgoing_endpoints", workspace_id=ws)
    ]

    hidden = cf("webhooks", "endpoints", "create", "-f", "url=https://h.example.com/a", "-f", "name=a")
    assert hidden.exit_code == 0
    endpoint = json.loads(hidden.stdout)
    secret = sb.webhook_secret(endpoint["id"])
    assert "webhook_secret" not in endpoint
    assert secret not in hidden.output
    assert "webhook_secret withheld" in hidden.stderr

    fields = ["-f", "url=https://h.example.com/b", "-f", "name=b", "-f", 'event_type_ids=["contact.created"]']
    shown = cf("webhooks", "endpoints", "create", "--show-secret", *fields)
    second = json.loads(shown.stdout)
    assert second["webhook_secret"] == sb.webhook_secret(second["id"])
    assert "withheld" not in shown.stderr
    assert "webhook_secret" not in cf.row("webhooks_outgoing_endpoints", second["id"])["_raw"]

    assert cf.json("webhooks", "endpoints", "update", str(second["id"]), "-f", "name=b2")["name"] == "b2"
    deleted = cf("webhooks", "endpoints", "delete", str(second["id"]), "--yes")
    assert (deleted.exit_code, deleted.stdout) == (0, "")
    assert cf.row("webhooks_outgoing_endpoints", second["id"])["_deleted_at"] is not None
    after = cf.json("webhooks", "endpoints", "list", "--workspace", str(ws))
    assert [e["id"] for e in after] == [e["id"] for e in before] + [endpoint["id"]]


def test_workspace_and_account_choice(sb, url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ws0, ws1 = sb.workspace_ids(0)[0], sb.workspace_ids(1)[0]
    (tmp_path / "cfsync.toml").write_text(
        f'[api]\nmode = "direct"\nbase_url = "{url}"\nrequests_per_second = 1000\n'
        '[[accounts]]\nname = "one"\napi_key_env = "T0"\n[[accounts]]\nname = "two"\napi_key_env = "T1"\n'
        f'[database]\nurl = "sqlite:///local.db"\n[sync]\nworkspaces = [{ws0}, {ws1}]\n'
    )
    from click.testing import CliRunner

    from cfsync.cli import cli

    env = {"T0": sb.api_token(0), "T1": sb.api_token(1)}

    def run(*args: str):
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    no_ws = run("contacts", "create", "-f", "email_address=a@example.com")
    assert no_ws.exit_code == 2
    line = one_error_line(no_ws)
    assert "needs a workspace id: " in line
    assert line.endswith("(--workspace ID)")
    other = run(
        "contacts", "create", "--account", "two", "--workspace", str(ws1), "-f", "email_address=a@example.com"
    )
    assert other.exit_code == 0, other.stderr
    assert sb.requests[-1].account == 1
    assert json.loads(other.stdout)["workspace_id"] == ws1
    foreign = run("contacts", "create", "--workspace", str(ws1), "-f", "email_address=b@example.com")
    assert foreign.exit_code == 1  # the first account cannot reach the second's workspace
    unknown = run(
        "contacts", "create", "--account", "three", "--workspace", str(ws0), "-f", "email_address=c@x.io"
    )
    assert unknown.exit_code == 2
    assert "no account 'three'" in one_error_line(unknown)


def test_bad_token_exits_3_without_showing_it(cf):
    result = cf("contacts", "create", "-f", "email_address=z@example.com", token="not-the-token-123")
    assert result.exit_code == 3
    assert "HTTP 401: API key missing or invalid" in one_error_line(result)
    assert "not-the-token-123" not in result.output
    assert cf.count("contacts") == 0

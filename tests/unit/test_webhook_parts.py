"""The receiver's pure parts: signatures, delivery parsing, the keyring, the secrets file, the config."""

from __future__ import annotations

import hashlib
import hmac
import json
import os

import pytest

from cfsync.config import Secret, parse_config
from cfsync.errors import ConfigError
from cfsync.resources.catalog import resource_for_event
from cfsync.webhooks import (
    DOCUMENTED_EVENT_TYPES,
    Keyring,
    Rejected,
    SigningKey,
    StoredSecret,
    default_event_types,
    load_secrets,
    parse_delivery,
    save_secret,
    sign,
    verify,
)

BODY = json.dumps(
    {
        "event_id": "0b7f",
        "event_type": "contact.updated",
        "subject_id": 1,
        "subject_type": "Contact",
        "data": {"id": 1, "webhook_secret": "never stored"},
        "created_at": "2025-01-01T00:00:00.000Z",
        "api_version": 2,
        "workspace_id": 7,
    }
).encode()


def key(secret: str, endpoint: int | None = None, workspace: int | None = None) -> SigningKey:
    return SigningKey(Secret(secret), endpoint, workspace, "test")


def test_the_signature_is_hex_hmac_sha256_of_timestamp_dot_raw_body():
    expected = hmac.new(b"k", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign("k", 1700000000, BODY) == expected
    assert sign("k", "1700000000", BODY) == expected


def test_verify_finds_the_signing_key_among_several():
    keys = [key("old", workspace=7), key("new", endpoint=3, workspace=7)]
    assert verify(keys, "10", BODY, sign("new", "10", BODY)) is keys[1]
    assert verify(keys, "10", BODY, sign("new", "10", BODY).upper()) is keys[1]
    assert verify(keys, "10", BODY, sign("old", "10", BODY)) is keys[0]
    assert verify(keys, "11", BODY, sign("new", "10", BODY)) is None  # the timestamp is signed too
    assert verify(keys, "10", BODY + b" ", sign("new", "10", BODY)) is None  # so is every byte
    assert verify(keys, "10", BODY, "") is None
    assert verify([], "10", BODY, sign("new", "10", BODY)) is None


@pytest.mark.parametrize("position", [0, 15, 16, 40, 63])
def test_a_signature_wrong_in_any_one_character_is_refused(position):
    keys = [key("new", workspace=7)]
    good = sign("new", "10", BODY)
    wrong = good[:position] + ("0" if good[position] != "0" else "1") + good[position + 1 :]
    assert verify(keys, "10", BODY, good) is keys[0]
    assert verify(keys, "10", BODY, wrong) is None
    assert verify(keys, "10", BODY, good[:-1]) is None  # a prefix is not the signature
    assert verify(keys, "10", BODY, good + "0") is None


def test_parse_delivery_keeps_the_body_without_secrets():
    event = parse_delivery(BODY, endpoint_id=3)
    assert (event.event_id, event.event_type, event.workspace_id, event.endpoint_id) == (
        "0b7f",
        "contact.updated",
        7,
        3,
    )
    assert event.created_at.isoformat() == "2025-01-01T00:00:00+00:00"
    assert event.payload["data"] == {"id": 1}
    row = event.row(event.created_at)
    assert (row["resource"], row["record_id"], row["action"]) == ("contacts", 1, "updated")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "malformed_json"),
        (b"\xff\xfe", "malformed_json"),
        (b'"text"', "malformed_json"),
        (b"{}", "missing_field"),
        (BODY.replace(b'"subject_id": 1', b'"subject_id": true'), "bad_field"),
        (BODY.replace(b'"workspace_id": 7', b'"workspace_id": 99999999999999999999'), "bad_field"),
        (BODY.replace(b'"event_id": "0b7f"', b'"event_id": 5'), "bad_field"),
    ],
)
def test_malformed_deliveries(body, reason):
    with pytest.raises(Rejected) as refused:
        parse_delivery(body, None)
    assert (refused.value.status, refused.value.reason) == (400, reason)


def test_a_null_subject_is_allowed():
    event = parse_delivery(BODY.replace(b'"subject_id": 1', b'"subject_id": null'), None)
    assert event.subject_id is None
    assert event.row(event.created_at)["record_id"] == 1  # data.id


def test_secrets_file_is_private_atomic_and_merged(tmp_path):
    path = tmp_path / "secrets.json"
    assert load_secrets(path) == []
    save_secret(path, StoredSecret(1, 7, Secret("a"), url="http://x/webhooks"))
    save_secret(path, StoredSecret(2, 8, Secret("b")))
    save_secret(path, StoredSecret(1, 7, Secret("c")))  # the same endpoint again: replaced
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    stored = {s.endpoint_id: (s.workspace_id, s.secret.value) for s in load_secrets(path)}
    assert stored == {1: (7, "c"), 2: (8, "b")}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".secrets.json.lock", "secrets.json"]
    assert "Secret('***')" in repr(load_secrets(path)[0])


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_a_secrets_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / "secrets.json"
    save_secret(path, StoredSecret(1, 7, Secret("a")))
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_secrets(path)


def test_a_broken_secrets_file_is_one_error(tmp_path):
    path = tmp_path / "secrets.json"
    path.write_text("{nope")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="not readable JSON"):
        load_secrets(path)
    path.write_text('{"endpoints": {"x": {}}}')
    with pytest.raises(ConfigError, match="bad entry"):
        load_secrets(path)


def test_webhooks_config(tmp_path):
    source = str(tmp_path / "cfsync.toml")
    config = parse_config(
        {
            "webhooks": {
                "port": 9000,
                "secrets_file": "keys/hooks.json",
                "tolerance_seconds": 30,
                "endpoint_secrets": {"42": "E42"},
                "workspace_secrets": {"7": ["NEW", "OLD"]},
            }
        },
        {"E42": "s42", "NEW": "n"},
        source=source,
    )
    hooks = config.webhooks
    assert (hooks.port, hooks.tolerance_seconds, hooks.max_body_bytes) == (9000, 30.0, 1 << 20)
    assert hooks.secrets_file == tmp_path / "keys" / "hooks.json"
    assert [(r.scope, r.id, r.env, r.secret is not None) for r in hooks.secrets] == [
        ("endpoint", 42, "E42", True),
        ("workspace", 7, "NEW", True),
        ("workspace", 7, "OLD", False),
    ]
    assert "s42" not in repr(config)
    default = parse_config({}, {}, source=source).webhooks
    assert default.secrets_file == tmp_path / "cfsync-webhook-secrets.json"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"endpoint_secrets": {"abc": "X"}}, "keys must be endpoint ids"),
        ({"workspace_secrets": {"7": 5}}, "must name an environment variable"),
        ({"workspace_secrets": {"7": []}}, "must name an environment variable"),
        ({"workspace_secrets": {"7": "not a name"}}, "is not a variable name"),
        ({"port": 70000}, "webhooks.port"),
        ({"max_body_bytes": 0}, "webhooks.max_body_bytes"),
        ({"endpoint_secrets": "X"}, "must be a table"),
        ({"colour": "red"}, "unknown key webhooks.colour"),
    ],
)
def test_webhooks_config_errors(table, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"webhooks": table}, {})


def test_keyring_candidates_and_missing_variables(tmp_path):
    config = parse_config(
        {
            "webhooks": {
                "secrets_file": str(tmp_path / "s.json"),
                "endpoint_secrets": {"42": "E42"},
                "workspace_secrets": {"7": "W7"},
            }
        },
        {"E42": "e", "W7": "w"},
    )
    save_secret(config.webhooks.secrets_file, StoredSecret(42, 7, Secret("file-42")))
    save_secret(config.webhooks.secrets_file, StoredSecret(43, 8, Secret("file-43")))
    ring = Keyring(config.webhooks)
    ring.check()
    every = {k.secret.value for k in ring.candidates(None, None)}
    assert every == {"e", "w", "file-42", "file-43"}
    assert {k.secret.value for k in ring.candidates(42, None)} == {"e", "w", "file-42"}
    assert {k.secret.value for k in ring.candidates(None, 8)} == {"file-43"}
    # The config's endpoint key learns its workspace from the file.
    assert next(k for k in ring.signing_keys() if k.secret.value == "e").workspace_id == 7
    missing = parse_config({"webhooks": {"workspace_secrets": {"7": "UNSET"}}}, {})
    with pytest.raises(ConfigError, match="UNSET"):
        Keyring(missing.webhooks).check()


def test_default_event_types_follow_the_synced_tables():
    assert all(resource_for_event(t) is not None for t in DOCUMENTED_EVENT_TYPES)
    everything = default_event_types(parse_config({}, {}))
    assert "contact.updated" in everything
    assert "courses/enrollment.deleted" in everything
    assert "contacts/applied_tag.created" not in everything  # applied tags are off by default
    only = default_event_types(parse_config({"sync": {"resources": ["contacts"]}}, {}))
    assert only == ["contact.created", "contact.updated", "contact.deleted", "contact.identified"]
    tags = parse_config({"sync": {"resources": ["all", "contacts_applied_tags"], "exclude": ["orders"]}}, {})
    chosen = default_event_types(tags)
    assert "contacts/applied_tag.deleted" in chosen
    assert not any(t.startswith(("order.", "orders/transaction.")) for t in chosen)
    assert "orders/invoice.paid" in chosen  # invoices are listed per workspace, not under orders


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_a_secrets_file_gone_bad_while_serving_keeps_the_keys_read_before(tmp_path):
    config = parse_config({"webhooks": {"secrets_file": str(tmp_path / "s.json")}}, {})
    save_secret(config.webhooks.secrets_file, StoredSecret(1, 7, Secret("kept")))
    ring = Keyring(config.webhooks)
    ring.check()
    config.webhooks.secrets_file.chmod(0o644)
    assert ring.refresh(force=True) is False
    assert [k.secret.value for k in ring.signing_keys()] == ["kept"]
    with pytest.raises(ConfigError, match="readable by others"):
        Keyring(config.webhooks).check()  # a receiver starting now refuses it

"""Generated records: pure, schema-shaped, consistent with each other."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from cfsync.sandbox import Sandbox, SandboxConfig, SandboxError
from cfsync.sandbox.catalog import catalog
from cfsync.sandbox.config import Fault
from cfsync.sandbox.faults import Faults

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_base_records_are_pure_functions_of_seed_and_offset():
    a, b, c = (Sandbox(SandboxConfig(seed=s)) for s in (9, 9, 10))
    for name in ("contacts", "orders", "courses_lessons", "webhooks_outgoing_events"):
        assert json.dumps(a.generator.base(name, 5)) == json.dumps(b.generator.base(name, 5))
        assert a.generator.base(name, 5) != c.generator.base(name, 5)
        assert a.generator.base(name, 5) != a.generator.base(name, 6)


@pytest.mark.parametrize("name", sorted(n for n, spec in catalog().resources.items() if not spec.computed))
def test_every_resource_has_exactly_its_schema_fields(name: str):
    sb = Sandbox(SandboxConfig(seed=1))
    fields = sb.catalog.spec(name).fields
    assert sb.ids.total(name) > 0
    # Some slots hold no record (an order's second invoice with nothing to bill): the first 3 that do.
    found = (sb.state.get(name, sb.ids.id_at(name, offset)) for offset in range(sb.ids.total(name)))
    records = [rec for rec in found if rec is not None][:3]
    assert records
    for rec in records:
        assert list(rec) == list(fields)
        assert isinstance(rec["id"], int)
        assert rec["id"] > 0
        for key, value in rec.items():
            if key.endswith("_at") and isinstance(value, str):
                assert ISO_MS.match(value), (name, key, value)


def test_contacts_have_unique_emails_that_find_them_without_a_scan():
    sb = Sandbox(SandboxConfig(counts={"contacts": 300}))
    ws = sb.workspace_ids()[0]
    contacts = sb.records("contacts", workspace_id=ws)
    emails = [c["email_address"] for c in contacts]
    assert len(set(emails)) == len(emails)
    assert all(e and e == e.lower() for e in emails)
    for c in contacts[::37]:
        assert sb.state.find_contact(ws, c["email_address"].upper()) == c["id"]
    other_ws = sb.workspace_ids()[1]
    assert sb.state.find_contact(other_ws, contacts[0]["email_address"]) is None
    tag_pool = {t["id"] for t in sb.records("contacts_tags", workspace_id=ws)}
    assert all(t["id"] in tag_pool for c in contacts for t in c["tags"])
    assert any(c["custom_attributes"] for c in contacts)


def test_references_point_at_live_records_of_the_same_workspace():
    sb = Sandbox(SandboxConfig(seed=5))
    ws = sb.workspace_ids()[1]
    for f in sb.records("fulfillments", workspace_id=ws):
        assert f["status"] in ("cancelled", "fulfilled", "restocked")
        assert sb.get("contacts", f["contact_id"])["workspace_id"] == ws  # type: ignore[index]
    for product in sb.records("products", workspace_id=ws):
        variants = sb.records("products_variants", parent_id=product["id"])
        assert product["variant_ids"] == [v["id"] for v in variants]
    pipeline = sb.records("sales_pipelines", workspace_id=ws)[0]
    assert [s["id"] for s in pipeline["stages"]] == [
        s["id"] for s in sb.records("sales_pipelines_stages", parent_id=pipeline["id"])
    ]
    for opportunity in sb.records("sales_opportunities", workspace_id=ws):
        stage = sb.get("sales_pipelines_stages", opportunity["pipelines_stage_id"])
        assert stage is not None
        assert opportunity["pipeline_id"] == str(stage["pipeline_id"])
        assert opportunity["pipeline"]["id"] == stage["pipeline_id"]
    for endpoint in sb.records("webhooks_outgoing_endpoints", workspace_id=ws):
        assert endpoint["api_version"] == 2
    workspace = sb.records("workspaces", parent_id=sb.team_ids()[0])[1]
    assert workspace["team_id"] == sb.team_ids()[0]
    assert str(workspace["id"]) in workspace["subdomain"]


def test_the_clock_is_injectable_and_never_reads_before_generated_data():
    # The world ends where the clock first reads (the start of its day): a later update still sorts last.
    now = [datetime(2020, 1, 1, tzinfo=UTC)]
    sb = Sandbox(SandboxConfig(), clock=lambda: now[0])
    ws = sb.workspace_ids()[0]
    first = sb.records("contacts", workspace_id=ws)[0]
    early = sb.update("contacts", first["id"], {"first_name": "A"})
    assert early["updated_at"] > max(
        c["updated_at"] for c in sb.records("contacts", workspace_id=ws) if c["id"] != first["id"]
    )
    assert sb.ids.end_ms == datetime(2020, 1, 1, tzinfo=UTC).timestamp() * 1000
    assert max(c["updated_at"] for c in sb.records("contacts", workspace_id=ws)) >= "2019-12"
    assert sb.now().timestamp() * 1000 >= sb.ids.end_ms
    now[0] = datetime(2030, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    later = sb.update("contacts", first["id"], {"first_name": "B"})
    assert later["updated_at"] == "2030-05-06T07:08:09.123Z"
    now[0] = datetime(2029, 1, 1, tzinfo=UTC)  # a clock going back does not move updated_at back
    assert sb.update("contacts", first["id"], {"first_name": "C"})["updated_at"] == "2030-05-06T07:08:09.123Z"


def test_helpers_raise_the_api_errors():
    sb = Sandbox(SandboxConfig())
    ws = sb.workspace_ids()[0]
    taken = sb.records("contacts", workspace_id=ws)[0]["email_address"]
    with pytest.raises(SandboxError) as err:
        sb.create("contacts", {"email_address": taken}, workspace_id=ws)
    assert err.value.status == 422
    with pytest.raises(SandboxError) as err:
        sb.update("contacts", 1, {"first_name": "x"})
    assert err.value.status == 404
    with pytest.raises(ValueError, match="parent_id"):
        sb.records("courses_enrollments")
    with pytest.raises(ValueError, match="unknown resources"):
        Sandbox(SandboxConfig(counts={"contactz": 3}))


def test_token_bucket_with_a_fake_clock():
    t = [0.0]
    faults = Faults(SandboxConfig(rate_limit=2.0, rate_limit_burst=2), monotonic=lambda: t[0])
    assert [faults.allow("a") for _ in range(3)] == [True, True, False]
    assert faults.allow("b")  # per client
    t[0] = 0.5
    assert faults.allow("a")
    assert not faults.allow("a")


def test_queued_faults_fire_in_order_on_matching_requests():
    faults = Faults(SandboxConfig(faults=(Fault("502", path="/orders"),)))
    faults.fail_next("reset", method="post")
    assert faults.take("GET", "/contacts") is None
    taken = faults.take("GET", "/workspaces/1/orders")
    assert taken is not None
    assert taken.kind == "502"
    assert faults.take("GET", "/workspaces/1/orders") is None
    posted = faults.take("POST", "/anything")
    assert posted is not None
    assert posted.kind == "reset"
    assert faults.pending == 0
    with pytest.raises(ValueError, match="fault kind"):
        faults.fail_next("418")

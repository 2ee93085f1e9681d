"""The sandbox's write side over real sockets: generic and special writes, their errors, the event log."""

from __future__ import annotations

from typing import Any

from cfsync.sandbox import Sandbox

EMAIL_TAKEN = {"error": "Email address has already been taken"}


async def test_create_contact_then_read_it_back(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    before = sandbox.records("contacts", workspace_id=ws)
    reply = await sandbox_api.post(
        f"/workspaces/{ws}/contacts",
        {
            "contact": {
                "email_address": "new.person@example.com",
                "first_name": "New",
                "uuid": "not-settable",
                "id": 1,
                "unknown_field": "dropped",
                "custom_attributes": {"plan": "gold"},
            }
        },
    )
    assert reply.status == 201, reply.text
    created = reply.body
    assert created["id"] > max(r["id"] for r in before)
    assert created["workspace_id"] == ws
    assert created["first_name"] == "New"
    assert created["custom_attributes"] == {"plan": "gold"}
    assert created["uuid"] != "not-settable"
    assert "unknown_field" not in created
    assert created["created_at"] == created["updated_at"]
    assert created["created_at"] > max(r["updated_at"] for r in before)
    fetched = await sandbox_api.get(f"/contacts/{created['public_id']}")
    assert fetched.body == created
    pages = await sandbox_api.walk(f"/workspaces/{ws}/contacts")
    assert pages[-1][-1] == created


async def test_contact_create_errors(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    before = sandbox.records("contacts", workspace_id=ws)
    taken = before[0]["email_address"]
    dup = await sandbox_api.post(f"/workspaces/{ws}/contacts", {"contact": {"email_address": taken.upper()}})
    assert dup.status == 422
    assert dup.body == EMAIL_TAKEN
    no_wrapper = await sandbox_api.post(f"/workspaces/{ws}/contacts", {"email_address": "x@example.com"})
    assert no_wrapper.status == 400
    assert "contact" in no_wrapper.body["error"]
    bad_json = await sandbox_api.request(
        "POST", f"/workspaces/{ws}/contacts", data="{nope", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status == 400
    assert "error" in bad_json.body
    bad_type = await sandbox_api.post(f"/workspaces/{ws}/contacts", {"contact": {"first_name": ["x"]}})
    assert bad_type.status == 422
    other_ws = sandbox.workspace_ids(1)[0]
    foreign = await sandbox_api.post(
        f"/workspaces/{other_ws}/contacts", {"contact": {"email_address": "a@b.c"}}
    )
    assert foreign.status == 404
    assert sandbox.records("contacts", workspace_id=ws) == before  # no failed write left anything behind
    # The same email is free in another workspace.
    elsewhere = await sandbox_api.post(
        f"/workspaces/{sandbox.workspace_ids(0)[1]}/contacts", {"contact": {"email_address": taken}}
    )
    assert elsewhere.status == 201


async def test_update_and_delete_a_contact(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    contact = sandbox.records("contacts", workspace_id=ws)[4]
    reply = await sandbox_api.put(f"/contacts/{contact['id']}", {"contact": {"last_name": "Renamed"}})
    assert reply.status == 200
    assert reply.body["last_name"] == "Renamed"
    assert reply.body["first_name"] == contact["first_name"]
    assert reply.body["updated_at"] > contact["updated_at"]
    assert reply.body["created_at"] == contact["created_at"]
    gone = await sandbox_api.delete(f"/contacts/{contact['id']}")
    assert gone.status == 204
    assert gone.text == ""
    again = await sandbox_api.get(f"/contacts/{contact['id']}")
    assert again.status == 404
    assert again.body == {"error": "Not found: Record missing"}
    assert contact["id"] not in {r["id"] for r in sandbox.records("contacts", workspace_id=ws)}
    assert (await sandbox_api.delete(f"/contacts/{contact['id']}")).status == 404
    events = await sandbox_api.walk(f"/workspaces/{ws}/webhooks/outgoing/events", {"sort_order": "desc"})
    latest = events[0][:2]
    assert [e["event_type_id"] for e in latest] == ["contact.deleted", "contact.updated"]
    assert latest[0]["subject_id"] == contact["id"]
    assert latest[0]["subject_type"] == "Contact"
    assert latest[0]["data"]["last_name"] == "Renamed"
    assert latest[0]["workspace_id"] == ws


async def test_upsert_creates_then_updates_by_email(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    tags = sandbox.records("contacts_tags", workspace_id=ws)
    path = f"/workspaces/{ws}/contacts/upsert"
    first = await sandbox_api.post(
        path,
        {
            "contact": {
                "email_address": "upsert.me@example.com",
                "first_name": "Up",
                "phone_number": "+15550100",
                "tag_ids": [tags[0]["id"], tags[1]["id"]],
                "custom_attributes": {"a": "1", "b": "2"},
            }
        },
    )
    assert first.status == 201, first.text
    assert {t["id"] for t in first.body["tags"]} == {tags[0]["id"], tags[1]["id"]}
    second = await sandbox_api.post(
        path,
        {
            "contact": {
                "email_address": "UPSERT.me@example.com",
                "first_name": None,
                "phone_number": "",
                "last_name": "Sert",
                "tag_ids": [tags[2]["id"]],
                "custom_attributes": {"b": "3", "c": "4"},
            }
        },
    )
    assert second.status == 200, second.text
    body = second.body
    assert body["id"] == first.body["id"]
    assert body["first_name"] == "Up"  # null is ignored
    assert body["phone_number"] == "+15550100"  # so is empty
    assert body["last_name"] == "Sert"
    assert [t["id"] for t in body["tags"]] == [tags[2]["id"]]  # tag_ids replaces the set
    assert body["custom_attributes"] == {"a": "1", "b": "3", "c": "4"}  # custom attributes merge
    applied = await sandbox_api.get(f"/contacts/{body['id']}/applied_tags")
    assert [a["tag_id"] for a in applied.body] == [tags[2]["id"]]
    generated = sandbox.records("contacts", workspace_id=ws)[7]
    third = await sandbox_api.post(
        path, {"contact": {"email_address": generated["email_address"], "first_name": "Known"}}
    )
    assert third.status == 200
    assert third.body["id"] == generated["id"]
    missing = await sandbox_api.post(path, {"contact": {"first_name": "No email"}})
    assert missing.status == 422
    bad_tag = await sandbox_api.post(path, {"contact": {"email_address": "t@example.com", "tag_ids": [1]}})
    assert bad_tag.status == 422


async def test_gdpr_destroy_wipes_and_hides(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    contact = sandbox.records("contacts", workspace_id=ws)[2]
    reply = await sandbox_api.delete(f"/contacts/{contact['id']}/gdpr_destroy")
    assert reply.status == 204
    kept = await sandbox_api.get(f"/contacts/{contact['id']}")
    assert kept.status == 200
    assert kept.body["email_address"] is None
    assert kept.body["first_name"] is None
    assert kept.body["uuid"] == contact["uuid"]
    assert contact["id"] not in {r["id"] for r in sandbox.records("contacts", workspace_id=ws)}
    by_email = await sandbox_api.get(
        f"/workspaces/{ws}/contacts", params={"filter[email_address]": contact["email_address"]}
    )
    assert by_email.body == []


async def test_product_archive_unarchive_and_validation(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    no_name = await sandbox_api.post(f"/workspaces/{ws}/products", {"product": {"visible_in_store": True}})
    assert no_name.status == 422
    assert "Name" in no_name.body["error"]
    created = await sandbox_api.post(f"/workspaces/{ws}/products", {"product": {"name": "Course"}})
    assert created.status == 201
    assert created.body["archived"] is False
    pid = created.body["id"]
    archived = await sandbox_api.post(f"/products/{pid}/archive")
    assert archived.status == 200
    assert archived.body["archived"] is True
    assert (await sandbox_api.post(f"/products/{pid}/archive")).status == 409
    unarchived = await sandbox_api.post(f"/products/{pid}/unarchive")
    assert unarchived.body["archived"] is False
    again = await sandbox_api.post(f"/products/{pid}/unarchive")
    assert again.status == 409
    assert "error" in again.body
    listed = await sandbox_api.get(
        f"/workspaces/{ws}/products", params={"filter[archived]": "false", "filter[id]": str(pid)}
    )
    assert [p["id"] for p in listed.body] == [pid]


async def test_fulfillment_cancel_only_from_fulfilled(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    fulfillments = sandbox.records("fulfillments", workspace_id=ws)
    fulfilled = next(f for f in fulfillments if f["status"] == "fulfilled")
    restocked = next(f for f in fulfillments if f["status"] == "restocked")
    reply = await sandbox_api.post(f"/fulfillments/{fulfilled['id']}/cancel")
    assert reply.status == 200
    assert reply.body["status"] == "cancelled"
    twice = await sandbox_api.post(f"/fulfillments/{fulfilled['id']}/cancel")
    assert twice.status == 409
    assert twice.body == {"error": "Fulfillment is already cancelled"}
    assert (await sandbox_api.post(f"/fulfillments/{restocked['id']}/cancel")).status == 409


async def test_image_and_webhook_endpoint_creation(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    image = await sandbox_api.post(
        f"/workspaces/{ws}/images",
        {"image": {"upload_source_url": "https://cdn.example.org/uploads/cat.png", "alt_text": "A cat"}},
    )
    assert image.status == 201
    assert image.body["url"].endswith("/cat.png")
    assert image.body["url"] != "https://cdn.example.org/uploads/cat.png"
    assert image.body["name"] == "cat.png"
    assert "upload_source_url" not in image.body
    no_source = await sandbox_api.post(f"/workspaces/{ws}/images", {"image": {"alt_text": "nothing"}})
    assert no_source.status == 422
    endpoint = await sandbox_api.post(
        f"/workspaces/{ws}/webhooks/outgoing/endpoints",
        {
            "webhooks_outgoing_endpoint": {
                "url": "https://hooks.example.com/x",
                "name": "x",
                "event_type_ids": ["contact.created"],
            }
        },
    )
    assert endpoint.status == 201
    secret = endpoint.body["webhook_secret"]
    assert len(secret) >= 32
    assert endpoint.body["api_version"] == 2
    assert sandbox.webhook_secret(endpoint.body["id"]) == secret
    fetched = await sandbox_api.get(f"/webhooks/outgoing/endpoints/{endpoint.body['id']}")
    assert "webhook_secret" not in fetched.body
    assert fetched.body["event_type_ids"] == ["contact.created"]


async def test_nested_create_checks_parent_and_references(sandbox: Sandbox, sandbox_api: Any):
    ws, other_ws = sandbox.workspace_ids(0)
    course = sandbox.records("courses", workspace_id=ws)[0]
    contact = sandbox.records("contacts", workspace_id=ws)[0]
    foreign_contact = sandbox.records("contacts", workspace_id=other_ws)[0]
    path = f"/courses/{course['id']}/enrollments"
    wrong = await sandbox_api.post(path, {"courses_enrollment": {"contact_id": foreign_contact["id"]}})
    assert wrong.status == 422
    blank = await sandbox_api.post(path, {"courses_enrollment": {"suspended": False}})
    assert blank.status == 422
    ok = await sandbox_api.post(path, {"courses_enrollment": {"contact_id": contact["id"]}})
    assert ok.status == 201
    assert ok.body["course_id"] == course["id"]
    assert ok.body["contact_id"] == contact["id"]
    assert sandbox.records("courses_enrollments", parent_id=course["id"])[-1] == ok.body
    missing_parent = await sandbox_api.post(
        "/courses/1/enrollments", {"courses_enrollment": {"contact_id": contact["id"]}}
    )
    assert missing_parent.status == 404
    assert missing_parent.body == {"error": "Not found: Record missing"}
    events = sandbox.events(ws)
    assert events[-1]["event_type_id"] == "courses/enrollment.created"
    assert events[-1]["subject_type"] == "Courses::Enrollment"


async def test_python_helpers_change_what_the_api_serves(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[1]
    order = sandbox.records("orders", workspace_id=ws)[0]
    sandbox.update("orders", order["id"], {"notes": "from a test"})
    assert (await sandbox_api.get(f"/orders/{order['id']}")).body["notes"] == "from a test"
    contact = sandbox.create("contacts", {"email_address": "helper@example.com"}, workspace_id=ws)
    assert (await sandbox_api.get(f"/contacts/{contact['id']}")).body == contact
    sandbox.delete("orders", order["id"])
    assert (await sandbox_api.get(f"/orders/{order['id']}")).status == 404
    invoices = await sandbox_api.get(f"/orders/{order['id']}/invoices")
    assert invoices.status == 404  # the parent is gone
    assert [e["event_type_id"] for e in sandbox.events(ws)[-3:]] == [
        "order.updated",
        "contact.created",
        "order.deleted",
    ]


async def test_applied_tags_follow_through_to_the_contact(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    contact = sandbox.records("contacts", workspace_id=ws)[1]
    tag = next(
        t
        for t in sandbox.records("contacts_tags", workspace_id=ws)
        if t["id"] not in {x["id"] for x in contact["tags"]}
    )
    applied = await sandbox_api.post(
        f"/contacts/{contact['id']}/applied_tags", {"contacts_applied_tag": {"tag_id": tag["id"]}}
    )
    assert applied.status == 201
    assert applied.body["tag"] == {"public_id": tag["public_id"], "name": tag["name"], "color": tag["color"]}
    after = (await sandbox_api.get(f"/contacts/{contact['id']}")).body
    assert tag["id"] in {t["id"] for t in after["tags"]}
    assert after["updated_at"] > contact["updated_at"]
    removed = await sandbox_api.delete(f"/contacts/applied_tags/{applied.body['id']}")
    assert removed.status == 204
    final = (await sandbox_api.get(f"/contacts/{contact['id']}")).body
    assert final["tags"] == contact["tags"]

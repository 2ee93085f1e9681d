"""The lists and fields of the API as it is in 2026, over real sockets: pages or whole arrays, one object per
price, expand[], include_archived, new filters, singletons, and the writes and webhooks of new resources."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from cfsync.sandbox import Sandbox, SandboxConfig, SandboxServer

MANY = 25  # more than a page


@pytest.fixture
def big() -> Sandbox:
    """One workspace whose 2026 lists hold more than a page each (and little else)."""
    counts = {"contacts": 10, "orders": 5, "products": 2, "pages": 4, "funnels": 1}
    for name in ("appointments_scheduled_events", "domains", "emails_topics", "refine_filters"):
        counts[name] = MANY
    counts.update(blogs=1, blogs_posts=MANY, split_test_steps=MANY, conditional_split_steps=MANY)
    return Sandbox(SandboxConfig(seed=4, workspaces=1, counts=counts))


@pytest.fixture
async def big_api(big: Sandbox, api_for: Any) -> AsyncIterator[Any]:
    async with SandboxServer(big) as server:
        yield api_for(server.url, big.api_token())


async def test_new_lists_come_in_pages_or_whole(big: Sandbox, big_api: Any):
    ws = big.workspace_ids()[0]
    blog = big.records("blogs", workspace_id=ws)[0]["id"]
    funnel = big.records("funnels", workspace_id=ws)[0]["id"]
    for path, resource, where in (
        (
            f"/workspaces/{ws}/appointments/scheduled_events",
            "appointments_scheduled_events",
            {"workspace_id": ws},
        ),
        (f"/workspaces/{ws}/domains", "domains", {"workspace_id": ws}),  # no query parameters in the facts
        (f"/blogs/{blog}/posts", "blogs_posts", {"parent_id": blog}),
    ):
        pages = await big_api.walk(path)
        assert [len(p) for p in pages] == [20, 5], path
        assert [r["id"] for p in pages for r in p] == [r["id"] for r in big.records(resource, **where)]
    desc = await big_api.get(f"/workspaces/{ws}/domains", params={"sort_order": "desc", "sort_property": "x"})
    assert desc.status == 200  # a list that takes no sort ignores one, as any unknown parameter
    assert desc.body == (await big_api.get(f"/workspaces/{ws}/domains")).body
    for path, resource in (
        (f"/workspaces/{ws}/refine_filters", "refine_filters"),
        (f"/funnels/{funnel}/split_test_steps", "split_test_steps"),
        (f"/funnels/{funnel}/conditional_split_steps", "conditional_split_steps"),
    ):
        whole = await big_api.get(path, params={"after": "1"})
        assert whole.status == 200
        assert len(whole.body) == MANY  # every record in one bare array, `after` ignored
        assert "Pagination-Next" not in whole.headers
        assert "Link" not in whole.headers
        where = {"workspace_id": ws} if "workspaces" in path else {"parent_id": funnel}
        assert [r["id"] for r in whole.body] == [r["id"] for r in big.records(resource, **where)]


async def test_change_options_are_one_object_per_price(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    product = sandbox.records("products", workspace_id=ws)[0]
    price, *_ = sandbox.records("products_prices", parent_id=product["id"])
    variant = sandbox.records("products_variants", parent_id=product["id"])[-1]
    reply = await sandbox_api.get(f"/products/prices/{price['id']}/change_options")
    assert reply.status == 200
    assert list(reply.body) == ["products_prices_change_options"]
    (record,) = sandbox.records("products_prices_change_options", parent_id=price["id"])
    assert reply.body["products_prices_change_options"] == {k: v for k, v in record.items() if k != "id"}
    assert "Pagination-Next" not in reply.headers
    dearer = str(Decimal(price["amount"]) + 100)
    made = await sandbox_api.post(
        f"/products/variants/{variant['id']}/prices", {"products_price": {"amount": dearer, "name": "Pro"}}
    )
    assert made.status == 201, made.text
    assert made.body["variant_id"] == variant["id"]
    assert made.body in sandbox.records("products_prices", parent_id=product["id"])
    again = await sandbox_api.get(f"/products/prices/{price['id']}/change_options")
    upgrades = again.body["products_prices_change_options"]["upgrade"]
    assert made.body["id"] in {p["id"] for o in upgrades for p in o["products_variant"]["prices"]}
    foreign = sandbox.records("products", workspace_id=sandbox.workspace_ids(1)[0])[0]
    foreign_price = sandbox.records("products_prices", parent_id=foreign["id"])[0]
    assert (await sandbox_api.get(f"/products/prices/{foreign_price['id']}/change_options")).status == 404


async def test_expand_adds_expandable_fields_and_checks_enumerated_values(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    plain = await sandbox_api.get(f"/workspaces/{ws}/contacts")
    assert all("email_engagement" not in c for c in plain.body)
    engaged = await sandbox_api.get(f"/workspaces/{ws}/contacts", params={"expand[]": "email_engagement"})
    assert all(isinstance(c["email_engagement"], dict) for c in engaged.body)
    assert "expand%5B%5D=email_engagement" in engaged.headers["Link"]  # the next page expands too
    ignored = await sandbox_api.get(f"/workspaces/{ws}/contacts", params={"expand[]": "no_such_field"})
    assert ignored.status == 200
    assert ignored.body == plain.body
    page = sandbox.records("pages", workspace_id=ws)[0]
    two = [("expand[]", "markup"), ("expand[]", "head_code")]
    listed = await sandbox_api.get(f"/workspaces/{ws}/pages", params=two)
    member = await sandbox_api.get(f"/pages/{page['id']}", params=two)
    assert member.body == listed.body[0]
    assert {"markup", "head_code"} <= set(member.body)
    assert "footer_code" not in member.body
    assert member.body == sandbox.get("pages", page["id"], expand=["markup", "head_code"])
    funnel = next(
        f
        for f in sandbox.records("funnels", workspace_id=ws)
        if sandbox.records("conditional_split_steps", parent_id=f["id"])
    )
    path = f"/funnels/{funnel['id']}/conditional_split_steps"
    bare = await sandbox_api.get(path)
    assert all(set(s["condition"]) == {"filter_id", "is_setup"} for s in bare.body)
    with_filter = await sandbox_api.get(path, params={"expand[]": "filter"})
    assert all(s["condition"]["filter"]["id"] == int(s["condition"]["filter_id"]) for s in with_filter.body)
    wrong = await sandbox_api.get(path, params=[("expand[]", "filter"), ("expand[]", "markup")])
    assert wrong.status == 400
    assert "markup" in wrong.body["error"]
    written = await sandbox_api.put(
        f"/funnels/{funnel['id']}", {"funnel": {"head_code": "<!-- more -->", "head_code_mode": "append"}}
    )
    assert "head_code" not in written.body
    shown = await sandbox_api.get(f"/funnels/{funnel['id']}", params={"expand[]": "head_code"})
    assert shown.body["head_code"] == funnel_head(sandbox, funnel["id"])
    assert shown.body["head_code"].endswith("<!-- more -->")


def funnel_head(sandbox: Sandbox, funnel_id: int) -> str:
    found = sandbox.get("funnels", funnel_id, expand=["head_code"])
    assert found is not None
    return str(found["head_code"])


async def test_archived_topics_show_only_when_asked_for(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    path = f"/workspaces/{ws}/emails/topics"
    everything = sandbox.records("emails_topics", workspace_id=ws)
    shown = await sandbox_api.get(path)
    asked = await sandbox_api.get(path, params={"include_archived": "true"})
    assert asked.body == everything
    assert 0 < len(shown.body) < len(everything)
    topic = shown.body[0]
    assert (await sandbox_api.delete(f"/emails/topics/{topic['id']}")).status == 204  # archives it
    assert topic["id"] not in {t["id"] for t in (await sandbox_api.get(path)).body}
    kept = await sandbox_api.get(f"/emails/topics/{topic['id']}")
    assert kept.status == 200
    assert topic["id"] in {
        t["id"] for t in (await sandbox_api.get(path, params={"include_archived": "true"})).body
    }
    assert sandbox.events(ws)[-1]["event_type_id"] == "emails/topic.updated"


async def test_new_filters_on_tags_activity_and_funnels(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    contacts = sandbox.records("contacts", workspace_id=ws)
    tag = next(t["id"] for c in contacts for t in c["tags"])
    tagged = await sandbox_api.get(f"/workspaces/{ws}/contacts", params={"filter[tag_ids]": f"{tag},1"})
    assert [c["id"] for c in tagged.body] == [
        c["id"] for c in contacts if tag in {t["id"] for t in c["tags"]}
    ][:20]
    inactive = await sandbox_api.get(f"/workspaces/{ws}/contacts", params={"filter[is_active]": "false"})
    assert inactive.body
    assert [c["id"] for c in inactive.body] == [c["id"] for c in contacts if not c["is_active"]][:20]
    pages = sandbox.records("pages", workspace_id=ws)
    funnel = next(p["funnel"]["id"] for p in pages if p["funnel"])
    in_funnel = await sandbox_api.get(f"/workspaces/{ws}/pages", params={"filter[funnel_ids]": str(funnel)})
    assert [p["id"] for p in in_funnel.body] == [
        p["id"] for p in pages if (p["funnel"] or {}).get("id") == funnel
    ]


async def test_singletons_and_what_is_not_served(sandbox: Sandbox, sandbox_api: Any):
    ws = sandbox.workspace_ids(0)[0]
    me = await sandbox_api.get("/me")
    assert me.body == sandbox.records("users")[0]
    site = await sandbox_api.get(f"/workspaces/{ws}/site", params={"expand[]": "head_code"})
    assert site.status == 200
    assert site.body["workspace_id"] == ws
    assert "footer_code" not in site.body
    changed = await sandbox_api.put(
        f"/workspaces/{ws}/site",
        {"site": {"name": "Renamed", "head_code": "<!-- x -->", "head_code_mode": "append"}},
        params={"expand[]": "head_code"},
    )
    assert changed.status == 200, changed.text
    assert changed.body["name"] == "Renamed"
    assert changed.body["head_code"] == site.body["head_code"] + "<!-- x -->"
    settings = await sandbox_api.get(f"/workspaces/{ws}/emails/settings")
    default = next(
        a for a in sandbox.records("emails_addresses", workspace_id=ws) if a["is_workspace_default"]
    )
    assert settings.body["marketing_emails_from_address"] == {
        "email_address": default["email_address"],
        "name": default["name"],
    }
    assert settings.body["workspace_id"] == ws
    other_ws = sandbox.workspace_ids(1)[0]
    assert (await sandbox_api.get(f"/workspaces/{other_ws}/site")).status == 404
    funnel = sandbox.records("funnels", workspace_id=ws)[0]["id"]
    assert (await sandbox_api.get(f"/funnels/{funnel}/stats")).status == 200  # test_sandbox_stats.py
    reply = await sandbox_api.post("/orders/line_items/1/changes")
    assert (reply.status, reply.body) == (404, {"error": "Not found"})


async def test_writes_of_new_resources_reach_lists_events_and_webhooks(
    sandbox: Sandbox, sandbox_server: SandboxServer, sandbox_api: Any
):
    ws = sandbox.workspace_ids(0)[0]
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        endpoint = await sandbox_api.post(
            f"/workspaces/{ws}/webhooks/outgoing/endpoints",
            {
                "webhooks_outgoing_endpoint": {
                    "url": f"http://127.0.0.1:{port}/hook",
                    "name": "t",
                    "event_type_ids": ["emails/broadcast.created", "split_test_step.updated"],
                }
            },
        )
        assert endpoint.status == 201
        topic = sandbox.records("emails_topics", workspace_id=ws)[0]
        broadcast = await sandbox_api.post(
            f"/workspaces/{ws}/emails/broadcasts",
            {"emails_broadcast": {"name": "Launch", "subject": "Hi", "topic_ids": [topic["id"]]}},
        )
        assert broadcast.status == 201, broadcast.text
        assert broadcast.body in sandbox.records("emails_broadcasts", workspace_id=ws)
        foreign_topic = sandbox.records("emails_topics", workspace_id=sandbox.workspace_ids(0)[1])[0]
        refused = await sandbox_api.post(
            f"/workspaces/{ws}/emails/broadcasts",
            {"emails_broadcast": {"name": "x", "filter_id": foreign_topic["id"]}},
        )
        assert refused.status == 422
        funnel = next(
            f
            for f in sandbox.records("funnels", workspace_id=ws)
            if sandbox.records("split_test_steps", parent_id=f["id"])
        )
        step = sandbox.records("split_test_steps", parent_id=funnel["id"])[0]
        pages = [v["page"]["id"] for v in step["variants"]]
        moved = await sandbox_api.request(
            "PATCH",
            f"/funnels/{funnel['id']}/split_test_steps/{step['id']}",
            json_body={
                "split_test_step": {
                    "variants": [
                        {"page": {"id": pages[0]}, "weight": 90},
                        {"page": {"id": pages[1]}, "weight": 10},
                    ]
                }
            },
        )
        assert moved.status == 200, moved.text
        assert [v["weight"] for v in moved.body["variants"]] == [90, 10]
        assert moved.body["variants"][0]["page"]["name"] == sandbox.get("pages", pages[0])["name"]  # type: ignore[index]
        assert await sandbox.deliveries.drained(10)
    finally:
        await runner.cleanup()
    assert [d["event_type"] for d in received] == ["emails/broadcast.created", "split_test_step.updated"]
    assert received[0]["data"]["name"] == "Launch"
    assert received[1]["subject_type"] == "SplitTestStep"
    gone = await sandbox_api.delete(
        f"/funnels/{funnel['id']}/split_test_steps/{step['id']}", params={"branch": "left"}
    )
    assert gone.status == 204
    assert step["id"] not in {s["id"] for s in sandbox.records("split_test_steps", parent_id=funnel["id"])}
    assert sandbox.requests[-1].api_path == f"/funnels/{funnel['id']}/split_test_steps/{step['id']}"


async def test_the_control_api_and_faults_reach_new_resources(
    sandbox: Sandbox, sandbox_server: SandboxServer, sandbox_api: Any, api_for: Any
):
    control = api_for(sandbox_server.url, sandbox.control_token, prefix="/_sandbox")
    ws = sandbox.workspace_ids(0)[0]
    product = sandbox.records("products", workspace_id=ws)[0]
    price = sandbox.records("products_prices", parent_id=product["id"])[0]
    options = await control.get("/records/products_prices_change_options", params={"parent_id": price["id"]})
    assert options.body == sandbox.records("products_prices_change_options", parent_id=price["id"])
    refused = await control.post(
        "/records/products_prices_change_options", {"fields": {}, "parent_id": price["id"]}
    )
    assert refused.status == 400
    made = await control.post("/records/emails_topics", {"fields": {"name": "Launches"}, "workspace_id": ws})
    assert made.status == 201
    topics = await sandbox_api.get(f"/workspaces/{ws}/emails/topics")
    assert made.body in topics.body
    sandbox.faults.fail_next("502", path=r"/emails/topics$")
    assert (await sandbox_api.get(f"/workspaces/{ws}/emails/topics")).status == 502
    assert sandbox.requests[-1].fault == "502"
    assert (await sandbox_api.get(f"/workspaces/{ws}/emails/topics")).body == topics.body


async def test_sections_and_lessons_sort_by_their_sort_order(sandbox: Sandbox, sandbox_api: Any):
    course = sandbox.records("courses", workspace_id=sandbox.workspace_ids(0)[0])[0]
    sections = sandbox.records("courses_sections", parent_id=course["id"])
    path = f"/courses/{course['id']}/sections"
    by_place = await sandbox_api.get(path, params={"sort_property": "sort_order", "sort_order": "desc"})
    assert by_place.status == 200  # a sort the 2026 facts add for them
    assert [s["sort_order"] for s in by_place.body] == sorted(
        (s["sort_order"] for s in sections), reverse=True
    )
    assert (await sandbox_api.get(path, params={"sort_property": "name"})).status == 400

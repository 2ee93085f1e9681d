"""20 rounds of random creates, updates and deletes in the sandbox, each followed by an incremental sync:
after every round the database holds exactly what the API lists (new, updated and deleted rows)."""

from __future__ import annotations

import random

import pytest

from cfsync import app
from cfsync.sandbox import Sandbox, SandboxConfig, SandboxServer
from cfsync.store import Store

from .helpers import config_for, db_snapshot, sandbox_snapshot

ROUNDS = 20
COUNTS = {"contacts": 30, "orders": 8, "products": 4, "courses": 2, "courses_enrollments": 4, "images": 3}
# Copies of other records that the API renders live inside a record (an order's `contact`) change without
# the record's own updated_at: only a full sweep refreshes them. They are compared by id only.
LIVE_EMBEDS = {
    "orders": ("contact",),
    "courses_enrollments": ("contact",),
    "appointments_scheduled_events": ("primary_contact",),
}


def comparable(snapshot: dict) -> dict:
    out = {}
    for name, rows in snapshot.items():
        drop = LIVE_EMBEDS.get(name, ())
        out[name] = {
            i: {k: (v.get("id") if k in drop and isinstance(v, dict) else v) for k, v in row.items()}
            for i, row in rows.items()
        }
    return out


# What the API can do: orders, products and enrollments are never deleted through it.
ACTIONS = [
    "contact+",
    "contact~",
    "contact-",
    "product+",
    "product~",
    "order~",
    "enrollment+",
    "enrollment~",
    "image+",
    "image-",
    "endpoint+",
    "endpoint~",
    "endpoint-",
    # Lists of 2026: email broadcasts, blog posts, refine filters.
    "broadcast+",
    "broadcast~",
    "broadcast-",
    "post+",
    "post~",
    "post-",
    "filter+",
]


class Mutator:
    def __init__(self, sb: Sandbox, rng: random.Random) -> None:
        self.sb, self.rng = sb, rng
        self.ws = sb.workspace_ids(0)[0]
        self.serial = 0
        self.log: list[str] = []

    def pick(self, resource: str, **where) -> dict | None:
        records = self.sb.records(resource, **(where or {"workspace_id": self.ws}))
        return self.rng.choice(records) if records else None

    def step(self) -> None:
        self.serial += 1
        n = self.serial
        action = self.rng.choice(ACTIONS)
        self.log.append(action)
        sb, ws = self.sb, self.ws
        if action == "contact+":
            sb.create(
                "contacts", {"email_address": f"r{n}@example.com", "first_name": f"R{n}"}, workspace_id=ws
            )
        elif action == "product+":
            sb.create("products", {"name": f"Product {n}"}, workspace_id=ws)
        elif action == "image+":
            sb.create(
                "images",
                {"upload_source_url": f"https://example.com/{n}.png", "name": f"i{n}"},
                workspace_id=ws,
            )
        elif action == "endpoint+":
            sb.create(
                "webhooks_outgoing_endpoints",
                {"url": f"https://hooks.example.com/{n}", "name": f"hook {n}", "event_type_ids": []},
                workspace_id=ws,
            )
        elif action == "broadcast+":
            fields = {"name": f"Broadcast {n}", "subject": f"News {n}"}
            sb.create("emails_broadcasts", fields, workspace_id=ws)
        elif action == "post+":
            blog = self.pick("blogs")
            if blog:
                sb.create("blogs_posts", {"title": f"Post {n}"}, parent_id=blog["id"])
        elif action == "filter+":
            sb.create("refine_filters", {"name": f"Filter {n}", "filter_class": "Contact"}, workspace_id=ws)
        elif action == "enrollment+":
            course, contact = self.pick("courses"), self.pick("contacts")
            if course and contact:
                sb.create("courses_enrollments", {"contact_id": contact["id"]}, parent_id=course["id"])
        else:
            name = {
                "contact": "contacts",
                "product": "products",
                "order": "orders",
                "enrollment": "courses_enrollments",
                "image": "images",
                "endpoint": "webhooks_outgoing_endpoints",
                "broadcast": "emails_broadcasts",
                "post": "blogs_posts",
            }[action[:-1]]
            record = self.pick(name)
            if record is None:
                return
            if action.endswith("-"):
                sb.delete(name, record["id"])
            else:
                fields = {
                    "contacts": {"first_name": f"U{n}"},
                    "products": {"name": f"Renamed {n}"},
                    "orders": {"notes": f"note {n}"},
                    "courses_enrollments": {"suspended": n % 2 == 0},
                    "webhooks_outgoing_endpoints": {"name": f"renamed hook {n}"},
                    "emails_broadcasts": {"subject": f"Changed {n}"},
                    "blogs_posts": {"title": f"Retitled {n}"},
                }[name]
                sb.update(name, record["id"], fields)


@pytest.mark.timeout(600)
async def test_twenty_rounds_of_mutate_then_sync(db_url):
    rng = random.Random(20261128)
    sb = Sandbox(SandboxConfig(seed=30, workspaces=1, counts=COUNTS))
    mutator = Mutator(sb, rng)
    engine = Store.open(db_url).engine
    try:
        async with SandboxServer(sb) as server:
            config = config_for(server.url, sb.api_token(0), db_url)
            await app.sync(config)
            for round_number in range(1, ROUNDS + 1):
                for _ in range(rng.randint(1, 6)):
                    mutator.step()
                summary = await app.sync(config)
                assert summary.status == "succeeded", summary.failures
                actual, expected = comparable(db_snapshot(engine)), comparable(sandbox_snapshot(sb))
                for name in expected:
                    assert actual[name] == expected[name], f"round {round_number} {name}: {mutator.log[-6:]}"
    finally:
        engine.dispose()
    assert {"contact+", "contact~", "contact-", "broadcast+", "post~", "filter+"} <= set(mutator.log), (
        "the rounds covered new, changed and gone, old lists and new"
    )

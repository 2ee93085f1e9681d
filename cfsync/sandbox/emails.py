"""A workspace's email marketing: sender addresses, templates, topics, broadcasts and the refine filters that
pick their audiences.

The first address of a workspace is its default; every broadcast is sent from one of the workspace's
addresses, to its topics (archived ones too: a broadcast keeps naming a topic archived after it went out)
and to the contacts a refine filter of the workspace selects. A broadcast's times follow its status: a
draft has none, a scheduled one a send date, one sending or paused began sending, a complete one finished.
Every third topic of a workspace is archived: the topics list shows it only with `include_archived=true`.
A refine filter selects contacts by tags of the workspace and by where they came from (UTM source).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cfsync.sandbox.ids import iso_ms
from cfsync.sandbox.values import nth

if TYPE_CHECKING:
    from cfsync.sandbox.generate import Ctx, Generator

__all__ = ["BASE", "archived"]

Rec = dict[str, Any]
_HOUR = 3_600_000
_LOCALS = ("hello", "support", "news", "team")
_TEMPLATES = (
    ("Welcome email", "workflow"),
    ("Newsletter layout", "broadcast"),
    ("Order receipt", "workflow"),
    ("Webinar reminder", "broadcast"),
)
_TOPICS = ("Newsletter", "Product updates", "Promotions", "Webinars", "Tips and tricks", "Events")
_FILTERS = ("Engaged subscribers", "VIP buyers", "Webinar leads", "Lapsed customers")
_SOURCES = ("newsletter", "google", "facebook")
_STATUSES = (("complete", 45), ("draft", 15), ("scheduled", 12), ("sending", 5), ("paused", 5),
             ("canceled", 10), ("unhealthy", 8))  # fmt: skip


def archived(gen: Generator, name: str, offset: int) -> bool:
    """Every third email topic of a workspace was archived."""
    return name == "emails_topics" and gen.ids.index_of(name, offset) % 3 == 2


def _workspace(gen: Generator, ctx: Ctx) -> Rec:
    workspace = dict(ctx.ancestry).get("workspaces")
    offset = None if workspace is None else gen.ids.offset_of("workspaces", workspace)
    return {} if offset is None else gen.peek("workspaces", offset)


def _address(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    index, workspace = ctx.values.index, _workspace(gen, ctx)
    local = _LOCALS[index % len(_LOCALS)] + (str(index // len(_LOCALS)) if index >= len(_LOCALS) else "")
    rec["email_address"] = f"{local}@{workspace.get('subdomain') or 'workspace'}.example.com"
    rec["name"] = f"{workspace.get('name') or 'Workspace'} {local.capitalize()}"
    rec["is_workspace_default"] = index == 0


def _template(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    name, kind = _TEMPLATES[ctx.values.index % len(_TEMPLATES)]
    rec["name"], rec["template_type"] = name, kind


def _topic(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rec["name"] = nth(_TOPICS, ctx.values.index)
    rec["description"] = ctx.values.sentence()


def _refine_filter(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rng = ctx.rng
    rec["name"] = nth(_FILTERS, ctx.values.index)
    rec["filter_class"] = "ContactsFilter"
    tags = sorted({gen.pick(ctx, "contacts_tags") for _ in range(rng.randint(1, 2))} - {None})  # type: ignore[type-var]
    criteria = [{"attribute": "tag_ids", "clause": "includes_any", "value": {"ids": tags}}] if tags else []
    if rng.random() < 0.5 or not criteria:
        source = rng.choice(_SOURCES)
        criteria.append({"attribute": "utm_source", "clause": "equals", "value": {"text": source}})
    rec["criteria"] = criteria
    rec["conjunction"] = "and" if len(criteria) < 2 or rng.random() < 0.7 else "or"


def _broadcast(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rng, v = ctx.rng, ctx.values
    sender = gen.pick(ctx, "emails_addresses")
    offset = None if sender is None else gen.ids.offset_of("emails_addresses", sender)
    address = {} if offset is None else gen.peek("emails_addresses", offset)
    rec["from_email"] = rec["reply_to_email"] = address.get("email_address")
    rec["from_name"] = address.get("name")
    topics = {gen.pick(ctx, "emails_topics") for _ in range(rng.randint(1, 2))} - {None}
    rec["topic_ids"] = sorted(topics)
    status = rng.choices([s for s, _ in _STATUSES], [w for _, w in _STATUSES])[0]
    rec["status"] = status
    opening = rng.choice(("New:", "Last chance:", "This week:", "Inside:"))
    subject = f"{opening} {v.sentence().rstrip('.').lower()}"
    rec.update(
        subject=subject,
        preheadline=v.sentence()[:150],
        html_body=f"<h1>{subject}</h1><p>{v.sentence()}</p>",
        text_body=f"{subject}\n\n{v.sentence()}",
        origination_channel_id=None,
        origination_channel_type=None,
    )
    # Sent (and complete) between its creation and its last update, whatever their gap.
    half = max(v.updated_ms - v.created_ms, 2) // 2
    sending = v.created_ms + min(rng.randrange(1, 72) * _HOUR, half)
    send_at = None if status == "draft" else iso_ms(sending)
    rec.update(
        send_immediately=status != "draft" and rng.random() < 0.3,
        send_at=send_at,
        send_at_local_time=None if send_at is None else send_at[11:19],
        sending_at=iso_ms(sending) if status in ("sending", "paused", "complete", "unhealthy") else None,
        complete_at=iso_ms(sending + min(rng.randrange(1, 6) * _HOUR, half))
        if status == "complete"
        else None,
    )


BASE: dict[str, Callable[[Generator, Ctx, Rec], None]] = {
    "emails_addresses": _address,
    "emails_templates": _template,
    "emails_topics": _topic,
    "emails_broadcasts": _broadcast,
    "refine_filters": _refine_filter,
}

"""Where generic values would be implausible: the few fields a sync's tests look at closely.

Each override only rewrites fields the schema already has, with values of the schema's type.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cfsync.sandbox import audience, commerce, emails, sites
from cfsync.sandbox.values import COMPANIES, NOUNS, TIME_ZONES, WORDS, slug

if TYPE_CHECKING:
    from cfsync.sandbox.generate import Ctx, Generator

__all__ = [
    "ANONYMOUS_SHARE", "EVENT_TYPES", "absent", "apply", "archived", "blank", "serve", "storied", "times",
]  # fmt: skip

# Share of generated contacts that are anonymous visitors: reachable by id, hidden from the list.
ANONYMOUS_SHARE = 0.04

EVENT_TYPES = (
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "contact.identified",
    "contacts/applied_tag.created",
    "order.created",
    "order.completed",
    "one-time-order.completed",
    "subscription.activated",
    "fulfillment.created",
    "product.updated",
    "courses/enrollment.created",
    "form_submission.created",
)

Rec = dict[str, Any]


def apply(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    for fn in _BASE.get(ctx.name, ()):
        fn(gen, ctx, rec)


def _team(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rec["name"] = f"{ctx.rng.choice(COMPANIES)} Team {ctx.id}"
    rec["time_zone"] = ctx.rng.choice(TIME_ZONES)


def _workspace(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rec["name"] = f"{ctx.rng.choice(COMPANIES)} {ctx.rng.choice(NOUNS)}"
    rec["subdomain"] = f"{slug(rec['name'])}-{ctx.id}"


def _contact(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    v = ctx.values
    if ctx.rng.random() < ANONYMOUS_SHARE:
        rec.update(anonymous=v.uuid(), email_address=None, first_name=None, last_name=None, phone_number=None)
    else:
        # The email carries the id, so a lookup by email is arithmetic rather than a scan.
        rec.update(anonymous=None, email_address=v.email(), first_name=v.first, last_name=v.last)
    rec["custom_attributes"] = (
        {"plan": ctx.rng.choice(("free", "pro", "vip")), "source": ctx.rng.choice(WORDS)}
        if ctx.rng.random() < 0.6
        else {}
    )
    rec["avatar_image"] = {}


def _user(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rec.update(first_name=ctx.values.first, last_name=ctx.values.last, email=ctx.values.email(), locale="en")


def _fulfillment(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rec["status"] = ctx.rng.choices(("fulfilled", "cancelled", "restocked"), (7, 2, 1))[0]


def _image(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rec["name"] = f"{ctx.rng.choice(WORDS)}-{ctx.id}.jpg"
    rec["url"] = f"https://images.example.com/{ctx.values.hex(16)}/{rec['name']}"


def _endpoint(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rec["url"] = f"https://hooks.example.com/clickfunnels/{ctx.id}"
    rec["event_type_ids"] = sorted(ctx.rng.sample(EVENT_TYPES, 3))
    rec["api_version"] = 2


def _event(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    contact_id = gen.pick(ctx, "contacts")
    data = gen.pure("contacts", contact_id) if contact_id is not None else None
    rec.update(
        event_type_id=ctx.rng.choice(("contact.created", "contact.updated")),
        subject_id=contact_id if contact_id is not None else 0,
        subject_type="Contact",
        data=data or {},
        api_version=2,
        page=None,
        funnel=None,
    )


def _opportunity(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    # The pipeline is the stage's own, not an independent pick.
    stage = rec.get("pipelines_stage_id")
    offset = gen.ids.offset_of("sales_pipelines_stages", stage) if isinstance(stage, int) else None
    if offset is not None:
        rec["pipeline_id"] = str(gen.ids.ancestry("sales_pipelines_stages", offset)[0][1])


def _form_submission(gen: Generator, ctx: Ctx, rec: Rec) -> None:
    rec["data"] = {"email": ctx.values.email(), "first_name": ctx.values.first}


_OWN: dict[str, Callable[[Generator, Ctx, Rec], None]] = {
    "teams": _team,
    "workspaces": _workspace,
    "contacts": _contact,
    "users": _user,
    "fulfillments": _fulfillment,
    "images": _image,
    "webhooks_outgoing_endpoints": _endpoint,
    "webhooks_outgoing_events": _event,
    "form_submissions": _form_submission,
    "sales_opportunities": _opportunity,
}
# Each resource's overrides, in order: the plain ones, then each story's (an order's money, then where its
# contact came from).
_BASE: dict[str, list[Callable[[Generator, Ctx, Rec], None]]] = {}
for _part in (_OWN, commerce.BASE, audience.BASE, sites.BASE, emails.BASE):
    for _name, _fn in _part.items():
        _BASE.setdefault(_name, []).append(_fn)
# What is worked out again whenever a record is served (embedded pages of split tests, `is_active`).
_SERVE: dict[str, list[Callable[[Generator, Rec, Any, Any], None]]] = {}
for _served in (audience.SERVE, sites.SERVE):
    for _name, _at_serve in _served.items():
        _SERVE.setdefault(_name, []).append(_at_serve)


def serve(gen: Generator, name: str, rec: Rec, lookup: Any, children: Any) -> None:
    """Fill in what a record shows as it is served, after its embedded copies (`Generator.derive`)."""
    for fn in _SERVE.get(name, ()):
        fn(gen, rec, lookup, children)


def storied(name: str) -> bool:
    """Whether a resource's records may take their created/updated times from a story (commerce.TIMES)."""
    return name in commerce.TIMES


def times(gen: Generator, name: str, offset: int) -> tuple[int, int] | None:
    """(created_ms, updated_ms) of a storied record, None where the arithmetic ones stand."""
    return commerce.TIMES[name](gen, offset)


def absent(gen: Generator, name: str, offset: int) -> bool:
    return commerce.absent(gen, name, offset) or sites.absent(gen, name, offset)


def archived(gen: Generator, name: str, offset: int) -> bool:
    return emails.archived(gen, name, offset)


def blank(name: str, rec: Rec, rng: random.Random) -> None:
    """Defaults of a record created through the API, before its body is applied."""
    if "uuid" in rec:
        rec["uuid"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if "api_version" in rec:
        rec["api_version"] = 2
    if rec.get("archived") is None and "archived" in rec:
        rec["archived"] = False
    if "currency" in rec:
        rec["currency"] = "USD"
    if name == "fulfillments":
        rec["status"] = "fulfilled"
    if name == "contacts":
        rec["custom_attributes"] = {}
